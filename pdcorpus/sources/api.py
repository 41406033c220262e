"""What the archive formats share: the polite fetcher, a listing followed page by page and kept in the work
folder, and items fetched concurrently but handed on in listing order.

An archive format (``ArchiveReader``) is one input, the archive's listing (a catalog, a search, a list of
pages), read by one task:

- **The listing** is followed page by page (``first_cursor``, ``page_url``, ``parse_page``). Each page's
  response is kept in the task's work folder with the cursor that follows it, so a killed build replays the
  kept pages and asks the archive only for what comes after (as the OAI-PMH reader does). A listing page that
  cannot be fetched after the retries stops the build with the URL (run it again to resume there); a page the
  archive sends malformed is set aside (``malformed-json``, ``malformed-csv``, ...) with its URL and page
  number, and the listing goes on where the archive's paging allows it (the next page number) or ends there
  (a cursor that was in the unreadable page).
- **Items** (an item's metadata, its text) are fetched through ``pdcorpus.fetch.http.Fetcher``: per-host
  limits shared by every worker, retries with ``Retry-After``, the address policy, robots.txt, the
  ``User-Agent`` with the contact, the response cache (``fetch.cache``). Up to ``fetch.window`` items are in
  flight; records leave in listing order, so the output does not depend on which answer came first. An item
  that cannot be had is set aside with the reason and the URL (``http-status-404`` and ``http-status-410`` for
  a vanished item or file, ``vanished`` when the archive says so in a 200 answer, ``malformed-json``, ...),
  its location being the listing page's URL and the item's position in the listing (``line``).
- Every record made is counted in the source's ``fetch`` step with the bytes per host, the day, the
  ``User-Agent`` and robots.txt, so that the EU training-data summary can say what was retrieved from where.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import json
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, ClassVar, Iterator
from urllib.parse import urlsplit

from pydantic import Field, model_validator

from pdcorpus import __version__
from pdcorpus.fetch.cache import Response
from pdcorpus.fetch.http import FetchError
from pdcorpus.fetch.options import FetchOptions
from pdcorpus.io.formats import ReadOptions
from pdcorpus.io.readers import InputError, InputFile, Reader
from pdcorpus.record import Record
from pdcorpus.stages.base import StageStats


class ArchiveOptions(ReadOptions):
    """The ``read:`` keys every archive format has: ``fetch`` (how to fetch, contact required). The archive's
    own endpoint key names the input (``paths`` is filled from it: these formats read no files)."""

    endpoint_key: ClassVar[str] = "endpoint"

    fetch: FetchOptions = Field(description="how to fetch (pdcorpus.fetch.options): contact, per-host limits, cache")

    @model_validator(mode="before")
    @classmethod
    def _input_named(cls, data: Any) -> Any:
        if isinstance(data, dict):
            key = cls.endpoint_key
            if data.get("paths"):
                raise ValueError(f"format {data.get('format')} reads no files: give '{key}' instead of paths")
            if not data.get(key):
                raise ValueError(f"format {data.get('format')} needs '{key}'")
            if data.get("fetch") is None:
                raise ValueError(f"format {data.get('format')} needs a fetch block (at least fetch.contact)")
            data = {**data, "paths": [str(data[key])]}
        return data


class PageError(Exception):
    """A listing page that cannot be read: ``reason`` for the rejects; ``next`` the cursor to go on with, if the
    archive's paging gives one without the page (page numbers), else None (the listing ends here)."""

    def __init__(self, reason: str, detail: str, next: Any = None) -> None:  # noqa: A002
        super().__init__(detail)
        self.reason, self.detail, self.next = reason, detail, next


class ItemError(Exception):
    """An item that gives no record: set aside with ``reason`` and ``detail`` (which names the URL)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


@dataclass
class Entry:
    """One item of the listing: what the listing says of it, and where (page URL, position in the listing)."""

    data: Any
    page_url: str
    position: int


def json_body(response: Response, what: str) -> Any:
    """A response's JSON, or ItemError ``malformed-json`` naming the URL."""
    try:
        return json.loads(response.body)
    except ValueError as exc:
        raise ItemError("malformed-json", f"{what} {response.final_url}: not JSON: {exc}") from None


def text_body(response: Response, what: str) -> str:
    """A text response decoded by its charset (UTF-8 by default), without a byte-order mark."""
    charset = response.charset or "utf-8"
    try:
        text = response.body.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ItemError("undecodable-text", f"{what} {response.final_url}: not {charset}: {exc}") from None
    return text.removeprefix("\ufeff")


