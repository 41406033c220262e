"""Stages by family, and the registry that maps a YAML key to a stage."""

from __future__ import annotations

from pdcorpus.stages.base import (FilterStage, GlobalStage, MapStage, Pipeline, Reject, Stage, StageContext,
                                  StageParams, StageStats)
from pdcorpus.stages.dedup import ExactDedup
from pdcorpus.stages.filters import LengthFilter
from pdcorpus.stages.rights import RightsStage

# YAML key -> stage class. A stage's ``Params`` model validates its config.
REGISTRY: dict[str, type[Stage]] = {
    "length": LengthFilter,
    "dedup": ExactDedup,
    "rights": RightsStage,
}

__all__ = ["REGISTRY", "ExactDedup", "FilterStage", "GlobalStage", "LengthFilter", "MapStage",
           "Pipeline", "Reject", "RightsStage", "Stage", "StageContext", "StageParams", "StageStats"]
