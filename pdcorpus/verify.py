"""`pdcorpus verify OUT`: does a build's output match its manifest, and its card its files?"""

from __future__ import annotations

import json

import fsspec
import pyarrow.parquet as pq

from pdcorpus.io.parquet import file_sha256, open_arrow
from pdcorpus.manifest import Manifest
from pdcorpus.publish.card import matches_pattern


def verify(output: str, storage_options: dict | None = None) -> list[str]:
    """Every problem found, as sentences; an empty list means the output is whole."""
    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/")
    if not fs.exists(f"{root}/manifest.json"):
        return [f"{output}: no manifest.json"]
    with fs.open(f"{root}/manifest.json", "r") as fh:
        manifest = Manifest.from_json(json.load(fh))
    problems: list[str] = []
    listed = set()
    for shard in manifest.shards:
        path = f"{root}/{shard.path}"
        listed.add(shard.path)
        if not fs.exists(path):
            problems.append(f"{shard.path}: listed in the manifest, missing")
            continue
        sha256 = file_sha256(fs, path)
        try:
            with open_arrow(fs, path) as fh:
                rows = pq.ParquetFile(fh).metadata.num_rows
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
            rows = None
            problems.append(f"{shard.path}: not a readable Parquet file ({exc})")
        if fs.size(path) != shard.bytes:
            problems.append(f"{shard.path}: {fs.size(path)} bytes, the manifest says {shard.bytes}")
        if sha256 != shard.sha256:
            problems.append(f"{shard.path}: sha256 {sha256} differs from the manifest's {shard.sha256}")
        if rows is not None and rows != shard.rows:
            problems.append(f"{shard.path}: {rows} rows, the manifest says {shard.rows}")
    present = {p[len(root) + 1:] for p in fs.find(f"{root}/data")} if fs.exists(f"{root}/data") else set()
    for extra in sorted(present - listed):
        problems.append(f"{extra}: under data/ but not in the manifest")
    if sum(s.rows for s in manifest.shards) != manifest.records_out:
        problems.append("the shards' rows do not add up to records_out")
    problems.extend(_check_card(fs, root, present))
    return problems


def _check_card(fs: fsspec.AbstractFileSystem, root: str, present: set[str]) -> list[str]:
    if not fs.exists(f"{root}/README.md"):
        return ["README.md (the dataset card) is missing"]
    from huggingface_hub import DatasetCard

    with fs.open(f"{root}/README.md", "r") as fh:
        card = DatasetCard(fh.read())
    problems = []
    for config in card.data.to_dict().get("configs") or []:
        files = config.get("data_files") or []
        for entry in files if isinstance(files, list) else [files]:
            pattern = entry["path"] if isinstance(entry, dict) else entry
            for one in pattern if isinstance(pattern, list) else [pattern]:
                if not any(matches_pattern(one, path) for path in present):
                    problems.append(f"README.md: config '{config.get('config_name')}' points at '{one}', "
                                    "which matches no file")
    return problems
