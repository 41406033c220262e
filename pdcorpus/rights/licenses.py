"""The canonical licence ids pdcorpus decides on, and what kind of permission each one is.

Ids follow SPDX where SPDX has one (``CC0-1.0``, ``CC-BY-SA-3.0-PL``,
``CC-PDDC``), rightsstatements.org's own ids for its twelve statements
(``InC``, ``NoC-US``, ``NKC`` …), and a few of our own where neither names
the thing (``PDM-1.0``, ``public-domain``, ``europeana-rr-f``, ``unknown``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What a statement permits; the policies decide on kinds, not on ids."""

    PD_WAIVER = "pd-waiver"            # CC0: the rights holder waived copyright
    PD_MARK = "pd-mark"                # PDM: a label that the work is free of known copyright
    PD_CLAIM = "pd-claim"              # a source's own "public domain"
    PD_US = "pd-us"                    # public domain in the United States only
    PD_BY_DATE = "pd-by-date"          # decided by pdcorpus from publication and death dates
    OPEN = "open"                      # an Open Definition licence (attribution, share-alike, permissive)
    DATABASE = "database"              # covers a compilation, not its contents
    NON_COMMERCIAL = "non-commercial"
    NO_DERIVATIVES = "no-derivatives"
    IN_COPYRIGHT = "in-copyright"
    CONTRACTUAL = "contractual"        # free of copyright but bound by contract
    RESTRICTED = "restricted"          # access or reuse restricted (Europeana rr-*)
    OTHER_RESTRICTIONS = "other-legal-restrictions"
    NOT_EVALUATED = "not-evaluated"    # CNE: nobody has looked
    UNDETERMINED = "undetermined"      # UND: the holder looked and could not decide
    NO_KNOWN_RESTRICTIONS = "no-known-restrictions"
    CLAIM = "unverified-claim"         # an uploader's unsupported claim (Internet Archive)
    UNKNOWN = "unknown"                # a statement we do not recognize
    MISSING = "missing"                # no statement at all


@dataclass(frozen=True)
class License:
    id: str
    kind: Kind
    title: str
    url: str | None = None


_RS = {
    "InC": (Kind.IN_COPYRIGHT, "In Copyright"),
    "InC-OW-EU": (Kind.IN_COPYRIGHT, "In Copyright - EU Orphan Work"),
    "InC-EDU": (Kind.IN_COPYRIGHT, "In Copyright - Educational Use Permitted"),
    "InC-NC": (Kind.IN_COPYRIGHT, "In Copyright - Non-Commercial Use Permitted"),
    "InC-RUU": (Kind.IN_COPYRIGHT, "In Copyright - Rights-holder(s) Unlocatable or Unidentifiable"),
    "NoC-CR": (Kind.CONTRACTUAL, "No Copyright - Contractual Restrictions"),
    "NoC-NC": (Kind.NON_COMMERCIAL, "No Copyright - Non-Commercial Use Only"),
    "NoC-OKLR": (Kind.OTHER_RESTRICTIONS, "No Copyright - Other Known Legal Restrictions"),
    "NoC-US": (Kind.PD_US, "No Copyright - United States"),
    "CNE": (Kind.NOT_EVALUATED, "Copyright Not Evaluated"),
    "UND": (Kind.UNDETERMINED, "Copyright Undetermined"),
    "NKC": (Kind.NO_KNOWN_RESTRICTIONS, "No Known Copyright"),
}
RIGHTSSTATEMENTS = {k.lower(): k for k in _RS}

