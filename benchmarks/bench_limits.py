#!/usr/bin/env python3
"""``pdcorpus build --profile`` on the reference pipeline, set beside what each part can do on one core.

    python benchmarks/bench_limits.py --corpus benchmarks/data/corpus      # [--files 2] [--reps 3] [--no-results]

Issue 16, part 2. Input: the benchmark corpus of ``generate_corpus.py`` (100k docs in 8 JSONL.gz files, fields
doc_id/text/rights/url/date). Everything runs on one core: one process, Arrow's thread pool set to one thread
(``pa.set_cpu_count(1)``), and the build with ``--workers 1``.

1. **Limits of the parts** on a sample (the first ``--files`` input files, 25,000 docs by default), each timed
   ``--reps`` times (median) after an untimed warm-up pass, wall (``time.perf_counter``) and CPU
   (``time.process_time``):

   * gzip decompression (ISA-L ``isal.igzip``, as pdcorpus's reader opens .gz), line split and ``orjson.loads``;
     the same through Python's ``gzip`` (zlib); ISA-L decompression alone;
   * the rights decision alone: pdcorpus's ``RightsStage`` (the reference parameters, bound to today's date as a
     build is) over records already made by pdcorpus's JSONL reader, with sinks that do nothing for what it
     sets aside; and the simplest means: a dict lookup by the raw statement in the allow-list below;
   * ``pycld2.detect`` on the first 1,000 and 2,000 characters (pdcorpus's ``sample_chars`` default is read
     from ``LanguageParams``);
   * exact dedup's ``pdcorpus.record.normalize_for_hash``, the UTF-8 encoding of its result, and
     ``xxhash.xxh3_128_hexdigest`` of those bytes, apart; a set of the hashes (what dedup itself does);
   * Arrow: ``pdcorpus.record.records_to_table`` (content hashes already set, so only the columns are built),
     Parquet write with zstd (``pyarrow.parquet.ParquetWriter``, default level and row groups), Parquet read
     (``pq.read_table``, one thread); sha256 of the input files (what a read task checksums).

2. **The plain script**: the whole job done the simplest way in a fresh process (``--plain-child``), over the
   whole corpus, ``--plain-reps`` times (median): isal + orjson, a licence allow-list looked up by the raw
   rights string (and (string, date) for the statements whose decision depends on the date), made once and
   untimed from pdcorpus's ``RightsStage`` decisions on every distinct (statement, date) of the corpus; cld2 on
   the first ``sample_chars`` characters; ``normalize_for_hash`` + xxh3-128 into a set; Parquet zstd (id, text,
   url, license, date, language, language_score, content_hash) in batches of 10,000 rows. Its rows must equal
   the build's.

3. **The build**: ``python -m pdcorpus.cli build CONFIG --workers 1 --profile --fresh`` on the whole corpus with
   the reference config (written to a temp folder, output there), ``--build-reps`` times (the median-wall run's
   profile is kept); the manifest's ``profile`` key gives each phase and each stage's own seconds, records and
   characters.

Each profile row is set beside the limit of the matching part as **expected seconds**: the row's input at the
limit's rate (records for per-record parts, characters for parts whose cost grows with the text, compressed
bytes for Parquet reads), and the ratio = expected / the row's own seconds = pdcorpus's rate / the limit's
rate (1.0: at this machine's limit). The read phase's exchange write is matched with normalization + encoding +
xxh3 + records_to_table + Parquet write, summed. Then the whole: pdcorpus's docs/s (build wall, 1 worker)
against the plain script's.

Before the limits, each plain run and each build it waits (up to ``--wait-max`` 30 s) until other processes use
less than ``--wait-idle`` 30% of the CPUs; the section says how busy the machine was and shows each limit's
CPU/wall (well under 1: the process waited for the CPU).

Writes the "Profile beside the machine's limits" section of ``benchmarks/RESULTS.md`` (the rest of the file is
kept byte for byte) and every number to ``benchmarks/results/limits.json``; ``--no-results`` writes neither
(the raw JSON goes to ``benchmarks/out/scratch-limits.json``). About 3 minutes on an idle 2-core machine.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import datetime as dt
import gzip
import hashlib
import importlib.metadata
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

HERE = Path(__file__).resolve().parent
SECTION_TITLE = "## Profile beside the machine's limits"
REFERENCE_RIGHTS = {"policy": "public-domain", "jurisdictions": ["US"]}
FIELDS = {"id": "doc_id", "text": "text", "license": "rights", "url": "url", "date": "date"}
PACKAGES = ["pdcorpus", "pyarrow", "isal", "orjson", "pycld2", "xxhash", "zstandard"]
PLAIN_BATCH = 10_000


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass
class Timing:
    """Median wall and CPU seconds of ``reps`` timed passes (after one untimed warm-up pass)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(self.cpu)


def timed(fn: Callable[[], Any], reps: int, warmup: bool = True) -> Timing:
    if warmup:
        fn()
    t = Timing()
    for _ in range(reps):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        w1, c1 = time.perf_counter(), time.process_time()
        t.wall.append(w1 - w0)
        t.cpu.append(c1 - c0)
    return t


