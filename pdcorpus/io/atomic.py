"""Writing a file whole or not at all.

Every file pdcorpus writes (shards, exchange and work files, rejects, review files, markers, the manifest,
the card) is written through ``WholeFile`` / ``atomic_open``, which follow one rule, by the kind of store:

* **A file system** (local disk, NFS, SFTP, HDFS, memory): under a temporary name beside the final one
  (``*.tmp-<8 hex>``, see ``pdcorpus.ownership.TEMPORARY``), renamed into place when complete. A build killed at
  any moment leaves the old file, the new one, or a temporary that a later build removes.
* **An object store** (S3 and S3-compatible stores, GCS, Azure; ``OBJECT_STORES``): the final key directly.
  These clients send an object only when it is whole — one PUT at close, or a multipart upload whose
  ``CompleteMultipartUpload`` at close makes the object appear at once — so a reader never sees a part of
  it. A rename there would be a copy and a delete (twice the bytes moved, and a temporary left behind when
  killed between the two). A write that fails is abandoned (the multipart upload aborted); one killed
  mid-way leaves an incomplete multipart upload that is never an object (a bucket lifecycle rule
  ``AbortIncompleteMultipartUpload`` reclaims its parts).

In both cases a task writes its outputs first and its completion marker last, so a marker means whole outputs.
"""

from __future__ import annotations

import io
import uuid
from contextlib import contextmanager
from typing import IO, Any, Iterator

import fsspec

# fsspec protocols whose files are objects sent whole at close (s3fs, gcsfs, adlfs, ossfs)
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "adl", "oss"})


def temporary_name(path: str) -> str:
    return f"{path}.tmp-{uuid.uuid4().hex[:8]}"


def is_object_store(fs: fsspec.AbstractFileSystem) -> bool:
    """Whether ``fs`` writes objects whole at close (no rename needed, nor cheap)."""
    protocol = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return any(p in OBJECT_STORES for p in protocol)


class WholeFile:
    """A file being written whole: ``handle`` to write to, then ``commit()`` (it appears at ``path``) or
    ``abort()`` (nothing appears, nothing is left)."""

    def __init__(self, fs: fsspec.AbstractFileSystem, path: str, mode: str = "wb", **kwargs: Any) -> None:
        self.fs, self.path = fs, path
        self.direct = is_object_store(fs)
        self.name = path if self.direct else temporary_name(path)  # where the bytes go while written
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        if folder and not self.direct:  # object stores have no folders to make
            fs.makedirs(folder, exist_ok=True)
        text = "b" not in mode
        encoding, newline = kwargs.pop("encoding", "utf-8"), kwargs.pop("newline", None)
        # text is encoded here, over a binary file, so that an abandoned write can be discarded unsent
        self.raw: IO = fs.open(self.name, mode.replace("t", "") + ("b" if text else ""), **kwargs)
        self.handle: IO = io.TextIOWrapper(self.raw, encoding=encoding, newline=newline) if text else self.raw
        self.done = False  # committed or abandoned
        self.committed = False

    def commit(self) -> str:
        self.handle.close()  # an object store's upload completes here
        if not self.direct:
            self.fs.mv(self.name, self.path)
        self.done = self.committed = True
        return self.path

    def abort(self) -> None:
        if self.done:
            return
        self.done = True
        if self.direct:
            discard = getattr(self.raw, "discard", None)
            if discard is not None:  # fsspec's buffered files: abort the multipart upload, send nothing
                try:
                    discard()
                finally:
                    self.raw.closed = True  # close() would send what was buffered
                return
            self.raw.close()
            return
        try:
            self.handle.close()
        finally:
            try:
                if self.fs.exists(self.name):
                    self.fs.rm(self.name)
            except OSError:  # the error that stopped the write matters more
                pass


@contextmanager
def atomic_open(fs: fsspec.AbstractFileSystem, path: str, mode: str = "wb", **kwargs: Any) -> Iterator[IO]:
    """``fs.open`` of ``path`` written whole (``WholeFile``): it appears if the block ends without an error,
    nothing appears if it raises."""
    whole = WholeFile(fs, path, mode, **kwargs)
    try:
        yield whole.handle
    except BaseException:
        whole.abort()
        raise
    whole.commit()


def write_text(fs: fsspec.AbstractFileSystem, path: str, text: str) -> None:
    with atomic_open(fs, path, "w", encoding="utf-8") as fh:
        fh.write(text)
