"""Rights decisions for real-world statements, from a table written from the sources (tests/data/RIGHTS_SOURCES.md).

Each row: a statement as collections publish it, the canonical licence it must normalize to, and the
decision expected under each policy for a corpus aimed at one jurisdiction. A corpus aimed at several
jurisdictions gets the most restrictive of their decisions.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from pdcorpus.rights.normalize import normalize
from pdcorpus.rights.policy import RightsPolicy

ROWS = yaml.safe_load((Path(__file__).parent / "data" / "rights_statements.yaml").read_text())
STRICTNESS = {"allow": 0, "review": 1, "deny": 2}


def row_id(row: dict) -> str:
    return f"{row['family']}:{str(row['statement'])[:70]}"


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_statement_normalizes_and_is_decided_as_the_sources_say(row):
    normalized = normalize(row["statement"])
    assert normalized.license == row["license"]
    for policy in ("public-domain", "open"):
        for jurisdiction, expected in row[policy].items():
            decision = RightsPolicy(policy, [jurisdiction]).decide(normalized)
            assert (policy, jurisdiction, decision.decision) == (policy, jurisdiction, expected), decision.rule
            assert decision.license == row["license"]
        several = sorted(row[policy])
        expected = max((row[policy][j] for j in several), key=STRICTNESS.__getitem__)
        assert RightsPolicy(policy, several).decide(normalized).decision == expected


def test_the_table_covers_the_families_and_size_the_issue_asks_for():
    assert len(ROWS) >= 80
    families = {row["family"] for row in ROWS}
    assert {"cc-url", "spdx", "rightsstatements", "europeana", "free-text", "wikimedia", "met", "smithsonian",
            "inaturalist", "internet-archive", "gutenberg", "missing"} <= families


def is_uploader_claim(row: dict) -> bool:
    ia = row["statement"].get("internet-archive") if isinstance(row["statement"], dict) else None
    return bool(ia and ia.get("possible-copyright-status") and not ia.get("licenseurl"))


def never_allowed(row: dict) -> bool:
    """From the row's expectation, not the code: NC or ND licences (any CC id with an NC or ND element, CC-NC-1.0
    included), the InC family, NoC-CR, NoC-NC, NoC-OKLR, Europeana rr-*, and unrecognized non-empty statements
    (``unknown`` decided ``review``; a missing statement is ``unknown`` decided ``deny``)."""
    license_id = row["license"]
    elements = license_id.split("-")
    if is_uploader_claim(row):  # a claim of no copyright, which the dates may settle (RIGHTS_SOURCES.md)
        return False
    return ((license_id.startswith("CC-") and ("NC" in elements or "ND" in elements))
            or license_id.startswith(("InC", "NoC-CR", "NoC-NC", "NoC-OKLR", "europeana-rr-"))
            or (license_id == "unknown" and "review" in row["public-domain"].values()))


def missing(row: dict) -> bool:
    return row["license"] == "unknown" and set(row["public-domain"].values()) == {"deny"}


TARGETS = (["US"], ["EU"], ["US", "EU"], ["UK", "JP", "CA"], ["CH", "AU", "MX"])
OLD = {"published": 1850, "died": 1890}  # public domain by date everywhere pdcorpus knows, as of 2026


@pytest.mark.parametrize("row", [r for r in ROWS if never_allowed(r)], ids=row_id)
def test_what_a_rights_librarian_would_deny_is_never_allowed(row):
    """NC, ND, in copyright, contractual, restricted and unrecognized statements: under any policy, anywhere, and
    whatever the dates say (the statement may be an edition's or a translation's)."""
    normalized = normalize(row["statement"])
    for policy in ("public-domain", "open"):
        for then in ("review", "allow"):
            for jurisdictions in TARGETS:
                for dates in ({}, OLD):
                    decision = RightsPolicy(policy, jurisdictions, date(2026, 1, 1),
                                            dates_without_statement=then).decide(normalized, **dates)
                    assert decision.decision != "allow", (policy, then, jurisdictions, dates, decision.rule)


def test_the_never_allowed_rows_include_every_nc_and_nd_family_the_table_has():
    ids = {r["license"] for r in ROWS if never_allowed(r)}
    assert {"CC-NC-1.0", "CC-BY-NC-ND-1.0", "InC-NC", "NoC-NC", "unknown"} <= ids
    assert len([r for r in ROWS if never_allowed(r)]) >= 60


@pytest.mark.parametrize("row", [r for r in ROWS if missing(r)], ids=row_id)
def test_a_missing_statement_is_allowed_by_dates_only_with_the_option(row):
    normalized = normalize(row["statement"])
    for policy in ("public-domain", "open"):
        for jurisdictions in TARGETS:
            default = RightsPolicy(policy, jurisdictions, date(2026, 1, 1)).decide(normalized, **OLD)
            assert (default.decision, default.reason) == ("review", "pd-by-date-no-statement")
            allowed = RightsPolicy(policy, jurisdictions, date(2026, 1, 1),
                                   dates_without_statement="allow").decide(normalized, **OLD)
            assert (allowed.decision, allowed.license) == ("allow", "public-domain-by-date")
            assert "no statement; dates_without_statement: allow" in allowed.rule


SOURCES_MD = (Path(__file__).parent / "data" / "RIGHTS_SOURCES.md").read_text(encoding="utf-8")
_HOSTS = {re.sub(r"^www\.", "", urlsplit(u).netloc) for u in re.findall(r"https?://[^\s;)`'\"|>]+", SOURCES_MD)}


def _deed_id(url: str) -> str | None:
    """The licence a Creative Commons deed or rightsstatements.org URL names, read from the URL as CC and
    rightsstatements.org publish them (not through pdcorpus's normalizer)."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    host = urlsplit(url).netloc
    if host.endswith("creativecommons.org") and parts[:1] == ["publicdomain"] and len(parts) >= 3:
        return {"zero": "CC0-1.0", "mark": "PDM-1.0"}.get(parts[1])
    if host.endswith("creativecommons.org") and parts[:1] == ["licenses"] and len(parts) >= 3:
        elements = sorted(parts[1].split("-"), key=["by", "nc", "sa", "nd"].index)
        return "-".join(["CC", *(e.upper() for e in elements), parts[2], *(p.upper() for p in parts[3:4])])
    if host == "rightsstatements.org" and parts[:1] == ["vocab"]:
        return parts[1]
    return None


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_every_row_names_the_document_that_fixes_its_expectation(row):
    source = row.get("source")
    assert isinstance(source, str) and source.strip(), "a row without a source"
    if re.match(r"^https?://", source):
        host = re.sub(r"^www\.", "", urlsplit(source).netloc)
        assert host in _HOSTS, f"{source}: its site is not among the documents RIGHTS_SOURCES.md lists"
        named = _deed_id(source)
        if named:  # a licence deed or statement page: the one the row expects (a versionless id matches any version)
            assert named == row["license"] or named.startswith(row["license"] + "-"), (named, row["license"])
    else:
        assert source in SOURCES_MD, f"'{source}' is neither a URL nor a document RIGHTS_SOURCES.md lists"
    note = row.get("policy")
    if note is not None:  # a policy choice where the sources disagree or say nothing: it is written down
        number = re.match(r"^(P\d+): \S", note)
        assert number, f"policy note '{note}' must start with the choice's number, e.g. 'P3: ...'"
        assert f"**{number.group(1)}." in SOURCES_MD, f"{number.group(1)} is not in RIGHTS_SOURCES.md"


def test_inaturalist_codes_are_read_as_inaturalist_defines_them():
    """app/models/shared/license_module.rb: a blank code is COPYRIGHT (all rights reserved), whether null or empty."""
    rows = [r for r in ROWS if r["family"] == "inaturalist"]
    blank = [r for r in rows if r["statement"]["inaturalist"]["license_code"] in (None, "")]
    assert len(blank) == 2 and all(r["license"] == "InC" and "license_module.rb" in r["source"] for r in blank)
