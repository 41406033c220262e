"""``format: hf`` end to end, offline: a folder of data files, a save_to_disk folder, and a dataset in the
Hugging Face cache (HF_HOME and HF_DATASETS_CACHE in tmp, HF_HUB_OFFLINE=1)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq

from conftest import read_shards


def hf_env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "hf"
    return {**os.environ, "HF_HOME": str(home), "HF_DATASETS_CACHE": str(home / "datasets"), "HF_HUB_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1"}


def build(tmp_path: Path, read: str, fields: str = "{}", workers: int = 2, out: str = "out") -> subprocess.CompletedProcess:
    cfg = tmp_path / f"{out}.yaml"
    cfg.write_text(f"""name: hf-corpus
output: {tmp_path / out}
sources:
  - name: letters
    read: {read}
    fields: {fields}
stages:
  - rights: {{policy: open, jurisdictions: [US, EU], as_of: 2026-01-01}}
shards: {{max_bytes: 1MB}}
""")
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", str(cfg), "--workers", str(workers), "-q"],
                          capture_output=True, text=True, timeout=300, env=hf_env(tmp_path))


def rows(n0: int, n: int) -> list[dict]:
    return [{"doc_id": f"l{i}", "body": f"Letter number {i}: the weather, the harvest and the news from town.",
             "meta": {"license": "CC0-1.0" if i % 3 else "CC-BY-NC-4.0", "year": 1840 + i}} for i in range(n0, n0 + n)]


def test_folder_of_data_files_one_task_per_file(tmp_path):
    folder = tmp_path / "letters"
    (folder / "data").mkdir(parents=True)
    for name, part in (("train-00000-of-00002.jsonl", rows(0, 5)), ("train-00001-of-00002.jsonl", rows(5, 4)),
                       ("test-00000-of-00001.jsonl", rows(100, 3))):
        (folder / "data" / name).write_text("".join(json.dumps(r) + "\n" for r in part))
    fields = "{id: doc_id, text: body, license: meta.license, date: meta.year}"
    run = build(tmp_path, f'{{format: hf, dataset: "{folder}", split: train}}', fields)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "out"
    manifest = json.loads((out / "manifest.json").read_text())
    # the split's data files, one read task each, in datasets' (sorted) order
    assert [Path(i["path"]).name for i in manifest["inputs"]] == ["train-00000-of-00002.jsonl",
                                                                   "train-00001-of-00002.jsonl"]
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256((folder / "data" / "train-00000-of-00002.jsonl")
                                                             .read_bytes()).hexdigest()
    got = read_shards(out)
    kept = [r for r in rows(0, 9) if r["meta"]["license"] == "CC0-1.0"]  # NC is denied under the open policy
    assert [(r["id"], r["text"], r["license"], r["date"]) for r in got] == \
        [(f"letters:{r['doc_id']}", r["body"], "CC0-1.0", str(r["meta"]["year"])) for r in kept]
    assert manifest["dropped"] == {"rights:non-commercial": 3}
    # the same shards with one worker
    again = build(tmp_path, f'{{format: hf, dataset: "{folder}", split: train}}', fields, workers=1, out="one")
    assert again.returncode == 0, again.stderr
    digest = lambda o: [s["sha256"] for s in json.loads((o / "manifest.json").read_text())["shards"]]  # noqa: E731
    assert digest(out) == digest(tmp_path / "one")


def test_save_to_disk_folder_and_split(tmp_path):
    dd = datasets.DatasetDict({
        "train": datasets.Dataset.from_list([{"id": "a", "text": "Training text about a long voyage.", "license": "CC0-1.0"}]),
        "validation": datasets.Dataset.from_list([
            {"id": "v1", "text": "Validation text about the river.", "license": "CC0-1.0"},
            {"id": "v2", "text": "Validation text about the mountain.", "license": "Public Domain Mark 1.0"}]),
    })
    dd.save_to_disk(str(tmp_path / "saved"))
    run = build(tmp_path, f'{{format: hf, dataset: "{tmp_path / "saved"}", split: validation}}')
    assert run.returncode == 0, run.stderr
    got = read_shards(tmp_path / "out")
    assert [(r["id"], r["text"], r["license"]) for r in got] == [
        ("letters:v1", "Validation text about the river.", "CC0-1.0"),
        ("letters:v2", "Validation text about the mountain.", "PDM-1.0")]
    bad = build(tmp_path, f'{{format: hf, dataset: "{tmp_path / "saved"}", split: test}}', out="bad")
    assert bad.returncode != 0 and "no split 'test'" in bad.stderr and "train, validation" in bad.stderr


def test_dataset_in_the_cache_read_offline(tmp_path):
    """A dataset as ``load_dataset`` leaves it in HF_DATASETS_CACHE (<name>/<config>/<version>/<hash>/ with
    dataset_info.json and Arrow files), prepared here by the same packaged Parquet builder a Hub download uses."""
    from datasets.packaged_modules.parquet.parquet import Parquet

    source = tmp_path / "src" / "train-00000-of-00001.parquet"
    source.parent.mkdir()
    pq.write_table(pa.table({"id": ["p1", "p2"], "text": ["A cached letter from the coast.", "Another cached letter."],
                             "license": ["CC0-1.0", "CC0-1.0"]}), source)
    builder = Parquet(cache_dir=str(tmp_path / "hf" / "datasets"), dataset_name="cached_letters", config_name="default",
                      config_id="default", hash="0123456789abcdef", data_files={"train": str(source)})
    builder.download_and_prepare()
    run = build(tmp_path, "{format: hf, dataset: cached_letters}")
    assert run.returncode == 0, run.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [Path(i["path"]).name for i in manifest["inputs"]] == ["cached_letters-train.arrow"]
    assert [(r["id"], r["text"]) for r in read_shards(tmp_path / "out")] == [
        ("letters:p1", "A cached letter from the coast."), ("letters:p2", "Another cached letter.")]
    missing = build(tmp_path, "{format: hf, dataset: nobody/nothing}", out="missing")
    assert missing.returncode != 0 and "nobody/nothing" in missing.stderr and "offline" in missing.stderr
