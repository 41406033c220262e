"""The ``urls`` source: a list of URLs, each fetched and made a record.

    read:
      format: urls
      paths: [samples/web/urls.txt]          # or .csv / .jsonl (also compressed)
      fetch: {contact: "https://example.org/about-our-crawler"}
    fields: {url: link, caption: alt, license: rights}   # for CSV and JSONL lists

A list is one URL a line (``#`` comments and blank lines skipped), or CSV with a header row, or
JSONL; its kind comes from the file's ending (``.csv``, ``.jsonl``/``.ndjson``/``.json``, anything
else is lines). CSV and JSONL rows are mapped with ``fields:`` like any source (``url`` by default
from a ``url`` field; ``caption``, ``license``, ``title``, ``date``, ``id``, ...); the other fields
go to ``metadata``. The id is ``<source>:<id field>``, or ``<source>:`` + the first 16 hex digits of
xxh3-128 of the URL.

A list is cut into tasks of ``fetch.urls_per_task`` lines (by line number, so the same list gives the
same tasks on every run; an uncompressed list is entered at the byte offset the plan found, a
compressed one is read from its start). Each task fetches its URLs (``FetchStage``) and is
resumable like every task: a build killed while fetching fetches again only the tasks that had not
finished. Set aside at reading, with file and line: ``missing-url``, ``bad-url`` (not http(s), no
host), ``malformed-json``, ``not-an-object``, ``malformed-csv``, ``invalid-utf8``; then every fetch
failure, counted by the ``fetch`` step of the source (``<source>/-1/fetch`` in the stage counters).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterator
from urllib.parse import urlsplit

import fsspec
import orjson
import xxhash

from pdcorpus.fetch.formats import UrlOptions
from pdcorpus.io.readers import CsvReader, InputFile, Reader, _as_str
from pdcorpus.record import Record
from pdcorpus.accounting import StageStats

if TYPE_CHECKING:
    from pdcorpus.fetch.options import FetchOptions

_COMPRESSED = (".gz", ".zst", ".bz2", ".xz")

Part = tuple[int, int, int]  # first line, line after the last (1-based), byte offset of the first (-1: read from the start)


def list_kind(url: str) -> str:
    name = url.lower()
    for ext in _COMPRESSED:
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    if name.endswith((".csv", ".tsv")):
        return "csv"
    if name.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    return "lines"


def url_problem(url: str) -> str | None:
    """Why a string is not a URL pdcorpus can fetch, or None."""
    if any(ch.isspace() for ch in url):
        return "has white space"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        return str(exc)
    if parts.scheme not in ("http", "https"):
        return f"scheme '{parts.scheme or '(none)'}' is not http or https"
    if not parts.hostname:
        return "no host"
    return None


class UrlReader(Reader):
    format = "urls"
    Options = UrlOptions
    reads_network = True

    def __init__(self, source: str, fields: dict[str, str] | None = None, *args: Any,
                 fetch: "FetchOptions | None" = None, part: Part | None = None, delimiter: str = ",",
                 **kwargs: Any) -> None:
        from pdcorpus.fetch.stage import FetchStage

        super().__init__(source, fields, *args, **kwargs)
        if fetch is None:
            raise ValueError("a urls source needs read.fetch (at least its contact)")
        self.options = fetch
        self.part = part
        self.delimiter = delimiter
        self.fetcher = FetchStage(fetch)
        self.fetcher.on_reject = self.on_reject

    @property
    def fetch_stats(self) -> StageStats:
        return self.fetcher.stats

    # -- planning ---------------------------------------------------------------------------------

    @classmethod
    def parts(cls, file: InputFile, read: Any) -> list[Part]:
        """The file cut into runs of ``urls_per_task`` lines, with the byte offset where each begins."""
        per = read.fetch.urls_per_task
        compressed = file.url.lower().endswith(_COMPRESSED)
        seekable = not compressed and list_kind(file.url) != "csv"  # a CSV row may span lines: read from the start
        offsets = [0]
        lines = 0
        with fsspec.open(file.url, "rb", compression="infer", **read.storage_options) as fh:
            offset = 0
            for line in fh:
                lines += 1
                offset += len(line)
                if lines % per == 0:
                    offsets.append(offset)
        count = max(1, math.ceil(lines / per))
        return [(1 + k * per, 1 + (k + 1) * per, offsets[k] if seekable else -1) for k in range(count)]

    def _mine(self, line: int | None) -> bool:
        return self.part is None or line is None or self.part[0] <= line < self.part[1]

    # -- reading ----------------------------------------------------------------------------------

    def bind(self, context: Any) -> None:
        self.fetcher.bind(context)  # the build's work folder: robots.txt, tdmrep.json kept build-wide

    def read_all(self, files: Any) -> Iterator[Record]:
        return self.fetcher(super().read_all(files))

    def reject(self, file: str, line: int | None, reason: str, detail: str | None = None,
               raw: str | None = None, id: str | None = None) -> None:
        if self._mine(line):  # a line of another task's part is that task's to report
            super().reject(file, line, reason, detail, raw, id)

    def read(self, file: InputFile) -> Iterator[Record]:
        kind = list_kind(file.url)
        if kind == "csv":
            if file.url.lower().removesuffix(".gz").endswith(".tsv"):
                self.delimiter = "\t"
            yield from CsvReader.read(self, file)  # type: ignore[arg-type]
            return
        first, stop, offset = self.part if self.part is not None else (1, None, -1)
        with self.open(file) as fh:
            lineno = 1
            if offset > 0:
                fh.seek(offset)
                lineno = first
            for raw in fh:
                if stop is not None and lineno >= stop:
                    break
                current, lineno = lineno, lineno + 1
                if current < first:
                    continue
                if current == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                record = self._line(file.url, current, raw, kind)
                if record is not None:
                    yield record

    def _line(self, name: str, lineno: int, raw: bytes, kind: str) -> Record | None:
        stripped = raw.strip()
        if not stripped:
            return None
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.reject(name, lineno, "invalid-utf8", str(exc), raw=stripped.decode("utf-8", "replace"))
            return None
        if kind == "lines":
            if text.startswith("#"):
                return None
            return self.make_record({self.fields["url"]: text}, name, lineno)
        try:
            row = orjson.loads(stripped)
        except orjson.JSONDecodeError as exc:
            self.reject(name, lineno, "malformed-json", f"{exc.msg} at column {exc.colno}", raw=text)
            return None
        if not isinstance(row, dict):
            self.reject(name, lineno, "not-an-object", f"a JSON {type(row).__name__}, not an object", raw=text)
            return None
        return self.make_record(row, name, lineno)

    def make_record(self, row: dict, file: str, line: int) -> Record | None:
        """A seed record (id, url, and what the list says of it); the fetch fills the rest."""
        if not self._mine(line):
            return None
        get = self._get
        raw_id = get["id"](row)
        rid = f"{self.source}:{_as_str(raw_id)}" if raw_id not in (None, "") else None
        url = get["url"](row)
        if not isinstance(url, str) or not url.strip():
            self.reject(file, line, "missing-url", f"no URL at '{self.fields['url']}'", id=rid)
            return None
        url = url.strip()
        problem = url_problem(url)
        if problem is not None:
            self.reject(file, line, "bad-url", f"'{url[:200]}': {problem}", id=rid)
            return None
        if rid is None:
            rid = f"{self.source}:{xxhash.xxh3_128_hexdigest(url.encode('utf-8'))[:16]}"
        caption = get["caption"](row)
        if caption is not None and not isinstance(caption, str):
            self.reject(file, line, "text-not-a-string", f"'{self.fields['caption']}' is {type(caption).__name__}, "
                        "not text", id=rid)
            return None
        if caption is not None and len(caption) > self.max_chars:
            self.reject(file, line, "too-long-document", f"caption of {len(caption)} characters > max_chars "
                        f"{self.max_chars}", id=rid)
            return None
        record = Record(id=rid, source=self.source, caption=caption if caption and caption.strip() else None,
                        url=url, license_raw=_as_str(get["license"](row)), date=_as_str(get["date"](row)),
                        title=_as_str(get["title"](row)), author=_as_str(get["author"](row)),
                        metadata=self._metadata(row) if set(row) != {self.fields["url"]} else None)
        self.stats.add(self.source, 1, 1)
        return record


__all__ = ["UrlReader", "list_kind", "url_problem"]
