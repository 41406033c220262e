"""Writing a file whole or not at all: under a temporary name, renamed into place when complete.

Every file pdcorpus writes (shards, exchange and work files, markers, the manifest, the card) is written this
way, so that a build killed at any moment leaves either the old file, the new one, or a temporary that its
name marks as pdcorpus's (``*.tmp-<8 hex>``, see ``pdcorpus.ownership.TEMPORARY``) and a later build removes.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import IO, Any, Iterator

import fsspec


def temporary_name(path: str) -> str:
    return f"{path}.tmp-{uuid.uuid4().hex[:8]}"


@contextmanager
def atomic_open(fs: fsspec.AbstractFileSystem, path: str, mode: str = "wb", **kwargs: Any) -> Iterator[IO]:
    """``fs.open`` of a temporary name beside ``path`` (its folder made), renamed to ``path`` if the block
    ends without an error, removed if it raises."""
    tmp = temporary_name(path)
    folder = path.rsplit("/", 1)[0] if "/" in path else ""
    if folder:
        fs.makedirs(folder, exist_ok=True)
    try:
        with fs.open(tmp, mode, **kwargs) as fh:
            yield fh
    except BaseException:
        try:
            if fs.exists(tmp):
                fs.rm(tmp)
        except OSError:  # the error that stopped the write matters more
            pass
        raise
    fs.mv(tmp, path)


def write_text(fs: fsspec.AbstractFileSystem, path: str, text: str) -> None:
    with atomic_open(fs, path, "w", encoding="utf-8") as fh:
        fh.write(text)
