"""The planner: a corpus file cut into phases of independent tasks.

::

    read      one task per input (or group of small text files, or part of a URL list):
              read -> source stages -> streaming stages before the first global one
              -> exchange file partitioned as the next phase takes it
    ids       one task per hash bucket of (source, id): the first record of each id is kept, later ones set
              aside as duplicate-id (not when every source's ids are unique by construction: a text folder)
    <stage>   each global stage's own phases (``GlobalStage.steps``): exact dedup one, reducing hash buckets;
              near-dedup three (bands, clusters, apply); their last one passes records on through the
              streaming stages that follow the stage
    write     one task per output shard, planned from the exchange index so that shards are bounded by
              max_bytes: data/<source>/train-NNNNN-of-MMMMM.parquet

The planner and the build know nothing of a stage's phases beyond the protocol of ``GlobalStage``: the ids
phase and the writer implement it too. The bucket count is fixed from the input sizes (never from the worker
count), and every task's output depends only on its inputs, so any runner with any number of workers
produces the same shards.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from pdcorpus.config import LoadedConfig, StageSpec
from pdcorpus.errors import describe
from pdcorpus.io.formats import get_format, register_format
from pdcorpus.io.readers import InputError, InputFile
from pdcorpus.stages import REGISTRY, StageContext
from pdcorpus.stages.base import GlobalStage, Intake, Stage, StepInputs
from pdcorpus.tasks import ReadTask, ShardWriting, stats_key
from pdcorpus.io.exchange import Drops
from pdcorpus.unique_ids import UniqueIds, keys_tasks, merged_drops

READ, IDS, WRITE = "read", "ids", "write"  # the owners of the phases that are not a configured stage's


@dataclass(frozen=True)
class Phase:
    number: int
    name: str  # folder name in the work dir: p0-read, p1-ids, p2-dedup-exact, p3-write
    owner: str  # "read", "ids", "write", or "stages[<i>]": the global stage at index i of config.stages
    step: str  # the owner's name for this phase

    @property
    def stage_index(self) -> int | None:
        return int(self.owner[7:-1]) if self.owner.startswith("stages[") else None


@dataclass
class Plan:
    loaded: LoadedConfig
    inputs: dict[str, list[InputFile]]
    buckets: int
    phases: list[Phase]
    pre_global: list[StageSpec]  # streaming stages before the first global one (run in read tasks)
    after_global: dict[int, list[StageSpec]] = field(default_factory=dict)  # streaming stages after each global
    source_priority: dict[str, int] = field(default_factory=dict)
    today: str = field(default_factory=lambda: date.today().isoformat())
    # the format and stage classes this plan uses, by name: pickled with the plan (by reference), so that a
    # worker process registers a plugin's classes (defined outside pdcorpus) before it runs a task
    classes: dict[str, dict[str, type]] = field(default_factory=dict)
    # tasks a global stage runs with the phase before it (an earlier release's shards), by owner
    upstream: dict[str, list[Any]] = field(default_factory=dict)
    profile: bool = False  # build --profile: each task measures its stages (pdcorpus/profiling.py)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_consumers", None)  # made again where needed
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name, cls in state.get("classes", {}).get("formats", {}).items():
            register_format(cls, name)
        REGISTRY.update(state.get("classes", {}).get("stages", {}))

    @property
    def config(self):
        return self.loaded.config

    def context(self) -> StageContext:
        licenses = {s.name: (s.license.value, s.license.evidence, s.license.override)
                    for s in self.config.sources if s.license is not None}
        return StageContext(source_priority=self.source_priority, source_licenses=licenses, today=self.today,
                            storage_options=dict(self.config.storage_options), work=self.config.work_fs(),
                            work_dir=self.config.work_dir, work_storage_options=dict(self.config.storage_options))

    # -- the owners of phases ----------------------------------------------------------------------------------

    def new_stage(self, spec: StageSpec) -> Stage:
        return spec.build()

    def new_consumer(self, owner: str) -> GlobalStage:
        """A new object of the global stage (or ids, or writer) that owns a phase."""
        if owner == IDS:
            return UniqueIds()
        if owner == WRITE:
            return ShardWriting([s.name for s in self.config.sources], self.config.shards.max_bytes,
                                self.config.shards.compression)
        stage = self.loaded.stage_specs(None)[int(owner[7:-1])].build()
        assert isinstance(stage, GlobalStage)
        return stage

    def consumer(self, owner: str) -> GlobalStage:
        """The owner's object for planning (made once per process, bound to the build's context)."""
        cache = self.__dict__.setdefault("_consumers", {})
        if owner not in cache:
            stage = self.new_consumer(owner)
            stage.bind(self.context())
            cache[owner] = stage
        return cache[owner]

    def stats_key(self, owner: str, stage: Stage) -> str:
        if owner == IDS:  # counted where the first global stage is, before it
            specs = self.loaded.stage_specs(None)
            first = next((s.position for s in specs if REGISTRY[s.kind].is_global), len(specs))
            return stats_key("global", first, stage.name)
        index = int(owner[7:-1]) if owner.startswith("stages[") else -1
        return stats_key("global", index, stage.label)

    def _owners(self) -> list[str]:
        out: list[str] = []
        for phase in self.phases:
            if not out or out[-1] != phase.owner:
                out.append(phase.owner)
        return out

    def next_owner(self, phase: Phase) -> str | None:
        owners = self._owners()
        at = owners.index(phase.owner)
        return owners[at + 1] if at + 1 < len(owners) else None

    def intake_after(self, phase: Phase) -> Intake:
        """How the records a task of ``phase`` passes on are partitioned: as the next owner takes them (past the
        ids phase when it takes keys only)."""
        nxt = self.next_owner(phase)
        assert nxt is not None, f"{phase.name} passes no records on"
        if nxt == IDS and self.ids_keys_only:
            owners = self._owners()
            nxt = owners[owners.index(IDS) + 1]
        return self.consumer(nxt).intake(self.buckets)

    @property
    def ids_keys_only(self) -> bool:
        """Whether the ids phase reads only the read tasks' keys (``unique_ids.IdKeys``) and the owner after it
        reads the read tasks' records, less the rows the ids phase set aside: when that owner takes records as
        rows (no sidecar made while they are written, as a near-dedup's signatures are)."""
        owners = self._owners()
        if IDS not in owners:
            return False
        return self.consumer(owners[owners.index(IDS) + 1]).intake(self.buckets).sidecar is None

    def writes_id_keys(self, phase: Phase) -> bool:
        return phase.owner == READ and self.ids_keys_only

    def after(self, phase: Phase) -> list[StageSpec]:
        """The streaming stages run by the last phase of a global stage."""
        index = phase.stage_index
        if index is None or phase != [p for p in self.phases if p.owner == phase.owner][-1]:
            return []
        return self.after_global.get(index, [])

    # -- tasks ------------------------------------------------------------------------------------------------

    @cached_property
    def _read_tasks(self) -> list[ReadTask]:
        tasks: list[ReadTask] = []
        for source in self.config.sources:
            reader = get_format(source.read.format)
            if source.read.limit is not None:  # a slice: the first records of the inputs in order, one task
                tasks.append(ReadTask(len(tasks), source.name, tuple(self.inputs[source.name]), None))
                continue
            for group in reader.group_inputs(self.inputs[source.name]):
                for part in reader.parts(group[0], source.read):
                    tasks.append(ReadTask(len(tasks), source.name, tuple(group), part))
        return tasks

    def read_tasks(self) -> list[ReadTask]:
        return list(self._read_tasks)

    def tasks(self, phase: Phase, results: dict[str, list[dict[str, Any]]]) -> list[Any]:
        """A phase's tasks, from the results of the phases before it (by phase name), and the tasks the next
        global stage runs with it (an earlier release to dedup against)."""
        if phase.owner == READ:
            tasks: list[Any] = self.read_tasks()
        elif phase.owner == IDS and self.ids_keys_only:
            labels = {t.index: t.label for t in self._read_tasks}
            tasks = keys_tasks(results[self.phases[phase.number - 1].name], self.buckets, labels)
        else:
            own = [p for p in self.phases if p.owner == phase.owner]
            before = self.phases[own[0].number - 1]
            upstream = results[before.name]
            drops: Drops | None = None
            if before.owner == IDS and self.ids_keys_only:  # the read tasks' records, less what ids set aside
                drops = merged_drops(upstream)
                upstream = results[self.phases[before.number - 1].name] + [r for r in upstream if "file" in r]
            earlier = {p.step: results[p.name] for p in own if p.number < phase.number}
            labels = {t.index: t.label for t in self._read_tasks} if phase.owner == IDS else {}
            tasks = self.consumer(phase.owner).tasks(phase.step, StepInputs(upstream, earlier, self.buckets, labels))
            if drops:
                tasks = [LessDrops.of(t, drops) for t in tasks]
        nxt = self.next_owner(phase)
        if nxt is not None and phase == [p for p in self.phases if p.owner == phase.owner][-1]:
            tasks += [dataclasses.replace(t, index=len(tasks) + i) for i, t in enumerate(self.upstream.get(nxt, []))]
        return tasks


@dataclass(frozen=True)
class LessDrops:
    """A task that reads the read tasks' records less the rows the ids phase set aside (``ctx.drops``)."""

    task: Any
    drops: Drops

    @classmethod
    def of(cls, task: Any, drops: Drops) -> Any:
        units = getattr(task, "units", None)
        if units is not None:  # only what the task reads: the drops of its files
            files = {u.file for u in units}
            drops = {f: groups for f, groups in drops.items() if f in files}
            if not drops:
                return task
        return cls(task, drops)

    def __getattr__(self, name: str) -> Any:  # the task's own attributes: index, label, a shard's path
        if name in ("task", "drops") or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.task, name)

    def run(self, ctx: Any) -> dict[str, Any]:
        ctx.drops = self.drops
        return self.task.run(ctx)


