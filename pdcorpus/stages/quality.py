"""Text repair, and cheap quality signals kept as a column, with thresholds apart from the scores.

``normalize`` repairs text (Unicode NFC, mojibake through ftfy, control
characters, white space) and recomputes ``content_hash``. ``quality`` writes
the ``quality`` column (length, alphabetic ratio, repeated-line ratio,
OCR-noise ratio) and drops only on thresholds the config gives. A record that
already carries signals (read back from an earlier build) keeps them: a
threshold changes the decision without recomputing the scores.
"""

from __future__ import annotations

import re
import string
import unicodedata
from typing import Any, Iterable, Iterator, Literal

from pydantic import Field

from pdcorpus.record import Record, content_hash
from pdcorpus.stages.base import MapStage, Stage, StageParams
from pdcorpus.stages.params import stage_params

QUALITY_FIELDS = ("chars", "alpha_ratio", "repeated_line_ratio", "ocr_noise_ratio")

_SPACE_AND_PUNCT = str.maketrans("", "", string.whitespace + string.punctuation + string.digits + "«»“”„‘’—–…¿¡·")
_SPACE = str.maketrans("", "", string.whitespace)
# A token OCR typically mangles: letters and digits mixed (th1s, 0f), stray symbols inside, or an
# implausibly long run without a space.
_NOISE = re.compile(r"(?=\S*[^\W\d_])(?=\S*\d)\S+|\S*[|\\~^_{}<>@#$%*=+¦§]\S*|\S{30,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\ufeff]")
_RUNS_OF_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u3000]+")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def quality_signals(text: str) -> dict[str, float | int]:
    """The signals of one text; ratios in [0, 1], rounded to 4 places."""
    chars = len(text)
    visible = len(text.translate(_SPACE))
    letters = len(text.translate(_SPACE_AND_PUNCT))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    repeated = len(lines) - len(set(lines))
    tokens = len(text.split())
    noise = len(_NOISE.findall(text))
    return {
        "chars": chars,
        "alpha_ratio": round(letters / visible, 4) if visible else 0.0,
        "repeated_line_ratio": round(repeated / len(lines), 4) if lines else 0.0,
        "ocr_noise_ratio": round(min(1.0, noise / tokens), 4) if tokens else 0.0,
    }


class QualityParams(StageParams):
    min_chars: int | None = Field(None, ge=0)
    min_alpha_ratio: float | None = Field(None, ge=0, le=1)
    max_repeated_line_ratio: float | None = Field(None, ge=0, le=1)
    max_ocr_noise_ratio: float | None = Field(None, ge=0, le=1)


class QualityStage(Stage):
    """Writes the ``quality`` column; drops only on the thresholds given."""

    name = "quality"
    Params = QualityParams

    def __init__(self, params: QualityParams | None = None, /, **options: Any) -> None:
        """``QualityStage(min_alpha_ratio=0.5)``, or from validated ``QualityParams`` (no threshold by default)."""
        super().__init__()
        self.params = p = stage_params(QualityParams, params, options, "QualityStage")
        self.rules = [(field, bound, kind) for field, bound, kind in (
            ("chars", p.min_chars, "min"), ("alpha_ratio", p.min_alpha_ratio, "min"),
            ("repeated_line_ratio", p.max_repeated_line_ratio, "max"),
            ("ocr_noise_ratio", p.max_ocr_noise_ratio, "max"),
        ) if bound is not None]

    @classmethod
    def from_params(cls, params: QualityParams) -> "QualityStage":  # type: ignore[override]
        return cls(params)

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        for record in records:
            if record.quality is None:
                text = record.text if record.text is not None else record.caption
                record.quality = quality_signals(text or "")
            failed = next(((f, b, k) for f, b, k in self.rules
                           if (record.quality[f] < b if k == "min" else record.quality[f] > b)), None)
            if failed is None:
                add(record.source, 1, 1)
                yield record
            else:
                field, bound, kind = failed
                add(record.source, 1, 0)
                self.drop(record, f"{'low' if kind == 'min' else 'high'}-{field.replace('_', '-')}",
                          f"{field} {record.quality[field]} {'<' if kind == 'min' else '>'} {bound}")


class NormalizeParams(StageParams):
    unicode: Literal["NFC", "NFKC", "none"] = "NFC"
    fix_mojibake: bool = True  # ftfy: "cafÃ©" -> "café"
    control: bool = True  # drop control characters (keeps newlines and tabs), zero-width spaces, stray BOMs
    whitespace: bool = True  # runs of spaces as one, no trailing spaces, at most two blank lines in a row


class NormalizeStage(MapStage):
    """Repairs text and caption; the content hash follows the repaired text."""

    name = "normalize"
    Params = NormalizeParams

    def __init__(self, params: NormalizeParams | None = None, /, **options: Any) -> None:
        """``NormalizeStage(unicode="NFKC")``, or from validated ``NormalizeParams``; the defaults are the model's."""
        super().__init__()
        self.params = p = stage_params(NormalizeParams, params, options, "NormalizeStage")
        self.unicode = p.unicode
        self.control = p.control
        self.whitespace = p.whitespace
        self._fix = None
        if p.fix_mojibake:
            import ftfy
            # ftfy's own normalization and quote changes are left to the other options: repair mojibake only.
            self._fix = lambda t: ftfy.fix_text(t, normalization=None, uncurl_quotes=False, fix_line_breaks=False,
                                                fix_latin_ligatures=False, fix_character_width=False)

    @classmethod
    def from_params(cls, params: NormalizeParams) -> "NormalizeStage":  # type: ignore[override]
        return cls(params)

    def repair(self, text: str) -> str:
        if self._fix is not None and not text.isascii():
            text = self._fix(text)
        if self.unicode != "none":
            text = unicodedata.normalize(self.unicode, text)
        if self.control:
            text = _CONTROL.sub("", text)
        if self.whitespace:
            text = "\n".join(_RUNS_OF_SPACE.sub(" ", line).strip() for line in text.replace("\r\n", "\n").split("\n"))
            text = _MANY_BLANK_LINES.sub("\n\n", text).strip()
        return text

    def map(self, record: Record) -> Record:
        if record.text is not None:
            repaired = self.repair(record.text)
            if repaired != record.text:
                record.text = repaired
                record.content_hash = content_hash(repaired)
        elif record.caption is not None:
            repaired = self.repair(record.caption)
            if repaired != record.caption:
                record.caption = repaired
                if record.image is None:
                    record.content_hash = content_hash(repaired)
        return record
