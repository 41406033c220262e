"""What one task does, wherever it runs: read, reduce a bucket, or write a shard.

Each task writes its outputs under temporary names, renames them when whole,
and last writes its completion marker (with its counters), so a task either
happened entirely or not at all; a re-run skips tasks with a marker.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from typing import Any, Callable, Iterable, Iterator

import fsspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pdcorpus.config import build_stage
from pdcorpus.exchange import PartitionedSpill, bucket_of, read_units
from pdcorpus.io.parquet import file_sha256, open_arrow, write_parquet
from pdcorpus.io.readers import READERS, InputError, InputFile
from pdcorpus.optout import release_guard
from pdcorpus.ownership import file_identity, same_identity
from pdcorpus.redact import redact
from pdcorpus.plan import (ApplyTask, BucketTask, ClusterTask, Phase, Plan, PreviousReleaseTask, ReadTask,
                           ShardTask)
from pdcorpus.stages.dedup import PREVIOUS, PREVIOUS_PREFIX, candidate_pairs, shingle_sets
from pdcorpus.record import SCHEMA, Record, records_to_table, table_to_records
from pdcorpus.stages.base import BucketReduceStage, Reject, Stage
from pdcorpus.unique_ids import UniqueIds

Progress = Callable[[int], None]
PROGRESS_EVERY = 1000


class StrictModeError(Exception):
    """A record had to be set aside and the build runs with --strict."""


class RejectWriter:
    """Streams a task's rejects as JSON lines to ``OUT/rejects/<phase>-t<task>.jsonl`` (if enabled)."""

    def __init__(self, plan: Plan, phase: Phase, task: int, strict: bool = False) -> None:
        cfg = plan.config.rejects
        self.enabled = cfg.write
        self.content = cfg.content
        self.strict = strict
        self.env = plan.loaded.env
        self.fs, root = plan.config.output_fs()
        self.path = f"{root}/rejects/{phase.name}-t{task:05d}.jsonl"
        self._tmp = f"{self.path}.tmp-{uuid.uuid4().hex[:8]}"
        self._fh = None
        self.count = 0

    def __call__(self, reject: Reject) -> None:
        if self.strict and reject.stage == "read":
            raise StrictModeError(redact(reject.describe(), self.env))
        self.count += 1
        if not self.enabled:
            return
        if self._fh is None:
            self.fs.makedirs(self.path.rsplit("/", 1)[0], exist_ok=True)
            self._fh = self.fs.open(self._tmp, "wb")
        entry = reject.to_dict(self.content)
        for key in ("file", "detail"):  # an input's URL may carry credentials
            if entry.get(key):
                entry[key] = redact(entry[key], self.env)
        self._fh.write(json.dumps(entry, ensure_ascii=False).encode() + b"\n")

    def close(self) -> str | None:
        if self._fh is None:
            if self.fs.exists(self.path):  # from an earlier attempt that rejected differently: impossible, but stale
                self.fs.rm(self.path)
            return None
        self._fh.close()
        self.fs.mv(self._tmp, self.path)
        return self.path


class QueueWriter:
    """Records diverted to a side queue (``review``) as Parquet in the output schema:
    ``OUT/<queue>/<phase>-t<task>.parquet``, written whole then renamed."""

    BATCH = 1024

    def __init__(self, plan: Plan, phase: Phase, task: int, queue: str) -> None:
        self.fs, root = plan.config.output_fs()
        self.path = f"{root}/{queue}/{phase.name}-t{task:05d}.parquet"
        self.compression = plan.config.shards.compression
        self._tmp = f"{self.path}.tmp-{uuid.uuid4().hex[:8]}"
        self._buffer: list[Record] = []
        self._fh = None
        self._writer: pq.ParquetWriter | None = None
        self.count = 0

    def add(self, record: Record) -> None:
        self._buffer.append(record)
        self.count += 1
        if len(self._buffer) >= self.BATCH:
            self._flush()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._writer is None:
            self.fs.makedirs(self.path.rsplit("/", 1)[0], exist_ok=True)
            self._fh = self.fs.open(self._tmp, "wb")
            self._writer = pq.ParquetWriter(self._fh, SCHEMA, compression=None if self.compression == "none"
                                            else self.compression)
        self._writer.write_table(records_to_table(self._buffer))
        self._buffer = []

    def close(self) -> str | None:
        self._flush()
        if self._writer is None:
            if self.fs.exists(self.path):
                self.fs.rm(self.path)
            return None
        self._writer.close()
        self._fh.close()
        self.fs.mv(self._tmp, self.path)
        return self.path


