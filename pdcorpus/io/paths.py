"""File names that come from data stay inside the folder they were listed in.

An image sidecar names its images, a text-folder listing its files; both
often come from downloaded metadata, so a name such as ``/etc/hostname``,
``../../secret.png`` or a symlink pointing out of the folder would let
whoever wrote the metadata put any readable file into a published corpus.
A name is accepted when it resolves inside its folder: on a local file
system after following symlinks (``os.path.realpath``), on a remote one
(no symlinks there) by the name alone, where absolute names and ``..`` that
climbs out are refused. A URL of its own (``https://…``, ``file://…``) is
another place altogether and refused likewise. A source whose config says
``allow_outside_paths: true`` reads such names as before.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any

from pdcorpus.io.parquet import is_local

OUTSIDE = "path-outside-folder"


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def outside_folder(fs: Any, folder: str, name: str, path: str) -> str | None:
    """Why ``name`` (as the data gives it; ``path`` where it leads on ``fs``) is not inside ``folder``,
    or None when it is."""
    if "://" in name or "::" in name:
        return f"'{name}' is a URL, not a file in the folder {folder or '.'}"
    if is_local(fs):
        real_folder = os.path.realpath(folder or ".")
        real = os.path.realpath(path)
        if not _inside(real, real_folder):
            how = ("is an absolute path" if name.startswith("/") else
                   "climbs out with '..'" if ".." in name.split("/") else
                   "is a symlink (or under one) pointing")
            return f"'{name}' {how} outside the folder {real_folder} (to {real})"
        return None
    if name.startswith("/"):
        return f"'{name}' is an absolute path, outside the folder {folder}"
    if not _inside(posixpath.normpath(posixpath.join(folder, name)), posixpath.normpath(folder)):
        return f"'{name}' climbs out of the folder {folder} with '..'"
    return None


__all__ = ["OUTSIDE", "outside_folder"]
