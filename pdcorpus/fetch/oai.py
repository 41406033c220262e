"""``format: oai-pmh``: harvest an archive's records with OAI-PMH 2.0 ``ListRecords``.

    read: {format: oai-pmh, endpoint: "https://example.org/oai", metadataPrefix: oai_dc, set: books,
           from: 2020-01-01, until: 2024-12-31, contact: "mailto:corpus@example.org"}

The harvest (http://www.openarchives.org/OAI/openarchivesprotocol.html):

- ``ListRecords`` with the selective-harvesting arguments, then with ``resumptionToken`` alone (an exclusive
  argument) as long as a response carries a non-empty token; an empty ``<resumptionToken/>`` or none ends
  the list.
- ``<error code="noRecordsMatch">`` is an empty harvest, not a failure. Any other error
  (``badResumptionToken``, ``badArgument``, ``cannotDisseminateFormat``, ``noSetHierarchy``, ...) stops the
  build with an error naming the endpoint, the request and the repository's message.
- Flow control: a 503 with ``Retry-After`` (the protocol's documented way of asking a harvester to wait),
  429, other 5xx, timeouts and connection errors are retried after ``Retry-After`` or exponential backoff
  with jitter, ``retries`` times; a ``Retry-After`` over ``max_retry_after`` seconds is an error.
- The User-Agent names pdcorpus, its version and ``contact``. Endpoints (and redirects) that resolve to
  private, loopback, link-local, multicast or reserved addresses are refused unless
  ``allow_private_networks`` is true or lists their network.
- Resumable: each completed page's response is kept in the work folder, then the token that follows it;
  a killed build replays the kept pages and asks for the next token, so no completed page is fetched again.
- A page that is not well-formed XML is set aside as ``malformed-xml`` (the endpoint, the page number and
  the parser's message); the list cannot be followed past it (its token is in the unreadable page), so the
  harvest of this source ends there with what it has.

Records (Dublin Core, ``http://purl.org/dc/elements/1.1/``, wherever the metadata holds it):

- ``id``: ``<source>:<OAI identifier>``; ``text``: the ``dc:description`` values, joined by blank lines
  (Dublin Core holds descriptions, not full texts: map ``text`` to another field with ``fields:``, or
  fill it from ``url`` with a fetch stage)
- ``title``: the first ``dc:title``; ``author``: the ``dc:creator`` values joined by ``"; "``;
  ``date``: the first ``dc:date``; ``language``: the first ``dc:language`` as the archive writes it
  (a language stage replaces it with a detection)
- ``url``: the first ``dc:identifier`` that is an http(s) URL
- ``license_raw``: of several ``dc:rights``, the first that is a Creative Commons or rightsstatements.org
  URI, else the first other http(s) URI, else the first (in document order): a licence URI is
  unambiguous, free text is often a notice about the scan
- ``metadata``: ``oai_identifier``, ``datestamp``, ``sets``, and every Dublin Core element as a list
  (``dc``), so that nothing the archive said is lost
- a ``<header status="deleted">`` record is set aside as ``deleted-record``
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import random
import socket
import time
from typing import Any, Iterator
from urllib.parse import urlencode, urljoin, urlsplit

from lxml import etree

from pdcorpus._version import __version__
from pdcorpus.fetch.formats import OaiOptions
from pdcorpus.fetch.http import AddressPolicy, retry_after_seconds
from pdcorpus.io.atomic import atomic_open
from pdcorpus.io.readers import InputError, InputFile, Reader
from pdcorpus.record import Record

OAI = "http://www.openarchives.org/OAI/2.0/"
DC = "http://purl.org/dc/elements/1.1/"
NS = {"oai": OAI, "dc": DC}
RETRY_STATUS = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=False)


class OaiError(InputError):
    """The repository answered with an OAI-PMH error, or could not be harvested; names the endpoint."""


def _refused(host: str, allow: bool | list[str]) -> str | None:
    """Why ``host`` may not be contacted, or None: any of its addresses is not public and not allowed
    (the same address policy as HTTP fetching, ``pdcorpus.fetch.http.AddressPolicy``)."""
    policy = AddressPolicy(allow)
    if policy.allow_all:
        return None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        return f"cannot resolve {host}: {exc}"
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        why = policy.refusal(address)
        if why is not None:
            return (f"{host} resolves to {address}, a {why} address; "
                    "set allow_private_networks: true (or list its network) to harvest it")
    return None


def _texts(parent: Any, name: str) -> list[str]:
    return [t for t in ((el.text or "").strip() for el in parent.iter(f"{{{DC}}}{name}")) if t]


def choose_rights(values: list[str]) -> str | None:
    """The ``dc:rights`` value for ``license_raw`` (see the module's docstring for the order)."""
    def host(v: str) -> str:
        return (urlsplit(v).hostname or "").lower().removeprefix("www.") if v.startswith(("http://", "https://")) else ""

    for v in values:
        if host(v) in ("creativecommons.org", "rightsstatements.org"):
            return v
    for v in values:
        if host(v):
            return v
    return values[0] if values else None


class OaiReader(Reader):
    """Records of an OAI-PMH repository's ListRecords, resumable at the last completed page."""

    format = "oai-pmh"
    Options = OaiOptions
    reads_network = True

    def __init__(self, *args: Any, endpoint: str, metadataPrefix: str = "oai_dc", set: str | None = None,  # noqa: A002,N803
                 from_: str | None = None, until: str | None = None, contact: str | None = None,
                 allow_private_networks: bool | list[str] = False, timeout: float = 60.0, retries: int = 5,
                 max_retry_after: float = 600.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.endpoint = endpoint
        self.arguments = {"verb": "ListRecords", "metadataPrefix": metadataPrefix}
        for key, value in (("set", set), ("from", from_), ("until", until)):
            if value:
                self.arguments[key] = value
        self.user_agent = f"pdcorpus/{__version__} (OAI-PMH harvester" + (f"; +{contact})" if contact else ")")
        self.allow = allow_private_networks
        self.timeout = timeout
        self.retries = retries
        self.max_retry_after = max_retry_after
        self.requests = 0  # HTTP requests made (attempts, redirects included)
        self._digest = hashlib.sha256()


    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        """One input, one task: a list is followed token by token, in order."""
        args = {"verb": "ListRecords", "metadataPrefix": read.metadataPrefix}
        args.update({k: v for k, v in (("set", read.set), ("from", read.from_), ("until", read.until)) if v})
        return [InputFile(url=f"{read.endpoint}?{urlencode(args)}", size=0, root=read.endpoint)]

    def input_sha256(self, file: InputFile) -> str:
        """Of the responses harvested, in order (the pages that made the records)."""
        return self._digest.hexdigest()

    # -- HTTP --------------------------------------------------------------------------------------------

    def _request(self, client: Any, params: dict[str, str]) -> bytes:
        import httpx

        url = f"{self.endpoint}{'&' if '?' in self.endpoint else '?'}{urlencode(params)}"
        what = f"{self.endpoint} (request {urlencode(params)})"
        last = ""
        for attempt in range(self.retries + 1):
            wait = None
            try:
                response = self._follow(client, url, what)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return response.content
                last = f"HTTP {response.status_code}"
                if response.status_code not in RETRY_STATUS:
                    raise OaiError(f"{what}: HTTP {response.status_code} {response.reason_phrase}; "
                                   "check the endpoint URL")
                wait = retry_after_seconds(response.headers.get("Retry-After"))
                if wait is not None and wait > self.max_retry_after:
                    raise OaiError(f"{what}: the repository asks to wait {wait:.0f} s (Retry-After), over "
                                   f"max_retry_after {self.max_retry_after:.0f} s; harvest later or raise it")
            if attempt == self.retries:
                break
            if wait is None:  # exponential backoff with full jitter, from 1 s, at most 60 s
                wait = random.uniform(0, min(60.0, 2.0 ** attempt))
            time.sleep(wait)
        raise OaiError(f"{what}: gave up after {self.retries + 1} attempts (last: {last}); the build can be resumed "
                       "by running it again")

    def _follow(self, client: Any, url: str, what: str) -> Any:
        for _ in range(MAX_REDIRECTS + 1):
            host = urlsplit(url).hostname or ""
            why = _refused(host, self.allow)
            if why:
                raise OaiError(f"{what}: refused: {why}")
            self.requests += 1
            response = client.get(url)
            if response.is_redirect and response.headers.get("Location"):
                url = urljoin(url, response.headers["Location"])
                continue
            return response
        raise OaiError(f"{what}: more than {MAX_REDIRECTS} redirects")

    # -- the harvest -------------------------------------------------------------------------------------

    def _load_state(self) -> dict[str, Any]:
        if self.work is None:
            return {"pages": 0, "token": None, "done": False}
        fs, folder = self.work
        path = f"{folder}/state.json"
        if not fs.exists(path):
            return {"pages": 0, "token": None, "done": False}
        with fs.open(path, "r") as fh:
            return json.load(fh)

    def _save(self, page: int, body: bytes, state: dict[str, Any]) -> None:
        """The page first, then the state naming it: a kill between the two leaves the page to fetch again."""
        if self.work is None:
            return
        fs, folder = self.work
        fs.makedirs(folder, exist_ok=True)
        for path, data in ((f"{folder}/page-{page:06d}.xml", body),
                           (f"{folder}/state.json", json.dumps(state).encode())):
            with atomic_open(fs, path, "wb") as fh:
                fh.write(data)

    def _saved_page(self, page: int) -> bytes:
        fs, folder = self.work
        with fs.open(f"{folder}/page-{page:06d}.xml", "rb") as fh:
            return fh.read()

    def read(self, file: InputFile) -> Iterator[Record]:
        import httpx

        state = self._load_state()
        for page in range(1, state["pages"] + 1):  # pages completed before a kill: replayed, not fetched
            body = self._saved_page(page)
            self._digest.update(body)
            yield from self._page_records(etree.fromstring(body, _PARSER), page)
        if state["done"]:
            return
        headers = {"User-Agent": self.user_agent, "Accept": "text/xml, application/xml"}
        with httpx.Client(headers=headers, timeout=self.timeout, follow_redirects=False) as client:
            page, token = state["pages"], state["token"]
            while True:
                page += 1
                params = {"verb": "ListRecords", "resumptionToken": token} if token else dict(self.arguments)
                for attempt in range(self.retries + 1):  # a page cut in transit may come whole the next time
                    body = self._request(client, params)
                    try:
                        root = etree.fromstring(body, _PARSER)
                        break
                    except etree.XMLSyntaxError as exc:
                        error = exc
                        if attempt < self.retries:
                            time.sleep(random.uniform(0, min(60.0, 2.0 ** attempt)))
                else:
                    self.reject(self.endpoint, page, "malformed-xml",
                                f"page {page} ({urlencode(params)}): {error} (after {self.retries + 1} attempts); "
                                "the list cannot be followed past it, the harvest of this source ends here",
                                raw=body[:2000].decode("utf-8", "replace"))
                    return
                self._check_error(root, params)
                token = self._token(root)
                self._digest.update(body)
                self._save(page, body, {"pages": page, "token": token, "done": not token})
                yield from self._page_records(root, page)
                if not token:
                    return

    def _check_error(self, root: Any, params: dict[str, str]) -> None:
        if root.tag != f"{{{OAI}}}OAI-PMH":
            raise OaiError(f"{self.endpoint} (request {urlencode(params)}): not an OAI-PMH response "
                           f"(root element {root.tag}); check the endpoint URL")
        errors = root.findall(f"{{{OAI}}}error")
        if not errors:
            return
        codes = [e.get("code") for e in errors]
        if codes == ["noRecordsMatch"]:
            return
        detail = "; ".join(f"{e.get('code')}: {(e.text or '').strip()}" for e in errors)
        hint = (" (the repository no longer accepts the token: resumption tokens expire; run with --fresh to "
                "harvest again from the start)" if "badResumptionToken" in codes else "")
        raise OaiError(f"{self.endpoint} (request {urlencode(params)}): OAI-PMH error {detail}{hint}")

    @staticmethod
    def _token(root: Any) -> str | None:
        element = root.find(f"{{{OAI}}}ListRecords/{{{OAI}}}resumptionToken")
        if element is None:
            return None
        return (element.text or "").strip() or None

    def _page_records(self, root: Any, page: int) -> Iterator[Record]:
        listing = root.find(f"{{{OAI}}}ListRecords")
        if listing is None:
            return
        for number, item in enumerate(listing.iterfind(f"{{{OAI}}}record"), 1):
            header = item.find(f"{{{OAI}}}header")
            identifier = (header.findtext(f"{{{OAI}}}identifier") or "").strip() if header is not None else ""
            rid = f"{self.source}:{identifier}" if identifier else None
            where = f"page {page}, record {number}"
            if header is None or not identifier:
                self.reject(self.endpoint, page, "malformed-record", f"{where}: no header identifier", id=rid)
                continue
            if header.get("status") == "deleted":
                self.reject(self.endpoint, page, "deleted-record", f"{where}: {identifier} is deleted", id=rid)
                continue
            metadata = item.find(f"{{{OAI}}}metadata")
            dc: dict[str, list[str]] = {}
            if metadata is not None:
                for el in metadata.iter(f"{{{DC}}}*"):
                    text = (el.text or "").strip()
                    if text:
                        dc.setdefault(etree.QName(el).localname, []).append(text)
            descriptions = dc.get("description", [])
            urls = [v for v in dc.get("identifier", []) if v.startswith(("http://", "https://"))]
            row = {
                "id": identifier,
                "text": "\n\n".join(descriptions) or None,
                "title": (dc.get("title") or [None])[0],
                "author": "; ".join(dc["creator"]) if dc.get("creator") else None,
                "date": (dc.get("date") or [None])[0],
                "language": (dc.get("language") or [None])[0],
                "url": urls[0] if urls else None,
                "license": choose_rights(dc.get("rights", [])),
                "oai_identifier": identifier,
                "datestamp": (header.findtext(f"{{{OAI}}}datestamp") or "").strip() or None,
                "sets": [s.text.strip() for s in header.iterfind(f"{{{OAI}}}setSpec") if s.text] or None,
                "dc": dc or None,
            }
            if metadata is None:
                self.reject(self.endpoint, page, "missing-metadata", f"{where}: {identifier} has no metadata", id=rid)
                continue
            record = self.make_record({k: v for k, v in row.items() if v is not None}, self.endpoint, page)
            if record is not None:
                yield record
