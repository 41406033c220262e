"""The Ray runner on a real local Ray cluster (2 CPUs), with output and work on a real S3-compatible server.

Every socket stays on 127.0.0.1: for this module the test process's main thread enters a network namespace
of its own (``unshare(CLONE_NEWNET)``, as ``unshare -n`` does) holding only the loopback interface, and
starts there the Ray cluster (GCS, raylet, workers: they inherit the namespace) and moto's S3 server; it
returns to its namespace when the module ends. Ray binds some of its servers to all interfaces, and in
this namespace all interfaces are ``lo``. Ray's session files go into a folder of the test's own. The
module is skipped, with the reason, where the namespace cannot be made or Ray cannot start.

The expectations come from the local runner: the issue's promise is that a corpus file builds the same
corpus, byte for byte, on Ray as on this machine (``tests/test_build.py`` and the near-dedup tests check the
local build against first principles).
"""

from __future__ import annotations

import ctypes
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

import fsspec
import pyarrow.parquet as pq
import pytest
import s3fs

from conftest import make_text
from pdcorpus.builder import build
from pdcorpus.record import Record
from pdcorpus.runners import TaskFailed
from pdcorpus.stages import REGISTRY, register_stage
from pdcorpus.stages.base import MapStage, StageParams
from test_s3 import aws_env  # noqa: F401  (fixture: dummy credentials, no AWS setup of this machine)

from pdcorpus.config import ConfigError, load_config
from pdcorpus.runners.ray import RayRunner

ROOT = Path(__file__).resolve().parent.parent
CLONE_NEWNET = 0x40000000


# -- a stage that kills the worker process running it, once (a file marks that it did) ---------------------

class KillOnceParams(StageParams):
    marker: str
    at: int = 20


class KillOnce(MapStage):
    """Passes records through; at its ``at``-th record it kills its own process (SIGKILL) unless ``marker``
    exists, which it creates first (holding the pid it killed), so that only one attempt dies."""

    name = "kill-once"
    Params = KillOnceParams

    def __init__(self, marker: str, at: int = 20) -> None:
        super().__init__()
        self.marker, self.at, self.seen = marker, at, 0

    def map(self, record: Record) -> Record:
        self.seen += 1
        if self.seen == self.at:
            try:
                fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return record
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)
        return record


class FailParams(StageParams):
    attempts: str


class FailAlways(MapStage):
    """Raises on its first record, after appending a line to ``attempts`` (to count how often it ran)."""

    name = "fail-always"
    Params = FailParams

    def __init__(self, attempts: str) -> None:
        super().__init__()
        self.attempts = attempts

    def map(self, record: Record) -> Record:
        with open(self.attempts, "a") as fh:
            fh.write(f"{os.getpid()}\n")
        raise ValueError(f"cannot handle {record.id}")


register_stage(KillOnce)
register_stage(FailAlways)


# -- the places: a network namespace, moto's S3 server, a Ray cluster ---------------------------------------

