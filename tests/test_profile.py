"""``pdcorpus build --profile`` (issue 16, part 2): time, records and sizes per phase and per stage.

A real build of a small generated corpus (three JSONL files, a mix of rights statements, three languages,
exact duplicates across files, short texts): rights -> language (cld2) -> exact dedup -> length, so the read
phase runs a chain of stages, the dedup phase passes its records on through a stage after it, and the ids
phase and the writer run as well. Each expectation comes from something other than the profile: the
manifest's own counters (the same records pass each stage), the files on disk (inputs, the exchange row
groups in the kept work folder, the shards), the shares' definition (parts of the build's task time).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pdcorpus
from pdcorpus.manifest import Manifest
from pdcorpus.profiling import format_profile

ROOT = Path(__file__).resolve().parents[1]

ENGLISH = ("the river froze from bank to bank and the mill stood still until the thaw in march while the "
           "miller's sons cut ice for the brewery and were paid in bread and small beer").split()
FRENCH = ("le fleuve gela d'une rive à l'autre et le moulin resta immobile jusqu'au dégel de mars pendant que "
          "les fils du meunier coupaient la glace pour la brasserie").split()
GERMAN = ("der fluss fror von ufer zu ufer und die mühle stand still bis zum tauwetter im märz während die "
          "söhne des müllers eis für die brauerei schnitten").split()
RIGHTS = ["CC0-1.0", "https://creativecommons.org/publicdomain/mark/1.0/", "CC BY-NC 4.0",
          "All rights reserved", "Public domain", ""]


def make_corpus(folder: Path, files: int = 3, per_file: int = 120) -> list[Path]:
    """JSONL files of records with unique ids; about one in eight repeats an earlier text (an exact
    duplicate in another file), one in ten is short (set aside by length after dedup)."""
    rng = random.Random(16)
    folder.mkdir(parents=True, exist_ok=True)
    texts: list[str] = []
    paths = []
    n = 0
    for f in range(files):
        rows = []
        for _ in range(per_file):
            words = rng.choice([ENGLISH, FRENCH, GERMAN])
            if texts and rng.random() < 0.125:
                text = rng.choice(texts)
            elif rng.random() < 0.1:
                text = " ".join(rng.choices(words, k=5))
            else:
                text = " ".join(rng.choices(words, k=rng.randint(40, 120))).capitalize() + "."
                texts.append(text)
            rows.append({"doc": f"d{n:05d}", "body": text, "rights": rng.choice(RIGHTS)})
            n += 1
        path = folder / f"part-{f}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        paths.append(path)
    return paths


def write_config(tmp: Path, out: str = "out", near: bool = False) -> Path:
    make_corpus(tmp / "in")
    dedup = "{method: minhash, threshold: 0.8}" if near else "{method: exact}"
    config = tmp / "corpus.yaml"
    config.write_text(f"""name: profiled
output: {out}
sources:
  - name: docs
    read: {{format: jsonl, paths: ["in/*.jsonl"]}}
    fields: {{id: doc, text: body, license: rights}}
stages:
  - rights: {{policy: public-domain}}
  - language: {{backend: cld2}}
  - dedup: {dedup}
  - length: {{min_chars: 50}}