class ArchiveReader(Reader):
    """The base of the archive formats (see the module notes). A format implements ``first_cursor``,
    ``page_url``, ``parse_page`` (the listing), ``item`` (a coroutine fetching one item's responses) and
    ``record`` (the record of an item from them)."""

    reads_network = True
    # the MIME types the archive's responses have (fetch.content_types, unless the corpus file sets it)
    content_types: ClassVar[tuple[str, ...]] = ("application/json", "text/plain")

    def __init__(self, *args: Any, fetch: FetchOptions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from pdcorpus.fetch.options import PAGE_TYPES

        # FetchOptions fills in the web pages' types when the corpus file names none: the archive's own instead
        if fetch.images is None and list(fetch.content_types or []) == [t.lower() for t in PAGE_TYPES]:
            fetch = fetch.model_copy(update={"content_types": list(self.content_types)})
        self.options = fetch
        self.agent = f"{fetch.user_agent}/{__version__} (+{fetch.contact})"
        self.fetch_stats = StageStats("fetch")
        self._session: Any = None
        self._digest = hashlib.sha256()
        self.requests = 0

    # -- what a format implements ----------------------------------------------------------------------------

    def first_cursor(self) -> Any:
        """Where the listing starts (None: nothing to list)."""
        raise NotImplementedError

    def page_url(self, cursor: Any) -> str:
        raise NotImplementedError

    def parse_page(self, body: bytes, number: int, url: str) -> tuple[list[Any], Any]:
        """(the items of a listing page, the cursor of the next page or None); PageError if unreadable."""
        raise NotImplementedError

    async def item(self, data: Any, fetch: Callable[[str], Awaitable[Response]]) -> Any:
        """The responses one item needs (runs on the fetcher's event loop; ``fetch(url)`` raises FetchError)."""
        raise NotImplementedError

    def record(self, entry: Entry, fetched: Any) -> Record | None:
        """The record of an item (in the task's thread); ItemError to set it aside."""
        raise NotImplementedError

    window_cap: int | None = None  # read.limit: a slice of N records needs no more than N items in flight

    @classmethod
    def from_options(cls, source: str, read: ReadOptions, **kwargs: Any) -> "Reader":
        reader = super().from_options(source, read, **kwargs)
        reader.window_cap = read.limit  # type: ignore[attr-defined]
        return reader

    # -- planning ----------------------------------------------------------------------------------------

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        """One input, one task: a listing is followed page by page, in order."""
        return [InputFile(url=read.paths[0], size=0, root=read.paths[0])]

    def input_sha256(self, file: InputFile) -> str:
        """Of the listing pages, in order (the responses the items were chosen from)."""
        return self._digest.hexdigest()

    # -- HTTP through the fetcher --------------------------------------------------------------------------

    @property
    def session(self) -> Any:
        if self._session is None:
            from pdcorpus.fetch.stage import FetchSession

            self._session = FetchSession(self.options)
        return self._session

    def get(self, url: str) -> Response:
        """One response, waited for (raises FetchError)."""
        return self.session.submit(url).result()

    def _start(self, data: Any) -> concurrent.futures.Future:
        fetcher = self.session.fetcher
        return asyncio.run_coroutine_threadsafe(self.item(data, fetcher.fetch), self.session.loop)

    def close(self) -> None:
        if self._session is not None:
            self.requests += self._session.fetcher.requests
            self._session.close()
            self._session = None

    # -- the listing, kept in the work folder ----------------------------------------------------------------

    def _state(self) -> dict[str, Any]:
        empty = {"pages": 0, "next": None, "done": False}
        if self.work is None:
            return empty
        fs, folder = self.work
        path = f"{folder}/state.json"
        if not fs.exists(path):
            return empty
        with fs.open(path, "r") as fh:
            return json.load(fh)

    def _keep(self, number: int, url: str, body: bytes, state: dict[str, Any]) -> None:
        """The page (its URL, then its body) first, then the state naming it: a kill in between leaves the page to
        fetch again. The state stays small (a count and a cursor), however long the listing."""
        if self.work is None:
            return
        fs, folder = self.work
        fs.makedirs(folder, exist_ok=True)
        for path, data in ((f"{folder}/page-{number:06d}.url", url.encode("utf-8")), (f"{folder}/page-{number:06d}", body),
                           (f"{folder}/state.json", json.dumps(state).encode())):
            tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
            with fs.open(tmp, "wb") as fh:
                fh.write(data)
            fs.mv(tmp, path)

    def _kept(self, number: int) -> tuple[bytes, str]:
        fs, folder = self.work
        with fs.open(f"{folder}/page-{number:06d}", "rb") as fh:
            body = fh.read()
        with fs.open(f"{folder}/page-{number:06d}.url", "rb") as fh:
            return body, fh.read().decode("utf-8")

    def entries(self) -> Iterator[Entry]:
        """The listing's items, in order: kept pages replayed, then the archive asked for the rest."""
        state = self._state()
        position = 0
        for number in range(1, state["pages"] + 1):
            body, url = self._kept(number)
            self._digest.update(body)
            try:
                items, _ = self.parse_page(body, number, url)
            except PageError as exc:  # said again: the rejects of the task that was stopped were not kept
                items = []
                self._page_rejected(exc, url, number, body)
            for data in items:
                position += 1
                yield Entry(data, url, position)
        if state["done"]:
            return
        cursor = state["next"] if state["pages"] else self.first_cursor()
        number = state["pages"]
        while cursor is not None:
            number += 1
            url = self.page_url(cursor)
            try:
                response = self.get(url)
            except FetchError as exc:
                raise InputError(f"source {self.source}: listing page {number} ({url}): {exc.reason}: {exc.detail}; "
                                 "the pages before it are kept: run the build again to resume from this page") from None
            body = response.body
            self._digest.update(body)
            try:
                items, following = self.parse_page(body, number, url)
            except PageError as exc:
                items, following = [], exc.next
                self._page_rejected(exc, url, number, body)
            self._keep(number, url, body, {"pages": number, "next": following, "done": following is None})
            for data in items:
                position += 1
                yield Entry(data, url, position)
            cursor = following

    def _page_rejected(self, exc: PageError, url: str, number: int, body: bytes) -> None:
        ends = ("; the listing goes on with the next page" if exc.next is not None else
                "; the listing cannot be followed past it, the source ends here")
        self.reject(url, number, exc.reason, f"listing page {number}: {exc.detail}{ends}",
                    raw=body[:2000].decode("utf-8", "replace"))

    # -- items, in order --------------------------------------------------------------------------------------

    def read(self, file: InputFile) -> Iterator[Record]:
        pending: deque[tuple[Entry, concurrent.futures.Future]] = deque()
        window = min(self.options.window, self.window_cap or self.options.window)
        try:
            for entry in self.entries():
                pending.append((entry, self._start(entry.data)))
                while pending and (len(pending) >= window or pending[0][1].done()):
                    record = self._finish(*pending.popleft())
                    if record is not None:
                        yield record
            while pending:
                record = self._finish(*pending.popleft())
                if record is not None:
                    yield record
        finally:
            for _, future in pending:
                future.cancel()
            self.close()

    def _finish(self, entry: Entry, future: concurrent.futures.Future) -> Record | None:
        try:
            fetched = future.result()
            record = self.record(entry, fetched)
        except FetchError as exc:
            self.reject(entry.page_url, self.line_of(entry), exc.reason,
                        f"item {self.describe(entry.data)}: {exc.detail}", id=self.item_id(entry.data))
            return None
        except ItemError as exc:
            self.reject(entry.page_url, self.line_of(entry), exc.reason,
                        f"item {self.describe(entry.data)}: {exc.detail}", id=self.item_id(entry.data))
            return None
        if record is not None:
            self.count_fetched(record.source, fetched)
        return record

    def describe(self, data: Any) -> str:
        return str(data)

    def line_of(self, entry: Entry) -> int:
        """The item's place for the rejects' ``line``: its position in the listing (a catalog row's line)."""
        return entry.position

    def item_id(self, data: Any) -> str | None:
        return f"{self.source}:{data}" if isinstance(data, (str, int)) else None

    def count_fetched(self, source: str, fetched: Any) -> None:
        """The fetch step's tallies for a record (bytes per host, day, User-Agent, robots.txt)."""
        responses = [r for r in (fetched if isinstance(fetched, (list, tuple)) else [fetched])
                     if isinstance(r, Response)]
        tally: dict[str, int] = {f"user-agent:{self.agent}": 1,
                                 f"robots.txt:{'obeyed' if self.options.robots else 'ignored'}": 1}
        for r in responses:
            key = f"domain:{urlsplit(r.final_url).hostname or '?'}"
            tally[key] = tally.get(key, 0) + len(r.body)
        if responses:
            tally[f"retrieved:{responses[0].retrieved_at[:10]}"] = 1
        self.fetch_stats.add(source, 1, 1, tally=tally)

    def row(self, entry: Entry, fields: dict[str, Any]) -> Record | None:
        """A record from the columns and metadata an item gave (None values left out)."""
        return self.make_record({k: v for k, v in fields.items() if v is not None}, entry.page_url, self.line_of(entry))


__all__ = ["ArchiveOptions", "ArchiveReader", "Entry", "ItemError", "PageError", "json_body", "text_body"]
