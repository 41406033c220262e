"""The corpus file: YAML validated before any work starts.

Errors name the file, the line and the field path (``sources[1].read.paths``),
unknown keys come with a suggestion, and ``${ENV}`` / ``${ENV:-default}`` are
interpolated without ever printing the value (a secret may be in it).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import fsspec
import yaml
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, ValidationError, field_validator, model_validator

from pdcorpus.io.parquet import parse_size
from pdcorpus.io.formats import ReadOptions, UnknownFormat, format_names, get_format, options_model
from pdcorpus.io.readers import DEFAULT_MAX_CHARS, MAPPABLE
from pdcorpus.locations import resolve_config_paths
from pdcorpus.redact import redact, register_env
from pdcorpus.stages import REGISTRY, Stage, StageParams

Loc = tuple[Union[str, int], ...]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


class ConfigError(Exception):
    """A corpus file that cannot run; ``problems`` are ``file:line: path: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# A source's read: block is validated by its format's own model (``pdcorpus.io.formats``); this name stays for
# the code and the tests that mean "a validated read: block".
ReadConfig = ReadOptions


class SourceLicense(_Strict):
    """A licence stated for a whole collection, with the evidence for it (a URL or a citation)."""

    value: str = Field(min_length=1)
    evidence: str | None = None
    override: bool = False  # also over statements the records carry themselves


