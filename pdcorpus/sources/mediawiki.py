"""``format: mediawiki``: the pages of a MediaWiki wiki through its Action API -- Wikisource, or another
Wikimedia text project -- with each page's licence.

    read:
      format: mediawiki
      api: https://en.wikisource.org/w/api.php
      generator: categorymembers          # or allpages (a namespace, default 0: the main namespace)
      category: "Category:Works by Charles Dickens"
      fetch: {contact: "mailto:you@example.org"}

What it asks (https://www.mediawiki.org/wiki/API:Main_page):

1. **The listing**: ``action=query&generator=allpages|categorymembers&prop=info&inprop=url&formatversion=2``,
   ``batch`` pages a request, then the same request with every value of the answer's ``continue`` object, until
   an answer has none (https://www.mediawiki.org/wiki/API:Continue). An ``error`` answer (a bad category, a
   continuation the wiki no longer accepts) stops the build with the wiki's code and message.
2. **Each page**: ``action=parse&pageid=<id>&prop=text|templates|categories|revid|displaytitle&formatversion=2``:
   the rendered page and the templates it uses. A page deleted since the listing answers the error
   ``nosuchpageid`` (or ``missingtitle``): set aside as ``vanished``; any other API error as ``api-error``.

The text is the rendered page without what Wikisource marks as not part of the work (``.ws-noexport``: the
header, navigation, licence boxes; ``.mw-editsection``, page-number anchors ``.ws-pagenum``, reference markers),
blocks on lines of their own. Title, author and year come from Wikisource's header microformat (``#ws-title``,
``#ws-author``, ``#ws-year``, the ids its export tool reads), else the page title.

Rights: a Wikisource page states its licence with a licence template (``{{PD-old}}``, ``{{PD-US}}``,
``{{PD-1923}}``, ``{{CC-BY-SA-4.0}}``, ...), which the API lists among the page's templates. ``license_raw`` is that
template's name (``PD-old-70``; the names of Wikimedia's PD templates are what the rights stage reads); a page
with several licence templates (a translation: the original's and the translation's) has them joined by
``"; "``, which the rights stage does not recognize, so it goes to review; a page with none has no statement.
The wiki's own licence for contributions (CC BY-SA 4.0 on Wikimedia wikis) covers the transcription work, not
the text: it is not the page's licence and is not used.

Records: ``id`` = the page id, ``url`` = the page's canonical URL, ``title``, ``author``, ``date`` (the header's
year), ``retrieved_at``, ``license_raw``; ``metadata``: ``pageid``, ``revid``, ``page_title``, ``namespace``,
``touched``, ``license_templates``, ``categories``, ``wiki`` (the API URL), ``published`` (the header's year).
"""

from __future__ import annotations

import json
import re
from typing import Any, Awaitable, Callable, ClassVar, Literal
from urllib.parse import urlencode

from lxml import etree, html
from pydantic import Field, field_validator, model_validator

from pdcorpus.fetch.cache import Response
from pdcorpus.io.readers import InputError, InputFile
from pdcorpus.record import Record
from pdcorpus.sources.api import ArchiveOptions, ArchiveReader, Entry, ItemError, PageError, json_body
from pdcorpus.sources.names import year_of

# Licence templates by name (after "Template:"): Wikimedia's PD-* family, Creative Commons, GFDL, and the
# "Copyrighted" notices; not the generic "License" box they are drawn in.
_LICENCE_TEMPLATE = re.compile(r"^(pd|cc|gfdl|copyrighted|public domain|cc0)\b", re.IGNORECASE)
_VANISHED = ("nosuchpageid", "missingtitle", "nosuchrevid")
_DROP = ("ws-noexport", "mw-editsection", "ws-pagenum", "reference", "mw-cite-backlink", "noprint", "licenseContainer")
_PARAGRAPH = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl", "hr"}
_BLOCK = {"div", "li", "dd", "dt", "tr", "center", "section", "poem", "caption"}


def licence_templates(templates: Any) -> list[str]:
    names = []
    for t in templates if isinstance(templates, list) else []:
        title = t.get("title") if isinstance(t, dict) else None
        if not isinstance(title, str) or t.get("ns") not in (10, None):
            continue
        name = title.split(":", 1)[1] if ":" in title else title
        if _LICENCE_TEMPLATE.match(name):
            names.append(name)
    return sorted(set(names))


