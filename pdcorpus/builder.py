"""A build: plan, run each phase's unfinished tasks, then write the manifest.

The work folder holds the exchange files and the completion markers. A build
killed at any moment and started again skips what was marked complete and
ends with the same shards as one that never stopped; ``fresh=True`` starts
over. The folder is removed when the manifest is written (unless kept).
"""

from __future__ import annotations

import json
import platform
import sys
import time
from importlib import metadata as importlib_metadata
from os import PathLike
from typing import Any

import fsspec

from pdcorpus._version import __version__
from pdcorpus.checks import CheckFailed, check_writable_folder, empty_source_failure, rights_path_warnings
from pdcorpus.config import LoadedConfig, load_config
from pdcorpus.io.atomic import write_text
from pdcorpus.io.parquet import is_local
from pdcorpus.ownership import (OUTPUT_DIRS, OutputLock, OwnershipError, check_output, check_places, check_work,
                                clear_work, foreign_files, mark_output, mark_work, ours_by_name, refuse_foreign,
                                TEMPORARY)
from pdcorpus.optout import TOMBSTONES, manifest_section as optout_manifest_section
from pdcorpus.plan import Plan, make_plan
from pdcorpus.profiling import assemble_profile
from pdcorpus.redact import redact, redact_all, register_env
from pdcorpus.runners import Runner, make_runner
from pdcorpus.manifest import assemble_manifest
from pdcorpus.tasks import load_marker

KEY_PACKAGES = ("pyarrow", "datasets", "fsspec", "xxhash", "pydantic", "orjson", "pyyaml", "zstandard",
                "trafilatura", "langdetect")


class BuildError(Exception):
    """The build cannot go on; says why and what to do."""


class FolderError(BuildError, OwnershipError):
    """The output or work folder is not one a build may write to (not its own, or locked)."""


def _write_json(fs: fsspec.AbstractFileSystem, path: str, data: Any) -> None:
    _write_text(fs, path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def _read_json(fs: fsspec.AbstractFileSystem, path: str) -> Any:
    with fs.open(path, "r") as fh:
        return json.load(fh)


PUBLICATION_FILES = ("README.md", "training-data-summary.md", "training-data-summary.json")


_write_text = write_text  # whole under a temporary name, then renamed into place


def write_publication(fs: fsspec.AbstractFileSystem, root: str, manifest: dict) -> None:
    """The dataset card and the EU training-data summary, from the manifest's facts."""
    from pdcorpus.publish import dataset_card, training_data_summary

    fs.makedirs(root, exist_ok=True)
    _write_text(fs, f"{root}/README.md", dataset_card(manifest))
    markdown, data = training_data_summary(manifest)
    _write_text(fs, f"{root}/training-data-summary.md", markdown)
    _write_json(fs, f"{root}/training-data-summary.json", data)


def versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "pdcorpus": __version__}
    for name in KEY_PACKAGES:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


