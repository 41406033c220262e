"""Publishing a build whose output is on object storage (moto's S3 server on loopback) to the Hub stand-in.

pdcorpus hands huggingface_hub the remote files as file objects (they are not on the local disk). The
client accepts only ``io.BufferedIOBase`` file objects, and sends those through the Git LFS batch API even
when hf_xet is installed (Xet takes paths and bytes only).
"""

from __future__ import annotations

import pytest

from conftest import write_config, write_corpus
from hub_server import FakeHub
from test_publish import cli, hub_env
from test_s3 import aws_env, s3, s3_endpoint  # noqa: F401  (fixtures: moto on 127.0.0.1)


@pytest.mark.parametrize("disable_xet", [True, False], ids=["lfs", "xet-installed"])
def test_a_build_on_s3_with_a_publish_key_is_published_from_s3(s3, s3_endpoint, tmp_path, disable_xet):
    bucket = f"pdcorpus-publish-from-s3-{'lfs' if disable_xet else 'xet'}"
    s3.mkdir(bucket)
    write_corpus(tmp_path / "in", files=2, per_file=200, bad_lines=False)
    output = f"s3://{bucket}/out"
    config = write_config(tmp_path / "corpus.yaml", output, str(tmp_path / "in" / "*.jsonl.gz"),
                          extra=(f"storage_options: {{client_kwargs: {{endpoint_url: '{s3_endpoint}'}}}}\n"
                                 "publish: {repo: pd-org/from-s3}\n"))
    with FakeHub() as hub:
        env = hub_env(hub, tmp_path)
        if not disable_xet:
            del env["HF_HUB_DISABLE_XET"]
        run = cli(["build", str(config), "--workers", "1", "-q"], env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        published = {}
        for path in sorted(s3.find(f"{bucket}/out")):
            rel = path[len(f"{bucket}/out/"):]
            if rel.startswith("data/") or rel in ("README.md", "manifest.json", "training-data-summary.md",
                                                  "training-data-summary.json"):
                published[rel] = s3.cat_file(path)
        assert sum(p.endswith(".parquet") for p in published) >= 2
        repo = hub.repos["pd-org/from-s3"]
        assert repo.branches["main"] == published and len(repo.commits) == 1
        # file objects go through LFS, whatever hf_xet: the batch API was asked and each shard PUT once
        paths = [(method, path) for method, path, _ in hub.requests]
        assert any(path.endswith("/info/lfs/objects/batch") for _, path in paths)
        assert sum(method == "PUT" for method, _ in paths) == sum(p.endswith(".parquet") for p in published)
        assert not any("xet-write-token" in path for _, path in paths)
