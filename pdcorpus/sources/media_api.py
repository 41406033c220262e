"""What the image archives' readers share (PD12M style: a catalogue API, then the images it names).

An archive reader asks the archive's API for its records (JSON), maps each to a *seed* record (id, caption,
title, author, date, the image's URL, the archive's raw rights fields in ``license_raw``, its own fields in
``metadata.<archive>``), and hands the seeds to the ``fetch`` stage (``pdcorpus.fetch.stage.FetchStage``), which
downloads, verifies and measures each image into the ``image`` column, exactly as a ``urls`` source does.

Every request goes through pdcorpus's fetcher (``pdcorpus.fetch.http``): the same User-Agent with ``contact``,
per-host rate and connection limits across workers, retries with backoff and ``Retry-After``, size limits, and
the address policy (private, loopback and link-local addresses refused unless ``allow_private_networks``).
API requests differ from image requests in two ways only: they must answer JSON, and robots.txt is not
consulted for them (an archive's API is the interface it documents for programs, under its own usage policy,
which the readers follow; Wikimedia's robots.txt, for one, disallows ``/w/`` for crawlers while its API
etiquette invites API clients). Images obey ``fetch.robots``.

Failures: an API page that cannot be had after the retries stops the build with the URL and the reason (the
listing cannot be followed past it; running the same command again resumes); a single item that has vanished
(404) or fails is set aside with its reason; an image that cannot be fetched or is not an image is set aside
by the fetch stage (``http-status-404``, ``not-an-image``, ...), counted under the source's ``fetch`` step.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import re
import uuid
from collections import deque
from typing import Any, Callable, Iterable, Iterator, TypeVar

from pydantic import Field, field_validator, model_validator

from pdcorpus.fetch.options import FetchOptions
from pdcorpus.io.formats import ReadOptions
from pdcorpus.io.readers import InputError, InputFile, Reader
from pdcorpus.record import Record
from pdcorpus.stages.base import StageStats

T = TypeVar("T")
JSON_TYPES = ["application/json", "text/javascript", "application/javascript"]
API_MAX_BYTES = 256 * 10**6  # the Met's full object list is about 4 MB; a listing is never an image-sized limit
_TAGS = re.compile(r"<[^>]+>")
_WORDS = re.compile(r"[^\W\d_]{2,}")  # a word: two letters or more (of any script), not digits or underscores


class ApiError(InputError):
    """The archive's API cannot be followed: names the request and what to do."""


class ImageSourceOptions(ReadOptions):
    """``read:`` keys every image collection shares: how to fetch, and the caption's bounds."""

    fetch: FetchOptions = Field(description="how to fetch the API and the images (pdcorpus.fetch.options); "
                                "images: {...} is implied")
    min_caption_chars: int = Field(1, ge=0, description="a shorter caption (after clean-up) is set aside as "
                                   "caption-too-short; 1 requires a caption, 0 allows none")
    max_caption_chars: int | None = Field(None, ge=1, description="a longer caption is set aside as caption-too-long")
    min_caption_words: int = Field(0, ge=0, description="a caption with fewer words (runs of two letters or more) is "
                                   "set aside as caption-too-few-words: 'DSC_0042', '1889', 'IMG 3' say nothing")

    @model_validator(mode="before")
    @classmethod
    def _images_implied(cls, data: Any) -> Any:
        # before validation: FetchOptions chooses its default content types (image/*) by whether images is set
        if isinstance(data, dict) and isinstance(data.get("fetch"), dict) and data["fetch"].get("images") is None:
            data = {**data, "fetch": {**data["fetch"], "images": {}}}
        return data

    @model_validator(mode="after")
    def _caption_bounds(self) -> "ImageSourceOptions":
        if self.max_caption_chars is not None and self.max_caption_chars < self.min_caption_chars:
            raise ValueError(f"max_caption_chars ({self.max_caption_chars}) is smaller than min_caption_chars "
                             f"({self.min_caption_chars})")
        return self


