"""pipelines/internet-archive: the recipe built through the CLI against an Internet Archive stand-in on 127.0.0.1
serving responses in the archive's formats (tests/data/pipelines/internet-archive/README.md).

Expectations come from the Internet Archive's documentation and the fixtures' content: the scrape API is
followed by its cursor until a page has none; a ``{}`` metadata answer is an item that does not exist; the text
is the item's DjVuTXT file; ``licenseurl`` is a licence or public-domain tool, ``possible-copyright-status`` an
uploader's claim that only dates can settle (README, rights stage)."""

from __future__ import annotations

import json

from archive_server import PIPELINES, ArchiveServer
from pipeline_helpers import build, by_id, loopback_env, manifest, meta, rejects, shard_rows

DATA = PIPELINES / "internet-archive"
QUERY = "collection:(pdcorpus-test) AND mediatype:(texts)"
IDENTIFIERS = ["alicesadventures00carr", "historyofwhaling00scor", "modernnovel00smit", "unmarkedsermons00anon",
               "withdrawnitem00gone", "textremoved00miss", "brokenrecord00json", "imagesonly00scan",
               "naturalhistory00buff"]


def serve(server: ArchiveServer, second_page: bytes | None = None) -> None:
    scrape = "/services/search/v1/scrape"
    server.file(f"{scrape}?q={QUERY}&fields=identifier&count=1000", DATA / "scrape-1.json", "application/json")
    cursor = json.loads((DATA / "scrape-1.json").read_text())["cursor"]
    second = f"{scrape}?q={QUERY}&fields=identifier&count=1000&cursor={cursor}"
    if second_page is None:
        server.file(second, DATA / "scrape-2.json", "application/json")
    else:
        server.route(second, second_page, content_type="application/json")
    for ident in IDENTIFIERS:
        server.file(f"/metadata/{ident}", DATA / "metadata" / f"{ident}.json", "application/json")
    for path in sorted((DATA / "download").glob("*_djvu.txt")):
        ident = path.name.removesuffix("_djvu.txt")
        server.file(f"/download/{ident}/{path.name}", path, "text/plain; charset=utf-8")
    # textremoved00miss: its metadata lists a DjVuTXT file, the download answers 404 (no route)


def env_for(server: ArchiveServer, tmp_path) -> dict[str, str]:
    return loopback_env(tmp_path, IA_ENDPOINT=server.base, IA_QUERY=QUERY, IA_REQUESTS_PER_SECOND="250.0")


