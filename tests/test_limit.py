"""`pdcorpus build --limit N` (read.limit): a slice of each source, to try a corpus file on a few records."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq


def test_limit_reads_the_first_records_of_each_source_in_input_order(tmp_path):
    (tmp_path / "in").mkdir()
    for name, first in (("a", 0), ("b", 3)):  # a.jsonl: d0 d1 d2, b.jsonl: d3 d4 d5
        (tmp_path / "in" / f"{name}.jsonl").write_text(
            "".join(json.dumps({"id": f"d{i}", "text": f"document number {i}"}) + "\n" for i in range(first, first + 3)))
    (tmp_path / "c.jsonl").write_text(json.dumps({"id": "c0", "text": "only one"}) + "\n")
    (tmp_path / "corpus.yaml").write_text("""name: slice
output: out
sources:
  - {name: two, license: CC0-1.0, read: {format: jsonl, paths: ["in/*.jsonl"]}}
  - {name: one, license: CC0-1.0, read: {format: jsonl, paths: [c.jsonl], limit: 5}}
""")
    run = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "build", "corpus.yaml", "--limit", "4", "-q",
                          "--workers", "2"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    ids = pq.read_table(tmp_path / "out" / "data" / "two").column("id").to_pylist()
    assert ids == ["two:d0", "two:d1", "two:d2", "two:d3"]  # files in sorted order, lines in order
    assert pq.read_table(tmp_path / "out" / "data" / "one").column("id").to_pylist() == ["one:c0"]
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sources"]["two"]["records_read"] == 4
    assert any("read.limit 4" in w and "two" in w for w in manifest["warnings"])
    assert any("read.limit 5" in w and "one" in w for w in manifest["warnings"])  # its own limit stays
    card = (tmp_path / "out" / "README.md").read_text()
    assert "read.limit 4: a slice of its inputs" in card  # the card says the corpus is a slice
