"""Reservations of text-and-data-mining rights checked while fetching, through `pdcorpus build`, against servers on
loopback addresses that count what they are asked.

Expectations come from the protocols themselves:
- RFC 9309 (Robots Exclusion Protocol): groups and product tokens (2.2.1), longest match and the `$`/`*`
  special characters (2.2.2-2.2.3), 4xx = no rules (2.3.1.3), 5xx / unreachable = complete disallow
  (2.3.1.4), caching (2.4);
- W3C TDM Reservation Protocol, CG final report: `/.well-known/tdmrep.json` rules (first matching `location`,
  `tdm-reservation` 1 = reserved, 0 = not reserved, no match = unset), the `tdm-reservation` header and the
  HTML `<meta name="tdm-reservation">`, each superseding the previous ("Processing priority");
- IETF aipref: draft-ietf-aipref-attach (the `Content-Usage` header, a Structured Fields dictionary, and
  `Content-Usage: <path> <prefs>` robots.txt rules, its example file and table in 3.3) and
  draft-ietf-aipref-vocab (`train-ai=n` disallows AI training; keys are case sensitive, a dictionary that
  does not parse states no preference);
- the `noai` / `noimageai` convention of `X-Robots-Tag` and `<meta name="robots">` (an `X-Robots-Tag` value
  may be scoped to one user agent, `X-Robots-Tag: otherbot: noai`, as search engines document).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

import pdcorpus
from pdcorpus.fetch.reservations import match_length, reservation_report, usage_preferences

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
HOST_FILES = ("/robots.txt", "/.well-known/tdmrep.json")


@pytest.fixture(autouse=True)
def host_limits(tmp_path, monkeypatch):
    """Per-host lock files of this test only (they are machine-wide by default)."""
    monkeypatch.setenv("PDCORPUS_HOST_LIMITS", str(tmp_path / "host-limits"))


def build_urls(tmp_path: Path, urls: list[str], fetch: str = "", workers: int = 1, name: str = "c") -> tuple[dict, Path]:
    (tmp_path / f"{name}.txt").write_text("\n".join(urls) + "\n")
    out = tmp_path / f"out-{name}"
    (tmp_path / f"{name}.yaml").write_text(
        f"name: reservations-test\noutput: {out}\nsources:\n  - name: web\n    read:\n      format: urls\n"
        f"      paths: [{tmp_path / f'{name}.txt'}]\n"
        f"      fetch: {{contact: \"{CONTACT}\", allow_private_networks: {LOOPBACK}, retries: 0, {fetch}}}\n")
    return pdcorpus.build(tmp_path / f"{name}.yaml", progress=False, workers=workers), out


def rejects(out: Path) -> dict[str, dict]:
    rows = []
    for f in sorted((out / "rejects").glob("*.jsonl")) if (out / "rejects").exists() else []:
        rows.extend(json.loads(line) for line in f.read_text().splitlines())
    return {r["detail"].split(": ", 1)[0]: r for r in rows if r["stage"] == "fetch"}


def kept(out: Path) -> dict[str, dict]:
    import pyarrow.parquet as pq

    manifest = json.loads((out / "manifest.json").read_text())
    rows = [r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()]
    return {r["url"]: r for r in rows}


def reasons(out: Path) -> dict[str, str]:
    return {url: r["reason"] for url, r in rejects(out).items()}


def letter(title: str, head: str = "") -> str:
    return page(title, PARAGRAPHS, license_html=head)


# -- robots.txt ---------------------------------------------------------------------------------------------


def test_robots_txt_reserves_for_our_agent_and_for_the_ai_groups_named_in_the_config_only(tmp_path):
    """RFC 9309 2.2.1: a crawler obeys the group naming its product token (here `pdcorpus`); the config names
    GPTBot and CCBot as AI crawlers whose groups also reserve; a group for a crawler the config does not name
    (SomeOtherBot) reserves nothing. A disallowed URL is never requested (robots.txt is read first)."""
    robots = ("User-agent: pdcorpus\nDisallow: /not-for-pdcorpus/\n\n"
              "User-agent: GPTBot\nUser-agent: CCBot\nDisallow: /no-ai/\nDisallow: /no-ai/deeper/\n\n"
              "User-agent: SomeOtherBot\nDisallow: /\n")
    with FetchServer() as server:
        server.route("/robots.txt", robots, content_type="text/plain")
        ours = server.route("/not-for-pdcorpus/letter", letter("Not for us"))
        ai = server.route("/no-ai/deeper/letter", letter("Not for AI"))
        fine = server.route("/open/letter", letter("Open"))
        manifest, out = build_urls(tmp_path, [ours, ai, fine], "reservations: {ai_agents: [GPTBot, CCBot]}")
        counts = dict(server.counts)
    assert counts.get("/not-for-pdcorpus/letter", 0) == 0 and counts.get("/no-ai/deeper/letter", 0) == 0
    assert counts["/open/letter"] == 1 and counts["/robots.txt"] == 1
    assert reasons(out) == {ours: "reserved:robots", ai: "reserved:robots"}
    got = rejects(out)
    assert "'User-agent: pdcorpus'" in got[ours]["detail"] and "'Disallow: /not-for-pdcorpus/'" in got[ours]["detail"]
    # the longest matching rule of the group (RFC 9309 2.2.2) is the one named, with the agent and the times
    assert "'Disallow: /no-ai/deeper/'" in got[ai]["detail"] and "for agent 'GPTBot'" in got[ai]["detail"]
    assert "checked 20" in got[ai]["detail"] and "retrieved 20" in got[ai]["detail"]
    assert set(kept(out)) == {fine}
    assert json.loads(kept(out)[fine]["metadata"])["fetch"]["reservations"]["robots"] == "allowed"
    report = reservation_report(manifest)
    assert report["protocols"]["robots"]["checked"] == 3 and report["protocols"]["robots"]["reserved"] == 2
    assert report["ai_agents"] == ["CCBot", "GPTBot"]


@pytest.mark.parametrize("fault", ["status-500", "timeout"])
@pytest.mark.parametrize("policy", ["deny", "allow"])
def test_an_unreadable_robots_txt_follows_the_stated_policy(tmp_path, fault, policy):
    """RFC 9309 2.3.1.4: a robots.txt unreachable through server errors (5xx) or the network (here no answer
    within the timeout) means complete disallow: by default (`robots_unreachable: deny`) no page of the host is
    requested; `allow` is the stated alternative. Either way robots.txt is asked retries + 1 times, once per
    build, not once per URL."""
    with FetchServer() as server:
        if fault == "status-500":
            server.route("/robots.txt", "", statuses=[500])
        else:
            server.route("/robots.txt", "User-agent: *\nDisallow: /\n", content_type="text/plain", delay=1.5)
        urls = [server.route(f"/letter/{i}", letter(f"Letter {i}")) for i in range(3)]
        manifest, out = build_urls(tmp_path, urls, "timeout: 0.5, retries: 1, backoff: 0.01, "
                                   f"reservations: {{robots_unreachable: {policy}}}")
        counts = dict(server.counts)
    assert counts["/robots.txt"] == 2
    report = reservation_report(manifest)
    if policy == "deny":
        assert all(counts.get(f"/letter/{i}", 0) == 0 for i in range(3))
        assert set(reasons(out).values()) == {"reserved:robots"} and len(reasons(out)) == 3
        assert "RFC 9309 2.3.1.4" in next(iter(rejects(out).values()))["detail"]
        assert report["protocols"]["robots"]["reserved"] == 3
    else:
        assert set(kept(out)) == set(urls)
        assert report["protocols"]["robots"] == {**report["protocols"]["robots"], "reserved": 0, "unreachable": 3}
    assert report["robots_unreachable"] == [policy]


# -- TDMRep -------------------------------------------------------------------------------------------------


def test_tdmrep_json_rules_then_the_header_then_html_meta(tmp_path):
    """TDMRep: the first rule whose location matches decides (`*` any characters, `$` the end of the path);
    tdm-reservation 1 reserves, 0 does not, no match is unset; the `tdm-reservation` header supersedes the file
    and `<meta name="tdm-reservation">` supersedes both; a value other than 0 or 1 is a protocol error, i.e.
    unset. The file is read once per host."""
    rules = [{"location": "/reserved/", "tdm-reservation": 1, "tdm-policy": "https://example.org/policy.json"},
             {"location": "/reserved/", "tdm-reservation": 0},  # never used: the first match decides
             {"location": "/mixed/*.html$", "tdm-reservation": 1},
             {"location": "/open/", "tdm-reservation": 0},
             {"location": "/odd/", "tdm-reservation": "yes"}]
    with FetchServer() as server:
        server.route("/.well-known/tdmrep.json", json.dumps(rules), content_type="application/json")
        urls = {
            "file": server.route("/reserved/letter", letter("Reserved by the file")),
            "pattern": server.route("/mixed/letter.html", letter("Reserved by pattern")),
            "after-$": server.route("/mixed/letter.html/more", letter("Not matched: $ ends the pattern")),
            "open": server.route("/open/letter", letter("Not reserved")),
            "no-rule": server.route("/elsewhere/letter", letter("No rule: unset")),
            "bad-value": server.route("/odd/letter", letter("Protocol error: unset")),
            "header": server.route("/elsewhere/by-header", letter("Header"), headers={"tdm-reservation": "1"}),
            "header-over-file": server.route("/open/by-header", letter("Header beats file"),
                                             headers={"tdm-reservation": "1", "tdm-policy": "https://example.org/p"}),
            "header-frees": server.route("/reserved/freed", letter("Header 0 beats file 1"),
                                         headers={"tdm-reservation": "0"}),
            "meta": server.route("/elsewhere/by-meta", letter("Meta", '<meta name="tdm-reservation" content="1">')),
            "meta-frees": server.route("/elsewhere/meta-frees", letter("Meta 0 beats header 1",
                                                                       '<meta name="tdm-reservation" content="0">'),
                                       headers={"tdm-reservation": "1"}),
            "bad-header": server.route("/elsewhere/bad-header", letter("Header 2: unset"),
                                       headers={"tdm-reservation": "2"}),
        }
        manifest, out = build_urls(tmp_path, list(urls.values()))
        counts = dict(server.counts)
    reserved = {"file", "pattern", "header", "header-over-file", "meta"}
    assert reasons(out) == {urls[k]: "reserved:tdmrep" for k in reserved}
    assert set(kept(out)) == {urls[k] for k in urls if k not in reserved}
    got = rejects(out)
    assert '"location": "/reserved/"' in got[urls["file"]]["detail"]
    assert "https://example.org/policy.json" in got[urls["file"]]["detail"]
    assert "'tdm-reservation: 1' header" in got[urls["header-over-file"]]["detail"]
    assert '<meta name="tdm-reservation" content="1">' in got[urls["meta"]]["detail"]
    assert counts["/.well-known/tdmrep.json"] == 1
    assert json.loads(kept(out)[urls["open"]]["metadata"])["fetch"]["reservations"]["tdmrep"] == "0"
    assert json.loads(kept(out)[urls["no-rule"]]["metadata"])["fetch"]["reservations"]["tdmrep"] == "unset"
    report = reservation_report(manifest)["protocols"]["tdmrep"]
    assert report["checked"] == len(urls) and report["reserved"] == len(reserved)


def test_a_missing_or_malformed_tdmrep_json_means_unset(tmp_path):
    """TDMRep: failing to provide the file means the server does not implement the protocol; a file that is not
    a JSON array of rules is a protocol error (unset). Pages of both hosts pass."""
    with FetchServer("127.0.0.1") as one, FetchServer("127.0.0.2") as two:
        one.route("/.well-known/tdmrep.json", '{"location": "/", "tdm-reservation": 1}',  # an object, not an array
                  content_type="application/json")
        a = one.route("/letter", letter("One"))
        b = two.route("/letter", letter("Two"))  # no tdmrep.json: 404
        _, out = build_urls(tmp_path, [a, b])
    assert set(kept(out)) == {a, b}


# -- noai -----------------------------------------------------------------------------------------------------


def _png(color: str) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(data, format="PNG")
    return data.getvalue()


def test_noai_and_noimageai_in_x_robots_tag_and_meta_robots(tmp_path):
    """`noai` reserves any record, `noimageai` only images; `X-Robots-Tag: otherbot: noai` is scoped to a crawler
    that is not ours; scoped to an AI crawler the config names, it counts. Images come through the `fetch` stage
    (not a urls source), which applies the same checks."""
    with FetchServer() as server:
        pages = {
            "header": server.route("/p/header", letter("Header noai"), headers={"X-Robots-Tag": "noai"}),
            "header-list": server.route("/p/list", letter("List"), headers={"X-Robots-Tag": "noindex, noai"}),
            "other-bot": server.route("/p/other", letter("Other bot"), headers={"X-Robots-Tag": "otherbot: noai"}),
            "gptbot": server.route("/p/gptbot", letter("GPTBot"), headers={"X-Robots-Tag": "GPTBot: noai"}),
            "page-noimageai": server.route("/p/noimageai", letter("Text is not an image"),
                                           headers={"X-Robots-Tag": "noimageai"}),
            "meta": server.route("/p/meta", letter("Meta", '<meta name="robots" content="noindex, noai">')),
            "plain": server.route("/p/plain", letter("Nothing", '<meta name="robots" content="noindex, nofollow">')),
        }
        images = {
            "noimageai": server.route("/i/a.png", _png("red"), content_type="image/png",
                                      headers={"X-Robots-Tag": "noimageai"}),
            "fine": server.route("/i/b.png", _png("blue"), content_type="image/png"),
        }
        (tmp_path / "pages.txt").write_text("\n".join(pages.values()) + "\n")
        (tmp_path / "images.jsonl").write_text("".join(json.dumps({"url": u, "caption": k}) + "\n"
                                                       for k, u in images.items()))
        out = tmp_path / "out"
        fetch = f"contact: \"{CONTACT}\", allow_private_networks: {LOOPBACK}, retries: 0"
        (tmp_path / "c.yaml").write_text(
            f"name: noai-test\noutput: {out}\nsources:\n"
            f"  - name: pages\n    read: {{format: urls, paths: [{tmp_path / 'pages.txt'}], fetch: {{{fetch}}}}}\n"
            f"  - name: images\n    read: {{format: jsonl, paths: [{tmp_path / 'images.jsonl'}]}}\n"
            f"    stages:\n      - fetch: {{{fetch}, images: {{}}}}\n")
        manifest = pdcorpus.build(tmp_path / "c.yaml", progress=False, workers=1)
    reserved = {pages[k] for k in ("header", "header-list", "gptbot", "meta")} | {images["noimageai"]}
    assert reasons(out) == {u: "reserved:noai" for u in reserved}
    assert set(kept(out)) == {pages["other-bot"], pages["page-noimageai"], pages["plain"], images["fine"]}
    got = rejects(out)
    assert "'noai' in the 'X-Robots-Tag: noai' header" in got[pages["header"]]["detail"]
    assert "<meta name=\"robots\" content=\"noindex, noai\">" in got[pages["meta"]]["detail"]
    assert "'noimageai'" in got[images["noimageai"]]["detail"]
    report = reservation_report(manifest)["protocols"]["noai"]
    assert report == {**report, "checked": 9, "reserved": 5}
    assert {s["scope"] for s in manifest["stages"] if s["stage"] == "fetch"} == {"pages", "images"}


# -- aipref Content-Usage -------------------------------------------------------------------------------------


def test_content_usage_in_robots_txt_and_in_the_header(tmp_path):
    """draft-ietf-aipref-attach 3.3: with its example robots.txt, /test is crawled with train-ai=n (reserved),
    /ai-ok/test with train-ai=y, /never/test not crawled. The header: `train-ai=n` reserves; `search=n,
    train-ai=y` does not; `Train-AI=n` does not parse (keys are lower case, vocab 6.4.1) and states nothing."""
    robots = ("User-Agent: *\nAllow: /\nDisallow: /never/\nContent-Usage: / train-ai=n\n"
              "Content-Usage: /ai-ok/ train-ai=y\n\nUser-Agent: ExampleBot\nAllow: /\nContent-Usage: / train-ai=y\n")
    with FetchServer("127.0.0.1") as one, FetchServer("127.0.0.2") as two:
        one.route("/robots.txt", robots, content_type="text/plain")
        test = one.route("/test", letter("Test"))
        ok = one.route("/ai-ok/test", letter("AI ok"))
        never = one.route("/never/test", letter("Never"))
        header_n = two.route("/n", letter("n"), headers={"Content-Usage": "train-ai=n"})
        header_y = two.route("/y", letter("y"), headers={"Content-Usage": "search=n, train-ai=y"})
        header_bad = two.route("/bad", letter("bad"), headers={"Content-Usage": "Train-AI=n"})
        manifest, out = build_urls(tmp_path, [test, ok, never, header_n, header_y, header_bad])
        assert one.counts.get("/never/test", 0) == 0
    assert reasons(out) == {test: "reserved:content-usage", never: "reserved:robots", header_n: "reserved:content-usage"}
    assert set(kept(out)) == {ok, header_y, header_bad}
    assert "'Content-Usage: / train-ai=n'" in rejects(out)[test]["detail"]
    assert "'Content-Usage: train-ai=n' header" in rejects(out)[header_n]["detail"]
    report = reservation_report(manifest)["protocols"]["content-usage"]
    assert report == {**report, "checked": 5, "reserved": 2}


# -- one request per host, across workers ---------------------------------------------------------------------


def test_robots_txt_and_tdmrep_json_are_asked_once_per_host_per_build_with_two_workers(tmp_path):
    """RFC 9309 2.4 lets a crawler keep robots.txt for 24 hours, TDMRep asks to keep tdmrep.json: the files are
    fetched once per host for the whole build, by whichever worker comes first, however many tasks ask."""
    with FetchServer("127.0.0.1") as one, FetchServer("127.0.0.2") as two:
        urls = []
        for server in (one, two):
            server.route("/robots.txt", "User-agent: GPTBot\nDisallow: /private/\n", content_type="text/plain")
            server.route("/.well-known/tdmrep.json", '[{"location": "/reserved/", "tdm-reservation": 1}]',
                         content_type="application/json")
            urls += [server.route(f"/p{i}", f"Document {i} on {server.host}.", content_type="text/plain")
                     for i in range(16)]
        manifest, out = build_urls(tmp_path, urls, "urls_per_task: 2, requests_per_second: 200, burst: 8, "
                                   "connections_per_host: 4", workers=2)
        counts = [dict(s.counts) for s in (one, two)]
    assert manifest["records_out"] == 32 and manifest["runner"]["workers"] == 2
    for c in counts:
        assert (c["/robots.txt"], c["/.well-known/tdmrep.json"]) == (1, 1), c
    assert not (out / ".work").exists()  # the kept files went with the work folder


# -- switches -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("off", ["robots", "ai_agents", "tdmrep", "noai", "content_usage"])
def test_each_check_can_be_switched_off(tmp_path, off):
    """Each protocol is on by default; switching one off lets exactly the page it alone reserves through."""
    robots = "User-agent: GPTBot\nDisallow: /gpt/\n\nUser-agent: *\nAllow: /\nContent-Usage: /cu/ train-ai=n\n"
    with FetchServer() as server:
        server.route("/robots.txt", robots, content_type="text/plain")
        server.route("/.well-known/tdmrep.json", '[{"location": "/tdm/", "tdm-reservation": 1}]')
        urls = {"ai_agents": server.route("/gpt/a", letter("a")),
                "content_usage": server.route("/cu/b", letter("b")),
                "tdmrep": server.route("/tdm/c", letter("c")),
                "noai": server.route("/d", letter("d"), headers={"X-Robots-Tag": "noai"})}
        switch = {"robots": "robots: false", "ai_agents": "reservations: {ai_agents: []}",
                  "tdmrep": "reservations: {tdmrep: false}", "noai": "reservations: {noai: false}",
                  "content_usage": "reservations: {content_usage: false}"}[off]
        manifest, out = build_urls(tmp_path, list(urls.values()), switch)
        counts = dict(server.counts)
    # robots: false reads no robots.txt at all, so its AI groups and Content-Usage lines are not read either
    through = {"robots": {"ai_agents", "content_usage"}}.get(off, {off})
    assert set(kept(out)) == {urls[k] for k in through}
    assert set(reasons(out)) == {urls[k] for k in urls if k not in through}
    if off == "robots":
        assert "/robots.txt" not in counts
    if off == "tdmrep":
        assert "/.well-known/tdmrep.json" not in counts
    checked = reservation_report(manifest)["protocols"]
    assert {"robots": "robots", "tdmrep": "tdmrep", "noai": "noai"}.get(off, "none") not in checked


# -- reporting ------------------------------------------------------------------------------------------------


def test_the_card_and_the_summary_say_which_protocols_were_checked_and_what_each_removed(tmp_path):
    """The EU template's 3.1 asks how text-and-data-mining opt-outs were respected: which protocols, and what
    they removed; the dataset card says the same."""
    with FetchServer() as server:
        server.route("/robots.txt", "User-agent: CCBot\nDisallow: /cc/\n", content_type="text/plain")
        urls = [server.route("/cc/a", letter("a")), server.route("/b", letter("b"), headers={"X-Robots-Tag": "noai"}),
                server.route("/c", letter("c")), server.route("/d", letter("d"))]
        manifest, out = build_urls(tmp_path, urls)
    summary = json.loads((out / "training-data-summary.json").read_text())
    section = summary["data_processing_aspects"]["tdm_opt_outs"]
    assert section["protocols_checked"] == ["robots", "tdmrep", "noai", "content-usage"]
    assert section["records_removed_for_opt_out"] == 2
    assert section["reservations"]["protocols"]["robots"]["reserved"] == 1
    assert section["reservations"]["protocols"]["noai"]["reserved"] == 1
    md = (out / "training-data-summary.md").read_text()
    assert "Opt-out protocols checked for this corpus: robots, tdmrep, noai, content-usage; 2 records removed" in md
    assert "no opt-out was checked" not in md and "has no opt-out stage yet" not in md
    card = (out / "README.md").read_text()
    opt_outs = card.split("## Opt-outs", 1)[1].split("\n## ", 1)[0]
    assert "| robots |" in opt_outs and "| 3 | 1 |" in opt_outs.replace(",", "")
    assert "has no opt-out stage yet" not in opt_outs
    assert manifest["dropped"]["fetch:reserved:robots"] == 1 and manifest["dropped"]["fetch:reserved:noai"] == 1


# -- the matching rules themselves ----------------------------------------------------------------------------


@pytest.mark.parametrize("pattern,path,matches", [
    # RFC 9309 2.2.3 examples
    ("/fish", "/fish", True), ("/fish", "/fish.html", True), ("/fish", "/fishheads/yummy.html", True),
    ("/fish", "/Fish.asp", False), ("/fish", "/catfish", False),
    ("/*.php", "/index.php", True), ("/*.php", "/folder/filename.php?parameters", True), ("/*.php", "/", False),
    ("/*.php$", "/filename.php", True), ("/*.php$", "/filename.php?parameters", False),
    ("/fish*.php", "/fishheads/catfish.php?parameters", True), ("/fish*.php", "/Fish.PHP", False),
    # RFC 9309 2.2.2: percent-encoded unreserved characters are compared decoded
    ("/foo/bar?baz=https://foo.bar", "/foo/bar?baz=https://foo.bar", True), ("/%7Ejoe", "/~joe/index.html", True),
])
def test_path_patterns_match_as_rfc_9309_says(pattern, path, matches):
    assert (match_length(pattern, path) is not None) is matches


@pytest.mark.parametrize("value,prefs", [
    ("train-ai=n", {"train-ai": "n"}), ("train-ai=y, search=n", {"train-ai": "y", "search": "n"}),
    ("train-ai=y, train-ai, search=n, search=\"n\"", {}),  # vocab 6.4.1: last value wins, and these are not tokens
    ("train-ai;allow=n, train-ai=y", {"train-ai": "y"}), ("Train-AI=n", {}), ("", {}),
])
def test_content_usage_values_parse_as_the_vocabulary_says(value, prefs):
    assert usage_preferences(value) == prefs


def test_a_resumed_build_reads_the_robots_txt_its_killed_run_fetched(tmp_path):
    """The per-build copy lives in the work folder: a build killed with SIGKILL and resumed asks the host for
    robots.txt and tdmrep.json once in all (RFC 9309 2.4 allows keeping it 24 hours)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    per_task, total = 4, 40
    with FetchServer() as server:
        server.route("/robots.txt", "User-agent: GPTBot\nDisallow: /private/\n", content_type="text/plain")
        urls = [server.route(f"/doc/{i}", f"Document number {i}, a plain text.\n", content_type="text/plain",
                             delay=0.08) for i in range(total)]
        (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n")
        out = tmp_path / "out"
        cfg = tmp_path / "c.yaml"
        cfg.write_text(f"name: resume-test\noutput: {out}\nsources:\n  - name: web\n    read:\n      format: urls\n"
                       f"      paths: [{tmp_path / 'urls.txt'}]\n      fetch: {{contact: \"{CONTACT}\", "
                       f"allow_private_networks: {LOOPBACK}, requests_per_second: 200, burst: 4, "
                       f"connections_per_host: 4, urls_per_task: {per_task}, window: 2}}\n")
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in [str(Path(pdcorpus.__file__).parents[1]), os.environ.get("PYTHONPATH", "")] if p))

        def cli() -> subprocess.Popen:
            return subprocess.Popen([sys.executable, "-m", "pdcorpus.cli", "build", str(cfg), "--workers", "2", "-q"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=env)

        proc = cli()
        work = out / ".work" / "p0-read"
        deadline = time.time() + 120
        while len(list(work.glob("*.done.json"))) < 2:
            assert proc.poll() is None, "finished before it could be killed: " + proc.stderr.read().decode()
            assert time.time() < deadline
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert list((out / ".work" / "fetch-hosts").glob("robots-*.json"))
        resumed = cli()
        _, stderr = resumed.communicate(timeout=300)
        assert resumed.returncode == 0, stderr.decode()
        counts = dict(server.counts)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runner"]["resumed"] is True and manifest["records_out"] == total
    assert counts["/robots.txt"] == 1 and counts["/.well-known/tdmrep.json"] == 1


@pytest.mark.parametrize("block,message", [
    ("{robots_unreachable: maybe}", "robots_unreachable"),
    ("{ai_agents: ['GPT Bot']}", "not a robots.txt product token"),
    ("{tdm: false}", "reservations.tdm"),
])
def test_a_bad_reservations_block_fails_before_any_work_naming_the_line(tmp_path, block, message):
    from pdcorpus.config import ConfigError, load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"name: x\noutput: {tmp_path / 'out'}\nsources:\n  - name: web\n    read:\n      format: urls\n"
                   f"      paths: [u.txt]\n      fetch: {{contact: '{CONTACT}', reservations: {block}}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert message in str(err.value) and "c.yaml:" in str(err.value)
