"""Near-dedup (MinHash LSH) against the benchmark generator's ground truth: quality, speed, memory.

    python benchmarks/bench_near_dedup.py [--docs-dir benchmarks/data/corpus] [--runs 3] [--workers 2] [--margin 0.1]

1. Quality: builds the benchmark corpus with only `dedup: {method: minhash, threshold: T}` and compares
   the clusters it made (kept records' `dedup_cluster`, rejects' "near-duplicate of X") with the truth:
   every pair the generator made (near copies at several similarity levels, exact copies), its true
   Jaccard similarity computed here from the texts on the same word 5-grams pdcorpus uses. A pair is a
   true near-duplicate when that Jaccard is >= T. Precision and recall are over pairs: predicted pairs
   are the pairs of records in one cluster (a cluster is a survivor and the records removed in its
   place); "removal precision" asks, of each removed record, whether it is a true near-duplicate of the
   survivor kept in its place; "edge precision" counts the candidate pairs pdcorpus verified.
2. Speed: the signature stage alone (MinHasher.signatures on one core, docs/s), and the whole build
   (docs/s per core from wall time).
3. Memory: the build's peak RSS per process (largest worker) and of the whole process tree, sampled
   from /proc every 50 ms, for the corpus and for a ten times larger one (`--big-dir`: 1M documents made
   by `generate_corpus.py --docs 1000000 --files 40 --seed 1 --out benchmarks/data/corpus-1m`), to show
   that a worker's peak does not grow with the corpus.

4. Near the threshold: the same build with exact decisions near the threshold (`exact_margin`, the
   default) and without (`exact_margin: 0`), run alternately `--runs` times each: recall by band of true
   similarity (>= t + 0.05, [t, t + 0.05), [t - 0.05, t), < t - 0.05), removals by the same bands, wall and
   CPU time of each, and their ratio.

Writes the "Near-dedup (MinHash)" section of benchmarks/RESULTS.md and the raw figures to
benchmarks/results/near-dedup.json (`--json`). The memory run on 1M documents is skipped (and said so)
when its corpus is not there.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"\w+")


def shingles(text: str, k: int = 5) -> set:
    words = WORD.findall(text.lower())
    if len(words) < k:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def tree_rss(root: int) -> tuple[int, int]:
    """(sum of RSS, largest single RSS) in bytes over the process tree under ``root``."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            with open(f"/proc/{entry}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1]) * 1024
        except (OSError, IndexError):
            continue
    total, largest, stack = 0, 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        largest = max(largest, rss.get(pid, 0))
        stack.extend(children.get(pid, []))
    return total, largest


def run_build(config: Path, workers: int) -> dict:
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pdcorpus.cli", "build", str(config), "--workers", str(workers),
                             "--fresh", "-q", "--keep-work"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peaks = [0, 0]

    def sample() -> None:
        while proc.poll() is None:
            total, largest = tree_rss(proc.pid)
            peaks[0], peaks[1] = max(peaks[0], total), max(peaks[1], largest)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"build failed: {err.decode()[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds of the build and the workers it waited for: less sensitive than wall time to other load
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": time.perf_counter() - start, "cpu": cpu, "tree_rss": peaks[0], "worker_rss": peaks[1]}


def write_config(path: Path, output: Path, patterns: list[str], threshold: float, extra_stages: str = "",
                 margin: float | None = None) -> None:
    margin_option = "" if margin is None else f", exact_margin: {margin}"
    path.write_text(
        f"name: near-dedup-bench\noutput: {output}\nsources:\n"
        f"  - name: bench\n    read: {{format: jsonl, paths: {json.dumps(patterns)}}}\n"
        f"    fields: {{id: doc_id, text: text}}\n    metadata: null\n"
        f"stages:\n{extra_stages}  - dedup: {{method: minhash, threshold: {threshold}{margin_option}}}\n"
        f"shards: {{max_bytes: 256MB}}\n")


