"""Stages by family, and the registry that maps a YAML key to a stage."""

from __future__ import annotations

from pdcorpus.stages.base import (FilterStage, GlobalStage, MapStage, Pipeline, Reject, Stage, StageContext,
                                  StageParams, StageStats)
from pdcorpus.stages.dedup import Dedup, ExactDedup, MinHashDedup
from pdcorpus.stages.filters import LengthFilter
from pdcorpus.stages.language import LanguageStage
from pdcorpus.stages.quality import NormalizeStage, QualityStage
from pdcorpus.stages.rights import RightsStage
from pdcorpus.fetch.stage import FetchStage
from pdcorpus.stages.optout import OptOutStage

# YAML key -> stage class. A stage's ``Params`` model validates its config.
REGISTRY: dict[str, type] = {
    "length": LengthFilter,
    "dedup": Dedup,
    "rights": RightsStage,
    "language": LanguageStage,
    "normalize": NormalizeStage,
    "quality": QualityStage,
    "fetch": FetchStage,
    "optout": OptOutStage,
}

__all__ = ["REGISTRY", "ExactDedup", "FilterStage", "GlobalStage", "LanguageStage", "LengthFilter", "MapStage", "MinHashDedup",
           "NormalizeStage", "QualityStage",
           "Pipeline", "Reject", "RightsStage", "Stage", "StageContext", "StageParams", "StageStats"]
