"""``format: warc`` end to end: a WARC file written by warcio, through ``pdcorpus build`` with a rights stage."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from html_pages import CC0_BADGE_LINK, CC0_BARE_BADGE, CC_BY_FOOTER, DCTERMS_PDM, article, page
from test_html_extract import slow_page

DATE = "2024-03-01T12:00:00Z"


def rid(n: int) -> str:
    return f"urn:uuid:00000000-0000-4000-8000-{n:012d}"


def write_warc(path: Path, records: list[tuple]) -> None:
    """(kind, number, url, content type, body, status) records as a crawler writes them: a warcinfo
    record, then request/response pairs, each record gzip'd on its own (WARC 1.1, ISO 28500:2017)."""
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test-crawler/1.0",
                                                                        "format": "WARC File Format 1.1"}))
        for kind, number, url, content_type, body, status in records:
            headers = {"WARC-Record-ID": f"<{rid(number)}>", "WARC-Date": DATE}
            if kind == "response":
                writer.write_record(writer.create_warc_record(
                    url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
                    warc_headers_dict={"WARC-Record-ID": f"<{rid(number + 1000)}>", "WARC-Date": DATE}))
                http = StatusAndHeaders(status, [("Content-Type", content_type), ("ETag", f'"e{number}"')],
                                        protocol="HTTP/1.1")
                record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                                   warc_headers_dict=headers)
            else:
                headers["Content-Type"] = content_type
                record = writer.create_warc_record(url, "resource", payload=io.BytesIO(body),
                                                   warc_headers_dict=headers)
            writer.write_record(record)


def test_warc_pages_through_build_with_rights(tmp_path):
    site = "https://letters.example.org"
    html = "text/html; charset=utf-8"
    write_warc(tmp_path / "crawl-00000.warc.gz", [
        ("response", 1, f"{site}/by", html, page("Letter one", 11, footer=CC_BY_FOOTER).encode(), "200 OK"),
        ("response", 2, f"{site}/cc0", html, page("Letter two", 12, footer=CC0_BADGE_LINK).encode(), "200 OK"),
        ("response", 3, f"{site}/pdm", html, page("Letter three", 13, head=DCTERMS_PDM).encode(), "200 OK"),
        ("response", 4, f"{site}/none", html, page("Letter four", 14).encode(), "200 OK"),
        ("response", 5, f"{site}/broken", html, b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)) * 8, "200 OK"),
        ("response", 6, f"{site}/scan.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "200 OK"),
        ("response", 7, f"{site}/gone", html, b"<html><body>Not found</body></html>", "404 Not Found"),
        ("resource", 8, f"{site}/badge", "text/html", page("Letter eight", 18, footer=CC0_BARE_BADGE).encode(), None),
    ])
    write_warc(tmp_path / "crawl-00001.warc.gz", [
        ("response", 9, f"{site}/huge", html, slow_page().encode(), "200 OK"),
        ("response", 10, f"{site}/after", "application/xhtml+xml",
         page("Letter ten", 20, footer=CC_BY_FOOTER).encode(), "200 OK"),
    ])
    out = tmp_path / "out"
    cfg = tmp_path / "corpus.yaml"
    cfg.write_text(f"""name: web-letters
output: {out}
sources:
  - name: web
    read: {{format: warc, paths: ["{tmp_path}/*.warc.gz"], extract_timeout: 2}}
stages:
  - rights: {{policy: open, jurisdictions: [US, EU], as_of: 2026-01-01}}
shards: {{max_bytes: 1MB}}
""")
    run = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", str(cfg), "--workers", "2", "-q"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    rows = {r["id"]: r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()}
    expected = {  # id -> (url, canonical licence, licence as the page states it, evidence)
        f"web:{rid(1)}": (f"{site}/by", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/", "a[rel=license]"),
        f"web:{rid(2)}": (f"{site}/cc0", "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/",
                          "a[href*=creativecommons.org]"),
        f"web:{rid(3)}": (f"{site}/pdm", "PDM-1.0", "https://creativecommons.org/publicdomain/mark/1.0/",
                          "meta[name=dcterms.license]"),
        f"web:{rid(8)}": (f"{site}/badge", "CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/",
                          "img[src*=licensebuttons.net]"),
        f"web:{rid(10)}": (f"{site}/after", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/",
                           "a[rel=license]"),
    }
    assert {k: (r["url"], r["license"], r["license_raw"], json.loads(r["metadata"])["license_evidence"])
            for k, r in rows.items()} == expected
    one = rows[f"web:{rid(1)}"]
    assert article(11)[0][:60] in one["text"] and one["title"].startswith("Letter one")
    assert one["retrieved_at"] == DATE
    assert one["rights_reason"].startswith("allow: ")
    meta = json.loads(one["metadata"])
    assert meta["warc_record_id"] == rid(1) and meta["http_status"] == 200 and meta["etag"] == '"e1"'
    assert meta["warc_file"].endswith("crawl-00000.warc.gz") and meta["language_declared"] == "en"
    # what was set aside, each with its reason, file and record number
    rejects = [json.loads(line) for f in sorted((out / "rejects").glob("*.jsonl")) for line in f.read_text().splitlines()]
    got = sorted((r["stage"], r["reason"], r["id"]) for r in rejects)
    assert got == sorted([
        ("read", "html-unparseable", f"web:{rid(5)}"),
        ("read", "not-html", f"web:{rid(6)}"),
        ("read", "http-error", f"web:{rid(7)}"),
        ("read", "extraction-timeout", f"web:{rid(9)}"),
        ("rights", "no-rights-statement", f"web:{rid(4)}"),
    ])
    timeout = next(r for r in rejects if r["reason"] == "extraction-timeout")
    assert timeout["file"].endswith("crawl-00001.warc.gz") and timeout["line"] == 3  # warcinfo, request, response
    assert manifest["dropped"] == {"read:extraction-timeout": 1, "read:html-unparseable": 1, "read:http-error": 1,
                                   "read:not-html": 1, "rights:no-rights-statement": 1}
    assert manifest["sources"]["web"]["records_read"] == 10  # every response and resource record, once
    assert [i["path"].rsplit("/", 1)[-1] for i in manifest["inputs"]] == ["crawl-00000.warc.gz", "crawl-00001.warc.gz"]
