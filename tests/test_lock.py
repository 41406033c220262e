"""One build at a time holds an output: two real `pdcorpus build` processes, stale locks, every exit path."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import write_config, write_corpus

LOCK = ".pdcorpus.lock"  # the lock file the README names


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-P", "-m", "pdcorpus.cli", "build", *args, "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", *args, "-q"],
                          capture_output=True, text=True, timeout=300)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not path.exists():
        assert proc.poll() is None, "the build ended before it was seen running: " + proc.stderr.read()
        assert time.time() < deadline
        time.sleep(0.005)


@pytest.fixture
def big(tmp_path: Path) -> Path:
    """A corpus that takes a few seconds to build, so a second build starts while the first runs."""
    write_corpus(tmp_path / "in", files=6, per_file=2500, seed=3)
    return write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"),
                        extra="exchange: {buckets: 4}\n")


def test_a_second_concurrent_build_is_refused_and_the_first_finishes_clean(tmp_path, big):
    out = tmp_path / "out"
    first = start(str(big), "--workers", "2")
    wait_for(out / ".work" / "state.json", first)
    second = run(str(big), "--workers", "1")
    assert first.poll() is None, "the first build must still be running for this test to mean anything"
    assert second.returncode != 0
    assert "another build holds output" in second.stderr
    assert f"pid {first.pid}" in second.stderr and socket.gethostname() in second.stderr
    assert "--break-lock" in second.stderr
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["records_out"] > 0
    assert not (out / LOCK).exists()
    assert not (out / ".work").exists()
    assert not list(out.rglob("*.tmp-*"))
    on_disk = sorted(str(p.relative_to(out)) for p in (out / "data").rglob("*") if p.is_file())
    assert on_disk == sorted(s["path"] for s in manifest["shards"])


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _small(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "in", files=1, per_file=30)
    return write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"))


def test_a_lock_left_by_a_dead_build_on_this_host_is_taken_over(tmp_path):
    cfg = _small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    pid = _dead_pid()
    (out / LOCK).write_text(json.dumps({"host": socket.gethostname(), "pid": pid, "since": "2026-01-01T00:00:00+00:00"}))
    done = run(str(cfg), "--workers", "1")
    assert done.returncode == 0, done.stderr
    assert f"took over the lock of host {socket.gethostname()}, pid {pid}" in done.stderr
    assert not (out / LOCK).exists()


def test_a_lock_of_another_host_needs_break_lock(tmp_path):
    cfg = _small(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    lock = {"host": "build-node-7", "pid": 4242, "since": "2026-01-01T00:00:00+00:00", "corpus": "test-corpus"}
    (out / LOCK).write_text(json.dumps(lock))
    done = run(str(cfg), "--workers", "1")
    assert done.returncode != 0
    assert "another build holds output" in done.stderr
    assert "host build-node-7, pid 4242, since 2026-01-01T00:00:00+00:00" in done.stderr
    assert json.loads((out / LOCK).read_text()) == lock  # left alone
    done = run(str(cfg), "--workers", "1", "--break-lock")
    assert done.returncode == 0, done.stderr
    assert "took over the lock of host build-node-7" in done.stderr
    assert not (out / LOCK).exists()


def test_the_lock_is_released_when_the_build_fails(tmp_path):
    cfg = _small(tmp_path)
    done = run(str(cfg), "--workers", "1", "--strict")  # the corpus has malformed lines: --strict fails
    assert done.returncode != 0 and "malformed-json" in done.stderr
    assert not (tmp_path / "out" / LOCK).exists()


def test_the_lock_is_released_on_ctrl_c_and_the_build_resumes(tmp_path, big):
    out = tmp_path / "out"
    proc = start(str(big), "--workers", "2")
    wait_for(out / ".work" / "p0-read", proc)
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group, as at a terminal
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stderr
    assert not (out / LOCK).exists()
    done = run(str(big), "--workers", "2")
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "manifest.json").read_text())["runner"]["resumed"] is True
