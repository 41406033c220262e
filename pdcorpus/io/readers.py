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
from collections import deque
import io
import posixpath
import re
from dataclasses import dataclass

from pydantic import Field
from typing import Any, Callable, ClassVar, Iterable, Iterator

import fsspec
import orjson
from fsspec.implementations.local import LocalFileOpener
from fsspec.spec import AbstractBufferedFile
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

try:  # ISA-L's gzip is a declared dependency, but pdcorpus still reads .gz without it
    from isal import igzip
except ImportError:  # pragma: no cover
    igzip = None

from pdcorpus.io.formats import ReadOptions, get_format
from pdcorpus.io.parquet import file_sha256, is_local
from pdcorpus.io.paths import OUTSIDE, outside_folder
from pdcorpus.ownership import file_identity
from pdcorpus.record import COLUMNS, QUALITY_TYPE, Record, content_hash
from pdcorpus.accounting import Reject, RejectSink, StageStats

# Record columns a source may fill from its input; the rest are set by stages.
MAPPABLE = ("id", "text", "caption", "url", "license", "date", "title", "author", "retrieved_at",
            "language", "language_score", "quality")
DEFAULT_MAX_CHARS = 10_000_000
# How much of one input line (JSONL), CSV row or text file a reader holds, from ``limits.max_chars``: a
# character takes at most 4 bytes in UTF-8 and 6 as a JSON escape (``\u00e9``), a CSV field doubles its
# quotes, and the other fields of the line get 1 MiB. Past this, a line is skipped to its end, never held.
LINE_SLACK = 1 << 20
READ_CHUNK = 1 << 20
QUALITY_KEYS = tuple(f.name for f in QUALITY_TYPE)
_SURROGATE = re.compile("[\udc80-\udcff]")  # undecodable bytes, as surrogateescape keeps them


def max_line_bytes(max_chars: int) -> int:
    """The longest JSONL line held: 6 bytes a character (a JSON escape) plus 1 MiB for the other fields."""
    return 6 * max_chars + LINE_SLACK


def max_row_chars(max_chars: int) -> int:
    """The longest CSV row held, in characters: 2 a character (doubled quotes) plus 1 Mi for the other fields."""
    return 2 * max_chars + LINE_SLACK


def max_text_bytes(max_chars: int) -> int:
    """The largest text file that can hold ``max_chars`` characters: 4 bytes a character in UTF-8, and a BOM."""
    return 4 * max_chars + 3


def iter_lines(fh: Any, limit: int, chunk: int = READ_CHUNK) -> Iterator[tuple[bytes | None, int]]:
    """The lines of a binary stream, with their newline, as ``(line, bytes)``, holding at most ``limit`` bytes.

    A line longer than ``limit`` is read on to its end in chunks and forgotten: it comes as ``(None, its
    length)``, so that one huge line costs time, not memory. Local files and decompressors have a
    ``readline(size)`` that stops at ``size`` (in C, as fast as iterating); fsspec's remote files do not,
    so their lines are cut from ``read(chunk)``.
    """
    if isinstance(fh, AbstractBufferedFile) or not isinstance(fh, (io.BufferedIOBase, io.RawIOBase, LocalFileOpener)):
        yield from _split_lines(fh, limit, chunk)
        return
    readline = fh.readline
    while True:
        line = readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line[-1:] == b"\n":  # not sliced: a copy of every line would cost
            yield line, len(line)
        else:
            size = len(line)
            line = b""
            while True:
                more = readline(chunk)
                size += len(more)
                if not more or more[-1:] == b"\n":
                    break
            yield None, size


