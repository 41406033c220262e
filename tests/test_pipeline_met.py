"""pipelines/met end to end: the recipe as shipped, built against a Collection API stand-in on 127.0.0.1.

The API answers are the recorded-format files of tests/data/pipelines/met (their README says where the format comes
from); images are small pictures made here with Pillow. Expectations come from the fixtures read by the mapping
pipelines/met/README.md documents and from the Met's Open Access rule (isPublicDomain true: CC0)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from image_archive_server import ArchiveServer, Reply
from test_images import jpeg, picture

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "pipelines" / "met" / "corpus.yaml"
DATA = Path(__file__).parent / "data" / "pipelines" / "met"
V1 = "/public/collection/v1"


class Met:
    def __init__(self) -> None:
        self.server = ArchiveServer(self.answer, not_found=b'{"message":"ObjectID not found"}')

    def answer(self, path: str, query: dict[str, str]) -> Reply | None:
        if path == f"{V1}/objects":
            return Reply(200, (DATA / "objects.json").read_bytes())
        if path.startswith(f"{V1}/objects/"):
            file = DATA / f"object-{path.rsplit('/', 1)[1]}.json"
            if file.exists():
                return Reply(200, file.read_text().replace("{{BASE}}", self.server.base).encode())
        return None

    def __enter__(self) -> "Met":
        self.server.__enter__()
        wheat = jpeg(picture(11))
        self.images = {"/CRDImages/ep/web-large/DT1567.jpg": wheat,
                       "/CRDImages/ep/web-large/DP119115.jpg": jpeg(picture(12)),
                       "/CRDImages/rl/web-large/DP-14286-001.jpg": wheat,        # the same bytes as 436535's
                       "/CRDImages/ep/web-large/DT2129.jpg": jpeg(picture(13)),
                       "/CRDImages/rl/web-large/DP-1975.jpg": jpeg(picture(14))}
        for p, body in self.images.items():
            self.server.file(p, body)
        self.server.file("/CRDImages/ep/web-large/DT1975.jpg", b"<!DOCTYPE html><html><body>Moved</body></html>",
                         "image/jpeg")
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.__exit__(*exc)


def env_for(server: ArchiveServer, out: Path) -> dict[str, str]:
    return {"MET_API": f"{server.base}{V1}", "MET_OUTPUT": str(out), "MET_RPS": "2000", "MET_BURST": "64",
            "MET_ALLOW_PRIVATE": "true", "PDCORPUS_CONTACT": "mailto:tests@example.org",
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


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_met_recipe_builds_its_open_access_images(tmp_path, workers):
    out = tmp_path / "out"
    with Met() as met:
        done = cli(env_for(met.server, out), "build", str(RECIPE), "--workers", workers)
        assert done.returncode == 0, done.stderr
        wheat = met.images["/CRDImages/ep/web-large/DT1567.jpg"]
        listed = met.server.counts[f"{V1}/objects"]
    assert listed == 1
    got = rows(out)
    assert sorted(got) == ["met:435809", "met:436535"]
    w = got["met:436535"]
    assert w["title"] == "Wheat Field with Cypresses" and w["author"] == "Vincent van Gogh" and w["date"] == "1889"
    # composed as the README says: title. Object name (unless the title says it) by artist (bio), date. Medium.
    assert w["caption"] == ("Wheat Field with Cypresses. Painting by Vincent van Gogh (Dutch, Zundert 1853–1890 "
                            "Auvers-sur-Oise), 1889. Oil on canvas.")
    assert w["url"].endswith("/CRDImages/ep/web-large/DT1567.jpg") and w["image"]["bytes"] == wheat
    assert w["license"] == "CC0-1.0" and json.loads(w["license_raw"]) == {"met": {"isPublicDomain": True}}
    assert w["retrieved_at"]
    meta = json.loads(w["metadata"])
    assert meta["met"]["objectID"] == 436535 and meta["met"]["accessionNumber"] == "1993.132"
    assert meta["met"]["objectURL"] == "https://www.metmuseum.org/art/collection/search/436535"
    assert meta["met"]["creditLine"] == "Purchase, The Annenberg Foundation Gift, 1993"
    assert got["met:435809"]["caption"] == ("The Harvesters. Painting by Pieter Bruegel the Elder (Netherlandish, "
                                            "Breda (?) ca. 1525–1569 Brussels), 1565. Oil on wood.")

    set_aside = rejects(out)
    assert set_aside["met:488978"] == ("read", "no-image")             # not public domain: no image published
    assert set_aside["met:11417"] == ("read", "no-image")              # public domain, never photographed
    assert set_aside["met:999999991"] == ("read", "object-not-found")  # listed, then gone
    assert set_aside["met:45734"] == ("fetch", "http-status-404")      # its image vanished
    assert set_aside["met:436105"] == ("fetch", "not-an-image")        # an HTML page as image/jpeg
    assert set_aside["met:436121"] == ("rights", "no-rights-statement")  # no isPublicDomain at all
    assert set_aside["met:436122"] == ("rights", "in-copyright")       # isPublicDomain false: in copyright
    assert set_aside["met:437133"] == ("dedup:exact", "duplicate")     # 436535's image again
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sources"]["met"]["records_read"] == 10            # every listed object, counted once
    assert manifest["dropped"] == {"read:no-image": 2, "read:object-not-found": 1, "fetch:http-status-404": 1,
                                   "fetch:not-an-image": 1, "rights:no-rights-statement": 1,
                                   "rights:in-copyright": 1, "dedup:exact:duplicate": 1}


def test_limit_takes_a_small_slice(tmp_path):
    out = tmp_path / "out"
    with Met() as met:
        done = cli(env_for(met.server, out), "build", str(RECIPE), "--limit", "1")
        assert done.returncode == 0, done.stderr
    assert sorted(rows(out)) == ["met:436535"]


def test_listing_modes_are_checked_with_the_corpus_file(tmp_path):
    from pdcorpus.config import ConfigError, load_config

    cfg = tmp_path / "c.yaml"
    cfg.write_text("name: c\noutput: out\nsources:\n  - name: m\n    read: {format: met, departmentIds: [11], "
                   "object_ids: [1], fetch: {contact: 'mailto:a@example.org'}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "one of" in str(err.value)
    cfg.write_text("name: c\noutput: out\nsources:\n  - name: m\n    read: {format: met, search: {hasImages: true}, "
                   "fetch: {contact: 'mailto:a@example.org'}}\n")
    with pytest.raises(ConfigError) as err:
        load_config(cfg)
    assert "search needs q" in str(err.value)


def test_the_same_archive_gives_the_same_records_for_any_worker_count(tmp_path):
    """Determinism: records, their order in the shards and their images do not depend on --workers (only the
    retrieval times differ between two runs)."""
    tables = []
    with Met() as met:
        for workers in ("1", "3"):
            out = tmp_path / f"out-{workers}"
            done = cli(env_for(met.server, out), "build", str(RECIPE), "--workers", workers)
            assert done.returncode == 0, done.stderr
            manifest = json.loads((out / "manifest.json").read_text())
            table = [pq.read_table(out / s["path"]).drop(["retrieved_at"]) for s in manifest["shards"]]
            tables.append(([s["path"] for s in manifest["shards"]], [t.to_pylist() for t in table]))
    assert tables[0] == tables[1]