_FIXED: dict[str, tuple[Kind, str, str | None]] = {
    "CC0-1.0": (Kind.PD_WAIVER, "CC0 1.0 Universal", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "PDM-1.0": (Kind.PD_MARK, "Public Domain Mark 1.0", "https://creativecommons.org/publicdomain/mark/1.0/"),
    "CC-PDDC": (Kind.PD_US, "Creative Commons Public Domain Dedication and Certification",
                "https://creativecommons.org/licenses/publicdomain/"),
    "public-domain": (Kind.PD_CLAIM, "Public domain (as stated by the source)", None),
    "public-domain-by-date": (Kind.PD_BY_DATE, "Public domain by date (decided by pdcorpus)", None),
    "europeana-rr-f": (Kind.RESTRICTED, "Europeana: Rights Reserved - Free Access", "http://www.europeana.eu/rights/rr-f/"),
    "europeana-rr-p": (Kind.RESTRICTED, "Europeana: Rights Reserved - Paid Access", "http://www.europeana.eu/rights/rr-p/"),
    "europeana-rr-r": (Kind.RESTRICTED, "Europeana: Rights Reserved - Restricted Access", "http://www.europeana.eu/rights/rr-r/"),
    "MIT": (Kind.OPEN, "MIT License", "https://opensource.org/licenses/MIT"),
    "Apache-2.0": (Kind.OPEN, "Apache License 2.0", "https://www.apache.org/licenses/LICENSE-2.0"),
    "BSD-2-Clause": (Kind.OPEN, "BSD 2-Clause License", "https://opensource.org/licenses/BSD-2-Clause"),
    "BSD-3-Clause": (Kind.OPEN, "BSD 3-Clause License", "https://opensource.org/licenses/BSD-3-Clause"),
    "GFDL-1.2": (Kind.OPEN, "GNU Free Documentation License 1.2", "https://www.gnu.org/licenses/old-licenses/fdl-1.2.html"),
    "GFDL-1.3": (Kind.OPEN, "GNU Free Documentation License 1.3", "https://www.gnu.org/licenses/fdl-1.3.html"),
    "OGL-UK-3.0": (Kind.OPEN, "Open Government Licence v3.0",
                   "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    "etalab-2.0": (Kind.OPEN, "Licence Ouverte / Open Licence 2.0", "https://www.etalab.gouv.fr/licence-ouverte-open-licence"),
    "ODC-By-1.0": (Kind.DATABASE, "Open Data Commons Attribution License 1.0", "https://opendatacommons.org/licenses/by/1-0/"),
    "ODbL-1.0": (Kind.DATABASE, "Open Data Commons Open Database License 1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    "PDDL-1.0": (Kind.PD_WAIVER, "Open Data Commons Public Domain Dedication and License 1.0",
                 "https://opendatacommons.org/licenses/pddl/1-0/"),
    "CDLA-Permissive-2.0": (Kind.DATABASE, "Community Data License Agreement Permissive 2.0", "https://cdla.dev/permissive-2-0/"),
    "CDLA-Sharing-1.0": (Kind.DATABASE, "Community Data License Agreement Sharing 1.0", "https://cdla.dev/sharing-1-0/"),
    # A retired CC licence: whole-work copying only for non-commercial purposes.
    "CC-NC-Sampling+-1.0": (Kind.NON_COMMERCIAL, "Creative Commons NonCommercial Sampling Plus 1.0",
                            "https://creativecommons.org/licenses/nc-sampling+/1.0/"),
    "unknown": (Kind.UNKNOWN, "Unknown or unrecognized statement", None),
}

# BY with NC, SA or ND; and the 1.0 suite's licences without attribution (NC, NC-SA, NC-ND, SA, ND).
_CC_ID = re.compile(r"^CC-(BY(?:-NC)?(?:-SA|-ND)?|NC(?:-SA|-ND)?|SA|ND)(?:-(\d\.\d))?(?:-([A-Z]{2,}))?$")


def cc_kind(elements: str) -> Kind:
    """``BY``, ``BY-SA``, ``BY-NC-ND`` … -> the kind of permission."""
    if "NC" in elements.split("-"):
        return Kind.NON_COMMERCIAL
    if "ND" in elements.split("-"):
        return Kind.NO_DERIVATIVES
    return Kind.OPEN


def lookup(license_id: str) -> License:
    """The ``License`` of a canonical id (``unknown`` for anything else)."""
    if license_id in _FIXED:
        kind, title, url = _FIXED[license_id]
        return License(license_id, kind, title, url)
    if license_id in _RS:
        kind, title = _RS[license_id]
        return License(license_id, kind, title, f"http://rightsstatements.org/vocab/{license_id}/1.0/")
    match = _CC_ID.match(license_id)
    if match:
        elements, version, port = match.groups()
        url = None
        if version:
            url = f"https://creativecommons.org/licenses/{elements.lower()}/{version}/" + (f"{port.lower()}/" if port else "")
        title = f"Creative Commons {elements.replace('-', ' ')}" + (f" {version}" if version else "") + (f" {port}" if port else "")
        return License(license_id, cc_kind(elements), title, url)
    kind, title, url = _FIXED["unknown"]
    return License("unknown", kind, title, url)
