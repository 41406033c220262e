"""Near-duplicate removal across all sources: MinHash LSH over texts, or perceptual hashes of images.

One stage, ``NearDedup``, with the kind of signature as a part (composition): ``MinHashSignatures`` (word
n-gram MinHash, LSH bands, estimates decided on exact Jaccard near the threshold) or ``PHashSignatures`` (the
64-bit pHash, chunks of bits by the pigeonhole principle, Hamming distance). The stage owns three phases:

- **bands**: the task before the stage wrote each record's signature and band hashes (``Signer``, its intake's
  sidecar); one task per hash bucket of band hashes: records sharing a band become candidate pairs;
- **clusters**: one task: pairs verified on their signatures, joined into clusters, one survivor per cluster
  by rule, without chaining;
- **apply**: one task per upstream task: its records, minus the clusters' non-survivors, with cluster id and
  size, passed on.

Which record of a cluster survives is decided by a rule, never by arrival order: the lowest source
priority, then the record most others resemble, then the id. Clusters are split out of connected components
around survivors, so that nothing is removed for resembling only a record that was itself removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pdcorpus.io.atomic import WholeFile
from pdcorpus.io.exchange import PartitionedSpill, bucket_units, result_units
from pdcorpus.minhash import MinHasher, UnionFind, band_hashes, optimal_bands
from pdcorpus.record import Record, table_to_records
from pdcorpus.stages.base import GlobalStage, Intake, StepInputs
from pdcorpus.stages.dedup.params import DedupParams
from pdcorpus.stages.params import StageParamsError, stage_params
from pdcorpus.stages.dedup.previous import PREVIOUS, PREVIOUS_PREFIX, previous_release_tasks

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


def text_of(record: Record) -> str:
    """What MinHash hashes of a record: its text, else its caption."""
    return record.text if record.text is not None else (record.caption or "")


class MinHashSignatures:
    """MinHash signatures of word n-grams: a pair is near when its estimated Jaccard similarity reaches
    ``threshold`` (decided on the exact similarity of the shingle sets within ``exact_margin`` of it, where 128
    permutations err either way often enough to matter: the standard error at 0.8 is 0.035)."""

    name = "minhash"
    columns = ("text", "caption")  # what an earlier release's shards must give

    def __init__(self, threshold: float = 0.8, num_perm: int = 128, ngram: int = 5, seed: int = 1,
                 bands: int | None = None, rows: int | None = None, exact_margin: float = 0.1) -> None:
        self.threshold = threshold
        self.exact_margin = exact_margin
        self.hasher = MinHasher(num_perm=num_perm, ngram=ngram, seed=seed)
        self.width = num_perm
        # Every candidate is verified on its signatures, so the bands are chosen for recall: a missed
        # candidate is lost for good, a false one costs one comparison.
        self.bands, self.rows = (bands, rows) if bands else optimal_bands(threshold, num_perm, fp_weight=0.05,
                                                                          fn_weight=0.95)

    def signatures(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        return self.hasher.signatures([text_of(r) for r in records])

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

    def shingle_loader(self, text_of: Callable[[int], str]) -> ShingleLoader | None:
        """For ``clusters``: the shingle sets of records whose texts are at hand (None where not used)."""
        def load(keys: list[int]) -> Shingles:
            found: dict[int, np.ndarray] = {}
            for lo in range(0, len(keys), 1024):
                part = keys[lo:lo + 1024]
                found.update(zip(part, shingle_sets(self.hasher, [text_of(k) for k in part])))
            return found.__getitem__
        return load if self.exact_margin > 0 else None


class PHashSignatures:
    """Near-duplicate images by perceptual hash: Hamming distance of the 64-bit pHash at most ``max_distance``.

    The candidates come from the pigeonhole principle: split into ``max_distance + 1`` chunks of bits,
    two hashes within the distance agree on at least one chunk; candidates are then verified exactly.
    Records without an image (or whose image cannot be decoded) take no part.
    """

    name = "phash"
    columns = ("image",)
    exact_margin = 0.0
    width = 2

    def __init__(self, max_distance: int = 4) -> None:
        self.max_distance = max_distance
        self.bands, self.rows = max_distance + 1, 0

    def signatures(self, records: list[Record]) -> tuple[np.ndarray, np.ndarray]:
        from pdcorpus.imaging import ImageError, phash

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

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        values = (signatures[:, 0].astype(np.uint64) << np.uint64(32)) | signatures[:, 1].astype(np.uint64)
        bounds = [round(64 * i / self.bands) for i in range(self.bands + 1)]
        keys = np.empty((len(values), self.bands), dtype=np.uint64)
        for band, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
            keys[:, band] = (values >> np.uint64(lo)) & np.uint64((1 << (hi - lo)) - 1)
        return keys

    def describe(self) -> dict[str, Any]:
        return {"method": "phash", "max_distance": self.max_distance, "bands": self.bands}

    def shingle_loader(self, text_of: Callable[[int], str]) -> ShingleLoader | None:
        return None


class NearDedup(GlobalStage):
    """Near-duplicates by a kind of signature (``MinHashSignatures``, ``PHashSignatures``): one survivor per
    cluster, chosen by rule; clusters kept as the ``dedup_cluster`` and ``dedup_cluster_size`` columns."""

    name = "dedup"

    def __init__(self, kind: Any, source_priority: dict[str, int] | None = None, against: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.method = kind.name
        self.against = against
        self.storage_options: dict[str, Any] = {}
        self.source_priority = dict(source_priority or {})
        self.counts: dict[str, int] = {}

    @property
    def label(self) -> str:
        return f"dedup:{self.kind.name}"

    def bind(self, context) -> None:
        self.source_priority = dict(context.source_priority)
        self.storage_options = dict(context.storage_options)

    # the kind's parameters, for those who read them off the stage
    bands = property(lambda self: self.kind.bands)
    rows = property(lambda self: self.kind.rows)
    exact_margin = property(lambda self: self.kind.exact_margin)

    def describe(self) -> dict[str, Any]:
        return self.kind.describe()

    def rank(self, source: str, id: str, key: int) -> tuple[int, str, int]:
        if source == PREVIOUS:  # what was already published always survives
            return -(1 << 30), id, key
        return self.source_priority.get(source, len(self.source_priority)), id, key

    # -- in a build: phases, tasks -------------------------------------------------------------------------

    def steps(self) -> list[str]:
        return [f"dedup-{self.kind.name}-{step}" for step in ("bands", "clusters", "apply")]

    def intake(self, buckets: int) -> Intake:
        """All of a task's records in one partition, in order (the apply phase reads them back as they are);
        their signatures and band hashes on the side."""
        return Intake(lambda record: "all", sidecar=lambda ctx: Signer(self, ctx, buckets))

    def tasks(self, step: str, inputs: StepInputs) -> list[Any]:
        bands, clusters, apply = self.steps()
        if step == bands:
            return [BandTask(b, units) for b, units in
                    enumerate(bucket_units(inputs.upstream, inputs.buckets, "bands_file", "bands_index"))]
        signed = [r for r in inputs.upstream if r.get("signatures_file")]
        if step == clusters:
            return [ClusterTask(0, tuple(r["edges_file"] for r in inputs.earlier[bands] if r.get("edges_file")),
                                tuple(r["signatures_file"] for r in signed),
                                tuple((r["task"], result_units(r)) for r in signed))]
        decisions = inputs.earlier[clusters][0].get("decisions_file")
        return [ApplyTask(r["task"], result_units(r), decisions) for r in inputs.upstream]

    def upstream_tasks(self) -> list[Any]:
        """An earlier release's records (``against``), with what their signatures need, read with the phase before."""
        if not self.against:
            return []
        return previous_release_tasks(self.against, self.storage_options, self.kind.columns)

    # -- deciding pairs and clusters ----------------------------------------------------------------------

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
            estimates[lo:lo + len(block)] = self.kind.estimates(np.stack([signature_of(k) for k in block[:, 0].tolist()]),
                                                           np.stack([signature_of(k) for k in block[:, 1].tolist()]))
        uncertain = self.kind.uncertain(estimates)
        shingles: Shingles | None = None
        loaded = 0
        # Every member of a cluster has a pair that is not rejected outright, so the shingle sets of
        # these records are all that the centering below can need. They are needed where a pair is
        # uncertain, or where a component has three members or more (its centering compares records that
        # were not a candidate pair, which may be uncertain).
        open_pairs = self.kind.accepted(estimates) | uncertain
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
        verified = self.kind.accepted(values)
        found = UnionFind()
        degree: dict[int, int] = {}
        for a, b in edge_array[verified].tolist():
            found.union(a, b)
            degree[a] = degree.get(a, 0) + 1
            degree[b] = degree.get(b, 0) + 1

        def judge(centers: list[int], key: int) -> np.ndarray:
            """The similarity of ``key`` to each of ``centers``; -inf where it is not a near-duplicate."""
            est = self.kind.estimates(np.stack([signature_of(c) for c in centers]), signature_of(key)[None, :])
            out = est.astype(np.float64)
            if shingles is not None:
                for i in np.flatnonzero(self.kind.uncertain(est)).tolist():
                    out[i] = exact_of(centers[i], key)
            return np.where(self.kind.accepted(out), out, -np.inf)

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
        keys = None if small else self.kind.index_keys(np.stack([signature_of(k) for k in ordered]))
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

    # -- library use ----------------------------------------------------------------------------------------

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        """In-memory near-dedup over a plain iterable (library use); output keeps input order."""
        kept = list(records)
        for record in kept:
            self.stats.add(record.source, n_in=1)
        signatures: list[np.ndarray] = []
        has: list[np.ndarray] = []
        for start in range(0, len(kept), 1024):
            sig, ok = self.kind.signatures(kept[start:start + 1024])
            signatures.append(sig)
            has.append(ok)
        sig = np.concatenate(signatures) if signatures else np.zeros((0, self.kind.width), np.uint32)
        ok = np.concatenate(has) if has else np.zeros(0, bool)
        buckets: dict[tuple[int, int], list[int]] = {}
        hashes = self.kind.band_keys(sig)
        for i in np.flatnonzero(ok):
            for band in range(hashes.shape[1]):
                buckets.setdefault((band, int(hashes[i, band])), []).append(int(i))
        edges = {edge for group in buckets.values() for edge in candidate_pairs(group)}
        decisions, self.counts = self.clusters(sorted(edges), lambda k: sig[k],
                                               lambda k: self.rank(kept[k].source, kept[k].id, k),
                                               self.kind.shingle_loader(lambda k: text_of(kept[k])))
        for i, record in enumerate(kept):
            decision = decisions.get(i)
            if decision is not None:
                record.dedup_cluster, record.dedup_cluster_size = decision[1], decision[2]
                if not decision[0]:
                    self.drop(record, "near-duplicate", f"of {decision[3]} (cluster of {decision[2]})")
                    continue
            self.stats.add(record.source, n_out=1)
            yield record


