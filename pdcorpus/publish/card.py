"""The dataset card (``OUT/README.md``): Hub metadata and a body, both from the facts a build recorded.

Every number on the card comes from the manifest; what the manifest does not record is said to be
unknown, never guessed. The YAML header is made by huggingface_hub's ``DatasetCardData`` and checked
offline by ``validate_card_metadata`` against the Hub's licence identifiers and the vocabularies that
``datasets`` ships (languages, size categories, multilinguality), with ``configs`` checked by
``datasets``' own ``MetadataConfigs``.

The licence tag claims a Hub licence only when every output record carries that exact licence
(Common Corpus's card once carried a wrong tag, then none). Anything else is ``license: other`` with a
``license_name`` and a ``license_link`` to the licence itself or to the card's "Licences" section.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
import importlib.util
from importlib import resources
import os
from pathlib import Path, PurePosixPath
from typing import Any, Iterable

from pdcorpus.manifest import CollectionLicense, Manifest, StageConfig, StageEntry
from pdcorpus.redact import shown_path
from pdcorpus.rights.licenses import Kind, lookup

# The Hub's licence identifiers, as listed in huggingface/hub-docs docs/hub/repositories-licenses.md
# (https://huggingface.co/docs/hub/repositories-licenses).
HUB_LICENSES = frozenset("""
apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0 bigcode-openrail-m
afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear c-uda cc cc0-1.0 cc-by-2.0
cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0 cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0
cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0 cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0
cdla-permissive-1.0 cdla-permissive-2.0 wtfpl ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 agpl-3.0 gfdl gpl
gpl-2.0 gpl-3.0 lgpl lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl openrail++ osl-3.0 postgresql
ofl-1.1 ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license llama2 gemma unknown other
""".split())

# pdcorpus canonical id -> Hub id, only where the Hub id names exactly that licence. Not mapped, on
# purpose: CC ports (CC-BY-SA-3.0-PL is not the unported cc-by-sa-3.0), the GFDL versions (the Hub has
# only the family), and the Public Domain Mark, public domain statements and rightsstatements.org
# statements, which the Hub has no id for.
HUB_LICENSE_OF = {
    "CC0-1.0": "cc0-1.0",
    "CC-BY-2.0": "cc-by-2.0", "CC-BY-2.5": "cc-by-2.5", "CC-BY-3.0": "cc-by-3.0", "CC-BY-4.0": "cc-by-4.0",
    "CC-BY-SA-3.0": "cc-by-sa-3.0", "CC-BY-SA-4.0": "cc-by-sa-4.0",
    "CC-BY-NC-2.0": "cc-by-nc-2.0", "CC-BY-NC-3.0": "cc-by-nc-3.0", "CC-BY-NC-4.0": "cc-by-nc-4.0",
    "CC-BY-ND-4.0": "cc-by-nd-4.0", "CC-BY-NC-ND-3.0": "cc-by-nc-nd-3.0", "CC-BY-NC-ND-4.0": "cc-by-nc-nd-4.0",
    "CC-BY-NC-SA-2.0": "cc-by-nc-sa-2.0", "CC-BY-NC-SA-3.0": "cc-by-nc-sa-3.0", "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0",
    "MIT": "mit", "Apache-2.0": "apache-2.0", "BSD-2-Clause": "bsd-2-clause", "BSD-3-Clause": "bsd-3-clause",
    "etalab-2.0": "etalab-2.0", "PDDL-1.0": "pddl", "ODC-By-1.0": "odc-by", "ODbL-1.0": "odbl",
    "CDLA-Permissive-2.0": "cdla-permissive-2.0", "CDLA-Sharing-1.0": "cdla-sharing-1.0",
}

UNDECIDED = ("none", "unknown")  # the shard counts say "none" where no rights stage set a licence
NO_LANGUAGE = ("und", "none", "")
PUBLIC_DOMAIN_KINDS = {Kind.PD_WAIVER, Kind.PD_MARK, Kind.PD_CLAIM, Kind.PD_BY_DATE}
LICENSES_ANCHOR = "README.md#licences"  # the card's "Licences" section, from the repository root
TASKS = {"text": ["text-generation"], "image-caption": ["image-to-text", "text-to-image"]}
_LICENSE_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
# The header's key order: what a reader looks for first.
KEY_ORDER = ["pretty_name", "license", "license_name", "license_link", "language", "multilinguality", "size_categories",
             "task_categories", "tags", "configs"]


class CardError(ValueError):
    """The card's metadata would not be valid on the Hub; says which key and why."""