def test_the_recipe_builds_public_domain_items_and_sets_aside_the_rest(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server:
        serve(server)
        run, seconds = build("internet-archive", out, env_for(server, tmp_path))
        assert run.returncode == 0, run.stderr[-3000:]
        # the cursor was followed: the second page was asked for with the first page's cursor, once
        cursor = json.loads((DATA / "scrape-1.json").read_text())["cursor"]
        assert server.requested(f"/services/search/v1/scrape?q={QUERY}&fields=identifier&count=1000&cursor={cursor}") == 1
        # every item's metadata was asked for once; the User-Agent names pdcorpus and the contact
        assert all(server.requested(f"/metadata/{i}") == 1 for i in IDENTIFIERS)
        agents = {hit.headers.get("User-Agent") for hit in server.log}
        assert len(agents) == 1 and "mailto:pipelines-test@example.org" in agents.pop()

    kept = by_id(shard_rows(out))
    # PDM (licenseurl) and an uploader's NOT_IN_COPYRIGHT claim settled by dates (published 1820, author died
    # 1857: public domain in the US and the EU) are in; the creators' death years came from "Name, 1789-1857"
    assert set(kept) == {"internet-archive:alicesadventures00carr", "internet-archive:historyofwhaling00scor",
                         "internet-archive:naturalhistory00buff"}
    alice = kept["internet-archive:alicesadventures00carr"]
    assert alice["license"] == "PDM-1.0"
    assert alice["title"] == "Alice's adventures in Wonderland" and alice["author"] == "Carroll, Lewis, 1832-1898"
    assert alice["date"] == "1866" and alice["url"] == "https://archive.org/details/alicesadventures00carr"
    assert alice["retrieved_at"] and alice["text"].lstrip().startswith("ALICE'S ADVENTURES")
    m = meta(alice)
    assert m["identifier"] == "alicesadventures00carr" and m["licenseurl"] == "http://creativecommons.org/publicdomain/mark/1.0/"
    assert m["text_file"] == "alicesadventures00carr_djvu.txt" and m["published"] == 1866 and m["author_died"] == 1898
    assert json.loads(alice["license_raw"]) == {"internet-archive": {"licenseurl": "http://creativecommons.org/publicdomain/mark/1.0/"}}
    whaling = kept["internet-archive:historyofwhaling00scor"]
    assert json.loads(whaling["license_raw"]) == {"internet-archive": {"possible-copyright-status": "NOT_IN_COPYRIGHT"}}
    assert meta(whaling)["possible-copyright-status"] == "NOT_IN_COPYRIGHT" and meta(whaling)["author_died"] == 1857
    buffon = kept["internet-archive:naturalhistory00buff"]
    assert meta(buffon)["author_died"] == 1795  # the translator died last: his translation is what the text is
    assert meta(buffon)["rights"] == "This work is in the public domain."

    set_aside = {r["id"]: r for r in rejects(out)}
    # a licence with NonCommercial/NoDerivatives is never public domain
    assert set_aside["internet-archive:modernnovel00smit"]["stage"] == "rights"
    # vanished ({} from the metadata API), a text file answering 404, a metadata answer that is not JSON, an item
    # without a DjVuTXT file: each set aside at reading, with the listing page and the item's position in it
    read = {k: v for k, v in set_aside.items() if v["stage"] == "read"}
    assert {k: v["reason"] for k, v in read.items()} == {
        "internet-archive:withdrawnitem00gone": "vanished",
        "internet-archive:textremoved00miss": "http-status-404",
        "internet-archive:brokenrecord00json": "malformed-json",
        "internet-archive:imagesonly00scan": "no-text-file",
    }
    assert read["internet-archive:withdrawnitem00gone"]["line"] == 5  # fifth in the listing
    assert "scrape" in read["internet-archive:withdrawnitem00gone"]["file"]
    assert read["internet-archive:textremoved00miss"]["line"] == 6 and "cursor=" in read["internet-archive:textremoved00miss"]["file"]
    # no rights statement and no death year: neither allowed nor lost
    sermons = "internet-archive:unmarkedsermons00anon"
    assert sermons not in kept and set_aside[sermons]["stage"] == "rights"

    facts = manifest(out)
    assert facts["sources"]["internet-archive"]["records_read"] == 9  # 9 listed, 4 set aside while reading
    assert facts["dropped"] == {"read:http-status-404": 1, "read:malformed-json": 1, "read:no-text-file": 1,
                                "read:vanished": 1, "rights:no-rights-statement": 1, "rights:non-commercial": 1}
    fetch_step = next(s for s in facts["stages"] if s["stage"] == "fetch")
    assert fetch_step["records_out"] == 5 and any(k.startswith("domain:127.0.0.1") for k in fetch_step["tally"])
    print(f"\ninternet-archive recipe: 9 items in {seconds:.2f} s ({9 / seconds:.1f} items/s, build wall time, 1 worker)")


def test_a_malformed_search_page_is_set_aside_and_the_build_keeps_what_came_before(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server:
        serve(server, second_page=b'{"items":[{"identifier":"textremoved00miss"},{"identif')
        run, _ = build("internet-archive", out, env_for(server, tmp_path))
        assert run.returncode == 0, run.stderr[-3000:]
    page = [r for r in rejects(out) if r["reason"] == "malformed-json" and r["id"] is None]
    assert len(page) == 1 and page[0]["line"] == 2 and "cursor=" in page[0]["file"]
    assert "cannot be followed past it" in page[0]["detail"]
    kept = {r["id"] for r in shard_rows(out)}
    assert kept == {"internet-archive:alicesadventures00carr", "internet-archive:historyofwhaling00scor"}


def test_a_slice_with_limit_asks_only_for_what_it_needs(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server:
        serve(server)
        run, _ = build("internet-archive", out, env_for(server, tmp_path), "--limit", "1")
        assert run.returncode == 0, run.stderr[-3000:]
        # one record read; the second search page (after five identifiers) was never needed
        assert server.requested(f"/metadata/{IDENTIFIERS[0]}") == 1
        assert server.requested(f"/metadata/{IDENTIFIERS[1]}") == 0  # no more items in flight than the slice needs
        cursor = json.loads((DATA / "scrape-1.json").read_text())["cursor"]
        assert server.requested(f"/services/search/v1/scrape?q={QUERY}&fields=identifier&count=1000&cursor={cursor}") == 0
    assert manifest(out)["sources"]["internet-archive"]["records_read"] == 1


def test_a_search_page_that_keeps_failing_stops_the_build_and_the_same_command_resumes_after_the_kept_page(tmp_path):
    out = tmp_path / "out"
    cursor = json.loads((DATA / "scrape-1.json").read_text())["cursor"]
    second = f"/services/search/v1/scrape?q={QUERY}&fields=identifier&count=1000&cursor={cursor}"
    with ArchiveServer() as server:
        serve(server)
        server.route(second, b"", content_type="text/plain", statuses=[503], retry_after="0")
        env = env_for(server, tmp_path)
        failed, _ = build("internet-archive", out, env)
        assert failed.returncode != 0
        assert "listing page 2" in failed.stderr and "run the build again to resume from this page" in failed.stderr
        assert server.requested(second) == 4  # the fetcher's 3 retries after the first attempt
        server.file(second, DATA / "scrape-2.json", "application/json")  # the archive is back
        resumed, _ = build("internet-archive", out, env)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        # the first page was kept in the work folder: asked for once in both builds together
        assert server.requested(f"/services/search/v1/scrape?q={QUERY}&fields=identifier&count=1000") == 1
    assert manifest(out)["sources"]["internet-archive"]["records_read"] == 9
    assert {r["id"] for r in shard_rows(out)} == {"internet-archive:alicesadventures00carr",
                                                 "internet-archive:historyofwhaling00scor",
                                                 "internet-archive:naturalhistory00buff"}


def test_advancedsearch_pages_by_number_until_numfound(tmp_path):
    """``search: advancedsearch``: Solr's ``response.numFound`` and ``start`` say when the last page has come."""
    out = tmp_path / "out"
    with ArchiveServer() as server:
        serve(server)
        for page in (1, 2):
            server.file(f"/advancedsearch.php?q={QUERY}&fl[]=identifier&rows=5&page={page}&output=json",
                        DATA / f"advancedsearch-{page}.json", "application/json")
        config = tmp_path / "corpus.yaml"
        config.write_text(f"""name: ia-advancedsearch
output: {out}
sources:
  - name: ia
    read:
      format: internet-archive
      endpoint: {server.base}
      query: "{QUERY}"
      search: advancedsearch
      rows: 5
      fetch: {{contact: "mailto:t@example.org", requests_per_second: 250.0, allow_private_networks: true,
              cache: {tmp_path / "cache"}}}
stages: []
""")
        import subprocess
        import sys

        from pipeline_helpers import ROOT

        env = loopback_env(tmp_path)
        run = subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", str(config), "--workers", "1"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]
        assert server.requested(f"/advancedsearch.php?q={QUERY}&fl[]=identifier&rows=5&page=3&output=json") == 0
    # numFound 9: pages 1 and 2 (5 + 4); the five items with a text file become records
    assert {r["id"] for r in shard_rows(out)} == {"ia:alicesadventures00carr", "ia:historyofwhaling00scor",
                                                 "ia:modernnovel00smit", "ia:unmarkedsermons00anon",
                                                 "ia:naturalhistory00buff"}
