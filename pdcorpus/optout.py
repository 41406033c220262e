"""Opt-outs after a build: removing records from a finished release, and what the reports say of opt-outs.

``pdcorpus optout apply OUT --list removals.txt [--reason TEXT] [--publish]`` takes the records that the
lists name (the ``optout`` stage's format: pdcorpus/stages/optout.py) out of a finished build:

- only the shards that hold such records are rewritten, each with its remaining records in their order,
  the same schema and the same compression, under a temporary name first;
- ``OUT/removals.jsonl``, the tombstone log, grows by one JSON line per removed record: its id, source,
  content hash (the fingerprint the shards publish, not the content), the shard it was in, the list and
  the rule that matched, the reason, and the date; no text, caption or image;
- ``manifest.json`` (records and bytes per source, licence and language counts, each changed shard's
  rows, bytes and sha256, and a ``removals`` section), the dataset card and the training-data summary
  are brought up to date; the manifest is written last, so that ``pdcorpus verify`` passes;
- applying the same lists again finds nothing and writes nothing.

The whole correction is first written down in ``OUT/removals.pending.json`` (the new manifest, the
tombstones, the temporary shards and their final names) and only then put in place; if it is killed half
way, the next ``apply`` finishes it before anything else. It takes the output's lock, so that no build
runs at the same time.

A later build over the same output reads ``removals.jsonl`` (``release_guard``) and sets aside, in its
read tasks, every record of the same source and id, or with the same content hash, as
``removed-after-release``: a removed record never comes back, not even as a duplicate that the original
build had dropped in its favour. The build keeps the file (``ownership.KEPT_FILES``).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import fsspec
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pdcorpus.io.parquet import file_sha256, open_arrow, write_parquet
from pdcorpus.locations import is_url
from pdcorpus.io.atomic import temporary_name
from pdcorpus.ownership import TEMPORARY, OutputLock, ours_by_name
from pdcorpus.redact import redact, shown_path
from pdcorpus.stages.optout import KINDS, Matcher, OptOutList, RemovedAfterRelease, list_labels, load_list

TOMBSTONES = "removals.jsonl"
PENDING = "removals.pending.json"


class OptOutError(Exception):
    """A removal that cannot go on; says why and what to do."""


# -- the tombstone log ---------------------------------------------------------------------------


def read_tombstones(fs: fsspec.AbstractFileSystem, root: str) -> list[dict[str, Any]]:
    """The entries of ``OUT/removals.jsonl`` (none if there is no such file); a bad line is an error naming it."""
    path = f"{root}/{TOMBSTONES}"
    if not fs.exists(path):
        return []
    out = []
    with fs.open(path, "r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError as exc:
                raise OptOutError(f"{redact(path)}:{number}: not a JSON line ({exc}); the tombstone log is written "
                                  "by pdcorpus optout apply: restore it from a copy") from None
            if not isinstance(entry, dict) or not entry.get("id") or not entry.get("source"):
                raise OptOutError(f"{redact(path)}:{number}: a tombstone needs 'id' and 'source'")
            out.append(entry)
    return out


def release_guard(plan: Any, sinks: Any) -> list[tuple[str, RemovedAfterRelease]]:
    """For a read task of a build: the step that keeps out what was removed from an earlier release of the
    same output, as ``(stats key, stage)`` (none when the output has no tombstones)."""
    fs, root = plan.config.output_fs()
    tombstones = read_tombstones(fs, root)
    if not tombstones:
        return []
    stage = RemovedAfterRelease(tombstones)
    stage.on_reject = sinks.rejects
    return [(f"global/{len(plan.pre_global)}/{stage.name}", stage)]


# -- what the manifest, the card and the summary say ---------------------------------------------------


def _optout_specs(config: dict) -> list[tuple[str, dict]]:
    found = []
    for source in config.get("sources") or []:
        for spec in source.get("stages") or []:
            if isinstance(spec, dict) and "optout" in spec:
                found.append((source.get("name", "?"), spec["optout"] or {}))
    for spec in config.get("stages") or []:
        if isinstance(spec, dict) and "optout" in spec:
            found.append(("global", spec["optout"] or {}))
    return found


def manifest_section(loaded: Any, stages: list[dict[str, Any]]) -> dict[str, Any]:
    """The manifest's ``opt_outs``: each list applied by an ``optout`` stage (its sha256, rules by kind,
    records removed in all, by kind and by source), and the records kept out because they had been removed
    from an earlier release."""
    from pdcorpus.config import build_stage

    lists: list[dict[str, Any]] = []
    cfg = loaded.config
    specs = [(s.name, spec) for s in cfg.sources for spec in s.stages] + [("global", spec) for spec in cfg.stages]
    for scope, spec in specs:
        if "optout" not in spec:
            continue
        stage = build_stage(spec)  # the lists are read (once per process) as the tasks read them
        for one in stage.lists:
            entry = {"list": one.label, "path": shown_path(one.path, loaded.path), "sha256": one.sha256,
                     "scope": scope, "rules": one.counts(), "removed": 0, "removed_by_kind": {},
                     "removed_by_source": {}}
            lists.append(entry)
        if stage.registry is not None:  # a registry is reported like a list of its own
            lists.append({"list": stage.registry.label, "path": redact(stage.registry.params.endpoint), "sha256": None,
                          "scope": scope, "rules": {}, "removed": 0, "removed_by_kind": {}, "removed_by_source": {},
                          "registry": True})
    by_label = {(e["scope"], e["list"]): e for e in lists}
    kept_out = 0
    kept_out_by_source: Counter = Counter()
    for entry in stages:
        if entry.get("stage") == "optout":
            scope = entry.get("scope")
            for source, s in (entry.get("by_source") or {}).items():
                for key, n in (s.get("tally") or {}).items():
                    if not key.startswith("list:"):
                        continue
                    label, _, kind = key[len("list:"):].rpartition(":")
                    if kind not in KINDS:  # "list:<label>": the list's total (a label may hold ':')
                        label, kind = key[len("list:"):], None
                    target = by_label.get((scope, label))
                    if target is None:
                        continue
                    if kind is None:
                        target["removed"] += n
                        target["removed_by_source"][source] = target["removed_by_source"].get(source, 0) + n
                    else:
                        target["removed_by_kind"][kind] = target["removed_by_kind"].get(kind, 0) + n
        elif entry.get("stage") == RemovedAfterRelease.name:
            for source, s in (entry.get("by_source") or {}).items():
                n = (s.get("dropped") or {}).get("removed-after-release", 0)
                kept_out += n
                kept_out_by_source[source] += n
    removed_by_kind: Counter = Counter()
    for e in lists:
        removed_by_kind.update(e["removed_by_kind"])
    return {"lists": lists, "removed": sum(e["removed"] for e in lists),
            "removed_by_kind": dict(sorted(removed_by_kind.items())),
            "kept_out_after_release": kept_out, "kept_out_after_release_by_source": dict(sorted(kept_out_by_source.items()))}


@dataclass
class OptOutFacts:
    """What the card and the summary say of opt-out lists and removals, read from a manifest."""

    lists: list[dict[str, Any]] = field(default_factory=list)
    removed_by_lists: int = 0
    kept_out_after_release: int = 0
    removed_after_release: int = 0  # from released shards, by ``optout apply`` (the tombstone log)
    corrections: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total_removed(self) -> int:
        return self.removed_by_lists + self.kept_out_after_release + self.removed_after_release


def optout_facts(manifest: Any) -> OptOutFacts:
    """From a manifest (``pdcorpus.manifest.Manifest`` or its JSON)."""
    if isinstance(manifest, dict):
        section, removals = manifest.get("opt_outs") or {}, manifest.get("removals") or {}
    else:
        section, removals = manifest.opt_outs or {}, manifest.removals or {}
    return OptOutFacts(lists=list(section.get("lists") or []), removed_by_lists=int(section.get("removed", 0)),
                       kept_out_after_release=int(section.get("kept_out_after_release", 0)),
                       removed_after_release=int(removals.get("records", 0)),
                       corrections=list(removals.get("applied") or []))


def _n(n: int) -> str:
    return f"{n:,}"


def report_lines(manifest: dict) -> list[str]:
    """Markdown lines on opt-out lists and removals after release, for the card and the summary alike."""
    f = optout_facts(manifest)
    lines: list[str] = []
    registries = [e for e in f.lists if e.get("registry")]
    if f.lists:
        lines.append(f"Opt-out lists applied (the `optout` stage, on every record of the sources it covers): "
                     f"{_n(f.removed_by_lists)} records removed."
                     + ("" if registries else " No Do-Not-Train registry (such as Spawning's) was asked."))
        lines += ["", "| list | scope | sha256 | rules | records removed | by kind |", "| --- | --- | --- | --- | --- | --- |"]
        for e in f.lists:
            rules = ", ".join(f"{k} {_n(v)}" for k, v in e.get("rules", {}).items()) or "-"
            kinds = ", ".join(f"{k} {_n(v)}" for k, v in sorted(e.get("removed_by_kind", {}).items())) or "-"
            digest = f"`{e['sha256'][:16]}`" if e.get("sha256") else "(registry, asked per URL)"
            lines.append(f"| {e['list']} | {e.get('scope')} | {digest} | {rules} | "
                         f"{_n(e.get('removed', 0))} | {kinds} |")
    else:
        lines.append("No opt-out list was applied to this build and no Do-Not-Train registry (such as Spawning's) "
                     "was asked (no `optout` stage).")
    if f.kept_out_after_release:
        lines += ["", f"{_n(f.kept_out_after_release)} records removed from an earlier release of this corpus "
                      f"(`{TOMBSTONES}`) were kept out of this build."]
    if f.corrections:
        lines += ["", f"Removed from this release after it was built (`pdcorpus optout apply`; one line per record, "
                      f"without content, in `{TOMBSTONES}`): {_n(f.removed_after_release)} records."]
        for c in f.corrections:
            named = "; ".join(f"{e['list']}: {_n(e['removed'])}" for e in c.get("lists", []))
            lines.append(f"- {c.get('date')}: {_n(c.get('removed', 0))} records ({named})"
                         + (f", reason: {c['reason']}" if c.get("reason") else ""))
    else:
        lines += ["", "No record has been removed from this release after it was built."]
    return lines


def summary_data(manifest: dict) -> dict[str, Any]:
    """The same facts for the summary's JSON."""
    f = optout_facts(manifest)
    return {"opt_out_lists": f.lists, "records_removed_by_lists": f.removed_by_lists,
            "records_kept_out_after_release": f.kept_out_after_release,
            "records_removed_after_release": f.removed_after_release, "corrections": f.corrections}


