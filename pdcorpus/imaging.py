"""Images as bytes: what they are (``probe``) and what they look like (``phash``).

Pure functions over the encoded bytes of one image, with Pillow and numpy only.

``probe`` reads the header (size, format, MIME type) and, unless told not to,
checks that the pixel data is all there; it raises ``ImageError`` with a reason
code (``not-an-image``, ``truncated-image``, ``too-large``) for bytes that are
not an image Pillow can use.

``phash`` is the classic 64-bit DCT perceptual hash: grayscale, 32x32 Lanczos,
2-D DCT-II, the 8x8 lowest frequencies compared with their median. Choices,
fixed here because stored hashes depend on them:

* **Grayscale.** Transparency is composited on white first (a transparent
  PNG hashes as it looks on a white page); palette, CMYK, YCbCr, 1-bit and
  16-bit/float images are converted properly (16-bit is scaled, not clipped).
* **EXIF orientation** is honoured: a copy stored sideways with an
  Orientation tag hashes like the upright picture. The transposition is
  applied to the 32x32 thumbnail rather than to the full image (the same
  result up to rounding, and free).
* **JPEG draft decoding.** A JPEG is decoded by libjpeg at 1/2, 1/4 or 1/8
  scale (``Image.draft``), the smallest that stays at least ``DRAFT_SIZE``
  pixels on each side, before the Lanczos resize. That skips most of the
  inverse DCT and the full-size resize: several times faster, and within a
  couple of bits of the full decode (see ``phash(..., draft=False)``).
* **DC term.** The block is the top-left 8x8 of the DCT *including* the DC
  coefficient (so the hash keeps the standard 8x8 = 64-bit layout), but the
  median is taken over the 63 AC coefficients only: the DC term is 32 x the
  mean brightness, always the largest value, and would only shift the median
  by one place. Every bit is ``coefficient > median``; the DC bit is therefore
  1 for practically every image (0 for an all-black one) and the other 63 bits
  are split about evenly. Coefficients are rounded to 1e-6 first, so a flat
  image (all AC coefficients 0 up to float noise) hashes to a fixed value.
* **Bit order.** Row-major over the 8x8 block (row = vertical frequency,
  column = horizontal frequency); coefficient [0, 0] (DC) is the most
  significant bit (bit 63), [0, 1] bit 62, ..., [7, 7] bit 0. ``phash_hex`` is
  that integer as 16 lower-case hex digits, the convention of the
  ``imagehash`` package. (The values themselves differ from ``imagehash``,
  which uses an unnormalized DCT, includes DC in the median, and neither
  flattens transparency nor applies EXIF orientation.)

Hashes of the same bytes are identical from run to run; near-copies
(re-encoded, resized, slightly brightened) are a few bits apart, unrelated
pictures around 32. Compare with ``hamming``.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFile, JpegImagePlugin

# Pillow's decompression-bomb threshold: it refuses images over 2 x ``Image.MAX_IMAGE_PIXELS`` (89,478,485 by
# default) and only warns between the two. A larger ``max_pixels`` lifts Pillow's check for that one image.
MAX_PIXELS = 178_956_970
HASH_SIZE = 8  # the hash is HASH_SIZE x HASH_SIZE bits
DCT_SIZE = 32  # the thumbnail the DCT runs on
DRAFT_SIZE = 64  # JPEG draft decoding stops reducing at this many pixels a side
REDUCING_GAP = 3.0  # big images are box-reduced first, to >= 3x the thumbnail (Pillow: "indistinguishable")

REASONS = ("not-an-image", "truncated-image", "too-large")


class ImageError(ValueError):
    """Bytes that are not a usable image; ``reason`` is one of ``REASONS``, ``detail`` says more."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    width: int
    height: int
    mime_type: str  # "image/jpeg"
    format: str  # Pillow's name: "JPEG", "PNG", "GIF", "WEBP", "TIFF", ...


def _failure(exc: BaseException) -> ImageError:
    """A Pillow failure as a reason code: running out of bytes is truncation, the rest is not an image."""
    if isinstance(exc, ImageError):
        return exc
    if isinstance(exc, Image.DecompressionBombError):
        return ImageError("too-large", str(exc))
    message = str(exc) or type(exc).__name__
    if isinstance(exc, EOFError) or "truncat" in message.lower():
        return ImageError("truncated-image", message)
    return ImageError("not-an-image", message)


