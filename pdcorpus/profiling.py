"""``pdcorpus build --profile``: where a build's time goes, per phase and per stage.

Off (the default), nothing here runs: no task is given a ``TaskProfile`` and no stream is wrapped. On, each
task measures its parts and sends them back in its result (``result["profile"]``, beside ``stats``), so the
profile travels from worker processes and Ray workers like the counters; the build sums the tasks of each
phase into the manifest's ``profile`` key (``pdcorpus.manifest.Profile``) and the command prints it
(``format_profile``). Nothing a task writes changes.

How a task's time is split (wall seconds of the task's process, ``time.perf_counter``):

- a stage of a generator chain (the reader, a source's stages, the streaming stages): the records between two
  stages pass through a ``Timed`` iterator that adds up the time spent in ``next()`` (two clock reads per record
  per stage boundary) and counts the records and their size; a stage's own time is the time in the ``next()``
  of its output less the time in the ``next()`` of its input (what its upstream took);
- reading the exchange (``ctx.read_units``, ``ctx.read_table``): Parquet read and decode, per batch (its rows
  are those of every pass: exact dedup and unique ids read a bucket twice, first a few columns);
- writing the exchange (``ctx.spill``, ``ctx.emit_batches``, ``ctx.write_table``): partitioning, the records
  made into Arrow tables, Parquet encoding and writing, less the time of the records it was given; a near-dedup's
  signatures (the intake's sidecar) are measured the same way, apart;
- a global stage's phase (unique ids, dedup, the writer...): the rest of its task's ``run``, so its own work
  between reading and writing, whatever shape its code has;
- ``input checksums``: the read task's sha256 of its inputs (a second read of each file);
- ``other``: the rest of the task (setting up the reader and stages, closing rejects, the result).

Sizes are counted where they are cheap: records are measured in *characters* of text and caption (``len``; a
UTF-8 length would cost an encoding of every text at every boundary), images in bytes; files (inputs, exchange,
shards) in bytes on disk (compressed). The exchange bytes a phase read are the compressed bytes of the row
groups its tasks read whole (a first pass over a few columns, as exact dedup's, is not counted).
"""

from __future__ import annotations

import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pdcorpus.accounting import StageKey
from pdcorpus.io.parquet import open_arrow
from pdcorpus.manifest import Profile, ProfilePhase, ProfileRow

_clock = time.perf_counter

# the rows of a task's profile that are not a stage of the pipeline (their names in the manifest)
EXCHANGE_READ, EXCHANGE_WRITE, SIGNATURES = "exchange read", "exchange write", "signatures"
CHECKSUMS, OTHER, NOT_PROFILED = "input checksums", "other", "tasks not profiled"
WIDTH = 100  # columns of the printed table
_RANK = {EXCHANGE_READ: 0, SIGNATURES: 2, EXCHANGE_WRITE: 3, CHECKSUMS: 4, OTHER: 5, NOT_PROFILED: 6}


# -- measuring in a task -----------------------------------------------------------------------------


class Timed:
    """An iterator of records through which a stage's output passes: the time in ``next()`` (the stage and
    everything upstream of it), the records, their characters of text and caption, their image bytes."""

    __slots__ = ("_next", "seconds", "rows", "chars", "image_bytes", "upstream")

    def __init__(self, items: Iterable[Any], upstream: "Timed | None" = None) -> None:
        self._next = iter(items).__next__
        self.seconds = 0.0
        self.rows = self.chars = self.image_bytes = 0
        self.upstream = upstream

    def __iter__(self) -> "Timed":
        return self

    def __next__(self) -> Any:
        started = _clock()
        try:
            record = self._next()
        finally:
            self.seconds += _clock() - started
        self.rows += 1
        text, caption, image = record.text, record.caption, record.image
        if text is not None:
            self.chars += len(text)
        if caption is not None:
            self.chars += len(caption)
        if image is not None:
            self.image_bytes += len(image.get("bytes") or b"")
        return record

    @property
    def own_seconds(self) -> float:
        return self.seconds - (self.upstream.seconds if self.upstream is not None else 0.0)


class TimedBatches(Timed):
    """The same for a stream of Arrow record batches (measured by column, once a batch)."""

    __slots__ = ()

    def __next__(self) -> Any:
        started = _clock()
        try:
            batch = self._next()
        finally:
            self.seconds += _clock() - started
        self.rows += batch.num_rows
        chars, images = batch_size(batch)
        self.chars += chars
        self.image_bytes += images
        return batch