class Sinks:
    """Where a task's stages send what leaves the corpus: rejects, and side queues such as review."""

    def __init__(self, plan: Plan, phase: Phase, task: int, strict: bool) -> None:
        self.plan, self.phase, self.task = plan, phase, task
        self.rejects = RejectWriter(plan, phase, task, strict)
        self.queues: dict[str, QueueWriter] = {}

    def divert(self, queue: str, record: Record) -> None:
        writer = self.queues.get(queue)
        if writer is None:
            writer = self.queues[queue] = QueueWriter(self.plan, self.phase, self.task, queue)
        writer.add(record)

    def close(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rejects": self.rejects.close(), "rejected": self.rejects.count}
        out["queues"] = {name: {"path": w.close(), "rows": w.count} for name, w in sorted(self.queues.items())}
        return out


def _counted(records: Iterable[Record], progress: Progress | None) -> Iterator[Record]:
    n = 0
    for record in records:
        yield record
        n += 1
        if progress is not None and n % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None and n % PROGRESS_EVERY:
        progress(n % PROGRESS_EVERY)


def _chain(records: Iterable[Record], stages: list[Stage]) -> Iterable[Record]:
    for stage in stages:
        records = stage(records)
    return records


def _bound(specs: list[dict[str, Any]], plan: Plan, scope: str, start: int, sinks: "Sinks") -> list[tuple[str, Stage]]:
    out = []
    context = plan.context()
    for offset, spec in enumerate(specs):
        stage = build_stage(spec)
        stage.on_reject = sinks.rejects
        stage.on_divert = sinks.divert
        stage.bind(context)
        out.append((f"{scope}/{start + offset}/{stage.label}", stage))
    return out


class TaskContext:
    """Paths and partitioning shared by the task kinds."""

    def __init__(self, plan: Plan, phase: Phase, index: int) -> None:
        self.plan = plan
        self.phase = phase
        self.index = index
        self.work_fs, self.work_root = plan.config.work_fs()
        self.dir = f"{self.work_root}/{phase.name}"
        self.exchange = f"{self.dir}/t{index:05d}.parquet"

    def partitioner(self) -> Callable[[Record], str]:
        """Where an output record goes: a bucket of the next exact dedup, all in one (before a
        minhash dedup, whose apply phase takes this task's records as they are), or its source."""
        nxt = self.plan.next_reducer(self.phase)
        if nxt is None:
            return lambda record: record.source
        if nxt.kind == "bands":
            return lambda record: "all"
        if nxt.kind == "ids":
            n = self.plan.buckets
            return lambda record: f"{bucket_of(record.source + chr(0) + record.id, n):05d}"
        stage = build_stage(self.plan.config.stages[nxt.stage_index])
        assert isinstance(stage, BucketReduceStage)
        buckets = self.plan.buckets
        return lambda record: f"{bucket_of(stage.partition_key(record), buckets):05d}"

    def spill(self, records: Iterable[Record]) -> dict[str, Any]:
        """Writes the task's output records to its exchange file; before a minhash dedup, also their
        signatures and band hashes. Returns what the marker records of it."""
        spill = PartitionedSpill(self.work_fs, self.exchange, self.plan.config.shards.compression)
        nxt = self.plan.next_reducer(self.phase)
        signer = NearDupSigner(self, nxt) if nxt is not None and nxt.kind == "bands" else None
        partition = self.partitioner()
        try:
            if signer is None:
                for record in records:
                    spill.add(partition(record), record)
            else:
                for batch in signer.batches(records):
                    for record in batch:
                        spill.add("all", record)
            index = spill.close()
            out: dict[str, Any] = {"file": self.exchange, "index": index, "rows": spill.rows}
            if signer is not None:
                out.update(signer.close())
        except BaseException:
            spill.abort()
            if signer is not None:
                signer.abort()
            raise
        return out

    def spill_batches(self, batches: Iterable[pa.RecordBatch], progress: Progress | None) -> dict[str, Any]:
        """Columnar output going to the writer: partitioned by source without becoming records."""
        spill = PartitionedSpill(self.work_fs, self.exchange, self.plan.config.shards.compression)
        try:
            for batch in batches:
                sources = batch.column("source")
                for source in sorted(set(sources.to_pylist())):
                    part = batch.filter(pc.equal(sources, source))
                    spill.add_batch(source, part)
                if progress is not None:
                    progress(batch.num_rows)
            index = spill.close()
        except BaseException:
            spill.abort()
            raise
        return {"file": self.exchange, "index": index, "rows": spill.rows}


BAND_SCHEMA = pa.schema([("band", pa.int32()), ("hash", pa.uint64()), ("key", pa.int64())])
SIGNATURE_SCHEMA = pa.schema([("key", pa.int64()), ("source", pa.string()), ("id", pa.string()),
                              ("signature", pa.binary())])
EDGE_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64())])
DECISION_SCHEMA = pa.schema([("key", pa.int64()), ("keep", pa.bool_()), ("cluster", pa.string()),
                             ("size", pa.int64())])
