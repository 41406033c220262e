"""Images: probing bytes, the perceptual hash, and the image reader (sidecar JSONL/CSV + image files).

Every picture is drawn by the test with Pillow and numpy (gradients, shapes,
seeded noise, text in Pillow's default font); nothing is committed and
nothing reaches the network.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import uuid
import warnings
import zlib
from pathlib import Path

import fsspec
import numpy as np
import orjson
import pytest
import xxhash
from PIL import Image, ImageDraw, ImageEnhance, features

from pdcorpus.imaging import (
    MAX_PIXELS,
    ImageError,
    ImageInfo,
    analyze,
    from_hex,
    hamming,
    phash,
    phash_hex,
    probe,
    to_hex,
)
from pdcorpus.io.images import ImageReader, is_csv, read_images
from pdcorpus.io.readers import expand_paths
from pdcorpus.record import Record, records_to_table, table_to_records
from pdcorpus.stages.base import Reject

HAS_WEBP = features.check("webp")

# -- pictures -------------------------------------------------------------------------------------------


def picture(seed: int, size: tuple[int, int] = (320, 240), text: str | None = None) -> Image.Image:
    """A synthetic photograph: smooth colour waves, a few filled shapes, seeded noise, maybe a caption."""
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w] / max(w, h)
    base = np.empty((h, w, 3))
    for c in range(3):
        fx, fy = rng.uniform(-3, 3, 2)
        base[..., c] = 128 + 100 * np.sin(2 * np.pi * (fx * x + fy * y) + rng.uniform(0, 2 * np.pi))
    im = Image.fromarray(base.clip(0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x0, y0 = int(rng.integers(-w // 4, w)), int(rng.integers(-h // 4, h))
        x1, y1 = x0 + int(rng.integers(w // 8, w // 2)), y0 + int(rng.integers(h // 8, h // 2))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=colour)
    if text:
        draw.text((w // 10, h // 2), text, fill=(0, 0, 0))
    noisy = np.asarray(im, dtype=np.float64) + rng.normal(0, 10, (h, w, 3))
    return Image.fromarray(noisy.clip(0, 255).astype(np.uint8))


def text_card(words: str, size: tuple[int, int] = (240, 160)) -> Image.Image:
    """Black text in the default font on a light gradient: a scanned-page look."""
    w, h = size
    ramp = np.linspace(200, 255, w, dtype=np.float64)[None, :].repeat(h, 0)
    im = Image.fromarray(ramp.astype(np.uint8)).convert("RGB")
    draw = ImageDraw.Draw(im)
    for i, line in enumerate(words.split("|")):
        draw.text((10, 10 + 18 * i), line, fill=(0, 0, 0))
    draw.rectangle((w - 70, h - 60, w - 10, h - 10), outline=(20, 20, 20), width=4)
    return im


def encode(im: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **options)
    return out.getvalue()


def png(im: Image.Image) -> bytes:
    return encode(im, "PNG")


def jpeg(im: Image.Image, quality: int = 90, **options) -> bytes:
    return encode(im.convert("RGB") if im.mode not in ("RGB", "L", "CMYK") else im, "JPEG",
                  quality=quality, **options)


BASES = {
    "waves-1": picture(1),
    "waves-2": picture(2, (400, 300)),
    "waves-3": picture(3, (300, 400)),
    "with-text": picture(4, text="Public domain, 1871"),
    "text-card": text_card("THE ORIGIN OF SPECIES|by Charles Darwin|London, 1859|John Murray"),
}


# -- probe ----------------------------------------------------------------------------------------------

FORMATS = [
    ("PNG", {}, "image/png"),
    ("JPEG", {"quality": 85}, "image/jpeg"),
    ("GIF", {}, "image/gif"),
    ("TIFF", {}, "image/tiff"),
    ("BMP", {}, "image/bmp"),
    pytest.param("WEBP", {"quality": 80}, "image/webp",
                 marks=pytest.mark.skipif(not HAS_WEBP, reason="Pillow built without WebP")),
]


@pytest.mark.parametrize("fmt, options, mime", FORMATS)
def test_probe_gives_size_format_and_mime(fmt, options, mime):
    im = picture(7, (123, 45))
    data = encode(im, fmt, **options)
    info = probe(data)
    assert info == ImageInfo(width=123, height=45, mime_type=mime, format=fmt)
    # Header only: the same answer.
    assert probe(data, verify=False) == info


def test_probe_and_phash_of_a_multi_picture_jpeg():
    # Cameras write MPO (a JPEG with more pictures after it): a JPEG to any decoder, and hashed as its first.
    first, second = picture(5), picture(6)
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert probe(data) == ImageInfo(320, 240, "image/jpeg", "MPO")
    assert hamming(phash(data), phash(png(first))) <= 2
    assert hamming(phash(data), phash(png(second))) > 8


def test_probe_modes_that_are_not_rgb():
    assert probe(png(picture(8, (64, 32)).convert("P"))).mime_type == "image/png"
    assert probe(jpeg(picture(8, (64, 32)).convert("CMYK"))) == ImageInfo(64, 32, "image/jpeg", "JPEG")
    sixteen = Image.fromarray((np.arange(50 * 70).reshape(50, 70) * 18).astype(np.uint16))
    assert probe(png(sixteen)) == ImageInfo(70, 50, "image/png", "PNG")


@pytest.mark.parametrize("data, detail", [
    (b"", "no bytes"),
    (b"hello, I am a text file\n" * 20, "not a format"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "not a format"),
    (orjson.dumps({"caption": "a cat"}), "not a format"),
])
def test_probe_not_an_image(data, detail):
    with pytest.raises(ImageError) as err:
        probe(data)
    assert err.value.reason == "not-an-image"
    assert detail in err.value.detail
    with pytest.raises(ImageError) as err:
        phash(data)
    assert err.value.reason == "not-an-image"


def test_probe_truncated_jpeg_and_png():
    data = jpeg(picture(9), quality=95)
    for cut in (len(data) // 2, len(data) - 200):
        with pytest.raises(ImageError) as err:
            probe(data[:cut])
        assert err.value.reason == "truncated-image", err.value
    # The header alone does not tell: verify=False is for when the bytes were checked elsewhere.
    assert probe(data[: len(data) // 2], verify=False).width == 320
    # Cut inside the header: Pillow cannot even read the size.
    with pytest.raises(ImageError) as err:
        probe(data[:40])
    assert err.value.reason == "truncated-image"
    data = png(picture(9))
    with pytest.raises(ImageError) as err:
        probe(data[: len(data) // 2])
    assert err.value.reason == "truncated-image"
    # phash decodes, so it notices too.
    with pytest.raises(ImageError) as err:
        phash(data[: len(data) // 2])
    assert err.value.reason == "truncated-image"


def test_probe_too_large():
    data = png(picture(10, (300, 200)))
    assert probe(data, max_pixels=300 * 200).width == 300
    with pytest.raises(ImageError) as err:
        probe(data, max_pixels=300 * 200 - 1)
    assert err.value.reason == "too-large"
    assert "300x200 = 60000 pixels > 59999" in err.value.detail
    with pytest.raises(ImageError) as err:
        phash(data, max_pixels=1000)
    assert err.value.reason == "too-large"
    assert probe(data, max_pixels=None).height == 200
    assert MAX_PIXELS == 178_956_970


def _png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its (1x1) pixel data does not have."""
    data = bytearray(png(Image.new("L", (1, 1))))
    data[16:24] = width.to_bytes(4, "big") + height.to_bytes(4, "big")  # IHDR width, height
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")  # the IHDR CRC, which Pillow checks
    return bytes(data)


