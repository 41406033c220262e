#!/usr/bin/env python3
"""Run the same pipeline in pdcorpus and in datatrove, side by side, and report throughput and memory.

Pipelines (``--pipeline``):

* ``reference`` (default; issue 16): read JSONL.gz -> rights (public domain, US) -> language (cld2,
  annotates only) -> exact dedup -> Parquet (zstd). datatrove gets pdcorpus's licence decisions,
  precomputed (untimed) by pdcorpus's own rights stage (``rights_decisions``), and calls pycld2 as
  pdcorpus's cld2 backend does (``peers/datatrove_pipeline.py``).
* ``length``: read JSONL.gz -> drop docs shorter than 50 chars -> exact dedup -> Parquet (zstd).

    python benchmarks/run_peers.py --pipeline reference --corpus benchmarks/data/corpus,benchmarks/data/corpus-1m --reps 3,1

* pdcorpus runs through its CLI: ``pdcorpus build CONFIG --output OUT --workers N --fresh`` (never
  ``--profile``) with a config written here; its row count is read from ``OUT/manifest.json``.
* datatrove runs ``benchmarks/peers/datatrove_pipeline.py`` with the python of its own venv
  (``benchmarks/.venv-datatrove``), so it cannot disturb pdcorpus's dependencies: ``datatrove``
  as its users run it by default (Parquet content-defined chunking on), ``datatrove-nocdc`` with it off.

For each corpus (``--corpus a,b``; ``--reps`` one number or one per corpus), each (tool, workers)
configuration runs ``--reps`` times, alternating the order of the tools from one repetition to the
next, after ``--warmup`` untimed runs per tool. Reported per configuration: median wall time, docs/s
and docs/s per core (docs in / wall / workers), CPU seconds, the median over runs of the peak memory
of the whole process tree (sum of RSS and sum of PSS of every process in the tree, sampled from
/proc), the largest single process (the largest VmHWM of any process in the tree, from /proc), rows
against the expected rows; then pdcorpus / datatrove ratios per worker count and each tool's
2-worker / 1-worker scaling.

Writes its section of benchmarks/RESULTS.md (for ``reference`` one subsection per corpus size; other
sections and subsections are kept), the raw numbers beside it in benchmarks/results/
(``peers-reference-<label>.json``; ``peers.json`` for the length pipeline at 100k), and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import glob
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN_CHARS = 50
# the reference pipeline's stage parameters: pdcorpus's config and the precomputed decisions use the same ones
REFERENCE_RIGHTS = {"policy": "public-domain", "jurisdictions": ["US"]}
REFERENCE_LANGUAGE = {"backend": "cld2"}

PIPELINES = {
    "length": {
        "title": "## Pipeline: read → length filter → exact dedup → Parquet",
        "what": "read JSONL.gz → drop docs shorter than 50 chars → exact dedup → Parquet (zstd)",
        "pdcorpus_stages": [{"length": {"min_chars": MIN_CHARS}}, {"dedup": {"method": "exact"}}],
        "tools": "pdcorpus,datatrove,datatrove-raw",
    },
    "reference": {
        "title": "## Reference pipeline: read → rights → language (cld2) → exact dedup → Parquet",
        "what": "read JSONL.gz → rights (public domain, US) → language (cld2, annotates only) → exact dedup → "
                "Parquet (zstd)",
        "pdcorpus_stages": [{"rights": REFERENCE_RIGHTS}, {"language": REFERENCE_LANGUAGE},
                            {"dedup": {"method": "exact"}}],
        "tools": "pdcorpus,datatrove,datatrove-nocdc",
    },
}
SECTION_TITLE = PIPELINES["length"]["title"]


# --------------------------------------------------------------------------------------------
# Process-tree memory sampling (/proc, no dependencies)
# --------------------------------------------------------------------------------------------


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                data = f.read()
        except OSError:
            continue
        # the command name may contain spaces and parentheses: split after the last ')'
        rest = data[data.rfind(b")") + 2 :].split()
        try:
            ppid = int(rest[1])
        except (IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry))
    return kids


_HAS_CHILDREN_FILES = os.path.exists(f"/proc/{os.getpid()}/task/{os.getpid()}/children")


def _children_of(pid: int) -> list[int]:
    """Children of every thread of pid, from /proc/<pid>/task/<tid>/children (cheap, no full /proc scan)."""
    out = []
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out.extend(int(x) for x in f.read().split())
        except (OSError, ValueError):
            pass
    return out


def process_tree(root: int) -> list[int]:
    """root and all its descendants."""
    if _HAS_CHILDREN_FILES:
        out, stack = [], [root]
        while stack:
            pid = stack.pop()
            out.append(pid)
            stack.extend(_children_of(pid))
        return out
    kids = _children_map()
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(kids.get(pid, ()))
    return out


def _cpu_totals() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)  # idle + iowait
    total = sum(vals[:8])  # guest time is already inside user/nice
    return total - idle, total


def machine_busy(window: float = 2.0) -> float:
    """Share of all CPUs busy (0..1) over the next `window` seconds."""
    b0, t0 = _cpu_totals()
    time.sleep(window)
    b1, t1 = _cpu_totals()
    return (b1 - b0) / max(1, t1 - t0)


def wait_until_idle(threshold: float, max_wait: float) -> tuple[float, float]:
    """Wait (up to max_wait s) until the machine is less than `threshold` busy. Returns (busy, waited)."""
    busy = machine_busy()
    start = time.perf_counter()
    while busy > threshold and time.perf_counter() - start < max_wait:
        busy = machine_busy(5.0)
    return busy, time.perf_counter() - start


def _cpu_ticks(pid: int) -> int | None:
    """utime + stime of one process, in clock ticks."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
        rest = data[data.rfind(b")") + 2 :].split()
        return int(rest[11]) + int(rest[12])
    except (OSError, IndexError, ValueError):
        return None


def _read_kb(path: str, key: str) -> int:
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _read_status_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of one process in KiB, from one read of /proc/<pid>/status."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return rss, hwm


def _cmdline(pid: int, limit: int = 120) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()[:limit]
    except OSError:
        return ""


