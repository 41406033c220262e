"""Publishing a build to the Hugging Face Hub: one atomic commit of shards, card, manifest and summary.

Uses huggingface_hub's own client: large files go first (``preupload_lfs_files``, which skips content
the Hub already has, so an interrupted publish resumes where it stopped), then one ``create_commit``
with every file, so a reader of the repository sees the whole release or the one before it, never half.
The token comes from the environment (``HF_TOKEN``) or the Hugging Face login, and is never printed
nor written. ``HF_ENDPOINT`` points the client elsewhere (a mirror, a test server).

Transfer: huggingface_hub (2.x, which requires hf_xet) uploads LFS-mode files given as local paths
through Xet unless ``HF_HUB_DISABLE_XET`` is set; it does not fall back to Git LFS when the server has no
Xet. Files of an output on object storage are handed over as file objects, which it sends through Git
LFS. pdcorpus leaves ``HF_HUB_DISABLE_XET`` to the user, and its errors say which path failed.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

import fsspec

from pdcorpus.errors import connection_error, reason
from pdcorpus.io.parquet import file_sha256

if TYPE_CHECKING:
    from pdcorpus.manifest import Manifest

# What a release publishes. Rejects and the review queue are audit outputs for the builder: not published.
PUBLISHED = ("data/", "README.md", "manifest.json", "training-data-summary.md", "training-data-summary.json",
             "removals.jsonl")  # the tombstones of records removed after release (ids and rules, no content)


class PublishError(Exception):
    """Publishing cannot go on; says why and what to do."""


@dataclass(frozen=True)
class PlannedFile:
    path: str  # in the repository
    local: str  # in the output folder
    bytes: int
    sha256: str


def planned_files(output: str, storage_options: dict | None = None,
                  only: Iterable[str] | None = None) -> tuple[fsspec.AbstractFileSystem, list[PlannedFile]]:
    """The files a publish of ``output`` uploads, sorted, with sizes and checksums; ``only``: just these
    (paths relative to the output), for a correction that changed a few files."""
    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/")
    if not fs.exists(f"{root}/manifest.json"):
        raise PublishError(f"{output}: no manifest.json; publish the output folder of a finished build")
    files = []
    for path in sorted(fs.find(root)):
        rel = path[len(root) + 1:]
        if not any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PUBLISHED) or ".tmp-" in rel:
            continue
        if only is not None and rel not in only:
            continue
        files.append(PlannedFile(rel, path, fs.size(path), file_sha256(fs, path)))
    missing = [p for p in ("README.md", "manifest.json") if p not in {f.path for f in files}]
    if missing:
        raise PublishError(f"{output}: {', '.join(missing)} missing; rebuild with this pdcorpus version")
    return fs, files


class _BufferedReader(io.BufferedIOBase):
    """A remote file (fsspec) as the ``io.BufferedIOBase`` huggingface_hub accepts for upload: fsspec's files
    derive from ``io.IOBase`` only, and the client refuses them. It reads, seeks and tells; huggingface_hub
    sends such file objects through Git LFS even where hf_xet is installed (Xet takes paths and bytes)."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._raw.read(-1 if size is None or size < 0 else size)

    def read1(self, size: int = -1) -> bytes:
        return self.read(size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._raw.close()
        super().close()


def _redacted(exc: BaseException) -> str:
    """An error's message with anything shaped like a Hugging Face token masked (tokens start with hf_)."""
    return re.sub(r"\bhf_[A-Za-z0-9_]{4,}", "hf_***", str(exc))


def _xet_hint(exc: BaseException) -> str:
    """huggingface_hub uploads through Xet whenever hf_xet is installed; a server or network without Xet
    fails there, and the way out is the LFS path."""
    if "xet" not in str(exc).lower():
        return ""
    return ("; the upload went through Xet (huggingface_hub uses it whenever hf_xet is installed): if this Hub or "
            "network does not support Xet, set HF_HUB_DISABLE_XET=1 to upload through Git LFS")


def _is_xet(exc: BaseException) -> bool:
    return "xet" in str(exc).lower()


def _unreachable(output: str, exc: BaseException) -> "PublishError":
    from huggingface_hub import constants

    return PublishError(f"cannot reach the Hub at {constants.ENDPOINT} to publish {output} "
                        f"({reason(connection_error(exc) or exc)}); check HF_ENDPOINT and the network, then run the "
                        f"same command again (files the Hub already has are not sent again)")


def commit_message(manifest: "Manifest | dict[str, Any]") -> tuple[str, str]:
    from pdcorpus.manifest import Manifest

    m = Manifest.of(manifest)
    summary = f"pdcorpus {m.pdcorpus_version}: {m.name} ({m.records_out:,} records)"
    description = (f"Built {m.created_at} from config sha256 {m.config_sha256}; "
                   f"{len(m.shards)} shards. See manifest.json for inputs, counts and checksums.")
    return summary, description


def require_token(repo: str) -> None:
    """A token is there (HF_TOKEN or the stored login); else the Hub would answer "401 Invalid credentials"."""
    from huggingface_hub import get_token

    if not get_token():
        raise PublishError("no token found: set HF_TOKEN or run `huggingface-cli login` "
                           f"(a token with write access to {repo})")


def publish(output: str, repo: str, *, private: bool = False, revision: str | None = None, dry_run: bool = False,
            token: str | None = None, storage_options: dict | None = None, only: Iterable[str] | None = None,
            message: tuple[str, str] | None = None) -> dict[str, Any]:
    """Uploads a build; returns what was (or, with ``dry_run``, would be) committed. ``only`` and ``message``:
    a correction's changed files and its commit message (``pdcorpus optout apply --publish``)."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise PublishError(f"--repo takes ORG/NAME, got '{repo}'")
    fs, files = planned_files(output, storage_options, only=set(only) if only is not None else None)
    root = fsspec.core.url_to_fs(output, **(storage_options or {}))[1].rstrip("/")
    with fs.open(f"{root}/manifest.json", "r") as fh:
        manifest = json.load(fh)
    summary, description = message or commit_message(manifest)
    plan = {"repo": repo, "repo_type": "dataset", "revision": revision or "main", "private": private,
            "commit": {"summary": summary, "description": description},
            "files": [{"path": f.path, "bytes": f.bytes, "sha256": f.sha256} for f in files]}
    if dry_run:
        return plan

    from huggingface_hub import CommitOperationAdd, HfApi, constants
    from huggingface_hub.errors import HfHubHTTPError

    if token is None:
        require_token(repo)
    api = HfApi(token=token)  # None: HF_TOKEN or the stored login
    try:
        api.create_repo(repo, repo_type="dataset", private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo, branch=revision, repo_type="dataset", exist_ok=True)
        handles = []
        operations = []
        try:
            local = fs.protocol in ("file", "local") or "file" in tuple(fs.protocol)
            for f in files:
                if local:  # a path lets huggingface_hub choose its fastest transfer (Xet where installed)
                    operations.append(CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=f.local))
                    continue
                handle = _BufferedReader(fs.open(f.local, "rb"))
                handles.append(handle)
                operations.append(CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=handle))
            # Large files first: content the Hub already has is skipped, so a publish that was
            # interrupted resumes; then one commit of everything, atomic.
            api.preupload_lfs_files(repo, additions=operations, repo_type="dataset", revision=revision)
            info = api.create_commit(repo, operations=operations, commit_message=summary,
                                     commit_description=description, repo_type="dataset", revision=revision)
        finally:
            for handle in handles:
                handle.close()
    except HfHubHTTPError as exc:
        # the library's message names the URL and status; it never contains the token
        raise PublishError(f"the Hub refused the upload to {repo}: {_redacted(exc)}{_xet_hint(exc)}") from exc
    except ValueError as exc:  # huggingface_hub checks the card's metadata with the Hub before committing
        raise PublishError(f"the Hub did not accept the upload to {repo}: {_redacted(exc)}") from exc
    except RuntimeError as exc:
        # huggingface_hub wraps a failed LFS upload ("Error while uploading 'data/...' to the Hub.") around
        # the HTTP error; anything else is not an upload failure and goes up as it is
        cause = exc.__cause__
        if not isinstance(cause, (HfHubHTTPError, OSError)):
            if connection_error(exc) is not None:
                raise _unreachable(output, exc) from exc
            raise
        raise PublishError(f"the Hub refused the upload to {repo}: {_redacted(exc)} {_redacted(cause)}"
                           f"{_xet_hint(cause)}; nothing was committed, run the same command again to resume "
                           "(files the Hub already has are not sent again)") from exc
    except OSError as exc:  # hf_xet reports its failures as ConnectionError; a lost network is an OSError too
        if connection_error(exc) is not None and not _is_xet(exc):
            raise _unreachable(output, exc) from exc
        raise PublishError(f"the upload to {repo} failed: {_redacted(exc)}{_xet_hint(exc)}; no commit was confirmed, "
                           "run the same command again to resume") from exc
    except Exception as exc:
        if connection_error(exc) is None:
            raise
        raise _unreachable(output, exc) from exc
    plan["commit"].update({"oid": info.oid, "url": info.commit_url})
    return plan
