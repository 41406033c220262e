#!/usr/bin/env python3
"""The benchmark pipelines written with datatrove (run with the python of datatrove's own venv,
see benchmarks/README.md):

    benchmarks/.venv-datatrove/bin/python benchmarks/peers/datatrove_pipeline.py --pipeline length \
        --input benchmarks/data/corpus --output benchmarks/out/dt --workers 2
    benchmarks/.venv-datatrove/bin/python benchmarks/peers/datatrove_pipeline.py --pipeline reference \
        --rights-decisions DECISIONS.json --input benchmarks/data/corpus --output benchmarks/out/dt --workers 2

``--pipeline reference`` (issue 16's reference pipeline): read JSONL.gz -> rights -> language (cld2)
-> exact dedup -> Parquet (zstd), three chained LocalPipelineExecutors:

1. JsonlReader -> RightsFilter -> Cld2Language -> JsonlWriter(intermediate) -> ExactDedupSignature
   (tasks = input files). The rights decisions are pdcorpus's own, computed before the timed run by
   run_peers.py (``rights_decisions``) and given as a small table: the keep/drop decision per licence
   statement, and per (statement, date) for the statements whose decision depends on the date. The
   language step calls pycld2 exactly as pdcorpus's cld2 backend and ``LanguageStage.identify`` do
   (``cld2_identify`` below) and stores ``language``/``language_score`` in ``doc.metadata``. The
   writer passes every document on (DiskWriter.run yields it), so the signatures are of exactly the
   documents written to the intermediate files, in the same order.
2. ExactFindDedups (tasks = finder workers).
3. JsonlReader(intermediate) -> ExactDedupFilter -> ParquetWriter(zstd) (tasks = input files, so task
   r reads the intermediate file task r wrote, whose document indexes its signatures hold).

Stage 3 reads the intermediate files, not the input: cld2 runs once per document, as a datatrove
user keeping the language column would write it (datatrove's exact dedup reads its data twice). The
intermediate JSONL is uncompressed by default (``--intermediate-compression``): it is local scratch,
and the codecs datatrove's writers get through fsspec are slow (gzip at level 9 through zlib unless
isal is installed, zstd at level 10: 8-10 MB/s of JSON in a trial, about 30% of datatrove's CPU time
on this pipeline).

``--pipeline length`` (the earlier benchmark): read JSONL.gz -> length >= 50 chars -> exact dedup ->
Parquet (zstd).

datatrove's exact dedup (datatrove.pipeline.dedup.exact_dedup) is a three-stage job, each stage a
LocalPipelineExecutor, chained here one after the other:

1. signatures: JsonlReader -> filters -> ExactDedupSignature  (tasks = input files)
   each task hashes the text of each kept doc and writes the sorted hashes, split in
   ``finder_workers`` hash buckets;
2. find:       ExactFindDedups                                      (tasks = finder_workers)
   merges the sorted signature files per bucket and writes the index of every duplicate doc;
3. filter:     JsonlReader -> [length filter] -> ExactDedupFilter -> ParquetWriter(zstd)
   (tasks = input files) reads the data AGAIN (the input for ``length``, the intermediate files for
   ``reference``), drops the duplicates found in 2 and writes Parquet.

Reading the data twice is how datatrove does exact dedup (there is no single-pass exact dedup
stage); it is part of what is measured.

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
import string
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


# --------------------------------------------------------------------------------------------
# The reference pipeline's decisions, made as pdcorpus makes them (pure functions: no datatrove)
# --------------------------------------------------------------------------------------------

# What pdcorpus's LanguageStage deletes to count letters (pdcorpus/stages/language.py, _NOT_LETTERS)
_NOT_LETTERS = str.maketrans("", "", string.whitespace + string.punctuation + string.digits + "«»“”„‘’—–…¿¡·")
# pdcorpus/language/backends.py: codes that differ between backends, deprecated ISO 639-1 codes
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no", "zh-hant": "zh", "zh-hans": "zh",
            "zh-cn": "zh", "zh-tw": "zh", "un": "und", "xxx": "und", "unknown": "und", "": "und"}
UND = "und"


def _code(code: str | None) -> str:
    if not code:
        return UND
    code = code.strip().lower().replace("_", "-")
    return _ALIASES.get(code) or code.split("-")[0]


def _cld2_languages(detect, error, text: str) -> list[tuple[str, float]]:
    """pdcorpus's Cld2Backend.languages: pycld2.detect(text), again with bestEffort when every detail is
    'und', shares by bytes (halved when cld2 says unreliable), labels of one code merged."""
    try:
        reliable, _, details = detect(text)
    except error:
        try:
            reliable, _, details = detect(text.encode("utf-8", "ignore").decode("utf-8", "ignore"))
        except error:
            return []
    if all(_code(d[1]) == UND for d in details):
        try:
            reliable, _, details = detect(text, bestEffort=True)
        except error:
            return []
    total: dict[str, float] = {}
    for _name, code, percent, _score in details:
        if percent > 0:
            c = _code(code)
            if c != UND:
                total[c] = min(1.0, total.get(c, 0.0) + (percent / 100.0 if reliable else percent / 200.0))
    return sorted(total.items(), key=lambda item: (-item[1], item[0]))


def cld2_identify(text: str, sample_chars: int = 2000, min_chars: int = 20, mixed_share: float = 0.3,
                  _cld2=None) -> tuple[str, float]:
    """(language, score) as pdcorpus's ``LanguageStage(backend="cld2").identify`` gives them: cld2 on the first
    ``sample_chars`` characters; 'und' for fewer than ``min_chars`` letters, for no answer, and for a mixed
    text (the second language holds ``mixed_share`` of the sample or more)."""
    if _cld2 is None:
        import pycld2

        _cld2 = (pycld2.detect, pycld2.error)
    sample = text[:sample_chars]
    if len(sample.translate(_NOT_LETTERS)) < min_chars:
        return UND, 0.0
    found = _cld2_languages(_cld2[0], _cld2[1], sample)
    if not found:
        return UND, 0.0
    code, share = found[0]
    if len(found) > 1 and found[1][1] >= mixed_share:
        return UND, round(share, 4)
    return code, round(share, 4)


def as_str(value) -> str | None:
    """A field as pdcorpus's reader turns it into a column (pdcorpus.io.readers._as_str)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def load_rights_decisions(path: str) -> tuple[dict, dict]:
    """The table written by run_peers.py: (statement -> keep, (statement, date) -> keep)."""
    with open(path) as f:
        d = json.load(f)
    return ({s: bool(k) for s, k in d["by_statement"]},
            {(s, dt): bool(k) for s, dt, k in d["by_statement_and_date"]})


