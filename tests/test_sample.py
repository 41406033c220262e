"""The bundled sample, built by the command the README gives, checked against the generator's ground truth."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = json.loads((ROOT / "samples" / "EXPECTED.json").read_text())
REASONS = {"invalid_json": "malformed-json", "invalid_utf8": "invalid-utf8", "missing_text": "missing-text",
           "non_string_text": "text-not-a-string", "empty_text": "missing-text"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sample") / "out"
    run = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", "configs/sample.yaml", "--output", str(out),
                          "--workers", "2"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "records in 5 shards" in run.stdout
    return out


def test_the_sample_generator_is_deterministic(tmp_path):
    """The committed sample is what generate.py makes (the ground truth lists every file's sha256)."""
    for source in EXPECTED["sources"].values():
        for f in source["files"]:
            data = (ROOT / "samples" / f["path"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == f["sha256"], f["path"]


def test_every_input_record_is_read_and_malformed_ones_are_set_aside(sample):
    manifest = json.loads((sample / "manifest.json").read_text())
    assert sum(manifest["sources"][name]["records_read"] for name in EXPECTED["sources"]) == \
        EXPECTED["totals"]["input_records"]
    for name, truth in EXPECTED["sources"].items():
        read = next(s for s in manifest["stages"] if s["scope"] == name and s["stage"] == "read")
        assert read["records_in"] == truth["input_records"], name
        assert read["records_out"] == truth["valid_records"], name
        expected = Counter()
        for kind, n in truth["malformed"].items():
            expected[REASONS[kind]] += n
        assert read["dropped"] == dict(expected), name
    rejects = [json.loads(line) for f in manifest["rejects"]["files"] for line in (sample / f).read_text().splitlines()]
    read_rejects = [r for r in rejects if r["stage"] == "read" and r["source"] in EXPECTED["sources"]]
    assert len(read_rejects) == EXPECTED["totals"]["malformed"]
    for truth in (m for s in EXPECTED["sources"].values() for m in s["malformed_detail"]):
        if "line" in truth:  # JSONL: the physical line
            match = [r for r in read_rejects if r["file"].endswith(truth["file"]) and r["line"] == truth["line"]]
        else:  # CSV: the data row number; the reject gives the physical line (text cells span lines) and the id
            match = [r for r in read_rejects if r["file"].endswith(truth["file"])
                     and r["id"] == f"{truth['source']}:{truth['id']}"]
            assert match and match[0]["line"] > truth["row"]
        assert [r["reason"] for r in match] == [REASONS[truth["kind"]]], truth


def test_exact_dedup_leaves_one_record_per_normalized_text(sample):
    manifest = json.loads((sample / "manifest.json").read_text())
    rows = [row for shard in manifest["shards"] for row in pq.read_table(sample / shard["path"]).to_pylist()]
    assert len(rows) == manifest["records_out"]
    assert len({r["content_hash"] for r in rows}) == len(rows)
    rows = [r for r in rows if r["source"] in EXPECTED["sources"]]  # the text sources the ground truth covers
    # The records the rights stage let through: those in the shards, and those the later stages set aside.
    rejects = [json.loads(line) for f in manifest["rejects"]["files"] for line in (sample / f).read_text().splitlines()]
    later = ("length", "dedup:exact", "dedup:minhash")
    allowed = {r["id"] for r in rows} | {r["id"] for r in rejects if r["stage"] in later
                                         and r["source"] in EXPECTED["sources"]}
    truth = {f"{r['source']}:{r['id']}": r for r in EXPECTED["records"]}
    kept_by_length = [truth[i] for i in allowed if truth[i]["chars"] >= 50]
    near = [r for r in rejects if r["stage"] == "dedup:minhash" and r["source"] in EXPECTED["sources"]]
    assert len(rows) + len(near) == len({r["normalized_sha256"] for r in kept_by_length})
    # the sample's planned near-duplicates (EXPECTED near_duplicates) that reach the dedup are clustered
    for pair in EXPECTED["near_duplicates"]["planned_pairs"]:
        a, b = (f"{pair[k]['source']}:{pair[k]['id']}" for k in ("a", "b"))
        if pair["jaccard_word5"] >= 0.85 and {a, b} <= allowed and truth[a]["normalized_sha256"] != truth[b]["normalized_sha256"]:
            assert not {a, b} <= {r["id"] for r in rows}, (a, b)
    # Of every duplicate group, the survivor is the member of the earliest source in the config, lowest id.
    order = {"books": 0, "newspapers": 1, "letters": 2, "wiki": 3}
    kept_ids = {r["id"] for r in rows}
    groups_checked = 0
    for group in EXPECTED["exact_duplicate_groups"]:
        members = [f"{m['source']}:{m['id']}" for m in group["members"]]
        members = [m for m in members if m in allowed and truth[m]["chars"] >= 50]
        if len(members) < 2:
            continue
        winner = min(members, key=lambda m: (order[m.split(":")[0]], m))
        assert winner in kept_ids
        assert sum(m in kept_ids for m in members) == 1
        groups_checked += 1
    assert groups_checked >= 5


def test_the_sample_shows_all_three_rights_decisions(sample):
    manifest = json.loads((sample / "manifest.json").read_text())
    decisions = Counter()
    for name in EXPECTED["sources"]:
        for key, n in manifest["sources"][name]["rights_decisions"].items():
            decisions[key.split(":")[0]] += n
    assert decisions["allow"] and decisions["deny"] and decisions["review"]
    assert sum(decisions.values()) == EXPECTED["totals"]["valid_records"]
    review = [row for f in manifest["review"]["files"] for row in pq.read_table(sample / f["path"]).to_pylist()]
    assert len(review) == manifest["review"]["count"]
    assert len([r for r in review if r["source"] in EXPECTED["sources"]]) == decisions["review"]
    assert all(r["rights_reason"].startswith("review: ") for r in review)
    assert {r["rights_reason"].split()[1] for r in review} <= {"us-only-public-domain", "no-known-restrictions",
                                                               "unrecognized-statement", "copyright-not-evaluated"}
    rows = [row for shard in manifest["shards"] for row in pq.read_table(sample / shard["path"]).to_pylist()]
    assert all(r["rights_reason"].startswith("allow: ") for r in rows)
    # Nothing a careful rights librarian would deny reaches the corpus.
    assert not {r["license"] for r in rows} & {"InC", "CC-BY-NC-4.0", "europeana-rr-f", "unknown", "CC-BY-SA-4.0"}
    letters = [r for r in rows if r["source"] == "letters"]
    assert letters and all(r["license"] == "PDM-1.0" and "collection licence stated in the config" in r["rights_reason"]
                           for r in letters)


def test_sample_records_carry_their_provenance(sample):
    rows = {r["id"]: r for r in pq.read_table(sample / "data/books/train-00000-of-00001.parquet").to_pylist()}
    truth = {r["id"]: r for r in EXPECTED["records"] if r["source"] == "books"}
    some_id = next(i for i in rows)
    record, fact = rows[some_id], truth[some_id.split(":", 1)[1]]
    assert record["source"] == "books"
    assert record["license_raw"] == (fact["rights"] or None)
    assert record["url"].startswith("https://www.gutenberg.org/")
    assert json.loads(record["metadata"])["lang"] == fact["lang"]
    letters = pq.read_table(sample / "data/letters/train-00000-of-00001.parquet").column("id").to_pylist()
    assert all(i.startswith("letters:") and i.count("/") == 1 for i in letters)


def test_every_sample_record_gets_its_language_and_quality(sample):
    manifest = json.loads((sample / "manifest.json").read_text())
    truth = {f"{r['source']}:{r['id']}": r["lang"] for r in EXPECTED["records"]}
    rows = [row for shard in manifest["shards"] for row in pq.read_table(sample / shard["path"]).to_pylist()
            if shard["source"] in EXPECTED["sources"]]
    assert [r["id"] for r in rows if r["language"] != truth[r["id"]]] == []
    assert sum(r["language_score"] > 0.5 for r in rows) >= 0.95 * len(rows)  # cld2 halves unreliable answers
    assert all(r["quality"]["chars"] == len(r["text"]) and 0.5 < r["quality"]["alpha_ratio"] <= 1 for r in rows)


def test_the_sample_image_collection_is_read_rights_checked_and_deduplicated(sample):
    manifest = json.loads((sample / "manifest.json").read_text())
    drawings = manifest["sources"]["drawings"]
    assert (drawings["records_read"], drawings["records_out"]) == (11, 6)
    assert drawings["rights_decisions"]["deny:in-copyright"] == 1
    assert drawings["rights_decisions"]["review:no-known-restrictions"] == 1
    rejects = [json.loads(line) for f in manifest["rejects"]["files"] for line in (sample / f).read_text().splitlines()]
    mine = {(r["stage"], r["reason"], r["id"]) for r in rejects if r["source"] == "drawings"}
    assert ("read", "missing-image", None) in {(s, r, None) for s, r, _ in mine}
    assert ("dedup:exact", "duplicate", "drawings:drawing-00-copy") in mine
    assert ("dedup:phash", "near-duplicate", "drawings:drawing-01-small") in mine
    rows = pq.read_table(sample / "data/drawings/train-00000-of-00001.parquet").to_pylist()
    assert all(r["image"]["bytes"] == (ROOT / "samples/images" / r["image"]["path"]).read_bytes() for r in rows)
    assert all(r["caption"].startswith("A simple drawing") and r["language"] == "en" for r in rows)


def test_the_sample_card_in_the_repository_matches_a_fresh_build(sample):
    """docs/sample-output/ is what people read without building: its card metadata must be current."""
    from huggingface_hub import DatasetCard
    committed = DatasetCard((ROOT / "docs/sample-output/README.md").read_text(encoding="utf-8")).data.to_dict()
    fresh = DatasetCard((sample / "README.md").read_text(encoding="utf-8")).data.to_dict()
    assert committed == fresh
    manifest = json.loads((ROOT / "docs/sample-output/manifest.json").read_text())
    assert [s["sha256"] for s in manifest["shards"]] == \
        [s["sha256"] for s in json.loads((sample / "manifest.json").read_text())["shards"]]
