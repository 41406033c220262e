"""Extending pdcorpus: a new input format is its own module and one registration (docs/architecture.md,
"How to add an input format"). The format here lives in this test file, is registered in one line, and is
built from through the CLI's code path with two worker processes, which learn the format from the plan."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import pytest
from pydantic import Field

from pdcorpus.build import build
from pdcorpus.config import ConfigError, load_config
from pdcorpus.io.formats import ReadOptions, register_format, unregister_format
from pdcorpus.io.readers import InputFile, Reader
from pdcorpus.record import Record


# -- the worked example of docs/architecture.md: a format that reads one record per line -------------------

class LinesOptions(ReadOptions):
    min_words: int = Field(1, ge=1, description="shorter lines are set aside")


class LinesReader(Reader):
    """Each non-empty line of a text file is a record; its id is the file's name and the line number."""

    format = "lines"
    Options = LinesOptions

    def __init__(self, *args, min_words: int = 1, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.min_words = min_words

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url.rsplit("/", 1)[-1]
        with self.open(file) as fh:
            for number, raw in enumerate(fh, 1):
                line = raw.decode("utf-8").strip()
                if not line:
                    continue
                if len(line.split()) < self.min_words:
                    self.reject(file.url, number, "too-few-words", f"{len(line.split())} < {self.min_words}")
                    continue
                record = self.make_record({"id": f"{name}:{number}", "text": line}, file.url, number)
                if record is not None:
                    yield record


register_format(LinesReader)  # the one registration


@pytest.fixture(autouse=True, scope="module")
def _registered():
    yield
    unregister_format("lines")


def _corpus(tmp_path: Path, extra: str = "") -> Path:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("one two three\n\nfour\nfive six seven\n")
    (tmp_path / "in" / "b.txt").write_text("eight nine ten eleven\nfour\n")
    config = tmp_path / "corpus.yaml"
    config.write_text(f"""name: lines
output: out
sources:
  - name: poems
    license: CC0-1.0
    read:
      format: lines
      paths: ["in/*.txt"]
      min_words: 2{extra}
stages:
  - dedup: {{method: exact}}
""")
    return config


def test_a_format_defined_outside_pdcorpus_builds_on_worker_processes(tmp_path):
    config = _corpus(tmp_path)
    manifest = build(str(config), workers=2, progress=False)
    table = pq.read_table(tmp_path / "out" / "data" / "poems")
    # from the files: a.txt lines 1 and 4, b.txt line 1 have two words or more; "four" (a.txt:3, b.txt:2)
    # is set aside twice as too short (and would otherwise be an exact duplicate)
    assert sorted(table.column("id").to_pylist()) == ["poems:a.txt:1", "poems:a.txt:4", "poems:b.txt:1"]
    assert manifest["sources"]["poems"]["records_read"] == 5
    assert manifest["dropped"] == {"read:too-few-words": 2}
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files=str(tmp_path / "out" / "data" / "poems" / "*.parquet"), split="train")
    assert sorted(ds["text"]) == ["eight nine ten eleven", "five six seven", "one two three"]


def test_the_formats_own_keys_are_validated_with_the_corpus_file(tmp_path):
    config = _corpus(tmp_path)
    config.write_text(config.read_text().replace("min_words: 2", "min_words: 0"))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert err.value.problems[0].startswith(f"{config}:9: sources[0].read.min_words: ")
    config.write_text(config.read_text().replace("min_words: 0", "min_word: 2"))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert "unknown key 'min_word' (did you mean 'min_words'?)" in err.value.problems[0]
