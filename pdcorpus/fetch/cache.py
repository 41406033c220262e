"""A response cache keyed by URL, on a local folder or any fsspec URL.

One file per requested URL, ``<cache>/<h[:2]>/<h>.resp`` with ``h`` = sha256 of the URL: a JSON line
(status, final URL, headers, redirects, retrieved_at, body length and sha256), then the body. It is
written under a temporary name and renamed, so a reader sees a whole entry or none; an entry whose
body does not match its length or sha256 is treated as missing. Kept: final responses with a body
(2xx), and definite refusals by the server (404, 410, other 4xx but 408/429), so that a rebuild
with changed stages asks the servers nothing. Not kept: transient failures (timeouts, 5xx, 429,
connection errors) and what pdcorpus itself refused (size, type, address): a rebuild, maybe with
other limits, tries those again. Entries never expire; delete the folder to fetch afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import fsspec

from pdcorpus.io.atomic import atomic_open


@dataclass
class Response:
    """What one requested URL gave, from the network or the cache."""

    url: str  # as requested
    final_url: str  # after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    retrieved_at: str  # ISO 8601, UTC
    redirects: list[str] = field(default_factory=list)  # the URLs that redirected, in order
    from_cache: bool = False

    @property
    def mime_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None


def cacheable(status: int) -> bool:
    return 200 <= status < 300 or (400 <= status < 500 and status not in (408, 425, 429))


class ResponseCache:
    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        self.fs, root = fsspec.core.url_to_fs(url, **(storage_options or {}))
        self.root = root.rstrip("/")

    def _path(self, url: str) -> str:
        h = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return f"{self.root}/{h[:2]}/{h}.resp"

    def get(self, url: str) -> Response | None:
        path = self._path(url)
        try:
            with self.fs.open(path, "rb") as fh:
                data = fh.read()
        except (FileNotFoundError, OSError):
            return None
        head, sep, body = data.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if not sep or len(body) != meta.get("body_bytes") or hashlib.sha256(body).hexdigest() != meta.get("body_sha256"):
            return None  # not whole (cannot happen with the rename, but a disk can fail)
        return Response(url=meta["url"], final_url=meta["final_url"], status=meta["status"], headers=meta["headers"],
                        body=body, retrieved_at=meta["retrieved_at"], redirects=meta.get("redirects", []),
                        from_cache=True)

    def put(self, response: Response) -> None:
        meta = asdict(response)
        body = meta.pop("body")
        meta.pop("from_cache")
        meta["body_bytes"] = len(body)
        meta["body_sha256"] = hashlib.sha256(body).hexdigest()
        path = self._path(response.url)
        with atomic_open(self.fs, path, "wb") as fh:
            fh.write(json.dumps(meta, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n" + body)
