"""``format: oai-pmh`` end to end against a repository stand-in on 127.0.0.1 (tests/oai_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from oai_server import LETTERS, OaiServer
from pdcorpus.config import ConfigError, load_config

CONTACT = "mailto:corpus@example.org"


def write_config(tmp_path: Path, endpoint: str, set_spec: str = "letters", extra: str = "",
                 allow: str = "allow_private_networks: true, ") -> Path:
    cfg = tmp_path / "corpus.yaml"
    cfg.write_text(f"""name: letters
output: {tmp_path / 'out'}
sources:
  - name: archive
    read: {{format: oai-pmh, endpoint: "{endpoint}", set: {set_spec}, {allow}contact: "{CONTACT}", retries: 2{extra}}}
stages:
  - rights: {{policy: open, jurisdictions: [US, EU], as_of: 2026-01-01}}
shards: {{max_bytes: 1MB}}
""")
    return cfg


def cli(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", *args], capture_output=True, text=True,
                          timeout=300, **kw)


def shards(out: Path) -> dict[str, dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    return {r["id"]: r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()}


def rejects(out: Path) -> list[tuple[str, str, str | None]]:
    return sorted((r["stage"], r["reason"], r["id"]) for f in (out / "rejects").glob("*.jsonl")
                  for r in map(json.loads, f.read_text().splitlines()))


# what the fixtures say, read by the documented mapping (tests/data/oai/listrecords-*.xml)
EXPECTED = {
    "archive:oai:archive.example.org:letters/1": {
        "url": "https://archive.example.org/letters/1", "title": "Letter to a friend in Boston",
        "author": "Alcott, Amos Bronson; Alcott, Abigail May", "date": "1843-10-12", "language": "en",
        "license_raw": "http://creativecommons.org/publicdomain/mark/1.0/", "license": "PDM-1.0"},
    "archive:oai:archive.example.org:letters/2": {
        "url": "https://archive.example.org/letters/2", "title": "Lettre à ma sœur", "author": "Sand, George",
        "date": "1851", "language": "fre", "license_raw": "https://creativecommons.org/licenses/by/4.0/",
        "license": "CC-BY-4.0"},
    "archive:oai:archive.example.org:letters/6": {
        "url": "https://archive.example.org/letters/6", "title": "Letter about the school",
        "author": "Peabody, Elizabeth", "date": "1860-01-09", "language": "en",
        "license_raw": "http://creativecommons.org/publicdomain/zero/1.0/", "license": "CC0-1.0"},
}


def check_letters(out: Path) -> None:
    rows = shards(out)
    assert {k: {c: r[c] for c in EXPECTED[k]} for k, r in rows.items()} == EXPECTED
    first = rows["archive:oai:archive.example.org:letters/1"]
    assert first["text"].startswith("A letter written from Concord") and first["text"].endswith(
        "\n\nTranscribed by volunteers from the manuscript.")
    meta = json.loads(first["metadata"])
    assert meta["sets"] == ["letters", "letters:1840s"] and meta["datestamp"] == "2024-05-01"
    assert meta["dc"]["rights"] == ["Digitized by the Example Archive, 2019.",
                                    "http://creativecommons.org/publicdomain/mark/1.0/"]  # all kept
    assert meta["dc"]["identifier"] == ["hdl:12345/letters-1", "https://archive.example.org/letters/1"]
    assert rejects(out) == [("read", "deleted-record", "archive:oai:archive.example.org:letters/4"),
                            ("read", "missing-text", "archive:oai:archive.example.org:letters/7")]
    review = {r["id"]: r for f in (out / "review").glob("*.parquet") for r in pq.read_table(f).to_pylist()}
    assert sorted(review) == ["archive:oai:archive.example.org:letters/3", "archive:oai:archive.example.org:letters/5"]
    assert review["archive:oai:archive.example.org:letters/5"]["license_raw"] == \
        "http://rightsstatements.org/vocab/NoC-US/1.0/"  # the URI chosen over the free text


def test_harvest_with_resumption_tokens_through_build(tmp_path):
    with OaiServer(LETTERS) as server:
        run = cli("build", str(write_config(tmp_path, server.endpoint)), "--workers", "2", "-q")
        assert run.returncode == 0, run.stderr
        log = list(server.log)
    check_letters(tmp_path / "out")
    # one request per page: the list's arguments first, then the resumption token alone (an exclusive argument)
    assert [e["query"] for e in log] == [
        {"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "letters"},
        {"verb": "ListRecords", "resumptionToken": "page2token"},
        {"verb": "ListRecords", "resumptionToken": "page3token"}]
    assert all(e["user_agent"].startswith("pdcorpus/") and CONTACT in e["user_agent"] for e in log)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sources"]["archive"]["records_read"] == 7
    assert manifest["dropped"] == {"read:deleted-record": 1, "read:missing-text": 1,
                                   "rights:review:unrecognized-statement": 1, "rights:review:us-only-public-domain": 1}


def test_no_records_match_is_an_empty_harvest(tmp_path):
    # noRecordsMatch is the repository's answer, not a failure of the harvest; a source with no records still
    # fails the build unless the corpus file accepts it (allow_empty), as for every format
    with OaiServer(LETTERS) as server:
        cfg = write_config(tmp_path, server.endpoint, set_spec="empty")
        run = cli("build", str(cfg), "--workers", "1", "-q")
        assert run.returncode != 0 and "allow_empty" in run.stderr and "Traceback" not in run.stderr
        cfg.write_text(cfg.read_text().replace("  - name: archive\n", "  - name: archive\n    allow_empty: true\n"))
        run = cli("build", str(cfg), "--workers", "1", "-q", "--fresh")
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["records_out"] == 0 and manifest["sources"]["archive"]["records_read"] == 0


def test_bad_resumption_token_is_a_clear_error_naming_the_endpoint(tmp_path):
    with OaiServer({**LETTERS, "token:page2token": "bad-token.xml"}) as server:
        run = cli("build", str(write_config(tmp_path, server.endpoint)), "--workers", "1", "-q")
        endpoint = server.endpoint
    assert run.returncode != 0
    assert endpoint in run.stderr and "badResumptionToken" in run.stderr and "resumptionToken=page2token" in run.stderr
    assert "--fresh" in run.stderr


def test_503_with_retry_after_is_waited_for_then_the_harvest_goes_on(tmp_path):
    with OaiServer(LETTERS) as server:
        server.failures["token:page2token"] = [(503, {"Retry-After": "2"})]
        run = cli("build", str(write_config(tmp_path, server.endpoint)), "--workers", "1", "-q")
        assert run.returncode == 0, run.stderr
        page2 = [e["at"] for e in server.log if e["route"] == "token:page2token"]
    assert len(page2) == 2 and page2[1] - page2[0] >= 2.0  # the repository's Retry-After, honoured
    check_letters(tmp_path / "out")


def test_malformed_xml_page_is_set_aside_and_the_build_finishes(tmp_path):
    with OaiServer({**LETTERS, "token:page2token": "malformed.xml"}) as server:
        run = cli("build", str(write_config(tmp_path, server.endpoint)), "--workers", "1", "-q")
        count = server.count()
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    assert sorted(shards(out)) == ["archive:oai:archive.example.org:letters/1", "archive:oai:archive.example.org:letters/2"]
    bad = [r for f in (out / "rejects").glob("*.jsonl") for r in map(json.loads, f.read_text().splitlines())]
    assert [(r["reason"], r["line"]) for r in bad] == [("malformed-xml", 2)]
    assert "Premature end of data" in bad[0]["detail"] and "resumptionToken=page2token" in bad[0]["detail"]
    assert count["token:page2token"] == 3  # retried (retries: 2) in case the page was cut in transit
    assert "token:page3token" not in count


def test_private_endpoint_refused_unless_allowed(tmp_path):
    with OaiServer(LETTERS) as server:
        run = cli("build", str(write_config(tmp_path, server.endpoint, allow="")), "--workers", "1", "-q")
        assert not server.log
    assert run.returncode != 0 and "127.0.0.1" in run.stderr and "allow_private_networks" in run.stderr


def test_config_errors_name_the_field(tmp_path):
    cfg = write_config(tmp_path, "http://127.0.0.1:9/oai", extra=", from: 2020")
    with pytest.raises(ConfigError, match=r"sources\[0\]\.read\.from.*OAI-PMH date"):
        load_config(cfg)
    cfg.write_text(cfg.read_text().replace(", from: 2020", ", split: train"))
    with pytest.raises(ConfigError, match="split: only for format hf"):
        load_config(cfg)


def test_killed_harvest_resumes_after_the_last_completed_page(tmp_path):
    """kill -9 while page 3 is being fetched: the resumed build asks for page 3 only (the server counts)."""
    with OaiServer(LETTERS) as server:
        import threading

        server.hold["token:page3token"] = threading.Event()
        cfg = write_config(tmp_path, server.endpoint)
        proc = subprocess.Popen([sys.executable, "-m", "pdcorpus.cli", "build", str(cfg), "--workers", "2", "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.time() + 120
        while server.count()["token:page3token"] < 1:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        server.hold.pop("token:page3token").set()
        assert not (tmp_path / "out" / "manifest.json").exists()
        run = cli("build", str(cfg), "--workers", "2", "-q")
        assert run.returncode == 0, run.stderr
        assert server.count() == {"set:letters": 1, "token:page2token": 1, "token:page3token": 2}
    check_letters(tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["runner"]["resumed"] is True and manifest["sources"]["archive"]["records_read"] == 7