def _open(data: bytes, max_pixels: int | None) -> ImageFile.ImageFile:
    """The image's header read (no pixels decoded yet); ImageError if not an image or too large."""
    if not data:
        raise ImageError("not-an-image", "no bytes")
    try:
        try:
            with warnings.catch_warnings():
                # Between Pillow's limit and twice it, Pillow only warns; our own limit decides.
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            pillow_limit = Image.MAX_IMAGE_PIXELS
            if pillow_limit is not None and (max_pixels is None or max_pixels > 2 * pillow_limit):
                # Allowed more than Pillow allows: open this one without Pillow's check (a process-wide
                # setting, restored at once; rare, as it takes over 179 megapixels to get here).
                Image.MAX_IMAGE_PIXELS = None
                try:
                    im = Image.open(io.BytesIO(data))
                finally:
                    Image.MAX_IMAGE_PIXELS = pillow_limit
            else:
                raise
    except Exception as exc:  # Pillow's plugins raise many kinds on garbage (SyntaxError, struct.error, ...)
        if isinstance(exc, Image.UnidentifiedImageError):
            raise ImageError("not-an-image", "not a format Pillow can read") from exc
        raise _failure(exc) from exc
    width, height = im.size
    if width <= 0 or height <= 0:
        raise ImageError("not-an-image", f"size {width}x{height}")
    if max_pixels is not None and width * height > max_pixels:
        raise ImageError("too-large", f"{width}x{height} = {width * height} pixels > {max_pixels}")
    return im


def _mime(im: ImageFile.ImageFile) -> str:
    if im.format == "MPO":  # a camera's multi-picture JPEG: its first picture is a plain JPEG to any decoder
        return "image/jpeg"
    mime = im.get_format_mimetype() if hasattr(im, "get_format_mimetype") else None
    if not mime:
        mime = Image.MIME.get(im.format or "") or f"image/{(im.format or 'unknown').lower()}"
    return mime


def probe(data: bytes, *, max_pixels: int | None = MAX_PIXELS, verify: bool = True) -> ImageInfo:
    """Size, format and MIME type of an encoded image.

    The header alone gives them. With ``verify`` (the default) the pixel data
    is also checked for truncation and corruption as cheaply as the format
    allows: a PNG's chunks and CRCs are walked without inflating them, a JPEG
    is decoded at 1/8 scale (every entropy-coded byte is still read), other
    formats are decoded (the first frame). ``verify=False`` reads the header
    only. Raises ``ImageError`` (``not-an-image``, ``truncated-image``,
    ``too-large`` when width x height > ``max_pixels``; None for no limit).
    """
    im = _open(data, max_pixels)
    try:
        info = ImageInfo(width=im.size[0], height=im.size[1], mime_type=_mime(im), format=im.format or "")
        if verify:
            if im.format == "PNG":
                im.verify()
            else:
                if isinstance(im, JpegImagePlugin.JpegImageFile):
                    im.draft(None, (1, 1))
                im.load()
    except Exception as exc:
        raise _failure(exc) from exc
    finally:
        im.close()
    return info


def _dct_rows(n: int, k: int) -> np.ndarray:
    """The first ``k`` rows of the orthonormal DCT-II matrix of size ``n``: ``C @ x`` is the DCT of ``x``."""
    rows = np.arange(k, dtype=np.float64)[:, None]
    cols = np.arange(n, dtype=np.float64)[None, :]
    c = np.sqrt(2.0 / n) * np.cos(np.pi * (2.0 * cols + 1.0) * rows / (2.0 * n))
    c[0, :] /= np.sqrt(2.0)
    return c


# Only the lowest HASH_SIZE frequencies are kept, so only those rows of C are needed:
# (C @ A @ C.T)[:8, :8] == C8 @ A @ C8.T.
_DCT = _dct_rows(DCT_SIZE, HASH_SIZE)

_HIGH_BIT = {"I;16", "I;16L", "I;16B", "I;16N", "I", "F"}
_ALPHA = {"RGBA", "RGBa", "LA", "La", "PA"}

