"""``format: hf``: a Hugging Face dataset as a source.

    read: {format: hf, dataset: ORG/NAME, split: train, config: en, revision: main}
    fields: {text: content, id: doc_id, license: meta.license}

``dataset`` is one of:

- a local folder written by ``Dataset.save_to_disk`` (``state.json`` and Arrow files; a
  ``DatasetDict``'s folder takes ``split``): its Arrow files, memory-mapped;
- a local folder of data files that ``datasets.load_dataset(folder)`` reads (Parquet, JSON Lines, CSV,
  text, ...; splits and configs from file names or the README's YAML): its data files of ``split``,
  streamed;
- a Hub id (``ORG/NAME``) already in the Hugging Face cache: with ``HF_HUB_OFFLINE=1`` (or
  ``streaming: false``) it is loaded as ``load_dataset`` would, from the cache's Arrow files,
  memory-mapped;
- a Hub id, online: the data files of ``split`` at ``revision``, streamed from the Hub.

Memory stays bounded: Arrow files are memory-mapped and read a batch at a time, data files are
streamed (``IterableDataset``), a batch of 1,000 rows at a time. Nothing is decoded (images stay
bytes).

Tasks: one read task per data file (or Arrow file) of the split, in the order ``datasets`` lists
them (sorted), rows in file order; so the records and their order are the same for any worker count.
Rows are mapped with ``fields`` as for files; ``line`` in rejects is the row number in its file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Iterator

from pdcorpus.fetch.formats import HfOptions
from pdcorpus.io.readers import InputError, InputFile, Reader
from pdcorpus.record import Record

BATCH_ROWS = 1000


def _offline() -> bool:
    import datasets

    return bool(datasets.config.HF_HUB_OFFLINE)


def _saved_folder(folder: Path, split: str) -> Path | None:
    """The folder of a save_to_disk dataset (a DatasetDict's split folder), or None if it is not one."""
    if (folder / "dataset_dict.json").is_file():
        splits = json.loads((folder / "dataset_dict.json").read_text()).get("splits", [])
        if split not in splits:
            raise InputError(f"{folder}: the saved DatasetDict has no split '{split}' (splits: {', '.join(splits)})")
        folder = folder / split
    if (folder / "state.json").is_file() and (folder / "dataset_info.json").is_file():
        return folder
    return None


def _inputs(dataset: str, split: str, config: str | None, revision: str | None,
            streaming: bool | None) -> tuple[str, list[InputFile], Any]:
    """(kind, files, builder or None): kind 'arrow' (memory-mapped) or 'files' (streamed data files)."""
    import datasets

    folder = Path(dataset).expanduser()
    if folder.is_dir():
        saved = _saved_folder(folder, split)
        if saved is not None:
            state = json.loads((saved / "state.json").read_text())
            names = [f["filename"] for f in state.get("_data_files", [])]
            return "arrow", [InputFile(url=str((saved / n).resolve()), size=(saved / n).stat().st_size,
                                       root=str(saved.resolve())) for n in names], None
    elif dataset.startswith((".", "/", "~")):
        raise InputError(f"no dataset folder '{dataset}'")
    try:
        if not folder.is_dir() and (streaming is False or (streaming is None and _offline())):
            # a Hub dataset from the cache (or downloaded and prepared there): its Arrow files
            ds = datasets.load_dataset(dataset, name=config, split=split, revision=revision)
            files = [f["filename"] for f in ds.cache_files]
            return "arrow", [InputFile(url=f, size=os.path.getsize(f), root=os.path.dirname(f)) for f in files], None
        builder = datasets.load_dataset_builder(str(folder.resolve()) if folder.is_dir() else dataset, name=config,
                                                revision=revision)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - datasets raises many kinds (not found, offline, bad config, ...)
        where = "folder" if folder.is_dir() else ("Hub dataset (not in the cache, offline)" if _offline() else "Hub dataset")
        raise InputError(f"hf dataset '{dataset}' ({where}): {type(exc).__name__}: {exc}") from exc
    data_files = builder.config.data_files or {}
    if split not in data_files:
        raise InputError(f"hf dataset '{dataset}': no split '{split}' (splits: {', '.join(data_files) or 'none'})")
    files = list(data_files[split])
    out = []
    for f in files:
        size = os.path.getsize(f) if os.path.exists(f) else 0
        out.append(InputFile(url=str(f), size=size, root=str(folder.resolve()) if folder.is_dir() else dataset))
    return "files", out, builder


class HfReader(Reader):
    """Rows of a Hugging Face dataset's split, one task per data file."""

    format = "hf"
    Options = HfOptions

    def __init__(self, *args: Any, dataset: str, split: str = "train", config: str | None = None,
                 revision: str | None = None, streaming: bool | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.dataset, self.split, self.config, self.revision, self.streaming = dataset, split, config, revision, streaming
        self._builder: Any = None


    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        kind, files, _ = _inputs(read.dataset, read.split, read.config, read.revision, read.streaming)
        if not files:
            raise InputError(f"hf dataset '{read.dataset}': split '{read.split}' has no data files")
        return files

    def input_sha256(self, file: InputFile) -> str:
        if file.url.startswith("hf://"):
            from huggingface_hub import HfFileSystem

            info = HfFileSystem().info(file.url)
            lfs = info.get("lfs") or {}
            if lfs.get("sha256"):
                return lfs["sha256"]
        return super().input_sha256(file)

    def _rows(self, file: InputFile) -> Iterator[dict]:
        import datasets

        if file.url.endswith(".arrow") and os.path.isfile(file.url):
            ds = datasets.Dataset.from_file(file.url)  # memory-mapped
            for table in ds.with_format("arrow").iter(batch_size=BATCH_ROWS):
                yield from table.to_pylist()
            return
        if self._builder is None:
            _, _, self._builder = _inputs(self.dataset, self.split, self.config, self.revision, self.streaming)
        builder = self._builder
        kwargs = {k: v for k, v in builder.config.__dict__.items()
                  if k not in ("name", "version", "data_dir", "data_files", "description", "features")}
        stream = datasets.load_dataset(builder.name, data_files={"train": [file.url]}, split="train", streaming=True,
                                       features=builder.info.features, **kwargs)
        for table in stream.with_format("arrow").iter(batch_size=BATCH_ROWS):
            yield from table.to_pylist()

    def read(self, file: InputFile) -> Iterator[Record]:
        rows = self._rows(file)
        number = 0
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except (OSError, ValueError) as exc:
                raise InputError(f"{file.url}: cannot read row {number + 1}: {type(exc).__name__}: {exc}") from exc
            number += 1
            record = self.make_record(row, file.url, number)
            if record is not None:
                yield record
