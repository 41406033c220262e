"""Images with a sidecar metadata file: a folder of image files, and a JSONL or CSV file describing them.

The input files (``read.paths``) are the sidecars. Each row names its image
(``fields.image``; by default the first of ``file_name``, ``file``, ``path``
the row has), relative to the sidecar's folder (or, only where the source
allows paths outside the folder, as an absolute path on the sidecar's file
system, or as a URL of its own). The rest is mapped as for any source:
``caption``, ``license`` (into ``license_raw``), ``url``, ``id``, ...

    read: {format: images, paths: ["samples/images/*.jsonl"]}
    fields: {caption: caption, license: license, url: url, image: file_name}

Each record carries the image as the Hugging Face Image struct
``{"bytes": <the file's bytes>, "path": <the name as the sidecar gives it>}``,
``content_hash`` = xxh3-128 of those bytes, and the image's ``width``,
``height`` and ``mime_type`` in ``metadata`` (with the row's unmapped fields;
measured values win over the sidecar's own). The id is ``<source>:<id field>``,
or ``<source>:<image name without extension>`` when the row has none.

A caption is optional: an image without one is still a record. Set aside,
with the sidecar file and line: ``path-outside-folder`` (the name leads out
of the sidecar's folder: an absolute path, ``..``, a symlink pointing out, a
URL; allowed with the source's ``allow_outside_paths: true``, see
``pdcorpus.io.paths``), ``missing-image-field`` (the row names no image),
``missing-image`` (no such file), ``unreadable-image`` (the file cannot be
read), ``not-an-image``, ``truncated-image``, ``too-large`` (pixels
over ``max_pixels``, or bytes over ``max_image_bytes``), a caption that is not
text (``text-not-a-string``) or too long (``too-long-document``), and the
sidecar's own faults as the JSONL and CSV readers report them
(``malformed-json``, ``invalid-utf8``, ``not-an-object``, ``malformed-csv``).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import fsspec
from pydantic import Field
import orjson

from pdcorpus.imaging import MAX_PIXELS, ImageError, ImageInfo, probe
from pdcorpus.io.paths import OUTSIDE, outside_folder
from pdcorpus.io.readers import (
    CsvReader,
    InputError,
    InputFile,
    JsonlReader,
    Reader,
    ReadOptions,
    _as_str,
    _getter,
    _without,
    expand_paths,
)
from pdcorpus.record import Record, content_hash
from pdcorpus.accounting import RejectSink

IMAGE_FIELDS = ("file_name", "file", "path")  # looked for, in this order, when ``fields.image`` is not given
_COMPRESSED = (".gz", ".zst", ".bz2", ".xz")


def set_image_info(record: Record, meta: dict[str, Any], info: ImageInfo) -> None:
    """Where an image's measured facts go: ``metadata`` keys for now (one place to change if they become columns)."""
    meta["width"] = info.width
    meta["height"] = info.height
    meta["mime_type"] = info.mime_type


def is_csv(url: str) -> bool:
    """A sidecar is CSV by its ending (``.csv``, also compressed: ``.csv.gz``); anything else is read as JSONL."""
    name = url.lower()
    for ext in _COMPRESSED:
        if name.endswith(ext):
            name = name[: -len(ext)]
            break
    return name.endswith(".csv")


def _stem(value: str) -> str:
    """The default id: the image's name as given, without extension (only the last part for absolute paths and URLs)."""
    if "://" in value:
        value = posixpath.basename(urlsplit(value).path)
    elif value.startswith("/"):
        value = posixpath.basename(value)
    else:
        value = posixpath.normpath(value)
    head, ext = posixpath.splitext(value)
    return head if head and ext else value


class ImageOptions(ReadOptions):
    delimiter: str = Field(",", min_length=1, max_length=1, description="the CSV sidecars' delimiter")
    max_pixels: int | None = Field(MAX_PIXELS, ge=1, description="larger images are set aside")
    verify: bool = Field(True, description="decode enough to catch truncated files")


