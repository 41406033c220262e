"""``format: commons``: files of Wikimedia Commons (or any MediaWiki with file pages), with their captions and rights.

    read:
      format: commons
      endpoint: https://commons.wikimedia.org/w/api.php
      category: CC-Zero                  # or search: "insource:..." or allimages: true
      fetch: {contact: "mailto:you@example.org", images: {max_side: 1024}}

The listing (https://www.mediawiki.org/wiki/API:Query, API:Imageinfo, API:Continue): one ``action=query``
request per batch, ``generator=categorymembers`` (``gcmtitle=Category:<category>&gcmtype=file``),
``generator=search`` (``gsrsearch``, in the File namespace, 6) or ``generator=allimages``, with
``prop=imageinfo&iiprop=url|size|mime|sha1|timestamp|extmetadata``, ``iiurlwidth`` (a thumbnail of that width,
rendered by the wiki: a JPEG or PNG whatever the original), ``iiextmetadatalanguage`` and ``maxlag``. The next
request adds every key of the answer's ``continue`` object; the pages of one batch may come over several answers
(``iicontinue``, when extmetadata passes the API's result size), so a batch's pages are emitted only once an answer
says ``batchcomplete``. ``maxlag`` errors (the database replicas lag) are waited out as the API asks
(``Retry-After``), up to ``fetch.retries`` times; any other API ``error`` stops the build with its code and text.
Every answer is kept in the task's work folder, so a killed build resumes where it stopped.

Records:

- ``id``: ``<source>:<pageid>`` (the page id survives a rename); ``title``: ``ObjectName`` (else the file name
  without ``File:`` and extension); ``caption``: ``ImageDescription`` as plain text (HTML removed);
  ``author``: ``Artist`` as plain text; ``date``: ``DateTimeOriginal`` (its ``<time datetime>`` if it has one,
  else its text)
- ``url``: the thumbnail (``thumburl``) when ``thumb_width`` is set, else the original (``url``); the fetch stage
  downloads it into ``image`` and sets ``retrieved_at``
- ``license_raw``: ``{"wikimedia": {...}}`` with the values of ``LicenseShortName``, ``LicenseUrl``, ``License``,
  ``UsageTerms``, ``Copyrighted``, ``AttributionRequired``, ``Restrictions`` as the API gives them (JSON, keys
  sorted), read by the rights stage (``rights`` below); ``None`` when the file states none of them
- ``metadata.commons``: ``pageid``, ``title``, ``descriptionurl``, the original's ``url``, ``width``, ``height``,
  ``size``, ``mime``, ``sha1``, the upload ``timestamp``, and every extmetadata value asked for (``extmetadata``)

Set aside at reading, with the page number of the listing: ``missing-page`` (the page was deleted between the
listing and the query), ``missing-file`` (a file page without a file, ``filemissing``), ``not-an-image-file``
(a MIME type outside ``mime_types``: PDF, video, sound), ``no-image``, ``no-caption``, ``caption-too-short``,
``caption-too-long``.
"""

from __future__ import annotations

import json
import posixpath
import time
from typing import Any, Iterator
from urllib.parse import urlencode

from pydantic import Field, model_validator

from pdcorpus.io.readers import InputFile
from pdcorpus.record import Record
from pdcorpus.sources.media_api import ApiError, ArchiveOptions, ArchiveReader, Journal, html_text, parse_json

DEFAULT_ENDPOINT = "https://commons.wikimedia.org/w/api.php"
# extmetadata keys that state rights (CommonsMetadata's LicenseParser / the file page's templates), and the
# conditions of a licence that are kept with them in license_raw
RIGHTS_KEYS = ("LicenseUrl", "LicenseShortName", "License", "UsageTerms", "Copyrighted", "Restrictions")
RECORDED_KEYS = RIGHTS_KEYS + ("AttributionRequired",)
OTHER_KEYS = ("Artist", "DateTimeOriginal", "ImageDescription", "ObjectName", "Credit", "AttributionRequired")
ASKED_KEYS = ("ObjectName", "ImageDescription", "Artist", "Credit", "DateTimeOriginal", "LicenseShortName",
              "LicenseUrl", "License", "UsageTerms", "Copyrighted", "AttributionRequired", "Restrictions",
              "Categories")
