"""`pdcorpus build` deletes only what it wrote: folders it owns, over its own earlier builds only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_config, write_corpus

MARKER = ".pdcorpus"  # the ownership marker the README names (tests/test_readme_promises.py checks it)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", *args, "--workers", "1", "-q"],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def small(tmp_path: Path) -> str:
    write_corpus(tmp_path / "in", files=2, per_file=40)
    return str(tmp_path / "in" / "*.jsonl.gz")


def test_a_work_folder_that_is_not_pdcorpus_s_own_is_refused_and_kept(tmp_path, small):
    work = tmp_path / "mine"
    (work / "notes").mkdir(parents=True)
    (work / "notes" / "todo.txt").write_text("my own notes\n")
    (work / "thesis.tex").write_text("\\begin{document}\n")
    before = tree(work)
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", small, extra=f"work: {work}\n")
    done = cli(str(cfg))
    assert done.returncode != 0
    assert "work folder" in done.stderr and "not a pdcorpus work folder" in done.stderr
    assert "thesis.tex" in done.stderr  # says what is there
    assert tree(work) == before
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_a_work_folder_of_its_own_is_removed_only_of_what_pdcorpus_wrote(tmp_path, small):
    work = tmp_path / "w"
    work.mkdir()  # empty: accepted, and marked
    cfg = write_config(tmp_path / "c.yaml", tmp_path / "out", small, extra=f"work: {work}\n")
    assert cli(str(cfg), "--keep-work").returncode == 0
    assert (work / ".pdcorpus-work").exists() and (work / "state.json").exists()
    (work / "keep-me.txt").write_text("not pdcorpus's\n")  # a user's file put into it later
    (tmp_path / "out" / "manifest.json").unlink()  # as if interrupted at the very end
    done = cli(str(cfg), "--fresh")
    assert done.returncode == 0, done.stderr
    # only pdcorpus's files went; the marker stays with the folder, which is not empty
    assert sorted(tree(work)) == [".pdcorpus-work", "keep-me.txt"]
    assert (work / "keep-me.txt").read_text() == "not pdcorpus's\n"


def test_an_output_folder_holding_other_files_is_refused_before_anything_is_touched(tmp_path, small):
    out = tmp_path / "project"
    (out / "data").mkdir(parents=True)
    (out / "data" / "survey.csv").write_text("a,b\n1,2\n")
    (out / "rejects").mkdir()
    (out / "rejects" / "old.jsonl").write_text("{}\n")
    (out / "README.md").write_text("# my project\n")
    before = tree(out)
    cfg = write_config(tmp_path / "c.yaml", out, small)
    done = cli(str(cfg))
    assert done.returncode != 0
    assert "not empty and holds no pdcorpus build" in done.stderr
    for name in ("README.md", "data", "rejects"):
        assert name in done.stderr
    assert tree(out) == before  # not even a lock or a marker


def test_output_dot_with_inputs_under_it_is_refused_and_the_inputs_survive(tmp_path):
    project = tmp_path / "project"
    write_corpus(project / "data", files=1, per_file=20)
    before = tree(project)
    cfg = write_config(project / "c.yaml", Path("."), "data/*.jsonl.gz")
    before = tree(project)
    done = cli(str(cfg), cwd=project)
    assert done.returncode != 0
    assert "overlaps the input" in done.stderr or "not empty" in done.stderr
    assert tree(project) == before


def test_output_under_the_inputs_glob_is_refused_at_plan_time(tmp_path):
    """paths: [/p/**/*.jsonl], output: /p/out — a second build would read the first one's rejects."""
    p = tmp_path / "p"
    (p / "a").mkdir(parents=True)
    (p / "a" / "x.jsonl").write_text(json.dumps({"doc_id": "1", "body": "A text long enough to be kept here."}) + "\n"
                                     + '{"doc_id": "broken", \n')
    cfg = write_config(tmp_path / "c.yaml", p / "out", f"{p}/**/*.jsonl")
    done = cli(str(cfg))
    assert done.returncode != 0
    assert "overlaps the input" in done.stderr and "**/*.jsonl" in done.stderr
    assert not (p / "out").exists()
    validate = subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "validate", str(cfg)],
                              capture_output=True, text=True, timeout=120)
    assert validate.returncode != 0 and "overlaps the input" in validate.stderr


@pytest.mark.parametrize("output", ['""', "/"])
def test_empty_or_root_output_is_refused(tmp_path, small, output):
    # not run against code that lacks the check: there it would remove /data, /rejects and /review
    cfg = write_config(tmp_path / "c.yaml", Path(output), small)
    if output == '""':
        cfg.write_text(cfg.read_text().replace('output: ""', "output: ''"))
    done = cli(str(cfg))
    assert done.returncode != 0
    assert ("output is empty" in done.stderr) or ("filesystem root" in done.stderr)


def test_an_output_holding_another_corpus_is_refused(tmp_path, small):
    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, small)
    assert cli(str(cfg)).returncode == 0
    before = tree(out)
    other = tmp_path / "other.yaml"
    other.write_text(cfg.read_text().replace("name: test-corpus", "name: another-corpus"))
    done = cli(str(other))
    assert done.returncode != 0
    assert "another corpus ('test-corpus'" in done.stderr
    assert tree(out) == before


def test_a_user_file_dropped_into_data_is_refused_not_deleted(tmp_path, small):
    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, small)
    assert cli(str(cfg)).returncode == 0
    (out / "data" / "docs" / "extra.parquet").write_bytes(b"PAR1 mine")
    (out / "data" / "mine").mkdir()
    (out / "data" / "mine" / "notes.txt").write_text("mine\n")
    done = cli(str(cfg))
    assert done.returncode != 0
    assert "data/docs/extra.parquet" in done.stderr and "data/mine/notes.txt" in done.stderr
    assert (out / "data" / "docs" / "extra.parquet").read_bytes() == b"PAR1 mine"
    assert (out / "data" / "mine" / "notes.txt").exists()
    assert (out / "manifest.json").exists()  # the earlier build is untouched too


def test_rebuilding_over_its_own_build_replaces_exactly_its_files(tmp_path, small):
    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, small)
    assert cli(str(cfg)).returncode == 0
    (out / "NOTES.md").write_text("about this corpus\n")  # next to the build, not in its folders
    assert json.loads((out / MARKER).read_text())["corpus"] == "test-corpus"
    write_config(tmp_path / "c.yaml", out, small, stages="  - length: {min_chars: 20}\n")
    done = cli(str(cfg))
    assert done.returncode == 0, done.stderr
    assert (out / "NOTES.md").read_text() == "about this corpus\n"
    manifest = json.loads((out / "manifest.json").read_text())
    on_disk = sorted(str(p.relative_to(out)) for p in (out / "data").rglob("*") if p.is_file())
    assert on_disk == sorted(s["path"] for s in manifest["shards"])


def test_a_build_made_before_the_marker_is_recognized_by_its_manifest(tmp_path, small):
    out = tmp_path / "out"
    cfg = write_config(tmp_path / "c.yaml", out, small)
    assert cli(str(cfg)).returncode == 0
    (out / MARKER).unlink()
    done = cli(str(cfg))
    assert done.returncode == 0, done.stderr
    assert (out / MARKER).exists()