class ImageReader(Reader):
    """Sidecar rows (JSONL, or CSV by extension) plus the image files they name, one record per image."""

    format = "images"
    Options = ImageOptions
    modality = "image"

    def __init__(self, source: str, fields: dict[str, str] | None = None, *args: Any,
                 delimiter: str = ",", max_pixels: int | None = MAX_PIXELS, max_image_bytes: int | None = None,
                 verify: bool = True, **kwargs: Any) -> None:
        fields = dict(fields or {})
        image_path = fields.pop("image", None)  # not a column the base reader maps: the file it names is read here
        super().__init__(source, fields, *args, **kwargs)
        self.delimiter = delimiter  # for CsvReader.read
        self.max_pixels = max_pixels
        self.max_image_bytes = max_image_bytes
        self.verify = verify
        self.image_fields = (image_path,) if image_path else IMAGE_FIELDS
        self._image_get = [(path, _getter(path)) for path in self.image_fields]
        self._places: dict[str, tuple[Any, str, str]] = {}  # sidecar url -> (fs, its folder, fs protocol)

    # -- rows ----------------------------------------------------------------

    def read(self, file: InputFile) -> Iterator[Record]:
        # A default id is the image's name below the pattern's fixed folder, like a text file's: two sidecars
        # in part0/ and part1/ that both name img00.png give part0/img00 and part1/img00, not one id twice.
        folder = posixpath.dirname(file.url)
        root = (file.root or "").rstrip("/")
        self._id_prefix = folder[len(root):].strip("/") + "/" if root and folder.startswith(root) \
            and folder[len(root):].strip("/") else ""
        # The JSONL and CSV readers do the row parsing and their rejects; each row comes back to make_record.
        if is_csv(file.url):
            return CsvReader.read(self, file)  # type: ignore[arg-type]
        return JsonlReader.read(self, file)  # type: ignore[arg-type]

    def make_record(self, row: dict, file: str, line: int) -> Record | None:
        get = self._get
        raw_id = get["id"](row)
        rid = f"{self.source}:{_as_str(raw_id)}" if raw_id not in (None, "") else None
        image_key, name = self._image_name(row)
        if name is None or name == "":
            self.reject(file, line, "missing-image-field",
                        f"no value at {' / '.join(repr(p) for p in self.image_fields)}", id=rid)
            return None
        if not isinstance(name, str):
            self.reject(file, line, "missing-image-field",
                        f"'{image_key}' is {type(name).__name__}, not a file name", id=rid)
            return None
        if rid is None:
            stem = _stem(name)
            prefix = getattr(self, "_id_prefix", "")
            rid = f"{self.source}:{prefix}{stem}" if "://" not in name and not name.startswith("/") \
                else f"{self.source}:{stem}"
        text, caption = get["text"](row), get["caption"](row)
        checked = []
        for column, value in (("text", text), ("caption", caption)):
            if value is not None and not isinstance(value, str):
                self.reject(file, line, "text-not-a-string",
                            f"'{self.fields[column]}' is {type(value).__name__}, not text", id=rid)
                return None
            if value is not None and len(value) > self.max_chars:
                self.reject(file, line, "too-long-document",
                            f"{len(value)} characters > max_chars {self.max_chars}", id=rid)
                return None
            checked.append(value if value is not None and value.strip() else None)  # blank = none
        text, caption = checked
        data = self._load(file, line, name, rid)
        if data is None:
            return None
        try:
            info = probe(data, max_pixels=self.max_pixels, verify=self.verify)
        except ImageError as exc:
            self.reject(file, line, exc.reason, f"{name}: {exc.detail or exc.reason}", id=rid)
            return None
        meta = self._extra(row, image_key)
        record = Record(
            id=rid, source=self.source, text=text, caption=caption, image={"bytes": data, "path": name},
            url=_as_str(get["url"](row)), license_raw=_as_str(get["license"](row)),
            date=_as_str(get["date"](row)), title=_as_str(get["title"](row)), author=_as_str(get["author"](row)),
            content_hash=content_hash(data=data), retrieved_at=_as_str(get["retrieved_at"](row)),
        )
        set_image_info(record, meta, info)
        record.metadata = orjson.dumps(meta, option=orjson.OPT_SORT_KEYS, default=str).decode() if meta else None
        self.stats.add(self.source, 1, 1)
        return record

    def _image_name(self, row: dict) -> tuple[str, Any]:
        for path, get in self._image_get:
            value = get(row)
            if value not in (None, ""):
                return path, value
        return self.image_fields[0], None

    def _extra(self, row: dict, image_key: str) -> dict[str, Any]:
        """The row's fields for ``metadata``: as the base reader chooses them, less the image's name."""
        if self.metadata == "*":
            extra = {k: v for k, v in row.items() if k not in self._whole}
            for path in self._nested:
                if path[0] in extra:
                    extra = _without(extra, path)
            if "." in image_key and image_key not in row:
                extra = _without(extra, image_key.split("."))
            else:
                extra.pop(image_key, None)
            return extra
        if self._meta_get:
            return {p: g(row) for p, g in self._meta_get.items()}
        return {}

    # -- image files ------------------------------------------------------------

    def _place(self, sidecar: str) -> tuple[Any, str, str]:
        place = self._places.get(sidecar)
        if place is None:
            fs, path = fsspec.core.url_to_fs(sidecar, **self.storage_options)
            protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
            place = self._places[sidecar] = (fs, posixpath.dirname(path), protocol)
        return place

    def locate(self, sidecar: str, name: str) -> tuple[Any, str]:
        """The file system and path of the image a sidecar row names."""
        fs, folder, protocol = self._place(sidecar)
        if "://" in name or "::" in name:  # a URL: its own file system (the source's storage options if alike)
            same = name.split("://", 1)[0] == protocol
            return fsspec.core.url_to_fs(name, **(self.storage_options if same else {}))
        if name.startswith("/"):
            return fs, name
        path = posixpath.join(folder, name) if folder else name
        # an object store has no '..': the path is taken as the containment check reads it (pdcorpus.io.paths)
        return fs, path if protocol in ("file", "local") else posixpath.normpath(path)

    def _load(self, sidecar: str, line: int, name: str, rid: str) -> bytes | None:
        try:
            fs, path = self.locate(sidecar, name)
            if not self.allow_outside_paths:
                sidecar_fs, folder, _ = self._place(sidecar)
                problem = outside_folder(sidecar_fs if "://" not in name else fs, folder, name, path)
                if problem is not None:
                    self.reject(sidecar, line, OUTSIDE, problem, id=rid)
                    return None
            with fs.open(path, "rb") as fh:
                data = fh.read() if self.max_image_bytes is None else fh.read(self.max_image_bytes + 1)
        except FileNotFoundError:
            self.reject(sidecar, line, "missing-image", f"no file '{name}'", id=rid)
            return None
        except (OSError, ValueError, ImportError) as exc:  # a folder, no permission, an unknown protocol, ...
            self.reject(sidecar, line, "unreadable-image", f"{name}: {type(exc).__name__}: {exc}", id=rid)
            return None
        if self.max_image_bytes is not None and len(data) > self.max_image_bytes:
            self.reject(sidecar, line, "too-large", f"{name}: more than max_image_bytes {self.max_image_bytes} bytes",
                        id=rid)
            return None
        return data


def read_images(paths: str | list[str], source: str, fields: dict[str, str] | None = None,
                on_reject: RejectSink | None = None, **options: Any) -> Iterator[Record]:
    """Records of every image named by the sidecar files matched by ``paths`` (globs, any fsspec URL)."""
    reader = ImageReader(source, fields=fields, on_reject=on_reject, **options)
    return reader.read_all(expand_paths([paths] if isinstance(paths, str) else paths,
                                        options.get("storage_options")))


__all__ = ["IMAGE_FIELDS", "ImageReader", "InputError", "is_csv", "read_images", "set_image_info"]
