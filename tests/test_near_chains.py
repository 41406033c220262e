"""Chains of near-duplicates (a ~ b ~ c, a far from c): nothing is removed for being near a removed record.

The expectations come from the rule in the design (docs/architecture.md, "Near-duplicates"): in rank
order, a record joins the survivor it is most similar to, or becomes a survivor itself; and from the
true Jaccard similarity of word 5-gram sets, computed here from the texts, not from pdcorpus.
"""

from __future__ import annotations

import math
import random
import re
import time

import numpy as np
import pytest

import pdcorpus
from pdcorpus import MinHashDedup, Pipeline, Record

WORD = re.compile(r"\w+")


def grams(text: str, k: int = 5) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b)


def rec(rid: str, text: str, source: str = "s") -> Record:
    return Record(id=f"{source}:{rid}", source=source, text=text, content_hash=pdcorpus.content_hash(text))


def run(records: list[Record], **options) -> tuple[list[Record], list, MinHashDedup]:
    rejects: list = []
    stage = MinHashDedup(**options)
    kept = list(Pipeline([stage], on_reject=rejects.append)(records))
    return kept, rejects, stage


def replaced(words: list[str], positions: list[int], tag: str) -> list[str]:
    out = list(words)
    for p in positions:
        out[p] = f"{tag}{p}"
    return out


def three_in_a_row() -> tuple[str, str, str]:
    """a ~ b ~ c with c far from a: b has 3 words of a replaced, c 3 more (each 12 words apart, so
    every replacement changes 5 of the 196 word 5-grams of a 200-word text)."""
    rng = random.Random(1)
    a = [f"w{rng.randrange(10**6)}" for _ in range(200)]
    b = replaced(a, [20, 32, 44], "b")
    c = replaced(b, [100, 112, 124], "c")
    return " ".join(a), " ".join(b), " ".join(c)


def test_the_small_chain_is_what_the_test_says():
    a, b, c = (grams(t) for t in three_in_a_row())
    # (196 - 15) / (196 + 15) and (196 - 30) / (196 + 30): first principles, checked on the sets
    assert jaccard(a, b) == jaccard(b, c) == pytest.approx(181 / 211) and jaccard(a, b) > 0.85
    assert jaccard(a, c) == pytest.approx(166 / 226) and jaccard(a, c) < 0.75


def test_in_a_small_chain_c_survives_when_it_is_far_from_the_kept_a():
    a, b, c = three_in_a_row()
    # a's source comes first, so a is kept; b is near a and removed; c is near only b, which was removed:
    # c is kept, although a, b and c are one connected component.
    kept, rejects, stage = run([rec("c", c, "later"), rec("b", b, "later"), rec("a", a, "first")],
                               source_priority={"first": 0, "later": 1})
    assert sorted(r.id for r in kept) == ["first:a", "later:c"]
    assert [(r.id, r.reason, r.detail) for r in rejects] == [("later:b", "near-duplicate", "of first:a (cluster of 2)")]
    by_id = {r.id: r for r in kept}
    assert by_id["later:c"].dedup_cluster is None  # similar to nothing kept: in no cluster
    assert (by_id["first:a"].dedup_cluster, by_id["first:a"].dedup_cluster_size) == ("first:a", 2)
    assert stage.counts["similar_pairs"] == 2  # a-b and b-c; a-c is not a near-duplicate pair


def test_in_a_small_chain_of_equals_the_middle_is_kept_and_both_ends_go_with_it():
    a, b, c = three_in_a_row()
    # One source: the record most others resemble (b, two neighbours) is kept before the lower id (a);
    # a and c are each within the threshold of b.
    kept, rejects, _ = run([rec("a", a), rec("b", b), rec("c", c)])
    assert [r.id for r in kept] == ["s:b"]
    assert sorted((r.id, r.detail) for r in rejects) == [("s:a", "of s:b (cluster of 3)"), ("s:c", "of s:b (cluster of 3)")]


def brute_force_centers(members: list[int], rank, similar, closeness) -> list[tuple[int, list[int]]]:
    """The rule, literally: each member in rank order against every survivor so far."""
    centers: list[tuple[int, list[int]]] = []
    for key in sorted(members, key=rank):
        near = [(closeness(c[0], key), -i) for i, c in enumerate(centers) if similar(c[0], key)]
        if near:
            centers[-max(near)[1]][1].append(key)
        else:
            centers.append((key, [key]))
    return centers


