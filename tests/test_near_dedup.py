"""Near-duplicates by MinHash LSH, and dedup against an earlier release."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

import pdcorpus
from pdcorpus import MinHashDedup, Pipeline, Record
from pdcorpus.minhash import MinHasher, UnionFind, optimal_bands

from conftest import make_text


def rec(i: str, text: str, source: str = "s") -> Record:
    return Record(id=f"{source}:{i}", source=source, text=text, content_hash=pdcorpus.content_hash(text))


def edit(text: str, fraction: float, rng: random.Random) -> str:
    """Replaces a fraction of the words: near copies at a chosen distance."""
    words = text.split()
    for i in rng.sample(range(len(words)), max(1, int(len(words) * fraction))):
        words[i] = rng.choice(["zebra", "quartz", "nebula", "vortex", "saffron", "glacier"]) + str(i)
    return " ".join(words)


def word_jaccard(a: str, b: str, k: int = 5) -> float:
    def grams(t):
        w = t.lower().replace(".", " ").split()
        return {tuple(w[i:i + k]) for i in range(len(w) - k + 1)}
    return len(grams(a) & grams(b)) / len(grams(a) | grams(b))


def test_signatures_estimate_jaccard_and_are_deterministic():
    rng = random.Random(3)
    base = make_text(rng, 600)
    hasher = MinHasher(num_perm=256)
    errors = []
    for fraction in (0.01, 0.03, 0.06, 0.1, 0.2):
        copy = edit(base, fraction, rng)
        sig, ok = hasher.signatures([base, copy])
        errors.append(abs(float(np.mean(sig[0] == sig[1])) - word_jaccard(base, copy)))
    assert ok.all() and max(errors) < 0.1 and np.mean(errors) < 0.05
    again, _ = MinHasher(num_perm=256).signatures([base])
    assert (again[0] == hasher.signatures([base])[0][0]).all()
    same, ok = hasher.signatures(["One and the same.", "one AND the   same!", "", "..."])
    assert (same[0] == same[1]).all() and ok.tolist() == [True, True, False, False]


def test_bands_follow_the_threshold_and_favour_recall():
    stage = MinHashDedup(threshold=0.8)
    bands, rows = stage.bands, stage.rows
    assert bands * rows <= 128
    p = lambda s: 1 - (1 - s ** rows) ** bands  # probability that a pair at similarity s becomes a candidate
    assert p(0.85) > 0.99 and p(0.8) > 0.9 and p(0.3) < 0.01  # candidates are verified: recall first
    assert optimal_bands(0.8, 128) != (bands, rows)  # equal weights would lose more true pairs
    low = MinHashDedup(threshold=0.5)
    assert low.rows < rows


def test_union_find_joins_chains():
    found = UnionFind()
    for a, b in [(1, 2), (3, 4), (2, 3), (10, 11)]:
        found.union(a, b)
    assert sorted(sorted(g) for g in found.groups().values()) == [[1, 2, 3, 4], [10, 11]]


def test_near_copies_are_clustered_and_one_survives_by_rule():
    rng = random.Random(5)
    originals = [make_text(rng, 300) for _ in range(20)]
    records = [rec(f"o{i:02d}", t) for i, t in enumerate(originals)]
    records += [rec(f"n{i:02d}", edit(originals[i], 0.01, rng), source="another") for i in range(5)]
    records += [rec(f"far{i:02d}", edit(originals[i], 0.5, rng)) for i in range(5, 10)]
    rejects = []
    stage = MinHashDedup(threshold=0.8, source_priority={"s": 0, "another": 1})
    out = list(Pipeline([stage], on_reject=rejects.append)(records))
    assert sorted(r.id for r in rejects) == [f"another:n{i:02d}" for i in range(5)]
    assert all(r.reason == "near-duplicate" and r.detail == f"of s:o{r.id[-2:]} (cluster of 2)" for r in rejects)
    kept = {r.id: r for r in out}
    assert len(kept) == 25  # 20 originals and 5 far copies
    assert (kept["s:o00"].dedup_cluster, kept["s:o00"].dedup_cluster_size) == ("s:o00", 2)
    assert kept["s:far05"].dedup_cluster is None and kept["s:o07"].dedup_cluster is None
    assert stage.counts["clusters"] == 5 and stage.counts["records_in_clusters"] == 10


def write_docs(folder: Path, name: str, docs: list[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in docs))


def near_corpus(folder: Path, seed: int = 11) -> dict[str, str]:
    """Three files: originals, near copies of some (1% edited), far copies (40% edited), exact copies."""
    rng = random.Random(seed)
    originals = {f"o{i:03d}": make_text(rng, rng.randint(80, 400)) for i in range(120)}
    near = {f"n{i:03d}": edit(originals[f"o{i:03d}"], 0.01, rng) for i in range(0, 120, 4)}
    far = {f"f{i:03d}": edit(originals[f"o{i:03d}"], 0.4, rng) for i in range(1, 120, 8)}
    exact = {f"e{i:03d}": originals[f"o{i:03d}"].upper() for i in range(2, 120, 10)}
    docs = {**originals, **near, **far, **exact}
    items = sorted(docs.items())
    for part in range(3):
        write_docs(folder, f"part-{part}.jsonl", items[part::3])
    return docs


CONFIG = """name: near
output: {out}
sources:
  - name: docs
    read: {{format: jsonl, paths: ["{glob}"]}}
