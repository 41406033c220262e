"""The rights stage: every record gets a canonical licence and a decision with its reason.

``allow`` passes on; ``review`` goes to the review queue (``OUT/review/``),
never into the corpus and never silently dropped; ``deny`` is set aside with
its reason. The stage writes ``license`` (canonical id), keeps ``license_raw``
verbatim, and writes ``rights_reason`` (decision, reason code, the rule that
fired). A source may state one licence for its whole collection, with its
evidence; records without a statement of their own take it.

Dates (``published``, ``died``) settle only what a statement leaves open
(``pdcorpus.rights.policy`` has the rule): never a statement that reserves
rights or one pdcorpus does not recognize; a record with no statement at all
only as ``dates_without_statement`` says (``review``, the default, or
``allow``), and its ``rights_reason`` names the option.
"""

from __future__ import annotations

import difflib
import json
from datetime import date
from functools import lru_cache
from typing import Any, Iterable, Iterator, Literal

from pydantic import Field, field_validator

from pdcorpus.io.readers import follow
from pdcorpus.record import COLUMNS, Record
from pdcorpus.rights.normalize import Normalized, normalize
from pdcorpus.rights.pd_by_date import JURISDICTIONS, year_of
from pdcorpus.rights.policy import DEFAULT_JURISDICTIONS, RightsPolicy
from pdcorpus.stages.base import Stage, StageContext, StageParams
from pdcorpus.stages.params import stage_params

Jurisdiction = Literal["US", "EU", "UK", "CH", "CA", "AU", "JP", "MX"]
assert set(JURISDICTIONS) == set(Jurisdiction.__args__)  # type: ignore[attr-defined]


class RightsParams(StageParams):
    policy: Literal["public-domain", "open"] = "public-domain"
    jurisdictions: list[Jurisdiction] = Field(default_factory=lambda: list(DEFAULT_JURISDICTIONS), min_length=1)
    as_of: date | None = None  # default: the day the build started
    allow: list[str] = Field(default_factory=list)  # canonical ids or globs, e.g. CC-BY-SA-*
    deny: list[str] = Field(default_factory=list)
    published: str | None = "date"  # where the publication year is: a column, or metadata.<dotted path>
    died: str | None = None  # where the author's death year is, e.g. metadata.author.death_year
    # A record with no statement that the dates make public domain everywhere: to review, or allowed.
    dates_without_statement: Literal["review", "allow"] = "review"

    @field_validator("published", "died")
    @classmethod
    def _a_column_or_metadata(cls, value: str | None) -> str | None:
        # A name that can never resolve would silently mean "no date" for every record.
        if value is None or value in COLUMNS or (value.startswith("metadata.") and len(value) > len("metadata.")):
            return value
        hint = difflib.get_close_matches(value, COLUMNS, n=1, cutoff=0.6)
        raise ValueError(f"'{value}' is neither a record column nor metadata.<path>"
                         f"{f' (did you mean {hint[0]!r}?)' if hint else ''}; columns: {', '.join(COLUMNS)}; "
                         f"for an input field kept in metadata write metadata.<dotted path>, "
                         f"e.g. metadata.author.death_year")


@lru_cache(maxsize=8192)
def _normalize_text(statement: str | None) -> Normalized:
    return normalize(statement)


def _field(record: Record, path: str | None, meta_cache: dict) -> Any:
    if path is None:
        return None
    if not path.startswith("metadata."):
        return getattr(record, path, None)
    if "meta" not in meta_cache:
        meta_cache["meta"] = json.loads(record.metadata) if record.metadata else {}
    return metadata_value(meta_cache["meta"], path.split(".")[1:])


def metadata_value(meta: dict, parts: list[str]) -> Any:
    """The value at a dotted path in a record's metadata. A list-form ``metadata:`` keeps each path under its
    dotted name (``{"creators.0": {...}}``), so the longest such key that starts the path is followed first."""
    for cut in range(len(parts), 0, -1):
        key = ".".join(parts[:cut])
        if key in meta:
            if cut == len(parts):
                return meta[key]
            found = follow(meta[key], parts[cut:])
            if found is not None:
                return found
    return None


class RightsStage(Stage):
    """Normalizes each record's rights statement and decides by policy, jurisdiction and date."""

    name = "rights"
    Params = RightsParams

    def __init__(self, params: RightsParams | None = None, /, **options: Any) -> None:
        """``RightsStage(policy="open", jurisdictions=["US"])``, or from validated ``RightsParams``; every
        default (``jurisdictions: [US, EU]``, ``published: date``...) is the model's."""
        super().__init__()
        self.params = stage_params(RightsParams, params, options, "RightsStage")
        self.published = self.params.published
        self.died = self.params.died
        self.source_licenses: dict[str, tuple[str, str | None, bool]] = {}
        self.policy = self._policy(self.params.as_of)

    @classmethod
    def from_params(cls, params: RightsParams) -> "RightsStage":  # type: ignore[override]
        return cls(params)

    def _policy(self, as_of: date | None) -> RightsPolicy:
        p = self.params
        return RightsPolicy(policy=p.policy, jurisdictions=list(p.jurisdictions), as_of=as_of, allow=list(p.allow),
                            deny=list(p.deny), dates_without_statement=p.dates_without_statement)

    def bind(self, context: StageContext) -> None:
        self.source_licenses = dict(context.source_licenses)
        if self.params.as_of is None and context.today:
            self.policy = self._policy(date.fromisoformat(context.today))

    def _year(self, value: Any) -> int | None:
        """``year_of``, remembered per value (dates repeat; the regular expression is the cost)."""
        if not isinstance(value, str):
            return year_of(value)
        years = self._years
        year = years.get(value, years)
        if year is years:
            if len(years) >= 65536:
                years.clear()
            year = years[value] = year_of(value)
        return year

    def __call__(self, records: Iterable[Record]) -> Iterator[Record]:
        add = self.stats.add
        decided: dict = {}
        self._years: dict = {}
        for record in records:
            statement = record.license_raw
            note = ""
            collection = self.source_licenses.get(record.source)
            if collection is not None and (collection[2] or statement is None or not statement.strip()):
                statement, evidence, _ = collection
                record.license_raw = statement
                note = "; collection licence stated in the config" + (f", evidence: {evidence}" if evidence else "")
            normalized = _normalize_text(statement)
            cache: dict = {}
            key = (normalized, self._year(_field(record, self.published, cache)),
                   self._year(_field(record, self.died, cache)))
            found = decided.get(key)
            if found is None:  # a pure function of the key: statements and years repeat across a corpus
                if len(decided) >= 65536:
                    decided.clear()
                decision = self.policy.decide(*key)
                found = decided[key] = (decision, decision.rights_reason, {
                    f"license:{decision.license}": 1, f"{decision.decision}:{decision.reason}": 1})
            decision, reason, tally = found
            record.license = decision.license
            record.rights_reason = f"{reason}{note}" if note else reason
            if decision.decision == "allow":
                add(record.source, 1, 1, tally=tally)
                yield record
            else:
                add(record.source, 1, 0, tally=tally)
                if decision.decision == "review":
                    self.divert("review", record, decision.reason)
                else:
                    self.drop(record, decision.reason, decision.rule)
