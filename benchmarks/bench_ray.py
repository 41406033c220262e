#!/usr/bin/env python3
"""Local runner against the Ray runner on this machine, and a paper estimate for Common Corpus on a cluster.

Pipeline (the one of run_peers.py): read JSONL.gz -> length >= 50 chars -> exact dedup -> Parquet (zstd, 256MB).

    python benchmarks/bench_ray.py [--corpus benchmarks/data/corpus] [--files N] [--reps 3] [--workers 2]

Ray binds some servers to every interface: on a shared machine run it where only loopback exists,
``unshare -n -- bash -c "ip link set lo up; python benchmarks/bench_ray.py ..."`` (as root).

* local: ``pdcorpus.build(config, workers=W)`` (W spawned processes);
* ray: a local Ray cluster of W CPUs started once by this script (its start-up is timed apart), then
  ``pdcorpus.build(config, runner=RayRunner())`` — the same code path as ``--runner ray`` on a cluster, with
  output and work on local disk (on one node they are shared).

Each runner builds ``--reps`` times (after one untimed warm-up each), alternating the order; reported: the
median wall time of the builds, docs/s, and from the manifests the summed task seconds per phase (the CPU
time the tasks took, which is what a cluster divides). From these per-record task costs the script writes a
paper estimate of the wall time for Common Corpus' size (about 2 trillion tokens) on 100 nodes of 32 cores,
showing the arithmetic. Writes benchmarks/results/ray.json and the section "Local against Ray" of
benchmarks/RESULTS.md (other sections are kept).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTION_TITLE = "## Local against Ray (runner overhead) and a cluster estimate"
TOKENS_COMMON_CORPUS = 2.0e12  # Common Corpus, about 2T tokens (arXiv:2506.01732; /work/shared/REFERENCE.md)
CHARS_PER_TOKEN = 4.0  # a BPE tokenizer on English prose: about 4 characters a token (assumption, stated)
NODES, CORES = 100, 32
PASSES = 8  # input read; exchange written and read 3 times; shards written


def config_text(files: list[Path], out: Path) -> str:
    paths = ", ".join(f'"{p}"' for p in files)
    return (f"name: bench-ray\noutput: {out}\nsources:\n  - name: bench\n    read: {{format: jsonl, paths: [{paths}]}}\n"
            "    fields: {id: doc_id, text: text, license: rights, url: url, date: date}\n"
            "stages:\n  - length: {min_chars: 50}\n  - dedup: {method: exact}\n"
            "shards: {max_bytes: 256MB, compression: zstd}\n")


def machine() -> dict:
    info = {"python": platform.python_version(), "platform": platform.platform(), "cores": os.cpu_count()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
        info["memory_gb"] = round(int(mem) / 2**20, 1)
    except OSError:
        pass
    try:
        info["load_average_at_start"] = os.getloadavg()
    except OSError:
        pass
    return info


def one_build(config: Path, out: Path, runner) -> tuple[float, dict]:
    from pdcorpus.builder import build

    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    manifest = build(str(config), runner=runner, progress=False, fresh=True)
    return time.perf_counter() - t0, manifest


def estimate(manifest: dict) -> dict:
    """Wall time for Common Corpus' size on NODES x CORES, from the build's per-record task seconds."""
    docs = manifest["records_in"]
    chars_out = sum(s["text_chars"] for s in manifest["sources"].values())
    chars_per_doc = chars_out / max(1, manifest["records_out"])
    tokens_per_doc = chars_per_doc / CHARS_PER_TOKEN
    target_docs = TOKENS_COMMON_CORPUS / tokens_per_doc
    phases = {}
    total_cpu = 0.0
    for name, t in manifest["timings"]["phases"].items():
        per_doc = t["task_seconds"] / docs
        cpu = per_doc * target_docs
        total_cpu += cpu
        phases[name] = {"task_seconds": t["task_seconds"], "seconds_per_million_docs": round(per_doc * 1e6, 3),
                        "cpu_hours_common_corpus": round(cpu / 3600, 1),
                        "wall_hours_on_cluster": round(cpu / (NODES * CORES) / 3600, 3)}
    text_tb = TOKENS_COMMON_CORPUS * CHARS_PER_TOKEN / 1e12
    compressed = text_tb / 3
    moved = compressed * PASSES
    return {"text_tb": text_tb, "compressed_tb": compressed, "moved_tb": moved,
            "storage_hours": round(moved * 1e12 / (NODES * 1e9) / 3600, 3), "bench_docs": docs, "chars_per_doc": round(chars_per_doc, 1), "tokens_per_doc": round(tokens_per_doc, 1),
            "target_docs": target_docs, "phases": phases, "total_cpu_hours": round(total_cpu / 3600, 1),
            "cluster_cores": NODES * CORES, "wall_hours": round(total_cpu / (NODES * CORES) / 3600, 2)}


def section(data: dict) -> str:
    m, loc, ray_ = data["machine"], data["local"], data["ray"]
    e = data["estimate"]
    lines = [SECTION_TITLE, "",
             f"Measured {data['date']} with `python benchmarks/bench_ray.py {' '.join(data['args'])}` on {m.get('cpu', '?')}, "
             f"{m['cores']} cores, {m.get('memory_gb', '?')} GB, Python {m['python']}, Ray {data['ray_version']} "
             f"(load average at start {m.get('load_average_at_start')}). Corpus: {data['docs']:,} documents in "
             f"{data['files']} files of `{data['corpus']}`; pipeline of run_peers.py (length ≥ 50, exact dedup, "
             f"Parquet zstd). Medians of {data['reps']} builds after one warm-up each, {data['workers']} workers.", "",
             "| runner | median wall s | docs/s | runs (s) |", "| --- | ---: | ---: | --- |"]
    for name, r in (("local", loc), ("ray", ray_)):
        lines.append(f"| {name} | {r['median']:.1f} | {data['docs'] / r['median']:,.0f} | "
                     f"{', '.join(f'{x:.1f}' for x in r['runs'])} |")
    lines += ["", f"Ray cluster start-up (once, not in the builds): {data['ray_start_seconds']:.1f} s.", "",
              "Summed task seconds per phase (the Ray build's manifest, `timings.phases[].task_seconds`):", "",
              "| phase | task s | s per 1M docs | CPU-hours at Common Corpus size | wall h on 100×32 cores |",
              "| --- | ---: | ---: | ---: | ---: |"]
    for name, p in e["phases"].items():
        lines.append(f"| {name} | {p['task_seconds']:.2f} | {p['seconds_per_million_docs']:,.1f} | "
                     f"{p['cpu_hours_common_corpus']:,.1f} | {p['wall_hours_on_cluster']:.3f} |")
    lines += ["", "**Paper estimate for Common Corpus (about 2×10¹² tokens) on 100 nodes × 32 cores:**", "",
              f"* tokens per document: {e['chars_per_doc']:,.0f} characters per output document / "
              f"{CHARS_PER_TOKEN:g} characters per token = {e['tokens_per_doc']:,.0f} tokens;",
              f"* documents: 2×10¹² / {e['tokens_per_doc']:,.0f} = {e['target_docs']:.3g};",
              f"* CPU time: Σ over phases (task seconds / {e['bench_docs']:,} docs) × {e['target_docs']:.3g} docs = "
              f"{e['total_cpu_hours']:,.0f} CPU-hours;",
              f"* wall time: {e['total_cpu_hours']:,.0f} h / {e['cluster_cores']:,} cores = **{e['wall_hours']:.2f} h**, "
              "if every core is busy (enough tasks: inputs of ≤1 GB each and `exchange.bucket_bytes` giving ≥ "
              "10 × 3,200 buckets) and storage keeps up (see below).", "",
              f"Storage, on paper: {e['text_tb']:.0f} TB of text ({CHARS_PER_TOKEN:g} bytes a token), about "
              f"{e['compressed_tb']:.1f} TB compressed (zstd, assumed 3:1), moved {PASSES} times (input read; "
              "exchange written and read three times: read→ids, ids→dedup, dedup→write; shards written) = "
              f"{e['moved_tb']:.0f} TB; at 1 GB/s per node, 100 GB/s in all, {e['storage_hours']:.2f} h, spread "
              "over the phases and overlapping the CPU work.", "",
              "What this leaves out: the per-phase barrier (a phase waits for its slowest task: with tasks of a few "
              "minutes, minutes per phase) and the driver's scheduling of some 10⁵ tasks a phase. The local "
              "runner's wall time includes starting its worker processes (spawned per build), the Ray runner's "
              "workers are warm after the warm-up build; on this busy 2-core machine the task seconds include "
              "waiting for a CPU, so the estimate is an upper bound for idle cores."
              " This is the run_peers.py pipeline (length filter, exact dedup); language identification, quality"
              " scores and MinHash add their own per-record task seconds (other sections here), which scale the"
              " CPU-hours the same way.", ""]
    return "\n".join(lines)


def write_results(data: dict) -> None:
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "ray.json").write_text(json.dumps(data, indent=2) + "\n")
    path = HERE / "RESULTS.md"
    text = path.read_text() if path.exists() else "# Benchmark results\n"
    new = section(data)
    pattern = re.compile(re.escape(SECTION_TITLE) + r".*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: new.rstrip("\n") + "\n", text) if pattern.search(text) else \
        text.rstrip("\n") + "\n\n" + new
    path.write_text(text)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", default=str(HERE / "data" / "corpus"))
    p.add_argument("--files", type=int, default=0, help="the first N input files (0: all)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--no-write", action="store_true", help="print only (a trial run)")
    args = p.parse_args()
    import ray

    from pdcorpus.runners.local import LocalRunner
    from pdcorpus.runners.ray import RayRunner

    files = sorted(Path(args.corpus).glob("*.jsonl.gz"))
    if args.files:
        files = files[: args.files]
    if not files:
        print(f"no *.jsonl.gz under {args.corpus} (python benchmarks/generate_corpus.py makes it)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        config = work / "bench.yaml"
        config.write_text(config_text(files, work / "out"))
        t0 = time.perf_counter()
        ray.init(num_cpus=args.workers, include_dashboard=False, _temp_dir=str(work / "ray"),
                 _node_ip_address="127.0.0.1", log_to_driver=False)
        ray_start = time.perf_counter() - t0
        runs: dict[str, list[float]] = {"local": [], "ray": []}
        manifests: dict[str, dict] = {}
        order = ["local", "ray"]
        make = {"local": lambda: LocalRunner(args.workers, progress=False),
                "ray": lambda: RayRunner(workers=args.workers, progress=False)}
        for name in order:  # warm-up (imports, Ray worker processes)
            one_build(config, work / "out", make[name]())
        for rep in range(args.reps):
            for name in order if rep % 2 == 0 else order[::-1]:
                seconds, manifests[name] = one_build(config, work / "out", make[name]())
                runs[name].append(seconds)
                print(f"{name} run {rep + 1}: {seconds:.1f} s", file=sys.stderr)
        assert [s["sha256"] for s in manifests["local"]["shards"]] == [s["sha256"] for s in manifests["ray"]["shards"]]
        data = {"date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "args": sys.argv[1:], "machine": machine(), "ray_version": ray.__version__,
                "corpus": args.corpus, "files": len(files), "docs": manifests["ray"]["records_in"],
                "workers": args.workers, "reps": args.reps, "ray_start_seconds": round(ray_start, 2),
                "local": {"runs": runs["local"], "median": statistics.median(runs["local"]),
                          "phases": manifests["local"]["timings"]["phases"]},
                "ray": {"runs": runs["ray"], "median": statistics.median(runs["ray"]),
                        "phases": manifests["ray"]["timings"]["phases"]},
                "estimate": estimate(manifests["ray"])}
        if not args.no_write:
            write_results(data)
        print(section(data))
    finally:
        if ray.is_initialized():
            ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
