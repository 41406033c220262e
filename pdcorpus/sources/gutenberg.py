"""``format: gutenberg``: the books of Project Gutenberg, from its catalog, with their rights and clean texts.

    read:
      format: gutenberg
      catalog: https://www.gutenberg.org/cache/epub/feeds/pg_catalog.csv
      mirror: https://www.gutenberg.org
      languages: [en]
      fetch: {contact: "mailto:you@example.org", max_bytes: 64MB}

What it reads (https://www.gutenberg.org/ebooks/offline_catalogs.html):

1. **The catalog** ``pg_catalog.csv`` (or ``.csv.gz``), one row a book: ``Text#, Type, Issued, Title, Language,
   Authors, Subjects, LoCC, Bookshelves`` (RFC 4180: a title may span lines). Rows of the ``types`` asked for
   (``Text`` by default: not ``Sound``, ``Image`` ...) and, with ``languages``, whose ``Language`` (``en``,
   ``en; fr``) names one of them, are the items. A row of the wrong width or without a number is set aside with
   the catalog's URL and line. The catalog is fetched once and kept in the work folder.
2. **The book's RDF record**, ``<mirror>/cache/epub/<n>/pg<n>.rdf`` (the same records as ``rdf-files.tar.bz2``):
   ``dcterms:rights`` -- "Public domain in the USA." or "Copyrighted. Read the copyright notice inside this book
   for details." -- the title, the creators and contributors (``pgterms:agent`` with ``pgterms:birthdate`` and
   ``pgterms:deathdate``), ``dcterms:issued``, languages and subjects.
3. **The text**, ``<mirror>/cache/epub/<n>/pg<n>.txt`` (UTF-8), with Project Gutenberg's header and licence
   footer removed (``strip_boilerplate``).

A book whose RDF or text answers 404/410 (withdrawn, renumbered) is set aside as ``http-status-404`` /
``-410``; an RDF that is not well-formed XML as ``malformed-rdf``; a text without Project Gutenberg's start or
end line as ``no-start-marker`` / ``no-end-marker``.

Records: ``id`` = the book number, ``url`` = ``https://www.gutenberg.org/ebooks/<n>`` (the book's canonical
page, wherever it was fetched from), ``title``, ``author`` (the creators, ``"; "``), ``date`` = the **release
date on Project Gutenberg** (``Issued``, not the first publication), ``retrieved_at``, ``license_raw`` = the
RDF's ``dcterms:rights`` verbatim (absent: no statement). ``metadata``: ``gutenberg_id``, ``rights``, ``issued``,
``type``, ``languages``, ``subjects``, ``locc``, ``bookshelves``, ``people`` (name, born, died, role, as the RDF
gives them), ``author_died`` (the latest death year of all of them, or null if any is unknown: the rights
stage's ``died:`` for jurisdictions where "Public domain in the USA." does not settle it), ``text_url``,
``catalog_line``, and what was cut (``boilerplate``: the marker lines found).
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import asdict
from typing import Any, Awaitable, Callable, ClassVar

from lxml import etree
from pydantic import Field, field_validator

from pdcorpus.fetch.cache import Response
from pdcorpus.record import Record
from pdcorpus.sources.api import ArchiveOptions, ArchiveReader, Entry, ItemError, PageError, text_body
from pdcorpus.sources.names import Person, latest_death, parse_people

# -- rights ---------------------------------------------------------------------------------------------------

# Project Gutenberg's two dcterms:rights statements (its RDF records and catalog). "Public domain in the USA."
# is a US-only verdict: elsewhere the author's death decides.
RIGHTS_STATEMENTS: list[tuple[str, str]] = [
    (r"public domain in the (usa|u\.s\.a?|united states( of america)?)", "NoC-US"),
    (r"copyrighted\. read the copyright notice inside this book for details", "InC"),
]

# -- the text: Project Gutenberg's header and footer ---------------------------------------------------------

# The lines that open and close the book proper. Current files: "*** START OF THE PROJECT GUTENBERG EBOOK
# <TITLE> ***" and "*** END OF THE PROJECT GUTENBERG EBOOK <TITLE> ***"; earlier ones say "THIS PROJECT
# GUTENBERG EBOOK", "ETEXT", miss a space or a star ("***START OF ..."), or end the small-print licence
# header with "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*...*END*"; older closings are "End of the Project
# Gutenberg EBook of <title>" and "End of Project Gutenberg's <title>", which come before the closing
# "*** END" line when both are there.
_START = re.compile(r"^\s*\*{2,}\s*START\s+OF\s+(THE|THIS)\s+PROJECT\s+GUTENBERG\s+E-?(BOOK|TEXT)\b.*$|"
                    r"^\s*\*END\*\s*THE SMALL PRINT!.*$", re.IGNORECASE | re.MULTILINE)
_END = re.compile(r"^\s*\*{2,}\s*END\s+OF\s+(THE|THIS)\s+PROJECT\s+GUTENBERG\s+E-?(BOOK|TEXT)\b.*$|"
                  r"^\s*End\s+of\s+(the\s+)?Project\s+Gutenberg'?s?\b.*$", re.IGNORECASE | re.MULTILINE)


class BoilerplateError(ValueError):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def strip_boilerplate(text: str) -> tuple[str, dict[str, str]]:
    """The book without Project Gutenberg's header (up to and with the start line) and footer (from the first
    end line), and the marker lines found. BoilerplateError (``no-start-marker``, ``no-end-marker``,
    ``empty-text``) when they are not there, since the licence text could not be told from the book."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    start = _START.search(text)
    if start is None:
        raise BoilerplateError("no-start-marker", "no '*** START OF THE PROJECT GUTENBERG EBOOK ... ***' line "
                               "(nor an older variant): the header cannot be told from the book")
    if start.group(0).lstrip().upper().startswith("*END*"):  # the small-print header may also precede a START line
        later = _START.search(text, start.end())
        if later is not None and not later.group(0).lstrip().upper().startswith("*END*"):
            start = later
    end = _END.search(text, start.end())
    if end is None:
        raise BoilerplateError("no-end-marker", "no '*** END OF THE PROJECT GUTENBERG EBOOK ... ***' line (nor an "
                               "older variant): the licence footer cannot be told from the book")
    body = text[start.end():end.start()].strip("\n")
    if not body.strip():
        raise BoilerplateError("empty-text", "nothing between the start and end lines")
    return body + "\n", {"start": start.group(0).strip(), "end": end.group(0).strip()}


