"""A resumed build notices inputs that changed since it started, even to the same size."""

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

from conftest import write_config


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", *args, "-q"],
                          capture_output=True, text=True, timeout=300)


def texts(out: Path) -> set[str]:
    return {t for p in (out / "data").rglob("*.parquet") for t in pq.read_table(p, columns=["text"]).column("text").to_pylist()}


def write_inputs(folder: Path, files: int = 3, per_file: int = 50) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(files):
        path = folder / f"part-{f}.jsonl"
        path.write_text("".join(json.dumps({"doc_id": f"d{f}-{i}", "body": f"Original text {f}-{i} of the corpus, "
                                                                       "long enough to be kept."}) + "\n"
                                for i in range(per_file)))
        paths.append(path)
    return paths


def edit_same_size(path: Path) -> None:
    """'Original' -> 'Modified' (same length) in the first record, in place: size and inode stay."""
    data = path.read_bytes()
    assert b"Original" in data
    with open(path, "r+b") as fh:
        fh.seek(data.index(b"Original"))
        fh.write(b"Modified")


def test_a_same_size_edit_between_interruption_and_resume_is_refused_naming_the_file(tmp_path):
    paths = write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, str(tmp_path / "in" / "*.jsonl"))
    done = cli(str(cfg), "--workers", "1", "--keep-work")
    assert done.returncode == 0, done.stderr
    (out / "manifest.json").unlink()  # as if killed just before the manifest: every task is done
    size = paths[1].stat().st_size
    edit_same_size(paths[1])
    assert paths[1].stat().st_size == size

    resumed = cli(str(cfg), "--workers", "1")
    assert resumed.returncode != 0, "a resume over a changed input must not reuse what was read before"
    assert f"{paths[1]} changed (modified (same size))" in resumed.stderr
    assert "--fresh" in resumed.stderr
    assert str(paths[0]) not in resumed.stderr  # only the changed file is named

    fresh = cli(str(cfg), "--workers", "1", "--fresh")
    assert fresh.returncode == 0, fresh.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    checksums = {i["path"]: i["sha256"] for i in manifest["inputs"]}
    assert checksums == {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    assert any(t.startswith("Modified text 1-0") for t in texts(out))
    assert not any(t.startswith("Original text 1-0") for t in texts(out))


def test_an_input_edited_after_a_kill_is_refused_on_resume(tmp_path):
    """kill -9 during the read phase; one input grows; the resume refuses and names it."""
    paths = write_inputs(tmp_path / "in", files=6, per_file=4000)
    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, str(tmp_path / "in" / "*.jsonl"))
    proc = subprocess.Popen([sys.executable, "-P", "-m", "pdcorpus.cli", "build", str(cfg), "--workers", "1", "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while not list((out / ".work").glob("p0-read/*.done.json")):
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.time() < deadline
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    with open(paths[-1], "a") as fh:
        fh.write(json.dumps({"doc_id": "late", "body": "A record added after the build was killed."}) + "\n")
    resumed = cli(str(cfg), "--workers", "1")
    assert resumed.returncode != 0
    assert f"{paths[-1]} changed (size" in resumed.stderr
    fresh = cli(str(cfg), "--workers", "1", "--fresh")
    assert fresh.returncode == 0, fresh.stderr
    assert "A record added after the build was killed." in texts(out)