class TimedItems(Timed):
    """Only the time, for a stream of anything (a sidecar's batches of records)."""

    __slots__ = ()

    def __next__(self) -> Any:
        started = _clock()
        try:
            return self._next()
        finally:
            self.seconds += _clock() - started


def batch_size(batch: pa.RecordBatch | pa.Table) -> tuple[int, int]:
    """Characters of text and caption, and image bytes, of the columns a batch has."""
    names = batch.schema.names
    chars = images = 0
    for name in ("text", "caption"):
        if name in names:
            chars += pc.sum(pc.utf8_length(batch.column(name))).as_py() or 0
    if "image" in names:
        images = pc.sum(pc.binary_length(pc.struct_field(batch.column("image"), "bytes"))).as_py() or 0
    return chars, images


@dataclass
class _Row:
    seconds: float = 0.0
    records_in: int | None = None
    records_out: int | None = None
    chars_in: int | None = None
    chars_out: int | None = None
    image_bytes_in: int | None = None
    image_bytes_out: int | None = None
    bytes_in: int | None = None
    bytes_out: int | None = None

    def add(self, **values: float | int | None) -> None:
        for name, value in values.items():
            if value is None:
                continue
            now = getattr(self, name)
            setattr(self, name, value if now is None else now + value)


class TaskProfile:
    """What one task measures (``TaskContext.profile``, present only with --profile)."""

    def __init__(self, fs: Any = None) -> None:
        self.fs = fs  # the work folder's file system (sizes of work files written beside the exchange)
        self._links: list[tuple[str, Timed, Timed | None]] = []  # (stage key, its output, its input)
        self._reads: list[tuple[TimedBatches, bool, int]] = []  # exchange reads: (stream, read whole, units' bytes)
        self._rows: dict[str, _Row] = {}  # measured directly: files, spills, checksums
        self._source: Timed | None = None  # the phase's own stage's output (a global stage's task)
        self.files_bytes = 0  # work files written whole (a near-dedup's edges and decisions)

    def row(self, name: str) -> _Row:
        row = self._rows.get(name)
        if row is None:
            row = self._rows[name] = _Row()
        return row

    # -- streams ---------------------------------------------------------------------------------------

    def reader(self, key: str, records: Iterable[Any]) -> Timed:
        """A read task's records as its reader makes them."""
        timed = Timed(records)
        self._links.append((key, timed, None))
        return timed

    def source(self, records: Iterable[Any], batches: bool = False) -> Timed:
        """What a global stage's task passes on (records, or Arrow batches)."""
        self._source = (TimedBatches if batches else Timed)(records)
        return self._source

    def chain(self, records: Iterable[Any], stages: list[tuple[str, Any]]) -> Iterable[Any]:
        """The stages over the records, each one's output timed."""
        upstream = records if isinstance(records, Timed) else Timed(records)
        for key, stage in stages:
            timed = Timed(stage(upstream), upstream)
            self._links.append((key, timed, upstream))
            upstream = timed
        return upstream

    def exchange_read(self, batches: Iterator[pa.RecordBatch], units: list[Any], whole: bool) -> TimedBatches:
        timed = TimedBatches(batches)
        self._reads.append((timed, whole, sum(u.bytes for u in units) if whole else 0))
        return timed

    @contextmanager
    def spilling(self, records: Iterable[Any]) -> Iterator["_Spilling"]:
        """Around the writing of a task's exchange: its time less the time of the records it was given (and of
        the sidecar's signing, counted apart)."""
        spilling = _Spilling(records if isinstance(records, Timed) else TimedItems(records))
        started = _clock()
        try:
            yield spilling
        finally:
            seconds = _clock() - started
            given, signing = spilling.records, spilling.signing
            if signing is not None:
                self.row(SIGNATURES).add(seconds=signing.own_seconds)
                seconds -= signing.seconds
            else:
                seconds -= given.seconds
            counted = not isinstance(given, TimedItems)
            self.row(EXCHANGE_WRITE).add(seconds=seconds, records_in=given.rows if counted else None,
                                         chars_in=given.chars if counted else None,
                                         image_bytes_in=given.image_bytes if counted else None)

    def read_file(self, seconds: float, nbytes: int, rows: int) -> None:
        """A work file read whole (``ctx.read_table``)."""
        self.row(EXCHANGE_READ).add(seconds=seconds, bytes_in=nbytes, records_in=rows, records_out=rows)

    def wrote_file(self, seconds: float, path: str) -> None:
        """A work file written whole (``ctx.write_table``)."""
        nbytes = parquet_bytes(self.fs, path)
        self.row(EXCHANGE_WRITE).add(seconds=seconds, bytes_out=nbytes)
        self.files_bytes += nbytes

    @contextmanager
    def timed(self, name: str) -> Iterator[_Row]:
        row = self.row(name)
        started = _clock()
        try:
            yield row
        finally:
            row.add(seconds=_clock() - started)

    # -- the result --------------------------------------------------------------------------------------

    def result(self, result: dict[str, Any], phase_key: str | None, run_seconds: float,
               task_seconds: float) -> dict[str, Any]:
        """The task's profile for its result: rows by name (a stage's ``StageKey`` string, or one of the names
        above). ``phase_key``: the key of the phase's own global stage (None in a read task)."""
        rows: dict[str, _Row] = {}
        if self._reads:
            read = rows[EXCHANGE_READ] = _Row()
            for timed, whole, nbytes in self._reads:
                read.add(seconds=timed.seconds, records_in=timed.rows, records_out=timed.rows,
                         chars_out=timed.chars, image_bytes_out=timed.image_bytes, bytes_in=nbytes)
        for name, row in self._rows.items():
            rows.setdefault(name, _Row()).add(**vars(row))
        for key, out, given in self._links:
            row = rows.setdefault(key, _Row())
            row.add(seconds=out.own_seconds, records_out=out.rows, chars_out=out.chars,
                    image_bytes_out=out.image_bytes)
            if given is not None:
                row.add(records_in=given.rows, chars_in=given.chars, image_bytes_in=given.image_bytes)
            else:  # a reader: the lines or items it parsed (records or set aside), from the bytes of its inputs
                parsed = (result.get("stats") or {}).get(key)
                row.add(records_in=parsed.get("records_in") if parsed else None,
                        bytes_in=sum(i.get("bytes", 0) for i in result.get("inputs", [])))
        if result.get("signatures_file") and self.fs is not None:  # a near-dedup's signatures, beside the exchange
            nbytes = parquet_bytes(self.fs, result["signatures_file"])
            rows.setdefault(EXCHANGE_WRITE, _Row()).add(bytes_out=nbytes)
            self.files_bytes += nbytes
        if EXCHANGE_WRITE in rows and not ("sha256" in result and "path" in result):
            rows[EXCHANGE_WRITE].add(bytes_out=_exchange_bytes(result))
            if isinstance(result.get("rows"), int):
                rows[EXCHANGE_WRITE].records_out = result["rows"]
        measured = sum(r.seconds for r in rows.values())
        rest = max(0.0, run_seconds - measured)
        if phase_key is not None:  # the global stage's own work: what its task's run did besides the rest
            whole = [t for t, w, _ in self._reads if w]
            own = rows.setdefault(phase_key, _Row())
            own.add(seconds=rest, records_in=sum(t.rows for t in whole) if whole else None,
                    chars_in=sum(t.chars for t in whole) if whole else None,
                    image_bytes_in=sum(t.image_bytes for t in whole) if whole else None)
            if self._source is not None:
                own.add(records_out=self._source.rows, chars_out=self._source.chars,
                        image_bytes_out=self._source.image_bytes)
            elif "sha256" in result and "path" in result:  # a shard: the rows it wrote, its bytes on disk
                own.add(records_out=result.get("rows"), bytes_out=result.get("bytes"))
            elif (result.get("stats") or {}).get(phase_key):  # passes nothing on (the ids phase on keys only)
                own.add(records_out=result["stats"][phase_key].get("records_out"))
            rest = 0.0
        rows.setdefault(OTHER, _Row()).add(seconds=rest + max(0.0, task_seconds - run_seconds))
        return {"seconds": round(task_seconds, 6), "phase_stage": phase_key, "work_files_bytes": self.files_bytes,
                "rows": {name: {k: (round(v, 6) if isinstance(v, float) else v) for k, v in vars(row).items()
                                if v is not None} for name, row in rows.items()}}


