"""Public domain by date, per jurisdiction, as of an explicit date (facts: ../shared/REFERENCE.md).

As of 1 January 2026: US, published before 1931 (1931-1963 only if not renewed, never assumed);
EU, UK, Switzerland, Australia: author died 1955 or earlier; Canada: died 1971 or earlier
(life+70 not retroactive); Japan: died 1967 or earlier (and, for a work published before 1952, the wartime
extension run); Mexico: life+100.
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
    ("JP", 1955, 1967, True),       # life+50 for deaths before 1968 (published after the peace treaty)
    ("JP", None, 1967, False),      # perhaps an Allied national's pre-1952 work: 3,794 wartime days more
    ("JP", 1940, 1964, True),       # 2014-12-31 + 3,794 days: free from 2025-05-22
    ("JP", 1940, 1965, False),      # 2015-12-31 + 3,794 days: free from 2026-05-22
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


# -- which statements dates may settle (pdcorpus/rights/policy.py; docs/architecture.md, "Rights") ---------------

OLD = {"published": 1850, "died": 1890}  # public domain by date in every jurisdiction above, as of 2026
YOUNG = {"published": 1950, "died": 1960}  # in copyright in the EU (life+70) and not shown in the US (renewal)
EVERYWHERE = ["US", "EU", "UK", "CH", "CA", "AU", "JP", "MX"]
UNRECOGNIZED = ["some unknown wording", "None", "Translation by the editor; see the notice in the book",
                {"internet-archive": {"possible-copyright-status": "Copyright by original authors"}},
                {"wikimedia": {"LicenseShortName": {"value": "Licence de l'édition"}}}]
MISSING = ["", "   ", None, {"met": {"Is Public Domain": None}}, {"wikimedia": {"Artist": {"value": "Hugo"}}},
           {"internet-archive": {"licenseurl": "", "possible-copyright-status": ""}}]


@pytest.mark.parametrize("policy", ["public-domain", "open"])
@pytest.mark.parametrize("then", ["review", "allow"])
@pytest.mark.parametrize("statement", UNRECOGNIZED)
def test_dates_never_overrule_an_unrecognized_statement(statement, then, policy):
    """It may be an edition's or a translation's notice: a person decides, and the rule says why."""
    for targets in (["US", "EU"], EVERYWHERE, ["US"]):
        decision = RightsPolicy(policy, targets, AS_OF, dates_without_statement=then).decide(normalize(statement), **OLD)
        assert (decision.decision, decision.reason, decision.license) == ("review", "unrecognized-statement", "unknown")
        assert "never settled by dates" in decision.rule and "an edition's or a translation's notice" in decision.rule
        assert "it would be public domain" in decision.rule  # the reviewer sees what the dates say


def test_a_missing_statement_goes_to_review_by_default_when_dates_make_it_public_domain():
    for statement in MISSING:
        decision = RightsPolicy("public-domain", ["US", "EU"], AS_OF).decide(normalize(statement), **OLD)
        assert (decision.decision, decision.reason, decision.license) == ("review", "pd-by-date-no-statement", "unknown")
        assert decision.rights_reason == (
            "review: pd-by-date-no-statement (no statement; dates_without_statement: review; pd-by-date as of "
            "2026-01-01: US publication+95: published 1850, before 1931; EU life+70: author died 1890)")


def test_a_missing_statement_is_allowed_by_dates_only_where_the_config_says_so():
    policy = RightsPolicy("public-domain", ["US", "EU"], AS_OF, dates_without_statement="allow")
    for statement in MISSING:
        decision = policy.decide(normalize(statement), **OLD)
        assert (decision.decision, decision.reason, decision.license) == ("allow", "pd-by-date-no-statement",
                                                                          "public-domain-by-date")
        assert decision.rights_reason == (
            "allow: pd-by-date-no-statement (no statement; dates_without_statement: allow; pd-by-date as of "
            "2026-01-01: US publication+95: published 1850, before 1931; EU life+70: author died 1890)")
    # Dates that do not make it public domain everywhere, or no dates: no statement is no permission.
    for dates in (YOUNG, {"published": 1850}, {}):
        decision = policy.decide(normalize(""), **dates)
        assert (decision.decision, decision.reason) == ("deny", "no-rights-statement")
    with pytest.raises(ValueError, match="dates_without_statement must be allow or review"):
        RightsPolicy(dates_without_statement="yes")


@pytest.mark.parametrize("statement", ["http://rightsstatements.org/vocab/CNE/1.0/",   # not evaluated
                                       "http://rightsstatements.org/vocab/NKC/1.0/",   # no known copyright
                                       "No known copyright restrictions",
                                       {"internet-archive": {"possible-copyright-status": "NOT_IN_COPYRIGHT"}}])
def test_dates_settle_a_statement_that_leaves_the_status_open(statement):
    """CNE: "has not been evaluated"; NKC: "a conclusive determination could not be made"; an uploader's claim of
    no copyright: each leaves the status to "the copyright and related rights legislation that applies to your
    use" (rightsstatements.org), which the dates decide."""
    policy = RightsPolicy("public-domain", ["US", "EU"], AS_OF)
    decision = policy.decide(normalize(statement), **OLD)
    assert (decision.decision, decision.reason, decision.license) == ("allow", "pd-by-date", "public-domain-by-date")
    assert "statement settled by dates; pd-by-date as of 2026-01-01: US publication+95: published 1850" in decision.rule
    assert policy.decide(normalize(statement), **YOUNG).decision == "review"
    assert policy.decide(normalize(statement)).decision == "review"


