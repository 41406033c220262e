"""Rights decisions for real-world statements, from a table written from the sources (tests/data/RIGHTS_SOURCES.md).

Each row: a statement as collections publish it, the canonical licence it must normalize to, and the
decision expected under each policy for a corpus aimed at one jurisdiction. A corpus aimed at several
jurisdictions gets the most restrictive of their decisions.
"""

from __future__ import annotations

from pathlib import Path

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


NEVER_ALLOWED = ("CC-BY-NC", "CC-BY-ND", "InC", "NoC-CR", "NoC-NC", "europeana-rr-", "unknown")


@pytest.mark.parametrize("row", [r for r in ROWS if r["license"].startswith(NEVER_ALLOWED)], ids=row_id)
def test_what_a_rights_librarian_would_deny_is_never_allowed(row):
    """NC, ND, in copyright, contractual, restricted and unknown statements: under any policy, anywhere."""
    normalized = normalize(row["statement"])
    for policy in ("public-domain", "open"):
        for jurisdictions in (["US"], ["EU"], ["US", "EU"], ["UK", "JP", "CA"]):
            assert RightsPolicy(policy, jurisdictions).decide(normalized).decision != "allow"
