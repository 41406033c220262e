"""Parquet shards: written whole (``pdcorpus.io.atomic.WholeFile``).

Shards follow the Hugging Face Hub's naming (``train-00000-of-00012.parquet``)
so that ``datasets`` and the Hub viewer recognize the split and order; row
groups are sized for streaming readers (a few tens of MB uncompressed).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Iterable

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

from pdcorpus.io.atomic import WholeFile
from pdcorpus.record import SCHEMA, Record, records_to_table

ROW_GROUP_TARGET_BYTES = 16 * 1024 * 1024
MIN_ROW_GROUP_ROWS = 64
MAX_ROW_GROUP_ROWS = 100_000
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
          "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}


def open_arrow(fs: fsspec.AbstractFileSystem, path: str) -> pa.NativeFile:
    """A file for Arrow to read: native for local files, the bytes in memory otherwise.

    Arrow reading a Python file object (fsspec's) from its own threads can abort the interpreter at
    exit ("terminate called without an active exception", pyarrow 26); a native file never calls back
    into Python.
    """
    if is_local(fs):
        return pa.OSFile(path, "rb")
    return pa.BufferReader(fs.cat_file(path))


def is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def parse_size(value: int | str) -> int:
    """``256MB`` -> 256_000_000, ``1GiB`` -> 1_073_741_824, ``1000`` -> 1000."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(str(value))
    if not match or (match.group(2) or "").lower() not in _UNITS:
        raise ValueError(f"'{value}' is not a size (examples: 256MB, 1GiB, 500000)")
    return int(float(match.group(1)) * _UNITS[(match.group(2) or "").lower()])


def shard_name(index: int, total: int, split: str = "train") -> str:
    return f"{split}-{index:05d}-of-{total:05d}.parquet"


@dataclass
class ShardInfo:
    path: str
    rows: int
    bytes: int
    sha256: str

    def to_dict(self) -> dict:
        return {"path": self.path, "rows": self.rows, "bytes": self.bytes, "sha256": self.sha256}


def row_group_rows(table: pa.Table) -> int:
    if table.num_rows == 0:
        return MIN_ROW_GROUP_ROWS
    per_row = max(1, table.nbytes // table.num_rows)
    return max(MIN_ROW_GROUP_ROWS, min(MAX_ROW_GROUP_ROWS, ROW_GROUP_TARGET_BYTES // per_row))


def file_sha256(fs: fsspec.AbstractFileSystem, path: str) -> str:
    digest = hashlib.sha256()
    with fs.open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# columns whose min/max statistics a shard carries (readers skip row groups by id, source, language, licence)
STATISTICS = ["id", "source", "content_hash", "language", "license"]


class ShardFile:
    """One output shard: Parquet in the output schema, row groups sized for streaming readers, written whole
    (``WholeFile``: under a temporary name renamed into place on a file system, at its key on an object store).
    Builds (one per planned shard, named before it is written) and the library's ``ParquetShardWriter``
    (size-rolled, renamed at close when the total is known) write shards with it, so they are alike."""

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, compression: str = "zstd",
                 schema: pa.Schema = SCHEMA) -> None:
        self.fs, self.path = fs, path
        self._file = WholeFile(fs, path)
        self._fh = self._file.handle
        self._writer = pq.ParquetWriter(self._fh, schema, compression=None if compression == "none" else compression,
                                        write_statistics=STATISTICS)
        self.rows = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self._writer.write_table(table, row_group_size=row_group_rows(table))
            self.rows += table.num_rows

    def tell(self) -> int:
        """Bytes written so far (the footer comes at close)."""
        return self._fh.tell()

    def finish(self) -> None:
        """Completes the file (its footer): under its temporary name on a file system, at ``path`` on an
        object store."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._file.commit()

    def close(self, path: str | None = None) -> ShardInfo:
        """Completes the file and renames it to ``path`` (default: the path it was opened for)."""
        self.finish()
        final = path or self.path
        if final != self.path:
            self.fs.mv(self.path, final)
        return ShardInfo(final, self.rows, self.fs.size(final), file_sha256(self.fs, final))

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            finally:
                self._writer = None
                self._file.abort()
        elif self._file.committed and self.fs.exists(self.path):  # finished, never given its final name
            self.fs.rm(self.path)


def write_parquet(fs: fsspec.AbstractFileSystem, path: str, tables: Iterable[pa.Table],
                  compression: str = "zstd", schema: pa.Schema = SCHEMA) -> ShardInfo:
    """Writes the tables as one shard at ``path``, atomically."""
    shard = ShardFile(fs, path, compression, schema)
    try:
        for table in tables:
            shard.write(table)
    except BaseException:
        shard.abort()
        raise
    return shard.close()


class ParquetShardWriter:
    """Writes records as size-bounded shards ``<dest>/train-NNNNN-of-MMMMM.parquet`` (library use).

    Shards are written under working names and get their final ``-of-`` names
    when the writer closes, since only then is the total known.
    """

    def __init__(self, dest: str, max_bytes: int | str = "256MB", compression: str = "zstd",
                 batch_rows: int = 2048, storage_options: dict | None = None) -> None:
        self.fs, self.dest = fsspec.core.url_to_fs(dest, **(storage_options or {}))
        self.max_bytes = parse_size(max_bytes)
        self.compression = compression
        self.batch_rows = batch_rows
        self.shards: list[ShardInfo] = []
        self._parts: list[ShardFile] = []
        self._buffer: list[Record] = []
        self._file: ShardFile | None = None
        self._ratio = 0.5  # compressed / in-memory bytes, learned from what was written
        self._written_in_memory = 0

    def __enter__(self) -> "ParquetShardWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()

    def write(self, record: Record) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.batch_rows:
            self._flush()

    def write_all(self, records: Iterable[Record]) -> "ParquetShardWriter":
        for record in records:
            self.write(record)
        return self

    def _open(self) -> None:
        self._file = ShardFile(self.fs, f"{self.dest}/.part-{len(self._parts):05d}.parquet", self.compression)
        self._parts.append(self._file)
        self._written_in_memory = 0

    def _close_part(self) -> None:
        if self._file is not None:
            size = self._file.tell()
            self._file.finish()  # renamed to its final name when the total is known
            if self._written_in_memory:
                self._ratio = max(size, 1) / self._written_in_memory
            self._file = None

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = records_to_table(self._buffer)
        self._buffer = []
        if self._file is not None:
            expected = self._file.tell() + table.nbytes * self._ratio
            if expected > self.max_bytes and self._file.rows:
                self._close_part()
        if self._file is None:
            self._open()
        self._file.write(table)
        self._written_in_memory += table.nbytes
        if self._written_in_memory:
            self._ratio = max(self._ratio, self._file.tell() / self._written_in_memory)

    def close(self) -> list[ShardInfo]:
        self._flush()
        self._close_part()
        total = len(self._parts)
        for index, part in enumerate(self._parts):
            self.shards.append(part.close(f"{self.dest}/{shard_name(index, total)}"))
        return self.shards

    def _abort(self) -> None:
        for part in self._parts:
            part.abort()

