"""Readers: local or fsspec files (JSONL, Parquet, CSV, plain text) into records.

Every reader maps input fields to record columns (``fields``, nested fields by
dotted path), gives each record a stable id (``<source>:<input id>``, or
``<source>:<content hash>`` when the input has none) and sets aside, with
file, line and reason, what cannot become a record: malformed lines, invalid
UTF-8, a missing or non-text ``text``, an over-long document.
"""

from __future__ import annotations

import csv
from abc import ABC, abstractmethod
import io
import posixpath
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import fsspec
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

try:  # ISA-L's gzip is a declared dependency, but pdcorpus still reads .gz without it
    from isal import igzip
except ImportError:  # pragma: no cover
    igzip = None

from pdcorpus.io.parquet import is_local
from pdcorpus.record import COLUMNS, QUALITY_TYPE, Record, content_hash
from pdcorpus.stages.base import Reject, RejectSink, StageStats

FORMATS = ("jsonl", "parquet", "csv", "text", "images", "urls")

# Record columns a source may fill from its input; the rest are set by stages.
MAPPABLE = ("id", "text", "caption", "url", "license", "date", "title", "author", "retrieved_at",
            "language", "language_score", "quality")
DEFAULT_MAX_CHARS = 10_000_000
QUALITY_KEYS = tuple(f.name for f in QUALITY_TYPE)
_SURROGATE = re.compile("[\udc80-\udcff]")  # undecodable bytes, as surrogateescape keeps them


class _ClosingGzip(igzip.IGzipFile if igzip is not None else object):  # type: ignore[misc]
    """An ISA-L gzip reader that also closes the file it reads from."""

    def __init__(self, raw: Any) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


class InputError(Exception):
    """An input cannot be read at all (missing, unreadable); names the path."""


@dataclass(frozen=True)
class InputFile:
    url: str
    size: int
    root: str  # the fixed part of the pattern it matched, for relative ids of text files

    @property
    def name(self) -> str:
        return self.url


def _glob_root(pattern: str) -> str:
    head = []
    for part in pattern.split("/"):
        if any(ch in part for ch in "*?["):
            break
        head.append(part)
    return "/".join(head)


def expand_paths(patterns: Iterable[str], storage_options: dict | None = None) -> list[InputFile]:
    """Every file matched by the patterns, sorted and without repeats; a pattern matching nothing is an error."""
    found: dict[str, InputFile] = {}
    for pattern in patterns:
        fs, path = fsspec.core.url_to_fs(pattern, **(storage_options or {}))
        matches: dict[str, Any]
        if any(ch in path for ch in "*?["):
            matches = fs.glob(path, detail=True)
        elif fs.isdir(path):
            matches = fs.find(path, detail=True)
        elif fs.exists(path):
            matches = {path: fs.info(path)}
        else:
            matches = {}
        # files, and links to files (fsspec's local filesystem calls a link "other")
        files = {p: info for p, info in matches.items()
                 if info.get("type", "file") == "file" or (info.get("islink") and not fs.isdir(p))}
        if not files:
            raise InputError(f"no input file matches '{pattern}'")
        root = _glob_root(path) if any(ch in path for ch in "*?[") else (path if fs.isdir(path) else posixpath.dirname(path))
        local = fs.protocol in ("file", "local") or "file" in (fs.protocol if isinstance(fs.protocol, tuple) else ())
        for p, info in files.items():
            url = p if local else fs.unstrip_protocol(p)
            root_url = root if local else fs.unstrip_protocol(root)
            found.setdefault(url, InputFile(url=url, size=int(info.get("size") or 0), root=root_url))
    return [found[k] for k in sorted(found)]


def follow(value: Any, parts: list[str]) -> Any:
    """The value at a dotted path already split (``["author", "name"]``, ``["creators", "0"]``), or None."""
    for part in parts:
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
        if value is None:
            return None
    return value


def _getter(path: str) -> Callable[[dict], Any]:
    parts = path.split(".")

    def get(obj: dict) -> Any:
        if path in obj:  # a field whose name has dots in it
            return obj[path]
        return follow(obj, parts)

    return get


def _without(obj: dict, path: list[str]) -> dict:
    """A copy of ``obj`` without the leaf at ``path`` (containers left empty are removed too)."""
    head, rest = path[0], path[1:]
    if head not in obj:
        return obj
    out = dict(obj)
    if not rest or obj[head] is None:  # the mapped value, or its absence along the path
        del out[head]
    elif isinstance(obj[head], dict):
        inner = _without(obj[head], rest)
        if inner:
            out[head] = inner
        else:
            del out[head]
    return out


