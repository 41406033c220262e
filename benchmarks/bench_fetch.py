"""Fetch benchmark: pages per second per core through `pdcorpus build` (fetch + extraction) against a
loopback server, and trafilatura alone on the same pages for comparison.

    python3 benchmarks/bench_fetch.py [--pages 300] [--runs 3]

* Pages: realistic HTML articles (head metadata, a navigation bar of ~40 links, 6-14 paragraphs of
  English-like prose, a sidebar, a footer with a Creative Commons licence link), 8-25 KB each,
  generated with a fixed seed.
* Server: aiohttp in its own process on 127.0.0.1, pages from memory, so the figure measures
  pdcorpus rather than the network or the server (the server's CPU is not counted).
* `pdcorpus build` runs as a command with `--workers 1` (one worker; trafilatura runs in its
  time-limited child process) on a `urls` source with the politeness limits lifted
  (`requests_per_second: 100000`, 64 connections), `robots: true` (one robots.txt per task).
  Also a fetch-only build: the same bodies served as text/plain (no extraction).
* **pages/s per core = pages / CPU seconds** of the build's process tree (user + system, sampled with
  psutil every 0.1 s and summed over every process of the tree), so that two processes busy at once
  count as two cores; pages/s wall is reported beside it.
* trafilatura alone: `pdcorpus.fetch.html.extract_now` (the same trafilatura call, in-process, no time
  limit) and `extract_html` (through the time-limited child process) over the same pages, one thread.

Medians of ``--runs`` runs. Writes the "Fetch" section of ``benchmarks/RESULTS.md`` (other sections
are kept byte for byte). The machine is shared: other work may run at the same time; the load
average at the start is reported.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SECTION_TITLE = "## Fetch: URL list → HTTP → trafilatura → Parquet"

WORDS = ("the of and to in a is that for it as was with be by on not he this are or his from at which but have an "
         "they you were her she there been one all we their has would when who will more no if out so said what up "
         "its about into than them can only other new some could time these two may then do first any my now such "
         "like our over man me even most made after also did many before must through back years where much your "
         "way well down should because each just those people how too little state good very make world still own "
         "see men work long get here between both life being river winter letter mill valley village church").split()


def sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(8, 24))]
    return " ".join(words).capitalize() + rng.choice(".....?!")


def make_page(i: int, rng: random.Random) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 7))).title()
    nav = " ".join(f'<li><a href="/section/{k}">{rng.choice(WORDS).title()}</a></li>' for k in range(40))
    paragraphs = "\n".join(f"<p>{' '.join(sentence(rng) for _ in range(rng.randint(3, 9)))}</p>"
                           for _ in range(rng.randint(6, 14)))
    sidebar = " ".join(f'<li><a href="/item/{rng.randint(1, 10**6)}">{sentence(rng)}</a></li>' for _ in range(10))
    year = rng.randint(1850, 1925)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | A Digital Library</title>
<meta name="author" content="{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}">
<meta name="description" content="{sentence(rng)}"><meta property="og:title" content="{title}">
<link rel="stylesheet" href="/static/site.css"><script src="/static/site.js"></script></head>
<body><header><div class="logo">A Digital Library</div><nav><ul>{nav}</ul></nav>
<form action="/search"><input name="q"><button>Search</button></form></header>
<main><article><h1>{title}</h1><p class="byline">Published {year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}</p>
{paragraphs}</article>
<aside><h2>Related</h2><ul>{sidebar}</ul></aside></main>
<footer><p>Text is available under the <a rel="license" href="https://creativecommons.org/licenses/by-sa/4.0/">Creative
Commons Attribution-ShareAlike 4.0 License</a>.</p><p><a href="/privacy">Privacy</a> · <a href="/about">About</a>
· <a href="/contact">Contact</a></p></footer></body></html>"""


# -- the server --------------------------------------------------------------------------------------


