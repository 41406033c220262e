"""HTML to text with trafilatura: metadata, old dates, declared licences, and a time limit that holds."""

from __future__ import annotations

import os
import time

import pytest

from html_pages import CC0_BADGE_LINK, CC0_BARE_BADGE, CC_BY_FOOTER, DCTERMS_PDM, article, page
from pdcorpus.fetch.html import ExtractionError, Extractor, extract_html, extract_now

BY = "https://creativecommons.org/licenses/by/4.0/"
CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
PDM = "https://creativecommons.org/publicdomain/mark/1.0/"


def slow_page() -> str:
    """About 10 MB of paragraphs in one article: trafilatura spends many seconds on it (measured: ~14 s
    unloaded on this machine's cores), which is what a hostile or broken page does to a worker."""
    paragraph = "<p>" + "The quick brown fox jumps over the lazy dog and keeps running far away. " * 8 + "</p>"
    return "<html><body><article>" + paragraph * 20000 + "</article></body></html>"


def test_text_title_author_old_date_and_language():
    html = page("A letter from Concord", 1, lang="en-US", author="Henry Thoreau",
                head='<meta name="author" content="Henry David Thoreau">'
                     '<meta name="DC.date" content="1845-07-04">')
    got = extract_html(html, "https://letters.example.org/concord")
    paragraphs = article(1)
    assert paragraphs[0][:60] in got.text and paragraphs[-1][-60:] in got.text
    assert "Another letter" not in got.text and "volunteer project" not in got.text  # boilerplate left out
    assert got.title.startswith("A letter from Concord")
    assert got.author == "Henry David Thoreau"
    assert got.date == "1845-07-04"  # htmldate's default floor (1995) would have dropped it
    assert got.language == "en"
    assert got.license is None and got.licenses == []


@pytest.mark.parametrize("markup,where,expected,evidence", [
    (CC_BY_FOOTER, "footer", BY, "a[rel=license]"),
    (f'<link rel="license" href="{BY}">', "head", BY, "link[rel=license]"),
    ('<link rel="License" href="/licence.html">', "head", "https://letters.example.org/licence.html", "link[rel=license]"),
    (CC0_BADGE_LINK, "footer", CC0, "a[href*=creativecommons.org]"),
    (CC0_BARE_BADGE, "footer", CC0, "img[src*=licensebuttons.net]"),
    (DCTERMS_PDM, "head", PDM, "meta[name=dcterms.license]"),
    ('<meta name="DC.rights" content="Public domain">', "head", "Public domain", "meta[name=DC.rights]"),
    ('<script type="application/ld+json">{"@context": "https://schema.org", "@type": "CreativeWork", '
     f'"license": "{CC0}"}}</script>', "head", CC0, "script[type=application/ld+json].license"),
    ('<a href="http://rightsstatements.org/vocab/NoC-US/1.0/">No Copyright - United States</a>', "footer",
     "http://rightsstatements.org/vocab/NoC-US/1.0/", "a[href*=rightsstatements.org]"),
])
def test_declared_licence_and_its_evidence(markup, where, expected, evidence):
    html = page("Letter", 2, **{where if where == "head" else "footer": markup})
    got = extract_html(html, "https://letters.example.org/letters/2")
    assert (got.license, got.license_evidence) == (expected, evidence)


def test_licence_order_when_a_page_declares_several():
    """rel=license beats Dublin Core meta, which beats plain CC links and badges (the documented order);
    every statement is kept for audit, in that order."""
    html = page("Letter", 3, head=DCTERMS_PDM, footer=CC0_BADGE_LINK + CC_BY_FOOTER)
    got = extract_html(html, "https://letters.example.org/3")
    assert (got.license, got.license_evidence) == (BY, "a[rel=license]")
    assert got.licenses[:3] == [(BY, "a[rel=license]"), (PDM, "meta[name=dcterms.license]"),
                                (CC0, "a[href*=creativecommons.org]")]
    # without rel=license, the meta wins over the link
    got = extract_html(page("Letter", 3, head=DCTERMS_PDM, footer=CC0_BADGE_LINK), None)
    assert (got.license, got.license_evidence) == (PDM, "meta[name=dcterms.license]")


@pytest.mark.parametrize("html,reason", [
    (b"", "html-unparseable"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8, "html-unparseable"),
    ("<html><head><title>Menu</title></head><body><div><nav><a href='/'>Home</a> <a href='/b'>Browse</a></nav></div>"
     "<footer>(c) 2020</footer></body></html>", "no-main-text"),  # navigation only
])
def test_pages_without_text_are_refused_with_a_reason(html, reason):
    with pytest.raises(ExtractionError) as info:
        extract_html(html, timeout=30)
    assert info.value.reason == reason
    with pytest.raises(ExtractionError) as info:  # the same in this process, without the child
        extract_now(html)
    assert info.value.reason == reason


def test_a_slow_page_is_stopped_at_the_time_limit_and_the_next_page_works():
    extractor = Extractor()
    try:
        extractor.extract(page("warm-up", 4), None, timeout=60)  # the child has started
        child = extractor._proc.pid
        started = time.monotonic()
        with pytest.raises(ExtractionError) as info:
            extractor.extract(slow_page(), None, timeout=1.0)
        took = time.monotonic() - started
        assert info.value.reason == "extraction-timeout"
        assert took < 5.0, f"the limit was 1 s, the call took {took:.1f} s"
        with pytest.raises(ProcessLookupError):  # the busy child was killed, not left running
            os.kill(child, 0)
        got = extractor.extract(page("after", 5), None, timeout=60)
        assert article(5)[0][:50] in got.text
        assert extractor.restarts == 1
    finally:
        extractor.close()
