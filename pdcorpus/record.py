"""The record that flows through every stage, and its Parquet schema.

One ``Record`` per document or image. Its fields are the columns of every
output shard, in this order; ``SCHEMA`` is the Arrow schema they are written
with, and ``HF_FEATURES`` tells ``datasets`` that ``image`` is an ``Image``.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, fields
from typing import Any, Iterator

import pyarrow as pa
import xxhash


@dataclass(slots=True)
class Record:
    id: str
    source: str
    text: str | None = None
    caption: str | None = None
    image: dict | None = None  # {"bytes": b"...", "path": "..."}, the Hugging Face Image struct
    url: str | None = None
    license: str | None = None
    license_raw: str | None = None
    rights_reason: str | None = None
    language: str | None = None
    language_score: float | None = None
    quality: dict | None = None  # cheap text quality signals: see pdcorpus.stages.quality.QUALITY_FIELDS
    date: str | None = None
    title: str | None = None
    author: str | None = None
    content_hash: str | None = None
    dedup_cluster: str | None = None  # near-dedup: the id of the cluster's surviving record
    dedup_cluster_size: int | None = None  # and how many records the cluster had
    retrieved_at: str | None = None
    metadata: str | None = None  # source-specific extras as JSON text, keys sorted

    def meta(self) -> dict[str, Any]:
        """The ``metadata`` column decoded."""
        return json.loads(self.metadata) if self.metadata else {}


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(Record))

IMAGE_TYPE = pa.struct([("bytes", pa.binary()), ("path", pa.string())])
QUALITY_TYPE = pa.struct([("chars", pa.int64()), ("alpha_ratio", pa.float64()),
                          ("repeated_line_ratio", pa.float64()), ("ocr_noise_ratio", pa.float64())])

_TYPES = {
    "image": IMAGE_TYPE,
    "language_score": pa.float64(),
    "quality": QUALITY_TYPE,
    "dedup_cluster_size": pa.int64(),
}


def _feature(name: str) -> dict[str, Any]:
    if name == "image":
        return {"_type": "Image"}
    if name == "quality":
        return {f.name: {"dtype": "int64" if pa.types.is_integer(f.type) else "float64", "_type": "Value"}
                for f in QUALITY_TYPE}
    dtype = {"language_score": "float64", "dedup_cluster_size": "int64"}.get(name, "string")
    return {"dtype": dtype, "_type": "Value"}


HF_FEATURES: dict[str, Any] = {name: _feature(name) for name in COLUMNS}

SCHEMA = pa.schema(
    [pa.field(name, _TYPES.get(name, pa.string())) for name in COLUMNS],
    # datasets reads this key to restore features (Image) from plain Parquet.
    metadata={b"huggingface": json.dumps({"info": {"features": HF_FEATURES}}).encode()},
)


def normalize_for_hash(text: str) -> str:
    """The text as exact dedup compares it: NFC, lower case, runs of white space as one space:
    ``" ".join(unicodedata.normalize("NFC", text).lower().split())``.

    Computed without splitting into words when it can: once newlines are spaces, a text that ``isprintable()``
    has no white space but the ASCII space (every other white space character is a separator or a control
    character, which are not printable), so collapsing runs of spaces and stripping gives the same string;
    1.4× faster on the benchmark corpus (tests/test_fast_paths.py checks it against the definition)."""
    t = unicodedata.normalize("NFC", text).lower().replace("\n", " ")
    if t.isprintable():
        while "  " in t:
            t = t.replace("  ", " ")
        return t.strip(" ")
    return " ".join(t.split())


def content_hash(text: str | None = None, data: bytes | None = None) -> str:
    """xxh3-128 (hex) of the normalized text, or of raw bytes for images."""
    if data is None:
        data = normalize_for_hash(text or "").encode("utf-8")
    return xxhash.xxh3_128_hexdigest(data)


def record_hash(record: Record) -> str:
    """The record's ``content_hash``, computed when first asked for and kept.

    Readers leave it unset: hashing normalizes the whole text (NFC, lower case, white space), which costs more
    than reading the record, and most records a rights or language stage drops are never asked. It is asked
    for by exact dedup, a hash opt-out, and when the record becomes Arrow (the exchange, shards, queues), so
    every written record has it. Of the text as it is then: a stage that rewrites a text (quality's repair)
    sets it again.
    """
    h = record.content_hash
    if h is None:
        if record.image is not None:
            h = content_hash(data=record.image.get("bytes") or b"")
        else:
            h = content_hash(record.text if record.text is not None else record.caption)
        record.content_hash = h
    return h


def records_to_table(records: list[Record], schema: pa.Schema = SCHEMA) -> pa.Table:
    """Column-wise conversion; much faster than going through a list of dicts. Fills ``content_hash``."""
    for rec in records:
        if rec.content_hash is None:
            record_hash(rec)
    columns = {name: [] for name in COLUMNS}
    appends = [columns[name].append for name in COLUMNS]
    for rec in records:
        for append, name in zip(appends, COLUMNS):
            append(getattr(rec, name))
    return pa.Table.from_pydict(columns, schema=schema)


def table_to_records(table: pa.Table | pa.RecordBatch) -> Iterator[Record]:
    data = table.to_pydict()
    cols = [data.get(name) or [None] * table.num_rows for name in COLUMNS]
    for values in zip(*cols):
        yield Record(*values)

