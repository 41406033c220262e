"""pipelines/commons end to end: the recipe as shipped, built against a Commons stand-in on 127.0.0.1.

The API answers are the recorded-format files of tests/data/pipelines/commons (their README says where the format
comes from); the images are small pictures made here with Pillow. What each record must become is read from the
fixtures by the mapping pipelines/commons/README.md documents, and from the archive's own rules (a CC0 or
public-domain file is allowed under the public-domain policy, CC BY-SA is not)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from image_archive_server import ArchiveServer, Reply
from test_images import jpeg, picture, png

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "pipelines" / "commons" / "corpus.yaml"
DATA = Path(__file__).parent / "data" / "pipelines" / "commons"
API = "/w/api.php"
CC0_URL = "http://creativecommons.org/publicdomain/zero/1.0/deed.en"


def images() -> dict[str, tuple[bytes, str]]:
    """The files the listing names (path -> bytes, content type); 110's is absent (404)."""
    lighthouse = jpeg(picture(1))
    return {
        "/upload/thumb/a/a1/Lighthouse_at_dusk.jpg/1280px-Lighthouse_at_dusk.jpg": (lighthouse, "image/jpeg"),
        "/upload/thumb/b/b2/Wheat_Field_with_Cypresses.jpg/1280px-Wheat_Field_with_Cypresses.jpg":
            (jpeg(picture(2)), "image/jpeg"),
        "/upload/c/c3/Old_map_of_the_harbour.png": (png(picture(3)), "image/png"),
        "/upload/thumb/d/d4/Harbour_crane.jpg/1280px-Harbour_crane.jpg": (jpeg(picture(4)), "image/jpeg"),
        "/upload/e/e5/Ship_model.jpg": (jpeg(picture(5)), "image/jpeg"),
        "/upload/thumb/8/81/Lighthouse_at_dusk_copy.jpg/1280px-Lighthouse_at_dusk_copy.jpg": (lighthouse, "image/jpeg"),
        "/upload/9/91/Lighthouse_at_dusk_small.jpg": (jpeg(picture(1).resize((160, 120)), quality=70), "image/jpeg"),
        # an error page served under the image's name and type: not an image
        "/upload/2/20/Broken_upload.jpg": (b"<html><body><h1>503 Service Unavailable</h1></body></html>", "image/jpeg"),
        "/upload/3/30/Untitled.jpg": (jpeg(picture(6)), "image/jpeg"),
    }


class Commons:
    """The API's answers to the listing, by the continuation the request carries (API:Continue)."""

    def __init__(self, fail_from_page: int | None = None) -> None:
        self.server = ArchiveServer(self.answer, not_found=b"<html><body>Not Found</body></html>")
        self.maxlag_sent = False
        self.fail_from_page = fail_from_page

    def listing(self, name: str) -> bytes:
        return (DATA / name).read_text().replace("{{BASE}}", self.server.base).encode()

    def answer(self, path: str, query: dict[str, str]) -> Reply | None:
        if path != API:
            return None
        expected = {"action": "query", "format": "json", "formatversion": "2", "generator": "categorymembers",
                    "gcmtitle": "Category:CC-Zero", "gcmtype": "file", "prop": "imageinfo", "iiurlwidth": "1280"}
        if any(query.get(k) != v for k, v in expected.items()) or "extmetadata" not in query.get("iiprop", ""):
            return Reply(200, json.dumps({"error": {"code": "badquery", "info": f"unexpected {query}"}}).encode())
        if "iicontinue" in query:
            page = 2
        elif query.get("gcmcontinue", "").endswith("|104"):
            page = 3
        elif query.get("gcmcontinue", "").endswith("|108"):
            page = 4
        elif "gcmcontinue" in query:
            return Reply(200, b'{"error": {"code": "badcontinue", "info": "Invalid continue param."}}')
        else:
            page = 1
        if page == 1 and not self.maxlag_sent:
            self.maxlag_sent = True
            return Reply(200, (DATA / "maxlag.json").read_bytes(), headers={"Retry-After": "0", "X-Database-Lag": "7"})
        if self.fail_from_page is not None and page >= self.fail_from_page:
            return Reply(500, b"<html><body>Internal error</body></html>", "text/html")
        return Reply(200, self.listing(f"listing-{page}.json"))

    def __enter__(self) -> "Commons":
        self.server.__enter__()
        for path, (body, kind) in images().items():
            self.server.file(path, body, kind)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