def rates(t: Timing, docs: int, chars: int | None = None, nbytes: dict[str, int] | None = None) -> dict:
    """A limit's figures: docs/s, characters/s and bytes/s (each named byte count), of the median wall time."""
    s = t.seconds
    out = {"seconds": round(s, 5), "cpu_seconds": round(t.cpu_seconds, 5), "wall_all": [round(x, 5) for x in t.wall],
           "cpu_all": [round(x, 5) for x in t.cpu], "docs": docs, "docs_per_s": docs / s if s > 0 else None}
    if chars is not None:
        out["chars"] = chars
        out["chars_per_s"] = chars / s if s > 0 else None
    for name, n in (nbytes or {}).items():
        out[f"{name}_bytes"] = n
        out[f"{name}_bytes_per_s"] = n / s if s > 0 else None
    return out


# --------------------------------------------------------------------------------------------
# Machine
# --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def busy_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            parts = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return 0, 0
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    total = sum(parts[:8])
    return total - idle, total


def others_busy(seconds: float = 1.0) -> float:
    """Share of the machine's CPU used by other processes over ``seconds`` (this process sleeps meanwhile)."""
    b0, t0 = busy_jiffies()
    time.sleep(seconds)
    b1, t1 = busy_jiffies()
    return (b1 - b0) / (t1 - t0) if t1 > t0 else 0.0


def wait_for_idle(threshold: float, max_wait: float) -> float:
    """Waits (up to ``max_wait`` s) until others use less than ``threshold`` of the CPUs; the seconds waited."""
    if threshold >= 1:
        return 0.0
    t0 = time.perf_counter()
    while others_busy(1.0) >= threshold and time.perf_counter() - t0 < max_wait:
        pass
    return time.perf_counter() - t0


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def machine() -> dict:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        cores = os.cpu_count() or 1
    return {"cpu": cpu_model(), "cores": cores, "kernel": platform.release(), "loadavg_start": os.getloadavg()}


# --------------------------------------------------------------------------------------------
# The licence allow-list, made once from pdcorpus's own decisions
# --------------------------------------------------------------------------------------------


def as_key(value: Any) -> str | None:
    """An input value as pdcorpus's reader makes it a string (``readers._as_str``), usable as a dict key."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        import orjson

        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


def distinct_pairs(files: list[Path]) -> set[tuple[str | None, str | None]]:
    """Every (licence statement, date) of the corpus, as pdcorpus's reader gives them to the rights stage."""
    import orjson
    from isal import igzip

    pairs = set()
    for path in files:
        with igzip.open(path, "rb") as fh:
            for line in fh:
                if line.strip():
                    row = orjson.loads(line)
                    pairs.add((as_key(row.get(FIELDS["license"])), as_key(row.get(FIELDS["date"]))))
    return pairs


def decide_pairs(pairs: Iterable[tuple[str | None, str | None]], today: str) -> dict[tuple, bool]:
    """pdcorpus's RightsStage (reference parameters, as a build started ``today``) on one record per pair: keep
    (allow) or not (deny, review). In this config the decision depends on the statement and the date only."""
    from pdcorpus.record import Record
    from pdcorpus.stages.base import StageContext
    from pdcorpus.stages.rights import RightsStage

    stage = RightsStage(**REFERENCE_RIGHTS)
    stage.bind(StageContext(today=today))
    stage.on_reject = lambda rej: None
    stage.on_divert = lambda queue, rec: None
    ordered = sorted(pairs, key=lambda p: (str(p[0]), str(p[1])))
    records = [Record(id=str(i), source="corpus", text="x", license_raw=st, date=d) for i, (st, d) in enumerate(ordered)]
    kept = {r.id for r in stage(records)}
    return {pair: str(i) in kept for i, pair in enumerate(ordered)}


def allow_list(decisions: dict[tuple, bool]) -> tuple[dict, dict]:
    """(statement -> keep) for statements decided alike at every date, ((statement, date) -> keep) for the rest."""
    by_statement: dict = {}
    for (st, _d), keep in decisions.items():
        by_statement.setdefault(st, set()).add(keep)
    one_way = {st: ks.pop() for st, ks in by_statement.items() if len(ks) == 1}
    by_pair = {pair: keep for pair, keep in decisions.items() if pair[0] not in one_way}
    return one_way, by_pair


def keep_by_list(by_statement: dict, by_pair: dict, statement: Any, date: Any) -> bool:
    keep = by_statement.get(statement if statement is None or isinstance(statement, str) else as_key(statement))
    if keep is None:
        keep = by_pair.get((as_key(statement), as_key(date)), False)
    return keep


# --------------------------------------------------------------------------------------------
# The parts
# --------------------------------------------------------------------------------------------


def cld2_detect(detect: Callable, error: type, sample: str) -> tuple[str, float]:
    """pycld2 on a sample: the first language and its percent (``un`` when cld2 refuses the bytes)."""
    try:
        reliable, _, details = detect(sample)
    except (error, UnicodeEncodeError):
        return "un", 0.0
    return details[0][1], details[0][2] / (100.0 if reliable else 200.0)


