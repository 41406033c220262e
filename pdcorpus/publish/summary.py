"""The public summary of training content (EU AI Act, Article 53(1)(d)) for what this corpus contributes.

It follows the AI Office's "Template for the Public Summary of Training Content for general-purpose AI
models" (annex to the Explanatory Notice of 24 July 2025), section for section, in Markdown and JSON.
The corpus builder knows the data, not the model: what only the model's provider can say (who they are,
the model, the other data it was trained on) is marked "to be completed by the provider" in the text and
``"left_to_provider": true`` in the JSON. Everything else comes from the build's manifest; what the
manifest does not record is said to be unknown, and the one estimate (tokens from characters) says so.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from pdcorpus.fetch.report import crawled, crawled_markdown
from pdcorpus.fetch.reservations import reservation_markdown, reservation_report
from pdcorpus.manifest import Manifest
from pdcorpus.optout import optout_facts, report_lines, summary_data as optout_summary_data
from pdcorpus.publish.card import PUBLIC_DOMAIN_KINDS, UNDECIDED, CorpusFacts, _datasets_resource, facts
from pdcorpus.rights.licenses import Kind, lookup

TEMPLATE = {
    "title": "Template for the Public Summary of Training Content for general-purpose AI models",
    "issued_by": "European Commission, AI Office",
    "date": "2025-07-24",
    "legal_basis": "Article 53(1)(d) of Regulation (EU) 2024/1689 (AI Act)",
    "url": "https://digital-strategy.ec.europa.eu/en/library/explanatory-notice-and-template-public-summary-"
           "training-content-general-purpose-ai-models",
}

# The template's sections, numbered and titled as in the template.
TEMPLATE_SECTIONS: list[tuple[str, str]] = [
    ("1", "General information"),
    ("1.1", "Provider identification"),
    ("1.2", "Model identification"),
    ("1.3", "Modalities, overall training data size and other characteristics"),
    ("2", "List of data sources"),
    ("2.1", "Publicly available datasets"),
    ("2.2", "Private non-publicly available datasets obtained from third parties"),
    ("2.2.1", "Datasets commercially licensed by rightsholders or their representatives"),
    ("2.2.2", "Private datasets obtained from other third parties"),
    ("2.3", "Data crawled and scraped from online sources"),
    ("2.4", "User data"),
    ("2.5", "Synthetic data"),
    ("2.6", "Other sources of data"),
    ("3", "Data processing aspects"),
    ("3.1", "Respect of reservation of rights from text and data mining exception or limitation"),
    ("3.2", "Removal of illegal content"),
    ("3.3", "Other information (optional)"),
]
TITLES = dict(TEMPLATE_SECTIONS)

# The template's size ranges per modality (section 1.3).
TEXT_RANGES = [(10**9, "Less than 1 billion tokens"), (10**13, "1 billion to 10 trillion tokens"),
               (None, "More than 10 trillion tokens")]
IMAGE_RANGES = [(10**6, "Less than 1 million images"), (10**9, "1 million to 1 billion images"),
                (None, "More than 1 billion images")]
CHARS_PER_TOKEN = 4
# The near-duplicate methods of the dedup stage, as the summary names them (section 3.3).
NEAR_DEDUP_METHODS = {"minhash": "MinHash LSH over word n-grams (text)",
                      "phash": "perceptual hash, pHash (images)"}
PROVIDER = "To be completed by the provider."


def _left(note: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"value": None, "left_to_provider": True}
    if note:
        out["note"] = note
    return out


def _range(n: int, ranges: list[tuple[int | None, str]]) -> str:
    return next(label for bound, label in ranges if bound is None or n < bound)


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _heading(number: str) -> str:
    level = "#" * (number.count(".") + 2)
    return f"{level} {number}. {TITLES[number]}"


def _section(number: str, **content: Any) -> dict[str, Any]:
    return {"section": number, "title": TITLES[number], **content}


def _mm_yyyy(timestamp: str) -> str:
    """The template's MM/YYYY from an ISO date or timestamp; anything else as it is."""
    match = re.match(r"^(\d{4})-(\d{2})", timestamp)
    return f"{match.group(2)}/{match.group(1)}" if match else timestamp


# -- 1. General information -------------------------------------------------------------------------