# -- removal from a finished build ---------------------------------------------------------------------


@dataclass
class ApplyResult:
    output: str
    removed: int
    shards: list[str]  # the shards rewritten, relative to the output
    by_list: dict[str, int]
    tombstones: list[dict[str, Any]]
    manifest: dict | None = None
    finished_pending: bool = False

    @property
    def changed_files(self) -> list[str]:
        if not self.removed:
            return []
        from pdcorpus.builder import PUBLICATION_FILES

        return sorted(self.shards) + sorted([*PUBLICATION_FILES, "manifest.json", TOMBSTONES])


def _compression(pf: pq.ParquetFile, manifest: dict) -> str:
    """The shard's own codec (as pdcorpus names it), so that a rewritten shard is compressed alike."""
    if pf.metadata.num_row_groups and pf.metadata.num_columns:
        codec = pf.metadata.row_group(0).column(0).compression.lower()
        return {"uncompressed": "none", "lz4_raw": "lz4"}.get(codec, codec)
    return str(((manifest.get("config") or {}).get("shards") or {}).get("compression") or "zstd")


def _counts(table: pa.Table, column: str) -> Counter:
    out: Counter = Counter()
    for item in pc.value_counts(table.column(column)).to_pylist():
        out[item["values"] if item["values"] is not None else "none"] += item["counts"]
    return out