class MinHashDedup(NearDedup):
    """``NearDedup`` with MinHash signatures of texts (captions where there is no text)."""

    def __init__(self, params: DedupParams | None = None, /, *, source_priority: dict[str, int] | None = None,
                 **options: Any) -> None:
        """``MinHashDedup(threshold=0.8)``, or from validated ``DedupParams``; the defaults are the model's."""
        p = stage_params(DedupParams, params, {"method": "minhash", **options} if params is None else options,
                         "MinHashDedup")
        if p.method != "minhash":
            raise StageParamsError(f"MinHashDedup: method is minhash, not {p.method}")
        super().__init__(MinHashSignatures(p.threshold, p.num_perm, p.ngram, p.seed, p.bands, p.rows, p.exact_margin),
                         source_priority, p.against)
        self.params = p

    hasher = property(lambda self: self.kind.hasher)
    threshold = property(lambda self: self.kind.threshold)

    @staticmethod
    def text_of(record: Record) -> str:
        return text_of(record)


class PHashDedup(NearDedup):
    """``NearDedup`` with perceptual hashes of images."""

    def __init__(self, params: DedupParams | None = None, /, *, source_priority: dict[str, int] | None = None,
                 **options: Any) -> None:
        """``PHashDedup(max_distance=4)``, or from validated ``DedupParams``; the defaults are the model's."""
        p = stage_params(DedupParams, params, {"method": "phash", **options} if params is None else options,
                         "PHashDedup")
        if p.method != "phash":
            raise StageParamsError(f"PHashDedup: method is phash, not {p.method}")
        super().__init__(PHashSignatures(p.max_distance), source_priority, p.against)
        self.params = p

    max_distance = property(lambda self: self.kind.max_distance)


