"""Deduplication across all sources: exact by content hash (``exact.py``), near by MinHash LSH over texts or
perceptual hashes of images (``near.py``, one stage with two kinds of signature), and an earlier release to
dedup against (``previous.py``). The ``dedup:`` key of a corpus file chooses by ``method``."""

from __future__ import annotations

from pdcorpus.stages.base import GlobalStage
from pdcorpus.stages.dedup.exact import ExactDedup
from pdcorpus.stages.dedup.near import (MinHashDedup, MinHashSignatures, NearDedup, PHashDedup, PHashSignatures,
                                        candidate_pairs, exact_jaccard, shingle_sets)
from pdcorpus.stages.dedup.params import DedupParams
from pdcorpus.stages.dedup.previous import PREVIOUS, PREVIOUS_PREFIX


class Dedup:
    """The ``dedup`` key of a corpus file: ``method: exact`` or ``method: minhash``."""

    name = "dedup"
    is_global = True
    Params = DedupParams

    @staticmethod
    def from_params(params: DedupParams) -> GlobalStage:
        return {"minhash": MinHashDedup, "phash": PHashDedup, "exact": ExactDedup}[params.method](params)


__all__ = ["PREVIOUS", "PREVIOUS_PREFIX", "Dedup", "DedupParams", "ExactDedup", "MinHashDedup", "MinHashSignatures",
           "NearDedup", "PHashDedup", "PHashSignatures", "candidate_pairs", "exact_jaccard", "shingle_sets"]
