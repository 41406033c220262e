"""Secrets in input URLs never reach a file the build writes, nor its output, nor its errors.

Inputs are served by a small HTTP server on 127.0.0.1 that demands the credentials (HTTP Basic auth
from the URL's userinfo, RFC 7617 / RFC 3986 §3.2.1; a ``token`` query parameter), so the build really
uses them; then every file under the output and work folders, stdout and stderr are searched for the
secret values.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pdcorpus.redact as redact_module
from urllib.parse import parse_qs, urlsplit

import pytest


TOKEN = "s3cr3t-Tok3n-9f8e7d"  # interpolated from ${PD_TEST_TOKEN}
QUERY_TOKEN = "qtok-Zx81-Yw92-secret"  # written literally in the corpus file's URL
USER = "alice"

GOOD = [{"id": f"a{i}", "text": f"Public domain text number {i} with enough words to pass.", "license": "CC0-1.0"}
        for i in range(5)]
BAD_LINE = b'{"id": "broken", "text": \n'


def _jsonl(rows: list[dict], extra: bytes = b"") -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows) + extra


FILES = {
    "/basic.jsonl": (_jsonl(GOOD[:3], BAD_LINE), "basic"),
    "/query.jsonl": (_jsonl(GOOD[3:], BAD_LINE), "query"),
}


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # quiet
        pass

    def _authorized(self, path: str, kind: str) -> bool:
        if kind == "basic":
            expected = "Basic " + base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
            return self.headers.get("Authorization") == expected
        return parse_qs(urlsplit(self.path).query).get("token") == [QUERY_TOKEN]

    def _serve(self, body: bool) -> None:
        path = urlsplit(self.path).path
        if path not in FILES:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        data, kind = FILES[path]
        if not self._authorized(path, kind):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="corpus"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start, end = 0, len(data) - 1
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes="):
            lo, _, hi = rng[6:].partition("-")
            start, end = int(lo or 0), min(int(hi) if hi else len(data) - 1, len(data) - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/jsonl")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("ETag", '"v1"')
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if body:
            self.wfile.write(data[start:end + 1])

    def do_GET(self) -> None:
        self._serve(True)

    def do_HEAD(self) -> None:
        self._serve(False)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def _config(path: Path, output: Path, urls: list[str]) -> Path:
    paths = ", ".join(f'"{u}"' for u in urls)
    path.write_text(
        "name: secret-corpus\n"
        f"output: {output}\n"
        "sources:\n"
        "  - name: web\n"
        f"    read: {{format: jsonl, paths: [{paths}]}}\n"
        "    fields: {id: id, text: text, license: license}\n"
        "stages:\n"
        "  - dedup: {method: exact}\n"
        "shards: {max_bytes: 64KB}\n")
    return path


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PD_TEST_TOKEN": TOKEN}
    return subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", *args], capture_output=True, env=env,
                          cwd=cwd, timeout=300)


def _leaks(folder: Path, *texts: bytes) -> list[str]:
    """Files under ``folder`` (and the given outputs) in which a secret occurs, in any spelling a URL
    could carry it (as is, or percent-encoded)."""
    secrets = [s.encode() for s in (TOKEN, QUERY_TOKEN)]
    secrets += [base64.b64encode(f"{USER}:{TOKEN}".encode())]
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        found += [f"{path}: {s.decode()}" for s in secrets if s in data]
    for i, text in enumerate(texts):
        found += [f"stream {i}: {s.decode()}" for s in secrets if s in text]
    return found


def test_credentials_in_input_urls_are_never_written_or_printed(tmp_path, server):
    urls = [f"http://{USER}:${{PD_TEST_TOKEN}}@{server}/basic.jsonl",
            f"http://{server}/query.jsonl?token={QUERY_TOKEN}"]
    cfg = _config(tmp_path / "corpus.yaml", tmp_path / "out", urls)
    done = _cli(["build", str(cfg), "--workers", "2", "--keep-work"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    # the build really read both files through their credentials: 5 records, 2 malformed lines set aside
    assert manifest["records_out"] == 5
    assert manifest["rejects"]["count"] == 2
    assert _leaks(tmp_path / "out", done.stdout, done.stderr) == []
    # the inputs are still named, with the secret replaced
    paths = sorted(i["path"] for i in manifest["inputs"])
    assert paths == sorted([f"http://***@{server}/basic.jsonl", f"http://{server}/query.jsonl?token=***"])
    rejects = [json.loads(line) for f in (out / "rejects").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert sorted((r["file"], r["line"]) for r in rejects) == [(f"http://***@{server}/basic.jsonl", 4),
                                                                (f"http://{server}/query.jsonl?token=***", 3)]
    assert f"http://***@{server}/basic.jsonl" in (out / "README.md").read_text()


def test_a_failing_input_names_its_url_without_the_secret(tmp_path, server):
    urls = [f"http://{USER}:${{PD_TEST_TOKEN}}@{server}/missing.jsonl"]
    cfg = _config(tmp_path / "corpus.yaml", tmp_path / "out", urls)
    done = _cli(["build", str(cfg)], cwd=tmp_path)
    assert done.returncode != 0
    err = done.stderr.decode()
    assert f"{server}/missing.jsonl" in err  # the error says which input
    assert _leaks(tmp_path / "out", done.stdout, done.stderr) == []


def test_strict_failure_on_a_malformed_line_names_the_url_without_the_secret(tmp_path, server):
    urls = [f"http://{server}/query.jsonl?token={QUERY_TOKEN}"]
    cfg = _config(tmp_path / "corpus.yaml", tmp_path / "out", urls)
    done = _cli(["build", str(cfg), "--strict", "--workers", "1"], cwd=tmp_path)
    assert done.returncode != 0
    err = done.stderr.decode()
    assert f"{server}/query.jsonl?token=***" in err and "line 3" in err
    assert _leaks(tmp_path / "out", done.stdout, done.stderr) == []


@pytest.mark.parametrize("text,expected", [
    ("https://user:pw@host.org/a.jsonl", "https://***@host.org/a.jsonl"),
    ("https://ghp_abcdef@github.com/x", "https://***@github.com/x"),
    ("s3://bucket/k.parquet?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1&x-id=GetObject",
     "s3://bucket/k.parquet?X-Amz-Signature=***&X-Amz-Credential=***&x-id=GetObject"),
    ("https://h/f?api_key=1&page=2&access_token=zz&sig=q", "https://h/f?api_key=***&page=2&access_token=***&sig=***"),
    ("see https://h/f?Password=x then", "see https://h/f?Password=*** then"),
    ("https://h/a.jsonl", "https://h/a.jsonl"),
    ("user@example.org wrote this", "user@example.org wrote this"),  # not a URL: an address stays
    # a paging cursor is not a credential (OAI-PMH 2.0 section 3.5: resumptionToken), and errors must name the page
    ("https://h/oai?verb=ListRecords&resumptionToken=page2", "https://h/oai?verb=ListRecords&resumptionToken=page2"),
])
def test_redact_hides_url_credentials(text, expected):
    redact_module.forget_env()  # values other tests' corpus files registered in this process are not these
    """Userinfo is RFC 3986 §3.2.1's (deprecated 'user:password' form included); query names after the
    credentials that S3 presigned URLs (AWS SigV4), OAuth 2.0 (RFC 6750 access_token) and API keys use."""
    from pdcorpus.redact import redact
    assert redact(text) == expected


def test_redact_puts_env_names_back_even_url_encoded():
    from pdcorpus.redact import redact
    env = {"TOK": "a/b+c=d"}
    assert redact("x a/b+c=d y a%2Fb%2Bc%3Dd", env) == "x ${TOK} y ${TOK}"


def test_card_shows_local_inputs_relative_to_the_corpus_file(tmp_path):
    from pdcorpus.redact import shown_path
    corpus = tmp_path / "proj" / "corpus.yaml"
    assert shown_path(str(tmp_path / "proj" / "in" / "a.jsonl"), str(corpus)) == "in/a.jsonl"
    assert shown_path(str(tmp_path / "other" / "a.jsonl"), str(corpus)) == "../other/a.jsonl"
    assert shown_path("s3://b/k?token=x", str(corpus)) == "s3://b/k?token=***"
