"""Image-caption corpora end to end: the images reader, exact dedup by bytes, near dedup by pHash."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pdcorpus

from test_images import jpeg, picture, png


def write_collection(folder: Path) -> dict[str, bytes]:
    """Six pictures; a re-encoded and a resized copy of two of them; a byte-identical copy of one."""
    folder.mkdir(parents=True)
    files = {f"pic{i}.png": png(picture(i)) for i in range(6)}
    files["pic0-small.jpg"] = jpeg(picture(0).resize((160, 120)), quality=70)
    files["pic1-recoded.jpg"] = jpeg(picture(1), quality=60)
    files["pic2-copy.png"] = files["pic2.png"]
    for name, data in files.items():
        (folder / name).write_bytes(data)
    rows = [{"file_name": name, "caption": f"A picture, {name}", "license": "https://creativecommons.org/publicdomain/zero/1.0/",
             "url": f"https://example.org/{name}"} for name in sorted(files)]
    rows.append({"file_name": "missing.png", "caption": "gone"})
    (folder / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return files


@pytest.mark.parametrize("workers", [1, 2])
def test_an_image_corpus_is_deduplicated_exactly_and_perceptually(tmp_path, workers):
    files = write_collection(tmp_path / "museum")
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
    manifest = pdcorpus.build(config, workers=workers, progress=False)
    out = tmp_path / "out"
    rows = [r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()]
    assert sorted(r["id"] for r in rows) == [f"museum:pic{i}" for i in range(6)]
    dropped = manifest["dropped"]
    assert dropped["read:missing-image"] == 1
    assert dropped["dedup:exact:duplicate"] == 1           # pic2-copy: the same bytes
    assert dropped["dedup:phash:near-duplicate"] == 2      # the small and the re-encoded copies
    by_id = {r["id"]: r for r in rows}
    assert by_id["museum:pic0"]["dedup_cluster"] == "museum:pic0" and by_id["museum:pic0"]["dedup_cluster_size"] == 2
    assert by_id["museum:pic3"]["dedup_cluster"] is None
    first = by_id["museum:pic0"]
    assert first["image"]["bytes"] == files["pic0.png"] and first["image"]["path"] == "pic0.png"
    assert json.loads(first["metadata"])["width"] == 320 and json.loads(first["metadata"])["mime_type"] == "image/png"
    assert first["license"] == "CC0-1.0" and first["caption"] == "A picture, pic0.png"
    assert manifest["near_dedup"]["stages[2]"]["method"] == "phash"

    import datasets
    ds = datasets.load_dataset("parquet", data_files=str(out / "data/museum/*.parquet"), split="train",
                               cache_dir=str(tmp_path / "hf"))
    assert isinstance(ds.features["image"], datasets.Image)
    assert ds[0]["image"].size == (320, 240)
