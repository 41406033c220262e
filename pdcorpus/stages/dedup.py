"""Deduplication across all sources: exact by content hash, near by MinHash LSH (texts) or pHash (images).

Which record of a duplicate cluster survives is decided by a rule, never by
arrival order: the lowest ``(source priority, id)``, where a source's
priority is its place in the config unless it states one. Ties (the same id
twice) go to the earliest position in the input order of the plan. Near
duplicates put the record most others resemble between the two, and split
each connected component around survivors, so that nothing is removed for
resembling only a record that was itself removed.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator, Literal

import numpy as np
import pyarrow as pa
from pydantic import Field, model_validator

from pdcorpus.minhash import MinHasher, UnionFind, band_hashes, optimal_bands
from pdcorpus.record import Record, content_hash, table_to_records
from pdcorpus.stages.base import BucketReduceStage, GlobalStage, StageParams


# An earlier release's records take part in a dedup under this source name (see `against`).
PREVIOUS = "previous-release"
PREVIOUS_PREFIX = f"{PREVIOUS}:"


class DedupParams(StageParams):
    method: Literal["exact", "minhash", "phash"] = "exact"
    # the output folder (or URL) of an earlier build: records it published are not published again
    against: str | None = None
    # minhash only: near-duplicates are pairs whose estimated Jaccard similarity of word n-grams
    # reaches `threshold`; bands and rows follow from it unless given
    threshold: float = Field(0.8, gt=0, lt=1)
    num_perm: int = Field(128, ge=16, le=1024)
    ngram: int = Field(5, ge=1, le=32)
    seed: int = 1
    bands: int | None = Field(None, ge=1)
    rows: int | None = Field(None, ge=1)
    # minhash only: a pair whose estimate is within this of the threshold is decided on the exact Jaccard
    # similarity of its records' shingle sets (0: on the estimate alone)
    exact_margin: float = Field(0.1, ge=0, lt=1)
    # phash only (images): near-duplicates are images whose 64-bit perceptual hashes differ in at most this many bits
    max_distance: int = Field(4, ge=0, le=15)

    @model_validator(mode="after")
    def _shape(self) -> "DedupParams":
        if (self.bands is None) != (self.rows is None):
            raise ValueError("give both bands and rows, or neither")
        if self.bands is not None and self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows ({self.bands} x {self.rows}) exceeds num_perm ({self.num_perm})")
        return self


class ExactDedup(BucketReduceStage):
    """Keeps one record per ``content_hash`` (xxh3-128 of the normalized text)."""

    name = "dedup"
    Params = DedupParams

    def __init__(self, method: str = "exact", source_priority: dict[str, int] | None = None,
                 against: str | None = None, **_: Any) -> None:
        super().__init__()
        self.method = method
        self.source_priority = dict(source_priority or {})

    @property
    def label(self) -> str:
        return f"dedup:{self.method}"

    def bind(self, context) -> None:
        self.source_priority = dict(context.source_priority)

    def _rank(self, source: str, id: str) -> tuple[int, str]:
        if source == PREVIOUS:  # what was already published always survives
            return -(1 << 30), id
        return self.source_priority.get(source, len(self.source_priority)), id

    def partition_key(self, record: Record) -> str:
        if record.content_hash is None:
            record.content_hash = content_hash(record.text) if record.image is None else \
                content_hash(data=record.image.get("bytes") or b"")
        return record.content_hash

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        """In-memory dedup over a plain iterable (library use); output keeps input order."""
        kept: list[Record] = []
        best: dict[str, int] = {}
        for record in records:
            key = self.partition_key(record)
            self.stats.add(record.source, n_in=1)
            index = best.get(key)
            if index is None:
                best[key] = len(kept)
                kept.append(record)
            elif self._rank(record.source, record.id) < self._rank(kept[index].source, kept[index].id):
                loser, kept[index] = kept[index], record
                self.drop(loser, "duplicate", f"of {record.id}")
            else:
                self.drop(record, "duplicate", f"of {kept[index].id}")
        for record in kept:
            self.stats.add(record.source, n_out=1)
            yield record

    def _winners(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> dict[str, tuple[tuple[int, str], int]]:
        """First pass over a bucket, three columns only: each hash's survivor and its position."""
        winner: dict[str, tuple[tuple[int, str], int]] = {}
        position = 0
        for batch in batches(columns=["content_hash", "source", "id"]):
            hashes, sources, ids = (batch.column(i).to_pylist() for i in range(3))
            for h, src, rid in zip(hashes, sources, ids):
                rank = self._rank(src, rid)
                current = winner.get(h)
                if current is None or rank < current[0]:
                    winner[h] = (rank, position)
                position += 1
        return winner

    def reduce(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> Iterator[Record]:
        """One bucket, in two passes: find each hash's survivor from three columns, then stream.

        Records of an earlier release (``against``) take part with the highest priority, so that a
        record already published always wins; they are never passed on nor counted.
        """
        winner = self._winners(batches)
        position = 0
        for batch in batches():
            for record in table_to_records(batch):
                rank, keep_at = winner[record.content_hash]
                at, position = position, position + 1
                if record.source == PREVIOUS:
                    continue
                self.stats.add(record.source, n_in=1)
                if keep_at == at:
                    self.stats.add(record.source, n_out=1)
                    yield record
                elif rank[1].startswith(PREVIOUS_PREFIX):
                    self.drop(record, "in-previous-release", f"as {rank[1][len(PREVIOUS_PREFIX):]}")
                else:
                    self.drop(record, "duplicate", f"of {rank[1]}")

    def reduce_batches(self, batches: Callable[..., Iterator[pa.RecordBatch]]) -> Iterator[pa.RecordBatch]:
        """``reduce`` on Arrow batches, for when no record-level stage follows: only the
        duplicates become records (for their rejects), survivors stay columnar."""
        winner = self._winners(batches)
        position = 0
        for batch in batches():
            hashes = batch.column("content_hash").to_pylist()
            sources = batch.column("source").to_pylist()
            keep = [winner[h][1] == position + i and src != PREVIOUS for i, (h, src) in enumerate(zip(hashes, sources))]
            position += len(hashes)
            for src, kept in zip(sources, keep):
                if src != PREVIOUS:
                    self.stats.add(src, 1, 1 if kept else 0)
            if not all(keep):
                dropped = batch.filter(pa.array([not k and src != PREVIOUS for k, src in zip(keep, sources)]))
                for record in table_to_records(dropped):
                    survivor = winner[record.content_hash][0][1]
                    if survivor.startswith(PREVIOUS_PREFIX):
                        self.drop(record, "in-previous-release", f"as {survivor[len(PREVIOUS_PREFIX):]}")
                    else:
                        self.drop(record, "duplicate", f"of {survivor}")
                batch = batch.filter(pa.array(keep))
            yield batch


# Candidate pairs are verified in blocks of this many (both sides' signatures stacked), to bound memory.
VERIFY_BLOCK = 8192

# A connected component of at most this many records is split without the survivor index.
SMALL_COMPONENT = 32

# What the clusters step needs of a record's text: its shingle set, for a list of keys at once.
Shingles = Callable[[int], np.ndarray]
ShingleLoader = Callable[[list[int]], Shingles]


def shingle_sets(hasher: MinHasher, texts: list[str]) -> list[np.ndarray]:
    """Each text's set of shingle hashes (sorted, distinct), as its signature was computed from."""
    flat, offsets = hasher.shingles(texts)
    return [np.unique(flat[offsets[i]:offsets[i + 1]]) for i in range(len(texts))]


def exact_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sets given as sorted arrays of distinct hashes."""
    if len(a) > len(b):
        a, b = b, a
    at = np.searchsorted(b, a)  # the smaller set looked up in the larger, both sorted
    common = int(np.count_nonzero(b[np.minimum(at, len(b) - 1)] == a)) if len(b) else 0
    union = len(a) + len(b) - common
    return common / union if union else 0.0


class MinHashDedup(GlobalStage):
    """Near-duplicates by MinHash LSH: one survivor per cluster, chosen by rule; clusters kept as columns.

    Candidate pairs share a band of their signatures; a pair counts when its signatures agree on at
    least ``threshold`` of the permutations (the estimated Jaccard similarity), which removes most
    of LSH's false positives. Where the estimate is within ``exact_margin`` of the threshold, where
    128 permutations err either way often enough to matter (the standard error at 0.8 is 0.035), the
    pair is decided on the exact Jaccard similarity of the two records' shingle sets instead,
    recomputed from the texts of those records only. Clusters are split out of the connected
    components of the counted pairs around survivors, so that nothing is removed by chaining.
    """

    name = "dedup"
    Params = DedupParams

    def __init__(self, method: str = "minhash", threshold: float = 0.8, num_perm: int = 128, ngram: int = 5,
                 seed: int = 1, bands: int | None = None, rows: int | None = None, exact_margin: float = 0.1,
                 source_priority: dict[str, int] | None = None, against: str | None = None) -> None:
        super().__init__()
        self.method = "minhash"
        self.threshold = threshold
        self.exact_margin = exact_margin
        self.hasher = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed)
        # Every candidate is verified on its signatures, so the bands are chosen for recall: a missed
        # candidate is lost for good, a false one costs one comparison.
        self.bands, self.rows = (bands, rows) if bands else optimal_bands(threshold, num_perm, fp_weight=0.05,
                                                                          fn_weight=0.95)
        self.source_priority = dict(source_priority or {})

    @property
    def label(self) -> str:
        return "dedup:minhash"

    def bind(self, context) -> None:
        self.source_priority = dict(context.source_priority)

    def rank(self, source: str, id: str, key: int) -> tuple[int, str, int]:
        if source == PREVIOUS:  # what was already published always survives
            return -(1 << 30), id, key
        return self.source_priority.get(source, len(self.source_priority)), id, key

    @staticmethod
    def text_of(record: Record) -> str:
        """What is hashed of a record: its text, else its caption."""
        return record.text if record.text is not None else (record.caption or "")

    def signatures(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        return self.hasher.signatures([self.text_of(r) for r in records])

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        return band_hashes(signatures, self.bands, self.rows)

    def describe(self) -> dict[str, Any]:
        return {"method": "minhash", "threshold": self.threshold, "num_perm": self.hasher.num_perm,
                "ngram": self.hasher.ngram, "bands": self.bands, "rows": self.rows,
                "exact_margin": self.exact_margin}

    # -- deciding pairs -------------------------------------------------------------------------------

    def estimates(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Row by row, how alike two stacks of signatures are (higher: closer): the estimated Jaccard."""
        return (a == b).mean(axis=1)

    def uncertain(self, estimates: np.ndarray) -> np.ndarray:
        """The pairs whose estimate is too near the threshold to decide on: decided on exact similarity."""
        if self.exact_margin <= 0:
            return np.zeros(len(estimates), dtype=bool)
        return np.abs(estimates - self.threshold) <= self.exact_margin

    def accepted(self, values: np.ndarray) -> np.ndarray:
        """Which pairs are near-duplicates, given their similarity (estimated or exact)."""
        return values >= self.threshold

    def index_keys(self, signatures: np.ndarray) -> np.ndarray:
        """uint64 [n, chunks]: keys of disjoint chunks of each signature such that any two signatures that
        can be judged similar agree on a whole chunk (the pigeonhole principle: an accepted pair's estimate
        is at least threshold - exact_margin, so it differs in at most m positions; m + 1 chunks).
        Survivors are found by these keys, so the index misses no survivor a member is similar to."""
        n, perm = signatures.shape
        lowest = self.threshold - max(self.exact_margin, 0.0)
        mismatches = 0
        while mismatches < perm and (perm - mismatches - 1) / perm >= lowest - 1e-9:
            mismatches += 1
        chunks = min(perm, mismatches + 1)
        bounds = [round(perm * i / chunks) for i in range(chunks + 1)]
        keys = np.zeros((n, chunks), dtype=np.uint64)
        with np.errstate(over="ignore"):  # wrapping arithmetic is the hash; a collision only adds a comparison
            for chunk, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
                acc = np.zeros(n, dtype=np.uint64)
                for j in range(lo, hi):
                    acc = acc * np.uint64(0x100000001B3) + signatures[:, j].astype(np.uint64)
                keys[:, chunk] = acc
        return keys

    def clusters(self, edges: Iterable[tuple[int, int]], signature_of: Callable[[int], np.ndarray],
                 rank_of: Callable[[int], tuple], shingles_for: ShingleLoader | None = None,
                 ) -> tuple[dict[int, tuple[bool, str, int, str]], dict[str, int]]:
        """Verifies candidate pairs and joins them: key -> (keep, cluster id, cluster size, survivor id).

        ``shingles_for`` (keys -> lookup of their shingle sets) is called at most once, for the records
        of the pairs that are not rejected outright; without it, uncertain pairs are decided on their
        estimate alone.
        """
        edge_array = np.asarray(list(edges), dtype=np.int64).reshape(-1, 2)
        estimates = np.empty(len(edge_array), dtype=np.float64)
        for lo in range(0, len(edge_array), VERIFY_BLOCK):
            block = edge_array[lo:lo + VERIFY_BLOCK]
            estimates[lo:lo + len(block)] = self.estimates(np.stack([signature_of(k) for k in block[:, 0].tolist()]),
                                                           np.stack([signature_of(k) for k in block[:, 1].tolist()]))
        uncertain = self.uncertain(estimates)
        shingles: Shingles | None = None
        loaded = 0
        # Every member of a cluster has a pair that is not rejected outright, so the shingle sets of
        # these records are all that the centering below can need. They are needed where a pair is
        # uncertain, or where a component has three members or more (its centering compares records that
        # were not a candidate pair, which may be uncertain).
        open_pairs = self.accepted(estimates) | uncertain
        needed, seen = np.unique(edge_array[open_pairs], return_counts=True)
        if shingles_for is not None and (uncertain.any() or (len(seen) and seen.max() > 1)):
            shingles, loaded = shingles_for(needed.tolist()), len(needed)
        exact: dict[tuple[int, int], float] = {}

        def exact_of(a: int, b: int) -> float:
            pair = (a, b) if a < b else (b, a)
            if pair not in exact:
                exact[pair] = exact_jaccard(shingles(a), shingles(b))
            return exact[pair]

        values = estimates.copy()
        if shingles is not None:
            for i in np.flatnonzero(uncertain).tolist():
                values[i] = exact_of(*edge_array[i].tolist())
        verified = self.accepted(values)
        found = UnionFind()
        degree: dict[int, int] = {}
        for a, b in edge_array[verified].tolist():
            found.union(a, b)
            degree[a] = degree.get(a, 0) + 1
            degree[b] = degree.get(b, 0) + 1

        def judge(centers: list[int], key: int) -> np.ndarray:
            """The similarity of ``key`` to each of ``centers``; -inf where it is not a near-duplicate."""
            est = self.estimates(np.stack([signature_of(c) for c in centers]), signature_of(key)[None, :])
            out = est.astype(np.float64)
            if shingles is not None:
                for i in np.flatnonzero(self.uncertain(est)).tolist():
                    out[i] = exact_of(centers[i], key)
            return np.where(self.accepted(out), out, -np.inf)

        def survivor_rank(key: int) -> tuple:
            # source priority first; then the record most others resemble (the original of a set of
            # copies, rather than one far copy); then the id
            rank = rank_of(key)
            return (rank[0], -degree.get(key, 0)) + tuple(rank[1:])

        decisions: dict[int, tuple[bool, str, int, str]] = {}
        for members in found.groups().values():
            for center, assigned in self._centers(members, signature_of, survivor_rank, judge):
                if len(assigned) == 1:  # similar to nothing kept: not a duplicate of anything
                    continue
                center_id = rank_of(center)[1]  # the id
                for key in assigned:
                    decisions[key] = (key == center, center_id, len(assigned), center_id)
        counts = {"candidate_pairs": len(edge_array), "similar_pairs": int(verified.sum()),
                  "exact_pairs": len(exact), "exact_records": loaded,
                  "clusters": sum(1 for v in decisions.values() if v[0]), "records_in_clusters": len(decisions)}
        return decisions, counts

    def _centers(self, members: list[int], signature_of: Callable[[int], np.ndarray],
                 rank_of: Callable[[int], tuple], judge: Callable[[list[int], int], np.ndarray],
                 ) -> list[tuple[int, list[int]]]:
        """Splits a connected component into clusters around survivors, without chaining.

        In rank order, a member joins the survivor it is most similar to (ties: the better ranked), or
        becomes a survivor itself: every record removed is similar to the record kept in its place, never
        only to a record that was itself removed (a ~ b ~ c does not remove c when c is far from a).
        Survivors are indexed by chunks of their signatures (``index_keys``), and a member is compared only
        with the survivors it shares a chunk with, which are all it can be similar to: the same result as
        comparing it with every survivor, in time that grows with the neighbours, not the component.
        """
        ordered = sorted(members, key=rank_of)
        if len(ordered) == 2:  # one pair, which was accepted: the second joins the first
            return [(ordered[0], ordered)]
        # A small component compares each member with every survivor (the same result, without an index).
        small = len(ordered) <= SMALL_COMPONENT
        keys = None if small else self.index_keys(np.stack([signature_of(k) for k in ordered]))
        index: dict[tuple[int, int], list[int]] = {}
        centers: list[tuple[int, list[int]]] = []
        for position, key in enumerate(ordered):
            if small:
                candidates = list(range(len(centers)))
            else:
                row = keys[position].tolist()
                candidates = sorted({c for chunk, h in enumerate(row) for c in index.get((chunk, h), ())})
            if candidates:
                values = judge([centers[c][0] for c in candidates], key)
                best = int(np.argmax(values))  # the first of equals: the better ranked survivor
                if values[best] > -np.inf:
                    centers[candidates[best]][1].append(key)
                    continue
            if not small:
                for chunk, h in enumerate(row):
                    index.setdefault((chunk, h), []).append(len(centers))
            centers.append((key, [key]))
        return centers

    def shingle_loader(self, text_of: Callable[[int], str]) -> ShingleLoader | None:
        """For ``clusters``: the shingle sets of records whose texts are at hand (None where not used)."""
        def load(keys: list[int]) -> Shingles:
            found: dict[int, np.ndarray] = {}
            for lo in range(0, len(keys), 1024):
                part = keys[lo:lo + 1024]
                found.update(zip(part, shingle_sets(self.hasher, [text_of(k) for k in part])))
            return found.__getitem__
        return load if self.exact_margin > 0 else None

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        """In-memory near-dedup over a plain iterable (library use); output keeps input order."""
        kept = list(records)
        for record in kept:
            self.stats.add(record.source, n_in=1)
        signatures: list[np.ndarray] = []
        has: list[np.ndarray] = []
        for start in range(0, len(kept), 1024):
            sig, ok = self.signatures(kept[start:start + 1024])
            signatures.append(sig)
            has.append(ok)
        sig = np.concatenate(signatures) if signatures else np.zeros((0, self.hasher.num_perm), np.uint32)
        ok = np.concatenate(has) if has else np.zeros(0, bool)
        buckets: dict[tuple[int, int], list[int]] = {}
        hashes = self.band_keys(sig)
        for i in np.flatnonzero(ok):
            for band in range(hashes.shape[1]):
                buckets.setdefault((band, int(hashes[i, band])), []).append(int(i))
        edges = {edge for group in buckets.values() for edge in candidate_pairs(group)}
        decisions, self.counts = self.clusters(sorted(edges), lambda k: sig[k],
                                               lambda k: self.rank(kept[k].source, kept[k].id, k),
                                               self.shingle_loader(lambda k: self.text_of(kept[k])))
        for i, record in enumerate(kept):
            decision = decisions.get(i)
            if decision is not None:
                record.dedup_cluster, record.dedup_cluster_size = decision[1], decision[2]
                if not decision[0]:
                    self.drop(record, "near-duplicate", f"of {decision[3]} (cluster of {decision[2]})")
                    continue
            self.stats.add(record.source, n_out=1)
            yield record


# A band bucket with more records than this is joined as a star (its first record to each other)
# instead of every pair; near-duplicate groups are far smaller, a bucket this full is mostly unrelated.
MAX_PAIRWISE_GROUP = 64


def candidate_pairs(keys: list[int]) -> list[tuple[int, int]]:
    """The pairs to verify in one band bucket: every pair in a small bucket, a star in a large one."""
    keys = sorted(set(keys))
    if len(keys) <= MAX_PAIRWISE_GROUP:
        return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]]
    return [(keys[0], other) for other in keys[1:]]