def _expand(source: str, read: Any) -> list[InputFile]:
    """A source's inputs, as its format lists them; a store that cannot be reached is said in one sentence,
    naming the paths."""
    try:
        return get_format(read.format).list_inputs(read)
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
    specs = loaded.stage_specs(None)
    global_at = [s.position for s in specs if REGISTRY[s.kind].is_global]
    owners = [READ]
    if not all(get_format(s.read.format).unique_ids for s in config.sources):  # e.g. a text file's id is its path
        owners.append(IDS)  # pdcorpus/unique_ids.py: one record per id and source
    owners += [f"stages[{i}]" for i in global_at] + [WRITE]
    after: dict[int, list[StageSpec]] = {}
    for k, index in enumerate(global_at):
        stop = global_at[k + 1] if k + 1 < len(global_at) else len(specs)
        after[index] = specs[index + 1:stop]
    pre = specs[: global_at[0]] if global_at else specs
    if config.exchange.buckets == "auto":
        total = sum(get_format(s.read.format).estimated_bytes(f) for s in config.sources for f in inputs[s.name])
        buckets = max(1, min(4096, math.ceil(total / config.exchange.bucket_bytes)))
    else:
        buckets = config.exchange.buckets
    priority = {s.name: (s.priority if s.priority is not None else i) for i, s in enumerate(config.sources)}
    classes = {"formats": {s.read.format: get_format(s.read.format) for s in config.sources},
               "stages": {spec.kind: REGISTRY[spec.kind] for spec in loaded.all_stage_specs()}}
    plan = Plan(loaded=loaded, inputs=inputs, buckets=buckets, phases=[], pre_global=list(pre), after_global=after,
                source_priority=priority, classes=classes)
    for owner in owners:
        steps = [READ] if owner == READ else plan.consumer(owner).steps()
        for step in steps:
            n = len(plan.phases)
            plan.phases.append(Phase(n, f"p{n}-{step}", owner, step))
        if owner != READ:  # found now, before any work: an earlier release that is not there fails the plan
            plan.upstream[owner] = plan.consumer(owner).upstream_tasks()
    return plan