def _write_json(fs: fsspec.AbstractFileSystem, path: str, data: Any) -> None:
    from pdcorpus.builder import _write_json as write

    write(fs, path, data)


def _ours(tmp: str, final: str | None = None) -> bool:
    """Whether a name from ``removals.pending.json`` is a temporary of a shard pdcorpus writes (and ``final`` that
    shard): that file, a user may have edited, never leads apply to move or remove anything else."""
    shard = TEMPORARY.sub("", tmp)
    return bool(TEMPORARY.search(tmp)) and ours_by_name(shard) and ".." not in tmp.split("/") \
        and (final is None or final == shard)


def _finish(fs: fsspec.AbstractFileSystem, root: str, pending: dict) -> None:
    """Puts a correction written down in ``removals.pending.json`` in place; safe to run again."""
    from pdcorpus.builder import _write_text, write_publication

    for tmp, final in pending["renames"]:
        if _ours(tmp, final) and fs.exists(f"{root}/{tmp}"):
            fs.mv(f"{root}/{tmp}", f"{root}/{final}")
    existing = read_tombstones(fs, root)
    known = {(e["source"], e["id"]) for e in existing}
    new = [e for e in pending["tombstones"] if (e["source"], e["id"]) not in known]
    if new:
        text = ""
        if fs.exists(f"{root}/{TOMBSTONES}"):
            with fs.open(f"{root}/{TOMBSTONES}", "r", encoding="utf-8") as fh:
                text = fh.read()
            if text and not text.endswith("\n"):
                text += "\n"
        text += "".join(json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in new)
        _write_text(fs, f"{root}/{TOMBSTONES}", text)  # whole, then renamed: object stores cannot append
    write_publication(fs, root, pending["manifest"])
    _write_json(fs, f"{root}/manifest.json", pending["manifest"])  # last, as in a build
    fs.rm(f"{root}/{PENDING}")


