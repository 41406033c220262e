"""Public domain by date, per jurisdiction, as of an explicit date (facts: ../shared/REFERENCE.md).

As of 1 January 2026: US, published before 1931 (1931-1963 only if not renewed, never assumed);
EU, UK, Switzerland, Australia: author died 1955 or earlier; Canada: died 1971 or earlier
(life+70 not retroactive); Japan: died 1967 or earlier; Mexico: life+100.
"""

from __future__ import annotations

from datetime import date

import pytest

from pdcorpus.rights.normalize import normalize
from pdcorpus.rights.pd_by_date import public_domain_everywhere, verdict, year_of
from pdcorpus.rights.policy import RightsPolicy

AS_OF = date(2026, 1, 1)

CASES = [
    # jurisdiction, published, died, public domain?
    ("US", 1930, None, True),
    ("US", 1931, None, False),      # 1931-1963: only if not renewed; not assumed
    ("US", 1963, 1900, False),
    ("US", 1850, None, True),
    ("US", None, 1850, False),      # no publication year: nothing decided
    ("EU", None, 1955, True),
    ("EU", None, 1956, False),
    ("EU", 1800, None, False),      # no death year: nothing decided, however old
    ("UK", None, 1955, True),
    ("UK", None, 1956, False),
    ("CH", None, 1955, True),
    ("AU", None, 1955, True),
    ("AU", None, 1954, True),
    ("AU", None, 1956, False),
    ("CA", None, 1971, True),       # life+50 for deaths before 1972
    ("CA", None, 1972, False),      # life+70 from 2022, not retroactive: free in 2043
    ("JP", None, 1967, True),       # life+50 for deaths before 1968
    ("JP", None, 1968, False),      # life+70 from 2018: free in 2039
    ("MX", None, 1925, True),
    ("MX", None, 1926, False),
]


@pytest.mark.parametrize("jurisdiction,published,died,expected", CASES)
def test_public_domain_by_date_as_of_2026(jurisdiction, published, died, expected):
    assert verdict(jurisdiction, published, died, AS_OF).public_domain is expected


def test_the_cut_off_moves_with_as_of():
    assert not verdict("EU", None, 1956, date(2026, 12, 31)).public_domain
    assert verdict("EU", None, 1956, date(2027, 1, 1)).public_domain
    assert verdict("US", 1931, None, date(2027, 1, 1)).public_domain
    assert not verdict("CA", None, 1972, date(2042, 6, 1)).public_domain
    assert verdict("CA", None, 1972, date(2043, 1, 1)).public_domain


def test_every_target_must_agree_and_the_rule_says_why():
    both = public_domain_everywhere(["US", "EU"], 1850, 1890, AS_OF)
    assert both.public_domain
    assert both.rule == "US publication+95: published 1850, before 1931; EU life+70: author died 1890"
    us_only = public_domain_everywhere(["US", "EU"], 1920, 1960, AS_OF)
    assert not us_only.public_domain
    assert "EU life+70: author died 1960, public domain from 2031" in us_only.rule


def test_years_are_read_from_real_date_strings():
    assert [year_of(v) for v in ("1813", "1813-01-28", "c. 1813", "[1813?]", 1813, "published 1813, London")] == [1813] * 6
    assert [year_of(v) for v in (None, "", "n.d.", "1813-1820", True)] == [None] * 5


@pytest.mark.parametrize("statement", ["", "Public domain in the USA.", "http://rightsstatements.org/vocab/UND/1.0/",
                                       "http://rightsstatements.org/vocab/NKC/1.0/", "some unknown wording"])
def test_dates_can_make_a_weak_or_missing_statement_public_domain(statement):
    policy = RightsPolicy("public-domain", ["US", "EU"], AS_OF)
    decision = policy.decide(normalize(statement), published=1850, died=1890)
    assert (decision.decision, decision.license, decision.reason) == ("allow", "public-domain-by-date", "pd-by-date")
    assert decision.rule.startswith("pd-by-date as of 2026-01-01: US publication+95: published 1850")


@pytest.mark.parametrize("statement", ["Copyrighted. Read the copyright notice inside this book for details.",
                                       "https://creativecommons.org/licenses/by-nc/4.0/",
                                       "http://rightsstatements.org/vocab/NoC-CR/1.0/",
                                       "http://www.europeana.eu/rights/rr-f/"])
def test_dates_never_overrule_a_statement_that_reserves_rights(statement):
    """The statement may concern an edition, a translation or the scan: it stands."""
    decision = RightsPolicy("open", ["US", "EU"], AS_OF).decide(normalize(statement), published=1850, died=1890)
    assert decision.decision == "deny"


def test_missing_facts_never_make_public_domain():
    policy = RightsPolicy("public-domain", ["US", "EU"], AS_OF)
    decision = policy.decide(normalize(""), published=1850, died=None)  # EU needs the death year
    assert decision.decision == "deny" and decision.reason == "no-rights-statement"
    assert "EU life+70: author's death year unknown" in decision.rule
    assert policy.decide(normalize("Public domain in the USA."), published=1850).decision == "review"
    assert RightsPolicy("public-domain", ["US"], AS_OF).decide(normalize("Public domain in the USA.")).decision == "allow"
