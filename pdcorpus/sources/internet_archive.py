"""``format: internet-archive``: the texts of Internet Archive items found by a search.

    read:
      format: internet-archive
      endpoint: https://archive.org
      query: "collection:(americana) AND mediatype:(texts) AND date:[1800-01-01 TO 1900-12-31]"
      fetch: {contact: "mailto:you@example.org"}

For every item the search finds (https://archive.org/developers/):

1. **The search**: the scrape API (``/services/search/v1/scrape?q=..&fields=identifier&count=N``, then
   ``&cursor=`` with the cursor each page returns, until a page has none), the Internet Archive's way of
   listing a result set of any size; or, with ``search: advancedsearch``, ``/advancedsearch.php?q=..
   &fl[]=identifier&rows=N&page=P&output=json`` (Solr's ``response.numFound``, ``response.docs``), page by page.
   A search the archive refuses (``{"error": ...}``) stops the build with its message.
2. **The metadata API**, ``/metadata/<identifier>``: ``metadata`` (title, creator, date, language,
   ``licenseurl``, ``possible-copyright-status``, ``rights``, collection ...) and ``files``. An item that no
   longer exists answers ``{}`` (an empty object, HTTP 200), a dark item ``"is_dark": true``: both are set
   aside as ``vanished``.
3. **The text**: the item's ``DjVuTXT`` file (``<name>_djvu.txt``, the OCR text the archive derives from the
   scan) from ``/download/<identifier>/<file>``; an item without one is set aside as ``no-text-file``, a
   404/410 as ``http-status-404`` / ``http-status-410``.

Records: ``id`` = the identifier, ``url`` = ``https://archive.org/details/<identifier>``, ``title``, ``author``
(creators joined by ``"; "``), ``date`` (the item's ``date``), ``retrieved_at`` (when the text came),
``license_raw`` = the item's rights fields as the rights stage reads them (below), and in ``metadata`` the
identifier, the raw ``licenseurl``, ``possible-copyright-status`` and ``rights``, collection, language,
mediatype, publicdate, the text file's name, ``published`` (the year ``date`` starts with) and
``author_died`` (the latest death year the creators carry, ``Name, 1812-1870``), for a rights stage's
``published:`` and ``died:``.

Rights: ``licenseurl`` is a licence or public-domain tool URL the uploader chose (Creative Commons,
rightsstatements.org); ``possible-copyright-status`` is free text, usually ``NOT_IN_COPYRIGHT`` on scans of old
books, an uploader's unverified claim. ``licenseurl`` decides when present; a claim of no copyright is
recorded as a claim (``unknown``, settled only by dates in the rights stage); anything else, or neither field,
is ``unknown``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Awaitable, Callable, ClassVar, Literal
from urllib.parse import quote, urlencode

from pydantic import Field, field_validator

from pdcorpus.fetch.cache import Response
from pdcorpus.rights.normalize import Normalized, UNKNOWN, normalize
from pdcorpus.sources.api import ArchiveOptions, ArchiveReader, Entry, ItemError, PageError, json_body, text_body
from pdcorpus.sources.names import latest_death, parse_person, year_of
from pdcorpus.io.readers import InputError, InputFile
from pdcorpus.record import Record

# -- rights ---------------------------------------------------------------------------------------------------

# Claims of no copyright as uploaders write them: NOT_IN_COPYRIGHT, "NOT IN COPYRIGHT (Stated by the
# Contributor)", "Public domain". Anything else in the field is not read as a claim.
_NO_COPYRIGHT_CLAIM = re.compile(r"^\s*(not[\s_-]+in[\s_-]+copyright|public[\s_-]*domain)\b", re.IGNORECASE)
RIGHTS_FIELDS = ("licenseurl", "possible-copyright-status")


def rights_of(meta: dict) -> Normalized:
    """The canonical id of an item's rights fields (``licenseurl``, ``possible-copyright-status``)."""
    url = meta.get("licenseurl")
    if isinstance(url, str) and url.strip():
        found = normalize(url)
        return Normalized(found.license, f"internet archive licenseurl: {found.how}")
    status = meta.get("possible-copyright-status")
    if isinstance(status, str) and status.strip():
        if _NO_COPYRIGHT_CLAIM.search(status):
            # An uploader's unverified claim: it makes nothing public domain by itself.
            return Normalized(UNKNOWN, f"internet archive possible-copyright-status: {status.strip()} (uploader's claim)",
                              claim=True)
        return Normalized(UNKNOWN, f"internet archive possible-copyright-status not recognized: {status.strip()}")
    return Normalized(UNKNOWN, "internet archive item without licenseurl", missing=True)