def new_fsspec_loop() -> None:
    """fsspec runs every async client (s3fs) on one IO thread, made on first use and so in the network namespace
    of that moment; a new one is made on next use, here, so that clients reach this namespace's servers. (The old
    thread is left running, idle, for clients made before.)"""
    import fsspec.asyn

    fsspec.asyn.reset_lock()
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture(scope="module")
def loopback_only() -> Iterator[None]:
    """This thread (and every process and thread it starts) in a network namespace with only ``lo``."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    if libc.unshare(CLONE_NEWNET) != 0:
        os.close(home)
        reason = f"cannot make a network namespace for Ray (unshare: {os.strerror(ctypes.get_errno())})"
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    try:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True, timeout=30)
        new_fsspec_loop()
        yield
    finally:
        if libc.setns(home, CLONE_NEWNET) != 0:  # pragma: no cover - back to where the other tests run
            raise OSError(ctypes.get_errno(), "setns back to the test process's network namespace failed")
        os.close(home)
        new_fsspec_loop()


@pytest.fixture(scope="module")
def endpoint(loopback_only) -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, in the namespace (test_s3's own server lives outside it)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def cluster(loopback_only, aws_env) -> Iterator[str]:  # noqa: F811
    """A local Ray cluster of 2 CPUs started by this process (the driver); its GCS address."""
    try:
        import ray
    except ImportError:
        reason = "Ray is not installed (pip install 'pdcorpus[ray]')"
        print(reason, file=sys.stderr)
        pytest.skip(reason)
    session = Path(tempfile.mkdtemp(prefix="pdc-ray-", dir="/tmp"))  # Ray's socket paths must stay short
    with pytest.MonkeyPatch.context() as mp:
        # workers import this worktree's pdcorpus and this test module (its stages, by reference in the plan)
        mp.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), str(ROOT / "tests")]))
        mp.setenv("RAY_AUTH_MODE", "disabled")  # no token file in $HOME; nothing outside this namespace reaches it
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        try:
            info = ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(session),
                            _node_ip_address="127.0.0.1", object_store_memory=150 * 2**20,
                            log_to_driver=False, configure_logging=False)
        except Exception as exc:  # noqa: BLE001 - Ray cannot start here: say why, skip
            shutil.rmtree(session, ignore_errors=True)
            reason = f"Ray cannot start: {type(exc).__name__}: {exc}"
            print(reason, file=sys.stderr)
            pytest.skip(reason)
        try:
            yield info.address_info["gcs_address"]
        finally:
            ray.shutdown()
            shutil.rmtree(session, ignore_errors=True)


@pytest.fixture
def s3(endpoint) -> s3fs.S3FileSystem:
    return s3fs.S3FileSystem(client_kwargs={"endpoint_url": endpoint}, skip_instance_cache=True)


# -- a small corpus with exact and near duplicates, rejects and records for review ----------------------------

def write_inputs(folder: Path, files: int = 3, per_file: int = 120, seed: int = 7) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    for f in range(files):
        lines = []
        for i in range(per_file):
            roll = rng.random()
            if texts and roll < 0.08:
                text = rng.choice(texts).upper()  # an exact duplicate (case folded)
            elif texts and roll < 0.16:
                words = rng.choice(texts).split()  # a near duplicate: one word changed
                words[len(words) // 2] = "changed"
                text = " ".join(words)
            else:
                text = make_text(rng, rng.randint(40, 200))
            texts.append(text)
            rights = "All rights reserved" if i % 13 == 5 else "public domain (US)" if i % 11 == 3 else "CC0-1.0"
            lines.append(json.dumps({"doc_id": f"d-{f}-{i}", "body": text, "rights": rights, "year": 1960}))
        lines.append('{"doc_id": "broken", "body": ')  # malformed: a reject of the read
        (folder / f"part-{f:02d}.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0))


STAGES = """stages:
  - rights: {as_of: 2026-01-01}
  - length: {min_chars: 100}
  - dedup: {method: exact}
  - dedup: {method: minhash, threshold: 0.7}