def measure_limits(files: list[Path], reps: int, sample_chars: int, today: str, tmp: Path,
                   log: Callable[[str], None]) -> dict:
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pycld2
    import xxhash
    from isal import igzip

    from pdcorpus.io.readers import read_jsonl
    from pdcorpus.record import normalize_for_hash, records_to_table
    from pdcorpus.stages.base import StageContext
    from pdcorpus.stages.rights import RightsStage

    L: dict[str, dict] = {}
    gz_bytes = sum(f.stat().st_size for f in files)
    loads = orjson.loads

    # -- gzip + split + parse ------------------------------------------------------------------
    counted = {"docs": 0, "raw": 0, "chars": 0}
    for path in files:
        with igzip.open(path, "rb") as fh:
            for line in fh:
                counted["docs"] += 1
                counted["raw"] += len(line)
                counted["chars"] += len(loads(line)["text"])
    docs, raw_bytes, chars = counted["docs"], counted["raw"], counted["chars"]
    sizes = {"gzip": gz_bytes, "json": raw_bytes}

    def isal_parse() -> None:
        for path in files:
            with igzip.open(path, "rb") as fh:
                for line in fh:
                    loads(line)

    def zlib_parse() -> None:
        for path in files:
            with gzip.open(path, "rb") as fh:
                for line in fh:
                    loads(line)

    def isal_only() -> None:
        for path in files:
            with igzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass

    def sha256_inputs() -> None:
        for path in files:
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)

    log("gzip + parse")
    L["isal_decompress"] = rates(timed(isal_only, reps), docs, chars, sizes)
    L["isal_parse"] = rates(timed(isal_parse, reps), docs, chars, sizes)
    L["zlib_parse"] = rates(timed(zlib_parse, reps), docs, chars, sizes)
    L["sha256_inputs"] = rates(timed(sha256_inputs, reps), docs, chars, sizes)

    # -- records as pdcorpus's reader makes them ------------------------------------------------------------
    rejects: list = []
    records = list(read_jsonl([str(f) for f in files], source="corpus", fields=FIELDS, on_reject=rejects.append))
    texts = [r.text or "" for r in records]
    text_chars = sum(len(t) for t in texts)

    # -- rights ------------------------------------------------------------------------------------------------
    log("rights")
    stage = RightsStage(**REFERENCE_RIGHTS)
    stage.bind(StageContext(today=today))
    stage.on_reject = lambda rej: None
    stage.on_divert = lambda queue, rec: None
    kept = [0]

    def rights() -> None:
        kept[0] = sum(1 for _ in stage(records))

    L["rights_stage"] = rates(timed(rights, reps), len(records), text_chars)
    L["rights_stage"]["kept"] = kept[0]
    by_statement, by_pair = allow_list(decide_pairs({(r.license_raw, r.date) for r in records}, today))
    statements = [(r.license_raw, r.date) for r in records]

    def lookup() -> None:
        kept[0] = sum(1 for st, d in statements if keep_by_list(by_statement, by_pair, st, d))

    L["rights_allow_list"] = rates(timed(lookup, reps), len(records), text_chars)
    L["rights_allow_list"]["kept"] = kept[0]
    if L["rights_allow_list"]["kept"] != L["rights_stage"]["kept"]:
        raise RuntimeError(f"the allow-list keeps {L['rights_allow_list']['kept']} records, pdcorpus's rights "
                           f"stage {L['rights_stage']['kept']}: the decision depends on more than statement and date")

    # -- cld2 ---------------------------------------------------------------------------------------------------
    detect, error = pycld2.detect, pycld2.error
    for n in sorted({sample_chars, 1000, 2000}):
        log(f"cld2 @{n}")
        samples = [t[:n] for t in texts]

        def cld2(samples: list[str] = samples) -> None:
            for s in samples:
                cld2_detect(detect, error, s)

        L[f"cld2_{n}"] = rates(timed(cld2, reps), len(samples), sum(len(s) for s in samples))

    # -- exact dedup's normalization and hash ---------------------------------------------------------------
    log("normalization + xxh3")
    out: dict[str, list] = {}

    def normalize() -> None:
        out["norm"] = [normalize_for_hash(t) for t in texts]

    L["normalize"] = rates(timed(normalize, reps), len(texts), text_chars)

    def encode() -> None:
        out["enc"] = [t.encode("utf-8", "surrogatepass") for t in out["norm"]]

    L["encode"] = rates(timed(encode, reps), len(texts), text_chars)
    utf8 = sum(len(b) for b in out["enc"])
    hexdigest = xxhash.xxh3_128_hexdigest

    def xxh3() -> None:
        out["hash"] = [hexdigest(b) for b in out["enc"]]

    L["xxh3_128"] = rates(timed(xxh3, reps), len(texts), text_chars, {"utf8": utf8})

    def dedup_set() -> None:
        seen: set = set()
        add = seen.add
        for h in out["hash"]:
            if h not in seen:
                add(h)

    L["dedup_set"] = rates(timed(dedup_set, reps), len(texts), text_chars)
    for rec, h in zip(records, out["hash"]):
        rec.content_hash = h  # records_to_table then builds columns only
    out.clear()

    # -- Arrow and Parquet -------------------------------------------------------------------------------------
    log("Arrow + Parquet")
    batch = 5000
    tables: list = []

    def to_table() -> None:
        tables[:] = [records_to_table(records[i:i + batch]) for i in range(0, len(records), batch)]

    L["records_to_table"] = rates(timed(to_table, reps), len(records), text_chars)
    arrow_bytes = sum(t.nbytes for t in tables)
    path = tmp / "limit.parquet"

    def write() -> None:
        with pq.ParquetWriter(path, tables[0].schema, compression="zstd") as w:
            for t in tables:
                w.write_table(t)

    t_write = timed(write, reps)
    file_bytes = path.stat().st_size
    L["parquet_write"] = rates(t_write, len(records), text_chars, {"arrow": arrow_bytes, "parquet": file_bytes})

    def read() -> None:
        pq.read_table(path, use_threads=False)

    L["parquet_read"] = rates(timed(read, reps), len(records), text_chars, {"arrow": arrow_bytes, "parquet": file_bytes})
    path.unlink()
    meta = {"files": [f.name for f in files], "docs": docs, "records": len(records), "read_rejects": len(rejects),
            "json_bytes": raw_bytes, "gzip_bytes": gz_bytes, "text_chars": chars, "text_utf8_bytes": utf8,
            "sample_chars": sample_chars, "arrow_threads": pa.cpu_count()}
    return {"sample": meta, "parts": L}