class TreeSampler(threading.Thread):
    """Polls the process tree under ``root`` and keeps the peak of the summed RSS and PSS."""

    def __init__(self, root: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs = 0
        # the largest single process: its RSS at a sample, and the kernel's own peak (VmHWM) of each process
        # while it lived (exact, not limited by the sampling interval); datatrove's pool workers are children
        # of its forkserver, which /usr/bin/time's wait4 figure never sees
        self.peak_one_rss_kb = 0
        self.peak_one_hwm_kb = 0
        self.peak_one_cmd = ""
        self.samples = 0
        self.cpu_ticks: dict[int, int] = {}  # last seen utime+stime per pid
        self._halt = threading.Event()

    def run(self) -> None:
        has_rollup = os.path.exists(f"/proc/{os.getpid()}/smaps_rollup")
        while not self._halt.is_set():
            pids = process_tree(self.root)
            for p in pids:
                t = _cpu_ticks(p)
                if t is not None:
                    self.cpu_ticks[p] = max(t, self.cpu_ticks.get(p, 0))
            rss = 0
            for p in pids:
                vm, hwm = _read_status_kb(p)
                rss += vm
                self.peak_one_rss_kb = max(self.peak_one_rss_kb, vm)
                if hwm > self.peak_one_hwm_kb:
                    self.peak_one_hwm_kb = hwm
                    self.peak_one_cmd = _cmdline(p)
            pss = sum(_read_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids) if has_rollup else 0
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self.peak_pss_kb = max(self.peak_pss_kb, pss)
            self.peak_procs = max(self.peak_procs, len(pids))
            self.samples += 1
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def run_measured(cmd: list[str], log_prefix: Path, interval: float, env: dict | None = None) -> dict:
    """Run cmd, return wall time, exit code, peak tree memory and the max single-process RSS."""
    time_bin = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
    time_file = Path(str(log_prefix) + ".time")
    full = [time_bin, "-v", "-o", str(time_file)] + cmd if time_bin else cmd
    stdout_path = Path(str(log_prefix) + ".stdout")
    stderr_path = Path(str(log_prefix) + ".stderr")
    with open(stdout_path, "wb") as so, open(stderr_path, "wb") as se:
        busy0, _ = _cpu_totals()
        self0 = time.process_time()  # this process, sampler thread included
        t0 = time.perf_counter()
        # own session/process group, so that an interrupted benchmark can stop the whole tree it started
        proc = subprocess.Popen(
            full, stdout=so, stderr=se, stdin=subprocess.DEVNULL, env=env, start_new_session=True
        )
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except BaseException:
            sampler.stop()
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                time.sleep(1.0)
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            raise
        wall = time.perf_counter() - t0
        busy1, _ = _cpu_totals()
        sampler.stop()
        sampler_cpu = time.process_time() - self0
        proc.returncode = os.waitstatus_to_exitcode(status)
    max_rss_kb = None
    if time_bin and time_file.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_file.read_text(errors="replace"))
        if m:
            max_rss_kb = int(m.group(1))
    if max_rss_kb is None:
        max_rss_kb = ru.ru_maxrss  # same source as /usr/bin/time: wait4 rusage (KiB on Linux)
    # CPU: per-process utime+stime last seen by the sampler, plus what wait4 reports for the root
    # (covers the root and every descendant it waited for, e.g. short-lived helpers the sampler missed)
    clk = os.sysconf("SC_CLK_TCK")
    sampled_cpu = sum(t for p, t in sampler.cpu_ticks.items() if p != proc.pid) / clk
    cpu_s = max(sampled_cpu, ru.ru_utime + ru.ru_stime)
    # CPU used by everything else on the machine during the run, as a share of all cores
    ncpu = os.cpu_count() or 1
    machine_cpu_s = (busy1 - busy0) / clk
    others_share = max(0.0, machine_cpu_s - cpu_s - sampler_cpu) / max(1e-9, wall * ncpu)
    return {
        "rc": proc.returncode,
        "wall_s": wall,
        "peak_tree_rss_mib": sampler.peak_rss_kb / 1024,
        "peak_tree_pss_mib": sampler.peak_pss_kb / 1024,
        "peak_procs": sampler.peak_procs,
        "samples": sampler.samples,
        "max_single_rss_mib": max_rss_kb / 1024,  # /usr/bin/time (wait4): misses datatrove's pool workers
        "largest_proc_hwm_mib": sampler.peak_one_hwm_kb / 1024,  # VmHWM of the biggest process in the tree
        "largest_proc_rss_mib": sampler.peak_one_rss_kb / 1024,  # its VmRSS at a sample
        "largest_proc_cmd": sampler.peak_one_cmd,
        "cpu_s": cpu_s,
        "others_busy_during": others_share,
        "sampler_cpu_s": sampler_cpu,
        "cpu_s_tree_sampled": sampled_cpu,
        "cpu_s_wait4": ru.ru_utime + ru.ru_stime,
        "stdout": str(stdout_path),
        "stderr": str(stderr_path),
    }