class ArchiveOptions(ImageSourceOptions):
    """An archive reached through its API: ``endpoint`` instead of ``paths`` (the input is the endpoint)."""

    endpoint: str = Field(description="the archive's API base URL")

    @model_validator(mode="before")
    @classmethod
    def _endpoint_is_the_input(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if data.get("paths"):
                raise ValueError(f"format {data.get('format')} reads no files: give 'endpoint' (the archive's API), "
                                 "not paths")
            if data.get("endpoint") is None:
                default = cls.model_fields["endpoint"].default
                if isinstance(default, str):
                    data = {**data, "endpoint": default}
            data = {**data, "paths": [str(data.get("endpoint"))]}
        return data

    @field_validator("endpoint")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"endpoint must be an http(s) URL, got '{value}'")
        return value.rstrip("/") if not value.endswith("api.php") else value


def api_options(fetch: FetchOptions) -> FetchOptions:
    """The fetch block as the API client uses it: JSON answers, no robots.txt, a listing's size limit."""
    return fetch.model_copy(update={"images": None, "content_types": list(JSON_TYPES), "robots": False,
                                    "max_bytes": max(fetch.max_bytes, API_MAX_BYTES)})


def html_text(value: Any) -> str | None:
    """Plain text of an HTML fragment (Wikimedia's extmetadata values are HTML), white space collapsed."""
    if value is None:
        return None
    text = str(value)
    if "<" in text:
        from lxml import html as lxml_html

        try:
            fragment = lxml_html.fragment_fromstring(text, create_parent="div")
            text = fragment.text_content()
        except Exception:  # noqa: BLE001 - lxml raises several kinds on broken markup: strip tags instead
            text = _TAGS.sub(" ", text)
    import html as std_html

    text = " ".join(std_html.unescape(text).split())
    return text or None


class ApiClient:
    """JSON requests through pdcorpus's fetcher, on an event loop of its own (``FetchSession``)."""

    def __init__(self, fetch: FetchOptions) -> None:
        self.options = api_options(fetch)
        self.session: Any = None
        self.requests = 0
        self.digest = hashlib.sha256()  # of every response body read, in order: the manifest's input checksum

    def _session(self) -> Any:
        if self.session is None:
            from pdcorpus.fetch.stage import FetchSession

            self.session = FetchSession(self.options)
        return self.session

    def submit(self, url: str) -> concurrent.futures.Future:
        return self._session().submit(url)

    def get(self, url: str) -> Any:
        """The response for a URL; raises ``FetchError`` (reason code and detail) as the fetcher does."""
        return self.submit(url).result()

    def close(self) -> None:
        if self.session is not None:
            self.requests += self.session.fetcher.requests
            self.session.close()
            self.session = None


def parse_json(body: bytes, what: str) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ApiError(f"{what}: the answer is not JSON ({exc}); check the endpoint URL") from None


def in_order(client: ApiClient, items: Iterable[T], url_of: Callable[[T], str], window: int
             ) -> Iterator[tuple[T, Any]]:
    """``(item, response or FetchError)`` for each item, in the items' order, with up to ``window`` requests in
    flight (the fetcher's per-host limits still apply)."""
    from pdcorpus.fetch.http import FetchError

    pending: deque[tuple[T, concurrent.futures.Future]] = deque()
    try:
        for item in items:
            pending.append((item, client.submit(url_of(item))))
            while pending and (len(pending) >= window or pending[0][1].done()):
                yield _outcome(*pending.popleft(), FetchError)
        while pending:
            yield _outcome(*pending.popleft(), FetchError)
    finally:
        for _, future in pending:
            future.cancel()


def _outcome(item: Any, future: concurrent.futures.Future, error: type) -> tuple[Any, Any]:
    try:
        return item, future.result()
    except error as exc:
        return item, exc


class Journal:
    """API pages kept in the read task's work folder, so that a killed build replays them instead of asking again.

    ``state.json`` holds what continues the listing after the last kept page; a page is written before the
    state that names it (each by a temporary name, then renamed), so a kill between the two costs one request.
    """

    def __init__(self, work: tuple[Any, str] | None) -> None:
        self.work = work

    def state(self) -> dict[str, Any]:
        if self.work is None:
            return {"pages": 0, "next": None, "done": False}
        fs, folder = self.work
        path = f"{folder}/state.json"
        if not fs.exists(path):
            return {"pages": 0, "next": None, "done": False}
        with fs.open(path, "r") as fh:
            return json.load(fh)

    def pages(self, count: int) -> Iterator[bytes]:
        fs, folder = self.work  # type: ignore[misc]
        for page in range(1, count + 1):
            with fs.open(f"{folder}/page-{page:06d}.json", "rb") as fh:
                yield fh.read()

    def save(self, page: int, body: bytes, state: dict[str, Any]) -> None:
        if self.work is None:
            return
        fs, folder = self.work
        fs.makedirs(folder, exist_ok=True)
        for path, data in ((f"{folder}/page-{page:06d}.json", body),
                           (f"{folder}/state.json", json.dumps(state).encode())):
            tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
            with fs.open(tmp, "wb") as fh:
                fh.write(data)
            fs.mv(tmp, path)


