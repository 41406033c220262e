"""``format: warc``: web archives (WARC 1.0/1.1, plain or gzip'd per record, as Common Crawl writes them).

    read: {format: warc, paths: ["crawl/*.warc.gz"], extract_timeout: 10}

Each HTML ``response`` record (HTTP 2xx, ``text/html`` or ``application/xhtml+xml``) and each HTML
``resource`` record becomes a record through ``extract_html``: the main text, title, author, date, the
declared language (``metadata.language_declared``) and the licence the page declares (into
``license_raw``, with ``metadata.license_evidence`` saying where it was found and
``metadata.licenses`` listing every statement found). The record keeps where it came from:

- ``id``: ``<source>:<WARC-Record-ID without angle brackets>`` (``urn:uuid:...``)
- ``url``: ``WARC-Target-URI``; ``retrieved_at``: ``WARC-Date``
- ``metadata``: ``warc_record_id``, ``warc_file``, ``warc_offset`` (the record's byte offset, to find
  it again), ``http_status``, ``content_type``, ``last_modified``, ``etag``

The file is read as a stream (warcio), one record at a time. Set aside with the file, the record's
ordinal (``line``) and offset: ``not-html`` (another content type), ``http-error`` (a non-2xx response),
``too-large`` (a body over 20 MB), and the extraction's reasons (``html-unparseable``, ``no-main-text``,
``extraction-timeout``, ``extractor-crashed``). ``request``, ``metadata``, ``warcinfo``, ``revisit`` and
``conversion`` records are not documents and are passed over.
"""

from __future__ import annotations

from typing import Any, Iterator

import fsspec

from pdcorpus.fetch.formats import WarcOptions
from pdcorpus.fetch.html import ExtractionError, extract_html
from pdcorpus.io.readers import InputError, InputFile, Reader
from pdcorpus.record import Record

HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_BODY_BYTES = 20 * 1024 * 1024


def _media_type(value: str | None) -> tuple[str, str | None]:
    """(type/subtype lower-cased, charset or None) of a Content-Type header."""
    if not value:
        return "", None
    parts = [p.strip() for p in value.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, val = p.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'")
    return parts[0].lower(), charset


def _decode(body: bytes, charset: str | None) -> bytes | str:
    """The body as text when the server named a charset Python knows; else bytes (trafilatura guesses)."""
    if charset:
        try:
            return body.decode(charset, errors="replace")
        except LookupError:
            pass
    return body


def _read_body(stream: Any, limit: int) -> bytes:
    """Up to ``limit`` bytes, in blocks (warcio's decoding reader returns nothing for one very large read)."""
    chunks, size = [], 0
    while size < limit:
        chunk = stream.read(min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


class WarcReader(Reader):
    """HTML pages of WARC files, extracted with trafilatura under a time limit per page."""

    format = "warc"
    Options = WarcOptions

    def __init__(self, *args: Any, extract_timeout: float = 10.0, favor: str = "precision", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extract_timeout = extract_timeout
        self.favor = favor


    def read(self, file: InputFile) -> Iterator[Record]:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        name = file.url
        try:
            raw = fsspec.open(name, "rb", **self.storage_options).open()  # warcio ungzips each record itself
        except (OSError, ValueError) as exc:
            raise InputError(f"{name}: cannot open: {exc}") from exc
        ordinal = 0
        try:
            with raw:
                iterator = ArchiveIterator(raw)
                for wrec in iterator:
                    ordinal += 1
                    record = self._record(wrec, name, ordinal, iterator)
                    if record is not None:
                        yield record
        except ArchiveLoadFailed as exc:
            raise InputError(f"{name}: not a readable WARC file after record {ordinal}: {exc}") from exc

    def _record(self, wrec: Any, name: str, ordinal: int, iterator: Any) -> Record | None:
        kind = wrec.rec_type
        if kind not in ("response", "resource"):
            return None
        headers = wrec.rec_headers
        record_id = (headers.get_header("WARC-Record-ID") or "").strip().strip("<>")
        url = headers.get_header("WARC-Target-URI")
        warc_date = headers.get_header("WARC-Date")
        rid = f"{self.source}:{record_id}" if record_id else None
        meta: dict[str, Any] = {"warc_record_id": record_id or None, "warc_file": name}
        if kind == "response" and wrec.http_headers is not None:
            http = wrec.http_headers
            status = int(http.get_statuscode() or 0)
            content_type = http.get_header("Content-Type")
            meta.update(http_status=status, last_modified=http.get_header("Last-Modified"),
                        etag=http.get_header("ETag"))
            if not 200 <= status < 300:
                offset = iterator.get_record_offset()  # (warcio: only once the body is read or not wanted)
                self.reject(name, ordinal, "http-error", f"{url}: HTTP status {status} (offset {offset})", id=rid)
                return None
        elif kind == "response":
            offset = iterator.get_record_offset()
            self.reject(name, ordinal, "not-html", f"{url}: a response record without HTTP headers (offset {offset})",
                        id=rid)
            return None
        else:
            content_type = headers.get_header("Content-Type")
        media, charset = _media_type(content_type)
        meta["content_type"] = content_type
        if media not in HTML_TYPES:
            offset = iterator.get_record_offset()
            self.reject(name, ordinal, "not-html", f"{url}: Content-Type {content_type or 'missing'} (offset {offset})",
                        id=rid)
            return None
        body = _read_body(wrec.content_stream(), MAX_BODY_BYTES + 1)
        offset = meta["warc_offset"] = iterator.get_record_offset()
        if len(body) > MAX_BODY_BYTES:
            self.reject(name, ordinal, "too-large", f"{url}: body over {MAX_BODY_BYTES} bytes (offset {offset})", id=rid)
            return None
        try:
            page = extract_html(_decode(body, charset), url, timeout=self.extract_timeout, favor=self.favor,
                                max_date=(warc_date or "")[:10] or None)
        except ExtractionError as exc:
            self.reject(name, ordinal, exc.reason, f"{url}: {exc.detail} (offset {offset})", id=rid)
            return None
        meta.update(language_declared=page.language, license_evidence=page.license_evidence,
                    licenses=[list(item) for item in page.licenses] or None)
        row = {"id": record_id or None, "text": page.text, "url": url, "title": page.title, "author": page.author,
               "date": page.date, "license": page.license, "retrieved_at": warc_date,
               **{k: v for k, v in meta.items() if v is not None}}
        return self.make_record(row, name, ordinal)
