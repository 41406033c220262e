"""Readers: what a user gets from JSONL, CSV, Parquet and text inputs, and what is set aside.

Every input is written in ``tmp_path`` (or fsspec's in-memory filesystem) by
the test itself; nothing reaches the network.
"""

from __future__ import annotations

import bz2
import gzip
import json
import os
import uuid
from pathlib import Path

import fsspec
import fsspec.compression
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from pdcorpus.record import record_hash
from pdcorpus import (CsvReader, JsonlReader, ParquetReader, Record, Reject, TextReader, content_hash,
                      read_csv, read_jsonl, read_parquet, read_text)
from pdcorpus.io.readers import InputError, InputFile, expand_paths

# -- helpers ------------------------------------------------------------------------------------------


def jsonl_bytes(rows: list) -> bytes:
    return b"".join(orjson.dumps(row) + b"\n" for row in rows)


def input_file(path: Path) -> InputFile:
    """The InputFile a single local path expands to."""
    (found,) = expand_paths([str(path)])
    return found


def fields_of(records: list[Record], *names: str) -> list[tuple]:
    return [tuple(getattr(r, n) for n in names) for r in records]


def where(rejects: list[Reject]) -> list[tuple]:
    """(reason, file, line, id) of each reject, in the order they were set aside."""
    return [(r.reason, r.file, r.line, r.id) for r in rejects]


def hash_id(source: str, text: str) -> str:
    return f"{source}:{content_hash(text)[:16]}"


# -- JSONL, plain and compressed ----------------------------------------------------------------------

BOOKS = [
    {"book_id": "b1", "body": "It was a dark and stormy night.", "rights": "Public Domain Mark 1.0",
     "year": 1830, "shelf": "gothic"},
    {"book_id": "b2", "body": "Call me Ishmael.", "rights": "CC0-1.0", "year": 1851, "shelf": "sea"},
    {"book_id": "b3", "body": "Happy families are all alike; every unhappy family is unhappy in its own way.",
     "rights": "public domain (US)", "year": 1878, "shelf": "russian"},
]
BOOK_FIELDS = {"id": "book_id", "text": "body", "license": "rights"}
EXPECTED_BOOKS = [
    ("books:b1", "books", "It was a dark and stormy night.", "Public Domain Mark 1.0", None,
     '{"shelf":"gothic","year":1830}'),
    ("books:b2", "books", "Call me Ishmael.", "CC0-1.0", None, '{"shelf":"sea","year":1851}'),
    ("books:b3", "books", "Happy families are all alike; every unhappy family is unhappy in its own way.",
     "public domain (US)", None, '{"shelf":"russian","year":1878}'),
]
RECORD_VIEW = ("id", "source", "text", "license_raw", "license", "metadata")


def _zstd(data: bytes) -> bytes:
    return zstandard.ZstdCompressor().compress(data)


COMPRESSIONS = {
    ".jsonl": (lambda data: data, b'{"book_id"'),
    ".jsonl.gz": (gzip.compress, b"\x1f\x8b"),
    ".jsonl.zst": (_zstd, b"\x28\xb5\x2f\xfd"),
    ".jsonl.bz2": (bz2.compress, b"BZh"),
}


@pytest.mark.parametrize("ending", list(COMPRESSIONS))
def test_jsonl_gives_the_same_records_plain_or_compressed(tmp_path, ending):
    compress, magic = COMPRESSIONS[ending]
    path = tmp_path / f"books{ending}"
    path.write_bytes(compress(jsonl_bytes(BOOKS)))
    assert path.read_bytes().startswith(magic)  # really written in that format

    records = list(read_jsonl(str(path), source="books", fields=BOOK_FIELDS))

    assert fields_of(records, *RECORD_VIEW) == EXPECTED_BOOKS
    assert [record_hash(r) for r in records] == [content_hash(b["body"]) for b in BOOKS]  # computed when asked
    assert all(isinstance(r, Record) for r in records)


@pytest.mark.parametrize("ending", [".jsonl.gz", ".jsonl.zst"])
def test_concatenated_compressed_streams_read_as_one_file(tmp_path, ending):
    """``cat a.gz b.gz > c.gz`` (gzip members, zstd frames) is a valid file holding both parts."""
    compress = COMPRESSIONS[ending][0]
    path = tmp_path / f"books{ending}"
    path.write_bytes(b"".join(compress(jsonl_bytes([book])) for book in BOOKS))

    records = list(read_jsonl(str(path), source="books", fields=BOOK_FIELDS))

    assert fields_of(records, *RECORD_VIEW) == EXPECTED_BOOKS