def _split_lines(fh: Any, limit: int, chunk: int) -> Iterator[tuple[bytes | None, int]]:
    """``iter_lines`` for file objects whose ``readline`` has no bound: lines cut from ``read(chunk)``."""
    pending: list[bytes] = []  # pieces of the line being read, fewer than ``limit`` bytes in all
    held = 0
    skipped = -1  # bytes of an over-long line read so far, or -1
    while True:
        data = fh.read(chunk)
        if not data:
            break
        parts = data.split(b"\n")
        last = parts.pop()  # after the chunk's last newline: the start of a line still being read
        for part in parts:
            if skipped >= 0:
                yield None, skipped + len(part) + 1
                skipped = -1
            elif pending:
                size = held + len(part)
                if size > limit:
                    yield None, size + 1
                else:
                    pending.append(part)
                    pending.append(b"\n")
                    yield b"".join(pending), size + 1
                pending, held = [], 0
            elif len(part) > limit:
                yield None, len(part) + 1
            else:
                yield part + b"\n", len(part) + 1
        if not last:
            continue
        if skipped >= 0:
            skipped += len(last)
        elif held + len(last) > limit:
            skipped = held + len(last)
            pending, held = [], 0
        else:
            pending.append(last)
            held += len(last)
    if skipped >= 0:
        yield None, skipped
    elif held:
        yield b"".join(pending), held


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
    identity: str = ""  # size, modification time, ETag or version as listed: a resume notices a changed input

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
            if info.get("islink"):  # a listing describes the link itself (its mtime); the build reads the target
                info = fs.info(p)
            url = p if local else fs.unstrip_protocol(p)
            root_url = root if local else fs.unstrip_protocol(root)
            found.setdefault(url, InputFile(url=url, size=int(info.get("size") or 0), root=root_url,
                                            identity=file_identity(info)))
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
                 on_reject: RejectSink | None = None, storage_options: dict | None = None,
                 allow_outside_paths: bool = False) -> None:
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
        # file names from data (sidecars, folder listings) must stay in their folder unless this says otherwise
        self.allow_outside_paths = allow_outside_paths
        self.stats = StageStats("read")

    # Where a reader may keep progress that must survive a killed build (OAI-PMH resumption): set by the
    # read task to (work filesystem, a folder of its own), kept until the build ends.
    work: tuple[Any, str] | None = None

    # -- the format: its read: keys and how a build plans its inputs (see pdcorpus.io.formats) ---------------

    Options: ClassVar[type[ReadOptions]] = ReadOptions
    modality: ClassVar[str] = "text"  # or "image": what the card and the summary call the source's records
    reads_network: ClassVar[bool] = False  # its inputs are fetched (probes that read a source skip it)
    unique_ids: ClassVar[bool] = False  # ids unique by construction (a file's path): no ids phase needed
    # compressed inputs hold several times their size in text (for the bucket count)
    EXPANSION: ClassVar[dict[str, float]] = {".gz": 3.5, ".zst": 4.0, ".bz2": 4.0, ".xz": 4.0, ".parquet": 3.0}

    @classmethod
    def from_options(cls, source: str, read: ReadOptions, *, fields: dict[str, str] | None = None,
                     metadata: list[str] | str | None = "*", max_chars: int = DEFAULT_MAX_CHARS,
                     on_reject: RejectSink | None = None, part: Any = None) -> "Reader":
        """The reader of a source, from its validated ``read:`` block (and the part of an input a task reads)."""
        options = read.reader_options()
        if part is not None:
            options["part"] = part
        return cls(source, fields=fields, metadata=metadata, max_chars=max_chars, on_reject=on_reject, **options)

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        """A source's inputs (``read`` is its validated ``read:`` block); one read task each unless grouped."""
        return expand_paths(read.paths, read.storage_options)

    @classmethod
    def group_inputs(cls, files: list[InputFile]) -> list[list[InputFile]]:
        """The inputs, grouped into read tasks: one each."""
        return [[f] for f in files]

    @classmethod
    def parts(cls, file: InputFile, read: Any) -> list[Any]:
        """The pieces of one input that tasks read on their own (``None``: the whole input, one task)."""
        return [None]

    @classmethod
    def estimated_bytes(cls, file: InputFile) -> int:
        """How much record data an input holds, for the bucket count (a compressed file holds more than its size)."""
        factor = next((v for ext, v in cls.EXPANSION.items() if file.url.endswith(ext)), 1.0)
        return int(file.size * factor)

    def bind(self, context: Any) -> None:
        """Told by the build what a reader may need of it (``stages.base.StageContext``: the work folder, the
        date); a format that needs nothing ignores it."""

    def input_sha256(self, file: InputFile) -> str:
        """The checksum the manifest records for an input (of the bytes read, for inputs that are not files)."""
        return file_sha256(*fsspec.core.url_to_fs(file.url, **self.storage_options))

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
        chash = None  # computed when asked for (record.record_hash): most records never are before a drop
        if rid is None:
            chash = content_hash(text if text is not None else caption)
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
        limit = max_line_bytes(self.max_chars)
        with self.open(file) as fh:
            for lineno, (line, size) in enumerate(iter_lines(fh, limit), 1):
                if line is None:  # never held, so never parsed: its length alone sets it aside
                    self.reject(name, lineno, "too-long-document",
                                f"a line of {size} bytes, over the {limit} bytes read for limits.max_chars "
                                f"{self.max_chars} (6 bytes a character + 1 MiB); skipped unread")
                    continue
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


