"""pipelines/bhl: the recipe built through the CLI against a Biodiversity Heritage Library stand-in on 127.0.0.1
serving OAI-PMH 2.0 ListRecords pages (oai_dc) and plain-text OCR (tests/data/pipelines/bhl/README.md).

Expectations come from OAI-PMH 2.0 (the resumptionToken is followed until an empty one; a deleted record has no
metadata), from BHL's conventions (item records ``oai:biodiversitylibrary.org:item/<id>``, the text at
``itemtext/<id>``, creators as ``Name, born-died``) and from the README's rights rules (BHL's own
public-domain statement is a US determination: the creators' deaths settle the EU; NC licences never pass;
"No known copyright restrictions" needs the dates)."""

from __future__ import annotations

from archive_server import PIPELINES, ArchiveServer
from pipeline_helpers import build, by_id, loopback_env, manifest, meta, rejects, review_rows, shard_rows

DATA = PIPELINES / "bhl"


def serve(server: ArchiveServer) -> None:
    server.file("/oai?verb=ListRecords&metadataPrefix=oai_dc&set=item", DATA / "listrecords-1.xml", "text/xml; charset=utf-8")
    server.file("/oai?verb=ListRecords&resumptionToken=item|2016-07-13|4", DATA / "listrecords-2.xml",
                "text/xml; charset=utf-8")
    for path in sorted((DATA / "itemtext").iterdir()):
        server.file(f"/itemtext/{path.name}", path, "text/plain; charset=utf-8")
    # item 40: its text answers 404 (the scan was withdrawn)


def test_the_recipe_harvests_items_and_their_texts(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server:
        serve(server)
        env = loopback_env(tmp_path, BHL_OAI=f"{server.base}/oai", BHL_REQUESTS_PER_SECOND="250.0")
        run, seconds = build("bhl", out, env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert server.requested("/oai?verb=ListRecords&resumptionToken=item|2016-07-13|4") == 1
        assert server.requested("/itemtext/40") == 1

    kept = by_id(shard_rows(out))
    # BHL's public-domain statement (US) + creators dead by 1862; NKC + published 1850, creator died 1870
    assert set(kept) == {"bhl:7", "bhl:21"}
    item = kept["bhl:7"]
    assert item["license_raw"] == "Public domain. The BHL considers that this work is no longer under copyright protection."
    assert item["url"] == "https://www.biodiversitylibrary.org/item/7" and item["date"] == "1825"
    assert item["author"] == "Thunberg, Carl Peter, 1743-1828; Kjellenberg, Fredrik Ulrik, 1795-1862"
    assert item["title"] == "Examen classis dioeciae." and item["text"].startswith("EXAMEN\nCLASSIS DIOECIAE.")
    m = meta(item)
    assert m["oai_identifier"] == "oai:biodiversitylibrary.org:item/7" and m["author_died"] == 1862
    assert m["published"] == 1825 and m["dc"]["contributor"] == ["Missouri Botanical Garden, Peter H. Raven Library"]
    assert m["dc"]["rights"] == [item["license_raw"]] and m["text_url"].endswith("/itemtext/7")
    assert kept["bhl:21"]["license_raw"] == "No known copyright restrictions as determined by scanning institution."

    set_aside = {r["id"]: r for r in rejects(out)}
    assert set_aside["bhl:33"]["reason"] == "deleted-record"
    assert set_aside["bhl:40"]["reason"] == "http-status-404" and set_aside["bhl:40"]["line"] == 2  # harvest page 2
    assert set_aside["bhl:61"]["reason"] == "empty-text"
    assert set_aside["bhl:9"]["stage"] == "rights" and set_aside["bhl:9"]["reason"] == "non-commercial"
    # no dc:rights, no death year: not allowed, not lost
    assert "bhl:52" not in kept and ("bhl:52" in {r["id"] for r in review_rows(out)} or set_aside["bhl:52"]["stage"] == "rights")
    assert manifest(out)["sources"]["bhl"]["records_read"] == 7
    print(f"\nbhl recipe: 7 records in {seconds:.2f} s (build wall time, 1 worker)")
