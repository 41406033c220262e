"""Accounting shared by every layer: what was set aside (``Reject``) and what a step counted (``StageStats``).

Readers (io), stages and the build all count the same way: records in and out, and drops by reason, per
source; a record set aside goes to a ``RejectSink`` with where it came from and why.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

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
        slot = self.by_source.get(source) or self._slot(source)
        slot["in"] += n_in
        slot["out"] += n_out
        # called per record and stage: a plain loop is several times cheaper than Counter.update
        if dropped:
            counter = slot["dropped"]
            for key, n in dropped.items():
                counter[key] = counter.get(key, 0) + n
        if tally:
            counter = slot["tally"]
            for key, n in tally.items():
                counter[key] = counter.get(key, 0) + n

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


DivertSink = Callable[[str, Record], None]


@dataclass(frozen=True)
class StageKey:
    """Which stage a ``StageStats`` belongs to: its scope (a source's name, or ``global``), its position in
    that scope's list of stages (None for the source's reader), and its label. Task markers keep it as
    ``str(key)`` (``books/read``, ``global/3/dedup:exact``); ``parse`` reads it back."""

    scope: str
    position: int | None
    label: str

    def __str__(self) -> str:
        return f"{self.scope}/{self.label}" if self.position is None else f"{self.scope}/{self.position}/{self.label}"

    @classmethod
    def parse(cls, key: str) -> "StageKey":
        scope, _, rest = key.partition("/")
        position, _, label = rest.partition("/")
        if not label:  # "<source>/read": a reader, which has no position
            return cls(scope, None, position)
        return cls(scope, int(position), label)