class PHashDedup(MinHashDedup):
    """Near-duplicate images by perceptual hash: Hamming distance of the 64-bit pHash at most ``max_distance``.

    The candidates come from the pigeonhole principle: split into ``max_distance + 1`` chunks of bits,
    two hashes within the distance agree on at least one chunk; candidates are then verified exactly.
    Records without an image (or whose image cannot be decoded) take no part.
    """

    def __init__(self, method: str = "phash", max_distance: int = 4, source_priority: dict[str, int] | None = None,
                 against: str | None = None, **_: Any) -> None:
        GlobalStage.__init__(self)
        self.method = "phash"
        self.max_distance = max_distance
        self.exact_margin = 0.0
        self.bands, self.rows = max_distance + 1, 0
        self.source_priority = dict(source_priority or {})

    @property
    def label(self) -> str:
        return "dedup:phash"

    def signatures(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        from pdcorpus.images import ImageError, phash

        out = np.zeros((len(records), 2), dtype=np.uint32)
        ok = np.zeros(len(records), dtype=bool)
        for i, record in enumerate(records):
            data = (record.image or {}).get("bytes")
            if not data:
                continue
            try:
                value = phash(data)
            except ImageError:
                continue
            out[i] = (value >> 32, value & 0xFFFFFFFF)
            ok[i] = True
        return out, ok

    def estimates(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Minus the Hamming distance of the hashes (higher: closer); exact, so nothing is uncertain."""
        return -np.bitwise_count(a ^ b).sum(axis=1).astype(np.int64)

    def uncertain(self, estimates: np.ndarray) -> np.ndarray:
        return np.zeros(len(estimates), dtype=bool)

    def accepted(self, values: np.ndarray) -> np.ndarray:
        return -values <= self.max_distance

    def index_keys(self, signatures: np.ndarray) -> np.ndarray:
        return self.band_keys(signatures)  # max_distance + 1 chunks of bits: the pigeonhole already

    def shingle_loader(self, text_of: Callable[[int], str]) -> ShingleLoader | None:
        return None

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        values = (signatures[:, 0].astype(np.uint64) << np.uint64(32)) | signatures[:, 1].astype(np.uint64)
        bounds = [round(64 * i / self.bands) for i in range(self.bands + 1)]
        keys = np.empty((len(values), self.bands), dtype=np.uint64)
        for band, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
            keys[:, band] = (values >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        return keys

    def describe(self) -> dict[str, Any]:
        return {"method": "phash", "max_distance": self.max_distance, "bands": self.bands}


class Dedup:
    """The ``dedup`` key of a corpus file: ``method: exact`` or ``method: minhash``."""

    name = "dedup"
    is_global = True
    Params = DedupParams

    @staticmethod
    def from_params(params: DedupParams) -> GlobalStage:
        options = params.model_dump()
        if params.method == "minhash":
            return MinHashDedup(**{k: v for k, v in options.items() if k != "max_distance"})
        if params.method == "phash":
            return PHashDedup(method="phash", max_distance=params.max_distance, against=params.against)
        return ExactDedup(method="exact", against=params.against)
