"""What one task does, wherever it runs: the task context, the read and write tasks, and ``execute``.

A task is an object with ``index``, ``label`` and ``run(ctx) -> dict``: the read tasks and shard tasks here,
the tasks of each global stage in the stage's own module. ``execute`` gives a task its context, runs it, adds
its counters and rejects to its result, and writes that result as its completion marker. Each task writes its
outputs under temporary names, renames them when whole, and last writes the marker, so a task either happened
entirely or not at all; a re-run skips tasks with a marker.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pdcorpus.accounting import Reject, StageKey
from pdcorpus.io.atomic import WholeFile, atomic_open
from pdcorpus.io.exchange import Drops, PartitionedSpill, Unit, read_units
from pdcorpus.io.formats import get_format
from pdcorpus.io.memory import use_lean_pool
from pdcorpus.io.parquet import open_arrow, shard_name, write_parquet
from pdcorpus.io.readers import InputError, InputFile
from pdcorpus.optout import release_guard
from pdcorpus.ownership import file_identity, same_identity
from pdcorpus.profiling import CHECKSUMS, TaskProfile
from pdcorpus.record import SCHEMA, Record, records_to_table
from pdcorpus.redact import redact
from pdcorpus.stages.base import GlobalStage, Intake, Stage, StepInputs
from pdcorpus.unique_ids import IdKeys

if TYPE_CHECKING:  # pragma: no cover
    from pdcorpus.plan import Phase, Plan

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000
# Shards are planned to this fraction of max_bytes, less a footer allowance.
SHARD_FILL = 0.85
SHARD_FOOTER_BYTES = 8 * 1024


class StrictModeError(Exception):
    """A record had to be set aside and the build runs with --strict."""


class RejectWriter:
    """Streams a task's rejects as JSON lines to ``OUT/rejects/<phase>-t<task>.jsonl`` (if enabled)."""

    def __init__(self, plan: Plan, phase: Phase, task: int, strict: bool = False) -> None:
        cfg = plan.config.rejects
        self.enabled = cfg.write
        self.content = cfg.content
        self.strict = strict
        self.env = plan.loaded.env
        self.fs, root = plan.config.output_fs()
        self.path = f"{root}/rejects/{phase.name}-t{task:05d}.jsonl"
        self._file: WholeFile | None = None
        self.count = 0

    def __call__(self, reject: Reject) -> None:
        if self.strict and reject.stage == "read":
            raise StrictModeError(redact(reject.describe(), self.env))
        self.count += 1
        if not self.enabled:
            return
        if self._file is None:
            self._file = WholeFile(self.fs, self.path)
        entry = reject.to_dict(self.content)
        for key in ("file", "detail"):  # an input's URL may carry credentials
            if entry.get(key):
                entry[key] = redact(entry[key], self.env)
        self._file.handle.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")

    def close(self) -> str | None:
        if self._file is None:
            if self.fs.exists(self.path):  # from an earlier attempt that rejected differently: impossible, but stale
                self.fs.rm(self.path)
            return None
        return self._file.commit()

    def abort(self) -> None:
        if self._file is not None:
            self._file.abort()


class QueueWriter:
    """Records diverted to a side queue (``review``) as Parquet in the output schema:
    ``OUT/<queue>/<phase>-t<task>.parquet``, written whole (``WholeFile``)."""

    BATCH = 1024

    def __init__(self, plan: Plan, phase: Phase, task: int, queue: str) -> None:
        self.fs, root = plan.config.output_fs()
        self.path = f"{root}/{queue}/{phase.name}-t{task:05d}.parquet"
        self.compression = plan.config.shards.compression
        self._buffer: list[Record] = []
        self._file: WholeFile | None = None
        self._writer: pq.ParquetWriter | None = None
        self.count = 0

    def add(self, record: Record) -> None:
        self._buffer.append(record)
        self.count += 1
        if len(self._buffer) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self._file = WholeFile(self.fs, self.path)
            self._writer = pq.ParquetWriter(self._file.handle, SCHEMA, compression=None if self.compression == "none"
                                            else self.compression)
        self._writer.write_table(records_to_table(self._buffer))
        self._buffer = []

    def close(self) -> str | None:
        self._flush()
        if self._writer is None:
            if self.fs.exists(self.path):
                self.fs.rm(self.path)
            return None
        self._writer.close()
        return self._file.commit()

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._file.abort()


