"""The exchange between phases: one Parquet file per task, row groups per partition.

A task's output records are partitioned (by hash bucket before a global
stage, by source before the writer). Each partition is buffered and flushed
as row groups of the task's single exchange file, so a task keeps a bounded
number of files open and a bounded amount in memory whatever the partition
count; the index (partition -> row groups with rows and compressed bytes)
goes in the task's completion marker, from which the next phase reads only
its partitions' row groups. Flushes depend only on the record sequence, so
the file is the same on every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from pdcorpus.io.atomic import WholeFile
from pdcorpus.io.parquet import open_arrow
from pdcorpus.record import SCHEMA, Record, records_to_table

FLUSH_ROWS = 4096
# What a task holds of records not yet written, over all partitions, before it writes the largest partition as
# a row group. 4 MB lowered the read phase's RSS (205 against 238 MB at 100k docs) but with many partitions made
# row groups of a few records (about 40 KB each over 96 buckets at 1M documents), whose footers then cost more
# than the records; 16 MB keeps row groups of hundreds of KB at that scale.
BUFFER_BYTES = 16 * 1024 * 1024


def bucket_of(key: str, buckets: int) -> int:
    return xxhash.xxh3_64_intdigest(key.encode()) % buckets


@dataclass(frozen=True)
class Unit:
    """Rows ``[start, stop)`` of one row group of one exchange file."""

    file: str
    row_group: int
    start: int
    stop: int
    bytes: int

    @property
    def rows(self) -> int:
        return self.stop - self.start


def _record_size(record: Record) -> int:
    size = len(record.text or "") + len(record.caption or "") + len(record.metadata or "") + 200
    if record.image is not None:
        size += len(record.image.get("bytes") or b"")
    return size


class PartitionedSpill:
    """Writes rows to ``path`` grouped by partition; ``close()`` returns the index.

    Rows are records by default; another ``schema`` with its ``to_table`` (rows -> Arrow table) and
    ``size_of`` (a row's approximate bytes) spills other rows the same way (MinHash band rows).
    """

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, compression: str = "zstd",
                 flush_rows: int = FLUSH_ROWS, buffer_bytes: int = BUFFER_BYTES, schema: pa.Schema = SCHEMA,
                 to_table: Callable[[list], pa.Table] = records_to_table,
                 size_of: Callable[[object], int] = _record_size,
                 on_write: Callable[[str, int, pa.Table, list[int]], None] | None = None) -> None:
        """``on_write(partition, row_group, table, orders)``, if given, is told of every row group written, with
        each row's place in the order rows were added (``add``): where each record went, for a sidecar that
        must say so (the ids phase's keys)."""
        self.fs = fs
        self.on_write = on_write
        self._orders: dict[str, list[int]] = {}
        self._added = 0
        self.path = path
        self.schema = schema
        self.to_table = to_table
        self.size_of = size_of
        self.compression = None if compression == "none" else compression
        self.flush_rows = flush_rows
        self.buffer_bytes = buffer_bytes
        self._buffers: dict[str, list[Record]] = {}
        self._sizes: dict[str, int] = {}
        self._buffered = 0
        self._file: WholeFile | None = None
        self._writer: pq.ParquetWriter | None = None
        self._groups = 0
        self.index: dict[str, list[list[int]]] = {}  # partition -> [[row_group, rows, bytes], ...]
        self.rows = 0

    def add(self, partition: str, record: Record) -> None:
        buf = self._buffers.get(partition)
        if buf is None:
            buf = self._buffers[partition] = []
            self._sizes[partition] = 0
        buf.append(record)
        if self.on_write is not None:
            self._orders.setdefault(partition, []).append(self._added)
            self._added += 1
        size = self.size_of(record)
        self._sizes[partition] += size
        self._buffered += size
        if len(buf) >= self.flush_rows:
            self._flush(partition)
        elif self._buffered > self.buffer_bytes:
            self._flush(max(self._sizes, key=lambda p: (self._sizes[p], p)))

    def add_batch(self, partition: str, batch: pa.RecordBatch) -> None:
        """Columnar records for one partition: written in row groups of at most ``flush_rows``."""
        assert self.on_write is None, "add_batch: rows added as batches have no order to report"
        for start in range(0, batch.num_rows, self.flush_rows):
            self._write(partition, pa.Table.from_batches([batch.slice(start, self.flush_rows)]))

    def _flush(self, partition: str) -> None:
        rows = self._buffers.pop(partition)
        self._buffered -= self._sizes.pop(partition)
        self._write(partition, self.to_table(rows), self._orders.pop(partition, None))

    def _write(self, partition: str, table: pa.Table, orders: list[int] | None = None) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None:
            self._file = WholeFile(self.fs, self.path)
            self._writer = pq.ParquetWriter(self._file.handle, self.schema, compression=self.compression)
        self._writer.write_table(table, row_group_size=table.num_rows)
        if self.on_write is not None:
            self.on_write(partition, self._groups, table, orders or [])
        self.index.setdefault(partition, []).append([self._groups, table.num_rows, 0])
        self._groups += 1
        self.rows += table.num_rows

    def close(self) -> dict[str, list[list[int]]]:
        """Flushes what is left (partitions in sorted order), completes the file (``WholeFile``)."""
        for partition in sorted(self._buffers):
            self._flush(partition)
        if self._writer is None:
            return {}
        self._writer.close()
        self._file.commit()
        meta = getattr(self._writer.writer, "metadata", None)  # the footer just written: no read back
        if meta is None:
            with open_arrow(self.fs, self.path) as fh:
                meta = pq.ParquetFile(fh).metadata
        sizes = [sum(meta.row_group(g).column(c).total_compressed_size for c in range(meta.num_columns))
                     for g in range(meta.num_row_groups)]
        for groups in self.index.values():
            for entry in groups:
                entry[2] = sizes[entry[0]]
        return self.index

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._file.abort()


# rows left out of what a phase reads: exchange file -> row group -> offsets in the row group
Drops = dict[str, dict[int, list[int]]]


def read_units(fs: fsspec.AbstractFileSystem, units: list[Unit], columns: list[str] | None = None,
               drops: Drops | None = None) -> Iterator[pa.RecordBatch]:
    """The rows of the units, in order, opening each file once for a run of units in it, less ``drops``."""
    i = 0
    while i < len(units):
        path = units[i].file
        dropped = (drops or {}).get(path)
        with open_arrow(fs, path) as fh:
            pf = pq.ParquetFile(fh)
            while i < len(units) and units[i].file == path:
                unit = units[i]
                table = pf.read_row_group(unit.row_group, columns=columns)
                offsets = dropped.get(unit.row_group) if dropped else None
                if offsets:
                    keep = np.zeros(table.num_rows, dtype=bool)
                    keep[unit.start:unit.stop] = True
                    keep[offsets] = False
                    table = table.filter(pa.array(keep))
                elif unit.start or unit.stop < table.num_rows:
                    table = table.slice(unit.start, unit.rows)
                yield from table.to_batches(max_chunksize=FLUSH_ROWS)
                i += 1


# -- what a task's completion result says of its exchange file: {"file": path, "index": {partition: [[row group,
# rows, bytes], ...]}}; the phase after it finds its rows from these ---------------------------------------------

def result_units(result: dict, file_key: str = "file", index_key: str = "index") -> tuple[Unit, ...]:
    """A task's exchange, partitions in sorted order (the order in which it wrote its records, when it wrote
    them to one partition)."""
    return tuple(Unit(result[file_key], group, 0, rows, nbytes)
                 for _, groups in sorted(result.get(index_key, {}).items()) for group, rows, nbytes in groups)


def bucket_units(results: list[dict], buckets: int, file_key: str = "file",
                 index_key: str = "index") -> list[tuple[Unit, ...]]:
    """For each hash bucket (partitions named by their number), its row groups in every task, in task order."""
    units: dict[int, list[Unit]] = {b: [] for b in range(buckets)}
    for result in results:
        for partition, groups in sorted(result.get(index_key, {}).items()):
            for group, rows, nbytes in groups:
                units[int(partition)].append(Unit(result[file_key], group, 0, rows, nbytes))
    return [tuple(units[b]) for b in range(buckets)]
