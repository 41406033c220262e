"""Records per second through each text recipe of pipelines/, against an archive stand-in on 127.0.0.1.

    PYTHONPATH=. python3 benchmarks/bench_pipelines.py [--items 400] [--recipes gutenberg,wikisource,bhl,internet-archive]

For each recipe, the stand-in (tests/archive_server.py) serves ``--items`` synthetic items in the archive's
format, made from the test fixtures of tests/data/pipelines/<recipe>/ with other identifiers and ~4 KB texts
of random words; the recipe's corpus file is built through the CLI (``pdcorpus build``, one worker, a fresh
cache) with the per-host rate raised to 1,000 requests/s (the recipes' own rates are the archives'
politeness, which bounds a real run: see each README). Reported: records read per second over the read phase
(listing, fetching, parsing, the rights/normalize/language/quality stages that run in it) and over the whole
build (with dedup and writing), from the build's manifest.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from archive_server import PIPELINES, ArchiveServer  # noqa: E402
from conftest import make_text  # noqa: E402


def text(rng: random.Random) -> str:
    return make_text(rng, 700)


def serve_ia(server: ArchiveServer, n: int, rng: random.Random) -> dict[str, str]:
    query = "collection:(bench)"
    ids = [f"benchitem{i:05d}" for i in range(n)]
    template = json.loads((PIPELINES / "internet-archive" / "metadata" / "historyofwhaling00scor.json").read_text())
    pages = [ids[i:i + 100] for i in range(0, n, 100)]
    for k, page in enumerate(pages):
        body = {"items": [{"identifier": i} for i in page], "count": len(page)}
        if k + 1 < len(pages):
            body["cursor"] = f"cursor{k + 1}"
        path = f"/services/search/v1/scrape?q={query}&fields=identifier&count=1000" + (f"&cursor=cursor{k}" if k else "")
        server.route(path, json.dumps(body), content_type="application/json")
    for i in ids:
        item = json.loads(json.dumps(template).replace("historyofwhaling00scor", i))
        server.route(f"/metadata/{i}", json.dumps(item), content_type="application/json")
        server.route(f"/download/{i}/{i}_djvu.txt", text(rng), content_type="text/plain; charset=utf-8")
    return {"IA_ENDPOINT": server.base, "IA_QUERY": query, "IA_REQUESTS_PER_SECOND": "1000.0"}


def serve_gutenberg(server: ArchiveServer, n: int, rng: random.Random) -> dict[str, str]:
    data = PIPELINES / "gutenberg"
    rows = ["Text#,Type,Issued,Title,Language,Authors,Subjects,LoCC,Bookshelves"]
    rdf = (data / "cache/epub/2701/pg2701.rdf").read_text()
    head = "The Project Gutenberg eBook of Book {n}\n\n*** START OF THE PROJECT GUTENBERG EBOOK BOOK {n} ***\n\n"
    foot = "\n\n*** END OF THE PROJECT GUTENBERG EBOOK BOOK {n} ***\n\nSTART: FULL LICENSE\n"
    for k in range(n):
        b = 100000 + k
        rows.append(f'{b},Text,2001-07-01,Book {b},en,"Melville, Herman, 1819-1891",Sea stories,PS,')
        server.route(f"/cache/epub/{b}/pg{b}.rdf", rdf.replace("ebooks/2701", f"ebooks/{b}"), content_type="application/rdf+xml")
        server.route(f"/cache/epub/{b}/pg{b}.txt", head.format(n=b) + text(rng) + foot.format(n=b),
                     content_type="text/plain; charset=utf-8")
    catalog = server.route("/cache/epub/feeds/pg_catalog.csv", "\r\n".join(rows) + "\r\n", content_type="text/csv")
    return {"GUTENBERG_CATALOG": catalog, "GUTENBERG_MIRROR": server.base, "GUTENBERG_REQUESTS_PER_SECOND": "1000.0"}


def serve_wikisource(server: ArchiveServer, n: int, rng: random.Random) -> dict[str, str]:
    data = PIPELINES / "wikisource"
    listing = json.loads((data / "allpages-1.json").read_text())
    template = json.loads((data / "parse" / "1005.json").read_text())
    base = "/w/api.php?action=query&format=json&formatversion=2&generator=allpages&prop=info&inprop=url&gapnamespace=0&gaplimit=50"
    ids = list(range(5000, 5000 + n))
    pages = [ids[i:i + 50] for i in range(0, n, 50)]
    for k, page in enumerate(pages):
        body = {"query": {"pages": [dict(listing["query"]["pages"][0], pageid=p, title=f"Work {p}",
                                         canonicalurl=f"https://en.wikisource.org/wiki/Work_{p}") for p in page]}}
        if k + 1 < len(pages):
            body["continue"] = {"gapcontinue": f"Work_{page[-1] + 1}", "continue": "gapcontinue||"}
        path = base + (f"&gapcontinue=Work_{page[0]}&continue=gapcontinue||" if k else "")
        server.route(path, json.dumps(body), content_type="application/json")
    for p in ids:
        parsed = json.loads(json.dumps(template))
        paragraphs = "".join(f"<p>{para}</p>" for para in text(rng).split(". ")[:40])
        parsed["parse"].update(pageid=p, title=f"Work {p}", text=f'<div class="mw-parser-output">{paragraphs}</div>')
        server.route(f"/w/api.php?action=parse&format=json&formatversion=2&pageid={p}"
                     "&prop=text|templates|categories|revid|displaytitle&disableeditsection=1&disablelimitreport=1",
                     json.dumps(parsed), content_type="application/json")
    return {"WIKISOURCE_API": f"{server.base}/w/api.php", "WIKISOURCE_REQUESTS_PER_SECOND": "1000.0"}


def serve_bhl(server: ArchiveServer, n: int, rng: random.Random) -> dict[str, str]:
    page1 = (PIPELINES / "bhl" / "listrecords-1.xml").read_text()
    head = page1[: page1.index("<record>")]
    record = page1[page1.index("<record>"): page1.index("</record>") + len("</record>")]
    ids = list(range(200000, 200000 + n))
    pages = [ids[i:i + 100] for i in range(0, n, 100)]
    for k, page in enumerate(pages):
        body = head + "".join(record.replace("item/7<", f"item/{i}<") for i in page)
        body += (f'<resumptionToken>tok{k + 1}</resumptionToken>' if k + 1 < len(pages) else "<resumptionToken/>")
        body += "</ListRecords>\n</OAI-PMH>\n"
        path = "/oai?verb=ListRecords&metadataPrefix=oai_dc&set=item" if k == 0 else f"/oai?verb=ListRecords&resumptionToken=tok{k}"
        server.route(path, body, content_type="text/xml; charset=utf-8")
    for i in ids:
        server.route(f"/itemtext/{i}", text(rng), content_type="text/plain; charset=utf-8")
    return {"BHL_OAI": f"{server.base}/oai", "BHL_REQUESTS_PER_SECOND": "1000.0"}


SERVE = {"gutenberg": serve_gutenberg, "wikisource": serve_wikisource, "bhl": serve_bhl, "internet-archive": serve_ia}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--recipes", default=",".join(SERVE))
    args = parser.parse_args()
    results = {}
    for recipe in args.recipes.split(","):
        with tempfile.TemporaryDirectory() as tmp, ArchiveServer() as server:
            env = dict(__import__("os").environ)
            env.update(SERVE[recipe](server, args.items, random.Random(7)))
            env.update({"PDCORPUS_CONTACT": "mailto:bench@example.org", "PDCORPUS_ALLOW_PRIVATE_NETWORKS": "true",
                        "PDCORPUS_FETCH_CACHE": f"{tmp}/cache", "PDCORPUS_HOST_LIMITS": f"{tmp}/limits",
                        "PYTHONPATH": str(ROOT)})
            out = Path(tmp) / "out"
            run = subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build",
                                  str(ROOT / "pipelines" / recipe / "corpus.yaml"), "--output", str(out), "--workers", "1", "-q"],
                                 env=env, capture_output=True, text=True, timeout=3600)
            if run.returncode:
                raise SystemExit(f"{recipe}: {run.stderr[-2000:]}")
            manifest = json.loads((out / "manifest.json").read_text())
            read = manifest["sources"][recipe.replace("internet-archive", "internet-archive")]["records_read"]
            timings = manifest["timings"]
            results[recipe] = {
                "records_read": read, "records_out": manifest["records_out"], "requests": sum(server.counts.values()),
                "read_phase_seconds": timings["phases"]["p0-read"]["wall_seconds"],
                "build_seconds": timings["total_seconds"],
                "records_per_second_read_phase": round(read / timings["phases"]["p0-read"]["wall_seconds"], 1),
                "records_per_second_build": round(read / timings["total_seconds"], 1),
            }
            print(f"{recipe}: {json.dumps(results[recipe])}", flush=True)
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