SIGN_BATCH = 512


def record_key(task: int, position: int) -> int:
    """A record's place in the exchange: its task and its position in that task's output."""
    return (task << 32) | position


def _write_table(fs: fsspec.AbstractFileSystem, path: str, table: pa.Table, compression: str) -> str:
    tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
    fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression=None if compression == "none" else compression)
    fs.mv(tmp, path)
    return path


class NearDupSigner:
    """Before a near-dedup (minhash or phash): each output record's signature (to a signature file) and
    its band keys (to a band exchange partitioned by bucket), keyed by the record's place in the exchange."""

    def __init__(self, ctx: "TaskContext", bands_phase: Phase) -> None:
        self.ctx = ctx
        stage = build_stage(ctx.plan.config.stages[bands_phase.stage_index])
        self.stage = stage
        compression = ctx.plan.config.shards.compression
        self.band_path = f"{ctx.dir}/t{ctx.index:05d}.bands.parquet"
        self.band_spill = PartitionedSpill(
            ctx.work_fs, self.band_path, compression, flush_rows=65536, schema=BAND_SCHEMA,
            to_table=lambda rows: pa.Table.from_arrays([pa.array(c, t) for c, t in zip(zip(*rows), (
                pa.int32(), pa.uint64(), pa.int64()))], schema=BAND_SCHEMA),
            size_of=lambda row: 24)
        self.sig_path = f"{ctx.dir}/t{ctx.index:05d}.signatures.parquet"
        self._sig_tmp = f"{self.sig_path}.tmp-{uuid.uuid4().hex[:8]}"
        self._sig_fh = None
        self._sig_writer: pq.ParquetWriter | None = None
        self.position = 0
        self.compression = compression

    def batches(self, records: Iterable[Record]) -> Iterator[list[Record]]:
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) >= SIGN_BATCH:
                self._sign(batch)
                yield batch
                batch = []
        if batch:
            self._sign(batch)
            yield batch

    def _sign(self, batch: list[Record]) -> None:
        stage, buckets = self.stage, self.ctx.plan.buckets
        signatures, has = stage.signatures(batch)
        hashes = stage.band_keys(signatures)
        keys = [record_key(self.ctx.index, self.position + i) for i in range(len(batch))]
        self.position += len(batch)
        chosen = np.flatnonzero(has)
        for i in chosen.tolist():
            for band in range(hashes.shape[1]):
                h = int(hashes[i, band])
                self.band_spill.add(f"{(h ^ band) % buckets:05d}", (band, h, keys[i]))
        if len(chosen):
            table = pa.table({"key": pa.array([keys[i] for i in chosen], pa.int64()),
                              "source": [batch[i].source for i in chosen], "id": [batch[i].id for i in chosen],
                              "signature": pa.array([signatures[i].tobytes() for i in chosen], pa.binary())},
                             schema=SIGNATURE_SCHEMA)
            if self._sig_writer is None:
                self.ctx.work_fs.makedirs(self.ctx.dir, exist_ok=True)
                self._sig_fh = self.ctx.work_fs.open(self._sig_tmp, "wb")
                self._sig_writer = pq.ParquetWriter(self._sig_fh, SIGNATURE_SCHEMA, compression=None)
            self._sig_writer.write_table(table)

    def close(self) -> dict[str, Any]:
        out: dict[str, Any] = {"bands_file": self.band_path, "bands_index": self.band_spill.close(),
                               "signatures_file": None}
        if self._sig_writer is not None:
            self._sig_writer.close()
            self._sig_fh.close()
            self.ctx.work_fs.mv(self._sig_tmp, self.sig_path)
            out["signatures_file"] = self.sig_path
        return out

    def abort(self) -> None:
        self.band_spill.abort()
        if self._sig_writer is not None:
            self._sig_writer.close()
            self._sig_fh.close()


