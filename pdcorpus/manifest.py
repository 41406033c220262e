"""The build's manifest (``OUT/manifest.json``), typed: what a build writes and what the card, the summary,
``inspect`` and ``verify`` read.

One dataclass per part; a field's name is its JSON key. ``Manifest.to_json()`` writes the keys manifests
have always had, with the same values, plus the keys added since (each source's ``modality``,
``retrieved_at_min``/``retrieved_at_max`` and ``collection_license``; the top-level ``stages_config``,
``publish`` and, with ``build --profile``, ``profile``). The compatibility rule: keys are only ever added, never renamed or given another meaning, so
``Manifest.from_json`` reads every manifest pdcorpus has written. A key an older manifest lacks takes its
default, or is derived from the config the manifest records (a source's modality from its format and
fields, the stages' parameters by validating the stages as written); such a key is remembered as absent
(``absent``) and is not written back, so an old manifest read and written again is unchanged. Keys the
reader does not know are kept (``extra``) and written back as they were.

``assemble_manifest`` makes the manifest from the results of a build's phases (the completion markers of
its tasks, one list per phase in order).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from pdcorpus.accounting import StageKey, StageStats

JSON = dict[str, Any]
TEXT, IMAGE_CAPTION = "text", "image-caption"
# Input formats whose records are images with captions; any other source is text unless its records
# carry images (counted per shard).
IMAGE_FORMATS = frozenset({"images", "webdataset"})


# -- the JSON codec: dataclass fields <-> JSON keys --------------------------------------------------


class _Part:
    """Base of the manifest's dataclasses: read from and written to JSON by field name."""

    # keys the JSON read lacked (filled by default or derivation; not written back)
    absent: frozenset[str]
    # keys the JSON had that this reader does not know (kept and written back)
    extra: JSON

    @classmethod
    def from_json(cls, data: JSON | None) -> Any:
        data = dict(data or {})
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        absent = set()
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if not f.init:
                continue
            if f.name in data:
                values[f.name] = _decode(hints[f.name], data.pop(f.name))
            else:
                absent.add(f.name)
        obj = cls(**values)
        object.__setattr__(obj, "absent", frozenset(absent))
        object.__setattr__(obj, "extra", data)
        return obj

    def to_json(self) -> JSON:
        out: JSON = {}
        absent = getattr(self, "absent", frozenset())
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if not f.init or f.name in absent:
                continue
            value = getattr(self, f.name)
            if value is None and f.metadata.get("omit_none"):
                continue
            out[f.name] = _encode(value)
        out.update(getattr(self, "extra", {}) or {})
        return out


def _decode(tp: Any, value: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _decode(args[0], value) if len(args) == 1 else value
    if isinstance(tp, type) and issubclass(tp, _Part):
        return tp.from_json(value) if isinstance(value, dict) else value
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(tp)
        return [_decode(item, v) for v in value]
    if origin is dict and isinstance(value, dict):
        _, item = typing.get_args(tp)
        return {k: _decode(item, v) for k, v in value.items()}
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, _Part):
        return value.to_json()
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _part(cls: type) -> type:
    """A manifest part: a dataclass with ``absent`` and ``extra`` that do not take part in equality."""
    cls = dataclass(cls)
    cls.absent = frozenset()  # class defaults; from_json sets them per object
    cls.extra = {}
    return cls


# -- the parts ---------------------------------------------------------------------------------------


@_part
class CollectionLicense(_Part):
    """A licence the corpus file states for a whole source, with its evidence."""

    value: str = ""
    evidence: str | None = None
    override: bool = False


@_part
class SourceEntry(_Part):
    """What one source contributed."""

    records_read: int = 0
    records_out: int = 0
    shards: int = 0
    bytes: int = 0
    text_chars: int | None = None  # characters of text in its shards (older manifests may lack it: unknown)
    licenses: dict[str, int] = field(default_factory=dict)  # records out by canonical licence ("none": undecided)
    languages: dict[str, int] = field(default_factory=dict)
    rights_decisions: dict[str, int] = field(default_factory=dict)  # "allow:reason" -> records (rights stage)
    modality: str = TEXT  # "text" or "image-caption"
    retrieved_at_min: str | None = None  # the least and greatest retrieved_at of its records out, if any
    retrieved_at_max: str | None = None
    collection_license: CollectionLicense | None = None


