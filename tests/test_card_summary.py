"""The dataset card and the public summary of training content: what they say is what the build recorded.

The bundled sample is built once with `pdcorpus build` (the `sample_build` fixture of conftest.py) and the
files it wrote are checked, never regenerated here: its card must parse with huggingface_hub, validate offline, point
its configs at the shards, and load per source with ``datasets`` (offline) to the manifest's counts;
its summary must have every section of the AI Office's template, with the manifest's numbers. Small
hand-made manifests check the licence tag, languages and modalities in the cases the sample lacks.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from huggingface_hub import DatasetCard, DatasetCardData

from pdcorpus.publish import (TEMPLATE_SECTIONS, card_metadata, dataset_card, training_data_summary,
                              validate_card_metadata)
from pdcorpus.publish.card import CardError, size_category

ROOT = Path(__file__).resolve().parent.parent

# The template's sections, in order (Annex to the Explanatory Notice, AI Office, 24 July 2025).
TEMPLATE_HEADINGS = [
    "## 1. General information",
    "### 1.1. Provider identification",
    "### 1.2. Model identification",
    "### 1.3. Modalities, overall training data size and other characteristics",
    "## 2. List of data sources",
    "### 2.1. Publicly available datasets",
    "### 2.2. Private non-publicly available datasets obtained from third parties",
    "#### 2.2.1. Datasets commercially licensed by rightsholders or their representatives",
    "#### 2.2.2. Private datasets obtained from other third parties",
    "### 2.3. Data crawled and scraped from online sources",
    "### 2.4. User data",
    "### 2.5. Synthetic data",
    "### 2.6. Other sources of data",
    "## 3. Data processing aspects",
    "### 3.1. Respect of reservation of rights from text and data mining exception or limitation",
    "### 3.2. Removal of illegal content",
    "### 3.3. Other information (optional)",
]


@pytest.fixture(scope="module")
def built(sample_build) -> tuple[Path, dict]:
    """The sample's output folder as `pdcorpus build` wrote it, and its manifest.json: nothing regenerated."""
    return sample_build


def written_summary(out: Path) -> tuple[str, dict]:
    """The summary the build wrote: training-data-summary.md and .json."""
    return ((out / "training-data-summary.md").read_text(encoding="utf-8"),
            json.loads((out / "training-data-summary.json").read_text(encoding="utf-8")))


def output_column(out: Path, column: str) -> Counter:
    counts: Counter = Counter()
    for shard in sorted((out / "data").glob("*/*.parquet")):
        counts.update(pq.read_table(shard, columns=[column]).column(column).to_pylist())
    return counts


# -- the card of the sample ------------------------------------------------------------------------


def test_the_card_parses_with_huggingface_hub_and_validates_offline(built):
    out, manifest = built
    card = DatasetCard((out / "README.md").read_text(encoding="utf-8"))
    data = card.data.to_dict()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert data == card_metadata(manifest, output_files=files)
    assert validate_card_metadata(data, output_files=files) == []
    assert isinstance(card.data, DatasetCardData) and card.text.lstrip().startswith(f"# {manifest['name']}")
    assert data["pretty_name"] == "sample-corpus"
    assert data["size_categories"] == ["n<1K"]
    expected = ["text-generation"] + (["image-to-text", "text-to-image"] if any(
        m == "image-caption" for m in modalities(manifest).values()) else [])
    assert data["task_categories"] == expected
    assert "pdcorpus" in data["tags"] and "public-domain" in data["tags"]


def test_the_licence_tag_is_the_output_licences_and_never_more(built):
    out, manifest = built
    data = DatasetCard((out / "README.md").read_text(encoding="utf-8")).data.to_dict()
    licences = output_column(out, "license")
    assert set(licences) == {"public-domain-by-date", "PDM-1.0", "CC0-1.0", "public-domain"}
    # several licences, none of which alone is the data's: not a Hub licence, a named 'other'
    assert data["license"] == "other"
    assert data["license_name"] == "public-domain-mixed"
    assert data["license_link"] == "README.md#licences"
    body = (out / "README.md").read_text(encoding="utf-8")
    assert "\n## Licences\n" in body
    for licence, n in licences.items():
        assert re.search(rf"^\| {re.escape(licence)} \| [^|]+ \| {n:,} \|", body, re.M), licence


