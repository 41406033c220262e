"""Unique ids within a source: the ``ids`` phase of a build.

Ids are what a corpus is joined on, cited by and asked to remove records by,
so a source may not hold one id twice. Read tasks partition their records by
a hash bucket of ``(source, id)``, so every record with one id meets in one
task of this phase; the bucket arrives in read-task order (sources in config
order, files sorted, lines in order), so "later" is a fact of the inputs,
never of scheduling: the first record with an id is kept and every later one
is set aside as ``duplicate-id``, naming the id and the file the first came
from, for any worker count.

When what follows reads its records from the exchange by rows (exact dedup, or the writer), the records do
not pass through this phase at all (**keys only**): a read task writes its records partitioned as the stage
after this one takes them, and beside them a small file of keys (``IdKeys``: source, id, the record's place in
the task's reading order, and where it was written), partitioned by the hash bucket of ``(source, id)``. A
task of this phase reads only those keys, decides as above, sets the later records aside, and returns where
they are (``drops``); the next phase leaves those rows out when it reads (``io.exchange.read_units``). So the
records cross the exchange once less. Otherwise (a near-dedup next, whose signatures are made in the read
task), the bucket's records are read twice, like exact dedup's: first only ``source`` and ``id`` (grouped by
Arrow: the common case, no duplicate, costs one ``group_by``), then whole, streaming, with the later records
removed, and passed on.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pdcorpus.accounting import Reject, RejectSink
from pdcorpus.io.exchange import PartitionedSpill, Unit, bucket_of, bucket_units
from pdcorpus.record import Record, table_to_records
from pdcorpus.stages.base import GlobalStage, Intake, StepInputs

NAME = "unique-ids"
REASON = "duplicate-id"

# batches(columns) -> iterator of (batch, origin): the input file its rows were read from
OriginBatches = Callable[[Sequence[str] | None], Iterator[tuple[pa.RecordBatch, str | None]]]


@dataclass(frozen=True)
class Later:
    """A record whose id an earlier record of its source already has."""

    first_origin: str | None
    first_position: int


class UniqueIds(GlobalStage):
    """Keeps the first record of each ``(source, id)`` in a bucket; sets the later ones aside.

    The planner puts it first among the global stages when a source's ids are not unique by construction.
    """

    name = NAME

    def __init__(self, on_reject: RejectSink | None = None) -> None:
        super().__init__()
        self.on_reject = on_reject

    def __call__(self, records):  # pragma: no cover - a build's phase only
        raise TypeError("unique ids are a phase of a build, not a stage of a pipeline")

    def steps(self) -> list[str]:
        return ["ids"]

    def intake(self, buckets: int) -> Intake:
        return Intake(lambda record: f"{bucket_of(record.source + chr(0) + record.id, buckets):05d}")

    def tasks(self, step: str, inputs: StepInputs) -> list["IdsTask"]:
        origins = tuple((r["file"], inputs.labels.get(r["task"])) for r in inputs.upstream if "file" in r)
        return [IdsTask(b, units, origins) for b, units in enumerate(bucket_units(inputs.upstream, inputs.buckets))]

    def later(self, batches: OriginBatches) -> dict[int, Later]:
        """Position in the bucket -> where the first record with its id was, for every later record."""
        tables, origins = [], []
        for batch, origin in batches(["source", "id"]):
            tables.append(pa.Table.from_batches([batch]))
            origins.append((origin, batch.num_rows))
        if not tables:
            return {}
        table = pa.concat_tables(tables)
        table = table.append_column("pos", pa.array(np.arange(table.num_rows, dtype=np.int64)))
        grouped = table.group_by(["source", "id"], use_threads=False).aggregate([("pos", "min"), ("pos", "count")])
        repeated = grouped.filter(pc.greater(grouped.column("pos_count"), 1))
        if repeated.num_rows == 0:
            return {}
        first = {(s, i): p for s, i, p in zip(*(repeated.column(c).to_pylist() for c in ("source", "id", "pos_min")))}
        # origin of a position: the input file of the read task whose rows hold it
        bounds = np.cumsum([n for _, n in origins])
        candidates = table.filter(pc.is_in(table.column("id"), value_set=repeated.column("id").combine_chunks()))
        out: dict[int, Later] = {}
        for source, rid, pos in zip(*(candidates.column(c).to_pylist() for c in ("source", "id", "pos"))):
            at = first.get((source, rid))
            if at is not None and pos != at:
                out[pos] = Later(origins[int(np.searchsorted(bounds, at, side="right"))][0], at)
        return out

    def _reject(self, source: str, rid: str, origin: str | None, later: Later, record: Record | None) -> None:
        where = f"the first was read from {later.first_origin}" if later.first_origin else "an earlier record has it"
        if later.first_origin is not None and later.first_origin == origin:
            where += " (this file, earlier)"
        if self.on_reject is not None:
            self.on_reject(Reject(stage=NAME, reason=REASON, source=source, id=rid, file=origin,
                                  detail=f"id '{rid}' already seen in source {source}: {where}", record=record))

    def reduce(self, batches: OriginBatches) -> Iterator[Record]:
        """The bucket's records, less the later ones, as records (for stages or a reducer that follow)."""
        later = self.later(batches)
        add = self.stats.add
        position = 0
        for batch, origin in batches(None):
            for record in table_to_records(batch):
                hit = later.get(position)
                position += 1
                if hit is None:
                    add(record.source, 1, 1)
                    yield record
                else:
                    add(record.source, 1, 0, dropped={REASON: 1})
                    self._reject(record.source, record.id, origin, hit, record)

    def reduce_batches(self, batches: OriginBatches) -> Iterator[pa.RecordBatch]:
        """The same, columnar: for a bucket going straight to the writer (no record objects made)."""
        later = self.later(batches)
        position = 0
        for batch, origin in batches(None):
            n = batch.num_rows
            counts = Counter(batch.column("source").to_pylist())
            mine = [p - position for p in range(position, position + n) if p in later] if later else []
            if mine:
                keep = np.ones(n, dtype=bool)
                keep[mine] = False
                sources = batch.column("source").to_pylist()
                ids = batch.column("id").to_pylist()
                dropped: Counter = Counter()
                for i in mine:
                    dropped[sources[i]] += 1
                    self._reject(sources[i], ids[i], origin, later[position + i],
                                 next(iter(table_to_records(batch.slice(i, 1)))))
                batch = batch.filter(pa.array(keep))
            else:
                dropped = Counter()
            for source, total in counts.items():
                self.stats.add(source, total, total - dropped[source], dropped={REASON: dropped[source]}
                               if dropped[source] else None)
            position += n
            yield batch