# -- the RDF record --------------------------------------------------------------------------------------------

NS = {"rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "dcterms": "http://purl.org/dc/terms/",
      "pgterms": "http://www.gutenberg.org/2009/pgterms/", "marcrel": "http://id.loc.gov/vocabulary/relators/"}
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
# MARC relator codes Project Gutenberg uses for contributors (a translation has its translator's rights too)
_ROLES = {"aut": "Author", "trl": "Translator", "edt": "Editor", "ill": "Illustrator", "com": "Compiler",
          "ctb": "Contributor", "aui": "Author of introduction", "ann": "Annotator", "cmm": "Commentator",
          "adp": "Adapter", "pbl": "Publisher", "art": "Artist", "arr": "Arranger", "cmp": "Composer",
          "dub": "Dubious author", "oth": "Other", "unk": "Unknown role", "prt": "Printer", "egr": "Engraver",
          "trc": "Transcriber", "res": "Researcher", "pht": "Photographer", "ctg": "Cartographer", "lbt": "Librettist"}


def _year(text: str | None) -> int | None:
    try:
        return int(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


def parse_rdf(body: bytes) -> dict[str, Any]:
    """The facts of one book's RDF record; ValueError if it is not one."""
    root = etree.fromstring(body, _PARSER)
    book = root.find("pgterms:ebook", NS)
    if book is None:
        raise ValueError("no pgterms:ebook element")

    def texts(path: str) -> list[str]:
        return [" ".join((el.text or "").split()) for el in book.findall(path, NS) if (el.text or "").strip()]

    people: list[Person] = []
    for child in book:
        tag = etree.QName(child)
        if tag.namespace == NS["dcterms"] and tag.localname == "creator":
            role = "Author"
        elif tag.namespace == NS["marcrel"]:
            role = _ROLES.get(tag.localname, tag.localname)
        else:
            continue
        for agent in child.findall("pgterms:agent", NS):
            name = " ".join((agent.findtext("pgterms:name", default="", namespaces=NS)).split())
            people.append(Person(name, _year(agent.findtext("pgterms:birthdate", namespaces=NS)),
                                 _year(agent.findtext("pgterms:deathdate", namespaces=NS)), role))
    rights = texts("dcterms:rights")
    return {
        "rights": rights[0] if rights else None,
        "title": (texts("dcterms:title") or [None])[0],
        "issued": (texts("dcterms:issued") or [None])[0],
        "type": (texts("dcterms:type/rdf:Description/rdf:value") or [None])[0],
        "languages": texts("dcterms:language/rdf:Description/rdf:value"),
        "subjects": texts("dcterms:subject/rdf:Description/rdf:value"),
        "people": people,
    }


# -- the reader ------------------------------------------------------------------------------------------------

CATALOG_COLUMNS = ("Text#", "Type", "Issued", "Title", "Language", "Authors", "Subjects", "LoCC", "Bookshelves")


class GutenbergOptions(ArchiveOptions):
    endpoint_key: ClassVar[str] = "catalog"

    catalog: str = Field(description="the catalog pg_catalog.csv (or .csv.gz): its URL")
    mirror: str = Field("https://www.gutenberg.org", description="where the files are: <mirror>/cache/epub/<n>/pg<n>.txt")
    languages: list[str] | None = Field(None, description="keep books whose catalog Language names one of these")
    types: list[str] = Field(default_factory=lambda: ["Text"], min_length=1, description="catalog Type values to keep")

    @field_validator("catalog", "mirror")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, got '{value}'")
        return value.rstrip("/")


class GutenbergReader(ArchiveReader):
    format = "gutenberg"
    Options = GutenbergOptions
    content_types: ClassVar[tuple[str, ...]] = (
        "text/csv", "text/plain", "application/rdf+xml", "application/xml", "text/xml", "application/gzip",
        "application/x-gzip", "application/octet-stream")

    def __init__(self, *args: Any, catalog: str, mirror: str = "https://www.gutenberg.org",
                 languages: list[str] | None = None, types: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalog, self.mirror = catalog, mirror
        self.languages = {x.strip().lower() for x in languages} if languages else None
        self.types = set(types or ["Text"])

    # -- the catalog: one page ----------------------------------------------------------------------------

    def first_cursor(self) -> Any:
        return self.catalog

    def page_url(self, cursor: Any) -> str:
        return cursor

    def parse_page(self, body: bytes, number: int, url: str) -> tuple[list[Any], Any]:
        if url.endswith(".gz") or body[:2] == b"\x1f\x8b":
            try:
                body = gzip.decompress(body)
            except (OSError, EOFError) as exc:
                raise PageError("malformed-csv", f"the catalog is not a readable gzip file: {exc}") from None
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PageError("invalid-utf8", f"the catalog is not UTF-8: {exc}") from None
        reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = next(reader)
        except (StopIteration, csv.Error) as exc:
            raise PageError("malformed-csv", f"no header row: {exc}") from None
        missing = [c for c in ("Text#", "Type", "Language") if c not in header]
        if missing:
            raise PageError("malformed-csv", f"not Project Gutenberg's catalog: no column {', '.join(missing)} "
                            f"(header: {', '.join(header[:12])})")
        items: list[dict[str, Any]] = []
        line = reader.line_num + 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                self.reject(url, line, "malformed-csv", str(exc))
                line = reader.line_num + 1
                continue
            first, line = line, reader.line_num + 1
            if not values:
                continue
            if len(values) != len(header):
                self.reject(url, first, "malformed-csv", f"{len(values)} fields, header has {len(header)}",
                            raw=",".join(values)[:500])
                continue
            row = dict(zip(header, values))
            number_text = row["Text#"].strip()
            if not number_text.isdigit():
                self.reject(url, first, "malformed-record", f"Text# is '{number_text[:40]}', not a book number",
                            raw=",".join(values)[:500])
                continue
            if row.get("Type", "").strip() not in self.types:
                continue
            languages = [x.strip().lower() for x in row.get("Language", "").split(";") if x.strip()]
            if self.languages is not None and not self.languages.intersection(languages):
                continue
            items.append({"n": int(number_text), "line": first, "row": row, "languages": languages})
        return items, None

    # -- a book -----------------------------------------------------------------------------------------

    def rdf_url(self, n: int) -> str:
        return f"{self.mirror}/cache/epub/{n}/pg{n}.rdf"

    def text_url(self, n: int) -> str:
        return f"{self.mirror}/cache/epub/{n}/pg{n}.txt"

    async def item(self, data: dict[str, Any], fetch: Callable[[str], Awaitable[Response]]) -> Any:
        import asyncio

        rdf, text = await asyncio.gather(fetch(self.rdf_url(data["n"])), fetch(self.text_url(data["n"])),
                                         return_exceptions=True)
        for result in (rdf, text):  # the RDF's failure first: it is the book's record
            if isinstance(result, BaseException):
                raise result
        return rdf, text

    def line_of(self, entry: Entry) -> int:
        return entry.data["line"]

    def item_id(self, data: Any) -> str | None:
        return f"{self.source}:{data['n']}" if isinstance(data, dict) else None

    def describe(self, data: Any) -> str:
        return f"#{data['n']} (catalog line {data['line']})" if isinstance(data, dict) else str(data)

    def record(self, entry: Entry, fetched: Any) -> Record | None:
        rdf_response, text_response = fetched
        data = entry.data
        row = data["row"]
        try:
            facts = parse_rdf(rdf_response.body)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise ItemError("malformed-rdf", f"{rdf_response.final_url}: not a Project Gutenberg RDF record: {exc}") from None
        try:
            body, markers = strip_boilerplate(text_body(text_response, "text"))
        except BoilerplateError as exc:
            raise ItemError(exc.reason, f"{text_response.final_url}: {exc}") from None
        people = facts["people"] or parse_people(row.get("Authors"))
        authors = [p for p in people if p.role in (None, "Author")] or people
        n = data["n"]
        fields = {
            "id": str(n),
            "text": body,
            "url": f"https://www.gutenberg.org/ebooks/{n}",
            "title": facts["title"] or (row.get("Title") or "").strip() or None,
            "author": "; ".join(p.name for p in authors) or None,
            "date": facts["issued"] or (row.get("Issued") or "").strip() or None,
            "retrieved_at": text_response.retrieved_at,
            "license": facts["rights"],
            "gutenberg_id": n,
            "rights": facts["rights"],
            "issued": facts["issued"] or (row.get("Issued") or "").strip() or None,
            "type": facts["type"] or row.get("Type"),
            "languages": facts["languages"] or data["languages"],
            "subjects": facts["subjects"] or [s.strip() for s in (row.get("Subjects") or "").split(";") if s.strip()],
            "locc": [s.strip() for s in (row.get("LoCC") or "").split(";") if s.strip()] or None,
            "bookshelves": [s.strip() for s in (row.get("Bookshelves") or "").split(";") if s.strip()] or None,
            "people": [{k: v for k, v in asdict(p).items() if v is not None} for p in people] or None,
            "author_died": latest_death(people),
            "text_url": text_response.final_url,
            "catalog_line": data["line"],
            "boilerplate": markers,
        }
        return self.row(entry, fields)


__all__ = ["GutenbergReader", "GutenbergOptions", "RIGHTS_STATEMENTS", "parse_rdf", "strip_boilerplate"]
