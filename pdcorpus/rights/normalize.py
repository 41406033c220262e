"""Real-world rights statements -> canonical licence ids.

Recognized: Creative Commons URLs in their spellings (http/https, www,
``deed.xx``, ``legalcode``, versions 1.0-4.0, jurisdiction ports), SPDX ids and
Creative Commons short and long names (also a name followed by its abbreviation
in parentheses, "Attribution 4.0 International (CC BY 4.0)", "Public Domain
Dedication (CC0)"), Creative Commons' own marking sentence ("This work is
licensed under a Creative Commons Attribution 4.0 International License.",
"Licensed under CC BY 4.0") and nothing around it, the Open Data Commons
licences by their titles, rightsstatements.org URIs and titles, Europeana's
legacy URIs, Flickr's licence URLs, well-known free text (Gutenberg's two
statements, "No known copyright restrictions", US government works, Wikimedia's
PD templates), and the structured fields of Wikimedia Commons ``extmetadata``, the Met,
Smithsonian Open Access, iNaturalist and the Internet Archive. Anything else
is ``unknown``: never a guess.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from pdcorpus.rights.licenses import RIGHTSSTATEMENTS, _RS

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Normalized:
    """A statement's canonical id, and what in it was recognized (``how``)."""

    license: str
    how: str
    missing: bool = False  # no statement at all, as opposed to one we do not recognize
    claim: bool = False    # an unverified claim of no copyright (Internet Archive's possible-copyright-status)


# -- URLs --------------------------------------------------------------------

_CC_ORDER = ("by", "nc", "sa", "nd")
_EUROPEANA = {"rr-f": "europeana-rr-f", "rr-p": "europeana-rr-p", "rr-r": "europeana-rr-r",
              "orphan-work-eu": "InC-OW-EU", "out-of-copyright-non-commercial": "NoC-NC", "unknown": UNKNOWN}
_OTHER_URLS = (
    (r"opensource\.org/licenses?/mit", "MIT"),
    (r"apache\.org/licenses/license-2\.0", "Apache-2.0"),
    (r"opensource\.org/licenses?/bsd-3-clause", "BSD-3-Clause"),
    (r"opensource\.org/licenses?/bsd-2-clause", "BSD-2-Clause"),
    (r"gnu\.org/(?:licenses/)?(?:old-licenses/)?fdl-1\.2", "GFDL-1.2"),
    (r"gnu\.org/(?:licenses/)?(?:old-licenses/)?fdl-1\.3|gnu\.org/licenses/fdl\b", "GFDL-1.3"),
    (r"nationalarchives\.gov\.uk/doc/open-government-licence/version/3", "OGL-UK-3.0"),
    (r"etalab\.gouv\.fr/.*licence-ouverte|etalab\.gouv\.fr/wp-content/uploads/2017/04/etalab-licence-ouverte-v2", "etalab-2.0"),
    (r"opendatacommons\.org/licenses/by", "ODC-By-1.0"),
    (r"opendatacommons\.org/licenses/odbl", "ODbL-1.0"),
    (r"opendatacommons\.org/licenses/pddl", "PDDL-1.0"),
    (r"cdla\.(?:dev|io)/permissive-2", "CDLA-Permissive-2.0"),
    (r"cdla\.(?:dev|io)/sharing-1", "CDLA-Sharing-1.0"),
    # Flickr's licence list (flickr.photos.licenses.getInfo) links licence 7, "No known copyright restrictions",
    # to the Flickr Commons usage page and licence 8, "United States Government Work", to USA.gov's copyright page.
    (r"^flickr\.com/commons/usage/?$", "NKC"),
    (r"^usa\.gov/copyright(\.shtml)?/?$", "NoC-US"),
)


def _cc_id(elements: list[str], version: str | None, port: str | None) -> str | None:
    if not elements or len(set(elements)) != len(elements) or not set(elements) <= set(_CC_ORDER):
        return None
    if elements[0] != "by" and version != "1.0":  # only the 1.0 suite had licences without attribution
        return None
    if "sa" in elements and "nd" in elements:
        return None
    ordered = [e for e in _CC_ORDER if e in elements]
    out = "CC-" + "-".join(e.upper() for e in ordered)
    if version:
        out += f"-{version}"
        if port:
            out += f"-{port.upper()}"
    return out