def test_a_truncated_compressed_input_is_an_input_error_naming_the_file(tmp_path):
    path = tmp_path / "cut.jsonl.gz"
    data = gzip.compress(jsonl_bytes([{"id": i, "text": f"record number {i}"} for i in range(2000)]))
    path.write_bytes(data[: len(data) // 2])

    with pytest.raises(InputError, match="cut.jsonl.gz"):
        list(read_jsonl(str(path), source="cut"))


def test_jsonl_reader_class_reads_one_input_file_and_counts(tmp_path):
    path = tmp_path / "books.jsonl.gz"
    path.write_bytes(gzip.compress(jsonl_bytes(BOOKS)))
    reader = JsonlReader("books", fields=BOOK_FIELDS)

    records = list(reader.read(InputFile(url=str(path), size=path.stat().st_size, root=str(tmp_path))))

    assert fields_of(records, *RECORD_VIEW) == EXPECTED_BOOKS
    assert reader.stats.to_dict() == {
        "stage": "read", "records_in": 3, "records_out": 3, "dropped": {},
        "by_source": {"books": {"records_in": 3, "records_out": 3, "dropped": {}}},
    }


# -- fields, ids, license, metadata --------------------------------------------------------------------


def test_fields_reach_nested_values_by_dotted_path(tmp_path):
    path = tmp_path / "nested.jsonl"
    path.write_bytes(jsonl_bytes([
        {"ident": {"ark": "ark:/13960/t1"}, "doc": {"body": "Chapter one.", "title": "A Tale"},
         "creators": [{"name": "Ann Author"}, {"name": "Second Hand"}],
         "rights": {"statement": "http://rightsstatements.org/vocab/NoC-US/1.0/", "holder": "Archive"},
         "source_url": "https://example.org/1"},
    ]))

    (record,) = read_jsonl(str(path), source="arch", fields={
        "id": "ident.ark", "text": "doc.body", "title": "doc.title", "author": "creators.0.name",
        "license": "rights.statement", "url": "source_url"})

    assert record.id == "arch:ark:/13960/t1"
    assert record.text == "Chapter one."
    assert record.title == "A Tale"
    assert record.author == "Ann Author"
    assert record.url == "https://example.org/1"
    assert record.license_raw == "http://rightsstatements.org/vocab/NoC-US/1.0/"
    assert record.license is None
    # Mapped leaves are not repeated in metadata; their unmapped siblings stay, and a list
    # of which only one item was mapped is kept whole.
    assert json.loads(record.metadata) == {"creators": [{"name": "Ann Author"}, {"name": "Second Hand"}],
                                           "rights": {"holder": "Archive"}}


def test_columns_with_their_own_names_are_mapped_without_saying_so(tmp_path):
    path = tmp_path / "plain.jsonl"
    path.write_bytes(jsonl_bytes([
        {"id": "p1", "text": "Body.", "title": "T", "author": "A", "url": "https://e.org/p1",
         "date": "1899-01-02", "license": "CC-BY-4.0", "retrieved_at": "2024-05-01T00:00:00Z"},
    ]))

    (record,) = read_jsonl(str(path), source="plain")

    assert (record.id, record.text, record.title, record.author, record.url, record.date, record.license_raw,
            record.retrieved_at) == ("plain:p1", "Body.", "T", "A", "https://e.org/p1", "1899-01-02",
                                     "CC-BY-4.0", "2024-05-01T00:00:00Z")
    assert record.license is None
    assert record.metadata is None


def test_ids_are_source_and_input_id_or_else_derived_from_content(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_bytes(jsonl_bytes([
        {"id": "alpha", "text": "Given a string id."},
        {"id": 42, "text": "Given an integer id."},
        {"id": 0, "text": "Given the integer zero."},
        {"text": "No id at all."},
        {"id": "", "text": "An empty id."},
        {"id": None, "text": "A null id."},
    ]))

    records = list(read_jsonl(str(path), source="mixed"))

    assert [r.id for r in records] == [
        "mixed:alpha", "mixed:42", "mixed:0",
        "mixed:" + content_hash("No id at all.")[:16],
        "mixed:" + content_hash("An empty id.")[:16],
        "mixed:" + content_hash("A null id.")[:16],
    ]
    assert [record_hash(r) for r in records] == [content_hash(r.text) for r in records]


def test_content_derived_ids_are_stable_across_files_and_runs(tmp_path):
    (tmp_path / "one.jsonl").write_bytes(jsonl_bytes([{"text": "The same poem."}]))
    (tmp_path / "two.jsonl.gz").write_bytes(gzip.compress(jsonl_bytes([{"text": "The same poem."}])))

    first = [r.id for r in read_jsonl(str(tmp_path / "*"), source="poems")]
    again = [r.id for r in read_jsonl(str(tmp_path / "*"), source="poems")]

    assert first == again == [hash_id("poems", "The same poem.")] * 2


def test_license_is_kept_verbatim_in_license_raw(tmp_path):
    path = tmp_path / "rights.jsonl"
    odd = "  Public Domain — see https://example.org/rights?x=1  "
    path.write_bytes(jsonl_bytes([
        {"id": 1, "text": "One.", "rights": odd},
        {"id": 2, "text": "Two.", "rights": {"spdx": "CC0-1.0", "holder": None}},
        {"id": 3, "text": "Three."},
    ]))

    records = list(read_jsonl(str(path), source="r", fields={"license": "rights"}))

    assert [r.license_raw for r in records] == [odd, '{"holder":null,"spdx":"CC0-1.0"}', None]
    assert [r.license for r in records] == [None, None, None]
    assert [r.rights_reason for r in records] == [None, None, None]


META_ROW = {"id": "m1", "text": "Body.", "zeta": 1, "alpha": {"b": 2, "a": 1}, "mid": [3, "x"], "nothing": None}


def test_unmapped_fields_go_to_metadata_with_sorted_keys_by_default(tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_bytes(jsonl_bytes([META_ROW, {"id": "m2", "text": "No extras."}]))

    first, second = read_jsonl(str(path), source="m")

    assert first.metadata == '{"alpha":{"a":1,"b":2},"mid":[3,"x"],"nothing":null,"zeta":1}'
    assert first.meta() == {"alpha": {"a": 1, "b": 2}, "mid": [3, "x"], "nothing": None, "zeta": 1}
    assert second.metadata is None


def test_metadata_can_be_limited_to_listed_fields(tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_bytes(jsonl_bytes([META_ROW]))

    (record,) = read_jsonl(str(path), source="m", metadata=["zeta", "alpha.b", "absent"])

    assert record.metadata == '{"absent":null,"alpha.b":2,"zeta":1}'


def test_metadata_none_keeps_no_extras(tmp_path):
    path = tmp_path / "meta.jsonl"
    path.write_bytes(jsonl_bytes([META_ROW]))

    (record,) = read_jsonl(str(path), source="m", metadata=None)

    assert (record.id, record.text, record.metadata) == ("m:m1", "Body.", None)


def test_a_caption_alone_makes_a_record(tmp_path):
    path = tmp_path / "captions.jsonl"
    path.write_bytes(jsonl_bytes([{"id": "i1", "caption": "A lighthouse at dusk."}]))

    (record,) = read_jsonl(str(path), source="img")

    assert (record.id, record.text, record.caption, record_hash(record)) == (
        "img:i1", None, "A lighthouse at dusk.", content_hash("A lighthouse at dusk."))


def test_a_field_that_is_not_a_record_column_is_refused():
    with pytest.raises(ValueError, match=r"cannot map to \['body'\]"):
        JsonlReader("x", fields={"body": "text"})


# -- set aside --------------------------------------------------------------------------------------------


def test_jsonl_sets_aside_bad_lines_with_file_line_and_reason(tmp_path):
    path = tmp_path / "messy.jsonl"
    lines = [
        b'{"id": "a", "text": "First good record."}',          # 1
        b'{"id": "b", "text": "unterminated',                  # 2 malformed-json
        b'{"id": "c", "text": "caf\xe9 au lait"}',             # 3 invalid-utf8 (latin-1 byte)
        b'["id", "text"]',                                     # 4 not-an-object
        b'',                                                   # 5 blank: skipped, still counted as a line
        b'{"id": "d", "title": "no text here"}',               # 6 missing-text
        b'{"id": "e", "text": 12}',                            # 7 text-not-a-string
        b'{"id": "f", "text": "  \\n\\t "}',                   # 8 empty-text
        b'{"id": "g", "text": "' + b"x" * 101 + b'"}',         # 9 too-long-document
        b'{"id": "h", "text": "Second good record."}',         # 10
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    rejects: list[Reject] = []
    reader = JsonlReader("src", max_chars=100, on_reject=rejects.append)

    records = list(reader.read(input_file(path)))

    f = str(path)
    assert [(r.id, r.text) for r in records] == [("src:a", "First good record."), ("src:h", "Second good record.")]
    assert where(rejects) == [
        ("malformed-json", f, 2, None),
        ("invalid-utf8", f, 3, None),
        ("not-an-object", f, 4, None),
        ("missing-text", f, 6, "src:d"),
        ("text-not-a-string", f, 7, "src:e"),
        ("empty-text", f, 8, "src:f"),
        ("too-long-document", f, 9, "src:g"),
    ]
    assert {r.stage for r in rejects} == {"read"}
    assert {r.source for r in rejects} == {"src"}
    by_reason = {r.reason: r for r in rejects}
    # ``raw`` is the offending line as read (today with its line break; see the report)
    assert by_reason["malformed-json"].raw.rstrip("\n") == '{"id": "b", "text": "unterminated'
    assert by_reason["invalid-utf8"].raw.rstrip("\n") == '{"id": "c", "text": "caf\ufffd au lait"}'
    assert by_reason["not-an-object"].raw.rstrip("\n") == '["id", "text"]'
    assert by_reason["not-an-object"].detail == "a JSON list, not an object"
    assert by_reason["text-not-a-string"].detail == "'text' is int, not text"
    assert by_reason["too-long-document"].detail == "101 characters > max_chars 100"
    assert by_reason["malformed-json"].describe().startswith(
        f"{f}, line 2: read set aside this record as 'malformed-json'")
    dropped = {"empty-text": 1, "invalid-utf8": 1, "malformed-json": 1, "missing-text": 1, "not-an-object": 1,
               "text-not-a-string": 1, "too-long-document": 1}
    assert reader.stats.to_dict() == {
        "stage": "read", "records_in": 9, "records_out": 2, "dropped": dropped,
        "by_source": {"src": {"records_in": 9, "records_out": 2, "dropped": dropped}},
    }


def test_rejects_in_a_compressed_file_name_the_decompressed_line(tmp_path):
    path = tmp_path / "messy.jsonl.bz2"
    path.write_bytes(bz2.compress(b'{"id": 1, "text": "ok"}\n{broken\n{"id": 3, "text": "also ok"}\n{"id": 4}\n'))
    rejects: list[Reject] = []

    records = list(read_jsonl(str(path), source="z", on_reject=rejects.append))

    assert [r.id for r in records] == ["z:1", "z:3"]
    assert where(rejects) == [("malformed-json", str(path), 2, None), ("missing-text", str(path), 4, "z:4")]


def test_without_on_reject_bad_lines_are_only_counted(tmp_path):
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b'{"id": 1, "text": "kept"}\nnot json\n')
    reader = JsonlReader("q")

    assert [r.id for r in reader.read(input_file(path))] == ["q:1"]
    assert reader.stats.to_dict()["dropped"] == {"malformed-json": 1}


def test_a_caption_alone_must_still_be_text_with_content(tmp_path):
    path = tmp_path / "captions.jsonl"
    path.write_bytes(jsonl_bytes([{"id": "e", "caption": ""}, {"id": "w", "caption": "  "}, {"id": "n", "caption": 7},
                                  {"id": "ok", "caption": "A ship."}]))
    rejects: list[Reject] = []

    records = list(read_jsonl(str(path), source="img", on_reject=rejects.append))

    assert [r.id for r in records] == ["img:ok"]
    assert [(r.reason, r.line) for r in rejects] == [("empty-text", 1), ("empty-text", 2), ("text-not-a-string", 3)]


def test_a_byte_order_mark_at_the_start_of_jsonl_or_csv_is_not_content(tmp_path):
    (tmp_path / "bom.jsonl").write_bytes(b"\xef\xbb\xbf" + jsonl_bytes([{"id": 1, "text": "Hello."}]))
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbfid,text\r\n1,Hello.\r\n")  # Excel's "CSV UTF-8"

    from_jsonl = [(r.id, r.text, r.metadata) for r in read_jsonl(str(tmp_path / "bom.jsonl"), source="s")]
    from_csv = [(r.id, r.text, r.metadata) for r in read_csv(str(tmp_path / "bom.csv"), source="s")]

    assert from_jsonl == from_csv == [("s:1", "Hello.", None)]


# -- CSV ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("nl", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_csv_quoted_field_may_span_lines_and_later_lines_are_counted_right(tmp_path, nl):
    path = tmp_path / "letters.csv"
    rows = [
        b"id,text,rights,year",                               # 1 header
        b'c1,"A letter that' + nl.encode() + b'spans two lines",CC0,1901',  # 2-3
        b"c2,too,many,fields,here",                           # 4 malformed-csv
        b"c3,A plain row,PD,1902",                            # 5
        b"c4,caf\xe9 in latin-1,PD,1903",                     # 6 invalid-utf8
        b"c5,,PD,1904",                                       # 7 empty cell: missing-text
        b'c6,"Another ""quoted"" row, with a comma",PD,1905',  # 8
    ]
    path.write_bytes(nl.encode().join(rows) + nl.encode())
    rejects: list[Reject] = []
    reader = CsvReader("csv", fields={"license": "rights"}, on_reject=rejects.append)

    records = list(reader.read(input_file(path)))

    f = str(path)
    assert fields_of(records, "id", "text", "license_raw", "metadata") == [
        ("csv:c1", f"A letter that{nl}spans two lines", "CC0", '{"year":"1901"}'),
        ("csv:c3", "A plain row", "PD", '{"year":"1902"}'),
        ("csv:c6", 'Another "quoted" row, with a comma', "PD", '{"year":"1905"}'),
    ]
    assert where(rejects) == [
        ("malformed-csv", f, 4, None),
        ("invalid-utf8", f, 6, None),
        ("missing-text", f, 7, "csv:c5"),
    ]
    assert rejects[0].detail == "5 fields, header has 4"
    assert rejects[0].raw == "c2,too,many,fields,here"
    assert rejects[1].raw == "c4,caf\ufffd in latin-1,PD,1903"
    assert reader.stats.to_dict()["by_source"] == {"csv": {
        "records_in": 6, "records_out": 3,
        "dropped": {"invalid-utf8": 1, "malformed-csv": 1, "missing-text": 1}}}


def test_read_csv_with_another_delimiter(tmp_path):
    path = tmp_path / "poems.tsv"
    path.write_text("poem_id\tbody\tpoet\n7\tShall I compare thee, to a summer's day?\tShakespeare\n", encoding="utf-8")

    (record,) = read_csv(str(path), source="poems", fields={"id": "poem_id", "text": "body", "author": "poet"},
                         delimiter="\t")

    assert (record.id, record.text, record.author, record.metadata) == (
        "poems:7", "Shall I compare thee, to a summer's day?", "Shakespeare", None)


def test_an_empty_csv_file_gives_nothing(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    reader = CsvReader("e")

    assert list(reader.read(input_file(path))) == []
    assert reader.stats.records_in == 0


# -- Parquet ----------------------------------------------------------------------------------------------

CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
PDM = "https://creativecommons.org/publicdomain/mark/1.0/"


def test_parquet_nested_struct_columns_by_dotted_path(tmp_path):
    body = pa.struct([("text", pa.string())])
    meta = pa.struct([("rights", pa.struct([("url", pa.string())]))])
    table = pa.table({
        "doc_id": pa.array([101, 102, 103, 104, 105], pa.int64()),
        "body": pa.array([{"text": "First article."}, {"text": "Second article."}, {"text": "Third article."},
                          {"text": None}, {"text": "Fifth article."}], body),
        "meta": pa.array([{"rights": {"url": CC0}}, {"rights": {"url": PDM}}, {"rights": None},
                          {"rights": {"url": CC0}}, {"rights": {"url": PDM}}], meta),
        "pages": pa.array([3, 1, 7, 2, 5], pa.int32()),
    })
    path = tmp_path / "news.parquet"
    pq.write_table(table, path, row_group_size=2)  # rows 4 and 5 are in the third row group
    rejects: list[Reject] = []

    records = list(read_parquet(str(path), source="news",
                                fields={"id": "doc_id", "text": "body.text", "license": "meta.rights.url"},
                                on_reject=rejects.append))

    assert fields_of(records, "id", "text", "license_raw", "license", "metadata") == [
        ("news:101", "First article.", CC0, None, '{"pages":3}'),
        ("news:102", "Second article.", PDM, None, '{"pages":1}'),
        ("news:103", "Third article.", None, None, '{"pages":7}'),
        ("news:105", "Fifth article.", PDM, None, '{"pages":5}'),
    ]
    assert where(rejects) == [("missing-text", str(path), 4, "news:104")]  # ``line`` is the 1-based row


def test_parquet_reader_class_counts_rows(tmp_path):
    path = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"id": ["x", "y"], "text": ["Ex.", "Why."], "shelf": ["a", "b"]}), path)
    reader = ParquetReader("pq", metadata=None)

    records = list(reader.read(input_file(path)))

    assert fields_of(records, "id", "text", "metadata") == [("pq:x", "Ex.", None), ("pq:y", "Why.", None)]
    assert reader.stats.to_dict()["by_source"] == {"pq": {"records_in": 2, "records_out": 2, "dropped": {}}}


def test_a_file_that_is_not_parquet_is_an_input_error(tmp_path):
    path = tmp_path / "fake.parquet"
    path.write_bytes(b"this is not parquet at all")

    with pytest.raises(InputError, match="fake.parquet: not a readable Parquet file"):
        list(read_parquet(str(path), source="p"))


# -- a folder of text files ---------------------------------------------------------------------------


@pytest.fixture
def letters(tmp_path) -> Path:
    root = tmp_path / "letters"
    (root / "en").mkdir(parents=True)
    (root / "fr").mkdir()
    (root / "en" / "letter-0001.txt").write_text("Dear Sir,\nI write to you from Bath.\n", encoding="utf-8")
    (root / "en" / "letter-0002.txt").write_bytes("\ufeffMy dear Jane,\nAll is well.\n".encode("utf-8"))
    (root / "fr" / "lettre-0001.txt").write_text("Cher ami,\nJe t'écris de Paris.\n", encoding="utf-8")
    (root / "fr" / "bad.txt").write_bytes(b"Ch\xe8re amie,\n")  # latin-1
    (root / "blank.txt").write_text("  \n\n", encoding="utf-8")
    return root


EXPECTED_LETTERS = [
    ("letters:en/letter-0001", "Dear Sir,\nI write to you from Bath.\n"),
    ("letters:en/letter-0002", "My dear Jane,\nAll is well.\n"),  # the byte-order mark is not text
    ("letters:fr/lettre-0001", "Cher ami,\nJe t'écris de Paris.\n"),
]


def test_text_folder_one_record_per_file_id_is_relative_path_without_extension(letters):
    rejects: list[Reject] = []

    records = list(read_text(str(letters), source="letters", on_reject=rejects.append))

    assert fields_of(records, "id", "text") == EXPECTED_LETTERS
    assert [record_hash(r) for r in records] == [content_hash(t) for _, t in EXPECTED_LETTERS]
    assert [(r.source, r.url, r.metadata, r.license_raw) for r in records] == [("letters", None, None, None)] * 3
    assert where(rejects) == [
        ("empty-text", str(letters / "blank.txt"), 1, "letters:blank"),
        ("invalid-utf8", str(letters / "fr" / "bad.txt"), None, "letters:fr/bad"),  # the whole file
    ]


def test_text_ids_are_relative_to_the_fixed_part_of_a_glob(letters):
    records = list(read_text(str(letters / "**" / "*.txt"), source="letters"))

    assert fields_of(records, "id", "text") == EXPECTED_LETTERS


def test_text_reader_class_counts_files(letters):
    reader = TextReader("letters")

    records = list(reader.read_all(expand_paths([str(letters)])))

    assert len(records) == 3
    assert reader.stats.to_dict()["by_source"] == {"letters": {
        "records_in": 5, "records_out": 3, "dropped": {"empty-text": 1, "invalid-utf8": 1}}}


def test_a_single_text_file_is_named_by_its_file_name(letters):
    (record,) = read_text(str(letters / "en" / "letter-0002.txt"), source="letters")

    assert (record.id, record.text) == ("letters:letter-0002", "My dear Jane,\nAll is well.\n")


# -- paths and globs -------------------------------------------------------------------------------------


@pytest.fixture
def parts(tmp_path) -> Path:
    root = tmp_path / "parts"
    (root / "sub").mkdir(parents=True)
    for rel, n in [("part-2.jsonl", 2), ("part-10.jsonl", 10), ("sub/part-1.jsonl", 1)]:
        (root / rel).write_bytes(jsonl_bytes([{"id": f"r{n}", "text": f"record {n}"}]))
    (root / "notes.md").write_text("not an input", encoding="utf-8")
    return root


def test_expand_paths_sorts_and_drops_repeats_of_overlapping_patterns(parts):
    files = expand_paths([str(parts / "sub" / "*.jsonl"), str(parts / "*.jsonl"), str(parts / "part-2.jsonl"),
                          str(parts / "**" / "*.jsonl")])

    assert [f.url for f in files] == [str(parts / "part-10.jsonl"), str(parts / "part-2.jsonl"),
                                      str(parts / "sub" / "part-1.jsonl")]
    assert [f.size for f in files] == [os.path.getsize(f.url) for f in files]


def test_a_pattern_matching_nothing_is_an_input_error_naming_it(parts):
    missing = str(parts / "*.jsonl.gz")
    with pytest.raises(InputError) as err:
        expand_paths([str(parts / "*.jsonl"), missing])
    assert str(err.value) == f"no input file matches '{missing}'"

    absent = str(parts / "no-such-file.jsonl")
    with pytest.raises(InputError, match="no-such-file.jsonl"):
        list(read_jsonl(absent, source="x"))


def test_a_directory_path_reads_every_file_below_it(parts):
    files = expand_paths([str(parts)])

    assert [f.url for f in files] == [str(parts / "notes.md"), str(parts / "part-10.jsonl"),
                                      str(parts / "part-2.jsonl"), str(parts / "sub" / "part-1.jsonl")]
    assert {f.root for f in files} == {str(parts)}


def test_read_jsonl_takes_a_list_of_patterns_and_reads_in_path_order(parts):
    records = list(read_jsonl([str(parts / "sub" / "*.jsonl"), str(parts / "part-*.jsonl")], source="p"))

    assert [(r.id, r.text) for r in records] == [("p:r10", "record 10"), ("p:r2", "record 2"), ("p:r1", "record 1")]


# -- fsspec locations ---------------------------------------------------------------------------------------


@pytest.fixture
def memfs():
    fs = fsspec.filesystem("memory")
    root = f"/pdcorpus-test-{uuid.uuid4().hex[:8]}"
    yield fs, root
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_inputs_on_an_fsspec_memory_filesystem(memfs):
    fs, root = memfs
    fs.pipe(f"{root}/in/a.jsonl.gz", gzip.compress(jsonl_bytes(BOOKS[:2])))
    fs.pipe(f"{root}/in/b.jsonl", jsonl_bytes([BOOKS[2]]) + b"{oops\n")
    rejects: list[Reject] = []

    files = expand_paths([f"memory://{root}/in/*.jsonl*"])
    records = list(read_jsonl(f"memory://{root}/in/*.jsonl*", source="books", fields=BOOK_FIELDS,
                              on_reject=rejects.append))

    assert [f.url for f in files] == [f"memory://{root}/in/a.jsonl.gz", f"memory://{root}/in/b.jsonl"]
    assert fields_of(records, *RECORD_VIEW) == EXPECTED_BOOKS
    assert where(rejects) == [("malformed-json", f"memory://{root}/in/b.jsonl", 2, None)]


def test_text_folder_on_an_fsspec_memory_filesystem(memfs):
    fs, root = memfs
    fs.pipe(f"{root}/letters/en/letter-0001.txt", b"Dear Sir,\n")
    fs.pipe(f"{root}/letters/fr/lettre-0001.txt", "Cher ami,\n".encode())

    by_dir = [(r.id, r.text) for r in read_text(f"memory://{root}/letters", source="letters")]
    by_glob = [(r.id, r.text) for r in read_text(f"memory://{root}/letters/*/*.txt", source="letters")]

    assert by_dir == by_glob == [("letters:en/letter-0001", "Dear Sir,\n"), ("letters:fr/lettre-0001", "Cher ami,\n")]

