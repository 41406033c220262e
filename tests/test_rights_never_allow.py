"""What a rights librarian would deny is never allowed: under either policy, for any targets, with or without dates.

Non-commercial and no-derivatives licences fail the Open Definition 2.1 ("free use for any purpose",
derivatives allowed: https://opendefinition.org/od/2.1/en/) and are not public domain, so both policies deny
them; so do rightsstatements.org's InC-NC ("In Copyright - Non-Commercial Use Permitted") and NoC-NC ("No
Copyright - Non-Commercial Use Only"). Dates never overrule them: the statement may concern an edition, a
translation or the scan (an old publication and death year would make the work itself public domain
everywhere). The licence paths are those Creative Commons publishes at https://creativecommons.org/licenses/;
the ids are SPDX's (https://spdx.org/licenses/) where SPDX has one.
"""

from __future__ import annotations

from datetime import date

import pytest

from pdcorpus.rights.normalize import normalize
from pdcorpus.rights.policy import RightsPolicy

AS_OF = date(2026, 1, 1)
VERSIONS = ("1.0", "2.0", "2.5", "3.0", "4.0")

STATEMENTS = [
    *[(f"https://creativecommons.org/licenses/by-nc/{v}/", f"CC-BY-NC-{v}") for v in VERSIONS],
    *[(f"https://creativecommons.org/licenses/by-nc-sa/{v}/", f"CC-BY-NC-SA-{v}") for v in VERSIONS],
    # BY-NC-ND from 2.0 on; in 1.0 it was "Attribution-NoDerivs-NonCommercial" at by-nd-nc (SPDX CC-BY-NC-ND-1.0)
    *[(f"https://creativecommons.org/licenses/by-nc-nd/{v}/", f"CC-BY-NC-ND-{v}") for v in VERSIONS[1:]],
    ("http://creativecommons.org/licenses/by-nd-nc/1.0/", "CC-BY-NC-ND-1.0"),
    *[(f"https://creativecommons.org/licenses/by-nd/{v}/", f"CC-BY-ND-{v}") for v in VERSIONS],
    # 1.0 offered licences without attribution
    ("http://creativecommons.org/licenses/nc/1.0/", "CC-NC-1.0"),
    ("http://creativecommons.org/licenses/nc-sa/1.0/", "CC-NC-SA-1.0"),
    ("http://creativecommons.org/licenses/nd/1.0/", "CC-ND-1.0"),
    ("http://creativecommons.org/licenses/nd-nc/1.0/", "CC-NC-ND-1.0"),
    # the retired NonCommercial Sampling Plus 1.0: whole-work copying only for non-commercial purposes
    ("https://creativecommons.org/licenses/nc-sampling+/1.0/", "CC-NC-Sampling+-1.0"),
    # ports, deeds, legal code, names and SPDX ids of the same licences
    ("https://creativecommons.org/licenses/by-nc-sa/2.1/jp/deed.ja", "CC-BY-NC-SA-2.1-JP"),
    ("https://creativecommons.org/licenses/by-nd/3.0/de/legalcode", "CC-BY-ND-3.0-DE"),
    ("CC BY-NC 4.0", "CC-BY-NC-4.0"),
    ("Attribution-NonCommercial-NoDerivatives 4.0 International", "CC-BY-NC-ND-4.0"),
    ("CC-BY-NC-SA-3.0", "CC-BY-NC-SA-3.0"),
    ("cc-by-nd", "CC-BY-ND"),
    ({"inaturalist": {"license_code": "cc-by-nc"}}, "CC-BY-NC"),
    ("http://rightsstatements.org/vocab/InC-NC/1.0/", "InC-NC"),
    ("http://rightsstatements.org/vocab/NoC-NC/1.0/", "NoC-NC"),
    ("No Copyright - Non-Commercial Use Only", "NoC-NC"),
    ("http://www.europeana.eu/rights/out-of-copyright-non-commercial/", "NoC-NC"),
]
TARGETS = (["US"], ["EU"], ["US", "EU"], ["UK", "JP", "CA"], ["CH", "AU", "MX"],
           ["US", "EU", "UK", "CH", "CA", "AU", "JP", "MX"])
DATES = ({}, {"published": 1850, "died": 1890}, {"published": 1700, "died": 1650}, {"published": 1925})


@pytest.mark.parametrize("statement,license_id", STATEMENTS, ids=[str(s[1]) + ":" + str(s[0])[:60] for s in STATEMENTS])
def test_non_commercial_and_no_derivatives_are_denied_whatever_the_dates(statement, license_id):
    normalized = normalize(statement)
    assert normalized.license == license_id
    for policy in ("public-domain", "open"):
        for then in ("review", "allow"):
            for targets in TARGETS:
                for dates in DATES:
                    decision = RightsPolicy(policy, targets, AS_OF, dates_without_statement=then).decide(normalized,
                                                                                                          **dates)
                    assert decision.decision == "deny", (policy, then, targets, dates, decision.rule)
                    assert decision.license == license_id