@_part
class StageSourceCounts(_Part):
    records_in: int = 0
    records_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    tally: dict[str, int] | None = field(default=None, metadata={"omit_none": True})


@_part
class StageEntry(_Part):
    """One stage (or reader) of the pipeline with its counts: ``scope`` is a source or ``global``; ``position``
    its index in that list (None for a reader, -1 for a urls source's fetching)."""

    scope: str = "?"
    position: int | None = None
    stage: str = "?"  # its label: rights, dedup:exact, language:cld2, read, ...
    records_in: int = 0
    records_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    tally: dict[str, int] | None = field(default=None, metadata={"omit_none": True})
    by_source: dict[str, StageSourceCounts] = field(default_factory=dict)

    def is_a(self, name: str) -> bool:
        """Of one kind: ``dedup`` matches ``dedup:exact``; ``dedup:exact`` only itself."""
        return self.stage == name or self.stage.startswith(f"{name}:")


@_part
class StageConfig(_Part):
    """A stage of the corpus file with its validated parameters, every default filled in."""

    scope: str = "global"  # "global" or the source whose stages it is in
    position: int = 0
    stage: str = ""  # the YAML key
    params: JSON = field(default_factory=dict)
    given: list[str] = field(default_factory=list)  # the parameters the corpus file gave itself

    def is_default(self, name: str) -> bool:
        return name not in self.given


@_part
class InputEntry(_Part):
    source: str = "?"
    path: str = "?"
    bytes: int = 0
    sha256: str = "?"


@_part
class ShardEntry(_Part):
    path: str = ""
    source: str = ""
    rows: int = 0
    bytes: int = 0
    sha256: str = ""


@_part
class RejectsEntry(_Part):
    count: int = 0
    files: list[str] = field(default_factory=list)


@_part
class QueueFile(_Part):
    path: str = ""
    rows: int = 0


@_part
class ReviewEntry(_Part):
    count: int = 0
    files: list[QueueFile] = field(default_factory=list)


@_part
class PreviousRelease(_Part):
    files: list[str] = field(default_factory=list)
    records: int = 0


@_part
class NearDedupEntry(_Part):
    """A near-dedup's settings and what its clusters step found (minhash: threshold..exact_margin; phash:
    max_distance)."""

    method: str = "minhash"
    threshold: float | None = None
    num_perm: int | None = None
    ngram: int | None = None
    max_distance: int | None = None
    bands: int | None = None
    rows: int | None = None
    exact_margin: float | None = None
    candidate_pairs: int = 0
    similar_pairs: int = 0
    exact_pairs: int = 0
    exact_records: int = 0
    clusters: int = 0
    records_in_clusters: int = 0


@_part
class RunnerInfo(_Part):
    name: str = "?"
    workers: int | None = None
    buckets: int | None = None
    resumed: bool = False


@_part
class PhaseTiming(_Part):
    wall_seconds: float | None = None
    task_seconds: float = 0.0


@_part
class Timings(_Part):
    total_seconds: float = 0.0
    phases: dict[str, PhaseTiming] = field(default_factory=dict)


@_part
class ProfileRow(_Part):
    """One part of a phase's task time (``pdcorpus/profiling.py``): a stage (``name`` its ``StageKey``, as in
    ``stages``) or ``exchange read``, ``exchange write``, ``signatures``, ``input checksums``, ``other``. Records
    are measured in characters of text and caption (``chars_*``) and image bytes; files in bytes on disk."""

    name: str = ""
    kind: str = "stage"  # stage, exchange, other
    seconds: float = 0.0  # its own time, summed over the phase's tasks
    share: float = 0.0  # percent of the build's task seconds
    records_in: int | None = None
    records_out: int | None = None
    records_per_second: float | None = None  # records in per second of its own time
    chars_in: int | None = None
    chars_out: int | None = None
    image_bytes_in: int | None = None
    image_bytes_out: int | None = None
    bytes_in: int | None = None  # files read: the inputs (a reader), the exchange row groups read whole
    bytes_out: int | None = None  # files written: the exchange (compressed), a shard


