"""The stage contract.

A stage is a small object with one job. Streaming stages map or filter
records one by one (``Iterable[Record] -> Iterator[Record]``) and count what
they pass and drop, by source and by reason; the base classes do the
bookkeeping so that a filter only says yes or no (and why).

A *global* stage needs to see every record with the same key at once (exact
dedup is the first). Over a plain iterable it works in memory; in a planned
build the planner cuts the pipeline there, partitions records by
``partition_key`` into hash buckets and calls ``reduce`` once per bucket.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Iterator

from pydantic import BaseModel, ConfigDict

from pdcorpus.accounting import DivertSink, Reject, RejectSink, StageKey, StageStats  # noqa: F401 (the stage contract)
from pdcorpus.record import Record


@dataclass(frozen=True)
class StageContext:
    """What the planner tells every stage of a build before it runs."""

    source_priority: dict[str, int] = field(default_factory=dict)
    # source -> (licence statement, evidence, override) stated for a whole collection in the config
    source_licenses: dict[str, tuple[str, str | None, bool]] = field(default_factory=dict)
    today: str | None = None  # ISO date fixed when the build started, so a resumed build decides alike
    storage_options: dict[str, Any] = field(default_factory=dict)  # of the output (an earlier release beside it)
    work: tuple[Any, str] | None = None  # (file system, root) of the build's work folder, for build-wide state
    work_dir: str | None = None  # the same folder as written (a URL), with its storage options: for a stage
    work_storage_options: dict[str, Any] = field(default_factory=dict)  # that caches (the optout registry)




class StageParams(BaseModel):
    """Base for a stage's configuration; unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class Stage(ABC):
    """Base of every stage. Subclasses set ``name`` (the key used in YAML)."""

    name: ClassVar[str] = "stage"
    is_global: ClassVar[bool] = False
    Params: ClassVar[type[StageParams]] = StageParams

    def __init__(self) -> None:
        self.on_reject: RejectSink | None = None
        self.on_divert: DivertSink | None = None
        # records diverted while no sink is set (a stage used on its own): kept here for the caller
        self.diverted: dict[str, list[Record]] = {}
        self._stats: StageStats | None = None

    def bind(self, context: StageContext) -> None:
        """Told by the planner what a stage may need of the build (source priorities, licences, the date)."""

    @property
    def stats(self) -> StageStats:
        """Counters of this stage object (created on first use, so ``label`` may use attributes set later)."""
        if self._stats is None:
            self._stats = StageStats(self.label)
        return self._stats

    @property
    def label(self) -> str:
        return self.name

    @classmethod
    def from_params(cls, params: StageParams) -> "Stage":
        return cls(**params.model_dump())

    @abstractmethod
    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        """The stage over a stream of records."""

    def drop(self, record: Record, reason: str, detail: str | None = None) -> None:
        self.stats.add(record.source, dropped={reason: 1})
        if self.on_reject is not None:
            self.on_reject(Reject(stage=self.label, reason=reason, source=record.source, id=record.id,
                                  detail=detail, record=record))

    def divert(self, queue: str, record: Record, reason: str) -> None:
        """Takes a record out of the corpus into a side output (``review``), counted as ``queue:reason``."""
        self.stats.add(record.source, dropped={f"{queue}:{reason}": 1})
        if self.on_divert is not None:
            self.on_divert(queue, record)
        else:
            self.diverted.setdefault(queue, []).append(record)


class MapStage(Stage):
    """A stage that changes each record; implement ``map``."""

    @abstractmethod
    def map(self, record: Record) -> Record:
        """The record, changed."""

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        for record in records:
            record = self.map(record)
            add(record.source, 1, 1)
            yield record


class FilterStage(Stage):
    """A stage that keeps or drops; implement ``filter`` returning a bool or ``(bool, reason)``."""

    default_reason: ClassVar[str] = "filtered"

    @abstractmethod
    def filter(self, record: Record) -> bool | tuple[bool, str]:
        """Keep the record? Optionally with the reason when not."""

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        for record in records:
            verdict = self.filter(record)
            keep, reason = verdict if isinstance(verdict, tuple) else (verdict, self.default_reason)
            if keep:
                add(record.source, 1, 1)
                yield record
            else:
                add(record.source, 1, 0)
                self.drop(record, reason)


@dataclass(frozen=True)
class Intake:
    """How the task before a global stage writes its records for it: each record to a partition of its exchange
    file (``partition``), and, if the stage needs more of each record than the record (signatures for a
    near-dedup), a ``sidecar(ctx)`` that sees the records in batches as they are written. ``by_source``: the
    partition is the record's source, so columnar output may be partitioned without making records."""

    partition: Callable[[Record], str]
    sidecar: Callable[[Any], Any] | None = None
    by_source: bool = False


@dataclass(frozen=True)
class StepInputs:
    """What a global stage is given to plan the tasks of one of its phases."""

    upstream: list[dict[str, Any]]  # the results of the phase before the stage (its records, in its exchange)
    earlier: dict[str, list[dict[str, Any]]]  # the results of the stage's own earlier phases, by step name
    buckets: int  # the plan's hash bucket count
    labels: dict[int, str] = field(default_factory=dict)  # upstream task index -> its label (an input file)


