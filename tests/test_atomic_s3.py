"""Writes on an object store (moto's S3 server on loopback): the final key written once, whole; nothing on failure.

S3 has no rename: fsspec's ``mv`` is a server-side copy and a delete, which moves every byte twice and, if the
writer is killed between the two, leaves a temporary behind. s3fs sends an object only when the file is closed
(one PUT, or a multipart upload that the store makes an object at ``CompleteMultipartUpload``), so the rule in
``pdcorpus/io/atomic.py`` writes the final key directly there and abandons the upload on failure.
"""

from __future__ import annotations

import pytest
import s3fs

from pdcorpus.io.atomic import atomic_open, is_object_store
from pdcorpus.io.exchange import PartitionedSpill
from pdcorpus.record import Record
from test_s3 import aws_env, bucket, s3, s3_endpoint  # noqa: F401  (fixtures)


@pytest.fixture
def fs(s3_endpoint) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(client_kwargs={"endpoint_url": s3_endpoint}, skip_instance_cache=True,
                             default_block_size=5 * 2**20)  # S3's smallest part: a larger write is a multipart upload


def no_copies(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("an object store write copied an object (a rename)")
    monkeypatch.setattr(s3fs.S3FileSystem, "_copy", refuse)
    monkeypatch.setattr(s3fs.S3FileSystem, "_mv", refuse, raising=False)


def test_a_whole_write_puts_the_final_key_and_copies_nothing(fs, bucket, monkeypatch):
    assert is_object_store(fs)
    no_copies(monkeypatch)
    big = b"x" * (12 * 2**20)  # three parts of a multipart upload
    with atomic_open(fs, f"{bucket}/out/big.bin") as fh:
        fh.write(big)
    with atomic_open(fs, f"{bucket}/out/note.txt", "w") as fh:
        fh.write("été\n")
    fs.invalidate_cache()
    assert fs.cat_file(f"{bucket}/out/big.bin") == big
    assert fs.cat_file(f"{bucket}/out/note.txt") == "été\n".encode()
    assert sorted(fs.find(f"{bucket}/out")) == [f"{bucket}/out/big.bin", f"{bucket}/out/note.txt"]


def test_a_failed_write_leaves_no_object_and_no_upload(fs, bucket):
    for size in (10, 12 * 2**20):  # one PUT at close; a multipart upload already begun
        with pytest.raises(RuntimeError):
            with atomic_open(fs, f"{bucket}/out/part.bin") as fh:
                fh.write(b"y" * size)
                raise RuntimeError("the task failed mid-write")
        with pytest.raises(RuntimeError):
            with atomic_open(fs, f"{bucket}/out/part.txt", "w") as fh:
                fh.write("z" * size)
                raise RuntimeError("the task failed mid-write")
    fs.invalidate_cache()
    assert fs.find(f"{bucket}/out") == []
    uploads = fs.call_s3("list_multipart_uploads", Bucket=bucket).get("Uploads", [])
    assert uploads == []  # the begun multipart upload was aborted


def test_an_exchange_file_on_s3_is_written_at_its_key(fs, bucket, monkeypatch):
    no_copies(monkeypatch)
    spill = PartitionedSpill(fs, f"{bucket}/work/p0-read/t00000.parquet", "zstd")
    for i in range(10):
        spill.add(str(i % 2), Record(id=f"s:{i}", source="s", text=f"text {i}"))
    index = spill.close()
    assert sorted(index) == ["0", "1"] and all(groups[0][2] > 0 for groups in index.values())
    fs.invalidate_cache()
    assert fs.find(f"{bucket}/work") == [f"{bucket}/work/p0-read/t00000.parquet"]
