"""HTML to text with trafilatura, the licence a page declares, and a time limit that holds.

``extract_html(html, url)`` returns the main text, title, author, date (old dates kept: htmldate is
asked for the *original* date with its extensive search, between year 1000 and ``max_date``), the
language the page declares, and the licence statement the page makes with where it was found (for
``license_raw`` and the rights stage). A page that cannot be parsed, that has no main text, or whose
extraction takes longer than ``timeout`` seconds raises ``ExtractionError`` with a ``reason``.

The time limit. lxml and trafilatura run in C and in Python, and a thread cannot be stopped, so
extraction with a time limit runs in a child process (one per calling process, started on first use,
kept for the next pages): the page goes to it over a pipe, and when no answer comes within the limit
the child is killed (SIGKILL) and a new one is started for the next page. The limit counts only the
page's own work: a child's start (importing trafilatura) is waited for separately. ``timeout=None``
extracts in the calling process, without a limit.

Licence detection (lxml over the whole page, before trafilatura strips boilerplate, since licences sit
in headers and footers). The first of these that the page has wins, in this order; within one kind the
first in document order:

1. ``<link rel="license" href>``  (HTML: "the main content of the document is covered by" the link)
2. ``<a rel="license" href>`` / ``<area rel="license">``, anywhere (often in a footer, CC's own
   license chooser writes this)
3. ``<meta name|property="dcterms.license">`` (also ``dc.license``, ``dcterms:license``), then
   ``dc.rights`` / ``dcterms.rights`` / ``DC.rights`` (Dublin Core in HTML; a rights statement may be
   free text, kept verbatim)
4. schema.org: JSON-LD ``"license"`` (top level, then ``@graph`` items), then ``itemprop="license"``
5. a link to a Creative Commons licence or public-domain tool (``creativecommons.org/licenses/...``,
   ``/publicdomain/...``) or to a rightsstatements.org statement
6. a Creative Commons badge image (``licensebuttons.net`` / ``i.creativecommons.org``: ``/l/by-sa/4.0/``,
   ``/p/zero/1.0/``), read as the licence it shows

Declarations meant for machines (1-4) come before mere links and badges (5-6), which may speak of
something else on the page. Every statement found is kept in ``Extracted.licenses`` for audit.
Links are made absolute against ``<base href>`` or the page URL.

Determinism: trafilatura's cross-document deduplication is off (its cache would make a page's text
depend on the pages extracted before it), and ``max_date`` is given by the caller (a WARC record's
capture date) rather than read from the clock where possible.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import re
import select
import signal
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass, field, asdict
from datetime import date
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

MIN_DATE = "1000-01-01"  # public-domain works are old: htmldate's default floor (1995) would drop their dates
STARTUP_TIMEOUT = 300.0  # seconds for a new child to import and warm up (see warm_up; a loaded machine is slow)
REASONS = ("html-unparseable", "extraction-timeout", "no-main-text", "extractor-crashed")

Favor = Literal["precision", "recall", "balanced"]


@dataclass
class Extracted:
    """What a page says: main text, metadata, and the licence it declares with where that was found."""

    text: str
    title: str | None = None
    author: str | None = None
    date: str | None = None  # YYYY-MM-DD, htmldate's original (publication) date
    language: str | None = None  # as the page declares it (<html lang>, Content-Language): a hint, not a detection
    license: str | None = None  # the statement chosen (URL, or verbatim meta text)
    license_evidence: str | None = None  # where: 'link[rel=license]', 'meta[name=dcterms.license]', ...
    licenses: list[tuple[str, str]] = field(default_factory=list)  # every (statement, evidence) found, in order

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ExtractionError(Exception):
    """A page set aside: ``reason`` is one of ``REASONS``; ``detail`` says more."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


# -- licence statements ------------------------------------------------------------------------------------

_META_LICENSE = ("dcterms.license", "dc.license", "dcterms:license", "dc:license")
_META_RIGHTS = ("dcterms.rights", "dc.rights", "dcterms:rights", "dc:rights")
_CC_HOSTS = ("creativecommons.org",)
_CC_PATH = re.compile(r"^/(licenses|publicdomain)/")
_RS_PATH = re.compile(r"^/(vocab|page)/[A-Za-z-]+/")
_BADGE_HOSTS = ("licensebuttons.net", "i.creativecommons.org", "mirrors.creativecommons.org")
_BADGE = re.compile(r"/(l|p)/([a-z-]+)/(\d\.\d)(?:/([a-z]{2,3}))?/")