@_part
class ProfilePhase(_Part):
    phase: str = ""
    tasks: int = 0
    tasks_profiled: int = 0  # the others were finished by an earlier run of the build without --profile
    wall_seconds: float | None = None
    task_seconds: float = 0.0
    share: float = 0.0  # percent of the build's task seconds
    records_in: int | None = None
    records_out: int | None = None
    records_per_second: float | None = None  # records in per wall second
    input_bytes: int | None = None  # the read phase: its inputs' bytes
    exchange_bytes_read: int | None = None  # compressed bytes of the exchange row groups its tasks read whole
    exchange_bytes_written: int | None = None  # compressed bytes of the exchange its tasks wrote
    shard_bytes: int | None = None  # the write phase: the shards' bytes
    rows: list[ProfileRow] = field(default_factory=list)


@_part
class Profile(_Part):
    """``pdcorpus build --profile``: each phase, and the stages and other parts of its tasks' time."""

    measures: str = ""
    workers: int | None = None
    wall_seconds: float = 0.0  # the build until its manifest was assembled
    task_seconds: float = 0.0  # every task of every phase: the whole the shares are of
    overhead_seconds: float = 0.0  # wall less the phases' wall: planning, checks, the work folder, the manifest
    phases: list[ProfilePhase] = field(default_factory=list)


@_part
class PublishTarget(_Part):
    repo: str = ""
    private: bool = False
    revision: str | None = None


@_part
class Manifest(_Part):
    """The whole manifest. ``config`` is the corpus file as written (before ``${ENV}``): recorded for
    provenance; what the card and the summary say of the stages comes from ``stages_config``."""

    name: str = "corpus"
    pdcorpus_version: str = "?"
    created_at: str = ""
    config_path: str | None = None
    config_sha256: str = "?"
    config: JSON = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    runner: RunnerInfo = field(default_factory=RunnerInfo)
    as_of: str | None = None
    inputs: list[InputEntry] = field(default_factory=list)
    records_in: int = 0
    records_out: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # "stage:reason" -> records
    rejects: RejectsEntry = field(default_factory=RejectsEntry)
    review: ReviewEntry = field(default_factory=ReviewEntry)
    previous_release: PreviousRelease | None = None
    near_dedup: dict[str, NearDedupEntry] = field(default_factory=dict)  # "stages[i]" -> its settings and counts
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    stages: list[StageEntry] = field(default_factory=list)
    shards: list[ShardEntry] = field(default_factory=list)
    timings: Timings = field(default_factory=Timings)
    warnings: list[str] = field(default_factory=list)
    stages_config: list[StageConfig] = field(default_factory=list)
    publish: PublishTarget | None = None
    published: JSON | None = field(default=None, metadata={"omit_none": True})  # the Hub commit, once published
    # opt-out lists applied and records kept out after release (pdcorpus/optout.py writes and reads these)
    opt_outs: JSON | None = field(default=None, metadata={"omit_none": True})
    removals: JSON | None = field(default=None, metadata={"omit_none": True})  # `pdcorpus optout apply`
    profile: Profile | None = field(default=None, metadata={"omit_none": True})  # `pdcorpus build --profile`

    @classmethod
    def from_json(cls, data: JSON | None) -> "Manifest":
        manifest: Manifest = super().from_json(data)
        manifest._derive_absent()
        return manifest

    @classmethod
    def of(cls, manifest: "Manifest | JSON") -> "Manifest":
        """A typed manifest from either form (a dict as ``build()`` returns it, or manifest.json)."""
        if isinstance(manifest, Manifest):
            return manifest
        # as manifest.json holds it: the dict build() returns has the config as YAML read it (dates as dates)
        return cls.from_json(json.loads(json.dumps(manifest, default=str)))

    # -- reading manifests written before a key existed ---------------------------------------------

    def _derive_absent(self) -> None:
        """Keys older manifests lack, derived from the config they record (what older readers did)."""
        config_sources = {s.get("name"): s for s in self.config.get("sources") or [] if isinstance(s, dict)}
        for name, source in self.sources.items():
            cs = config_sources.get(name) or {}
            if "modality" in source.absent:
                fields = cs.get("fields") or {}
                fmt = (cs.get("read") or {}).get("format")
                source.modality = IMAGE_CAPTION if ("image" in fields or "caption" in fields
                                                    or fmt in IMAGE_FORMATS) else TEXT
            if "collection_license" in source.absent and cs.get("license"):
                stated = cs["license"]
                source.collection_license = CollectionLicense.from_json(
                    {"value": stated} if isinstance(stated, str) else stated)
        if "name" in self.absent and self.config.get("name"):
            self.name = str(self.config["name"])
        if "records_out" in self.absent:
            self.records_out = sum(s.records_out for s in self.sources.values())
        if "stages_config" in self.absent:
            self.stages_config = _stages_config_of(self.config)
        if "publish" in self.absent and isinstance(self.config.get("publish"), dict):
            self.publish = PublishTarget.from_json(self.config["publish"])

    # -- questions the card, the summary and the command line ask -------------------------------------

    def stage_entries(self, name: str) -> list[StageEntry]:
        """The stage entries of one kind (``rights``, ``dedup:exact``, ``dedup``, ``language``...)."""
        return [s for s in self.stages if s.is_a(name)]

    def dropped_by(self, name: str, reason: str) -> int:
        """Records the stages of one kind set aside for one reason."""
        return sum(s.dropped.get(reason, 0) for s in self.stage_entries(name))

    def configured(self, kind: str) -> list[StageConfig]:
        """The corpus file's stages of one kind (YAML key), source stages first."""
        return [s for s in self.stages_config if s.stage == kind]


