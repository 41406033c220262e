"""pipelines/pd12m end to end: the composite recipe as shipped, over the three archive stand-ins on 127.0.0.1
(Commons and the Met API servers, the iNaturalist bucket on moto S3), published to the Hub stand-in
(tests/hub_server.py).

Expectations from PD12M's rule (only images their source labels CC0 or Public Domain Mark), from the fixtures
(the same mappings as the single-collection tests), from source priority (the earlier source's record survives a
duplicate) and from what a published dataset must hold (the shards, the card, the manifest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pyarrow.parquet as pq
import yaml

from hub_server import FakeHub
from test_images import jpeg, picture, png
from test_pipeline_commons import Commons
from test_pipeline_inaturalist import AWS_VARS, BUCKET, UUID, bucket  # noqa: F401 - bucket is a fixture
from test_pipeline_met import V1, Met

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "pipelines" / "pd12m" / "corpus.yaml"
REPO = "pd-org/pd12m-style"


def test_the_pd12m_composite_builds_cc0_images_of_three_archives_and_publishes_them(tmp_path, bucket):
    endpoint, photos = bucket
    out = tmp_path / "out"
    with Commons() as commons, Met() as met, FakeHub() as hub:
        # the same work in two archives: the Met's Harvesters image is, here, a smaller copy of Commons' map
        met.server.file("/CRDImages/ep/web-large/DP119115.jpg", jpeg(picture(3).resize((160, 120)), quality=80))
        # and iNaturalist's second monarch photo has the very bytes of the Met's Wheat Field
        wheat = met.images["/CRDImages/ep/web-large/DT1567.jpg"]
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                          aws_secret_access_key="testing")
        s3.put_object(Bucket=BUCKET, Key="photos/110002/large.jpeg", Body=wheat, ContentType="image/jpeg",
                      ACL="public-read")
        env = {k: v for k, v in os.environ.items() if k not in AWS_VARS and not k.startswith(("HF_", "HUGGING"))}
        env.update({
            "PD12M_OUTPUT": str(out), "PD12M_REPO": REPO, "PDCORPUS_CONTACT": "mailto:tests@example.org",
            "PDCORPUS_HOST_LIMITS": str(tmp_path / "host-limits"),
            "COMMONS_API": f"{commons.server.base}/w/api.php", "COMMONS_RPS": "2000", "COMMONS_BURST": "64",
            "COMMONS_ALLOW_PRIVATE": "true",
            "MET_API": f"{met.server.base}{V1}", "MET_RPS": "2000", "MET_BURST": "64", "MET_ALLOW_PRIVATE": "true",
            "INAT_BUCKET": f"s3://{BUCKET}", "INAT_S3_ENDPOINT": endpoint, "INAT_PHOTOS": f"{endpoint}/{BUCKET}/photos",
            "INAT_RPS": "2000", "INAT_BURST": "64", "INAT_ALLOW_PRIVATE": "true",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HUB_DISABLE_XET": "1", "HOME": str(tmp_path),
            "HF_HOME": str(tmp_path / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"})
        done = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", str(RECIPE), "--workers", "2"],
                              capture_output=True, text=True, timeout=600, env=env)
        assert done.returncode == 0, done.stderr
        published = hub.repos[REPO].branches["main"]
        assert hub.repos[REPO].private

    manifest = json.loads((out / "manifest.json").read_text())
    got = {r["id"]: r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()}
    assert sorted(got) == ["commons:101", "commons:103", UUID + "01", UUID + "10", "met:436535"]
    # CC0 only: Commons' "Public domain" painting is denied by name (PD12M takes labels, not verdicts)
    assert {r["license"] for r in got.values()} == {"CC0-1.0"}
    set_aside = {r["id"]: (r["stage"], r["reason"]) for f in (out / "rejects").glob("*.jsonl")
                 for r in map(json.loads, f.read_text().splitlines())}
    assert set_aside["commons:102"][0] == "rights"
    assert set_aside["met:435809"] == ("dedup:phash", "near-duplicate")   # Commons (earlier) keeps the picture
    assert set_aside[UUID + "02"] == ("dedup:exact", "duplicate")         # the Met (earlier) keeps the bytes
    assert set_aside["met:437133"] == ("dedup:exact", "duplicate")
    assert set_aside["commons:108"] == ("dedup:exact", "duplicate")
    assert set_aside["commons:109"] == ("dedup:phash", "near-duplicate")
    assert got["commons:103"]["dedup_cluster_size"] == 2
    for record in got.values():  # every record names its archive's own id and raw rights fields
        assert record["image"]["bytes"] and record["caption"] and record["url"] and record["retrieved_at"]
        assert record["license_raw"] and json.loads(record["metadata"]).get(record["source"]) is not None

    # what the Hub received: the shards of each source, the card, the manifest, the summary (not rejects)
    assert {p.split("/")[1] for p in published if p.startswith("data/")} == {"commons", "met", "inaturalist"}
    assert published["manifest.json"] == (out / "manifest.json").read_bytes()
    assert not any(p.startswith(("rejects/", "review/")) for p in published)
    card = published["README.md"].decode()
    front = yaml.safe_load(card.split("---")[1])
    assert front["license"] == "cc0-1.0"
