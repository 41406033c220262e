"""What a fetched response becomes on its record: page text (HTML through trafilatura, plain text as it
is) or a verified image (PD12M style).

Each function fills the record it is given or raises ``ContentError`` with a reason code:
HTML pages fail with the extractor's reasons (``html-unparseable``, ``extraction-timeout``,
``no-main-text``), plain text with ``undecodable-text``, images with ``not-an-image``,
``truncated-image`` or ``too-many-pixels`` (over ``images.max_pixels``: a decompression bomb is
refused from its header, before any pixel is decoded).
"""

from __future__ import annotations

import io
import json
import posixpath
from typing import Any
from urllib.parse import urlsplit

from PIL import Image, ImageOps

from pdcorpus.fetch.cache import Response
from pdcorpus.fetch.options import FetchOptions, ImageOptions
from pdcorpus.imaging import ImageError, probe
from pdcorpus.io.images import set_image_info
from pdcorpus.record import Record, content_hash

HTML_TYPES = ("text/html", "application/xhtml+xml")
_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class ContentError(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


def fetch_facts(response: Response) -> dict[str, Any]:
    """The response's facts kept in ``metadata.fetch``."""
    h = response.headers
    facts: dict[str, Any] = {"status": response.status, "content_type": h.get("content-type"),
                             "last_modified": h.get("last-modified"), "etag": h.get("etag"),
                             "bytes": len(response.body)}
    if response.final_url != response.url:
        facts["requested_url"] = response.url
    if response.redirects:
        facts["redirects"] = response.redirects
    return {k: v for k, v in facts.items() if v is not None}


def _merge_metadata(record: Record, extra: dict[str, Any]) -> None:
    meta = record.meta()
    meta.update(extra)
    record.metadata = json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str) if meta else None


def fill(record: Record, response: Response, options: FetchOptions) -> Record:
    """The record with the response's content and facts; raises ContentError."""
    extra: dict[str, Any] = {"fetch": fetch_facts(response)}
    if options.images is not None:
        _fill_image(record, response, options.images, extra)
    elif response.mime_type in HTML_TYPES:
        _fill_html(record, response, options, extra)
    else:
        _fill_text(record, response)
    record.url = response.final_url
    record.retrieved_at = response.retrieved_at
    _merge_metadata(record, extra)
    return record


def _fill_text(record: Record, response: Response) -> None:
    charset = response.charset or "utf-8"
    try:
        text = response.body.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ContentError("undecodable-text", f"not {charset}: {exc}") from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise ContentError("empty-text", "the body is blank")
    record.text = text
    record.content_hash = content_hash(text)


def _fill_html(record: Record, response: Response, options: FetchOptions, extra: dict[str, Any]) -> None:
    from pdcorpus.fetch.html import ExtractionError, extract_html  # trafilatura is imported only when pages come

    try:
        # the retrieval date bounds the page's date (not the clock), so a cached page extracts alike on any day
        page = extract_html(response.body, url=response.final_url, timeout=options.extract_timeout,
                            max_date=response.retrieved_at[:10])
    except ExtractionError as exc:
        raise ContentError(exc.reason, str(exc)) from None
    if not page.text or not page.text.strip():
        raise ContentError("no-main-text", "the extractor found no main text")
    record.text = page.text
    record.content_hash = content_hash(page.text)
    # What the list said wins over what the page says: the list is the curator's statement.
    record.title = record.title or page.title
    record.author = record.author or page.author
    record.date = record.date or page.date
    if page.language:
        extra["language_hint"] = page.language
    if page.license:
        if record.license_raw is None:
            record.license_raw = page.license
        extra["page_license"] = page.license
        if page.license_evidence:
            extra["page_license_evidence"] = page.license_evidence


def _image_name(url: str) -> str:
    name = posixpath.basename(urlsplit(url).path)
    return name or "image"


def _fill_image(record: Record, response: Response, opts: ImageOptions, extra: dict[str, Any]) -> None:
    data = response.body
    try:
        info = probe(data, max_pixels=opts.max_pixels, verify=True)
    except ImageError as exc:
        reason = "too-many-pixels" if exc.reason == "too-large" else exc.reason
        raise ContentError(reason, exc.detail or exc.reason) from None
    name = _image_name(response.final_url)
    if opts.max_side is not None and max(info.width, info.height) > opts.max_side or \
            (opts.format is not None and opts.format != info.format):
        extra["original"] = {"width": info.width, "height": info.height, "mime_type": info.mime_type,
                             "bytes": len(data), "content_hash": content_hash(data=data)}
        data = _resize(data, opts, info.format)
        info = probe(data, max_pixels=None, verify=False)
        stem, _ = posixpath.splitext(name)
        name = f"{stem}.{info.format.lower().replace('jpeg', 'jpg')}"
    meta: dict[str, Any] = {}
    set_image_info(record, meta, info)
    extra.update(meta)
    record.content_hash = content_hash(data=data)
    record.image = {"bytes": data, "path": name} if opts.store == "bytes" else None


def _resize(data: bytes, opts: ImageOptions, source_format: str) -> bytes:
    """Longest side at most ``max_side`` (never enlarged), upright (EXIF orientation applied), in ``format``."""
    fmt = opts.format or (source_format if source_format in _MIME else "PNG")
    with Image.open(io.BytesIO(data)) as im:
        im = ImageOps.exif_transpose(im)
        if opts.max_side is not None:
            im.thumbnail((opts.max_side, opts.max_side), Image.Resampling.LANCZOS)
        if fmt == "JPEG" and im.mode not in ("RGB", "L"):
            rgba = im.convert("RGBA")
            page = Image.new("RGB", rgba.size, (255, 255, 255))
            page.paste(rgba, mask=rgba.getchannel("A"))
            im = page
        elif im.mode not in ("RGB", "RGBA", "L", "LA"):
            im = im.convert("RGBA")
        out = io.BytesIO()
        params: dict[str, Any] = {"quality": opts.quality} if fmt in ("JPEG", "WEBP") else {"optimize": True}
        im.save(out, format=fmt, **params)
    return out.getvalue()