IMAGE_MIME = ["image/jpeg", "image/png", "image/gif", "image/tiff", "image/webp"]


# -- rights (called by pdcorpus.rights.normalize for {"wikimedia": {...}} statements) ----------------------------


def rights(meta: dict) -> Any:
    """The canonical licence of a file's extmetadata rights fields (``Normalized``)."""
    from pdcorpus.rights.normalize import UNKNOWN, Normalized, field_value, normalize, truthy

    # License (the template) before LicenseShortName: "PD-USGov" says more than "Public domain".
    for key in ("LicenseUrl", "License", "LicenseShortName", "UsageTerms"):
        value = field_value(meta.get(key))
        if isinstance(value, str) and value.strip():
            found = normalize(value)
            if found.license != UNKNOWN:
                return Normalized(found.license, f"wikimedia {key}: {found.how}")
    if truthy(meta.get("Copyrighted")) is False:
        return Normalized("public-domain", "wikimedia Copyrighted: False")
    stated = [k for k in RIGHTS_KEYS if isinstance(field_value(meta.get(k)), str) and field_value(meta.get(k)).strip()]
    if not stated:
        return Normalized(UNKNOWN, "wikimedia extmetadata without any licence field", missing=True)
    return Normalized(UNKNOWN, f"wikimedia extmetadata: {', '.join(stated)} not recognized")


def detects(keys: set[str]) -> bool:
    """Whether a mapping's keys are extmetadata's (for ``normalize`` without a shape)."""
    return bool(keys & (set(RIGHTS_KEYS) | set(OTHER_KEYS)))


# -- the reader -----------------------------------------------------------------------------------------------


class CommonsOptions(ArchiveOptions):
    endpoint: str = Field(DEFAULT_ENDPOINT, description="the wiki's api.php")
    category: str | None = Field(None, min_length=1, description="files of this category (with or without "
                                 "'Category:'; not its subcategories)")
    search: str | None = Field(None, min_length=1, description="files matching this search (CirrusSearch syntax)")
    allimages: bool = Field(False, description="every file of the wiki, by name")
    batch: int = Field(50, ge=1, le=500, description="files per API request (50 for clients without apihighlimits)")
    thumb_width: int | None = Field(1280, ge=16, description="fetch a thumbnail this wide (null: the original file)")
    language: str = Field("en", min_length=2, description="extmetadata language (iiextmetadatalanguage)")
    maxlag: int | None = Field(5, ge=0, description="seconds of replica lag at which the API asks to wait")
    mime_types: list[str] = Field(default_factory=lambda: list(IMAGE_MIME),
                                  description="files of other MIME types are set aside as not-an-image-file")

    @model_validator(mode="after")
    def _one_listing(self) -> "CommonsOptions":
        chosen = [k for k, v in (("category", self.category), ("search", self.search),
                                 ("allimages", self.allimages)) if v]
        if len(chosen) != 1:
            raise ValueError("format commons lists files by exactly one of category, search or allimages: true "
                             f"(got {', '.join(chosen) or 'none'})")
        return self


def listing_params(read: Any) -> dict[str, str]:
    """The query's arguments, in a fixed order (the same request every run)."""
    params = {"action": "query", "format": "json", "formatversion": "2"}
    if read.category:
        title = read.category if read.category.startswith("Category:") else f"Category:{read.category}"
        params.update(generator="categorymembers", gcmtitle=title, gcmtype="file", gcmlimit=str(read.batch))
    elif read.search:
        params.update(generator="search", gsrsearch=read.search, gsrnamespace="6", gsrlimit=str(read.batch))
    else:
        params.update(generator="allimages", gailimit=str(read.batch))
    params.update(prop="imageinfo", iiprop="url|size|mime|sha1|timestamp|extmetadata",
                  iiextmetadatafilter="|".join(ASKED_KEYS), iiextmetadatalanguage=read.language)
    if read.thumb_width:
        params["iiurlwidth"] = str(read.thumb_width)
    if read.maxlag is not None:
        params["maxlag"] = str(read.maxlag)
    return params