# A band bucket with more records than this is joined as a star (its first record to each other)
# instead of every pair; near-duplicate groups are far smaller, a bucket this full is mostly unrelated.
MAX_PAIRWISE_GROUP = 64


def candidate_pairs(keys: list[int]) -> list[tuple[int, int]]:
    """The pairs to verify in one band bucket: every pair in a small bucket, a star in a large one."""
    keys = sorted(set(keys))
    if len(keys) <= MAX_PAIRWISE_GROUP:
        return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]]
    return [(keys[0], other) for other in keys[1:]]




# -- the tasks of a build -------------------------------------------------------------------------------------

BAND_SCHEMA = pa.schema([("band", pa.int32()), ("hash", pa.uint64()), ("key", pa.int64())])
SIGNATURE_SCHEMA = pa.schema([("key", pa.int64()), ("source", pa.string()), ("id", pa.string()),
                              ("signature", pa.binary())])
EDGE_SCHEMA = pa.schema([("a", pa.int64()), ("b", pa.int64())])
DECISION_SCHEMA = pa.schema([("key", pa.int64()), ("keep", pa.bool_()), ("cluster", pa.string()),
                             ("size", pa.int64())])
# The sidecar signs records in batches of at most this many, or of this many characters of text (whichever
# comes first): large enough that numpy's per-call costs vanish, small enough to bound a worker's memory.
SIGN_BATCH = 1024
SIGN_BATCH_CHARS = 4 * 1024 * 1024
# Band rows are kept as arrays and spilled, sorted by bucket, when this many are held (24 bytes each).
BAND_FLUSH_ROWS = 1 << 19


