"""The planner: a corpus file cut into phases of independent tasks.

::

    read      one task per input file (or group of small text files):
              read -> source stages -> global stages up to the first global one
              -> exchange file partitioned by hash bucket (or by source if none)
    ids       one task per hash bucket of (source, id): the first record of each id
              is kept, later ones set aside as duplicate-id (not when every source is a text folder)
    exact dedup   one task per hash bucket: reduce the bucket -> the streaming
              stages after it -> exchange partitioned for what follows
    minhash dedup, three phases:
      bands     the task before wrote each record's signature and LSH band hashes;
                one task per hash bucket of band hashes: records sharing a band -> candidate pairs
      clusters  one task: pairs verified on their signatures, joined into clusters,
                one survivor per cluster by rule
      apply     one task per upstream task: its records, minus the clusters' non-survivors,
                with cluster id and size -> the streaming stages after it -> exchange
    write     one task per output shard, planned from the exchange index so that
              shards are bounded by max_bytes: data/<source>/train-NNNNN-of-MMMMM.parquet

The bucket count is fixed from the input sizes (never from the worker count),
and every task's output depends only on its inputs, so any runner with any
number of workers produces the same shards.
"""

from __future__ import annotations

import json
import math
from datetime import date
from dataclasses import dataclass, field
from typing import Any

from pdcorpus.config import LoadedConfig
from pdcorpus.exchange import Unit
from pdcorpus.io.parquet import shard_name
import fsspec

from pdcorpus.errors import describe
from pdcorpus.io.readers import READERS, InputError, InputFile, expand_paths
from pdcorpus.stages import REGISTRY, StageContext

# Small text files are read many to a task, up to these bounds.
TEXT_FILES_PER_TASK = 2000
TEXT_BYTES_PER_TASK = 64 * 1024 * 1024
# Shards are planned to this fraction of max_bytes, less a footer allowance.
SHARD_FILL = 0.85
SHARD_FOOTER_BYTES = 8 * 1024
# Compressed inputs hold several times their size in text.
_EXPANSION = {".gz": 3.5, ".zst": 4.0, ".bz2": 4.0, ".xz": 4.0, ".parquet": 3.0}


@dataclass(frozen=True)
class ReadTask:
    index: int
    source: str
    files: tuple[InputFile, ...]
    part: tuple[int, int, int] | None = None  # a reader's piece of one file (urls: lines first..stop, byte offset)

    @property
    def label(self) -> str:
        first = self.files[0].url
        if self.part is not None:
            return f"{first} lines {self.part[0]}-{self.part[1] - 1}"
        return first if len(self.files) == 1 else f"{first} (+{len(self.files) - 1} files)"


@dataclass(frozen=True)
class PreviousReleaseTask:
    """Reads the shards of an earlier build for a dedup with ``against``: its records take part in that
    dedup only (they always survive, and are never written again)."""

    index: int
    stage_index: int
    files: tuple[InputFile, ...]

    @property
    def label(self) -> str:
        return f"previous release: {self.files[0].url}" + (f" (+{len(self.files) - 1})" if len(self.files) > 1 else "")


@dataclass(frozen=True)
class BucketTask:
    index: int  # the bucket
    units: tuple[Unit, ...]

    @property
    def label(self) -> str:
        return f"bucket {self.index}"


@dataclass(frozen=True)
class ClusterTask:
    index: int
    edges: tuple[str, ...]  # edge files of the bands phase
    signatures: tuple[str, ...]  # signature files of the upstream phase
    # each upstream task's records (task index, its exchange units in order), where the texts of the
    # pairs decided on exact similarity are read
    records: tuple[tuple[int, tuple[Unit, ...]], ...] = ()

    @property
    def label(self) -> str:
        return "clusters"


@dataclass(frozen=True)
class ApplyTask:
    index: int  # the upstream task whose records it passes on
    units: tuple[Unit, ...]
    decisions: str | None  # the clusters phase's decisions file

    @property
    def label(self) -> str:
        return f"records of task {self.index}"


@dataclass(frozen=True)
class ShardTask:
    index: int
    source: str
    path: str  # relative to the output: data/<source>/train-...parquet
    units: tuple[Unit, ...]

    @property
    def label(self) -> str:
        return self.path


@dataclass(frozen=True)
class Phase:
    number: int
    kind: str  # "read", "global" (exact dedup), "bands", "clusters", "apply" (minhash), "write"
    name: str  # folder name in the work dir: p0-read, p1-dedup-exact, p2-write
    stage_index: int | None = None  # for the dedup phases: the stage's index in config.stages