def _host(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.lower().removeprefix("www.")


def _rel(element: Any) -> set[str]:
    return {t.lower() for t in (element.get("rel") or "").split()}


def _badge_url(src: str) -> str | None:
    """The licence a CC badge shows: /l/by-sa/4.0/88x31.png -> creativecommons.org/licenses/by-sa/4.0/."""
    match = _BADGE.search(urlsplit(src).path)
    if match is None:
        return None
    kind, code, version, port = match.groups()
    if kind == "p":
        return f"https://creativecommons.org/publicdomain/{code}/{version}/"
    return f"https://creativecommons.org/licenses/{code}/{version}/" + (f"{port}/" if port else "")


def _jsonld_license(text: str) -> str | None:
    try:
        data = json.loads(text)
    except (ValueError, TypeError):
        return None
    items = data if isinstance(data, list) else [data]
    queue = [i for i in items if isinstance(i, dict)]
    queue += [g for i in list(queue) for g in (i.get("@graph") or []) if isinstance(g, dict)]
    for item in queue:
        value = item.get("license")
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url") or value.get("name")
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def find_licenses(tree: Any, url: str | None = None) -> list[tuple[str, str]]:
    """Every licence statement of a parsed page as (statement, evidence), in the order of preference above."""
    base = url or ""
    for b in tree.iter("base"):
        if b.get("href"):
            base = urljoin(base, b.get("href").strip())
            break

    def absolute(href: str) -> str:
        try:
            return urljoin(base, href.strip()) if base else href.strip()
        except ValueError:
            return href.strip()

    ranked: list[tuple[int, str, str]] = []  # (rank, statement, evidence); document order within a rank
    seen_jsonld = False
    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        tag = tag.lower().rsplit("}", 1)[-1]
        if tag in ("link", "a", "area"):
            href = el.get("href")
            if not href or not href.strip():
                continue
            if "license" in _rel(el):
                ranked.append((1 if tag == "link" else 2, absolute(href), f"{tag}[rel=license]"))
            elif (el.get("itemprop") or "").lower() == "license":
                ranked.append((4, absolute(href), f"{tag}[itemprop=license]"))
            elif tag == "a":
                target = absolute(href)
                host = _host(target)
                path = urlsplit(target).path if host else ""
                if host in _CC_HOSTS and _CC_PATH.match(path):
                    ranked.append((5, target, "a[href*=creativecommons.org]"))
                elif host == "rightsstatements.org" and _RS_PATH.match(path):
                    ranked.append((5, target, "a[href*=rightsstatements.org]"))
        elif tag == "meta":
            content = (el.get("content") or "").strip()
            if not content:
                continue
            for attr in ("name", "property"):
                name = (el.get(attr) or "").strip()
                if name.lower() in _META_LICENSE:
                    ranked.append((3, content, f"meta[{attr}={name}]"))
                elif name.lower() in _META_RIGHTS:
                    ranked.append((3.5, content, f"meta[{attr}={name}]"))
            if (el.get("itemprop") or "").lower() == "license":
                ranked.append((4, content, "meta[itemprop=license]"))
        elif tag == "script" and (el.get("type") or "").lower() == "application/ld+json" and not seen_jsonld:
            value = _jsonld_license(el.text or "")
            if value:
                seen_jsonld = True
                ranked.append((3.9, absolute(value) if value.startswith(("/", "http")) else value,
                               "script[type=application/ld+json].license"))
        elif tag == "img":
            src = el.get("src") or ""
            if _host(absolute(src)) in _BADGE_HOSTS:
                found = _badge_url(absolute(src))
                if found:
                    ranked.append((6, found, f"img[src*={_host(absolute(src))}]"))
    ranked.sort(key=lambda item: item[0])  # stable: document order within a rank
    out: list[tuple[str, str]] = []
    for _, statement, evidence in ranked:
        if (statement, evidence) not in out:
            out.append((statement, evidence))
    return out


_LANG = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)*$")


def declared_language(tree: Any) -> str | None:
    """The page's declared language, primary subtag lower-cased: <html lang|xml:lang>, then Content-Language."""
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang")]
    for el in tree.iter("meta"):
        key = (el.get("http-equiv") or el.get("name") or "").lower()
        if key in ("content-language", "language", "dc.language", "dcterms.language"):
            candidates.append(el.get("content"))
    for value in candidates:
        if value:
            match = _LANG.match(value.strip().split(",")[0].strip())
            if match:
                return match.group(1).lower()
    return None


