"""Checks that turn silent mistakes in a corpus file into a clear failure or a warning.

* Before any work: the output and work folders can be made and written (a file in the way, a read-only
  file system), so that this is said in a sentence and not found out in a traceback.
* Before the read phase: the ``published``/``died`` paths of every rights stage are looked up in the
  first records of the sources it applies to; a path that resolves in none of them is warned about
  (a typo there silently means "no date" for every record).
* After the read phase, from the read tasks' counters: a source that yielded no record at all fails
  the build, naming the reason and the field to check (``fields.text`` with a typo sets every record
  aside as ``missing-text``), unless the source says ``allow_empty: true``. Nothing of an empty
  corpus (card, summary, manifest) is written then.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

from pdcorpus.config import SourceConfig, format_loc
from pdcorpus.io.formats import get_format
from pdcorpus.io.readers import follow
from pdcorpus.plan import Plan
from pdcorpus.record import Record
from pdcorpus.accounting import StageStats
from pdcorpus.stages.rights import _field

PROBE_RECORDS = 300  # first records per source the rights paths are checked against

# Read reasons that come from the mapping of fields (not from the data being malformed), and the field.
MAPPING_REASONS = {"missing-text": "text", "empty-text": "text", "text-not-a-string": "text",
                   "missing-image-field": "image"}


class CheckFailed(Exception):
    """A check found the build cannot usefully go on; the message says why and what to do."""


# -- output and work folders ---------------------------------------------------------------


def check_writable_folder(fs: Any, path: str, what: str) -> None:
    """``path`` (local) is a folder or can be made one, on a file system pdcorpus may write to."""
    if fs.protocol not in ("file", "local") and "file" not in tuple(fs.protocol):
        return  # an object store: its errors are reported when it answers
    if os.path.exists(path) and not os.path.isdir(path):
        raise CheckFailed(f"{what} {path} is a file, not a folder; give a folder that is absent or empty "
                          f"(or move the file away)")
    existing = path
    while not os.path.exists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        raise CheckFailed(f"{what} {path} cannot be made: {existing} is a file; choose another folder "
                          f"(or move the file away)")
    if not os.access(existing, os.W_OK | os.X_OK):
        readonly = False
        try:
            readonly = bool(os.statvfs(existing).f_flag & os.ST_RDONLY)
        except OSError:
            pass
        why = "is on a read-only file system" if readonly else "is not writable"
        raise CheckFailed(f"{what} {path} cannot be written: {existing} {why}; choose a folder you can write to "
                          f"(output: in the corpus file, or --output)")


# -- reading the first records of a source ---------------------------------------------------


class _Enough(Exception):
    pass


def make_reader(plan: Plan, source: SourceConfig, probe: bool = False) -> Any:
    """A reader for ``source`` as the read tasks make it (without a reject sink)."""
    read = source.read
    if probe and "verify" in type(read).model_fields:  # the first rows' records, not their images' soundness
        read = read.model_copy(update={"verify": False})
    return get_format(read.format).from_options(source.name, read, fields=source.fields, metadata=source.metadata,
                                                max_chars=plan.config.limits.max_chars)


def first_rows(plan: Plan, source: SourceConfig, limit: int) -> Iterator[tuple[dict, Record | None]]:
    """The first input rows of a source, each with the record it becomes (None if it is set aside)."""
    if get_format(source.read.format).reads_network:  # a probe must not fetch: the build will
        return iter(())
    reader = make_reader(plan, source, probe=True)
    make_record = reader.make_record
    found: list[tuple[dict, Record | None]] = []

    def capture(row: dict, file: str, line: int) -> Record | None:
        record = make_record(row, file, line)
        found.append((row, record))
        if len(found) >= limit:
            raise _Enough
        return record

    reader.make_record = capture  # the formats call self.make_record for every row they parse
    try:
        for _ in reader.read_all(plan.inputs[source.name]):
            pass
    except _Enough:
        pass
    return iter(found)


# -- rights paths ------------------------------------------------------------------------------


def _rights_specs(plan: Plan) -> Iterator[tuple[str, dict, list[SourceConfig]]]:
    """Each rights stage of the corpus file: where it is, its options, the sources it applies to."""
    cfg = plan.config
    for index, spec in enumerate(cfg.stages):
        if "rights" in spec:
            yield format_loc(("stages", index, "rights")), spec["rights"] or {}, list(cfg.sources)
    for s_index, source in enumerate(cfg.sources):
        for index, spec in enumerate(source.stages):
            if "rights" in spec:
                yield format_loc(("sources", s_index, "stages", index, "rights")), spec["rights"] or {}, [source]


def _metadata_keys(records: list[Record]) -> list[str]:
    keys: set[str] = set()
    for record in records:
        keys.update(record.meta())
    return sorted(keys)


def rights_path_warnings(plan: Plan, limit: int = PROBE_RECORDS) -> list[str]:
    """A warning for each ``published``/``died`` path written in the corpus file that resolves in none of
    the first ``limit`` records of any source its rights stage applies to."""
    specs = [(where, params, sources) for where, params, sources in _rights_specs(plan)
             if any(isinstance(params.get(k), str) for k in ("published", "died"))]
    if not specs:
        return []
    sample: dict[str, list[Record]] = {}
    warnings = []
    for where, params, sources in specs:
        for source in sources:
            if source.name not in sample:
                sample[source.name] = [r for _, r in first_rows(plan, source, limit) if r is not None]
        records = [r for s in sources for r in sample[s.name]]
        if not records:
            continue  # nothing read: the check after the read phase says why
        for key in ("published", "died"):
            path = params.get(key)
            if not isinstance(path, str):
                continue
            if any(_field(r, path, {}) is not None for r in records):
                continue
            names = ", ".join(s.name for s in sources if sample[s.name])
            if path.startswith("metadata."):
                keys = _metadata_keys(records)
                have = f"their metadata has the keys {', '.join(keys[:12])}{', …' if len(keys) > 12 else ''}" \
                    if keys else "they have no metadata (see the source's metadata: option)"
            else:
                have = f"the column '{path}' is empty in all of them"
            warnings.append(f"{where}.{key}: '{path}' has no value in the first {len(records):,} records of "
                            f"{names} ({have}); check the path, or every record is decided without a "
                            f"{'publication' if key == 'published' else 'death'} year")
    return warnings


# -- after the read phase ----------------------------------------------------------------------


def _keys_near(row: dict, path: str) -> tuple[str, list[str]]:
    """The keys of the row at the deepest existing prefix of a dotted path (``("revision", [...])``)."""
    parts = path.split(".")
    where, keys = "", [str(k) for k in row]  # in the input's order
    for cut in range(len(parts) - 1, 0, -1):
        value = follow(row, parts[:cut])
        if isinstance(value, dict):
            return ".".join(parts[:cut]), [str(k) for k in value]
    return where, keys


def _field_hint(plan: Plan, source: SourceConfig, column: str) -> str:
    """``fields.text is 'bdy'; input records have keys: book_id, body, …``."""
    if column == "image":
        path = source.fields.get("image")
        mapped = f"fields.image is '{path}'" if path else "fields.image is not set (looked for file_name, file, path)"
    else:
        path = source.fields.get(column)
        mapped = f"fields.{column} is '{path}'" if path else f"fields.{column} is not set (looked for '{column}')"
    if get_format(source.read.format).unique_ids:  # a file's path and content: nothing to look up in rows
        return mapped
    try:
        rows = [row for row, _ in first_rows(plan, source, 1)]
    except Exception:  # noqa: BLE001 - the hint is a courtesy; the failure is reported anyway
        rows = []
    if not rows:
        return mapped
    under, keys = _keys_near(rows[0], path or column)
    shown = ", ".join(keys[:15]) + (", …" if len(keys) > 15 else "")
    return f"{mapped}; input records have keys{f' under {under}' if under else ''}: {shown}"


def empty_source_failure(plan: Plan, results: list[dict]) -> str | None:
    """The message for the first source without ``allow_empty`` whose read yielded no record, or None."""
    stats: dict[str, StageStats] = {}
    for result in results:
        for key, data in result.get("stats", {}).items():
            if key.endswith("/read"):
                stats.setdefault(key, StageStats("read")).merge(StageStats.from_dict(data))
    config_file = plan.loaded.path
    for source in plan.config.sources:
        read = stats.get(f"{source.name}/read")
        slot = read.by_source.get(source.name) if read is not None else None
        n_in = slot["in"] if slot else 0
        n_out = slot["out"] if slot else 0
        if n_out or source.allow_empty:
            continue
        accept = f"or set allow_empty: true on source {source.name} to accept it"
        if n_in == 0:
            files = len(plan.inputs.get(source.name, []))
            return (f"source {source.name}: its {files} input file{'s' if files != 1 else ''} hold no records; "
                    f"check read.paths and read.format in {config_file}, {accept}")
        dropped = dict(slot["dropped"]) if slot else {}
        if len(dropped) == 1:
            (reason, _), = dropped.items()
            head = f"source {source.name}: all {n_in:,} records were set aside as {reason}"
            column = MAPPING_REASONS.get(reason)
            if column is not None:
                return (f"{head}: {_field_hint(plan, source, column)}; correct fields.{column} in {config_file} "
                        f"and build again with --fresh, {accept}")
            return (f"{head}; see the reasons with file and line under rejects/ in the output, check read.format "
                    f"and the inputs, then build again with --fresh, {accept}")
        reasons = ", ".join(f"{r} {n:,}" for r, n in sorted(dropped.items(), key=lambda kv: -kv[1]))
        return (f"source {source.name}: all {n_in:,} records were set aside ({reasons}); see rejects/ in the output "
                f"for file and line, correct the source in {config_file} and build again with --fresh, {accept}")
    return None
