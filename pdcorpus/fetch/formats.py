"""The ``read:`` keys of the network formats (``warc``, ``hf``, ``oai-pmh``), validated with the corpus file.

They are mixed into ``config.ReadConfig``, so that a bad value or a key of another format fails before
any work starts, with the file, the line and the field path like every other config error.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pdcorpus.fetch.options import check_contact, check_networks

# The keys each format takes beyond format, paths, storage_options (paths is required by the file formats).
FORMAT_KEYS: dict[str, tuple[str, ...]] = {
    "warc": ("extract_timeout", "favor"),
    "hf": ("dataset", "split", "config", "revision", "streaming"),
    "oai-pmh": ("endpoint", "metadataPrefix", "set", "from_", "until", "contact", "allow_private_networks",
                "timeout", "retries", "max_retry_after"),
}
CHECKED = ("jsonl", "parquet", "csv", "text", "images", "warc", "hf", "oai-pmh")  # formats whose stray keys are errors
NO_PATHS = ("hf", "oai-pmh")  # formats whose input is not a list of files (``paths`` is set to name it)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")


class NetworkReadOptions(BaseModel):
    """``read:`` keys of warc, hf and oai-pmh sources (see the README's key table)."""

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    # warc
    extract_timeout: float = Field(10.0, gt=0, description="warc: seconds trafilatura may take on one page")
    favor: Literal["precision", "recall", "balanced"] = Field("precision", description="warc: trafilatura's bias")
    # hf
    dataset: str | None = Field(None, min_length=1, description="hf: a local dataset folder, or a Hub id (cache or online)")
    split: str = Field("train", min_length=1)
    config: str | None = Field(None, min_length=1, description="hf: the dataset's configuration (subset) name")
    revision: str | None = Field(None, min_length=1)
    streaming: bool | None = Field(None, description="hf: stream from the Hub (default: when online and not cached)")
    # oai-pmh
    endpoint: str | None = Field(None, description="oai-pmh: the repository's base URL")
    metadataPrefix: str = Field("oai_dc", min_length=1)  # noqa: N815 - the protocol's own spelling
    set: str | None = Field(None, min_length=1)
    from_: str | None = Field(None, alias="from", description="oai-pmh: YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    until: str | None = None
    contact: str | None = Field(None, description="oai-pmh: a URL or mailto: for the User-Agent")
    allow_private_networks: bool | list[str] = False
    timeout: float = Field(60.0, gt=0, description="oai-pmh: seconds for one request")
    retries: int = Field(5, ge=0, le=20, description="oai-pmh: further attempts on 503/429/5xx and network errors")
    max_retry_after: float = Field(600.0, ge=0, description="oai-pmh: a longer Retry-After is an error")

    @field_validator("from_", "until", mode="before")
    @classmethod
    def _yaml_date(cls, value: Any) -> Any:
        """YAML reads an unquoted 2020-01-01 as a date: back to the protocol's text."""
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value.tzinfo else \
                value.strftime("%Y-%m-%dT%H:%M:%SZ")
        if isinstance(value, (date, int)):
            return str(value) if isinstance(value, int) else value.isoformat()
        return value

    @field_validator("from_", "until")
    @classmethod
    def _utc_date(cls, value: str | None) -> str | None:
        if value is not None and not _DATE.match(value):
            raise ValueError(f"'{value}' is not an OAI-PMH date: write YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
        return value

    @field_validator("endpoint")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"endpoint must be an http(s) URL, got '{value}'")
        return value

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str | None) -> str | None:
        return None if value is None else check_contact(value)

    @field_validator("allow_private_networks")
    @classmethod
    def _networks(cls, value: bool | list[str]) -> bool | list[str]:
        return check_networks(value)

    @model_validator(mode="before")
    @classmethod
    def _input_named(cls, data: Any) -> Any:
        """hf and oai-pmh read no files: their input is the dataset or endpoint, which ``paths`` then names."""
        if isinstance(data, dict) and data.get("format") in NO_PATHS:
            fmt = data["format"]
            what = "dataset" if fmt == "hf" else "endpoint"
            if data.get("paths"):
                raise ValueError(f"format {fmt} reads no files: give '{what}' instead of paths")
            if not data.get(what):
                raise ValueError("format hf needs 'dataset': a local dataset folder or a Hub id (ORG/NAME)"
                                 if fmt == "hf" else
                                 "format oai-pmh needs 'endpoint': the repository's OAI-PMH base URL")
            data = {**data, "paths": [str(data[what])]}
        return data

    @model_validator(mode="after")
    def _keys_of_format(self) -> "NetworkReadOptions":
        fmt = getattr(self, "format", None)
        given = self.model_fields_set
        # formats added elsewhere (e.g. urls) may define keys of the same names: only the known ones are checked
        for other, keys in (FORMAT_KEYS.items() if fmt in CHECKED else ()):
            if other == fmt:
                continue
            stray = [k for k in keys if k in given and k not in FORMAT_KEYS.get(fmt, ())]
            if stray:
                names = ", ".join("from" if k == "from_" else k for k in stray)
                raise ValueError(f"{names}: only for format {other}, this source reads {fmt}")
        if self.from_ and self.until and len(self.from_) != len(self.until):
            raise ValueError("from and until must have the same granularity (both days or both seconds)")
        return self


def read_options(read: Any) -> dict[str, Any]:
    """The reader keyword arguments of a network format's ``read:`` block."""
    fmt = read.format
    return {key: getattr(read, key) for key in FORMAT_KEYS.get(fmt, ())}
