"""MinHash signatures and LSH bands, vectorized with numpy, deterministic by seed.

A text's shingles are its word n-grams (lower case, words as ``\\w+`` runs).
Words are hashed once each (xxh32), n-grams combined from the word hashes in
numpy and mixed to 32 bits, and ``num_perm`` permutations of the 32-bit space,
``a*x + b mod 2^32`` with ``a`` odd, applied to a batch of documents at once.
(The inputs are already hashes, so affine permutations estimate Jaccard as
well as the textbook ``mod (2^61 - 1)`` family, measured: the same error at
J = 0.8 as theory, sqrt(J(1-J)/k), at a third of the cost.) The band count and width are chosen from
the threshold so that the probability-weighted false positives and negatives
are smallest (the usual LSH trade-off, computed numerically).

A batch is computed without a Python object per word or shingle: its texts are one UTF-8 buffer, words are
found with per-code-point tables read off Arrow itself (``utf8_lower`` and RE2's ``[\\p{L}\\p{N}_]``, so the
words are exactly those of ``split_pattern_regex(utf8_lower(text))``), the distinct words are found by
Arrow and hashed by a numpy xxh32, and the permutations run on cache-sized blocks of products
(``np.minimum.reduceat``). ``tests/test_minhash_signatures.py`` checks the signatures, bit for bit, against
the plain definition, text by text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

MAX_HASH = np.uint64(0xFFFFFFFF)


def optimal_bands(threshold: float, num_perm: int, fp_weight: float = 0.5, fn_weight: float = 0.5) -> tuple[int, int]:
    """(bands, rows) minimizing the weighted false positive and negative areas around ``threshold``."""
    def area(f, lo: float, hi: float) -> float:
        xs = np.linspace(lo, hi, 201)
        return float(np.trapezoid(f(xs), xs))

    best, best_cost = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = area(lambda s: 1 - (1 - s ** rows) ** bands, 0.0, threshold)
            fn = area(lambda s: (1 - s ** rows) ** bands, threshold, 1.0)
            cost = fp_weight * fp + fn_weight * fn
            if cost < best_cost - 1e-12:
                best, best_cost = (bands, rows), cost
    return best


@dataclass(frozen=True)
class MinHasher:
    num_perm: int = 128
    ngram: int = 5
    seed: int = 1

    def __post_init__(self) -> None:
        rng = np.random.RandomState(self.seed)
        a = rng.randint(0, 1 << 32, size=self.num_perm, dtype=np.uint64) | np.uint64(1)  # odd: a bijection
        b = rng.randint(0, 1 << 32, size=self.num_perm, dtype=np.uint64)
        object.__setattr__(self, "_a", a.astype(np.uint32))
        object.__setattr__(self, "_b", b.astype(np.uint32))

    def _mix(self, acc: np.ndarray) -> np.ndarray:
        """uint64 -> well-mixed uint32 (fold, then murmur3's finalizer)."""
        with np.errstate(over="ignore"):
            x = ((acc ^ (acc >> np.uint64(32))) & MAX_HASH).astype(np.uint32)
            x ^= x >> np.uint32(16)
            x *= np.uint32(0x85EBCA6B)
            x ^= x >> np.uint32(13)
            x *= np.uint32(0xC2B2AE35)
            x ^= x >> np.uint32(16)
        return x

    def shingles(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """32-bit hashes of every text's word n-grams, concatenated, and each text's offsets into them.

        Words are runs of letters, digits and ``_`` (``[\\p{L}\\p{N}_]``, as Arrow's RE2 reads them) of the text
        lower-cased by Arrow's ``utf8_lower``; each word is hashed with xxh32 of its UTF-8 bytes. A text of fewer
        than n words is one shingle; a text without words has none. The whole batch is one numpy pass (see
        ``_word_hashes``): no Python object per word or per shingle.
        """
        hashes, counts = _word_hashes(texts)
        k = self.ngram
        n = len(hashes)
        starts = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        # n-grams over the batch's word sequence; a window that runs into the next text is dropped below
        acc = np.zeros(max(0, n - k + 1), dtype=np.uint64)
        with np.errstate(over="ignore"):  # wrapping multiplication is the hash
            for j in range(k):
                acc *= _FNV
                acc += hashes[j:j + len(acc)]
        # the window at i is a text's when i + k <= the text's end: the k - 1 before each end are not
        inside = np.ones(len(acc), dtype=bool)
        for j in range(1, k):
            at = starts[1:] - j
            inside[at[(at >= starts[:-1]) & (at < len(acc))]] = False
        windows = self._mix(acc[inside])
        sizes = np.where(counts >= k, counts - k + 1, (counts > 0).astype(np.int64))
        offsets = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        short = np.flatnonzero((counts > 0) & (counts < k))
        if not len(short):
            return windows, offsets
        flat = np.empty(int(offsets[-1]), dtype=np.uint32)
        # a text shorter than one n-gram: the words it has, as one shingle (same combination, fewer words)
        lengths = counts[short]
        value = np.zeros(len(short), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(k - 1):
                more = j < lengths
                word = hashes[np.minimum(starts[short] + j, max(n - 1, 0))]
                value = np.where(more, value * _FNV + word, value)
        flat[offsets[short]] = self._mix(value)
        longer = np.ones(len(texts), dtype=bool)
        longer[short] = False
        longer &= sizes > 0
        flat[_ranges(offsets[:-1][longer], sizes[longer])] = windows
        return flat, offsets

    def signatures(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(signatures uint32 [len(texts), num_perm], has_shingles bool [len(texts)])."""
        flat, offsets = self.shingles(texts)
        out = np.full((len(texts), self.num_perm), 0xFFFFFFFF, dtype=np.uint32)
        sizes = np.diff(offsets)
        has = sizes > 0
        rows = np.flatnonzero(has)
        if not len(rows):
            return out, has
        firsts, lasts = offsets[:-1][rows], offsets[1:][rows]
        # Blocks of whole texts of at most SHINGLE_BLOCK shingles, PERM_BLOCK permutations at a time: the
        # products stay in the processor's cache (1 MiB), which is what makes this fast, and memory is
        # bounded whatever the batch or the text.
        buffer = np.empty((PERM_BLOCK, SHINGLE_BLOCK), dtype=np.uint32)
        lo = 0
        while lo < len(rows):
            hi = max(lo + 1, int(np.searchsorted(lasts, firsts[lo] + SHINGLE_BLOCK, side="right")))
            first, last = int(firsts[lo]), int(lasts[hi - 1])
            at = firsts[lo:hi] - first
            for p in range(0, self.num_perm, PERM_BLOCK):
                a, b = self._a[p:p + PERM_BLOCK, None], self._b[p:p + PERM_BLOCK, None]
                # a text longer than a block (then alone in it) is taken a block of shingles at a time
                for start in range(first, last, SHINGLE_BLOCK):
                    stop = min(last, start + SHINGLE_BLOCK)
                    part = buffer[:len(a), :stop - start]
                    with np.errstate(over="ignore"):  # wrapping arithmetic: the permutation of the 32-bit space
                        np.multiply(flat[None, start:stop], a, out=part)
                        np.add(part, b, out=part)
                    if start == first:
                        out[rows[lo:hi], p:p + len(a)] = np.minimum.reduceat(part, at, axis=1).T
                    else:
                        np.minimum(out[rows[lo], p:p + len(a)], part.min(axis=1), out=out[rows[lo], p:p + len(a)])
            lo = hi
        return out, has


# The permutation step works on PERM_BLOCK x SHINGLE_BLOCK products at a time (1 MiB: in cache).
PERM_BLOCK = 32
SHINGLE_BLOCK = 8192

_FNV = np.uint64(0x100000001B3)


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(s, s + n)`` for each (s, n), without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    out = np.ones(total, dtype=np.int64)
    nonzero = lengths > 0
    heads = (ends - lengths)[nonzero]
    s = starts[nonzero]
    out[heads[0]] = s[0]
    out[heads[1:]] = s[1:] - (s[:-1] + lengths[nonzero][:-1] - 1)
    return np.cumsum(out)


class _Tables:
    """Per code point: Arrow's ``utf8_lower`` (uint32) and whether RE2 counts it in ``[\\p{L}\\p{N}_]``.

    Both are read off Arrow itself, once per process (about 0.1 s), so a text lower-cased and split by table
    is exactly what ``pc.split_pattern_regex(pc.utf8_lower(texts), "[^\\p{L}\\p{N}_]+")`` makes of it.
    """

    _loaded: "_Tables | None" = None

    def __init__(self) -> None:
        points = np.arange(0x110000, dtype=np.uint32)
        valid = (points < 0xD800) | (points > 0xDFFF)  # surrogates are not characters of a UTF-8 text
        text = points[valid].tobytes().decode("utf-32-le")
        lower = pc.utf8_lower(pa.array([text], pa.string()))[0].as_py()
        words = pc.replace_substring_regex(pa.array([text], pa.string()), r"[^\p{L}\p{N}_]", " ")[0].as_py()
        self.lower = points.copy()
        self.lower[valid] = np.frombuffer(lower.encode("utf-32-le"), dtype=np.uint32)
        self.word = np.zeros(0x110000, dtype=bool)
        self.word[valid] = np.frombuffer(words.encode("utf-32-le"), dtype=np.uint32) != 32
        self.word[ord(" ")] = False
        self.ascii_word = self.word[:256].copy()
        self.ascii_word[0x80:] = False  # bytes of a multi-byte character: classified by the character
        self.ascii_lower = self.lower[:256].astype(np.uint8)
        self.ascii_lower[0x80:] = np.arange(0x80, 0x100, dtype=np.uint8)  # only ASCII text is lowered with it
        if len(lower) != len(text) or len(words) != len(text):
            raise RuntimeError("pyarrow's utf8_lower or regex replaced a character by more than one")

    @classmethod
    def get(cls) -> "_Tables":
        if cls._loaded is None:
            cls._loaded = cls()
        return cls._loaded


def _word_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(xxh32 of each lower-cased word of the batch, in order, as uint64; the number of words of each text).

    The batch is one UTF-8 buffer: each character is classified by table (ASCII bytes directly, the others
    decoded from their lead byte), words are runs of word characters, the distinct words (as written) are
    found by Arrow (``dictionary_encode``), and only those are lower-cased (``_lowered``) and hashed (``xxh32``).
    """
    tables = _Tables.get()
    encoded = [t.encode("utf-8", "surrogatepass") if t else b"" for t in texts]
    lengths = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=len(encoded))
    # one separator (a space, not a word character) after each text: no word runs from one text into the next
    data = np.frombuffer(b" ".join(encoded) + b" ", dtype=np.uint8)
    is_word = tables.ascii_word[data]
    wide = np.flatnonzero(data >= 0x80)
    if len(wide):
        leads = wide[data[wide] >= 0xC0]
        first = data[leads].astype(np.uint32)
        size = 2 + (first >= 0xE0).astype(np.int64) + (first >= 0xF0)
        following = [(data[np.minimum(leads + k, len(data) - 1)].astype(np.uint32) & np.uint32(0x3F))
                     for k in (1, 2, 3)]
        point = np.where(size == 2, ((first & np.uint32(0x1F)) << np.uint32(6)) | following[0],
                         np.where(size == 3, ((first & np.uint32(0x0F)) << np.uint32(12)) | (following[0] << np.uint32(6))
                                  | following[1],
                                  ((first & np.uint32(0x07)) << np.uint32(18)) | (following[0] << np.uint32(12))
                                  | (following[1] << np.uint32(6)) | following[2]))
        word = tables.word[np.minimum(point, np.uint32(0x10FFFF))]
        is_word[leads] = word
        for k in (1, 2, 3):  # a character's continuation bytes are of its kind
            more = size > k
            is_word[leads[more] + k] = word[more]
    edges = np.diff(is_word.view(np.int8), prepend=np.int8(0))
    word_starts = np.flatnonzero(edges == 1)
    word_ends = np.flatnonzero(edges == -1)  # every word ends: the last byte is a separator
    text_starts = np.zeros(len(texts), dtype=np.int64)
    np.cumsum(lengths[:-1] + 1, out=text_starts[1:])
    counts = np.diff(np.searchsorted(word_starts, text_starts), append=len(word_starts)).astype(np.int64)
    if not len(word_starts):
        return np.zeros(0, dtype=np.uint64), counts
    letters = data[is_word]
    offsets = np.zeros(len(word_starts) + 1, dtype=np.int64)
    np.cumsum(word_ends - word_starts, out=offsets[1:])
    if offsets[-1] < 2**31:
        words = pa.BinaryArray.from_buffers(pa.binary(), len(word_starts),
                                            [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(letters)])
    else:
        words = pa.LargeBinaryArray.from_buffers(pa.large_binary(), len(word_starts),
                                                 [None, pa.py_buffer(offsets), pa.py_buffer(letters)])
    distinct = pc.dictionary_encode(words)
    vocabulary = distinct.dictionary
    kind = np.int32 if vocabulary.type == pa.binary() else np.int64
    voc_offsets = np.frombuffer(vocabulary.buffers()[1], dtype=kind)[vocabulary.offset:
                                                                     vocabulary.offset + len(vocabulary) + 1]
    voc_data = np.frombuffer(vocabulary.buffers()[2], dtype=np.uint8)[:int(voc_offsets[-1])]
    word_hash = xxh32_many(*_lowered(tables, voc_data, voc_offsets.astype(np.int64)))
    return word_hash[np.asarray(distinct.indices)], counts


def _lowered(tables: "_Tables", data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 strings (``data`` cut at ``offsets``) lower-cased as Arrow's ``utf8_lower`` does (per character,
    by table): their bytes and offsets."""
    if not len(data) or int(data.max()) < 0x80:
        return tables.ascii_lower[data], offsets
    points = np.frombuffer(data.tobytes().decode("utf-8", "surrogatepass").encode("utf-32-le", "surrogatepass"),
                           dtype=np.uint32)
    starts = np.zeros(len(data) + 1, dtype=np.int64)  # characters before each byte
    np.cumsum((data & 0xC0) != 0x80, out=starts[1:])
    lower = tables.lower[points]
    width = 1 + (lower >= 0x80).astype(np.int64) + (lower >= 0x800) + (lower >= 0x10000)
    ends = np.zeros(len(lower) + 1, dtype=np.int64)
    np.cumsum(width, out=ends[1:])
    out = np.frombuffer(lower.tobytes().decode("utf-32-le", "surrogatepass").encode("utf-8", "surrogatepass"),
                        dtype=np.uint8)
    return out, ends[starts[offsets]]


_P1, _P2, _P3, _P4, _P5 = (np.uint32(p) for p in (0x9E3779B1, 0x85EBCA77, 0xC2B2AE3D, 0x27D4EB2F, 0x165667B1))
# Words longer than this many bytes are hashed one by one in Python (rare; bounds the stripe loop).
_LONG_WORD = 256


def _rotl(x: np.ndarray, r: int) -> np.ndarray:
    return (x << np.uint32(r)) | (x >> np.uint32(32 - r))


def xxh32_many(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """xxh32 (seed 0) of each ``data[offsets[i]:offsets[i + 1]]``, as uint64: the algorithm of xxHash's
    specification (XXH32: stripes of 16 bytes in four lanes, then 4-byte words, then bytes, then the
    avalanche), over all inputs at once."""
    n = len(offsets) - 1
    out = np.zeros(n, dtype=np.uint64)
    if n == 0:
        return out
    starts = offsets[:-1].astype(np.int64)
    lengths = (offsets[1:] - offsets[:-1]).astype(np.int64)
    long = lengths > _LONG_WORD
    if long.any():
        raw = data.tobytes()
        for i in np.flatnonzero(long).tolist():
            out[i] = xxhash.xxh32_intdigest(raw[starts[i]:starts[i] + lengths[i]])
    pick = np.flatnonzero(~long)
    if not len(pick):
        return out
    starts, lengths = starts[pick], lengths[pick]
    padded = np.zeros(len(data) + 4, dtype=np.uint8)
    padded[:len(data)] = data
    limit = len(data)  # positions past the data are read only where the result is not used: clipped

    def word32(at: np.ndarray) -> np.ndarray:  # little-endian 32-bit words at byte positions ``at``
        at = np.minimum(at, limit)
        return (padded[at].astype(np.uint32) | (padded[at + 1].astype(np.uint32) << np.uint32(8))
                | (padded[at + 2].astype(np.uint32) << np.uint32(16))
                | (padded[at + 3].astype(np.uint32) << np.uint32(24)))

    with np.errstate(over="ignore"):
        n32 = lengths.astype(np.uint32)
        h = n32 + _P5  # inputs under 16 bytes: seed + PRIME5, then the length
        stripes = lengths // 16
        big = np.flatnonzero(stripes > 0)
        if len(big):
            v1 = np.full(len(big), _P1 + _P2, dtype=np.uint32)  # wraps: seed + PRIME1 + PRIME2
            v2 = np.full(len(big), _P2, dtype=np.uint32)
            v3 = np.zeros(len(big), dtype=np.uint32)
            v4 = np.full(len(big), np.uint32(0) - _P1, dtype=np.uint32)
            s_big, n_big = starts[big], stripes[big]
            for stripe in range(int(n_big.max())):
                more = stripe < n_big
                at = s_big + 16 * stripe
                for lane, v in enumerate((v1, v2, v3, v4)):
                    step = _rotl(v + word32(at + 4 * lane) * _P2, 13) * _P1
                    v[:] = np.where(more, step, v)
            h[big] = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18) + n32[big]
        at = starts + 16 * stripes
        rest = lengths - 16 * stripes
        for chunk in range(3):  # the remaining 4-byte words (at most three)
            more = 4 * (chunk + 1) <= rest
            step = _rotl(h + word32(at + 4 * chunk) * _P3, 17) * _P4
            h = np.where(more, step, h)
        at = at + 4 * (rest // 4)
        for byte in range(3):  # the remaining bytes (at most three)
            more = byte < rest % 4
            step = _rotl(h + padded[np.minimum(at + byte, limit)].astype(np.uint32) * _P5, 11) * _P1
            h = np.where(more, step, h)
        h ^= h >> np.uint32(15)
        h *= _P2
        h ^= h >> np.uint32(13)
        h *= _P3
        h ^= h >> np.uint32(16)
    out[pick] = h
    return out


def band_hashes(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """uint64 [n, bands]: one hash per band of each signature."""
    n = signatures.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    for band in range(bands):
        block = np.ascontiguousarray(signatures[:, band * rows:(band + 1) * rows])
        raw = block.view(np.dtype((np.void, block.dtype.itemsize * rows))).ravel()
        out[:, band] = [xxhash.xxh3_64_intdigest(r.tobytes()) for r in raw] if n else []
    return out


class UnionFind:
    """Disjoint sets over integer keys, with path halving."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra

    def groups(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        for x in self.parent:
            out.setdefault(self.find(x), []).append(x)
        return out
