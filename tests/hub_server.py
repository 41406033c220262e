"""A Hugging Face Hub stand-in on 127.0.0.1 that stores what huggingface_hub's client sends.

It speaks the endpoints a dataset upload uses, in the formats the real Hub answers with: repository
creation, branches, ``preupload`` (regular or LFS per file), the Git LFS batch API with basic
transfers, the LFS object upload, the README metadata check (``validate-yaml``) and the NDJSON
``commit``. Repositories are kept in memory as {revision: {path: bytes}} with their commits, so a test
can compare them with what was built.

Xet is not offered. huggingface_hub (2.x) sends every LFS-mode file through Xet whenever ``hf_xet`` is
installed and ``HF_HUB_DISABLE_XET`` is not set: it asks ``GET /api/datasets/<repo>/xet-write-token/<rev>``
for a CAS server and token (``X-Xet-*`` headers) and never consults the LFS batch endpoint, so there is no
fallback negotiated through the batch answer's transfer types. The stand-in answers that request with
404, as a Hub without Xet would; clients that should upload here run with ``HF_HUB_DISABLE_XET=1``.

Fault switch: ``fail_lfs_uploads`` (a count) makes the next LFS object uploads fail with
``fail_lfs_status`` (default 403, what object storage answers for an expired pre-signed URL, which the
client does not retry), so that a test can interrupt a publish and resume it.

Card metadata is checked against the Hub's own published licence list (tests/data/hub_licenses.yaml,
copied from hub-docs with its source), not against pdcorpus's list.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pathlib import Path

import yaml

# The Hub's licence identifiers as the Hub documents them (hub-docs, repositories-licenses.md).
HUB_LICENSE_LIST = yaml.safe_load((Path(__file__).parent / "data" / "hub_licenses.yaml").read_text(encoding="utf-8"))
HUB_LICENSES = frozenset(entry["id"] for entry in HUB_LICENSE_LIST["licenses"])

REGULAR_MAX = 64 * 1024  # larger files, and any Parquet, go through LFS (the Hub uses 10 MB and binary sniffing)


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class Repo:
    private: bool
    branches: dict[str, dict[str, bytes]] = field(default_factory=lambda: {"main": {}})
    commits: list[dict] = field(default_factory=list)
    head: dict[str, str] = field(default_factory=dict)


class FakeHub:
    def __init__(self, token: str = "hf_test_token") -> None:
        self.token = token
        self.repos: dict[str, Repo] = {}
        self.lfs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str, dict]] = []  # method, path, headers (for tests to inspect)
        self.fail_lfs_uploads = 0  # fault switch: how many of the next LFS object uploads fail
        self.fail_lfs_status = 403
        self.failed_lfs_uploads: list[str] = []  # the oids whose upload was failed on purpose
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, payload: dict | None = None) -> None:
                data = json.dumps(payload or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {hub.token}":
                    self._send(401, {"error": "Invalid credentials in Authorization header"})
                    return False
                return True

            def do_GET(self) -> None:
                hub.requests.append(("GET", self.path, dict(self.headers)))
                if re.match(r"^/api/datasets/[^/]+/[^/]+/xet-(write|read)-token/", self.path):
                    return self._send(404, {"error": "Xet storage is not enabled on this server"})
                m = re.match(r"^/api/datasets/([^/]+/[^/]+)/revision/([^/?]+)", self.path)
                if m and m.group(1) in hub.repos:
                    repo = hub.repos[m.group(1)]
                    rev = m.group(2)
                    files = repo.branches.get(rev, {})
                    return self._send(200, {"id": m.group(1), "sha": repo.head.get(rev, "0" * 40),
                                            "private": repo.private,
                                            "siblings": [{"rfilename": p} for p in sorted(files)]})
                self._send(404, {"error": "Repository not found"})

            def do_PUT(self) -> None:
                hub.requests.append(("PUT", self.path, dict(self.headers)))
                m = re.match(r"^/lfs-upload/([0-9a-f]{64})$", self.path)
                body = self._body()
                if not m:
                    return self._send(404, {"error": "not found"})
                if hashlib.sha256(body).hexdigest() != m.group(1):
                    return self._send(400, {"error": "sha256 mismatch"})
                with hub.lock:
                    fail = hub.fail_lfs_uploads > 0
                    if fail:
                        hub.fail_lfs_uploads -= 1
                        hub.failed_lfs_uploads.append(m.group(1))
                if fail:
                    return self._send(hub.fail_lfs_status, {"error": "Request has expired (fault injected by the "
                                                                     "test's Hub stand-in)"})
                with hub.lock:
                    hub.lfs[m.group(1)] = body
                self._send(200, {})

            def do_POST(self) -> None:
                hub.requests.append(("POST", self.path, dict(self.headers)))
                body = self._body()
                if not self._authorized():
                    return
                path = self.path.split("?", 1)[0]
                if path == "/api/validate-yaml":
                    return self._validate_yaml(json.loads(body))
                if path == "/api/repos/create":
                    payload = json.loads(body)
                    repo_id = f"{payload['organization']}/{payload['name']}" if payload.get("organization") \
                        else f"user/{payload['name']}"
                    with hub.lock:
                        if repo_id in hub.repos:
                            return self._send(409, {"error": "You already created this dataset repo",
                                                    "url": f"{hub.url}/datasets/{repo_id}"})
                        hub.repos[repo_id] = Repo(private=payload.get("visibility") == "private"
                                                  or bool(payload.get("private")))
                    return self._send(200, {"url": f"{hub.url}/datasets/{repo_id}", "name": repo_id})
                m = re.match(r"^/api/datasets/([^/]+/[^/]+)/branch/([^/]+)$", path)
                if m:
                    repo = hub.repos.get(m.group(1))
                    if repo is None:
                        return self._send(404, {"error": "Repository not found"})
                    with hub.lock:
                        if m.group(2) in repo.branches:
                            return self._send(409, {"error": "Branch already exists"})
                        repo.branches[m.group(2)] = dict(repo.branches["main"])
                    return self._send(200, {})
                m = re.match(r"^/api/datasets/([^/]+/[^/]+)/preupload/([^/]+)$", path)
                if m:
                    repo = hub.repos.get(m.group(1))
                    if repo is None:
                        return self._send(404, {"error": "Repository not found"})
                    current = repo.branches.get(m.group(2), {})
                    out = []
                    for f in json.loads(body)["files"]:
                        lfs = f["size"] > REGULAR_MAX or f["path"].endswith(".parquet")
                        entry = {"path": f["path"], "uploadMode": "lfs" if lfs else "regular", "shouldIgnore": False}
                        if f["path"] in current:
                            data = current[f["path"]]
                            entry["oid"] = hashlib.sha256(data).hexdigest() if lfs else git_blob_sha1(data)
                        out.append(entry)
                    return self._send(200, {"files": out})
                m = re.match(r"^/datasets/([^/]+/[^/]+)\.git/info/lfs/objects/batch$", path)
                if m:
                    request = json.loads(body)
                    objects = []
                    for obj in request["objects"]:
                        entry = {"oid": obj["oid"], "size": obj["size"], "authenticated": True}
                        if obj["oid"] not in hub.lfs:
                            entry["actions"] = {"upload": {"href": f"{hub.url}/lfs-upload/{obj['oid']}",
                                                           "expires_at": "2099-01-01T00:00:00Z"}}
                        objects.append(entry)
                    return self._send(200, {"transfer": "basic", "objects": objects})
                m = re.match(r"^/api/datasets/([^/]+/[^/]+)/commit/([^/]+)$", path)
                if m:
                    return self._commit(m.group(1), m.group(2), body)
                self._send(404, {"error": f"no route for {path}"})

            def _validate_yaml(self, request: dict) -> None:
                """What the Hub checks of a card's YAML header before a commit: a mapping, a known licence,
                configs with a name and data files (the Hub's 400 answer lists the errors)."""
                text = request.get("content", "")
                errors = []
                match = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
                meta = yaml.safe_load(match.group(1)) if match else None
                if not isinstance(meta, dict):
                    errors.append("README.md has no YAML metadata block")
                    meta = {}
                licenses = meta.get("license")
                for lic in [licenses] if isinstance(licenses, str) else licenses or []:
                    if lic not in HUB_LICENSES:
                        errors.append(f'"license" must be one of the Hub\'s licence identifiers, got "{lic}"')
                for config in meta.get("configs") or []:
                    if not config.get("config_name") or not config.get("data_files"):
                        errors.append('"configs" entries need "config_name" and "data_files"')
                self._send(400 if errors else 200, {"errors": [{"message": e} for e in errors], "warnings": []})

            def _commit(self, repo_id: str, revision: str, body: bytes) -> None:
                repo = hub.repos.get(repo_id)
                if repo is None or revision not in repo.branches:
                    return self._send(404, {"error": "Repository or revision not found"})
                lines = [json.loads(line) for line in body.splitlines() if line.strip()]
                header = next(item["value"] for item in lines if item["key"] == "header")
                files = dict(repo.branches[revision])
                added = sorted(item["value"]["path"] for item in lines if item["key"] in ("file", "lfsFile"))
                for item in lines:
                    value = item["value"]
                    if item["key"] == "file":
                        files[value["path"]] = base64.b64decode(value["content"])
                    elif item["key"] == "lfsFile":
                        if value["oid"] not in hub.lfs:
                            return self._send(422, {"error": f"LFS object {value['oid']} was never uploaded"})
                        files[value["path"]] = hub.lfs[value["oid"]]
                    elif item["key"] == "deletedFile":
                        files.pop(value["path"], None)
                oid = hashlib.sha1(json.dumps(sorted((p, hashlib.sha256(d).hexdigest()) for p, d in files.items())
                                              ).encode() + header["summary"].encode()).hexdigest()
                with hub.lock:
                    repo.branches[revision] = files  # the whole commit at once: atomic
                    repo.head[revision] = oid
                    repo.commits.append({"revision": revision, "oid": oid, "summary": header["summary"],
                                         "description": header.get("description", ""), "paths": sorted(files),
                                         "added": added})
                self._send(200, {"commitUrl": f"{hub.url}/datasets/{repo_id}/commit/{oid}", "commitOid": oid,
                                 "pullRequestUrl": None})

        return Handler
