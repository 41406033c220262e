"""Polite and safe HTTP fetching with httpx, asynchronous inside one worker process.

``Fetcher.fetch(url)`` returns a ``Response`` or raises ``FetchError`` with a reason code:

``http-status-<n>``
    the final answer was not 2xx (429 and 5xx only after the retries)
``timeout``, ``connection-error``, ``truncated-body``
    after the retries (a body shorter than its Content-Length is ``truncated-body``)
``dns-error``
    the host name does not resolve
``refused-address``
    the host resolves to a private, loopback, link-local, multicast, unspecified, reserved or other
    non-global address (checked after DNS resolution, on every redirect hop)
``too-large``
    Content-Length over ``max_bytes``, or the streamed body passes it (the transfer is aborted)
``bad-content-type``
    the final response's MIME type is not in ``content_types``
``too-many-redirects``, ``bad-url``
    more than ``max_redirects`` hops; a URL (or a redirect's Location) that is not http(s)

How it stays polite:

* Per host (the URL's host name): at most ``connections_per_host`` requests at once and
  ``requests_per_second`` with a token-bucket ``burst`` (GCRA: in any window of T seconds a host
  receives at most ``burst + requests_per_second * T`` requests). Both limits are kept in small
  lock files under the temporary folder, so they hold across every worker process and every
  pdcorpus build of this user on this machine (a lock is released when its process dies, even by
  ``kill -9``). A ``Retry-After`` pauses the whole host, not just the one URL.
* ``concurrency`` bounds the requests in flight per worker process, all hosts together.
* Retries: 408, 425, 429 and 5xx answers, timeouts, connection errors and truncated bodies are
  tried again, ``retries`` times at most, after ``backoff * 2**attempt`` seconds with full jitter
  (at most ``max_backoff``), or after the server's ``Retry-After`` when that is longer; a
  ``Retry-After`` over ``max_retry_after`` ends the attempts at once.
* The ``User-Agent`` is ``<user_agent>/<pdcorpus version> (+<contact>)``.
* robots.txt (RFC 9309) is read before any page of a host and obeyed on every hop; with the other reservation
  protocols (TDMRep, noai, Content-Usage) it is checked by ``fetch/reservations.py``: a reserved URL raises
  ``Reserved`` (not a ``FetchError``: it is never retried).

How it stays safe: redirects are followed by hand, and every hop is checked like the first URL
(scheme, address, host limits). The host name is resolved once per hop, every address it resolves
to is checked, and the connection is made to the checked address (the request carries the name in
``Host`` and, for HTTPS, as the TLS server name, so certificates are verified against the name): a
DNS answer that changes between the check and the connection (DNS rebinding) cannot redirect the
request. Proxies from the environment are not used, since they would connect on their own.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import fcntl
import hashlib
import ipaddress
import os
import random
import re
import socket
import ssl
import tempfile
import time
from contextlib import asynccontextmanager
from http.cookiejar import CookieJar, DefaultCookiePolicy
from datetime import datetime, timezone
from typing import Any, AsyncIterator
from urllib.parse import urljoin, urlsplit

import certifi
import httpcore
import httpx

from pdcorpus._version import __version__
from pdcorpus.fetch.cache import Response, ResponseCache, cacheable
from pdcorpus.fetch.options import FetchOptions
from pdcorpus.fetch.reservations import (RETRY_UNREACHABLE, HostFile, HostFiles, Reserved, Verdict, now_iso,
                                         origin_of)

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504}) | frozenset(range(505, 600))
REDIRECT_STATUS = frozenset({301, 302, 303, 307, 308})
ROBOTS_TTL = 24 * 3600.0  # RFC 9309 2.4: a robots.txt should not be cached for more than 24 hours
ROBOTS_MAX_BYTES = 500 * 1024  # RFC 9309 2.5: at least 500 KiB of a robots.txt are parsed
HOST_FILE_MAX_BYTES = 5 * 10**6  # robots.txt / tdmrep.json bodies read at most (a larger one is unreachable)


def limits_dir() -> str:
    """Where the per-host lock files live: ``PDCORPUS_HOST_LIMITS`` or a folder of this user under the temp dir."""
    return os.environ.get("PDCORPUS_HOST_LIMITS") or os.path.join(
        tempfile.gettempdir(), f"pdcorpus-hosts-{os.getuid() if hasattr(os, 'getuid') else 0}")


class FetchError(Exception):
    """A URL that gave no usable response; ``reason`` is a code (see the module notes), ``detail`` says more."""

    def __init__(self, reason: str, detail: str = "", *, retry: bool = False, retry_after: float | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.retry = retry
        self.retry_after = retry_after
        super().__init__(f"{reason}: {detail}" if detail else reason)


def user_agent(options: FetchOptions) -> str:
    return f"{options.user_agent}/{__version__} (+{options.contact})"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds from now (RFC 9110: delay-seconds or an HTTP-date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# -- addresses ------------------------------------------------------------------------------------


def non_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why an address is not one to fetch from the public web, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind in ("loopback", "private", "link_local", "multicast", "unspecified", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:  # shared address space (100.64/10), documentation ranges, ...
        return "not globally routable"
    return None


class AddressPolicy:
    def __init__(self, allow: bool | list[str]) -> None:
        self.allow_all = allow is True
        self.networks = [ipaddress.ip_network(n, strict=False) for n in allow] if isinstance(allow, list) else []

    def refusal(self, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
        if self.allow_all:
            return None
        why = non_public(ip)
        if why is None or any(ip in net for net in self.networks if net.version == ip.version):
            return None
        return why


# -- per-host limits shared across processes ------------------------------------------------------


class HostGate:
    """One host's connection slots and request schedule, shared by every process through lock files."""

    def __init__(self, host: str, rate: float, burst: int, connections: int, folder: str | None = None) -> None:
        folder = folder or limits_dir()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        key = re.sub(r"[^A-Za-z0-9.-]", "_", host)[:60] + "-" + hashlib.sha256(host.encode()).hexdigest()[:12]
        self.schedule = os.path.join(folder, f"{key}.next")
        self.slots = [os.path.join(folder, f"{key}.conn{i}") for i in range(connections)]
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.local = asyncio.Semaphore(connections)
        self.cap = 3600.0  # a schedule further ahead than this is stale (a clock step): ignored

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[None]:
        """Holds one of the host's connection slots (in this process, and machine-wide)."""
        async with self.local:
            fd = await self._take_slot()
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    async def _take_slot(self) -> int:
        delay = 0.002
        order = list(self.slots)
        random.shuffle(order)
        while True:
            for path in order:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    os.close(fd)
            await asyncio.sleep(delay)
            delay = min(0.05, delay * 1.5)

    def _update(self, change) -> float:
        """Reads and rewrites the host's theoretical arrival time under an exclusive lock."""
        fd = os.open(self.schedule, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).strip()
            now = time.time()
            try:
                tat = float(raw) if raw else now
            except ValueError:
                tat = now
            if tat - now > self.cap:
                tat = now
            send_at, new_tat = change(now, tat)
            data = repr(new_tat).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            return send_at - now
        finally:
            os.close(fd)

    async def turn(self) -> None:
        """Waits for this host's next request time (GCRA: at most ``burst`` at once, then one per interval).

        The turn is taken only once it has come, at the time it is taken (not reserved ahead and slept
        for): a process that wakes late then moves the schedule on from when it really sends, so one
        late request never bunches up with the next one on time."""
        def take(now: float, tat: float) -> tuple[float, float]:
            allowed = tat - self.tolerance
            if now < allowed:
                return allowed, tat  # not yet: nothing taken
            return now, max(tat, now) + self.interval
        while True:
            wait = self._update(take)
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def slow_to(self, interval: float) -> None:
        """A longer interval between requests (a robots.txt Crawl-delay); never a shorter one."""
        self.interval = max(self.interval, interval)

    def pause(self, seconds: float) -> None:
        """Nothing more to this host for ``seconds`` (a Retry-After)."""
        self._update(lambda now, tat: (now, max(tat, now + seconds)))


