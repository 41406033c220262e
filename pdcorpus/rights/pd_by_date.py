"""Public domain by date: publication year, author's death year, jurisdiction, and an explicit date.

Conservative by construction: a missing fact never makes a work public
domain, and terms that depend on facts we do not have (US renewals for
1931-1963, anonymous works, wartime extensions) are not assumed. A term ends
on 31 December, so a work enters the public domain on 1 January of the year
after; the cut-off moves every year, hence ``as_of``.

The terms and where they are set: US 17 USC 304(b) and 305 (95 years from publication for 1923-1977
works, to the end of the year); EU Directive 2006/116/EC art. 1(1) and 8; UK CDPA 1988 s. 12(2); CH
URG art. 29(2)(b) and 32; AU Copyright Act 1968 s. 33(2) as amended from 1 January 2005 (copyright
that had expired was not revived); CA Copyright Act s. 6 as amended on 30 December 2022 (S.C. 2022,
c. 10, not reviving); JP Copyright Act art. 51(2) and 57 as amended on 30 December 2018 (not
reviving); MX Ley Federal del Derecho de Autor art. 29 (life+100 since 2003; earlier, shorter terms
that may have freed older works are not applied, which errs on the side of copyright). Japan adds
wartime days to the works of Allied nationals that were protected before the peace treaty took
effect (Act No. 302 of 1952, up to 3,794 days for the United States, the United Kingdom, France and
others); pdcorpus is not given the author's nationality, so a JP work published before 1952 (or in
an unknown year) is free only once the longest extension has run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

JURISDICTIONS = ("US", "EU", "UK", "CH", "CA", "AU", "JP", "MX")
JP_WARTIME_DAYS = 3794  # 8 December 1941 to 27 April 1952 (Act No. 302 of 1952, art. 4), the longest addition
_YEAR = re.compile(r"(?<!\d)(\d{3,4})(?!\d)")


@dataclass(frozen=True)
class Verdict:
    public_domain: bool
    rule: str  # e.g. "EU life+70: author died 1890"


def year_of(value: object) -> int | None:
    """The year in ``1813``, ``"1813-01-28"``, ``"c. 1813"``, ``"1813?"``; None if there is none or several."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    years = _YEAR.findall(str(value))
    return int(years[0]) if len(set(years)) == 1 else None


def _life_plus(years: int, died: int | None, y: int, name: str) -> Verdict:
    if died is None:
        return Verdict(False, f"{name} life+{years}: author's death year unknown")
    if died + years < y:
        return Verdict(True, f"{name} life+{years}: author died {died}")
    return Verdict(False, f"{name} life+{years}: author died {died}, public domain from {died + years + 1}")


def verdict(jurisdiction: str, published: int | None, died: int | None, as_of: date) -> Verdict:
    """Whether a work is in the public domain in one jurisdiction on ``as_of``."""
    y = as_of.year
    if died is not None and died > y:
        return Verdict(False, f"{jurisdiction}: death year {died} is after {as_of}")
    if published is not None and published > y:
        return Verdict(False, f"{jurisdiction}: publication year {published} is after {as_of}")
    if jurisdiction == "US":
        if published is None:
            return Verdict(False, "US publication+95: publication year unknown")
        if published + 95 < y:
            return Verdict(True, f"US publication+95: published {published}, before {y - 95}")
        if published <= 1963:
            return Verdict(False, f"US publication+95: published {published}; public domain only if not renewed, "
                                  "which is not assumed")
        return Verdict(False, f"US publication+95: published {published}, public domain from {published + 96}")
    if jurisdiction in ("EU", "UK", "CH"):
        return _life_plus(70, died, y, jurisdiction)
    if jurisdiction == "AU":  # life+70 since 1 January 2005, not revived: deaths up to 1954 stay life+50
        if died is not None and died <= 1954:
            return _life_plus(50, died, y, "AU (death before 1955)")
        return _life_plus(70, died, y, "AU")
    if jurisdiction == "CA":  # life+70 since 2022, not retroactive: deaths up to 1971 stay life+50
        if died is not None and died <= 1971:
            return _life_plus(50, died, y, "CA (death before 1972)")
        return _life_plus(70, died, y, "CA")
    if jurisdiction == "JP":  # life+70 since 30 December 2018, not retroactive: deaths up to 1967 stay life+50
        term, name = (50, "JP (death before 1968)") if died is not None and died <= 1967 else (70, "JP")
        plain = _life_plus(term, died, y, name)
        if not plain.public_domain or (published is not None and published >= 1952):
            return plain
        # Possibly an Allied national's work protected before 28 April 1952: the longest wartime extension.
        free_from = date(died + term, 12, 31) + timedelta(days=JP_WARTIME_DAYS + 1)
        when = f"published {published}" if published is not None else "publication year unknown"
        if as_of >= free_from:
            return Verdict(True, f"{plain.rule}, plus up to {JP_WARTIME_DAYS} wartime days ({when}): free from {free_from}")
        return Verdict(False, f"{name} life+{term}: author died {died}, {when}: an Allied national's work published "
                              f"before 1952 has up to {JP_WARTIME_DAYS} wartime days more, free from {free_from}; the "
                              "nationality is not known")
    if jurisdiction == "MX":
        return _life_plus(100, died, y, "MX")
    raise ValueError(f"unknown jurisdiction '{jurisdiction}'; known: {', '.join(JURISDICTIONS)}")


def public_domain_everywhere(jurisdictions: list[str] | tuple[str, ...], published: int | None, died: int | None,
                             as_of: date) -> Verdict:
    """Public domain in every target jurisdiction; the rule lists each one's reason."""
    verdicts = [verdict(j, published, died, as_of) for j in jurisdictions]
    return Verdict(all(v.public_domain for v in verdicts), "; ".join(v.rule for v in verdicts))