def rights_statement(meta: dict) -> str | None:
    """``license_raw`` of an item: its rights fields as a JSON object the rights stage reads with ``rights_of``
    (``{"internet-archive": {"licenseurl": ..., "possible-copyright-status": ...}}``), or None without either."""
    fields = {k: _first(meta.get(k)) for k in RIGHTS_FIELDS if _first(meta.get(k))}
    if not fields:
        return None
    return json.dumps({"internet-archive": fields}, sort_keys=True, ensure_ascii=False)


def _first(value: Any) -> Any:
    """The archive gives a field once as a string, repeated as a list."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _all(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# -- the reader -----------------------------------------------------------------------------------------------


class InternetArchiveOptions(ArchiveOptions):
    endpoint: str = Field(description="the archive's base URL, https://archive.org")
    query: str = Field(min_length=1, description="an Internet Archive search query (Lucene syntax)")
    search: Literal["scrape", "advancedsearch"] = Field("scrape", description="the scrape API (cursor) or advancedsearch (pages)")
    rows: int = Field(1000, ge=1, le=10000, description="identifiers per search page (the scrape API asks for at least 100)")
    text_format: str = Field("DjVuTXT", min_length=1, description="the format of the file that holds an item's text")

    @field_validator("endpoint")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"endpoint must be an http(s) URL, got '{value}'")
        return value.rstrip("/")


class InternetArchiveReader(ArchiveReader):
    format = "internet-archive"
    Options = InternetArchiveOptions
    content_types: ClassVar[tuple[str, ...]] = ("application/json", "text/plain", "text/javascript")

    def __init__(self, *args: Any, endpoint: str, query: str, search: str = "scrape", rows: int = 1000,
                 text_format: str = "DjVuTXT", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.endpoint, self.query, self.search, self.rows, self.text_format = endpoint, query, search, rows, text_format

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        what = (f"{read.endpoint}/services/search/v1/scrape?{urlencode({'q': read.query, 'fields': 'identifier'})}"
                if read.search == "scrape" else
                f"{read.endpoint}/advancedsearch.php?{urlencode({'q': read.query, 'fl[]': 'identifier'})}")
        return [InputFile(url=what, size=0, root=read.endpoint)]

    # -- the search -------------------------------------------------------------------------------------

    def first_cursor(self) -> Any:
        return "" if self.search == "scrape" else 1

    def page_url(self, cursor: Any) -> str:
        if self.search == "scrape":
            params = {"q": self.query, "fields": "identifier", "count": str(self.rows)}
            if cursor:
                params["cursor"] = cursor
            return f"{self.endpoint}/services/search/v1/scrape?{urlencode(params)}"
        params = {"q": self.query, "fl[]": "identifier", "rows": str(self.rows), "page": str(cursor), "output": "json"}
        return f"{self.endpoint}/advancedsearch.php?{urlencode(params)}"

    def parse_page(self, body: bytes, number: int, url: str) -> tuple[list[Any], Any]:
        following_page = None if self.search == "scrape" else number + 1
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PageError("malformed-json", f"not JSON: {exc}", next=following_page) from None
        if not isinstance(data, dict):
            raise PageError("malformed-json", f"a JSON {type(data).__name__}, not an object", next=following_page)
        if data.get("error"):
            raise InputError(f"source {self.source}: the Internet Archive refused the search {url}: {data['error']}; "
                             "check read.query")
        if self.search == "scrape":
            items = data.get("items")
            if not isinstance(items, list):
                raise PageError("malformed-json", "no 'items' list", next=None)
            cursor = data.get("cursor") or None
        else:
            response = data.get("response")
            if not isinstance(response, dict) or not isinstance(response.get("docs"), list):
                raise PageError("malformed-json", "no 'response.docs' list", next=following_page)
            items = response["docs"]
            found, start = response.get("numFound", 0), response.get("start", 0)
            cursor = number + 1 if items and isinstance(found, int) and isinstance(start, int) \
                and start + len(items) < found else None
        identifiers = []
        for n, item in enumerate(items, 1):
            ident = item.get("identifier") if isinstance(item, dict) else None
            if not isinstance(ident, str) or not ident.strip():
                self.reject(url, number, "malformed-record", f"listing page {number}, entry {n}: no identifier",
                            raw=json.dumps(item)[:500])
                continue
            identifiers.append(ident.strip())
        return identifiers, cursor

    # -- an item ----------------------------------------------------------------------------------------

    def metadata_url(self, identifier: str) -> str:
        return f"{self.endpoint}/metadata/{quote(identifier, safe='')}"

    async def item(self, identifier: str, fetch: Callable[[str], Awaitable[Response]]) -> Any:
        meta_response = await fetch(self.metadata_url(identifier))
        item = json_body(meta_response, "metadata")
        if not isinstance(item, dict):
            raise ItemError("malformed-json", f"metadata {meta_response.final_url}: a JSON {type(item).__name__}, "
                            "not an object")
        if not item:
            raise ItemError("vanished", f"metadata {meta_response.final_url} is {{}}: the item does not exist (any more)")
        if item.get("is_dark"):
            raise ItemError("vanished", f"metadata {meta_response.final_url}: the item is dark (withdrawn from access)")
        if not isinstance(item.get("metadata"), dict):
            raise ItemError("malformed-json", f"metadata {meta_response.final_url}: no 'metadata' object")
        name = self.text_file(item.get("files"))
        if name is None:
            raise ItemError("no-text-file", f"{meta_response.final_url}: no {self.text_format} file among the item's files")
        text_response = await fetch(f"{self.endpoint}/download/{quote(identifier, safe='')}/{quote(name)}")
        return meta_response, item, name, text_response

    def text_file(self, files: Any) -> str | None:
        if not isinstance(files, list):
            return None
        names = [f.get("name") for f in files if isinstance(f, dict) and isinstance(f.get("name"), str)
                 and (f.get("format") == self.text_format
                      or (self.text_format == "DjVuTXT" and f["name"].endswith("_djvu.txt")))]
        return sorted(names)[0] if names else None

    def record(self, entry: Entry, fetched: Any) -> Record | None:
        meta_response, item, name, text_response = fetched
        meta = item["metadata"]
        identifier = entry.data
        text = text_body(text_response, "text")
        creators = _all(meta.get("creator"))
        people = [parse_person(c) for c in creators]
        fields = {
            "id": identifier,
            "text": text,
            "url": f"https://archive.org/details/{identifier}",  # the item's identity, wherever it was fetched from
            "title": _first(meta.get("title")),
            "author": "; ".join(creators) or None,
            "date": _first(meta.get("date")),
            "retrieved_at": text_response.retrieved_at,
            "license": rights_statement(meta),
            "identifier": identifier,
            "licenseurl": _first(meta.get("licenseurl")),
            "possible-copyright-status": _first(meta.get("possible-copyright-status")),
            "rights": _first(meta.get("rights")),
            "collection": _all(meta.get("collection")) or None,
            "language": _all(meta.get("language")) or None,
            "mediatype": _first(meta.get("mediatype")),
            "publicdate": _first(meta.get("publicdate")),
            "text_file": name,
            "published": year_of(_first(meta.get("date"))),
            "author_died": latest_death(people),
        }
        # the archive's language, kept in metadata: a language stage writes the column from the text
        fields["archive_language"] = fields.pop("language")
        return self.row(entry, fields)

    def describe(self, data: Any) -> str:
        return str(data)


__all__ = ["InternetArchiveReader", "InternetArchiveOptions", "rights_of", "rights_statement"]