def _text_size(f: CorpusFacts) -> dict[str, Any]:
    sources = [s for s in f.sources if s.records_out and s.modality == "text"]  # captions go with their images
    records = sum(s.records_out for s in sources)
    size: dict[str, Any] = {"records": records, "bytes": sum(s.bytes for s in sources),
                            "bytes_note": "Parquet shards as published (zstd-compressed, all columns)"}
    if sources and all(s.text_chars is not None for s in sources):
        chars = sum(int(s.text_chars) for s in sources)
        tokens = chars // CHARS_PER_TOKEN
        size.update({"characters": chars, "estimated_tokens": tokens, "range": _range(tokens, TEXT_RANGES),
                     "estimate_note": f"tokens estimated as characters / {CHARS_PER_TOKEN}: an estimate, not a "
                                      "tokenizer's count"})
    elif not sources:
        size.update({"range": _range(0, TEXT_RANGES)})
    else:
        size.update({"range": None, "left_to_provider": True,
                     "estimate_note": "the manifest does not record the number of characters, so no token "
                                      "estimate is made; the size is given in records and bytes instead"})
    return size


def _kind_of_material(f: CorpusFacts, modality: str) -> str:
    licenses = {k for s in f.sources if s.modality == modality for k, n in s.licenses.items() if n}
    kinds = {lookup(k).kind for k in licenses if k not in UNDECIDED}
    if licenses and kinds <= PUBLIC_DOMAIN_KINDS | {Kind.PD_US} and not licenses & set(UNDECIDED):
        return "Public-domain"
    if kinds & {Kind.OPEN, Kind.DATABASE}:
        return "Public-domain and openly licensed"
    return "Collected"


def _general_information(f: CorpusFacts) -> tuple[dict, list[str]]:
    md = [_heading("1"), "", _heading("1.1"), "",
          f"- Provider name and contact details: {PROVIDER}",
          f"- Authorised representative name and contact details: {PROVIDER}", "",
          _heading("1.2"), "",
          f"- Versioned model name(s): {PROVIDER}",
          f"- Model dependencies: {PROVIDER}",
          f"- Date of placement of the model on the Union market: {PROVIDER}", "",
          _heading("1.3"), ""]
    mods = f.modality_records()
    text = _text_size(f)
    names = ", ".join(s.name for s in f.sources if s.records_out and s.modality == "text")
    modalities = [{"modality": "text", "present": bool(text["records"]), "training_data_size": text,
                   "types_of_content": (f"{_kind_of_material(f, 'text')} text from the collections {names} "
                                        "(see 2.1)" if text["records"] else None)}]
    images = mods.get("image-caption", 0)
    image_sources = ", ".join(s.name for s in f.sources if s.modality == "image-caption" and s.records_out)
    image_content = f"{_kind_of_material(f, 'image-caption')} images with captions from {image_sources}"
    image_size = {"images": images, "range": _range(images, IMAGE_RANGES)}
    modalities.append({"modality": "image", "present": bool(images),
                       "training_data_size": image_size if images else None,
                       "types_of_content": image_content if images else None})
    for other in ("audio", "video", "other"):
        modalities.append({"modality": other, "present": False, "training_data_size": None, "types_of_content": None})

    md += ["| Modality | Training data size | Types of content |", "| --- | --- | --- |"]
    if text["records"]:
        size = f"{text['range']}" if text.get("range") else "Range: to be completed by the provider"
        size += (f" (about {_n(text['estimated_tokens'])} tokens, estimated as {_n(text['characters'])} characters "
                 f"/ {CHARS_PER_TOKEN})" if "estimated_tokens" in text else "")
        size += f"; in other units: {_n(text['records'])} records, {_n(text['bytes'])} bytes of compressed Parquet"
        md.append(f"| Text | {size} | {modalities[0]['types_of_content']} |")
    if images:
        md.append(f"| Image | {modalities[1]['training_data_size']['range']} ({_n(images)} images) | "
                  f"{modalities[1]['types_of_content']} |")
    if not text["records"] and not images:
        md.append("| - | The corpus has no records | - |")
    md.append("")
    if text["records"] and "estimated_tokens" not in text:
        md += ["The manifest does not record the number of characters, so no token count is estimated here: the "
               "size is given in records and bytes, and the provider ticks the range from their tokenizer.", ""]

    dates = [s.retrieved_at_max for s in f.sources if s.retrieved_at_max]
    if dates:
        latest = {"value": _mm_yyyy(max(dates)), "basis": "the latest retrieved_at of a record in the corpus"}
    else:
        latest = {"value": _mm_yyyy(f.created_at), "basis": (
            f"an upper bound: the build read its inputs on {f.created_at[:10] or '?'}; the manifest records no "
            "acquisition date per record, and the inputs may have been collected earlier")}
    md += [f"Latest date of data acquisition/collection for model training: {latest['value']} ({latest['basis']}).", "",
           f"Is the model continuously trained on new data after this date? {PROVIDER}", ""]

    total = sum(f.languages.values())
    langs = [{"code": c, "name": _datasets_resource("languages.json").get(c, c), "records": n,
              "share": round(n / total, 4) if total else 0.0}
             for c, n in sorted(f.languages.items(), key=lambda kv: (-kv[1], kv[0]))]
    identified = [lang for lang in langs if lang["code"] not in ("und", "none")]
    if identified:
        linguistic = (f"{len(identified)} language{'s' if len(identified) != 1 else ''} identified per record: "
                      + ", ".join(f"{lang['name']} ({lang['code']}, {_n(lang['records'])} records)"
                                  for lang in identified))
        rest = [lang for lang in langs if lang["code"] in ("und", "none")]
        if rest:
            linguistic += "; " + ", ".join(
                f"{_n(lang['records'])} records {'undetermined' if lang['code'] == 'und' else 'not identified'}"
                for lang in rest)
    else:
        linguistic = "Languages were not identified for this corpus."
    md += [f"Description of the linguistic characteristics of the overall training data: {linguistic}.", ""]

    licences = {k: v for k, v in sorted(f.licenses.items(), key=lambda kv: (-kv[1], kv[0]))}
    other = ("Every record carries its licence (canonical id), the rights statement its source published, and "
             "the decision with its reason. Licences of the records: "
             + (", ".join(f"{k} ({_n(v)})" for k, v in licences.items()) or "none") + ".")
    md += [f"Other relevant characteristics of the overall training data: {other}", ""]

    data = _section("1",
                    provider_identification=_section("1.1", left_to_provider=True,
                                                     provider_name_and_contact_details=_left(),
                                                     authorised_representative_name_and_contact_details=_left()),
                    model_identification=_section("1.2", left_to_provider=True, versioned_model_names=_left(),
                                                  model_dependencies=_left(),
                                                  date_of_placement_on_the_union_market=_left()),
                    modalities_size_and_characteristics=_section(
                        "1.3", modalities=modalities, latest_date_of_data_acquisition=latest,
                        continuously_trained_on_new_data=_left(), linguistic_characteristics=linguistic,
                        languages=langs, other_characteristics=other, licenses=licences))
    return data, md


