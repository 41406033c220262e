"""Input formats: one registry, where each format brings its reader, its ``read:`` keys and its planning hints.

A format is a ``Reader`` subclass (``pdcorpus.io.readers``) with

- ``format``: its name, the value of ``read.format``;
- ``Options``: a pydantic model of its ``read:`` block (a subclass of ``ReadOptions``, which has the keys every
  format shares), validated with the corpus file, so a bad value fails before any work starts with the file,
  line and field;
- planning hints, each with a default: ``list_inputs`` (the files ``paths`` matches), ``group_inputs`` (one
  read task per input), ``parts`` (a task reads a whole input), ``estimated_bytes`` (compressed inputs hold
  more text), ``unique_ids`` (whether ids are unique without checking), ``modality`` (``text`` or ``image``).

Built-in formats are registered by name and module and imported on first use, so that listing the formats
does not import trafilatura or warcio; a plugin registers its class with ``register_format(MyReader)``.
"""

from __future__ import annotations

import difflib
import importlib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

if TYPE_CHECKING:  # pragma: no cover
    from pdcorpus.io.readers import Reader


class ReadOptions(BaseModel):
    """The ``read:`` keys of every format; a format's ``Options`` adds its own. Unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())

    format: str
    paths: list[str] = Field(min_length=1)
    storage_options: dict[str, Any] = Field(default_factory=dict)
    limit: int | None = Field(None, ge=1, description="read at most this many records of the source, in one "
                              "task (a slice, to try a corpus file; `pdcorpus build --limit N` sets it for every source)")
    allow_outside_paths: bool = Field(False, description="file names from data (image sidecars, text-folder "
                                      "listings) may lead out of their folder: absolute, '..', symlinks, URLs")

    @field_validator("format")
    @classmethod
    def _registered(cls, value: str) -> str:
        get_format(value)  # an unknown format names the known ones
        return value

    @field_validator("paths", mode="before")
    @classmethod
    def _one_path(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def reader_options(self) -> dict[str, Any]:
        """The reader's keyword arguments: every key but ``format`` and ``paths`` (the plan's business)."""
        return {name: getattr(self, name) for name in type(self).model_fields if name not in ("format", "paths", "limit")}


# name -> the reader class, or "module:Class" until first use
_FORMATS: dict[str, Any] = {
    "jsonl": "pdcorpus.io.readers:JsonlReader",
    "parquet": "pdcorpus.io.readers:ParquetReader",
    "csv": "pdcorpus.io.readers:CsvReader",
    "text": "pdcorpus.io.readers:TextReader",
    "images": "pdcorpus.io.images:ImageReader",
    "warc": "pdcorpus.fetch.warc:WarcReader",
    "hf": "pdcorpus.fetch.hf:HfReader",
    "oai-pmh": "pdcorpus.fetch.oai:OaiReader",
    "urls": "pdcorpus.fetch.urls:UrlReader",
    "gutenberg": "pdcorpus.sources.gutenberg:GutenbergReader",
    "internet-archive": "pdcorpus.sources.internet_archive:InternetArchiveReader",
    "mediawiki": "pdcorpus.sources.mediawiki:MediaWikiReader",
    "bhl": "pdcorpus.sources.bhl:BhlReader",
    "commons": "pdcorpus.sources.commons:CommonsReader",
    "met": "pdcorpus.sources.met:MetReader",
    "inaturalist": "pdcorpus.sources.inaturalist:InatReader",
}


class UnknownFormat(ValueError):
    pass


def register_format(reader: "type[Reader] | str", name: str | None = None) -> Any:
    """Registers a reader class (or ``"module:Class"``) under its ``format`` (or ``name``); returns it, so that
    it can decorate the class."""
    key = name or (reader.format if not isinstance(reader, str) else None)
    if not key or key == "?":
        raise ValueError("a format needs a name: set the reader's 'format' or pass name=")
    _FORMATS[key] = reader
    return reader


def unregister_format(name: str) -> None:
    _FORMATS.pop(name, None)


def format_names() -> list[str]:
    return list(_FORMATS)


def get_format(name: str) -> "type[Reader]":
    """The reader class of a format, imported on first use."""
    try:
        entry = _FORMATS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), list(_FORMATS), n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise UnknownFormat(f"unknown format '{name}'{hint}; formats: {', '.join(_FORMATS)}") from None
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = _FORMATS[name] = getattr(importlib.import_module(module), attr)
    return entry


def options_model(name: str) -> type[ReadOptions]:
    return get_format(name).Options