def record_key(task: int, position: int) -> int:
    """A record's place in the exchange: its task and its position in that task's output."""
    return (task << 32) | position


def _size_of(record: Record) -> int:
    return len(record.text) if record.text is not None else len(record.caption or "")


class Signer:
    """The intake's sidecar in the task before the stage: each output record's signature (to a signature file)
    and its band keys (to a band exchange partitioned by bucket), keyed by the record's place in the exchange.

    Everything is columnar: a batch's signatures, band hashes and keys are numpy arrays, written as Arrow
    columns; band rows are held as arrays and written, bucket by bucket, every ``BAND_FLUSH_ROWS`` rows (so the
    file depends only on the record sequence)."""

    def __init__(self, stage: NearDedup, ctx: Any, buckets: int) -> None:
        self.stage, self.ctx, self.buckets = stage, ctx, buckets
        self.band_path = f"{ctx.dir}/t{ctx.index:05d}.bands.parquet"
        self.band_spill = PartitionedSpill(ctx.work_fs, self.band_path, ctx.compression, flush_rows=65536,
                                           schema=BAND_SCHEMA)
        self._bands: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._band_rows = 0
        self.sig_path = f"{ctx.dir}/t{ctx.index:05d}.signatures.parquet"
        self._sig_file: WholeFile | None = None
        self._sig_writer: pq.ParquetWriter | None = None
        self.position = 0

    def batches(self, records: Iterable[Record]) -> Iterator[list[Record]]:
        batch: list[Record] = []
        chars = 0
        for record in records:
            batch.append(record)
            chars += _size_of(record)
            if len(batch) >= SIGN_BATCH or chars >= SIGN_BATCH_CHARS:
                self._sign(batch)
                yield batch
                batch, chars = [], 0
        if batch:
            self._sign(batch)
            yield batch

    def _sign(self, batch: list[Record]) -> None:
        kind = self.stage.kind
        signatures, has = kind.signatures(batch)
        keys = (np.int64(self.ctx.index) << np.int64(32)) + np.arange(self.position, self.position + len(batch),
                                                                      dtype=np.int64)
        self.position += len(batch)
        chosen = np.flatnonzero(has)
        if not len(chosen):
            return
        signatures = np.ascontiguousarray(signatures[chosen])
        hashes = kind.band_keys(signatures)  # [records, bands]
        bands = hashes.shape[1]
        band = np.tile(np.arange(bands, dtype=np.int32), len(chosen))  # record by record, bands in order
        flat = hashes.ravel()
        self._bands.append(((flat ^ band.astype(np.uint64)) % np.uint64(self.buckets), band, flat,
                            np.repeat(keys[chosen], bands)))
        self._band_rows += len(flat)
        if self._band_rows >= BAND_FLUSH_ROWS:
            self._flush_bands()
        width = signatures.shape[1] * signatures.itemsize
        blobs = pa.Array.from_buffers(pa.binary(), len(chosen), [
            None, pa.py_buffer(np.arange(0, (len(chosen) + 1) * width, width, dtype=np.int32)),
            pa.py_buffer(signatures)])
        table = pa.Table.from_arrays([pa.array(keys[chosen], pa.int64()),
                                      pa.array([batch[i].source for i in chosen.tolist()], pa.string()),
                                      pa.array([batch[i].id for i in chosen.tolist()], pa.string()), blobs],
                                     schema=SIGNATURE_SCHEMA)
        if self._sig_writer is None:
            self._sig_file = WholeFile(self.ctx.work_fs, self.sig_path)
            self._sig_writer = pq.ParquetWriter(self._sig_file.handle, SIGNATURE_SCHEMA, compression=None)
        self._sig_writer.write_table(table)

    def _flush_bands(self) -> None:
        """The band rows held, bucket by bucket (partition ``%05d`` of the bucket number), in arrival order."""
        if not self._bands:
            return
        part, band, flat, key = (np.concatenate(c) for c in zip(*self._bands))
        self._bands, self._band_rows = [], 0
        order = np.argsort(part, kind="stable")
        part, band, flat, key = part[order], band[order], flat[order], key[order]
        cuts = np.flatnonzero(np.diff(part)) + 1
        for lo, hi in zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [len(part)]]).tolist()):
            batch = pa.RecordBatch.from_arrays([pa.array(band[lo:hi]), pa.array(flat[lo:hi]), pa.array(key[lo:hi])],
                                               schema=BAND_SCHEMA)
            self.band_spill.add_batch(f"{int(part[lo]):05d}", batch)

    def close(self) -> dict[str, Any]:
        self._flush_bands()
        out: dict[str, Any] = {"bands_file": self.band_path, "bands_index": self.band_spill.close(),
                               "signatures_file": None}
        if self._sig_writer is not None:
            self._sig_writer.close()
            out["signatures_file"] = self._sig_file.commit()
        return out

    def abort(self) -> None:
        self.band_spill.abort()
        if self._sig_writer is not None:
            try:
                self._sig_writer.close()
            finally:
                self._sig_file.abort()