# -- 2. List of data sources ------------------------------------------------------------------------


def _data_sources(f: CorpusFacts) -> tuple[dict, list[str]]:
    m = f.manifest
    inputs: dict[str, dict[str, int]] = {}
    for i in m.inputs:
        entry = inputs.setdefault(i.source, {"files": 0, "bytes": 0})
        entry["files"] += 1
        entry["bytes"] += int(i.bytes)
    datasets = []
    for s in f.sources:
        datasets.append({"name": s.name, "modality": s.modality, "records_read": s.records_read,
                         "records_in_corpus": s.records_out, "licenses": dict(s.licenses),
                         "input_files": inputs.get(s.name, {}).get("files", 0),
                         "input_bytes": inputs.get(s.name, {}).get("bytes", 0),
                         "collection_license": s.collection_license.to_json() if s.collection_license else None,
                         "link": _left("the collection's public name and link")})
    used = any(s.records_out for s in f.sources)
    present = {s.modality for s in f.sources if s.records_out}
    modalities = sorted(({"image", "text"} if "image-caption" in present else set()) | ({"text"} & present))
    md = [_heading("2"), "", _heading("2.1"), "",
          f"Have you used publicly available datasets to train the model? {'Yes' if used else 'No'}, for this "
          f"corpus ({f.name}); for any other training data: {PROVIDER.lower()}", "",
          f"Modality(ies) of the content covered: {', '.join(modalities) or 'none'}.", "",
          "List of large publicly available datasets (the collections this corpus was built from, by the names "
          "the corpus file gives them; their public names and links are to be completed by the provider):", "",
          "| source | modality | records read | records in the corpus | input files | input bytes | licences |",
          "| --- | --- | --- | --- | --- | --- | --- |"]
    for d in datasets:
        ordered = sorted(d["licenses"].items(), key=lambda kv: (-kv[1], kv[0]))
        lic = ", ".join(f"{k} ({_n(v)})" for k, v in ordered) or "-"
        md.append(f"| {d['name']} | {d['modality']} | {_n(d['records_read'])} | {_n(d['records_in_corpus'])} | "
                  f"{_n(d['input_files'])} | {_n(d['input_bytes'])} | {lic} |")
    md += ["", f"If the model is trained on this corpus as published, the corpus itself ({f.repo or f.name}) is a "
           "publicly available dataset to list here.", ""]

    none_here = "No, not for this corpus"
    input_bytes = sum(int(i.bytes) for i in m.inputs)
    md += [_heading("2.2"), "", _heading("2.2.1"), "",
           f"Have you concluded transactional commercial licensing agreement(s) with rightsholder(s) or with their "
           f"representatives? {none_here}: pdcorpus builds from public-domain and openly licensed material and "
           f"records no licensing agreement. For other training data: {PROVIDER.lower()}", "",
           _heading("2.2.2"), "",
           f"Have you obtained private datasets from third parties that are not licensed as described in Section "
           f"2.2.1? {none_here}. For other training data: {PROVIDER.lower()}", "",
           _heading("2.3"), ""]
    crawl = crawled(m)  # a build that fetched URLs (pdcorpus.fetch) crawled; one that read files did not
    md += crawled_markdown(crawl) + [f"For other training data: {PROVIDER.lower()}", ""] if crawl else [
           f"Were crawlers used by the provider or on its behalf? {none_here}: pdcorpus fetched nothing; it read the "
           f"{_n(len(m.inputs))} input files named in the corpus file ({_n(input_bytes)} bytes, each "
           f"listed with its sha256 in the manifest). For other training data: {PROVIDER.lower()}", ""]
    md += [
           _heading("2.4"), "",
           f"Was data from user interactions with the AI model, or with the provider's other services or products, "
           f"used? {none_here}. For other training data: {PROVIDER.lower()}", "",
           _heading("2.5"), "",
           f"Was synthetic AI-generated data created by the provider or on their behalf to train the model? "
           f"{none_here}: pdcorpus generates no data (a source's own content, such as captions, may have been "
           f"machine-generated by its publisher; see the collections' documentation). For other training data: "
           f"{PROVIDER.lower()}", "",
           _heading("2.6"), "",
           f"Have data sources other than those described in Sections 2.1 to 2.5 been used? {none_here}. For other "
           f"training data: {PROVIDER.lower()}", ""]

    def not_here(number: str, **extra: Any) -> dict[str, Any]:
        return _section(number, used_for_this_corpus=False, other_training_data=_left(), **extra)

    data = _section("2",
                    publicly_available_datasets=_section("2.1", used_for_this_corpus=used, modalities=modalities,
                                                         datasets=datasets, other_training_data=_left()),
                    private_datasets=_section("2.2",
                                              commercially_licensed=not_here("2.2.1"),
                                              other_third_parties=not_here("2.2.2")),
                    crawled_data=_section("2.3", used_for_this_corpus=True, crawl=crawl, other_training_data=_left())
                    if crawl else not_here("2.3", crawler=None, input_files=len(m.inputs),
                                           note="pdcorpus fetched nothing; it read the input files of the corpus file"),
                    user_data=not_here("2.4"),
                    synthetic_data=not_here("2.5", note="pdcorpus generates no data"),
                    other_sources=not_here("2.6"))
    return data, md


