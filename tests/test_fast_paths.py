"""The faster paths of issue 16 give the answers of their definitions.

- The language stage's letter count looks at a prefix first; its answer must be the count over the whole sample.
- A record's content hash is computed when first asked for (most records a rights stage drops never are); every
  written record still carries the hash its definition gives: xxh3-128 of the NFC, lower-cased text with runs of
  white space as one space.
- The work files between global stages may use another codec than the shards; the records are the same.
"""

from __future__ import annotations

import hashlib
import random
import string
import unicodedata
from pathlib import Path

import pytest
import xxhash

import pdcorpus
from pdcorpus.config import load_config
from pdcorpus.io.formats import get_format
from pdcorpus.record import records_to_table
from pdcorpus.stages.language import _NOT_LETTERS, _too_few_letters

from conftest import read_shards, write_config, write_corpus


def test_letter_count_from_a_prefix_is_the_count_of_the_sample():
    rng = random.Random(7)
    fillers = [" ", "1", ".", "\n", "«", "—", "7 ", "..."]
    letters = ["a", "é", "ß", "ж", "中", "Z"]
    for _ in range(3000):
        n = rng.randint(0, 400)
        share = rng.choice([0.0, 0.01, 0.05, 0.2, 0.5, 1.0])
        chars = [rng.choice(letters) if rng.random() < share else rng.choice(fillers) for _ in range(n)]
        if rng.random() < 0.3:  # letters only late in the sample, after the prefix looked at first
            chars = [rng.choice(fillers) for _ in range(rng.randint(80, 200))] + chars
        sample = "".join(chars)
        for min_chars in (0, 1, 5, 20, 50):
            expected = len(sample.translate(_NOT_LETTERS)) < min_chars  # the definition: letters of the whole sample
            assert _too_few_letters(sample, min_chars) == expected, (sample, min_chars)


def _definition_hash(text: str) -> str:
    normalized = " ".join(unicodedata.normalize("NFC", text).lower().split())
    return xxhash.xxh3_128_hexdigest(normalized.encode("utf-8"))


def test_hash_is_left_to_when_it_is_asked_for_and_then_follows_its_definition(tmp_path):
    facts = write_corpus(tmp_path / "in", files=1, per_file=50, bad_lines=False)
    cfg = load_config(write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz")))
    source = cfg.config.sources[0]
    reader = get_format("jsonl").from_options(source.name, source.read, fields=source.fields,
                                              metadata=source.metadata, max_chars=10_000_000)
    files = get_format("jsonl").list_inputs(source.read)
    records = list(reader.read_all(files))
    assert len(records) == facts["good"]
    assert all(r.content_hash is None for r in records)  # not computed at read time
    table = records_to_table(records)
    assert table.column("content_hash").to_pylist() == [_definition_hash(r.text) for r in records]


def test_every_written_record_has_the_hash_of_its_text(tmp_path):
    write_corpus(tmp_path / "in", files=2, per_file=200)
    stages = ("  - rights: {policy: open}\n  - language: {backend: cld2}\n  - length: {min_chars: 20}\n"
              "  - dedup: {method: exact}\n")
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"), stages=stages)
    pdcorpus.build(cfg, workers=1, progress=False)
    rows = read_shards(tmp_path / "out")
    assert rows and all(r["content_hash"] == _definition_hash(r["text"]) for r in rows)
    assert len({r["content_hash"] for r in rows}) == len(rows)


def test_exchange_codec_resolves_by_where_the_work_folder_is(tmp_path):
    glob = str(tmp_path / "*.jsonl.gz")
    local = load_config(write_config(tmp_path / "a.yaml", tmp_path / "out", glob)).config
    assert local.exchange_compression() == "none"  # auto, local folder
    remote = load_config(write_config(tmp_path / "b.yaml", tmp_path / "out", glob,
                                      extra="work: memory://pdcorpus-work\n")).config
    assert remote.exchange_compression() == remote.shards.compression == "zstd"  # auto, not a local folder
    chosen = load_config(write_config(tmp_path / "c.yaml", tmp_path / "out", glob,
                                      extra="exchange: {compression: lz4}\n")).config
    assert chosen.exchange_compression() == "lz4"
    with pytest.raises(Exception, match="compression"):
        load_config(write_config(tmp_path / "d.yaml", tmp_path / "out", glob, extra="exchange: {compression: rar}\n"))


@pytest.mark.parametrize("workers", [1, 2])
def test_exchange_codec_does_not_change_the_shards(tmp_path, workers):
    write_corpus(tmp_path / "in", files=3, per_file=150)
    glob = str(tmp_path / "in" / "*.jsonl.gz")
    digests = []
    for codec in ("none", "zstd"):
        out = tmp_path / f"out-{codec}"
        cfg = write_config(tmp_path / f"{codec}.yaml", out, glob, extra=f"exchange: {{compression: {codec}}}\n")
        pdcorpus.build(cfg, workers=workers, progress=False)
        digests.append({p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted((out / "data").rglob("*.parquet"))})
    assert digests[0] and digests[0] == digests[1]


def test_a_task_runs_with_arrow_memory_handed_back(tmp_path):
    """Tasks set Arrow's pool to jemalloc (freed pages handed back at once) unless the user chose a pool."""
    import subprocess
    import sys
    write_corpus(tmp_path / "in", files=1, per_file=30)
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "in" / "*.jsonl.gz"))
    code = ("import sys, pdcorpus, pyarrow as pa; pdcorpus.build(sys.argv[1], workers=1, progress=False); "
            "print(pa.default_memory_pool().backend_name)")
    env = {k: v for k, v in __import__("os").environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run([sys.executable, "-c", code, str(cfg)], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split()[-1] == "jemalloc"
    env["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    done = subprocess.run([sys.executable, "-c", code, str(cfg), "--"], capture_output=True, text=True, env=env,
                          check=True)
    assert done.stdout.split()[-1] == "system"


def test_hash_normalization_is_its_definition_on_every_kind_of_white_space():
    """normalize_for_hash avoids splitting into words when a text's only white space is spaces and newlines;
    the result must be the definition's for any text: every Unicode white space, control and separator
    character, case changes that add characters (İ), composition (NFC)."""
    from pdcorpus.record import normalize_for_hash
    rng = random.Random(3)
    special = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace() or not chr(c).isprintable()]
    special += ["\u2028", "\u2029", "\u3000", "\ufeff", "\U000e0001"]
    pieces = ["a", "B", " ", "  ", "\n", "\n\n", "é", "e\u0301", "İ", "ß", "Σ", "word"]
    for _ in range(50_000):
        text = "".join(rng.choice(pieces + [rng.choice(special)]) for _ in range(rng.randint(0, 14)))
        assert normalize_for_hash(text) == " ".join(unicodedata.normalize("NFC", text).lower().split()), repr(text)


def test_a_symlinked_input_whose_link_is_older_than_its_target_builds(tmp_path):
    """A listing describes a link itself (its own mtime); the build reads and checks the target. An input given
    through a link made before the file last changed was refused as 'changed while the build was reading it'
    (found by the benchmark helper)."""
    import os
    write_corpus(tmp_path / "real", files=1, per_file=20, bad_lines=False)
    (tmp_path / "links").mkdir()
    link = tmp_path / "links" / "part-00.jsonl.gz"
    link.symlink_to(tmp_path / "real" / "part-00.jsonl.gz")
    os.utime(link, (1577836800, 1577836800), follow_symlinks=False)  # the link's own time: 2020
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", str(tmp_path / "links" / "*.jsonl.gz"))
    manifest = pdcorpus.build(cfg, workers=1, progress=False)
    assert manifest["records_in"] == 20
