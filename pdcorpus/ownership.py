"""What a build may touch: its output folder, its work folder, and nothing of the inputs.

- The **output** is accepted when it is absent, empty, or holds an earlier build of the same corpus:
  its marker ``OUTPUT/.pdcorpus`` names the corpus (builds made before the marker existed are
  recognized by ``manifest.json``'s ``name``, or by a work state ``OUTPUT/.work/state.json`` for this
  output). Anything else is refused before a file is written, naming what is there.
- The **work** folder is pdcorpus's own once it holds ``WORK/.pdcorpus-work``; a non-empty folder
  without it is refused. Only what pdcorpus puts there (the state, the phase folders, the marker) is
  ever removed, and the folder itself only when that leaves it empty.
- Neither may be ``""``, a local filesystem root (``/``, ``C:\\``), nor overlap an input path or
  glob (in either direction): a build must never read its own files or write among its inputs. An
  object store's bucket root (``s3://bucket``) is allowed: the rules above protect what is in it.
- One build at a time holds an output: ``OUTPUT/.pdcorpus.lock`` is created atomically (``O_EXCL``
  locally; a conditional put, ``If-None-Match: *``, on stores that have it) with host, pid and start
  time, and removed on every exit. A lock left by a dead process on this host is taken over; any
  other needs ``--break-lock`` once you have checked that no build runs.
"""

from __future__ import annotations

import errno
import fnmatch
import json
import os
import posixpath
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

import fsspec

from pdcorpus.io.atomic import write_text
from pdcorpus.redact import redact

OUTPUT_MARKER = ".pdcorpus"
WORK_MARKER = ".pdcorpus-work"
LOCK_FILE = ".pdcorpus.lock"
# What a build writes at the top of its output (besides data/, rejects/, review/ and the work folder).
OUTPUT_FILES = ("manifest.json", "README.md", "training-data-summary.md", "training-data-summary.json")
OUTPUT_DIRS = ("data", "rejects", "review")
# What a build finds at the top of its output and keeps: the log of records removed from earlier releases
# (``pdcorpus optout apply``), which keeps them out of every later build, and an unfinished removal's plan.
KEPT_FILES = ("removals.jsonl", "removals.pending.json")
# A half-written file: the final name plus ``.tmp-`` and 8 hex digits (every writer in pdcorpus).
TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{8}$")
_PHASE_DIR = re.compile(r"^p\d+-[A-Za-z0-9_.\-]+$")


class OwnershipError(Exception):
    """A folder pdcorpus would write to holds something that is not its own; says what and what to do."""


class LockedError(OwnershipError):
    """Another build holds the output."""


# -- paths ---------------------------------------------------------------------------


def _is_local(fs: fsspec.AbstractFileSystem) -> bool:
    protocol = fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,)
    return "file" in protocol or "local" in protocol


def _split(url: str) -> tuple[str, str]:
    """(protocol, absolute path without protocol) for comparing places; local paths made absolute."""
    protocol, path = fsspec.core.split_protocol(url)
    if protocol in (None, "file", "local"):
        return "file", os.path.abspath(os.path.expanduser(path)).replace(os.sep, "/")
    return protocol, path.strip("/")


def is_root(url: str) -> bool:
    """A local filesystem root (``/``, ``C:\\``) or an empty path."""
    if not url or not url.strip():
        return True
    if re.fullmatch(r"(file://)?/?[A-Za-z]:[\\/]*", url.strip()):
        return True  # a Windows drive root, however written
    protocol, path = _split(url)
    if protocol != "file":
        return False  # an object store's bucket root is a normal place for a corpus (see module doc)
    return path == "/" or re.fullmatch(r"[A-Za-z]:/?", path) is not None


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p]


def overlaps(pattern: str, folder: str) -> bool:
    """Whether an input path or glob could name ``folder``, something below it, or something above it
    (the folder inside an input directory, or inputs inside the folder)."""
    p_proto, p_path = _split(pattern)
    f_proto, f_path = _split(folder)
    if p_proto != f_proto:
        return False
    pat, fold = _parts(p_path), _parts(f_path)
    for i, segment in enumerate(pat):
        if "**" in segment:
            return True  # any depth below what matched so far
        if i >= len(fold):
            return True  # the folder holds what the rest of the pattern may match
        if not fnmatch.fnmatchcase(fold[i], segment):
            return False
    return True  # the pattern names the folder or a folder above it (a directory input is read whole)


