"""``format: bhl``: the Biodiversity Heritage Library's items, harvested over OAI-PMH, with their OCR texts.

    read:
      format: bhl
      endpoint: https://www.biodiversitylibrary.org/oai
      set: item
      fetch: {contact: "mailto:you@example.org"}

The Biodiversity Heritage Library (BHL) is a consortium of natural-history and botanical libraries; its
OAI-PMH 2.0 repository (``https://www.biodiversitylibrary.org/oai``, sets ``item``, ``title``, ``part``) gives
Dublin Core records of its scanned volumes:

- the harvest is the ``oai-pmh`` format's (``pdcorpus.fetch.oai``: ``ListRecords`` with ``metadataPrefix=oai_dc``,
  then the ``resumptionToken``, pages kept in the work folder, 503 + ``Retry-After`` obeyed, ``deleted-record``,
  ``malformed-xml``), with ``set: item`` (one record a scanned volume, header identifier
  ``oai:biodiversitylibrary.org:item/<ItemID>``);
- each item's OCR text is ``<site>/itemtext/<ItemID>`` (``text/plain``; ``site`` is the endpoint without
  ``/oai``), fetched by ``pdcorpus.fetch.http.Fetcher`` (per-host limits, cache, contact), up to ``fetch.window``
  items in flight and records in harvest order. A text that answers 404/410 is set aside as ``http-status-404`` /
  ``-410``, a record that is not an item (a title or a part) as ``not-an-item``.

Records: ``id`` = the ItemID, ``url`` = the record's ``dc:identifier`` (``https://www.biodiversitylibrary.org/item/<id>``),
``title``, ``author`` (``dc:creator``, ``"; "``), ``date`` (``dc:date``), ``retrieved_at`` (the text's), ``license_raw``
= ``dc:rights`` (of several, a licence URI first), and in ``metadata`` everything Dublin Core said (``dc``), the OAI
identifier, datestamp and sets, ``published`` (the latest year ``dc:date`` names) and ``author_died`` (the latest
death year of the creators, which BHL writes as ``Name, 1743-1828``; null if any has none).

Rights: BHL's ``dc:rights`` is a Creative Commons URL for works its contributors licensed, and free text for the
rest. Its own determination, "Public domain. The BHL considers that this work is no longer under copyright
protection." (and its variants: "volume", "item"), is made by a US-based consortium: pdcorpus reads it as a
US-only verdict (``NoC-US``, like Project Gutenberg's "Public domain in the USA."), which the death and publication
years settle elsewhere; "Not in copyright. The BHL knows of no copyright restrictions on this item." is ``NKC``.
Other statements go to the general normalizer ("No known copyright restrictions as determined by scanning
institution." is ``NKC``; anything unrecognized is ``unknown``).
"""

from __future__ import annotations

import re
from typing import Any, Awaitable, Callable, ClassVar, Iterator
from urllib.parse import urlencode

from pydantic import Field, field_validator

from pdcorpus.fetch.cache import Response
from pdcorpus.fetch.formats import OaiOptions
from pdcorpus.fetch.oai import OaiReader
from pdcorpus.fetch.options import FetchOptions
from pdcorpus.io.readers import InputFile
from pdcorpus.record import Record
from pdcorpus.sources.api import ArchiveReader, Entry, ItemError, text_body
from pdcorpus.sources.names import latest_death, parse_person, year_of

RIGHTS_STATEMENTS: list[tuple[str, str]] = [
    (r"^public domain\.*\s+the (bhl|library) considers that this (work|volume|item|itme) is no longer under "
     r"copyright( protection)?\.?$", "NoC-US"),
    (r"^not in copyright\.\s+the (bhl|library) knows of no copyright restrictions on this item\.?$", "NKC"),
]

_ITEM = re.compile(r":item/(\d+)$")


class BhlOptions(OaiOptions):
    fetch: FetchOptions = Field(description="how to fetch the texts (pdcorpus.fetch.options): contact, limits, cache")
    set: str | None = Field("item", min_length=1, description="the OAI set: item (one record a scanned volume)")
    site: str | None = Field(None, description="where itemtext/<id> is; default: the endpoint without /oai")

    @field_validator("site")
    @classmethod
    def _site(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"site must be an http(s) URL, got '{value}'")
        return value.rstrip("/") if value else value