exchange: {{buckets: 2}}
""", encoding="utf-8")
    return config


def run_cli(config: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", str(config), "-q", *args],
                          capture_output=True, text=True, env=env, cwd=config.parent, timeout=600)
    assert done.returncode == 0, done.stderr
    return done


def shard_hashes(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((out / "data").rglob("*.parquet"))}


def exchange_bytes(files: list[str]) -> tuple[int, int]:
    """Compressed bytes of every column chunk of every row group, and rows, of Parquet files."""
    nbytes = rows = 0
    for path in files:
        meta = pq.ParquetFile(path).metadata
        rows += meta.num_rows
        nbytes += sum(meta.row_group(g).column(c).total_compressed_size
                      for g in range(meta.num_row_groups) for c in range(meta.num_columns))
    return nbytes, rows


def check_profile(out: Path, manifest: dict, workers: int) -> None:
    """Every expectation on a profiled build's manifest, from the manifest's other keys and the files."""
    profile = manifest["profile"]
    phases = {p["phase"]: p for p in profile["phases"]}
    assert list(phases) == list(manifest["timings"]["phases"])  # every phase, in order
    assert profile["workers"] == workers
    for name, phase in phases.items():
        assert phase["wall_seconds"] == manifest["timings"]["phases"][name]["wall_seconds"]
        assert phase["tasks"] == phase["tasks_profiled"] > 0
        # a phase's rows are the parts of its tasks' time: they add up to it
        assert sum(r["seconds"] for r in phase["rows"]) == pytest.approx(phase["task_seconds"], rel=1e-3, abs=1e-3)
        assert all(r["seconds"] >= 0 for r in phase["rows"])
    # the task seconds of the manifest's timings (rounded to ms per task) are the profile's whole
    assert profile["task_seconds"] == pytest.approx(
        sum(p["task_seconds"] for p in manifest["timings"]["phases"].values()), abs=0.01)
    assert sum(p["share"] for p in phases.values()) == pytest.approx(100, abs=0.01)
    assert sum(r["share"] for p in phases.values() for r in p["rows"]) == pytest.approx(100, abs=0.05)

    # every stage the manifest counts has a row, and the records in and out it measured are the ones counted
    rows: dict[str, list[dict]] = {}
    for phase in phases.values():
        for row in phase["rows"]:
            rows.setdefault(row["name"], []).append(row)
    for stage in manifest["stages"]:
        key = f"{stage['scope']}/{stage['stage']}" if stage["position"] is None else \
            f"{stage['scope']}/{stage['position']}/{stage['stage']}"
        assert key in rows, f"no profile row for stage {key}"
        assert sum(r["records_in"] for r in rows[key]) == stage["records_in"], key
        assert sum(r["records_out"] for r in rows[key]) == stage["records_out"], key
    labels = {name.rsplit("/", 1)[-1] for name in rows}
    assert {"read", "rights", "language:cld2", "unique-ids", "dedup:exact", "length", "write"} <= labels
    assert {"exchange read", "exchange write", "input checksums", "other"} <= set(rows)

    # sizes, from the files: the inputs, the exchange each phase wrote (kept work folder), the shards
    inputs = sorted(glob.glob(str(out.parent / "in" / "*.jsonl")))
    read = phases["p0-read"]
    assert read["input_bytes"] == sum(os.path.getsize(p) for p in inputs)
    assert rows["docs/read"][0]["bytes_in"] == read["input_bytes"]
    assert read["records_in"] == 360  # lines in the three files
    names = list(phases)
    for name in names[:-1]:
        files = sorted(glob.glob(str(out / ".work" / name / "t*.parquet")))
        written, _ = exchange_bytes(files)
        assert phases[name]["exchange_bytes_written"] == written, name
        # the records passed on (a read task's id keys beside them are not records)
        _, spilled = exchange_bytes([f for f in files if not f.endswith(".ids.parquet")])
        assert phases[name]["records_out"] == (spilled or None), name  # the ids phase on keys only passes none on
    # each row group written is read whole once, by the phase that takes it: the ids phase the read tasks' id
    # keys, the stage after it their records
    assert sum(phases[n]["exchange_bytes_read"] for n in names[1:]) == \
        sum(phases[n]["exchange_bytes_written"] for n in names[:-1])
    write = phases[names[-1]]
    shard_files = sorted((out / "data").rglob("*.parquet"))
    assert write["shard_bytes"] == sum(p.stat().st_size for p in shard_files)
    assert write["records_out"] == manifest["records_out"] == sum(pq.ParquetFile(p).metadata.num_rows
                                                                  for p in shard_files)
    # characters of text: what the writer takes in is the text of the shards' records
    texts = [t for p in shard_files for t in pq.read_table(p, columns=["text"]).column("text").to_pylist()]
    assert rows["global/-1/write"][0]["chars_in"] == sum(len(t) for t in texts)


@pytest.mark.parametrize("workers", [1, 2])
def test_cli_profile_in_manifest_and_printed(tmp_path: Path, workers: int) -> None:
    config = write_config(tmp_path)
    done = run_cli(config, "--profile", "--keep-work", "--workers", str(workers))
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    check_profile(out, manifest, workers)
    printed = done.stdout[done.stdout.index("profile (also in manifest.json"):]
    for phase in manifest["profile"]["phases"]:
        assert phase["phase"] in printed
        for row in phase["rows"]:
            assert row["name"] in printed, row["name"]
    table = printed.split("\n\n")[0].splitlines()[1:]
    assert max(len(line) for line in table) <= 100
    assert all(len(line) <= 100 for line in format_profile(manifest["profile"]).splitlines())


def test_library_profile_and_no_profile_same_shards(tmp_path: Path) -> None:
    """pdcorpus.build(profile=True) (2 workers) returns the profile; without it the manifest has no profile
    key, and the shards are the same bytes either way (the profile is only in the manifest)."""
    config = write_config(tmp_path / "a")
    manifest = pdcorpus.build(config, workers=2, progress=False, keep_work=True, profile=True)
    out_a = tmp_path / "a" / "out"
    assert manifest["profile"] == json.loads((out_a / "manifest.json").read_text(encoding="utf-8"))["profile"]
    check_profile(out_a, manifest, 2)
    typed = Manifest.of(manifest)
    assert typed.profile is not None and [p.phase for p in typed.profile.phases] == list(manifest["timings"]["phases"])

    config_b = write_config(tmp_path / "b")
    plain = pdcorpus.build(config_b, workers=1, progress=False)
    out_b = tmp_path / "b" / "out"
    written = json.loads((out_b / "manifest.json").read_text(encoding="utf-8"))
    assert "profile" not in plain and "profile" not in written
    assert Manifest.from_json(written).profile is None
    assert shard_hashes(out_a) == shard_hashes(out_b) != {}


def test_off_measures_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --profile no stream is wrapped and no task profile exists (in-process, one worker)."""
    import pdcorpus.profiling as profiling

    def refuse(*args, **kwargs):
        raise AssertionError("profiling code ran in a build without --profile")

    monkeypatch.setattr(profiling.Timed, "__init__", refuse)
    monkeypatch.setattr(profiling.TaskProfile, "__init__", refuse)
    manifest = pdcorpus.build(write_config(tmp_path), workers=1, progress=False, keep_work=True)
    markers = glob.glob(str(tmp_path / "out" / ".work" / "p*" / "t*.done.json"))
    assert markers and not any("profile" in json.loads(Path(m).read_text()) for m in markers)
    assert manifest["records_out"] > 0