def _show_path(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def _tail(path: str, n: int = 25) -> str:
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


# --------------------------------------------------------------------------------------------
# Tools
# --------------------------------------------------------------------------------------------


def _language_counts(files: list[str], column: str) -> dict[str, int] | None:
    """How many output rows have each language: `language` (pdcorpus) or `metadata.language` (datatrove)."""
    import collections

    import pyarrow.parquet as pq

    counts: collections.Counter = collections.Counter()
    try:
        for f in files:
            if column == "language":
                counts.update(pq.read_table(f, columns=["language"]).column("language").to_pylist())
            else:
                col = pq.read_table(f, columns=["metadata"]).column("metadata")
                counts.update((v or {}).get("language") for v in col.to_pylist())
    except Exception:  # noqa: BLE001 - a check beside the measure, not the measure
        return None
    return {str(k): v for k, v in counts.most_common()}


class PdcorpusTool:
    name = "pdcorpus"

    def __init__(self, cmd: list[str] | None, corpus: Path, work: Path, pipeline: str = "length"):
        self.cmd = cmd
        self.corpus = corpus
        self.work = work
        self.pipeline = pipeline
        self.config = work / f"pdcorpus-{pipeline}.yaml"

    @staticmethod
    def find_cmd() -> tuple[list[str] | None, str]:
        exe = shutil.which("pdcorpus")
        if exe:
            return [exe], exe
        try:
            import importlib.util

            if importlib.util.find_spec("pdcorpus.cli") is not None:
                return [sys.executable, "-c", "import sys; from pdcorpus.cli import main; sys.exit(main())"], (
                    f"{sys.executable} (pdcorpus.cli:main)"
                )
        except (ImportError, ValueError):
            pass
        return None, "pdcorpus CLI not found (install with: pip install -e /work/main)"

    def stages(self) -> list[dict]:
        return PIPELINES[self.pipeline]["pdcorpus_stages"]

    def write_config(self, out: Path) -> None:
        cfg = {
            "name": "bench",
            "output": str(out),
            "sources": [
                {
                    "name": "corpus" if self.pipeline == "reference" else "bench",
                    "read": {"format": "jsonl", "paths": [str(self.corpus / "*.jsonl.gz")]},
                    "fields": {"id": "doc_id", "text": "text", "license": "rights", "url": "url", "date": "date"},
                }
            ],
            "stages": self.stages(),
            "shards": {"max_bytes": "256MB", "compression": "zstd"},
        }
        try:
            import yaml

            text = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
        except ImportError:  # JSON is valid YAML
            text = json.dumps(cfg, indent=2)
        self.config.write_text(text)

    def command(self, workers: int, out: Path) -> list[str]:
        # no --profile: the timed runs are plain builds (a profile, when the manifest has one, is recorded)
        self.write_config(out)
        return self.cmd + ["build", str(self.config), "--output", str(out), "--workers", str(workers), "--fresh"]

    def verify(self, out: Path, run: dict) -> dict:
        info: dict = {}
        man = out / "manifest.json"
        shard_files: list[str] = []
        if man.exists():
            m = json.loads(man.read_text())
            info["rows_out"] = m.get("records_out")
            shards = m.get("shards") or []
            info["manifest_shard_rows"] = sum(int(s.get("rows", 0)) for s in shards)
            info["shards"] = len(shards)
            for s in shards:
                name = s.get("path") or s.get("file") or s.get("name")
                if name:
                    shard_files.append(str(out / name))
            for key in ("records_in", "records_read"):
                if key in m:
                    info["docs_read"] = m[key]
            phases = (m.get("timings") or {}).get("phases") or {}
            if phases:
                info["report"] = {
                    "timings_s": {k: v.get("wall_seconds") for k, v in phases.items() if isinstance(v, dict)}
                }
            if "profile" in m:  # `pdcorpus build --profile` (not passed here) or a build that always records one
                info["profile"] = m["profile"]
        else:
            info["error"] = "no manifest.json"
        try:
            # the shards only: OUT/review/ (records the rights stage sent to review) is not corpus output
            files = [f for f in shard_files if os.path.exists(f)] or [
                f for f in sorted(glob.glob(str(out / "**" / "*.parquet"), recursive=True))
                if "/review/" not in f and "/rejects/" not in f
            ]
            import pyarrow.parquet as pq

            info.update(parquet_rows=sum(pq.read_metadata(f).num_rows for f in files), parquet_files=len(files),
                        parquet_bytes=sum(os.path.getsize(f) for f in files))
            if info.get("rows_out") is None:
                info["rows_out"] = info["parquet_rows"]
            if self.pipeline == "reference":
                info["languages"] = _language_counts(files, "language")
        except Exception as e:  # noqa: BLE001 - report, don't crash the benchmark
            info["parquet_error"] = repr(e)
        return info


class DatatroveTool:
    def __init__(self, python: Path, corpus: Path, content: str, no_cdc: bool, name: str = "datatrove",
                 pipeline: str = "length", decisions: Path | None = None, sample_chars: int = 2000,
                 intermediate: str = "gzip"):
        self.name = name
        self.python = python
        self.corpus = corpus
        self.content = content
        self.no_cdc = no_cdc
        self.pipeline = pipeline
        self.decisions = decisions
        self.sample_chars = sample_chars
        self.intermediate = intermediate
        self.script = HERE / "peers" / "datatrove_pipeline.py"

    def command(self, workers: int, out: Path) -> list[str]:
        cmd = [
            str(self.python),
            str(self.script),
            "--pipeline",
            self.pipeline,
            "--input",
            str(self.corpus),
            "--output",
            str(out),
            "--workers",
            str(workers),
            "--content",
            self.content,
        ]
        if self.pipeline == "reference":
            cmd += ["--rights-decisions", str(self.decisions), "--sample-chars", str(self.sample_chars),
                    "--intermediate-compression", self.intermediate]
        if self.no_cdc:
            cmd.append("--no-cdc")
        return cmd

    def verify(self, out: Path, run: dict) -> dict:
        info: dict = {}
        for line in reversed(Path(run["stdout"]).read_text(errors="replace").splitlines()):
            if line.startswith("{"):
                try:
                    info["report"] = json.loads(line)
                    break
                except ValueError:
                    pass
        rep = info.get("report", {})
        info["rows_out"] = rep.get("rows_out")
        info["docs_read"] = rep.get("docs_read")
        info["parquet_files"] = rep.get("parquet_files")
        info["parquet_bytes"] = rep.get("parquet_bytes")
        if self.pipeline == "reference":
            info["docs_after_rights"] = rep.get("docs_after_rights")
            files = sorted(glob.glob(str(out / "**" / "*.parquet"), recursive=True))
            info["languages"] = _language_counts(files, "metadata")
        return info


# --------------------------------------------------------------------------------------------
# The reference pipeline's licence decisions, made once by pdcorpus's rights stage (untimed)
# --------------------------------------------------------------------------------------------


def rights_decisions(corpus: Path, rights: dict | None = None, today: str | None = None) -> dict:
    """pdcorpus's rights stage (``pdcorpus.stages.rights``, the reference config's parameters) over every record
    of ``corpus`` as pdcorpus's JSONL reader makes them, turned into a table datatrove applies cheaply.

    The decision is a function of the record's licence statement and its date (``published: date``: "No known
    copyright restrictions" is allowed only for old enough works), nothing else in this config (no collection
    licence, no death years). So the table is ``by_statement`` (statement -> keep) for the statements every
    record of which was decided alike, and ``by_statement_and_date`` ((statement, date) -> keep) for the
    others: a few hundred entries, where the set of kept doc_ids would be 64% of the corpus in every datatrove
    worker's memory. Both review and deny are out of the corpus (pdcorpus sends review to OUT/review/).
    Also counted: the rows a correct exact dedup keeps after it (distinct normalised and raw texts).
    """
    import datetime as dt
    import hashlib

    import xxhash

    from pdcorpus.io.readers import read_jsonl
    from pdcorpus.record import normalize_for_hash
    from pdcorpus.stages.base import StageContext
    from pdcorpus.stages.rights import RightsStage

    rights = dict(REFERENCE_RIGHTS if rights is None else rights)
    today = today or dt.date.today().isoformat()  # what a build started now takes (pdcorpus.plan: date.today())
    stage = RightsStage(**rights)
    stage.bind(StageContext(today=today))
    out_of_corpus: dict[str, str] = {}
    stage.on_divert = lambda queue, rec: out_of_corpus.__setitem__(rec.id, queue)
    stage.on_reject = lambda rej: out_of_corpus.__setitem__(rej.id, "deny")
    read_rejects: list = []
    t0 = time.perf_counter()
    fields = {"id": "doc_id", "text": "text", "license": "rights", "url": "url", "date": "date"}
    records = read_jsonl(str(corpus / "*.jsonl.gz"), source="corpus", fields=fields, on_reject=read_rejects.append)
    pair: dict[tuple, bool] = {}
    seen_ids: dict[str, tuple] = {}
    norm_hashes: set[bytes] = set()
    raw_hashes: set[bytes] = set()
    counts = {"read": 0, "allow": 0, "review": 0, "deny": 0}

    def tapped():
        for rec in records:
            counts["read"] += 1
            seen_ids[rec.id] = (rec.license_raw, rec.date)
            yield rec

    for rec in stage(tapped()):
        key = seen_ids.pop(rec.id)
        if pair.setdefault(key, True) is not True:
            raise RuntimeError(f"rights decisions: {key} decided both ways: the decision depends on more than "
                               "the statement and the date; use a table of doc ids instead")
        counts["allow"] += 1
        norm_hashes.add(xxhash.xxh3_128_digest(normalize_for_hash(rec.text or "").encode("utf-8")))
        raw_hashes.add(xxhash.xxh3_128_digest((rec.text or "").encode("utf-8")))
        # the records decided before this one and not yielded are out of the corpus
        for rid, k in list(seen_ids.items()):
            if rid in out_of_corpus:
                if pair.setdefault(k, False) is not False:
                    raise RuntimeError(f"rights decisions: {k} decided both ways")
                counts[out_of_corpus.pop(rid)] += 1
                del seen_ids[rid]
    for rid, k in seen_ids.items():
        if pair.setdefault(k, False) is not False:
            raise RuntimeError(f"rights decisions: {k} decided both ways")
        counts[out_of_corpus.get(rid, "deny")] += 1
    by_statement: dict = {}
    for (statement, _date), keep in pair.items():
        by_statement.setdefault(statement, set()).add(keep)
    one_way = {st: ks.pop() for st, ks in by_statement.items() if len(ks) == 1}
    files = sorted(corpus.glob("*.jsonl.gz"))
    return {
        "corpus": str(corpus),
        "files": [[f.name, f.stat().st_size, int(f.stat().st_mtime)] for f in files],
        "rights": rights,
        "as_of": today,
        "pdcorpus": str(Path(sys.modules["pdcorpus"].__file__).parent),
        "seconds": round(time.perf_counter() - t0, 1),
        "counts": {**counts, "read_rejects": len(read_rejects)},
        "expected_rows": {"nfc_lower_ws": len(norm_hashes), "raw": len(raw_hashes)},
        "by_statement": sorted([[st, keep] for st, keep in one_way.items()], key=lambda x: str(x[0])),
        "by_statement_and_date": sorted(
            [[st, d, keep] for (st, d), keep in pair.items() if st not in one_way], key=lambda x: (str(x[0]), str(x[1]))
        ),
        "key": hashlib.sha256(json.dumps([str(corpus), [[f.name, f.stat().st_size, int(f.stat().st_mtime)] for f in files],
                                          rights, today]).encode()).hexdigest()[:16],
    }


def cached_rights_decisions(corpus: Path, path: Path) -> dict:
    """rights_decisions, reused from ``path`` when it was made for the same files, parameters and day."""
    import datetime as dt
    import hashlib

    files = sorted(corpus.glob("*.jsonl.gz"))
    key = hashlib.sha256(json.dumps([str(corpus), [[f.name, f.stat().st_size, int(f.stat().st_mtime)] for f in files],
                                     dict(REFERENCE_RIGHTS), dt.date.today().isoformat()]).encode()).hexdigest()[:16]
    if path.exists():
        try:
            old = json.loads(path.read_text())
            if old.get("key") == key:
                return old
        except ValueError:
            pass
    d = rights_decisions(corpus)
    path.write_text(json.dumps(d, ensure_ascii=False))
    return d


# --------------------------------------------------------------------------------------------
# Machine details
# --------------------------------------------------------------------------------------------


def machine_info(dt_python: Path, pdcorpus_where: str) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = _read_kb("/proc/meminfo", "MemTotal:")
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()

    def ver(pkg: str) -> str:
        try:
            from importlib.metadata import version

            return version(pkg)
        except Exception:  # noqa: BLE001
            return "not installed"

    dt_versions = {}
    if dt_python.exists():
        code = (
            "import sys, json\nfrom importlib.metadata import version\nd={'python': sys.version.split()[0]}\n"
            "for p in ('datatrove','pyarrow','xxhash','orjson','multiprocess','pycld2','isal'):\n"
            "    try: d[p]=version(p)\n    except Exception: d[p]='not installed'\nprint(json.dumps(d))"
        )
        try:
            dt_versions = json.loads(subprocess.run([str(dt_python), "-c", code], check=False, capture_output=True, text=True).stdout)
        except Exception:  # noqa: BLE001
            dt_versions = {}
    return {
        "cpu": cpu,
        "cores": cores,
        "ram_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": sys.version.split()[0],
        "pdcorpus": ver("pdcorpus"),
        "pdcorpus_cli": pdcorpus_where,
        "pyarrow": ver("pyarrow"),
        "datatrove_env": dt_versions,
        "loadavg_start": os.getloadavg(),
    }


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summarize(runs: list[dict], docs_in: int) -> list[dict]:
    rows = []
    keys = []
    for r in runs:
        k = (r["tool"], r["workers"])
        if k not in keys:
            keys.append(k)
    for tool, workers in keys:
        rs = [r for r in runs if r["tool"] == tool and r["workers"] == workers and not r.get("warmup")]
        ok = [r for r in rs if r["rc"] == 0]
        row = {"tool": tool, "workers": workers, "runs": len(rs), "ok": len(ok)}
        if ok:
            wall = _med([r["wall_s"] for r in ok])
            row.update(
                wall_s=wall,
                wall_min_s=min(r["wall_s"] for r in ok),
                wall_max_s=max(r["wall_s"] for r in ok),
                docs_per_s=docs_in / wall,
                docs_per_s_core=docs_in / wall / workers,
                cpu_s=_med([r.get("cpu_s") for r in ok]),
                busy_before=_med([r.get("busy_before") for r in ok]),
                others_busy_during=_med([r.get("others_busy_during") for r in ok]),
                peak_tree_rss_mib=_med([r["peak_tree_rss_mib"] for r in ok]),
                peak_tree_pss_mib=_med([r["peak_tree_pss_mib"] for r in ok]),
                max_single_rss_mib=_med([r["max_single_rss_mib"] for r in ok]),
                largest_proc_hwm_mib=_med([r.get("largest_proc_hwm_mib") for r in ok]),
                largest_proc_cmd=ok[0].get("largest_proc_cmd", ""),
                peak_procs=max(r["peak_procs"] for r in ok),
                parquet_mib=_med([r["parquet_bytes"] / 2**20 for r in ok if r.get("parquet_bytes")]),
                rows_out=sorted({r.get("rows_out") for r in ok}, key=lambda x: (x is None, x)),
                expected_rows=ok[0].get("expected_rows"),
            )
            timings = [r.get("report", {}).get("timings_s") for r in ok]
            if timings and all(timings):
                row["stage_timings_s"] = {
                    k: round(_med([t.get(k) for t in timings]), 2) for k in timings[0] if _med([t.get(k) for t in timings]) is not None
                }
            row["consistency"] = sorted(
                {
                    f"manifest records_out {r.get('rows_out')} vs shard rows {r.get('manifest_shard_rows')} vs Parquet rows {r.get('parquet_rows')}"
                    for r in ok
                    if r.get("manifest_shard_rows") is not None
                    and not (r.get("rows_out") == r.get("manifest_shard_rows") == r.get("parquet_rows"))
                }
            )
        rows.append(row)
    return rows


def ratios(rows: list[dict]) -> dict:
    """pdcorpus against each datatrove row at each worker count (docs/s per core, whole-tree PSS, largest
    process), and each tool's own scaling: docs/s with its most workers / with 1 worker."""
    ok = {(r["tool"], r["workers"]): r for r in rows if r.get("ok")}
    out: dict = {"per_core": [], "scaling": []}
    for (tool, w), r in ok.items():
        pd = ok.get(("pdcorpus", w))
        if tool != "pdcorpus" and pd:
            out["per_core"].append({
                "workers": w, "against": tool,
                "docs_per_s_core": pd["docs_per_s_core"] / r["docs_per_s_core"],
                "pss": (pd["peak_tree_pss_mib"] / r["peak_tree_pss_mib"]) if r.get("peak_tree_pss_mib") else None,
                "largest_proc": (pd["largest_proc_hwm_mib"] / r["largest_proc_hwm_mib"])
                if r.get("largest_proc_hwm_mib") else None,
            })
    for tool in dict.fromkeys(t for t, _ in ok):
        ws = sorted(w for t, w in ok if t == tool)
        if 1 in ws and ws[-1] > 1:
            out["scaling"].append({"tool": tool, "workers": ws[-1],
                                   "speedup": ok[(tool, ws[-1])]["docs_per_s"] / ok[(tool, 1)]["docs_per_s"]})
    return out


def ratio_lines(rat: dict) -> list[str]:
    L = []
    if rat["per_core"]:
        L += ["| workers | pdcorpus ÷ | docs/s per core | peak tree PSS | largest process |", "|---|---|---|---|---|"]
        for x in sorted(rat["per_core"], key=lambda x: (-x["workers"], x["against"])):
            L.append(f"| {x['workers']} | {x['against']} | **{x['docs_per_s_core']:.2f}×** | "
                     f"{_fmt(x['pss'], 2)}× | {_fmt(x['largest_proc'], 2)}× |")
    if rat["scaling"]:
        L.append("")
        L.append("Scaling (docs/s with N workers ÷ docs/s with 1 worker): " + "; ".join(
            f"{x['tool']} {x['workers']} workers **{x['speedup']:.2f}×**" for x in rat["scaling"]) + ".")
    return L


def _fmt(x, nd=1):
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:,.{nd}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def table_lines(rows: list[dict]) -> list[str]:
    head = (
        "| tool | workers | runs ok | median wall (s) | docs/s | docs/s per core | CPU (s) | peak tree RSS (MiB) "
        "| peak tree PSS (MiB) | largest process (MiB) | rows out | expected rows | Parquet (MiB) | others' CPU during |"
    )
    lines = [head, "|" + "|".join(["---"] * 14) + "|"]
    for r in rows:
        if not r.get("ok"):
            lines.append(
                f"| {r['tool']} | {r['workers']} | 0/{r['runs']} | failed | – | – | – | – | – | – | – | – | – | – |"
            )
            continue
        rows_out = ", ".join(_fmt(x) for x in r["rows_out"])
        lines.append(
            f"| {TOOL_LABELS.get(r['tool'], r['tool'])} | {r['workers']} | {r['ok']}/{r['runs']} | {r['wall_s']:.2f} "
            f"({r['wall_min_s']:.2f}–{r['wall_max_s']:.2f}) | {r['docs_per_s']:,.0f} | **{r['docs_per_s_core']:,.0f}** "
            f"| {_fmt(r['cpu_s'])} | {_fmt(r['peak_tree_rss_mib'], 0)} | {_fmt(r['peak_tree_pss_mib'], 0)} "
            f"| {_fmt(r.get('largest_proc_hwm_mib') or r['max_single_rss_mib'], 0)} "
            f"| {rows_out} | {_fmt(r['expected_rows'])} | {_fmt(r.get('parquet_mib'), 0)} | "
            + (f"{r['others_busy_during']:.0%}" if r.get("others_busy_during") is not None else "–")
            + " |"
        )
    return lines


TOOL_LABELS = {
    "datatrove": "datatrove (Parquet CDC on: its default)",
    "datatrove-nocdc": "datatrove-nocdc (Parquet CDC off)",
    "datatrove-raw": "datatrove-raw (raw-text hash)",
}


def render_section(rows, runs, machine, corpus_info, args, notes, pipeline: str = "length", heading: str | None = None,
                   decisions: dict | None = None, rat: dict | None = None, command: str = "", raw_path: str = "") -> str:
    m = machine
    dt = m.get("datatrove_env", {})
    reps = corpus_info.get("reps", args.reps)
    L = [heading or PIPELINES[pipeline]["title"], ""]
    L.append(
        f"Run on {corpus_info['when']} by `benchmarks/run_peers.py --pipeline {pipeline}` ({reps} timed run{'s' if reps != 1 else ''} "
        f"per configuration, tools alternated run by run, after {args.warmup} untimed warm-up run(s) per tool; medians reported)."
    )
    L.append("")
    L.append(
        f"Same input, same work for every tool: {PIPELINES[pipeline]['what']}. **docs/s per core = docs in / wall "
        "seconds / workers**; wall is the whole command (interpreter start-up, imports, all stages, until the last "
        "Parquet file is closed)."
    )
    L.append("")
    L += table_lines(rows)
    if rat and (rat["per_core"] or rat["scaling"]):
        L.append("")
        L += ratio_lines(rat)
    L.append("")
    L.append("**Input**: " + corpus_info["desc"])
    L.append("")
    L.append("**Machine**: " + f"{m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, Linux {m['kernel']}; "
             f"load average at start {', '.join(f'{x:.2f}' for x in m['loadavg_start'])} "
             "(shared machine: other work may have been running; hence medians).")
    L.append("")
    L.append(
        f"**Software**: pdcorpus {m['pdcorpus']} (Python {m['python']}, pyarrow {m['pyarrow']}; CLI: `{m['pdcorpus_cli']}`); "
        f"datatrove {dt.get('datatrove', '?')} in its own venv (Python {dt.get('python', '?')}, pyarrow {dt.get('pyarrow', '?')}, "
        f"xxhash {dt.get('xxhash', '?')}, orjson {dt.get('orjson', '?')}, pycld2 {dt.get('pycld2', '?')}, "
        f"isal {dt.get('isal', '?')})."
    )
    L.append("")
    L.append("**How it was measured**")
    L.append("")
    L.append("- Wall time: `time.perf_counter()` around the whole command, launched by `run_peers.py`.")
    L.append(
        f"- Peak tree RSS / PSS: the process tree under the command (the command, its workers, datatrove's "
        f"forkserver and multiprocess manager, `/usr/bin/time` itself) sampled every {args.interval:g} s from "
        "`/proc/<pid>/status` (VmRSS) and `/proc/<pid>/smaps_rollup` (Pss), summed over the tree; the peak of "
        "the sums. RSS sums count shared pages (libraries, copy-on-write) once per process, so they overstate; "
        "PSS divides shared pages among their users and is the better whole-tree figure. Sampling can miss "
        "peaks shorter than the interval."
    )
    L.append(
        "- CPU (s): user + system CPU time of the whole tree: the larger of (a) the sum over every process of "
        "its utime + stime last seen by the sampler and (b) the wait4 rusage of the command (which covers only "
        "descendants that were waited for). Less sensitive to other load on the machine than wall time."
    )
    L.append(
        "- Largest process: the largest `VmHWM` (the kernel's peak resident set of one process) of any process in "
        "the tree, read from `/proc/<pid>/status` at every sample, so datatrove's pool workers (children of its "
        "forkserver, which `/usr/bin/time` never sees) are included; not a sum. The raw JSON also keeps "
        "`/usr/bin/time -v`'s figure (`max_single_rss_mib`) and the command line of the largest process."
    )
    if pipeline == "reference":
        sc = corpus_info.get("sample_chars", 2000)
        L.append(
            "- pdcorpus: `pdcorpus build CONFIG --output OUT --workers N --fresh` (no `--profile`), config written by the "
            "script: one `jsonl` source (`fields: {id: doc_id, text: text, license: rights, url: url, date: date}`), "
            "`stages: [rights: {policy: public-domain, jurisdictions: [US]}, language: {backend: cld2}, dedup: "
            "{method: exact}]`, `shards: {max_bytes: 256MB, compression: zstd}`; rows out from `OUT/manifest.json` "
            "(`records_out`, checked against the shards' `rows` and their Parquet files; `OUT/review/` is not output)."
        )
        L.append(
            "- datatrove: `benchmarks/peers/datatrove_pipeline.py --pipeline reference`, three chained "
            "`LocalPipelineExecutor`s: (1) JsonlReader(gzip) → RightsFilter → Cld2Language → "
            f"JsonlWriter(intermediate, compression={corpus_info.get('intermediate', 'none')}) → ExactDedupSignature, tasks = input files; "
            "(2) ExactFindDedups, tasks = workers (hash buckets); (3) JsonlReader(intermediate) → ExactDedupFilter → "
            "ParquetWriter(zstd; `datatrove`: datatrove's defaults otherwise, content-defined chunking on, page index on; "
            "`datatrove-nocdc`: `use_content_defined_chunking=False`), tasks = input files. cld2 runs once per "
            "document (stage 1); stage 3 reads the intermediate files (the kept documents with their language), "
            "which is how a datatrove user keeps a computed column through its two-pass exact dedup. The intermediate "
            "JSONL is uncompressed unless `--dt-intermediate` says otherwise (local scratch; the codecs datatrove's "
            "writers get through fsspec are slow: JsonlWriter's default gzip at level 9 through zlib when isal is not "
            "installed, zstd at level 10, 8–10 MB/s of JSON; with gzip datatrove used about 40% more CPU on this pipeline "
            "in a trial). pdcorpus compresses its own intermediate files (zstd Parquet), so this favours datatrove. "
            "Hashed content: NFC + lower() + whitespace collapsed (xxhash64), pdcorpus's exact-dedup normalisation."
        )
        if dt.get("isal") in (None, "not installed"):
            L.append(
                "- gzip input: pdcorpus reads it through ISA-L (`isal`, a pdcorpus dependency); datatrove's venv has no "
                "`isal`, so fsspec reads it through Python's zlib. `pip install isal` in datatrove's venv makes fsspec use "
                "ISA-L for datatrove too (not done here: datatrove does not install it). In a trial, decompressing and "
                "splitting 25k docs into lines took 0.71 s of CPU through zlib and 0.29 s through ISA-L, about 2% of "
                "datatrove's CPU time on this pipeline."
            )
        else:
            L.append(f"- gzip input: both tools read it through ISA-L (`isal` {dt.get('isal')} in datatrove's venv, "
                     "which fsspec then uses).")
        L.append(
            "- Same licence decisions: before the timed runs (not timed), `run_peers.py` runs pdcorpus's own rights "
            "stage (`pdcorpus.stages.rights.RightsStage`, `policy: public-domain, jurisdictions: [US]`, as of "
            f"{(decisions or {}).get('as_of', '?')}) over every record as pdcorpus's JSONL reader makes them, and "
            "writes the decisions as a table: keep/drop per licence statement, and per (statement, date) for the "
            "statements whose decision depends on the date (\"No known copyright restrictions\" is public domain in "
            "the US only for works published long enough ago), "
            f"{len((decisions or {}).get('by_statement', []))} + {len((decisions or {}).get('by_statement_and_date', []))} entries. "
            "datatrove's RightsFilter looks each document up in it: records pdcorpus allows pass, records it denies or "
            "sends to review do not. **datatrove gets the decisions precomputed**: it does none of the normalisation "
            "of statements, policy or date rules, which favours datatrove."
        )
        L.append(
            f"- Same detector: datatrove's Cld2Language step calls `pycld2.detect` on the first {sc:,} characters exactly "
            "as pdcorpus's cld2 backend and `LanguageStage.identify` do (again with `bestEffort=True` when every "
            "answer is `und`; `und` under 20 letters or when a second language holds ≥ 30% of the sample) and stores "
            "`language`/`language_score` in `doc.metadata`. Neither tool drops on language. Languages of the output "
            "rows are compared between the tools (notes)."
        )
        if decisions:
            c = decisions["counts"]
            L.append(
                f"- Expected rows: from the precomputed decisions: {c['read']:,} records read, {c['allow']:,} allowed, "
                f"{c['review']:,} to review, {c['deny']:,} denied ({c.get('read_rejects', 0):,} set aside by the reader); "
                f"distinct texts among the allowed under NFC + lower + white space: "
                f"{decisions['expected_rows']['nfc_lower_ws']:,} (raw bytes: {decisions['expected_rows']['raw']:,})."
            )
    else:
        L.append(
            "- pdcorpus: `pdcorpus build CONFIG --output OUT --workers N --fresh` (config written by the script: "
            "`length: {min_chars: 50}`, `dedup: {method: exact}`, `shards: {max_bytes: 256MB, compression: zstd}`); "
            "rows out from `OUT/manifest.json` (`records_out`, checked against the shards' `rows` and the Parquet files)."
        )
        L.append(
            "- datatrove: `benchmarks/peers/datatrove_pipeline.py --pipeline length`, its exact-dedup path "
            "(`datatrove.pipeline.dedup.exact_dedup`) as three chained `LocalPipelineExecutor`s: "
            "(1) JsonlReader(gzip) → LambdaFilter(len ≥ 50) → ExactDedupSignature, tasks = input files; "
            "(2) ExactFindDedups, tasks = workers (hash buckets); (3) JsonlReader → LambdaFilter → ExactDedupFilter → "
            "ParquetWriter(zstd, datatrove's defaults otherwise: content-defined chunking"
            + (" **off** (`--dt-no-cdc`)" if args.dt_no_cdc else " on; `datatrove-nocdc`: off")
            + ", page index on), tasks = input files. Stage 3 reads the input a second time: that is how "
            "datatrove's exact dedup works, so it is counted. "
            + (
                "Hashed content: NFC + lower() + whitespace collapsed (xxhash64), the same normalisation as "
                "pdcorpus's exact dedup (xxh3-128), so both should keep the same rows."
                if args.dt_content == "normalized"
                else "Hashed content: the raw text (datatrove's usual content getter, xxhash64): only byte-identical "
                "texts count as duplicates, unlike pdcorpus, which normalises (NFC, lower case, white space) first."
            )
        )
        L.append(
            "- Expected rows: from the generator's ground truth (`summary.json`): unique texts among docs ≥ 50 chars "
            "under the tool's definition of \"exact\" (raw: "
            f"{corpus_info['unique'].get('raw', '?'):,}; NFC + lower + white space: {corpus_info['unique'].get('nfc_lower_ws', '?'):,})."
            if corpus_info.get("unique")
            else "- Expected rows: unknown (no ground truth found)."
        )
    if any(r["tool"] == "datatrove-raw" for r in rows):
        L.append(
            "- datatrove-raw: the same datatrove pipeline hashing the raw text (datatrove's usual "
            "`content_getter=lambda doc: doc.text`): only byte-identical texts are duplicates, so the "
            "white-space, case and NFD copies stay; and no normalisation work is done."
        )
    stage_lines = [
        f"  - {r['tool']} × {r['workers']} worker(s): "
        + ", ".join(f"{k} {v:.2f} s" for k, v in r["stage_timings_s"].items())
        for r in rows
        if r.get("stage_timings_s")
    ]
    if stage_lines:
        L.append("- Stage/phase times reported by the tools themselves (median), inside the wall time above:")
        L += stage_lines
    if notes:
        L.append("")
        L.append("**Notes**")
        L.append("")
        L += [f"- {n}" for n in notes]
    L.append("")
    if command:
        L.append(f"Reproduce (this table and its raw JSON): `{command}`; see `benchmarks/README.md`. "
                 f"Raw numbers of this run, committed: `{raw_path}`.")
    else:
        L.append("Reproduce: see `benchmarks/README.md` (`generate_corpus.py`, then `run_peers.py`). "
                 f"Raw numbers of this run, committed: `{raw_path or 'benchmarks/results/peers.json'}`.")
    L.append("")
    return "\n".join(L)


def update_subsection(path: Path, title: str, intro: str, sub_title: str, body: str) -> None:
    """Writes ``body`` as the subsection ``sub_title`` of section ``title`` (other subsections, e.g. another
    corpus size's, and other sections are kept)."""
    text = path.read_text() if path.exists() else (
        "# pdcorpus benchmark results\n\n"
        "Each section is written by a script under `benchmarks/`; re-running one rewrites only its own section.\n\n"
    )
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == title), None)
    if start is None:
        text = text.rstrip("\n") + "\n\n" + title + "\n\n" + intro + "\n\n" + body
        path.write_text(text)
        return
    end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
    section = lines[start:end]
    s0 = next((i for i, l in enumerate(section) if l.rstrip("\n") == sub_title), None)
    if s0 is None:
        section_text = "".join(section).rstrip("\n") + "\n\n" + body
    else:
        s1 = next((j for j in range(s0 + 1, len(section)) if section[j].startswith("### ")), len(section))
        section_text = "".join(section[:s0]) + body + ("\n" + "".join(section[s1:]) if s1 < len(section) else "")
    tail = "".join(lines[end:])
    path.write_text("".join(lines[:start]) + section_text.rstrip("\n") + "\n" + ("\n" + tail if tail else ""))