class _Spilling:
    """The records a spill is given (timed), and its sidecar's batches of them, timed apart when it has one."""

    def __init__(self, records: Timed) -> None:
        self.records = records
        self.signing: Timed | None = None

    def sign(self, batches: Iterable[Any]) -> Iterable[Any]:
        self.signing = TimedItems(batches, self.records)
        return self.signing


def parquet_bytes(fs: Any, path: str) -> int:
    """Compressed bytes of a Parquet file's column chunks (as the exchange index counts its row groups)."""
    with open_arrow(fs, path) as fh:
        meta = pq.ParquetFile(fh).metadata
    return sum(meta.row_group(g).column(c).total_compressed_size for g in range(meta.num_row_groups)
               for c in range(meta.num_columns))


def _exchange_bytes(result: dict[str, Any]) -> int:
    """Compressed bytes of the row groups a task's result lists in its exchange indexes."""
    total = 0
    for key in ("index", "bands_index", "ids_index"):
        for groups in (result.get(key) or {}).values():
            total += sum(g[2] for g in groups)
    return total


# -- a build's profile, from its tasks' results -------------------------------------------------------------


def _rank(name: str, order: dict[str, int]) -> tuple:
    if name in _RANK:
        return (_RANK[name], 0, 0, name)
    key = StageKey.parse(name)
    return (1, order.get(key.scope, len(order)), -2 if key.position is None else key.position, name)