# -- facts from the manifest, shared with the training-data summary -------------------------------


@dataclass
class SourceFacts:
    name: str
    modality: str  # "text" or "image-caption"
    records_read: int
    records_out: int
    shards: int
    bytes: int
    licenses: dict[str, int]
    languages: dict[str, int]
    rights_decisions: dict[str, int]
    collection_license: CollectionLicense | None = None  # a licence the corpus file states for the whole source
    text_chars: int | None = None  # recorded by builds that count characters; else unknown
    retrieved_at_max: str | None = None  # the latest retrieved_at of its records out, if they carry one


@dataclass
class CorpusFacts:
    manifest: Manifest
    name: str
    created_at: str
    year: str
    sources: list[SourceFacts]
    licenses: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)
    repo: str | None = None  # the Hub repository, when the config names one under publish.repo

    @property
    def records_out(self) -> int:
        return int(self.manifest.records_out)

    @property
    def published_sources(self) -> list[SourceFacts]:
        return [s for s in self.sources if s.records_out > 0]

    @property
    def language_codes(self) -> list[str]:
        """Languages of the output, most records first, without 'und' and 'none'."""
        return [code for code, _ in sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))
                if code not in NO_LANGUAGE]

    def modality_records(self) -> dict[str, int]:
        out: Counter = Counter()
        for s in self.sources:
            out[s.modality] += s.records_out
        return dict(out)

    def stages(self, name: str) -> list[StageEntry]:
        """The manifest's stage entries of one kind (``rights``, ``dedup:exact``, ``language``...)."""
        return self.manifest.stage_entries(name)

    def dropped(self, stage: str, reason: str) -> int:
        return self.manifest.dropped_by(stage, reason)

    def configured(self, kind: str) -> list[StageConfig]:
        """The stages of one kind with their parameters as the build validated them (every default filled
        in), source stages first."""
        return self.manifest.configured(kind)


def facts(manifest: Manifest | dict) -> CorpusFacts:
    """What the card and the summary say, gathered once from a manifest (typed, or its JSON)."""
    m = Manifest.of(manifest)
    sources = [SourceFacts(
        name=name, modality=s.modality, records_read=int(s.records_read), records_out=int(s.records_out),
        shards=int(s.shards), bytes=int(s.bytes), licenses=dict(s.licenses), languages=dict(s.languages),
        rights_decisions=dict(s.rights_decisions), collection_license=s.collection_license,
        text_chars=s.text_chars, retrieved_at_max=s.retrieved_at_max) for name, s in m.sources.items()]
    licenses: Counter = Counter()
    languages: Counter = Counter()
    for s in sources:
        licenses.update({k: v for k, v in s.licenses.items() if v})
        languages.update({k: v for k, v in s.languages.items() if v})
    created = str(m.created_at or "")
    return CorpusFacts(manifest=m, name=str(m.name or "corpus"), created_at=created,
                       year=created[:4] if created[:4].isdigit() else "", sources=sources, licenses=licenses,
                       languages=languages, repo=m.publish.repo if m.publish is not None else None)


# -- the Hub metadata ------------------------------------------------------------------------------


@lru_cache(maxsize=None)
@lru_cache(maxsize=None)
def _datasets_resource(name: str) -> Any:
    """A vocabulary ``datasets`` ships (languages, size categories, multilinguality). Found without importing
    ``datasets`` (0.6 s with pandas, at the end of every build): its package folder from the import system."""
    spec = importlib.util.find_spec("datasets")
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "utils" / "resources" / name
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))
    return json.loads((resources.files("datasets.utils.resources") / name).read_text(encoding="utf-8"))


