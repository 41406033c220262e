"""Relative paths in a corpus file are relative to the corpus file's folder.

A corpus file names its inputs, its output, its work folder, the earlier
release a dedup is ``against``, a language model file and opt-out lists. When such a path is
relative, it means the same wherever pdcorpus is started from: it is joined to
the folder the corpus file is in. URLs (``s3://``, ``http://``, ``memory://``,
fsspec chains with ``::``) and absolute paths are left as they are, and so is
an empty ``output`` (which the build refuses). ``--output`` on the command line
is not in the file: it stays relative to the working directory.
"""

from __future__ import annotations

import os
from typing import Any


def is_url(path: str) -> bool:
    """An fsspec URL or chain (``s3://b/k``, ``simplecache::s3://b/k``), not a local path."""
    return "://" in path or "::" in path


def resolve(path: str, base: str) -> str:
    """``path`` as the corpus file in folder ``base`` means it."""
    if not path or is_url(path) or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base, path))


# Stage options that name a file or folder (per stage kind).
STAGE_PATHS = {"dedup": ("against",), "language": ("model_path",), "fetch": ("cache",), "optout": ("lists", "registry.cache")}


def _resolve_stages(stages: Any, base: str) -> None:
    for spec in stages if isinstance(stages, list) else []:
        if not isinstance(spec, dict) or len(spec) != 1:
            continue  # validation reports it
        (kind, params), = spec.items()
        if not isinstance(params, dict):
            continue
        for dotted in STAGE_PATHS.get(kind, ()):
            *parents, key = dotted.split(".")  # a nested option: registry.cache
            holder: Any = params
            for parent in parents:
                holder = holder.get(parent) if isinstance(holder, dict) else None
            if not isinstance(holder, dict):
                continue
            if isinstance(holder.get(key), str):
                holder[key] = resolve(holder[key], base)
            elif isinstance(holder.get(key), list):  # a list of paths (optout's lists)
                holder[key] = [resolve(p, base) if isinstance(p, str) else p for p in holder[key]]


def resolve_config_paths(data: dict[str, Any], config_file: str) -> None:
    """Rewrites, in place, the relative paths of a corpus file's (interpolated, not yet validated) data.

    Values of the wrong type are left alone: validation reports them with their line.
    """
    base = os.path.dirname(os.path.abspath(config_file))
    for key in ("output", "work"):
        if isinstance(data.get(key), str):
            data[key] = resolve(data[key], base)
    _resolve_stages(data.get("stages"), base)
    for source in data.get("sources") or [] if isinstance(data.get("sources"), list) else []:
        if not isinstance(source, dict):
            continue
        read = source.get("read")
        if isinstance(read, dict):
            paths = read.get("paths")
            if isinstance(paths, str):
                read["paths"] = resolve(paths, base)
            elif isinstance(paths, list):
                read["paths"] = [resolve(p, base) if isinstance(p, str) else p for p in paths]
            fetch = read.get("fetch")
            if isinstance(fetch, dict) and isinstance(fetch.get("cache"), str):
                fetch["cache"] = resolve(fetch["cache"], base)
            dataset = read.get("dataset")
            # an hf dataset is a local folder or a Hub id (ORG/NAME), which reads like a relative path:
            # a folder beside the corpus file wins, as datasets itself prefers an existing folder
            if read.get("format") == "hf" and isinstance(dataset, str) and not is_url(dataset) \
                    and not os.path.isabs(dataset) and os.path.isdir(resolve(dataset, base)):
                read["dataset"] = resolve(dataset, base)
        _resolve_stages(source.get("stages"), base)
