"""The EU summary names the near-duplicate method that removed records (issue 10, Publication).

A pHash-only build of an image collection (the collection of test_image_dedup.py: a resized and a
re-encoded copy of two pictures, a byte-identical copy of a third) must say that pHash removed the two
near copies, and neither credit them to MinHash nor claim there was no near-duplicate removal.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from test_image_dedup import write_collection


def build_with_cli(config: Path) -> Path:
    run = subprocess.run([sys.executable, "-P", "-m", "pdcorpus.cli", "build", str(config), "--workers", "1", "-q"],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return config.parent / "out"


def test_a_phash_only_build_says_phash_removed_the_near_duplicate_images(tmp_path):
    write_collection(tmp_path / "museum")
    config = tmp_path / "images.yaml"
    config.write_text(f"""name: images
output: {tmp_path / 'out'}
sources:
  - name: museum
    read: {{format: images, paths: ["{tmp_path / 'museum'}/metadata.jsonl"]}}
    fields: {{caption: caption, license: license, url: url}}
stages:
  - rights: {{policy: public-domain, jurisdictions: [US, EU]}}
  - dedup: {{method: exact}}
  - dedup: {{method: phash, max_distance: 6}}
""")
    out = build_with_cli(config)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["dropped"]["dedup:phash:near-duplicate"] == 2  # the small and the re-encoded copies

    text = (out / "training-data-summary.md").read_text(encoding="utf-8")
    data = json.loads((out / "training-data-summary.json").read_text(encoding="utf-8"))
    assert "- Near-duplicate removal: perceptual hash, pHash (images): 2 removed." in text
    assert "No near-duplicate removal" not in text and "MinHash" not in text
    assert "- Exact deduplication: 1 duplicates removed." in text
    other = data["data_processing_aspects"]["other_information"]
    assert other["near_duplicates_removed"] == 2
    assert other["near_duplicates_removed_by_method"] == {"phash": 2}
    assert other["near_dedup"]["stages[2]"]["method"] == "phash"

    # the card the build wrote says the same
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "Near-duplicate images (perceptual hash" in card and "MinHash" not in card


def test_a_build_without_near_dedup_says_so(tmp_path):
    write_collection(tmp_path / "museum")
    config = tmp_path / "images.yaml"
    config.write_text(f"""name: images
output: {tmp_path / 'out'}
sources:
  - name: museum
    read: {{format: images, paths: ["{tmp_path / 'museum'}/metadata.jsonl"]}}
    fields: {{caption: caption, license: license, url: url}}
stages:
  - dedup: {{method: exact}}
""")
    out = build_with_cli(config)
    text = (out / "training-data-summary.md").read_text(encoding="utf-8")
    data = json.loads((out / "training-data-summary.json").read_text(encoding="utf-8"))
    assert "- No near-duplicate removal." in text
    assert data["data_processing_aspects"]["other_information"]["near_duplicates_removed_by_method"] == {}
