"""`pdcorpus build` end to end: counts, determinism across workers, resume after kill -9, rejects."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pdcorpus
from pdcorpus.runners.local import TaskFailed

from conftest import read_shards, write_config, write_corpus


def build(config: Path, **kw) -> dict:
    kw.setdefault("progress", False)
    return pdcorpus.build(config, **kw)


def shard_digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "data").rglob("*.parquet"))}


def test_manifest_counts_equal_rows_in_shards(tmp_path, corpus):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"])
    manifest = build(cfg, workers=1)
    out = tmp_path / "out"
    rows = read_shards(out)
    assert manifest["records_out"] == len(rows) == corpus["distinct"]
    assert sum(s["rows"] for s in manifest["shards"]) == len(rows)
    for shard in manifest["shards"]:
        path = out / shard["path"]
        assert pq.ParquetFile(path).metadata.num_rows == shard["rows"]
        assert path.stat().st_size == shard["bytes"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == shard["sha256"]
    read = next(s for s in manifest["stages"] if s["stage"] == "read")
    assert read["records_in"] == corpus["good"] + corpus["bad"]
    assert read["dropped"] == {"malformed-json": 4, "missing-text": 4}
    dedup = next(s for s in manifest["stages"] if s["stage"] == "dedup:exact")
    assert dedup["records_in"] - dedup["records_out"] == dedup["dropped"]["duplicate"] == corpus["good"] - corpus["distinct"]
    assert manifest["rejects"]["count"] == corpus["bad"] + dedup["dropped"]["duplicate"]
    assert len(manifest["inputs"]) == 4 and all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["config_sha256"] == hashlib.sha256(cfg.read_bytes()).hexdigest()
    assert {"pdcorpus", "pyarrow", "datasets", "python"} <= set(manifest["versions"])
    assert len({r["id"] for r in rows}) == len(rows)
    assert len({r["content_hash"] for r in rows}) == len(rows)


def test_shards_are_hub_named_bounded_and_load_with_datasets(tmp_path, corpus, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"])
    manifest = build(cfg, workers=2)
    out = tmp_path / "out"
    n = len(manifest["shards"])
    assert n > 3, "64KB shards over this corpus make several"
    assert [s["path"] for s in manifest["shards"]] == [f"data/docs/train-{i:05d}-of-{n:05d}.parquet" for i in range(n)]
    assert all(s["bytes"] <= 64_000 for s in manifest["shards"])
    import datasets
    ds = datasets.load_dataset("parquet", data_files=str(out / "data/docs/*.parquet"), split="train",
                               cache_dir=str(tmp_path / "hf-cache"))
    assert ds.num_rows == manifest["records_out"]
    assert isinstance(ds.features["image"], datasets.Image)
    assert ds.features["text"].dtype == "string"
    first = ds[0]
    assert first["id"].startswith("docs:doc-") and first["license_raw"] == "CC0-1.0"
    assert first["url"].startswith("https://example.org/")
    assert first["metadata"] is None  # every input field was mapped to a column


def test_one_and_two_workers_give_identical_shards(tmp_path, corpus):
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        cfg = write_config(tmp_path / f"c{workers}.yaml", out, corpus["glob"], extra="exchange: {buckets: 3}\n")
        build(cfg, workers=workers)
        digests.append(shard_digests(out))
    assert digests[0] == digests[1]
    assert len(digests[0]) > 3


def test_survivor_of_a_duplicate_is_chosen_by_rule_not_order(tmp_path):
    # The same text in two sources: the source listed first wins, whatever the file order.
    for name, text_id in (("b", "zzz"), ("a", "aaa")):
        d = tmp_path / name
        d.mkdir()
        (d / "x.jsonl").write_text(json.dumps({"id": text_id, "text": "One and the same public domain text."}) + "\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"""name: rule
output: {tmp_path / 'out'}
sources:
  - {{name: second, read: {{format: jsonl, paths: ["{tmp_path / 'a'}/*.jsonl"]}}}}
  - {{name: first, priority: -1, read: {{format: jsonl, paths: ["{tmp_path / 'b'}/*.jsonl"]}}}}
stages:
  - dedup: {{method: exact}}