class _RowTooLong(Exception):
    """Even the quotes and delimiters of one line are over the limit: where rows end cannot be known."""


class _CsvLines:
    """Physical lines for ``csv.reader``, with their numbers, never holding more than ``limit`` characters.

    The lines of the row being parsed are kept (``pending``) so that a row found malformed can be set aside
    alone and the lines after its first read again as rows: an unterminated quote costs its own line, not
    the rows it would swallow. A row that grows past ``limit`` (one long line, or a quoted field over many)
    is handed on *reduced*: every run of characters other than quotes, delimiters and line ends becomes one
    ``x``, which leaves the CSV parser in the same states, so that the row's end is found without holding it.
    """

    def __init__(self, text: io.TextIOBase, limit: int, delimiter: str) -> None:
        self.text = text
        self.limit = limit
        self.number = 0  # physical lines read from the file
        self.again: deque[tuple[int, str]] = deque()  # lines to read again after a malformed row
        self._reduce = re.compile('[^"\r\n' + re.escape(delimiter) + "]+")
        self.begin()

    def begin(self) -> None:
        """A new row starts with the next line."""
        self.pending: list[tuple[int, str]] = []
        self.held = 0
        self.over = False  # the row passed the limit: its lines are reduced and not kept
        self.first: int | None = None
        self.last = self.number

    def reduced(self, line: str) -> str:
        return self._reduce.sub("x", line)

    def __iter__(self) -> "_CsvLines":
        return self

    def __next__(self) -> str:
        if self.again:
            number, line = self.again.popleft()
        else:
            line = self.text.readline(self.limit + 1)
            if not line:
                raise StopIteration
            self.number += 1
            number = self.number
            if len(line) > self.limit and not line.endswith(("\n", "\r")):
                pieces = [self.reduced(line)]
                while not line.endswith(("\n", "\r")):
                    line = self.text.readline(self.limit + 1)
                    if not line:
                        break
                    pieces.append(self.reduced(line))
                    if sum(map(len, pieces)) > self.limit:
                        raise _RowTooLong(number)
                line = "".join(pieces)
                self.over = True
                self.pending = []
        if self.first is None:
            self.first = number
        self.last = number
        if self.over:
            return self.reduced(line)
        self.held += len(line)
        if self.held > self.limit:
            self.over = True
            self.pending = []
            return self.reduced(line)
        self.pending.append((number, line))
        return line


class CsvOptions(ReadOptions):
    delimiter: str = Field(",", min_length=1, max_length=1, description="csv (and images' CSV sidecars)")


