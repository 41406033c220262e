"""Exact deduplication by content hash, across all sources.

Which record of a duplicate cluster survives is decided by a rule, never by
arrival order: the lowest ``(source priority, id)``, where a source's
priority is its place in the config unless it states one. Ties (the same id
twice) go to the earliest position in the input order of the plan.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, Literal

import pyarrow as pa

from pdcorpus.record import Record, content_hash, table_to_records
from pdcorpus.stages.base import GlobalStage, StageParams


class DedupParams(StageParams):
    method: Literal["exact"] = "exact"


class ExactDedup(GlobalStage):
    """Keeps one record per ``content_hash`` (xxh3-128 of the normalized text)."""

    name = "dedup"
    Params = DedupParams

    def __init__(self, method: str = "exact", source_priority: dict[str, int] | None = None) -> None:
        super().__init__()
        self.method = method
        self.source_priority = dict(source_priority or {})

    @property
    def label(self) -> str:
        return f"dedup:{self.method}"

    def bind(self, context) -> None:
        self.source_priority = dict(context.source_priority)

    def _rank(self, source: str, id: str) -> tuple[int, str]:
        return self.source_priority.get(source, len(self.source_priority)), id

    def partition_key(self, record: Record) -> str:
        if record.content_hash is None:
            record.content_hash = content_hash(record.text) if record.image is None else \
                content_hash(data=record.image.get("bytes") or b"")
        return record.content_hash

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
        """One bucket, in two passes: find each hash's survivor from three columns, then stream."""
        winner = self._winners(batches)
        position = 0
        for batch in batches():
            for record in table_to_records(batch):
                self.stats.add(record.source, n_in=1)
                rank, keep_at = winner[record.content_hash]
                if keep_at == position:
                    self.stats.add(record.source, n_out=1)
                    yield record
                else:
                    self.drop(record, "duplicate", f"of {rank[1]}")
                position += 1

    def reduce_batches(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> Iterator[pa.RecordBatch]:
        """``reduce`` on Arrow batches, for when no record-level stage follows: only the
        duplicates become records (for their rejects), survivors stay columnar."""
        winner = self._winners(batches)
        position = 0
        for batch in batches():
            hashes = batch.column("content_hash").to_pylist()
            sources = batch.column("source").to_pylist()
            keep = [winner[h][1] == position + i for i, h in enumerate(hashes)]
            position += len(hashes)
            for src, kept in zip(sources, keep):
                self.stats.add(src, 1, 1 if kept else 0)
            if not all(keep):
                dropped = batch.filter(pa.array([not k for k in keep]))
                for record in table_to_records(dropped):
                    self.drop(record, "duplicate", f"of {winner[record.content_hash][0][1]}")
                batch = batch.filter(pa.array(keep))
            yield batch
