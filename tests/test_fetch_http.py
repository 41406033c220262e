"""Fetching over HTTP end to end through `pdcorpus build`, against servers on loopback addresses.

Expectations come from the HTTP standards (RFC 9110: status codes, Retry-After, redirects,
Content-Length), the IANA special-purpose address registries (RFC 6890) for what is not a public
address, and the corpus file (the limits a test configures). No test reaches the internet.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import os
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import xxhash
from PIL import Image, ImageDraw

import pdcorpus
from pdcorpus.config import ConfigError, load_config
from pdcorpus.fetch.http import non_public, retry_after_seconds
from pdcorpus.plan import make_plan

from fetch_server import FetchServer, page

CONTACT = "https://example.org/about-our-crawler"
LOOPBACK = '["127.0.0.0/8"]'
PARAGRAPHS = [
    "The winter of that year was long, and the letters from the valley came rarely; when they came, "
    "they were read aloud in the kitchen by the light of one candle, twice, so that nobody missed a word.",
    "In December the river froze from bank to bank, and the mill stood still until the thaw in March. "
    "The miller's sons cut ice for the brewery and were paid in bread and small beer.",
    "My grandmother kept every letter in a tin box under her bed. After she died we found them tied in "
    "bundles by year, with pressed flowers between the pages and a lock of someone's hair.",
]


@pytest.fixture(autouse=True)
def host_limits(tmp_path, monkeypatch):
    """Per-host lock files of this test only (they are machine-wide by default)."""
    monkeypatch.setenv("PDCORPUS_HOST_LIMITS", str(tmp_path / "host-limits"))


def corpus_file(path: Path, output: Path, sources: str, stages: str = "") -> Path:
    path.write_text(f"name: web-test\noutput: {output}\nsources:\n{sources}"
                    + (f"stages:\n{stages}" if stages else ""))
    return path


def urls_source(name: str, paths: str, fetch: str, fields: str = "", extra: str = "") -> str:
    out = (f"  - name: {name}\n    read:\n      format: urls\n      paths: [{paths}]\n"
           f"      fetch: {{contact: \"{CONTACT}\", {fetch}}}\n")
    if fields:
        out += f"    fields: {fields}\n"
    return out + extra


def build(config: Path, **kw) -> dict:
    kw.setdefault("progress", False)
    kw.setdefault("workers", 1)
    return pdcorpus.build(config, **kw)


def shard_rows(out: Path) -> list[dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    rows = []
    for shard in manifest["shards"]:
        rows.extend(pq.read_table(out / shard["path"]).to_pylist())
    return rows


def rejects(out: Path) -> list[dict]:
    rows = []
    for f in sorted((out / "rejects").glob("*.jsonl")) if (out / "rejects").exists() else []:
        rows.extend(json.loads(line) for line in f.read_text().splitlines())
    return rows


def reason_by_url(rows: list[dict]) -> dict[str, str]:
    return {r["detail"].split(": ", 1)[0]: r["reason"] for r in rows if r["stage"] == "fetch"}


# -- pages ------------------------------------------------------------------------------------------


def test_a_url_list_becomes_page_records_with_text_licence_and_response_facts(tmp_path):
    with FetchServer() as server:
        cc0 = server.route("/letters/1", page("Letters from the valley", PARAGRAPHS, author="Anna Berg",
                                              license_html='<link rel="license" href="https://creativecommons.org/publicdomain/zero/1.0/">'),
                           headers={"ETag": '"v1-letters"', "Last-Modified": "Wed, 21 Oct 1998 07:28:00 GMT"})
        dc = server.route("/letters/2", page("The mill in March", PARAGRAPHS[1:] + PARAGRAPHS[:1],
                                             license_html='<meta name="dc.rights" content="Public domain">'))
        badge = server.route("/letters/3", page("A tin box", PARAGRAPHS[2:] + PARAGRAPHS[:2],
                                                license_html='<a href="https://creativecommons.org/licenses/by/4.0/">'
                                                '<img src="https://licensebuttons.net/l/by/4.0/88x31.png"></a>'))
        plain = server.route("/letters/4.txt", "A letter kept as plain text.\nIt has two lines.\n",
                             content_type="text/plain; charset=utf-8")
        moved = server.route("/old-address", redirect=cc0.replace("/letters/1", "/letters/5"), status=301)
        server.route("/letters/5", page("Moved letters", PARAGRAPHS[:2],
                                        license_html='<link rel="license" href="https://creativecommons.org/publicdomain/mark/1.0/">'))
        missing = server.url("/letters/404")
        # robots.txt is asked first; a cookie it sets must never come back (no sessions, no tracking)
        server.route("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain",
                     headers={"Set-Cookie": "session=abc123; Path=/"})
        (tmp_path / "urls.txt").write_text(f"# letters\n{cc0}\n\n{dc}\n{badge}\n{plain}\n{moved}\n{missing}\n"
                                           "ftp://example.org/file\n")
        out = tmp_path / "out"
        cfg = corpus_file(tmp_path / "c.yaml", out,
                          urls_source("letters", str(tmp_path / "urls.txt"),
                                      f"allow_private_networks: {LOOPBACK}, retries: 0"),
                          "  - rights: {policy: open}\n")
        manifest = build(cfg)
        agents = {h.headers.get("User-Agent") for h in server.log}
        assert server.log[0].path == "/robots.txt" and not [h for h in server.log if "Cookie" in h.headers]

    assert agents == {f"pdcorpus/{pdcorpus.__version__} (+{CONTACT})"}  # identifiable, with the contact
    rows = {r["url"]: r for r in shard_rows(out)}
    first = rows[cc0]
    assert "frozen from bank to bank" not in first["text"] and "froze from bank to bank" in first["text"]
    assert "Home" not in first["text"].split("\n")[0] and "digital library" not in first["text"]  # boilerplate gone
    assert first["title"] == "Letters from the valley" and first["author"] == "Anna Berg"
    assert first["license_raw"] == "https://creativecommons.org/publicdomain/zero/1.0/" and first["license"] == "CC0-1.0"
    assert first["retrieved_at"].endswith("Z") and first["retrieved_at"][:4] >= "2024"
    facts = json.loads(first["metadata"])["fetch"]
    assert facts["status"] == 200 and facts["content_type"] == "text/html; charset=utf-8"
    assert facts["etag"] == '"v1-letters"' and facts["last_modified"] == "Wed, 21 Oct 1998 07:28:00 GMT"
    assert rows[dc]["license_raw"] == "Public domain"
    assert rows[badge]["license"] == "CC-BY-4.0"
    # no statement on a plain-text page: the rights stage denies it (open policy: missing), with its text kept
    denied = {r["id"]: r for r in rejects(out) if r["stage"] == "rights"}
    assert list(denied) == ["letters:" + xxhash.xxh3_128_hexdigest(plain.encode())[:16]]
    assert denied[next(iter(denied))]["reason"] == "no-rights-statement"
    # a redirect: the record carries the final URL, the requested one and the hop are kept
    final = cc0.replace("/letters/1", "/letters/5")
    assert json.loads(rows[final]["metadata"])["fetch"]["requested_url"] == moved
    assert json.loads(rows[final]["metadata"])["fetch"]["redirects"] == [moved]
    assert rows[final]["license"] == "PDM-1.0"
    # what failed is set aside with its reason, counted, and the build went on
    assert manifest["dropped"]["fetch:http-status-404"] == 1
    assert manifest["dropped"]["read:bad-url"] == 1
    fetch_stage = next(s for s in manifest["stages"] if s["stage"] == "fetch")
    assert fetch_stage["scope"] == "letters" and fetch_stage["records_in"] == 6 and fetch_stage["records_out"] == 5
    assert reason_by_url(rejects(out)) == {missing: "http-status-404"}
    assert {r["line"] for r in rejects(out) if r["reason"] == "bad-url"} == {9}
    assert manifest["inputs"][0]["path"].endswith("urls.txt")
    # the EU training-data summary says that this corpus was crawled, as whom, when, and from which domains
    crawl = json.loads((out / "training-data-summary.json").read_text())["list_of_data_sources"]["crawled_data"]
    assert crawl["used_for_this_corpus"] is True
    facts = crawl["crawl"]
    assert facts["user_agents"] == [f"pdcorpus/{pdcorpus.__version__} (+{CONTACT})"] and facts["robots_txt"] == ["obeyed"]
    assert facts["records_fetched"] == 5 and facts["domains"] == 1 and facts["top_domains"][0]["domain"] == "127.0.0.1"
    assert facts["period"]["from"] == first["retrieved_at"][:10]
    assert "Were crawlers used by the provider or on its behalf? Yes" in (out / "training-data-summary.md").read_text()


def test_csv_and_jsonl_lists_map_fields_and_set_aside_malformed_rows(tmp_path):
    with FetchServer() as server:
        a = server.route("/a", page("First", PARAGRAPHS))
        b = server.route("/b", page("Second", PARAGRAPHS[::-1]))
        plain = server.route("/c.txt", "A letter kept as plain text.\nIt has two lines.\n", content_type="text/plain")
        (tmp_path / "list.csv").write_text(f"link,rights,note\n{a},CC0-1.0,from the csv\n{b},,\"second\nrow\"\n"
                                           f"{plain},,third\n")
        (tmp_path / "list.jsonl").write_text(json.dumps({"link": a, "rights": "CC BY 4.0", "no": 7}) + "\n"
                                             + '{"link": "' + b + '", broken\n' + json.dumps([b]) + "\n"
                                             + json.dumps({"rights": "CC0"}) + "\n")
        out = tmp_path / "out"
        cfg = corpus_file(tmp_path / "c.yaml", out,
                          urls_source("csv", str(tmp_path / "list.csv"), f"allow_private_networks: {LOOPBACK}",
                                      "{url: link, license: rights}")
                          + urls_source("jsonl", str(tmp_path / "list.jsonl"), f"allow_private_networks: {LOOPBACK}",
                                        "{url: link, license: rights}"))
        manifest = build(cfg)
    rows = shard_rows(out)
    by = {(r["source"], r["url"]): r for r in rows}
    assert by[("csv", a)]["license_raw"] == "CC0-1.0"  # the list's statement wins over the page's
    assert json.loads(by[("csv", a)]["metadata"])["note"] == "from the csv"
    assert by[("jsonl", a)]["license_raw"] == "CC BY 4.0"
    assert by[("csv", a)]["id"] == "csv:" + xxhash.xxh3_128_hexdigest(a.encode())[:16]
    found = {(r["reason"], r["line"]) for r in rejects(out)}
    assert {("malformed-json", 2), ("not-an-object", 3), ("missing-url", 4)} <= found
    assert manifest["sources"]["jsonl"]["records_out"] == 1 and manifest["sources"]["csv"]["records_out"] == 3
    assert by[("csv", plain)]["text"] == "A letter kept as plain text.\nIt has two lines.\n"  # text/plain as it is
    assert json.loads(by[("csv", b)]["metadata"])["note"] == "second\nrow"


# -- faults -----------------------------------------------------------------------------------------


def _bomb_png(side: int = 20000) -> bytes:
    """A valid 1-bit PNG of side x side pixels of zeros: ~50 KB of file, 400 megapixels when decoded."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" * (1 + side // 8)
    raw = zlib.compressobj(9)
    data = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def test_every_fault_ends_in_a_recorded_reason_and_the_build_finishes(tmp_path):
    with FetchServer() as server:
        good = server.route("/good", page("Good page", PARAGRAPHS))
        flaky = server.route("/flaky", page("Flaky page", PARAGRAPHS[1:]), statuses=[500, 200])
        busy = server.route("/busy", page("Busy page", PARAGRAPHS[2:] + PARAGRAPHS[:1]), statuses=[429, 200],
                            retry_after="1")
        gone = server.route("/always-503", "", statuses=[503])
        slow = server.route("/slow", page("Slow", PARAGRAPHS), delay=3.0)
        cut = server.route("/cut", page("Cut", PARAGRAPHS * 20), truncate=500)
        big = server.route("/big", "x" * 300_000, content_type="text/plain")
        stream = server.route("/big-stream", b"y" * 16_000_000, content_type="text/plain", chunked=True)
        pdf = server.route("/doc.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
        metadata = server.route("/to-metadata", redirect="http://169.254.169.254/latest/meta-data/")
        private = server.route("/to-private", redirect="http://10.0.0.1/admin")
        loop = server.route("/loop", redirect="/loop")
        garbage = server.route("/garbage", b"\x00\x01\x02\xff\xfe" * 10, content_type="text/html")
        empty = server.route("/empty-page", "<html><head><title>Nothing here</title></head><body></body></html>")
        bad_text = server.route("/latin1.txt", "caf\u00e9 ".encode("latin-1") * 5, content_type="text/plain; charset=utf-8")
        urls = [good, flaky, busy, gone, slow, cut, big, stream, pdf, metadata, private, loop, garbage, empty, bad_text]
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        out = tmp_path / "out"
        cfg = corpus_file(tmp_path / "c.yaml", out, urls_source(
            "web", str(tmp_path / "urls.txt"),
            f"allow_private_networks: {LOOPBACK}, retries: 1, backoff: 0.05, timeout: 0.5, max_bytes: 100KB, "
            "max_redirects: 3, requests_per_second: 100, burst: 5, connections_per_host: 4"))
        manifest = build(cfg)
        counts = dict(server.counts)
        busy_times = [h.time for h in server.log if h.path == "/busy"]
        aborted = list(server.aborted)

    got = reason_by_url(rejects(out))
    assert got == {
        gone: "http-status-503", slow: "timeout", cut: "truncated-body", big: "too-large", stream: "too-large",
        pdf: "bad-content-type", metadata: "refused-address", private: "refused-address",
        loop: "too-many-redirects", garbage: got.get(garbage), empty: "no-main-text", bad_text: "undecodable-text"}
    assert got[garbage] in ("html-unparseable", "no-main-text")
    assert {r["url"] for r in shard_rows(out)} == {good, flaky, busy}
    # retried what may pass (500, 429, 503, timeout, truncation): retries + 1 attempts; not the rest
    assert counts["/flaky"] == 2 and counts["/busy"] == 2 and counts["/always-503"] == 2
    assert (counts["/slow"], counts["/cut"]) == (2, 2), got
    assert counts["/big"] == 1 and counts["/big-stream"] == 1 and counts["/doc.pdf"] == 1
    assert counts["/loop"] == 4  # the first request and max_redirects hops, then refused
    # Retry-After: 1 was honoured (RFC 9110 10.2.3)
    assert busy_times[1] - busy_times[0] >= 0.95
    # the streamed body was abandoned once past max_bytes, not read to its end
    assert [p for p, _ in aborted] == ["/big-stream"] and aborted[0][1] < 16_000_000
    for url, reason in got.items():
        assert manifest["dropped"][f"fetch:{reason}"] >= 1
    assert manifest["records_out"] == 3


def test_private_and_loopback_addresses_are_refused_after_resolution(tmp_path):
    with FetchServer() as server:
        server.route("/page", page("Page", PARAGRAPHS))
        by_ip = server.url("/page")
        by_name = f"http://localhost:{server.port}/page"  # a name: refused once resolved to loopback
        (tmp_path / "urls.txt").write_text(f"{by_ip}\n{by_name}\n")
        out = tmp_path / "out"
        cfg = corpus_file(tmp_path / "c.yaml", out, urls_source("web", str(tmp_path / "urls.txt"), "retries: 0"))
        manifest = build(cfg)
        assert server.counts["/page"] == 0  # refused before connecting
    got = reason_by_url(rejects(out))
    assert got == {by_ip: "refused-address", by_name: "refused-address"}
    assert manifest["records_out"] == 0 and manifest["dropped"]["fetch:refused-address"] == 2
    assert any("loopback" in r["detail"] for r in rejects(out))


def test_robots_txt_is_obeyed_for_our_user_agent_and_an_unreachable_one_disallows(tmp_path):
    rules = ("User-agent: *\nDisallow: /private/\n\n"
             "User-agent: pdcorpus\nDisallow: /not-for-pdcorpus/\n")
    with FetchServer("127.0.0.1") as one, FetchServer("127.0.0.2") as two:
        one.route("/robots.txt", rules, content_type="text/plain")
        ours = one.route("/private/letter", page("A letter", PARAGRAPHS))  # the group for pdcorpus allows it
        barred = one.route("/not-for-pdcorpus/letter", page("Another", PARAGRAPHS))
        two.route("/robots.txt", "", statuses=[503])
        down = two.route("/letter", page("Third", PARAGRAPHS))
        (tmp_path / "urls.txt").write_text(f"{ours}\n{barred}\n{down}\n")
        out = tmp_path / "out"
        build(corpus_file(tmp_path / "c.yaml", out, urls_source(
            "web", str(tmp_path / "urls.txt"), f"allow_private_networks: {LOOPBACK}, retries: 1, backoff: 0.01")))
        assert one.counts["/not-for-pdcorpus/letter"] == 0 and two.counts["/letter"] == 0
        assert one.counts["/robots.txt"] == 1 and two.counts["/robots.txt"] == 2  # retried, then given up
    assert [r["url"] for r in shard_rows(out)] == [ours]
    # both are reservations of the robots protocol (fetch/reservations.py), the detail says which
    assert reason_by_url(rejects(out)) == {barred: "reserved:robots", down: "reserved:robots"}
    details = {r["detail"].split(": ", 1)[0]: r["detail"] for r in rejects(out)}
    assert "'Disallow: /not-for-pdcorpus/'" in details[barred] and "could not be read" in details[down]


def test_https_connects_to_the_checked_address_and_verifies_the_certificate_for_the_name(tmp_path, monkeypatch):
    """The connection goes to the resolved, checked IP, and TLS verifies the certificate against the URL's
    name (sent as SNI): a certificate for the name passes, one for another name fails."""
    import ssl

    import trustme

    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setattr("pdcorpus.fetch.http.certifi.where", lambda: str(tmp_path / "ca.pem"))  # trust the test CA
    servers = []
    for name in ("localhost", "elsewhere.test"):
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(name).configure_cert(context)
        servers.append(FetchServer("127.0.0.1", tls=context, name="localhost"))
    with servers[0] as good, servers[1] as wrong:
        ok = good.route("/letter", page("A letter over TLS", PARAGRAPHS))
        bad = wrong.route("/letter", page("Not for this name", PARAGRAPHS))
        (tmp_path / "urls.txt").write_text(f"{ok}\n{bad}\n")
        out = tmp_path / "out"
        build(corpus_file(tmp_path / "c.yaml", out, urls_source(
            "web", str(tmp_path / "urls.txt"), f"allow_private_networks: {LOOPBACK}, retries: 0, robots: false")))
        assert good.log[0].headers["Host"] == f"localhost:{good.port}"
    assert ok.startswith("https://localhost:") and [r["url"] for r in shard_rows(out)] == [ok]
    (reject,) = [r for r in rejects(out) if r["stage"] == "fetch"]
    assert reject["reason"] == "connection-error" and "CERTIFICATE_VERIFY_FAILED" in reject["detail"]


@pytest.mark.parametrize("address,public", [
    ("10.0.0.1", False), ("172.16.5.4", False), ("192.168.1.1", False),  # RFC 1918
    ("127.0.0.1", False), ("::1", False),  # loopback
    ("169.254.169.254", False), ("fe80::1", False),  # link-local (cloud metadata)
    ("224.0.0.251", False), ("ff02::1", False),  # multicast
    ("0.0.0.0", False), ("::", False),  # unspecified
    ("240.0.0.1", False), ("100.64.0.1", False), ("192.0.2.10", False),  # reserved, shared, documentation
    ("::ffff:10.0.0.1", False), ("fc00::1", False),  # IPv4-mapped private; unique local
    ("93.184.215.14", True), ("2606:4700::1111", True),
])
def test_address_classes(address, public):
    assert (non_public(ipaddress.ip_address(address)) is None) is public


def test_retry_after_takes_seconds_or_an_http_date():
    assert retry_after_seconds("120") == 120
    now = 1_700_000_000.0
    assert retry_after_seconds("Tue, 14 Nov 2023 22:13:20 GMT", now=now) == 0.0  # a date in the past: now
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 30))
    assert retry_after_seconds(when, now=now) == pytest.approx(30, abs=1)
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


