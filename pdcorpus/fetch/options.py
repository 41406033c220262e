"""The ``fetch:`` block: how pdcorpus talks to web servers (a ``urls`` source's ``read.fetch``, or the ``fetch`` stage).

Validated with the rest of the corpus file, so a bad value fails before any request is made. Every
limit has a default a site operator would call polite: one request per second and two connections
per host, bounded retries, a 10 MB body limit, five redirects, no private addresses.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from pdcorpus.fetch.reservations import ReservationOptions
from pdcorpus.io.parquet import parse_size
from pdcorpus.stages.base import StageParams

PAGE_TYPES = ["text/html", "application/xhtml+xml", "text/plain"]
IMAGE_TYPES = ["image/*"]


def check_contact(value: str) -> str:
    """A contact for the User-Agent: a URL or mailto: where the people running a server can reach you."""
    if not value.startswith(("http://", "https://", "mailto:")):
        raise ValueError(f"contact must be a URL (https://...) or mailto: address where site operators can "
                         f"reach you; got '{value}'")
    return value


def check_networks(value: bool | list[str]) -> bool | list[str]:
    """``allow_private_networks``: true, or IP networks whose non-public addresses may be contacted."""
    if isinstance(value, list):
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"'{item}' is not an IP network (write e.g. 127.0.0.0/8 or 10.1.2.3/32)") from None
    return value


class HostLimits(StageParams):
    """Limits for one host (``hosts: {"images.example.org": {...}}``); unset values take the block's."""

    requests_per_second: float | None = Field(None, gt=0)
    burst: int | None = Field(None, ge=1)
    connections_per_host: int | None = Field(None, ge=1, le=64)


class ImageOptions(StageParams):
    """Responses are images (PD12M style): verified with Pillow, measured, optionally resized."""

    max_pixels: int | None = Field(178_956_970, ge=1, description="decompression-bomb limit (width x height)")
    max_side: int | None = Field(None, ge=8, description="resize so that the longest side is at most this")
    format: Literal["JPEG", "PNG", "WEBP"] | None = Field(None, description="re-encode resized images as this")
    quality: int = Field(90, ge=1, le=100, description="JPEG / WebP quality when re-encoding")
    store: Literal["bytes", "url"] = Field("bytes", description="keep the image bytes, or only the URL")

    @field_validator("format", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        value = value.upper() if isinstance(value, str) else value
        return "JPEG" if value == "JPG" else value


class FetchOptions(StageParams):
    """How to fetch: identification, politeness, retries, limits, safety, cache."""

    contact: str = Field(min_length=4, description="a URL or mailto: where site operators reach you (User-Agent)")
    user_agent: str = Field("pdcorpus", min_length=1, description="product token; the version and contact are added")
    requests_per_second: float = Field(1.0, gt=0, description="per host, across every worker on this machine")
    burst: int = Field(1, ge=1, description="requests a host may receive at once after a quiet spell")
    connections_per_host: int = Field(2, ge=1, le=64)
    hosts: dict[str, HostLimits] = Field(default_factory=dict, description="per-host overrides")
    concurrency: int = Field(32, ge=1, le=1024, description="requests in flight per worker process, all hosts")
    timeout: float = Field(30.0, gt=0, description="seconds for one attempt: connect, headers and the whole body")
    connect_timeout: float = Field(10.0, gt=0)
    retries: int = Field(3, ge=0, le=10, description="attempts = retries + 1, on 408/429/5xx, timeouts, connection errors")
    backoff: float = Field(1.0, ge=0, description="base seconds of exponential backoff (full jitter)")
    max_backoff: float = Field(60.0, ge=0)
    max_retry_after: float = Field(120.0, ge=0, description="a longer Retry-After gives up instead of waiting")
    max_bytes: int = Field(10 * 10**6, ge=1, description="bodies larger than this are refused (streamed, aborted)")
    content_types: list[str] | None = Field(None, description="allowed MIME types (type/* wildcards); "
                                                             "default: pages, or image/* with images")
    max_redirects: int = Field(5, ge=0, le=30)
    robots: bool = Field(True, description="obey robots.txt (RFC 9309) for user_agent, and its Crawl-delay; its "
                                           "groups for reservations.ai_agents reserve URLs too")
    reservations: ReservationOptions = Field(default_factory=ReservationOptions,
                                             description="TDMRep, noai, Content-Usage checks (fetch/reservations.py)")
    allow_private_networks: bool | list[str] = Field(
        False, description="true, or networks (CIDR) whose private addresses may be fetched, e.g. [127.0.0.0/8]")
    cache: str | None = Field(None, description="folder or fsspec URL keeping responses by URL")
    cache_storage_options: dict[str, Any] = Field(default_factory=dict)
    urls_per_task: int = Field(1000, ge=1, description="urls source: lines of a URL list per task")
    window: int = Field(256, ge=1, description="records in flight per task (output keeps input order)")
    extract_timeout: float = Field(10.0, gt=0, description="seconds for trafilatura on one page")
    images: ImageOptions | None = None

    @field_validator("max_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int:
        return parse_size(value)

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        return check_contact(value)

    @field_validator("allow_private_networks")
    @classmethod
    def _networks(cls, value: bool | list[str]) -> bool | list[str]:
        return check_networks(value)

    @model_validator(mode="after")
    def _types(self) -> "FetchOptions":
        if self.content_types is None:
            self.content_types = list(IMAGE_TYPES if self.images is not None else PAGE_TYPES)
        self.content_types = [t.strip().lower() for t in self.content_types]
        return self

    def limits_for(self, host: str) -> tuple[float, int, int]:
        """(requests per second, burst, connections) for a host."""
        own = self.hosts.get(host) or HostLimits()
        return (own.requests_per_second or self.requests_per_second, own.burst or self.burst,
                own.connections_per_host or self.connections_per_host)
