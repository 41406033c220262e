"""Near-dedup (MinHash LSH) against the benchmark generator's ground truth: quality, speed, memory.

    python benchmarks/bench_near_dedup.py [--docs-dir benchmarks/data/corpus] [--runs 3] [--workers 2]

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

Writes the "Near-dedup (MinHash)" section of benchmarks/RESULTS.md.
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
    return {"wall": time.perf_counter() - start, "tree_rss": peaks[0], "worker_rss": peaks[1]}


def write_config(path: Path, output: Path, patterns: list[str], threshold: float, extra_stages: str = "") -> None:
    path.write_text(
        f"name: near-dedup-bench\noutput: {output}\nsources:\n"
        f"  - name: bench\n    read: {{format: jsonl, paths: {json.dumps(patterns)}}}\n"
        f"    fields: {{id: doc_id, text: text}}\n    metadata: null\n"
        f"stages:\n{extra_stages}  - dedup: {{method: minhash, threshold: {threshold}}}\n"
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs-dir", default=str(HERE / "data" / "corpus"))
    ap.add_argument("--truth", default=str(HERE / "data" / "corpus-truth"))
    ap.add_argument("--threshold", type=float, default=0.8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big-dir", default=str(HERE / "data" / "corpus-1m"),
                    help="a larger corpus for the memory measurement (generate_corpus.py --docs 1000000)")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    docs_dir, truth_dir = Path(args.docs_dir).resolve(), Path(args.truth)  # the config lives elsewhere: paths in it are absolute
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

    work = Path(tempfile.mkdtemp(prefix="pdcorpus-near-"))
    try:
        config, output = work / "near.yaml", work / "out"
        write_config(config, output, [str(docs_dir / "*.jsonl.gz")], args.threshold)
        builds = [run_build(config, args.workers) for _ in range(args.runs)]
        manifest = json.loads((output / "manifest.json").read_text())
        member = clusters_of(output)
        removals = removals_of(output)
        edges = verified_edges(output)

        # The truth: every pair the generator made, with its Jaccard measured on our shingles.
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
        cache: dict[str, set] = {}

        def sh(doc: str) -> set:
            if doc not in cache:
                cache[doc] = shingles(texts[doc])
            return cache[doc]

        true_pairs = {p for p in pairs if p[0] in texts and p[1] in texts and jaccard(sh(p[0]), sh(p[1])) >= args.threshold}
        by_cluster: dict[str, list[str]] = {}
        for doc, cluster in member.items():
            by_cluster.setdefault(cluster, []).append(doc)
        predicted = {tuple(sorted(p)) for docs in by_cluster.values() for p in itertools.combinations(docs, 2)}
        predicted_true = {p for p in predicted if jaccard(sh(p[0]), sh(p[1])) >= args.threshold}
        precision = len(predicted_true) / len(predicted) if predicted else 1.0
        recall = len(true_pairs & predicted) / len(true_pairs) if true_pairs else 1.0
        edge_true = sum(jaccard(sh(a), sh(b)) >= args.threshold for a, b in edges)
        removal_true = sum(jaccard(sh(a), sh(b)) >= args.threshold for a, b in removals)
        removal_precision = removal_true / len(removals) if removals else 1.0
        edge_precision = edge_true / len(edges) if edges else 1.0
        levels = {}
        for line in (truth_dir / "near_pairs.jsonl").read_text().splitlines():
            row = json.loads(line)
            if row.get("target") is not None:
                pair = tuple(sorted((row["a"], row["b"])))
                hit = levels.setdefault(row["target"], [0, 0])
                hit[0] += pair in predicted
                hit[1] += 1
        missed_near = sorted(jaccard(sh(a), sh(b)) for a, b in true_pairs - predicted)
        false_j = sorted(jaccard(sh(a), sh(b)) for a, b in predicted - predicted_true)

        # Speed of the signature stage alone, on one core.
        sample = list(texts.values())[:20000]
        sig_rate = signature_speed(sample, args.runs)

        # Memory: a worker's peak for the corpus and for one ten times larger.
        big = Path(args.big_dir).resolve()
        if not list(big.glob("*.jsonl.gz")):
            raise SystemExit(f"no larger corpus in {big}: run generate_corpus.py --docs 1000000 --files 40 "
                             f"--seed 1 --out {big}")
        big_config, big_output = work / "big.yaml", work / "big-out"
        write_config(big_config, big_output, [str(big / "*.jsonl.gz")], args.threshold)
        big_build = run_build(big_config, args.workers)
        big_manifest = json.loads((big_output / "manifest.json").read_text())
        big_info = next(iter(big_manifest["near_dedup"].values()))
    finally:
        ended_load = ", ".join(open("/proc/loadavg").read().split()[:3])
        shutil.rmtree(work, ignore_errors=True)

    wall = statistics.median(b["wall"] for b in builds)
    docs = manifest["records_in"]
    info = next(iter(manifest["near_dedup"].values()))
    lines = [
        "## Near-dedup (MinHash)",
        "",
        f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `benchmarks/bench_near_dedup.py` "
        f"(medians of {args.runs} runs). Machine: {started}; at the end {ended_load} (shared machine).",
        "",
        f"Input: the benchmark corpus, {docs:,} documents in {len(files)} JSONL.gz files "
        f"(`generate_corpus.py --seed 0`): near copies made at Jaccard targets 0.95 … 0.5, and exact copies. "
        f"Pipeline: `dedup: {{method: minhash, threshold: {args.threshold}}}` alone "
        f"(num_perm {info['num_perm']}, word {info['ngram']}-grams, {info['bands']} bands x {info['rows']} rows, "
        f"chosen from the threshold), {args.workers} workers.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| **removal precision** (removed records whose true Jaccard with the record kept in their place "
        f">= {args.threshold}) | **{removal_precision:.3f}** ({removal_true:,} of {len(removals):,}) |",
        f"| precision (pairs in one cluster whose true Jaccard >= {args.threshold}) | **{precision:.3f}** "
        f"({len(predicted_true):,} of {len(predicted):,}) |",
        f"| recall (true pairs, Jaccard >= {args.threshold}, found in one cluster) | **{recall:.3f}** "
        f"({len(true_pairs & predicted):,} of {len(true_pairs):,}) |",
        f"| edge precision (pairs verified on signatures) | {edge_precision:.3f} ({edge_true:,} of {len(edges):,}) |",
        f"| candidate pairs from the bands / verified | {info['candidate_pairs']:,} / {info['similar_pairs']:,} |",
        f"| clusters / records in clusters | {info['clusters']:,} / {info['records_in_clusters']:,} |",
        f"| signature stage alone, 1 core | **{sig_rate:,.0f} docs/s** |",
        f"| whole build, wall | {wall:.1f} s, {docs / wall / args.workers:,.0f} docs/s per core |",
        f"| peak RSS of one process (largest worker), {docs:,} docs | {builds[-1]['worker_rss'] / 2**20:,.0f} MiB |",
        f"| peak RSS of one process, {big_manifest['records_in']:,} docs | "
        f"**{big_build['worker_rss'] / 2**20:,.0f} MiB** |",
        f"| peak RSS of the whole process tree, {docs:,} / {big_manifest['records_in']:,} docs | "
        f"{builds[-1]['tree_rss'] / 2**20:,.0f} / {big_build['tree_rss'] / 2**20:,.0f} MiB |",
        f"| whole build of {big_manifest['records_in']:,} docs, wall | {big_build['wall']:.1f} s, "
        f"{big_manifest['records_in'] / big_build['wall'] / args.workers:,.0f} docs/s per core; "
        f"{big_info['records_in_clusters']:,} records in {big_info['clusters']:,} clusters |",
        "",
        "Recall by the generator's similarity target (pairs of an original and its near copy; targets are "
        "approximate, the true Jaccard of a pair varies around its target):",
        "",
        "| target | pairs | found in one cluster |",
        "|---|---|---|",
    ]
    for target in sorted(levels, reverse=True):
        found, total = levels[target]
        lines.append(f"| {target} | {total:,} | {found / total:.3f} |")
    lines += [
        "",
        f"Missed true pairs: {len(missed_near):,}"
        + (f", true Jaccard from {missed_near[0]:.3f} to {missed_near[-1]:.3f} (median {statistics.median(missed_near):.3f})"
           if missed_near else "")
        + f". Pairs put together below the threshold: {len(false_j):,}"
        + (f", true Jaccard from {false_j[0]:.3f} to {false_j[-1]:.3f} (median {statistics.median(false_j):.3f})"
           if false_j else "") + ".",
        "",
        "How measured: true Jaccard from the texts, lower-cased `\\w+` words, 5-grams (what pdcorpus hashes). "
        "Peak RSS sampled from /proc every 50 ms (the largest single process, and the sum over the tree, which "
        "counts shared pages once per process). The 1M-document corpus is generated like the first with "
        "another seed (`--docs 1000000 --files 40 --seed 1`).",
    ]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
