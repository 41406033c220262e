"""The ``dedup:`` key of a corpus file: its options, for every method."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from pdcorpus.stages.base import StageParams


class DedupParams(StageParams):
    method: Literal["exact", "minhash", "phash"] = "exact"
    # the output folder (or URL) of an earlier build: records it published are not published again
    against: str | None = None
    # minhash only: near-duplicates are pairs whose estimated Jaccard similarity of word n-grams
    # reaches `threshold`; bands and rows follow from it unless given
    threshold: float = Field(0.8, gt=0, lt=1)
    num_perm: int = Field(128, ge=16, le=1024)
    ngram: int = Field(5, ge=1, le=32)
    seed: int = 1
    bands: int | None = Field(None, ge=1)
    rows: int | None = Field(None, ge=1)
    # minhash only: a pair whose estimate is within this of the threshold is decided on the exact Jaccard
    # similarity of its records' shingle sets (0: on the estimate alone)
    exact_margin: float = Field(0.1, ge=0, lt=1)
    # phash only (images): near-duplicates are images whose 64-bit perceptual hashes differ in at most this many bits
    max_distance: int = Field(4, ge=0, le=15)

    @model_validator(mode="after")
    def _shape(self) -> "DedupParams":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")
        return self