def test_the_survivor_index_finds_every_survivor_a_member_is_similar_to():
    """Survivors are looked up by chunks of their signatures; on random signatures at every distance, the
    split equals comparing each member with every survivor (estimates only: no texts given)."""
    rng = np.random.default_rng(4)
    stage = MinHashDedup(threshold=0.8)
    perm = stage.hasher.num_perm
    base = rng.integers(0, 1 << 32, size=(8, perm), dtype=np.uint64).astype(np.uint32)
    sigs = []
    for _ in range(600):  # variants of a few bases, each differing in 0 to 45 random positions
        s = base[rng.integers(0, len(base))].copy()
        flip = rng.choice(perm, size=int(rng.integers(0, 46)), replace=False)
        s[flip] = rng.integers(0, 1 << 32, size=len(flip), dtype=np.uint64).astype(np.uint32)
        sigs.append(s)
    sigs = np.stack(sigs)
    estimate = lambda a, b: float(np.mean(sigs[a] == sigs[b]))
    similar = lambda a, b: estimate(a, b) >= 0.8
    rank = lambda k: (0, k)

    def judge(centers, key):
        values = np.array([estimate(c, key) for c in centers])
        return np.where(values >= 0.8, values, -np.inf)

    members = list(range(len(sigs)))
    got = stage._centers(members, lambda k: sigs[k], rank, judge)
    assert got == brute_force_centers(members, rank, similar, estimate)
    assert 20 < len(got) < len(members)  # the case is not trivial: several survivors, many joined
    # the pigeonhole itself: any two signatures that can be judged similar share a whole chunk
    keys = stage.kind.index_keys(sigs)
    lowest = stage.threshold - stage.exact_margin
    for a in range(0, 600, 7):
        for b in range(a + 1, 600, 5):
            if estimate(a, b) >= lowest:
                assert (keys[a] == keys[b]).any()


CHAIN = 20_000
WORDS = 400
STRIDE = 7  # coprime with WORDS: the replaced position walks over every word once in WORDS steps


def chain_texts() -> list[str]:
    """Record i+1 is record i with one word replaced by a word used nowhere else: consecutive records
    differ in 5 of 396 word 5-grams; a record and the one WORDS steps on share no word."""
    rng = random.Random(2)
    words = [f"w{rng.randrange(10**9)}" for _ in range(WORDS)]
    texts = [" ".join(words)]
    for i in range(1, CHAIN):
        words[(i * STRIDE) % WORDS] = f"r{i}"
        texts.append(" ".join(words))
    return texts


def test_a_chain_of_20000_near_duplicates_is_split_around_survivors():
    texts = chain_texts()
    true_j = lambda a, b: jaccard(grams(texts[a]), grams(texts[b]))
    # The chain is what it claims: neighbours very alike, ends sharing nothing.
    assert true_j(0, 1) == pytest.approx(391 / 401)  # (396 - 5) / (396 + 5)
    assert true_j(0, 8) == pytest.approx(356 / 436) and true_j(0, 9) == pytest.approx(351 / 441)
    assert true_j(0, WORDS) == 0 and true_j(0, CHAIN - 1) == 0
    threshold = 0.8
    started = time.perf_counter()
    kept, rejects, stage = run([rec(f"c{i:05d}", t) for i, t in enumerate(texts)], threshold=threshold)
    seconds = time.perf_counter() - started
    index = {f"s:c{i:05d}": i for i in range(CHAIN)}
    survivors = {r.id for r in kept}
    removed = [(index[r.id], index[r.detail.split()[1]]) for r in rejects]
    assert len(removed) + len(survivors) == CHAIN and {r.reason for r in rejects} == {"near-duplicate"}
    assert all(f"s:c{s:05d}" in survivors for _, s in removed)  # removed in favour of a kept record

    # Every removed record is near the survivor kept in its place, on the true similarity. A pair is
    # removed on its estimate only where that is at least threshold + exact_margin (0.9), otherwise on
    # its exact similarity; a 128-permutation estimate is off by more than 5 standard errors,
    # sqrt(J (1 - J) / 128), with probability < 1e-6; so no removed pair is below 0.9 - 5 * 0.0405 = 0.70.
    true = np.array([true_j(a, s) for a, s in removed])
    sigma = math.sqrt(0.7 * 0.3 / stage.hasher.num_perm)
    margin = 0.1  # exact_margin's default
    assert true.min() >= threshold + margin - 5 * sigma, np.sort(true)[:20]
    # and below the threshold only where the estimate erred by more than 2.5 standard errors (rare)
    assert (true < threshold).mean() < 0.01, np.sort(true)[:20]
    # Records within 8 steps are above the threshold (8 steps: (396-40)/(396+40) = 0.8165; 9: 0.796),
    # so a survivor stands for at most 17 records: the chain keeps at least CHAIN / 17 of them.
    assert len(survivors) >= CHAIN / 17
    print(f"\nchain of {CHAIN:,}: {len(survivors):,} kept, {len(removed):,} removed, {seconds:.1f} s; "
          f"true J of removed pairs: min {true.min():.3f}, median {np.median(true):.3f}; {stage.counts}")
    assert seconds < 300, f"{seconds:.0f} s for a chain of {CHAIN:,}"
