"""Rights policies: a canonical licence (and dates) -> allow, deny or review, with the reason and the rule.

``public-domain`` is the PD12M rule: public domain, CC0 and the Public Domain
Mark. ``open`` is the Common Pile rule, the Open Definition: it adds CC BY, CC
BY-SA and other open licences. Under both, non-commercial, no-derivatives,
in-copyright, contractual and restricted statements are denied; statements
that need a person (not evaluated, undetermined, no known restrictions, an
uploader's claim, unrecognized, a US-only public domain for a corpus aimed
beyond the US, a database licence) go to review; a record without any
statement is denied. Lists in the config (canonical ids, ``*`` globs) come
first: deny, then allow; an allow list never admits a missing or unrecognized
statement.

Publication and death years (``pd_by_date``) settle only what a statement
leaves open, one rule everywhere:

- a statement that reserves rights (InC, NC, ND, contractual, restricted,
  other known restrictions) is never overruled by dates: it may concern an
  edition, a translation or the scan;
- an *unrecognized* non-empty statement is never overruled by dates either
  (it may be an edition's or a translation's notice): review, and the rule
  says so; so is rightsstatements.org's UND (the holder looked at the item, with
  its dates, and could not decide);
- CNE (nobody evaluated it), NKC (no definitive determination) and an
  uploader's claim of no copyright may be settled by dates: public domain by
  date in every target jurisdiction -> allow as ``public-domain-by-date``;
- a US-only public domain (NoC-US, "Public domain in the USA.", US government
  works) settles the US; dates may settle the other targets;
- a *missing* statement may be settled by dates only as the config says:
  ``dates_without_statement: review`` (the default) sends a record that dates
  make public domain to review, ``allow`` allows it; the reason is
  ``pd-by-date-no-statement`` and the rule names the option. Without dates that
  settle it, a missing statement is denied.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from typing import Literal

from pdcorpus.rights.licenses import Kind, lookup
from pdcorpus.rights.normalize import Normalized
from pdcorpus.rights.pd_by_date import JURISDICTIONS, public_domain_everywhere

Decision = Literal["allow", "deny", "review"]
POLICIES = ("public-domain", "open")
DATES_WITHOUT_STATEMENT = ("review", "allow")

# Statements that say too little, which dates may settle (the reasons, from each statement's own
# definition, are in docs/architecture.md, "Rights"). MISSING is settled only as the config's
# ``dates_without_statement`` says; every other kind is never overruled by dates.
_DATES_MAY_SETTLE = {
    Kind.PD_US,                  # NoC-US: public domain in the US; "not determined" elsewhere
    Kind.NOT_EVALUATED,          # CNE: "has not been evaluated"; use "as permitted by the legislation"
    Kind.NO_KNOWN_RESTRICTIONS,  # NKC: believed free, "a conclusive determination could not be made"
    Kind.CLAIM,                  # an uploader's claim of no copyright: the dates are the evidence
}
_NEVER_BY_DATE = {
    Kind.UNKNOWN: "never settled by dates: a statement pdcorpus does not recognize may be an edition's or a "
                  "translation's notice",
    Kind.UNDETERMINED: "never settled by dates: the holder evaluated the item, with its dates, and could not decide",
}

_ALWAYS = {
    Kind.PD_WAIVER: ("allow", "public-domain-waiver"),
    Kind.PD_MARK: ("allow", "public-domain-mark"),
    Kind.PD_CLAIM: ("allow", "public-domain-statement"),
    Kind.PD_BY_DATE: ("allow", "pd-by-date"),
    Kind.NON_COMMERCIAL: ("deny", "non-commercial"),
    Kind.NO_DERIVATIVES: ("deny", "no-derivatives"),
    Kind.IN_COPYRIGHT: ("deny", "in-copyright"),
    Kind.CONTRACTUAL: ("deny", "contractual-restrictions"),
    Kind.RESTRICTED: ("deny", "restricted-access"),
    Kind.OTHER_RESTRICTIONS: ("review", "other-legal-restrictions"),
    Kind.NOT_EVALUATED: ("review", "copyright-not-evaluated"),
    Kind.UNDETERMINED: ("review", "copyright-undetermined"),
    Kind.NO_KNOWN_RESTRICTIONS: ("review", "no-known-restrictions"),
    Kind.CLAIM: ("review", "unverified-claim"),
    Kind.UNKNOWN: ("review", "unrecognized-statement"),
    Kind.MISSING: ("deny", "no-rights-statement"),
}


@dataclass(frozen=True)
class RightsDecision:
    decision: Decision
    reason: str  # a short code: public-domain-waiver, non-commercial, pd-by-date, pd-by-date-no-statement, ...
    rule: str    # what fired: "public-domain policy: pd-waiver", "deny list: CC-BY-NC-*", "no statement; ..."
    license: str  # the canonical id recorded in the `license` column

    @property
    def rights_reason(self) -> str:
        """What the `rights_reason` column holds."""
        return f"{self.decision}: {self.reason} ({self.rule})"

    def to_dict(self) -> dict[str, str]:
        return {"license": self.license, "decision": self.decision, "reason": self.reason, "rule": self.rule}


# The target jurisdictions when none are given: the rights stage's default (RightsParams) and the `rights` command's.
DEFAULT_JURISDICTIONS: tuple[str, ...] = ("US", "EU")


class RightsPolicy:
    def __init__(self, policy: str = "public-domain", jurisdictions: list[str] | tuple[str, ...] = DEFAULT_JURISDICTIONS,
                 as_of: date | None = None, allow: list[str] | tuple[str, ...] = (),
                 deny: list[str] | tuple[str, ...] = (), dates_without_statement: str = "review") -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown policy '{policy}'; policies: {', '.join(POLICIES)}")
        if dates_without_statement not in DATES_WITHOUT_STATEMENT:
            raise ValueError(f"dates_without_statement must be allow or review; got '{dates_without_statement}'")
        unknown = [j for j in jurisdictions if j not in JURISDICTIONS]
        if unknown or not jurisdictions:
            raise ValueError(f"jurisdictions must be among {', '.join(JURISDICTIONS)}; got {list(jurisdictions)}")
        self.policy = policy
        self.jurisdictions = tuple(jurisdictions)
        self.as_of = as_of or date.today()
        self.allow = tuple(allow)
        self.deny = tuple(deny)
        self.dates_without_statement = dates_without_statement

    def _by_statement(self, license_id: str, kind: Kind) -> tuple[Decision, str, str]:
        where = f"{self.policy} policy: {kind.value}"
        if kind == Kind.PD_US:
            if set(self.jurisdictions) == {"US"}:
                return "allow", "us-public-domain", f"{where}, the corpus targets only the US"
            others = ", ".join(j for j in self.jurisdictions if j != "US")
            return "review", "us-only-public-domain", f"{where}, not shown for {others}"
        if kind == Kind.OPEN:
            if self.policy == "open":
                return "allow", "open-licence", where
            return "deny", "not-public-domain", where
        if kind == Kind.DATABASE:
            if self.policy == "open":
                return "review", "database-licence", f"{where}: covers the compilation, not its contents"
            return "deny", "not-public-domain", where
        decision, reason = _ALWAYS[kind]
        return decision, reason, where

    def decide(self, normalized: Normalized, published: int | None = None, died: int | None = None) -> RightsDecision:
        license_id = normalized.license
        kind = Kind.MISSING if normalized.missing else lookup(license_id).kind
        if kind == Kind.UNKNOWN and normalized.claim:
            kind = Kind.CLAIM
        for pattern in self.deny:
            if fnmatch.fnmatchcase(license_id, pattern):
                return RightsDecision("deny", "deny-list", f"deny list: {pattern}", license_id)
        for pattern in self.allow:
            if fnmatch.fnmatchcase(license_id, pattern) and kind not in (Kind.MISSING, Kind.UNKNOWN):
                return RightsDecision("allow", "allow-list", f"allow list: {pattern}", license_id)
        decision, reason, rule = self._by_statement(license_id, kind)
        if decision == "allow":
            return RightsDecision(decision, reason, rule, license_id)
        dated = published is not None or died is not None
        if kind in _NEVER_BY_DATE:
            rule += f"; {_NEVER_BY_DATE[kind]}"
            if dated:
                verdict = public_domain_everywhere(self.jurisdictions, published, died, self.as_of)
                rule += (f"; by date as of {self.as_of} it would {'' if verdict.public_domain else 'not '}be public "
                         f"domain: {verdict.rule}")
            return RightsDecision(decision, reason, rule, license_id)
        if not dated or (kind not in _DATES_MAY_SETTLE and kind != Kind.MISSING):
            return RightsDecision(decision, reason, rule, license_id)
        # A US-only public domain settles the US by itself; the dates settle the other targets.
        by_statement = ["US"] if kind == Kind.PD_US and "US" in self.jurisdictions else []
        targets = [j for j in self.jurisdictions if j not in by_statement]
        verdict = public_domain_everywhere(targets, published, died, self.as_of)
        if not verdict.public_domain:
            return RightsDecision(decision, reason, f"{rule}; not public domain by date as of {self.as_of}: "
                                                    f"{verdict.rule}", license_id)
        by_date = (f"pd-by-date as of {self.as_of}: " + ("US by the statement (pd-us); " if by_statement else "")
                   + verdict.rule)
        if kind == Kind.MISSING:
            then = self.dates_without_statement
            return RightsDecision(then, "pd-by-date-no-statement",
                                  f"no statement; dates_without_statement: {then}; {by_date}",
                                  "public-domain-by-date" if then == "allow" else license_id)
        return RightsDecision("allow", "pd-by-date", f"{kind.value} statement settled by dates; {by_date}",
                              "public-domain-by-date")
