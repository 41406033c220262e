"""MinHash signatures: the vectorized batch code gives, bit for bit, the signatures of the definition.

The reference below is the definition of pdcorpus's MinHash, written plainly text by text (it was the
code before the batch version): a text is lower-cased by Arrow's ``utf8_lower`` and split into words,
the runs of ``[\\p{L}\\p{N}_]`` (RE2, as Arrow's ``split_pattern_regex``); each word is hashed with xxh32
(seed 0) of its UTF-8 bytes; a word n-gram is the 64-bit FNV-style combination ``acc * 0x100000001B3 + h``
of its words' hashes (a text of fewer than n words: its words, as one n-gram), folded to 32 bits and mixed
by murmur3's finalizer; permutation i maps a shingle x to ``a_i * x + b_i mod 2^32`` with ``a_i`` (odd) and
``b_i`` drawn from ``numpy.random.RandomState(seed)``; the signature is the minimum per permutation.
"""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash

from pdcorpus.minhash import SHINGLE_BLOCK, MinHasher, xxh32_many

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1


def mix32(acc: int) -> int:
    x = (acc ^ (acc >> 32)) & M32
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & M32
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & M32
    x ^= x >> 16
    return x


def reference_shingles(text: str, n: int) -> list[int]:
    lowered = pc.utf8_lower(pa.array([text], pa.string()))
    words = [w for w in pc.split_pattern_regex(lowered, r"[^\p{L}\p{N}_]+")[0].as_py() if w]
    hashes = [xxhash.xxh32_intdigest(w.encode("utf-8")) for w in words]
    if not hashes:
        return []
    grams = [hashes[i:i + n] for i in range(len(hashes) - n + 1)] if len(hashes) >= n else [hashes]
    out = []
    for gram in grams:
        acc = 0
        for h in gram:
            acc = (acc * 0x100000001B3 + h) & M64
        out.append(mix32(acc))
    return out


def reference_signature(text: str, num_perm: int = 128, n: int = 5, seed: int = 1) -> np.ndarray | None:
    rng = np.random.RandomState(seed)
    a = [int(x) | 1 for x in rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64)]
    b = [int(x) for x in rng.randint(0, 1 << 32, size=num_perm, dtype=np.uint64)]
    shingles = reference_shingles(text, n)
    if not shingles:
        return None
    x = np.asarray(shingles, dtype=np.uint64)  # exact in uint64: (2^32 - 1)^2 + 2^32 < 2^64
    return np.asarray([int(((x * np.uint64(ai) + np.uint64(bi)) & np.uint64(M32)).min()) for ai, bi in zip(a, b)],
                      dtype=np.uint32)


# Words of many scripts and the characters where lower-casing or word boundaries are delicate: Greek capital
# sigma (Python's str.lower makes it final ς at a word's end, Arrow does not), Turkish dotted İ (one character
# in Arrow's lower case, two in Python's), German ß, the Kelvin sign, Cyrillic letters added in Unicode 16
# (U+1C89), combining marks (not \p{L}: they end a word), digits of other scripts (\p{N}), CJK without spaces,
# emoji, underscores, title-case digraphs (ǅ), and words of 16 to 300+ bytes (xxh32's four-lane stripes).
VOCABULARY = (
    "the of and to in a is that for it as was with be by on not he this are or his from at which but have an they "
    "Public Domain Gutenberg HERITAGE Library_Archive 1905 2024 x86_64 "
    "niño acción über straße Ärger façade crème déjà vu Øresund Łódź İstanbul ıslak KELVIN \u212a "
    "ΣΟΦΟΣ σοφός ΌΣΟΣ Ελληνικά λέξεις ΑΝΘΡΩΠΟΣ "
    "Привет мир СЪЕШЬ ещё этих мягких французских булок \u1c89\u1c8a "
    "नमस्ते दुनिया हिन्दी ١٢٣ ٤٥٦ العربية مرحبا "
    "日本語のテキスト 漢字とかな 中文字符 한국어 텍스트 "
    "🙂 word🙂word ǅemal ǈ ǋ Ǆ "
    "internationalization Donaudampfschiffahrtsgesellschaft "
    "Rindfleischetikettierungsüberwachungsaufgabenübertragungsgesetz "
    "суперкалифрагилистикэкспиалидоциус"
).split()
SEPARATORS = [" ", " ", " ", ", ", ". ", "\n", " — ", "; ", "\t", "...", " (", ") ", "'", "-", "\u00a0"]


def varied_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    special = ["", " ", "...", "one", "One two", "a b c d", "a b c d e", "A B C D E F", "_", "1 2 3 4 5 6",
               "x" * 400, ("y" * 70 + " ") * 6, "Σ", "ΣΣ Σ ΣΑΣ", "İİ i̇", "\u212a\u212a k"]
    texts = list(special)
    while len(texts) < count:
        length = rng.choice([1, 2, 4, 6, 20, 100, 400, 1500])
        words = [rng.choice(VOCABULARY) for _ in range(length)]
        if rng.random() < 0.3:
            words = [w.upper() if rng.random() < 0.2 else w.capitalize() if rng.random() < 0.3 else w for w in words]
        text = "".join(w + rng.choice(SEPARATORS) for w in words)
        texts.append(text if rng.random() < 0.5 else rng.choice(SEPARATORS) + text)
    return texts


def test_signatures_equal_the_definition_in_batches_of_any_size() -> None:
    texts = varied_texts(300, seed=1)
    expected = [reference_signature(text) for text in texts]
    hasher = MinHasher()
    for batch in (1, 37, 300):
        for lo in range(0, len(texts), batch):
            signatures, has = hasher.signatures(texts[lo:lo + batch])
            for i, (signature, ok) in enumerate(zip(signatures, has), lo):
                assert ok == (expected[i] is not None), repr(texts[i][:80])
                if expected[i] is not None:
                    assert np.array_equal(signature, expected[i]), (batch, repr(texts[i][:80]))
                else:  # no shingles: the empty signature, all ones
                    assert (signature == 0xFFFFFFFF).all()


def test_shingles_equal_the_definition_for_other_n_and_permutations() -> None:
    texts = varied_texts(120, seed=7)
    hasher = MinHasher(num_perm=40, ngram=3, seed=5)
    flat, offsets = hasher.shingles(texts)
    signatures, _ = hasher.signatures(texts)
    for i, text in enumerate(texts):
        assert flat[offsets[i]:offsets[i + 1]].tolist() == reference_shingles(text, 3), repr(text[:80])
        expected = reference_signature(text, num_perm=40, n=3, seed=5)
        if expected is not None:
            assert np.array_equal(signatures[i], expected)


def test_a_text_longer_than_a_block_and_a_batch_across_blocks() -> None:
    rng = random.Random(3)
    huge = " ".join(rng.choice(VOCABULARY) for _ in range(SHINGLE_BLOCK + 17))
    texts = ["short text here", huge] + varied_texts(30, seed=11)
    signatures, has = MinHasher().signatures(texts)
    for text, signature in zip(texts, signatures):
        expected = reference_signature(text)
        if expected is not None:
            assert np.array_equal(signature, expected)


def test_xxh32_many_is_xxh32() -> None:
    rng = random.Random(5)
    pieces = [bytes(rng.randrange(256) for _ in range(n)) for n in list(range(0, 70)) + [255, 256, 257, 300, 1000]]
    data = np.frombuffer(b"".join(pieces), dtype=np.uint8)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
    assert xxh32_many(data, offsets).tolist() == [xxhash.xxh32_intdigest(p) for p in pieces]