def env_for(server: ArchiveServer, out: Path) -> dict[str, str]:
    return {"COMMONS_API": f"{server.base}{API}", "COMMONS_OUTPUT": str(out), "COMMONS_RPS": "2000",
            "COMMONS_BURST": "64", "COMMONS_ALLOW_PRIVATE": "true", "PDCORPUS_CONTACT": "mailto:tests@example.org",
            "PDCORPUS_HOST_LIMITS": str(out.parent / "host-limits")}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **env})


def rows(out: Path) -> dict[str, dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    return {r["id"]: r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()}


def rejects(out: Path) -> dict[str, tuple[str, str]]:
    return {r["id"]: (r["stage"], r["reason"]) for f in (out / "rejects").glob("*.jsonl")
            for r in map(json.loads, f.read_text().splitlines())}


def review(out: Path) -> dict[str, dict]:
    return {r["id"]: r for f in (out / "review").glob("*.parquet") for r in pq.read_table(f).to_pylist()}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_commons_recipe_builds_cc0_and_public_domain_files_with_their_rights(tmp_path, workers):
    out = tmp_path / "out"
    with Commons() as commons:
        done = cli(env_for(commons.server, out), "build", str(RECIPE), "--workers", workers)
        assert done.returncode == 0, done.stderr
        asked = commons.server.asked(API)
        files = dict(images())
    # the maxlag answer was waited out, then the four answers were asked once each, following `continue`
    assert len(asked) == 5 and asked[0] == asked[1]
    assert asked[2]["iicontinue"] == "Old_map_of_the_harbour.png|20180304120000"
    assert asked[2]["gcmcontinue"].endswith("|103") and asked[2]["continue"] == "gcmcontinue||"
    assert asked[3]["gcmcontinue"].endswith("|104") and "iicontinue" not in asked[3]
    assert asked[4]["gcmcontinue"].endswith("|108")

    got = rows(out)
    # allowed: the CC0 photo, the public-domain painting, the CC0 map (103's imageinfo came in the second answer)
    assert sorted(got) == ["commons:101", "commons:102", "commons:103"]
    lighthouse = got["commons:101"]
    assert lighthouse["caption"] == "A lighthouse at dusk, seen from the harbour wall; the lamp is lit."
    assert lighthouse["title"] == "Lighthouse at dusk" and lighthouse["author"] == "Harbourphoto"
    assert lighthouse["date"] == "2019-08-14 19:42:10"
    assert lighthouse["url"].endswith("/upload/thumb/a/a1/Lighthouse_at_dusk.jpg/1280px-Lighthouse_at_dusk.jpg")
    assert lighthouse["license"] == "CC0-1.0" and lighthouse["retrieved_at"]
    assert json.loads(lighthouse["license_raw"]) == {"wikimedia": {
        "AttributionRequired": "false", "Copyrighted": "False", "License": "cc0", "LicenseShortName": "CC0",
        "LicenseUrl": CC0_URL, "Restrictions": "", "UsageTerms": "Creative Commons Zero, Public Domain Dedication"}}
    assert lighthouse["image"]["bytes"] == files["/upload/thumb/a/a1/Lighthouse_at_dusk.jpg/1280px-Lighthouse_at_dusk.jpg"][0]
    meta = json.loads(lighthouse["metadata"])
    assert meta["commons"]["pageid"] == 101 and meta["commons"]["title"] == "File:Lighthouse at dusk.jpg"
    assert meta["commons"]["descriptionurl"] == "https://commons.wikimedia.org/wiki/File:Lighthouse_at_dusk.jpg"
    assert meta["commons"]["sha1"] == "0c3a8f2b6d7e41f0a9b8c7d6e5f4a3b2c1d0e9f8"
    assert meta["commons"]["extmetadata"]["Categories"] == "CC-Zero|Lighthouses at dusk|Self-published work"
    assert (meta["width"], meta["height"], meta["mime_type"]) == (320, 240, "image/jpeg")  # measured by the fetch

    painting = got["commons:102"]
    # HTML of the description and of the creator template read as text; the date from <time datetime>
    assert painting["caption"] == ("Wheat Field with Cypresses, oil on canvas, painted at Saint-Rémy in July 1889.")
    assert painting["author"] == "Vincent van Gogh (1853–1890)"
    assert painting["date"] == "1889-07" and painting["license"] == "public-domain"
    assert got["commons:103"]["license"] == "CC0-1.0"
    assert json.loads(got["commons:103"]["metadata"])["mime_type"] == "image/png"

    set_aside = rejects(out)
    assert set_aside["commons:104"] == ("rights", "not-public-domain")       # CC BY-SA 4.0: open, not PD
    assert set_aside["commons:106"] == ("read", "not-an-image-file")          # a PDF
    assert set_aside["commons:107"] == ("read", "missing-file")               # filemissing
    assert set_aside["commons:File:Deleted meanwhile.jpg"] == ("read", "missing-page")
    assert set_aside["commons:110"] == ("fetch", "http-status-404")           # the upload vanished
    assert set_aside["commons:111"] == ("fetch", "not-an-image")              # an HTML page as image/jpeg
    assert set_aside["commons:112"] == ("read", "no-caption")                 # a blank description
    assert set_aside["commons:108"] == ("dedup:exact", "duplicate")                 # 101's bytes again
    assert set_aside["commons:109"] == ("dedup:phash", "near-duplicate")            # 101, smaller
    # no licence field at all: never allowed (no statement, and no date makes a 2022 photograph public domain)
    assert set_aside["commons:105"] == ("rights", "no-rights-statement") and not review(out)
    assert json.loads(got["commons:101"]["metadata"])["commons"]["extmetadata"]["Credit"] == "<span class=\"int-own-work\" lang=\"en\">Own work</span>"


def test_a_kill_mid_listing_resumes_without_asking_the_kept_answers_again(tmp_path):
    out = tmp_path / "out"
    with Commons(fail_from_page=3) as commons:  # the third answer fails: the build stops there
        env = env_for(commons.server, out)
        failed = cli(env, "build", str(RECIPE), "--workers", "1")
        assert failed.returncode != 0
        assert "listing page 3" in failed.stderr and "http-status-500" in failed.stderr
        first = len(commons.server.asked(API))
        commons.fail_from_page = None
        done = cli(env, "build", str(RECIPE), "--workers", "1")
        assert done.returncode == 0, done.stderr
        asked = commons.server.asked(API)[first:]
    # only the answers not yet kept were asked: pages 3 and 4, not 1 and 2
    assert [q.get("gcmcontinue", "")[-4:] for q in asked] == ["|104", "|108"]
    assert sorted(rows(out)) == ["commons:101", "commons:102", "commons:103"]


def test_limit_takes_a_small_slice(tmp_path):
    out = tmp_path / "out"
    with Commons() as commons:
        done = cli(env_for(commons.server, out), "build", str(RECIPE), "--limit", "2")
        assert done.returncode == 0, done.stderr
    assert sorted(rows(out)) == ["commons:101", "commons:102"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert any("read.limit 2" in w for w in manifest["warnings"])


def test_a_listing_is_chosen_once_and_the_contact_is_required(tmp_path):
    from pdcorpus.config import ConfigError, load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: c\noutput: out\nsources:\n  - name: c\n    read: {format: commons, category: A, search: b, "
                   "fetch: {contact: 'mailto:a@example.org'}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "exactly one of category, search or allimages" in str(err.value)
    cfg.write_text("name: c\noutput: out\nsources:\n  - name: c\n    read: {format: commons, category: A}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "fetch" in str(err.value)
