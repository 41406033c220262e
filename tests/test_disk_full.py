"""A build on a full disk fails with the system's error, and resumes to identical shards once space is freed.

The output sits on a real 3 MB tmpfs, mounted in a private mount namespace (``unshare -m``, so nothing
outside this test sees it); the kernel raises ENOSPC as it would on a full disk. After the failure the
tmpfs is grown (``mount -o remount,size=...``: space freed) and the same command is run again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pdcorpus
from conftest import write_config, write_corpus


def digests(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "data").rglob("*.parquet"))}


def _can_mount(tmp_path: Path) -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = tmp_path / "probe"
    probe.mkdir()
    done = subprocess.run(["unshare", "-m", "sh", "-c", f"mount -t tmpfs -o size=1m tmpfs {probe}"],
                          capture_output=True)
    return done.returncode == 0


def test_a_build_that_runs_out_of_space_resumes_to_identical_shards(tmp_path):
    if not _can_mount(tmp_path):
        pytest.skip("cannot mount a tmpfs in a private mount namespace here (needs root or user namespaces)")
    facts = write_corpus(tmp_path / "in", files=8, per_file=2500, seed=11)
    glob = str(tmp_path / "in" / "*.jsonl.gz")
    extra = "exchange: {buckets: 4}\n"
    reference = tmp_path / "ref"
    pdcorpus.build(write_config(tmp_path / "ref.yaml", reference, glob, extra=extra), workers=2, progress=False)

    disk = tmp_path / "disk"
    disk.mkdir()
    saved = tmp_path / "saved"
    saved.mkdir()
    cfg = write_config(tmp_path / "c.yaml", disk / "out", glob, extra=extra)
    build = f"{sys.executable} -P -m pdcorpus.cli build {cfg} --workers 2 -q"
    script = f"""
        mount -t tmpfs -o size=3m tmpfs {disk}
        {build} > {saved}/first.out 2> {saved}/first.err; echo $? > {saved}/first.rc
        ls -a {disk}/out > {saved}/first.ls 2>&1
        mount -o remount,size=512m {disk}
        {build} > {saved}/second.out 2> {saved}/second.err; echo $? > {saved}/second.rc
        cp -a {disk}/out {saved}/out
    """
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    first_err = (saved / "first.err").read_text()
    assert (saved / "first.rc").read_text().strip() != "0", "3 MB must not be enough for this corpus"
    assert "no space" in first_err.lower(), first_err  # the system's ENOSPC, in its words or pdcorpus's
    assert "Traceback" not in first_err
    assert ".pdcorpus.lock" not in (saved / "first.ls").read_text(), "the lock is released after the failure"

    assert (saved / "second.rc").read_text().strip() == "0", (saved / "second.err").read_text()
    out = saved / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runner"]["resumed"] is True
    assert digests(out) == digests(reference)
    assert manifest["records_out"] == facts["distinct"]
    assert not list(out.rglob("*.tmp-*"))
    assert not (out / ".work").exists()