class CommonsReader(ArchiveReader):
    """Files of a Commons category, search or the whole wiki, with their extmetadata (see the module notes)."""

    format = "commons"
    Options = CommonsOptions

    def __init__(self, *args: Any, category: str | None = None, search: str | None = None, allimages: bool = False,
                 batch: int = 50, thumb_width: int | None = 1280, language: str = "en", maxlag: int | None = 5,
                 mime_types: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params = listing_params(CommonsOptions.model_construct(
            category=category, search=search, allimages=allimages, batch=batch, thumb_width=thumb_width,
            language=language, maxlag=maxlag))
        self.thumb_width = thumb_width
        self.mime_types = list(mime_types if mime_types is not None else IMAGE_MIME)

    @classmethod
    def describe(cls, read: Any) -> str:
        return f"{read.endpoint}?{urlencode(listing_params(read))}"

    # -- the listing, batch by batch ----------------------------------------------------------------------

    def _answer(self, params: dict[str, str], page: int) -> tuple[bytes, dict]:
        """One API answer (maxlag waited out); raises ApiError."""
        from pdcorpus.fetch.http import FetchError, retry_after_seconds

        url = f"{self.endpoint}?{urlencode(params)}"
        for attempt in range(self.options.retries + 1):
            try:
                response = self.api.get(url)
            except FetchError as exc:
                raise ApiError(f"listing page {page}: {exc.reason}: {exc.detail}; running the same command again "
                               f"resumes here (request: {urlencode(params)[:300]})") from None
            data = parse_json(response.body, f"listing page {page}")
            error = data.get("error") if isinstance(data, dict) else None
            if isinstance(error, dict) and error.get("code") == "maxlag" and attempt < self.options.retries:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                wait = 5.0 if wait is None else wait  # the manual's advice when the header is absent
                time.sleep(min(wait, self.options.max_retry_after))
                continue
            if isinstance(error, dict):
                raise ApiError(f"listing page {page}: API error {error.get('code')}: {error.get('info')} "
                               f"(request: {urlencode(params)[:300]})")
            if not isinstance(data, dict):
                raise ApiError(f"listing page {page}: not an API answer (a JSON {type(data).__name__})")
            return response.body, data
        raise ApiError(f"listing page {page}: the wiki's replicas lagged through "
                       f"{self.options.retries + 1} attempts (maxlag); try again later")

    def seeds(self, file: InputFile) -> Iterator[Record]:
        journal = Journal(self.work)
        state = journal.state()
        batch: dict[Any, dict] = {}  # the pages of the batch being assembled, in first-seen order
        page = 0
        if state["pages"]:
            for body in journal.pages(state["pages"]):  # answers kept before a kill: replayed, not asked again
                page += 1
                self.api.digest.update(body)
                yield from self._take(json.loads(body), batch, page)
            if state["done"]:
                return
        cont = state["next"]
        while True:
            page += 1
            params = dict(self.params)
            if cont:
                params.update(cont)
            body, data = self._answer(params, page)
            self.api.digest.update(body)
            nxt = data.get("continue")
            cont = {str(k): str(v) for k, v in nxt.items()} if isinstance(nxt, dict) else None
            journal.save(page, body, {"pages": page, "next": cont, "done": cont is None})
            yield from self._take(data, batch, page)
            if cont is None:
                yield from self._emit(batch, page)  # whatever the last answer left
                return

    def _take(self, data: dict, batch: dict[Any, dict], page: int) -> Iterator[Record]:
        """Merges an answer's pages into the batch; emits the batch when the answer completes it."""
        pages = (data.get("query") or {}).get("pages") or []
        if isinstance(pages, dict):  # formatversion=1: keyed by page id
            pages = list(pages.values())
        for item in pages:
            if not isinstance(item, dict):
                continue
            key = item.get("pageid", item.get("title"))
            have = batch.get(key)
            if have is None:
                batch[key] = dict(item)
            elif item.get("imageinfo"):  # the rest of a page's imageinfo, after an iicontinue
                have["imageinfo"] = (have.get("imageinfo") or []) + item["imageinfo"]
        if "batchcomplete" in data:
            yield from self._emit(batch, page)

    def _emit(self, batch: dict[Any, dict], page: int) -> Iterator[Record]:
        items = list(batch.values())
        batch.clear()
        # a generator's pages come keyed, not in its order; search gives "index" for its ranking
        if any("index" in p for p in items):
            items.sort(key=lambda p: p.get("index", 1 << 30))
        for item in items:
            record = self._record(item, page)
            if record is not None:
                yield record

    def _record(self, item: dict, page: int) -> Record | None:
        where = f"{self.endpoint} listing"
        title = item.get("title") or ""
        pageid = item.get("pageid")
        rid = f"{self.source}:{pageid}" if pageid is not None else (f"{self.source}:{title}" if title else None)
        if item.get("missing") not in (None, False) or item.get("invalid") not in (None, False) or pageid is None:
            self.reject(where, page, "missing-page", f"'{title}': the page no longer exists", id=rid)
            return None
        infos = item.get("imageinfo") or []
        if item.get("filemissing") not in (None, False) or not infos:
            self.reject(where, page, "missing-file", f"'{title}': the file page has no file", id=rid)
            return None
        info = infos[0]
        mime = str(info.get("mime") or "")
        if mime not in self.mime_types:
            self.reject(where, page, "not-an-image-file", f"'{title}': {mime or 'no MIME type'} is not in "
                        f"mime_types {self.mime_types}", id=rid)
            return None
        ext = info.get("extmetadata") or {}
        values = {k: (v.get("value") if isinstance(v, dict) else v) for k, v in ext.items()}
        stated = {k: values[k] for k in RECORDED_KEYS if k in values}
        license_raw = json.dumps({"wikimedia": stated}, ensure_ascii=False, sort_keys=True) \
            if any(k in stated for k in RIGHTS_KEYS) else None
        name = title.split(":", 1)[1] if ":" in title else title
        caption = html_text(values.get("ImageDescription"))
        record_title = html_text(values.get("ObjectName")) or posixpath.splitext(name)[0] or None
        url = info.get("thumburl") if self.thumb_width and info.get("thumburl") else info.get("url")
        meta = {"commons": {"pageid": pageid, "title": title, "descriptionurl": info.get("descriptionurl"),
                            "url": info.get("url"), "width": info.get("width"), "height": info.get("height"),
                            "size": info.get("size"), "mime": mime, "sha1": info.get("sha1"),
                            "timestamp": info.get("timestamp"), "extmetadata": values}}
        return self.seed(where, page, rid=rid, url=url, caption=caption, title=record_title,
                         author=html_text(values.get("Artist")), date=_date(values.get("DateTimeOriginal")),
                         license_raw=license_raw, metadata=meta)


def _date(value: Any) -> str | None:
    """``DateTimeOriginal``: the machine-readable ``<time datetime="...">`` when the wiki wrote one, else its text."""
    if value is None:
        return None
    text = str(value)
    if "<time" in text:
        from lxml import html as lxml_html

        try:
            found = lxml_html.fragment_fromstring(text, create_parent="div").xpath(".//time/@datetime")
        except Exception:  # noqa: BLE001
            found = []
        if found and str(found[0]).strip():
            return str(found[0]).strip()
    return html_text(text)


__all__ = ["CommonsOptions", "CommonsReader", "listing_params", "rights"]
