"""Object storage: inputs and outputs on a real S3-compatible server (moto) on loopback.

The server runs in this process for the whole session. Credentials are dummies
set in the environment, and every AWS setting that could come from the
machine (profiles, config files, instance metadata, endpoints) is cleared, so
nothing leaves 127.0.0.1.

How the endpoint is given:
* inputs: ``storage_options={"client_kwargs": {"endpoint_url": ...}}`` — in
  ``read_jsonl(...)`` and in the corpus file under ``read.storage_options``;
* output and work folder: the corpus file's top-level ``storage_options``,
  so that a corpus file alone describes a build on any S3-compatible store
  (worker processes get it with the plan; no environment variable is set).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import s3fs
from moto.server import ThreadedMotoServer

import pdcorpus
from pdcorpus import Reject, read_jsonl, read_text

ENDPOINT_VARS = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "FSSPEC_S3_ENDPOINT_URL", "AWS_PROFILE",
                 "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI")


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on 127.0.0.1, on a free port, for the whole session."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()  # if it cannot start, this fixture errors and every test here fails
    host, port = server.get_host_and_port()
    assert (host, port > 0) == ("127.0.0.1", True)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module", autouse=True)
def aws_env(tmp_path_factory):
    """Dummy credentials, and nothing from this machine's AWS setup; undone after this module."""
    nowhere = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as mp:
        for name in ENDPOINT_VARS:
            mp.delenv(name, raising=False)
        mp.setenv("AWS_ACCESS_KEY_ID", "testing")
        mp.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        mp.setenv("AWS_DEFAULT_REGION", "us-east-1")
        mp.setenv("AWS_EC2_METADATA_DISABLED", "true")
        mp.setenv("AWS_CONFIG_FILE", str(nowhere))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere))
        yield


@pytest.fixture
def s3(s3_endpoint, aws_env) -> s3fs.S3FileSystem:
    """A client of the test server for putting inputs and checking outputs."""
    return s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True)


@pytest.fixture
def bucket(s3, request) -> str:
    name = f"pdcorpus-{request.node.name.replace('_', '-')[5:40].strip('-')}".lower()
    s3.mkdir(name)
    return name


def jsonl_gz(rows: list) -> bytes:
    return gzip.compress(b"".join(orjson.dumps(r) + b"\n" for r in rows), mtime=0)


PART0 = [
    {"book_id": "b1", "body": "It was a dark and stormy night.", "rights": "Public Domain Mark 1.0", "year": 1830},
    {"book_id": "b2", "body": "Call me Ishmael.", "rights": "CC0-1.0", "year": 1851},
    {"book_id": "b9", "body": "it was a DARK and stormy   night.", "rights": "CC0-1.0", "year": 1901},  # dup of b1
]
PART1 = [
    {"book_id": "b3", "body": "Happy families are all alike.", "rights": "public domain (US)", "year": 1878},
    "{this line is broken",
    {"book_id": "b4", "body": "", "rights": "CC0-1.0", "year": 1900},
    {"book_id": "b5", "body": "Whan that Aprille with his shoures soote.", "rights": "PDM", "year": 1400},
]


def put_inputs(s3: s3fs.S3FileSystem, bucket: str) -> dict[str, bytes]:
    part1 = gzip.compress(b"".join((r.encode() if isinstance(r, str) else orjson.dumps(r)) + b"\n" for r in PART1),
                          mtime=0)
    blobs = {f"{bucket}/in/part-00000.jsonl.gz": jsonl_gz(PART0), f"{bucket}/in/part-00001.jsonl.gz": part1,
             f"{bucket}/in/README.txt": b"not an input"}
    for path, data in blobs.items():
        s3.pipe(path, data)
    return blobs


# -- reading ----------------------------------------------------------------------------------------


def test_read_jsonl_gz_from_s3_with_storage_options(s3, bucket, s3_endpoint, monkeypatch):
    put_inputs(s3, bucket)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)  # the endpoint comes from storage_options alone
    rejects: list[Reject] = []

    records = list(read_jsonl(f"s3://{bucket}/in/*.jsonl.gz", source="books",
                              fields={"id": "book_id", "text": "body", "license": "rights"},
                              storage_options={"client_kwargs": {"endpoint_url": s3_endpoint}},
                              on_reject=rejects.append))

    assert [(r.id, r.text, r.license_raw, r.metadata) for r in records] == [
        ("books:b1", "It was a dark and stormy night.", "Public Domain Mark 1.0", '{"year":1830}'),
        ("books:b2", "Call me Ishmael.", "CC0-1.0", '{"year":1851}'),
        ("books:b9", "it was a DARK and stormy   night.", "CC0-1.0", '{"year":1901}'),
        ("books:b3", "Happy families are all alike.", "public domain (US)", '{"year":1878}'),
        ("books:b5", "Whan that Aprille with his shoures soote.", "PDM", '{"year":1400}'),
    ]
    assert [(r.reason, r.file, r.line, r.id) for r in rejects] == [
        ("malformed-json", f"s3://{bucket}/in/part-00001.jsonl.gz", 2, None),
        ("empty-text", f"s3://{bucket}/in/part-00001.jsonl.gz", 3, "books:b4"),
    ]