def apply_removals(output: str, lists: list[str], *, reason: str | None = None,
                   storage_options: dict | None = None, list_storage_options: dict | None = None,
                   now: datetime | None = None, break_lock: bool = False) -> ApplyResult:
    """Removes from the finished build at ``output`` every record the lists name (see the module doc)."""
    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/")
    shown = redact(output)
    if not fs.exists(f"{root}/manifest.json"):
        raise OptOutError(f"{shown}: no manifest.json; give the output folder of a finished build (a build that "
                          "is running or was interrupted has none yet)")
    if not lists:
        raise OptOutError("give at least one --list")
    loaded: list[OptOutList] = [load_list(p, label, list_storage_options)
                                for p, label in zip(lists, list_labels(lists))]
    matcher = Matcher(loaded)
    with fs.open(f"{root}/manifest.json", "r", encoding="utf-8") as fh:
        name = json.load(fh).get("name")
    lock, note = OutputLock.acquire(fs, root, output, str(name), break_lock)
    if note:
        print(f"pdcorpus: {note}", file=sys.stderr)
    try:
        finished = False
        with fs.open(f"{root}/manifest.json", "r", encoding="utf-8") as fh:
            manifest = json.load(fh)
        if fs.exists(f"{root}/{PENDING}"):  # an earlier apply was killed half way: finish it first
            with fs.open(f"{root}/{PENDING}", "r", encoding="utf-8") as fh:
                pending = json.load(fh)
            if pending["manifest"].get("created_at") == manifest.get("created_at"):
                _finish(fs, root, pending)
                finished = True
            else:  # written for a build that has since been replaced by another: it no longer applies
                for tmp, _ in pending.get("renames", []):
                    if _ours(tmp) and fs.exists(f"{root}/{tmp}"):
                        fs.rm(f"{root}/{tmp}")
                fs.rm(f"{root}/{PENDING}")
            with fs.open(f"{root}/manifest.json", "r", encoding="utf-8") as fh:
                manifest = json.load(fh)
        return _apply(fs, root, output, manifest, loaded, matcher, reason, now, finished)
    finally:
        lock.release()


def _apply(fs: fsspec.AbstractFileSystem, root: str, output: str, manifest: dict, lists: list[OptOutList],
           matcher: Matcher, reason: str | None, now: datetime | None, finished: bool) -> ApplyResult:
    now = now or datetime.now(timezone.utc)
    stamp = now.isoformat(timespec="seconds")
    tombstones: list[dict[str, Any]] = []
    renames: list[list[str]] = []
    by_list: Counter = Counter()
    by_list_kind: dict[str, Counter] = {}
    removed_from: dict[str, dict[str, Any]] = {}  # shard path -> what left it
    written: list[str] = []
    try:
        for shard in manifest.get("shards", []):
            path = f"{root}/{shard['path']}"
            with open_arrow(fs, path) as fh:
                pf = pq.ParquetFile(fh)
                keys = pf.read(columns=["id", "source", "url", "content_hash"]).to_pydict()
                hits = {}
                for i, (rid, source, url, chash) in enumerate(zip(keys["id"], keys["source"], keys["url"],
                                                                   keys["content_hash"])):
                    rule = matcher.match(rid, url, chash)
                    if rule is not None:
                        hits[i] = (rid, source, chash, rule)
                if not hits:
                    continue
                gone = pa.array([i in hits for i in range(len(keys["id"]))])
                removed = pf.read(columns=["license", "language", "text"]).filter(gone)
                compression = _compression(pf, manifest)

                def tables(pf: pq.ParquetFile = pf, gone: pa.Array = gone):
                    first = 0
                    for group in range(pf.metadata.num_row_groups):  # a row group at a time, in order
                        table = pf.read_row_group(group)
                        mask = gone.slice(first, table.num_rows)
                        first += table.num_rows
                        yield table.filter(pc.invert(mask))

                tmp = temporary_name(shard["path"])
                written.append(tmp)
                write_parquet(fs, f"{root}/{tmp}", tables(), compression, schema=pf.schema_arrow)
            renames.append([tmp, shard["path"]])
            removed_from[shard["path"]] = {"rows": len(hits), "licenses": _counts(removed, "license"),
                                           "languages": _counts(removed, "language"),
                                           "text_chars": pc.sum(pc.utf8_length(removed.column("text"))).as_py() or 0,
                                           "bytes": fs.size(f"{root}/{tmp}"), "sha256": file_sha256(fs, f"{root}/{tmp}")}
            for i in sorted(hits):
                rid, source, chash, rule = hits[i]
                by_list[rule.list] += 1
                by_list_kind.setdefault(rule.list, Counter())[rule.kind] += 1
                tombstones.append({"id": rid, "source": source, "content_hash": chash, "shard": shard["path"],
                                   "list": rule.list, "line": rule.line, "rule": redact(f"{rule.kind}:{rule.value}"),
                                   "reason": reason or rule.reason, "date": stamp})
        if not tombstones:
            return ApplyResult(output, 0, [], {}, [], manifest, finished)
        new = _corrected_manifest(manifest, removed_from, tombstones, lists, by_list, by_list_kind, reason, stamp)
        pending = {"manifest": new, "tombstones": tombstones, "renames": renames}
        _write_json(fs, f"{root}/{PENDING}", pending)  # from here on, the correction is finished even if killed
        written = []
    finally:
        for tmp in written:  # not written down: nothing of this attempt stays
            if fs.exists(f"{root}/{tmp}"):
                fs.rm(f"{root}/{tmp}")
    _finish(fs, root, pending)
    return ApplyResult(output, len(tombstones), [r[1] for r in renames], dict(by_list), tombstones, new, finished)