def _input_sha256(reader: Any, file: InputFile, storage_options: dict, env: dict[str, str]) -> str:
    """The input's sha256 as its reader computes it, after the task read it; a file must still be the one
    the plan listed (and the work state recorded): same size, modification time or ETag. So the checksum is
    of the bytes the records came from, and an input edited during the build fails its task, naming it."""
    digest = reader.input_sha256(file)
    if file.identity:
        fs, path = fsspec.core.url_to_fs(file.url, **storage_options)
        now = file_identity(fs.info(path))
        if not same_identity(file.identity, now):
            raise InputError(f"{redact(file.url, env)}: changed while the build was reading it (was {file.identity}, "
                             f"now {now}); run the build again once the inputs are final (--fresh to start over)")
    return digest


def run_read(plan: Plan, phase: Phase, task: ReadTask, progress: Progress | None, strict: bool) -> dict:
    ctx = TaskContext(plan, phase, task.index)
    source = next(s for s in plan.config.sources if s.name == task.source)
    sinks = Sinks(plan, phase, task.index, strict)
    options: dict[str, Any] = {"storage_options": source.read.storage_options,
                               "allow_outside_paths": source.read.allow_outside_paths}
    if source.read.format in ("csv", "images"):
        options["delimiter"] = source.read.delimiter
    if source.read.format == "images":
        options.update(max_pixels=source.read.max_pixels, verify=source.read.verify)
    reader_cls = READERS[source.read.format]
    options.update(reader_cls.config_options(source.read))
    if source.read.format == "urls":
        options.update(fetch=source.read.fetch, part=task.part, delimiter=source.read.delimiter)
    reader = reader_cls(source.name, fields=source.fields, metadata=source.metadata,
                        max_chars=plan.config.limits.max_chars, on_reject=sinks.rejects, **options)
    reader.work = (ctx.work_fs, f"{ctx.dir}/t{task.index:05d}.state")
    stages = _bound(source.stages, plan, source.name, 0, sinks) + _bound(plan.pre_global, plan, "global", 0, sinks)
    stages += release_guard(plan, sinks)  # records removed from an earlier release stay out (pdcorpus/optout.py)
    stream = _chain(_counted(reader.read_all(task.files), progress), [s for _, s in stages])
    spilled = ctx.spill(stream)
    stats = {f"{source.name}/read": reader.stats.to_dict()}
    if hasattr(reader, "fetch_stats"):  # a urls source: its fetching, counted as a step before the source's stages
        stats[f"{source.name}/-1/fetch"] = reader.fetch_stats.to_dict()
    stats.update({key: stage.stats.to_dict() for key, stage in stages})
    inputs = [{"source": source.name, "path": redact(f.url, plan.loaded.env), "bytes": f.size,
               "sha256": _input_sha256(reader, f, source.read.storage_options, plan.loaded.env)} for f in task.files
              if task.part is None or task.part[0] == 1]  # a file cut into parts is listed once
    return {**spilled, "stats": stats, "inputs": inputs, **sinks.close()}


def run_previous(plan: Plan, phase: Phase, task: PreviousReleaseTask, progress: Progress | None, strict: bool) -> dict:
    """An earlier release's records, as the dedup against it needs them (ids, hashes; texts for minhash,
    images for phash)."""
    ctx = TaskContext(plan, phase, task.index)
    (_, params), = plan.config.stages[task.stage_index].items()
    method = params.get("method")
    columns = ["id", "content_hash"] + {"minhash": ["text", "caption"], "phash": ["image"]}.get(method, [])

    def records() -> Iterator[Record]:
        for file in task.files:
            fs, path = fsspec.core.url_to_fs(file.url, **plan.config.storage_options)
            with open_arrow(fs, path) as fh:
                pf = pq.ParquetFile(fh)
                for batch in pf.iter_batches(columns=columns):
                    data = batch.to_pydict()
                    for i, rid in enumerate(data["id"]):
                        yield Record(id=f"{PREVIOUS_PREFIX}{rid}", source=PREVIOUS, content_hash=data["content_hash"][i],
                                     text=data["text"][i] if "text" in data else None,
                                     caption=data["caption"][i] if "caption" in data else None,
                                     image=data["image"][i] if "image" in data else None)

    spilled = ctx.spill(_counted(records(), progress))
    return {**spilled, "previous": {"files": [f.url for f in task.files], "records": spilled["rows"]}}


