"""An OAI-PMH repository stand-in on 127.0.0.1 serving the recorded responses of tests/data/oai/.

Routes a ListRecords request by its resumptionToken, or by its set when it starts a list. It logs every
request (query, User-Agent, arrival time), can answer a route with scripted failures first (503 with
Retry-After, as OAI-PMH flow control does), and can hold a route until the test releases it (to kill a
harvest mid-list).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

DATA = Path(__file__).parent / "data" / "oai"


class OaiServer:
    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = dict(routes)  # "set:<spec>" or "token:<token>" -> fixture file name
        self.failures: dict[str, list[tuple[int, dict[str, str]]]] = {}
        self.hold: dict[str, threading.Event] = {}
        self.log: list[dict] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/oai"

    def __enter__(self) -> "OaiServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        for event in self.hold.values():
            event.set()
        self.server.shutdown()
        self.server.server_close()

    def count(self) -> Counter:
        with self._lock:
            return Counter(entry["route"] for entry in self.log)

    def _handler(self):
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = dict(parse_qsl(parts.query))
                route = (f"token:{query['resumptionToken']}" if "resumptionToken" in query
                         else f"set:{query.get('set', '')}")
                with owner._lock:
                    owner.log.append({"route": route, "query": query, "at": time.monotonic(),
                                      "user_agent": self.headers.get("User-Agent")})
                    failures = owner.failures.get(route)
                    failure = failures.pop(0) if failures else None
                if parts.path != "/oai":
                    return self._reply(404, b"not found", {})
                if failure is not None:
                    status, headers = failure
                    return self._reply(status, b"busy, come back later", headers)
                if route in owner.hold:
                    owner.hold[route].wait(60)
                name = owner.routes.get(route)
                if name is None:
                    return self._reply(404, b"no such route", {})
                self._reply(200, (DATA / name).read_bytes(), {"Content-Type": "text/xml; charset=utf-8"})

            def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


LETTERS = {"set:letters": "listrecords-1.xml", "token:page2token": "listrecords-2.xml",
           "token:page3token": "listrecords-3.xml", "set:empty": "no-records.xml"}