# -- extraction in this process --------------------------------------------------------------------------

_quieted = False


def _quiet() -> None:
    """trafilatura and htmldate log every odd page at WARNING/ERROR; a corpus build has thousands."""
    global _quieted
    if not _quieted:
        for name in ("trafilatura", "htmldate", "courlan", "charset_normalizer", "justext", "readability"):
            logging.getLogger(name).setLevel(logging.CRITICAL)
        _quieted = True


def extract_now(html: bytes | str, url: str | None = None, favor: Favor = "precision",
                max_date: str | None = None) -> Extracted:
    """Extraction in the calling process, without a time limit (what the child process runs)."""
    import trafilatura
    from trafilatura.utils import load_html

    _quiet()
    if not html or (isinstance(html, (bytes, str)) and not html.strip()):
        raise ExtractionError("html-unparseable", "empty document")
    try:
        tree = load_html(html)
    except Exception as exc:  # noqa: BLE001 - lxml and the decoders raise many kinds
        raise ExtractionError("html-unparseable", f"{type(exc).__name__}: {exc}") from None
    if tree is None:
        raise ExtractionError("html-unparseable", "not an HTML document (lxml found no document tree)")
    licenses = find_licenses(tree, url)
    language = declared_language(tree)
    params = {"original_date": True, "extensive_search": True, "min_date": MIN_DATE,
              "max_date": max_date or date.today().isoformat()}
    try:
        doc = trafilatura.bare_extraction(
            tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=favor == "precision", favor_recall=favor == "recall", deduplicate=False,
            date_extraction_params=params)
    except Exception as exc:  # noqa: BLE001 - a bug in trafilatura on one page must not stop the build
        raise ExtractionError("html-unparseable", f"trafilatura: {type(exc).__name__}: {exc}") from None
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not text:
        raise ExtractionError("no-main-text", "trafilatura found no main text")
    license, evidence = licenses[0] if licenses else (None, None)
    return Extracted(text=text, title=getattr(doc, "title", None) or None, author=getattr(doc, "author", None) or None,
                     date=getattr(doc, "date", None) or None, language=language, license=license,
                     license_evidence=evidence, licenses=licenses)


# -- extraction with a time limit: a child process ---------------------------------------------------------

_WARM_UP_PAGE = ("<html lang='en'><head><title>Warm-up</title></head><body><article><h1>A letter</h1>"
                 "<p>Written on the 4th of May, 1850, at the old house by the river, where the family spent "
                 "the summer months reading, walking and writing long letters to their friends.</p>"
                 "<p>Posted Tuesday, March 3rd 1851 from the village.</p></article></body></html>")


def warm_up() -> None:
    """Pays the one-time costs before the first page: importing trafilatura, and dateparser's loading of
    its ~200 locales on its first parse (htmldate's extensive date search calls it), which takes seconds
    (tens of seconds on a loaded machine) and would otherwise count against the first page's time limit."""
    _quiet()
    try:
        from htmldate.extractors import get_external_parser

        get_external_parser().get_date_data("Tuesday, March 3rd 1851")
    except Exception:  # noqa: BLE001 - an optional speed-up; extraction works without it
        pass
    try:
        extract_now(_WARM_UP_PAGE, None, "precision", "2026-01-01")
    except ExtractionError:
        pass


_HEADER = struct.Struct("<Q")


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    import time

    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _serve() -> None:
    """The child: pages in on stdin, results out on a private copy of stdout (libraries may print)."""
    if sys.platform.startswith("linux"):  # die with the worker that started it, even on SIGKILL
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)
        except OSError:
            pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the build, which then stops this child
    out = os.dup(1)
    os.dup2(2, 1)
    warm_up()  # before saying ready, so that the time limit is the page's own work
    os.write(out, _HEADER.pack(5) + b"ready")
    fd = sys.stdin.buffer.fileno()
    while True:
        try:
            size, = _HEADER.unpack(_read_exact(fd, _HEADER.size, None))
            html, url, favor, max_date = pickle.loads(_read_exact(fd, size, None))
        except EOFError:
            return
        try:
            reply = ("ok", extract_now(html, url, favor, max_date))
        except ExtractionError as exc:
            reply = ("error", exc.reason, exc.detail)
        except Exception as exc:  # noqa: BLE001
            reply = ("error", "html-unparseable", f"{type(exc).__name__}: {exc}")
        data = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        os.write(out, _HEADER.pack(len(data)))
        view = memoryview(data)
        while view:
            view = view[os.write(out, view):]