def test_probe_too_large_is_found_from_the_header_alone():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no DecompressionBombWarning leaks out
        # 144 Mpx: over Image.MAX_IMAGE_PIXELS (where Pillow warns), under our default limit (where it refuses).
        assert probe(_png_claiming(12000, 12000), verify=False).width == 12000
        with pytest.raises(ImageError) as err:
            probe(_png_claiming(12000, 12000), max_pixels=100_000_000)
        assert err.value.reason == "too-large"
        assert "12000x12000 = 144000000 pixels > 100000000" in err.value.detail
        # 225 Mpx: over the default limit, which is Pillow's own.
        with pytest.raises(ImageError) as err:
            probe(_png_claiming(15000, 15000))
        assert err.value.reason == "too-large"
        assert "225000000 pixels" in err.value.detail
        # A higher limit of ours lifts Pillow's for that image; the process-wide setting is left as it was.
        pillow_limit = Image.MAX_IMAGE_PIXELS
        assert probe(_png_claiming(15000, 15000), max_pixels=None, verify=False).height == 15000
        assert probe(_png_claiming(15000, 15000), max_pixels=300_000_000, verify=False).height == 15000
        assert Image.MAX_IMAGE_PIXELS == pillow_limit
        with pytest.raises(ImageError) as err:
            phash(_png_claiming(15000, 15000), max_pixels=200_000_000)
        assert err.value.reason == "too-large"


