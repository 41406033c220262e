"""pipelines/inaturalist end to end: the recipe as shipped, reading the Open Dataset's tables and photos from a
bucket of the same name on a moto S3 server on 127.0.0.1.

The tables are tests/data/pipelines/inaturalist (their README says where the format comes from), gzip'd here;
photos are small pictures made with Pillow. Expectations: the tables read by the mapping pipelines/inaturalist/
README.md documents, and iNaturalist's licence codes (CC0 is the only public-domain one)."""

from __future__ import annotations

import gzip
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from test_images import jpeg, picture, png

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT / "pipelines" / "inaturalist" / "corpus.yaml"
DATA = Path(__file__).parent / "data" / "pipelines" / "inaturalist"
BUCKET = "inaturalist-open-data"
AWS_VARS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "FSSPEC_S3_ENDPOINT_URL", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")


@pytest.fixture(scope="module")
def bucket():
    """The Open Dataset's bucket on a moto S3 server on loopback: the four tables and the photos."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    # public like the AWS Open Data bucket: anyone may list it and read its objects, unsigned (moto answers an
    # unsigned HEAD by the objects' ACLs, not the bucket policy, so the objects are public-read)
    s3.create_bucket(Bucket=BUCKET, ACL="public-read")
    for table in ("photos", "observations", "taxa", "observers"):
        s3.put_object(Bucket=BUCKET, Key=f"{table}.csv.gz", Body=gzip.compress((DATA / f"{table}.csv").read_bytes()),
                      ACL="public-read")
    photos = {"110001/large.jpeg": jpeg(picture(21)), "110002/large.jpeg": jpeg(picture(22)),
              "110006/large.jpeg": jpeg(picture(23)), "110010/large.jpeg": jpeg(picture(24)),
              "110005/large.jpeg": jpeg(picture(25)),
              "110008/large.jpeg": b"\x00\x01 not a photo at all"}  # 110007's file is missing
    for key, body in photos.items():
        s3.put_object(Bucket=BUCKET, Key=f"photos/{key}", Body=body, ContentType="image/jpeg", ACL="public-read")
    try:
        yield endpoint, photos
    finally:
        server.stop()


def env_for(endpoint: str, out: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in AWS_VARS}
    env.update({"INAT_BUCKET": f"s3://{BUCKET}", "INAT_S3_ENDPOINT": endpoint,
                "INAT_PHOTOS": f"{endpoint}/{BUCKET}/photos", "INAT_OUTPUT": str(out), "INAT_RPS": "2000",
                "INAT_BURST": "64", "INAT_ALLOW_PRIVATE": "true", "PDCORPUS_CONTACT": "mailto:tests@example.org",
                "PDCORPUS_HOST_LIMITS": str(out.parent / "host-limits"), "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing", "AWS_CONFIG_FILE": str(out.parent / "none"),
                "AWS_SHARED_CREDENTIALS_FILE": str(out.parent / "none"), "AWS_EC2_METADATA_DISABLED": "true"})
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", *args], capture_output=True, text=True,
                          timeout=300, env=env)


def rows(out: Path) -> dict[str, dict]:
    manifest = json.loads((out / "manifest.json").read_text())
    return {r["id"]: r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()}


def rejects(out: Path) -> dict[str, tuple[str, str]]:
    return {(r["id"] or f"line {r['line']}"): (r["stage"], r["reason"]) for f in (out / "rejects").glob("*.jsonl")
            for r in map(json.loads, f.read_text().splitlines())}


UUID = "inaturalist:5f0e6a3e-8a43-4c8b-9d1a-0a1b2c3d4e"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_inaturalist_recipe_builds_the_cc0_photos_with_their_taxa(tmp_path, bucket, workers):
    endpoint, photos = bucket
    out = tmp_path / "out"
    done = cli(env_for(endpoint, out), "build", str(RECIPE), "--workers", workers)
    assert done.returncode == 0, done.stderr
    got = rows(out)
    assert sorted(got) == [UUID + "01", UUID + "02", UUID + "10"]
    first = got[UUID + "01"]
    assert first["caption"] == "Danaus plexippus (species), observed on 2021-07-04"
    assert first["title"] == "Danaus plexippus" and first["author"] == 'Maria "Mo" Alvarez'
    assert first["date"] == "2021-07-04" and first["license"] == "CC0-1.0"
    assert json.loads(first["license_raw"]) == {"inaturalist": {"license": "CC0"}}
    assert first["url"] == f"{endpoint}/{BUCKET}/photos/110001/large.jpeg"
    assert first["image"]["bytes"] == photos["110001/large.jpeg"] and first["retrieved_at"]
    meta = json.loads(first["metadata"])["inaturalist"]
    assert meta["photo"]["photo_id"] == "110001" and meta["photo"]["position"] == "0"
    assert meta["observation"]["quality_grade"] == "research" and meta["taxon"]["taxon_id"] == "48662"
    assert meta["observation_page"] == "https://www.inaturalist.org/observations/c075c500-b566-44aa-847c-95da8fb8b3c9"
    rose = got[UUID + "10"]
    # quotes are data, not CSV quoting: the tables are not quoted
    assert rose["caption"] == "Rosa 'Peace' (variety), observed on 2023-10-31" and rose["author"] == "Seán O'Brien"

    set_aside = rejects(out)
    assert set_aside[UUID + "05"] == ("read", "missing-observation")
    assert set_aside[UUID + "06"] == ("read", "no-taxon")
    assert set_aside[UUID + "07"] == ("fetch", "http-status-404")     # gone from the bucket
    assert set_aside[UUID + "08"] == ("fetch", "not-an-image")
    assert set_aside["line 10"] == ("read", "malformed-row")           # photo 110009, a row cut short
    manifest = json.loads((out / "manifest.json").read_text())
    # not selected (CC-BY-NC, CC-BY, blank): counted by the read step, not set aside one by one
    read = next(st for st in manifest["stages"] if st["stage"] == "read")
    assert read["by_source"]["inaturalist"]["tally"] == {"not-selected:CC-BY-NC": 1, "not-selected:CC-BY": 1,
                                                         "not-selected:(blank)": 1}
    assert manifest["dropped"] == {"read:malformed-row": 1, "read:missing-observation": 1, "read:no-taxon": 1,
                                   "fetch:http-status-404": 1, "fetch:not-an-image": 1}

def test_limit_takes_a_small_slice(tmp_path, bucket):
    endpoint, _ = bucket
    out = tmp_path / "out"
    done = cli(env_for(endpoint, out), "build", str(RECIPE), "--limit", "1")
    assert done.returncode == 0, done.stderr
    assert sorted(rows(out)) == [UUID + "01"]