# -- keys only: the read task writes each record's key and where it went; this phase reads only those -----------

KEYS_SCHEMA = pa.schema([("source", pa.string()), ("id", pa.string()), ("order", pa.int64()),
                         ("group", pa.int32()), ("offset", pa.int32())])


def _keys_table(rows: list) -> pa.Table:
    columns = list(zip(*rows)) if rows else [[] for _ in KEYS_SCHEMA]
    return pa.Table.from_arrays([pa.array(c, type=f.type) for c, f in zip(columns, KEYS_SCHEMA)], schema=KEYS_SCHEMA)


class IdKeys:
    """Beside a read task's exchange: each record's ``(source, id)``, its place in the task's reading order, and
    the row group and offset it was written at, partitioned by the hash bucket of ``(source, id)``
    (``t<task>.ids.parquet``). Fed by the exchange's ``on_write``."""

    def __init__(self, fs: Any, exchange_path: str, buckets: int, compression: str) -> None:
        self.buckets = buckets
        self.path = exchange_path[: -len(".parquet")] + ".ids.parquet"
        self.spill = PartitionedSpill(fs, self.path, compression, flush_rows=65536, schema=KEYS_SCHEMA,
                                      to_table=_keys_table, size_of=lambda row: 64 + len(row[1]))

    def on_write(self, partition: str, group: int, table: pa.Table, orders: list[int]) -> None:
        sources = table.column("source").to_pylist()
        ids = table.column("id").to_pylist()
        buckets = self.buckets
        for offset, (source, rid, order) in enumerate(zip(sources, ids, orders)):
            bucket = bucket_of(source + chr(0) + rid, buckets)
            self.spill.add(f"{bucket:05d}", (source, rid, order, group, offset))

    def close(self) -> dict[str, Any]:
        return {"ids_file": self.path, "ids_index": self.spill.close()}

    def abort(self) -> None:
        self.spill.abort()


