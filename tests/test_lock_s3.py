"""The output lock on object storage: a conditional create (``If-None-Match: *``) on moto's S3 server."""

from __future__ import annotations

import json

import pytest
import s3fs

from pdcorpus.ownership import LOCK_FILE, LockedError, OutputLock
from test_s3 import aws_env, bucket, s3, s3_endpoint  # noqa: F401  (fixtures)


def test_a_second_lock_on_s3_is_refused_by_the_store(s3, bucket, s3_endpoint):
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True)
    root = f"{bucket}/out"
    first, _ = OutputLock.acquire(fs, root, f"s3://{root}", "c")
    held = json.loads(s3.cat_file(f"{root}/{LOCK_FILE}"))
    assert held["pid"] == first.info["pid"] and held["host"] == first.info["host"]
    with pytest.raises(LockedError, match="another build holds output 's3://"):
        OutputLock.acquire(fs, root, f"s3://{root}", "c")
    # the store refused the second create: the first build's lock is unchanged
    assert json.loads(s3.cat_file(f"{root}/{LOCK_FILE}")) == held
    first.release()
    assert not s3.exists(f"{root}/{LOCK_FILE}")
    again, _ = OutputLock.acquire(fs, root, f"s3://{root}", "c")
    again.release()


def test_the_store_itself_refuses_an_exclusive_create(s3, bucket, s3_endpoint):
    """Without pdcorpus's own checks: s3fs's "xb" mode sends If-None-Match: * and moto answers 412."""
    fs = s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True)
    with fs.open(f"{bucket}/x", "xb") as fh:
        fh.write(b"1")
    with pytest.raises((FileExistsError, OSError)):
        with fs.open(f"{bucket}/x", "xb") as fh:
            fh.write(b"2")
    assert s3.cat_file(f"{bucket}/x") == b"1"