"""


def corpus_file(path: Path, inputs: str, output: str, endpoint: str | None = None, extra_stages: str = "",
                runner: str = "") -> Path:
    storage = f'storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}\n' if endpoint else ""
    read_storage = f', storage_options: {{client_kwargs: {{endpoint_url: "{endpoint}"}}}}' if endpoint else ""
    path.write_text(
        f"name: ray-corpus\noutput: {output}\n{storage}"
        f"sources:\n  - name: docs\n    read: {{format: jsonl, paths: [\"{inputs}\"]{read_storage}}}\n"
        f"    fields: {{id: doc_id, text: body, license: rights, date: year}}\n"
        f"{STAGES}{extra_stages}shards: {{max_bytes: 40KB}}\nexchange: {{buckets: 3}}\n{runner}")
    return path


def files_of(fs, root: str, sub: str) -> dict[str, bytes]:
    """The files under ``root/sub`` (relative names) and their bytes."""
    if not fs.exists(f"{root}/{sub}"):
        return {}
    return {p[len(root) + 1:]: fs.cat_file(p) for p in sorted(fs.find(f"{root}/{sub}"))}


COUNTS = ("records_in", "records_out", "dropped", "rejects", "review", "sources", "stages", "near_dedup", "shards")


def assert_same_build(fs_a, root_a: str, a: dict, fs_b, root_b: str, b: dict, inputs_as: tuple[str, str] = ("", "")
                      ) -> None:
    """Byte for byte: shards, rejects, review files; and the manifest's counts. ``inputs_as``: the inputs' folder
    in a and in b, where they differ (a reject names the input file it came from)."""
    for sub in ("data", "rejects", "review"):
        mine = files_of(fs_a, root_a, sub)
        if inputs_as[0]:
            mine = {k: v.replace(inputs_as[0].encode(), inputs_as[1].encode()) for k, v in mine.items()}
        assert mine == files_of(fs_b, root_b, sub), sub
    assert {k: a[k] for k in COUNTS} == {k: b[k] for k in COUNTS}
    assert [(i["bytes"], i["sha256"]) for i in a["inputs"]] == [(i["bytes"], i["sha256"]) for i in b["inputs"]]


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory) -> tuple[Path, Path, dict]:
    """The corpus built with the local runner: inputs folder, output folder, manifest."""
    folder = tmp_path_factory.mktemp("reference")
    write_inputs(folder / "in")
    config = corpus_file(folder / "corpus.yaml", str(folder / "in" / "*.jsonl.gz"), str(folder / "out"))
    manifest = build(str(config), workers=2, progress=False)
    return folder / "in", folder / "out", manifest


# -- the runner in the corpus file and on the command line (no cluster needed) ------------------------------

def test_the_runner_key_is_validated_with_the_corpus_file(tmp_path):
    base = corpus_file(tmp_path / "c.yaml", "in/*.jsonl.gz", "out").read_text()
    config = tmp_path / "c.yaml"
    config.write_text(base + "runner: {name: ray, address: auto, max_retries: 3, memory: 2GB}\n")
    runner = load_config(config).config.runner
    assert (runner.name, runner.address, runner.max_retries, runner.memory) == ("ray", "auto", 3, 2 * 10**9)
    line = len(base.splitlines()) + 1
    for bad, message in (("runner: {name: spark}", "runner.name: Input should be 'local' or 'ray'"),
                         ("runner: {name: ray, max_retries: -1}", "runner.max_retries: Input should be greater"),
                         ("runner: {name: local, address: auto}", "runner: address: only for the ray runner"),
                         ("runner: {name: ray, adress: auto}", "unknown key 'adress' (did you mean 'address'?)")):
        config.write_text(base + bad + "\n")
        with pytest.raises(ConfigError) as err:
            load_config(config)
        assert err.value.problems[0].startswith(f"{config}:{line}: "), err.value.problems
        assert message in err.value.problems[0], err.value.problems


def test_the_command_line_chooses_the_runner_and_ray_is_imported_only_by_it(tmp_path):
    from pdcorpus.cli import _with_runner, parser

    config = corpus_file(tmp_path / "c.yaml", "in/*.jsonl.gz", "out", runner="runner: {name: local, workers: 3}\n")
    args = parser().parse_args(["build", str(config), "--runner", "ray", "--address", "ray://head:10001"])
    runner = _with_runner(load_config(config), args.runner, args.address).config.runner
    assert (runner.name, runner.address, runner.workers) == ("ray", "ray://head:10001", None)
    probe = subprocess.run([sys.executable, "-P", "-c", "import sys, pdcorpus.builder, pdcorpus.cli, pdcorpus.runners.ray; "
                            "print('ray' in sys.modules)"], capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert probe.stdout.strip() == "False", probe.stderr


# -- the tests on the cluster ----------------------------------------------------------------------------------

def test_a_ray_build_equals_the_local_build_byte_for_byte(cluster, local_reference, tmp_path, capsys):
    inputs, ref_out, ref = local_reference
    # the corpus has what the comparison must cover (by write_inputs: per file, one malformed line, 9 records
    # "All rights reserved" (i % 13 == 5), 11 "public domain (US)" (i % 11 == 3), which names no jurisdiction's
    # rule the policy can check: review), exact and near duplicates
    assert ref["dropped"]["read:malformed-json"] == 3 and ref["dropped"]["rights:in-copyright"] == 27
    assert ref["review"]["count"] == 33
    assert ref["dropped"]["dedup:exact:duplicate"] > 0 and ref["dropped"]["dedup:minhash:near-duplicate"] > 0
    config = corpus_file(tmp_path / "corpus.yaml", str(inputs / "*.jsonl.gz"), str(tmp_path / "out"),
                         runner="runner: {name: ray, max_retries: 1}\n")

    manifest = build(str(config), progress=True)  # the runner the corpus file names, on the running cluster

    assert manifest["runner"]["name"] == "ray" and manifest["runner"]["workers"] == 2
    local = fsspec.filesystem("file")
    assert_same_build(local, str(ref_out), ref, local, str(tmp_path / "out"), manifest)
    # progress as locally: one line a phase (stderr is not a terminal), records counted by the tasks
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("phase ")]
    assert [line.split(":")[0] for line in lines] == [f"phase {p}" for p in manifest["timings"]["phases"]]
    assert lines[0].startswith("phase p0-read: 3 tasks, 360 records in ")  # 3 files of 120 good records
    assert lines[-1].startswith(f"phase p6-write: {len(ref['shards'])} tasks, {ref['records_out']} records in ")


def test_a_worker_killed_mid_task_is_retried_and_the_output_is_exact(cluster, local_reference, tmp_path):
    inputs, ref_out, ref = local_reference
    marker = tmp_path / "killed"
    kill = f"  - kill-once: {{marker: \"{marker}\", at: 30}}\n"
    config = corpus_file(tmp_path / "corpus.yaml", str(inputs / "*.jsonl.gz"), str(tmp_path / "out"),
                         extra_stages=kill)
    # the kill-once stage goes before the dedups, where it runs in the read tasks
    text = config.read_text().replace(kill, "").replace("  - length:", kill.rstrip("\n") + "\n  - length:")
    config.write_text(text)

    manifest = build(str(config), runner=RayRunner(max_retries=2, progress=False))

    assert marker.exists(), "the stage never killed its worker"
    assert int(marker.read_text()) != os.getpid()  # a Ray worker died, not this driver
    local = fsspec.filesystem("file")
    for sub in ("data", "rejects", "review"):
        assert files_of(local, str(ref_out), sub) == files_of(local, str(tmp_path / "out"), sub), sub
    assert manifest["records_out"] == ref["records_out"] and manifest["dropped"] == ref["dropped"]

    # with no retry allowed, the same death fails the build, naming the phase and the task
    marker.unlink()
    with pytest.raises(TaskFailed) as failed:
        build(str(config), output=str(tmp_path / "out2"), runner=RayRunner(max_retries=0, progress=False))
    assert failed.value.phase.name == "p0-read" and failed.value.label.endswith(".jsonl.gz")
    assert "died" in str(failed.value).lower() or "crash" in str(failed.value).lower(), str(failed.value)


def test_an_error_of_a_task_is_not_retried_and_names_the_task(cluster, local_reference, tmp_path):
    inputs, _, _ = local_reference
    attempts = tmp_path / "attempts"
    config = corpus_file(tmp_path / "corpus.yaml", str(inputs / "part-00*.jsonl.gz"), str(tmp_path / "out"))
    config.write_text(config.read_text().replace("  - length:", f"  - fail-always: {{attempts: \"{attempts}\"}}\n"
                                                                "  - length:"))
    with pytest.raises(TaskFailed) as failed:
        build(str(config), runner=RayRunner(max_retries=3, workers=1, progress=False))
    assert failed.value.phase.name == "p0-read"
    assert failed.value.label.endswith("part-00.jsonl.gz")  # the first task in order, the only one in flight
    assert isinstance(failed.value.error, ValueError) and "cannot handle docs:d-0-" in str(failed.value.error)
    assert len(attempts.read_text().splitlines()) == 1  # ran once: an exception of the data is not retried


def put_inputs(s3, bucket: str, inputs: Path) -> None:
    s3.mkdir(bucket)
    for path in sorted(inputs.iterdir()):
        s3.pipe(f"{bucket}/in/{path.name}", path.read_bytes())


def test_a_ray_build_on_s3_reads_back_with_pyarrow_and_datasets(cluster, endpoint, s3, local_reference, tmp_path,
                                                                 monkeypatch):
    inputs, ref_out, ref = local_reference
    put_inputs(s3, "ray-s3", inputs)
    config = corpus_file(tmp_path / "corpus.yaml", "s3://ray-s3/in/*.jsonl.gz", "s3://ray-s3/out", endpoint)
    # the driver lists the inputs but never reads them: the workers do, from the store
    opened: list[str] = []
    real_open = s3fs.S3FileSystem._open

    def driver_open(self, path, mode="rb", *args, **kwargs):
        if "/in/" in path and "r" in mode:
            opened.append(path)
        return real_open(self, path, mode, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "_open", driver_open)

    manifest = build(str(config), runner=RayRunner(progress=False))

    # the one input the driver opens is the first, for the check of the rights stage's date paths on the first
    # 300 records (pdcorpus/checks.py); the records come from the workers' reads
    assert set(opened) <= {"ray-s3/in/part-00.jsonl.gz"}, opened
    s3.invalidate_cache()
    assert_same_build(s3, "ray-s3/out", manifest, fsspec.filesystem("file"), str(ref_out), ref,
                      ("s3://ray-s3/in", str(inputs)))
    # nothing but the build's files: no temporary names (objects are written whole at their keys), no work folder
    listed = sorted(p[len("ray-s3/out/"):] for p in s3.find("ray-s3/out"))
    assert listed == sorted(["manifest.json", "README.md", "training-data-summary.md", "training-data-summary.json",
                             ".pdcorpus"] + [s["path"] for s in manifest["shards"]] + manifest["rejects"]["files"]
                            + [f["path"] for f in manifest["review"]["files"]])
    opts = {"client_kwargs": {"endpoint_url": endpoint}}
    table = pq.read_table("ray-s3/out/data/docs", filesystem=s3)
    assert table.num_rows == manifest["records_out"] == ref["records_out"]
    from datasets import load_dataset

    ds = load_dataset("parquet", data_files="s3://ray-s3/out/data/docs/*.parquet", split="train",
                      storage_options=opts, cache_dir=str(tmp_path / "hf"))
    assert sorted(ds["id"]) == sorted(table.column("id").to_pylist())
    assert len(set(ds["content_hash"])) == len(ds)  # exact duplicates are gone


def test_a_driver_killed_mid_build_resumes_from_the_markers_on_s3(cluster, endpoint, s3, local_reference, tmp_path):
    inputs, ref_out, ref = local_reference
    put_inputs(s3, "ray-resume", inputs)
    config = corpus_file(tmp_path / "corpus.yaml", "s3://ray-resume/in/*.jsonl.gz", "s3://ray-resume/out", endpoint)
    command = [sys.executable, "-P", "-m", "pdcorpus.cli", "build", str(config), "--runner", "ray",
               "--address", cluster, "--keep-work", "-q"]
    driver = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)
    # killed once the read phase is done and the next has begun (its markers on S3)
    deadline = time.monotonic() + 300
    done_before: dict[str, str] = {}
    while time.monotonic() < deadline and driver.poll() is None:
        s3.invalidate_cache()
        markers = s3.glob("ray-resume/out/.work/p*/t*.done.json")
        if any("/p1-" in m for m in markers):
            done_before = {m: s3.info(m)["ETag"] for m in markers}
            os.kill(driver.pid, signal.SIGKILL)
            break
        time.sleep(0.2)
    driver.wait(60)
    assert done_before, f"the build ended before it could be killed: {driver.stderr.read().decode()[-2000:]}"
    assert not s3.exists("ray-resume/out/manifest.json")

    rerun = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)

    assert rerun.returncode == 0, rerun.stderr[-3000:]
    s3.invalidate_cache()
    manifest = json.loads(s3.cat_file("ray-resume/out/manifest.json"))
    assert manifest["runner"]["resumed"] is True
    # the tasks marked complete before the kill were not run again: their markers are the same objects
    assert {m: s3.info(m)["ETag"] for m in done_before} == done_before
    assert_same_build(s3, "ray-resume/out", manifest, fsspec.filesystem("file"), str(ref_out), ref,
                      ("s3://ray-resume/in", str(inputs)))