def test_languages_in_the_header_are_the_output_languages(built):
    out, manifest = built
    data = DatasetCard((out / "README.md").read_text(encoding="utf-8")).data.to_dict()
    languages = output_column(out, "language")
    assert set(data["language"]) == {code for code in languages if code not in ("und", None)}
    assert data["language"] == sorted(data["language"], key=lambda c: (-languages[c], c))
    assert data["multilinguality"] == ["multilingual"]


def test_each_config_points_at_files_that_exist(built):
    out, manifest = built
    data = DatasetCard((out / "README.md").read_text(encoding="utf-8")).data.to_dict()
    configs = {c["config_name"]: c for c in data["configs"]}
    assert list(configs) == ["default", *manifest["sources"]]
    assert [n for n, c in configs.items() if c.get("default")] == ["default"]
    for name, config in configs.items():
        [files] = config["data_files"]
        assert files["split"] == "train"
        found = sorted(p.relative_to(out).as_posix() for p in out.glob(files["path"]))
        expected = sorted(s["path"] for s in manifest["shards"] if name == "default" or s["source"] == name)
        assert found == expected, name


def test_datasets_loads_every_source_offline_with_the_manifest_counts(built, tmp_path):
    out, manifest = built
    script = (
        "import json, sys, datasets\n"
        "out, cache, names = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])\n"
        "rows = {n: datasets.load_dataset(out, n, split='train', cache_dir=cache).num_rows for n in names}\n"
        "rows['(no name)'] = datasets.load_dataset(out, split='train', cache_dir=cache).num_rows\n"
        "rows['(config names)'] = datasets.get_dataset_config_names(out)\n"
        "print(json.dumps(rows))\n")
    names = ["default", *manifest["sources"]]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    env.update({"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf"),
                "HF_HUB_DISABLE_TELEMETRY": "1"})
    run = subprocess.run([sys.executable, "-c", script, str(out), str(tmp_path / "cache"), json.dumps(names)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads(run.stdout.strip().splitlines()[-1])
    assert rows["(config names)"] == names
    for name, source in manifest["sources"].items():
        assert rows[name] == source["records_out"], name
    assert rows["default"] == rows["(no name)"] == manifest["records_out"]


def modalities(manifest: dict) -> dict[str, str]:
    """Each source's modality, from the config as written: an images source is image-caption."""
    return {src["name"]: "image-caption" if src["read"]["format"] == "images" else "text"
            for src in manifest["config"]["sources"]}


def test_the_card_body_gives_the_manifests_numbers(built):
    out, manifest = built
    body = (out / "README.md").read_text(encoding="utf-8")
    for heading in ("## Sources", "## Licences", "## Rights policy", "## Processing", "## Deduplication",
                    "## Languages", "## Opt-outs", "## Requesting removal", "## Citation", "## Provenance"):
        assert f"\n{heading}\n" in body, heading
    kinds = modalities(manifest)
    phrase = "text and image-caption" if set(kinds.values()) == {"text", "image-caption"} else next(iter(kinds.values()))
    assert f"{manifest['records_out']:,} {phrase} records" in body
    for name, s in manifest["sources"].items():
        assert (f"| {name} | {kinds[name]} | {s['records_read']:,} | {s['records_out']:,} | {s['shards']:,} | "
                f"{s['bytes']:,} |" in body), name
        for key, n in s["rights_decisions"].items():
            decision, _, reason = key.partition(":")
            assert f"| {name} | {decision} | {reason} | {n:,} |" in body, key
    for stage in manifest["stages"]:
        assert f"| {stage['scope']} | {stage['stage']} | {stage['records_in']:,} | {stage['records_out']:,} |" in body
    assert f"{manifest['review']['count']:,} records were sent to review" in body
    near = manifest["near_dedup"]["stages[6]"]
    assert f"candidate pairs: {near['candidate_pairs']:,}" in body and f"clusters: {near['clusters']:,}" in body
    exact = next(s for s in manifest["stages"] if s["stage"] == "dedup:exact")
    assert f"Exact duplicates (same normalized text, or the same image bytes) removed: {exact['dropped']['duplicate']:,}" in body
    assert "checked no machine-readable reservation of rights" in body and "not known" in body
    assert "No opt-out list was applied to this build and no Do-Not-Train registry" in body
    assert "`<source>:<id>`" in body
    assert f"year         = {{{manifest['created_at'][:4]}}}" in body
    assert manifest["config_sha256"] in body and "pdcorpus 0.1.0" in body
    assert all(i["sha256"] in body for i in manifest["inputs"])
    assert all(s["sha256"] in body for s in manifest["shards"])


# -- the summary of the sample ---------------------------------------------------------------------


def test_the_summary_has_every_section_of_the_template_in_order(built):
    out, _ = built
    text = (out / "training-data-summary.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if re.match(r"^#{2,4} \d", line)]
    assert headings == TEMPLATE_HEADINGS
    assert [f"{'#' * (n.count('.') + 2)} {n}. {t}" for n, t in TEMPLATE_SECTIONS] == TEMPLATE_HEADINGS


def test_the_summary_json_has_the_same_sections_and_round_trips(built):
    out, manifest = built
    text, data = written_summary(out)
    # What the build wrote is what the manifest it wrote gives: the files say only what the manifest records.
    assert (text, data) == training_data_summary(manifest)
    assert (out / "README.md").read_text(encoding="utf-8") == dataset_card(manifest)
    assert json.loads(json.dumps(data)) == data
    assert data["prepared_from"]["config_sha256"] == manifest["config_sha256"]
    assert data["prepared_from"]["built_at"] == manifest["created_at"]
    assert f"corpus file sha256 `{manifest['config_sha256']}`" in text

    def sections(node):
        if isinstance(node, dict):
            if "section" in node and "title" in node:
                yield node["section"], node["title"]
            for value in node.values():
                yield from sections(value)
        elif isinstance(node, list):
            for value in node:
                yield from sections(value)

    assert list(sections(data)) == TEMPLATE_SECTIONS


def test_what_only_the_provider_knows_is_left_to_the_provider(built):
    out, _ = built
    text, data = written_summary(out)
    general = data["general_information"]
    assert general["provider_identification"]["left_to_provider"] is True
    assert general["model_identification"]["left_to_provider"] is True
    for key in ("versioned_model_names", "model_dependencies", "date_of_placement_on_the_union_market"):
        assert general["model_identification"][key] == {"value": None, "left_to_provider": True}
    processing = data["data_processing_aspects"]
    assert processing["tdm_opt_outs"]["code_of_practice_signatory"]["left_to_provider"] is True
    assert processing["tdm_opt_outs"]["protocols_checked"] == []
    assert processing["tdm_opt_outs"]["records_removed_for_opt_out"] == 0
    assert processing["illegal_content"]["left_to_provider"] is True
    assert "Provider name and contact details: To be completed by the provider." in text
    assert "Opt-out protocols checked for this corpus: none." in text


def test_the_summary_numbers_are_the_manifests(built):
    out, manifest = built
    text, data = written_summary(out)
    size = data["general_information"]["modalities_size_and_characteristics"]
    text_size = size["modalities"][0]["training_data_size"]
    kinds = modalities(manifest)
    text_sources = [n for n, k in kinds.items() if k == "text"]
    assert text_size["records"] == sum(manifest["sources"][n]["records_out"] for n in text_sources)
    assert text_size["bytes"] == sum(s["bytes"] for s in manifest["shards"] if s["source"] in text_sources)
    images = sum(manifest["sources"][n]["records_out"] for n, k in kinds.items() if k == "image-caption")
    image_size = size["modalities"][1]
    assert image_size["present"] is bool(images) and (not images or image_size["training_data_size"]["images"] == images)
    if all("text_chars" in s for s in manifest["sources"].values()):  # a build that counts characters
        chars = sum(len(t) for t in output_column(out, "text").elements() if t is not None)
        assert text_size["characters"] == chars == sum(s["text_chars"] for s in manifest["sources"].values())
        assert text_size["estimated_tokens"] == chars // 4 and text_size["range"] == "Less than 1 billion tokens"
    else:  # no character count recorded: no token estimate, the range is left to the provider
        assert text_size["range"] is None and text_size["left_to_provider"] is True
        assert "estimated_tokens" not in text_size
    created = manifest["created_at"]
    assert size["latest_date_of_data_acquisition"]["value"] == f"{created[5:7]}/{created[:4]}"
    languages = Counter()
    for s in manifest["sources"].values():
        languages.update(s["languages"])
    assert {lang["code"]: lang["records"] for lang in size["languages"]} == dict(languages)

    listed = {d["name"]: d for d in data["list_of_data_sources"]["publicly_available_datasets"]["datasets"]}
    assert list(listed) == list(manifest["sources"])
    for name, s in manifest["sources"].items():
        assert listed[name]["records_read"] == s["records_read"]
        assert listed[name]["records_in_corpus"] == s["records_out"]
        assert listed[name]["licenses"] == s["licenses"]
        assert listed[name]["input_files"] == sum(1 for i in manifest["inputs"] if i["source"] == name)
        assert f"| {name} | {kinds[name]} | {s['records_read']:,} | {s['records_out']:,} |" in text

    processing = data["data_processing_aspects"]
    decisions = Counter()
    for s in manifest["sources"].values():
        decisions.update(s["rights_decisions"])
    assert processing["tdm_opt_outs"]["rights_decisions"] == dict(decisions)
    rights = next(s for s in manifest["stages"] if s["stage"] == "rights")
    assert processing["tdm_opt_outs"]["rights_decisions_by_kind"]["allow"] == rights["records_out"]
    assert processing["tdm_opt_outs"]["review_queue"] == manifest["review"]["count"]
    other = processing["other_information"]
    assert other["exact_duplicates_removed"] == manifest["dropped"]["dedup:exact:duplicate"]
    assert other["near_duplicates_removed"] == sum(n for k, n in manifest["dropped"].items()
                                                   if k.endswith(":near-duplicate"))
    assert other["near_dedup"] == manifest["near_dedup"]
    # the sample runs both near-duplicate methods: each is named with what it removed
    minhash = manifest["dropped"]["dedup:minhash:near-duplicate"]
    phash = manifest["dropped"]["dedup:phash:near-duplicate"]
    assert other["near_duplicates_removed_by_method"] == {"minhash": minhash, "phash": phash}
    assert (f"- Near-duplicate removal: MinHash LSH over word n-grams (text): {minhash:,} removed; "
            f"perceptual hash, pHash (images): {phash:,} removed.") in text
    assert [(r["stage"], r["records_in"], r["records_out"], r["dropped"]) for r in other["stages"]] == \
           [(s["stage"], s["records_in"], s["records_out"], s["dropped"]) for s in manifest["stages"]]
    assert other["records_set_aside"] == manifest["rejects"]["count"]
    assert f"Exact deduplication: {manifest['dropped']['dedup:exact:duplicate']:,} duplicates removed." in text


# -- small hand-made manifests ---------------------------------------------------------------------


def manifest_of(sources: dict[str, dict], *, config_sources: dict[str, dict] | None = None, **extra) -> dict:
    """A manifest with the keys a build writes; each source: records_out, licenses, languages (+ any key)."""
    config_sources = config_sources or {}
    shards, out = [], {}
    for name, s in sources.items():
        n = s.get("records_out", sum(s.get("licenses", {}).values()))
        out[name] = {"records_read": s.get("records_read", n), "records_out": n, "shards": 1 if n else 0,
                     "bytes": 1000 * n, "licenses": s.get("licenses", {}), "languages": s.get("languages", {}),
                     "rights_decisions": s.get("rights_decisions", {}),
                     **{k: v for k, v in s.items() if k in ("text_chars", "retrieved_at_max", "modality")}}
        if n:
            shards.append({"path": f"data/{name}/train-00000-of-00001.parquet", "source": name, "rows": n,
                           "bytes": 1000 * n, "sha256": "0" * 64})
    manifest = {
        "name": "tiny", "pdcorpus_version": "0.1.0", "created_at": "2026-03-04T05:06:07+00:00",
        "config_path": "tiny.yaml", "config_sha256": "a" * 64,
        "config": {"name": "tiny", "output": "out",
                   "sources": [{"name": n, "read": {"format": "jsonl", "paths": ["x"]}, **config_sources.get(n, {})}
                               for n in sources],
                   "stages": [{"rights": {"policy": "open"}}]},
        "versions": {"python": "3.11"}, "runner": {"name": "local", "workers": 1, "buckets": 1, "resumed": False},
        "as_of": "2026-03-04", "inputs": [{"source": n, "path": f"{n}.jsonl", "bytes": 10, "sha256": "b" * 64}
                                          for n in sources],
        "records_in": sum(s["records_read"] for s in out.values()),
        "records_out": sum(s["records_out"] for s in out.values()),
        "dropped": {}, "rejects": {"count": 0, "files": []}, "review": {"count": 0, "files": []},
        "previous_release": None, "near_dedup": {}, "sources": out, "stages": [], "shards": shards,
        "timings": {"total_seconds": 1.0, "phases": {}},
    }
    manifest.update(extra)
    return manifest


def header(manifest: dict) -> dict:
    return DatasetCard(dataset_card(manifest)).data.to_dict()


def test_one_licence_the_hub_knows_is_claimed_by_its_hub_id():
    data = header(manifest_of({"art": {"licenses": {"CC0-1.0": 40}, "languages": {"en": 40}}}))
    assert data["license"] == "cc0-1.0"
    assert "license_name" not in data and "license_link" not in data
    assert data["language"] == ["en"] and data["multilinguality"] == ["monolingual"]
    assert header(manifest_of({"a": {"licenses": {"CC-BY-SA-4.0": 3}}}))["license"] == "cc-by-sa-4.0"


def test_one_licence_the_hub_does_not_know_is_other_with_its_name_and_link():
    data = header(manifest_of({"art": {"licenses": {"PDM-1.0": 40}}}))
    assert (data["license"], data["license_name"], data["license_link"]) == \
           ("other", "pdm-1.0", "https://creativecommons.org/publicdomain/mark/1.0/")
    # a CC port is not the unported licence the Hub lists
    data = header(manifest_of({"pl": {"licenses": {"CC-BY-SA-3.0-PL": 5}}}))
    assert (data["license"], data["license_name"]) == ("other", "cc-by-sa-3.0-pl")
    data = header(manifest_of({"books": {"licenses": {"public-domain-by-date": 5}}}))
    assert (data["license"], data["license_name"], data["license_link"]) == \
           ("other", "public-domain-by-date", "README.md#licences")


def test_mixed_licences_are_other_with_a_name_and_the_cards_licence_section():
    manifest = manifest_of({"a": {"licenses": {"CC0-1.0": 4}}, "b": {"licenses": {"CC-BY-4.0": 2}}})
    card = dataset_card(manifest)
    data = DatasetCard(card).data.to_dict()
    assert (data["license"], data["license_name"], data["license_link"]) == \
           ("other", "open-licenses-mixed", "README.md#licences")
    assert validate_card_metadata(data) == []
    assert "\n## Licences\n" in card and "must be credited" in card
    assert set(data["tags"]) >= {"public-domain", "open-license"}
    pd = header(manifest_of({"a": {"licenses": {"CC0-1.0": 4, "PDM-1.0": 1}}}))
    assert (pd["license"], pd["license_name"]) == ("other", "public-domain-mixed")


def test_records_without_a_decided_licence_make_the_licence_unknown():
    data = header(manifest_of({"a": {"licenses": {"CC0-1.0": 4, "none": 1}}}))
    assert data["license"] == "unknown" and "license_name" not in data


def test_no_identified_language_means_no_language_key():
    data = header(manifest_of({"a": {"licenses": {"CC0-1.0": 4}, "languages": {"none": 3, "und": 1}}}))
    assert "language" not in data and "multilinguality" not in data
    assert validate_card_metadata(data) == []


def test_image_caption_sources_are_image_to_text_and_text_to_image():
    manifest = manifest_of({"photos": {"licenses": {"CC0-1.0": 1500}, "languages": {"en": 1500}}},
                           config_sources={"photos": {"read": {"format": "images", "paths": ["p/*.jsonl"]},
                                                      "fields": {"caption": "alt"}}})
    data = header(manifest)
    assert data["task_categories"] == ["image-to-text", "text-to-image"]
    assert data["size_categories"] == ["1K<n<10K"] and "image-caption" in data["tags"]
    text, summary = training_data_summary(manifest)
    image = next(m for m in summary["general_information"]["modalities_size_and_characteristics"]["modalities"]
                 if m["modality"] == "image")
    assert image["present"] is True
    assert image["training_data_size"] == {"images": 1500, "range": "Less than 1 million images"}
    assert "| Image | Less than 1 million images (1,500 images) |" in text
    assert summary["list_of_data_sources"]["publicly_available_datasets"]["modalities"] == ["image", "text"]
    text_modality = summary["general_information"]["modalities_size_and_characteristics"]["modalities"][0]
    assert text_modality["present"] is False  # the captions are counted with their images
    mixed = manifest_of({"photos": {"licenses": {"CC0-1.0": 10}}, "books": {"licenses": {"CC0-1.0": 5}}},
                        config_sources={"photos": {"fields": {"caption": "alt", "image": "file"}}})
    assert header(mixed)["task_categories"] == ["image-to-text", "text-to-image", "text-generation"]


def test_a_recorded_character_count_gives_a_token_estimate_and_its_range():
    manifest = manifest_of({"a": {"licenses": {"CC0-1.0": 10}, "text_chars": 4_000_000},
                            "b": {"licenses": {"CC0-1.0": 5}, "text_chars": 400}})
    text, data = training_data_summary(manifest)
    size = data["general_information"]["modalities_size_and_characteristics"]["modalities"][0]["training_data_size"]
    assert size["characters"] == 4_000_400 and size["estimated_tokens"] == 1_000_100
    assert size["range"] == "Less than 1 billion tokens" and "estimate" in size["estimate_note"]
    assert "Less than 1 billion tokens (about 1,000,100 tokens, estimated as 4,000,400 characters / 4)" in text
    big = manifest_of({"a": {"licenses": {"CC0-1.0": 10}, "text_chars": 8 * 10**9}})
    assert "| Text | 1 billion to 10 trillion tokens" in training_data_summary(big)[0]


def test_a_recorded_retrieval_date_is_the_latest_date_of_acquisition():
    manifest = manifest_of({"a": {"licenses": {"CC0-1.0": 1}, "retrieved_at_max": "2025-09-30T10:00:00Z"},
                            "b": {"licenses": {"CC0-1.0": 1}, "retrieved_at_max": "2025-11-02"}})
    latest = training_data_summary(manifest)[1]["general_information"]["modalities_size_and_characteristics"][
        "latest_date_of_data_acquisition"]
    assert latest["value"] == "11/2025" and "retrieved_at" in latest["basis"]


def test_a_source_with_no_output_has_no_config_and_an_empty_corpus_claims_nothing():
    data = header(manifest_of({"a": {"licenses": {"CC0-1.0": 2}}, "gone": {"licenses": {}}}))
    assert [c["config_name"] for c in data["configs"]] == ["default", "a"]
    empty = manifest_of({"gone": {"licenses": {}}})
    card = dataset_card(empty)
    data = DatasetCard(card).data.to_dict()
    assert "configs" not in data and "license" not in data and data["size_categories"] == ["n<1K"]
    text, summary = training_data_summary(empty)
    assert [line for line in text.splitlines() if re.match(r"^#{2,4} \d", line)] == TEMPLATE_HEADINGS


def test_a_source_named_default_keeps_its_name_and_the_config_over_all_is_all():
    data = header(manifest_of({"default": {"licenses": {"CC0-1.0": 2}}, "b": {"licenses": {"CC0-1.0": 1}}}))
    assert [(c["config_name"], c.get("default", False)) for c in data["configs"]] == \
           [("all", False), ("default", False), ("b", False)]
    assert validate_card_metadata(data) == []  # datasets takes the config named "default" as the default


def test_the_hub_repository_from_the_config_names_where_to_ask_for_removal():
    manifest = manifest_of({"a": {"licenses": {"CC0-1.0": 2}}})
    manifest["config"]["publish"] = {"repo": "pd-org/tiny"}
    card = dataset_card(manifest)
    assert "https://huggingface.co/datasets/pd-org/tiny/discussions" in card
    assert 'datasets.load_dataset("pd-org/tiny", "a", split="train")' in card


def test_offline_validation_catches_what_the_hub_would_refuse():
    good = card_metadata(manifest_of({"a": {"licenses": {"CC0-1.0": 2}, "languages": {"en": 2}}}))
    assert validate_card_metadata(good, output_files=["data/a/train-00000-of-00001.parquet"]) == []
    bad = copy.deepcopy(good)
    bad.update({"license": "cc-by-sa-3.0-pl", "language": ["english"], "size_categories": ["tiny"]})
    problems = "\n".join(validate_card_metadata(bad, output_files=["data/b/x.parquet"]))
    assert "license: 'cc-by-sa-3.0-pl'" in problems and "language: 'english'" in problems
    assert "size_categories: 'tiny'" in problems and "matches no output file" in problems
    other = dict(good, license="other")
    assert "license_name" in "\n".join(validate_card_metadata(other))
    two_defaults = dict(good, configs=[dict(c, default=True) for c in good["configs"]])
    assert "several default configs" in "\n".join(validate_card_metadata(two_defaults))


def test_a_card_whose_metadata_would_be_invalid_is_refused_naming_the_key(monkeypatch):
    import pdcorpus.publish.card as card_module

    monkeypatch.setattr(card_module, "card_metadata",
                        lambda manifest, output_files=None: {"license": "cc-by-sa-3.0-pl"})
    with pytest.raises(CardError, match="license: 'cc-by-sa-3.0-pl'"):
        card_module.dataset_card(manifest_of({"a": {"licenses": {"CC-BY-SA-3.0-PL": 2}}}))


@pytest.mark.parametrize("n, bucket", [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (123_456, "100K<n<1M"),
                                       (10**9, "1B<n<10B"), (10**12, "n>1T")])
def test_size_categories_are_the_hubs_buckets(n, bucket):
    assert size_category(n) == bucket
