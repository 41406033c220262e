"""A web server on a loopback address for fetch tests: routes, faults, and what it saw.

``FetchServer(host="127.0.0.1")`` serves the routes a test gives it (``server.route(path, ...)``)
over HTTP/1.1 with keep-alive, from a thread per connection, and records every request: its arrival
time (the kernel's receive timestamp of its first bytes, ``SO_TIMESTAMPNS``, so
that a busy test process does not log a request late), path and headers (``log``), requests per path
(``counts``), requests in progress at once (``max_active``), and bodies the client stopped reading
(``aborted``). Two servers on 127.0.0.1 and 127.0.0.2 (both loopback on Linux) are two hosts.

Faults a route can inject:

* ``statuses=[500, 200]``: the n-th request gets the n-th status (the last repeats), with
  ``retry_after`` sent alongside non-2xx ones;
* ``delay``: seconds before answering (a timeout, or slow service for concurrency);
* ``truncate=n``: the full Content-Length is announced, n bytes are sent, the connection is closed;
* ``chunked=True``: no Content-Length, the body streamed in 64 KB chunks;
* ``redirect="URL"``: a 302 (or ``status``) to that Location.

``FetchServer(tls=context, name="localhost")`` serves HTTPS with the context's certificate, and builds
its URLs with ``name`` in place of the address.
"""

from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


SO_TIMESTAMPNS = 35  # Linux: receive timestamps (struct timespec) as ancillary data; SCM_TIMESTAMPNS is the same


def _arrival(sock: socket.socket) -> float:
    """When the next request's first bytes reached this host (kernel time, CLOCK_REALTIME), waiting for
    them without consuming them; -1 when the peer closed; time.time() where timestamps are not available
    (TLS sockets)."""
    try:
        data, ancillary, _, _ = sock.recvmsg(1, 256, socket.MSG_PEEK)
    except (OSError, NotImplementedError, ValueError):
        return time.time()
    if not data:
        return -1.0
    for level, kind, raw in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(raw) >= 16:
            sec, nsec = struct.unpack("qq", raw[:16])
            return sec + nsec / 1e9
    return time.time()


@dataclass
class Route:
    body: bytes = b""
    content_type: str | None = "text/html; charset=utf-8"
    status: int = 200
    statuses: list[int] | None = None
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: int | None = None
    chunked: bool = False
    redirect: str | None = None


@dataclass
class Hit:
    time: float
    path: str
    headers: dict[str, str]


class FetchServer:
    def __init__(self, host: str = "127.0.0.1", tls: "ssl.SSLContext | None" = None, name: str | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Hit] = []
        self.counts: Counter = Counter()
        self.active = 0
        self.max_active = 0
        self.aborted: list[tuple[str, int]] = []  # (path, bytes sent before the client went away)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer((host, 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # clients that hang up are part of the tests
        if tls is not None:  # HTTPS: the listening socket wrapped, each connection's handshake in its thread
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True, do_handshake_on_connect=False)
        self.host = host
        self.port = self.server.server_address[1]
        self.base = f"{'https' if tls is not None else 'http'}://{name or host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FetchServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def route(self, path: str, body: bytes | str = b"", **options) -> str:
        """Serves ``body`` (and faults) at ``path``; returns the route's URL."""
        self.routes[path] = Route(body=body.encode("utf-8") if isinstance(body, str) else body, **options)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def times(self, path_prefix: str = "") -> list[float]:
        return sorted(h.time for h in self.log if h.path.startswith(path_prefix))

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            arrived = 0.0

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def setup(self) -> None:
                super().setup()
                try:  # the kernel stamps each packet as it arrives: immune to this process waiting for a CPU
                    self.connection.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
                except (OSError, AttributeError):
                    pass

            def handle_one_request(self) -> None:
                self.arrived = _arrival(self.connection)
                if self.arrived < 0:  # the client closed the connection
                    self.close_connection = True
                    return
                super().handle_one_request()

            def do_GET(self) -> None:  # noqa: N802
                with server.lock:
                    server.log.append(Hit(self.arrived or time.time(), self.path, dict(self.headers.items())))
                    server.counts[self.path] += 1
                    nth = server.counts[self.path]
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    self._answer(server.routes.get(self.path), nth)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    with server.lock:
                        server.active -= 1

            def _answer(self, route: Route | None, nth: int) -> None:
                if route is None:
                    body = b"<html><body>not here</body></html>"
                    self.send_response(404)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if route.delay:
                    time.sleep(route.delay)
                status = route.status
                if route.statuses:
                    status = route.statuses[min(nth, len(route.statuses)) - 1]
                if route.redirect is not None:
                    self.send_response(status if status in (301, 302, 303, 307, 308) else 302)
                    self.send_header("Location", route.redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = route.body if 200 <= status < 300 else f"status {status}".encode()
                self.send_response(status)
                if route.content_type:
                    self.send_header("Content-Type", route.content_type)
                if route.retry_after is not None and not 200 <= status < 300:
                    self.send_header("Retry-After", route.retry_after)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if route.chunked and 200 <= status < 300:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    sent = 0
                    try:
                        for i in range(0, len(body), 65536):
                            piece = body[i:i + 65536]
                            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                            sent += len(piece)
                        self.wfile.write(b"0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        with server.lock:
                            server.aborted.append((self.path, sent))
                        raise
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if route.truncate is not None and 200 <= status < 300:
                    self.wfile.write(body[:route.truncate])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

        return Handler


def page(title: str, paragraphs: list[str], *, license_html: str = "", lang: str = "en",
         author: str | None = None, date: str | None = None) -> str:
    """An HTML page as a site would serve it: head metadata, navigation, the article, a footer."""
    meta = f'<meta name="author" content="{author}">' if author else ""
    if date:
        meta += f'<meta name="date" content="{date}"><meta property="article:published_time" content="{date}">'
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>{meta}'
            f'{license_html if "<link" in license_html or "<meta" in license_html else ""}</head><body>'
            '<header><nav><a href="/">Home</a> | <a href="/about">About</a> | <a href="/search">Search</a></nav></header>'
            f'<main><article><h1>{title}</h1>{body}</article></main>'
            f'<footer><p>A digital library of old books.</p>'
            f'{license_html if "<link" not in license_html and "<meta" not in license_html else ""}</footer>'
            '</body></html>')