def _from_cc_url(path: str) -> str | None:
    parts = [p for p in path.lower().split("/") if p]
    if len(parts) >= 3 and parts[0] == "publicdomain":
        if parts[1] == "zero" and parts[2] == "1.0":
            return "CC0-1.0"
        if parts[1] == "mark" and parts[2] == "1.0":
            return "PDM-1.0"
        return None
    if len(parts) >= 2 and parts[0] == "licenses":
        if parts[1] == "publicdomain":
            return "CC-PDDC"
        if parts[1] == "nc-sampling+" and parts[2:3] == ["1.0"]:
            return "CC-NC-Sampling+-1.0"
        if len(parts) < 3 or not re.fullmatch(r"[1-4]\.\d", parts[2]):
            return None
        port = parts[3] if len(parts) > 3 and re.fullmatch(r"[a-z]{2,}", parts[3]) and parts[3] not in (
            "deed", "legalcode", "rdf") else None
        return _cc_id(parts[1].split("-"), parts[2], port)
    return None


def _from_url(text: str) -> tuple[str, str] | None:
    url = text.strip().strip("<>\"'")
    if not re.match(r"^(https?:)?//|^www\.|^[a-z0-9.-]+\.(org|eu|gov|dev|io|fr|uk)/", url, re.IGNORECASE):
        return None
    if url.startswith("www.") or not re.match(r"^(https?:)?//", url, re.IGNORECASE):
        url = "http://" + url
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path
    if host.endswith("creativecommons.org"):
        found = _from_cc_url(path)
        return (found, "creative commons url") if found else (UNKNOWN, "unrecognized creative commons url")
    if host == "rightsstatements.org":
        bits = [p for p in path.split("/") if p]
        if len(bits) >= 2 and bits[0] in ("vocab", "page", "data") and bits[1].lower() in RIGHTSSTATEMENTS:
            return RIGHTSSTATEMENTS[bits[1].lower()], "rightsstatements.org uri"
        return UNKNOWN, "unrecognized rightsstatements.org uri"
    if host == "europeana.eu":
        bits = [p for p in path.lower().split("/") if p]
        if len(bits) >= 2 and bits[0] == "rights" and bits[1] in _EUROPEANA:
            return _EUROPEANA[bits[1]], "europeana rights uri"
        return UNKNOWN, "unrecognized europeana uri"
    flat = (host + path).lower()
    for pattern, license_id in _OTHER_URLS:
        if re.search(pattern, flat):
            return license_id, "licence url"
    return UNKNOWN, "unrecognized url"


# -- names, SPDX ids, free text ------------------------------------------------

_FILLER = {"creative", "commons", "license", "licence", "licensed", "international", "unported", "generic",
           "public", "the", "under", "a", "version", "v", "deed", "legalcode", "cc"}
_SYNONYMS = {"attribution": "by", "sharealike": "sa", "noncommercial": "nc", "noderivatives": "nd",
             "noderivs": "nd", "nonderivative": "nd"}
_TWO_WORD = {("share", "alike"): "sa", ("non", "commercial"): "nc", ("no", "derivatives"): "nd",
             ("no", "derivs"): "nd", ("no", "derivative"): "nd", ("non", "derivative"): "nd"}