def _as_str(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


class Reader(ABC):
    """Turns input rows into records for one source. Use ``read(file)`` per input file."""

    format = "?"

    def __init__(self, source: str, fields: dict[str, str] | None = None,
                 metadata: list[str] | str | None = "*", max_chars: int = DEFAULT_MAX_CHARS,
                 on_reject: RejectSink | None = None, storage_options: dict | None = None) -> None:
        self.source = source
        self.fields = {col: col for col in MAPPABLE}
        self.fields.update(fields or {})
        unknown = set(self.fields) - set(MAPPABLE)
        if unknown:
            raise ValueError(f"fields: cannot map to {sorted(unknown)}; mappable columns are {list(MAPPABLE)}")
        self._get = {col: _getter(path) for col, path in self.fields.items()}
        # Input fields already in a column are not repeated in metadata; a nested one leaves its siblings.
        self._whole = {path for path in self.fields.values() if "." not in path}
        self._nested = [path.split(".") for path in self.fields.values() if "." in path]
        self.metadata = metadata
        self._meta_get = ({p: _getter(p) for p in metadata} if isinstance(metadata, list) else None)
        self.max_chars = max_chars
        self.on_reject = on_reject
        self.storage_options = storage_options or {}
        self.stats = StageStats("read")

    # -- shared by all formats -------------------------------------------------

    def reject(self, file: str, line: int | None, reason: str, detail: str | None = None,
               raw: str | None = None, id: str | None = None) -> None:
        self.stats.add(self.source, n_in=1, dropped={reason: 1})
        if self.on_reject is not None:
            self.on_reject(Reject(stage="read", reason=reason, source=self.source, id=id, file=file,
                                  line=line, detail=detail, raw=raw))

    def make_record(self, row: dict, file: str, line: int) -> Record | None:
        """One input row as a record, or None after setting it aside."""
        get = self._get
        raw_id = get["id"](row)
        rid = f"{self.source}:{_as_str(raw_id)}" if raw_id not in (None, "") else None
        text = get["text"](row)
        caption = get["caption"](row)
        if text is None and caption is None:
            self.reject(file, line, "missing-text", f"no value at '{self.fields['text']}'", id=rid)
            return None
        # Text and caption are checked alike: a string, not blank, not over-long.
        for column, value in (("text", text), ("caption", caption)):
            if value is None:
                continue
            if not isinstance(value, str):
                self.reject(file, line, "text-not-a-string",
                            f"'{self.fields[column]}' is {type(value).__name__}, not text", id=rid)
                return None
            if not value.strip():
                self.reject(file, line, "empty-text", f"'{self.fields[column]}' is blank", id=rid)
                return None
            if len(value) > self.max_chars:
                self.reject(file, line, "too-long-document",
                            f"{len(value)} characters > max_chars {self.max_chars}", id=rid)
                return None
        chash = content_hash(text if text is not None else caption)
        if rid is None:
            rid = f"{self.source}:{chash[:16]}"
        license_raw = _as_str(get["license"](row))
        record = Record(
            id=rid, source=self.source, text=text, caption=caption, url=_as_str(get["url"](row)),
            license_raw=license_raw, date=_as_str(get["date"](row)), title=_as_str(get["title"](row)),
            author=_as_str(get["author"](row)), content_hash=chash,
            retrieved_at=_as_str(get["retrieved_at"](row)), metadata=self._metadata(row),
        )
        # Facts an earlier build recorded (reading its shards back): kept, so they need not be recomputed.
        language = get["language"](row)
        if isinstance(language, str):
            record.language = language
            score = get["language_score"](row)
            record.language_score = float(score) if isinstance(score, (int, float)) else None
        quality = get["quality"](row)
        if isinstance(quality, dict) and set(QUALITY_KEYS) <= set(quality):
            record.quality = {k: quality[k] for k in QUALITY_KEYS}
        self.stats.add(self.source, 1, 1)
        return record

    def _metadata(self, row: dict) -> str | None:
        if self.metadata == "*":
            extra = {k: v for k, v in row.items() if k not in self._whole}
            for path in self._nested:
                if path[0] in extra:
                    extra = _without(extra, path)
        elif self._meta_get:
            extra = {p: g(row) for p, g in self._meta_get.items()}
        else:
            return None
        if not extra:
            return None
        return orjson.dumps(extra, option=orjson.OPT_SORT_KEYS, default=str).decode()

    def open(self, file: InputFile):
        """The file's bytes, decompressed by its ending (gzip through ISA-L, about three times faster)."""
        try:
            if file.url.endswith(".gz") and igzip is not None:
                return _ClosingGzip(fsspec.open(file.url, "rb", **self.storage_options).open())
            if file.url.endswith(".zst"):
                # fsspec's zstd reader cannot be iterated by line before Python 3.14.
                raw = fsspec.open(file.url, "rb", **self.storage_options).open()
                return io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(
                    raw, read_across_frames=True, closefd=True))
            return fsspec.open(file.url, "rb", compression="infer", **self.storage_options).open()
        except (OSError, ValueError) as exc:
            raise InputError(f"{file.url}: cannot open: {exc}") from exc

    @abstractmethod
    def read(self, file: InputFile) -> Iterator[Record]:
        """The records of one input file (each format below)."""

    def read_all(self, files: Iterable[InputFile]) -> Iterator[Record]:
        for file in files:
            try:
                yield from self.read(file)
            except (EOFError, zstandard.ZstdError, OSError) as exc:
                # A truncated or corrupt file: what it holds after this point cannot be read at all.
                raise InputError(f"{file.url}: cannot read past a corrupt or truncated stream: {exc}") from exc