def test_dates_never_settle_copyright_undetermined():
    """UND: the holder "reviewed" the item and "was unable to make a conclusive determination" (rightsstatements.org):
    it had the item's dates, so the dates cannot settle what it could not."""
    decision = RightsPolicy("public-domain", ["US", "EU"], AS_OF).decide(
        normalize("http://rightsstatements.org/vocab/UND/1.0/"), **OLD)
    assert (decision.decision, decision.reason, decision.license) == ("review", "copyright-undetermined", "UND")
    assert "never settled by dates" in decision.rule


@pytest.mark.parametrize("statement", ["Public domain in the USA.", "http://rightsstatements.org/vocab/NoC-US/1.0/",
                                       "United States Government work"])
def test_a_us_only_public_domain_settles_the_us_and_dates_the_other_targets(statement):
    """NoC-US: public domain "under the laws of the United States", no determination "under the copyright laws of
    other countries". Published 1940 (renewal unknown: not public domain in the US by date alone), author died
    1950 (EU life+70: public domain from 2021): the statement settles the US, the death year the EU."""
    decision = RightsPolicy("public-domain", ["US", "EU"], AS_OF).decide(normalize(statement), published=1940, died=1950)
    assert (decision.decision, decision.license) == ("allow", "public-domain-by-date")
    assert decision.rule.endswith("pd-by-date as of 2026-01-01: US by the statement (pd-us); EU life+70: author died 1950")
    young = RightsPolicy("public-domain", ["US", "EU"], AS_OF).decide(normalize(statement), published=1940, died=1960)
    assert (young.decision, young.reason) == ("review", "us-only-public-domain")
    assert "EU life+70: author died 1960, public domain from 2031" in young.rule


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


