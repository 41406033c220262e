#!/usr/bin/env python3
"""Generate a synthetic but realistic multilingual corpus for benchmarking pdcorpus (and its peers).

Text is built from real word frequencies (the ``wordfreq`` package, whose word lists ship inside
the wheel, so nothing is downloaded), in ten languages with an uneven mix, with log-normal document
lengths, exact duplicates (identical, whitespace-, case- and Unicode-form variants, some across
sources), near duplicates at controlled 5-word-shingle Jaccard similarities, and a realistic mess
of rights strings, language hints, URLs and dates.

    python benchmarks/generate_corpus.py --docs 100000 --out benchmarks/data/corpus [--seed 0] [--files 8]

Writes ``<out>/part-00000.jsonl.gz`` ... with records

    {"doc_id", "text", "rights", "url", "lang_hint", "date"}

and keeps the ground truth apart, in ``<out>/../<name>-truth/`` (or ``--truth PATH``):

* ``truth.jsonl``      one line per document: true language, exact-duplicate group, near-duplicate group, ...
* ``near_pairs.jsonl`` every pair of documents inside a near-duplicate group with its measured Jaccard
* ``summary.json``     counts (documents, documents >= 50 chars, unique texts under several normalisations)

The output is deterministic for a given ``--seed`` (byte for byte, whatever ``--workers``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import multiprocessing as mp
import os
import re
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import orjson

    def _dumps(obj) -> bytes:
        return orjson.dumps(obj)
except ImportError:  # pragma: no cover - orjson is optional

    def _dumps(obj) -> bytes:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


GENERATOR_VERSION = 1

# --------------------------------------------------------------------------------------------
# Knobs
# --------------------------------------------------------------------------------------------

LANG_MIX = {
    "en": 0.40,
    "fr": 0.12,
    "de": 0.12,
    "es": 0.10,
    "it": 0.06,
    "nl": 0.05,
    "pt": 0.05,
    "pl": 0.04,
    "sv": 0.03,
    "fi": 0.03,
}

VOCAB_SIZE = 30_000

# wordfreq splits elisions ("l'homme" -> "l", "homme"), which leaves stray single letters; keep only
# the single-letter words that are real words in each language.
SINGLE_LETTER_WORDS = {
    "en": {"a", "i"},
    "fr": {"a", "à", "y"},
    "de": set(),
    "es": {"a", "y", "o", "e", "u"},
    "it": {"e", "a", "è", "o"},
    "nl": {"u"},
    "pt": {"a", "o", "e", "é"},
    "pl": {"w", "z", "i", "a", "o", "u"},
    "sv": {"i", "å", "ö"},
    "fi": set(),
}

# How language hints look in real metadata, per true language.
LANG_HINT_FORMS = {
    "en": ["eng", "English", "en-US", "en-GB", "EN"],
    "fr": ["fre", "fra", "French", "fr-FR", "français"],
    "de": ["ger", "deu", "German", "de-DE", "Deutsch"],
    "es": ["spa", "Spanish", "es-ES", "español"],
    "it": ["ita", "Italian", "it-IT"],
    "nl": ["dut", "nld", "Dutch", "nl-NL"],
    "pt": ["por", "Portuguese", "pt-BR", "pt-PT"],
    "pl": ["pol", "Polish", "pl-PL"],
    "sv": ["swe", "Swedish", "sv-SE"],
    "fi": ["fin", "Finnish", "fi-FI"],
}

# Sources: (name, weight, rights mix). Rights strings are the ones seen in the wild, per source.
SOURCES = {
    "gutenberg": (
        0.30,
        [
            ("Public domain in the USA.", 0.86),
            ("Copyrighted. Read the copyright notice inside this book for details.", 0.08),
            ("", 0.03),
            ("Public Domain", 0.03),
        ],
    ),
    "archive": (
        0.20,
        [
            ("http://rightsstatements.org/vocab/NoC-US/1.0/", 0.22),
            ("https://creativecommons.org/publicdomain/mark/1.0/", 0.18),
            ("No known copyright restrictions", 0.12),
            ("http://creativecommons.org/publicdomain/zero/1.0/", 0.10),
            ("https://creativecommons.org/licenses/by-nc-sa/3.0/", 0.08),
            ("http://rightsstatements.org/vocab/InC/1.0/", 0.06),
            ("", 0.20),
            ("Public domain", 0.04),
        ],
    ),
    "wikisource": (
        0.15,
        [
            ("CC-BY-SA-4.0", 0.45),
            ("https://creativecommons.org/licenses/by-sa/4.0/", 0.25),
            ("https://creativecommons.org/publicdomain/mark/1.0/", 0.20),
            ("CC-BY-SA-3.0", 0.10),
        ],
    ),
    "europeana": (
        0.12,
        [
            ("http://creativecommons.org/publicdomain/zero/1.0/", 0.25),
            ("https://creativecommons.org/publicdomain/mark/1.0/", 0.22),
            ("http://rightsstatements.org/vocab/InC/1.0/", 0.10),
            ("http://www.europeana.eu/rights/rr-f/", 0.10),
            ("https://creativecommons.org/licenses/by/4.0/", 0.13),
            ("https://creativecommons.org/licenses/by-nc-sa/3.0/", 0.08),
            ("http://rightsstatements.org/vocab/NoC-US/1.0/", 0.07),
            ("http://creativecommons.org/licenses/by-nc-nd/4.0/", 0.05),
        ],
    ),
    "hathitrust": (
        0.10,
        [
            ("http://rightsstatements.org/vocab/NoC-US/1.0/", 0.45),
            ("Public domain in the USA.", 0.25),
            ("http://rightsstatements.org/vocab/InC/1.0/", 0.15),
            ("pd", 0.10),
            ("", 0.05),
        ],
    ),
    "loc": (
        0.08,
        [
            ("No known copyright restrictions", 0.45),
            ("United States Government work", 0.30),
            ("http://rightsstatements.org/vocab/NoC-US/1.0/", 0.15),
            ("", 0.10),
        ],
    ),
    "zenodo": (
        0.05,
        [
            ("CC0-1.0", 0.30),
            ("https://creativecommons.org/licenses/by/4.0/", 0.35),
            ("CC-BY-4.0", 0.20),
            ("CC BY-NC 4.0", 0.10),
            ("All rights reserved", 0.05),
        ],
    ),
}

# Exact-duplicate copy variants and their weights.
EXACT_VARIANTS = [("identical", 0.55), ("whitespace", 0.20), ("case", 0.15), ("unicode", 0.10)]
NEAR_LEVELS = [0.95, 0.90, 0.85, 0.80, 0.70, 0.50]
SHINGLE = 5
MIN_LEN = 50  # the benchmark pipeline's length filter (docs shorter than this are dropped)

CHUNK = 500  # documents per generation work unit (fixed: determinism does not depend on workers)

_WORD_RE = re.compile(r"\w+")


# --------------------------------------------------------------------------------------------
# Language models (word lists with Zipf weights)
# --------------------------------------------------------------------------------------------


@dataclass
class LangModel:
    lang: str
    words: np.ndarray  # object array of str
    cum: np.ndarray  # cumulative weights, float64
    mean_len: float  # expected chars per word including the following space

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.searchsorted(self.cum, rng.random(n) * self.cum[-1], side="right")


def load_models() -> dict[str, LangModel]:
    import wordfreq

    models = {}
    for lang in LANG_MIX:
        words, freqs = [], []
        ok1 = SINGLE_LETTER_WORDS[lang]
        for w in wordfreq.top_n_list(lang, VOCAB_SIZE):
            if not w.isalpha() or (len(w) == 1 and w not in ok1):
                continue
            f = wordfreq.word_frequency(w, lang)
            if f <= 0:
                continue
            if lang == "en" and w == "i":
                w = "I"
            words.append(w)
            freqs.append(f)
        p = np.asarray(freqs, dtype=np.float64)
        p /= p.sum()
        lens = np.fromiter((len(w) for w in words), dtype=np.float64, count=len(words))
        models[lang] = LangModel(
            lang=lang,
            words=np.asarray(words, dtype=object),
            cum=np.cumsum(p),
            mean_len=float((p * lens).sum()) + 1.0,
        )
    return models


MODELS: dict[str, LangModel] = {}


# --------------------------------------------------------------------------------------------
# Text generation
# --------------------------------------------------------------------------------------------

_END_PUNCT = np.array([".", ".", ".", ".", ".", ".", ".", ".", ".", ".", ".", ".", "?", "!", ";", "…"], dtype=object)
_END_P = np.array([0.0545] * 12 + [0.22, 0.08, 0.02, 0.026])
_END_P = _END_P / _END_P.sum()


def make_text(rng: np.random.Generator, lang: str, n_chars: int) -> str:
    """Sentences of Zipf-sampled words, grouped into paragraphs separated by blank lines."""
    lm = MODELS[lang]
    n_words = max(2, round(n_chars / lm.mean_len))
    words = lm.words[lm.sample(rng, n_words)].tolist()
    # sentence lengths: 3 + gamma (mean ~ 16 words, long-ish tail)
    n_sent_guess = n_words // 6 + 2
    sent_lens = (3 + rng.gamma(2.2, 6.0, size=n_sent_guess)).astype(np.int64)
    ends = _END_PUNCT[rng.choice(len(_END_PUNCT), size=n_sent_guess, p=_END_P)]
    para_lens = 1 + rng.geometric(0.28, size=n_sent_guess)
    for k in np.flatnonzero(rng.random(n_words) < 0.06):
        words[k] = words[k] + ","
    paragraphs: list[str] = []
    sentences: list[str] = []
    pos = 0
    si = 0
    pi = 0
    para_left = int(para_lens[0])
    while pos < n_words:
        if si >= n_sent_guess:  # extremely unlikely; extend
            sent_lens = np.concatenate([sent_lens, sent_lens])
            ends = np.concatenate([ends, ends])
            para_lens = np.concatenate([para_lens, para_lens])
            n_sent_guess *= 2
        end = min(n_words, pos + int(sent_lens[si]))
        s = words[pos:end]
        first = s[0]
        s[0] = first[0].upper() + first[1:]
        last = s[-1]
        if last.endswith(","):
            s[-1] = last[:-1]
        sentences.append(" ".join(s) + ends[si])
        si += 1
        pos = end
        para_left -= 1
        if para_left <= 0:
            paragraphs.append(" ".join(sentences))
            sentences = []
            pi += 1
            para_left = int(para_lens[pi % len(para_lens)])
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def make_tiny(rng: np.random.Generator, lang: str) -> str:
    """A title-like fragment below the 50-char filter threshold (5..45 chars)."""
    lm = MODELS[lang]
    while True:
        n = int(rng.integers(1, 6))
        words = lm.words[lm.sample(rng, n)].tolist()
        t = " ".join(words)
        t = t[0].upper() + t[1:]
        if rng.random() < 0.5:
            t += "."
        if 5 <= len(t) <= 45:
            return t


def _gen_chunk(args):
    """Generate the texts of a chunk of base documents (runs in a worker)."""
    seed, chunk_idx, specs = args
    rng = np.random.default_rng([seed, 1, chunk_idx])
    out = []
    for lang, n_chars, kind in specs:
        if kind == "tiny":
            out.append(make_tiny(rng, lang))
        else:
            out.append(make_text(rng, lang, n_chars))
    return out


# --------------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------------


def whitespace_variant(rng: np.random.Generator, text: str) -> str:
    choice = int(rng.integers(0, 5))
    if choice == 0:
        return text.replace("\n\n", "\r\n\r\n")
    if choice == 1:
        return re.sub(r"([.?!]) ", r"\1  ", text)
    if choice == 2:
        return "\n" + text + "\n"
    if choice == 3:
        return text.replace("\n\n", "\n\n\n") + " "
    return text.replace(" ", "\t", 1).replace("\n\n", "\n \n")


def case_variant(rng: np.random.Generator, text: str) -> str:
    choice = int(rng.integers(0, 10))
    if choice < 6:
        return text.lower()
    if choice < 8:
        return text.upper()
    # first paragraph upper-cased (a heading-like OCR artefact)
    head, sep, rest = text.partition("\n\n")
    return head.upper() + sep + rest


def unicode_variant(text: str) -> str:
    """Same text in NFD (decomposed accents), as some OCR/export pipelines produce."""
    return unicodedata.normalize("NFD", text)


def tokens(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold())


def shingles(text: str, k: int = SHINGLE) -> set:
    t = tokens(text)
    if len(t) < k:
        return {tuple(t)} if t else set()
    return set(zip(*(t[i:] for i in range(k)), strict=False))


def jaccard(a: set, b: set) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def edit_fraction(target_j: float, k: int = SHINGLE) -> float:
    """Fraction of words to edit at random so that the k-shingle Jaccard is about target_j.

    Each edited word breaks the k shingles covering it; with a fraction f edited uniformly at
    random, a share q = (1-f)^k of shingles survives and J = q / (2 - q).
    """
    q = 2 * target_j / (1 + target_j)
    return 1 - q ** (1 / k)


def near_variant(rng: np.random.Generator, text: str, lang: str, target_j: float) -> str:
    """Edit a controlled fraction of the words: 80% substitutions, 10% deletions, 10% insertions."""
    lm = MODELS[lang]
    spans = [m.span() for m in _WORD_RE.finditer(text)]
    n = len(spans)
    n_edits = max(1, round(edit_fraction(target_j) * n))
    positions = np.sort(rng.choice(n, size=min(n, n_edits), replace=False))
    kinds = rng.random(len(positions))
    repl = lm.words[lm.sample(rng, len(positions))].tolist()
    out = []
    cur = 0
    for pos, kind, new in zip(positions.tolist(), kinds.tolist(), repl, strict=True):
        s, e = spans[pos]
        old = text[s:e]
        out.append(text[cur:s])
        if old[:1].isupper():
            new = new[:1].upper() + new[1:]
        if kind < 0.8:  # substitution
            if new.casefold() == old.casefold():
                new = new + new[-1]
            out.append(new)
            cur = e
        elif kind < 0.9:  # deletion (word and one following space)
            cur = e + 1 if text[e : e + 1] == " " else e
        else:  # insertion before the word
            out.append(new + " " + old)
            cur = e
    out.append(text[cur:])
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------


def _weighted(rng: np.random.Generator, items: list[tuple[str, float]]) -> str:
    p = np.asarray([w for _, w in items], dtype=np.float64)
    return items[int(rng.choice(len(items), p=p / p.sum()))][0]


def lang_hint(rng: np.random.Generator, lang: str) -> str:
    r = rng.random()
    if r < 0.68:
        return lang
    if r < 0.80:
        forms = LANG_HINT_FORMS[lang]
        return forms[int(rng.integers(0, len(forms)))]
    if r < 0.92:
        return ""
    if r < 0.97:  # wrong hint, usually "en" (catalogue default)
        others = [x for x in LANG_MIX if x != lang]
        return "en" if lang != "en" and rng.random() < 0.6 else others[int(rng.integers(0, len(others)))]
    return ["und", "mul", "zxx"][int(rng.integers(0, 3))]


def make_url(rng: np.random.Generator, source: str, lang: str, serial: int) -> str:
    if rng.random() < 0.03:
        return ""
    lm = MODELS[lang]
    slug_words = lm.words[lm.sample(rng, 3)].tolist()
    if source == "gutenberg":
        return f"https://www.gutenberg.org/ebooks/{1000 + serial}"
    if source == "archive":
        return f"https://archive.org/details/{'_'.join(slug_words)}{serial:05d}"
    if source == "wikisource":
        title = "_".join(w.capitalize() for w in slug_words)
        return f"https://{lang}.wikisource.org/wiki/{title}"
    if source == "europeana":
        return f"https://www.europeana.eu/item/{9200000 + serial % 900}/{serial:08x}"
    if source == "hathitrust":
        return f"https://babel.hathitrust.org/cgi/pt?id=mdp.{39015000000000 + serial * 7}"
    if source == "loc":
        return f"https://www.loc.gov/item/{2000000000 + serial * 13}/"
    return f"https://zenodo.org/records/{100000 + serial}"


def make_date(rng: np.random.Generator) -> str:
    r = rng.random()
    year = int(rng.integers(1600, 1929))
    if r < 0.40:
        return str(year)
    if r < 0.65:
        return f"{year:04d}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}"
    if r < 0.75:  # digitisation / release timestamp
        y = int(rng.integers(1996, 2024))
        return f"{y}-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}T00:00:00Z"
    if r < 0.80:
        return f"c. {year // 10 * 10}"
    if r < 0.83:
        return f"{year // 100}--"
    if r < 0.86:
        return f"[{year}?]"
    return ""


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def _norm_lower(text: str) -> str:  # same definition as pdcorpus.record.normalize_for_hash
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _norm_casefold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _norm_ws_lower_no_nfc(text: str) -> str:
    return " ".join(text.lower().split())


def _h(s: str) -> bytes:
    return hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=16).digest()


_GZ_LEVEL = 6
DOCS: list[dict] = []  # filled in the parent, inherited by forked writers
FILE_RANGES: list[tuple[int, int]] = []


def _write_file(args):
    path, i = args
    start, stop = FILE_RANGES[i]
    # mtime=0 and no file name in the header: byte-for-byte deterministic output
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=_GZ_LEVEL, mtime=0) as gz,
    ):
        buf = []
        for d in DOCS[start:stop]:
            buf.append(_dumps(d))
            if len(buf) >= 2000:
                gz.write(b"\n".join(buf) + b"\n")
                buf = []
        if buf:
            gz.write(b"\n".join(buf) + b"\n")
    return path


def main(argv=None) -> int:
    global MODELS, DOCS, FILE_RANGES, _GZ_LEVEL
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100_000, help="total number of documents (default 100000)")
    ap.add_argument("--out", required=True, help="output folder for the JSONL.gz files")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--files", type=int, default=8, help="number of JSONL.gz files (default 8)")
    ap.add_argument("--truth", default=None, help="ground-truth folder (default <out>/../<name>-truth)")
    ap.add_argument("--exact-frac", type=float, default=0.05, help="share of docs that are exact-dup copies")
    ap.add_argument("--near-frac", type=float, default=0.05, help="share of docs that are near-dup variants")
    ap.add_argument("--median-chars", type=float, default=2000.0)
    ap.add_argument("--sigma", type=float, default=1.05, help="log-normal sigma of document length")
    ap.add_argument("--max-chars", type=int, default=100_000)
    ap.add_argument("--gzip-level", type=int, default=6)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    args = ap.parse_args(argv)
    _GZ_LEVEL = args.gzip_level

    t0 = time.perf_counter()
    out = Path(args.out).resolve()
    truth_dir = Path(args.truth).resolve() if args.truth else out.parent / f"{out.name}-truth"
    out.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.jsonl.gz"):
        old.unlink()

    MODELS = load_models()
    t_models = time.perf_counter()

    N = args.docs
    n_exact = round(args.exact_frac * N)
    n_near = round(args.near_frac * N)
    n_base = N - n_exact - n_near
    if n_base <= 0:
        ap.error("--exact-frac + --near-frac must leave room for original documents")
    rng = np.random.default_rng([args.seed, 0])

    langs = list(LANG_MIX)
    lp = np.asarray([LANG_MIX[x] for x in langs])
    base_lang = rng.choice(len(langs), size=n_base, p=lp / lp.sum())
    lengths = np.exp(rng.normal(math.log(args.median_chars), args.sigma, size=n_base))
    lengths = np.clip(lengths, 300, args.max_chars).astype(np.int64)
    kind_r = rng.random(n_base)
    kinds = np.where(kind_r < 0.003, "tiny", np.where(kind_r < 0.018, "short", "normal"))
    short = kinds == "short"
    lengths[short] = rng.integers(100, 301, size=int(short.sum()))

    specs = [(langs[int(lg)], int(n), str(k)) for lg, n, k in zip(base_lang, lengths, kinds, strict=True)]
    chunks = [(args.seed, ci, specs[i : i + CHUNK]) for ci, i in enumerate(range(0, n_base, CHUNK))]
    texts: list[str] = []
    ctx = mp.get_context("fork")
    if args.workers > 1:
        with ctx.Pool(args.workers) as pool:
            for part in pool.imap(_gen_chunk, chunks, chunksize=1):
                texts.extend(part)
    else:
        for c in chunks:
            texts.extend(_gen_chunk(c))
    t_text = time.perf_counter()

    src_names = list(SOURCES)
    src_p = np.asarray([SOURCES[s][0] for s in src_names])
    src_p /= src_p.sum()

    # docs: list of (record, truth) built in generation order, shuffled later
    records: list[dict] = []
    truths: list[dict] = []
    serial = 0

    def new_meta(lang: str, source: str | None = None):
        nonlocal serial
        serial += 1
        if source is None:
            source = src_names[int(rng.choice(len(src_names), p=src_p))]
        return {
            "doc_id": f"{source}-{serial:07d}",
            "rights": _weighted(rng, SOURCES[source][1]),
            "url": make_url(rng, source, lang, serial),
            "lang_hint": lang_hint(rng, lang),
            "date": make_date(rng),
        }, source

    for i, text in enumerate(texts):
        lang = specs[i][0]
        meta, source = new_meta(lang)
        records.append({"doc_id": meta["doc_id"], "text": text, **{k: meta[k] for k in ("rights", "url", "lang_hint", "date")}})
        truths.append(
            {
                "doc_id": meta["doc_id"],
                "lang": lang,
                "source": source,
                "kind": specs[i][2],
                "chars": len(text),
                "exact_group": None,
                "exact_variant": None,
                "duplicate_of": None,
                "near_group": None,
                "near_target": None,
                "near_jaccard": None,
                "near_of": None,
            }
        )

    # ---- exact duplicates -------------------------------------------------------------
    eligible = np.flatnonzero(kinds != "tiny")
    perm = rng.permutation(eligible)
    cursor = 0
    made = 0
    var_names = [v for v, _ in EXACT_VARIANTS]
    var_p = np.asarray([w for _, w in EXACT_VARIANTS])
    var_p /= var_p.sum()
    while made < n_exact:
        orig = int(perm[cursor])
        cursor += 1
        n_copies = min(int(rng.geometric(0.55)), n_exact - made)
        o_rec, o_tr = records[orig], truths[orig]
        o_tr["exact_group"] = o_rec["doc_id"]
        o_tr["exact_variant"] = "original"
        for _ in range(n_copies):
            variant = var_names[int(rng.choice(len(var_names), p=var_p))]
            text = o_rec["text"]
            if variant == "whitespace":
                text = whitespace_variant(rng, text)
            elif variant == "case":
                text = case_variant(rng, text)
            elif variant == "unicode":
                nfd = unicode_variant(text)
                if nfd == text:
                    variant = "identical"
                text = nfd
            # 60% of copies come from another source (mirrors, re-uploads)
            source = o_tr["source"] if rng.random() < 0.4 else None
            meta, source = new_meta(o_tr["lang"], source)
            if rng.random() < 0.5:
                meta["date"] = o_rec["date"]
            records.append({"doc_id": meta["doc_id"], "text": text, **{k: meta[k] for k in ("rights", "url", "lang_hint", "date")}})
            truths.append(
                {
                    **o_tr,
                    "doc_id": meta["doc_id"],
                    "source": source,
                    "kind": "exact_copy",
                    "chars": len(text),
                    "exact_variant": variant,
                    "duplicate_of": o_rec["doc_id"],
                }
            )
            made += 1
    t_exact = time.perf_counter()

    # ---- near duplicates --------------------------------------------------------------
    near_pairs: list[dict] = []
    made = 0
    level_i = 0
    while made < n_near:
        orig = int(perm[cursor])
        cursor += 1
        o_rec, o_tr = records[orig], truths[orig]
        if o_tr["exact_group"] is not None or len(_WORD_RE.findall(o_rec["text"])) < 150:
            continue
        n_vars = min(1 + int(rng.integers(0, 3)), n_near - made)
        o_tr["near_group"] = o_rec["doc_id"]
        o_tr["near_target"] = 1.0
        group = [(o_rec["doc_id"], o_rec["text"], 1.0)]
        for _ in range(n_vars):
            target = NEAR_LEVELS[level_i % len(NEAR_LEVELS)]
            level_i += 1
            text = near_variant(rng, o_rec["text"], o_tr["lang"], target)
            source = o_tr["source"] if rng.random() < 0.5 else None
            meta, source = new_meta(o_tr["lang"], source)
            records.append({"doc_id": meta["doc_id"], "text": text, **{k: meta[k] for k in ("rights", "url", "lang_hint", "date")}})
            truths.append(
                {
                    **o_tr,
                    "doc_id": meta["doc_id"],
                    "source": source,
                    "kind": "near_copy",
                    "chars": len(text),
                    "near_target": target,
                    "near_of": o_rec["doc_id"],
                }
            )
            group.append((meta["doc_id"], text, target))
            made += 1
        sh = [shingles(t) for _, t, _ in group]
        for a in range(len(group)):
            for b in range(a + 1, len(group)):
                j = jaccard(sh[a], sh[b])
                near_pairs.append(
                    {
                        "a": group[a][0],
                        "b": group[b][0],
                        "group": o_rec["doc_id"],
                        "target": group[b][2] if a == 0 else None,
                        "jaccard": round(j, 6),
                        "with_original": a == 0,
                    }
                )
                if a == 0:
                    # record the measured similarity on the variant's truth line
                    for tr in reversed(truths):
                        if tr["doc_id"] == group[b][0]:
                            tr["near_jaccard"] = round(j, 6)
                            break
    t_near = time.perf_counter()

    # ---- shuffle, split into files, write -----------------------------------------------
    order = rng.permutation(len(records))
    DOCS = [records[int(i)] for i in order]
    truths = [truths[int(i)] for i in order]
    n_files = max(1, min(args.files, len(DOCS)))
    bounds = np.linspace(0, len(DOCS), n_files + 1).astype(int)
    FILE_RANGES = [(int(bounds[i]), int(bounds[i + 1])) for i in range(n_files)]
    paths = [str(out / f"part-{i:05d}.jsonl.gz") for i in range(n_files)]
    for fi, (a, b) in enumerate(FILE_RANGES):
        for tr in truths[a:b]:
            tr["file"] = Path(paths[fi]).name
    if args.workers > 1 and n_files > 1:
        with ctx.Pool(min(args.workers, n_files)) as pool:
            list(pool.imap(_write_file, [(p, i) for i, p in enumerate(paths)]))
    else:
        for i, p in enumerate(paths):
            _write_file((p, i))
    t_write = time.perf_counter()

    # ---- ground truth -------------------------------------------------------------------
    with open(truth_dir / "truth.jsonl", "wb") as f:
        for tr in truths:
            f.write(_dumps(tr) + b"\n")
    near_pairs.sort(key=lambda p: (p["group"], p["a"], p["b"]))
    with open(truth_dir / "near_pairs.jsonl", "wb") as f:
        for p in near_pairs:
            f.write(_dumps(p) + b"\n")

    kept = [d["text"] for d in DOCS if len(d["text"]) >= MIN_LEN]
    uniq = {
        "raw": len({_h(t) for t in kept}),
        "ws_lower": len({_h(_norm_ws_lower_no_nfc(t)) for t in kept}),
        "nfc_lower_ws": len({_h(_norm_lower(t)) for t in kept}),
        "nfc_casefold_ws": len({_h(_norm_casefold(t)) for t in kept}),
    }
    lang_counts = {}
    for tr in truths:
        lang_counts[tr["lang"]] = lang_counts.get(tr["lang"], 0) + 1
    variant_counts = {}
    for tr in truths:
        if tr["exact_variant"] and tr["exact_variant"] != "original":
            variant_counts[tr["exact_variant"]] = variant_counts.get(tr["exact_variant"], 0) + 1
    lens = np.asarray([len(d["text"]) for d in DOCS])
    summary = {
        "generator_version": GENERATOR_VERSION,
        "seed": args.seed,
        "docs": len(DOCS),
        "files": [Path(p).name for p in paths],
        "docs_per_file": [b - a for a, b in FILE_RANGES],
        "min_len_filter": MIN_LEN,
        "docs_len_ge_min": len(kept),
        "docs_len_lt_min": len(DOCS) - len(kept),
        "unique_texts_after_length_filter": uniq,
        "unique_texts_note": (
            "raw: byte-identical text; ws_lower: lower() + whitespace runs collapsed; "
            "nfc_lower_ws: NFC + lower() + whitespace collapsed (pdcorpus's normalize_for_hash); "
            "nfc_casefold_ws: NFC + casefold() + whitespace collapsed"
        ),
        "exact_copies": n_exact,
        "exact_copy_variants": variant_counts,
        "near_copies": n_near,
        "near_pairs": len(near_pairs),
        "near_levels": NEAR_LEVELS,
        "shingle": {"k": SHINGLE, "tokens": "re.findall(r'\\w+', text.casefold())", "measure": "Jaccard of sets"},
        "languages": dict(sorted(lang_counts.items(), key=lambda kv: -kv[1])),
        "chars": {
            "total": int(lens.sum()),
            "min": int(lens.min()),
            "p01": int(np.percentile(lens, 1)),
            "median": int(np.median(lens)),
            "mean": int(lens.mean()),
            "p99": int(np.percentile(lens, 99)),
            "max": int(lens.max()),
        },
        "wordfreq_version": _wordfreq_version(),
    }
    with open(truth_dir / "summary.json", "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    t_end = time.perf_counter()

    print(
        f"wrote {len(DOCS)} docs in {n_files} files to {out}  (truth: {truth_dir})\n"
        f"  timings: models {t_models - t0:.1f}s, text {t_text - t_models:.1f}s, exact {t_exact - t_text:.1f}s, "
        f"near {t_near - t_exact:.1f}s, write {t_write - t_near:.1f}s, truth {t_end - t_write:.1f}s, total {t_end - t0:.1f}s\n"
        f"  chars: median {summary['chars']['median']}, mean {summary['chars']['mean']}, max {summary['chars']['max']}, "
        f"total {summary['chars']['total'] / 1e6:.0f}M\n"
        f"  after length>={MIN_LEN}: {len(kept)} docs; unique: {uniq}",
        file=sys.stderr,
    )
    return 0


def _wordfreq_version() -> str:
    try:
        from importlib.metadata import version

        return version("wordfreq")
    except Exception:  # noqa: BLE001 - version lookup is informational
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
