#!/usr/bin/env python3
"""HTML extraction rate: trafilatura alone, and as pdcorpus runs it, in pages per second on one core.

    python benchmarks/bench_extract.py [--pages DIR] [--limit 300] [--generated 300] [--runs 3]

Page sets:

* generated (always): realistic article pages made here, deterministic for ``--seed``: a head with meta
  tags, inline scripts, styles and JSON-LD; a navigation bar and breadcrumbs; an article of 4–40
  paragraphs (log-normal) with subheadings, a list, sometimes a table, figures with captions and a
  quote; a sidebar of related links and tags; 0–12 reader comments; a footer of links with a licence
  badge. Word frequencies from ``wordfreq`` when installed (the ``bench`` extra), else a fixed list.
* ``--pages DIR``: real pages, every ``*.html`` of a folder (sorted, the first ``--limit``). The figure in
  RESULTS.md used trafilatura's own evaluation set (``tests/eval/*.html`` of its Git repository:
  pages from news sites, blogs and institutions in several languages).

Three ways, each timed over the whole set, ``--runs`` times, in this order, median reported:

* ``trafilatura``: ``trafilatura.bare_extraction`` with the options pdcorpus uses (metadata, precision,
  no comments, no deduplication, htmldate's original date from year 1000), in this process;
* ``pdcorpus in-process``: ``extract_now``: the same plus licence detection and declared language;
* ``pdcorpus with time limit``: ``extract_html(timeout=10)``: the page goes to the extraction child
  process over a pipe (what a warc source does per page).

All run on one core: one process extracts at a time (the parent waits while its child works).
The section "### HTML extraction (trafilatura)" of benchmarks/RESULTS.md is rewritten.
"""

from __future__ import annotations

import argparse
import html as htmllib
import math
import json
import os
import platform
import random
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADING = "### HTML extraction (trafilatura)"
FALLBACK_WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which "
                  "but have an they you were her she there been one all we their has would when who will more no "
                  "if out so said what up its about into than them can only other new some could time these two "
                  "may then do first any my now such like our over man me even most made after also did many "
                  "before must through back years where much your way well down should because each just those "
                  "people how too little state good very make world still own see men work long get here between "
                  "both life being river letter harvest winter village church market railway school garden").split()


class Words:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        try:
            import wordfreq

            words = [w for w in wordfreq.top_n_list("en", 6000) if w.isalpha()]
            weights = [wordfreq.word_frequency(w, "en") for w in words]
        except ImportError:
            words = list(FALLBACK_WORDS)
            weights = [1.0 / (i + 1) for i in range(len(words))]
        self.words, self.cum = words, []
        total = 0.0
        for w in weights:
            total += w
            self.cum.append(total)

    def take(self, n: int) -> list[str]:
        import bisect

        top = self.cum[-1]
        return [self.words[min(len(self.words) - 1, bisect.bisect_left(self.cum, self.rng.random() * top))]
                for _ in range(n)]

    def sentence(self) -> str:
        s = self.take(max(3, int(self.rng.gammavariate(2.2, 6.0)) + 3))
        return " ".join(s).capitalize() + self.rng.choice(".........?!")

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(1 + min(12, int(self.rng.expovariate(1 / 3.5)))))

    def title(self, n: int = 6) -> str:
        return " ".join(self.take(n)).title()


def generated_page(w: Words, i: int) -> str:
    rng = w.rng
    e = htmllib.escape
    title = w.title(rng.randint(4, 9))
    nav = "".join(f'<li class="menu-item"><a href="/section/{j}">{e(w.title(rng.randint(1, 2)))}</a></li>'
                  for j in range(rng.randint(25, 60)))
    paragraphs = max(4, min(40, int(math.exp(rng.gauss(2.3, 0.6)))))
    body = []
    for k in range(paragraphs):
        if k and k % 6 == 0:
            body.append(f"<h2>{e(w.title(rng.randint(3, 7)))}</h2>")
        body.append(f"<p>{e(w.paragraph())}</p>")
        if k == 2:
            body.append(f'<figure><img src="/media/{i}-{k}.jpg" alt="{e(w.title(3))}" width="800" height="533">'
                        f"<figcaption>{e(w.sentence())}</figcaption></figure>")
        if k == 4:
            body.append("<ul>" + "".join(f"<li>{e(w.sentence())}</li>" for _ in range(rng.randint(3, 7))) + "</ul>")
        if k == 5 and rng.random() < 0.3:
            rows = "".join(f"<tr><td>{e(w.title(2))}</td><td>{rng.randint(1800, 1950)}</td><td>{rng.randint(1, 999)}</td></tr>"
                           for _ in range(rng.randint(4, 12)))
            body.append(f"<table><thead><tr><th>Name</th><th>Year</th><th>Count</th></tr></thead><tbody>{rows}</tbody></table>")
        if k == 7:
            body.append(f"<blockquote><p>{e(w.paragraph())}</p></blockquote>")
    related = "".join(f'<li><a href="/article/{rng.randint(1, 10**6)}">{e(w.title(rng.randint(4, 8)))}</a></li>'
                      for _ in range(rng.randint(8, 20)))
    tags = " ".join(f'<a class="tag" href="/tag/{t}">{t}</a>' for t in w.take(rng.randint(5, 15)))
    comments = "".join(f'<div class="comment"><span class="comment-author">{e(w.title(2))}</span>'
                       f'<time datetime="2019-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}">a while ago</time>'
                       f"<p>{e(w.paragraph())}</p></div>" for _ in range(rng.randint(0, 12)))
    footer = "".join(f'<a href="/page/{j}">{e(w.title(rng.randint(1, 3)))}</a> ' for j in range(rng.randint(20, 40)))
    script = "var cfg = {" + ",".join(f'"k{j}": {rng.randint(0, 10**6)}' for j in range(300)) + "};"
    style = "".join(f".c{j}{{margin:{j % 7}px;padding:{j % 5}px;color:#{j:06x}}}" for j in range(150))
    year = rng.randint(1850, 1925)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)} | The Example Gazette</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{e(w.sentence())}">