def _stages_config_of(config: JSON) -> list[StageConfig]:
    """For a manifest without ``stages_config``: the stages as its config wrote them, validated by today's
    ``Params`` models (defaults filled in) where they still validate, else as written."""
    from pdcorpus.stages import REGISTRY

    out = []
    scoped = [(s.get("name", "?"), s.get("stages") or []) for s in config.get("sources") or [] if isinstance(s, dict)]
    for scope, specs in scoped + [("global", config.get("stages") or [])]:
        for position, spec in enumerate(specs):
            if not isinstance(spec, dict) or len(spec) != 1:
                continue
            (kind, params), = spec.items()
            params = params if isinstance(params, dict) else {}
            try:
                model = REGISTRY[kind].Params.model_validate(params)
                values, given = model.model_dump(mode="json"), sorted(model.model_fields_set)
            except Exception:  # noqa: BLE001 - a stage or a parameter this version no longer knows
                values, given = dict(params), sorted(params)
            out.append(StageConfig(scope=scope, position=position, stage=kind, params=values, given=given))
    return out


# -- assembling a build's manifest --------------------------------------------------------------------


def _stage_entries(stats: dict[StageKey, StageStats], order: dict[str, int]) -> list[StageEntry]:
    """The stage statistics in pipeline order: by scope (sources in config order, then global), then the
    reader first, then by position."""
    def rank(key: StageKey) -> tuple[int, int]:
        return order.get(key.scope, len(order)), -2 if key.position is None else key.position

    return [StageEntry.from_json({"scope": key.scope, "position": key.position, **stats[key].to_dict()})
            for key in sorted(stats, key=rank)]