# --------------------------------------------------------------------------------------------
# The plain script (a fresh process)
# --------------------------------------------------------------------------------------------


def plain_pipeline(files: list[str], by_statement: dict, by_pair: dict, out_path: str, sample_chars: int) -> dict:
    """The reference job the simplest way, in one process: returns rows and seconds."""
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pycld2
    import xxhash
    from isal import igzip

    from pdcorpus.record import normalize_for_hash

    loads, detect, error, hexdigest = orjson.loads, pycld2.detect, pycld2.error, xxhash.xxh3_128_hexdigest
    schema = pa.schema([(n, pa.string()) for n in ("id", "text", "url", "license", "date", "language")]
                       + [("language_score", pa.float64()), ("content_hash", pa.string())])
    names = schema.names
    cols: dict[str, list] = {n: [] for n in names}
    seen: set = set()
    docs = kept = rows = 0
    c0, w0 = time.process_time(), time.perf_counter()
    with pq.ParquetWriter(out_path, schema, compression="zstd") as writer:

        def flush() -> None:
            writer.write_table(pa.Table.from_pydict(cols, schema=schema))
            for v in cols.values():
                v.clear()

        for path in files:
            with igzip.open(path, "rb") as fh:
                for line in fh:
                    row = loads(line)
                    docs += 1
                    if not keep_by_list(by_statement, by_pair, row.get("rights"), row.get("date")):
                        continue
                    kept += 1
                    text = row["text"]
                    lang, score = cld2_detect(detect, error, text[:sample_chars])
                    h = hexdigest(normalize_for_hash(text).encode("utf-8", "surrogatepass"))
                    if h in seen:
                        continue
                    seen.add(h)
                    for n, v in (("id", row.get("doc_id")), ("text", text), ("url", row.get("url")),
                                 ("license", row.get("rights")), ("date", as_key(row.get("date"))),
                                 ("language", lang), ("language_score", score), ("content_hash", h)):
                        cols[n].append(v)
                    rows += 1
                    if len(cols["id"]) >= PLAIN_BATCH:
                        flush()
        if cols["id"]:
            flush()
    w1, c1 = time.perf_counter(), time.process_time()
    return {"docs": docs, "kept": kept, "rows": rows, "seconds": w1 - w0, "cpu_seconds": c1 - c0,
            "bytes": os.path.getsize(out_path)}


def plain_child(spec_path: str) -> int:
    import pyarrow as pa

    pa.set_cpu_count(1)
    spec = json.loads(Path(spec_path).read_text())
    by_statement = {st: keep for st, keep in spec["by_statement"]}
    by_pair = {(st, d): keep for st, d, keep in spec["by_pair"]}
    result = plain_pipeline(spec["files"], by_statement, by_pair, spec["out"], spec["sample_chars"])
    print(json.dumps(result))
    return 0


# --------------------------------------------------------------------------------------------
# The build
# --------------------------------------------------------------------------------------------


def write_config(path: Path, corpus: Path, out: Path) -> None:
    import yaml

    config = {"name": "reference", "output": str(out),
              "sources": [{"name": "corpus", "read": {"format": "jsonl", "paths": [str(corpus / "part-*.jsonl.gz")]},
                           "fields": dict(FIELDS)}],
              "stages": [{"rights": dict(REFERENCE_RIGHTS)}, {"language": {"backend": "cld2"}},
                         {"dedup": {"method": "exact"}}],
              "shards": {"max_bytes": "256MB", "compression": "zstd"}}
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def run_build(config: Path, out: Path, log_path: Path) -> dict:
    import resource

    cmd = [sys.executable, "-m", "pdcorpus.cli", "build", str(config), "--workers", "1", "--profile", "--fresh"]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    w0 = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - w0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"pdcorpus build failed ({proc.returncode}): {' '.join(cmd)}\n{log_path.read_text()[-3000:]}")
    manifest = json.loads((out / "manifest.json").read_text())
    if "profile" not in manifest:
        raise RuntimeError(f"{out / 'manifest.json'} has no profile key: is this pdcorpus older than build --profile?")
    return {"command": cmd, "wall_seconds": wall,
            "cpu_seconds": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
            "records_in": manifest.get("records_in"), "records_out": manifest.get("records_out"),
            "profile": manifest["profile"], "timings": manifest.get("timings"),
            "pdcorpus_version": manifest.get("pdcorpus_version"), "printed": log_path.read_text()[-6000:]}


# --------------------------------------------------------------------------------------------
# Matching profile rows with limits
# --------------------------------------------------------------------------------------------

# what each limit is called in the tables, and the unit its expected time is computed in
PART_NAMES = {
    "isal_decompress": "ISA-L gzip decompression alone",
    "isal_parse": "gzip (ISA-L) + line split + orjson",
    "zlib_parse": "gzip (zlib) + line split + orjson",
    "sha256_inputs": "sha256 of the input files",
    "rights_stage": "pdcorpus RightsStage alone (sinks do nothing)",
    "rights_allow_list": "allow-list dict lookup by raw statement",
    "cld2_1000": "pycld2.detect on 1,000 chars",
    "cld2_2000": "pycld2.detect on 2,000 chars",
    "normalize": "normalize_for_hash (NFC, lower, white space)",
    "encode": "UTF-8 encoding of the normalized text",
    "xxh3_128": "xxh3-128 hexdigest of the normalized bytes",
    "dedup_set": "a set of the hex hashes (exact dedup's lookups)",
    "records_to_table": "records_to_table (columns only, hashes set)",
    "parquet_write": "Parquet write, zstd",
    "parquet_read": "Parquet read (one thread)",
}