def assemble_profile(phases: list[Any], results: dict[str, list[dict]], timings: dict[str, float],
                     total_seconds: float, sources: list[str], workers: int | None) -> Profile:
    """The manifest's ``profile``: each phase (wall seconds from the build, task seconds and rows from its
    tasks' results) with its rows; shares are of the build's task seconds (every task of every phase)."""
    order = {name: i for i, name in enumerate(sources)}
    order["global"] = len(order)
    task_total = sum((r.get("profile") or {}).get("seconds", r.get("seconds", 0.0))
                     for phase in phases for r in results.get(phase.name, []))
    share = (lambda s: round(100.0 * s / task_total, 3)) if task_total > 0 else (lambda s: 0.0)
    out: list[ProfilePhase] = []
    for phase in phases:
        mine = results.get(phase.name, [])
        rows: dict[str, _Row] = {}
        unprofiled = 0.0
        profiled = 0
        for result in mine:
            prof = result.get("profile")
            if prof is None:  # finished by an earlier run of this build without --profile
                unprofiled += result.get("seconds", 0.0)
                continue
            profiled += 1
            for name, values in prof["rows"].items():
                rows.setdefault(name, _Row()).add(**values)
        if unprofiled:
            rows[NOT_PROFILED] = _Row(seconds=unprofiled)
        seconds = sum((r.get("profile") or {}).get("seconds", r.get("seconds", 0.0)) for r in mine)
        wall = timings.get(phase.name)
        entries = []
        for name in sorted(rows, key=lambda n: _rank(n, order)):
            row = rows[name]
            entries.append(ProfileRow(
                name=name, kind=_kind(name), seconds=round(row.seconds, 4), share=share(row.seconds),
                records_in=row.records_in, records_out=row.records_out,
                records_per_second=round(row.records_in / row.seconds, 1)
                if row.records_in and row.seconds > 0 else None,
                chars_in=row.chars_in, chars_out=row.chars_out, image_bytes_in=row.image_bytes_in or None,
                image_bytes_out=row.image_bytes_out or None, bytes_in=row.bytes_in, bytes_out=row.bytes_out))
        by_name = {e.name: e for e in entries}
        if phase.owner == "read":
            readers = [e for e in entries if e.kind == "stage" and StageKey.parse(e.name).label == "read"]
            records_in = sum(e.records_in or 0 for e in readers) if readers else None
        else:
            keys = {(r.get("profile") or {}).get("phase_stage") for r in mine} - {None}
            records_in = sum(by_name[k].records_in or 0 for k in keys if k in by_name) if keys else None
        outs = [r["rows"] for r in mine if isinstance(r.get("rows"), int)]
        records_out = sum(outs) if outs else None
        inputs = sum(i.get("bytes", 0) for r in mine for i in r.get("inputs", []))
        read_bytes = by_name[EXCHANGE_READ].bytes_in or 0 if EXCHANGE_READ in by_name else 0
        written = sum(_exchange_bytes(r) + (r.get("profile") or {}).get("work_files_bytes", 0) for r in mine)
        shards = [r for r in mine if "sha256" in r and "path" in r]
        out.append(ProfilePhase(
            phase=phase.name, tasks=len(mine), tasks_profiled=profiled, wall_seconds=wall,
            task_seconds=round(seconds, 4), share=share(seconds), records_in=records_in, records_out=records_out,
            records_per_second=round(records_in / wall, 1) if records_in and wall else None,
            input_bytes=inputs if phase.owner == "read" else None,
            exchange_bytes_read=read_bytes if phase.owner != "read" else None,
            exchange_bytes_written=written if not shards else None,
            shard_bytes=sum(r["bytes"] for r in shards) if shards else None, rows=entries))
    phases_wall = sum(p.wall_seconds or 0.0 for p in out)
    return Profile(measures="records: characters of text and caption, image bytes; files: bytes on disk",
                   workers=workers, wall_seconds=round(total_seconds, 3), task_seconds=round(task_total, 4),
                   overhead_seconds=round(max(0.0, total_seconds - phases_wall), 3), phases=out)


