"""pdcorpus as a library: stages over plain iterables, no corpus file."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

import pdcorpus as pdc
from pdcorpus import ExactDedup, FilterStage, LengthFilter, Pipeline, Record


def rec(id: str, text: str, source: str = "s") -> Record:
    return Record(id=f"{source}:{id}", source=source, text=text, content_hash=pdc.content_hash(text))


def test_a_pipeline_of_jsonl_dedup_and_parquet_in_a_few_lines(tmp_path):
    lines = [{"book_id": i, "body": t, "rights": "Public domain in the USA."}
             for i, t in enumerate(["Call me Ishmael.", "It is a truth universally acknowledged.",
                                    "call  me ISHMAEL.", "Short"])]
    (tmp_path / "books.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n")

    records = pdc.read_jsonl(str(tmp_path / "*.jsonl"), source="books",
                             fields={"id": "book_id", "text": "body", "license": "rights"})
    pipeline = Pipeline([LengthFilter(min_chars=10), ExactDedup()])
    with pdc.ParquetShardWriter(str(tmp_path / "out"), max_bytes="64MB") as writer:
        writer.write_all(pipeline(records))

    [shard] = writer.shards
    assert shard.path.endswith("out/train-00000-of-00001.parquet")
    rows = pq.read_table(shard.path).to_pylist()
    assert [r["id"] for r in rows] == ["books:0", "books:1"]
    assert rows[0]["license_raw"] == "Public domain in the USA."
    length, dedup = pipeline.stats()
    assert length.to_dict()["dropped"] == {"too-short": 1}
    assert (dedup.records_in, dedup.records_out, dict(dedup.dropped)) == (3, 2, {"duplicate": 1})


def test_exact_dedup_keeps_the_record_chosen_by_rule_whatever_the_order():
    a, b = rec("b", "Same text"), rec("a", "same   TEXT")
    for order in ([a, b], [b, a]):
        kept = list(ExactDedup()(order))
        assert [r.id for r in kept] == ["s:a"]
    ranked = ExactDedup(source_priority={"museum": 0, "books": 1})
    kept = list(ranked([rec("1", "x y", "books"), rec("9", "X Y", "museum")]))
    assert [r.id for r in kept] == ["museum:9"]


def test_rejected_records_reach_the_sink_with_their_reason():
    seen = []
    pipeline = Pipeline([LengthFilter(min_chars=5, max_chars=10), ExactDedup()], on_reject=seen.append)
    out = list(pipeline([rec("1", "tiny"), rec("2", "just right"), rec("3", "far too long for this"),
                         rec("4", "JUST RIGHT")]))
    assert [r.id for r in out] == ["s:2"]
    assert [(r.id, r.stage, r.reason) for r in seen] == [
        ("s:1", "length", "too-short"), ("s:3", "length", "too-long"), ("s:4", "dedup:exact", "duplicate")]
    assert seen[2].detail == "of s:2"


def test_a_new_filter_is_one_method():
    class NoDigits(FilterStage):
        name = "no-digits"

        def filter(self, record):
            return (not any(c.isdigit() for c in record.text)), "has-digits"

    stage = NoDigits()
    out = list(stage([rec("1", "abc"), rec("2", "a1c")]))
    assert [r.id for r in out] == ["s:1"]
    assert stage.stats.to_dict()["by_source"] == {"s": {"records_in": 2, "records_out": 1,
                                                         "dropped": {"has-digits": 1}}}


def test_shard_writer_rolls_shards_by_size(tmp_path):
    import random
    rng = random.Random(1)
    records = [rec(str(i), " ".join(str(rng.random()) for _ in range(200))) for i in range(400)]
    with pdc.ParquetShardWriter(str(tmp_path / "out"), max_bytes="100KB", batch_rows=50) as writer:
        writer.write_all(records)
    n = len(writer.shards)
    assert n > 2
    assert [s.path.rsplit("/", 1)[1] for s in writer.shards] == [f"train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    assert sum(s.rows for s in writer.shards) == 400
    assert all(s.bytes <= 100_000 * 1.1 for s in writer.shards)
    ids = [r for s in writer.shards for r in pq.read_table(s.path, columns=["id"]).column("id").to_pylist()]
    assert ids == [r.id for r in records]
