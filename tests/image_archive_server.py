"""An archive stand-in on 127.0.0.1 for the pipelines' tests: an API answering recorded responses, and its images.

``ArchiveServer(answer)`` calls ``answer(path, query)`` for every GET (``query``: the decoded query string, one
value per key) and sends what it returns: ``Reply(status, body, content_type, headers)`` or ``None`` for a 404
(with the JSON body an API gives). ``static`` maps paths to replies (images). Every request is logged
(``log``: path and query), so that a test can say what was asked and how often.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str | None = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class ArchiveServer:
    def __init__(self, answer: Callable[[str, dict[str, str]], Reply | None] | None = None,
                 not_found: bytes = b'{"message": "Not found"}') -> None:
        self.answer = answer
        self.static: dict[str, Reply] = {}
        self.not_found = not_found
        self.log: list[tuple[str, dict[str, str]]] = []
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ArchiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def file(self, path: str, body: bytes, content_type: str | None = "image/jpeg", status: int = 200) -> str:
        self.static[path] = Reply(status, body, content_type)
        return self.base + path

    def asked(self, path: str) -> list[dict[str, str]]:
        """The queries of the requests made to ``path``, in order."""
        with self.lock:
            return [q for p, q in self.log if p == path]

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query, keep_blank_values=True))
                with server.lock:
                    server.log.append((parts.path, query))
                    server.counts[parts.path] += 1
                reply = server.static.get(parts.path)
                if reply is None and server.answer is not None:
                    reply = server.answer(parts.path, query)
                if reply is None:
                    reply = Reply(404, server.not_found)
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                try:
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        return Handler
