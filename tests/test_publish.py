"""Publishing: the real huggingface_hub client against a Hub stand-in on 127.0.0.1; and `verify`."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pdcorpus
from pdcorpus.publish.hub import PUBLISHED

from hub_server import FakeHub

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("publish") / "out"
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        pdcorpus.build("configs/sample.yaml", output=str(out), workers=1, progress=False)
    finally:
        os.chdir(cwd)
    return out


def published_files(out: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PUBLISHED):
            files[rel] = path.read_bytes()
    return files


def cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", *args], capture_output=True, text=True, env=env,
                          timeout=300)


def hub_env(hub: FakeHub, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update({"HF_ENDPOINT": hub.url, "HF_TOKEN": hub.token, "HF_HUB_DISABLE_XET": "1", "HOME": str(home),
                "HF_HOME": str(home / "hf"), "HF_HUB_DISABLE_TELEMETRY": "1"})
    return env


def test_dry_run_lists_every_file_with_size_and_checksum(built):
    run = cli(["publish", str(built), "--repo", "pd-org/sample-corpus", "--dry-run"])
    assert run.returncode == 0, run.stderr
    files = published_files(built)
    assert set(files) >= {"README.md", "manifest.json", "training-data-summary.md", "training-data-summary.json"}
    assert any(p.startswith("data/") for p in files) and not any(p.startswith(("rejects/", "review/")) for p in files)
    lines = run.stdout.splitlines()
    assert lines[0] == (f"would commit to dataset pd-org/sample-corpus @ main: {len(files)} files, "
                        f"{sum(len(b) for b in files.values()):,} bytes")
    for path, data in files.items():
        assert f"  {path}  {len(data):,} bytes  sha256 {hashlib.sha256(data).hexdigest()}" in lines


def test_the_hub_receives_the_build_byte_for_byte_in_one_commit(built, tmp_path):
    with FakeHub() as hub:
        env = hub_env(hub, tmp_path)
        run = cli(["publish", str(built), "--repo", "pd-org/sample-corpus", "--private"], env=env)
        assert run.returncode == 0, run.stderr
        repo = hub.repos["pd-org/sample-corpus"]
        assert repo.private
        assert repo.branches["main"] == published_files(built)
        assert len(repo.commits) == 1
        manifest = json.loads((built / "manifest.json").read_text())
        assert repo.commits[0]["summary"] == (f"pdcorpus {pdcorpus.__version__}: {manifest['name']} "
                                              f"({manifest['records_out']:,} records)")
        assert f"commit {repo.commits[0]['oid']}" in run.stdout
        # The token went to the server in the header, and nowhere else.
        assert any({k.lower(): v for k, v in h.items()}.get("authorization") == f"Bearer {hub.token}"
                   for _, _, h in hub.requests)
        assert hub.token not in run.stdout + run.stderr
        assert not any(hub.token.encode() in p.read_bytes() for p in built.rglob("*") if p.is_file())
        uploads = sum(1 for method, _, _ in hub.requests if method == "PUT")
        assert uploads == sum(1 for p in repo.branches["main"] if p.endswith(".parquet"))

        # Publishing the same build again uploads nothing new (content the Hub has is skipped).
        again = cli(["publish", str(built), "--repo", "pd-org/sample-corpus"], env=env)
        assert again.returncode == 0, again.stderr
        assert sum(1 for method, _, _ in hub.requests if method == "PUT") == uploads

        # A branch gets its own commit; main is untouched.
        branch = cli(["publish", str(built), "--repo", "pd-org/sample-corpus", "--revision", "v2"], env=env)
        assert branch.returncode == 0, branch.stderr
        assert repo.branches["v2"] == published_files(built)


def test_a_refused_token_is_a_clear_error_without_the_token(built, tmp_path):
    with FakeHub(token="hf_right") as hub:
        env = hub_env(hub, tmp_path)
        env["HF_TOKEN"] = "hf_wrong_secret_value"
        run = cli(["publish", str(built), "--repo", "pd-org/x"], env=env)
        assert run.returncode == 1
        assert "the Hub refused the upload to pd-org/x" in run.stderr
        assert "hf_wrong_secret_value" not in run.stdout + run.stderr


def test_verify_accepts_a_whole_build_and_names_what_is_wrong(built, tmp_path):
    ok = cli(["verify", str(built)])
    assert ok.returncode == 0, ok.stderr
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(built), str(broken)], check=True)
    manifest = json.loads((broken / "manifest.json").read_text())
    first = broken / manifest["shards"][0]["path"]
    first.write_bytes(first.read_bytes()[:-10] + b"0123456789")
    (broken / "data" / "stray.parquet").write_bytes(b"x")
    run = cli(["verify", str(broken)])
    assert run.returncode == 1
    assert f"{manifest['shards'][0]['path']}: sha256 " in run.stderr
    assert "data/stray.parquet: under data/ but not in the manifest" in run.stderr


@pytest.mark.skipif(not (os.environ.get("PDCORPUS_LIVE_HF_TOKEN") and os.environ.get("PDCORPUS_LIVE_HF_REPO")),
                    reason="opt-in: set PDCORPUS_LIVE_HF_TOKEN and PDCORPUS_LIVE_HF_REPO (a test dataset repo)")
def test_live_publish_to_the_hub(built, tmp_path):
    """Runs only when given a token and a test repository: a real upload, then read back."""
    from huggingface_hub import HfApi
    env = dict(os.environ, HF_TOKEN=os.environ["PDCORPUS_LIVE_HF_TOKEN"])
    repo = os.environ["PDCORPUS_LIVE_HF_REPO"]
    run = cli(["publish", str(built), "--repo", repo, "--private"], env=env)
    assert run.returncode == 0, run.stderr
    remote = set(HfApi(token=env["HF_TOKEN"]).list_repo_files(repo, repo_type="dataset"))
    assert set(published_files(built)) <= remote
