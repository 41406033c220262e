"""Exact deduplication: one record per content hash, across all sources.

Which record of a duplicate set survives is decided by a rule, never by arrival order: the lowest
``(source priority, id)``, where a source's priority is its place in the config unless it states one.
In a build, records are partitioned by a hash bucket of their content hash; one task per bucket reads it
twice (three columns to find each hash's survivor, then whole, streaming).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

import pyarrow as pa

from pdcorpus.record import Record, record_hash, table_to_records
from pdcorpus.stages.base import BucketReduceStage
from pdcorpus.stages.dedup.params import DedupParams
from pdcorpus.stages.params import StageParamsError, stage_params
from pdcorpus.stages.dedup.previous import PREVIOUS, PREVIOUS_PREFIX, previous_release_tasks


class ExactDedup(BucketReduceStage):
    """Keeps one record per ``content_hash`` (xxh3-128 of the normalized text)."""

    name = "dedup"
    Params = DedupParams

    def __init__(self, params: DedupParams | None = None, /, *, source_priority: dict[str, int] | None = None,
                 **options: Any) -> None:
        """``ExactDedup()``, ``ExactDedup(against="out/v1")``, or from validated ``DedupParams``."""
        super().__init__()
        self.params = stage_params(DedupParams, params, {"method": "exact", **options} if params is None else options,
                                   "ExactDedup")
        if self.params.method != "exact":
            raise StageParamsError(f"ExactDedup: method is exact, not {self.params.method}")
        self.method = "exact"
        self.against = self.params.against
        self.storage_options: dict[str, Any] = {}
        self.source_priority = dict(source_priority or {})

    @property
    def label(self) -> str:
        return f"dedup:{self.method}"

    def bind(self, context) -> None:
        self.source_priority = dict(context.source_priority)
        self.storage_options = dict(context.storage_options)

    def steps(self) -> list[str]:
        return ["dedup-exact"]

    def upstream_tasks(self) -> list[Any]:
        """An earlier release's records (``against``), ids and hashes, read with the phase before."""
        if not self.against:
            return []
        return previous_release_tasks(self.against, self.storage_options, ())

    def _rank(self, source: str, id: str) -> tuple[int, str]:
        if source == PREVIOUS:  # what was already published always survives
            return -(1 << 30), id
        return self.source_priority.get(source, len(self.source_priority)), id

    def partition_key(self, record: Record) -> str:
        return record_hash(record)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        """In-memory dedup over a plain iterable (library use); output keeps input order."""
        kept: list[Record] = []
        best: dict[str, int] = {}
        for record in records:
            key = self.partition_key(record)
            self.stats.add(record.source, n_in=1)
            index = best.get(key)
            if index is None:
                best[key] = len(kept)
                kept.append(record)
            elif self._rank(record.source, record.id) < self._rank(kept[index].source, kept[index].id):
                loser, kept[index] = kept[index], record
                self.drop(loser, "duplicate", f"of {record.id}")
            else:
                self.drop(record, "duplicate", f"of {kept[index].id}")
        for record in kept:
            self.stats.add(record.source, n_out=1)
            yield record

    def _winners(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> dict[str, tuple[tuple[int, str], int]]:
        """First pass over a bucket, three columns only: each hash's survivor and its position."""
        winner: dict[str, tuple[tuple[int, str], int]] = {}
        position = 0
        for batch in batches(columns=["content_hash", "source", "id"]):
            hashes, sources, ids = (batch.column(i).to_pylist() for i in range(3))
            for h, src, rid in zip(hashes, sources, ids):
                rank = self._rank(src, rid)
                current = winner.get(h)
                if current is None or rank < current[0]:
                    winner[h] = (rank, position)
                position += 1
        return winner

    def reduce(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> Iterator[Record]:
        """One bucket, in two passes: find each hash's survivor from three columns, then stream.

        Records of an earlier release (``against``) take part with the highest priority, so that a
        record already published always wins; they are never passed on nor counted.
        """
        winner = self._winners(batches)
        position = 0
        for batch in batches():
            for record in table_to_records(batch):
                rank, keep_at = winner[record.content_hash]
                at, position = position, position + 1
                if record.source == PREVIOUS:
                    continue
                self.stats.add(record.source, n_in=1)
                if keep_at == at:
                    self.stats.add(record.source, n_out=1)
                    yield record
                elif rank[1].startswith(PREVIOUS_PREFIX):
                    self.drop(record, "in-previous-release", f"as {rank[1][len(PREVIOUS_PREFIX):]}")
                else:
                    self.drop(record, "duplicate", f"of {rank[1]}")

    def reduce_batches(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> Iterator[pa.RecordBatch]:
        """``reduce`` on Arrow batches, for when no record-level stage follows: only the
        duplicates become records (for their rejects), survivors stay columnar."""
        winner = self._winners(batches)
        position = 0
        for batch in batches():
            hashes = batch.column("content_hash").to_pylist()
            sources = batch.column("source").to_pylist()
            keep = [winner[h][1] == position + i and src != PREVIOUS for i, (h, src) in enumerate(zip(hashes, sources))]
            position += len(hashes)
            for src, kept in zip(sources, keep):
                if src != PREVIOUS:
                    self.stats.add(src, 1, 1 if kept else 0)
            if not all(keep):
                dropped = batch.filter(pa.array([not k and src != PREVIOUS for k, src in zip(keep, sources)]))
                for record in table_to_records(dropped):
                    survivor = winner[record.content_hash][0][1]
                    if survivor.startswith(PREVIOUS_PREFIX):
                        self.drop(record, "in-previous-release", f"as {survivor[len(PREVIOUS_PREFIX):]}")
                    else:
                        self.drop(record, "duplicate", f"of {survivor}")
                batch = batch.filter(pa.array(keep))
            yield batch
