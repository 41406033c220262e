"""Publishing: the real huggingface_hub client against a Hub stand-in on 127.0.0.1; and `verify`."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pdcorpus
from pdcorpus.publish.hub import PUBLISHED

from conftest import write_config, write_corpus
from hub_server import HUB_LICENSE_LIST, HUB_LICENSES, FakeHub

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(sample_build) -> Path:
    """The bundled sample as `pdcorpus build` wrote it (conftest.py)."""
    return sample_build[0]


def published_files(out: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if path.is_file() and any(rel == p or (p.endswith("/") and rel.startswith(p)) for p in PUBLISHED):
            files[rel] = path.read_bytes()
    return files


def cli(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    # -P: pdcorpus comes from PYTHONPATH or the installed package, never from the working directory
    return subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


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


def small_corpus_config(tmp_path: Path, repo: str) -> tuple[Path, Path]:
    """A corpus file with a `publish:` key, over ~1,200 generated records (several 64KB shards)."""
    write_corpus(tmp_path / "in", bad_lines=False)
    out = tmp_path / "out"
    config = write_config(tmp_path / "corpus.yaml", out, str(tmp_path / "in" / "*.jsonl.gz"),
                          extra=f"publish: {{repo: {repo}, private: true}}\n")
    return config, out


def lfs_puts(hub: FakeHub) -> list[str]:
    return [path.rsplit("/", 1)[1] for method, path, _ in hub.requests if method == "PUT"]


def test_a_build_with_a_publish_key_publishes_what_it_built_in_one_commit(tmp_path):
    config, out = small_corpus_config(tmp_path, "pd-org/from-config")
    with FakeHub() as hub:
        run = cli(["build", str(config), "--workers", "1", "-q"], env=hub_env(hub, tmp_path))
        assert run.returncode == 0, run.stderr[-3000:]
        repo = hub.repos["pd-org/from-config"]
        assert repo.private
        files = published_files(out)
        assert sum(p.endswith(".parquet") for p in files) >= 3
        assert repo.branches["main"] == files
        assert len(repo.commits) == 1
        manifest = json.loads((out / "manifest.json").read_text())
        assert repo.commits[0]["summary"] == (f"pdcorpus {pdcorpus.__version__}: test-corpus "
                                              f"({manifest['records_out']:,} records)")
        assert hub.token not in run.stdout + run.stderr
        assert not (out / ".work").exists()  # published, then the work folder is removed as after any build
        # the build says which commit it made (the Hub's own oid and commit URL, on the branch the key names); the
        # manifest.json written before publishing cannot name the commit that publishes it
        commit = repo.commits[0]
        said = [line for line in run.stdout.splitlines() if line.startswith("published:")]
        assert said == [f"published: pd-org/from-config@main commit {commit['oid']} "
                        f"{hub.url}/datasets/pd-org/from-config/commit/{commit['oid']}"]
        # without a `publish:` key the build prints no such line
        plain = write_config(tmp_path / "plain.yaml", tmp_path / "plain-out", str(tmp_path / "in" / "*.jsonl.gz"))
        unpublished = cli(["build", str(plain), "--workers", "1", "-q"], env=hub_env(hub, tmp_path))
        assert unpublished.returncode == 0, unpublished.stderr[-3000:]
        assert not any(line.startswith("published:") for line in unpublished.stdout.splitlines())
        assert len(repo.commits) == 1


def test_an_interrupted_publish_resumes_to_the_same_single_commit(tmp_path):
    config, out = small_corpus_config(tmp_path, "pd-org/resumed")
    with FakeHub() as hub:
        env = hub_env(hub, tmp_path)
        hub.fail_lfs_uploads = 1  # one shard's upload fails, as with an expired pre-signed URL
        first = cli(["build", str(config), "--workers", "1", "-q"], env=env)
        assert first.returncode == 1
        assert "pdcorpus: the Hub refused the upload to pd-org/resumed" in first.stderr and "403" in first.stderr
        assert "Traceback" not in first.stderr and hub.token not in first.stdout + first.stderr
        repo = hub.repos["pd-org/resumed"]
        assert repo.commits == [] and repo.branches["main"] == {}  # nothing half-published
        assert len(hub.failed_lfs_uploads) == 1
        assert (out / "manifest.json").exists()  # the build itself finished
        shards = {hashlib.sha256(data).hexdigest() for p, data in published_files(out).items() if p.endswith(".parquet")}
        on_hub_after_failure = set(hub.lfs)
        assert hub.failed_lfs_uploads[0] in shards and hub.failed_lfs_uploads[0] not in on_hub_after_failure
        sent_before = len(lfs_puts(hub))

        again = cli(["build", str(config), "--workers", "1", "-q"], env=env)  # the same command: resume
        assert again.returncode == 0, again.stderr[-3000:]
        assert len(repo.commits) == 1
        assert repo.branches["main"] == published_files(out)
        # the second run sent only what the Hub did not have yet, the failed shard among them
        resent = lfs_puts(hub)[sent_before:]
        assert set(resent) == shards - on_hub_after_failure and hub.failed_lfs_uploads[0] in resent
        assert len(resent) == len(set(resent))


@pytest.mark.skipif(importlib.util.find_spec("hf_xet") is None, reason="hf_xet not installed: uploads use LFS")
def test_with_hf_xet_installed_real_publishing_takes_the_xet_path(built, tmp_path):
    """huggingface_hub uploads LFS-mode files through Xet when hf_xet is installed, unless HF_HUB_DISABLE_XET
    is set; pdcorpus leaves the choice to the environment. Against a server without Xet the upload fails
    before any LFS request (no fallback), nothing is committed, and pdcorpus says so and what to do."""
    with FakeHub() as hub:
        env = hub_env(hub, tmp_path)
        del env["HF_HUB_DISABLE_XET"]
        run = cli(["publish", str(built), "--repo", "pd-org/xet"], env=env)
        assert run.returncode == 1
        assert "Traceback" not in run.stderr, run.stderr[-3000:]
        assert "pdcorpus: the upload to pd-org/xet failed" in run.stderr and "xet-write-token" in run.stderr
        assert "set HF_HUB_DISABLE_XET=1 to upload through Git LFS" in run.stderr
        assert hub.token not in run.stdout + run.stderr
        paths = [(method, path.split("?")[0]) for method, path, _ in hub.requests]
        assert ("GET", "/api/datasets/pd-org/xet/xet-write-token/main") in paths
        assert not any(path.endswith("/info/lfs/objects/batch") for _, path in paths)  # LFS never asked
        assert not any(method == "PUT" for method, _ in paths)
        assert hub.repos["pd-org/xet"].commits == []

        # the same publish with Xet disabled goes through the LFS batch API and basic transfers
        env["HF_HUB_DISABLE_XET"] = "1"
        run = cli(["publish", str(built), "--repo", "pd-org/xet"], env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        assert hub.repos["pd-org/xet"].branches["main"] == published_files(built)


def test_the_stand_in_checks_licences_against_the_hubs_list_and_pdcorpus_claims_only_those():
    from pdcorpus.publish.card import HUB_LICENSE_OF
    from pdcorpus.publish.card import HUB_LICENSES as PDCORPUS_LIST

    assert HUB_LICENSE_LIST["source"] == "https://huggingface.co/docs/hub/repositories-licenses"
    assert {"cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "odbl", "pddl", "other", "unknown"} <= HUB_LICENSES
    assert "public-domain" not in HUB_LICENSES and "cc-by-sa-3.0-pl" not in HUB_LICENSES
    assert set(HUB_LICENSE_OF.values()) <= HUB_LICENSES  # every licence pdcorpus writes into a card
    assert PDCORPUS_LIST <= HUB_LICENSES


def test_a_licence_the_hub_does_not_know_is_refused_and_reported(built, tmp_path):
    edited = tmp_path / "edited"
    subprocess.run(["cp", "-r", str(built), str(edited)], check=True)
    card = (edited / "README.md").read_text(encoding="utf-8")
    assert "\nlicense: other\n" in card
    # a hand edit a user might make: "public-domain" reads well, but it is not a Hub licence identifier
    (edited / "README.md").write_text(card.replace("\nlicense: other\n", "\nlicense: public-domain\n"),
                                      encoding="utf-8")
    with FakeHub() as hub:
        run = cli(["publish", str(edited), "--repo", "pd-org/refused"], env=hub_env(hub, tmp_path))
        assert run.returncode == 1
        assert "pdcorpus: the Hub did not accept the upload to pd-org/refused" in run.stderr
        assert "Invalid metadata in README.md" in run.stderr
        assert "\"license\" must be one of the Hub's licence identifiers, got \"public-domain\"" in run.stderr
        assert "Traceback" not in run.stderr
        assert hub.repos["pd-org/refused"].commits == []


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