# -- phash: stable -----------------------------------------------------------------------------------


def test_phash_identical_bytes_identical_hash_and_hex_form():
    data = png(BASES["waves-1"])
    h = phash(data)
    assert h == phash(bytes(data)) == phash(data)
    assert 0 <= h < 1 << 64
    assert phash_hex(data) == f"{h:016x}" == to_hex(h)
    assert len(phash_hex(data)) == 16 and from_hex(phash_hex(data)) == h
    assert hamming(h, h) == 0
    assert hamming(0, (1 << 64) - 1) == 64
    assert hamming(0b1011, 0b0110) == 3


def _reference_bits(data: bytes) -> list[bool]:
    """The documented algorithm written out the slow way: 32x32 thumbnail, DCT-II by its definition."""
    im = Image.open(io.BytesIO(data)).convert("L")
    a = np.asarray(im.resize((32, 32), Image.Resampling.LANCZOS, reducing_gap=3.0), dtype=np.float64)
    n = 32
    coeff = np.zeros((8, 8))
    for u in range(8):
        for v in range(8):
            total = 0.0
            for y in range(n):
                for x in range(n):
                    total += (a[y, x] * np.cos(np.pi * (2 * y + 1) * u / (2 * n))
                              * np.cos(np.pi * (2 * x + 1) * v / (2 * n)))
            cu = np.sqrt(1 / n) if u == 0 else np.sqrt(2 / n)
            cv = np.sqrt(1 / n) if v == 0 else np.sqrt(2 / n)
            coeff[u, v] = cu * cv * total
    flat = list(coeff.ravel())
    median = float(np.median(flat[1:]))  # DC left out of the median
    return [c > median for c in flat]  # row-major, DC first


def test_phash_bit_order_and_dc_choice_as_documented():
    data = png(BASES["with-text"])
    bits = _reference_bits(data)
    expected = sum(1 << (63 - i) for i, bit in enumerate(bits) if bit)
    assert phash(data) == expected
    assert bool(bits[0]) is True  # the DC bit: set for any picture that is not black
    assert sum(bits[1:]) == 31  # the 63 AC bits split at their median


def test_phash_flat_pictures():
    # A flat picture has no AC energy: only the DC bit, or nothing at all for black.
    assert phash(png(Image.new("RGB", (50, 40), (255, 255, 255)))) == 1 << 63
    assert phash(png(Image.new("RGB", (64, 64), (90, 140, 200)))) == 1 << 63
    assert phash(jpeg(Image.new("RGB", (640, 480), (90, 140, 200)))) == 1 << 63
    assert phash(png(Image.new("L", (64, 64), 0))) == 0


def test_phash_golden_value():
    # Pins the whole recipe (grayscale, Lanczos 32x32, orthonormal DCT, median, bit order) for a picture
    # made of numpy arithmetic alone, stored losslessly. If this changes, stored hashes are invalidated.
    y, x = np.mgrid[0:96, 0:128]
    a = 127 + 60 * np.sin(x / 9.0) + 60 * np.cos(y / 13.0) * (x > 40)
    data = png(Image.fromarray(a.clip(0, 255).astype(np.uint8)))
    assert phash_hex(data) == GOLDEN