def run_bucket(plan: Plan, phase: Phase, task: BucketTask, progress: Progress | None, strict: bool) -> dict:
    ctx = TaskContext(plan, phase, task.index)
    sinks = Sinks(plan, phase, task.index, strict)
    (key, stage), = _bound([plan.config.stages[phase.stage_index]], plan, "global", phase.stage_index, sinks)
    after = _bound(plan.after_global[phase.stage_index], plan, "global", phase.stage_index + 1, sinks)
    units = list(task.units)

    def batches(columns: list[str] | None = None):
        return read_units(ctx.work_fs, units, columns)

    if not after and plan.next_reducer(phase) is None and hasattr(stage, "reduce_batches"):
        spilled = ctx.spill_batches(stage.reduce_batches(batches), progress)
    else:
        stream = _chain(_counted(stage.reduce(batches), progress), [s for _, s in after])
        spilled = ctx.spill(stream)
    stats = {key: stage.stats.to_dict()}
    stats.update({k: s.stats.to_dict() for k, s in after})
    return {**spilled, "stats": stats, **sinks.close()}


def run_ids(plan: Plan, phase: Phase, task: BucketTask, progress: Progress | None, strict: bool) -> dict:
    """One bucket of (source, id): the first record of each id goes on, later ones are set aside."""
    ctx = TaskContext(plan, phase, task.index)
    sinks = Sinks(plan, phase, task.index, strict)
    stage = UniqueIds(on_reject=sinks.rejects)
    read_phase = plan.phases[0]
    origins = {f"{ctx.work_root}/{read_phase.name}/t{t.index:05d}.parquet": t.label for t in plan.read_tasks()}
    units = list(task.units)

    def batches(columns=None):
        i = 0
        while i < len(units):  # runs of units in one exchange file: one open each, and one origin
            j = i
            while j < len(units) and units[j].file == units[i].file:
                j += 1
            for batch in read_units(ctx.work_fs, units[i:j], columns):
                yield batch, origins.get(units[i].file)
            i = j

    if plan.next_reducer(phase) is None:
        spilled = ctx.spill_batches(stage.reduce_batches(batches), progress)
    else:
        spilled = ctx.spill(_counted(stage.reduce(batches), progress))
    first_global = next((i for i, spec in enumerate(plan.config.stages) if build_stage(spec).is_global),
                        len(plan.config.stages))
    return {**spilled, "stats": {f"global/{first_global}/{stage.name}": stage.stats.to_dict()}, **sinks.close()}


def run_bands(plan: Plan, phase: Phase, task: BucketTask, progress: Progress | None, strict: bool) -> dict:
    """Records sharing a band hash are candidate pairs: each joined to the group's first key."""
    ctx = TaskContext(plan, phase, task.index)
    tables = [pa.Table.from_batches([b]) for b in read_units(ctx.work_fs, list(task.units))]
    if not tables:
        return {"edges_file": None, "edges": 0}
    table = pa.concat_tables(tables)
    grouped = table.group_by(["band", "hash"]).aggregate([("key", "list")])
    lists = grouped.column("key_list")
    lists = lists.filter(pc.greater(pc.list_value_length(lists), 1))
    edges: set[tuple[int, int]] = set()
    for keys in lists.to_pylist():
        edges.update(candidate_pairs(keys))
    if progress is not None:
        progress(table.num_rows)
    if not edges:
        return {"edges_file": None, "edges": 0}
    a, b = zip(*sorted(edges))
    path = _write_table(ctx.work_fs, ctx.exchange, pa.table({"a": a, "b": b}, schema=EDGE_SCHEMA),
                        plan.config.shards.compression)
    return {"edges_file": path, "edges": len(edges)}


