"""Parquet shards: written whole under a temporary name, then renamed.

Shards follow the Hugging Face Hub's naming (``train-00000-of-00012.parquet``)
so that ``datasets`` and the Hub viewer recognize the split and order; row
groups are sized for streaming readers (a few tens of MB uncompressed).
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from dataclasses import dataclass
from typing import Iterable

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq

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


def write_parquet(fs: fsspec.AbstractFileSystem, path: str, tables: Iterable[pa.Table],
                  compression: str = "zstd", schema: pa.Schema = SCHEMA) -> tuple[int, int]:
    """Writes the tables as one Parquet file at ``path``, atomically; returns (rows, bytes)."""
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    fs.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    rows = 0
    try:
        with fs.open(tmp, "wb") as fh:
            with pq.ParquetWriter(fh, schema, compression=None if compression == "none" else compression,
                                  write_statistics=["id", "source", "content_hash", "language", "license"]) as writer:
                for table in tables:
                    if table.num_rows:
                        writer.write_table(table, row_group_size=row_group_rows(table))
                        rows += table.num_rows
        fs.mv(tmp, path)
    except BaseException:
        if fs.exists(tmp):
            fs.rm(tmp)
        raise
    return rows, fs.size(path)


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
        self._parts: list[tuple[str, int]] = []
        self._buffer: list[Record] = []
        self._writer: pq.ParquetWriter | None = None
        self._fh = None
        self._ratio = 0.5  # compressed / in-memory bytes, learned from what was written
        self._written_in_memory = 0
        self._rows = 0

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
        path = f"{self.dest}/.part-{len(self._parts):05d}.parquet"
        self.fs.makedirs(self.dest, exist_ok=True)
        self._fh = self.fs.open(path, "wb")
        self._writer = pq.ParquetWriter(self._fh, SCHEMA, compression=self.compression)
        self._parts.append((path, 0))
        self._rows = 0
        self._written_in_memory = 0

    def _close_part(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._fh.close()
            path, _ = self._parts[-1]
            self._parts[-1] = (path, self._rows)
            size = self.fs.size(path)
            if self._written_in_memory:
                self._ratio = size / self._written_in_memory
            self._writer = self._fh = None

    def _flush(self) -> None:
        if not self._buffer:
            return
        table = records_to_table(self._buffer)
        self._buffer = []
        if self._writer is not None:
            expected = self._fh.tell() + table.nbytes * self._ratio
            if expected > self.max_bytes and self._rows:
                self._close_part()
        if self._writer is None:
            self._open()
        self._writer.write_table(table, row_group_size=row_group_rows(table))
        self._rows += table.num_rows
        self._written_in_memory += table.nbytes
        if self._written_in_memory:
            self._ratio = max(self._ratio, self._fh.tell() / self._written_in_memory)

    def close(self) -> list[ShardInfo]:
        self._flush()
        self._close_part()
        total = len(self._parts)
        for index, (part, rows) in enumerate(self._parts):
            final = f"{self.dest}/{shard_name(index, total)}"
            self.fs.mv(part, final)
            self.shards.append(ShardInfo(final, rows, self.fs.size(final), file_sha256(self.fs, final)))
        return self.shards

    def _abort(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._fh.close()
        for part, _ in self._parts:
            if self.fs.exists(part):
                self.fs.rm(part)