# -- 3. Data processing aspects --------------------------------------------------------------------


def _stage_rows(f: CorpusFacts) -> list[dict[str, Any]]:
    return [{"scope": s.scope, "stage": s.stage, "records_in": s.records_in, "records_out": s.records_out,
             "dropped": dict(s.dropped)} for s in f.manifest.stages]


def _data_processing(f: CorpusFacts) -> tuple[dict, list[str]]:
    m = f.manifest
    decisions: Counter = Counter()
    for s in f.sources:
        decisions.update(s.rights_decisions)
    by_decision: Counter = Counter()
    for key, n in decisions.items():
        by_decision[key.partition(":")[0]] += n
    # the rights stages' parameters as the build validated them, every default filled in
    policies = [{"scope": r.scope, "policy": r.params["policy"], "jurisdictions": list(r.params["jurisdictions"]),
                 "as_of": str(r.params["as_of"] or m.as_of), "allow": list(r.params["allow"]),
                 "deny": list(r.params["deny"]),
                 # How a record with no statement at all is settled by dates, and whether the corpus file said so.
                 "dates_without_statement": r.params["dates_without_statement"],
                 "dates_without_statement_is_default": r.is_default("dates_without_statement")}
                for r in f.configured("rights")]
    review = int(m.review.count)

    reservations = reservation_report(m)  # checked while fetching (pdcorpus.fetch.reservations)
    md = [_heading("3"), "", _heading("3.1"), "",
          f"Are you a Signatory to the Code of Practice for general-purpose AI models? {PROVIDER}", ""]
    md += ["Opt-out protocols checked for this corpus: " + ", ".join(reservations["protocols"]) + f"; "
           f"{_n(reservations['records_reserved'])} records removed for a reservation.", ""] + reservation_markdown(
        reservations) if reservations["protocols"] else [
          "Opt-out protocols checked for this corpus: none. Nothing was fetched, or the checks were off, so no "
          "machine-readable reservation of rights (robots.txt, TDMRep, X-Robots-Tag, IETF aipref) was checked "
          "while fetching. The sources were selected for their public-domain or open-licence status, which is not the same "
          "as having checked opt-outs. The provider must add their own opt-out measures.", ""]
    md += report_lines(m) + [""]
    if policies:
        md += ["Rights decisions made for every record, as a copyright measure:", ""]
        for p in policies:
            md.append(f"- {'Every source' if p['scope'] == 'global' else 'Source ' + p['scope']}: policy "
                      f"`{p['policy']}`, jurisdictions {', '.join(p['jurisdictions'])}, as of {p['as_of']}"
                      + (f", allow list {', '.join(p['allow'])}" if p["allow"] else "")
                      + (f", deny list {', '.join(p['deny'])}" if p["deny"] else "")
                      + f"; dates without a statement: `{p['dates_without_statement']}`"
                      + (" (the default)" if p["dates_without_statement_is_default"] else "") + ", so a record with "
                      "no rights statement that its publication and death years make public domain in every target "
                      + ("is allowed." if p["dates_without_statement"] == "allow" else "goes to review."))
        md += ["", "Publication and death years never overrule a statement that reserves rights or one pdcorpus "
               "does not recognize; a record with no statement and no such dates is denied."]
        md += ["", f"Decisions: {_n(by_decision.get('allow', 0))} allowed, {_n(by_decision.get('deny', 0))} denied, "
               f"{_n(by_decision.get('review', 0))} sent to review (not in the corpus; {_n(review)} in the review "
               "queue). By reason:", "", "| decision | reason | records |", "| --- | --- | --- |"]
        md += [f"| {k.partition(':')[0]} | {k.partition(':')[2]} | {_n(n)} |" for k, n in sorted(decisions.items())]
        md.append("")
    else:
        md += ["No rights stage ran: no record's rights were checked by pdcorpus.", ""]

    md += [_heading("3.2"), "",
           "pdcorpus applied no measure aimed at illegal content (no blocklists, keyword lists or classifiers) to "
           "this corpus. The rights decisions above remove records whose rights do not allow use, which is a "
           f"copyright measure, not a measure against illegal content. Other measures: {PROVIDER.lower()}", ""]

    exact = f.dropped("dedup:exact", "duplicate")
    # Each near-duplicate method that ran, with what it removed: MinHash compares texts, pHash images, and a
    # reader of the summary must be able to tell which content was thinned out by which method.
    near_methods = {method: f.dropped(f"dedup:{method}", "near-duplicate")
                    for method in NEAR_DEDUP_METHODS if f.stages(f"dedup:{method}")}
    near = sum(near_methods.values())
    previous = sum(f.dropped(stage, "in-previous-release") for stage in ("dedup:exact", "dedup:minhash", "dedup:phash"))
    language = [{"scope": s.scope, **{k: v for k, v in s.params.items() if k in ("backend", "keep", "min_score")}}
                for s in f.configured("language")]
    # thresholds that are set (a quality stage without any only writes its signals)
    quality = [{"scope": s.scope, **{k: v for k, v in s.params.items() if v is not None}}
               for s in f.configured("quality")]
    length = [{"scope": s.scope, **{k: v for k, v in s.params.items() if v is not None}}
              for s in f.configured("length")]
    rows = _stage_rows(f)
    md += [_heading("3.3"), "",
           "Other relevant information about data processing, every stage with its counts:", "",
           f"- Exact deduplication: {_n(exact)} duplicates removed." if f.stages("dedup:exact")
           else "- No exact deduplication.",
           ("- Near-duplicate removal: " + "; ".join(f"{NEAR_DEDUP_METHODS[method]}: {_n(n)} removed"
                                                     for method, n in near_methods.items()) + ".")
           if near_methods else "- No near-duplicate removal."]
    if m.previous_release is not None:
        md.append(f"- {_n(previous)} records already published in an earlier release were not published again.")
    md.append("- Language identification: " + ("; ".join(
        f"{lang['backend']}"
        + (f", keeping {', '.join(lang['keep'])}" if lang.get("keep") else ", nothing dropped") for lang in language)
        if language else "none") + ".")
    md.append("- Quality and length filters: " + ("; ".join(
        f"{name} {', '.join(f'{k}={v}' for k, v in p.items() if k != 'scope') or '(signals only, no thresholds)'}"
        for name, ps in (("quality", quality), ("length", length)) for p in ps) or "none") + ".")
    md += ["", "| scope | stage | in | out | set aside (reason: records) |", "| --- | --- | --- | --- | --- |"]
    md += [f"| {r['scope']} | {r['stage']} | {_n(r['records_in'])} | {_n(r['records_out'])} | "
           + ("; ".join(f"{k}: {_n(v)}" for k, v in sorted(r["dropped"].items())) or "-") + " |" for r in rows]
    md.append("")

    data = _section("3",
                    tdm_opt_outs=_section("3.1", code_of_practice_signatory=_left(),
                                          protocols_checked=list(reservations["protocols"]),
                                          records_removed_for_opt_out=reservations["records_reserved"]
                                          + optout_facts(m).total_removed,
                                          reservations=reservations,
                                          note=None if reservations["protocols"] else
                                          "no opt-out protocol was checked while fetching",
                                          **optout_summary_data(m),
                                          provider_measures=_left("the provider's own opt-out measures"),
                                          rights_policies=policies, rights_decisions=dict(sorted(decisions.items())),
                                          rights_decisions_by_kind=dict(sorted(by_decision.items())),
                                          review_queue=review),
                    illegal_content=_section("3.2", measures_by_pdcorpus=[], left_to_provider=True,
                                             provider_measures=_left()),
                    other_information=_section("3.3", exact_duplicates_removed=exact, near_duplicates_removed=near,
                                               near_duplicates_removed_by_method=near_methods,
                                               previously_published_removed=previous,
                                               near_dedup={k: v.to_json() for k, v in m.near_dedup.items()},
                                               language_identification=language, quality_filters=quality,
                                               length_filters=length, stages=rows,
                                               records_in=int(m.records_in),
                                               records_out=f.records_out,
                                               records_set_aside=int(m.rejects.count)))
    return data, md