class JsonlReader(Reader):
    """One JSON object a line; .gz, .zst, .bz2 and .xz are decompressed by their ending."""

    format = "jsonl"

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url
        with self.open(file) as fh:
            for lineno, line in enumerate(fh, 1):
                if lineno == 1 and line.startswith(b"\xef\xbb\xbf"):
                    line = line[3:]
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    try:
                        text = line.decode("utf-8")
                    except UnicodeDecodeError as uexc:
                        self.reject(name, lineno, "invalid-utf8", str(uexc),
                                    raw=line.rstrip(b"\r\n").decode("utf-8", "replace"))
                        continue
                    self.reject(name, lineno, "malformed-json", f"{exc.msg} at column {exc.colno}",
                                raw=text.rstrip("\r\n"))
                    continue
                if not isinstance(row, dict):
                    self.reject(name, lineno, "not-an-object", f"a JSON {type(row).__name__}, not an object",
                                raw=line.rstrip(b"\r\n").decode("utf-8", "replace"))
                    continue
                record = self.make_record(row, name, lineno)
                if record is not None:
                    yield record


class CsvReader(Reader):
    """A header row, then one record a row; quoted fields may span lines."""

    format = "csv"

    def __init__(self, *args: Any, delimiter: str = ",", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delimiter = delimiter

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url
        with self.open(file) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
            reader = csv.reader(text, delimiter=self.delimiter)
            try:
                header = next(reader)
            except StopIteration:
                return
            width = len(header)
            start = reader.line_num + 1
            while True:
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    self.reject(name, start, "malformed-csv", str(exc))
                    start = reader.line_num + 1
                    continue
                lineno, start = start, reader.line_num + 1
                if not values:
                    continue
                if len(values) != width:
                    self.reject(name, lineno, "malformed-csv", f"{len(values)} fields, header has {width}",
                                raw=self.delimiter.join(values).encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                    continue
                if any(_SURROGATE.search(v) for v in values):
                    self.reject(name, lineno, "invalid-utf8", "bytes that are not UTF-8",
                                raw=",".join(values).encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                    continue
                row = {k: (v if v != "" else None) for k, v in zip(header, values)}
                record = self.make_record(row, name, lineno)
                if record is not None:
                    yield record


class ParquetReader(Reader):
    """Rows of Parquet files; nested struct columns are reached by dotted path. ``line`` is the row number (1-based)."""

    format = "parquet"

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url
        fs, path = fsspec.core.url_to_fs(file.url, **self.storage_options)
        # a local file natively (Arrow must not call back into Python from its threads); a remote one
        # through fsspec, streamed, without pre-buffering
        with (pa.OSFile(path, "rb") if is_local(fs) else self.open(file)) as fh:
            try:
                pf = pq.ParquetFile(fh, pre_buffer=False)
            except Exception as exc:  # pyarrow raises ArrowInvalid and friends
                raise InputError(f"{name}: not a readable Parquet file: {exc}") from exc
            rowno = 0
            for batch in pf.iter_batches(batch_size=2048):
                for row in batch.to_pylist():
                    rowno += 1
                    record = self.make_record(row, name, rowno)
                    if record is not None:
                        yield record


class TextReader(Reader):
    """A folder of plain-text files, one document per file; the id is the path below the pattern's folder."""

    format = "text"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The file is the document: its path is the id and its content the text.
        self._get["id"] = _getter("id")
        self._get["text"] = _getter("text")

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url
        with self.open(file) as fh:
            data = fh.read()
        rel = name[len(file.root):].lstrip("/") if name.startswith(file.root) else posixpath.basename(name)
        stem = rel.rsplit(".", 1)[0] if "." in posixpath.basename(rel) else rel
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.reject(name, None, "invalid-utf8", str(exc), id=f"{self.source}:{stem}")
            return
        if text.startswith("\ufeff"):
            text = text[1:]
        record = self.make_record({"id": stem, "text": text, "url": None}, name, 1)
        if record is not None:
            yield record


READERS: dict[str, type[Reader]] = {
    "jsonl": JsonlReader,
    "parquet": ParquetReader,
    "csv": CsvReader,
    "text": TextReader,
}


def _read_fn(fmt: str):
    def read(paths: str | list[str], source: str, fields: dict[str, str] | None = None,
             on_reject: RejectSink | None = None, **options: Any) -> Iterator[Record]:
        reader = READERS[fmt](source, fields=fields, on_reject=on_reject, **options)
        return reader.read_all(expand_paths([paths] if isinstance(paths, str) else paths,
                                            options.get("storage_options")))
    read.__name__ = f"read_{fmt}"
    read.__doc__ = f"Records of every {fmt} file matched by ``paths`` (globs, any fsspec URL), for library use."
    return read


read_jsonl = _read_fn("jsonl")
read_parquet = _read_fn("parquet")
read_csv = _read_fn("csv")
read_text = _read_fn("text")

assert set(MAPPABLE) <= set(COLUMNS)