def assemble_manifest(loaded: Any, phases: list[Any], results: dict[str, list[JSON]], *, output_root: str,
                      buckets: int, today: str, runner_name: str, workers: int | None, resumed: bool,
                      seconds: float, timings: dict[str, float], warnings: Iterable[str],
                      version: str, versions: dict[str, str]) -> Manifest:
    """The manifest of a build, from its phases (in order; each with ``name`` and ``stage_index``) and the
    results of their tasks (``results[phase.name]``: the completion markers, in task order). The last phase
    is the one that wrote the shards."""
    cfg = loaded.config
    stats: dict[StageKey, StageStats] = {}
    rejected = 0
    reject_files: list[str] = []
    review = ReviewEntry()
    previous: list[JSON] = []
    near_dedup: dict[str, NearDedupEntry] = {}
    inputs: list[InputEntry] = []
    for phase in phases:
        for result in results.get(phase.name, []):
            for key, data in result.get("stats", {}).items():
                stats.setdefault(StageKey.parse(key), StageStats(data["stage"])).merge(StageStats.from_dict(data))
            rejected += result.get("rejected", 0)
            if result.get("rejects"):
                reject_files.append(result["rejects"][len(output_root) + 1:])
            queue = result.get("queues", {}).get("review")
            if queue is not None:
                review.count += queue["rows"]
                if queue["path"]:
                    review.files.append(QueueFile(path=queue["path"][len(output_root) + 1:], rows=queue["rows"]))
            if "previous" in result:
                previous.append(result["previous"])
            if "near_dedup" in result:  # a near-dedup's clusters step: its settings and counts
                near_dedup[f"stages[{phase.stage_index}]"] = NearDedupEntry.from_json(result["near_dedup"])
            inputs += [InputEntry.from_json(i) for i in result.get("inputs", [])]
    order = {s.name: i for i, s in enumerate(cfg.sources)}
    order["global"] = len(order)
    stages = _stage_entries(stats, order)
    shard_results = results[phases[-1].name]
    shards = [ShardEntry(path=s["path"], source=s["source"], rows=s["rows"], bytes=s["bytes"], sha256=s["sha256"])
              for s in shard_results]
    sources: dict[str, SourceEntry] = {}
    for source in cfg.sources:
        mine = [s for s in shard_results if s["source"] == source.name]
        read = stats.get(StageKey(source.name, None, "read"))
        licenses: Counter = Counter()
        languages: Counter = Counter()
        for shard in mine:
            licenses.update(shard.get("licenses", {}))
            languages.update(shard.get("languages", {}))
        decisions: Counter = Counter()
        for stage_stats in stats.values():
            if stage_stats.name == "rights" and source.name in stage_stats.by_source:
                decisions.update({k: v for k, v in stage_stats.by_source[source.name]["tally"].items()
                                  if not k.startswith("license:")})
        dates = [d for s in mine for d in (s.get("retrieved_at_min"), s.get("retrieved_at_max")) if d]
        images = source.read.format in IMAGE_FORMATS or any(s.get("images") for s in mine)
        stated = source.license
        sources[source.name] = SourceEntry(
            records_read=read.records_in if read else 0,
            records_out=sum(s["rows"] for s in mine),
            shards=len(mine),
            bytes=sum(s["bytes"] for s in mine),
            text_chars=sum(s.get("text_chars", 0) for s in mine),
            licenses=dict(licenses.most_common()),
            languages=dict(languages.most_common()),
            rights_decisions=dict(sorted(decisions.items())),
            modality=IMAGE_CAPTION if images else TEXT,
            retrieved_at_min=min(dates) if dates else None,
            retrieved_at_max=max(dates) if dates else None,
            collection_license=CollectionLicense(value=stated.value, evidence=stated.evidence,
                                                 override=stated.override) if stated is not None else None)
    dropped: Counter = Counter()
    for entry in stages:
        for reason, n in entry.dropped.items():
            dropped[f"{entry.stage}:{reason}"] += n
    phase_seconds = {phase.name: PhaseTiming(wall_seconds=timings.get(phase.name),
                                             task_seconds=round(sum(r.get("seconds", 0)
                                                                    for r in results[phase.name]), 3))
                     for phase in phases if phase.name in results}
    stages_config = [StageConfig(scope=spec.scope, position=spec.position, stage=spec.kind,
                                 params=spec.params.model_dump(mode="json"), given=spec.given)
                     for spec in loaded.all_stage_specs()]
    publish = cfg.publish
    return Manifest(
        name=cfg.name,
        pdcorpus_version=version,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        config_path=loaded.path,
        config_sha256=loaded.sha256,
        config=loaded.raw,
        versions=versions,
        runner=RunnerInfo(name=runner_name, workers=workers, buckets=buckets, resumed=resumed),
        as_of=today,
        inputs=inputs,
        records_in=sum(s.records_read for s in sources.values()),
        records_out=sum(s.rows for s in shards),
        dropped=dict(sorted(dropped.items())),
        rejects=RejectsEntry(count=rejected, files=sorted(reject_files)),
        review=review,
        previous_release=PreviousRelease(files=sorted(f for p in previous for f in p["files"]),
                                         records=sum(p["records"] for p in previous)) if previous else None,
        near_dedup=near_dedup,
        sources=sources,
        stages=stages,
        shards=shards,
        timings=Timings(total_seconds=round(seconds, 3), phases=phase_seconds),
        warnings=list(warnings),
        stages_config=stages_config,
        publish=PublishTarget(repo=publish.repo, private=publish.private, revision=publish.revision)
        if publish is not None else None,
    )


__all__ = ["CollectionLicense", "InputEntry", "Manifest", "NearDedupEntry", "PreviousRelease", "Profile",
           "ProfilePhase", "ProfileRow", "QueueFile",
           "RejectsEntry", "ReviewEntry", "RunnerInfo", "ShardEntry", "SourceEntry", "StageConfig", "StageEntry",
           "StageSourceCounts", "Timings", "assemble_manifest"]