class _Harvest(OaiReader):
    """The OAI-PMH harvest, giving each record's mapped row instead of a record (the BHL reader completes it)."""

    def make_record(self, row: dict, file: str, line: int) -> Any:  # type: ignore[override]
        return row, file, line

    def reject(self, file: str, line: int | None, reason: str, detail: str | None = None, raw: str | None = None,
               id: str | None = None) -> None:  # noqa: A002
        # an item's id is its ItemID, as on its records (a deleted item/33 is bhl:33)
        match = _ITEM.search(id or "")
        super().reject(file, line, reason, detail, raw, f"{self.source}:{match.group(1)}" if match else id)


class BhlReader(ArchiveReader):
    format = "bhl"
    Options = BhlOptions
    content_types: ClassVar[tuple[str, ...]] = ("text/plain",)

    def __init__(self, *args: Any, endpoint: str, fetch: FetchOptions, site: str | None = None,
                 metadataPrefix: str = "oai_dc", set: str | None = "item", from_: str | None = None,  # noqa: A002,N803
                 until: str | None = None, contact: str | None = None,
                 allow_private_networks: bool | list[str] = False, timeout: float = 60.0, retries: int = 5,
                 max_retry_after: float = 600.0, **kwargs: Any) -> None:
        super().__init__(*args, fetch=fetch, **kwargs)
        self.endpoint = endpoint
        self.site = site or re.sub(r"/oai/?$", "", endpoint.rstrip("/"))
        self.harvest = _Harvest(self.source, endpoint=endpoint, metadataPrefix=metadataPrefix, set=set, from_=from_,
                                until=until, contact=contact or fetch.contact,
                                allow_private_networks=allow_private_networks or fetch.allow_private_networks,
                                timeout=timeout, retries=retries, max_retry_after=max_retry_after)
        self.harvest.stats = self.stats  # one count of what the source read

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        return OaiReader.list_inputs(read)

    def input_sha256(self, file: InputFile) -> str:
        return self.harvest.input_sha256(file)

    def entries(self) -> Iterator[Entry]:
        self.harvest.on_reject = self.on_reject
        self.harvest.work = self.work
        file = self.list_inputs_for_harvest()
        for row, url, page in self.harvest.read(file):
            yield Entry(row, url, page)

    def list_inputs_for_harvest(self) -> InputFile:
        args = dict(self.harvest.arguments)
        return InputFile(url=f"{self.endpoint}?{urlencode(args)}", size=0, root=self.endpoint)

    def item_id(self, data: Any) -> str | None:
        if not isinstance(data, dict):
            return None
        match = _ITEM.search(data.get("oai_identifier") or "")
        return f"{self.source}:{match.group(1) if match else data.get('oai_identifier')}"

    def describe(self, data: Any) -> str:
        return str(data.get("oai_identifier")) if isinstance(data, dict) else str(data)

    async def item(self, data: dict[str, Any], fetch: Callable[[str], Awaitable[Response]]) -> Any:
        match = _ITEM.search(data.get("oai_identifier") or "")
        if match is None:
            raise ItemError("not-an-item", f"{data.get('oai_identifier')} is not an item record (harvest set: item)")
        return match.group(1), await fetch(f"{self.site}/itemtext/{match.group(1)}")

    def record(self, entry: Entry, fetched: Any) -> Record | None:
        item_id, response = fetched
        data = entry.data
        dc = data.get("dc") or {}
        creators = dc.get("creator", [])
        text = text_body(response, "text")
        if not text.strip():
            raise ItemError("empty-text", f"{response.final_url}: the item has no OCR text")
        fields = {
            "id": item_id,
            "text": text,
            "url": data.get("url"),
            "title": data.get("title"),
            "author": "; ".join(" ".join(c.split()) for c in creators) or None,
            "date": data.get("date"),
            "retrieved_at": response.retrieved_at,
            "license": data.get("license"),
            "oai_identifier": data.get("oai_identifier"),
            "datestamp": data.get("datestamp"),
            "sets": data.get("sets"),
            "dc": dc or None,
            "text_url": response.final_url,
            "published": year_of(data.get("date")),
            "author_died": latest_death([parse_person(c) for c in creators]),
        }
        return self.row(entry, fields)


__all__ = ["BhlReader", "BhlOptions", "RIGHTS_STATEMENTS"]