def page_text(rendered: str) -> tuple[str, dict[str, str]]:
    """The text of a rendered Wikisource page, and its header microformat (title, author, year)."""
    root = html.fromstring(f"<div>{rendered}</div>")
    header = {}
    for key in ("title", "author", "year"):
        found = root.xpath(f'//*[@id="ws-{key}"]')
        value = " ".join(found[0].text_content().split()) if found else ""
        if value:
            header[key] = value
    for el in root.xpath("//style|//script|//link|//meta"):
        el.drop_tree()
    for cls in _DROP:
        for el in root.xpath(f'//*[contains(concat(" ", normalize-space(@class), " "), " {cls} ")]'):
            el.drop_tree()
    for el in root.xpath('//*[@id="headertemplate"]'):
        el.drop_tree()
    # HTML white space is insignificant: every run becomes one space; then blocks and <br> make the line ends
    # (paragraphs and headings a blank line)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        inside_pre = el.tag.lower() == "pre" or any(a.tag == "pre" for a in el.iterancestors() if isinstance(a.tag, str))
        if not inside_pre:
            el.text = re.sub(r"\s+", " ", el.text) if el.text else el.text
        el.tail = re.sub(r"\s+", " ", el.tail) if el.tail else el.tail
    for el in root.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif tag in _PARAGRAPH:
            el.text = "\n\n" + (el.text or "")
            el.tail = "\n\n" + (el.tail or "")
        elif tag in _BLOCK:
            el.text = "\n" + (el.text or "")
            el.tail = "\n" + (el.tail or "")
    lines = [line.strip() for line in root.text_content().split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return (text + "\n" if text else ""), header


def listing_params(generator: str, namespace: int, category: str | None, batch: int) -> dict[str, str]:
    """The query of the listing: pages of a namespace, or of a category, with their canonical URLs."""
    params = {"action": "query", "format": "json", "formatversion": "2", "generator": generator,
              "prop": "info", "inprop": "url"}
    if generator == "allpages":
        params.update({"gapnamespace": str(namespace), "gaplimit": str(batch)})
    else:
        params.update({"gcmtitle": category or "", "gcmtype": "page", "gcmlimit": str(batch)})
    return params


class MediaWikiOptions(ArchiveOptions):
    endpoint_key: ClassVar[str] = "api"

    api: str = Field(description="the wiki's api.php URL, e.g. https://en.wikisource.org/w/api.php")
    generator: Literal["allpages", "categorymembers"] = Field("allpages")
    namespace: int = Field(0, ge=0, description="allpages: the namespace (0: the main one, where works are)")
    category: str | None = Field(None, min_length=1, description="categorymembers: the category, 'Category:...'")
    batch: int = Field(50, ge=1, le=500, description="pages listed per request (50 for clients that are not bots)")

    @field_validator("api")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"api must be an http(s) URL, got '{value}'")
        return value

    @model_validator(mode="after")
    def _category(self) -> "MediaWikiOptions":
        if self.generator == "categorymembers" and not self.category:
            raise ValueError("generator categorymembers needs 'category' (e.g. 'Category:Works by Charles Dickens')")
        return self