def run_clusters(plan: Plan, phase: Phase, task: ClusterTask, progress: Progress | None, strict: bool) -> dict:
    """Candidate pairs checked on their signatures and joined into clusters; one survivor each, by rule."""
    ctx = TaskContext(plan, phase, task.index)
    (_, stage), = _bound([plan.config.stages[phase.stage_index]], plan, "global", phase.stage_index,
                         Sinks(plan, phase, task.index, strict))
    pairs = []
    for path in task.edges:
        with open_arrow(ctx.work_fs, path) as fh:
            pairs.append(pq.ParquetFile(fh).read())
    if pairs:
        both = pa.concat_tables(pairs)
        edge_array = np.unique(np.stack([both.column("a").to_numpy(), both.column("b").to_numpy()], axis=1), axis=0)
    else:
        edge_array = np.zeros((0, 2), dtype=np.int64)
    involved = pa.array(np.unique(edge_array), pa.int64())
    signatures: dict[int, np.ndarray] = {}
    ranks: dict[int, tuple] = {}
    for path in task.signatures:
        with open_arrow(ctx.work_fs, path) as fh:
            table = pq.ParquetFile(fh).read()
        table = table.filter(pc.is_in(table.column("key"), value_set=involved))
        for key, source, rid, sig in zip(*(table.column(c).to_pylist() for c in ("key", "source", "id", "signature"))):
            signatures[key] = np.frombuffer(sig, dtype=np.uint32)
            ranks[key] = stage.rank(source, rid, key)
        if progress is not None:
            progress(table.num_rows)
    decisions, counts = stage.clusters(map(tuple, edge_array.tolist()), signatures.__getitem__, ranks.__getitem__,
                                       _shingle_loader(ctx, stage, task) if stage.exact_margin > 0 else None)
    keys = sorted(decisions)
    table = pa.table({"key": pa.array(keys, pa.int64()), "keep": [decisions[k][0] for k in keys],
                      "cluster": [decisions[k][1] for k in keys], "size": pa.array([decisions[k][2] for k in keys],
                                                                                   pa.int64())},
                     schema=DECISION_SCHEMA)
    path = _write_table(ctx.work_fs, ctx.exchange, table, plan.config.shards.compression)
    return {"decisions_file": path, "near_dedup": {**stage.describe(), **counts}}


def _shingle_loader(ctx: TaskContext, stage, task: ClusterTask):
    """For the pairs decided on exact similarity: the shingle sets of the records with the given keys,
    from the texts in the upstream exchange (only the row groups that hold them are read)."""
    def load(keys: list[int]) -> Callable[[int], np.ndarray]:
        wanted: dict[int, list[int]] = {}
        for key in keys:
            wanted.setdefault(key >> 32, []).append(key & 0xFFFFFFFF)
        found: dict[int, np.ndarray] = {}
        for index, units in task.records:
            positions = np.asarray(sorted(wanted.get(index, ())), dtype=np.int64)
            if not len(positions):
                continue
            first = 0
            for unit in units:
                inside = positions[(positions >= first) & (positions < first + unit.rows)]
                if len(inside):
                    table = pa.Table.from_batches(list(read_units(ctx.work_fs, [unit], ["text", "caption"])))
                    rows = table.take(pa.array(inside - first)).to_pylist()
                    texts = [row["text"] if row["text"] is not None else (row["caption"] or "") for row in rows]
                    found.update(zip((record_key(index, int(p)) for p in inside), shingle_sets(stage.hasher, texts)))
                first += unit.rows
        return found.__getitem__
    return load


def run_apply(plan: Plan, phase: Phase, task: ApplyTask, progress: Progress | None, strict: bool) -> dict:
    """One upstream task's records, less the non-survivors of near-duplicate clusters."""
    ctx = TaskContext(plan, phase, task.index)
    sinks = Sinks(plan, phase, task.index, strict)
    (key, stage), = _bound([plan.config.stages[phase.stage_index]], plan, "global", phase.stage_index, sinks)
    after = _bound(plan.after_global[phase.stage_index], plan, "global", phase.stage_index + 1, sinks)
    mine: dict[int, tuple[bool, str, int]] = {}
    if task.decisions:
        with open_arrow(ctx.work_fs, task.decisions) as fh:
            table = pq.ParquetFile(fh).read()
        low, high = record_key(task.index, 0), record_key(task.index + 1, 0)
        keys = table.column("key")
        table = table.filter(pc.and_(pc.greater_equal(keys, low), pc.less(keys, high)))
        for k, keep, cluster, size in zip(*(table.column(c).to_pylist() for c in ("key", "keep", "cluster", "size"))):
            mine[k - low] = (keep, cluster, size)

    def records() -> Iterator[Record]:
        position = 0
        add = stage.stats.add
        for batch in read_units(ctx.work_fs, list(task.units)):
            for record in table_to_records(batch):
                decision = mine.get(position)
                position += 1
                if record.source == PREVIOUS:  # took part in the clusters; never published again
                    continue
                if decision is not None:
                    keep, cluster, size = decision
                    record.dedup_cluster, record.dedup_cluster_size = cluster, size
                    if not keep:
                        add(record.source, 1, 0)
                        if cluster.startswith(PREVIOUS_PREFIX):
                            stage.drop(record, "in-previous-release",
                                       f"near {cluster[len(PREVIOUS_PREFIX):]} (cluster of {size})")
                        else:
                            stage.drop(record, "near-duplicate", f"of {cluster} (cluster of {size})")
                        continue
                add(record.source, 1, 1)
                yield record

    spilled = ctx.spill(_chain(_counted(records(), progress), [s for _, s in after]))
    stats = {key: stage.stats.to_dict()}
    stats.update({k: s.stats.to_dict() for k, s in after})
    return {**spilled, "task": task.index, "stats": stats, **sinks.close()}


