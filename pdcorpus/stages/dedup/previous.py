"""An earlier release in a dedup (``against``): its records take part, always survive, and are never written.

The shards an earlier build lists in its manifest are read by tasks of the phase before the dedup, into the
same exchange as the build's own records (ids prefixed, source ``previous-release``), so the dedup compares
them like any other record and drops the build's records they duplicate as ``in-previous-release``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

import fsspec
import pyarrow.parquet as pq

from pdcorpus.io.parquet import open_arrow
from pdcorpus.io.readers import InputError, InputFile
from pdcorpus.record import Record

PREVIOUS = "previous-release"  # the source name an earlier release's records take part under
PREVIOUS_PREFIX = f"{PREVIOUS}:"
FILES_PER_TASK = 8


def previous_release_shards(output: str, storage_options: dict | None = None) -> list[InputFile]:
    """The shards an earlier build lists in its manifest; an error naming the place if there is none."""
    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/")
    try:
        with fs.open(f"{root}/manifest.json", "r") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise InputError(f"dedup against {output}: no readable manifest.json there ({exc}); "
                         "give the output folder of an earlier pdcorpus build") from exc
    files = []
    for shard in manifest.get("shards", []):
        path = f"{root}/{shard['path']}"
        url = path if fs.protocol in ("file", "local") or "file" in tuple(fs.protocol) else fs.unstrip_protocol(path)
        files.append(InputFile(url=url, size=int(shard.get("bytes", 0)), root=root))
    return files


def previous_release_tasks(output: str, storage_options: dict, columns: tuple[str, ...]) -> list["PreviousReleaseTask"]:
    files = previous_release_shards(output, storage_options)
    return [PreviousReleaseTask(i, tuple(files[lo:lo + FILES_PER_TASK]), columns, storage_options)
            for i, lo in enumerate(range(0, len(files), FILES_PER_TASK))]


@dataclass(frozen=True)
class PreviousReleaseTask:
    """Reads shards of an earlier release into the exchange, for the dedup that follows (its index is set by
    the planner, after the phase's own tasks)."""

    index: int
    files: tuple[InputFile, ...]
    columns: tuple[str, ...]  # what the dedup needs besides id and content_hash: texts (minhash), images (phash)
    storage_options: dict[str, Any]

    @property
    def label(self) -> str:
        return f"previous release: {self.files[0].url}" + (f" (+{len(self.files) - 1})" if len(self.files) > 1 else "")

    def records(self) -> Iterator[Record]:
        columns = ["id", "content_hash", *self.columns]
        for file in self.files:
            fs, path = fsspec.core.url_to_fs(file.url, **self.storage_options)
            with open_arrow(fs, path) as fh:
                for batch in pq.ParquetFile(fh).iter_batches(columns=columns):
                    data = batch.to_pydict()
                    for i, rid in enumerate(data["id"]):
                        yield Record(id=f"{PREVIOUS_PREFIX}{rid}", source=PREVIOUS, content_hash=data["content_hash"][i],
                                     text=data["text"][i] if "text" in data else None,
                                     caption=data["caption"][i] if "caption" in data else None,
                                     image=data["image"][i] if "image" in data else None)

    def run(self, ctx: Any) -> dict[str, Any]:
        spilled = ctx.spill(ctx.counted(self.records()))  # for the dedup only: no stage of the phase sees them
        return {**spilled, "previous": {"files": [f.url for f in self.files], "records": spilled["rows"]}}