@dataclass
class Plan:
    loaded: LoadedConfig
    inputs: dict[str, list[InputFile]]
    buckets: int
    phases: list[Phase]
    pre_global: list[dict[str, Any]]  # global stages before the first global one (run in read tasks)
    after_global: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # streaming stages after each global
    source_priority: dict[str, int] = field(default_factory=dict)
    today: str = field(default_factory=lambda: date.today().isoformat())
    # phase number -> shards of earlier releases read in that phase, for the dedup that follows it
    previous: dict[int, tuple[int, list[InputFile]]] = field(default_factory=dict)

    def previous_tasks(self, phase: Phase, first_index: int) -> list[PreviousReleaseTask]:
        if phase.number not in self.previous:
            return []
        stage_index, files = self.previous[phase.number]
        per_task = 8
        return [PreviousReleaseTask(first_index + i, stage_index, tuple(files[lo:lo + per_task]))
                for i, lo in enumerate(range(0, len(files), per_task))]

    @property
    def config(self):
        return self.loaded.config

    def context(self) -> StageContext:
        licenses = {s.name: (s.license.value, s.license.evidence, s.license.override)
                    for s in self.config.sources if s.license is not None}
        return StageContext(source_priority=self.source_priority, source_licenses=licenses, today=self.today,
                            work=self.config.work_dir, work_storage_options=self.config.storage_options)

    def read_tasks(self) -> list[ReadTask]:
        tasks: list[ReadTask] = []
        for source in self.config.sources:
            files = self.inputs[source.name]
            if source.read.format == "text":
                groups, group, size = [], [], 0
                for f in files:
                    if group and (len(group) >= TEXT_FILES_PER_TASK or size + f.size > TEXT_BYTES_PER_TASK):
                        groups.append(group)
                        group, size = [], 0
                    group.append(f)
                    size += f.size
                groups.append(group)
            else:
                groups = [[f] for f in files]
            split = getattr(READERS.get(source.read.format), "parts", None)  # a reader that cuts a file into tasks
            for group in groups:
                for part in (split(group[0], source.read) if split is not None else [None]):
                    tasks.append(ReadTask(len(tasks), source.name, tuple(group), part))
        return tasks

    def next_reducer(self, phase: Phase) -> Phase | None:
        """The next phase that needs records partitioned for it: the ids phase's or exact dedup's buckets,
        or minhash's bands."""
        following = [p for p in self.phases if p.number > phase.number and p.kind in ("ids", "global", "bands")]
        return following[0] if following else None

    def bucket_tasks(self, previous_results: list[dict[str, Any]], file_key: str = "file",
                     index_key: str = "index") -> list[BucketTask]:
        units: dict[int, list[Unit]] = {b: [] for b in range(self.buckets)}
        for result in previous_results:
            for partition, groups in sorted(result.get(index_key, {}).items()):
                for group, rows, nbytes in groups:
                    units[int(partition)].append(Unit(result[file_key], group, 0, rows, nbytes))
        return [BucketTask(b, tuple(units[b])) for b in range(self.buckets)]

    def cluster_tasks(self, band_results: list[dict[str, Any]], upstream: list[dict[str, Any]]) -> list[ClusterTask]:
        return [ClusterTask(0, tuple(r["edges_file"] for r in band_results if r.get("edges_file")),
                            tuple(r["signatures_file"] for r in upstream if r.get("signatures_file")),
                            tuple((r["task"], self._units(r)) for r in upstream if r.get("signatures_file")))]

    @staticmethod
    def _units(result: dict[str, Any]) -> tuple[Unit, ...]:
        """An upstream task's exchange, in the order of its records' keys (see ``tasks.record_key``)."""
        return tuple(Unit(result["file"], group, 0, rows, nbytes)
                     for _, groups in sorted(result.get("index", {}).items()) for group, rows, nbytes in groups)

    def apply_tasks(self, upstream: list[dict[str, Any]], cluster_result: dict[str, Any]) -> list[ApplyTask]:
        tasks = []
        for result in upstream:
            tasks.append(ApplyTask(result["task"], self._units(result), cluster_result.get("decisions_file")))
        return tasks

    def shard_tasks(self, previous_results: list[dict[str, Any]]) -> list[ShardTask]:
        """Packs each source's exchange row groups, in task order, into shards of at most max_bytes.

        Sizes are the exchange's compressed bytes, written with the shards'
        codec; a shard compresses a little worse when it is cut from a larger
        row group and carries its own footer, hence the margin.
        """
        max_bytes = max(self.config.shards.max_bytes // 2,
                        int(self.config.shards.max_bytes * SHARD_FILL) - SHARD_FOOTER_BYTES)
        tasks: list[ShardTask] = []
        for source in self.config.sources:
            units: list[Unit] = []
            for result in previous_results:
                for group, rows, nbytes in result["index"].get(source.name, []):
                    pieces = max(1, math.ceil(nbytes / max_bytes))
                    step = math.ceil(rows / pieces)
                    for start in range(0, rows, step):
                        stop = min(rows, start + step)
                        units.append(Unit(result["file"], group, start, stop, nbytes * (stop - start) // rows))
            shards: list[list[Unit]] = []
            size = 0
            for unit in units:
                if not shards or (size + unit.bytes > max_bytes and size > 0):
                    shards.append([])
                    size = 0
                shards[-1].append(unit)
                size += unit.bytes
            for number, shard in enumerate(shards):
                path = f"data/{source.name}/{shard_name(number, len(shards))}"
                tasks.append(ShardTask(len(tasks), source.name, path, tuple(shard)))
        return tasks


def _estimated_bytes(files: list[InputFile]) -> int:
    total = 0
    for f in files:
        factor = next((v for ext, v in _EXPANSION.items() if f.url.endswith(ext)), 1.0)
        total += int(f.size * factor)
    return total


def _expand(source: str, read: Any) -> list[InputFile]:
    """A source's inputs, as its format lists them; a store that cannot be reached is said in one sentence,
    naming the paths."""
    try:
        return READERS[read.format].list_inputs(read)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to list (network, credentials, permissions) is an input error
        where = ", ".join(read.paths) if getattr(read, "paths", None) else getattr(read, "endpoint", None) or read.format
        raise InputError(f"source {source}: cannot list {where}: "
                         f"{describe(exc, 'read.storage_options (client_kwargs.endpoint_url) and that the server runs')}"
                         ) from exc


def make_plan(loaded: LoadedConfig) -> Plan:
    """Finds the inputs and cuts the pipeline into phases; raises InputError for missing inputs."""
    config = loaded.config
    inputs = {s.name: _expand(s.name, s.read) for s in config.sources}
    global_at = [i for i, spec in enumerate(config.stages) if REGISTRY[next(iter(spec))].is_global]
    phases = [Phase(0, "read", "p0-read")]
    if any(s.read.format != "text" for s in config.sources):  # a text file's id is its path: unique already
        phases.append(Phase(1, "ids", "p1-ids"))  # pdcorpus/unique_ids.py: one record per id and source
    after: dict[int, list[dict[str, Any]]] = {}
    for k, index in enumerate(global_at, 1):
        kind = next(iter(config.stages[index]))
        params = REGISTRY[kind].Params.model_validate(config.stages[index][kind] or {})
        method = getattr(params, "method", "")
        if method in ("minhash", "phash"):
            for step in ("bands", "clusters", "apply"):
                n = len(phases)
                phases.append(Phase(n, step, f"p{n}-{kind}-{method}-{step}", index))
        else:
            n = len(phases)
            phases.append(Phase(n, "global", f"p{n}-{kind}{'-' + method if method else ''}", index))
        stop = global_at[k] if k < len(global_at) else len(config.stages)
        after[index] = config.stages[index + 1:stop]
    phases.append(Phase(len(phases), "write", f"p{len(phases)}-write"))
    pre = config.stages[: global_at[0]] if global_at else config.stages
    if config.exchange.buckets == "auto":
        total = sum(_estimated_bytes(files) for files in inputs.values())
        buckets = max(1, min(4096, math.ceil(total / config.exchange.bucket_bytes)))
    else:
        buckets = config.exchange.buckets
    priority = {s.name: (s.priority if s.priority is not None else i) for i, s in enumerate(config.sources)}
    previous: dict[int, tuple[int, list[InputFile]]] = {}
    for phase in phases:
        if phase.kind not in ("global", "bands"):
            continue
        (kind, params), = config.stages[phase.stage_index].items()
        against = (params or {}).get("against")
        if against:
            previous[phase.number - 1] = (phase.stage_index, previous_release_shards(against, config.storage_options))
    return Plan(loaded=loaded, inputs=inputs, buckets=buckets, phases=phases, pre_global=list(pre),
                after_global=after, source_priority=priority, previous=previous)


def previous_release_shards(output: str, storage_options: dict | None = None) -> list[InputFile]:
    """The shards an earlier build lists in its manifest; an error naming the place if there is none."""
    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/")
    try:
        with fs.open(f"{root}/manifest.json", "r") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        raise InputError(f"dedup against {output}: no readable manifest.json there ({exc}); "
                         "give the output folder of an earlier pdcorpus build") from exc
    files = []
    for shard in manifest.get("shards", []):
        path = f"{root}/{shard['path']}"
        url = path if fs.protocol in ("file", "local") or "file" in tuple(fs.protocol) else fs.unstrip_protocol(path)
        files.append(InputFile(url=url, size=int(shard.get("bytes", 0)), root=root))
    return files