def _kind(name: str) -> str:
    if name in _RANK:
        return {EXCHANGE_READ: "exchange", EXCHANGE_WRITE: "exchange", SIGNATURES: "exchange"}.get(name, "other")
    return "stage"


# -- printing ------------------------------------------------------------------------------------------------


def _count(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e6:.2f}M" if n >= 10_000_000 else f"{n:,}"


def _size(nbytes: int | None, chars: int | None, images: int | None) -> str:
    if nbytes is not None:
        return f"{nbytes / 1e6:.1f} MB"
    if images:
        return f"{images / 1e6:.1f} MB img"
    if chars is not None:
        return f"{chars / 1e6:.1f} Mch"
    return "-"


def format_profile(profile: Profile | dict) -> str:
    """The profile as a table of at most 100 columns: a row per phase, its stages under it."""
    p = profile if isinstance(profile, Profile) else Profile.from_json(profile)
    header = ["phase / stage", "seconds", "share", "records in", "out", "rec/s", "size in", "out"]
    table: list[list[str]] = []

    def arrow_pair(a: str, b: str) -> tuple[str, str]:
        return a, f"→ {b}"

    for phase in p.phases:
        busy = f", {phase.tasks} task{'s' if phase.tasks != 1 else ''}"
        table.append([f"{phase.phase}{busy}", f"{phase.task_seconds:.2f}", f"{phase.share:.1f}%",
                      *arrow_pair(_count(phase.records_in), _count(phase.records_out)),
                      f"{phase.records_per_second:,.0f}" if phase.records_per_second else "-",
                      *arrow_pair(_size(phase.input_bytes if phase.input_bytes is not None
                                        else phase.exchange_bytes_read, None, None),
                                  _size(phase.shard_bytes if phase.shard_bytes is not None
                                        else phase.exchange_bytes_written, None, None))])
        for row in phase.rows:
            name = row.name if len(row.name) <= 30 else "…" + row.name[-29:]
            table.append([f"  {name}", f"{row.seconds:.2f}", f"{row.share:.1f}%",
                          *arrow_pair(_count(row.records_in), _count(row.records_out)),
                          f"{row.records_per_second:,.0f}" if row.records_per_second else "-",
                          *arrow_pair(_size(row.bytes_in, row.chars_in, row.image_bytes_in),
                                      _size(row.bytes_out, row.chars_out, row.image_bytes_out))])
    widths = [max(len(r[i]) for r in [header] + table) for i in range(len(header))]
    lines = []
    for i, r in enumerate([header] + table):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("-" * len(lines[0]))
    phases_wall = sum(ph.wall_seconds or 0.0 for ph in p.phases)
    walls = ", ".join(f"{ph.phase} {ph.wall_seconds:.2f}" for ph in p.phases if ph.wall_seconds is not None)
    notes = [f"task seconds {p.task_seconds:.2f} (the whole of the shares) on {p.workers or 1} worker"
             f"{'s' if (p.workers or 1) != 1 else ''}; wall {p.wall_seconds:.2f} s: phases {phases_wall:.2f} "
             f"({walls}), build overhead {p.overhead_seconds:.2f} (plan, checks, work folder, manifest).",
             "rec/s: a phase's records in per wall second, a row's per second of its own time. Sizes: MB on disk "
             "(inputs, exchange, shards), Mch millions of characters of text and caption."]
    lines.append("")
    for note in notes:
        lines += textwrap.wrap(note, WIDTH)
    return "\n".join(lines)


__all__ = ["TaskProfile", "Timed", "TimedBatches", "assemble_profile", "batch_size", "format_profile"]
