"""kill -9 during the near-dedup phases (MinHash and pHash: bands, clusters, apply), resumed to
byte-identical shards, by the mechanism of tests/test_build.py (the whole process group killed once
some tasks of a phase have their completion markers)."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

import pytest

import pdcorpus

from conftest import write_config, write_corpus
from test_build import _markers, _run_cli, shard_digests
from test_phash_distance import picture as hash_picture

BUCKETS = 4


def text_corpus(folder: Path) -> str:
    """Six JSONL.gz files: exact copies, case and space variants (the same shingles) and edited copies."""
    write_corpus(folder, files=6, per_file=400, seed=9, bad_lines=False)
    return str(folder / "*.jsonl.gz")


def image_corpus(folder: Path) -> str:
    """Eight folders of pictures (one read task, so one apply task, each) with near copies, within and
    across folders."""
    rng = random.Random(3)
    bases = [[rng.choice((-1, 1)) for _ in range(14)] for _ in range(60)]
    for part in range(8):
        sub = folder / f"part{part}"
        sub.mkdir(parents=True)
        rows = []
        for i in range(15):
            signs = list(bases[rng.randrange(len(bases))])
            for k in rng.sample(range(14), rng.randint(0, 6)):  # 0 to 6 bits away from a base
                signs[k] = -signs[k]
            name = f"img{i:02d}.png"
            (sub / name).write_bytes(hash_picture(signs[:7], signs[7:]))
            rows.append({"file_name": name, "caption": f"picture {part}/{i}"})
        (sub / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(folder / "part*" / "metadata.jsonl")


def image_config(path: Path, output: Path, glob: str) -> Path:
    path.write_text(f"""name: pictures
output: {output}
sources:
  - name: museum
    read: {{format: images, paths: ["{glob}"]}}
    fields: {{caption: caption}}
stages:
  - dedup: {{method: phash}}
exchange: {{buckets: {BUCKETS}}}
""")
    return path


def configs(tmp_path: Path, method: str) -> tuple[Path, Path]:
    if method == "minhash":
        glob = text_corpus(tmp_path / "in")
        stages = "  - dedup: {method: minhash, threshold: 0.8}\n"
        extra = f"exchange: {{buckets: {BUCKETS}}}\n"
        return (write_config(tmp_path / "ref.yaml", tmp_path / "ref", glob, extra=extra, stages=stages),
                write_config(tmp_path / "c.yaml", tmp_path / "out", glob, extra=extra, stages=stages))
    glob = image_corpus(tmp_path / "in")
    return image_config(tmp_path / "ref.yaml", tmp_path / "ref", glob), image_config(tmp_path / "c.yaml", tmp_path / "out", glob)


# (phase, markers of it to wait for): "all" waits for every bands task, so that the kill lands in the clusters
# phase (a single task, which the test then checks did not finish).
CASES = [("bands", 2), ("bands", BUCKETS), ("apply", 2)]


@pytest.mark.parametrize("method", ["minhash", "phash"])
@pytest.mark.parametrize("phase,count", CASES, ids=["bands", "clusters", "apply"])
def test_killed_near_dedup_resumes_to_identical_shards(tmp_path, method, phase, count):
    ref_cfg, cfg = configs(tmp_path, method)
    reference = pdcorpus.build(ref_cfg, workers=2, progress=False)
    assert reference["dropped"].get(f"dedup:{method}:near-duplicate", 0) > 5  # there are near-duplicates to find

    out = tmp_path / "out"
    work = out / ".work"
    proc = _run_cli(["build", str(cfg), "--workers", "2", "-q"])
    deadline = time.time() + 180
    while _markers(work, f"p*-dedup-{method}-{phase}") < count:
        assert proc.poll() is None, "the build finished before it could be killed: " + proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.002)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "killed before the end"
    if count == BUCKETS:  # every bands task done: the kill fell in the clusters phase, before its marker
        assert _markers(work, f"p*-dedup-{method}-clusters") == 0
    elif phase == "apply":
        assert _markers(work, f"p*-dedup-{method}-apply") < len(list((tmp_path / "in").rglob("*.jsonl*")))

    resumed = _run_cli(["build", str(cfg), "--workers", "2", "-q"])
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runner"]["resumed"] is True
    assert shard_digests(out) == shard_digests(tmp_path / "ref") and shard_digests(out)
    assert manifest["records_out"] == reference["records_out"]
    assert manifest["dropped"] == reference["dropped"]
    assert [(s["stage"], s["records_in"], s["records_out"], s["dropped"]) for s in manifest["stages"]] == \
        [(s["stage"], s["records_in"], s["records_out"], s["dropped"]) for s in reference["stages"]]
    assert not list(out.rglob("*.tmp-*"))
    assert sorted(p.name for p in (out / "rejects").iterdir()) == \
        sorted(p.name for p in (tmp_path / "ref" / "rejects").iterdir())
    for name in (p.name for p in (out / "rejects").iterdir()):
        assert (out / "rejects" / name).read_bytes() == (tmp_path / "ref" / "rejects" / name).read_bytes()
