"""The ``optout`` stage: records named by opt-out lists leave the corpus, on every source.

    stages:
      - optout: {lists: [optouts/rights-holders.csv, "s3://bucket/do-not-train.txt"]}

A list names what must not be used, one rule a line, in one of two forms (a file is CSV when its first
line that is not blank nor a ``#`` comment is the header ``kind,value`` or ``kind,value,reason``):

    # plain lines: KIND:VALUE            kind,value,reason          (CSV)
    url:https://example.org/page/7       url,https://example.org/page/7,asked by the author
    prefix:https://example.org/books/    domain,example.net,
    domain:example.net                   id,books:1234,
    id:books:1234                        hash,5f1d7a0c8e2b4b61a0e3c9d4f7a81b2e,
    hash:5f1d7a0c8e2b4b61a0e3c9d4f7a81b2e

- ``url``: the record's ``url`` is this URL. URLs are compared normalized (RFC 3986 section 6.2.2): scheme
  and host in lower case, an internationalized host in its IDNA (punycode) form, no trailing dot, no
  default port (80, 443), percent-escapes in upper case and unreserved characters decoded, an empty
  path as ``/``, no fragment; ``http`` and ``https`` name the same work.
- ``prefix``: the normalized URL starts with the normalized prefix. The host is compared whole (a prefix
  ``https://example.com`` never matches ``https://example.com.evil.org/``); the path is a string prefix,
  as in robots.txt (``/books`` matches ``/books/1`` and ``/bookshelf``: end it with ``/`` for the folder).
- ``domain``: the URL's host is that domain or a subdomain of it (``example.com`` matches
  ``www.example.com``, never ``notexample.com``).
- ``id``: the record's ``id`` as published (``<source>:<id>``).
- ``hash``: the record's ``content_hash`` (xxh3-128 of the normalized text, or of the image bytes; 32 hex
  digits, as in the shards' ``content_hash`` column).

A line that is none of these is a config error naming the list, its line and what was wrong, before any
work starts. A record that a rule matches is set aside as ``opted-out``; the reject's detail names the
list, the line and the rule (and the reason the list gives). When rules of several kinds match, the
first of id, hash, url, prefix, domain is reported; the first list in the config wins between lists.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import fsspec
from pydantic import Field, model_validator

from pdcorpus.record import Record, record_hash
from pdcorpus.redact import redact
from pdcorpus.stages.base import FilterStage, Stage, StageContext, StageParams

KINDS = ("id", "hash", "url", "prefix", "domain")  # also the order in which a match is reported
_HASH = re.compile(r"^[0-9a-f]{32}$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21}


class OptOutListError(ValueError):
    """A list that cannot be read, or a line of it that is not a rule; names the list and the line."""


# -- URLs ----------------------------------------------------------------------------------------


def _normalize_escapes(text: str) -> str:
    """Percent-escapes upper-cased, and those of unreserved characters decoded (RFC 3986, 6.2.2.2)."""
    def one(match: re.Match) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else f"%{match.group(1).upper()}"
    return _ESCAPE.sub(one, text)


def normalize_host(host: str) -> str | None:
    """A host name as compared: lower case, IDNA (punycode) for non-ASCII labels, no trailing dot."""
    host = host.strip().lower().rstrip(".")
    if not host:
        return None
    if ":" in host:  # an IPv6 literal
        return f"[{host.strip('[]')}]"
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    return host


def url_key(url: str | None) -> tuple[str, str] | None:
    """(host, normalized URL without the scheme's http/https distinction), or None if not an absolute URL."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not scheme or parts.hostname is None:
        return None
    host = normalize_host(parts.hostname)
    if host is None:
        return None
    netloc = host if port is None or port == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    group = "http" if scheme in ("http", "https") else scheme  # the same work over either
    path = _normalize_escapes(parts.path) or "/"
    query = f"?{_normalize_escapes(parts.query)}" if parts.query else ""
    return host, f"{group}://{netloc}{path}{query}"


# -- lists ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    kind: str
    value: str  # as the list writes it
    list: str  # the list's label
    line: int
    reason: str | None = None

    def describe(self) -> str:
        return f"{self.list}:{self.line}: {self.kind}:{self.value}" + (f" ({self.reason})" if self.reason else "")


@dataclass
class OptOutList:
    """One list file, parsed."""

    path: str
    label: str
    sha256: str
    rules: list[Rule] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out = {kind: 0 for kind in KINDS}
        for rule in self.rules:
            out[rule.kind] += 1
        return {k: v for k, v in out.items() if v}


def _key_of(kind: str, value: str) -> str:
    """A rule's value as matched; raises ValueError saying what is wrong with it."""
    if not value:
        raise ValueError(f"{kind}: has no value")
    if kind == "id":
        return value
    if kind == "hash":
        key = value.lower()
        if not _HASH.match(key):
            raise ValueError(f"hash:{value} is not a content hash (32 hex digits, xxh3-128 as in the content_hash "
                             "column)")
        return key
    if kind in ("url", "prefix"):
        key = url_key(value)
        if key is None:
            raise ValueError(f"{kind}:{value} is not an absolute URL (scheme://host/path)")
        return key[1]
    if kind == "domain":
        raw = value.strip()
        if raw.startswith("*."):
            raw = raw[2:]
        raw = raw.lstrip(".")
        host = normalize_host(raw) if raw and not re.search(r"[/\s@:?#]", raw) else None
        if host is None or not all(_LABEL.match(label) for label in host.split(".")):
            raise ValueError(f"domain:{value} is not a domain name (write the host alone, e.g. example.com; "
                             "for a site's pages use prefix:https://example.com/path)")
        return host
    raise ValueError(f"'{kind}' is not a kind of rule ({', '.join(KINDS)}); write KIND:VALUE, e.g. "
                     "domain:example.com")


def parse_list(text: str, label: str) -> list[Rule]:
    """The rules of a list's text (plain lines or CSV, see the module doc); raises ``OptOutListError``
    naming the list and the line of the first bad line."""
    lines = text.splitlines()
    first = next((ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")), "")
    rules: list[Rule] = []
    if re.fullmatch(r"kind\s*,\s*value(\s*,\s*reason)?\s*,?", first.lower()):
        header_seen = False
        reader = csv.reader(io.StringIO(text), strict=True)  # a quote never closed is an error, not a merge
        while True:
            start = reader.line_num + 1  # where the row begins (a quoted field may span lines)
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # a quote never closed, text after a closing quote
                raise OptOutListError(f"{label}:{start}: not valid CSV ({exc})") from None
            line_no = reader.line_num  # the line the row ends on (a quoted field may span lines)
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if not header_seen:
                header_seen = True
                continue
            if len(row) > 3:
                raise OptOutListError(f"{label}:{line_no}: {len(row)} fields; a CSV list has kind,value[,reason]")
            kind = row[0].strip().lower()
            value = row[1].strip() if len(row) > 1 else ""
            reason = row[2].strip() if len(row) > 2 and row[2].strip() else None
            rules.append(_rule(kind, value, label, line_no, reason))
        return rules
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        kind, sep, value = stripped.partition(":")
        if re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*://", stripped):
            raise OptOutListError(f"{label}:{number}: '{stripped[:80]}' is a URL without a kind; write "
                                  f"url:{stripped[:60]} for this page, or prefix:{stripped[:60]} for everything under it")
        if not sep:
            raise OptOutListError(f"{label}:{number}: '{stripped[:80]}' has no kind; write KIND:VALUE with KIND one "
                                  f"of {', '.join(KINDS)} (e.g. domain:example.com, id:books:1234)")
        rules.append(_rule(kind.strip().lower(), value.strip(), label, number, None))
    return rules


def _rule(kind: str, value: str, label: str, line: int, reason: str | None) -> Rule:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise OptOutListError(f"{label}:{line}: the value has a control character ({value[:60]!r})")
    try:
        _key_of(kind, value)
    except ValueError as exc:
        raise OptOutListError(f"{label}:{line}: {exc}") from None
    return Rule(kind, value, label, line, reason)


_LOADED: dict[tuple[str, str], OptOutList] = {}  # per process: a list read once, while it is unchanged


def load_list(path: str, label: str | None = None, storage_options: dict | None = None) -> OptOutList:
    """A list file (local or fsspec URL), parsed; raises ``OptOutListError`` naming it."""
    shown = redact(path)
    try:
        fs, fpath = fsspec.core.url_to_fs(path, **(storage_options or {}))
        info = fs.info(fpath)
        identity = f"{info.get('size')}|{info.get('mtime') or info.get('ETag') or info.get('LastModified')}"
        cached = _LOADED.get((path, identity))
        if cached is not None and (label is None or cached.label == label):
            return cached
        data = fs.cat_file(fpath)
    except FileNotFoundError:
        raise OptOutListError(f"opt-out list {shown}: no such file") from None
    except OSError as exc:
        raise OptOutListError(f"opt-out list {shown}: cannot read it ({exc})") from None
    if fpath.endswith((".gz", ".zst", ".bz2", ".xz")):
        with fsspec.open(path, "rb", compression="infer", **(storage_options or {})) as fh:
            data = fh.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OptOutListError(f"opt-out list {shown}: not UTF-8 text (byte {exc.start})") from None
    label = label or shown.rstrip("/").rsplit("/", 1)[-1]
    loaded = OptOutList(path=shown, label=label, sha256=hashlib.sha256(data).hexdigest(),
                        rules=parse_list(text, label))
    _LOADED[(path, identity)] = loaded
    return loaded


def list_labels(paths: list[str]) -> list[str]:
    """How each list is named in rejects and reports: its file name, or its whole path when two lists share
    a file name."""
    names = [redact(p).rstrip("/").rsplit("/", 1)[-1] for p in paths]
    return [name if names.count(name) == 1 else redact(p) for name, p in zip(names, paths)]


class Matcher:
    """Every rule of some lists, indexed so that a record is checked in a few set lookups."""

    def __init__(self, lists: Iterable[OptOutList]) -> None:
        self.exact: dict[str, dict[str, Rule]] = {"id": {}, "hash": {}, "url": {}, "domain": {}}
        self.prefixes: dict[str, Rule] = {}
        for one in lists:
            for rule in one.rules:
                key = _key_of(rule.kind, rule.value)
                table = self.prefixes if rule.kind == "prefix" else self.exact[rule.kind]
                table.setdefault(key, rule)  # the first list (and line) wins
        self._prefix_lengths = sorted({len(k) for k in self.prefixes})

    def __bool__(self) -> bool:
        return bool(self.prefixes) or any(self.exact.values())

    def match(self, rid: str | None, url: str | None, chash: str | None) -> Rule | None:
        exact = self.exact
        if rid is not None and rid in exact["id"]:
            return exact["id"][rid]
        if chash and chash.lower() in exact["hash"]:
            return exact["hash"][chash.lower()]
        if not (exact["url"] or self.prefixes or exact["domain"]):
            return None
        key = url_key(url)
        if key is None:
            return None
        host, full = key
        if full in exact["url"]:
            return exact["url"][full]
        for length in self._prefix_lengths:
            if length > len(full):
                break
            rule = self.prefixes.get(full[:length])
            if rule is not None:
                return rule
        if exact["domain"]:
            labels = host.split(".")
            for i in range(len(labels)):  # the host itself, then each parent domain
                rule = exact["domain"].get(".".join(labels[i:]))
                if rule is not None:
                    return rule
        return None

    def match_record(self, record: Record) -> Rule | None:
        return self.match(record.id, record.url, record_hash(record) if self.exact["hash"] else record.content_hash)


# -- the stage -----------------------------------------------------------------------------------


class RegistryParams(StageParams):
    """A Do-Not-Train registry queried with the records' URLs (Spawning's API: newline-separated URLs POSTed
    with ``Authorization: API <key>``, answered ``{"urls": [{"url": ..., "optOut": true|false}]}``)."""

    endpoint: str = Field(pattern=r"^https?://", description="the registry's query URL")
    key: str = Field(min_length=1, description="the API key: write ${ENV}, never the key itself")
    batch: int = Field(1000, ge=1, le=10_000, description="URLs per request (the API takes at most 10,000)")
    timeout: float = Field(60.0, gt=0)
    retries: int = Field(4, ge=0, le=20, description="attempts after a 429, a 5xx or a network error")
    cache: str | None = Field(None, description="folder of cached answers (default: WORK/optout-registry)")
    max_age_days: float = Field(30.0, ge=0, description="cached answers older than this are asked again")


class OptOutParams(StageParams):
    lists: list[str] = Field(default_factory=list, description="opt-out list files (local paths or fsspec URLs)")
    storage_options: dict[str, Any] = Field(default_factory=dict, description="fsspec options for the lists")
    registry: RegistryParams | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("lists"), str):
            data = {**data, "lists": [data["lists"]]}
        return data

    @model_validator(mode="after")
    def _something(self) -> "OptOutParams":
        if not self.lists and self.registry is None:
            raise ValueError("give lists (files of rules), a registry, or both")
        return self


class OptOutStage(FilterStage):
    """Sets aside every record an opt-out list names (see the module doc for the format)."""

    name = "optout"
    Params = OptOutParams
    default_reason = "opted-out"

    def __init__(self, lists: list[str] | None = None, storage_options: dict[str, Any] | None = None,
                 registry: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.paths = list(lists or [])
        self.storage_options = storage_options or {}
        # read now: a bad line is a config error before any work starts (config validation builds the stage)
        self.lists = [load_list(p, label, self.storage_options) for p, label in zip(self.paths, list_labels(self.paths))]
        self.matcher = Matcher(self.lists)
        self.registry = Registry(RegistryParams.model_validate(registry)) if registry else None

    def bind(self, context: StageContext) -> None:
        if self.registry is not None:
            self.registry.bind(context)

    def filter(self, record: Record) -> bool | tuple[bool, str]:
        return self.matcher.match_record(record) is None

    def _drop(self, record: Record, label: str, kind: str, detail: str) -> None:
        # counted by list and by kind, so that the manifest and the card can say what each list removed
        self.stats.add(record.source, 1, 0, tally={f"list:{label}": 1, f"kind:{kind}": 1, f"list:{label}:{kind}": 1})
        self.drop(record, "opted-out", detail)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        match = self.matcher.match_record
        if self.registry is None:
            for record in records:
                rule = match(record)
                if rule is None:
                    add(record.source, 1, 1)
                    yield record
                else:
                    self._drop(record, rule.list, rule.kind, rule.describe())
            return
        # with a registry: records go in batches, whose URLs the lists did not settle are asked in one request
        batch: list[Record] = []
        for record in records:
            batch.append(record)
            if len(batch) >= self.registry.params.batch:
                yield from self._batch(batch)
                batch = []
        if batch:
            yield from self._batch(batch)

    def _batch(self, batch: list[Record]) -> Iterator[Record]:
        add = self.stats.add
        rules = [self.matcher.match_record(r) for r in batch]
        asked = [r.url.strip() for r, rule in zip(batch, rules) if rule is None and url_key(r.url) is not None]
        answers = self.registry.query(list(dict.fromkeys(asked)))
        for record, rule in zip(batch, rules):
            if rule is not None:
                self._drop(record, rule.list, rule.kind, rule.describe())
                continue
            url = record.url.strip() if isinstance(record.url, str) else None
            if url is not None and answers.get(url):
                self._drop(record, self.registry.label, "url", f"{self.registry.label}: optOut true for {url}")
                continue
            if url is not None and url_key(url) is not None and url not in answers:
                add(record.source, tally={f"{self.registry.label}:no-answer": 1})  # kept, and counted
            add(record.source, 1, 1)
            yield record


class Registry:
    """Queries a Do-Not-Train registry in batches; answers are cached, one file per request, in the work
    folder (or ``cache``), so that a resumed or repeated build does not ask again within ``max_age_days``.
    The key goes only into the ``Authorization`` header: never into a cache file, a message or a record."""

    def __init__(self, params: RegistryParams) -> None:
        self.params = params
        self.host = urlsplit(params.endpoint).hostname or "registry"
        self.label = f"registry:{self.host}"
        self.cache: tuple[Any, str] | None = None
        if params.cache:
            self.cache = fsspec.core.url_to_fs(params.cache)
        self._client: Any = None

    def bind(self, context: StageContext) -> None:
        if self.cache is None and context.work_dir:
            fs, root = fsspec.core.url_to_fs(context.work_dir, **context.work_storage_options)
            self.cache = (fs, f"{root.rstrip('/')}/optout-registry")

    def _cache_path(self, urls: list[str]) -> str | None:
        if self.cache is None:
            return None
        digest = hashlib.sha256(("\n".join([redact(self.params.endpoint), *urls])).encode("utf-8")).hexdigest()
        return f"{self.cache[1]}/{digest[:2]}/{digest}.json"

    def query(self, urls: list[str]) -> dict[str, bool]:
        """url -> opted out, for each URL the registry answered about."""
        if not urls:
            return {}
        path = self._cache_path(urls)
        if path is not None:
            fs = self.cache[0]
            try:
                with fs.open(path, "r", encoding="utf-8") as fh:
                    cached = json.load(fh)
                age = time.time() - cached["asked_at"]
                if age <= self.params.max_age_days * 86400:
                    return {u: bool(v) for u, v in cached["answers"].items()}
            except (OSError, ValueError, KeyError, TypeError):
                pass
        answers = self._ask(urls)
        if path is not None:
            fs = self.cache[0]
            fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            tmp = f"{path}.tmp-{uuid.uuid4().hex[:8]}"
            with fs.open(tmp, "w", encoding="utf-8") as fh:
                json.dump({"endpoint": redact(self.params.endpoint), "asked_at": time.time(), "answers": answers}, fh)
            fs.mv(tmp, path)
        return answers

    def _ask(self, urls: list[str]) -> dict[str, bool]:
        import httpx

        from pdcorpus.io.readers import InputError

        if self._client is None:
            self._client = httpx.Client(timeout=self.params.timeout, follow_redirects=False)
        shown = redact(self.params.endpoint)
        body = "\n".join(urls).encode("utf-8")
        headers = {"Authorization": f"API {self.params.key}", "Content-Type": "text/plain",
                   "User-Agent": "pdcorpus (opt-out check)"}
        problem = ""
        for attempt in range(self.params.retries + 1):
            if attempt:
                time.sleep(min(30.0, 0.5 * 2 ** (attempt - 1)))
            try:
                response = self._client.post(self.params.endpoint, content=body, headers=headers)
            except httpx.HTTPError as exc:  # its message names the URL, never the headers
                problem = f"{type(exc).__name__}: {redact(str(exc))}"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                problem = f"HTTP {response.status_code}"
                continue
            if response.status_code in (401, 403):
                raise InputError(f"opt-out registry {shown} refused the key (HTTP {response.status_code}): check the "
                                 "key the corpus file names under optout.registry.key")
            if response.status_code != 200:
                raise InputError(f"opt-out registry {shown} answered HTTP {response.status_code} to a query of "
                                 f"{len(urls)} URLs: {redact(response.text[:200])}")
            try:
                items = response.json()["urls"]
                return {str(item["url"]): bool(item["optOut"]) for item in items}
            except (ValueError, KeyError, TypeError) as exc:
                raise InputError(f"opt-out registry {shown}: the answer is not {{\"urls\": [{{\"url\": ..., "
                                 f"\"optOut\": ...}}]}} ({type(exc).__name__}: {exc})") from None
        raise InputError(f"opt-out registry {shown}: no answer after {self.params.retries + 1} attempts ({problem}); "
                         "run the build again to resume (answers already received are cached)")


# -- records removed from an earlier release stay out -----------------------------------------------


class RemovedAfterRelease(Stage):
    """Sets aside, in a build over an output that has ``removals.jsonl``, every record removed from an
    earlier release of it (``pdcorpus optout apply``): same source and id, or the same content hash."""

    name = "removals"

    def __init__(self, tombstones: list[dict[str, Any]]) -> None:
        super().__init__()
        self.by_id: dict[tuple[str, str], dict] = {}
        self.by_hash: dict[str, dict] = {}
        for entry in tombstones:
            self.by_id.setdefault((entry.get("source"), entry.get("id")), entry)
            if entry.get("content_hash"):
                self.by_hash.setdefault(entry["content_hash"], entry)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        for record in records:
            entry = self.by_id.get((record.source, record.id))
            how = "removed"
            if entry is None and self.by_hash:
                entry = self.by_hash.get(record_hash(record))
                how = "same content as"
            if entry is None:
                add(record.source, 1, 1)
                yield record
                continue
            add(record.source, 1, 0)
            self.drop(record, "removed-after-release",
                      f"{how} {entry.get('id')} removed from the release on {entry.get('date')} "
                      f"({entry.get('rule')}" + (f"; {entry['reason']}" if entry.get("reason") else "") + ")")
