"""pHash near-dedup at its default ``max_distance`` (4), on images whose hashes are 3, 4 and 5 bits from an
original; and a second release deduplicated by pHash ``against`` the first.

The images are built so that their hash bits are known from the definition of the DCT hash (bit = an
8x8 low-frequency DCT coefficient of the 32x32 grey thumbnail above the median of the 63 AC ones): a
32x32 grey picture ``128 + f(x) + g(y)`` has DCT coefficients only in the first row (from f) and the
first column (from g); the other 49 are zero, so the median is 0, and each bit of the first row and
column is the sign of one cosine in f or g. Flipping the sign of k cosines flips exactly k bits. The
distances are checked with pdcorpus's own hash before they are used.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

import pdcorpus
from pdcorpus.imaging import hamming, phash

SIDE = 32  # the thumbnail size of the hash: the picture is not resampled, so the construction is exact
AMPLITUDE = 8.0


def picture(across: list[int], down: list[int]) -> bytes:
    """A PNG whose pHash bits are the signs given: frequency k of ``across`` (x) and ``down`` (y), k = 1..7."""
    t = np.arange(SIDE)
    cos = lambda k: np.cos(np.pi * (2 * t + 1) * k / (2 * SIDE))  # the DCT-II basis the hash projects on
    f = sum(s * AMPLITUDE * cos(k) for k, s in enumerate(across, 1))
    g = sum(s * AMPLITUDE * cos(k) for k, s in enumerate(down, 1))
    # f and g rounded apart, so that the pixels are exactly a sum of a row and a column (no other coefficient)
    pixels = (128 + np.round(f)[None, :] + np.round(g)[:, None]).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, mode="L").save(out, "PNG")
    return out.getvalue()


def flipped(signs: list[int], which: set[int]) -> list[int]:
    return [-s if k in which else s for k, s in enumerate(signs, 1)]


ACROSS = [1, -1, 1, 1, -1, 1, -1]
DOWN = [-1, 1, 1, -1, 1, -1, 1]


def variants() -> dict[str, bytes]:
    """An original; variants 3, 4 and 5 bits from it, on disjoint bits (so 7 to 9 bits from each other);
    and an unrelated picture."""
    return {
        "orig": picture(ACROSS, DOWN),
        "bits3": picture(flipped(ACROSS, {1, 2, 3}), DOWN),
        "bits4": picture(flipped(ACROSS, {4, 5, 6, 7}), DOWN),
        "bits5": picture(ACROSS, flipped(DOWN, {1, 2, 3, 4, 5})),
        "other": picture([-s for s in ACROSS], [-s for s in DOWN]),
    }


def test_the_variants_are_3_4_and_5_bits_from_the_original_by_pdcorpus_hash():
    images = variants()
    h = {name: phash(data) for name, data in images.items()}
    assert [hamming(h["orig"], h[n]) for n in ("bits3", "bits4", "bits5")] == [3, 4, 5]
    assert hamming(h["bits3"], h["bits4"]) == 7 and hamming(h["bits3"], h["bits5"]) == 8
    assert hamming(h["bits4"], h["bits5"]) == 9 and hamming(h["orig"], h["other"]) == 14


def write_images(folder: Path, images: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in images.items():
        (folder / f"{name}.png").write_bytes(data)
    rows = [{"file_name": f"{name}.png", "caption": f"picture {name}"} for name in sorted(images)]
    (folder / "metadata.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def build(tmp_path: Path, name: str, folder: Path, dedup: str, workers: int = 1) -> tuple[dict, list[dict], list[dict]]:
    config = tmp_path / f"{name}.yaml"
    config.write_text(f"""name: {name}
output: {tmp_path / name}
sources:
  - name: museum
    read: {{format: images, paths: ["{folder}/metadata.jsonl"]}}
    fields: {{caption: caption}}
stages:
  - dedup: {dedup}
""")
    manifest = pdcorpus.build(config, workers=workers, progress=False)
    out = tmp_path / name
    rows = [r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()]
    rejects = [json.loads(line) for f in manifest["rejects"]["files"] for line in (out / f).read_text().splitlines()]
    return manifest, rows, rejects


@pytest.mark.parametrize("workers", [1, 2])
def test_default_max_distance_removes_3_and_4_bits_and_keeps_5(tmp_path, workers):
    write_images(tmp_path / "in", variants())
    manifest, rows, rejects = build(tmp_path, "out", tmp_path / "in", "{method: phash}", workers)
    assert sorted(r["id"] for r in rows) == ["museum:bits5", "museum:orig", "museum:other"]
    assert sorted((r["id"], r["reason"], r["detail"]) for r in rejects) == [
        ("museum:bits3", "near-duplicate", "of museum:orig (cluster of 3)"),
        ("museum:bits4", "near-duplicate", "of museum:orig (cluster of 3)")]
    assert manifest["near_dedup"]["stages[0]"]["max_distance"] == 4
    by_id = {r["id"]: r for r in rows}
    assert (by_id["museum:orig"]["dedup_cluster"], by_id["museum:orig"]["dedup_cluster_size"]) == ("museum:orig", 3)
    assert by_id["museum:bits5"]["dedup_cluster"] is None


def test_a_second_release_drops_images_near_the_first_by_phash(tmp_path):
    images = variants()
    first = {"orig": images["orig"], "other": images["other"]}
    write_images(tmp_path / "r1", first)
    manifest1, rows1, _ = build(tmp_path, "release1", tmp_path / "r1", "{method: phash}")
    assert sorted(r["id"] for r in rows1) == ["museum:orig", "museum:other"]

    # The second release: a 3-bit variant and an exact copy of what was published, and a new picture
    # (5 bits from the published original: not a near-duplicate at the default distance).
    second = {"bits3": images["bits3"], "again": images["other"], "bits5": images["bits5"]}
    write_images(tmp_path / "r2", second)
    manifest2, rows2, rejects2 = build(tmp_path, "release2", tmp_path / "r2",
                                       f"{{method: phash, against: {tmp_path / 'release1'}}}")
    assert [r["id"] for r in rows2] == ["museum:bits5"]
    assert sorted((r["id"], r["reason"], r["detail"]) for r in rejects2) == [
        ("museum:again", "in-previous-release", "near museum:other (cluster of 2)"),
        ("museum:bits3", "in-previous-release", "near museum:orig (cluster of 2)")]
    assert manifest2["previous_release"]["records"] == 2
    stage = next(s for s in manifest2["stages"] if s["stage"].startswith("dedup"))
    assert stage["records_in"] == 3 and stage["dropped"] == {"in-previous-release": 2}
    assert "previous-release" not in manifest2["sources"]
