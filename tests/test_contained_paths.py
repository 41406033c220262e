"""File names that come from data stay inside the folder they were listed in (issue 9, bullet 10).

A sidecar row (often from downloaded metadata) naming ``/etc/hostname``, ``../../x.png`` or a symlink that
points out of the folder must not put that file into a published corpus: the row is set aside as
``path-outside-folder`` with the sidecar's file and line, unless the source says ``allow_outside_paths: true``.
A text-folder listing is held to the same rule.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path

import fsspec
import pyarrow.parquet as pq
from PIL import Image

import pdcorpus


def png(seed: int, size: tuple[int, int] = (32, 24)) -> bytes:
    image = Image.new("RGB", size)
    image.putdata([((x * 7 + seed * 31) % 256, (y * 11 + seed * 17) % 256, (x * y + seed) % 256)
                   for y in range(size[1]) for x in range(size[0])])
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def rows_of(out: Path) -> list[dict]:
    return [row for path in sorted((out / "data").rglob("*.parquet")) for row in pq.read_table(path).to_pylist()]


def rejects_of(out: Path) -> list[dict]:
    found = []
    for path in sorted((out / "rejects").glob("*.jsonl")):
        found += [json.loads(x) for x in path.read_text().splitlines()]
    return found


def layout(root: Path) -> Path:
    """root/x.png and root/outside/y.png are outside the folder root/data/imgs that the sidecar lists."""
    imgs = root / "data" / "imgs"
    imgs.mkdir(parents=True)
    (imgs / "a.png").write_bytes(png(1))
    (root / "x.png").write_bytes(png(2))
    (root / "outside").mkdir()
    (root / "outside" / "y.png").write_bytes(png(3))
    os.symlink(root / "outside" / "y.png", imgs / "link.png")
    os.symlink(root / "outside", imgs / "linked-dir")
    (imgs / "sub").mkdir()
    (imgs / "sub" / "b.png").write_bytes(png(4))
    names = ["a.png", "/etc/hostname", "../../x.png", "link.png", "linked-dir/y.png",
             f"file://{root}/x.png", "sub/../sub/b.png"]
    (imgs / "meta.jsonl").write_text("".join(json.dumps({"id": f"r{i}", "file_name": n, "caption": f"row {i}"}) + "\n"
                                             for i, n in enumerate(names, 1)))
    letters = root / "data" / "letters"
    letters.mkdir()
    (letters / "mine.txt").write_text("A letter that belongs to this folder.\n")
    (root / "secret.txt").write_text("A file that does not belong to the corpus.\n")
    os.symlink(root / "secret.txt", letters / "borrowed.txt")
    return imgs


def config(root: Path, out: Path, allow: bool) -> Path:
    option = ", allow_outside_paths: true" if allow else ""
    path = root / f"corpus-{allow}.yaml"
    path.write_text(
        f"name: paths\noutput: {out}\n"
        "sources:\n"
        f"  - name: pics\n    read: {{format: images, paths: ['{root}/data/imgs/meta.jsonl']{option}}}\n"
        f"  - name: letters\n    read: {{format: text, paths: ['{root}/data/letters/*.txt']{option}}}\n"
        "stages: []\n")
    return path


def test_names_leading_out_of_the_folder_are_set_aside_with_file_and_line(tmp_path):
    imgs = layout(tmp_path)
    out = tmp_path / "out"
    pdcorpus.build(config(tmp_path, out, allow=False), workers=1, progress=False)
    assert sorted(r["id"] for r in rows_of(out)) == ["letters:mine", "pics:r1", "pics:r7"]
    outside = sorted(((r["file"], r["line"], r["id"]) for r in rejects_of(out) if r["reason"] == "path-outside-folder"),
                     key=lambda x: (x[0], x[1] or 0))
    sidecar = str(imgs / "meta.jsonl")
    assert outside == [(sidecar, 2, "pics:r2"), (sidecar, 3, "pics:r3"), (sidecar, 4, "pics:r4"),
                       (sidecar, 5, "pics:r5"), (sidecar, 6, "pics:r6"),
                       (str(tmp_path / "data/letters/borrowed.txt"), None, "letters:borrowed")]
    details = {r["id"]: r["detail"] for r in rejects_of(out)}
    assert "absolute path" in details["pics:r2"] and "'..'" in details["pics:r3"]
    assert "symlink" in details["pics:r4"] and "symlink" in details["pics:r5"] and "URL" in details["pics:r6"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["dropped"] == {"read:path-outside-folder": 6}
    # nothing of the files outside reached the corpus
    blobs = [r["image"]["bytes"] for r in rows_of(out) if r["image"]]
    assert (tmp_path / "x.png").read_bytes() not in blobs and (tmp_path / "outside/y.png").read_bytes() not in blobs


def test_allow_outside_paths_reads_them_as_before(tmp_path):
    layout(tmp_path)
    out = tmp_path / "out"
    pdcorpus.build(config(tmp_path, out, allow=True), workers=1, progress=False)
    rows = {r["id"]: r for r in rows_of(out)}
    assert sorted(rows) == ["letters:borrowed", "letters:mine", "pics:r1", "pics:r3", "pics:r4", "pics:r5",
                            "pics:r6", "pics:r7"]
    assert rows["pics:r3"]["image"]["bytes"] == (tmp_path / "x.png").read_bytes()
    assert rows["pics:r4"]["image"]["bytes"] == (tmp_path / "outside/y.png").read_bytes()
    # /etc/hostname is read, and set aside for what it is: not an image
    assert [(r["reason"], r["line"]) for r in rejects_of(out)] == [("not-an-image", 2)]


def test_remote_names_cannot_climb_out_or_be_absolute(tmp_path):
    root = f"memory://pdcorpus-paths-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    for path, data in {"set/imgs/a.png": png(1), "set/x.png": png(2), "set/imgs/sub/b.png": png(4)}.items():
        with fs.open(f"{root}/{path}", "wb") as fh:
            fh.write(data)
    absolute = fsspec.core.url_to_fs(f"{root}/set/x.png")[1]
    names = ["a.png", "../x.png", absolute, "sub/../sub/b.png"]
    with fs.open(f"{root}/set/imgs/meta.jsonl", "wb") as fh:
        fh.write("".join(json.dumps({"file_name": n}) + "\n" for n in names).encode())
    out = tmp_path / "out"
    cfg = tmp_path / "corpus.yaml"
    cfg.write_text(f"name: remote\noutput: {out}\nsources:\n"
                   f"  - name: pics\n    read: {{format: images, paths: ['{root}/set/imgs/meta.jsonl']}}\n"
                   "stages: []\n")
    pdcorpus.build(cfg, workers=1, progress=False)  # in this process: the memory file system is its own
    assert sorted(r["image"]["path"] for r in rows_of(out)) == ["a.png", "sub/../sub/b.png"]
    assert sorted((r["reason"], r["line"]) for r in rejects_of(out)) == [
        ("path-outside-folder", 2), ("path-outside-folder", 3)]