@dataclass(frozen=True)
class BandTask:
    """Records sharing a band hash are candidate pairs: each joined to the group's first key."""

    index: int  # the bucket of band hashes
    units: tuple

    @property
    def label(self) -> str:
        return f"bucket {self.index}"

    def run(self, ctx: Any) -> dict[str, Any]:
        tables = [pa.Table.from_batches([b]) for b in ctx.read_units(list(self.units))]
        if not tables:
            return {"edges_file": None, "edges": 0}
        table = pa.concat_tables(tables)
        grouped = table.group_by(["band", "hash"]).aggregate([("key", "list")])
        lists = grouped.column("key_list")
        lists = lists.filter(pc.greater(pc.list_value_length(lists), 1))
        edges: set[tuple[int, int]] = set()
        for keys in lists.to_pylist():
            edges.update(candidate_pairs(keys))
        ctx.progress(table.num_rows)
        if not edges:
            return {"edges_file": None, "edges": 0}
        a, b = zip(*sorted(edges))
        path = ctx.write_table(ctx.exchange, pa.table({"a": a, "b": b}, schema=EDGE_SCHEMA))
        return {"edges_file": path, "edges": len(edges)}


@dataclass(frozen=True)
class ClusterTask:
    """Candidate pairs checked on their signatures and joined into clusters; one survivor each, by rule."""

    index: int
    edges: tuple[str, ...]  # edge files of the bands phase
    signatures: tuple[str, ...]  # signature files of the upstream phase
    # each upstream task's records (task index, its exchange units in order), where the texts of the
    # pairs decided on exact similarity are read
    records: tuple = ()

    @property
    def label(self) -> str:
        return "clusters"

    def run(self, ctx: Any) -> dict[str, Any]:
        stage: NearDedup = ctx.stage
        pairs = [ctx.read_table(path) for path in self.edges]
        if pairs:
            both = pa.concat_tables(pairs)
            edge_array = np.unique(np.stack([both.column("a").to_numpy(), both.column("b").to_numpy()], axis=1),
                                   axis=0)
        else:
            edge_array = np.zeros((0, 2), dtype=np.int64)
        involved = pa.array(np.unique(edge_array), pa.int64())
        signatures: dict[int, np.ndarray] = {}
        ranks: dict[int, tuple] = {}
        for path in self.signatures:
            table = ctx.read_table(path)
            table = table.filter(pc.is_in(table.column("key"), value_set=involved))
            for key, source, rid, sig in zip(*(table.column(c).to_pylist() for c in ("key", "source", "id", "signature"))):
                signatures[key] = np.frombuffer(sig, dtype=np.uint32)
                ranks[key] = stage.rank(source, rid, key)
            ctx.progress(table.num_rows)
        decisions, counts = stage.clusters(map(tuple, edge_array.tolist()), signatures.__getitem__, ranks.__getitem__,
                                           self._shingle_loader(ctx, stage) if stage.exact_margin > 0 else None)
        keys = sorted(decisions)
        table = pa.table({"key": pa.array(keys, pa.int64()), "keep": [decisions[k][0] for k in keys],
                          "cluster": [decisions[k][1] for k in keys],
                          "size": pa.array([decisions[k][2] for k in keys], pa.int64())}, schema=DECISION_SCHEMA)
        path = ctx.write_table(ctx.exchange, table)
        return {"decisions_file": path, "near_dedup": {**stage.describe(), **counts}}

    def _shingle_loader(self, ctx: Any, stage: NearDedup) -> ShingleLoader:
        """For the pairs decided on exact similarity: the shingle sets of the records with the given keys,
        from the texts in the upstream exchange (only the row groups that hold them are read)."""
        def load(keys: list[int]) -> Callable[[int], np.ndarray]:
            wanted: dict[int, list[int]] = {}
            for key in keys:
                wanted.setdefault(key >> 32, []).append(key & 0xFFFFFFFF)
            found: dict[int, np.ndarray] = {}
            for index, units in self.records:
                positions = np.asarray(sorted(wanted.get(index, ())), dtype=np.int64)
                if not len(positions):
                    continue
                first = 0
                for unit in units:
                    inside = positions[(positions >= first) & (positions < first + unit.rows)]
                    if len(inside):
                        table = pa.Table.from_batches(list(ctx.read_units([unit], ["text", "caption"])))
                        rows = table.take(pa.array(inside - first)).to_pylist()
                        texts = [row["text"] if row["text"] is not None else (row["caption"] or "") for row in rows]
                        found.update(zip((record_key(index, int(p)) for p in inside),
                                         shingle_sets(stage.kind.hasher, texts)))
                    first += unit.rows
            return found.__getitem__
        return load


