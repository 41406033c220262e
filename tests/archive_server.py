"""An archive stand-in on 127.0.0.1 for the pipeline tests: ``FetchServer`` (routes, faults, request log) whose
routes match a request by its path and its query parameters in any order, as an API server reads them.

``server.route("/metadata/abc", body, content_type="application/json")`` or
``server.route("/w/api.php?action=parse&pageid=7&format=json", ...)``: a request matches when its path is the
route's and its query has the same parameters and values (order and percent-encoding aside).
"""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from fetch_server import FetchServer, Route

PIPELINES = Path(__file__).parent / "data" / "pipelines"


def canonical(path: str) -> str:
    parts = urlsplit(path)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    return parts.path + (f"?{urlencode(query)}" if query else "")


class _Routes(dict):
    def __setitem__(self, key: str, value: Route) -> None:
        super().__setitem__(canonical(key), value)

    def get(self, key: str, default: Route | None = None) -> Route | None:  # type: ignore[override]
        return super().get(canonical(key), default)


class ArchiveServer(FetchServer):
    def __init__(self, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.routes = _Routes()
        base = self.server.RequestHandlerClass

        class Handler(base):  # type: ignore[misc, valid-type]
            def setup(self) -> None:
                super().setup()
                # headers and body go out in separate writes: without this, Nagle's algorithm and the client's
                # delayed ACK hold each keep-alive answer ~40 ms, which would be measured as the pipeline's time
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        self.server.RequestHandlerClass = Handler

    def file(self, path: str, fixture: Path, content_type: str, **options) -> str:
        """Serves a fixture file's bytes at ``path``."""
        return self.route(path, fixture.read_bytes(), content_type=content_type, **options)

    def requested(self, path: str) -> int:
        """How many requests matched ``path`` (query parameters in any order)."""
        want = canonical(path)
        return sum(n for p, n in self.counts.items() if canonical(p) == want)