GOLDEN = "f8718e8e718e718c"  # Pillow 13.0; the same as _reference_bits gives for this picture


def test_phash_deterministic_across_processes(tmp_path):
    datas = {name: jpeg(im) for name, im in BASES.items()}
    for name, data in datas.items():
        (tmp_path / f"{name}.jpg").write_bytes(data)
    script = ("import json, pathlib, sys\nfrom pdcorpus.imaging import phash_hex\n"
              "d = pathlib.Path(sys.argv[1])\n"
              "print(json.dumps({p.stem: phash_hex(p.read_bytes()) for p in sorted(d.glob('*.jpg'))}))\n")
    runs = [json.loads(subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                                      text=True, check=True).stdout) for _ in range(2)]
    here = {name: phash_hex(data) for name, data in datas.items()}
    assert runs[0] == runs[1] == here


# -- phash: near copies are near, different pictures are far --------------------------------------------


def _rotated_with_tag(im: Image.Image, orientation: int, fmt: str = "JPEG") -> bytes:
    """The picture stored sideways (or mirrored), with the EXIF Orientation that puts it upright again."""
    undo = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_270}[orientation]
    exif = Image.Exif()
    exif[0x0112] = orientation
    if fmt == "JPEG":
        return jpeg(im.transpose(undo), quality=90, exif=exif.tobytes())
    return encode(im.transpose(undo), fmt, exif=exif.tobytes())


def _variants(im: Image.Image) -> dict[str, bytes]:
    half = im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS)
    return {
        "jpeg-q60": jpeg(im, quality=60),
        "png-to-jpeg": jpeg(Image.open(io.BytesIO(png(im)))),
        "resized-50%": png(half),
        "resized-50%-jpeg": jpeg(half, quality=75),
        "brightened-10%": png(ImageEnhance.Brightness(im).enhance(1.1)),
        "contrast-10%": jpeg(ImageEnhance.Contrast(im).enhance(1.1)),
        "exif-rotated-6": _rotated_with_tag(im, 6),
        "exif-rotated-8": _rotated_with_tag(im, 8),
        "exif-rotated-3": _rotated_with_tag(im, 3),
        "exif-mirrored-2": _rotated_with_tag(im, 2),
        "exif-transposed-5": _rotated_with_tag(im, 5),
        "exif-rotated-6-png": _rotated_with_tag(im, 6, "PNG"),
        "exif-rotated-8-webp": _rotated_with_tag(im, 8, "WEBP" if HAS_WEBP else "PNG"),
        "tiff-orientation-6": encode(im.transpose(Image.Transpose.ROTATE_90), "TIFF", tiffinfo={0x0112: 6}),
        "palette": png(im.quantize(256)),
        "cmyk-jpeg": jpeg(im.convert("CMYK"), quality=90),
        "webp": encode(im, "WEBP", quality=80) if HAS_WEBP else png(im),
    }


@pytest.mark.parametrize("name", list(BASES))
def test_phash_near_copies_are_within_8_bits(name):
    im = BASES[name]
    original = phash(png(im))
    distances = {kind: hamming(original, phash(data)) for kind, data in _variants(im).items()}
    assert max(distances.values()) <= 8, distances
    # EXIF orientation matters: the same sideways copy without its tag is far from the upright picture.
    sideways = phash(jpeg(im.transpose(Image.Transpose.ROTATE_90)))
    assert hamming(original, sideways) > 12