class Extractor:
    """One extraction child process with a per-page deadline; restarted after a timeout or a crash.

    Calls from several threads are serialized (one child, one page at a time).
    """

    def __init__(self) -> None:
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.restarts = 0

    def _start(self) -> subprocess.Popen:
        root = str(Path(__file__).resolve().parents[2])  # the folder holding this pdcorpus package
        env = dict(os.environ)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        proc = subprocess.Popen([sys.executable, "-c", "from pdcorpus.fetch.html import _serve; _serve()"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True)
        import time

        try:
            size, = _HEADER.unpack(_read_exact(proc.stdout.fileno(), _HEADER.size,
                                               time.monotonic() + STARTUP_TIMEOUT))
            _read_exact(proc.stdout.fileno(), size, time.monotonic() + 5)
        except (TimeoutError, EOFError):
            self._kill(proc)
            raise RuntimeError(f"the HTML extraction process did not start (python: {sys.executable}); "
                               "check that trafilatura imports: python3 -c 'import trafilatura'") from None
        return proc

    @staticmethod
    def _kill(proc: subprocess.Popen) -> None:
        try:
            proc.kill()
        except OSError:
            pass
        proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass

    def close(self) -> None:
        with self._lock:
            if self._proc is not None:
                self._kill(self._proc)
                self._proc = None

    def extract(self, html: bytes | str, url: str | None, timeout: float, favor: Favor = "precision",
                max_date: str | None = None) -> Extracted:
        import time

        with self._lock:
            if self._proc is None or self._proc.poll() is not None:
                self._proc = self._start()
            proc = self._proc
            data = pickle.dumps((html, url, favor, max_date), protocol=pickle.HIGHEST_PROTOCOL)
            deadline = time.monotonic() + timeout
            try:
                proc.stdin.write(_HEADER.pack(len(data)))
                proc.stdin.write(data)
                proc.stdin.flush()
                size, = _HEADER.unpack(_read_exact(proc.stdout.fileno(), _HEADER.size, deadline))
                reply = pickle.loads(_read_exact(proc.stdout.fileno(), size, deadline + 5))
            except TimeoutError:
                self._kill(proc)
                self._proc = None
                self.restarts += 1
                raise ExtractionError("extraction-timeout", f"no result within {timeout:g} s") from None
            except (EOFError, BrokenPipeError, OSError) as exc:
                code = proc.poll()
                self._kill(proc)
                self._proc = None
                self.restarts += 1
                how = f"signal {-code}" if code is not None and code < 0 else f"exit {code}"
                raise ExtractionError("extractor-crashed",
                                      f"the extraction process died ({how}; {type(exc).__name__})") from None
        if reply[0] == "ok":
            return reply[1]
        raise ExtractionError(reply[1], reply[2])


_extractor: Extractor | None = None
_extractor_pid: int | None = None


def default_extractor() -> Extractor:
    """This process's extractor (a new one in a forked child: a pipe is not shared across processes)."""
    global _extractor, _extractor_pid
    if _extractor is None or _extractor_pid != os.getpid():
        _extractor, _extractor_pid = Extractor(), os.getpid()
    return _extractor


def extract_html(html: bytes | str, url: str | None = None, *, timeout: float | None = 10.0,
                 favor: Favor = "precision", max_date: str | None = None) -> Extracted:
    """The main text, metadata and declared licence of an HTML page; ``ExtractionError`` if none.

    ``timeout``: seconds for this page, enforced in a child process (``None``: in this process, no limit).
    ``favor``: trafilatura's precision (less boilerplate, the default, as FineWeb does) or recall.
    ``max_date``: the latest plausible date (YYYY-MM-DD; e.g. when the page was captured), default today.
    """
    if timeout is None:
        return extract_now(html, url, favor, max_date)
    return default_extractor().extract(html, url, timeout, favor, max_date)


__all__ = ["Extracted", "ExtractionError", "Extractor", "REASONS", "declared_language", "extract_html",
           "extract_now", "find_licenses"]