def removals_of(output: Path) -> list[tuple[str, str]]:
    """(removed doc, the survivor kept in its place), from the rejects."""
    manifest = json.loads((output / "manifest.json").read_text())
    out = []
    for name in manifest["rejects"]["files"]:
        for line in (output / name).read_text().splitlines():
            reject = json.loads(line)
            if reject["reason"] == "near-duplicate":
                out.append((reject["id"].split(":", 1)[1], reject["detail"].split()[1].split(":", 1)[1]))
    return out


def clusters_of(output: Path) -> dict[str, str]:
    """doc id -> cluster id, for every record pdcorpus put in a cluster."""
    import pyarrow.parquet as pq
    manifest = json.loads((output / "manifest.json").read_text())
    member: dict[str, str] = {}
    for shard in manifest["shards"]:
        table = pq.read_table(output / shard["path"], columns=["id", "dedup_cluster"])
        for rid, cluster in zip(table.column("id").to_pylist(), table.column("dedup_cluster").to_pylist()):
            if cluster:
                member[rid.split(":", 1)[1]] = cluster.split(":", 1)[1]
    for name in manifest["rejects"]["files"]:
        for line in (output / name).read_text().splitlines():
            reject = json.loads(line)
            if reject["reason"] == "near-duplicate":
                survivor = reject["detail"].split()[1]
                member[reject["id"].split(":", 1)[1]] = survivor.split(":", 1)[1]
    return member


def verified_edges(output: Path) -> list[tuple[str, str]]:
    """The pairs pdcorpus compared and found similar, from the work folder (kept with --keep-work)."""
    import numpy as np
    import pyarrow.parquet as pq
    work = output / ".work"
    ids: dict[int, str] = {}
    for path in work.glob("p0-read/*.signatures.parquet"):
        table = pq.read_table(path, columns=["key", "id"])
        ids.update(zip(table.column("key").to_pylist(), (i.split(":", 1)[1] for i in table.column("id").to_pylist())))
    edges = []
    for path in work.glob("p1-dedup-minhash-bands/*.parquet"):
        table = pq.read_table(path)
        edges.extend(zip(table.column("a").to_pylist(), table.column("b").to_pylist()))
    signatures = {}
    for path in work.glob("p0-read/*.signatures.parquet"):
        table = pq.read_table(path, columns=["key", "signature"])
        for key, sig in zip(table.column("key").to_pylist(), table.column("signature").to_pylist()):
            signatures[key] = np.frombuffer(sig, dtype=np.uint32)
    manifest = json.loads((output / "manifest.json").read_text())
    threshold = next(iter(manifest["near_dedup"].values()))["threshold"]
    return [(ids[a], ids[b]) for a, b in edges if float(np.mean(signatures[a] == signatures[b])) >= threshold]


def signature_speed(texts: list[str], runs: int) -> float:
    from pdcorpus.minhash import MinHasher
    hasher = MinHasher()
    hasher.signatures(texts[:512])  # warm-up
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for lo in range(0, len(texts), 512):
            hasher.signatures(texts[lo:lo + 512])
        rates.append(len(texts) / (time.perf_counter() - start))
    return statistics.median(rates)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    load = open("/proc/loadavg").read().split()[:3]
    import numpy
    import pyarrow
    return (f"{cpu}, {os.cpu_count()} cores, {mem / 2**20:.1f} GiB RAM, Python {platform.python_version()}, "
            f"numpy {numpy.__version__}, pyarrow {pyarrow.__version__}; load average at start {', '.join(load)}")


