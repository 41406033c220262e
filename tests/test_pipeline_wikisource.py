"""pipelines/wikisource: the recipe built through the CLI against a MediaWiki API stand-in on 127.0.0.1 serving
answers in the Action API's format (formatversion=2; tests/data/pipelines/wikisource/README.md).

Expectations come from the API's documentation (continuation: send back every value of ``continue`` until an
answer has none; a deleted page answers the error ``nosuchpageid``), from Wikisource's conventions (the
``ws-noexport`` class marks what is not part of the work; the header microformat ``ws-title``, ``ws-author``,
``ws-year``; a licence template on every work) and from the README's rights rules (PD-old: public domain;
PD-US: the US only; several licence templates or none: not allowed)."""

from __future__ import annotations


from archive_server import PIPELINES, ArchiveServer
from pipeline_helpers import build, by_id, loopback_env, manifest, meta, rejects, review_rows, shard_rows

DATA = PIPELINES / "wikisource"
LIST = "/w/api.php?action=query&format=json&formatversion=2&generator=allpages&prop=info&inprop=url&gapnamespace=0&gaplimit=50"


def serve(server: ArchiveServer) -> None:
    server.file(LIST, DATA / "allpages-1.json", "application/json; charset=utf-8")
    server.file(LIST + "&gapcontinue=The_Raven_(Poe)&continue=gapcontinue||", DATA / "allpages-2.json",
                "application/json; charset=utf-8")
    for path in sorted((DATA / "parse").glob("*.json")):
        server.file(f"/w/api.php?action=parse&format=json&formatversion=2&pageid={path.stem}"
                    "&prop=text|templates|categories|revid|displaytitle&disableeditsection=1&disablelimitreport=1",
                    path, "application/json; charset=utf-8")
    server.route("/robots.txt", "User-agent: *\nDisallow: /w/\n", content_type="text/plain")


def test_the_recipe_builds_wikisource_works_with_their_licence(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server:
        serve(server)
        env = loopback_env(tmp_path, WIKISOURCE_API=f"{server.base}/w/api.php", WIKISOURCE_REQUESTS_PER_SECOND="250.0")
        run, seconds = build("wikisource", out, env)
        assert run.returncode == 0, run.stderr[-3000:]
        # continuation: the second listing request carried the first answer's continue values
        assert server.requested(LIST + "&gapcontinue=The_Raven_(Poe)&continue=gapcontinue||") == 1
        assert server.counts["/robots.txt"] == 0  # robots: false (README: the API is the access for programs)

    kept = by_id(shard_rows(out))
    assert set(kept) == {"wikisource:1001", "wikisource:1005"}  # PD-old, PD-old-70
    carol = kept["wikisource:1001"]
    assert carol["license_raw"] == "PD-old" and carol["license"] == "public-domain"
    assert (carol["title"], carol["author"], carol["date"]) == ("A Christmas Carol", "Charles Dickens", "1843")
    assert carol["url"] == "https://en.wikisource.org/wiki/A_Christmas_Carol/Stave_One"
    # the work only: no header, no licence box, no edit links, page numbers or reference markers
    assert carol["text"] == ("STAVE I.\n\nMARLEY'S GHOST.\n\nMARLEY was dead: to begin with. There is no doubt whatever "
                             "about that. The register of his burial was signed by the clergyman, the clerk, the "
                             "undertaker, and the chief mourner. Scrooge signed it.\n\nOld Marley was as dead as a "
                             "door-nail.")  # (the recipe's normalize stage trims the final line end)
    m = meta(carol)
    assert m["pageid"] == 1001 and m["revid"] == 14001001 and m["license_templates"] == ["PD-old"]
    assert m["published"] == 1843 and m["page_title"] == "A Christmas Carol/Stave One"
    raven = kept["wikisource:1005"]["text"]
    assert raven.splitlines()[:2] == ["Once upon a midnight dreary, while I pondered, weak and weary,",
                                      "Over many a quaint and curious volume of forgotten lore—"]

    set_aside = {r["id"]: r for r in rejects(out)}
    assert set_aside["wikisource:1004"]["reason"] == "vanished" and "nosuchpageid" in set_aside["wikisource:1004"]["detail"]
    assert set_aside["wikisource:1004"]["line"] == 4
    assert set_aside["wikisource:1007"]["reason"] == "malformed-json" and set_aside["wikisource:1007"]["line"] == 7
    # no licence template and no year: denied; two licence templates (a translation): not recognized, held back;
    # PD-US: public domain in the US, not shown for the EU without the author's death
    held = {r["id"] for r in review_rows(out)} | {k for k, v in set_aside.items() if v["stage"] == "rights"}
    assert {"wikisource:1002", "wikisource:1003", "wikisource:1006", "wikisource:1008"} <= held
    assert set_aside["wikisource:1003"]["reason"] == "no-rights-statement"
    review = by_id(review_rows(out))
    assert review["wikisource:1002"]["license_raw"] == "CC-BY-SA-4.0; PD-old"
    assert review["wikisource:1006"]["license"] == "NoC-US"
    assert manifest(out)["sources"]["wikisource"]["records_read"] == 8
    print(f"\nwikisource recipe: 8 pages in {seconds:.2f} s (build wall time, 1 worker)")


def test_a_category_listing_without_a_category_fails_before_any_work(tmp_path):
    """A bad ``read:`` block of an archive format is a config error with the file, the line and the field."""
    import pytest

    from pdcorpus.config import ConfigError, load_config

    config = tmp_path / "corpus.yaml"
    config.write_text("""name: ws
output: out
sources:
  - name: ws
    read:
      format: mediawiki
      api: https://en.wikisource.org/w/api.php
      generator: categorymembers
      fetch: {contact: "mailto:t@example.org"}
""")
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert err.value.problems[0].startswith(f"{config}:")
    assert "generator categorymembers needs 'category'" in err.value.problems[0]
    config.write_text(config.read_text().replace('      fetch: {contact: "mailto:t@example.org"}\n', "")
                      .replace("generator: categorymembers", "generator: allpages"))
    with pytest.raises(ConfigError) as err:
        load_config(config)
    assert "needs a fetch block" in " ".join(err.value.problems)