class Build:
    """One build of one corpus file. ``run()`` returns the manifest."""

    def __init__(self, config: str | PathLike | LoadedConfig, *, output: str | None = None,
                 workers: int | None = None, fresh: bool = False, strict: bool = False,
                 keep_work: bool = False, progress: bool = True, runner: Runner | None = None,
                 break_lock: bool = False, profile: bool = False) -> None:
        self.loaded = config if isinstance(config, LoadedConfig) else load_config(config, output=output)
        if output is not None and isinstance(config, LoadedConfig):
            self.loaded.config.output = output
        self.fresh = fresh
        self.strict = strict
        self.keep_work = keep_work
        self.break_lock = break_lock
        self.profile = profile  # time and sizes per phase and stage, in the manifest's `profile`
        register_env(self.loaded.env)
        self.runner: Runner = runner or make_runner(self.loaded.config.runner, workers, progress)  # runner:
        cfg = self.loaded.config
        self.out_fs, self.out = cfg.output_fs()
        self.work_fs, self.work = cfg.work_fs()
        self.timings: dict[str, float] = {}
        self.warnings: list[str] = []  # printed as they are found, and kept in the manifest
        for source in cfg.sources:  # a slice is not the corpus: the manifest and the card say so
            if source.read.limit is not None:
                self.warnings.append(f"source {source.name}: read.limit {source.read.limit}: a slice of its inputs "
                                     "(at most that many records read)")
        # output files (relative) that earlier attempts of this build wrote, by their work markers
        self._written: set[str] = set()

    # -- the work folder -----------------------------------------------------

    def _state(self, plan: Plan) -> dict:
        return {
            "pdcorpus": __version__,
            "config_sha256": self.loaded.sha256,
            "output": redact(self.loaded.config.output),
            "buckets": plan.buckets,
            "phases": [p.name for p in plan.phases],  # markers of another phase layout are not this plan's
            # identity: size and modification time (local), ETag or version (object stores), so that a
            # resume notices an input edited in between, even to the same size
            "inputs": [[redact(f.url), f.size, f.identity] for files in plan.inputs.values() for f in files],
            "today": plan.today,  # fixed at the start, so that a build resumed another day decides alike
        }

    def _earlier_files(self) -> set[str]:
        """Output files (relative) an earlier build of this corpus lists in its manifest."""
        path = f"{self.out}/manifest.json"
        if not self.out_fs.exists(path):
            return set()
        try:
            manifest = _read_json(self.out_fs, path)
        except (OSError, ValueError):
            return set()
        files = {s["path"] for s in manifest.get("shards", []) if isinstance(s, dict) and "path" in s}
        files.update(manifest.get("rejects", {}).get("files", []))
        files.update(f["path"] for f in manifest.get("review", {}).get("files", []) if isinstance(f, dict))
        return files

    def _marker_files(self) -> set[str]:
        """Output files (relative) that the tasks of the build in the work folder wrote, by their markers."""
        files: set[str] = set()
        if not self.work_fs.exists(self.work):
            return files
        for marker in self.work_fs.glob(f"{self.work}/p*/t*.done.json"):
            try:
                result = _read_json(self.work_fs, marker)
            except (OSError, ValueError):
                continue
            paths = [result.get("rejects")] + [q.get("path") for q in (result.get("queues") or {}).values()]
            for path in paths:
                if path and path.startswith(f"{self.out}/"):
                    files.add(path[len(self.out) + 1:])
            if "path" in result and "sha256" in result:  # a shard
                files.add(result["path"])
        return files

    def _clear_outputs(self) -> None:
        """Removes the earlier build's files, each of them listed by its manifest or its work markers;
        refuses, removing nothing, if data/, rejects/ or review/ hold anything else."""
        ours = self._earlier_files() | self._written
        # no manifest: what is there was written by an interrupted build (its manifest comes last), whose
        # files no manifest lists
        interrupted = not self.out_fs.exists(f"{self.out}/manifest.json")
        refuse_foreign(foreign_files(self.out_fs, self.out, ours, by_name=interrupted), self.loaded.config.output)
        for sub in OUTPUT_DIRS:
            if self.out_fs.exists(f"{self.out}/{sub}"):
                for path in sorted(self.out_fs.find(f"{self.out}/{sub}")):
                    self.out_fs.rm(path)
                self._remove_empty_dirs(f"{self.out}/{sub}")
        for name in ("manifest.json", *PUBLICATION_FILES):
            if self.out_fs.exists(f"{self.out}/{name}"):
                self.out_fs.rm(f"{self.out}/{name}")

    def _remove_empty_dirs(self, root: str) -> None:
        """Folders left empty under one of the build's own folders (object stores have none)."""
        if not is_local(self.out_fs):
            return
        for path in sorted(self.out_fs.find(root, withdirs=True), key=len, reverse=True) + [root]:
            try:
                if self.out_fs.isdir(path) and not self.out_fs.ls(path):
                    self.out_fs.rmdir(path)
            except (OSError, NotImplementedError):
                pass

    def _prepare(self, plan: Plan) -> bool:
        """Starts a new work folder or checks the one left by an interrupted build; True if resuming."""
        state_path = f"{self.work}/state.json"
        state = self._state(plan)
        output = redact(self.loaded.config.output)
        if self.fresh and self.work_fs.exists(self.work):
            self._written = self._marker_files()
            clear_work(self.work_fs, self.work)
        mark_output(self.out_fs, self.out, self.loaded.config.name)
        if self.work_fs.exists(state_path):
            old = _read_json(self.work_fs, state_path)
            plan.today = old.get("today", plan.today)
            state["today"] = plan.today
            changed = [k for k in state if old.get(k) != state[k]]
            if changed == ["inputs"]:
                raise BuildError(
                    f"the inputs changed since the interrupted build in {redact(self.work)} started: "
                    f"{_input_changes(old['inputs'], state['inputs'])}; its finished tasks read the old "
                    "files: run again with --fresh to start over")
            if changed:
                raise BuildError(
                    f"the work folder {redact(self.work)} holds an interrupted build of another config or other "
                    f"inputs (changed: {', '.join(changed)}); run again with --fresh to start over")
            # files a user put among the build's own (the plan's shards are checked when they are written)
            self._written = self._marker_files()
            refuse_foreign(foreign_files(self.out_fs, self.out, self._written, by_name=True),
                           self.loaded.config.output)
            return True
        self._clear_outputs()
        mark_work(self.work_fs, self.work, output)
        _write_json(self.work_fs, state_path, state)
        return False

    # -- running -------------------------------------------------------------

    def _remove_stale_shards(self, tasks: list[Any]) -> None:
        """Shards under data/ that this plan does not write, left by earlier attempts of this build (by
        their markers); anything else under data/ is refused, naming it, before a shard is written."""
        planned = {t.path for t in tasks}
        ours = planned | self._marker_files() | self._written
        found = [f for f in foreign_files(self.out_fs, self.out, ours) if f.startswith("data/")]
        refuse_foreign(found, self.loaded.config.output)
        if self.out_fs.exists(f"{self.out}/data"):
            for path in self.out_fs.find(f"{self.out}/data"):
                if path[len(self.out) + 1:] not in planned:
                    self.out_fs.rm(path)

    def _sweep_temporaries(self) -> None:
        """Half-written files of tasks that were killed (by the names pdcorpus gives them); every task
        has since completed."""
        for sub in OUTPUT_DIRS:
            if self.out_fs.exists(f"{self.out}/{sub}"):
                for path in self.out_fs.find(f"{self.out}/{sub}"):
                    rel = path[len(self.out) + 1:]
                    if TEMPORARY.search(rel) and ours_by_name(TEMPORARY.sub("", rel)):
                        self.out_fs.rm(path)

    def run(self) -> dict:
        started = time.time()
        cfg = self.loaded.config
        try:  # before anything is read or written: the places, then the folders as they are
            check_places(cfg.output, cfg.work_dir, {s.name: s.read.paths or [] for s in cfg.sources})
        except OwnershipError as exc:
            raise FolderError(str(exc)) from None
        try:
            check_writable_folder(self.out_fs, self.out, "output")
            check_writable_folder(self.work_fs, self.work, "work folder")
        except CheckFailed as exc:
            raise BuildError(str(exc)) from None
        if cfg.publish is not None:  # found out now, not after the whole build
            from pdcorpus.publish.hub import require_token

            require_token(cfg.publish.repo)
        try:
            plan = make_plan(self.loaded)
            plan.profile = self.profile
            check_output(self.out_fs, self.out, cfg.name, self.work, cfg.output)
            check_work(self.work_fs, self.work, redact(cfg.output))
            lock, note = OutputLock.acquire(self.out_fs, self.out, cfg.output, cfg.name, self.break_lock)
        except OwnershipError as exc:
            raise FolderError(str(exc)) from None
        if note:
            print(f"pdcorpus: {note}", file=sys.stderr)
        try:
            return self._run(plan, started)
        except OwnershipError as exc:
            raise FolderError(str(exc)) from None
        finally:
            lock.release()

    def _run(self, plan: Plan, started: float) -> dict:
        resumed = self._prepare(plan)
        for warning in rights_path_warnings(plan):
            self.warnings.append(warning)
            print(f"pdcorpus: warning: {warning}", file=sys.stderr)
        results: dict[str, list[dict]] = {}
        self.runner.start(plan)
        try:
            for phase in plan.phases:
                t0 = time.perf_counter()
                tasks = plan.tasks(phase, results)
                if phase is plan.phases[-1]:  # the shards: what is under data/ and not planned goes first
                    self._remove_stale_shards(tasks)
                finished = {t.index: load_marker(plan, phase, t.index) for t in tasks}
                todo = [t for t in tasks if finished[t.index] is None]
                for result in self.runner.run(phase, todo, strict=self.strict):
                    finished[result["task"]] = result
                results[phase.name] = [finished[t.index] for t in tasks]
                if phase is plan.phases[0]:  # read: a source that yielded nothing fails here, before a card for nothing
                    failure = empty_source_failure(plan, results[phase.name])
                    if failure:
                        raise BuildError(failure)
                self.timings[phase.name] = round(time.perf_counter() - t0, 3)
        finally:
            self.runner.close()
        self._sweep_temporaries()
        manifest = redact_all(self._manifest(plan, results, resumed, time.time() - started), self.loaded.env)
        write_publication(self.out_fs, self.out, manifest)
        _write_json(self.out_fs, f"{self.out}/manifest.json", manifest)  # last: a manifest means a whole build
        if self.loaded.config.publish is not None:
            from pdcorpus.publish.hub import publish

            target = self.loaded.config.publish
            manifest["published"] = publish(self.loaded.config.output, target.repo, private=target.private,
                                            revision=target.revision,
                                            storage_options=self.loaded.config.storage_options)["commit"]
        if not self.keep_work:
            clear_work(self.work_fs, self.work)
        return manifest

    # -- the manifest --------------------------------------------------------

    def _manifest(self, plan: Plan, results: dict[str, list[dict]], resumed: bool, seconds: float) -> dict:
        """The manifest's JSON (``pdcorpus.manifest`` assembles it from the phases' results)."""
        manifest = assemble_manifest(
            self.loaded, plan.phases, results, output_root=self.out, buckets=plan.buckets, today=plan.today,
            runner_name=self.runner.name, workers=self.runner.workers, resumed=resumed, seconds=seconds,
            timings=self.timings, warnings=self.warnings, version=__version__, versions=versions()).to_json()
        if self.profile:  # pdcorpus/profiling.py: from the tasks' results, which carry their measures
            manifest["profile"] = assemble_profile(plan.phases, results, self.timings, seconds,
                                                   [s.name for s in self.loaded.config.sources],
                                                   self.runner.workers).to_json()
        manifest["opt_outs"] = optout_manifest_section(self.loaded, manifest["stages"])  # pdcorpus/optout.py
        # corrections after release (`pdcorpus optout apply` adds to it): none yet for a release just built
        manifest["removals"] = {"file": TOMBSTONES, "records": 0, "by_source": {}, "applied": []}
        return manifest


def _input_changes(old: list, new: list) -> str:
    """Which inputs differ between two work states (lists of [path, size, identity])."""
    before = {entry[0]: entry[1:] for entry in old}
    after = {entry[0]: entry[1:] for entry in new}
    out = []
    for path in sorted(set(before) | set(after)):
        if path not in after:
            out.append(f"{path} is gone")
        elif path not in before:
            out.append(f"{path} is new")
        elif before[path] != after[path]:
            was, now = before[path], after[path]
            how = f"size {was[0]} -> {now[0]}" if was[0] != now[0] else "modified (same size)"
            out.append(f"{path} changed ({how})")
    shown = out[:10] + ([f"and {len(out) - 10} more"] if len(out) > 10 else [])
    return "; ".join(shown)


def build(config: str | PathLike | LoadedConfig, **options: Any) -> dict:
    """Builds the corpus described by a corpus file; returns the manifest. See ``Build`` for options."""
    return Build(config, **options).run()
