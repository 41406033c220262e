"""How many characters the language stage needs: accuracy and speed of cld2 by sample length.

Writes the section "Language identification: sample length" of RESULTS.md and results/language-sample.json.
The language stage detects on the first ``sample_chars`` characters of a text; the default was 2,000 and is
1,000 since issue 16, chosen by this measurement (same answers, less time).

    python benchmarks/bench_language_sample.py [--docs 8000] [--lengths 2000,1000,700,500,300]
"""

from __future__ import annotations

import argparse
import collections
import glob
import gzip
import json
import os
import platform
import random
import time
from pathlib import Path

import orjson

from _sections import cpu_model, write_section

HERE = Path(__file__).resolve().parent
SECTION = "## Language identification: sample length"


def load(corpus: Path, truth: Path, docs: int, seed: int) -> list[tuple[str, str]]:
    lang = {}
    with open(truth / "truth.jsonl", "rb") as fh:
        for line in fh:
            row = orjson.loads(line)
            if row["kind"] == "normal" and row["chars"] >= 100:  # originals, not copies; long enough to tell
                lang[row["doc_id"]] = row["lang"]
    found = []
    for path in sorted(glob.glob(str(corpus / "*.jsonl.gz"))):
        with gzip.open(path, "rb") as fh:
            for line in fh:
                row = orjson.loads(line)
                if row["doc_id"] in lang:
                    found.append((row["text"], lang[row["doc_id"]]))
    random.Random(seed).shuffle(found)
    return found[:docs]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=str(HERE / "data" / "corpus"))
    ap.add_argument("--docs", type=int, default=8000)
    ap.add_argument("--lengths", default="2000,1000,700,500,300")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args(argv)
    from pdcorpus.stages.language import LanguageParams, LanguageStage

    corpus = Path(args.corpus)
    docs = load(corpus, corpus.parent / f"{corpus.name}-truth", args.docs, args.seed)
    lengths = [int(x) for x in args.lengths.split(",")]
    rows, reference = [], None
    load_start = os.getloadavg()
    for n in lengths:
        stage = LanguageStage(sample_chars=n)
        [stage.identify(t) for t, _ in docs[:200]]  # warm-up
        rates = []
        for _ in range(args.reps):
            started = time.process_time()
            answers = [stage.identify(t) for t, _ in docs]
            rates.append(len(docs) / (time.process_time() - started))
        wrong = collections.Counter((truth, a[0]) for a, (_, truth) in zip(answers, docs) if a[0] != truth)
        if reference is None:
            reference = answers
        same = sum(a[0] == b[0] for a, b in zip(answers, reference))
        rows.append({"sample_chars": n, "docs": len(docs), "correct": len(docs) - sum(wrong.values()),
                     "accuracy": (len(docs) - sum(wrong.values())) / len(docs),
                     "same_language_as_first": same, "errors": [[t, a, c] for (t, a), c in wrong.most_common(6)],
                     "docs_per_cpu_second": sorted(rates)[len(rates) // 2], "runs": rates})
    median_chars = sorted(len(t) for t, _ in docs)[len(docs) // 2]
    default = LanguageParams().sample_chars
    out = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "rows": rows, "median_chars": median_chars,
           "default_sample_chars": default, "load_start": load_start, "load_end": os.getloadavg(),
           "machine": {"cpu": cpu_model(), "cores": os.cpu_count(), "python": platform.python_version()}}
    lines = [SECTION, "",
             f"Run on {out['when']} by `benchmarks/bench_language_sample.py` ({len(docs):,} docs, the originals of "
             f"`benchmarks/data/corpus` with ≥100 characters, 10 languages, seeded sample; median {median_chars:,} "
             f"characters; true language from the generator's truth). `LanguageStage(backend='cld2', "
             f"sample_chars=N).identify` on each doc; speed in docs per CPU second of one process, median of "
             f"{args.reps} passes. The stage's default is **{default:,}**.", "",
             f"| sample_chars | accuracy | wrong | same answer as {lengths[0]:,} | docs per CPU second | most frequent errors (true→answered) |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        errors = ", ".join(f"{t}→{a} {c}" for t, a, c in r["errors"]) or "—"
        lines.append(f"| {r['sample_chars']:,} | {r['accuracy']:.4%} | {r['docs'] - r['correct']} | "
                     f"{r['same_language_as_first']:,} of {r['docs']:,} | {r['docs_per_cpu_second']:,.0f} | {errors} |")
    lines += ["", f"Machine: {out['machine']['cpu']}, {out['machine']['cores']} cores, load average "
              f"{load_start[0]:.2f} at start, {out['load_end'][0]:.2f} at end (shared). Raw: "
              "`benchmarks/results/language-sample.json`. Re-run: `python benchmarks/bench_language_sample.py`.", ""]
    print("\n".join(lines))
    if not args.no_results:
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "language-sample.json").write_text(json.dumps(out, indent=1))
        write_section(HERE / "RESULTS.md", SECTION, "\n".join(lines))
    return 0



if __name__ == "__main__":
    raise SystemExit(main())