def training_data_summary(manifest: Manifest | dict) -> tuple[str, dict]:
    """``OUT/training-data-summary.md`` and the same summary as a JSON-ready dict."""
    f = facts(manifest)
    general, md1 = _general_information(f)
    sources, md2 = _data_sources(f)
    processing, md3 = _data_processing(f)
    prepared = {"tool": "pdcorpus", "version": f.manifest.pdcorpus_version, "corpus": f.name,
                "built_at": f.created_at, "config_sha256": f.manifest.config_sha256,
                "records": f.records_out}
    data = {"template": dict(TEMPLATE), "prepared_from": prepared,
            "version_of_the_summary": _left(), "last_update": _left(),
            "general_information": general, "list_of_data_sources": sources, "data_processing_aspects": processing}
    head = [f"# Public Summary of Training Content: {f.name}", "",
            f"Following the {TEMPLATE['title']} ({TEMPLATE['issued_by']}, {TEMPLATE['date']}; "
            f"{TEMPLATE['legal_basis']}).", "",
            f"Prepared by pdcorpus {prepared['version']} from the manifest of the corpus build of {f.created_at} "
            f"(corpus file sha256 `{prepared['config_sha256']}`, {_n(f.records_out)} records). It describes this "
            "corpus only: the provider of a model trained on it completes the parts marked \"to be completed by the "
            "provider\" and adds their other training data.", "",
            f"- Version of the Summary: {PROVIDER}",
            f"- Last update: {PROVIDER}", ""]
    text = "\n".join(head + md1 + md2 + md3).rstrip() + "\n"
    return text, data


__all__ = ["TEMPLATE", "TEMPLATE_SECTIONS", "training_data_summary"]