def update_results(path: Path, section: str) -> None:
    if path.exists():
        text = path.read_text()
    else:
        text = (
            "# pdcorpus benchmark results\n\n"
            "Each section is written by a script under `benchmarks/`; re-running one rewrites only its own section.\n\n"
        )
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == SECTION_TITLE), None)
    if start is None:
        if not text.endswith("\n\n"):
            text = text.rstrip("\n") + "\n\n"
        text += section
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        text = "".join(lines[:start]) + section + ("\n" + tail if tail else "")
    path.write_text(text)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def corpus_label(docs: int) -> str:
    """100000 -> 100k, 1000000 -> 1M (the name of a corpus size in RESULTS.md and in the raw JSON's file name)."""
    if docs >= 1_000_000 and docs % 1_000_000 == 0:
        return f"{docs // 1_000_000}M"
    if docs >= 1000 and docs % 1000 == 0:
        return f"{docs // 1000}k"
    return str(docs)


def describe_corpus(corpus: Path, files: list[Path], truth: Path) -> tuple[int, dict, str]:
    summary = {}
    if (truth / "summary.json").exists():
        summary = json.loads((truth / "summary.json").read_text())
    if summary.get("docs"):
        docs_in = int(summary["docs"])
    else:
        import gzip

        docs_in = 0
        for f in files:
            with gzip.open(f, "rb") as fh:
                docs_in += sum(1 for _ in fh)
    corpus_bytes = sum(f.stat().st_size for f in files)
    ch = summary.get("chars", {})
    desc = (
        f"`{_show_path(corpus)}`: {docs_in:,} docs in {len(files)} JSONL.gz files "
        f"({corpus_bytes / 2**20:,.0f} MiB compressed"
        + (f", {ch['total'] / 1e6:,.0f} M chars of text, median {ch['median']:,} chars/doc, max {ch['max']:,}" if ch else "")
        + ")"
        + (
            f"; {summary.get('docs_len_ge_min', 0):,} docs ≥ 50 chars; generated by `generate_corpus.py --seed "
            f"{summary.get('seed')}` ({summary.get('exact_copies', 0):,} exact-duplicate copies, "
            f"{summary.get('near_copies', 0):,} near-duplicate copies, {len(summary.get('languages', {}))} languages)."
            if summary
            else "."
        )
    )
    return docs_in, summary, desc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="pdcorpus vs datatrove on the same pipeline, side by side")
    ap.add_argument("--pipeline", choices=sorted(PIPELINES), default="reference",
                    help="reference: read → rights → language (cld2) → exact dedup → Parquet (default); "
                    "length: read → length filter → exact dedup → Parquet")
    ap.add_argument("--corpus", default=str(HERE / "data" / "corpus"),
                    help="folder with *.jsonl.gz; several, comma-separated, run one after the other (e.g. 100k,1M)")
    ap.add_argument("--truth", default=None, help="ground truth folder(s), comma-separated (default <corpus>-truth)")
    ap.add_argument("--label", default=None, help="name(s) of the corpus sizes, comma-separated (default from the "
                    "number of docs: 100k, 1M); RESULTS.md has one subsection and one raw JSON file per label")
    ap.add_argument("--reps", default="3", help="timed runs per configuration; one number, or one per corpus "
                    "(e.g. 3,1 for 100k,1M)")
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs per tool before timing (default 1)")
    ap.add_argument("--workers", default="2,1", help="comma-separated worker counts (default 2,1)")
    ap.add_argument("--tools", default=None,
                    help="comma-separated: pdcorpus, datatrove (CDC on, its default), datatrove-nocdc (CDC off), "
                    "datatrove-raw (hashing raw text); default: pdcorpus,datatrove,datatrove-nocdc for reference, "
                    "pdcorpus,datatrove,datatrove-raw for length")
    ap.add_argument("--pdcorpus-cmd", default=None, help="command for pdcorpus (default: `pdcorpus` on PATH)")
    ap.add_argument("--dt-python", default=str(HERE / ".venv-datatrove" / "bin" / "python"))
    ap.add_argument("--dt-content", choices=["normalized", "raw"], default="normalized",
                    help="what datatrove hashes for exact dedup (default: normalized like pdcorpus)")
    ap.add_argument("--dt-no-cdc", action="store_true",
                    help="turn off content-defined chunking in the `datatrove` tool too (datatrove-nocdc always has it off)")
    ap.add_argument("--dt-intermediate", choices=["none", "zstd", "gzip"], default="none",
                    help="reference: compression of datatrove's intermediate JSONL (default none: local scratch; "
                    "JsonlWriter's default gzip is level 9 through zlib unless isal is installed, fsspec's zstd level 10)")
    ap.add_argument("--work-dir", default=str(HERE / "out" / "peers"))
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--no-results", action="store_true", help="do not touch RESULTS.md; raw JSON goes to benchmarks/out/")
    ap.add_argument("--interval", type=float, default=0.1, help="memory sampling interval in seconds")
    ap.add_argument("--wait-idle", type=float, default=0.3,
                    help="before each run, wait until other processes use less than this share of all CPUs "
                    "(0..1; default 0.3; 1 = don't wait)")
    ap.add_argument("--wait-max", type=float, default=60.0, help="longest wait for an idle machine per run, seconds")
    ap.add_argument("--keep-output", action="store_true", help="keep each run's output (default: only the last)")
    args = ap.parse_args(argv)
    # SIGTERM (e.g. `kill PID`) unwinds like Ctrl-C, so the running tool's process group is stopped too
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    corpora = [Path(c).resolve() for c in args.corpus.split(",") if c.strip()]
    truths = [Path(t).resolve() for t in args.truth.split(",")] if args.truth else [c.parent / f"{c.name}-truth" for c in corpora]
    reps_list = [int(x) for x in str(args.reps).split(",") if x.strip()]
    labels = [x.strip() for x in args.label.split(",")] if args.label else []
    if len(reps_list) not in (1, len(corpora)) or len(truths) != len(corpora) or (labels and len(labels) != len(corpora)):
        print("--reps, --truth and --label take one value per --corpus (or --reps one for all)", file=sys.stderr)
        return 2
    for c in corpora:
        if not sorted(c.glob("*.jsonl.gz")):
            print(f"no *.jsonl.gz in {c}: run benchmarks/generate_corpus.py first", file=sys.stderr)
            return 2
    # the exact command, for RESULTS.md and the README (what regenerates the section and its raw JSON)
    command = "python benchmarks/run_peers.py " + " ".join(
        a if not a.startswith("/") else _show_path(Path(a)) for a in (argv if argv is not None else sys.argv[1:])
    )
    rc = 0
    for i, corpus in enumerate(corpora):
        reps = reps_list[i] if len(reps_list) > 1 else reps_list[0]
        rc = max(rc, run_corpus(args, corpus, truths[i], reps, labels[i] if labels else None, command.strip()))
    return rc