def serve(pages: list[str], port_queue: "mp.Queue") -> None:
    import asyncio
    import ctypes
    import signal

    if sys.platform.startswith("linux"):  # the server must not outlive a benchmark that is stopped
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    from aiohttp import web

    html = [p.encode("utf-8") for p in pages]

    async def page(request: web.Request) -> web.Response:
        i = int(request.match_info["i"])
        kind = request.match_info["kind"]
        return web.Response(body=html[i], content_type="text/html" if kind == "page" else "text/plain",
                            charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get(r"/{kind:page|text}/{i:\d+}", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_queue.put(site._server.sockets[0].getsockname()[1])
        await asyncio.Event().wait()

    asyncio.run(main())


# -- measuring -----------------------------------------------------------------------------------------


def run_tree(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the whole process tree) of a command."""
    started = time.perf_counter()
    errors = tempfile.TemporaryFile()  # a pipe could fill up and stall the build
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    seen: dict[int, float] = {}
    while proc.poll() is None:
        try:
            tree = [proc] + proc.children(recursive=True)
        except psutil.NoSuchProcess:
            tree = []
        for p in tree:
            try:
                t = p.cpu_times()
                seen[p.pid] = max(seen.get(p.pid, 0.0), t.user + t.system)
            except psutil.Error:
                pass
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        errors.seek(0)
        raise SystemExit(f"build failed: {errors.read().decode()[-2000:]}")
    return wall, sum(seen.values())


def corpus(folder: Path, base: str, kind: str, n: int) -> Path:
    (folder / f"{kind}.txt").write_text("".join(f"{base}/{kind}/{i}\n" for i in range(n)))
    cfg = folder / f"{kind}.yaml"
    cfg.write_text(f"""name: bench-fetch
output: {folder / ('out-' + kind)}
sources:
  - name: web
    read:
      format: urls
      paths: [{folder / (kind + '.txt')}]
      fetch: {{contact: "https://example.org/benchmark", allow_private_networks: true,
               requests_per_second: 100000, burst: 1000, connections_per_host: 64, concurrency: 64,
               urls_per_task: 200, window: 256, extract_timeout: 120}}
""")
    return cfg


def extraction_alone(pages: list[str]) -> dict[str, float]:
    from pdcorpus.fetch.html import extract_html, extract_now

    extract_now(pages[0])  # imports
    c0, t0 = time.process_time(), time.perf_counter()
    for p in pages:
        extract_now(p.encode("utf-8"), url="http://127.0.0.1/page")
    inproc_cpu, inproc_wall = time.process_time() - c0, time.perf_counter() - t0
    extract_html(pages[0], timeout=60)  # starts the child
    me = psutil.Process()
    def tree_cpu() -> float:
        total = 0.0
        for p in [me] + me.children(recursive=True):
            t = p.cpu_times()
            total += t.user + t.system
        return total
    c0, t0 = tree_cpu(), time.perf_counter()
    for p in pages:
        extract_html(p.encode("utf-8"), url="http://127.0.0.1/page", timeout=60)
    child_cpu, child_wall = tree_cpu() - c0, time.perf_counter() - t0
    return {"inproc_cpu": inproc_cpu, "inproc_wall": inproc_wall, "child_cpu": child_cpu, "child_wall": child_wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--no-results", action="store_true")
    args = ap.parse_args()

    rng = random.Random(0)
    pages = [make_page(i, rng) for i in range(args.pages)]
    sizes = sorted(len(p.encode()) for p in pages)
    load = os.getloadavg()
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    server = ctx.Process(target=serve, args=(pages, q), daemon=True)
    server.start()
    port = q.get(timeout=60)
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
               PDCORPUS_HOST_LIMITS=tempfile.mkdtemp(prefix="bench-fetch-limits-"))
    results: dict[str, list[tuple[float, float]]] = {"page": [], "text": []}
    alone: list[dict[str, float]] = []
    work = Path(tempfile.mkdtemp(prefix="bench-fetch-"))
    try:
        for run in range(args.runs):
            for kind in ("page", "text"):
                cfg = corpus(work, base, kind, args.pages)
                shutil.rmtree(work / f"out-{kind}", ignore_errors=True)
                wall, cpu = run_tree([sys.executable, "-m", "pdcorpus.cli", "build", str(cfg), "--workers", "1",
                                      "-q", "--fresh"], env)
                manifest = json.loads((work / f"out-{kind}" / "manifest.json").read_text())
                assert manifest["records_out"] == args.pages, manifest["dropped"]
                results[kind].append((wall, cpu))
                print(f"run {run + 1} {kind}: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
            alone.append(extraction_alone(pages))
            print(f"run {run + 1} trafilatura alone: {alone[-1]}", flush=True)
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)

    med = lambda xs: statistics.median(xs)  # noqa: E731
    n = args.pages
    rows = []
    for kind, label in (("page", "build: fetch + trafilatura (`text/html`)"), ("text", "build: fetch only (`text/plain`)")):
        wall = med([w for w, _ in results[kind]])
        cpu = med([c for _, c in results[kind]])
        rows.append((label, wall, cpu, n / cpu, n / wall))
    ip_cpu = med([a["inproc_cpu"] for a in alone])
    ip_wall = med([a["inproc_wall"] for a in alone])
    ch_cpu = med([a["child_cpu"] for a in alone])
    ch_wall = med([a["child_wall"] for a in alone])
    rows.append(("trafilatura alone, in-process (`extract_now`)", ip_wall, ip_cpu, n / ip_cpu, n / ip_wall))
    rows.append(("trafilatura alone, time-limited child (`extract_html`)", ch_wall, ch_cpu, n / ch_cpu, n / ch_wall))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if not args.no_results:  # the raw figures behind the section, committed beside RESULTS.md
        raw = HERE / "results" / "fetch.json"
        raw.parent.mkdir(parents=True, exist_ok=True)
        raw.write_text(json.dumps({"when": now, "pages": n, "runs": args.runs, "builds": results, "alone": alone,
                                   "rows": rows, "load": os.getloadavg()}, indent=2, default=str) + "\n")
    import httpx
    import trafilatura

    lines = [
        SECTION_TITLE, "",
        f"Run on {now} by `benchmarks/bench_fetch.py --pages {n} --runs {args.runs}` (medians of {args.runs} runs).", "",
        f"{n} generated HTML article pages ({sizes[0] // 1000}-{sizes[-1] // 1000} KB, median {sizes[len(sizes) // 2] // 1000} KB: "
        "navigation, 6-14 paragraphs, sidebar, footer with a CC BY-SA link) served from memory by aiohttp in its own "
        "process on 127.0.0.1; `pdcorpus build --workers 1` on a `urls` source with the politeness limits lifted "
        "(64 connections, no rate limit; robots.txt asked once per task of 200 URLs). **pages/s per core = pages / CPU "
        "seconds of the build's whole process tree** (the worker and trafilatura's child process; user + system, "
        "sampled with psutil), so it does not depend on how many cores were free; the server's CPU is not counted. "
        "The build's figures include interpreter start-up, imports, the plan, Parquet writing and the manifest.", "",
        "| what | median wall (s) | median CPU (s) | pages/s per core | pages/s wall |",
        "|---|---|---|---|---|",
    ]
    for label, wall, cpu, per_core, per_wall in rows:
        lines.append(f"| {label} | {wall:.2f} | {cpu:.2f} | **{per_core:,.0f}** | {per_wall:,.0f} |")
    lines += [
        "",
        f"Per page, the build spends {1000 * rows[0][2] / n:.1f} ms of CPU with extraction and {1000 * rows[1][2] / n:.1f} ms "
        "without (both including the build's fixed start-up: interpreter, imports, plan, manifest); trafilatura alone "
        f"takes {1000 * ip_cpu / n:.1f} ms in-process and {1000 * ch_cpu / n:.1f} ms through its time-limited child "
        "(the page and the result pickled over a pipe). The fetch-only build is the cost of HTTP (httpx), the "
        "per-request checks (DNS, address, robots.txt, host gates with file locks), records and Parquet.", "",
        f"**Machine**: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, shared with other work "
        f"(load average at the start {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}); wall times vary with that load, "
        "CPU times much less.", "",
        f"**Software**: pdcorpus (Python {platform.python_version()}), httpx {httpx.__version__}, "
        f"trafilatura {trafilatura.__version__}.", "",
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_results:
        write_section(Path(args.results), section)


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the section; every byte outside it stays as it was."""
    text = path.read_text() if path.exists() else (
        "# pdcorpus benchmark results\n\n"
        "Each section is written by a script under `benchmarks/`; re-running one rewrites only its own section.\n")
    lines = text.splitlines(keepends=True)
    start = next((i for i, l in enumerate(lines) if l.rstrip("\n") == SECTION_TITLE), None)
    if start is None:
        sep = "" if text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
        text = text + sep + section
    else:
        end = next((j for j in range(start + 1, len(lines)) if lines[j].startswith("## ")), len(lines))
        tail = "".join(lines[end:])
        body = section if not tail else section.rstrip("\n") + "\n\n"
        text = "".join(lines[:start]) + body + tail
    path.write_text(text)


if __name__ == "__main__":
    main()
