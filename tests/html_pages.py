"""HTML pages for the extraction tests: realistic structure (navigation, article, sidebar, footer) and the
licence markup real sites use, written from the standards they follow:

- ``rel="license"``: HTML Living Standard, link type "license" (on <link>, <a>, <area>);
- Creative Commons badges and links: the markup CC's licence chooser generates
  (https://creativecommons.org/choose/: an <a rel="license"> around an <img> from licensebuttons.net);
- ``dcterms.license`` / ``DC.rights``: DCMI "Expressing Dublin Core metadata using HTML/XHTML meta and link
  elements".
"""

from __future__ import annotations

import random

from conftest import make_text


def article(seed: int, paragraphs: int = 6) -> list[str]:
    rng = random.Random(seed)
    return [make_text(rng, rng.randint(60, 120)) for _ in range(paragraphs)]


def page(title: str, seed: int, head: str = "", footer: str = "", lang: str = "en", author: str | None = None) -> str:
    paras = "\n".join(f"<p>{p}</p>" for p in article(seed))
    by = f'<p class="byline">By <span class="author">{author}</span></p>' if author else ""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title} | Old Letters Archive</title>
{head}
</head>
<body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/browse">Browse</a></li><li><a href="/about">About</a></li></ul></nav></header>
<main>
<article>
<h1>{title}</h1>
{by}
{paras}
</article>
<aside><h2>Related</h2><ul><li><a href="/r/1">Another letter</a></li><li><a href="/r/2">A diary</a></li></ul></aside>
</main>
<footer><p>Old Letters Archive, a volunteer project.</p>{footer}</footer>
</body>
</html>"""


CC_BY_FOOTER = ('<a rel="license" href="https://creativecommons.org/licenses/by/4.0/"><img alt="Creative Commons '
                'License" src="https://i.creativecommons.org/l/by/4.0/88x31.png"></a> This work is licensed under a '
                '<a rel="license" href="https://creativecommons.org/licenses/by/4.0/">Creative Commons Attribution 4.0 '
                'International License</a>.')
CC0_BADGE_LINK = ('<p><a href="https://creativecommons.org/publicdomain/zero/1.0/"><img src="https://licensebuttons.net/p/zero/1.0/88x31.png" '
                  'alt="CC0"></a> To the extent possible under law, the archive has waived all copyright.</p>')
CC0_BARE_BADGE = '<p><img src="https://licensebuttons.net/p/zero/1.0/88x31.png" alt="CC0"></p>'
DCTERMS_PDM = '<meta name="dcterms.license" content="https://creativecommons.org/publicdomain/mark/1.0/">'