def run_corpus(args, corpus: Path, truth: Path, reps: int, label: str | None, command: str) -> int:
    pipeline = args.pipeline
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    files = sorted(corpus.glob("*.jsonl.gz"))
    worker_counts = [int(x) for x in args.workers.split(",") if x.strip()]
    wanted = [t.strip() for t in (args.tools or PIPELINES[pipeline]["tools"]).split(",") if t.strip()]
    docs_in, summary, desc = describe_corpus(corpus, files, truth)
    label = label or corpus_label(docs_in)
    unique = summary.get("unique_texts_after_length_filter", {})

    notes: list[str] = []
    decisions = None
    decisions_path = work / f"rights-decisions-{label}.json"
    sample_chars = 2000
    if pipeline == "reference":
        t = time.perf_counter()
        print(f"[{label}] pdcorpus's rights decisions (untimed) ...", file=sys.stderr, flush=True)
        decisions = cached_rights_decisions(corpus, decisions_path)
        print(f"[{label}] decisions: {decisions['counts']}, expected rows {decisions['expected_rows']} "
              f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
        try:
            from pdcorpus.stages.language import LanguageParams

            sample_chars = LanguageParams().sample_chars  # what pdcorpus's language stage samples by default
        except (ImportError, AttributeError):
            pass
        if decisions["counts"].get("read_rejects"):
            notes.append(f"pdcorpus's reader set {decisions['counts']['read_rejects']:,} records aside; datatrove "
                         "reads them (a statement kept by the table would keep them): row counts may differ by them.")

    tools = []
    pd_cmd, pd_where = (args.pdcorpus_cmd.split(), args.pdcorpus_cmd) if args.pdcorpus_cmd else PdcorpusTool.find_cmd()
    if "pdcorpus" in wanted:
        if pd_cmd:
            tools.append(PdcorpusTool(pd_cmd, corpus, work, pipeline))
        else:
            notes.append(f"pdcorpus was not run: {pd_where}.")
            print(f"!! skipping pdcorpus: {pd_where}", file=sys.stderr)
    dt_python = Path(args.dt_python)
    dt_kinds = {"datatrove": (args.dt_content, args.dt_no_cdc), "datatrove-nocdc": (args.dt_content, True),
                "datatrove-raw": ("raw", args.dt_no_cdc)}
    for name in [t for t in wanted if t in dt_kinds]:
        if dt_python.exists():
            content, no_cdc = dt_kinds[name]
            tools.append(DatatroveTool(dt_python, corpus, content, no_cdc, name=name, pipeline=pipeline,
                                       decisions=decisions_path, sample_chars=sample_chars,
                                       intermediate=args.dt_intermediate))
        else:
            notes.append(f"{name} was not run: {dt_python} missing (see benchmarks/README.md).")
            print(f"!! skipping {name}: {dt_python} missing", file=sys.stderr)
    unknown = [t for t in wanted if t != "pdcorpus" and t not in dt_kinds]
    if unknown:
        print(f"unknown tool(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    if not tools:
        print("nothing to run", file=sys.stderr)
        return 2

    machine = machine_info(dt_python, pd_where)
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    runs: list[dict] = []

    def expected_for(tool) -> int | None:
        if decisions is not None:
            return decisions["expected_rows"]["raw" if getattr(tool, "content", None) == "raw" else "nfc_lower_ws"]
        if not unique:
            return None
        if getattr(tool, "content", None) == "raw":
            return unique.get("raw")
        return unique.get("nfc_lower_ws")

    def one(tool, workers: int, rep: int, warmup: bool) -> dict:
        run_label = f"{label}-{tool.name}-w{workers}-" + (f"warmup{rep}" if warmup else f"rep{rep}")
        out = work / (run_label if args.keep_output else f"{tool.name}-w{workers}")
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(Path(str(out) + ".work"), ignore_errors=True)
        cmd = tool.command(workers, out)
        if args.wait_idle < 1:
            busy, waited = wait_until_idle(args.wait_idle, args.wait_max)
        else:
            busy, waited = machine_busy(1.0), 0.0
        res = run_measured(cmd, work / run_label, args.interval, env=env)
        res.update(tool=tool.name, workers=workers, rep=rep, warmup=warmup, cmd=cmd, corpus=label,
                   busy_before=busy, waited_s=waited, loadavg_before=os.getloadavg()[0])
        if res["rc"] == 0:
            res.update(tool.verify(out, res))
        res["expected_rows"] = expected_for(tool)
        status = "ok" if res["rc"] == 0 else f"FAILED rc={res['rc']}"
        print(
            f"  {run_label:<34} {status:<8} wall {res['wall_s']:7.2f} s  {docs_in / res['wall_s'] / workers:8,.0f} docs/s/core  "
            f"CPU {res['cpu_s']:6.1f} s  others busy before {busy:4.0%} during {res['others_busy_during']:4.0%}  "
            f"tree PSS {res['peak_tree_pss_mib']:6.0f} MiB  largest process {res['largest_proc_hwm_mib']:5.0f} MiB  "
            f"rows {res.get('rows_out')} (expected {res['expected_rows']})",
            file=sys.stderr,
            flush=True,
        )
        if res["rc"] != 0:
            print(_tail(res["stderr"]), file=sys.stderr)
        runs.append(res)
        return res

    print(f"[{label}] corpus: {desc}", file=sys.stderr)
    for workers in worker_counts:
        for w in range(args.warmup):
            for tool in tools:
                one(tool, workers, w, warmup=True)
        for rep in range(reps):
            order = tools if rep % 2 == 0 else list(reversed(tools))
            for tool in order:
                one(tool, workers, rep, warmup=False)

    machine["loadavg_end"] = os.getloadavg()
    rows = summarize(runs, docs_in)
    rat = ratios(rows)

    # agreement between tools and with the expected rows
    for r in rows:
        if not r.get("ok"):
            failed = [x for x in runs if x["tool"] == r["tool"] and x["workers"] == r["workers"] and x["rc"] != 0]
            if failed:
                notes.append(
                    f"{r['tool']} with {r['workers']} worker(s) failed (rc={failed[0]['rc']}); see {failed[0]['stderr']}."
                )
            continue
        for c in r.get("consistency", []):
            notes.append(f"{r['tool']} ({r['workers']} worker(s)): inconsistent counts: {c}.")
        exp = r.get("expected_rows")
        got = r["rows_out"]
        if exp is not None and (len(got) != 1 or got[0] != exp):
            notes.append(
                f"{r['tool']} ({r['workers']} worker(s)) kept {', '.join(_fmt(x) for x in got)} rows; "
                f"{'the precomputed decisions' if decisions else 'the ground truth'} expect {exp:,} "
                f"(difference {got[0] - exp:+,})." if got and got[0] is not None else
                f"{r['tool']} ({r['workers']} worker(s)): row count unavailable."
            )
    by_tool = {}
    for r in rows:
        if r.get("ok"):
            by_tool.setdefault(r["tool"], set()).update(r["rows_out"])
    pd_rows = by_tool.get("pdcorpus", set())
    for name, got in by_tool.items():
        if name == "pdcorpus" or not pd_rows:
            continue
        if name == "datatrove-raw":
            extra = ""
            if len(pd_rows) == 1 and len(got) == 1:
                extra = (f"; pdcorpus's normalised exact dedup (NFC, lower case, white space) removes "
                         f"{next(iter(got)) - next(iter(pd_rows)):,} more")
            notes.append(f"datatrove-raw (raw-text hash) kept {', '.join(_fmt(x) for x in sorted(got))} rows{extra}.")
        elif got == pd_rows:
            notes.append(f"pdcorpus and {name} kept the same number of rows ({', '.join(_fmt(x) for x in got)}).")
        else:
            notes.append(f"Row counts differ: pdcorpus {sorted(pd_rows)}, {name} {sorted(got)}.")
    if pipeline == "reference":
        langs = {}
        for x in runs:
            if x["rc"] == 0 and not x.get("warmup") and x.get("languages"):
                langs.setdefault(x["tool"], x["languages"])
        if "pdcorpus" in langs:
            for name, lg in langs.items():
                if name == "pdcorpus":
                    continue
                diff = {k: (langs["pdcorpus"].get(k, 0), lg.get(k, 0)) for k in set(lg) | set(langs["pdcorpus"])
                        if langs["pdcorpus"].get(k, 0) != lg.get(k, 0)}
                notes.append(
                    f"Languages of the output rows, pdcorpus against {name}: "
                    + ("identical counts per language (" + ", ".join(f"{k} {v:,}" for k, v in list(langs['pdcorpus'].items())[:6]) + " …)."
                       if not diff else "different counts: " + ", ".join(f"{k} {a:,}/{b:,}" for k, (a, b) in sorted(diff.items())[:10])
                       + " (a duplicate group may keep a different copy in each tool).")
                )
    timed = [r for r in runs if not r.get("warmup")]
    busy = [r["busy_before"] for r in timed if r.get("busy_before") is not None]
    during = [r["others_busy_during"] for r in timed if r.get("others_busy_during") is not None]
    if busy:
        waited = sum(r.get("waited_s", 0) for r in timed)
        msg = (
            f"Other processes' CPU use measured over the seconds just before each timed run: median "
            f"{statistics.median(busy):.0%}, max {max(busy):.0%} of all cores"
            + (f" (the script waited up to {args.wait_max:g} s per run for it to fall below {args.wait_idle:.0%}; "
               f"{waited:.0f} s waited in all)" if args.wait_idle < 1 else "")
            + "."
        )
        if during:
            msg += (f" During the timed runs, other processes used median {statistics.median(during):.0%}, "
                    f"max {max(during):.0%} of all cores (machine CPU time from /proc/stat minus the tool's own and the sampler's).")
        samp = [r["sampler_cpu_s"] / r["wall_s"] for r in timed if r.get("sampler_cpu_s") is not None and r["wall_s"] > 0]
        if samp:
            msg += (f" The memory sampler itself (in run_peers.py, outside the measured tree) used median "
                    f"{statistics.median(samp):.0%} of one core.")
        if max(busy) > 0.3 or (during and max(during) > 0.2):
            msg += (" The machine was shared and busy during some runs: wall-time figures are pessimistic "
                    "and noisy; CPU seconds are less affected.")
        notes.append(msg)

    when = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    corpus_info = {"desc": desc, "unique": unique, "when": when, "label": label, "reps": reps,
                   "sample_chars": sample_chars, "intermediate": args.dt_intermediate}
    # the raw numbers behind RESULTS.md are committed beside it (benchmarks/results/); runs with --no-results go
    # to the uncommitted out/ folder instead
    if pipeline == "length" and label == "100k" and not args.no_results:
        raw_name = "peers.json"  # the name the length section has always had
    else:
        raw_name = f"peers-{pipeline}-{label}.json"
    raw = (HERE / "results" / raw_name) if not args.no_results else (HERE / "out" / f"scratch-{raw_name}")
    payload = {
        "when": when,
        "command": command,
        "pipeline": pipeline,
        "args": vars(args),
        "corpus_label": label,
        "reps": reps,
        "docs_in": docs_in,
        "machine": machine,
        "corpus": corpus_info,
        "rights_decisions": {k: v for k, v in (decisions or {}).items() if not k.startswith("by_")} or None,
        "summary": rows,
        "ratios": rat,
        "runs": runs,
        "notes": notes,
    }
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(payload, indent=2, default=str))

    print()
    print(f"[{label}]")
    print("\n".join(table_lines(rows)))
    if rat["per_core"] or rat["scaling"]:
        print()
        print("\n".join(ratio_lines(rat)))
    for n in notes:
        print(f"- {n}")
    print(f"raw JSON: {_show_path(raw)}")
    if not args.no_results:
        raw_rel = f"benchmarks/results/{raw_name}"
        if pipeline == "reference":
            title = PIPELINES[pipeline]["title"]
            sub = f"### {label}: {docs_in:,} documents"
            body = render_section(rows, runs, machine, corpus_info, args, notes, pipeline, heading=sub,
                                  decisions=decisions, rat=rat, command=command, raw_path=raw_rel)
            intro = ("issue 16's reference pipeline, in pdcorpus and in datatrove with the same licence decisions and "
                     "the same language detector, one subsection per corpus size (each written by its own run; "
                     "`--corpus a,b` runs several in one invocation).")
            update_subsection(Path(args.results), title, intro, sub, body)
        else:
            update_results(Path(args.results), render_section(rows, runs, machine, corpus_info, args, notes, pipeline,
                                                              rat=rat, command=command, raw_path=raw_rel))
        print(f"\nupdated {args.results}")
    return 0 if all(r.get("ok") == r.get("runs") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
