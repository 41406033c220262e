"""Extending pdcorpus: a new input format is its own module and one registration (docs/architecture.md,
"How to add an input format"). The format here lives in this test file, is registered in one line, and is
built from through the CLI's code path with two worker processes, which learn the format from the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pyarrow.parquet as pq
import pytest
from pydantic import Field

from pdcorpus.builder import build
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


@pytest.fixture(autouse=True, scope="module")
def _registered():
    """Registered for this module's tests only (at import, it would be a format of every test's session)."""
    register_format(LinesReader)  # the one registration
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


class BrokenReader(LinesReader):
    format = "broken-lines"

    def read(self, file: InputFile) -> Iterator[Record]:
        raise ValueError(f"cannot parse {file.url.rsplit('/', 1)[-1]}")


def test_an_unexpected_error_in_a_worker_is_said_by_its_own_message(tmp_path):
    """A worker's exception reaches the parent with the worker's traceback as a text 'cause'
    (concurrent.futures); the one sentence the CLI prints is the error's own message, not that text."""
    from pdcorpus.cli import _message
    from pdcorpus.runners import TaskFailed

    register_format(BrokenReader)
    try:
        config = _corpus(tmp_path)
        config.write_text(config.read_text().replace("format: lines", "format: broken-lines"))
        with pytest.raises(TaskFailed) as err:
            build(str(config), workers=2, progress=False)
        message = _message(err.value)
        assert "ValueError: cannot parse a.txt" in message or "ValueError: cannot parse b.txt" in message, message
    finally:
        unregister_format("broken-lines")


# -- the worked example of docs/architecture.md, "How to add a stage": a global stage -----------------------

from pdcorpus.record import table_to_records  # noqa: E402
from pdcorpus.stages import REGISTRY, register_stage  # noqa: E402
from pdcorpus.stages.base import BucketReduceStage, StageParams  # noqa: E402


class LongestPerUrlParams(StageParams):
    pass


class LongestPerUrl(BucketReduceStage):
    """Keeps the longest text of each URL (ties: the lowest id); the others are set aside. Records meet by
    URL in hash buckets, one task each; a bucket arrives in the plan's order, so the result is the same for
    any worker count."""

    name = "longest-per-url"
    Params = LongestPerUrlParams

    def partition_key(self, record: Record) -> str:
        return record.url or record.id

    def _best(self, records) -> dict[str, tuple[int, str]]:
        best: dict[str, tuple[int, str]] = {}
        for record in records:
            key, rank = self.partition_key(record), (-len(record.text or ""), record.id)
            if key not in best or rank < best[key]:
                best[key] = rank
        return best

    def reduce(self, batches):
        best = self._best(r for batch in batches() for r in table_to_records(batch))
        for batch in batches():
            yield from self._keep(table_to_records(batch), best)

    def _keep(self, records, best):
        for record in records:
            self.stats.add(record.source, n_in=1)
            if (-len(record.text or ""), record.id) == best[self.partition_key(record)]:
                self.stats.add(record.source, n_out=1)
                yield record
            else:
                self.drop(record, "shorter-text", f"than {best[self.partition_key(record)][1]}")

    def __call__(self, records):
        records = list(records)
        yield from self._keep(records, self._best(records))


def test_a_global_stage_defined_outside_pdcorpus_runs_as_its_own_phase(tmp_path):
    register_stage(LongestPerUrl)  # the one registry line
    try:
        (tmp_path / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [
            {"id": "p1", "url": "https://a.org/x", "text": "short"},
            {"id": "p2", "url": "https://a.org/x", "text": "the longest text of x"},
            {"id": "p3", "url": "https://a.org/y", "text": "only y"},
            {"id": "p4", "url": "https://a.org/x", "text": "a longer text"},
            {"id": "p5", "url": "https://a.org/z", "text": "only y"},  # an exact duplicate of p3's text
        ]))
        config = tmp_path / "corpus.yaml"
        config.write_text("""name: pages
output: out
sources:
  - {name: web, license: CC0-1.0, read: {format: jsonl, paths: [pages.jsonl]}}
stages:
  - longest-per-url: {}
  - length: {min_chars: 1}
  - dedup: {method: exact}
exchange: {buckets: 3}
""")
        manifests = [build(str(config), output=str(tmp_path / f"out{w}"), workers=w, progress=False) for w in (1, 2)]
        for w in (1, 2):
            table = pq.read_table(tmp_path / f"out{w}" / "data" / "web")
            # by first principles: x keeps p2 (the longest), y keeps p3, z's p5 duplicates p3's text (exact
            # dedup keeps the lower id)
            assert sorted(table.column("id").to_pylist()) == ["web:p2", "web:p3"]
        assert manifests[0]["dropped"] == {"longest-per-url:shorter-text": 2, "dedup:exact:duplicate": 1}
        assert [s["sha256"] for s in manifests[0]["shards"]] == [s["sha256"] for s in manifests[1]["shards"]]
        phases = list(manifests[0]["timings"]["phases"])
        assert phases == ["p0-read", "p1-ids", "p2-longest-per-url", "p3-dedup-exact", "p4-write"]
    finally:
        REGISTRY.pop("longest-per-url", None)


# -- the worked example of docs/architecture.md, "How to add a runner" ---------------------------------------

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

from pdcorpus.runners import Runner, TaskFailed  # noqa: E402
from pdcorpus.tasks import execute  # noqa: E402


class ThreadRunner:
    """Runs a phase's tasks on threads of this process: ``execute`` wherever a worker is, results in task order."""

    name = "threads"

    def __init__(self, workers: int = 3) -> None:
        self.workers = workers

    def start(self, plan) -> None:
        self.plan = plan
        self.pool = ThreadPoolExecutor(self.workers)

    def run(self, phase, tasks, strict=False):
        def one(task):
            try:
                return execute(self.plan, phase, task, strict=strict)
            except Exception as exc:
                raise TaskFailed(phase, task.label, exc) from exc
        return list(self.pool.map(one, tasks))

    def close(self) -> None:
        self.pool.shutdown()


def test_a_runner_defined_outside_pdcorpus_builds_the_same_shards(tmp_path):
    assert isinstance(ThreadRunner(), Runner)
    config = _corpus(tmp_path)
    config.write_text(config.read_text() + "  - dedup: {method: minhash, threshold: 0.5}\nexchange: {buckets: 4}\n")
    local = build(str(config), output=str(tmp_path / "local"), workers=2, progress=False)
    threads = build(str(config), output=str(tmp_path / "threads"), runner=ThreadRunner(), progress=False)
    assert threads["runner"]["name"] == "threads" and threads["runner"]["workers"] == 3
    assert [(s["path"], s["sha256"]) for s in threads["shards"]] == [(s["path"], s["sha256"]) for s in local["shards"]]
    assert threads["dropped"] == local["dropped"]


def test_the_worked_examples_in_the_architecture_document_are_the_ones_tested_here():
    """docs/architecture.md shows these examples; each code block there is, line for line, code of this file."""
    import re

    doc = (Path(__file__).parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    here = Path(__file__).read_text(encoding="utf-8")
    for section in ("How to add an input format", "How to add a stage", "How to add a runner"):
        text = doc.split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
        blocks = re.findall(r"```python\n(.*?)```", text, re.S)
        assert blocks, section
        for block in blocks:
            assert block in here, f"{section}: the example is not the tested code:\n{block}"