def size_category(n: int) -> str:
    """The Hub's size bucket for n records (``n<1K``, ``1K<n<10K``, ...)."""
    bounds = [(10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"),
              (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B"), (10**10, "1B<n<10B"),
              (10**11, "10B<n<100B"), (10**12, "100B<n<1T")]
    return next((label for bound, label in bounds if n < bound), "n>1T")


def hub_license(license_id: str) -> str | None:
    """The Hub's identifier for exactly this licence, or None when the Hub has none."""
    return HUB_LICENSE_OF.get(license_id)


def license_metadata(licenses: dict[str, int]) -> dict[str, str]:
    """``license`` (and for ``other``, ``license_name`` and ``license_link``) for the output's licences."""
    ids = sorted(k for k, n in licenses.items() if n)
    if not ids:
        return {}
    if any(i in UNDECIDED for i in ids):  # some records carry no decided licence: the Hub's own "unknown"
        return {"license": "unknown"}
    if len(ids) == 1 and hub_license(ids[0]):
        return {"license": hub_license(ids[0])}
    if len(ids) == 1:
        url = lookup(ids[0]).url
        return {"license": "other", "license_name": ids[0].lower(), "license_link": url or LICENSES_ANCHOR}
    kinds = {lookup(i).kind for i in ids}
    if kinds <= PUBLIC_DOMAIN_KINDS:
        name = "public-domain-mixed"
    elif kinds <= PUBLIC_DOMAIN_KINDS | {Kind.PD_US}:
        name = "public-domain-mixed-with-us-only"
    elif kinds <= PUBLIC_DOMAIN_KINDS | {Kind.PD_US, Kind.OPEN}:
        name = "open-licenses-mixed"
    else:
        name = "mixed"
    return {"license": "other", "license_name": name, "license_link": LICENSES_ANCHOR}


def _tags(f: CorpusFacts) -> list[str]:
    kinds = {lookup(i).kind for i in f.licenses if i not in UNDECIDED}
    tags = ["pdcorpus"]
    if kinds & (PUBLIC_DOMAIN_KINDS | {Kind.PD_US}):
        tags.append("public-domain")
    if kinds & {Kind.OPEN, Kind.DATABASE}:
        tags.append("open-license")
    if any(s.modality == "image-caption" for s in f.published_sources):
        tags.append("image-caption")
    return tags


def matches_pattern(pattern: str, path: str) -> bool:
    p, pat = PurePosixPath(path), PurePosixPath(pattern)
    return len(p.parts) == len(pat.parts) and p.match(pattern)


def configs_metadata(f: CorpusFacts, files: list[str]) -> list[dict]:
    """One config per source that has files, and one over all sources: the default, unless a source is
    named ``default`` (then that source is, by ``datasets``' rule, and the one over all is ``all``)."""
    parquet = [p for p in files if p.startswith("data/") and p.endswith(".parquet")]
    configs = []
    names = [s.name for s in f.sources if any(matches_pattern(f"data/{s.name}/*.parquet", p) for p in parquet)]
    if names and "default" not in names:
        configs.append({"config_name": "default", "data_files": [{"split": "train", "path": "data/*/*.parquet"}],
                        "default": True})
    elif names:  # datasets makes a config named "default" the default: the one over all sources is "all"
        configs.append({"config_name": "all", "data_files": [{"split": "train", "path": "data/*/*.parquet"}]})
    configs += [{"config_name": n, "data_files": [{"split": "train", "path": f"data/{n}/*.parquet"}]} for n in names]
    return configs


def card_metadata(manifest: Manifest | dict, *, output_files: list[str] | None = None) -> dict:
    """The card's YAML header as a dict, made and ordered by huggingface_hub's ``DatasetCardData``."""
    from huggingface_hub import DatasetCardData

    f = facts(manifest)
    files = output_files if output_files is not None else [s.path for s in f.manifest.shards]
    codes = [c for c in f.language_codes if c in _datasets_resource("languages.json")]
    tasks = [t for m, n in f.modality_records().items() if n for t in TASKS[m]]
    data = DatasetCardData(
        pretty_name=f.name,
        language=codes or None,
        multilinguality=(["multilingual"] if len(codes) > 1 else ["monolingual"]) if codes else None,
        size_categories=[size_category(f.records_out)],
        task_categories=list(dict.fromkeys(tasks)) or None,
        tags=_tags(f),
        configs=configs_metadata(f, files) or None,
        **license_metadata(f.licenses),
    )
    data.to_yaml(original_order=KEY_ORDER)  # reorders the card data in place
    return data.to_dict()


def validate_card_metadata(data: dict, *, output_files: list[str] | None = None) -> list[str]:
    """Problems the Hub or ``datasets`` would have with a card's metadata, checked offline; [] if none.

    huggingface_hub's own ``RepoCard.validate`` asks the Hub (``/api/validate-yaml``) and needs the
    network; this checks what can be checked locally, with the Hub's licence list and the vocabularies
    ``datasets`` ships, and the ``configs`` with ``datasets``' ``MetadataConfigs``.
    """
    from datasets.utils.metadata import MetadataConfigs
    from huggingface_hub import DatasetCardData

    problems = []
    licenses = data.get("license")
    for lic in [licenses] if isinstance(licenses, str) else licenses or []:
        if lic not in HUB_LICENSES:
            problems.append(f"license: '{lic}' is not a Hub licence identifier")
    if licenses == "other":
        if not _LICENSE_NAME.match(str(data.get("license_name") or "")):
            problems.append("license_name: required with 'license: other', lower-case letters, digits, '.' and '-'")
        if not data.get("license_link"):
            problems.append("license_link: required with 'license: other'")
    vocabularies = (("language", "languages.json"), ("size_categories", "size_categories.json"),
                    ("multilinguality", "multilingualities.json"))
    for key, resource in vocabularies:
        values = data.get(key)
        for value in [values] if isinstance(values, str) else values or []:
            if value not in _datasets_resource(resource):
                problems.append(f"{key}: '{value}' is not in datasets' {resource}")
    try:
        from datasets.utils.metadata import known_task_ids
        for task in data.get("task_categories") or []:
            if task not in known_task_ids:
                problems.append(f"task_categories: '{task}' is not a known task")
    except ImportError:  # newer datasets may drop the deprecated list
        pass
    try:
        configs = MetadataConfigs.from_dataset_card_data(DatasetCardData(**data))
        configs.get_default_config_name()
    except ValueError as exc:
        problems.append(f"configs: {exc}")
        configs = MetadataConfigs()
    if output_files is not None:
        for name, config in configs.items():
            for item in config.get("data_files") or []:
                paths = item["path"] if isinstance(item, dict) else item
                for pattern in [paths] if isinstance(paths, str) else paths:
                    if not any(matches_pattern(pattern, p) for p in output_files):
                        problems.append(f"configs: '{name}' data_files '{pattern}' matches no output file")
    return problems


# -- the body --------------------------------------------------------------------------------------


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, (int, float)) else str(value)


def _cell(value: Any) -> str:
    return _n(value).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    rows = list(rows)
    if not rows:
        return ["_(none)_"]
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return out


def _share(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def _licence_cell(licenses: dict[str, int]) -> str:
    return ", ".join(f"{k} ({_n(v)})" for k, v in sorted(licenses.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def _language_name(code: str) -> str:
    if code == "und":
        return "undetermined"
    if code == "none":
        return "not identified (no language stage)"
    return _datasets_resource("languages.json").get(code, "not an ISO 639 code known to the Hub")


def _limited(rows: list[list[Any]], limit: int, what: str) -> tuple[list[list[Any]], list[str]]:
    if len(rows) <= limit:
        return rows, []
    return rows[:limit], ["", f"… and {_n(len(rows) - limit)} more {what}: see `manifest.json`."]


def _summary_section(f: CorpusFacts) -> list[str]:
    m = f.manifest
    mods = f.modality_records()
    kinds = " and ".join(k for k in ("text", "image-caption") if mods.get(k))
    lines = [
        f"# {f.name}", "",
        f"{_n(f.records_out)} {kinds or 'text'} records from {len(f.sources)} source"
        f"{'s' if len(f.sources) != 1 else ''} ({', '.join(s.name for s in f.sources)}), "
        f"kept of {_n(m.records_in)} records read. "
        f"Built on {f.created_at or 'an unrecorded date'} by pdcorpus {m.pdcorpus_version} "
        f"from a corpus file with sha256 `{m.config_sha256}`.", "",
        "Every figure on this card is taken from `manifest.json`, which the build wrote; nothing here is "
        "estimated unless it says so.", "",
    ]
    if f.records_out:
        where = f.repo or "path/to/this/folder"
        first = f.published_sources[0].name if f.published_sources else "default"
        lines += ["```python", "import datasets", "",
                  f"corpus = datasets.load_dataset(\"{where}\", split=\"train\")            # every source",
                  f"{first} = datasets.load_dataset(\"{where}\", \"{first}\", split=\"train\")  # one source",
                  "```", ""]
    if m.warnings:  # what the build found worth saying: a slice (read.limit), a rights path that never resolved
        lines += ["**Warnings from the build:**", ""] + [f"- {w}" for w in m.warnings] + [""]
    return lines


def _sources_section(f: CorpusFacts) -> list[str]:
    lines = ["## Sources", ""]
    lines += _table(["source", "modality", "records read", "records out", "shards", "bytes", "licences (records out)"],
                    [[s.name, s.modality, s.records_read, s.records_out, s.shards, s.bytes, _licence_cell(s.licenses)]
                     for s in f.sources])
    stated = [s for s in f.sources if s.collection_license]
    if stated:
        lines += ["", "Licences stated for a whole collection in the corpus file (records without a statement "
                  "of their own take it):", ""]
        lines += [f"- `{s.name}`: `{s.collection_license.value}`"
                  + (f"; evidence: {s.collection_license.evidence}" if s.collection_license.evidence else "")
                  + ("; applied over the records' own statements" if s.collection_license.override else "")
                  for s in stated]
    empty = [s.name for s in f.sources if not s.records_out]
    if empty:
        lines += ["", f"No record of {', '.join(f'`{n}`' for n in empty)} is in the output; "
                  "such sources have no config."]
    return lines + [""]


def _licences_section(f: CorpusFacts, meta: dict) -> list[str]:
    total = sum(f.licenses.values())
    lines = ["## Licences", ""]
    tag = meta.get("license")
    if tag is None:
        lines.append("The output has no records, so the card claims no licence.")
    elif tag == "unknown":
        undecided = sum(f.licenses.get(k, 0) for k in UNDECIDED)
        lines.append(f"The card's `license` is `unknown`: {_n(undecided)} records carry no licence decided by a "
                     "rights stage (`none`) or an unrecognized one (`unknown`).")
    elif tag != "other":
        only = next(iter(f.licenses))
        lines.append(f"Every record is under {lookup(only).title} (`{only}`), the Hub's `{tag}`.")
    else:
        lines.append(f"The card's `license` is `other` (`{meta.get('license_name')}`): the records are under more "
                     "than one licence, or under one the Hub has no identifier for. Each record's own licence is "
                     "in its `license` column (canonical id), with the statement its source published in `license_raw` "
                     "and the decision in `rights_reason`.")
    lines += [""]
    lines += _table(["licence", "title", "records", "share", "link"],
                    [[k, lookup(k).title if k not in UNDECIDED else "no licence decided", v, _share(v, total),
                      lookup(k).url or "-"]
                     for k, v in sorted(f.licenses.items(), key=lambda kv: (-kv[1], kv[0]))])
    kinds = {lookup(k).kind for k in f.licenses if k not in UNDECIDED}
    notes = []
    if Kind.PD_MARK in kinds:
        notes.append("The Public Domain Mark is a label that a work is free of known copyright, not a licence "
                     "or a waiver.")
    if Kind.PD_BY_DATE in kinds:
        rights = f.configured("rights")
        where = ", ".join(sorted({j for r in rights for j in r.params["jurisdictions"]})) or "the rights stage's"
        bare = sum(s.rights_decisions.get("allow:pd-by-date-no-statement", 0) for s in f.sources)
        notes.append(f"`public-domain-by-date` records were decided public domain by publication and death years "
                     f"in every target jurisdiction ({where}) as of the date in the rights policy below; "
                     "elsewhere they may not be."
                     + (f" {_n(bare)} of them (counted in the rights stage) had no rights statement at all and were "
                        "allowed by `dates_without_statement: allow`." if bare else ""))
    if Kind.PD_US in kinds:
        notes.append("Some records are public domain in the United States only.")
    if Kind.OPEN in kinds:
        notes.append("Records under attribution licences (CC BY, CC BY-SA and the like) must be credited when "
                     "reused: each record carries its `url`, `author`, `title` and `license_raw` for that; "
                     "share-alike licences carry over to adaptations.")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    return lines + [""]


def _rights_section(f: CorpusFacts) -> list[str]:
    lines = ["## Rights policy", ""]
    rights = f.configured("rights")
    as_of = f.manifest.as_of
    if not rights:
        lines += ["The corpus file has no `rights` stage: no record's rights were checked by pdcorpus.", ""]
    for r in rights:
        p = r.params
        allow, deny = p["allow"], p["deny"]
        policy = p["policy"]
        meaning = ("CC0, PDM and public domain" if policy == "public-domain"
                   else "adds CC BY, CC BY-SA and other Open Definition licences")
        lines += [f"- Scope: {'every source' if r.scope == 'global' else f'source `{r.scope}`'}",
                  f"  - policy: `{policy}` ({meaning})",
                  f"  - jurisdictions: {', '.join(p['jurisdictions'])}",
                  f"  - as of: {p['as_of'] or f'{as_of} (the day the build started)'}",
                  f"  - allow list: {', '.join(f'`{a}`' for a in allow) if allow else 'none'}",
                  f"  - deny list: {', '.join(f'`{d}`' for d in deny) if deny else 'none'}",
                  f"  - publication year from: `{p['published']}`; author's death year from: "
                  f"`{p['died'] or 'not given'}`",
                  f"  - dates without a statement: `{p['dates_without_statement']}`"
                  + (" (the default)" if r.is_default("dates_without_statement") else "") + " ("
                  + ("a record with no rights statement that the dates make public domain in every target is allowed"
                     if p["dates_without_statement"] == "allow" else
                     "a record with no rights statement that the dates make public domain in every target goes to "
                     "review") + ")"]
    if rights:
        lines += ["", "Dates settle only what a statement leaves open. They never overrule a statement that reserves "
                  "rights, nor one pdcorpus does not recognize (it may be an edition's or a translation's notice: "
                  "review), nor rightsstatements.org's Copyright Undetermined. A US-only public domain settles the "
                  "US, and the dates the other targets; Copyright Not Evaluated, No Known Copyright and an uploader's "
                  "claim of no copyright are allowed when the dates make the work public domain in every target. A "
                  "record with no statement at all is settled by the dates only as `dates_without_statement` says; "
                  "its `rights_reason` names the option (reason `pd-by-date-no-statement`)."]
        lines += ["", "Decisions by reason, per source (made in the rights stage, before later stages such as "
                  "deduplication removed records, so `allow` counts can exceed the records out):", ""]
        rows = []
        for s in f.sources:
            for key, n in sorted(s.rights_decisions.items()):
                decision, _, reason = key.partition(":")
                rows.append([s.name, decision, reason, n])
        lines += _table(["source", "decision", "reason", "records"], rows)
        review = f.manifest.review.count
        lines += ["", f"{_n(review)} records were sent to review (`review/` in the build's output): they are not "
                  "in this dataset, and are not published with it."]
    return lines + [""]


def _stages_section(f: CorpusFacts) -> list[str]:
    lines = ["## Processing", "", "Every stage in pipeline order, with the records it set aside and why "
             "(reader stages first, one per source):", ""]
    rows = []
    for s in f.manifest.stages:
        reasons = "; ".join(f"{r}: {_n(n)}" for r, n in sorted(s.dropped.items())) or "-"
        rows.append([s.scope, s.stage, s.records_in, s.records_out, reasons])
    lines += _table(["scope", "stage", "in", "out", "set aside (reason: records)"], rows)
    rejects = f.manifest.rejects.count
    lines += ["", f"{_n(rejects)} records were set aside in all, each with its stage, reason, file and line in "
              "`rejects/` of the build's output (not published)."]
    return lines + [""]


def _dedup_section(f: CorpusFacts) -> list[str]:
    m = f.manifest
    lines = ["## Deduplication", ""]
    exact = f.stages("dedup:exact")
    near = f.stages("dedup:minhash") + f.stages("dedup:phash")
    if not exact and not near:
        lines.append("The corpus file has no `dedup` stage: duplicates were not removed.")
    if exact:
        lines.append(f"- Exact duplicates (same normalized text, or the same image bytes) removed: "
                     f"{_n(f.dropped('dedup:exact', 'duplicate'))}.")
    for key, nd in sorted(m.near_dedup.items()):
        common = (f"candidate pairs: {_n(nd.candidate_pairs)}, "
                  f"verified similar: {_n(nd.similar_pairs)}, clusters: {_n(nd.clusters)}, "
                  f"records in clusters: {_n(nd.records_in_clusters)}.")
        if nd.method == "phash":
            lines.append(f"- Near-duplicate images (perceptual hash, `{key}`): at most {nd.max_distance} "
                         f"bits apart; {common}")
        else:
            lines.append(f"- Near duplicates (MinHash LSH, `{key}`): Jaccard threshold {nd.threshold}, "
                         f"{nd.num_perm} permutations, {nd.ngram}-word n-grams, "
                         f"{nd.bands} bands × {nd.rows} rows; {common}")
    if near:
        removed = f.dropped("dedup:minhash", "near-duplicate") + f.dropped("dedup:phash", "near-duplicate")
        lines.append(f"- Near duplicates removed: {_n(removed)} (the survivor of each cluster keeps "
                     "`dedup_cluster` and `dedup_cluster_size`).")
    previous = m.previous_release
    if previous is not None:
        removed = sum(f.dropped(stage, "in-previous-release") for stage in ("dedup:exact", "dedup:minhash", "dedup:phash"))
        lines.append(f"- Deduplicated against an earlier release ({_n(previous.records)} records in "
                     f"{_n(len(previous.files))} files): {_n(removed)} records already published there "
                     "were not published again.")
    elif exact or near:
        lines.append("- Not deduplicated against an earlier release.")
    return lines + [""]


def _languages_section(f: CorpusFacts) -> list[str]:
    lines = ["## Languages", ""]
    identified = f.configured("language")
    if identified:
        backends = ", ".join(sorted({str(s.params["backend"]) for s in identified}))
        lines.append(f"Identified per record by the `language` stage (backend: {backends}); very short and "
                     "mixed-language texts are `und` on purpose.")
    else:
        lines.append("The corpus file has no `language` stage: languages were not identified.")
    total = sum(f.languages.values())
    lines += [""] + _table(["code", "language", "records", "share"],
                           [[c, _language_name(c), n, _share(n, total)]
                            for c, n in sorted(f.languages.items(), key=lambda kv: (-kv[1], kv[0]))])
    return lines + [""]


def _opt_outs_section(manifest: Manifest) -> list[str]:
    """What was checked while fetching (robots.txt, TDMRep, noai, Content-Usage), then the opt-out lists applied
    and the records removed after release (``pdcorpus.optout``)."""
    from pdcorpus.fetch.reservations import reservation_markdown, reservation_report
    from pdcorpus.optout import report_lines

    checked = reservation_markdown(reservation_report(manifest))  # reservations checked while fetching
    if not checked:
        checked = ["pdcorpus checked no machine-readable reservation of rights while fetching (TDMRep, robots.txt "
                   "groups for AI crawlers, `X-Robots-Tag: noai`, IETF aipref `Content-Usage`) for this build (it "
                   "fetched nothing, or the checks were off), so the number of such opt-outs honoured is not known. "
                   "The sources were selected for their public-domain or open-licence status; whoever trains on "
                   "this data should apply their own opt-out checks."]
    return ["## Opt-outs", ""] + checked + [""] + report_lines(manifest) + [""]


def _removal_section(f: CorpusFacts) -> list[str]:
    where = (f"a discussion at https://huggingface.co/datasets/{f.repo}/discussions" if f.repo
             else "a discussion (or an issue) on the repository that publishes this dataset")
    return ["## Requesting removal", "",
            f"To ask for a record to be removed, open {where} giving the record's `id` (`<source>:<id>`, stable "
            "across builds of the same inputs), the reason (for instance, that you hold rights in the work, or "
            "that it contains personal data), and how to reach you. The maintainers remove it from the next "
            "release; the release's `manifest.json` records what changed.", ""]


def _citation_section(f: CorpusFacts) -> list[str]:
    m = f.manifest
    key = re.sub(r"[^a-z0-9]+", "_", f.name.lower()).strip("_") + (f"_{f.year}" if f.year else "")
    fields = [f"  title        = {{{f.name}}}"]
    if f.year:
        fields.append(f"  year         = {{{f.year}}}")
    if f.repo:
        fields.append(f"  howpublished = {{\\url{{https://huggingface.co/datasets/{f.repo}}}}}")
    fields.append(f"  note         = {{Built with pdcorpus {m.pdcorpus_version} from a corpus file "
                  f"with sha256 {m.config_sha256}}}")
    return ["## Citation", "", "```bibtex", f"@misc{{{key},", ",\n".join(fields), "}", "```", ""]


def _provenance_section(f: CorpusFacts) -> list[str]:
    m = f.manifest
    runner = m.runner
    workers = runner.workers
    lines = ["## Provenance", "",
             f"- Corpus file: `{os.path.basename(m.config_path or '?')}`, sha256 `{m.config_sha256}` (the file as "
             "written is in `manifest.json`, before `${ENV}` values were filled in)",
             f"- Built: {f.created_at or '?'} (build day `{m.as_of or '?'}`, the date rights are decided as of "
             "when the rights stage gives none)",
             f"- Runner: {runner.name}, {_n(workers) if workers is not None else '?'} "
             f"worker{'' if workers == 1 else 's'}, exchange buckets: {runner.buckets if runner.buckets is not None else '?'}"
             f"{', resumed' if runner.resumed else ''} (the output is the same for any number of workers)",
             "- Software: " + ", ".join(f"{k} {v}" for k, v in m.versions.items()), ""]
    per_source: dict[str, list[int]] = {}
    for i in m.inputs:
        entry = per_source.setdefault(i.source, [0, 0])
        entry[0] += 1
        entry[1] += int(i.bytes)
    lines += ["Inputs, each file with its sha256 in `manifest.json`:", ""]
    lines += _table(["source", "files", "bytes"], [[k, v[0], v[1]] for k, v in per_source.items()])
    rows, more = _limited([[i.source, shown_path(i.path, m.config_path), i.bytes, f"`{i.sha256}`"]
                           for i in m.inputs], 200, "inputs")
    if rows:
        lines += ["", "<details><summary>Input files</summary>", ""]
        lines += _table(["source", "path", "bytes", "sha256"], rows) + more + ["", "</details>"]
    lines += ["", "Shards:", ""]
    rows, more = _limited([[s.path, s.rows, s.bytes, f"`{s.sha256}`"] for s in m.shards], 200, "shards")
    lines += _table(["path", "rows", "bytes", "sha256"], rows) + more
    return lines + [""]


def _columns_section() -> list[str]:
    from pdcorpus.record import COLUMNS

    return ["## Fields", "",
            "Every shard has the columns of `pdcorpus.Record`: " + ", ".join(f"`{c}`" for c in COLUMNS) + ". "
            "`license` is the canonical licence id pdcorpus decided, `license_raw` the statement the source "
            "published (verbatim), `rights_reason` the decision with its reason and rule; `metadata` holds the "
            "source's other fields as JSON.", ""]


def dataset_card(manifest: Manifest | dict, *, output_files: list[str] | None = None) -> str:
    """The text of ``OUT/README.md`` for a build's manifest.

    ``output_files``: the files of the output folder, relative to it (``data/books/train-...parquet``);
    default: the shards the manifest lists. A source config is made only for sources that have files.
    Raises ``CardError`` if the metadata would not be valid (it names the key).
    """
    typed = Manifest.of(manifest)
    files = output_files if output_files is not None else [s.path for s in typed.shards]
    meta = card_metadata(typed, output_files=files)
    problems = validate_card_metadata(meta, output_files=files)
    if problems:
        raise CardError("the dataset card's metadata is not valid:\n  " + "\n  ".join(problems))
    from huggingface_hub import DatasetCardData

    f = facts(typed)
    body = (_summary_section(f) + _sources_section(f) + _licences_section(f, meta) + _rights_section(f)
            + _stages_section(f) + _dedup_section(f) + _languages_section(f) + _opt_outs_section(typed)
            + _removal_section(f) + _columns_section() + _citation_section(f) + _provenance_section(f))
    header = DatasetCardData(**meta).to_yaml(original_order=KEY_ORDER)
    return f"---\n{header}\n---\n\n" + "\n".join(body).rstrip() + "\n"