# EXIF Orientation -> the transposition that makes the picture upright (as ImageOps.exif_transpose).
_ORIENT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _orientation(im: Image.Image) -> int:
    try:
        value = im.getexif().get(0x0112)  # ExifTags.Base.Orientation
    except Exception:  # noqa: BLE001 - a broken EXIF block (of any kind) is no reason to refuse the picture
        return 1
    return value if isinstance(value, int) and value in _ORIENT else 1


def _grayscale(im: Image.Image) -> Image.Image:
    """An "L" (8-bit) or "F" (16-bit, float) image of the picture as seen on a white page."""
    mode = im.mode
    if mode in _HIGH_BIT:
        a = np.asarray(im).astype(np.float32)
        if mode.startswith("I;16"):
            a /= 257.0
        elif mode == "I" and a.size and a.min() >= 0 and a.max() <= 65535 and a.max() > 255:
            a /= 257.0  # 16-bit data widened to 32-bit by the decoder
        return Image.fromarray(a, mode="F")
    if mode == "P":
        im = im.convert("RGBA" if im.has_transparency_data else "RGB")
        mode = im.mode
    elif "transparency" in im.info and mode in ("1", "L", "RGB"):  # a colour key (PNG tRNS)
        im = im.convert("RGBA")
        mode = im.mode
    if mode in _ALPHA:
        rgba = im.convert("RGBA") if mode != "RGBA" else im
        gray = rgba.convert("L")
        page = Image.new("L", rgba.size, 255)
        page.paste(gray, (0, 0), rgba.getchannel("A"))
        return page
    if mode == "L":
        return im
    if mode in ("1", "RGB"):
        return im.convert("L")
    if mode == "LAB":
        return im.getchannel(0)
    return im.convert("RGB").convert("L")  # CMYK, YCbCr, HSV, RGBX, ...


def phash_image(im: Image.Image, *, draft: bool = True) -> int:
    """The 64-bit perceptual hash of an opened (not yet loaded, for draft decoding) Pillow image."""
    try:
        box = None
        if draft and isinstance(im, JpegImagePlugin.JpegImageFile):  # JPEG and MPO
            reduced = im.draft("L", (DRAFT_SIZE, DRAFT_SIZE))
            if reduced is not None:
                box = reduced[1]
        im.load()
        # Read after loading: Pillow's TIFF plugin applies the orientation itself at load, and drops the tag.
        orientation = _orientation(im)
        gray = _grayscale(im)
        small = gray.resize((DCT_SIZE, DCT_SIZE), Image.Resampling.LANCZOS, box=box, reducing_gap=REDUCING_GAP)
    except ImageError:
        raise
    except Exception as exc:
        raise _failure(exc) from exc
    for method in _ORIENT.get(orientation, ()):
        small = small.transpose(method)
    a = np.asarray(small, dtype=np.float64)
    block = np.round(_DCT @ a @ _DCT.T, 6)
    median = np.median(block.ravel()[1:])  # the 63 AC coefficients: DC excluded
    bits = (block > median).ravel()  # row-major, [0, 0] first
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def phash(data: bytes, *, max_pixels: int | None = MAX_PIXELS, draft: bool = True) -> int:
    """The 64-bit DCT perceptual hash of encoded image bytes (see the module notes for the choices).

    Raises ``ImageError`` like ``probe``. ``draft=False`` decodes a JPEG at
    full size first (slower; a bit or two apart at most, in general).
    """
    im = _open(data, max_pixels)
    try:
        return phash_image(im, draft=draft)
    finally:
        im.close()


def analyze(data: bytes, *, max_pixels: int | None = MAX_PIXELS, draft: bool = True) -> tuple[ImageInfo, int]:
    """``probe`` and ``phash`` from one open and one decode (which also finds truncation, in any format)."""
    im = _open(data, max_pixels)
    try:
        info = ImageInfo(width=im.size[0], height=im.size[1], mime_type=_mime(im), format=im.format or "")
        return info, phash_image(im, draft=draft)
    finally:
        im.close()


def phash_hex(data: bytes, **options) -> str:
    """``phash`` as 16 lower-case hex digits."""
    return to_hex(phash(data, **options))


def to_hex(h: int) -> str:
    return f"{h:016x}"


def from_hex(text: str) -> int:
    return int(text, 16)


def hamming(a: int, b: int) -> int:
    """Bits that differ between two hashes."""
    return (a ^ b).bit_count()