# -- beyond the US and the EU: a work public domain in one jurisdiction and not in another ------------------------
# Each expectation is derived from the statute, as /work/shared/REFERENCE.md summarizes it as of 1 January 2026
# (terms run to the end of the calendar year, so the work is free on 1 January of the year after):
# - US: 17 USC 304(b), 305: 95 years from publication for works of 1923-1977 -> published before 1931; 1931-1963
#   only if not renewed, which dates cannot show.
# - UK: Copyright, Designs and Patents Act 1988 s. 12(2) (SI 1995/3297): life + 70 -> died 1955 or earlier.
# - CH: Bundesgesetz über das Urheberrecht (URG) art. 29(2)(b), art. 32: life + 70 -> died 1955 or earlier.
# - AU: Copyright Act 1968 s. 33(2), life + 70 from 1 January 2005 (US Free Trade Agreement Implementation Act
#   2004, sch. 9), which did not revive expired copyright: life + 50 had freed every author who died before 1955.
# - CA: Copyright Act (R.S.C. 1985, c. C-42) s. 6, life + 70 from 30 December 2022 (S.C. 2022, c. 10, s. 277),
#   not reviving: life + 50 had freed every author who died in 1971 or earlier.
# - JP: Copyright Act (Act No. 48 of 1970) art. 51(2), 57, life + 70 from 30 December 2018 (Act No. 108 of 2016),
#   not reviving: life + 50 had freed every author who died in 1967 or earlier; an Allied national's work protected
#   before the peace treaty has up to 3,794 days more (Act No. 302 of 1952, art. 4), so a work published before 1952
#   is taken to have them (the nationality is not known).
# - MX: Ley Federal del Derecho de Autor art. 29 (reform of 23 July 2003): life + 100 -> died 1925 or earlier.
# - EU: Directive 2006/116/EC art. 1(1), 8: life + 70 -> died 1955 or earlier.

ELSEWHERE = [
    # jurisdiction, published, died, where it is not (yet) public domain
    ("JP", 1950, 1960, ["EU", "UK", "CH", "AU", "MX", "US"]),  # JP life+50 + wartime days: free 2021; EU: 2031
    ("CA", 1950, 1965, ["EU", "UK", "CH", "AU", "MX", "US"]),  # CA life+50: free 2016; EU: 2036
    ("MX", 1940, 1920, ["US"]),                                 # MX life+100: free 2021; US: published 1940
    ("UK", 1950, 1940, ["US", "MX"]),                           # UK life+70: free 2011; US: published 1950
    ("CH", 1955, 1950, ["US", "MX"]),                           # CH life+70: free 2021; MX life+100: 2051
    ("AU", 1935, 1945, ["US", "MX"]),                           # AU life+50 (died before 1955): free 1996
]


@pytest.mark.parametrize("jurisdiction,published,died,not_there", ELSEWHERE, ids=[c[0] for c in ELSEWHERE])
def test_a_work_public_domain_in_one_jurisdiction_and_not_in_others(jurisdiction, published, died, not_there):
    assert verdict(jurisdiction, published, died, AS_OF).public_domain
    for other in not_there:
        assert not verdict(other, published, died, AS_OF).public_domain, other
    cne = normalize("http://rightsstatements.org/vocab/CNE/1.0/")  # a statement that leaves it to the dates
    alone = RightsPolicy("public-domain", [jurisdiction], AS_OF).decide(cne, published, died)
    assert (alone.decision, alone.license) == ("allow", "public-domain-by-date")
    assert alone.rule.split("pd-by-date as of 2026-01-01: ")[1].startswith(jurisdiction)
    for other in not_there:
        both = RightsPolicy("public-domain", [jurisdiction, other], AS_OF).decide(cne, published, died)
        assert both.decision == "review", other


def test_australia_did_not_revive_what_life_plus_50_had_freed():
    """An author who died in 1950 was free in Australia from 2001 (life + 50); the 2005 extension to life + 70 only
    lengthened copyrights still running, so on 1 January 2010 the work is free in AU but not in the EU or UK (2021).
    An author who died in 1955 was still protected on 1 January 2005: life + 70, free from 2026."""
    as_of = date(2010, 1, 1)
    assert verdict("AU", None, 1950, as_of).public_domain
    assert not verdict("EU", None, 1950, as_of).public_domain and not verdict("UK", None, 1950, as_of).public_domain
    assert verdict("AU", None, 1954, date(2005, 1, 1)).public_domain
    assert not verdict("AU", None, 1955, date(2025, 12, 31)).public_domain
    assert verdict("AU", None, 1955, date(2026, 1, 1)).public_domain
    decision = RightsPolicy("public-domain", ["AU"], as_of).decide(
        normalize("http://rightsstatements.org/vocab/NKC/1.0/"), 1930, 1950)
    assert (decision.decision, decision.license) == ("allow", "public-domain-by-date")
    assert "AU (death before 1955) life+50: author died 1950" in decision.rule