# -- politeness -------------------------------------------------------------------------------------


# Arrival times are taken by the server's threads on a shared 2-core machine: a request sent on time may be
# logged late, which makes the next interval look shorter. Measured lateness stays well under this.
JITTER = 0.1


def _max_in_window(times: list[float], rate: float, burst: int, slack: float = JITTER) -> bool:
    """True if no stretch of requests beats the token bucket: n requests need (n - burst) / rate seconds."""
    times = sorted(times)
    for i in range(len(times)):
        for j in range(i + burst, len(times)):
            n = j - i + 1
            if times[j] - times[i] < (n - burst) / rate - slack:
                return False
    return True


def test_per_host_rate_and_connections_hold_across_workers(tmp_path):
    rate, burst, connections = 8.0, 2, 2
    with FetchServer("127.0.0.1") as one, FetchServer("127.0.0.2") as two:
        lines = []
        for i in range(24):
            for server in (one, two):
                lines.append(server.route(f"/p{i}", f"Document {i} of {server.host}.", content_type="text/plain",
                                          delay=0.15))
        (tmp_path / "urls.txt").write_text("\n".join(lines) + "\n")
        out = tmp_path / "out"
        cfg = corpus_file(tmp_path / "c.yaml", out, urls_source(
            "web", str(tmp_path / "urls.txt"),
            f"allow_private_networks: {LOOPBACK}, requests_per_second: {rate}, burst: {burst}, "
            f"connections_per_host: {connections}, urls_per_task: 12, concurrency: 16"))
        started = time.monotonic()
        manifest = build(cfg, workers=2)
        elapsed = time.monotonic() - started
        logs = {s.host: (s.times(), s.max_active, s.times("/p")) for s in (one, two)}
    assert manifest["records_out"] == 48
    assert len(json.loads((out / "manifest.json").read_text())["inputs"]) == 1
    for host, (times, max_active, pages) in logs.items():
        assert len(pages) == 24 and len(times) >= 24  # and robots.txt, once per task that asked the host
        assert _max_in_window(times, rate, burst), \
            f"{host}: faster than {rate}/s with burst {burst}: {[round(t - times[0], 3) for t in times]}"
        assert max_active <= connections, f"{host}: {max_active} requests at once"
        assert times[-1] - times[0] >= (24 - burst) / rate - JITTER
    assert elapsed > (24 - burst) / rate