@dataclass(frozen=True)
class KeysTask:
    """One hash bucket of ``(source, id)``, from the read tasks' keys only: the later records of an id are set
    aside here and returned as rows for the next phase to leave out (``drops``)."""

    index: int
    units: tuple  # of Unit: the bucket's keys in each read task, in task order
    files: tuple[tuple[str, str | None], ...]  # per unit: the read task's exchange file and its label (input)

    @property
    def label(self) -> str:
        return f"bucket {self.index}"

    def run(self, ctx: Any) -> dict:
        stage: UniqueIds = ctx.stage
        tables, where = [], []
        for k, unit in enumerate(self.units):
            for batch in ctx.read_units([unit]):
                tables.append(pa.Table.from_batches([batch]))
                where.append(np.full(batch.num_rows, k, dtype=np.int32))
        if not tables:
            return {"drops": {}}
        table = pa.concat_tables(tables).combine_chunks()
        unit_of = np.concatenate(where)
        # reading order: read task (units are in task order; a task's units carry its file), then order in it
        task_rank = {f: i for i, f in enumerate(dict.fromkeys(f for f, _ in self.files))}
        task_of = np.array([task_rank[self.files[k][0]] for k in unit_of], dtype=np.int64)
        order = np.lexsort((table.column("order").to_numpy(), task_of))
        table = table.take(pa.array(order))
        unit_of = unit_of[order]
        def keyed(columns=None):
            for batch in (table.select(columns) if columns else table).to_batches():
                yield batch, None

        later = stage.later(keyed)
        sources = table.column("source").to_pylist()
        counts = Counter(sources)
        drops: dict[str, dict[int, list[int]]] = {}
        dropped: Counter = Counter()
        if later:
            ids = table.column("id").to_pylist()
            groups = table.column("group").to_pylist()
            offsets = table.column("offset").to_pylist()
            content = ctx.plan.config.rejects.content
            for position in sorted(later):
                file, label = self.files[unit_of[position]]
                hit = later[position]
                first_file, first_label = self.files[unit_of[hit.first_position]]
                hit = Later(first_label, hit.first_position)
                record = None
                if content:  # the record's text for the rejects file: read back from the exchange (rare)
                    row = Unit(file, groups[position], offsets[position], offsets[position] + 1, 0)
                    record = next(table_to_records(next(ctx.read_units([row]))))
                stage._reject(sources[position], ids[position], label, hit, record)
                drops.setdefault(file, {}).setdefault(groups[position], []).append(offsets[position])
                dropped[sources[position]] += 1
        for source, total in counts.items():
            stage.stats.add(source, total, total - dropped[source],
                            dropped={REASON: dropped[source]} if dropped[source] else None)
        ctx.progress(table.num_rows)
        return {"drops": {f: {str(g): sorted(o) for g, o in sorted(gs.items())} for f, gs in sorted(drops.items())}}


def keys_tasks(upstream: list[dict], buckets: int, labels: dict[int, str]) -> list[KeysTask]:
    """One task per bucket, from the read tasks' results (those that wrote keys)."""
    with_keys = [r for r in upstream if "ids_file" in r]
    per_bucket = bucket_units(with_keys, buckets, file_key="ids_file", index_key="ids_index")
    file_of = {r["ids_file"]: (r["file"], labels.get(r["task"])) for r in with_keys}
    return [KeysTask(b, units, tuple(file_of[u.file] for u in units)) for b, units in enumerate(per_bucket)]


def merged_drops(results: list[dict]) -> dict[str, dict[int, list[int]]]:
    """The drops of every task of the phase, as ``io.exchange.read_units`` takes them."""
    out: dict[str, dict[int, list[int]]] = {}
    for result in results:
        for file, groups in result.get("drops", {}).items():
            for group, offsets in groups.items():
                out.setdefault(file, {}).setdefault(int(group), []).extend(offsets)
    return out


@dataclass(frozen=True)
class IdsTask:
    """One hash bucket of ``(source, id)``: the first record of each id goes on, later ones are set aside."""

    index: int
    units: tuple
    origins: tuple[tuple[str, str | None], ...]  # upstream exchange file -> the read task's label (its input)

    @property
    def label(self) -> str:
        return f"bucket {self.index}"

    def run(self, ctx: Any) -> dict:
        stage: UniqueIds = ctx.stage
        origins = dict(self.origins)
        units = list(self.units)

        def batches(columns=None):
            i = 0
            while i < len(units):  # runs of units in one exchange file: one open each, and one origin
                j = i
                while j < len(units) and units[j].file == units[i].file:
                    j += 1
                for batch in ctx.read_units(units[i:j], columns):
                    yield batch, origins.get(units[i].file)
                i = j

        if ctx.columnar:
            return ctx.emit_batches(stage.reduce_batches(batches))
        return ctx.emit(stage.reduce(batches))


__all__ = ["NAME", "REASON", "IdKeys", "IdsTask", "KeysTask", "Later", "UniqueIds", "keys_tasks", "merged_drops"]