stages:
{stages}
shards: {{max_bytes: 40KB}}
exchange: {{buckets: 3}}
"""


def build(tmp_path: Path, name: str, glob: str, stages: str, workers: int = 2) -> tuple[dict, Path]:
    out = tmp_path / name
    config = tmp_path / f"{name}.yaml"
    config.write_text(CONFIG.format(out=out, glob=glob, stages=stages))
    return pdcorpus.build(config, workers=workers, progress=False), out


def shards(out: Path, manifest: dict) -> list[dict]:
    return [r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()]


def test_a_build_removes_near_copies_identically_for_one_and_two_workers(tmp_path):
    docs = near_corpus(tmp_path / "in")
    stages = "  - dedup: {method: minhash, threshold: 0.8}\n"
    results = [build(tmp_path, f"out{w}", str(tmp_path / "in/*.jsonl"), stages, workers=w) for w in (1, 2)]
    (manifest, out), (manifest2, out2) = results
    digests = [{s["path"]: s["sha256"] for s in m["shards"]} for m, _ in results]
    assert digests[0] == digests[1] and len(digests[0]) > 1
    rows = shards(out, manifest)
    ids = {r["id"].split(":")[1] for r in rows}
    # Of each original with its near and exact copies, exactly one is kept: the lowest id, by rule.
    for i in range(120):
        group = {f"o{i:03d}"} | ({f"n{i:03d}"} if i % 4 == 0 else set()) | ({f"e{i:03d}"} if i % 10 == 2 else set())
        assert (group & ids) == {min(group)}
    assert all(f"f{i:03d}" in ids for i in range(1, 120, 8))  # 40% edited: not near duplicates
    assert len(rows) == 120 + len(range(1, 120, 8))
    clustered = [r for r in rows if r["dedup_cluster"]]
    assert all(r["dedup_cluster"] == r["id"] and r["dedup_cluster_size"] >= 2 for r in clustered)
    info = manifest["near_dedup"]["stages[0]"]
    assert info["clusters"] == len(clustered) == len(range(0, 120, 4)) + len([i for i in range(2, 120, 10) if i % 4])
    rejects = [json.loads(line) for f in manifest["rejects"]["files"] for line in (out / f).read_text().splitlines()]
    assert {r["reason"] for r in rejects} == {"near-duplicate"} and len(rejects) == len(docs) - len(rows)


def test_exact_then_near_dedup_in_one_pipeline(tmp_path):
    near_corpus(tmp_path / "in")
    stages = "  - dedup: {method: exact}\n  - dedup: {method: minhash, threshold: 0.8}\n  - length: {min_chars: 1}\n"
    manifest, out = build(tmp_path, "out", str(tmp_path / "in/*.jsonl"), stages)
    dropped = manifest["dropped"]
    assert dropped["dedup:exact:duplicate"] == len([i for i in range(2, 120, 10)])
    assert dropped["dedup:minhash:near-duplicate"] == len(range(0, 120, 4))
    assert manifest["records_out"] == 120 + len(range(1, 120, 8))


@pytest.mark.parametrize("method", ["exact", "minhash"])
def test_an_incremental_release_publishes_only_what_is_new(tmp_path, method):
    rng = random.Random(21)
    first = [(f"a{i:02d}", make_text(rng, 200)) for i in range(30)]
    write_docs(tmp_path / "r1", "part-0.jsonl", first)
    stages = f"  - dedup: {{method: {method}}}\n"
    manifest1, out1 = build(tmp_path, "release1", str(tmp_path / "r1/*.jsonl"), stages)
    assert manifest1["records_out"] == 30

    new = [(f"b{i:02d}", make_text(rng, 200)) for i in range(10)]
    again = [(f"c{i:02d}", text if method == "exact" else edit(text, 0.01, rng)) for i, (_, text) in enumerate(first[:8])]
    write_docs(tmp_path / "r2", "part-0.jsonl", new + again)
    stages2 = f"  - dedup: {{method: {method}, against: {out1}}}\n"
    manifest2, out2 = build(tmp_path, "release2", str(tmp_path / "r2/*.jsonl"), stages2)
    rows = shards(out2, manifest2)
    assert sorted(r["id"] for r in rows) == [f"docs:b{i:02d}" for i in range(10)]
    assert manifest2["previous_release"]["records"] == 30
    stage = next(s for s in manifest2["stages"] if s["stage"].startswith("dedup"))
    assert stage["records_in"] == 18 and stage["dropped"] == {"in-previous-release": 8}
    assert "previous-release" not in manifest2["sources"]


def test_against_a_folder_without_a_build_fails_before_work(tmp_path):
    write_docs(tmp_path / "in", "a.jsonl", [("x", "some text here")])
    with pytest.raises(pdcorpus.io.readers.InputError, match="no readable manifest.json"):
        build(tmp_path, "out", str(tmp_path / "in/*.jsonl"), f"  - dedup: {{method: exact, against: {tmp_path / 'nothing'}}}\n")