def run_shard(plan: Plan, phase: Phase, task: ShardTask, progress: Progress | None, strict: bool) -> dict:
    ctx = TaskContext(plan, phase, task.index)
    out_fs, root = plan.config.output_fs()
    path = f"{root}/{task.path}"
    units = list(task.units)

    counts: dict[str, Counter] = {"license": Counter(), "language": Counter()}
    chars = [0]

    def tables():
        for batch in read_units(ctx.work_fs, units):
            if progress is not None:
                progress(batch.num_rows)
            chars[0] += pc.sum(pc.utf8_length(batch.column("text"))).as_py() or 0
            for column, counter in counts.items():
                for item in pc.value_counts(batch.column(column)).to_pylist():
                    counter[item["values"] if item["values"] is not None else "none"] += item["counts"]
            yield pa.Table.from_batches([batch])

    rows, nbytes = write_parquet(out_fs, path, _rebatch(tables()), plan.config.shards.compression)
    return {"path": task.path, "source": task.source, "rows": rows, "bytes": nbytes,
            "sha256": file_sha256(out_fs, path),
            "licenses": dict(sorted(counts["license"].items())), "languages": dict(sorted(counts["language"].items())),
            "text_chars": chars[0]}


def _rebatch(tables: Iterable, target_rows: int = 20_000, target_bytes: int = 16 * 1024 * 1024):
    """Joins the exchange's small row groups into row groups sized for streaming readers."""
    pending: list = []
    rows = size = 0
    for table in tables:
        pending.append(table)
        rows += table.num_rows
        size += table.nbytes
        if rows >= target_rows or size >= target_bytes:
            yield pa.concat_tables(pending)
            pending, rows, size = [], 0, 0
    if pending:
        yield pa.concat_tables(pending)


RUNNERS = {"read": run_read, "ids": run_ids, "global": run_bucket, "bands": run_bands, "clusters": run_clusters,
           "apply": run_apply, "write": run_shard}


def marker_path(plan: Plan, phase: Phase, index: int) -> tuple[fsspec.AbstractFileSystem, str]:
    fs, root = plan.config.work_fs()
    return fs, f"{root}/{phase.name}/t{index:05d}.done.json"


def execute(plan: Plan, phase: Phase, task: Any, progress: Progress | None = None, strict: bool = False) -> dict:
    """Runs one task and marks it complete; the result is what the marker holds."""
    fs, marker = marker_path(plan, phase, task.index)
    started = time.perf_counter()
    run = run_previous if isinstance(task, PreviousReleaseTask) else RUNNERS[phase.kind]
    result = run(plan, phase, task, progress, strict)
    result["seconds"] = round(time.perf_counter() - started, 3)
    result["task"] = task.index
    tmp = f"{marker}.tmp-{uuid.uuid4().hex[:8]}"
    fs.makedirs(marker.rsplit("/", 1)[0], exist_ok=True)
    with fs.open(tmp, "w") as fh:
        json.dump(result, fh)
    fs.mv(tmp, marker)
    return result


def load_marker(plan: Plan, phase: Phase, index: int) -> dict | None:
    fs, marker = marker_path(plan, phase, index)
    if not fs.exists(marker):
        return None
    with fs.open(marker, "r") as fh:
        return json.load(fh)