def _tokens(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?|[a-z]+", text.lower())


def _from_cc_name(text: str) -> str | None:
    """``CC BY-SA 4.0``, ``CC-BY-SA-3.0-PL``, ``cc-by-nc`` (iNaturalist), ``Attribution-ShareAlike 4.0 International``."""
    raw = _tokens(text)
    if not raw:
        return None
    tokens: list[str] = []
    i = 0
    while i < len(raw):
        pair = tuple(raw[i:i + 2])
        if pair in _TWO_WORD:
            tokens.append(_TWO_WORD[pair])
            i += 2
            continue
        tokens.append(_SYNONYMS.get(raw[i], raw[i]))
        i += 1
    mentions_cc = raw[0] in ("cc", "creative") or "attribution" in raw
    if not mentions_cc:
        return None
    elements, version, port = [], None, None
    for token in tokens:
        if token in _CC_ORDER and version is None:
            elements.append(token)
        elif re.fullmatch(r"[1-4](?:\.\d)?", token) and version is None and elements:
            version = token if "." in token else f"{token}.0"
        elif version and port is None and re.fullmatch(r"[a-z]{2}", token) and token not in _FILLER \
                and token not in _CC_ORDER:  # "... 4.0 (CC BY)" names the element again, not a port
            port = token
        elif token in _FILLER:
            continue
        else:
            return None  # a word we do not know: no guessing
    return _cc_id(elements, version, port)


_FREE_TEXT: list[tuple[str, str]] = [
    # (collections' own statements come first: _collection_statements)
    # US federal government works, 17 USC 105; Wikimedia's PD-US templates
    (r"(united states|u\.?s\.?|us) (federal )?government work|work of the (united states|u\.?s\.?) "
     r"(federal )?government|17 u\.?s\.?c\.? ?(§ ?)?105|^pd[- ]?us[- ]?gov|^pd[- ]usgov|"
     r"(united states|u\.?s\.?) government (document|publication)", "NoC-US"),
    (r"^pd[- ]us($|[- ])|^pd[- ]1923|^pd[- ]1996", "NoC-US"),
    (r"^(pd[- ](old|art|scan|old[- ]\d+|old[- ]auto|author|self|text|ineligible)|pd)$", "public-domain"),
    (r"^(this (work|image|file|item) is )?(in the )?public[- ]domain\.?$|^public domain \(pd\)$|^publicdomain$|"
     r"^public domain( work)?$|^pd$", "public-domain"),
    (r"no known copyright restrictions|no known restrictions|unaware of any copyright restrictions", "NKC"),
    (r"^cc ?0( 1\.0)?( universal)?( \(cc0 1\.0\))?( public domain dedication)?$|^cc[- ]zero$|"
     r"^creative commons zero|^cc0[- ]1\.0$", "CC0-1.0"),
    (r"^(creative commons )?public domain mark( 1\.0)?$|^pdm( 1\.0)?$|^pdm-1\.0$", "PDM-1.0"),
    (r"^cc[- ]pddc$|public domain dedication and certification", "CC-PDDC"),
    (r"all rights reserved|^(©|\(c\)|copyright ©|copyright \(c\)|copyright \d{4})", "InC"),
    (r"^in copyright$", "InC"),
    (r"^rights reserved - free access$", "europeana-rr-f"),
    (r"^rights reserved - paid access$", "europeana-rr-p"),
    (r"^rights reserved - restricted access$", "europeana-rr-r"),
    (r"^mit( license)?$", "MIT"),
    (r"^apache[- ]2\.0$|^apache license,? (version )?2\.0$", "Apache-2.0"),
    (r"^bsd[- ]3[- ]clause$", "BSD-3-Clause"),
    (r"^bsd[- ]2[- ]clause$", "BSD-2-Clause"),
    (r"^gfdl[- ]1\.3|^gnu free documentation licen[cs]e,? (v|version )?1\.3", "GFDL-1.3"),
    (r"^gnu free documentation licen[cs]e,? (v|version )?1\.2", "GFDL-1.2"),
    (r"^gfdl([- ]1\.2)?$|^gfdl[- ]1\.2", "GFDL-1.2"),
    (r"^ogl[- ]uk[- ]3\.0$|^open government licen[cs]e( v| version )?3(\.0)?$|^ogl( v)?3(\.0)?$", "OGL-UK-3.0"),
    (r"^etalab[- ]2\.0$|^licence ouverte( / open licence)?( v| version )?2(\.0)?$|^open licence 2\.0$", "etalab-2.0"),
    # The Open Data Commons licences by their titles (opendatacommons.org, SPDX full names): "Open Data Commons
    # Open Database License v1.0", "Open Database License (ODbL) v1.0", "ODC Attribution License", "Open Data
    # Commons Public Domain Dedication & License 1.0". A bare "Attribution License" is Flickr's CC BY 2.0, so the
    # ODC-By title needs its "Open Data Commons" / "ODC".
    (r"^(open data commons |odc )?open database licen[cs]e( \(odbl\))?,?( v| version)? ?(1\.0)?$", "ODbL-1.0"),
    (r"^(open data commons|odc) attribution licen[cs]e( \(odc[- ]by\))?,?( v| version)? ?(1\.0)?$", "ODC-By-1.0"),
    (r"^(open data commons |odc )?public domain dedication (and|&) licen[cs]e( \(pddl\))?,?( v| version)? ?(1\.0)?$",
     "PDDL-1.0"),
    (r"^odc[- ]by([- ]1\.0)?$", "ODC-By-1.0"),
    (r"^odbl([- ]1\.0)?$", "ODbL-1.0"),
    (r"^pddl([- ]1\.0)?$", "PDDL-1.0"),
    (r"^cdla[- ]permissive[- ]2\.0$|^community data license agreement - permissive - version 2\.0$",
     "CDLA-Permissive-2.0"),
]
_FREE_TEXT_RE = [(re.compile(p, re.IGNORECASE), lid) for p, lid in _FREE_TEXT]
_COLLECTION_RE: list[tuple[re.Pattern[str], str]] | None = None


def _collection_statements() -> list[tuple[re.Pattern[str], str]]:
    """The statements of particular collections, kept with their readers in ``pdcorpus.sources`` (Project
    Gutenberg's two ``dcterms:rights`` statements, the Biodiversity Heritage Library's own); imported on first
    use, since those modules import the readers."""
    global _COLLECTION_RE
    if _COLLECTION_RE is None:
        from pdcorpus.sources import bhl, gutenberg

        _COLLECTION_RE = [(re.compile(p, re.IGNORECASE), lid)
                          for p, lid in (*gutenberg.RIGHTS_STATEMENTS, *bhl.RIGHTS_STATEMENTS)]
    return _COLLECTION_RE
_RS_TITLES = {title.lower(): rid for rid, (_, title) in _RS.items()}
_SPDX_CC = re.compile(r"^cc-by(-nc)?(-sa|-nd)?-[1-4]\.\d(-[a-z]{2,})?$", re.IGNORECASE)


# A name with its abbreviation in parentheses, as licence titles and licence lists write them: CC's deed titles
# ("Attribution 4.0 International (CC BY 4.0)"), Flickr's licence 9 ("Public Domain Dedication (CC0)"), Open Data
# Commons' titles ("Open Database License (ODbL) v1.0"). The abbreviation must be recognized, and the name must
# either be recognized as the same licence or use only words of that licence's official title; anything else
# (a name that says more, or something else) leaves the statement unrecognized.
_PARENTHESISED = re.compile(r"^(?P<before>[^()]*)\((?P<abbr>[^()]+)\)(?P<after>[^()]*)$")
_TITLE_WORDS = {
    "CC0-1.0": "Creative Commons CC0 1.0 Universal Public Domain Dedication",  # the deed's title
    "PDM-1.0": "Creative Commons Public Domain Mark 1.0",
    "ODbL-1.0": "Open Data Commons Open Database License v1.0",
    "ODC-By-1.0": "Open Data Commons Attribution License v1.0",
    "PDDL-1.0": "Open Data Commons Public Domain Dedication and License v1.0",
}


def _title_words(text: str) -> set[str]:
    return {"license" if w == "licence" else w for w in _tokens(text) if w not in ("the", "v", "version")}


def _same_licence(a: str, b: str) -> str | None:
    """The more specific of two ids naming one licence: equal, or a versionless CC id and a versioned one."""
    if a == b:
        return a
    if a.startswith("CC-") and b.startswith(a + "-"):
        return b
    if b.startswith("CC-") and a.startswith(b + "-"):
        return a
    return None


def _from_name_and_abbreviation(text: str) -> tuple[str, str] | None:
    match = _PARENTHESISED.match(text)
    if not match:
        return None
    abbreviation = _from_text(match["abbr"])
    name = f"{match['before']} {match['after']}".strip(" ,;:-")
    if not abbreviation or abbreviation[0] == UNKNOWN or not name:
        return None
    named = _from_text(name)
    if named:  # a name pdcorpus knows: it must name the same licence
        both = _same_licence(named[0], abbreviation[0])
        return (both, "name with its abbreviation") if both else None
    words = _title_words(name)
    title = _TITLE_WORDS.get(abbreviation[0])
    if title and words and words <= _title_words(title):
        return abbreviation[0], "name with its abbreviation"
    return None


# Creative Commons' marking of a work, as its licence chooser writes it ("This work is licensed under a Creative
# Commons Attribution 4.0 International License."; the chooser lets the creator change "work" to what the work is)
# and its short form ("Licensed under CC BY 4.0"). Only the whole sentence around one CC licence name: any other
# words ("except where otherwise noted", a rights holder's notice) leave the statement unrecognized.
_MARKING = re.compile(
    r"^(?:this (?:work|image|photo|photograph|picture|text|book|article|video|recording|dataset|document|file|item)"
    r" is )?licensed under (?:a |an |the )?(?P<name>[^;:,()]+?)\.?$", re.IGNORECASE)


def _from_marking_sentence(text: str) -> tuple[str, str] | None:
    match = _MARKING.match(text)
    if not match:
        return None
    name = match["name"].strip()
    spdx = _from_text(name) if _SPDX_CC.match(name) else None
    found = spdx[0] if spdx else _from_cc_name(name)
    if found and found.startswith("CC-"):  # a CC licence, not CC0 (whose own marking says "waived", not "licensed")
        return found, "creative commons marking sentence"
    return None


def _from_text(text: str) -> tuple[str, str] | None:
    t = " ".join(text.split()).strip()
    low = t.lower().rstrip(".")
    if low in RIGHTSSTATEMENTS:
        return RIGHTSSTATEMENTS[low], "rightsstatements.org id"
    if low in _RS_TITLES:
        return _RS_TITLES[low], "rightsstatements.org title"
    if _SPDX_CC.match(low):
        parts = low.split("-")
        version_at = next(i for i, p in enumerate(parts) if re.fullmatch(r"\d\.\d", p))
        found = _cc_id(parts[1:version_at], parts[version_at], parts[version_at + 1] if len(parts) > version_at + 1 else None)
        if found:
            return found, "spdx id"
    for pattern, license_id in (*_collection_statements(), *_FREE_TEXT_RE):
        if pattern.search(low) or pattern.search(t.lower()):
            return license_id, "known statement"
    found = _from_cc_name(t)
    if found:
        return found, "creative commons name"
    return _from_name_and_abbreviation(t) or _from_marking_sentence(t)


# -- structured fields (each archive's own: pdcorpus.sources.<archive>.rights) -------------------------------


def field_value(v: Any) -> Any:
    """Wikimedia's API gives ``{"value": ..., "source": ...}``; dumps give the bare value."""
    return v.get("value") if isinstance(v, dict) else v


_value = field_value  # the names other modules may have used


def truthy(v: Any) -> bool | None:
    """A flag as archives write it: a bool, 0/1, "true"/"false", "yes"/"no", or Wikimedia's ``{"value": ...}``."""
    v = field_value(v)
    if isinstance(v, bool):
        return v
    if isinstance(v, (int, float)):
        return bool(v)
    if isinstance(v, str) and v.strip().lower() in ("true", "1", "yes", "y"):
        return True
    if isinstance(v, str) and v.strip().lower() in ("false", "0", "no", "n"):
        return False
    return None


_truthy = truthy


# The archives' own rights fields are read by their modules in pdcorpus.sources (with their readers), imported
# when a statement of their shape first comes: they import this module, so it cannot import them first.
_SOURCES = {"wikimedia": "pdcorpus.sources.commons", "met": "pdcorpus.sources.met",
            "smithsonian": "pdcorpus.sources.smithsonian", "inaturalist": "pdcorpus.sources.inaturalist"}


def _from_source(shape: str) -> Any:
    import importlib

    module = _SOURCES[shape]

    def read(meta: dict) -> Normalized:
        return importlib.import_module(module).rights(meta)

    read.__name__ = f"_{shape}"
    return read


def _detects(shape: str, keys: set[str]) -> bool:
    import importlib

    return importlib.import_module(_SOURCES[shape]).detects(keys)


def _internet_archive(meta: dict) -> Normalized:
    # The Internet Archive's rights fields are read where its records are made (pdcorpus.sources).
    from pdcorpus.sources.internet_archive import rights_of

    return rights_of(meta)


SHAPES = {"wikimedia": _from_source("wikimedia"), "met": _from_source("met"),
          "smithsonian": _from_source("smithsonian"), "inaturalist": _from_source("inaturalist"),
          "internet-archive": _internet_archive}


def detect_shape(meta: dict) -> str | None:
    keys = set(meta)
    for shape in ("wikimedia", "met", "smithsonian", "inaturalist"):  # in this order: the first that fits
        if _detects(shape, keys):
            return shape
    if keys & {"licenseurl", "possible-copyright-status"}:
        return "internet-archive"
    return None


def normalize(statement: Any, shape: str | None = None) -> Normalized:
    """The canonical id of a statement: a string, or a mapping of a known collection's fields.

    A JSON object in a string (how a structured field arrives in ``license_raw``) is read as a mapping.
    """
    if statement is None:
        return Normalized(UNKNOWN, "no statement", missing=True)
    if isinstance(statement, str):
        text = statement.strip()
        if not text:
            return Normalized(UNKNOWN, "empty statement", missing=True)
        if text.startswith("{"):
            try:
                statement = json.loads(text)
            except ValueError:
                return Normalized(UNKNOWN, "unrecognized statement")
        else:
            found = _from_url(text) or _from_text(text)
            return Normalized(*found) if found else Normalized(UNKNOWN, "unrecognized statement")
    if isinstance(statement, dict):
        if shape is None and len(statement) == 1 and next(iter(statement)) in SHAPES:
            (shape, statement), = statement.items()
        shape = shape or detect_shape(statement)
        if shape not in SHAPES:
            return Normalized(UNKNOWN, "structured statement of an unknown shape")
        return SHAPES[shape](statement)
    if isinstance(statement, bool):
        return Normalized(UNKNOWN, "a bare boolean is not a statement")
    return normalize(str(statement))