class MediaWikiReader(ArchiveReader):
    format = "mediawiki"
    Options = MediaWikiOptions
    content_types: ClassVar[tuple[str, ...]] = ("application/json",)

    def __init__(self, *args: Any, api: str, generator: str = "allpages", namespace: int = 0,
                 category: str | None = None, batch: int = 50, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api, self.generator, self.namespace, self.category, self.batch = api, generator, namespace, category, batch

    def listing_params(self) -> dict[str, str]:
        return listing_params(self.generator, self.namespace, self.category, self.batch)

    @classmethod
    def list_inputs(cls, read: Any) -> list[InputFile]:
        params = listing_params(read.generator, read.namespace, read.category, read.batch)
        return [InputFile(url=f"{read.api}?{urlencode(params)}", size=0, root=read.api)]

    # -- the listing ---------------------------------------------------------------------------------------

    def first_cursor(self) -> Any:
        return {}

    def page_url(self, cursor: Any) -> str:
        return f"{self.api}?{urlencode({**self.listing_params(), **cursor})}"

    def parse_page(self, body: bytes, number: int, url: str) -> tuple[list[Any], Any]:
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PageError("malformed-json", f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise PageError("malformed-json", f"a JSON {type(data).__name__}, not an object")
        error = data.get("error")
        if isinstance(error, dict):
            raise InputError(f"source {self.source}: the wiki answered {url} with error {error.get('code')}: "
                             f"{error.get('info')}; check read.generator, read.category and read.namespace")
        pages = (data.get("query") or {}).get("pages", [])
        if isinstance(pages, dict):  # formatversion=1 answers: pages keyed by id
            pages = list(pages.values())
        if not isinstance(pages, list):
            raise PageError("malformed-json", "query.pages is not a list")
        following = data.get("continue")
        items = []
        for n, page in enumerate(pages, 1):
            if not isinstance(page, dict) or not isinstance(page.get("pageid"), int):
                if isinstance(page, dict) and page.get("missing"):
                    continue
                self.reject(url, number, "malformed-record", f"listing page {number}, entry {n}: no pageid",
                            raw=json.dumps(page)[:500])
                continue
            items.append(page)
        return items, (dict(following) if isinstance(following, dict) and following else None)

    # -- a page --------------------------------------------------------------------------------------------

    def item_id(self, data: Any) -> str | None:
        return f"{self.source}:{data['pageid']}" if isinstance(data, dict) else None

    def describe(self, data: Any) -> str:
        return f"{data.get('title')!r} (pageid {data.get('pageid')})" if isinstance(data, dict) else str(data)

    async def item(self, page: dict[str, Any], fetch: Callable[[str], Awaitable[Response]]) -> Any:
        params = {"action": "parse", "format": "json", "formatversion": "2", "pageid": str(page["pageid"]),
                  "prop": "text|templates|categories|revid|displaytitle", "disableeditsection": "1",
                  "disablelimitreport": "1"}
        return await fetch(f"{self.api}?{urlencode(params)}")

    def record(self, entry: Entry, response: Response) -> Record | None:
        page = entry.data
        data = json_body(response, "parse")
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            code = error.get("code")
            reason = "vanished" if code in _VANISHED else "api-error"
            raise ItemError(reason, f"{response.final_url}: the wiki answered {code}: {error.get('info')}")
        parsed = data.get("parse") if isinstance(data, dict) else None
        if not isinstance(parsed, dict) or not isinstance(parsed.get("text"), (str, dict)):
            raise ItemError("malformed-json", f"{response.final_url}: no parse.text")
        rendered = parsed["text"] if isinstance(parsed["text"], str) else parsed["text"].get("*", "")
        try:
            text, header = page_text(rendered)
        except (etree.ParserError, ValueError) as exc:
            raise ItemError("html-unparseable", f"{response.final_url}: {exc}") from None
        if not text.strip():
            raise ItemError("empty-text", f"{response.final_url}: nothing outside the header and notices "
                            "(a disambiguation, an index or a table-of-contents page)")
        licences = licence_templates(parsed.get("templates"))
        categories = [c.get("category") for c in parsed.get("categories") or [] if isinstance(c, dict)]
        fields = {
            "id": str(page["pageid"]),
            "text": text,
            "url": page.get("canonicalurl") or page.get("fullurl"),
            "title": header.get("title") or parsed.get("title") or page.get("title"),
            "author": header.get("author"),
            "date": header.get("year"),
            "retrieved_at": response.retrieved_at,
            "license": "; ".join(licences) if licences else None,
            "pageid": page["pageid"],
            "revid": parsed.get("revid") or page.get("lastrevid"),
            "page_title": parsed.get("title") or page.get("title"),
            "namespace": page.get("ns"),
            "touched": page.get("touched"),
            "license_templates": licences or None,
            "categories": [c for c in categories if c] or None,
            "wiki": self.api,
            "published": year_of(header.get("year")),
        }
        return self.row(entry, fields)


__all__ = ["MediaWikiReader", "MediaWikiOptions", "licence_templates", "page_text"]
