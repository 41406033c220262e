"""The ``read:`` keys of the network formats (``warc``, ``hf``, ``oai-pmh``, ``urls``): each format's ``Options``.

They are validated with the corpus file (see ``pdcorpus.io.formats``), so that a bad value or a key of another
format fails before any work starts, with the file, the line and the field path like every other config error.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from pdcorpus.fetch.options import FetchOptions, check_contact, check_networks
from pdcorpus.io.formats import ReadOptions

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$")


class WarcOptions(ReadOptions):
    extract_timeout: float = Field(10.0, gt=0, description="seconds trafilatura may take on one page")
    favor: Literal["precision", "recall", "balanced"] = Field("precision", description="trafilatura's bias")


def _named_input(data: Any, what: str, message: str) -> Any:
    """hf and oai-pmh read no files: their input is the dataset or endpoint, which ``paths`` then names."""
    if isinstance(data, dict):
        if data.get("paths"):
            raise ValueError(f"format {data.get('format')} reads no files: give '{what}' instead of paths")
        if not data.get(what):
            raise ValueError(message)
        data = {**data, "paths": [str(data[what])]}
    return data


class HfOptions(ReadOptions):
    dataset: str = Field(min_length=1, description="a local dataset folder, or a Hub id (cache or online)")
    split: str = Field("train", min_length=1)
    config: str | None = Field(None, min_length=1, description="the dataset's configuration (subset) name")
    revision: str | None = Field(None, min_length=1)
    streaming: bool | None = Field(None, description="stream from the Hub (default: when online and not cached)")

    @model_validator(mode="before")
    @classmethod
    def _input_named(cls, data: Any) -> Any:
        return _named_input(data, "dataset", "format hf needs 'dataset': a local dataset folder or a Hub id (ORG/NAME)")


class OaiOptions(ReadOptions):
    endpoint: str = Field(description="the repository's base URL")
    metadataPrefix: str = Field("oai_dc", min_length=1)  # noqa: N815 - the protocol's own spelling
    set: str | None = Field(None, min_length=1)
    from_: str | None = Field(None, alias="from", description="YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ")
    until: str | None = None
    contact: str | None = Field(None, description="a URL or mailto: for the User-Agent")
    allow_private_networks: bool | list[str] = False
    timeout: float = Field(60.0, gt=0, description="seconds for one request")
    retries: int = Field(5, ge=0, le=20, description="further attempts on 503/429/5xx and network errors")
    max_retry_after: float = Field(600.0, ge=0, description="a longer Retry-After is an error")

    @model_validator(mode="before")
    @classmethod
    def _input_named(cls, data: Any) -> Any:
        return _named_input(data, "endpoint", "format oai-pmh needs 'endpoint': the repository's OAI-PMH base URL")

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
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
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

    @model_validator(mode="after")
    def _granularity(self) -> "OaiOptions":
        if self.from_ and self.until and len(self.from_) != len(self.until):
            raise ValueError("from and until must have the same granularity (both days or both seconds)")
        return self

    def reader_options(self) -> dict[str, Any]:
        return {**super().reader_options(), "from_": self.from_}


class UrlOptions(ReadOptions):
    # what a source of another format that has one of these keys is told
    elsewhere: ClassVar[dict[str, str]] = {"fetch": "to fetch the url of records, add a fetch stage"}

    fetch: FetchOptions = Field(description="how to fetch (pdcorpus.fetch.options)")
    delimiter: str = Field(",", min_length=1, max_length=1, description="of a CSV list of URLs")

    @model_validator(mode="before")
    @classmethod
    def _fetch_block(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("fetch") is None:
            raise ValueError("a urls source needs a fetch block (at least fetch.contact)")
        return data
