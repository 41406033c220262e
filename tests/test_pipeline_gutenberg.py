"""pipelines/gutenberg: the recipe built through the CLI against a Project Gutenberg stand-in on 127.0.0.1 serving
its catalog (pg_catalog.csv), RDF records and plain-text files (tests/data/pipelines/gutenberg/README.md).

Expectations come from Project Gutenberg's formats and statements: "Public domain in the USA." is a US-only
verdict (elsewhere the death of every author, translator and editor decides: EU life + 70, so died 1955 or
earlier as of 2026); "Copyrighted. Read the copyright notice inside this book for details." is in copyright;
the book is what lies between the "*** START OF ..." and "*** END OF ..." lines."""

from __future__ import annotations

from archive_server import PIPELINES, ArchiveServer
from pipeline_helpers import build, by_id, loopback_env, manifest, meta, rejects, review_rows, shard_rows

from pdcorpus.sources.gutenberg import strip_boilerplate

DATA = PIPELINES / "gutenberg"


def serve(server: ArchiveServer) -> str:
    catalog = server.file("/cache/epub/feeds/pg_catalog.csv", DATA / "pg_catalog.csv", "text/csv; charset=utf-8")
    for path in sorted((DATA / "cache" / "epub").glob("*/*")):
        kind = "application/rdf+xml" if path.suffix == ".rdf" else "text/plain; charset=utf-8"
        server.file("/" + str(path.relative_to(DATA)), path, kind)
    return catalog  # book 1400 (Great Expectations) has no files: withdrawn, both answer 404