# the same, shorter, in the profile table
SHORT_NAMES = {"isal_parse": "gzip (ISA-L) + split + orjson", "sha256_inputs": "sha256", "rights_stage": "RightsStage alone",
               "cld2_1000": "cld2 @1,000", "cld2_2000": "cld2 @2,000", "normalize": "normalization",
               "encode": "UTF-8", "xxh3_128": "xxh3", "dedup_set": "set of hashes",
               "records_to_table": "records_to_table", "parquet_write": "Parquet write (zstd)",
               "parquet_read": "Parquet read"}


def _label(name: str) -> str:
    """The stage label of a profile row's name (``global/1/language:cld2`` -> ``language:cld2``)."""
    return name.rsplit("/", 1)[-1]


def matching(phase: dict, row: dict, sample_chars: int) -> list[tuple[str, str]]:
    """The limits a profile row is set beside, each with the unit of its expected time: ``records``,
    ``chars`` (of the row's text in), ``chars_out``, or ``bytes`` (compressed bytes read)."""
    name, label = row["name"], _label(row["name"])
    is_read_phase = any(r["kind"] == "stage" and _label(r["name"]) == "read" for r in phase["rows"])
    if row["kind"] == "stage":
        if label == "read":
            return [("isal_parse", "chars_out")]
        if label == "rights":
            return [("rights_stage", "records")]
        if label.startswith("language:cld2"):
            return [(f"cld2_{sample_chars}", "records")]
        if label.startswith("dedup:exact"):
            return [("dedup_set", "records")]
        if label == "write":
            return [("parquet_write", "chars")]
        return []
    if name == "exchange write":
        if is_read_phase:
            return [("normalize", "chars"), ("encode", "chars"), ("xxh3_128", "chars"), ("records_to_table", "chars"),
                    ("parquet_write", "chars")]
        return [("parquet_write", "chars")]
    if name == "exchange read":
        return [("parquet_read", "bytes")]
    if name == "input checksums":
        return [("sha256_inputs", "input_bytes")]
    return []


def expected_seconds(part: dict, unit: str, row: dict, phase: dict) -> float | None:
    """Seconds the part would take, at its measured rate, for the row's input."""
    if unit == "records":
        n, rate = row.get("records_in"), part.get("docs_per_s")
    elif unit == "chars":
        n, rate = row.get("chars_in"), part.get("chars_per_s")
    elif unit == "chars_out":
        n, rate = row.get("chars_out"), part.get("chars_per_s")
    elif unit == "bytes":
        n, rate = row.get("bytes_in"), part.get("parquet_bytes_per_s")
    elif unit == "input_bytes":
        n, rate = phase.get("input_bytes"), part.get("gzip_bytes_per_s")
    else:
        return None
    if not n or not rate:
        return None
    return n / rate


def compare(profile: dict, limits: dict, sample_chars: int) -> list[dict]:
    """A row per profile phase and row: pdcorpus's own seconds and rates, the matching limits' expected
    seconds, and the ratio (expected / own = pdcorpus's rate / the limit's)."""
    parts = limits["parts"]
    out = []
    for phase in profile["phases"]:
        phase_expected = 0.0
        phase_matched = 0.0
        rows = []
        for row in phase["rows"]:
            matches = matching(phase, row, sample_chars)
            exp = [expected_seconds(parts[p], unit, row, phase) for p, unit in matches]
            expected = sum(exp) if matches and all(e is not None for e in exp) else None
            s = row["seconds"]
            if expected is not None:
                phase_expected += expected
                phase_matched += s
            rows.append({"name": row["name"], "kind": row["kind"], "seconds": s, "share": row["share"],
                         "records_in": row.get("records_in"), "records_out": row.get("records_out"),
                         "records_per_s": row.get("records_in") / s if row.get("records_in") and s > 0 else None,
                         "chars_per_s": (row.get("chars_in") or row.get("chars_out") or 0) / s if s > 0 else None,
                         "limits": [p for p, _ in matches], "units": [u for _, u in matches],
                         "expected_seconds": expected, "ratio": expected / s if expected is not None and s > 0 else None})
        out.append({"phase": phase["phase"], "tasks": phase["tasks"], "seconds": phase["task_seconds"],
                    "wall_seconds": phase.get("wall_seconds"), "share": phase["share"],
                    "records_in": phase.get("records_in"), "records_out": phase.get("records_out"),
                    "records_per_s": phase.get("records_per_second"),
                    "expected_seconds": phase_expected, "matched_seconds": phase_matched,
                    "ratio": phase_expected / phase["task_seconds"] if phase["task_seconds"] > 0 else None,
                    "rows": rows})
    return out