# -- taking the turn when the request is written -------------------------------------------------


_ATTEMPT_DEADLINE: contextvars.ContextVar[asyncio.Timeout | None] = contextvars.ContextVar("deadline", default=None)


class _GatedStream(httpcore.AsyncNetworkStream):
    """A connection that waits for its host's turn just before the first bytes of each request go out.

    The turn is taken here, after the connection is open (and, for HTTPS, after the TLS handshake), not
    before the request is handed to httpx: a first connection or a busy process may take a while to get to
    the socket, and a turn taken early would let that request reach the server together with the next one."""

    def __init__(self, stream: httpcore.AsyncNetworkStream, gate: "HostGate") -> None:
        self._stream, self._gate, self._new_request = stream, gate, True

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._stream.read(max_bytes, timeout)
        self._new_request = True  # the next write starts the next request on this connection
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if self._new_request and buffer:
            self._new_request = False
            # waiting for the turn is not the server's time: the attempt's deadline stops, then moves on by the wait
            deadline = _ATTEMPT_DEADLINE.get()
            when = deadline.when() if deadline is not None else None
            if when is not None:
                deadline.reschedule(None)
            started = time.monotonic()
            try:
                await self._gate.turn()
            finally:
                if when is not None:
                    deadline.reschedule(when + time.monotonic() - started)
        await self._stream.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._stream.aclose()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        return _GatedStream(await self._stream.start_tls(ssl_context, server_hostname, timeout), self._gate)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _GatedBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, gate: "HostGate") -> None:
        self._backend, self._gate = httpcore.AnyIOBackend(), gate

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _GatedStream(stream, self._gate)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise OSError("pdcorpus fetches over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _GatedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport (its request, response and error mapping) over a pool whose connections take turns."""

    def __init__(self, gate: "HostGate", ssl_context: ssl.SSLContext, connections: int) -> None:
        super().__init__(verify=ssl_context, trust_env=False,
                         limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=connections, max_keepalive_connections=connections,
            keepalive_expiry=5.0, network_backend=_GatedBackend(gate))


# -- the fetcher ----------------------------------------------------------------------------------


def _now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _no_cookies() -> CookieJar:
    """A cookie jar that keeps nothing: no request carries a cookie a server set (no sessions, no tracking)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


def _answered(response: Response) -> str:
    where = f" at {response.final_url}" if response.final_url != response.url else ""
    return f"answered {response.status}{where}"


def mime_allowed(mime: str, allowed: list[str]) -> bool:
    for pattern in allowed:
        if pattern == mime or (pattern.endswith("/*") and mime.startswith(pattern[:-1])) or pattern == "*/*":
            return True
    return False


class Fetcher:
    """Use as ``async with Fetcher(options) as f: await f.fetch(url)`` inside one event loop."""

    def __init__(self, options: FetchOptions, limits_folder: str | None = None,
                 work: tuple[Any, str] | None = None) -> None:
        self.options = options
        self.policy = AddressPolicy(options.allow_private_networks)
        self.cache = ResponseCache(options.cache, options.cache_storage_options) if options.cache else None
        self.limits_dir = limits_folder or limits_dir()
        self.gates: dict[str, HostGate] = {}
        self.inflight: dict[str, asyncio.Future] = {}
        self.dns: dict[tuple[str, int], tuple[float, str]] = {}
        # robots.txt and tdmrep.json per origin: once per build in the work folder (``work``: fs, root), else here
        self.hostfiles = HostFiles(work, self.limits_dir)
        # One connection pool per host name: connections go to pinned addresses, and a TLS connection verified
        # for one name must never carry a request for another name that happens to share the address.
        self.clients: dict[str, httpx.AsyncClient] = {}
        self.requests = 0  # sent on the network (each attempt and hop)
        self.cache_hits = 0

    async def __aenter__(self) -> "Fetcher":
        self.global_slots = asyncio.Semaphore(self.options.concurrency)
        self.ssl = ssl.create_default_context(cafile=certifi.where())  # loaded once, shared by the pools
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self.clients.values():
            await client.aclose()
        self.clients.clear()

    def client(self, host: str) -> httpx.AsyncClient:
        client = self.clients.get(host)
        if client is None:
            o = self.options
            connections = o.limits_for(host)[2]
            client = self.clients[host] = httpx.AsyncClient(
                follow_redirects=False, trust_env=False, cookies=_no_cookies(),
                headers={"User-Agent": user_agent(o), "Accept-Encoding": "gzip, deflate"},
                timeout=httpx.Timeout(o.timeout, connect=o.connect_timeout, pool=None),
                transport=_GatedTransport(self.gate(host), self.ssl, connections))
        return client

    def gate(self, host: str) -> HostGate:
        gate = self.gates.get(host)
        if gate is None:
            rate, burst, connections = self.options.limits_for(host)
            gate = self.gates[host] = HostGate(host, rate, burst, connections, self.limits_dir)
        return gate

    async def fetch(self, url: str) -> Response:
        """The response for a URL (raises FetchError, or Reserved for a URL whose rights are reserved)."""
        return (await self.fetch_checked(url))[0]

    async def fetch_checked(self, url: str) -> tuple[Response, Verdict]:
        """The response and what the reservation checks found so far (the header and meta checks, which need
        the page, are the caller's: ``reservations.check_response``). The same URL asked twice at once is
        fetched once."""
        pending = self.inflight.get(url)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self.inflight[url] = future
        try:
            response = await self._fetch(url)
            future.set_result(response)
            return response
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved here, so an unshared failure is not logged as unhandled
            raise
        finally:
            del self.inflight[url]

    async def _fetch(self, url: str) -> tuple[Response, Verdict]:
        verdict = Verdict()
        if self.cache is not None:
            cached = await asyncio.to_thread(self.cache.get, url)
            if cached is not None:
                self.cache_hits += 1
                for hop in [*cached.redirects, cached.final_url]:  # this build's robots.txt, as if requested now
                    await self._precheck(hop, verdict)
                response = self._accept(cached)
                await self._assess(response, verdict)
                return response, verdict
        response = await self._retrying(url, verdict=verdict)
        if self.cache is not None and cacheable(response.status):
            await asyncio.to_thread(self.cache.put, response)
        response = self._accept(response)
        await self._assess(response, verdict)
        return response, verdict

    async def _retrying(self, url: str, **follow: Any) -> Response:
        """The final response (any status but a retryable one), after up to ``retries`` more attempts."""
        o = self.options
        last: FetchError | None = None
        for attempt in range(o.retries + 1):
            try:
                response = await self._follow(url, **follow)
            except FetchError as exc:
                if not exc.retry:
                    raise
                last = exc
            else:
                if response.status not in RETRY_STATUS:
                    return response
                after = retry_after_seconds(response.headers.get("retry-after"))
                last = FetchError(f"http-status-{response.status}", _answered(response), retry=True,
                                  retry_after=after)
            if attempt == o.retries:
                break
            delay = random.uniform(0, min(o.max_backoff, o.backoff * 2 ** attempt))
            if last.retry_after is not None:
                if last.retry_after > o.max_retry_after:
                    last.detail += f"; Retry-After {last.retry_after:.0f}s is over max_retry_after {o.max_retry_after:.0f}s"
                    raise last
                delay = max(delay, last.retry_after)
            await asyncio.sleep(delay)
        assert last is not None
        last.detail += f" (after {o.retries + 1} attempts)"
        raise last

    def _accept(self, response: Response) -> Response:
        """The checks on a final response that depend on the config (applied to cached ones too)."""
        if not 200 <= response.status < 300:
            raise FetchError(f"http-status-{response.status}", _answered(response)
                             + (" (cached)" if response.from_cache else ""))
        mime = response.mime_type or "(none)"
        if not mime_allowed(mime, self.options.content_types or []):
            raise FetchError("bad-content-type", f"{mime} is not in content_types {self.options.content_types}")
        if len(response.body) > self.options.max_bytes:
            raise FetchError("too-large", f"{len(response.body)} bytes > max_bytes {self.options.max_bytes}")
        return response

    async def _precheck(self, url: str, verdict: Verdict) -> None:
        """Before a URL is requested: robots.txt (raises Reserved) and, once per host, tdmrep.json."""
        o = self.options
        origin = origin_of(url)
        if o.robots:
            robots = await self.hostfiles.get(origin, "robots", self._load_host_file)
            when = now_iso()
            if robots.unreachable:
                if o.reservations.robots_unreachable == "deny":
                    raise Reserved("robots", f"{robots.url} could not be read ({robots.error}; asked {robots.fetched_at}), "
                                   "which RFC 9309 2.3.1.4 reads as complete disallow (robots_unreachable: deny)",
                                   when, verdict)
                verdict.unreachable = True
                verdict.checked["robots"] = "unreachable-allowed"
            else:
                rules = self.hostfiles.parse(robots, "robots")
                if rules is not None:
                    for agent, own in [(o.user_agent, True)] + [(a, False) for a in o.reservations.ai_agents]:
                        why = rules.disallowed(url, agent, own)
                        if why:
                            raise Reserved("robots", f"{why} ({robots.url} retrieved {robots.fetched_at})", when,
                                           verdict)
                    delay = rules.crawl_delay(o.user_agent)
                    if delay:
                        self.gate(urlsplit(url).hostname or "").slow_to(float(delay))
                verdict.checked["robots"] = "allowed"
        if o.reservations.tdmrep:  # TDMRep: the file on the origin is checked before the host's first page
            await self.hostfiles.get(origin, "tdmrep", self._load_host_file)

    async def _assess(self, response: Response, verdict: Verdict) -> None:
        """After the response: robots.txt Content-Usage lines and tdmrep.json rules for the final URL."""
        o = self.options
        url = response.final_url
        origin = origin_of(url)
        if o.robots and o.reservations.content_usage:
            robots = await self.hostfiles.get(origin, "robots", self._load_host_file)
            rules = None if robots.unreachable else self.hostfiles.parse(robots, "robots")
            hit = rules.content_usage(url, [o.user_agent, *o.reservations.ai_agents]) if rules is not None else None
            if hit is not None:
                raise Reserved("content-usage", f"{hit[1]} ({robots.url} retrieved {robots.fetched_at})", now_iso(),
                               verdict)
            verdict.checked["content-usage"] = "none"
        if o.reservations.tdmrep:
            tdmrep = await self.hostfiles.get(origin, "tdmrep", self._load_host_file)
            found = self.hostfiles.parse(tdmrep, "tdmrep").lookup(url)
            if found is not None:
                verdict.tdm = (found[0], f"{found[1]} of {tdmrep.url} (retrieved {tdmrep.fetched_at})")

    async def _load_host_file(self, url: str) -> HostFile:
        """robots.txt or tdmrep.json: up to five redirects (RFC 9309 2.3.1.2), retried like any request."""
        try:
            response = await self._retrying(url, robots=False, max_bytes=HOST_FILE_MAX_BYTES, max_redirects=5)
        except FetchError as exc:
            if exc.reason == "too-many-redirects":  # RFC 9309 2.3.1.2: may be read as unavailable (no rules)
                return HostFile(url, 404, None, f"{exc.reason}: {exc.detail}", _now_iso(), time.time() + ROBOTS_TTL)
            return HostFile(url, None, None, f"{exc.reason}: {exc.detail}", _now_iso(), time.time() + RETRY_UNREACHABLE)
        ok = 200 <= response.status < 300
        text = response.body[:ROBOTS_MAX_BYTES].decode("utf-8", "replace") if ok else None
        return HostFile(url, response.status, text, None if ok else f"answered {response.status}",
                        response.retrieved_at, time.time() + ROBOTS_TTL)

    async def _resolve(self, host: str, port: int) -> str:
        """The checked address to connect to: every address the name resolves to must be allowed."""
        try:
            literal = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [literal]
        else:
            hit = self.dns.get((host, port))
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            try:
                infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError) as exc:
                raise FetchError("dns-error", f"{host}: {exc}", retry=False) from None
            addresses = []
            for info in infos:
                ip = ipaddress.ip_address(info[4][0].split("%", 1)[0])
                if ip not in addresses:
                    addresses.append(ip)
        for ip in addresses:
            why = self.policy.refusal(ip)
            if why is not None:
                raise FetchError("refused-address", f"{host} is {ip} ({why}); set allow_private_networks to "
                                 "fetch from private networks")
        chosen = str(addresses[0])
        if literal is None:
            self.dns[(host, port)] = (time.monotonic() + 300, chosen)
        return chosen

    async def _follow(self, url: str, robots: bool = True, max_bytes: int | None = None,
                      verdict: Verdict | None = None, max_redirects: int | None = None) -> Response:
        """One attempt, redirects followed by hand. ``robots``: a page, checked against robots.txt (and its host's
        tdmrep.json loaded) before each hop is requested; False for those files themselves."""
        o = self.options
        redirects: list[str] = []
        current = url
        for _ in range((o.max_redirects if max_redirects is None else max_redirects) + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError("bad-url", f"'{current}' is not an http(s) URL" +
                                 (f" (redirected from {redirects[-1]})" if redirects else ""))
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError:
                raise FetchError("bad-url", f"'{current}' has an invalid port") from None
            host = parts.hostname
            ip = await self._resolve(host, port)
            if robots:
                await self._precheck(current, verdict if verdict is not None else Verdict())
            gate = self.gate(host)
            async with gate.connection(), self.global_slots:  # the turn is taken as the request is written
                response = await self._once(current, host, ip, redirects, check_type=robots,
                                            max_bytes=max_bytes or o.max_bytes)
            if response.status in REDIRECT_STATUS and "location" in response.headers:
                redirects.append(current)
                current = urljoin(current, response.headers["location"])
                continue
            if response.status == 429 or (response.status == 503 and "retry-after" in response.headers):
                after = retry_after_seconds(response.headers.get("retry-after"))
                if after:
                    gate.pause(min(after, o.max_retry_after))
            return response
        raise FetchError("too-many-redirects", f"more than max_redirects {max_redirects or o.max_redirects}: "
                         + " -> ".join(redirects[-3:] + [current]))

    async def _once(self, url: str, host: str, ip: str, redirects: list[str], check_type: bool = True,
                    max_bytes: int = 0) -> Response:
        """One request to one checked address; the body is read only for a final 2xx answer."""
        o = self.options
        limit = max_bytes or o.max_bytes
        client = self.client(host)
        target = httpx.URL(url)
        pinned = target.copy_with(host=ip)
        headers = {"Host": target.netloc.decode("ascii")}
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        self.requests += 1
        try:
            async with asyncio.timeout(o.timeout) as deadline:
                _ATTEMPT_DEADLINE.set(deadline)
                request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
                response = await client.send(request, stream=True)
                try:
                    head = {k.lower(): v for k, v in response.headers.items()}
                    robots_tags = response.headers.get_list("x-robots-tag")
                    status = response.status_code
                    body = b""
                    if 200 <= status < 300:
                        mime = head.get("content-type", "").split(";", 1)[0].strip().lower() or "(none)"
                        if check_type and not mime_allowed(mime, o.content_types or []):
                            raise FetchError("bad-content-type",
                                             f"{mime} is not in content_types {o.content_types}")
                        declared = head.get("content-length")
                        if declared and declared.isdigit() and int(declared) > limit:
                            raise FetchError("too-large", f"Content-Length {declared} > max_bytes {limit}")
                        chunks, size = [], 0
                        async for chunk in response.aiter_bytes():
                            size += len(chunk)
                            if size > limit:
                                raise FetchError("too-large", f"body passed max_bytes {limit}; transfer aborted")
                            chunks.append(chunk)
                        body = b"".join(chunks)
                finally:
                    await response.aclose()
        except FetchError:
            raise
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise FetchError("timeout", f"{url}: no complete answer within {o.timeout:g}s "
                             f"({type(exc).__name__})", retry=True) from None
        except httpx.RemoteProtocolError as exc:
            reason = "truncated-body" if "complete message body" in str(exc) or "incomplete" in str(exc).lower() \
                else "connection-error"
            raise FetchError(reason, f"{url}: {exc}", retry=True) from None
        except (httpx.TransportError, OSError) as exc:
            raise FetchError("connection-error", f"{url}: {type(exc).__name__}: {exc}", retry=True) from None
        except httpx.DecodingError as exc:
            raise FetchError("truncated-body", f"{url}: body cannot be decoded: {exc}", retry=True) from None
        # headers kept: what the record or the cache needs, never cookies
        kept = {k: v for k, v in head.items() if k in ("content-type", "content-length", "last-modified", "etag",
                                                         "location", "retry-after", "content-language", "link",
                                                         "tdm-reservation", "tdm-policy", "content-usage")}
        if robots_tags:  # one line per header: a user-agent scope runs to the end of its own header only
            kept["x-robots-tag"] = "\n".join(robots_tags)
        return Response(url=redirects[0] if redirects else url, final_url=url, status=status, headers=kept,
                        body=body, retrieved_at=_now_iso(), redirects=list(redirects))
