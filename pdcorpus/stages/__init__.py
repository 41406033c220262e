"""Stages by family, and the registry that maps a YAML key to a stage.

The registry names the built-in stages by module and class and imports a stage on first use, so that
importing the stage contract does not import every stage (nor what they need: language models, the fetcher).
A stage defined elsewhere is added with ``register_stage(MyStage)``.
"""

from __future__ import annotations

import importlib
from typing import Any, Iterator

from pdcorpus.stages.base import (BucketReduceStage, FilterStage, GlobalStage, MapStage, Pipeline, Reject,  # noqa: F401
                                  Stage, StageContext, StageParams, StageStats)


class Registry(dict):
    """YAML key -> stage class; a value may be ``"module:Class"``, imported when first looked up."""

    def __getitem__(self, key: str) -> type:
        value = super().__getitem__(key)
        if isinstance(value, str):
            module, _, attr = value.partition(":")
            value = getattr(importlib.import_module(module), attr)
            super().__setitem__(key, value)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default

    def values(self) -> Iterator[type]:  # type: ignore[override]
        return (self[k] for k in self)

    def items(self) -> Iterator[tuple[str, type]]:  # type: ignore[override]
        return ((k, self[k]) for k in self)


# A stage's ``Params`` model validates its config.
REGISTRY: Registry = Registry({
    "length": "pdcorpus.stages.filters:LengthFilter",
    "dedup": "pdcorpus.stages.dedup:Dedup",
    "rights": "pdcorpus.stages.rights:RightsStage",
    "language": "pdcorpus.stages.language:LanguageStage",
    "normalize": "pdcorpus.stages.quality:NormalizeStage",
    "quality": "pdcorpus.stages.quality:QualityStage",
    "fetch": "pdcorpus.fetch.stage:FetchStage",
    "optout": "pdcorpus.stages.optout:OptOutStage",
})


def register_stage(cls: type) -> type:
    """Adds a stage class under its ``name`` (the YAML key); returns it, so that it can decorate the class.
    Its ``Params`` (a ``StageParams`` model) validates its options with the corpus file."""
    if not getattr(cls, "name", None) or cls.name == "stage":
        raise ValueError(f"{cls.__name__}: a stage needs a name, the key that the corpus file uses")
    REGISTRY[cls.name] = cls
    return cls


# the stage classes, for `from pdcorpus.stages import ExactDedup` (imported on first use)
_CLASSES = {
    "ExactDedup": "pdcorpus.stages.dedup", "MinHashDedup": "pdcorpus.stages.dedup", "PHashDedup": "pdcorpus.stages.dedup",
    "LengthFilter": "pdcorpus.stages.filters", "LanguageStage": "pdcorpus.stages.language",
    "NormalizeStage": "pdcorpus.stages.quality", "QualityStage": "pdcorpus.stages.quality",
    "RightsStage": "pdcorpus.stages.rights", "FetchStage": "pdcorpus.fetch.stage",
    "OptOutStage": "pdcorpus.stages.optout",
}


def __getattr__(name: str) -> Any:
    if name in _CLASSES:
        value = getattr(importlib.import_module(_CLASSES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pdcorpus.stages' has no attribute '{name}'")


__all__ = ["REGISTRY", "BucketReduceStage", "FilterStage", "GlobalStage", "MapStage", "Pipeline", "Reject", "Stage",
           "StageContext", "StageParams", "StageStats", "register_stage", *_CLASSES]