def check_places(output: str, work: str, inputs: dict[str, list[str]]) -> None:
    """Output and work: not empty, not a filesystem root, not overlapping any input. Raises
    ``OwnershipError`` naming the clash."""
    for what, url in (("output", output), ("work", work)):
        if not url or not url.strip():
            raise OwnershipError(f"{what} is empty; give a folder of its own, e.g. 'out/<corpus name>'")
        if is_root(url):
            raise OwnershipError(f"{what} is the filesystem root '{redact(url)}'; give a folder of its own, "
                                 "e.g. 'out/<corpus name>'")
        for source, patterns in inputs.items():
            for pattern in patterns:
                if overlaps(pattern, url):
                    raise OwnershipError(
                        f"{what} '{redact(url)}' overlaps the input '{redact(pattern)}' of source '{source}': a "
                        f"build would read its own files or write among its inputs; put the {what} "
                        "outside every input folder and glob")


# -- what is in a folder -------------------------------------------------------------------


def _listing(fs: fsspec.AbstractFileSystem, root: str) -> list[str]:
    """Names directly in ``root`` (empty if it does not exist)."""
    try:
        return sorted(posixpath.basename(p.rstrip("/")) for p in fs.ls(root, detail=False))
    except FileNotFoundError:
        return []


def _named(names: Iterable[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _read_json(fs: fsspec.AbstractFileSystem, path: str) -> Any:
    try:
        with fs.open(path, "r", encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _write_json_new(fs: fsspec.AbstractFileSystem, path: str, data: dict) -> None:
    write_text(fs, path, json.dumps(data, indent=2) + "\n")


@dataclass
class Owned:
    """How an output folder was found: ``fresh`` (absent or empty) or holding an earlier build."""

    fresh: bool
    how: str


def check_output(fs: fsspec.AbstractFileSystem, root: str, name: str, work_root: str | None = None,
                 output_url: str | None = None) -> Owned:
    """Accepts the output folder or raises ``OwnershipError`` naming what is there (nothing is written)."""
    shown = redact(output_url or root)
    if fs.exists(root) and not fs.isdir(root):
        raise OwnershipError(f"output '{shown}' is a file, not a folder; give a folder for the build")
    names = [n for n in _listing(fs, root) if n != LOCK_FILE and not TEMPORARY.search(n)]
    if not names:
        return Owned(True, "empty")
    if OUTPUT_MARKER in names:
        marker = _read_json(fs, f"{root}/{OUTPUT_MARKER}") or {}
        if marker.get("corpus") == name:
            return Owned(False, "marker")
        raise OwnershipError(
            f"output '{shown}' holds a build of another corpus ('{marker.get('corpus', '?')}', by its "
            f"{OUTPUT_MARKER} file), not of '{name}'; give another output folder, or delete that build first")
    if "manifest.json" in names:
        manifest = _read_json(fs, f"{root}/manifest.json") or {}
        if manifest.get("name") == name and "pdcorpus_version" in manifest:
            return Owned(False, "manifest")
        if "pdcorpus_version" in manifest:
            raise OwnershipError(f"output '{shown}' holds a build of another corpus ('{manifest.get('name')}', by "
                                 f"its manifest.json), not of '{name}'; give another output folder")
    if work_root is not None and work_root == f"{root}/.work":
        state = _read_json(fs, f"{work_root}/state.json") or {}
        if state.get("output") is not None and state.get("config_sha256") and set(names) <= {
                ".work", *OUTPUT_DIRS, *OUTPUT_FILES, *KEPT_FILES}:
            return Owned(False, "interrupted build")
    raise OwnershipError(
        f"output '{shown}' is not empty and holds no pdcorpus build of '{name}' (it has: {_named(names)}); "
        "pdcorpus writes only into an empty folder or over its own earlier build: give an empty or new folder")


def mark_output(fs: fsspec.AbstractFileSystem, root: str, name: str) -> None:
    fs.makedirs(root, exist_ok=True)
    path = f"{root}/{OUTPUT_MARKER}"
    marker = _read_json(fs, path)
    if not (isinstance(marker, dict) and marker.get("corpus") == name):
        _write_json_new(fs, path, {"pdcorpus": "output", "corpus": name,
                                   "note": "written by pdcorpus: this folder holds a build of this corpus; "
                                           "pdcorpus replaces only the files its manifest lists"})


def check_work(fs: fsspec.AbstractFileSystem, root: str, output: str) -> None:
    """Accepts the work folder (absent, empty, marked, or left by a build before markers) or raises."""
    if fs.exists(root) and not fs.isdir(root):
        raise OwnershipError(f"work '{redact(root)}' is a file, not a folder")
    names = [n for n in _listing(fs, root) if not TEMPORARY.search(n)]
    if not names:
        return
    if WORK_MARKER in names:
        marker = _read_json(fs, f"{root}/{WORK_MARKER}") or {}
        if marker.get("output") in (None, output):
            return
        raise OwnershipError(f"work folder '{redact(root)}' belongs to the build of '{redact(marker['output'])}'; "
                             "give each build its own work folder")
    state = _read_json(fs, f"{root}/state.json") if "state.json" in names else None
    if isinstance(state, dict) and state.get("output") == output and all(
            n == "state.json" or _PHASE_DIR.match(n) for n in names):
        return  # left by a build from before the marker
    raise OwnershipError(
        f"work folder '{redact(root)}' is not empty and is not a pdcorpus work folder (it has: {_named(names)}); "
        "pdcorpus removes its work folder when the build ends, so it must be one of its own: give a new or empty "
        "folder (or leave 'work' out: OUTPUT/.work)")


def mark_work(fs: fsspec.AbstractFileSystem, root: str, output: str) -> None:
    fs.makedirs(root, exist_ok=True)
    if not fs.exists(f"{root}/{WORK_MARKER}"):
        _write_json_new(fs, f"{root}/{WORK_MARKER}", {"pdcorpus": "work", "output": output})


def clear_work(fs: fsspec.AbstractFileSystem, root: str) -> None:
    """Removes what pdcorpus put in its work folder, and the folder if that leaves it empty."""
    if not fs.exists(root):
        return
    names = _listing(fs, root)
    if names and WORK_MARKER not in names and "state.json" not in names:
        return  # not ours (check_work refused it at the start; never remove it here)
    for name in names:
        path = f"{root}/{name}"
        if (_PHASE_DIR.match(name) or name == "fetch-hosts") and fs.isdir(path):  # fetch-hosts: fetch/reservations.py
            fs.rm(path, recursive=True)
        elif name == "state.json" or (TEMPORARY.search(name) and name.split(".tmp-")[0] in (
                "state.json", WORK_MARKER)):
            fs.rm(path)
    if _listing(fs, root) == [WORK_MARKER]:
        fs.rm(f"{root}/{WORK_MARKER}")
    if _is_local(fs) and not _listing(fs, root):
        # only locally: object stores have no empty folders, and rmdir of a bucket root deletes the bucket
        try:
            fs.rmdir(root)
        except OSError:
            pass


def foreign_files(fs: fsspec.AbstractFileSystem, root: str, ours: set[str], by_name: bool = False) -> list[str]:
    """Files under data/, rejects/ and review/ of the output that pdcorpus did not write: neither in
    ``ours`` (paths relative to the output: the earlier manifest's, the work markers', the plan's) nor a
    half-written temporary of one of its files. ``by_name``: also take a file bearing the name pdcorpus
    gives a shard, rejects or review file as its own (an interrupted build's, which no manifest lists)."""
    found = []
    for sub in OUTPUT_DIRS:
        if not fs.exists(f"{root}/{sub}"):
            continue
        for path in fs.find(f"{root}/{sub}"):
            rel = path[len(root) + 1:]
            if rel in ours:
                continue
            if TEMPORARY.search(rel) and ours_by_name(TEMPORARY.sub("", rel)):
                continue
            if by_name and ours_by_name(rel):
                continue
            found.append(rel)
    return sorted(found)


_SHARD = re.compile(r"^data/[A-Za-z0-9][A-Za-z0-9_.\-]*/train-\d{5}-of-\d{5}\.parquet$")
_SIDE = re.compile(r"^(rejects/p\d+-[A-Za-z0-9_.\-]+-t\d{5}\.jsonl|review/p\d+-[A-Za-z0-9_.\-]+-t\d{5}\.parquet)$")


def ours_by_name(rel: str) -> bool:
    return bool(_SHARD.match(rel) or _SIDE.match(rel))


def refuse_foreign(found: list[str], output: str) -> None:
    if found:
        raise OwnershipError(
            f"output '{redact(output)}' has files pdcorpus did not write: {_named(found)}; they are in folders "
            "pdcorpus replaces on every build: move them elsewhere, then run again")


# -- the lock ------------------------------------------------------------------------------


def _process_start(pid: int) -> str | None:
    """When a process started (Linux: clock ticks since boot), to tell a reused pid from the locker."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class OutputLock:
    """``OUTPUT/.pdcorpus.lock``, held by one build; ``release()`` on every exit path."""

    fs: fsspec.AbstractFileSystem
    path: str
    shown: str  # the output as the user named it (redacted), for messages
    info: dict
    held: bool = False

    @classmethod
    def acquire(cls, fs: fsspec.AbstractFileSystem, root: str, shown: str, corpus: str,
                break_lock: bool = False) -> tuple["OutputLock", str | None]:
        """Takes the lock or raises ``LockedError``; the note says what stale lock was taken over, if any."""
        info = {"host": socket.gethostname(), "pid": os.getpid(), "process_start": _process_start(os.getpid()),
                "since": datetime.now(timezone.utc).isoformat(timespec="seconds"), "corpus": corpus}
        lock = cls(fs, f"{root}/{LOCK_FILE}", redact(shown), info)
        fs.makedirs(root, exist_ok=True)
        note = None
        for _ in range(3):
            if lock._create():
                lock.held = True
                return lock, note
            other = _read_json(fs, lock.path)
            if other is None:  # being written this instant, or unreadable
                other = {}
            stale = lock._stale(other)
            if break_lock or stale:
                note = (f"took over the lock of {lock._describe(other)}: "
                        f"{'--break-lock' if break_lock and not stale else stale}")
                lock._remove_stale(other)
                continue
            raise LockedError(
                f"another build holds output '{lock.shown}': {lock._describe(other)} (lock file {LOCK_FILE}); "
                f"wait for it to finish. If no build runs (check host and pid), run again with --break-lock, "
                f"or delete {lock.shown.rstrip('/')}/{LOCK_FILE}")
        raise LockedError(f"could not take the lock of output '{lock.shown}' ({LOCK_FILE}): other builds keep "
                          "taking it; wait for them to finish")

    def _create(self) -> bool:
        data = (json.dumps(self.info, indent=2) + "\n").encode()
        if _is_local(self.fs):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                return False
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            return True
        try:  # a conditional create (S3: If-None-Match: *) where the filesystem offers one
            with self.fs.open(self.path, "xb") as fh:
                fh.write(data)
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno == errno.EEXIST or "PreconditionFailed" in str(exc) or "412" in str(exc):
                return False
            raise
        except (ValueError, NotImplementedError, TypeError):
            # No exclusive create on this store: check, then write (two builds starting in the same
            # instant could both pass; documented limitation).
            if self.fs.exists(self.path):
                return False
            with self.fs.open(self.path, "wb") as fh:
                fh.write(data)
            return True

    def _stale(self, other: dict) -> str | None:
        """Why the lock is stale (its build is gone), or None if it may be alive."""
        if other.get("host") != self.info["host"] or not isinstance(other.get("pid"), int):
            return None
        pid = other["pid"]
        if not _alive(pid):
            return f"process {pid} on this host is gone"
        started = _process_start(pid)
        if other.get("process_start") and started and started != other["process_start"]:
            return f"process {pid} on this host is another process than the one that took the lock"
        return None

    def _remove_stale(self, other: dict) -> None:
        """Moves the stale lock aside under a unique name, so that of two builds taking it over only one
        removes it, then checks that what was moved is the lock judged stale."""
        if _is_local(self.fs):
            aside = f"{self.path}.stale-{uuid.uuid4().hex[:8]}"
            try:
                os.rename(self.path, aside)
            except FileNotFoundError:
                return
            moved = _read_json(self.fs, aside)
            if moved is not None and moved != other and not os.path.exists(self.path):
                os.rename(aside, self.path)  # a live lock taken in between: put it back
                return
            os.remove(aside)
        else:
            try:
                self.fs.rm(self.path)
            except FileNotFoundError:
                pass

    @staticmethod
    def _describe(other: dict) -> str:
        if not other:
            return "a build whose lock file cannot be read"
        return (f"host {other.get('host', '?')}, pid {other.get('pid', '?')}, since {other.get('since', '?')}"
                + (f", corpus '{other['corpus']}'" if other.get("corpus") else ""))

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        current = _read_json(self.fs, self.path)
        if current is not None and current != self.info:
            return  # broken and taken by another build meanwhile: not ours to remove
        try:
            self.fs.rm(self.path)
        except FileNotFoundError:
            pass


def file_identity(info: dict) -> str:
    """What says a file is unchanged: size with the modification time (local files), the ETag or version
    (object stores, HTTP), whatever ``fs.info`` gives. Not the inode: a listing and a later ``info`` of a
    file reached through a symlink may give the link's and the target's."""
    keys = ("size", "mtime", "ETag", "etag", "VersionId", "version_id", "generation", "md5Hash",
            "LastModified", "Last-Modified", "last_modified", "updated", "modified")
    parts = []
    for key in keys:
        value = info.get(key)
        if value is not None and value != "":
            text = value.isoformat() if hasattr(value, "isoformat") else str(value)
            parts.append(f"{key}={text.replace(' ', '_')}")
    return " ".join(parts)


def _identity_fields(identity: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in identity.split(" ") if "=" in part)


def same_identity(a: str, b: str) -> bool:
    """Two identities agree on every field both have (a listing and a ``HEAD`` may give different fields)."""
    fa, fb = _identity_fields(a), _identity_fields(b)
    return all(fa[k] == fb[k] for k in set(fa) & set(fb))