class GlobalStage(Stage):
    """A stage that must see records together (dedup). It owns its phases; the planner and the build run them.

    The protocol, which the build knows nothing beyond:

    - ``steps()``: the names of its phases, in order (the work folder's ``p<n>-<step>``);
    - ``intake(buckets)``: how the task before it writes its records for it (``Intake``);
    - ``tasks(step, inputs)``: the tasks of one phase, from the results of the phases before (``StepInputs``);
      each task is a picklable object with ``index``, ``label`` and ``run(ctx) -> dict`` (its result, kept in
      its completion marker and given to the later phases);
    - ``upstream_tasks()``: tasks of its own to run in the phase before it (an earlier release to dedup against).

    A task's ``ctx`` (``pdcorpus.tasks.TaskContext``) gives it its bound stage (``ctx.stage``, counting and
    setting aside into the task's rejects), reading of exchange units (``ctx.read_units``), writing of work files
    (``ctx.write_table``), and ``ctx.emit(records)`` for the records it passes on: through the streaming stages
    after it, into the exchange partitioned for whatever comes next. Counters and rejects are collected by the
    build. Over a plain iterable (library use, ``Pipeline``) a global stage works in memory (``__call__``).
    """

    is_global = True

    def steps(self) -> list[str]:
        return [self.label.replace(":", "-")]

    @abstractmethod
    def intake(self, buckets: int) -> Intake:
        """How the records reach this stage's first phase."""

    @abstractmethod
    def tasks(self, step: str, inputs: StepInputs) -> list[Any]:
        """The tasks of phase ``step``."""

    def upstream_tasks(self) -> list[Any]:
        """Tasks run with the phase before this stage (their ``index`` is set by the planner)."""
        return []


class BucketReduceStage(GlobalStage):
    """A global stage that works bucket by bucket: equal ``partition_key``, same bucket, one task each.

    ``reduce`` processes one bucket, given a function that returns a fresh iterator of Arrow batches
    over it (so it may read the bucket twice and keep only small state in memory). Implementing
    ``partition_key`` and ``reduce`` (and ``__call__`` for library use) is all a new stage of this kind needs.
    """

    @abstractmethod
    def partition_key(self, record: Record) -> str:
        """Records with the same key must meet in one bucket."""

    @abstractmethod
    def reduce(self, batches: Callable[..., Iterator[Any]]) -> Iterator[Record]:
        """The records of one bucket that go on."""

    def intake(self, buckets: int) -> Intake:
        from pdcorpus.io.exchange import bucket_of

        key = self.partition_key
        return Intake(lambda record: f"{bucket_of(key(record), buckets):05d}")

    def tasks(self, step: str, inputs: StepInputs) -> list[Any]:
        from pdcorpus.io.exchange import bucket_units

        return [BucketTask(b, units) for b, units in enumerate(bucket_units(inputs.upstream, inputs.buckets))]


@dataclass(frozen=True)
class BucketTask:
    """One hash bucket of a ``BucketReduceStage``: its rows in every upstream task, reduced, passed on."""

    index: int  # the bucket
    units: tuple  # of pdcorpus.io.exchange.Unit

    @property
    def label(self) -> str:
        return f"bucket {self.index}"

    def run(self, ctx: Any) -> dict[str, Any]:
        stage = ctx.stage
        units = list(self.units)

        def batches(columns: list[str] | None = None) -> Iterator[Any]:
            return ctx.read_units(units, columns)

        if hasattr(stage, "reduce_batches") and ctx.columnar:  # survivors need not become records
            return ctx.emit_batches(stage.reduce_batches(batches))
        return ctx.emit(stage.reduce(batches))


class Pipeline:
    """Stages chained over a plain iterable: ``Pipeline([a, b])(records)``.

    What a stage takes out of the corpus is never lost: set-aside records go to ``on_reject``, and
    diverted ones (the rights stage's ``review``) to ``on_divert(queue, record)`` or, without it, to
    ``pipeline.diverted[queue]``, a list per queue in the order they were diverted.
    """

    def __init__(self, stages: Iterable[Stage], on_reject: RejectSink | None = None,
                 on_divert: DivertSink | None = None) -> None:
        self.stages = list(stages)
        self.diverted: dict[str, list[Record]] = {}
        for stage in self.stages:
            if on_reject is not None:
                stage.on_reject = on_reject
            if on_divert is not None:
                stage.on_divert = on_divert
            elif stage.on_divert is None:
                stage.on_divert = self._keep

    def _keep(self, queue: str, record: Record) -> None:
        self.diverted.setdefault(queue, []).append(record)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        stream: Iterable[Record] = records
        for stage in self.stages:
            stream = stage(stream)
        return iter(stream)

    def stats(self) -> list[StageStats]:
        return [stage.stats for stage in self.stages]
