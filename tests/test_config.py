"""The corpus file: errors name file, line and field path; ${ENV} is interpolated and never printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pdcorpus.config import ConfigError, load_config

GOOD = """\
name: sample-corpus
output: out/sample
sources:
  - name: books
    read: {format: jsonl, paths: ["samples/books/*.jsonl.gz"]}
    fields: {id: book_id, text: body, license: rights, url: link, date: issued}
    stages: []
  - name: papers
    read:
      format: csv
      paths: "samples/papers/*.csv"
stages:
  - dedup: {method: exact}
shards: {max_bytes: 256MB, compression: zstd}
"""


def problems(tmp_path: Path, text: str, env: dict | None = None) -> list[str]:
    path = tmp_path / "corpus.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env or {})
    return [p.replace(str(path), "corpus.yaml") for p in info.value.problems]


def test_the_documented_shape_is_valid(tmp_path):
    path = tmp_path / "corpus.yaml"
    path.write_text(GOOD)
    loaded = load_config(path, env={})
    cfg = loaded.config
    assert [s.name for s in cfg.sources] == ["books", "papers"]
    assert cfg.sources[1].read.paths == [str(tmp_path / "samples/papers/*.csv")]  # relative to the file's folder
    assert cfg.shards.max_bytes == 256_000_000
    assert cfg.sources[0].fields["text"] == "body"
    assert [type(s).__name__ for s in loaded.stages()] == ["ExactDedup"]
    assert cfg.work_dir == f"{tmp_path}/out/sample/.work"


def test_a_missing_field_names_its_path_and_line(tmp_path):
    text = GOOD.replace('      paths: "samples/papers/*.csv"\n', "")
    assert problems(tmp_path, text) == ["corpus.yaml:9: sources[1].read.paths: required field is missing"]


def test_an_unknown_key_gets_a_suggestion(tmp_path):
    text = GOOD.replace("    fields: {id", "    feilds: {id")
    [msg] = problems(tmp_path, text)
    assert msg.startswith("corpus.yaml:6: sources[0].feilds: unknown key 'feilds' (did you mean 'fields'?)")


def test_an_unknown_stage_gets_a_suggestion(tmp_path):
    text = GOOD.replace("  - dedup: {method: exact}", "  - dedupe: {method: exact}")
    [msg] = problems(tmp_path, text)
    assert msg.startswith("corpus.yaml:13: stages[0].dedupe: unknown stage 'dedupe' (did you mean 'dedup'?)")


def test_stage_options_are_validated_with_their_path(tmp_path):
    text = GOOD.replace("  - dedup: {method: exact}", "  - length: {min_chars: -1, max_chrs: 5}")
    msgs = problems(tmp_path, text)
    assert "corpus.yaml:13: stages[0].length.min_chars: Input should be greater than or equal to 0" in msgs
    assert any(m.startswith("corpus.yaml:13: stages[0].length.max_chrs: unknown key 'max_chrs' (did you mean 'max_chars'?)")
               for m in msgs)


def test_every_problem_is_reported_at_once(tmp_path):
    text = GOOD.replace("format: jsonl", "format: jsonlines").replace("max_bytes: 256MB", "max_bytes: lots")
    msgs = problems(tmp_path, text)
    assert msgs[0].startswith("corpus.yaml:5: sources[0].read.format: unknown format 'jsonlines' (did you mean 'jsonl'?); "
                              "formats: jsonl, parquet, csv, text, images")  # then the network formats
    assert msgs[1].startswith("corpus.yaml:14: shards.max_bytes: 'lots' is not a size")


def test_source_names_are_unique_and_fields_map_to_columns(tmp_path):
    text = GOOD.replace("name: papers", "name: books").replace("date: issued", "year: issued")
    msgs = problems(tmp_path, text)
    assert any("sources[0].fields: Value error" not in m and "'year' is not a column a source can fill" in m and
               m.startswith("corpus.yaml:6: sources[0].fields") for m in msgs)
    assert "corpus.yaml:8: sources[1].name: two sources are named 'books'; source names must be unique" in msgs


def test_yaml_syntax_errors_name_the_line(tmp_path):
    text = GOOD.replace("stages:\n  - dedup", "stages:\n - dedup: [\n  - dedup")
    [msg] = problems(tmp_path, text)
    assert msg.startswith("corpus.yaml:") and "not valid YAML" in msg


def test_env_values_are_interpolated(tmp_path):
    path = tmp_path / "corpus.yaml"
    path.write_text(GOOD.replace("output: out/sample", "output: ${OUT_ROOT}/sample-${RELEASE:-v1}"))
    loaded = load_config(path, env={"OUT_ROOT": "s3://bucket"})
    assert loaded.config.output == "s3://bucket/sample-v1"
    assert loaded.raw["output"] == "${OUT_ROOT}/sample-${RELEASE:-v1}"  # what the manifest records


def test_a_missing_env_value_is_an_error_naming_the_variable(tmp_path):
    text = GOOD.replace("output: out/sample", "output: ${OUT_ROOT}/sample")
    assert problems(tmp_path, text) == [
        "corpus.yaml:2: output: environment variable 'OUT_ROOT' is not set (write ${OUT_ROOT:-default} for a default)"]


def test_secrets_are_never_printed(tmp_path):
    secret = "sk-very-secret-token-123"
    text = GOOD.replace("paths: [\"samples/books/*.jsonl.gz\"]}",
                        "paths: [\"samples/books/*.jsonl.gz\"], storage_options: {key: '${TOKEN}'}, extra: 1}")
    text = text.replace("max_bytes: 256MB", "max_bytes: '${TOKEN}'")
    path = tmp_path / "corpus.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={"TOKEN": secret})
    assert secret not in str(info.value)
    assert "sources[0].read.extra: unknown key" in str(info.value)
    run = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "validate", str(path)], capture_output=True,
                         text=True, env={"TOKEN": secret, "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2
    assert secret not in run.stdout + run.stderr
    assert "invalid corpus file" in run.stderr


def test_validate_command_accepts_a_good_file(tmp_path):
    path = tmp_path / "corpus.yaml"
    path.write_text(GOOD)
    run = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "validate", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "valid corpus 'sample-corpus': 2 sources (books, papers)" in run.stdout