def test_older_manifest_loads_and_profile_round_trips(tmp_path: Path) -> None:
    manifest = pdcorpus.build(write_config(tmp_path), workers=1, progress=False, profile=True)
    data = json.loads(json.dumps(manifest, default=str))
    assert Manifest.from_json(data).to_json() == data  # every key of the profile is typed and written back
    older = {k: v for k, v in data.items() if k != "profile"}  # a manifest from before --profile
    typed = Manifest.from_json(older)
    assert typed.profile is None and "profile" not in typed.to_json()
    assert typed.to_json() == older


def test_near_dedup_phases_profiled(tmp_path: Path) -> None:
    """MinHash: the signatures measured apart, the work files of the near-dedup's phases
    (bands, signatures, edges, decisions) counted as exchange; the stage counts still match."""
    config = write_config(tmp_path, near=True)
    manifest = pdcorpus.build(config, workers=1, progress=False, keep_work=True, profile=True)
    profile = manifest["profile"]
    # signed in the task before the near-dedup (here the ids phase's: a jsonl source's ids are checked)
    signing = [p["phase"] for p in profile["phases"] for r in p["rows"] if r["name"] == "signatures"]
    assert signing == ["p1-ids"]
    rows: dict[str, list[dict]] = {}
    for phase in profile["phases"]:
        assert sum(r["seconds"] for r in phase["rows"]) == pytest.approx(phase["task_seconds"], rel=1e-3, abs=1e-3)
        for row in phase["rows"]:
            rows.setdefault(row["name"], []).append(row)
    near = next(s for s in manifest["stages"] if s["stage"].startswith("dedup:"))
    key = f"global/{near['position']}/{near['stage']}"
    apply = profile["phases"][[p["phase"] for p in profile["phases"]].index(
        next(p for p in manifest["timings"]["phases"] if p.endswith("apply")))]
    own = next(r for r in apply["rows"] if r["name"] == key)
    assert (own["records_in"], own["records_out"]) == (near["records_in"], near["records_out"])
    work = tmp_path / "out" / ".work"
    for phase in profile["phases"]:
        if phase["exchange_bytes_written"] is None:
            continue
        # exchange, bands, signatures, edges, decisions
        files = sorted(glob.glob(str(work / phase["phase"] / "t*.parquet")))
        assert phase["exchange_bytes_written"] == exchange_bytes(files)[0], phase["phase"]


def test_resumed_tasks_without_profile_are_said(tmp_path: Path) -> None:
    """Tasks finished by an earlier run without --profile have no measures: their seconds are one row per
    phase, so the shares still add up to the build's task time."""
    config = write_config(tmp_path)
    pdcorpus.build(config, workers=1, progress=False, keep_work=True)  # its work folder and markers stay
    manifest = pdcorpus.build(config, workers=1, progress=False, profile=True)  # resumes: every task marked
    assert manifest["runner"]["resumed"] is True
    profile = manifest["profile"]
    for phase in profile["phases"]:
        assert phase["tasks_profiled"] == 0 < phase["tasks"]
        assert [r["name"] for r in phase["rows"]] == ["tasks not profiled"]
    assert sum(r["share"] for p in profile["phases"] for r in p["rows"]) == pytest.approx(100, abs=0.05)
    assert "tasks not profiled" in format_profile(profile)
