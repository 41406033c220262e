#!/usr/bin/env python3
"""The benchmark pipeline written with datatrove: read JSONL.gz -> length >= 50 chars -> exact dedup -> Parquet (zstd).

Run it with the python of datatrove's own venv (see benchmarks/README.md):

    benchmarks/.venv-datatrove/bin/python benchmarks/peers/datatrove_pipeline.py \
        --input benchmarks/data/corpus --output benchmarks/out/dt --workers 2

datatrove's exact dedup (datatrove.pipeline.dedup.exact_dedup) is a three-stage job, each stage a
LocalPipelineExecutor, chained here one after the other:

1. signatures: JsonlReader -> length filter -> ExactDedupSignature  (tasks = input files)
   each task hashes the text of each kept doc and writes the sorted hashes, split in
   ``finder_workers`` hash buckets;
2. find:       ExactFindDedups                                      (tasks = finder_workers)
   merges the sorted signature files per bucket and writes the index of every duplicate doc;
3. filter:     JsonlReader -> length filter -> ExactDedupFilter -> ParquetWriter(zstd)
   (tasks = input files) reads the input AGAIN, drops the duplicates found in 2 and writes Parquet.

Re-reading the input in stage 3 is how datatrove does exact dedup (there is no single-pass exact
dedup stage); it is part of what is measured.

What counts as "exact": with ``--content raw`` (datatrove's usual content getter, ``doc.text``)
only byte-identical texts are duplicates; with ``--content normalized`` (default) the hashed
content is NFC + lower() + whitespace runs collapsed, the same definition pdcorpus's exact dedup
uses, so the two tools should keep the same number of rows.

Prints one JSON line on stdout with counts and stage timings. Downloads nothing.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import time
import unicodedata

MIN_CHARS = 50


def long_enough(doc) -> bool:
    return len(doc.text) >= MIN_CHARS


def raw_text(doc) -> str:
    return doc.text


def normalized_text(doc) -> str:
    return " ".join(unicodedata.normalize("NFC", doc.text).lower().split())


def _step_stats(stats_path: str) -> list[dict]:
    try:
        with open(stats_path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return []


def _find_stat(steps: list[dict], name_part: str, key: str):
    for st in steps:
        if name_part in st.get("name", ""):
            v = st.get("stats", {}).get(key)
            if isinstance(v, dict):
                return v.get("total", v.get("n"))
            return v
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="datatrove: JSONL.gz -> length filter -> exact dedup -> Parquet")
    ap.add_argument("--input", required=True, help="folder with *.jsonl.gz")
    ap.add_argument("--glob", default="*.jsonl.gz")
    ap.add_argument("--output", required=True, help="Parquet output folder (emptied first)")
    ap.add_argument("--work", default=None, help="scratch folder for signatures/logs (default <output>.work)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=None, help="tasks for the read stages (default: number of input files)")
    ap.add_argument("--finder-workers", type=int, default=None, help="hash buckets / tasks of the find stage (default --workers)")
    ap.add_argument("--content", choices=["normalized", "raw"], default="normalized")
    ap.add_argument("--no-cdc", action="store_true", help="disable datatrove's default content-defined chunking in Parquet")
    ap.add_argument("--max-file-size", type=int, default=256 * 2**20, help="Parquet file rotation size in bytes")
    args = ap.parse_args(argv)

    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.exact_dedup import (
        ExactDedupConfig,
        ExactDedupFilter,
        ExactDedupSignature,
        ExactFindDedups,
    )
    from datatrove.pipeline.filters import LambdaFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import ParquetWriter
    from datatrove.utils.hashing import HashConfig

    t0 = time.perf_counter()
    inp = os.path.abspath(args.input)
    out = os.path.abspath(args.output)
    work = os.path.abspath(args.work or out.rstrip("/") + ".work")
    for d in (out, work):
        shutil.rmtree(d, ignore_errors=True)
    files = sorted(glob.glob(os.path.join(inp, args.glob)))
    if not files:
        print(f"no input files matching {args.glob} in {inp}", file=sys.stderr)
        return 2
    tasks = args.tasks or len(files)
    finder = args.finder_workers or args.workers

    getter = normalized_text if args.content == "normalized" else raw_text
    config = ExactDedupConfig(content_getter=getter, hash_config=HashConfig(precision=64, hash_fc="xxhash"))

    def reader():
        return JsonlReader(
            inp,
            glob_pattern=args.glob,
            compression="gzip",
            text_key="text",
            id_key="doc_id",
        )

    sigs = LocalPipelineExecutor(
        pipeline=[
            reader(),
            LambdaFilter(long_enough),
            ExactDedupSignature(output_folder=f"{work}/sigs", config=config, finder_workers=finder),
        ],
        tasks=tasks,
        workers=args.workers,
        logging_dir=f"{work}/logs/1-sigs",
    )
    find = LocalPipelineExecutor(
        pipeline=[ExactFindDedups(data_folder=f"{work}/sigs", output_folder=f"{work}/dups", config=config)],
        tasks=finder,
        workers=min(args.workers, finder),
        logging_dir=f"{work}/logs/2-find",
    )
    write = LocalPipelineExecutor(
        pipeline=[
            reader(),
            LambdaFilter(long_enough),
            ExactDedupFilter(data_folder=f"{work}/dups", config=config),
            ParquetWriter(
                out,
                output_filename="${rank}.parquet",
                compression="zstd",
                max_file_size=args.max_file_size,
                use_content_defined_chunking=not args.no_cdc,
            ),
        ],
        tasks=tasks,
        workers=args.workers,
        logging_dir=f"{work}/logs/3-filter-write",
    )

    timings = {}
    t = time.perf_counter()
    sigs.run()
    timings["1_signatures"] = time.perf_counter() - t
    t = time.perf_counter()
    find.run()
    timings["2_find"] = time.perf_counter() - t
    t = time.perf_counter()
    write.run()
    timings["3_filter_write"] = time.perf_counter() - t

    import pyarrow.parquet as pq

    parquet_files = sorted(glob.glob(os.path.join(out, "**", "*.parquet"), recursive=True))
    rows_out = sum(pq.read_metadata(p).num_rows for p in parquet_files)
    s1 = _step_stats(f"{work}/logs/1-sigs/stats.json")
    s3 = _step_stats(f"{work}/logs/3-filter-write/stats.json")
    result = {
        "tool": "datatrove",
        "workers": args.workers,
        "tasks": tasks,
        "finder_workers": finder,
        "content": args.content,
        "input_files": len(files),
        "docs_read": _find_stat(s1, "Jsonl", "documents"),
        "docs_after_length": _find_stat(s1, "Lambda", "forwarded"),
        "duplicates_dropped": _find_stat(s3, "exact-deduplication stage 3", "dropped"),
        "rows_out": rows_out,
        "parquet_files": len(parquet_files),
        "parquet_bytes": sum(os.path.getsize(p) for p in parquet_files),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "wall_s": round(time.perf_counter() - t0, 3),
    }
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
