"""One record per id within a source, the first in input order, for any worker count (issue 9, bullet 6).

"Later" is a fact of the inputs: files in sorted order, then lines. A later record with an id its source
already has is set aside as ``duplicate-id``, counted, in rejects, naming the id and where the first was;
the same id in two sources is two records.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pdcorpus


def text(n: int) -> str:
    return f"Article number {n}, long enough to pass any length filter and distinct from every other one."


def write_inputs(root: Path) -> None:
    (root / "news").mkdir(parents=True)
    lines = {
        "a.jsonl": [("1", text(1)), ("2", text(2)), ("1", text(3))],   # line 3: id 1 again, same file
        "b.jsonl": [("2", text(4)), ("4", text(5))],                    # line 1: id 2 again, from a.jsonl
        "c.jsonl": [("5", text(6)), ("1", text(1))],                    # line 2: id 1 a third time, same text
    }
    for name, rows in lines.items():
        (root / "news" / name).write_text("".join(json.dumps({"id": i, "text": t, "license": "CC0-1.0"}) + "\n"
                                                  for i, t in rows))
    # Another source may use the same ids: they are its own.
    (root / "letters.csv").write_text("id,text,license\n1,A letter with the id 1 of another source.,CC0-1.0\n")


def write_config(root: Path, out: Path, stages: str) -> Path:
    config = root / f"corpus-{hashlib.sha1(stages.encode()).hexdigest()[:6]}.yaml"
    config.write_text(
        f"name: ids\noutput: {out}\n"
        "sources:\n"
        f"  - name: news\n    read: {{format: jsonl, paths: ['{root}/news/*.jsonl']}}\n"
        f"  - name: letters\n    read: {{format: csv, paths: ['{root}/letters.csv']}}\n"
        f"stages:{stages}\n"
        "exchange: {buckets: 3}\n")
    return config


def shards(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted((out / "data").rglob("*.parquet"))}


def rejects(out: Path) -> list[dict]:
    found = []
    for path in sorted((out / "rejects").glob("*.jsonl")):
        found += [json.loads(x) for x in path.read_text().splitlines()]
    return sorted(found, key=lambda r: (r["file"] or "", r["id"] or ""))


STAGES = {
    "none": " []",
    "exact": "\n  - dedup: {method: exact}",
    "minhash": "\n  - length: {min_chars: 20}\n  - dedup: {method: minhash, threshold: 0.9}",
}


@pytest.mark.parametrize("stages", sorted(STAGES))
def test_a_later_record_with_a_seen_id_is_set_aside_alike_for_any_worker_count(tmp_path, stages):
    write_inputs(tmp_path)
    builds = {}
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        manifest = pdcorpus.build(write_config(tmp_path, out, STAGES[stages]), workers=workers, progress=False)
        builds[workers] = (out, manifest)
    (out1, manifest), (out2, _) = builds[1], builds[2]
    assert shards(out1) == shards(out2)
    assert rejects(out1) == rejects(out2)

    rows = [row for path in sorted((out1 / "data").rglob("*.parquet")) for row in pq.read_table(path).to_pylist()]
    kept = sorted((r["id"], r["text"]) for r in rows)
    # The first of each id by (file, line) is kept: news:1 and news:2 from a.jsonl.
    assert kept == [("letters:1", "A letter with the id 1 of another source."),
                    ("news:1", text(1)), ("news:2", text(2)), ("news:4", text(5)), ("news:5", text(6))]
    later = [r for r in rejects(out1) if r["reason"] == "duplicate-id"]
    news = str(tmp_path / "news")
    assert [(r["source"], r["id"], Path(r["file"]).name) for r in later] == [
        ("news", "news:1", "a.jsonl"), ("news", "news:2", "b.jsonl"), ("news", "news:1", "c.jsonl")]
    for reject in later:
        assert f"'{reject['id']}'" in reject["detail"] and f"{news}/a.jsonl" in reject["detail"]
    assert "(this file, earlier)" in later[0]["detail"]
    assert manifest["dropped"]["unique-ids:duplicate-id"] == 3
    # the third id 1 has the first one's text too: it is set aside for its id, before any dedup sees it
    assert not any(r["reason"] == "duplicate" for r in rejects(out1))


@pytest.mark.parametrize("stages", sorted(STAGES))
def test_rejects_with_content_carry_the_later_records_text(tmp_path, stages):
    """With exact dedup or none next, the ids phase reads only the read tasks' keys (the records cross the
    exchange once less) and reads a set-aside record back for its text; with a near-dedup next, it reads the
    records. Either way the rejects say the same."""
    write_inputs(tmp_path)
    out = tmp_path / "out"
    config = write_config(tmp_path, out, STAGES[stages])
    config.write_text(config.read_text() + "rejects: {content: true}\n")
    from pdcorpus.config import load_config
    from pdcorpus.plan import make_plan
    assert make_plan(load_config(config)).ids_keys_only == (stages != "minhash")
    pdcorpus.build(config, workers=2, progress=False)
    later = [(r["id"], Path(r["file"]).name, r["text"]) for r in rejects(out) if r["reason"] == "duplicate-id"]
    assert later == [("news:1", "a.jsonl", text(3)), ("news:2", "b.jsonl", text(4)), ("news:1", "c.jsonl", text(1))]