def test_the_recipe_builds_clean_public_domain_books(tmp_path):
    out = tmp_path / "out"
    with ArchiveServer() as server:
        catalog = serve(server)
        env = loopback_env(tmp_path, GUTENBERG_CATALOG=catalog, GUTENBERG_MIRROR=server.base,
                           GUTENBERG_REQUESTS_PER_SECOND="250.0")
        run, seconds = build("gutenberg", out, env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert server.requested("/cache/epub/feeds/pg_catalog.csv") == 1
        assert server.requested("/cache/epub/10002/pg10002.rdf") == 0  # a Sound row is not a text

    kept = by_id(shard_rows(out))
    # public domain in the USA, and every author died by 1955: allowed for US and EU
    assert set(kept) == {"gutenberg:11", "gutenberg:2701", "gutenberg:4791"}
    alice = kept["gutenberg:11"]
    assert alice["license_raw"] == "Public domain in the USA."
    assert alice["url"] == "https://www.gutenberg.org/ebooks/11" and alice["author"] == "Carroll, Lewis"
    assert alice["title"] == "Alice's Adventures in Wonderland" and alice["date"] == "2008-06-27"
    assert alice["retrieved_at"]
    # the header and the licence footer are gone, the book is whole
    assert alice["text"].startswith("CHAPTER I.\nDown the Rabbit-Hole")
    assert "Project Gutenberg" not in alice["text"] and "START OF" not in alice["text"]
    assert alice["text"].rstrip().endswith("a White Rabbit with pink eyes ran\nclose by her.")
    m = meta(alice)
    assert m["gutenberg_id"] == 11 and m["rights"] == "Public domain in the USA." and m["author_died"] == 1898
    assert m["people"] == [{"name": "Carroll, Lewis", "born": 1832, "died": 1898, "role": "Author"}]
    assert m["catalog_line"] == 2 and m["boilerplate"]["start"].startswith("*** START OF THE PROJECT GUTENBERG EBOOK")
    # an older file: "THIS PROJECT GUTENBERG EBOOK" and an "End of Project Gutenberg's ..." line before the end line
    moby = kept["gutenberg:2701"]["text"]
    assert moby.startswith("CHAPTER 1. Loomings.") and moby.rstrip().endswith("of the world.")
    assert "End of Project Gutenberg" not in moby
    assert kept["gutenberg:4791"]["language"] == "fr"

    set_aside = {r["id"]: r for r in rejects(out)}
    # Great Expectations: RDF and text answer 404 (the book vanished), with the catalog's URL and line
    assert set_aside["gutenberg:1400"]["reason"] == "http-status-404" and set_aside["gutenberg:1400"]["line"] == 3
    # (the catalog URL came from ${GUTENBERG_CATALOG}: recorded as the variable's name, like every ${ENV} value)
    assert set_aside["gutenberg:1400"]["file"] == "${GUTENBERG_CATALOG}"
    # the catalog row cut short (5 fields, 9 in the header) is set aside by its line; the title of book 30000 spans
    # lines 7-8, so the row after it is on line 9
    short = [r for r in rejects(out) if r["reason"] == "malformed-csv"]
    assert [(r["line"], r["stage"]) for r in short] == [(11, "read")]
    # a text without its end line: the licence footer cannot be told from the book
    assert set_aside["gutenberg:71000"]["reason"] == "no-end-marker" and set_aside["gutenberg:71000"]["line"] == 12
    # "Copyrighted. Read the copyright notice inside this book for details.": never allowed
    assert set_aside["gutenberg:70000"]["stage"] == "rights"
    # public domain in the USA but the author died in 1960 (EU: not before 2031), and a book whose RDF has no
    # dcterms:rights: neither is in the corpus, neither is lost
    held = {r["id"] for r in review_rows(out)} | {k for k, v in set_aside.items() if v["stage"] == "rights"}
    assert {"gutenberg:30000", "gutenberg:65000"} <= held
    facts = manifest(out)
    # ten catalog rows: one Sound (not asked for), eight books, one row cut short
    assert facts["sources"]["gutenberg"]["records_read"] == 9
    print(f"\ngutenberg recipe: 10 books in {seconds:.2f} s (build wall time, 1 worker)")


def test_strip_boilerplate_keeps_the_book_and_names_what_it_cut():
    text = ("The Project Gutenberg eBook of X\r\n\r\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\r\n\r\nBody line one.\r\n"
            "Body line two.\r\n\r\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\r\nSTART: FULL LICENSE\r\n")
    body, markers = strip_boilerplate(text)
    assert body == "Body line one.\nBody line two.\n"
    assert markers == {"start": "*** START OF THE PROJECT GUTENBERG EBOOK X ***",
                       "end": "*** END OF THE PROJECT GUTENBERG EBOOK X ***"}
    # the 1990s small-print header ends with *END*THE SMALL PRINT!...; their files end with "End of the Project
    # Gutenberg Etext of ..."
    old = ("**The Project Gutenberg Etext of Y**\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n"
           "The text.\n\nEnd of the Project Gutenberg Etext of Y\n")
    assert strip_boilerplate(old)[0] == "The text.\n"


def test_catalogue_names_give_life_years_and_the_latest_death():
    """The catalog's Authors column as Project Gutenberg writes it: "Name, born-died", "?" for uncertain years,
    "BCE", roles in brackets, several joined by "; ", and floruit dates that are not lives."""
    from pdcorpus.sources.names import Person, latest_death, parse_people

    people = parse_people("Augustine, of Hippo, Saint, 354-430; Pusey, E. B. (Edward Bouverie), 1800-1882 [Translator]")
    assert people == [Person("Augustine, of Hippo, Saint", 354, 430), Person("Pusey, E. B. (Edward Bouverie)", 1800, 1882, "Translator")]
    assert latest_death(people) == 1882  # the translation is as free as its translator's death allows
    assert parse_people("Plato, 428? BCE-348? BCE") == [Person("Plato", -428, -348)]
    assert parse_people("Sunzi, active 6th century B.C.") == [Person("Sunzi, active 6th century B.C.")]
    assert latest_death(parse_people("Twain, Mark, 1835-1910; Anonymous")) is None  # one unknown death: unknown
    assert parse_people("Smith, Jane, 1950-") == [Person("Smith, Jane", 1950, None)]