def rights_keep(by_statement: dict, by_pair: dict, statement, date) -> bool:
    """pdcorpus's decision for a record: from its statement alone where every record with that statement was
    decided alike, else from (statement, date); a record seen with neither is dropped."""
    statement = as_str(statement)
    keep = by_statement.get(statement)
    if keep is None:
        keep = by_pair.get((statement, as_str(date)), False)
    return keep


# --------------------------------------------------------------------------------------------
# datatrove steps (defined only where datatrove is installed)
# --------------------------------------------------------------------------------------------

try:
    from datatrove.pipeline.filters.base_filter import BaseFilter
except ImportError:  # imported by tests/run_peers.py without datatrove: the functions above only
    BaseFilter = None

if BaseFilter is not None:

    class RightsFilter(BaseFilter):
        """Keeps the documents pdcorpus's rights stage allows (review and deny are both out of the corpus)."""

        name = "⚖ rights (pdcorpus's decisions)"

        def __init__(self, decisions_path: str, statement_key: str = "rights", date_key: str = "date"):
            super().__init__()
            self.decisions_path = decisions_path
            self.statement_key = statement_key
            self.date_key = date_key
            self._tables = None

        def filter(self, doc) -> bool | tuple[bool, str]:
            if self._tables is None:  # loaded in the worker, not pickled with the step
                self._tables = load_rights_decisions(self.decisions_path)
            meta = doc.metadata
            if rights_keep(*self._tables, meta.get(self.statement_key), meta.get(self.date_key)):
                return True
            return False, "rights"

    class Cld2Language(BaseFilter):
        """Annotates ``language``/``language_score`` in doc.metadata as pdcorpus's cld2 language stage does;
        drops nothing (like datatrove's LanguageFilter with every language kept)."""

        name = "🌐 cld2 language (as pdcorpus)"

        def __init__(self, sample_chars: int = 2000):
            super().__init__()
            self.sample_chars = sample_chars
            self._cld2 = None

        def filter(self, doc) -> bool:
            if self._cld2 is None:
                import pycld2

                self._cld2 = (pycld2.detect, pycld2.error)
            code, score = cld2_identify(doc.text, self.sample_chars, _cld2=self._cld2)
            doc.metadata["language"] = code
            doc.metadata["language_score"] = score
            return True


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
    ap = argparse.ArgumentParser(description="datatrove: the benchmark pipelines (see the module docstring)")
    ap.add_argument("--pipeline", choices=["length", "reference"], default="length")
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
    ap.add_argument("--rights-decisions", default=None, help="reference: the decisions table written by run_peers.py")
    ap.add_argument("--sample-chars", type=int, default=2000, help="reference: characters cld2 sees (pdcorpus's sample_chars)")
    ap.add_argument("--intermediate-compression", choices=["none", "zstd", "gzip"], default="none",
                    help="reference: compression of the intermediate JSONL (default none: a local scratch folder; "
                    "JsonlWriter's default gzip is level 9 and fsspec's zstd level 10, both a few MB/s)")
    args = ap.parse_args(argv)
    if args.pipeline == "reference" and not args.rights_decisions:
        ap.error("--pipeline reference needs --rights-decisions (written by benchmarks/run_peers.py)")

    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.exact_dedup import (
        ExactDedupConfig,
        ExactDedupFilter,
        ExactDedupSignature,
        ExactFindDedups,
    )
    from datatrove.pipeline.filters import LambdaFilter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter, ParquetWriter
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

    mid = f"{work}/intermediate"
    mid_compression = None if args.intermediate_compression == "none" else args.intermediate_compression
    if args.pipeline == "reference":
        first = [
            reader(),
            RightsFilter(os.path.abspath(args.rights_decisions)),
            Cld2Language(args.sample_chars),
            JsonlWriter(mid, output_filename="${rank}.jsonl", compression=mid_compression),
        ]
        second_read = [JsonlReader(mid, glob_pattern="*.jsonl*", compression="infer")]
    else:
        first = [reader(), LambdaFilter(long_enough)]
        second_read = [reader(), LambdaFilter(long_enough)]

    sigs = LocalPipelineExecutor(
        pipeline=first + [ExactDedupSignature(output_folder=f"{work}/sigs", config=config, finder_workers=finder)],
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
        pipeline=second_read
        + [
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
    if args.pipeline == "reference":
        # stage 3's task r must read what stage 1's task r wrote (the signatures hold document indexes per
        # task): a task that kept no document writes no file and would shift the others
        written = sorted(glob.glob(os.path.join(mid, "*.jsonl*")))
        if len(written) != tasks:
            print(f"{len(written)} intermediate files for {tasks} tasks in {mid}: a task kept no document, "
                  "so stage 3's files would not line up with its signatures", file=sys.stderr)
            return 3
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
        "pipeline": args.pipeline,
        "workers": args.workers,
        "tasks": tasks,
        "finder_workers": finder,
        "content": args.content,
        "cdc": not args.no_cdc,
        "input_files": len(files),
        "docs_read": _find_stat(s1, "Jsonl", "documents"),
        "rows_out": rows_out,
        "parquet_files": len(parquet_files),
        "parquet_bytes": sum(os.path.getsize(p) for p in parquet_files),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "wall_s": round(time.perf_counter() - t0, 3),
    }
    if args.pipeline == "reference":
        result["docs_after_rights"] = _find_stat(s1, "rights", "forwarded")
        result["intermediate_compression"] = args.intermediate_compression
        result["sample_chars"] = args.sample_chars
    else:
        result["docs_after_length"] = _find_stat(s1, "Lambda", "forwarded")
    result["duplicates_dropped"] = _find_stat(s3, "exact-deduplication stage 3", "dropped")
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
