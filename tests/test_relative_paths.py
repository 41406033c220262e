"""Relative paths in a corpus file are relative to the corpus file's folder, wherever pdcorpus runs;
``--output`` on the command line is relative to the working directory; URLs are left alone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import write_corpus

from pdcorpus.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


def project(tmp_path: Path, extra: str = "", stages: str = "  - dedup: {method: exact}\n") -> Path:
    """A project folder: inputs in data/, the corpus file in conf/, every path in it relative."""
    write_corpus(tmp_path / "project" / "data", files=2, per_file=40, bad_lines=False)
    conf = tmp_path / "project" / "conf"
    conf.mkdir()
    config = conf / "corpus.yaml"
    config.write_text(
        "name: relative\n"
        "output: ../build/out\n"
        "sources:\n"
        "  - name: docs\n"
        "    read: {format: jsonl, paths: [\"../data/*.jsonl.gz\"]}\n"
        "    fields: {id: doc_id, text: body, license: rights}\n"
        f"stages:\n{stages}{extra}")
    (tmp_path / "elsewhere").mkdir()
    return config


def test_inputs_and_output_resolve_against_the_corpus_file_not_the_working_directory(tmp_path):
    config = project(tmp_path)
    run = cli(["build", str(config), "-q", "--workers", "1"], cwd=tmp_path / "elsewhere")
    assert run.returncode == 0, run.stderr
    out = tmp_path / "project" / "build" / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["records_in"] == 80
    assert {Path(i["path"]).parent for i in manifest["inputs"]} == {tmp_path / "project" / "data"}
    assert list((tmp_path / "elsewhere").iterdir()) == []  # nothing written where the command ran
    assert f"output: {out}" in run.stdout
    # the same from the corpus file's own folder, given as a relative file name
    run = cli(["build", "corpus.yaml", "-q", "--workers", "1"], cwd=tmp_path / "project" / "conf")
    assert run.returncode == 0, run.stderr
    assert json.loads((out / "manifest.json").read_text())["records_in"] == 80
    assert not (tmp_path / "project" / "conf" / "build").exists()


def test_output_on_the_command_line_stays_relative_to_the_working_directory(tmp_path):
    config = project(tmp_path)
    run = cli(["build", str(config), "-q", "--output", "here/out"], cwd=tmp_path / "elsewhere")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "elsewhere" / "here" / "out" / "manifest.json").exists()
    assert not (tmp_path / "project" / "build").exists()
    assert not (tmp_path / "project" / "conf" / "here").exists()


def test_work_and_dedup_against_resolve_against_the_corpus_file(tmp_path):
    config = project(tmp_path)
    run = cli(["build", str(config), "-q", "--workers", "1"], cwd=tmp_path / "elsewhere")
    assert run.returncode == 0, run.stderr
    first = json.loads((tmp_path / "project" / "build" / "out" / "manifest.json").read_text())
    # a second release deduplicated against the first, with its own work folder, all relative
    text = config.read_text().replace("output: ../build/out", "output: ../build/next\nwork: ../scratch") \
        .replace("dedup: {method: exact}", "dedup: {method: exact, against: ../build/out}")
    config.write_text(text)
    run = cli(["build", str(config), "-q", "--keep-work"], cwd=tmp_path / "elsewhere")
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "project" / "scratch" / "state.json").exists()
    second = json.loads((tmp_path / "project" / "build" / "next" / "manifest.json").read_text())
    assert second["previous_release"]["records"] == first["records_out"]
    assert second["records_out"] == 0  # the same inputs: everything is already in the earlier release
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_urls_and_absolute_paths_are_left_as_written(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: urls\noutput: memory://bucket/out\nwork: /abs/work\nsources:\n"
        "  - name: a\n    read: {format: jsonl, paths: [\"s3://b/in/*.jsonl\", \"http://example.org/x.jsonl\", "
        "\"simplecache::s3://b/y.jsonl\", \"/abs/in/*.jsonl\", \"rel/*.jsonl\"]}\n"
        "    license: {value: CC0-1.0, evidence: docs/LICENSE.txt}\n")
    cfg = load_config(config, env={}).config
    assert cfg.output == "memory://bucket/out"
    assert cfg.work == "/abs/work"
    assert cfg.sources[0].read.paths == ["s3://b/in/*.jsonl", "http://example.org/x.jsonl",
                                         "simplecache::s3://b/y.jsonl", "/abs/in/*.jsonl", str(tmp_path / "rel/*.jsonl")]
    assert cfg.sources[0].license.evidence == "docs/LICENSE.txt"  # evidence is text, not a path to read
    # the override (--output) is taken as given
    assert load_config(config, env={}, output="mine").config.output == "mine"


def test_the_bundled_sample_writes_out_sample_at_the_repository_root_from_anywhere(tmp_path):
    """README's first command runs from the repository root; the corpus file says ../out/sample."""
    cfg = load_config(ROOT / "configs" / "sample.yaml", env={}).config
    assert cfg.output == str(ROOT / "out" / "sample")
    run = cli(["validate", str(ROOT / "configs" / "sample.yaml"), "--inputs"], cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert f"output {ROOT / 'out' / 'sample'}" in run.stdout
    assert "  books: 2 files" in run.stdout and "  drawings: 1 files" in run.stdout
    readme = (ROOT / "README.md").read_text()
    assert "relative to the corpus file's folder" in readme
    assert "relative to this file's folder" in (ROOT / "configs" / "sample.yaml").read_text()
