"""Makes the bundled sample's small image-caption collection (samples/images/): pictures drawn with
Pillow, a sidecar metadata.jsonl, and deliberate duplicates and faults. Run: python samples/generate_images.py

Pictures: eight distinct drawings (seeded shapes on gradients). Deliberate: a byte-identical copy (exact
duplicate), a smaller re-encoded JPEG of one drawing (near duplicate by perceptual hash), a row naming a
file that does not exist (set aside as missing-image), and rights statements that the rights stage
allows (CC0, PDM), denies (in copyright) and sends to review (no known copyright restrictions).
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent / "images"
SUBJECTS = ["a red circle over a blue sea", "three green triangles at dusk", "a yellow sun above hills",
            "a purple square in fog", "orange stripes on grey", "a white moon over a black lake",
            "two brown rectangles, a door and a window", "a cyan spiral on sand"]
LICENSES = ["https://creativecommons.org/publicdomain/zero/1.0/", "https://creativecommons.org/publicdomain/mark/1.0/",
            "CC0", "http://rightsstatements.org/vocab/InC/1.0/", "No known copyright restrictions",
            "https://creativecommons.org/publicdomain/zero/1.0/", "https://creativecommons.org/publicdomain/mark/1.0/",
            "CC0"]


def drawing(seed: int, size: tuple[int, int] = (192, 144)) -> Image.Image:
    rng = random.Random(seed)
    top, bottom = [tuple(rng.randrange(256) for _ in range(3)) for _ in range(2)]
    im = Image.new("RGB", size)
    draw = ImageDraw.Draw(im)
    for y in range(size[1]):
        t = y / (size[1] - 1)
        draw.line([(0, y), (size[0], y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    for _ in range(6):
        x0, y0 = rng.randrange(size[0] - 40), rng.randrange(size[1] - 40)
        box = [x0, y0, x0 + rng.randrange(20, 60), y0 + rng.randrange(20, 60)]
        colour = tuple(rng.randrange(256) for _ in range(3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return im


def encode(im: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **options)
    return buffer.getvalue()


def main() -> None:
    HERE.mkdir(exist_ok=True)
    rows = []
    for i, (subject, licence) in enumerate(zip(SUBJECTS, LICENSES)):
        name = f"drawing-{i:02d}.png"
        (HERE / name).write_bytes(encode(drawing(i), "PNG", optimize=True))
        rows.append({"file_name": name, "caption": f"A simple drawing: {subject}.", "license": licence,
                     "url": f"https://example.org/collection/{name}", "date": str(1900 + 3 * i)})
    (HERE / "drawing-00-copy.png").write_bytes((HERE / "drawing-00.png").read_bytes())  # exact duplicate
    rows.append({**rows[0], "file_name": "drawing-00-copy.png", "url": "https://example.org/mirror/drawing-00.png"})
    (HERE / "drawing-01-small.jpg").write_bytes(encode(drawing(1).resize((96, 72)), "JPEG", quality=70))  # near
    rows.append({**rows[1], "file_name": "drawing-01-small.jpg", "caption": "A small scan of three green triangles."})
    rows.append({"file_name": "drawing-99.png", "caption": "Lost in the move.", "license": "CC0"})  # missing file
    (HERE / "metadata.jsonl").write_text("".join(json.dumps(r, sort_keys=True) + "\n" for r in rows))


if __name__ == "__main__":
    main()
