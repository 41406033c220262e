"""Building a recipe of ``pipelines/`` through the CLI, in a subprocess, against archive stand-ins on 127.0.0.1,
and reading back what it wrote (shards, rejects, review queue)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
PIPELINES = ROOT / "pipelines"


def loopback_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment a recipe is built with in the tests: a contact, loopback allowed, a fast per-host rate
    (the recipes' politeness is for the real archives), a cache and host-limit files of the test's own."""
    env = dict(os.environ)
    env.update({
        "PDCORPUS_CONTACT": "mailto:pipelines-test@example.org",
        "PDCORPUS_ALLOW_PRIVATE_NETWORKS": "true",
        "PDCORPUS_FETCH_CACHE": str(tmp_path / "fetch-cache"),
        "PDCORPUS_HOST_LIMITS": str(tmp_path / "host-limits"),
    })
    env.update(extra)
    return env


def build(recipe: str, out: Path, env: dict[str, str], *args: str, workers: int = 1) -> tuple[subprocess.CompletedProcess, float]:
    """``pdcorpus build pipelines/<recipe>/corpus.yaml --output OUT``; (the finished process, seconds it took)."""
    started = time.monotonic()
    run = subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", str(PIPELINES / recipe / "corpus.yaml"),
                          "--output", str(out), "--workers", str(workers), *args],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    return run, time.monotonic() - started


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def shard_rows(out: Path, source: str | None = None) -> list[dict]:
    rows: list[dict] = []
    for shard in manifest(out)["shards"]:
        if source is None or shard["source"] == source:
            rows.extend(pq.read_table(out / shard["path"]).to_pylist())
    return rows


def rejects(out: Path) -> list[dict]:
    found: list[dict] = []
    for path in sorted((out / "rejects").glob("*.jsonl")) if (out / "rejects").exists() else []:
        found.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return found


def review_rows(out: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted((out / "review").glob("*.parquet")) if (out / "review").exists() else []:
        rows.extend(pq.read_table(path).to_pylist())
    return rows


def by_id(rows: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in rows}


def meta(row: dict) -> dict:
    return json.loads(row["metadata"]) if row.get("metadata") else {}
