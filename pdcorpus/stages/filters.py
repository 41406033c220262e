"""Cheap per-record filters."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from pdcorpus.record import Record
from pdcorpus.stages.base import FilterStage, StageParams
from pdcorpus.stages.params import stage_params


class LengthParams(StageParams):
    min_chars: int = Field(0, ge=0)
    max_chars: int | None = Field(None, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> "LengthParams":
        if self.max_chars is not None and self.max_chars < self.min_chars:
            raise ValueError(f"max_chars ({self.max_chars}) is smaller than min_chars ({self.min_chars})")
        return self


class LengthFilter(FilterStage):
    """Keeps text records whose length in characters is within bounds (records without text pass)."""

    name = "length"
    Params = LengthParams

    def __init__(self, params: LengthParams | None = None, /, **options: Any) -> None:
        """``LengthFilter(min_chars=50)``, or from validated ``LengthParams``; the defaults are the model's."""
        super().__init__()
        self.params = stage_params(LengthParams, params, options, "LengthFilter")
        self.min_chars = self.params.min_chars
        self.max_chars = self.params.max_chars

    @classmethod
    def from_params(cls, params: LengthParams) -> "LengthFilter":  # type: ignore[override]
        return cls(params)

    def filter(self, record: Record) -> bool | tuple[bool, str]:
        if record.text is None:
            return True
        n = len(record.text)
        if n < self.min_chars:
            return False, "too-short"
        if self.max_chars is not None and n > self.max_chars:
            return False, "too-long"
        return True