def test_read_a_text_folder_from_s3_ids_relative_to_the_folder(s3, bucket, s3_endpoint):
    s3.pipe({f"{bucket}/letters/en/letter-0001.txt": b"Dear Sir,\n",
             f"{bucket}/letters/fr/lettre-0001.txt": "Cher ami, \u00e0 bient\u00f4t.\n".encode()})

    records = list(read_text(f"s3://{bucket}/letters", source="letters",
                             storage_options={"client_kwargs": {"endpoint_url": s3_endpoint}}))

    assert [(r.id, r.text) for r in records] == [("letters:en/letter-0001", "Dear Sir,\n"),
                                                 ("letters:fr/lettre-0001", "Cher ami, \u00e0 bient\u00f4t.\n")]


# -- a whole build ------------------------------------------------------------------------------------

CORPUS_YAML = """\
name: s3-books
output: {output}
storage_options:
  client_kwargs:
    endpoint_url: "{endpoint}"
sources:
  - name: books
    read:
      format: jsonl
      paths: ["s3://{bucket}/in/*.jsonl.gz"]
      storage_options:
        client_kwargs:
          endpoint_url: "{endpoint}"
    fields: {{id: book_id, text: body, license: rights}}
stages:
  - length: {{min_chars: 20}}
  - dedup: {{method: exact}}
shards:
  max_bytes: 1KiB
exchange:
  buckets: 2
"""


def shard_rows(tables: list[pa.Table]) -> list[dict]:
    return pa.concat_tables(tables).to_pylist() if tables else []


def test_build_with_inputs_and_output_on_s3_matches_a_local_build(s3, bucket, s3_endpoint, tmp_path, monkeypatch):
    blobs = put_inputs(s3, bucket)
    config = tmp_path / "corpus.yaml"
    config.write_text(CORPUS_YAML.format(output=f"s3://{bucket}/out", bucket=bucket, endpoint=s3_endpoint))
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)  # the corpus file alone says where S3 is

    manifest = pdcorpus.build(str(config), workers=2, progress=False)

    # What the build says it did.
    assert manifest["records_in"] == 7  # every non-blank input line, set aside or not
    assert manifest["dropped"] == {"dedup:exact:duplicate": 1, "length:too-short": 1,
                                   "read:empty-text": 1, "read:malformed-json": 1}
    assert manifest["records_out"] == 3
    assert manifest["rejects"]["count"] == 4
    assert [(i["path"], i["bytes"], i["sha256"]) for i in manifest["inputs"]] == [
        (f"s3://{bucket}/in/part-0000{n}.jsonl.gz", len(blobs[f"{bucket}/in/part-0000{n}.jsonl.gz"]),
         hashlib.sha256(blobs[f"{bucket}/in/part-0000{n}.jsonl.gz"]).hexdigest()) for n in (0, 1)]

    # What is on S3: the manifest, the shards it lists, the rejects; the work folder is gone.
    s3.invalidate_cache()
    assert json.loads(s3.cat(f"{bucket}/out/manifest.json")) == manifest
    # Nothing else: no temporary names left by the write-then-rename steps, no work folder.
    assert sorted(s3.find(f"{bucket}/out")) == sorted(
        [f"{bucket}/out/{name}" for name in ("manifest.json", "README.md", "training-data-summary.md",
                                             "training-data-summary.json", ".pdcorpus")]
        + [f"{bucket}/out/{s['path']}" for s in manifest["shards"]]
        + [f"{bucket}/out/{path}" for path in manifest["rejects"]["files"]])
    assert len(manifest["shards"]) >= 2  # 1KiB shards: the records are spread over several
    assert [s["path"] for s in manifest["shards"]] == [
        f"data/books/train-{i:05d}-of-{len(manifest['shards']):05d}.parquet" for i in range(len(manifest["shards"]))]
    tables = []
    for shard in manifest["shards"]:
        data = s3.cat(f"{bucket}/out/{shard['path']}")
        assert (len(data), hashlib.sha256(data).hexdigest()) == (shard["bytes"], shard["sha256"])
        table = pq.read_table(f"{bucket}/out/{shard['path']}", filesystem=s3)
        assert table.num_rows == shard["rows"]
        tables.append(table)
    assert sum(s["rows"] for s in manifest["shards"]) == manifest["records_out"]
    on_s3 = shard_rows(tables)
    assert sorted((r["id"], r["text"], r["license_raw"], r["metadata"]) for r in on_s3) == [
        ("books:b1", "It was a dark and stormy night.", "Public Domain Mark 1.0", '{"year":1830}'),
        ("books:b3", "Happy families are all alike.", "public domain (US)", '{"year":1878}'),
        ("books:b5", "Whan that Aprille with his shoures soote.", "PDM", '{"year":1400}'),
    ]
    rejected = [json.loads(line) for path in manifest["rejects"]["files"]
                for line in s3.cat(f"{bucket}/out/{path}").decode().splitlines()]
    assert sorted((r["reason"], r["file"], r["line"], r["id"]) for r in rejected) == sorted([
        ("malformed-json", f"s3://{bucket}/in/part-00001.jsonl.gz", 2, None),
        ("empty-text", f"s3://{bucket}/in/part-00001.jsonl.gz", 3, "books:b4"),
        ("too-short", None, None, "books:b2"),
        ("duplicate", None, None, "books:b9"),
    ])

    # The same corpus file built into a local folder gives the same shards, byte for byte.
    local = tmp_path / "local"
    local_manifest = pdcorpus.build(str(config), output=str(local), workers=1, progress=False)

    assert local_manifest["shards"] == manifest["shards"]
    assert shard_rows([pq.read_table(local / s["path"]) for s in local_manifest["shards"]]) == on_s3
    assert {k: local_manifest[k] for k in ("records_in", "records_out", "dropped", "inputs", "sources")} == \
        {k: manifest[k] for k in ("records_in", "records_out", "dropped", "inputs", "sources")}