class CsvReader(Reader):
    """A header row, then one record a row; quoted fields may span lines (RFC 4180)."""

    format = "csv"
    Options = CsvOptions

    def __init__(self, *args: Any, delimiter: str = ",", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.delimiter = delimiter

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url
        limit = max_row_chars(self.max_chars)
        # The csv module's field limit (128 KiB by default) is process-wide; rows are bounded by _CsvLines.
        if csv.field_size_limit() < limit + 1:
            csv.field_size_limit(limit + 1)
        with self.open(file) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
            lines = _CsvLines(text, limit, self.delimiter)
            # strict: a quote must close its field; a field that runs into another quote or to the end
            # of the file is an error, never a record made of the rows it swallowed
            reader = csv.reader(lines, delimiter=self.delimiter, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                return
            except (csv.Error, _RowTooLong) as exc:
                raise InputError(f"{name}: line 1: the header row cannot be read: {exc}") from exc
            if lines.over:
                raise InputError(f"{name}: the header row is over {limit} characters")
            width = len(header)
            while True:
                lines.begin()
                try:
                    values = next(reader)
                except StopIteration:
                    break
                except _RowTooLong as exc:
                    self.reject(name, int(str(exc)), "too-long-document",
                                f"a line with more than {limit} quotes and delimiters; the rest of the file "
                                "cannot be split into rows and is not read")
                    return
                except csv.Error as exc:
                    CsvReader._malformed(self, name, lines, exc)  # type: ignore[arg-type]  (images' sidecars too)
                    continue
                lineno = lines.first
                if lines.over:
                    where = f"line {lineno}" if lines.last == lineno else f"lines {lineno}-{lines.last}"
                    self.reject(name, lineno, "too-long-document",
                                f"a row ({where}) over the {limit} characters read for limits.max_chars "
                                f"{self.max_chars} (2 a character + 1 Mi); skipped unread")
                    continue
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

    def _malformed(self, name: str, lines: _CsvLines, exc: csv.Error) -> None:
        """Sets aside the row's first line; the lines after it are read again as rows of their own."""
        first = lines.first if lines.first is not None else lines.number
        message = str(exc)
        if "unexpected end of data" in message:
            message = "a quoted field is not closed before the end of the file"
        if lines.last > first:
            message += f" (found on line {lines.last})"
        if lines.over:
            self.reject(name, first, "malformed-csv",
                        f"{message}; lines {first}-{lines.last} are over the limit and set aside together")
            return
        raw = lines.pending[0][1].rstrip("\r\n") if lines.pending else None
        self.reject(name, first, "malformed-csv", message,
                    raw=raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace") if raw else None)
        lines.again.extendleft(reversed(lines.pending[1:]))


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
    unique_ids = True  # a file's id is its path below the pattern's folder
    FILES_PER_TASK = 2000  # small files are read many to a task, up to these bounds
    BYTES_PER_TASK = 64 * 1024 * 1024

    @classmethod
    def group_inputs(cls, files: list[InputFile]) -> list[list[InputFile]]:
        groups: list[list[InputFile]] = []
        group: list[InputFile] = []
        size = 0
        for f in files:
            if group and (len(group) >= cls.FILES_PER_TASK or size + f.size > cls.BYTES_PER_TASK):
                groups.append(group)
                group, size = [], 0
            group.append(f)
            size += f.size
        groups.append(group)
        return groups

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The file is the document: its path is the id and its content the text.
        self._get["id"] = _getter("id")
        self._get["text"] = _getter("text")

    def read(self, file: InputFile) -> Iterator[Record]:
        name = file.url
        rel = name[len(file.root):].lstrip("/") if name.startswith(file.root) else posixpath.basename(name)
        stem = rel.rsplit(".", 1)[0] if "." in posixpath.basename(rel) else rel
        rid = f"{self.source}:{stem}"
        if not self.allow_outside_paths:
            fs, path = fsspec.core.url_to_fs(name, **self.storage_options)
            _, folder = fsspec.core.url_to_fs(file.root or ".", **self.storage_options)
            problem = outside_folder(fs, folder, rel, path)
            if problem is not None:
                self.reject(name, None, OUTSIDE, problem, id=rid)
                return
        # A file too large to hold max_chars characters is set aside by its size, without reading it
        # (compressed files by what they decompress to, read no further than the limit).
        limit = max_text_bytes(self.max_chars)
        compressed = name.endswith((".gz", ".zst", ".bz2", ".xz"))
        if file.size > limit and not compressed:
            self._too_large(name, file.size, limit, rid)
            return
        with self.open(file) as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            self._too_large(name, None, limit, rid)
            return
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.reject(name, None, "invalid-utf8", str(exc), id=rid)
            return
        if text.startswith("\ufeff"):
            text = text[1:]
        record = self.make_record({"id": stem, "text": text, "url": None}, name, 1)
        if record is not None:
            yield record

    def _too_large(self, name: str, size: int | None, limit: int, rid: str) -> None:
        what = f"{size} bytes" if size is not None else f"more than {limit} bytes"
        self.reject(name, None, "too-long-document",
                    f"{what}: more than limits.max_chars {self.max_chars} characters can take in UTF-8 "
                    f"({limit} bytes); not read", id=rid)



def _read_fn(fmt: str):
    def read(paths: str | list[str], source: str, fields: dict[str, str] | None = None,
             on_reject: RejectSink | None = None, **options: Any) -> Iterator[Record]:
        reader = get_format(fmt)(source, fields=fields, on_reject=on_reject, **options)
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
