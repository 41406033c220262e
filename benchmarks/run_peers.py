#!/usr/bin/env python3
"""Run the same pipeline in pdcorpus and in datatrove, side by side, and report throughput and memory.

Pipeline: read JSONL.gz -> drop docs shorter than 50 chars -> exact dedup -> Parquet (zstd).

    python benchmarks/run_peers.py [--corpus benchmarks/data/corpus] [--reps 3] [--workers 2,1]

* pdcorpus runs through its CLI: ``pdcorpus build CONFIG --output OUT --workers N --fresh`` with a
  config written here; its row count is read from ``OUT/manifest.json``.
* datatrove runs ``benchmarks/peers/datatrove_pipeline.py`` with the python of its own venv
  (``benchmarks/.venv-datatrove``), so it cannot disturb pdcorpus's dependencies.

Each (tool, workers) configuration runs ``--reps`` times, alternating the order of the tools from
one repetition to the next, after one untimed warm-up run per tool. Reported per configuration:
median wall time, docs/s and docs/s per core (docs in / wall / workers), the median over runs of
the peak memory of the whole process tree (sum of RSS and sum of PSS of every process in the tree,
sampled from /proc), and the largest RSS of any single process (``/usr/bin/time -v``).

Writes the section "Pipeline: read → length filter → exact dedup → Parquet" of
benchmarks/RESULTS.md (other sections are kept), the raw numbers to benchmarks/results/peers.json,
and prints a short table.
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
SECTION_TITLE = "## Pipeline: read → length filter → exact dedup → Parquet"
MIN_CHARS = 50


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


class TreeSampler(threading.Thread):
    """Polls the process tree under ``root`` and keeps the peak of the summed RSS and PSS."""

    def __init__(self, root: int, interval: float = 0.05):
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.peak_procs = 0
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
            rss = sum(_read_kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
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
        "max_single_rss_mib": max_rss_kb / 1024,
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


def _count_parquet_rows(folder: Path) -> tuple[int, int, int]:
    import pyarrow.parquet as pq

    files = sorted(glob.glob(str(folder / "**" / "*.parquet"), recursive=True))
    return sum(pq.read_metadata(f).num_rows for f in files), len(files), sum(os.path.getsize(f) for f in files)


class PdcorpusTool:
    name = "pdcorpus"

    def __init__(self, cmd: list[str] | None, corpus: Path, work: Path):
        self.cmd = cmd
        self.corpus = corpus
        self.work = work
        self.config = work / "pdcorpus-bench.yaml"

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

    def write_config(self, out: Path) -> None:
        cfg = {
            "name": "bench",
            "output": str(out),
            "sources": [
                {
                    "name": "bench",
                    "read": {"format": "jsonl", "paths": [str(self.corpus / "*.jsonl.gz")]},
                    "fields": {"id": "doc_id", "text": "text", "license": "rights", "url": "url", "date": "date"},
                }
            ],
            "stages": [{"length": {"min_chars": MIN_CHARS}}, {"dedup": {"method": "exact"}}],
            "shards": {"max_bytes": "256MB", "compression": "zstd"},
        }
        try:
            import yaml

            text = yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True)
        except ImportError:  # JSON is valid YAML
            text = json.dumps(cfg, indent=2)
        self.config.write_text(text)

    def command(self, workers: int, out: Path) -> list[str]:
        self.write_config(out)
        return self.cmd + ["build", str(self.config), "--output", str(out), "--workers", str(workers), "--fresh"]

    def verify(self, out: Path, run: dict) -> dict:
        info: dict = {}
        man = out / "manifest.json"
        if man.exists():
            m = json.loads(man.read_text())
            info["rows_out"] = m.get("records_out")
            shards = m.get("shards") or []
            info["manifest_shard_rows"] = sum(int(s.get("rows", 0)) for s in shards)
            info["shards"] = len(shards)
            for key in ("records_in", "records_read"):
                if key in m:
                    info["docs_read"] = m[key]
            phases = (m.get("timings") or {}).get("phases") or {}
            if phases:
                info["report"] = {
                    "timings_s": {k: v.get("wall_seconds") for k, v in phases.items() if isinstance(v, dict)}
                }
        else:
            info["error"] = "no manifest.json"
        try:
            rows, nfiles, nbytes = _count_parquet_rows(out)
            info.update(parquet_rows=rows, parquet_files=nfiles, parquet_bytes=nbytes)
            if info.get("rows_out") is None:
                info["rows_out"] = rows
        except Exception as e:  # noqa: BLE001 - report, don't crash the benchmark
            info["parquet_error"] = repr(e)
        return info


class DatatroveTool:
    def __init__(self, python: Path, corpus: Path, content: str, no_cdc: bool, name: str = "datatrove"):
        self.name = name
        self.python = python
        self.corpus = corpus
        self.content = content
        self.no_cdc = no_cdc
        self.script = HERE / "peers" / "datatrove_pipeline.py"

    def command(self, workers: int, out: Path) -> list[str]:
        cmd = [
            str(self.python),
            str(self.script),
            "--input",
            str(self.corpus),
            "--output",
            str(out),
            "--workers",
            str(workers),
            "--content",
            self.content,
        ]
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
        return info


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
            "for p in ('datatrove','pyarrow','xxhash','orjson','multiprocess'):\n"
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
        "| peak tree PSS (MiB) | max 1-process RSS (MiB) | rows out | expected rows | Parquet (MiB) | others' CPU during |"
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
            f"| {r['tool']} | {r['workers']} | {r['ok']}/{r['runs']} | {r['wall_s']:.2f} "
            f"({r['wall_min_s']:.2f}–{r['wall_max_s']:.2f}) | {r['docs_per_s']:,.0f} | **{r['docs_per_s_core']:,.0f}** "
            f"| {_fmt(r['cpu_s'])} | {_fmt(r['peak_tree_rss_mib'], 0)} | {_fmt(r['peak_tree_pss_mib'], 0)} | {_fmt(r['max_single_rss_mib'], 0)} "
            f"| {rows_out} | {_fmt(r['expected_rows'])} | {_fmt(r.get('parquet_mib'), 0)} | "
            + (f"{r['others_busy_during']:.0%}" if r.get("others_busy_during") is not None else "–")
            + " |"
        )
    return lines


def render_section(rows, runs, machine, corpus_info, args, notes) -> str:
    m = machine
    dt = m.get("datatrove_env", {})
    L = [SECTION_TITLE, ""]
    L.append(
        f"Run on {corpus_info['when']} by `benchmarks/run_peers.py` ({args.reps} timed run{'s' if args.reps != 1 else ''} per configuration, "
        f"tools alternated run by run, after one untimed warm-up per tool; medians reported)."
    )
    L.append("")
    L.append(
        "Same input, same work for both tools: read JSONL.gz → drop docs shorter than 50 chars → exact dedup → "
        "Parquet (zstd). **docs/s per core = docs in / wall seconds / workers**; wall is the whole command "
        "(interpreter start-up, imports, all stages, until the last Parquet file is closed)."
    )
    L.append("")
    L += table_lines(rows)
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
        f"xxhash {dt.get('xxhash', '?')}, orjson {dt.get('orjson', '?')})."
    )
    L.append("")
    L.append("**How it was measured**")
    L.append("")
    L.append(
        "- Wall time: `time.perf_counter()` around the whole command, launched by `run_peers.py`."
    )
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
        "- Max 1-process RSS: `Maximum resident set size` of `/usr/bin/time -v` (wait4 rusage: the largest "
        "single process among the command and the descendants it waited for), not a sum. datatrove's pool "
        "workers are forked by its forkserver and not waited for by the command, so for datatrove with more "
        "than one worker this column shows its main process only; with one worker datatrove runs every task "
        "in its main process."
    )
    L.append(
        "- pdcorpus: `pdcorpus build CONFIG --output OUT --workers N --fresh` (config written by the script: "
        "`length: {min_chars: 50}`, `dedup: {method: exact}`, `shards: {max_bytes: 256MB, compression: zstd}`); "
        "rows out from `OUT/manifest.json` (`records_out`, checked against the shards' `rows` and the Parquet files)."
    )
    L.append(
        "- datatrove: `benchmarks/peers/datatrove_pipeline.py`, its exact-dedup path "
        "(`datatrove.pipeline.dedup.exact_dedup`) as three chained `LocalPipelineExecutor`s: "
        "(1) JsonlReader(gzip) → LambdaFilter(len ≥ 50) → ExactDedupSignature, tasks = input files; "
        "(2) ExactFindDedups, tasks = workers (hash buckets); (3) JsonlReader → LambdaFilter → ExactDedupFilter → "
        "ParquetWriter(zstd, datatrove's defaults otherwise: content-defined chunking"
        + (" **off** (`--no-cdc`)" if args.dt_no_cdc else " on")
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
    L.append("Reproduce: see `benchmarks/README.md` (`generate_corpus.py`, then `run_peers.py`). "
             "Raw numbers of this run, committed: `benchmarks/results/peers.json`.")
    L.append("")
    return "\n".join(L)


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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="pdcorpus vs datatrove: read → length filter → exact dedup → Parquet")
    ap.add_argument("--corpus", default=str(HERE / "data" / "corpus"), help="folder with *.jsonl.gz")
    ap.add_argument("--truth", default=None, help="ground truth folder (default <corpus>-truth)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs per tool before timing (default 1)")
    ap.add_argument("--workers", default="2,1", help="comma-separated worker counts (default 2,1)")
    ap.add_argument("--tools", default="pdcorpus,datatrove,datatrove-raw",
                    help="comma-separated: pdcorpus, datatrove (hashing --dt-content), datatrove-raw (hashing raw text)")
    ap.add_argument("--pdcorpus-cmd", default=None, help="command for pdcorpus (default: `pdcorpus` on PATH)")
    ap.add_argument("--dt-python", default=str(HERE / ".venv-datatrove" / "bin" / "python"))
    ap.add_argument("--dt-content", choices=["normalized", "raw"], default="normalized",
                    help="what datatrove hashes for exact dedup (default: normalized like pdcorpus)")
    ap.add_argument("--dt-no-cdc", action="store_true", help="turn off datatrove's default Parquet content-defined chunking")
    ap.add_argument("--work-dir", default=str(HERE / "out" / "peers"))
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--no-results", action="store_true", help="do not touch RESULTS.md")
    ap.add_argument("--interval", type=float, default=0.1, help="memory sampling interval in seconds")
    ap.add_argument("--wait-idle", type=float, default=0.3,
                    help="before each run, wait until other processes use less than this share of all CPUs "
                    "(0..1; default 0.3; 1 = don't wait)")
    ap.add_argument("--wait-max", type=float, default=60.0, help="longest wait for an idle machine per run, seconds")
    ap.add_argument("--keep-output", action="store_true", help="keep each run's output (default: only the last)")
    args = ap.parse_args(argv)
    # SIGTERM (e.g. `kill PID`) unwinds like Ctrl-C, so the running tool's process group is stopped too
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    corpus = Path(args.corpus).resolve()
    truth = Path(args.truth).resolve() if args.truth else corpus.parent / f"{corpus.name}-truth"
    work = Path(args.work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    files = sorted(corpus.glob("*.jsonl.gz"))
    if not files:
        print(f"no *.jsonl.gz in {corpus}: run benchmarks/generate_corpus.py first", file=sys.stderr)
        return 2
    worker_counts = [int(x) for x in args.workers.split(",") if x.strip()]
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]

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
    unique = summary.get("unique_texts_after_length_filter", {})
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

    notes: list[str] = []
    tools = []
    pd_cmd, pd_where = (args.pdcorpus_cmd.split(), args.pdcorpus_cmd) if args.pdcorpus_cmd else PdcorpusTool.find_cmd()
    if "pdcorpus" in wanted:
        if pd_cmd:
            tools.append(PdcorpusTool(pd_cmd, corpus, work))
        else:
            notes.append(f"pdcorpus was not run: {pd_where}.")
            print(f"!! skipping pdcorpus: {pd_where}", file=sys.stderr)
    dt_python = Path(args.dt_python)
    if "datatrove" in wanted or "datatrove-raw" in wanted:
        if dt_python.exists():
            if "datatrove" in wanted:
                tools.append(DatatroveTool(dt_python, corpus, args.dt_content, args.dt_no_cdc))
            if "datatrove-raw" in wanted:
                tools.append(DatatroveTool(dt_python, corpus, "raw", args.dt_no_cdc, name="datatrove-raw"))
        else:
            notes.append(f"datatrove was not run: {dt_python} missing (see benchmarks/README.md).")
            print(f"!! skipping datatrove: {dt_python} missing", file=sys.stderr)
    if not tools:
        print("nothing to run", file=sys.stderr)
        return 2

    machine = machine_info(dt_python, pd_where)
    env = dict(os.environ)
    env.setdefault("PYTHONHASHSEED", "0")
    runs: list[dict] = []

    def expected_for(tool) -> int | None:
        if not unique:
            return None
        if getattr(tool, "content", None) == "raw":
            return unique.get("raw")
        return unique.get("nfc_lower_ws")

    def one(tool, workers: int, rep: int, warmup: bool) -> dict:
        label = f"{tool.name}-w{workers}-" + (f"warmup{rep}" if warmup else f"rep{rep}")
        out = work / (label if args.keep_output else f"{tool.name}-w{workers}")
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(Path(str(out) + ".work"), ignore_errors=True)
        cmd = tool.command(workers, out)
        if args.wait_idle < 1:
            busy, waited = wait_until_idle(args.wait_idle, args.wait_max)
        else:
            busy, waited = machine_busy(1.0), 0.0
        res = run_measured(cmd, work / label, args.interval, env=env)
        res.update(tool=tool.name, workers=workers, rep=rep, warmup=warmup, cmd=cmd,
                   busy_before=busy, waited_s=waited, loadavg_before=os.getloadavg()[0])
        if res["rc"] == 0:
            res.update(tool.verify(out, res))
        res["expected_rows"] = expected_for(tool)
        status = "ok" if res["rc"] == 0 else f"FAILED rc={res['rc']}"
        print(
            f"  {label:<26} {status:<8} wall {res['wall_s']:7.2f} s  {docs_in / res['wall_s'] / workers:8,.0f} docs/s/core  "
            f"CPU {res['cpu_s']:6.1f} s  others busy before {busy:4.0%} during {res['others_busy_during']:4.0%}  "
            f"tree RSS {res['peak_tree_rss_mib']:7.0f} MiB  PSS {res['peak_tree_pss_mib']:7.0f} MiB  "
            f"rows {res.get('rows_out')} (expected {res['expected_rows']})",
            file=sys.stderr,
            flush=True,
        )
        if res["rc"] != 0:
            print(_tail(res["stderr"]), file=sys.stderr)
        runs.append(res)
        return res

    print(f"corpus: {desc}", file=sys.stderr)
    for workers in worker_counts:
        for w in range(args.warmup):
            for tool in tools:
                one(tool, workers, w, warmup=True)
        for rep in range(args.reps):
            order = tools if rep % 2 == 0 else list(reversed(tools))
            for tool in order:
                one(tool, workers, rep, warmup=False)

    machine["loadavg_end"] = os.getloadavg()
    rows = summarize(runs, docs_in)

    # agreement between tools and with the ground truth
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
                f"{r['tool']} ({r['workers']} worker(s)) kept {', '.join(_fmt(x) for x in got)} rows; the ground truth "
                f"expects {exp:,} (difference {got[0] - exp:+,})." if got and got[0] is not None else
                f"{r['tool']} ({r['workers']} worker(s)): row count unavailable."
            )
    pd_rows = {x for r in rows if r["tool"] == "pdcorpus" and r.get("ok") for x in r["rows_out"]}
    dt_rows = {x for r in rows if r["tool"] == "datatrove" and r.get("ok") for x in r["rows_out"]}
    raw_rows = {x for r in rows if r["tool"] == "datatrove-raw" and r.get("ok") for x in r["rows_out"]}
    if raw_rows:
        extra = ""
        if pd_rows and len(pd_rows) == 1 and len(raw_rows) == 1:
            extra = (f"; pdcorpus's normalised exact dedup (NFC, lower case, white space) removes "
                     f"{next(iter(raw_rows)) - next(iter(pd_rows)):,} more")
        notes.append(f"datatrove-raw (raw-text hash) kept {', '.join(_fmt(x) for x in sorted(raw_rows))} rows{extra}.")
    if pd_rows and dt_rows:
        if pd_rows == dt_rows:
            notes.append(f"Both tools kept the same number of rows ({', '.join(_fmt(x) for x in pd_rows)}).")
        else:
            notes.append(
                f"Row counts differ: pdcorpus {sorted(pd_rows)}, datatrove {sorted(dt_rows)}"
                + (" (datatrove hashed raw text: whitespace/case/Unicode-form variants stay)." if args.dt_content == "raw" else ".")
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
    corpus_info = {"desc": desc, "unique": unique, "when": when}
    payload = {
        "when": when,
        "args": vars(args),
        "docs_in": docs_in,
        "machine": machine,
        "corpus": corpus_info,
        "summary": rows,
        "runs": runs,
        "notes": notes,
    }
    # the raw numbers behind RESULTS.md are committed beside it (benchmarks/results/peers.json);
    # runs with --no-results go to the uncommitted out/ folder instead
    raw = HERE / "results" / "peers.json" if not args.no_results else HERE / "out" / "peers-scratch.json"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text(json.dumps(payload, indent=2, default=str))

    print()
    print("\n".join(table_lines(rows)))
    for n in notes:
        print(f"- {n}")
    if not args.no_results:
        update_results(Path(args.results), render_section(rows, runs, machine, corpus_info, args, notes))
        print(f"\nupdated {args.results}")
    return 0 if all(r.get("ok") == r.get("runs") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
