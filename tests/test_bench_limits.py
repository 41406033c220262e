"""The helpers of benchmarks/bench_limits.py (the profile set beside the machine's limits, issue 16).

The plain script that gives "this machine's limit for the whole job" must do the reference job: keep what
pdcorpus's rights stage keeps (by the statements' meaning and the US rule, publication + 95 years), one row per
distinct normalized text, and write readable Parquet; the comparison's arithmetic must be expected seconds
at the limit's rate over the row's own seconds; the section must leave the rest of RESULTS.md alone.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


bl = _load("bench_limits", ROOT / "benchmarks" / "bench_limits.py")

OLD = 1887  # published more than 95 years ago: public domain in the US
RECENT = dt.date.today().year - 20  # still in copyright in the US
EN = ("The committee met on Tuesday to discuss the annual budget and the plans for the new library. "
      "Several members asked whether the town could afford the repairs before winter. ") * 4
FR = ("Le conseil municipal s'est réuni mardi pour discuter du budget annuel et des projets de la nouvelle "
      "bibliothèque. Plusieurs membres ont demandé si la ville pouvait payer les travaux avant l'hiver. ") * 4


def _rows() -> list[dict]:
    rows = []

    def add(statement, date, text):
        rows.append({"doc_id": f"d{len(rows)}", "text": text, "rights": statement, "url": None, "date": date})

    add("Public domain in the USA.", "1990", EN)
    add("Public domain in the USA.", None, EN.upper().replace(". ", ".   "))  # the same after normalizing
    add("Copyrighted. Read the copyright notice inside this book for details.", "1887", FR)
    add(None, None, "Delta text four, no statement.")  # no statement: review, out of the corpus
    add("No known copyright restrictions", str(OLD), FR)
    add("No known copyright restrictions", f"{RECENT}-03-12", "Zeta text six, too recent.")
    add("No known copyright restrictions", OLD, "Eta text seven, a number as date.")  # read as "1887"
    return rows


def test_allow_list_keeps_what_pdcorpus_rights_stage_keeps():
    rows = _rows()
    pairs = {(bl.as_key(r["rights"]), bl.as_key(r["date"])) for r in rows}
    by_statement, by_pair = bl.allow_list(bl.decide_pairs(pairs, dt.date.today().isoformat()))
    kept = [r["doc_id"] for r in rows if bl.keep_by_list(by_statement, by_pair, r["rights"], r["date"])]
    assert kept == ["d0", "d1", "d4", "d6"]
    # only "No known copyright restrictions" depends on the date; the rest is decided by the statement alone
    assert {st for st, _d in by_pair} == {"No known copyright restrictions"}
    assert by_statement["Public domain in the USA."] is True
    assert by_statement["Copyrighted. Read the copyright notice inside this book for details."] is False
    # a statement never seen is not kept
    assert bl.keep_by_list(by_statement, by_pair, "CC BY-NC 4.0 never seen", "1887") is False


def test_plain_pipeline_keeps_one_row_per_normalized_text(tmp_path):
    pytest.importorskip("pycld2")
    import pyarrow.parquet as pq

    rows = _rows()
    path = tmp_path / "part-00000.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    pairs = bl.distinct_pairs([path])
    assert len(pairs) == 6  # 7 docs; d4 and d6 share ("No known copyright restrictions", "1887")
    by_statement, by_pair = bl.allow_list(bl.decide_pairs(pairs, dt.date.today().isoformat()))
    out = tmp_path / "plain.parquet"
    result = bl.plain_pipeline([str(path)], by_statement, by_pair, str(out), 1000)
    assert (result["docs"], result["kept"], result["rows"]) == (7, 4, 3)  # d1 is d0 after normalizing
    table = pq.read_table(out).to_pydict()
    assert table["id"] == ["d0", "d4", "d6"]
    assert table["language"][:2] == ["en", "fr"]
    assert len(set(table["content_hash"])) == 3


def test_expected_seconds_and_ratio():
    limits = {"parts": {"cld2_1000": {"docs_per_s": 4000.0}, "parquet_write": {"chars_per_s": 2e8},
                        "parquet_read": {"parquet_bytes_per_s": 1e8}, "normalize": {"chars_per_s": 4e7},
                        "encode": {"chars_per_s": 4e8}, "xxh3_128": {"chars_per_s": 4e9},
                        "records_to_table": {"chars_per_s": 2e8}, "isal_parse": {"chars_per_s": 2e8},
                        "rights_stage": {"docs_per_s": 1e5}, "sha256_inputs": {"gzip_bytes_per_s": 1e9}}}

    def row(name, kind, seconds, **kw):
        return {"name": name, "kind": kind, "seconds": seconds, "share": 0.0, **kw}

    profile = {"phases": [
        {"phase": "p0-read", "tasks": 1, "task_seconds": 2.0, "share": 80.0, "input_bytes": 10**8, "rows": [
            row("corpus/read", "stage", 1.0, records_in=1000, chars_out=10**8),
            row("global/1/language:cld2", "stage", 0.5, records_in=1000, chars_in=10**8),
            row("exchange write", "exchange", 0.4, records_in=1000, chars_in=4 * 10**7),
            row("other", "other", 0.1)]},
        {"phase": "p3-write", "tasks": 1, "task_seconds": 0.5, "share": 20.0, "rows": [
            row("exchange read", "exchange", 0.2, records_in=1000, bytes_in=10**7),
            row("global/-1/write", "stage", 0.3, records_in=1000, chars_in=6 * 10**7)]}]}
    c = bl.compare(profile, limits, 1000)
    read, write = c
    by = {r["name"]: r for r in read["rows"]}
    assert by["corpus/read"]["expected_seconds"] == pytest.approx(0.5)  # 1e8 chars at 2e8 chars/s
    assert by["corpus/read"]["ratio"] == pytest.approx(0.5)
    assert by["global/1/language:cld2"]["ratio"] == pytest.approx(0.25 / 0.5)  # 1000 docs at 4000 docs/s
    # the read phase's exchange write: normalization + encoding + hash + table + Parquet, summed
    assert by["exchange write"]["expected_seconds"] == pytest.approx(4e7 / 4e7 + 4e7 / 4e8 + 4e7 / 4e9 + 0.2 + 0.2)
    assert by["other"]["expected_seconds"] is None and by["other"]["ratio"] is None
    assert read["expected_seconds"] == pytest.approx(0.5 + 0.25 + 1.51)
    assert read["ratio"] == pytest.approx((0.5 + 0.25 + 1.51) / 2.0)
    wby = {r["name"]: r for r in write["rows"]}
    assert wby["exchange read"]["expected_seconds"] == pytest.approx(0.1)  # 1e7 compressed bytes at 1e8 B/s
    assert wby["global/-1/write"]["expected_seconds"] == pytest.approx(0.3)
    assert wby["global/-1/write"]["ratio"] == pytest.approx(1.0)


def test_write_section_replaces_only_its_own(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# results\n\n## Other\n\nother text\n\n" + bl.SECTION_TITLE + "\n\nold\n\n## Near-dedup\n\nnear\n")
    bl.write_section(path, bl.SECTION_TITLE + "\n\nnew\n")
    assert path.read_text() == ("# results\n\n## Other\n\nother text\n\n" + bl.SECTION_TITLE + "\n\nnew\n\n"
                                "## Near-dedup\n\nnear\n")
    fresh = tmp_path / "NEW.md"
    fresh.write_text("# results\n\n## Other\n\ntext\n")
    bl.write_section(fresh, bl.SECTION_TITLE + "\n\nfirst\n")
    assert fresh.read_text() == "# results\n\n## Other\n\ntext\n\n" + bl.SECTION_TITLE + "\n\nfirst\n"