# -- resume and cache -------------------------------------------------------------------------------


def _cli(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in [str(Path(pdcorpus.__file__).parents[1]),
                                                                   os.environ.get("PYTHONPATH", "")] if p))
    return subprocess.Popen([sys.executable, "-m", "pdcorpus.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True, env=env)


def test_a_killed_build_resumes_without_fetching_again_what_finished_tasks_fetched(tmp_path):
    per_task, total = 6, 60
    with FetchServer() as server:
        urls = [server.route(f"/doc/{i}", "Document number %d, a plain text of some length.\n" % i,
                             content_type="text/plain", delay=0.08) for i in range(total)]
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        out = tmp_path / "out"
        cfg = corpus_file(tmp_path / "c.yaml", out, urls_source(
            "web", str(tmp_path / "urls.txt"),
            f"allow_private_networks: {LOOPBACK}, requests_per_second: 200, burst: 4, connections_per_host: 4, "
            f"urls_per_task: {per_task}, window: 4"))
        proc = _cli(["build", str(cfg), "--workers", "2", "-q"])
        work = out / ".work" / "p0-read"
        deadline = time.time() + 120
        while len(list(work.glob("*.done.json"))) < 3:
            assert proc.poll() is None, "finished before it could be killed: " + proc.stderr.read().decode()
            assert time.time() < deadline
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        done = sorted(int(p.name[1:6]) for p in work.glob("*.done.json"))
        assert len(done) < total // per_task and not (out / "manifest.json").exists()
        before = dict(server.counts)
        resumed = _cli(["build", str(cfg), "--workers", "2", "-q"])
        _, stderr = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, stderr.decode()
        counts = dict(server.counts)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runner"]["resumed"] is True and manifest["records_out"] == total
    for task in done:
        for i in range(task * per_task, (task + 1) * per_task):
            assert counts[f"/doc/{i}"] == 1, f"/doc/{i} of finished task {task} was fetched again"
    assert all(counts[f"/doc/{i}"] >= 1 for i in range(total))
    again = {i // per_task for i in range(total) if counts[f"/doc/{i}"] > 1}
    assert not again & set(done)  # fetched twice: only URLs of tasks that had not finished
    assert sum(before.values()) > 0
    fetch = next(s for s in manifest["stages"] if s["stage"] == "fetch")
    assert fetch["records_in"] == fetch["records_out"] == total  # counted once per URL, across the two runs


def test_the_cache_serves_a_rebuild_with_changed_stages_and_any_worker_count(tmp_path):
    with FetchServer() as server:
        urls = [server.route(f"/p{i}", page(f"Page {i}", PARAGRAPHS[i % 3:] + PARAGRAPHS[:i % 3]),
                             headers={"ETag": f'"e{i}"'}) for i in range(6)]
        urls.append(server.url("/gone"))
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        fetch = f"allow_private_networks: {LOOPBACK}, cache: {tmp_path / 'cache'}, urls_per_task: 3"
        first = tmp_path / "first"
        build(corpus_file(tmp_path / "a.yaml", first, urls_source("web", str(tmp_path / "urls.txt"), fetch)))
        after_first = dict(server.counts)
        second = tmp_path / "second"
        manifest = build(corpus_file(tmp_path / "b.yaml", second, urls_source("web", str(tmp_path / "urls.txt"), fetch),
                                     "  - length: {min_chars: 10}\n  - dedup: {method: exact}\n"))
        # no page asked again, not even the 404; robots.txt and tdmrep.json are asked once per build (opt-outs
        # are checked as of each build: RFC 9309 2.4 caches robots.txt 24 hours at most)
        host_files = {"/robots.txt", "/.well-known/tdmrep.json"}
        pages = lambda counts: {k: v for k, v in counts.items() if k not in host_files}  # noqa: E731
        assert pages(dict(server.counts)) == pages(after_first)
        third = tmp_path / "third"
        build(corpus_file(tmp_path / "a.yaml", third, urls_source("web", str(tmp_path / "urls.txt"), fetch)), workers=2)
        assert pages(dict(server.counts)) == pages(after_first)
        assert {k: server.counts[k] for k in host_files} == {k: 3 for k in host_files}
    assert all(n == 1 for n in after_first.values()) and len(after_first) == 9  # with /robots.txt, tdmrep.json (404s)
    assert manifest["dropped"]["fetch:http-status-404"] == 1
    a, b = shard_rows(first), shard_rows(second)
    assert [(r["id"], r["text"], r["retrieved_at"]) for r in a] == [(r["id"], r["text"], r["retrieved_at"]) for r in b]
    # same inputs, config and cache: byte-identical shards for one and two workers
    digest = lambda out: {p.name: p.read_bytes() for p in (out / "data").rglob("*.parquet")}  # noqa: E731
    assert digest(first) == digest(third)
    entries = list((tmp_path / "cache").rglob("*.resp"))
    assert len(entries) == 7 and not list((tmp_path / "cache").rglob("*.tmp-*"))


def test_url_lists_are_cut_into_tasks_by_lines_the_same_way_every_time(tmp_path):
    lines = [f"http://127.0.0.1:9/{i}" for i in range(25)]
    text = "\n".join(lines) + "\n"
    (tmp_path / "urls.txt").write_text(text)
    with gzip.open(tmp_path / "urls.txt.gz", "wt") as fh:
        fh.write(text)
    for name, offsets in (("urls.txt", [0, len("\n".join(lines[:10])) + 1, len("\n".join(lines[:20])) + 1]),
                          ("urls.txt.gz", [-1, -1, -1])):
        cfg = corpus_file(tmp_path / "c.yaml", tmp_path / "out", urls_source(
            "web", str(tmp_path / name), f"allow_private_networks: {LOOPBACK}, urls_per_task: 10"))
        tasks = make_plan(load_config(cfg)).read_tasks()
        assert [t.part for t in tasks] == [(1, 11, offsets[0]), (11, 21, offsets[1]), (21, 31, offsets[2])]
        assert tasks == make_plan(load_config(cfg)).read_tasks()


# -- images -----------------------------------------------------------------------------------------


def _image(fmt: str, size: tuple[int, int], color: str) -> bytes:
    im = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(im)
    draw.ellipse((size[0] // 5, size[1] // 5, size[0] * 4 // 5, size[1] * 4 // 5), fill=color)
    draw.rectangle((0, 0, size[0] // 3, size[1] // 6), fill="black")
    out = io.BytesIO()
    im.save(out, format=fmt)
    return out.getvalue()


def test_images_are_downloaded_verified_measured_resized_or_kept_as_urls(tmp_path):
    import datasets

    jpeg, png, webp = _image("JPEG", (300, 200), "red"), _image("PNG", (120, 160), "blue"), _image("WEBP", (90, 90), "green")
    with FetchServer() as server:
        u_jpeg = server.route("/img/a.jpg", jpeg, content_type="image/jpeg")
        u_png = server.route("/img/b.png", png, content_type="image/png")
        u_webp = server.route("/img/c.webp", webp, content_type="image/webp")
        u_bomb = server.route("/img/bomb.png", _bomb_png(), content_type="image/png")
        u_fake = server.route("/img/fake.png", b"<html>not an image</html>", content_type="image/png")
        u_half = server.route("/img/half.jpg", jpeg[: len(jpeg) // 2], content_type="image/jpeg")
        u_page = server.route("/img/page", page("Not an image", PARAGRAPHS))
        items = [(u_jpeg, "a red circle"), (u_png, "a blue circle"), (u_webp, "a green circle"),
                 (u_bomb, "a bomb"), (u_fake, "a fake"), (u_half, "half a picture"), (u_page, "a page")]
        (tmp_path / "images.jsonl").write_text("".join(
            json.dumps({"image_url": u, "caption": c, "license": "CC0 1.0"}) + "\n" for u, c in items))
        (tmp_path / "links.jsonl").write_text("".join(
            json.dumps({"url": u, "caption": c, "license": "Public Domain Mark 1.0"}) + "\n" for u, c in items[:3]))
        out = tmp_path / "out"
        fetch = f"contact: \"{CONTACT}\", allow_private_networks: {LOOPBACK}, retries: 0"
        sources = (
            "  - name: resized\n    read: {format: jsonl, paths: [" + str(tmp_path / "images.jsonl") + "]}\n"
            "    fields: {url: image_url, caption: caption, license: license}\n"
            "    stages:\n      - fetch: {" + fetch + ", images: {max_side: 64, format: WEBP}}\n"
            + urls_source("linked", str(tmp_path / "links.jsonl"),
                          f"allow_private_networks: {LOOPBACK}, images: {{store: url}}"))
        manifest = build(corpus_file(tmp_path / "c.yaml", out, sources, "  - rights: {policy: public-domain}\n"))
    rows = {(r["source"], r["url"]): r for r in shard_rows(out)}
    assert set(rows) == {("resized", u_jpeg), ("resized", u_png), ("resized", u_webp),
                         ("linked", u_jpeg), ("linked", u_png), ("linked", u_webp)}
    for url, original in ((u_jpeg, (300, 200)), (u_png, (120, 160)), (u_webp, (90, 90))):
        row = rows[("resized", url)]
        data = row["image"]["bytes"]
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "WEBP" and max(im.size) == 64
            assert abs(im.size[0] / im.size[1] - original[0] / original[1]) < 0.05
        meta = json.loads(row["metadata"])
        assert (meta["width"], meta["height"], meta["mime_type"]) == (*im.size, "image/webp")
        assert (meta["original"]["width"], meta["original"]["height"]) == original
        assert row["content_hash"] == xxhash.xxh3_128_hexdigest(data) and row["license"] == "CC0-1.0"
        linked = rows[("linked", url)]
        assert linked["image"] is None and linked["license"] == "PDM-1.0"
        assert (json.loads(linked["metadata"])["width"], json.loads(linked["metadata"])["height"]) == original
    got = {(r["detail"].split(": ", 1)[0], r["reason"]) for r in rejects(out) if r["stage"] == "fetch"}
    assert got == {(u_bomb, "too-many-pixels"), (u_fake, "not-an-image"), (u_half, "truncated-image"),
                   (u_page, "bad-content-type")}
    assert manifest["dropped"]["fetch:too-many-pixels"] == 1
    ds = datasets.load_dataset("parquet", data_files=str(out / "data" / "resized" / "*.parquet"), split="train")
    assert {max(im.size) for im in ds["image"]} == {64}


# -- config -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("read,message", [
    ("{format: urls, paths: [u.txt]}", "needs a fetch block"),
    ("{format: urls, paths: [u.txt], fetch: {requests_per_second: 1}}", "contact"),
    ("{format: urls, paths: [u.txt], fetch: {contact: nobody}}", "contact must be a URL"),
    ("{format: urls, paths: [u.txt], fetch: {contact: 'https://x.org', allow_private_networks: [intranet]}}",
     "not an IP network"),
    ("{format: urls, paths: [u.txt], fetch: {contact: 'https://x.org', max_bytes: lots}}", "max_bytes"),
    ("{format: jsonl, paths: [u.jsonl], fetch: {contact: 'https://x.org'}}", "add a fetch stage"),
])
def test_a_bad_fetch_block_fails_before_any_work_naming_the_line(tmp_path, read, message):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: x\noutput: {tmp_path / 'out'}\nsources:\n  - name: web\n    read: {read}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert message in str(err.value) and "c.yaml:5" in str(err.value)


def test_a_fetch_stage_without_contact_is_a_config_error(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: x\noutput: {tmp_path / 'out'}\nsources:\n  - name: web\n    read: {{format: jsonl, paths: [a]}}\n"
                   "stages:\n  - fetch: {images: {}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "stages[0].fetch.contact" in str(err.value)


def test_the_example_web_corpus_file_is_valid_and_its_list_holds_only_fetchable_urls(monkeypatch):
    """configs/web-pages.yaml is checked offline: it validates, and every line of its list is a URL."""
    from pdcorpus.fetch.urls import UrlReader
    from pdcorpus.io.readers import Reader, expand_paths

    root = Path(__file__).parents[1]
    monkeypatch.chdir(root)
    with pytest.raises(ConfigError, match="PDCORPUS_CONTACT"):
        load_config("configs/web-pages.yaml", env={})
    loaded = load_config("configs/web-pages.yaml", env={"PDCORPUS_CONTACT": CONTACT})
    source = loaded.config.sources[0]
    problems = []
    reader = UrlReader(source.name, fetch=source.read.fetch, on_reject=problems.append)
    seeds = list(Reader.read_all(reader, expand_paths(source.read.paths)))  # the list only: nothing is fetched
    assert not problems and len(seeds) == 8
    assert all(s.url.startswith("https://") for s in seeds)
