"""Smithsonian Open Access: its rights fields (the reader itself is not written yet).

An EDAN record (https://edan.si.edu/openaccess/docs/, api.si.edu) states its usage in
``content.descriptiveNonRepeating.metadata_usage.access`` ("CC0" for Open Access items, "Usage conditions
apply" otherwise); each media file under ``content.descriptiveNonRepeating.online_media.media[]`` has its own
``usage.access``. ``rights`` reads either the ``metadata_usage`` block or a bare ``access`` value.
"""

from __future__ import annotations

from typing import Any


def rights(meta: dict) -> Any:
    """``access: CC0`` -> CC0-1.0; any other access value -> in copyright (usage conditions apply) (``Normalized``)."""
    from pdcorpus.rights.normalize import UNKNOWN, Normalized

    access = meta.get("access", (meta.get("metadata_usage") or {}).get("access"))
    if isinstance(access, str) and access.strip().upper() == "CC0":
        return Normalized("CC0-1.0", "smithsonian access: CC0")
    if isinstance(access, str) and access.strip():
        return Normalized("InC", f"smithsonian access: {access.strip()}")
    return Normalized(UNKNOWN, "smithsonian record without access", missing=True)


def detects(keys: set[str]) -> bool:
    return "access" in keys or "metadata_usage" in keys


__all__ = ["detects", "rights"]