<meta property="og:title" content="{e(title)}"><meta property="og:type" content="article">
<meta name="author" content="{e(w.title(2))}">
<link rel="stylesheet" href="/static/site.css"><link rel="canonical" href="https://gazette.example.org/a/{i}">
<style>{style}</style><script>{script}</script>
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{e(title)}",
"datePublished":"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"}}</script>
</head><body class="article-page">
<header class="site-header"><div class="logo"><a href="/">The Example Gazette</a></div>
<nav class="main-nav"><ul>{nav}</ul></nav>
<div class="search"><form action="/search"><input name="q" placeholder="Search"><button>Go</button></form></div></header>
<div class="breadcrumbs"><a href="/">Home</a> &rsaquo; <a href="/archive">Archive</a> &rsaquo; {e(title)}</div>
<main><article class="post"><h1 class="entry-title">{e(title)}</h1>
<div class="byline">By <span class="author">{e(w.title(2))}</span>, <time datetime="{year}-05-04">May 4, {year}</time></div>
<div class="entry-content">{''.join(body)}</div></article>
<aside class="sidebar"><h3>Related</h3><ul>{related}</ul><h3>Tags</h3><div class="tags">{tags}</div></aside>
<section class="comments"><h3>Comments</h3>{comments}</section></main>
<footer class="site-footer"><div class="links">{footer}</div>
<p><a rel="license" href="https://creativecommons.org/licenses/by/4.0/"><img src="https://i.creativecommons.org/l/by/4.0/88x31.png" alt="CC BY"></a>
Text available under CC BY 4.0.</p><script>{script[:2000]}</script></footer>
</body></html>"""


def load_pages(args: argparse.Namespace) -> dict[str, list[bytes]]:
    sets: dict[str, list[bytes]] = {}
    words = Words(random.Random(args.seed))
    sets["generated"] = [generated_page(words, i).encode("utf-8") for i in range(args.generated)]
    if args.pages:
        files = sorted(Path(args.pages).glob("*.html"))[: args.limit]
        if not files:
            raise SystemExit(f"no *.html in {args.pages}")
        sets["real"] = [f.read_bytes() for f in files]
    return sets


def _child_cpu() -> float:
    """CPU seconds (user + system) of this process's extraction child so far (0 if none)."""
    from pdcorpus.fetch.html import default_extractor

    proc = default_extractor()._proc
    if proc is None:
        return 0.0
    try:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_once(way: str, pages: list[bytes]) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of the process doing the extraction(s), pages with text)."""
    from pdcorpus.fetch.html import MIN_DATE, ExtractionError, extract_html, extract_now

    ok = 0
    cpu0 = time.process_time() + _child_cpu()
    started = time.perf_counter()
    if way == "trafilatura":
        import trafilatura

        params = {"original_date": True, "extensive_search": True, "min_date": MIN_DATE, "max_date": "2026-01-01"}
        for page in pages:
            doc = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, favor_precision=True,
                                              deduplicate=False, date_extraction_params=params)
            ok += bool(doc is not None and doc.text)
    else:
        for page in pages:
            try:
                if way == "pdcorpus in-process":
                    extract_now(page, max_date="2026-01-01")
                else:
                    extract_html(page, timeout=10, max_date="2026-01-01")
                ok += 1
            except ExtractionError:
                pass
    wall = time.perf_counter() - started
    return wall, time.process_time() + _child_cpu() - cpu0, ok


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def write_section(path: Path, text: str) -> None:
    """Replaces this script's subsection (up to the next heading of level 1-3), or appends it under '## Fetch'."""
    content = path.read_text(encoding="utf-8") if path.exists() else "# pdcorpus benchmark results\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^#{{1,3}} |\Z)", re.S | re.M)
    if pattern.search(content):
        content = pattern.sub(lambda _: text, content)
    else:
        if "\n## Fetch\n" not in content:
            content = content.rstrip("\n") + "\n\n## Fetch\n\n"
        content = content.rstrip("\n") + "\n\n" + text
    path.write_text(content.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", help="a folder of real *.html pages")
    ap.add_argument("--limit", type=int, default=300, help="real pages used (the first, sorted by name)")
    ap.add_argument("--generated", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--results", default=str(ROOT / "benchmarks" / "RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args(argv)

    import trafilatura

    from pdcorpus.fetch.html import extract_html

    sets = load_pages(args)
    extract_html("<html><body><p>warm up the extraction process</p></body></html>", timeout=120)  # child start
    ways = ("trafilatura", "pdcorpus in-process", "pdcorpus with time limit")
    rows = []
    load = os.getloadavg()
    for name, pages in sets.items():
        run_once("trafilatura", pages[:20])  # warm caches and lazy imports, untimed
        size = sorted(len(p) for p in pages)[len(pages) // 2]
        for way in ways:
            rates, cpu_rates, ok = [], [], 0
            for _ in range(args.runs):
                seconds, cpu, ok = run_once(way, pages)
                rates.append(len(pages) / seconds)
                cpu_rates.append(len(pages) / cpu)
                print(f"{name:9} {way:26} {len(pages) / seconds:7.1f} pages/s wall, {len(pages) / cpu:7.1f} pages/CPU-s",
                      flush=True)
            rows.append((name, len(pages), size, way, statistics.median(cpu_rates), min(cpu_rates), max(cpu_rates),
                         statistics.median(rates), ok))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [HEADING, "",
             f"Run on {stamp} by `benchmarks/bench_extract.py` ({args.runs} timed passes over each page set per way, "
             "after an untimed warm-up; medians, with the range). One process extracts at a time, so the rate on "
             "one dedicated core is **pages per CPU-second**: pages / (user + system CPU seconds of the process "
             "that extracts: this one, or the extraction child read from /proc). Wall-clock pages/s are shown too; "
             "on a shared machine they also count the time other work held the core.", "",
             "| pages | count | median page (KB) | way | pages per CPU-second (median) | range | pages/s wall (median) | pages with text |",
             "|---|---|---|---|---|---|---|---|"]
    for name, count, size, way, med, lo, hi, wall, ok in rows:
        lines.append(f"| {name} | {count} | {size / 1024:.0f} | {way} | **{med:.1f}** | {lo:.1f}–{hi:.1f} | {wall:.1f} | {ok} |")
    lines += ["",
              "- *trafilatura*: `bare_extraction` alone, with pdcorpus's options (metadata, precision, no comments, "
              "no cross-page deduplication, htmldate's original date from year 1000).",
              "- *pdcorpus in-process*: `extract_now`: the same plus licence detection and declared language.",
              "- *pdcorpus with time limit*: `extract_html(timeout=10)`: through the extraction child process "
              "(pipe and pickling), as a `warc` source runs it.",
              "- The low ends of the ranges are first passes in a fresh process: dateparser (htmldate's extensive date "
              "search) loads its locales as pages need them; later passes show the steady rate.",
              f"- *generated*: {args.generated} realistic article pages made by the script (seed {args.seed}). "
              + (f"*real*: the first {args.limit} pages (by name) of trafilatura's evaluation set "
                 "(`tests/eval/*.html` in its Git repository), `--pages` pointing at that folder." if "real" in sets
                 else ""),
              f"- Machine: {_cpu()}, {os.cpu_count()} cores; load average at start {load[0]:.2f}, {load[1]:.2f}, "
              f"{load[2]:.2f} (shared machine: other work may have been running; hence medians).",
              f"- Software: Python {platform.python_version()}, trafilatura {trafilatura.__version__}"
              + _versions() + ".", ""]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        write_section(Path(args.results), text)
        raw = ROOT / "benchmarks" / "results" / "extract.json"  # the raw figures, committed beside RESULTS.md
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps({"rows": rows, "load": load, "runs": args.runs, "generated": args.generated,
                                   "real_limit": args.limit if "real" in sets else None}, indent=2, default=str) + "\n")
    return 0


def _versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("htmldate", "lxml", "justext"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return (", " + ", ".join(out)) if out else ""


if __name__ == "__main__":
    sys.exit(main())
