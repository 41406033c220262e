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
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, Iterator

from pydantic import BaseModel, ConfigDict

from pdcorpus.record import Record


@dataclass
class Reject:
    """A record (or input line) set aside, with where it came from and why."""

    stage: str
    reason: str
    source: str | None = None
    id: str | None = None
    file: str | None = None
    line: int | None = None
    detail: str | None = None
    record: Record | None = None
    raw: str | None = None  # the offending input, when there was no record to keep

    def to_dict(self, with_content: bool = False) -> dict[str, Any]:
        out = {"stage": self.stage, "reason": self.reason, "source": self.source, "id": self.id,
               "file": self.file, "line": self.line, "detail": self.detail}
        if with_content:
            if self.record is not None:
                out["text"] = self.record.text
                out["caption"] = self.record.caption
            if self.raw is not None:
                out["raw"] = self.raw
        return out

    def describe(self) -> str:
        where = self.file or self.source or "?"
        if self.line is not None:
            where += f", line {self.line}"
        if self.id:
            where += f" (record {self.id})"
        detail = f": {self.detail}" if self.detail else ""
        return f"{where}: {self.stage} set aside this record as '{self.reason}'{detail}"


RejectSink = Callable[[Reject], None]


@dataclass
class StageStats:
    """What one stage saw: records in and out, and drops by reason, per source."""

    name: str
    by_source: dict[str, dict[str, Any]] = field(default_factory=dict)

    def _slot(self, source: str) -> dict[str, Any]:
        slot = self.by_source.get(source)
        if slot is None:
            slot = self.by_source[source] = {"in": 0, "out": 0, "dropped": Counter(), "tally": Counter()}
        return slot

    def add(self, source: str, n_in: int = 0, n_out: int = 0, dropped: dict[str, int] | None = None,
            tally: dict[str, int] | None = None) -> None:
        """Counts records in and out, drops by reason, and any other tallies a stage keeps (``license:CC0-1.0``)."""
        slot = self._slot(source)
        slot["in"] += n_in
        slot["out"] += n_out
        if dropped:
            slot["dropped"].update(dropped)
        if tally:
            slot["tally"].update(tally)

    @property
    def records_in(self) -> int:
        return sum(s["in"] for s in self.by_source.values())

    @property
    def records_out(self) -> int:
        return sum(s["out"] for s in self.by_source.values())

    @property
    def dropped(self) -> Counter:
        total: Counter = Counter()
        for s in self.by_source.values():
            total.update(s["dropped"])
        return total

    @property
    def tally(self) -> Counter:
        total: Counter = Counter()
        for s in self.by_source.values():
            total.update(s["tally"])
        return total

    def merge(self, other: "StageStats") -> None:
        for source, slot in other.by_source.items():
            self.add(source, slot["in"], slot["out"], slot["dropped"], slot["tally"])

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.name,
            "records_in": self.records_in,
            "records_out": self.records_out,
            "dropped": dict(sorted(self.dropped.items())),
        }
        if self.tally:
            out["tally"] = dict(sorted(self.tally.items()))
        out["by_source"] = {}
        for src, s in sorted(self.by_source.items()):
            entry = {"records_in": s["in"], "records_out": s["out"], "dropped": dict(sorted(s["dropped"].items()))}
            if s["tally"]:
                entry["tally"] = dict(sorted(s["tally"].items()))
            out["by_source"][src] = entry
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StageStats":
        stats = cls(data["stage"])
        for src, s in data.get("by_source", {}).items():
            stats.add(src, s["records_in"], s["records_out"], s["dropped"], s.get("tally"))
        return stats


@dataclass(frozen=True)
class StageContext:
    """What the planner tells every stage of a build before it runs."""

    source_priority: dict[str, int] = field(default_factory=dict)
    # source -> (licence statement, evidence, override) stated for a whole collection in the config
    source_licenses: dict[str, tuple[str, str | None, bool]] = field(default_factory=dict)
    today: str | None = None  # ISO date fixed when the build started, so a resumed build decides alike
    work: str | None = None  # the build's work folder (a stage's caches: the optout registry's answers)
    work_storage_options: dict[str, Any] = field(default_factory=dict)


DivertSink = Callable[[str, Record], None]


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


class GlobalStage(Stage):
    """A stage that must see all records of a kind at once (dedup); the planner gives it phases of its own."""

    is_global = True


class BucketReduceStage(GlobalStage):
    """A global stage that works bucket by bucket: equal ``partition_key``, same bucket.

    ``reduce`` processes one bucket, given a function that returns a fresh iterator of Arrow batches
    over it (so it may read the bucket twice and keep only small state in memory).
    """

    @abstractmethod
    def partition_key(self, record: Record) -> str:
        """Records with the same key must meet in one bucket."""

    @abstractmethod
    def reduce(self, batches: Callable[..., Iterator[Any]]) -> Iterator[Record]:
        """The records of one bucket that go on."""


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
