"""Publishing a build to the Hugging Face Hub: one atomic commit of shards, card, manifest and summary.

Uses huggingface_hub's own client: large files go first (``preupload_lfs_files``, which skips content
the Hub already has, so an interrupted publish resumes where it stopped), then one ``create_commit``
with every file, so a reader of the repository sees the whole release or the one before it, never half.
The token comes from the environment (``HF_TOKEN``) or the Hugging Face login, and is never printed
nor written. ``HF_ENDPOINT`` points the client elsewhere (a mirror, a test server).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import fsspec

from pdcorpus.errors import connection_error, reason
from pdcorpus.io.parquet import file_sha256

# What a release publishes. Rejects and the review queue are audit outputs for the builder: not published.
PUBLISHED = ("data/", "README.md", "manifest.json", "training-data-summary.md", "training-data-summary.json")


class PublishError(Exception):
    """Publishing cannot go on; says why and what to do."""


@dataclass(frozen=True)
class PlannedFile:
    path: str  # in the repository
    local: str  # in the output folder
    bytes: int
    sha256: str


def planned_files(output: str, storage_options: dict | None = None) -> tuple[fsspec.AbstractFileSystem, list[PlannedFile]]:
    """The files a publish of ``output`` uploads, sorted, with sizes and checksums."""
    fs, root = fsspec.core.url_to_fs(output, **(storage_options or {}))
    root = root.rstrip("/")
    if not fs.exists(f"{root}/manifest.json"):
        raise PublishError(f"{output}: no manifest.json; publish the output folder of a finished build")
    files = []
    for path in sorted(fs.find(root)):
        rel = path[len(root) + 1:]
        if not any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PUBLISHED) or ".tmp-" in rel:
            continue
        files.append(PlannedFile(rel, path, fs.size(path), file_sha256(fs, path)))
    missing = [p for p in ("README.md", "manifest.json") if p not in {f.path for f in files}]
    if missing:
        raise PublishError(f"{output}: {', '.join(missing)} missing; rebuild with this pdcorpus version")
    return fs, files


def commit_message(manifest: dict[str, Any]) -> tuple[str, str]:
    summary = f"pdcorpus {manifest.get('pdcorpus_version')}: {manifest.get('name')} ({manifest.get('records_out', 0):,} records)"
    description = (f"Built {manifest.get('created_at')} from config sha256 {manifest.get('config_sha256')}; "
                   f"{len(manifest.get('shards', []))} shards. See manifest.json for inputs, counts and checksums.")
    return summary, description


def require_token(repo: str) -> None:
    """A token is there (HF_TOKEN or the stored login); else the Hub would answer "401 Invalid credentials"."""
    from huggingface_hub import get_token

    if not get_token():
        raise PublishError("no token found: set HF_TOKEN or run `huggingface-cli login` "
                           f"(a token with write access to {repo})")


def publish(output: str, repo: str, *, private: bool = False, revision: str | None = None, dry_run: bool = False,
            token: str | None = None, storage_options: dict | None = None) -> dict[str, Any]:
    """Uploads a build; returns what was (or, with ``dry_run``, would be) committed."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise PublishError(f"--repo takes ORG/NAME, got '{repo}'")
    fs, files = planned_files(output, storage_options)
    root = fsspec.core.url_to_fs(output, **(storage_options or {}))[1].rstrip("/")
    with fs.open(f"{root}/manifest.json", "r") as fh:
        manifest = json.load(fh)
    summary, description = commit_message(manifest)
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
                handle = fs.open(f.local, "rb")
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
        raise PublishError(f"the Hub refused the upload to {repo}: {exc}") from exc
    except ValueError as exc:  # huggingface_hub checks the card's metadata with the Hub before committing
        raise PublishError(f"the Hub did not accept the upload to {repo}: {exc}") from exc
    except Exception as exc:
        if connection_error(exc) is None:
            raise
        raise PublishError(f"cannot reach the Hub at {constants.ENDPOINT} to publish {output} "
                           f"({reason(connection_error(exc))}); check HF_ENDPOINT and the network, then run the "
                           f"same command again (files the Hub already has are not sent again)") from exc
    plan["commit"].update({"oid": info.oid, "url": info.commit_url})
    return plan