class Sinks:
    """Where a task's stages send what leaves the corpus: rejects, and side queues such as review."""

    def __init__(self, plan: Plan, phase: Phase, task: int, strict: bool) -> None:
        self.plan, self.phase, self.task = plan, phase, task
        self.rejects = RejectWriter(plan, phase, task, strict)
        self.queues: dict[str, QueueWriter] = {}

    def divert(self, queue: str, record: Record) -> None:
        writer = self.queues.get(queue)
        if writer is None:
            writer = self.queues[queue] = QueueWriter(self.plan, self.phase, self.task, queue)
        writer.add(record)

    def close(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rejects": self.rejects.close(), "rejected": self.rejects.count}
        out["queues"] = {name: {"path": w.close(), "rows": w.count} for name, w in sorted(self.queues.items())}
        return out

    def abort(self) -> None:
        """A task that failed: its files abandoned (on an object store, an unclosed file would be sent when
        collected, half-written, at its final key)."""
        for writer in [self.rejects, *self.queues.values()]:
            try:
                writer.abort()
            except Exception:  # noqa: BLE001 - the task's own error matters more
                pass


def _counted(records: Iterable[Record], progress: Progress | None) -> Iterator[Record]:
    n = 0
    for record in records:
        yield record
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None and n % PROGRESS_EVERY:
        progress(n % PROGRESS_EVERY)


def _chain(records: Iterable[Record], stages: list[tuple[str, Stage]], profile: TaskProfile | None = None,
           ) -> Iterable[Record]:
    if profile is not None:  # --profile: each stage's output timed (pdcorpus/profiling.py)
        return profile.chain(records, stages)
    for _, stage in stages:
        records = stage(records)
    return records


class TaskContext:
    """What a task is given: where it writes, its bound stages and sinks, and how it passes records on.

    ``emit(records)`` sends the records a task passes on through the streaming stages after its phase's
    stage and into its exchange file, partitioned as the next global stage (or the writer) takes them
    (its ``Intake``); ``spill`` does the same without those stages.
    """

    def __init__(self, plan: "Plan", phase: "Phase", index: int, progress: Progress | None = None,
                 strict: bool = False) -> None:
        self.plan, self.phase, self.index = plan, phase, index
        self.strict = strict
        self._progress = progress
        self.work_fs, self.work_root = plan.config.work_fs()
        self.dir = f"{self.work_root}/{phase.name}"
        self.exchange = f"{self.dir}/t{index:05d}.parquet"
        self.compression = plan.config.shards.compression
        self.exchange_compression = plan.config.exchange_compression()  # between global stages
        self.buckets = plan.buckets
        self._sinks: Sinks | None = None
        self._stage: GlobalStage | None = None
        self._after: list[tuple[str, Stage]] | None = None
        self.drops: Drops | None = None  # set by plan.LessDrops
        # --profile: what the task measures of itself (None: nothing is measured)
        self.profile: TaskProfile | None = TaskProfile(self.work_fs) if getattr(plan, "profile", False) else None

    # -- what the task works with ---------------------------------------------------------------------------

    @property
    def sinks(self) -> "Sinks":
        if self._sinks is None:
            self._sinks = Sinks(self.plan, self.phase, self.index, self.strict)
        return self._sinks

    @property
    def stage(self) -> GlobalStage:
        """The phase's global stage, new for this task, counting into its stats and setting aside into its rejects."""
        if self._stage is None:
            self._stage = self.plan.new_consumer(self.phase.owner)
            self._bind(self._stage)
        return self._stage

    def _bind(self, stage: Stage) -> None:
        stage.on_reject = self.sinks.rejects
        stage.on_divert = self.sinks.divert
        stage.bind(self.plan.context())

    def bound(self, specs: list[Any]) -> list[tuple[str, Stage]]:
        """Streaming stages from their validated specs (``config.StageSpec``), bound to this task, with their
        counters' keys."""
        out = []
        for spec in specs:
            stage = self.plan.new_stage(spec)
            self._bind(stage)
            out.append((stats_key(spec.scope, spec.position, stage.label), stage))
        return out

    @property
    def after(self) -> list[tuple[str, Stage]]:
        """The streaming stages that follow this phase's stage (in the phase that passes its records on)."""
        if self._after is None:
            self._after = self.bound(self.plan.after(self.phase))
        return self._after

    def progress(self, n: int) -> None:
        if self._progress is not None:
            self._progress(n)

    def counted(self, records: Iterable[Record]) -> Iterator[Record]:
        return _counted(records, self._progress)

    def read_units(self, units: list[Unit], columns: list[str] | None = None) -> Iterator[pa.RecordBatch]:
        """Rows of exchange files, less the rows the ids phase set aside (``drops``) when this task reads the read
        tasks' records past it."""
        if self.profile is not None:
            return self.profile.exchange_read(read_units(self.work_fs, units, columns, self.drops), units,
                                              columns is None)
        return read_units(self.work_fs, units, columns, self.drops)

    def read_table(self, path: str) -> pa.Table:
        started = time.perf_counter()
        with open_arrow(self.work_fs, path) as fh:
            pf = pq.ParquetFile(fh)
            table = pf.read()
        if self.profile is not None:
            meta = pf.metadata
            self.profile.read_file(time.perf_counter() - started, sum(
                meta.row_group(g).column(c).total_compressed_size for g in range(meta.num_row_groups)
                for c in range(meta.num_columns)), table.num_rows)
        return table

    def write_table(self, path: str, table: pa.Table) -> str:
        """A work file, written whole under a temporary name and renamed into place."""
        codec = self.exchange_compression
        started = time.perf_counter()
        with atomic_open(self.work_fs, path, "wb") as fh:
            pq.write_table(table, fh, compression=None if codec == "none" else codec)
        if self.profile is not None:
            self.profile.wrote_file(time.perf_counter() - started, path)
        return path

    # -- passing records on ---------------------------------------------------------------------------------

    @property
    def intake(self) -> Intake:
        return self.plan.intake_after(self.phase)

    @property
    def columnar(self) -> bool:
        """Whether this task may pass Arrow batches on (``emit_batches``): no stage follows, and what comes next
        takes records by source."""
        return not self.after and self.intake.by_source

    def emit(self, records: Iterable[Record]) -> dict[str, Any]:
        records = self.counted(records)
        if self.profile is not None:
            records = self.profile.source(records)
        return self.spill(_chain(records, self.after, self.profile))

    def spill(self, records: Iterable[Record]) -> dict[str, Any]:
        """Writes records to the task's exchange file, partitioned for what comes next (and its sidecar: the
        signatures of a near-dedup). Returns what the result records of it."""
        if self.profile is not None:
            with self.profile.spilling(records) as spilling:
                return self._spill(spilling.records, spilling.sign)
        return self._spill(records)

    def _spill(self, records: Iterable[Record], timed: Callable[[Any], Any] | None = None) -> dict[str, Any]:
        intake = self.intake
        # the writer plans shards from these files' sizes, so they are in the shards' codec; the others not
        codec = self.compression if intake.by_source else self.exchange_compression
        keys = IdKeys(self.work_fs, self.exchange, self.buckets, self.exchange_compression) \
            if self.plan.writes_id_keys(self.phase) else None
        spill = PartitionedSpill(self.work_fs, self.exchange, codec, on_write=keys.on_write if keys else None)
        sidecar = intake.sidecar(self) if intake.sidecar is not None else None
        partition = intake.partition
        try:
            if sidecar is None:
                for record in records:
                    spill.add(partition(record), record)
            else:
                batches = sidecar.batches(records)
                for batch in (timed(batches) if timed is not None else batches):
                    for record in batch:
                        spill.add(partition(record), record)
            index = spill.close()
            out: dict[str, Any] = {"file": self.exchange, "index": index, "rows": spill.rows}
            if keys is not None:
                out.update(keys.close())
            if sidecar is not None:
                out.update(sidecar.close())
        except BaseException:
            spill.abort()
            for side in (keys, sidecar):
                if side is not None:
                    side.abort()
            raise
        return out

    def emit_batches(self, batches: Iterable[pa.RecordBatch]) -> dict[str, Any]:
        """Columnar output going to the writer: partitioned by source without becoming records."""
        assert self.columnar, "emit_batches: a stage follows, or what comes next does not take records by source"
        if self.profile is not None:
            with self.profile.spilling(self.profile.source(batches, batches=True)) as spilling:
                return self._emit_batches(spilling.records)
        return self._emit_batches(batches)

    def _emit_batches(self, batches: Iterable[pa.RecordBatch]) -> dict[str, Any]:
        spill = PartitionedSpill(self.work_fs, self.exchange, self.compression)
        try:
            for batch in batches:
                sources = batch.column("source")
                for source in sorted(set(sources.to_pylist())):
                    spill.add_batch(source, batch.filter(pc.equal(sources, source)))
                self.progress(batch.num_rows)
            index = spill.close()
        except BaseException:
            spill.abort()
            raise
        return {"file": self.exchange, "index": index, "rows": spill.rows}

    # -- what execute adds to a result ----------------------------------------------------------------------

    def accounts(self) -> dict[str, Any]:
        """The counters of the phase's stage and the stages after it, and the rejects and queues written."""
        out: dict[str, Any] = {}
        stats = {}
        if self._stage is not None:
            stats[self.plan.stats_key(self.phase.owner, self._stage)] = self._stage.stats.to_dict()
        for key, stage in self._after or []:
            stats[key] = stage.stats.to_dict()
        if stats:
            out["stats"] = stats
        if self._sinks is not None:
            out.update(self._sinks.close())
        return out


def stats_key(scope: str, position: int | None, label: str) -> str:
    """The key of a stage's counters in a task result: its scope (a source or ``global``), its position in
    that scope's stage list (None for a reader), and its label (``pdcorpus.accounting.StageKey``)."""
    return str(StageKey(scope, position, label))


def _input_sha256(reader: Any, file: InputFile, storage_options: dict, env: dict[str, str]) -> str:
    """The input's sha256 as its reader computes it, after the task read it; a file must still be the one
    the plan listed (and the work state recorded): same size, modification time or ETag. So the checksum is
    of the bytes the records came from, and an input edited during the build fails its task, naming it."""
    digest = reader.input_sha256(file)
    if file.identity:
        fs, path = fsspec.core.url_to_fs(file.url, **storage_options)
        now = file_identity(fs.info(path))
        if not same_identity(file.identity, now):
            raise InputError(f"{redact(file.url, env)}: changed while the build was reading it (was {file.identity}, "
                             f"now {now}); run the build again once the inputs are final (--fresh to start over)")
    return digest


@dataclass(frozen=True)
class ReadTask:
    """One input (or a group of small ones, or a part of one) of a source: read, its source's stages and the
    streaming stages before the first global one, into the exchange."""

    index: int
    source: str
    files: tuple[InputFile, ...]
    part: Any = None  # a reader's piece of one file (urls: lines first..stop, byte offset)

    @property
    def label(self) -> str:
        first = self.files[0].url
        if self.part is not None:
            return f"{first} lines {self.part[0]}-{self.part[1] - 1}"
        return first if len(self.files) == 1 else f"{first} (+{len(self.files) - 1} files)"

    def run(self, ctx: TaskContext) -> dict[str, Any]:
        plan = ctx.plan
        source = next(s for s in plan.config.sources if s.name == self.source)
        sinks = ctx.sinks
        reader = get_format(source.read.format).from_options(
            source.name, source.read, fields=source.fields, metadata=source.metadata,
            max_chars=plan.config.limits.max_chars, on_reject=sinks.rejects, part=self.part)
        reader.work = (ctx.work_fs, f"{ctx.dir}/t{self.index:05d}.state")  # the task's own progress (OAI-PMH pages)
        reader.bind(plan.context())
        stages = ctx.bound(plan.loaded.stage_specs(source.name)) + ctx.bound(plan.pre_global)
        stages += release_guard(plan, sinks)  # records removed from an earlier release stay out (pdcorpus/optout.py)
        records = reader.read_all(self.files)
        if source.read.limit is not None:  # stops the reader (and its paging) after the slice
            records = itertools.islice(records, source.read.limit)
        records = ctx.counted(records)
        if ctx.profile is not None:
            records = ctx.profile.reader(stats_key(source.name, None, "read"), records)
        spilled = ctx.spill(_chain(records, stages, ctx.profile))
        stats = {stats_key(source.name, None, "read"): reader.stats.to_dict()}
        if hasattr(reader, "fetch_stats"):  # a urls source: its fetching, counted as a step before the source's stages
            stats[stats_key(source.name, -1, "fetch")] = reader.fetch_stats.to_dict()
        stats.update({key: stage.stats.to_dict() for key, stage in stages})
        with ctx.profile.timed(CHECKSUMS) if ctx.profile is not None else contextlib.nullcontext():
            inputs = [{"source": source.name, "path": redact(f.url, plan.loaded.env), "bytes": f.size,
                       "sha256": _input_sha256(reader, f, source.read.storage_options, plan.loaded.env)}
                      for f in self.files if self.part is None or self.part[0] == 1]  # a file in parts: listed once
        return {**spilled, "stats": stats, "inputs": inputs}


# -- the writer: the last phase, one task per output shard ---------------------------------------------------

class ShardWriting(GlobalStage):
    """The write phase, as a consumer of records like the global stages: records arrive partitioned by source;
    each source's row groups, in task order, are packed into shards of at most ``max_bytes``
    (``data/<source>/train-NNNNN-of-MMMMM.parquet``)."""

    name = "write"

    def __init__(self, sources: list[str], max_bytes: int, compression: str) -> None:
        super().__init__()
        self.sources, self.max_bytes, self.compression = sources, max_bytes, compression

    def __call__(self, records):  # pragma: no cover - a build's phase only
        raise TypeError("the write phase is not a stage of a pipeline: use ParquetShardWriter")

    def steps(self) -> list[str]:
        return ["write"]

    def intake(self, buckets: int) -> Intake:
        return Intake(lambda record: record.source, by_source=True)

    def tasks(self, step: str, inputs: StepInputs) -> list["ShardTask"]:
        """Packs each source's exchange row groups, in task order, into shards of at most max_bytes.

        Sizes are the exchange's compressed bytes, written with the shards' codec; a shard compresses a little
        worse when it is cut from a larger row group and carries its own footer, hence the margin.
        """
        max_bytes = max(self.max_bytes // 2, int(self.max_bytes * SHARD_FILL) - SHARD_FOOTER_BYTES)
        tasks: list[ShardTask] = []
        for source in self.sources:
            units: list[Unit] = []
            for result in inputs.upstream:
                for group, rows, nbytes in result.get("index", {}).get(source, []):
                    pieces = max(1, math.ceil(nbytes / max_bytes))
                    step_rows = math.ceil(rows / pieces)
                    for start in range(0, rows, step_rows):
                        stop = min(rows, start + step_rows)
                        units.append(Unit(result["file"], group, start, stop, nbytes * (stop - start) // rows))
            shards: list[list[Unit]] = []
            size = 0
            for unit in units:
                if not shards or (size + unit.bytes > max_bytes and size > 0):
                    shards.append([])
                    size = 0
                shards[-1].append(unit)
                size += unit.bytes
            for number, shard in enumerate(shards):
                path = f"data/{source}/{shard_name(number, len(shards))}"
                tasks.append(ShardTask(len(tasks), source, path, tuple(shard)))
        return tasks


@dataclass(frozen=True)
class ShardTask:
    index: int
    source: str
    path: str  # relative to the output: data/<source>/train-...parquet
    units: tuple[Unit, ...]

    @property
    def label(self) -> str:
        return self.path

    def run(self, ctx: TaskContext) -> dict[str, Any]:
        out_fs, root = ctx.plan.config.output_fs()
        path = f"{root}/{self.path}"
        counts: dict[str, Counter] = {"license": Counter(), "language": Counter()}
        chars = [0, 0]  # characters of text, records with an image
        retrieved: list[str] = []  # the least and the greatest retrieved_at so far (ISO 8601 sorts as text)

        def tables():
            for batch in ctx.read_units(list(self.units)):
                ctx.progress(batch.num_rows)
                chars[0] += pc.sum(pc.utf8_length(batch.column("text"))).as_py() or 0
                chars[1] += batch.num_rows - batch.column("image").null_count
                retrieved.extend(v for v in pc.min_max(batch.column("retrieved_at")).as_py().values() if v is not None)
                retrieved[:] = [min(retrieved), max(retrieved)] if retrieved else []
                for column, counter in counts.items():
                    for item in pc.value_counts(batch.column(column)).to_pylist():
                        counter[item["values"] if item["values"] is not None else "none"] += item["counts"]
                yield pa.Table.from_batches([batch])

        shard = write_parquet(out_fs, path, _rebatch(tables()), ctx.compression)
        return {"path": self.path, "source": self.source, "rows": shard.rows, "bytes": shard.bytes,
                "sha256": shard.sha256,
                "licenses": dict(sorted(counts["license"].items())),
                "languages": dict(sorted(counts["language"].items())), "text_chars": chars[0], "images": chars[1],
                "retrieved_at_min": retrieved[0] if retrieved else None,
                "retrieved_at_max": retrieved[-1] if retrieved else None}


def _rebatch(tables: Iterable, target_rows: int = 20_000, target_bytes: int = 16 * 1024 * 1024):
    """Joins the exchange's small row groups into row groups sized for streaming readers."""
    pending: list = []
    rows = size = 0
    for table in tables:
        pending.append(table)
        rows += table.num_rows
        size += table.nbytes
        if rows >= target_rows or size >= target_bytes:
            yield pa.concat_tables(pending)
            pending, rows, size = [], 0, 0
    if pending:
        yield pa.concat_tables(pending)


def marker_path(plan: "Plan", phase: "Phase", index: int) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = plan.config.work_fs()
    return fs, f"{root}/{phase.name}/t{index:05d}.done.json"


def execute(plan: "Plan", phase: "Phase", task: Any, progress: Progress | None = None, strict: bool = False) -> dict:
    """Runs one task and marks it complete; the result is what the marker holds."""
    use_lean_pool()
    fs, marker = marker_path(plan, phase, task.index)
    started = time.perf_counter()
    ctx = TaskContext(plan, phase, task.index, progress, strict)
    try:
        result = task.run(ctx)
    except BaseException:
        if ctx._sinks is not None:
            ctx._sinks.abort()
        raise
    ran = time.perf_counter()
    accounts = ctx.accounts()
    if "stats" in accounts:
        result.setdefault("stats", {}).update(accounts.pop("stats"))
    result.update(accounts)
    result["seconds"] = round(time.perf_counter() - started, 3)
    if ctx.profile is not None:
        own = None if phase.owner == "read" else plan.stats_key(phase.owner, ctx._stage or plan.consumer(phase.owner))
        result["profile"] = ctx.profile.result(result, own, ran - started, time.perf_counter() - started)
    result["task"] = task.index
    with atomic_open(fs, marker, "w") as fh:
        json.dump(result, fh)
    return result


def load_marker(plan: "Plan", phase: "Phase", index: int) -> dict | None:
    fs, marker = marker_path(plan, phase, index)
    if not fs.exists(marker):
        return None
    with fs.open(marker, "r") as fh:
        return json.load(fh)