def _corrected_manifest(manifest: dict, removed_from: dict[str, dict[str, Any]], tombstones: list[dict],
                        lists: list[OptOutList], by_list: Counter, by_list_kind: dict[str, Counter],
                        reason: str | None, stamp: str) -> dict:
    new = json.loads(json.dumps(manifest))
    for shard in new["shards"]:
        change = removed_from.get(shard["path"])
        if change:
            shard.update(rows=shard["rows"] - change["rows"], bytes=change["bytes"], sha256=change["sha256"])
    for name, source in (new.get("sources") or {}).items():
        mine = [s for s in new["shards"] if s.get("source") == name]
        changes = [removed_from[s["path"]] for s in mine if s["path"] in removed_from]
        if not changes:
            continue
        source["records_out"] = sum(s["rows"] for s in mine)
        source["bytes"] = sum(s["bytes"] for s in mine)
        if "text_chars" in source:
            source["text_chars"] = source["text_chars"] - sum(c["text_chars"] for c in changes)
        for key, column in (("licenses", "licenses"), ("languages", "languages")):
            counts = Counter(source.get(key) or {})
            for c in changes:
                counts.subtract(c[column])
            source[key] = dict(Counter({k: v for k, v in counts.items() if v > 0}).most_common())
    new["records_out"] = sum(s["rows"] for s in new["shards"])
    removals = new.setdefault("removals", {"file": TOMBSTONES, "records": 0, "by_source": {}, "applied": []})
    removals["records"] += len(tombstones)
    for entry in tombstones:
        removals["by_source"][entry["source"]] = removals["by_source"].get(entry["source"], 0) + 1
    removals["by_source"] = dict(sorted(removals["by_source"].items()))
    removals["applied"].append({
        "date": stamp, "reason": reason, "removed": len(tombstones), "shards": sorted(removed_from),
        # a local path as given when relative, else its file name: no home folders in a published manifest
        "lists": [{"list": one.label, "path": one.path if is_url(one.path) or not os.path.isabs(one.path)
                   else os.path.basename(one.path), "sha256": one.sha256, "rules": one.counts(),
                   "removed": by_list.get(one.label, 0),
                   "removed_by_kind": dict(sorted(by_list_kind.get(one.label, Counter()).items()))} for one in lists]})
    return new


def commit_message(result: ApplyResult) -> tuple[str, str]:
    manifest = result.manifest or {}
    summary = f"pdcorpus: remove {result.removed:,} records from {manifest.get('name')} (opt-out)"
    lists = ", ".join(f"{k}: {v:,}" for k, v in sorted(result.by_list.items()))
    description = (f"Removed by pdcorpus optout apply ({lists}); {len(result.shards)} shards rewritten. "
                   f"One line per removed record, without content, in {TOMBSTONES}; counts and checksums in "
                   "manifest.json.")
    return summary, description