def write_section(text: str) -> None:
    results = HERE / "RESULTS.md"
    current = results.read_text() if results.exists() else "# pdcorpus benchmark results\n"
    title = "## Near-dedup (MinHash)"
    parts = re.split(r"(?m)^(?=## )", current)
    kept = [p for p in parts if not p.startswith(title)]
    results.write_text("".join(kept).rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n")


def similarity_band(j: float, t: float) -> str:
    """Which of four bands around the threshold a true similarity falls in (bounds rounded: 0.8 + 0.05
    is 0.8500000000000001 in floating point)."""
    if j >= round(t + 0.05, 6):
        return "high"
    if j >= t:
        return "above"
    if j >= round(t - 0.05, 6):
        return "below"
    return "low"


BAND_LABELS = {"high": "≥ t + 0.05", "above": "[t, t + 0.05)", "below": "[t − 0.05, t)", "low": "< t − 0.05"}


def quality(output: Path, threshold: float, truth: dict[tuple[str, str], float], sim) -> dict:
    """Clusters and removals of one build against the truth, by band of true similarity."""
    manifest = json.loads((output / "manifest.json").read_text())
    member = clusters_of(output)
    removals = removals_of(output)
    by_cluster: dict[str, list[str]] = {}
    for doc, cluster in member.items():
        by_cluster.setdefault(cluster, []).append(doc)
    predicted = {tuple(sorted(p)) for docs in by_cluster.values() for p in itertools.combinations(docs, 2)}
    recall = {band: [0, 0] for band in BAND_LABELS}
    missed_high: list[float] = []
    for pair, j in truth.items():
        band = similarity_band(j, threshold)
        recall[band][1] += 1
        if pair in predicted:
            recall[band][0] += 1
        elif band == "high":
            missed_high.append(j)
    removed = {band: 0 for band in BAND_LABELS}
    removal_j = []
    for doc, survivor in removals:
        j = sim(doc, survivor)
        removal_j.append(j)
        removed[similarity_band(j, threshold)] += 1
    predicted_j = [sim(a, b) for a, b in predicted]
    true_pairs = {p for p, j in truth.items() if j >= threshold}
    return {
        "shards": {s["path"]: s["sha256"] for s in manifest["shards"]},
        "near_dedup": next(iter(manifest["near_dedup"].values())),
        "records_in": manifest["records_in"], "records_out": manifest["records_out"],
        "recall_by_band": {band: {"pairs": total, "found": found} for band, (found, total) in recall.items()},
        "missed_high": sorted(missed_high),
        "removed_by_band": removed, "removals": len(removals),
        "removal_true_j_min": min(removal_j) if removal_j else None,
        "pairs_in_clusters": len(predicted),
        "pairs_in_clusters_below_t": sum(j < threshold for j in predicted_j),
        "pairs_in_clusters_below_t_minus_0.05": sum(j < round(threshold - 0.05, 6) for j in predicted_j),
        "recall_at_t": len(true_pairs & predicted) / len(true_pairs) if true_pairs else 1.0,
        "precision_at_t": sum(j >= threshold for j in predicted_j) / len(predicted_j) if predicted_j else 1.0,
        "removal_precision_at_t": sum(j >= threshold for j in removal_j) / len(removal_j) if removal_j else 1.0,
        "recall_by_target": targets_found(predicted),
    }


TRUTH_DIR: Path = HERE / "data" / "corpus-truth"


def targets_found(predicted: set) -> dict[str, list[int]]:
    levels: dict[str, list[int]] = {}
    for line in (TRUTH_DIR / "near_pairs.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("target") is not None:
            hit = levels.setdefault(str(row["target"]), [0, 0])
            hit[0] += tuple(sorted((row["a"], row["b"]))) in predicted
            hit[1] += 1
    return levels


def main() -> None:
    global TRUTH_DIR
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs-dir", default=str(HERE / "data" / "corpus"))
    ap.add_argument("--truth", default=str(HERE / "data" / "corpus-truth"))
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--margin", type=float, default=0.1,
                    help="exact_margin of the build 'with' exact decisions (the build 'without' has exact_margin: 0)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-dir", default=str(HERE / "data" / "corpus-1m"),
                    help="a larger corpus for the memory measurement (generate_corpus.py --docs 1000000); "
                         "skipped, and said so, when it is not there")
    ap.add_argument("--json", default=str(HERE / "results" / "near-dedup.json"), help="where the raw figures go")
    ap.add_argument("--no-write", action="store_true", help="do not rewrite RESULTS.md (the JSON is still written)")
    args = ap.parse_args()
    docs_dir, truth_dir = Path(args.docs_dir).resolve(), Path(args.truth)  # the config lives elsewhere: paths in it are absolute
    TRUTH_DIR = truth_dir
    files = sorted(docs_dir.glob("*.jsonl.gz"))
    if not files:
        raise SystemExit(f"no corpus in {docs_dir}: run benchmarks/generate_corpus.py first")
    started = machine()
    texts: dict[str, str] = {}
    for path in files:
        with gzip.open(path, "rb") as fh:
            for line in fh:
                row = orjson.loads(line)
                texts[row["doc_id"]] = row["text"]
    cache: dict[str, set] = {}

    def sh(doc: str) -> set:
        if doc not in cache:
            cache[doc] = shingles(texts[doc])
        return cache[doc]

    def sim(a: str, b: str) -> float:
        return jaccard(sh(a), sh(b))

    # The truth: every pair the generator made (near copies and exact copies), with its Jaccard measured
    # here on the word 5-grams pdcorpus hashes.
    pairs: set[tuple[str, str]] = set()
    for line in (truth_dir / "near_pairs.jsonl").read_text().splitlines():
        row = json.loads(line)
        pairs.add(tuple(sorted((row["a"], row["b"]))))
    groups: dict[str, list[str]] = {}
    for line in (truth_dir / "truth.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row.get("exact_group"):
            groups.setdefault(row["exact_group"], []).append(row["doc_id"])
    for members in groups.values():
        pairs.update(tuple(sorted(p)) for p in itertools.combinations(members, 2))
    truth = {p: sim(*p) for p in pairs if p[0] in texts and p[1] in texts}

    settings = {"without": 0.0, "with": args.margin}
    work = Path(tempfile.mkdtemp(prefix="pdcorpus-near-"))
    builds: dict[str, list[dict]] = {name: [] for name in settings}
    try:
        configs = {}
        for name, margin in settings.items():
            configs[name] = (work / f"near-{name}.yaml", work / f"out-{name}")
            write_config(configs[name][0], configs[name][1], [str(docs_dir / "*.jsonl.gz")], args.threshold,
                         margin=margin)
        # Alternately, in the same session (the machine is shared): without, with; then with, without; ...
        for run in range(args.runs):
            for name in (list(settings) if run % 2 == 0 else list(settings)[::-1]):
                config, output = configs[name]
                result = run_build(config, args.workers)
                manifest = json.loads((output / "manifest.json").read_text())
                result["phases"] = {k: v["wall_seconds"] for k, v in manifest["timings"]["phases"].items()}
                result["shards"] = [s["sha256"] for s in manifest["shards"]]
                builds[name].append(result)
        qualities = {name: quality(configs[name][1], args.threshold, truth, sim) for name in settings}
        for name in settings:
            assert len({tuple(b["shards"]) for b in builds[name]}) == 1, f"{name}: runs gave different shards"
        output = configs["with"][1]
        manifest = json.loads((output / "manifest.json").read_text())
        member = clusters_of(output)
        removals = removals_of(output)
        edges = verified_edges(output)

        true_pairs = {p for p, j in truth.items() if j >= args.threshold}
        by_cluster: dict[str, list[str]] = {}
        for doc, cluster in member.items():
            by_cluster.setdefault(cluster, []).append(doc)
        predicted = {tuple(sorted(p)) for docs in by_cluster.values() for p in itertools.combinations(docs, 2)}
        predicted_true = {p for p in predicted if sim(*p) >= args.threshold}
        precision = len(predicted_true) / len(predicted) if predicted else 1.0
        recall = len(true_pairs & predicted) / len(true_pairs) if true_pairs else 1.0
        edge_true = sum(sim(a, b) >= args.threshold for a, b in edges)
        removal_true = sum(sim(a, b) >= args.threshold for a, b in removals)
        removal_precision = removal_true / len(removals) if removals else 1.0
        edge_precision = edge_true / len(edges) if edges else 1.0
        missed_near = sorted(sim(a, b) for a, b in true_pairs - predicted)
        false_j = sorted(sim(a, b) for a, b in predicted - predicted_true)

        # Speed of the signature stage alone, on one core.
        sample = list(texts.values())[:20000]
        sig_rate = signature_speed(sample, args.runs)

        # Memory: a worker's peak for the corpus and for one ten times larger (when it was generated).
        big = Path(args.big_dir).resolve()
        big_build = big_manifest = big_info = None
        if list(big.glob("*.jsonl.gz")):
            big_config, big_output = work / "big.yaml", work / "big-out"
            write_config(big_config, big_output, [str(big / "*.jsonl.gz")], args.threshold)
            big_build = run_build(big_config, args.workers)
            big_manifest = json.loads((big_output / "manifest.json").read_text())
            big_info = next(iter(big_manifest["near_dedup"].values()))
    finally:
        ended_load = ", ".join(open("/proc/loadavg").read().split()[:3])
        shutil.rmtree(work, ignore_errors=True)

    t = args.threshold
    walls = {name: [b["wall"] for b in runs] for name, runs in builds.items()}
    cpus = {name: [b["cpu"] for b in runs] for name, runs in builds.items()}
    cpu_ratio = statistics.median(cpus["with"]) / statistics.median(cpus["without"])
    wall = statistics.median(walls["with"])
    ratio = statistics.median(walls["with"]) / statistics.median(walls["without"])
    pair_ratios = [w / o for w, o in zip(walls["with"], walls["without"])]
    cluster_phase = {name: statistics.median(next(v for k, v in b["phases"].items() if k.endswith("-clusters"))
                                             for b in runs) for name, runs in builds.items()}
    docs = manifest["records_in"]
    info = next(iter(manifest["near_dedup"].values()))
    when = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    raw = {"run_at": when, "time_ratio_wall": ratio, "time_ratio_cpu": cpu_ratio, "machine": started, "load_at_end": ended_load, "threshold": t, "margin": args.margin,
           "workers": args.workers, "runs": args.runs, "docs": docs, "files": len(files),
           "truth_pairs": len(truth), "builds": builds, "quality": qualities,
           "signature_docs_per_s": sig_rate, "removal_precision": removal_precision, "precision": precision,
           "recall": recall, "edge_precision": edge_precision,
           "big": None if big_build is None else {"build": big_build, "records_in": big_manifest["records_in"],
                                                   "near_dedup": big_info}}
    lines = [
        "## Near-dedup (MinHash)",
        "",
        f"Run on {when} by `benchmarks/bench_near_dedup.py` "
        f"({args.runs} runs of each setting, alternating; medians). Machine: {started}; at the end {ended_load} "
        "(shared machine). Raw figures: `benchmarks/results/near-dedup.json`.",
        "",
        f"Input: the benchmark corpus, {docs:,} documents in {len(files)} JSONL.gz files "
        f"(`generate_corpus.py --seed 0`): near copies made at Jaccard targets 0.95 … 0.5, and exact copies. "
        f"Pipeline: `dedup: {{method: minhash, threshold: {t}}}` alone "
        f"(num_perm {info['num_perm']}, word {info['ngram']}-grams, {info['bands']} bands x {info['rows']} rows, "
        f"chosen from the threshold), {args.workers} workers.",
        "",
        f"### Near the threshold: exact decisions within `exact_margin` ({args.margin}) of it",
        "",
        f"A candidate pair whose estimate (agreement of the 128-permutation signatures) is within "
        f"`exact_margin` of the threshold is decided on the exact Jaccard similarity of the two records' "
        f"shingle sets, recomputed from their texts in the clusters phase (only for the records of such pairs). "
        f"\"without\" is the same code with `exact_margin: 0` (decisions on the estimate alone, as before). "
        f"Truth: {len(truth):,} pairs the generator made (near and exact copies), their true Jaccard measured here "
        f"on the word 5-grams; \"found\" = both records in one cluster (a survivor and the records removed in its "
        f"place); \"removed\" = a record removed, by the true Jaccard with the survivor kept in its place.",
        "",
        "| true Jaccard (t = %s) | pairs | found, without | found, with |" % t,
        "|---|---|---|---|",
    ]
    for band, label in BAND_LABELS.items():
        row = [qualities[n]["recall_by_band"][band] for n in settings]
        total = row[0]["pairs"]
        cells = [f"{r['found']:,} ({r['found'] / total:.2%})" if total else "—" for r in row]
        lines.append(f"| {label} | {total:,} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "| removed records, by true Jaccard with their survivor | without | with |",
        "|---|---|---|",
    ]
    for band, label in BAND_LABELS.items():
        lines.append(f"| {label} | {qualities['without']['removed_by_band'][band]:,} | "
                     f"{qualities['with']['removed_by_band'][band]:,} |")
    q0, q1 = qualities["without"], qualities["with"]
    lines += [
        f"| all removals / lowest true Jaccard of a removal | {q0['removals']:,} / {q0['removal_true_j_min']:.3f} | "
        f"{q1['removals']:,} / {q1['removal_true_j_min']:.3f} |",
        f"| pairs in one cluster below t − 0.05 (two removed copies of one survivor) | "
        f"{q0['pairs_in_clusters_below_t_minus_0.05']:,} | {q1['pairs_in_clusters_below_t_minus_0.05']:,} |",
        f"| pairs decided on exact similarity / records whose texts were read for it | 0 / 0 | "
        f"{q1['near_dedup'].get('exact_pairs', 0):,} / {q1['near_dedup'].get('exact_records', 0):,} |",
        f"| whole build, wall (median; each run) | {statistics.median(walls['without']):.1f} s "
        f"({', '.join(f'{w:.1f}' for w in walls['without'])}) | {statistics.median(walls['with']):.1f} s "
        f"({', '.join(f'{w:.1f}' for w in walls['with'])}) |",
        f"| whole build, CPU seconds of the build's processes (median; each run) | "
        f"{statistics.median(cpus['without']):.1f} s ({', '.join(f'{c:.1f}' for c in cpus['without'])}) | "
        f"{statistics.median(cpus['with']):.1f} s ({', '.join(f'{c:.1f}' for c in cpus['with'])}) |",
        f"| clusters phase, wall (median) | {cluster_phase['without']:.2f} s | {cluster_phase['with']:.2f} s |",
        "",
        f"Time with / without: **{ratio:.3f}** in wall time (ratio of medians; of the runs paired in order: "
        f"{', '.join(f'{r:.3f}' for r in pair_ratios)}), **{cpu_ratio:.3f}** in CPU time. "
        f"Missed pairs ≥ t + 0.05: without {len(q0['missed_high'])} "
        f"({', '.join(f'{j:.3f}' for j in q0['missed_high'][:12])}{' …' if len(q0['missed_high']) > 12 else ''}), "
        f"with {len(q1['missed_high'])} ({', '.join(f'{j:.3f}' for j in q1['missed_high'][:12])}"
        f"{' …' if len(q1['missed_high']) > 12 else ''}). Each setting gave the same shards in all its runs.",
        "",
        f"### With exact decisions (the default): quality, speed, memory",
        "",
        "| measure | value |",
        "|---|---|",
        f"| **removal precision** (removed records whose true Jaccard with the record kept in their place "
        f">= {t}) | **{removal_precision:.3f}** ({removal_true:,} of {len(removals):,}) |",
        f"| precision (pairs in one cluster whose true Jaccard >= {t}) | **{precision:.3f}** "
        f"({len(predicted_true):,} of {len(predicted):,}) |",
        f"| recall (true pairs, Jaccard >= {t}, found in one cluster) | **{recall:.3f}** "
        f"({len(true_pairs & predicted):,} of {len(true_pairs):,}) |",
        f"| edge precision (candidate pairs whose estimate >= {t}) | {edge_precision:.3f} "
        f"({edge_true:,} of {len(edges):,}) |",
        f"| candidate pairs from the bands / verified | {info['candidate_pairs']:,} / {info['similar_pairs']:,} |",
        f"| clusters / records in clusters | {info['clusters']:,} / {info['records_in_clusters']:,} |",
        f"| signature stage alone, 1 core | **{sig_rate:,.0f} docs/s** |",
        f"| whole build, wall | {wall:.1f} s, {docs / wall / args.workers:,.0f} docs/s per core |",
        f"| peak RSS of one process (largest worker), {docs:,} docs | {builds['with'][-1]['worker_rss'] / 2**20:,.0f} MiB |",
        f"| peak RSS of the whole process tree, {docs:,} docs | {builds['with'][-1]['tree_rss'] / 2**20:,.0f} MiB |",
    ]
    if big_build is not None:
        lines += [
            f"| peak RSS of one process, {big_manifest['records_in']:,} docs | "
            f"**{big_build['worker_rss'] / 2**20:,.0f} MiB** |",
            f"| peak RSS of the whole process tree, {big_manifest['records_in']:,} docs | "
            f"{big_build['tree_rss'] / 2**20:,.0f} MiB |",
            f"| whole build of {big_manifest['records_in']:,} docs, wall | {big_build['wall']:.1f} s, "
            f"{big_manifest['records_in'] / big_build['wall'] / args.workers:,.0f} docs/s per core; "
            f"{big_info['records_in_clusters']:,} records in {big_info['clusters']:,} clusters |",
        ]
    lines += [
        "",
        "Recall by the generator's similarity target (pairs of an original and its near copy; targets are "
        "approximate, the true Jaccard of a pair varies around its target):",
        "",
        "| target | pairs | found, without | found, with |",
        "|---|---|---|---|",
    ]
    for target in sorted(q1["recall_by_target"], key=float, reverse=True):
        (f0, total), (f1, _) = q0["recall_by_target"][target], q1["recall_by_target"][target]
        lines.append(f"| {target} | {total:,} | {f0 / total:.3f} | {f1 / total:.3f} |")
    lines += [
        "",
        f"Missed true pairs (with): {len(missed_near):,}"
        + (f", true Jaccard from {missed_near[0]:.3f} to {missed_near[-1]:.3f} (median {statistics.median(missed_near):.3f})"
           if missed_near else "")
        + f". Pairs put together below the threshold: {len(false_j):,}"
        + (f", true Jaccard from {false_j[0]:.3f} to {false_j[-1]:.3f} (median {statistics.median(false_j):.3f})"
           if false_j else "") + ".",
        "",
        "How measured: true Jaccard from the texts, lower-cased `\\w+` words, 5-grams (what pdcorpus hashes). "
        "Peak RSS sampled from /proc every 50 ms (the largest single process, and the sum over the tree, which "
        "counts shared pages once per process). "
        + ("The 1M-document corpus is generated like the first with another seed "
           "(`--docs 1000000 --files 40 --seed 1`)." if big_build is not None else
           f"The 1M-document memory run was not repeated this time (no corpus in `{args.big_dir}`; make it with "
           "`generate_corpus.py --docs 1000000 --files 40 --seed 1`); the previous figures (2026-11-26, before "
           "exact decisions): 481 MiB largest process, 243.4 s wall."),
    ]
    text = "\n".join(lines)
    print(text)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(raw, indent=1, sort_keys=True) + "\n")
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