class ArchiveReader(Reader):
    """An archive's API records, as seeds for the fetch stage (see the module notes). Subclasses give
    ``seeds(file)``: the seed records in the archive's order."""

    modality = "image"
    reads_network = True

    def __init__(self, source: str, fields: dict[str, str] | None = None, *args: Any, endpoint: str | None = None,
                 fetch: FetchOptions, min_caption_chars: int = 1, max_caption_chars: int | None = None,
                 min_caption_words: int = 0, **kwargs: Any) -> None:
        from pdcorpus.fetch.stage import FetchStage

        super().__init__(source, fields, *args, **kwargs)
        self.endpoint = endpoint
        self.options = fetch
        self.min_caption_chars = min_caption_chars
        self.max_caption_chars = max_caption_chars
        self.min_caption_words = min_caption_words
        self.api = ApiClient(fetch)
        self.fetcher = FetchStage(fetch)
        self.fetcher.on_reject = self.on_reject

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        """One input, one task: a listing is followed page by page, in order."""
        return [InputFile(url=cls.describe(read), size=0, root=read.endpoint)]

    @classmethod
    def describe(cls, read: Any) -> str:
        """The input's name in the manifest: the listing request."""
        return read.endpoint

    @property
    def fetch_stats(self) -> StageStats:
        return self.fetcher.stats

    def input_sha256(self, file: InputFile) -> str:
        """Of the API responses read, in order (the catalogue records the seeds came from)."""
        return self.api.digest.hexdigest()

    def read_all(self, files: Iterable[InputFile]) -> Iterator[Record]:
        try:
            yield from self.fetcher(super().read_all(files))
        finally:
            self.api.close()

    def read(self, file: InputFile) -> Iterator[Record]:
        yield from self.seeds(file)

    def seeds(self, file: InputFile) -> Iterator[Record]:  # pragma: no cover - each archive's own
        raise NotImplementedError

    def caption_problem(self, caption: str | None) -> tuple[str, str] | None:
        """(reason, detail) when a caption is missing or out of bounds."""
        n = len(caption or "")
        if n < self.min_caption_chars:
            return ("no-caption", "the archive gives no description to caption the image with") if n == 0 else \
                ("caption-too-short", f"{n} characters < min_caption_chars {self.min_caption_chars}")
        if self.max_caption_chars is not None and n > self.max_caption_chars:
            return "caption-too-long", f"{n} characters > max_caption_chars {self.max_caption_chars}"
        if self.min_caption_words:
            words = len(_WORDS.findall(caption or ""))
            if words < self.min_caption_words:
                return "caption-too-few-words", f"{words} words < min_caption_words {self.min_caption_words}"
        return None

    def seed(self, where: str, number: int, *, rid: str, url: str | None, caption: str | None, title: str | None,
             author: str | None, date: str | None, license_raw: str | None, metadata: dict[str, Any]) -> Record | None:
        """A seed record, or None after setting it aside (no image URL, caption out of bounds)."""
        if not url:
            self.reject(where, number, "no-image", "the archive names no image file for this record", id=rid)
            return None
        problem = self.caption_problem(caption)
        if problem is not None:
            self.reject(where, number, problem[0], problem[1], id=rid)
            return None
        record = Record(id=rid, source=self.source, caption=caption, url=url, license_raw=license_raw, date=date,
                        title=title, author=author,
                        metadata=json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=str))
        self.stats.add(self.source, 1, 1)
        return record


__all__ = ["ApiClient", "ApiError", "ArchiveOptions", "ArchiveReader", "ImageSourceOptions", "Journal", "api_options", "html_text",
           "in_order", "parse_json"]