@dataclass(frozen=True)
class ApplyTask:
    """One upstream task's records, less the non-survivors of near-duplicate clusters."""

    index: int  # the upstream task whose records it passes on
    units: tuple
    decisions: str | None  # the clusters phase's decisions file

    @property
    def label(self) -> str:
        return f"records of task {self.index}"

    def run(self, ctx: Any) -> dict[str, Any]:
        stage: NearDedup = ctx.stage
        mine: dict[int, tuple[bool, str, int]] = {}
        if self.decisions:
            table = ctx.read_table(self.decisions)
            low, high = record_key(self.index, 0), record_key(self.index + 1, 0)
            keys = table.column("key")
            table = table.filter(pc.and_(pc.greater_equal(keys, low), pc.less(keys, high)))
            for k, keep, cluster, size in zip(*(table.column(c).to_pylist() for c in ("key", "keep", "cluster", "size"))):
                mine[k - low] = (keep, cluster, size)

        if ctx.columnar:  # nothing follows but the writer: the records stay Arrow batches
            return ctx.emit_batches(self._batches(ctx, stage, mine))

        def records() -> Iterator[Record]:
            position = 0
            add = stage.stats.add
            for batch in ctx.read_units(list(self.units)):
                for record in table_to_records(batch):
                    decision = mine.get(position)
                    position += 1
                    if record.source == PREVIOUS:  # took part in the clusters; never published again
                        continue
                    if decision is not None:
                        keep, cluster, size = decision
                        record.dedup_cluster, record.dedup_cluster_size = cluster, size
                        if not keep:
                            add(record.source, 1, 0)
                            if cluster.startswith(PREVIOUS_PREFIX):
                                stage.drop(record, "in-previous-release",
                                           f"near {cluster[len(PREVIOUS_PREFIX):]} (cluster of {size})")
                            else:
                                stage.drop(record, "near-duplicate", f"of {cluster} (cluster of {size})")
                            continue
                    add(record.source, 1, 1)
                    yield record

        return ctx.emit(records())

    def _batches(self, ctx: Any, stage: NearDedup, mine: dict[int, tuple[bool, str, int]]) -> Iterator[pa.RecordBatch]:
        """What ``records()`` passes on, batch by batch without making records: the same rows, counts, columns
        and rejects (a removed record is made into a ``Record`` for its reject)."""
        ordered = np.asarray(sorted(mine), dtype=np.int64)  # the positions with a decision
        position = 0
        for batch in ctx.read_units(list(self.units)):
            n = batch.num_rows
            sources = batch.column("source")
            keep = np.asarray(pc.fill_null(pc.not_equal(sources, PREVIOUS), True))
            decided = ordered[np.searchsorted(ordered, position):np.searchsorted(ordered, position + n)].tolist()
            if decided:
                clusters = batch.column("dedup_cluster").to_pylist()
                sizes = batch.column("dedup_cluster_size").to_pylist()
                for p in decided:
                    row = p - position
                    if not keep[row]:  # an earlier release's record: took part, never published again
                        continue
                    kept, cluster, size = mine[p]
                    clusters[row], sizes[row] = cluster, size
                    if not kept:
                        keep[row] = False
                        record = next(table_to_records(batch.slice(row, 1)))
                        record.dedup_cluster, record.dedup_cluster_size = cluster, size
                        stage.stats.add(record.source, 1, 0)
                        if cluster.startswith(PREVIOUS_PREFIX):
                            stage.drop(record, "in-previous-release",
                                       f"near {cluster[len(PREVIOUS_PREFIX):]} (cluster of {size})")
                        else:
                            stage.drop(record, "near-duplicate", f"of {cluster} (cluster of {size})")
                names = batch.schema.names
                columns = list(batch.columns)
                columns[names.index("dedup_cluster")] = pa.array(clusters, batch.schema.field("dedup_cluster").type)
                columns[names.index("dedup_cluster_size")] = pa.array(
                    sizes, batch.schema.field("dedup_cluster_size").type)
                batch = pa.RecordBatch.from_arrays(columns, schema=batch.schema)
            position += n
            kept_rows = batch.filter(pa.array(keep))
            for entry in pc.value_counts(kept_rows.column("source")).to_pylist():
                stage.stats.add(entry["values"], entry["counts"], entry["counts"])
            if kept_rows.num_rows:
                yield kept_rows