# --------------------------------------------------------------------------------------------
# RESULTS.md
# --------------------------------------------------------------------------------------------


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the section; every byte outside it stays as it was."""
    text = path.read_text() if path.exists() else (
        "# pdcorpus benchmark results\n\n"
        "Each section is written by a script under `benchmarks/`; re-running one rewrites only its own section.\n")
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == SECTION_TITLE), None)
    if start is None:
        sep = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        text = text + sep + section
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        body = section if not tail else section.rstrip("\n") + "\n\n"
        text = "".join(lines[:start]) + body + tail
    path.write_text(text)


def _n(x: float | None, nd: int = 0) -> str:
    return "—" if x is None else f"{x:,.{nd}f}"


def _m(x: float | None) -> str:
    return "—" if x is None else f"{x / 1e6:,.1f}"


def _ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def render_section(R: dict) -> str:
    m, lim, b, plain = R["machine"], R["limits"], R["build"], R["plain"]
    parts, sample = lim["parts"], lim["sample"]
    L: list[str] = []
    add = L.append
    add(SECTION_TITLE)
    add("")
    add(f"Issue 16, part 2: `pdcorpus build --profile` of the reference pipeline (read JSONL.gz → rights (public "
        f"domain, US) → language (cld2) → exact dedup → Parquet zstd) with **1 worker** on the benchmark corpus "
        f"({R['corpus_docs']:,} docs), each profile row set beside what the matching part can do on **one core** of "
        f"the same machine, measured in the same run by `benchmarks/bench_limits.py`.")
    add("")
    add(f"- Regenerate: `{R['command']}` (about 3 minutes on an idle machine; raw numbers: "
        f"`benchmarks/results/limits.json`).")
    add(f"- Machine: {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['loadavg_start'])}, at end {', '.join(f'{x:.2f}' for x in m['loadavg_end'])}; "
        f"other processes used {100 * m['others_busy']:.0f}% of the machine's CPU during the run "
        f"({m.get('waited_for_idle_seconds', 0):.0f} s of waiting for an idle machine included)"
        f"{'; figures inflated: rerun on an idle machine' if m['others_busy'] > 0.1 else ''}. {R['date']}.")
    add("- Software: " + ", ".join(f"{k} {v}" for k, v in R["versions"].items()) + f"; pdcorpus from `{R['pdcorpus_path']}`.")
    add("")
    add("### Limits of the parts on one core")
    add("")
    nf = len(sample['files'])
    add(f"Sample: the first {nf} input file{'s' if nf != 1 else ''}, {sample['docs']:,} docs, {sample['gzip_bytes'] / 1e6:.1f} MB "
        f"gzip, {sample['json_bytes'] / 1e6:.1f} MB JSON, {sample['text_chars'] / 1e6:.1f} M characters of text; "
        f"median of {R['reps']} timed pass{'es' if R['reps'] != 1 else ''} after a warm-up, one process, Arrow on {sample['arrow_threads']} thread. "
        f"Mch/s: millions of characters of text per second. "
        f"Rates are of the median wall time; a CPU/wall well under 1 means the process waited for the CPU (others' "
        f"load), and docs per CPU s is then the better measure of the part.")
    add("")
    add("| part | docs/s | Mch/s | MB/s | CPU/wall | docs per CPU s |")
    add("| --- | ---: | ---: | ---: | ---: | ---: |")

    def mbs(key: str) -> str:
        p = parts[key]
        if key in ("isal_decompress", "isal_parse", "zlib_parse", "sha256_inputs"):
            return f"{_m(p['gzip_bytes_per_s'])} gzip, {_m(p['json_bytes_per_s'])} JSON"
        if key == "xxh3_128":
            return f"{p['utf8_bytes_per_s'] / 1e9:,.1f} GB/s of UTF-8"
        if key == "parquet_write":
            return f"{_m(p['parquet_bytes_per_s'])} of Parquet out, {_m(p['arrow_bytes_per_s'])} of Arrow in"
        if key == "parquet_read":
            return f"{_m(p['parquet_bytes_per_s'])} of Parquet in, {_m(p['arrow_bytes_per_s'])} of Arrow out"
        return "—"

    for key, label in PART_NAMES.items():
        if key not in parts:
            continue
        p = parts[key]
        extra = f" (keeps {p['kept']:,})" if "kept" in p else ""
        add(f"| {label}{extra} | {_n(p['docs_per_s'])} | {_n((p.get('chars_per_s') or 0) / 1e6, 1)} | {mbs(key)} | "
            f"{p['cpu_seconds'] / p['seconds']:.2f} | {_n(p['docs'] / p['cpu_seconds'] if p['cpu_seconds'] > 0 else None)} |")
    add("")
    add("### pdcorpus's profile beside them")
    add("")
    prof = b["profile"]
    add(f"`{b['command_shown']}`: {b['records_in']:,} records in, {b['records_out']:,} out; wall "
        f"{b['wall_seconds']:.1f} s for the command ({prof['wall_seconds']:.1f} s in the manifest), "
        f"{b['cpu_seconds']:.1f} s CPU, task seconds {prof['task_seconds']:.1f}.")
    add("")
    add("Each row: its own seconds and share of the build's task seconds (as `--profile` prints them), records in "
        "per second and characters (in, or out for a reader) per second of its own time; the matching limit's "
        "**expected seconds** for the same input (records for per-record parts, characters for parts whose cost "
        "grows with the text, compressed bytes for Parquet reads); **ratio** = expected / own seconds = pdcorpus's "
        "rate / the limit (1.00: at the limit). A phase's ratio is the sum of its rows' expected seconds over its "
        "task seconds (rows without a limit count as 0 expected).")
    add("")
    add("| phase / stage | seconds | share | records in → out | rec/s | Mch/s | limit | expected s | ratio |")
    add("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for ph in R["comparison"]:
        add(f"| **{ph['phase']}** ({ph['tasks']} task{'s' if ph['tasks'] != 1 else ''}) | {ph['seconds']:.2f} | "
            f"{ph['share']:.1f}% | {_n(ph['records_in'])} → {_n(ph['records_out'])} | {_n(ph['records_per_s'])} "
            f"(wall) | | | {ph['expected_seconds']:.2f} | {_ratio(ph['ratio'])} |")
        for r in ph["rows"]:
            lims = " + ".join(SHORT_NAMES.get(p, p) for p in r["limits"]) or "—"
            add(f"| &nbsp;&nbsp;{r['name']} | {r['seconds']:.2f} | {r['share']:.1f}% | {_n(r['records_in'])} → "
                f"{_n(r['records_out'])} | {_n(r['records_per_s'])} | {_n((r['chars_per_s'] or 0) / 1e6, 1) if r['chars_per_s'] else '—'} | "
                f"{lims} | {_n(r['expected_seconds'], 2) if r['expected_seconds'] is not None else '—'} | {_ratio(r['ratio'])} |")
    add("")
    w = R["whole"]
    add("### The whole job")
    add("")
    add("| | docs/s per core | wall s | CPU s | rows |")
    add("| --- | ---: | ---: | ---: | ---: |")
    add(f"| pdcorpus build, 1 worker (command wall) | {_n(w['pdcorpus_docs_per_s'])} | {b['wall_seconds']:.1f} | "
        f"{b['cpu_seconds']:.1f} | {b['records_out']:,} |")
    add(f"| pdcorpus build, 1 worker (manifest wall) | {_n(w['pdcorpus_docs_per_s_manifest'])} | "
        f"{prof['wall_seconds']:.1f} | | |")
    add(f"| plain script, one process (median of {len(plain['runs'])}) | {_n(w['plain_docs_per_s'])} | "
        f"{w['plain_seconds']:.1f} | {w['plain_cpu_seconds']:.1f} | {plain['runs'][0]['rows']:,} |")
    add(f"| sum of the limits' expected seconds over the build's rows | {_n(w['limits_docs_per_s'])} | "
        f"{w['limits_seconds']:.1f} | | |")
    add("")
    add(f"pdcorpus / plain script: **{w['ratio_to_plain']:.2f}** of this machine's limit for the whole job "
        f"(docs/s of the command's wall against the plain script's docs/s over its pipeline, imports excluded; "
        f"{w['ratio_to_plain_manifest']:.2f} with the manifest's wall). The plain script: {plain['what']}"
        f"{' Its rows equal the build' + chr(39) + 's.' if plain['runs'][0]['rows'] == b['records_out'] else ' **Its rows differ from the build' + chr(39) + 's** (see the raw JSON).'}")
    add("")
    add("Notes: the profile's own clock reads (two per record per stage boundary) are in the build's time; the rights "
        "row of a build also writes the records it sets aside (rejects, the review queue, which makes their Arrow "
        "columns and content hashes), which its limit (sinks that do nothing) does not; the read row makes pdcorpus "
        "records (ids, field mapping, metadata JSON), its limit only parses; the write phase's own work also "
        "computes each shard's sha256 (a second read of the file).")
    add("")
    return "\n".join(L)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=str(HERE / "data" / "corpus"), help="folder of part-*.jsonl.gz")
    ap.add_argument("--files", type=int, default=2, help="input files in the limits' sample (12,500 docs each)")
    ap.add_argument("--reps", type=int, default=3, help="timed passes per limit (median)")
    ap.add_argument("--plain-reps", type=int, default=3, help="runs of the plain script (median)")
    ap.add_argument("--build-reps", type=int, default=1, help="profiled builds (the median-wall one is reported)")
    ap.add_argument("--wait-idle", type=float, default=0.3,
                    help="before the limits, each plain run and each build, wait until other processes use less "
                         "than this share of the CPUs (1: never wait)")
    ap.add_argument("--wait-max", type=float, default=30.0, help="seconds to wait for that at most, each time")
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--json", default=str(HERE / "results" / "limits.json"))
    ap.add_argument("--no-results", action="store_true", help="touch neither RESULTS.md nor results/limits.json")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (config, build output, logs)")
    ap.add_argument("--plain-child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.plain_child:
        return plain_child(args.plain_child)

    import pyarrow as pa

    pa.set_cpu_count(1)
    from pdcorpus.stages.language import LanguageParams

    corpus = Path(args.corpus).resolve()
    files = sorted(corpus.glob("part-*.jsonl.gz"))
    if not files:
        ap.error(f"{corpus}: no part-*.jsonl.gz (make it with benchmarks/generate_corpus.py --docs 100000 --out ...)")
    sample_chars = LanguageParams().sample_chars
    today = dt.date.today().isoformat()
    mach = machine()
    import resource

    b0 = busy_jiffies()
    cpu0 = time.process_time()
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    kids0 = kids.ru_utime + kids.ru_stime
    t_start = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="bench-limits-"))

    def log(msg: str) -> None:
        print(f"[bench_limits {time.perf_counter() - t_start:6.1f}s] {msg}", flush=True)

    waited = [0.0]

    def settle() -> None:
        waited[0] += wait_for_idle(args.wait_idle, args.wait_max)

    try:
        settle()
        log(f"limits on {args.files} of {len(files)} files, {args.reps} passes each")
        limits = measure_limits(files[: args.files], args.reps, sample_chars, today, tmp, log)

        log("the allow-list from pdcorpus's decisions on every (statement, date) of the corpus (untimed)")
        pairs = distinct_pairs(files)
        by_statement, by_pair = allow_list(decide_pairs(pairs, today))
        spec = tmp / "plain.json"
        spec.write_text(json.dumps({"files": [str(f) for f in files], "sample_chars": sample_chars,
                                    "out": str(tmp / "plain.parquet"),
                                    "by_statement": [[st, k] for st, k in by_statement.items()],
                                    "by_pair": [[st, d, k] for (st, d), k in by_pair.items()]}))
        config = tmp / "reference.yaml"
        out = tmp / "out"
        write_config(config, corpus, out)
        plain_runs, builds = [], []
        for i in range(max(args.plain_reps, args.build_reps)):
            if i < args.plain_reps:
                settle()
                log(f"plain script {i + 1}/{args.plain_reps}")
                w0 = time.perf_counter()
                proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--plain-child", str(spec)],
                                      capture_output=True, text=True, check=False)
                if proc.returncode != 0:
                    raise RuntimeError(f"the plain script failed:\n{proc.stderr[-3000:]}")
                run = json.loads(proc.stdout.strip().splitlines()[-1])
                run["process_wall_seconds"] = time.perf_counter() - w0
                plain_runs.append(run)
                log(f"  {run['docs']:,} docs in {run['seconds']:.1f} s = {run['docs'] / run['seconds']:,.0f} docs/s, "
                    f"{run['rows']:,} rows")
            if i < args.build_reps:
                settle()
                log(f"pdcorpus build --workers 1 --profile {i + 1}/{args.build_reps}")
                build = run_build(config, out, tmp / f"build-{i}.log")
                builds.append(build)
                log(f"  {build['records_in']:,} docs in {build['wall_seconds']:.1f} s = "
                    f"{build['records_in'] / build['wall_seconds']:,.0f} docs/s, {build['records_out']:,} rows")
        b1 = busy_jiffies()
        mach["loadavg_end"] = os.getloadavg()
        busy, total = b1[0] - b0[0], b1[1] - b0[1]
        import resource

        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        ours = time.process_time() - cpu0 + (kids.ru_utime + kids.ru_stime) - kids0
        hz = os.sysconf("SC_CLK_TCK")
        mach["others_busy"] = max(0.0, (busy - ours * hz) / total) if total else 0.0
        mach["waited_for_idle_seconds"] = round(waited[0], 1)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")

    build = sorted(builds, key=lambda b: b["wall_seconds"])[len(builds) // 2]
    shown = ["pdcorpus", "build", "CONFIG", "--workers", "1", "--profile", "--fresh"]
    build["command_shown"] = " ".join(shown)
    plain_runs.sort(key=lambda r: r["seconds"])
    p_med = plain_runs[len(plain_runs) // 2]
    comparison = compare(build["profile"], limits, sample_chars)
    limits_seconds = sum(ph["expected_seconds"] for ph in comparison)
    docs = build["records_in"]
    whole = {
        "pdcorpus_docs_per_s": docs / build["wall_seconds"],
        "pdcorpus_docs_per_s_manifest": docs / build["profile"]["wall_seconds"],
        "plain_docs_per_s": p_med["docs"] / p_med["seconds"], "plain_seconds": p_med["seconds"],
        "plain_cpu_seconds": p_med["cpu_seconds"],
        "limits_seconds": limits_seconds, "limits_docs_per_s": docs / limits_seconds if limits_seconds else None,
    }
    whole["ratio_to_plain"] = whole["pdcorpus_docs_per_s"] / whole["plain_docs_per_s"]
    whole["ratio_to_plain_manifest"] = whole["pdcorpus_docs_per_s_manifest"] / whole["plain_docs_per_s"]
    import pdcorpus

    cmd = "python benchmarks/bench_limits.py" + "".join(
        f" {a}" for a in (sys.argv[1:] if argv is None else argv) if a not in ("--no-results", "--keep"))
    R = {"command": cmd, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": mach,
         "versions": versions(), "pdcorpus_path": str(Path(pdcorpus.__file__).parent), "corpus": str(corpus),
         "corpus_docs": docs, "reps": args.reps, "limits": limits,
         "plain": {"what": f"isal + orjson, licence allow-list ({len(by_statement)} statements, {len(by_pair)} "
                           f"(statement, date) pairs, from pdcorpus's decisions on {len(pairs):,} distinct pairs), "
                           f"cld2 on {sample_chars:,} chars, normalize_for_hash + xxh3-128 in a set, Parquet zstd "
                           f"(8 columns) in batches of {PLAIN_BATCH:,} rows.",
                   "runs": plain_runs},
         "build": build, "builds": [{k: v for k, v in b.items() if k not in ("profile", "printed")} for b in builds],
         "comparison": comparison, "whole": whole, "elapsed_seconds": round(time.perf_counter() - t_start, 1)}
    section = render_section(R)
    print("\n" + section)
    if args.no_results:
        scratch = HERE / "out" / "scratch-limits.json"
        scratch.parent.mkdir(parents=True, exist_ok=True)
        scratch.write_text(json.dumps(R, indent=1, default=str))
        print(f"[bench_limits] --no-results: RESULTS.md untouched, raw numbers in {scratch}")
    else:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(R, indent=1, default=str))
        write_section(Path(args.results), section)
        print(f"[bench_limits] wrote the section to {args.results} and the numbers to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
