"""The MinHash path end to end: read → exact dedup → MinHash near-dedup at 0.8 → Parquet, timed and measured.

Writes the section "MinHash path end to end" of RESULTS.md and results/minhash-path.json. For each corpus
(100k and 1M documents by default) and worker count: wall seconds of the whole `pdcorpus build` command,
docs/s per core (docs in / wall / workers), CPU seconds of the process tree, the peak of the tree's summed
PSS and the largest single process's peak RSS (sampled from /proc every 0.1 s), and what the build removed.
Recall and removal precision against the generator's truth are measured by bench_near_dedup.py (the same
signatures; see its section).

    python benchmarks/bench_minhash_path.py --corpus benchmarks/data/corpus,/work/bench1m/corpus --workers 2,1
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import tempfile
import sys
import threading
import time
from pathlib import Path

from _sections import cpu_model, write_section

HERE = Path(__file__).resolve().parent
SECTION = "## MinHash path end to end (exact, then MinHash at 0.8)"


def _tree(pid: int) -> list[int]:
    out = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            for child in fh.read().split():
                out += _tree(int(child))
    except OSError:
        pass
    return out


def _status(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def run(config: Path, workers: int) -> dict:
    cmd = ["pdcorpus", "build", str(config), "--workers", str(workers), "--fresh", "-q"]
    peaks = {"pss": 0, "proc": 0}
    done = threading.Event()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def sample() -> None:
        while not done.is_set():
            pids = _tree(proc.pid)
            peaks["pss"] = max(peaks["pss"], sum(_pss(p) for p in pids))
            peaks["proc"] = max([peaks["proc"]] + [_status(p, "VmHWM") for p in pids])
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    before = os.times()
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    after = os.times()
    if proc.returncode:
        raise SystemExit(f"build failed: {err.decode()[-2000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall": wall, "cpu": cpu, "tree_pss_mib": peaks["pss"], "largest_process_mib": peaks["proc"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(HERE / "data" / "corpus"), help="comma-separated folders of *.jsonl.gz")
    ap.add_argument("--workers", default="2,1")
    ap.add_argument("--reps", default="1", help="runs per corpus (comma-separated, one per corpus, or one for all)")
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args(argv)
    corpora = [Path(c).resolve() for c in args.corpus.split(",")]
    reps = [int(r) for r in args.reps.split(",")]
    reps = reps * len(corpora) if len(reps) == 1 else reps
    workers = [int(w) for w in args.workers.split(",")]
    load_start = os.getloadavg()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="minhash-path-"))
    try:
        for corpus, n_reps in zip(corpora, reps):
            config = work / f"{corpus.name}.yaml"
            out = work / f"out-{corpus.name}"
            config.write_text(
                f"name: minhash-path\noutput: {out}\nsources:\n"
                f"  - name: corpus\n    read: {{format: jsonl, paths: [\"{corpus}/*.jsonl.gz\"]}}\n"
                "    fields: {id: doc_id, text: text, url: url, date: date}\n"
                f"stages:\n  - dedup: {{method: exact}}\n  - dedup: {{method: minhash, threshold: {args.threshold}}}\n"
                "shards: {max_bytes: 256MB, compression: zstd}\n")
            for rep in range(n_reps):
                for w in workers:
                    measured = run(config, w)
                    manifest = json.loads((out / "manifest.json").read_text())
                    docs = manifest["records_in"]
                    row = {"corpus": str(corpus), "docs": docs, "workers": w, "rep": rep, **measured,
                           "docs_per_s_per_core": docs / measured["wall"] / w, "records_out": manifest["records_out"],
                           "dropped": manifest["dropped"],
                           "phases": {k: v["wall_seconds"] for k, v in manifest["timings"]["phases"].items()}}
                    rows.append(row)
                    print(json.dumps({k: v for k, v in row.items() if k != "phases"}), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": rows, "load_start": load_start,
           "load_end": os.getloadavg(), "cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version(),
           "command": "python benchmarks/bench_minhash_path.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    lines = [SECTION, "",
             f"Run on {out['when']} by `benchmarks/bench_minhash_path.py` (one build per row; the machine is "
             "shared, so wall times carry its noise). `pdcorpus build` with `dedup: {method: exact}` then "
             f"`dedup: {{method: minhash, threshold: {args.threshold}}}`, Parquet zstd. **docs/s per core** = docs in "
             "/ wall seconds of the whole command / workers. PSS: the peak of the process tree's summed PSS; "
             "largest process: the highest VmHWM of any process in the tree.", "",
             "| corpus | docs | workers | wall (s) | docs/s per core | CPU (s) | tree PSS (MiB) | largest process (MiB) | out | removed near / exact |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        near = sum(v for k, v in r["dropped"].items() if "near" in k)
        exact = sum(v for k, v in r["dropped"].items() if k.endswith(":duplicate"))
        lines.append(f"| {Path(r['corpus']).name} | {r['docs']:,} | {r['workers']} | {r['wall']:.1f} | "
                     f"**{r['docs_per_s_per_core']:,.0f}** | {r['cpu']:.1f} | {r['tree_pss_mib']:,} | "
                     f"{r['largest_process_mib']:,} | {r['records_out']:,} | {near:,} / {exact:,} |")
    lines += ["", "Phase wall seconds: " + "; ".join(
        f"{Path(r['corpus']).name} × {r['workers']}: " + ", ".join(f"{k} {v:.1f}" for k, v in r["phases"].items())
        for r in rows), "",
        f"Machine: {out['cpu']}, {out['cores']} cores, load average {load_start[0]:.2f} at start, "
        f"{out['load_end'][0]:.2f} at end. Raw: `benchmarks/results/minhash-path.json`. Command: `{out['command']}`.", ""]
    print("\n".join(lines))
    if not args.no_results:
        (HERE / "results" / "minhash-path.json").write_text(json.dumps(out, indent=1))
        write_section(HERE / "RESULTS.md", SECTION, "\n".join(lines))
    return 0



if __name__ == "__main__":
    raise SystemExit(main())
