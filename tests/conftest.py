"""Shared fixtures: small corpora written on the fly, corpus files, and reading shards back."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her she there been one all we their has would when who will more no if "
         "out so said what up its about into than them can only other new some could time these two may "
         "then do first any my now such like our over man me even most made after also did many before must "
         "through back years where much your way well down should because each just those people how too "
         "little state good very make world still own see men work long get here between both life being").split()


def make_text(rng: random.Random, words: int) -> str:
    sentences, left = [], words
    while left > 0:
        n = min(left, rng.randint(6, 18))
        s = " ".join(rng.choice(WORDS) for _ in range(n))
        sentences.append(s[0].upper() + s[1:] + ".")
        left -= n
    return " ".join(sentences)


def write_corpus(folder: Path, files: int = 4, per_file: int = 300, seed: int = 0, bad_lines: bool = True,
                 prefix: str = "doc") -> dict:
    """JSONL.gz files with ~10% duplicates (some only in case/space) and, optionally, malformed lines.

    Returns facts the tests check: the number of good records and of distinct normalized texts.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    good = bad = 0
    for f in range(files):
        with gzip.open(folder / f"part-{f:02d}.jsonl.gz", "wt", encoding="utf-8") as fh:
            for i in range(per_file):
                if texts and rng.random() < 0.1:
                    text = rng.choice(texts)
                    if rng.random() < 0.5:
                        text = "  " + text.upper() + "\n"
                else:
                    text = make_text(rng, rng.randint(20, 400))
                texts.append(text)
                fh.write(json.dumps({"doc_id": f"{prefix}-{f}-{i}", "body": text, "rights": "CC0-1.0",
                                     "info": {"url": f"https://example.org/{f}/{i}"}, "year": 1900 + i % 100}) + "\n")
                good += 1
            if bad_lines:
                fh.write('{"doc_id": "broken", "body": \n')
                fh.write(json.dumps({"doc_id": f"{prefix}-{f}-notext"}) + "\n")
                bad += 2
    distinct = len({" ".join(t.lower().split()) for t in texts})
    return {"good": good, "bad": bad, "distinct": distinct}


@pytest.fixture
def corpus(tmp_path: Path) -> dict:
    facts = write_corpus(tmp_path / "in")
    facts["glob"] = str(tmp_path / "in" / "*.jsonl.gz")
    return facts


def write_config(path: Path, output: Path, glob: str, extra: str = "", stages: str | None = None) -> Path:
    stages = stages if stages is not None else "  - length: {min_chars: 20}\n  - dedup: {method: exact}\n"
    path.write_text(
        f"name: test-corpus\n"
        f"output: {output}\n"
        f"sources:\n"
        f"  - name: docs\n"
        f"    read: {{format: jsonl, paths: [\"{glob}\"]}}\n"
        f"    fields: {{id: doc_id, text: body, license: rights, url: info.url, date: year}}\n"
        f"stages:\n{stages}"
        f"shards: {{max_bytes: 64KB}}\n{extra}"
    )
    return path


def read_shards(out: Path) -> list[dict]:
    """Every record of a build's shards, in shard order."""
    manifest = json.loads((out / "manifest.json").read_text())
    rows: list[dict] = []
    for shard in manifest["shards"]:
        rows.extend(pq.read_table(out / shard["path"]).to_pylist())
    return rows


ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> tuple[Path, dict]:
    """The bundled sample as `pdcorpus build` writes it (the CLI, in a subprocess), and its manifest.json.

    Tests of the card, the summary and publishing check these files, not files they regenerate. ``-P``: the
    subprocess imports pdcorpus from PYTHONPATH or the installed package, not from the working directory.
    """
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("sample") / "out"
    run = subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", "configs/sample.yaml", "--output", str(out),
                          "--workers", "1", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))