class SourceConfig(_Strict):
    name: str = Field(pattern=_NAME)
    read: SerializeAsAny[ReadOptions]
    license: SourceLicense | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    metadata: Literal["*"] | list[str] | None = "*"
    priority: int | None = None
    stages: list[dict[str, Any]] = Field(default_factory=list)
    allow_empty: bool = False  # a source that yields no record at all is an error unless this says so

    @field_validator("read", mode="wrap")
    @classmethod
    def _by_format(cls, value: Any, handler: Any) -> Any:
        """The read: block checked by its format's model: its keys, and no key of another format."""
        if isinstance(value, dict) and isinstance(value.get("format"), str):
            try:
                model = get_format(value["format"]).Options
            except UnknownFormat:
                pass
            else:
                return model.model_validate(value)
        return handler(value)  # no or an unknown format: the shared keys' errors, and the format's

    @field_validator("stages", mode="before")
    @classmethod
    def _no_stages(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("license", mode="before")
    @classmethod
    def _license_string(cls, value: Any) -> Any:
        return {"value": value} if isinstance(value, str) else value

    @field_validator("fields", mode="before")
    @classmethod
    def _no_fields(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="after")
    def _image_field(self) -> "SourceConfig":
        if "image" in self.fields and get_format(self.read.format).modality != "image":
            raise ValueError("fields.image names the image file of an images source; this source reads "
                             f"{self.read.format}")
        return self

    @field_validator("fields")
    @classmethod
    def _mappable(cls, value: dict[str, str]) -> dict[str, str]:
        for column in value:
            if column == "image":
                continue
            if column not in MAPPABLE:
                hint = _suggest(column, MAPPABLE)
                raise ValueError(f"'{column}' is not a column a source can fill{hint}; "
                                 f"mappable columns: {', '.join(MAPPABLE)}")
        return value


class ShardsConfig(_Strict):
    max_bytes: int = 256 * 10**6
    compression: Literal["zstd", "snappy", "gzip", "lz4", "brotli", "none"] = "zstd"

    @field_validator("max_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int:
        size = parse_size(value)
        if size < 1000:
            raise ValueError(f"{size} bytes is too small for a shard (at least 1KB)")
        return size


class RejectsConfig(_Strict):
    write: bool = True
    content: bool = False


class LimitsConfig(_Strict):
    max_chars: int = Field(DEFAULT_MAX_CHARS, ge=1)


class ExchangeConfig(_Strict):
    buckets: int | Literal["auto"] = "auto"
    # 256 MB of estimated input a bucket. Smaller buckets balance small corpora better but multiply the row
    # groups each read task writes (one per partition and flush): at 64 MB and 1M documents (96 buckets) a read
    # task wrote ~1,300 row groups, each bucket task parsed 40 such footers, and exact dedup took 220 s against
    # 3.4 s at 100k (benchmarks/RESULTS.md, issue 16). The bucket count never depends on the workers.
    bucket_bytes: int = 256 * 10**6
    # The codec of the work files passed between global stages (not of those the writer reads: they are
    # written with the shards' codec, whose sizes plan the shards). auto: none for a local work folder
    # (encoding and decoding zstd cost more CPU than the disk saves), the shards' codec elsewhere (an object
    # store's bytes cost time and money).
    compression: Literal["auto", "zstd", "snappy", "gzip", "lz4", "brotli", "none"] = "auto"

    @field_validator("bucket_bytes", mode="before")
    @classmethod
    def _size(cls, value: Any) -> int:
        return parse_size(value)

    @field_validator("buckets")
    @classmethod
    def _positive(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= 65536:
            raise ValueError("buckets must be between 1 and 65536")
        return value


class PublishConfig(_Strict):
    """Publish to the Hugging Face Hub when the build ends (token from HF_TOKEN or the login)."""

    repo: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
    private: bool = False
    revision: str | None = None


class RunnerConfig(_Strict):
    """Where the build's tasks run: ``local`` (worker processes of this machine) or ``ray`` (a Ray cluster)."""

    name: Literal["local", "ray"] = "local"
    workers: int | None = Field(None, ge=1)  # local: processes; ray: tasks in flight (default: the cluster's CPUs)
    address: str | None = None  # ray: auto, ray://HOST:10001, HOST:6379 (default: RAY_ADDRESS or a new local one)
    max_retries: int = Field(2, ge=0)  # ray: retries of a task whose worker process or node died
    num_cpus: float = Field(1, gt=0)  # ray: CPUs a task declares
    memory: int | None = None  # ray: memory a task declares (bytes or a size: 2GB)

    @field_validator("memory", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return None if value is None else parse_size(value)

    @model_validator(mode="after")
    def _ray_keys(self) -> "RunnerConfig":
        if self.name == "local":
            given = [k for k in ("address", "memory") if getattr(self, k) is not None]
            given += [k for k in ("max_retries", "num_cpus") if k in self.model_fields_set]
            if given:
                raise ValueError(f"{', '.join(given)}: only for the ray runner (runner.name: ray)")
        return self


class CorpusConfig(_Strict):
    name: str = Field(pattern=_NAME)
    output: str
    work: str | None = None
    storage_options: dict[str, Any] = Field(default_factory=dict)  # for output and work (fsspec)
    sources: list[SourceConfig] = Field(min_length=1)
    stages: list[dict[str, Any]] = Field(default_factory=list)
    shards: ShardsConfig = Field(default_factory=ShardsConfig)
    rejects: RejectsConfig = Field(default_factory=RejectsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)
    exchange: ExchangeConfig = Field(default_factory=ExchangeConfig)
    publish: PublishConfig | None = None
    runner: RunnerConfig = Field(default_factory=RunnerConfig)

    @field_validator("stages", mode="before")
    @classmethod
    def _no_stages(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def work_dir(self) -> str:
        return self.work or f"{self.output.rstrip('/')}/.work"

    def output_fs(self) -> tuple[fsspec.AbstractFileSystem, str]:
        """The output's filesystem and root path (no trailing slash)."""
        fs, root = fsspec.core.url_to_fs(self.output, **self.storage_options)
        return fs, root.rstrip("/")

    def work_fs(self) -> tuple[fsspec.AbstractFileSystem, str]:
        fs, root = fsspec.core.url_to_fs(self.work_dir, **self.storage_options)
        return fs, root.rstrip("/")

    def exchange_compression(self) -> str:
        """The codec of the work files between global stages (``exchange.compression``, ``auto`` resolved)."""
        if self.exchange.compression != "auto":
            return self.exchange.compression
        fs, _ = self.work_fs()
        return "none" if "file" in _protocols(fs) else self.shards.compression


def _protocols(fs: fsspec.AbstractFileSystem) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


@dataclass
class LoadedConfig:
    """A validated corpus file: the model, the text it came from and where."""

    config: CorpusConfig
    path: str
    text: str
    raw: dict[str, Any]  # as written, before ${ENV} interpolation: safe to record
    # the values interpolated from ${ENV}, by name: redacted wherever a path is recorded or printed
    env: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    # the stages with their validated parameters: None -> the global stages, a source's name -> its own
    specs: dict[str | None, list["StageSpec"]] = field(default_factory=dict, repr=False)

    def stage_specs(self, source: str | None = None) -> list["StageSpec"]:
        """A source's own stages, or (``None``) the global ones, with their validated parameters."""
        if source not in self.specs:  # a LoadedConfig made by hand: validated now
            specs = self.config.stages if source is None else \
                next(s for s in self.config.sources if s.name == source).stages
            self.specs[source] = [StageSpec.of(spec, "global" if source is None else source, i)
                                  for i, spec in enumerate(specs)]
        return self.specs[source]

    def all_stage_specs(self) -> list["StageSpec"]:
        """Every stage of the corpus file in pipeline order: each source's own, then the global ones."""
        return [spec for s in self.config.sources for spec in self.stage_specs(s.name)] + self.stage_specs(None)

    def stages(self, source: str | None = None) -> list[Stage]:
        """New stage objects: a source's own stages, or (``None``) the global ones."""
        return [spec.build() for spec in self.stage_specs(source)]


@dataclass(frozen=True)
class StageSpec:
    """One stage of the corpus file: its key, where it is, and its validated parameters (defaults filled in)."""

    kind: str  # the YAML key: rights, dedup, ...
    scope: str  # "global", or the name of the source whose stages it is in
    position: int  # its index in that list
    params: StageParams

    @classmethod
    def of(cls, spec: dict[str, Any], scope: str, position: int) -> "StageSpec":
        (kind, params), = spec.items()
        return cls(kind, scope, position, REGISTRY[kind].Params.model_validate(params or {}))

    def build(self) -> Stage:
        return REGISTRY[self.kind].from_params(self.params)

    @property
    def given(self) -> list[str]:
        """The parameters the corpus file gave (the others are the ``Params`` model's defaults)."""
        return sorted(self.params.model_fields_set)


def build_stage(spec: "dict[str, Any] | StageSpec") -> Stage:
    """A new stage object from its validated spec (or from a ``{key: params}`` dict, validated here)."""
    if isinstance(spec, StageSpec):
        return spec.build()
    (kind, params), = spec.items()
    cls = REGISTRY[kind]
    return cls.from_params(cls.Params.model_validate(params or {}))


# -- locating things in the YAML --------------------------------------------------


def _line_map(text: str) -> dict[Loc, int]:
    """Field path -> 1-based line, for every key and item in the document."""
    lines: dict[Loc, int] = {}

    def walk(node: yaml.Node, loc: Loc) -> None:
        lines.setdefault(loc, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = loc + (key.value,)
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, loc + (index,))

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return lines


def format_loc(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(lines: dict[Loc, int], loc: Loc) -> int:
    while loc not in lines and loc:
        loc = loc[:-1]
    return lines.get(loc, 1)


def _suggest(word: str, choices: typing.Iterable[str]) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _model_at(model: Any, loc: Loc) -> Any:
    """The pydantic model class that holds the field at ``loc`` (for suggestions), or None."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            args = typing.get_args(current)
            current = args[0] if args else None
        elif isinstance(current, type) and issubclass(current, BaseModel) and part in current.model_fields:
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _unwrap(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is not type(None):
                return _unwrap(arg)
    if origin is Annotated:
        return _unwrap(typing.get_args(tp)[0])
    return tp


def _read_model(data: Any, loc: Loc) -> type[BaseModel] | None:
    """The options model of the format of the read: block at ``loc`` (``sources, i, read``), if known."""
    if len(loc) == 3 and loc[0] == "sources" and loc[2] == "read" and isinstance(data, dict):
        try:
            return options_model(data["sources"][loc[1]]["read"]["format"])
        except (KeyError, IndexError, TypeError, UnknownFormat):
            return None
    return None


def _other_format(key: str, fmt: str) -> str | None:
    """The first other format whose read: block has ``key`` (for 'only for format X')."""
    for name in format_names():
        if name != fmt and key in options_model(name).model_fields and key not in ReadOptions.model_fields:
            return name
    return None


def _messages(exc: ValidationError, model: Any, prefix: Loc, lines: dict[Loc, int], file: str,
              data: Any = None) -> list[str]:
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = prefix + tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        if err["type"] == "extra_forbidden":
            holder = _read_model(data, loc[:-1]) or _model_at(model, tuple(err["loc"][:-1]))
            key = loc[-1]
            other = _other_format(str(key), data["sources"][loc[1]]["read"]["format"]) \
                if _read_model(data, loc[:-1]) is not None else None
            hint = _suggest(str(key), holder.model_fields) if holder else ""
            allowed = f"; allowed: {', '.join(holder.model_fields)}" if holder else ""
            msg = f"unknown key '{key}'{hint}{allowed}"
            if other is not None:
                fmt = data["sources"][loc[1]]["read"]["format"]
                msg = f"{'from' if key == 'from_' else key}: only for format {other}, this source reads {fmt}"
                hint = getattr(options_model(other), "elsewhere", {}).get(key)
                msg += f"; {hint}" if hint else ""
        elif err["type"] == "missing":
            msg = "required field is missing"
        else:
            msg = err["msg"].removeprefix("Value error, ")
        out.append(f"{file}:{_line_of(lines, loc)}: {format_loc(loc)}: {msg}")
    return out


def _interpolate(data: Any, loc: Loc, env: typing.Mapping[str, str], problems: list[tuple[Loc, str]],
                 used: dict[str, str]) -> Any:
    if isinstance(data, dict):
        return {k: _interpolate(v, loc + (k,), env, problems, used) for k, v in data.items()}
    if isinstance(data, list):
        return [_interpolate(v, loc + (i,), env, problems, used) for i, v in enumerate(data)]
    if isinstance(data, str) and "${" in data:
        def sub(match: re.Match) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                used[name] = env[name]
                return env[name]
            if default is not None:
                return default
            problems.append((loc, f"environment variable '{name}' is not set (write ${{{name}:-default}} for a default)"))
            return ""
        return _ENV.sub(sub, data)
    return data


def _redact(message: str, used: dict[str, str]) -> str:
    """Puts ``${NAME}`` back wherever an interpolated value would show (it may be a secret), and hides
    credentials in URLs."""
    return redact(message, used)


def _check_stages(specs: Any, prefix: Loc, lines: dict[Loc, int], file: str,
                  validated: list[StageSpec] | None = None) -> list[str]:
    """Problems of a list of stages (``stages`` or ``sources[i].stages``); the valid ones go to ``validated``."""
    problems = []
    scope = "global" if prefix == ("stages",) else None
    for index, spec in enumerate(specs or []):
        loc = prefix + (index,)
        if not isinstance(spec, dict) or len(spec) != 1:
            problems.append(f"{file}:{_line_of(lines, loc)}: {format_loc(loc)}: a stage is one key naming it, "
                            f"e.g. '- dedup: {{method: exact}}'")
            continue
        (kind, params), = spec.items()
        if kind not in REGISTRY:
            problems.append(f"{file}:{_line_of(lines, loc + (kind,))}: {format_loc(loc + (kind,))}: unknown stage "
                            f"'{kind}'{_suggest(kind, REGISTRY)}; stages: {', '.join(sorted(REGISTRY))}")
            continue
        if params is not None and not isinstance(params, dict):
            problems.append(f"{file}:{_line_of(lines, loc + (kind,))}: {format_loc(loc + (kind,))}: "
                            f"stage options must be a mapping, got {type(params).__name__}")
            continue
        if prefix != ("stages",) and getattr(REGISTRY[kind], "is_global", False):
            # in a source's list it would run inside each read task, on that task's records only
            problems.append(f"{file}:{_line_of(lines, loc + (kind,))}: {format_loc(loc + (kind,))}: '{kind}' is a "
                            "global stage: it must see the records of every source and every input at once, so it "
                            "cannot run in one source's stages; move it to the top-level 'stages:' list")
            continue
        params_model = REGISTRY[kind].Params
        try:
            params = params_model.model_validate(params or {})
        except ValidationError as exc:
            problems.extend(_messages(exc, params_model, loc + (kind,), lines, file))
            continue
        try:  # a stage that cannot be built (a missing package or model) fails now, not mid-run
            REGISTRY[kind].from_params(params)
        except Exception as exc:  # noqa: BLE001 - any failure to build is a config problem, reported with its place
            problems.append(f"{file}:{_line_of(lines, loc + (kind,))}: {format_loc(loc + (kind,))}: {exc}")
            continue
        if validated is not None:
            validated.append(StageSpec(kind, scope or "", index, params))
    return problems


def load_config(path: str | os.PathLike, env: typing.Mapping[str, str] | None = None,
                output: str | None = None, limit: int | None = None) -> LoadedConfig:
    """Reads and validates a corpus file; raises ``ConfigError`` listing every problem found."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{file}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"{file}: cannot read: {exc}"]) from None
    try:
        raw = yaml.safe_load(text)
        lines = _line_map(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else file
        raise ConfigError([f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{file}:1: a corpus file is a mapping with name, output and sources"])
    env_problems: list[tuple[Loc, str]] = []
    used: dict[str, str] = {}
    data = _interpolate(raw, (), os.environ if env is None else env, env_problems, used)
    problems = [f"{file}:{_line_of(lines, loc)}: {format_loc(loc)}: {msg}" for loc, msg in env_problems]
    resolve_config_paths(data, file)  # relative to the corpus file's folder; not --output (the cwd's)
    if output is not None:
        data["output"] = output
    if limit is not None:  # --limit N: a slice of every source that does not set its own
        for source in data.get("sources") or []:
            if isinstance(source, dict) and isinstance(source.get("read"), dict):
                source["read"].setdefault("limit", limit)
    try:
        config = CorpusConfig.model_validate(data)
    except ValidationError as exc:
        problems.extend(_messages(exc, CorpusConfig, (), lines, file, data))
        config = None
    specs: dict[str | None, list[StageSpec]] = {None: []}
    problems.extend(_check_stages(data.get("stages"), ("stages",), lines, file, specs[None]))
    names: set[Any] = set()
    for index, source in enumerate(data.get("sources") or []):
        if isinstance(source, dict):
            if source.get("name") in names:
                loc = ("sources", index, "name")
                problems.append(f"{file}:{_line_of(lines, loc)}: {format_loc(loc)}: two sources are named "
                                f"'{source['name']}'; source names must be unique")
            names.add(source.get("name"))
            mine: list[StageSpec] = []
            problems.extend(_check_stages(source.get("stages"), ("sources", index, "stages"), lines, file, mine))
            specs[str(source.get("name"))] = [StageSpec(s.kind, str(source.get("name")), s.position, s.params)
                                              for s in mine]
    if problems or config is None:
        raise ConfigError([_redact(p, used) for p in problems])
    register_env(used)
    return LoadedConfig(config=config, path=file, text=text, raw=raw, env=used, specs=specs)