def test_phash_draft_decoding_agrees_with_full_decoding():
    big = picture(11, (1024, 768))
    data = jpeg(big, quality=88)
    assert hamming(phash(data), phash(data, draft=False)) <= 4
    assert hamming(phash(data), phash(png(big))) <= 6


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "TIFF"])
def test_analyze_is_probe_and_phash_in_one_decode(fmt):
    im = picture(13, (150, 100))
    data = encode(im.convert("RGB"), fmt)
    assert analyze(data) == (probe(data), phash(data))
    assert analyze(data)[0].width == 150
    with pytest.raises(ImageError) as err:
        analyze(data[: len(data) * 2 // 3])
    assert err.value.reason == "truncated-image"


def test_phash_different_pictures_are_far_apart():
    hashes = [phash(jpeg(picture(100 + i, (256, 192)))) for i in range(30)]
    distances = sorted(hamming(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1:])
    assert len(distances) == 435
    # For independent pictures the 63 AC bits agree by chance: mean ~31.5, sd ~4.
    assert 28 <= np.mean(distances) <= 35, np.mean(distances)
    assert distances[0] >= 16, distances[:10]  # well above the near-copy distances (<= 8)
    assert np.percentile(distances, 5) >= 22


def test_phash_transparency_is_composited_on_white():
    # A drawing on a transparent background hashes like the same drawing on white paper, whatever colour
    # the transparent pixels happen to hold.
    w, h = 200, 150
    ink = picture(12, (w, h))
    alpha = Image.new("L", (w, h), 0)
    ImageDraw.Draw(alpha).ellipse((30, 20, 170, 130), fill=255)
    ImageDraw.Draw(alpha).rectangle((0, 0, 60, 40), fill=255)
    rgba = ink.copy()
    rgba.putalpha(alpha)
    black_under = Image.merge("RGBA", (*Image.composite(ink, Image.new("RGB", (w, h)), alpha).split(), alpha))
    on_white = Image.new("RGB", (w, h), (255, 255, 255))
    on_white.paste(ink, (0, 0), alpha)
    target = phash(png(on_white))
    assert hamming(phash(png(rgba)), target) <= 2
    assert hamming(phash(png(black_under)), target) <= 2
    # Dropping alpha instead (what a plain convert("L") does) gives another picture.
    assert hamming(phash(png(black_under.convert("RGB"))), target) > 8
    # Palette with a transparent index, and gray + alpha, go the same way.
    assert hamming(phash(encode(rgba, "GIF")), target) <= 8
    assert hamming(phash(png(rgba.convert("LA"))), target) <= 2


def test_phash_sixteen_bit_is_scaled_not_clipped():
    gray8 = BASES["waves-2"].convert("L")
    gray16 = Image.fromarray(np.asarray(gray8).astype(np.uint16) * 257)
    assert gray16.mode == "I;16"
    h8, h16 = phash(png(gray8)), phash(png(gray16))
    assert hamming(h8, h16) <= 2
    assert h16 != 1 << 63  # clipping to 255 would have flattened it
    f32 = Image.fromarray(np.asarray(gray8).astype(np.float32) / 255.0)  # 0..1 floats, as TIFF may store
    assert hamming(phash(encode(f32, "TIFF")), h8) <= 2


# -- the image reader ----------------------------------------------------------------------------------


SOURCE = "pics"


def _write_pictures(folder: Path) -> dict[str, bytes]:
    """Good and bad image files; returns the bytes of each file written."""
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    files = {
        "a.png": png(picture(20, (64, 48))),
        "b.jpg": jpeg(picture(21, (80, 60))),
        "sub/c.gif": encode(picture(22, (40, 30)), "GIF"),
        "d.tiff": encode(text_card("PLATE IV", (50, 70)), "TIFF"),
        "notes.jpg": b"these are my notes, not a picture\n",
        "trunc.jpg": jpeg(picture(23, (120, 90)), quality=95)[:1500],
        "big.png": png(picture(24, (300, 300))),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


SIDECAR = [
    {"file_name": "a.png", "caption": "Waves and shapes", "license": "CC0 1.0", "url": "https://example.org/a",
     "collection": "tests", "width": 9999},
    {"file_name": "b.jpg", "id": "bee", "license": "Public Domain Mark 1.0"},  # no caption: still a record
    {"file_name": "sub/c.gif", "caption": "   ", "license": "CC0"},  # blank caption: none
    {"file_name": "nope.png", "caption": "a missing file"},
    {"file_name": "notes.jpg", "caption": "not a picture"},
    {"file_name": "trunc.jpg", "caption": "cut short"},
    {"file_name": "big.png", "caption": "too many pixels"},
    {"caption": "names no image"},
    {"file_name": "d.tiff", "caption": 42},
    {"file": "d.tiff", "caption": "A plate", "author": "Anon."},  # 'file' instead of 'file_name'
]


def _sidecar_bytes(rows: list) -> bytes:
    lines = [orjson.dumps(r) for r in rows]
    lines.insert(3, b'{"file_name": "a.png", "caption": "broken')  # line 4: malformed JSON
    lines.insert(4, b'{"file_name": "a.png", "caption": "caf\xe9"}')  # line 5: Latin-1, not UTF-8
    lines.insert(5, b"")  # line 6: blank, skipped
    lines.insert(6, b'["a.png", "a list"]')  # line 7: not an object
    return b"\n".join(lines) + b"\n"


def _collect(reader_or_none=None):
    rejects: list[Reject] = []
    return rejects, rejects.append


def _meta(**values) -> str:
    return json.dumps(values, sort_keys=True, separators=(",", ":"))


def test_image_reader_jsonl_sidecar(tmp_path):
    files = _write_pictures(tmp_path / "imgs")
    sidecar = tmp_path / "imgs" / "meta.jsonl"
    sidecar.write_bytes(_sidecar_bytes(SIDECAR))
    rejects, sink = _collect()
    reader = ImageReader(SOURCE, max_pixels=200 * 200, on_reject=sink)
    (found,) = expand_paths([str(sidecar)])
    records = list(reader.read_all([found]))

    assert [r.id for r in records] == ["pics:a", "pics:bee", "pics:sub/c", "pics:d"]
    a, b, c, d = records
    for record, name in zip(records, ["a.png", "b.jpg", "sub/c.gif", "d.tiff"]):
        assert record.image == {"bytes": files[name], "path": name}
        assert record.content_hash == xxhash.xxh3_128_hexdigest(files[name])
        assert record.source == SOURCE and record.text is None
    assert (a.caption, a.license_raw, a.url) == ("Waves and shapes", "CC0 1.0", "https://example.org/a")
    # Measured facts win over the sidecar's own 'width'; unmapped fields are kept; keys sorted.
    assert a.metadata == _meta(collection="tests", height=48, mime_type="image/png", width=64)
    assert (b.caption, b.license_raw, b.url) == (None, "Public Domain Mark 1.0", None)
    assert b.metadata == _meta(height=60, mime_type="image/jpeg", width=80)
    assert c.caption is None and c.meta() == {"height": 30, "mime_type": "image/gif", "width": 40}
    assert (d.caption, d.author) == ("A plate", "Anon.")
    assert d.meta() == {"height": 70, "mime_type": "image/tiff", "width": 50}

    name = str(sidecar)
    assert [(r.reason, r.file, r.line, r.id) for r in rejects] == [
        ("malformed-json", name, 4, None),
        ("invalid-utf8", name, 5, None),
        ("not-an-object", name, 7, None),
        ("missing-image", name, 8, "pics:nope"),
        ("not-an-image", name, 9, "pics:notes"),
        ("truncated-image", name, 10, "pics:trunc"),
        ("too-large", name, 11, "pics:big"),
        ("missing-image-field", name, 12, None),
        ("text-not-a-string", name, 13, "pics:d"),
    ]
    assert all(r.stage == "read" and r.source == SOURCE for r in rejects)
    assert "nope.png" in rejects[3].detail
    assert "300x300" in rejects[6].detail
    stats = reader.stats.to_dict()
    assert (stats["records_in"], stats["records_out"]) == (13, 4)
    assert stats["dropped"] == {"invalid-utf8": 1, "malformed-json": 1, "missing-image": 1,
                                "missing-image-field": 1, "not-an-image": 1, "not-an-object": 1,
                                "text-not-a-string": 1, "too-large": 1, "truncated-image": 1}


def test_image_reader_csv_sidecar_with_the_config_mapping(tmp_path):
    files = _write_pictures(tmp_path / "imgs")
    sidecar = tmp_path / "imgs" / "captions.csv"
    sidecar.write_bytes(
        b"file_name,caption,license,url,photographer\n"
        b'a.png,"Waves, shapes\nand noise",CC0-1.0,https://example.org/a,Ann\n'   # lines 2-3
        b"b.jpg,,Public Domain Mark 1.0,,\n"                                        # line 4: no caption
        b"missing.jpg,Gone,CC0-1.0,,\n"                                              # line 5
        b"notes.jpg,Notes,CC0-1.0,,\n"                                               # line 6
        b",No file,CC0-1.0,,\n"                                                      # line 7
        b"sub/c.gif,Too,many,fields,here,!\n"                                        # line 8
        b"sub/c.gif,Gif,CC0-1.0,,Bob\n"                                              # line 9
    )
    fields = {"id": "file_name", "caption": "caption", "license": "license", "url": "url", "image": "file_name"}
    rejects: list[Reject] = []
    records = list(read_images(str(sidecar), source=SOURCE, fields=fields, on_reject=rejects.append))
    assert [(r.id, r.caption, r.license_raw, r.url) for r in records] == [
        ("pics:a.png", "Waves, shapes\nand noise", "CC0-1.0", "https://example.org/a"),
        ("pics:b.jpg", None, "Public Domain Mark 1.0", None),
        ("pics:sub/c.gif", "Gif", "CC0-1.0", None),
    ]
    assert [r.image["bytes"] for r in records] == [files["a.png"], files["b.jpg"], files["sub/c.gif"]]
    assert [r.image["path"] for r in records] == ["a.png", "b.jpg", "sub/c.gif"]
    assert records[0].metadata == _meta(height=48, mime_type="image/png", photographer="Ann", width=64)
    # An empty CSV cell is a null, kept in metadata as the CSV reader keeps it.
    assert records[1].meta() == {"height": 60, "mime_type": "image/jpeg", "photographer": None, "width": 80}
    assert [(r.reason, r.line, r.id) for r in rejects] == [
        ("missing-image", 5, "pics:missing.jpg"),
        ("not-an-image", 6, "pics:notes.jpg"),
        ("missing-image-field", 7, None),
        ("malformed-csv", 8, None),
    ]
    assert {r.file for r in rejects} == {str(sidecar)}


def test_image_reader_records_survive_the_parquet_schema(tmp_path):
    files = _write_pictures(tmp_path / "imgs")
    (tmp_path / "imgs" / "meta.jsonl").write_bytes(orjson.dumps({"file_name": "a.png", "caption": "x"}) + b"\n")
    records = list(read_images(str(tmp_path / "imgs" / "*.jsonl"), source=SOURCE))
    back = list(table_to_records(records_to_table(records)))
    assert back == records
    assert back[0].image == {"bytes": files["a.png"], "path": "a.png"}
    assert isinstance(back[0], Record)


def test_image_reader_from_memory_filesystem():
    root = f"memory://pdcorpus-images-{uuid.uuid4().hex}"
    fs = fsspec.filesystem("memory")
    datas = {"one.png": png(picture(30, (32, 32))), "deep/two.jpg": jpeg(picture(31, (48, 32)))}
    for name, data in datas.items():
        with fs.open(f"{root}/set/{name}", "wb") as fh:
            fh.write(data)
    with fs.open(f"{root}/set/meta.jsonl", "wb") as fh:
        fh.write(b'{"path": "one.png", "caption": "One"}\n{"path": "deep/two.jpg"}\n{"path": "three.png"}\n')
    with fs.open(f"{root}/set/more.csv", "wb") as fh:
        fh.write(b"file,caption\none.png,Again\n")
    rejects: list[Reject] = []
    records = list(read_images([f"{root}/set/*.jsonl", f"{root}/set/*.csv"], source=SOURCE,
                               on_reject=rejects.append))
    # Files in sorted order: meta.jsonl, then more.csv.
    assert [(r.id, r.caption) for r in records] == [("pics:one", "One"), ("pics:deep/two", None),
                                                    ("pics:one", "Again")]
    assert [r.image for r in records] == [{"bytes": datas["one.png"], "path": "one.png"},
                                          {"bytes": datas["deep/two.jpg"], "path": "deep/two.jpg"},
                                          {"bytes": datas["one.png"], "path": "one.png"}]
    assert records[1].meta() == {"height": 32, "mime_type": "image/jpeg", "width": 48}
    meta_url = expand_paths([f"{root}/set/meta.jsonl"])[0].url
    assert meta_url.startswith("memory://") and meta_url.endswith("/set/meta.jsonl")
    assert [(r.reason, r.file, r.line) for r in rejects] == [("missing-image", meta_url, 3)]


def test_image_reader_absolute_paths_and_urls(tmp_path):
    files = _write_pictures(tmp_path / "imgs")
    root = f"memory://pdcorpus-images-{uuid.uuid4().hex}"
    with fsspec.open(f"{root}/elsewhere.png", "wb") as fh:
        fh.write(files["a.png"])
    sidecar = tmp_path / "meta" / "rows.jsonl"
    sidecar.parent.mkdir()
    sidecar.write_bytes(orjson.dumps({"file_name": str(tmp_path / "imgs" / "b.jpg"), "caption": "absolute"})
                        + b"\n" + orjson.dumps({"file_name": f"{root}/elsewhere.png", "caption": "url"}) + b"\n"
                        + orjson.dumps({"file_name": "../imgs/sub/c.gif", "caption": "relative, up"}) + b"\n")
    # names outside the sidecar's folder are read only when the source allows it (issue 9, bullet 10)
    records = list(read_images(str(sidecar), source=SOURCE, allow_outside_paths=True))
    assert [(r.id, r.caption, r.image["bytes"]) for r in records] == [
        ("pics:b", "absolute", files["b.jpg"]),
        ("pics:elsewhere", "url", files["a.png"]),
        ("pics:../imgs/sub/c", "relative, up", files["sub/c.gif"]),
    ]


def test_image_reader_options(tmp_path):
    files = _write_pictures(tmp_path / "imgs")
    sidecar = tmp_path / "imgs" / "meta.jsonl"
    sidecar.write_bytes(b'{"picture": {"name": "a.png"}, "caption": "nested"}\n'
                        b'{"picture": {"name": "big.png"}, "caption": "big"}\n'
                        b'{"picture": {"name": "trunc.jpg"}, "caption": "cut"}\n')
    rejects: list[Reject] = []
    reader = ImageReader(SOURCE, fields={"image": "picture.name"}, max_image_bytes=len(files["big.png"]) - 1,
                         verify=False, metadata=["picture.name"], on_reject=rejects.append)
    records = list(reader.read_all(expand_paths([str(sidecar)])))
    # verify=False takes the truncated JPEG on its header's word; max_image_bytes stops big.png unread.
    assert [r.id for r in records] == ["pics:a", "pics:trunc"]
    assert records[0].image["path"] == "a.png"
    assert records[0].meta() == {"height": 48, "mime_type": "image/png", "picture.name": "a.png", "width": 64}
    assert [(r.reason, r.line) for r in rejects] == [("too-large", 2)]
    assert "max_image_bytes" in rejects[0].detail
    # 'image' is taken by the image reader; other unknown columns are still refused.
    with pytest.raises(ValueError, match="cannot map"):
        ImageReader(SOURCE, fields={"image": "f", "thumbnail": "t"})


def test_is_csv():
    assert is_csv("a/b.csv") and is_csv("memory://x/B.CSV.gz") and is_csv("x.csv.zst")
    assert not is_csv("a/b.jsonl") and not is_csv("a/b.jsonl.gz") and not is_csv("csv/data.json")
