"""Rights policies: a canonical licence (and dates) -> allow, deny or review, with the reason and the rule.

``public-domain`` is the PD12M rule: public domain, CC0 and the Public Domain
Mark. ``open`` is the Common Pile rule, the Open Definition: it adds CC BY, CC
BY-SA and other open licences. Under both, non-commercial, no-derivatives,
in-copyright, contractual and restricted statements are denied; statements
that need a person (not evaluated, no known restrictions, unrecognized, a
US-only public domain for a corpus aimed beyond the US, a database licence)
go to review; a record without any statement is denied. Lists in the config
(canonical ids, ``*`` globs) come first: deny, then allow.
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

# Kinds whose verdict the dates may still turn into "public domain": the
# statement says nothing or too little. A statement that reserves rights is
# not overruled by dates (it may concern an edition, translation or scan).
_DATES_MAY_DECIDE = {Kind.MISSING, Kind.UNKNOWN, Kind.PD_US, Kind.NOT_EVALUATED, Kind.NO_KNOWN_RESTRICTIONS,
                     Kind.CLAIM}

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
    Kind.NO_KNOWN_RESTRICTIONS: ("review", "no-known-restrictions"),
    Kind.CLAIM: ("review", "unverified-claim"),
    Kind.UNKNOWN: ("review", "unrecognized-statement"),
    Kind.MISSING: ("deny", "no-rights-statement"),
}


@dataclass(frozen=True)
class RightsDecision:
    decision: Decision
    reason: str  # a short code: public-domain-waiver, non-commercial, us-only-public-domain, pd-by-date, ...
    rule: str    # what fired: "public-domain policy: pd-waiver", "deny list: CC-BY-NC-*", "pd-by-date: ..."
    license: str  # the canonical id recorded in the `license` column

    @property
    def rights_reason(self) -> str:
        """What the `rights_reason` column holds."""
        return f"{self.decision}: {self.reason} ({self.rule})"

    def to_dict(self) -> dict[str, str]:
        return {"license": self.license, "decision": self.decision, "reason": self.reason, "rule": self.rule}


class RightsPolicy:
    def __init__(self, policy: str = "public-domain", jurisdictions: list[str] | tuple[str, ...] = ("US", "EU"),
                 as_of: date | None = None, allow: list[str] | tuple[str, ...] = (),
                 deny: list[str] | tuple[str, ...] = ()) -> None:
        if policy not in POLICIES:
            raise ValueError(f"unknown policy '{policy}'; policies: {', '.join(POLICIES)}")
        unknown = [j for j in jurisdictions if j not in JURISDICTIONS]
        if unknown or not jurisdictions:
            raise ValueError(f"jurisdictions must be among {', '.join(JURISDICTIONS)}; got {list(jurisdictions)}")
        self.policy = policy
        self.jurisdictions = tuple(jurisdictions)
        self.as_of = as_of or date.today()
        self.allow = tuple(allow)
        self.deny = tuple(deny)

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
        if kind == Kind.UNKNOWN and "uploader's claim" in normalized.how:
            kind = Kind.CLAIM
        for pattern in self.deny:
            if fnmatch.fnmatchcase(license_id, pattern):
                return RightsDecision("deny", "deny-list", f"deny list: {pattern}", license_id)
        for pattern in self.allow:
            if fnmatch.fnmatchcase(license_id, pattern) and kind not in (Kind.MISSING, Kind.UNKNOWN):
                return RightsDecision("allow", "allow-list", f"allow list: {pattern}", license_id)
        decision, reason, rule = self._by_statement(license_id, kind)
        if decision != "allow" and kind in _DATES_MAY_DECIDE and (published is not None or died is not None):
            verdict = public_domain_everywhere(self.jurisdictions, published, died, self.as_of)
            if verdict.public_domain:
                return RightsDecision("allow", "pd-by-date", f"pd-by-date as of {self.as_of}: {verdict.rule}",
                                      "public-domain-by-date")
            rule += f"; not public domain by date as of {self.as_of}: {verdict.rule}"
        return RightsDecision(decision, reason, rule, license_id)