""")
    manifest = build(cfg, workers=2)
    rows = read_shards(tmp_path / "out")
    assert [r["id"] for r in rows] == ["first:zzz"]
    rejects = [json.loads(line) for f in manifest["rejects"]["files"]
               for line in (tmp_path / "out" / f).read_text().splitlines()]
    assert rejects == [{"stage": "dedup:exact", "reason": "duplicate", "source": "second", "id": "second:aaa",
                        "file": None, "line": None, "detail": "of first:zzz"}]


def test_malformed_input_is_set_aside_with_file_and_line(tmp_path, corpus):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"])
    manifest = build(cfg, workers=1)
    rejects = [json.loads(line) for f in manifest["rejects"]["files"]
               for line in (tmp_path / "out" / f).read_text().splitlines()]
    read_rejects = [r for r in rejects if r["stage"] == "read"]
    assert len(read_rejects) == corpus["bad"]
    first = read_rejects[0]
    assert first["file"].endswith("part-00.jsonl.gz") and first["line"] == 301 and first["reason"] == "malformed-json"
    assert read_rejects[1]["line"] == 302 and read_rejects[1]["reason"] == "missing-text"
    assert read_rejects[1]["id"] == "docs:doc-0-notext"


def test_strict_fails_on_the_first_malformed_line(tmp_path, corpus):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"])
    with pytest.raises(TaskFailed, match=r"part-00\.jsonl\.gz, line 301.*malformed-json"):
        build(cfg, workers=1, strict=True)
    assert not (tmp_path / "out" / "manifest.json").exists()


def test_a_bad_config_fails_before_any_work(tmp_path, corpus):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"], stages="  - dedup: {method: fuzzy}\n")
    with pytest.raises(pdcorpus.ConfigError, match=r"c\.yaml:8: stages\[0\]\.dedup\.method"):
        build(cfg)
    assert not (tmp_path / "out").exists()


def test_missing_input_fails_before_any_work(tmp_path):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "nowhere/*.jsonl"))
    with pytest.raises(pdcorpus.io.readers.InputError, match="no input file matches .*nowhere"):
        build(cfg)
    assert not (tmp_path / "out").exists()


def test_rebuilding_replaces_the_previous_output(tmp_path, corpus):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"])
    build(cfg, workers=1)
    first = shard_digests(tmp_path / "out")
    write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"], stages="  - length: {min_chars: 20}\n")
    manifest = build(cfg, workers=1)
    second = shard_digests(tmp_path / "out")
    assert len(second) == len(manifest["shards"]) and second != first
    assert manifest["records_out"] == corpus["good"]
    assert not (tmp_path / "out" / ".work").exists()


def test_an_interrupted_build_of_another_config_is_not_resumed(tmp_path, corpus):
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"])
    build(cfg, workers=1, keep_work=True)
    (tmp_path / "out" / "manifest.json").unlink()
    write_config(tmp_path / "c.yaml", tmp_path / "out", corpus["glob"], stages="")
    with pytest.raises(pdcorpus.BuildError, match="--fresh"):
        build(cfg, workers=1)
    manifest = build(cfg, workers=1, fresh=True)
    assert manifest["records_out"] == corpus["good"]


def _run_cli(args: list[str], **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pdcorpus.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, **kw)


def _markers(work: Path, phase_prefix: str) -> int:
    return sum(len(list(p.glob("*.done.json"))) for p in work.glob(f"{phase_prefix}*"))


@pytest.mark.parametrize("phase,count", [("p0-read", 2), ("p1-ids", 3), ("p2-dedup", 3), ("p3-write", 2)])
def test_killed_build_resumes_to_identical_shards(tmp_path, phase, count):
    """kill -9 of the whole build (runner and workers) once `count` tasks of `phase` are done."""
    facts = write_corpus(tmp_path / "in", files=8, per_file=2500, seed=7)
    glob = str(tmp_path / "in" / "*.jsonl.gz")
    extra = "exchange: {buckets: 8}\n"
    reference = tmp_path / "ref"
    build(write_config(tmp_path / "ref.yaml", reference, glob, extra=extra), workers=2)

    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, glob, extra=extra)
    proc = _run_cli(["build", str(cfg), "--workers", "2", "-q"])
    deadline = time.time() + 120
    while _markers(out / ".work", phase) < count:
        assert proc.poll() is None, "the build finished before it could be killed: " + proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "killed before the end"

    resumed = _run_cli(["build", str(cfg), "--workers", "2", "-q"])
    stdout, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runner"]["resumed"] is True
    assert shard_digests(out) == shard_digests(reference)
    assert manifest["records_out"] == facts["distinct"] == json.loads((reference / "manifest.json").read_text())["records_out"]
    ref_stages = json.loads((reference / "manifest.json").read_text())["stages"]
    assert [(s["stage"], s["records_in"], s["records_out"], s["dropped"]) for s in manifest["stages"]] == \
        [(s["stage"], s["records_in"], s["records_out"], s["dropped"]) for s in ref_stages]
    assert not list(out.rglob("*.tmp-*"))
    assert sorted(p.name for p in (out / "rejects").iterdir()) == sorted(p.name for p in (reference / "rejects").iterdir())
