"""Every field the dataset card and the training-data summary read is one the build wrote (issue 11, part 2).

Four small builds together run every stage: a text corpus (a source stage, normalize, rights, language,
quality, length, exact and MinHash dedup), the same corpus deduplicated against the first as an earlier
release, an image collection with pHash as its only near-dedup, and a web corpus fetched from a loopback
server (a urls source of pages and a jsonl source of image URLs with a fetch stage). The card and the
summary of each are made from the typed manifest read back from manifest.json while every attribute read
on the manifest's parts is recorded: each one read must have been in the JSON the build wrote (not filled
in by the reader's compatibility path), and the raw corpus file (``config``) is never read.

The specific fixes are checked from first principles: the records' own retrieved_at dates give the
latest date of acquisition; a source that read images (or whose records carry fetched images) is
image-caption; a pHash-only build describes its pHash removal.
"""

from __future__ import annotations

import copy
import dataclasses
import io
import json
import random
from pathlib import Path
from typing import Any, Callable

import pytest
from PIL import Image

import pdcorpus
import pdcorpus.manifest as manifest_module
from pdcorpus.manifest import Manifest
from pdcorpus.publish import dataset_card, training_data_summary

from fetch_server import FetchServer, page
from test_image_dedup import write_collection

CONTACT = "https://example.org/about-our-crawler"
LOOPBACK = '["127.0.0.0/8"]'

WORDS = ("the river froze from bank to bank and the mill stood still until the thaw in march while the miller's "
         "sons cut ice for the brewery and were paid in bread and small beer as their father had been before them "
         "and his father before him in the years when the valley still belonged to the abbey and its monks kept "
         "the ledgers of every sack of grain that came down the road from the upper farms in autumn").split()


def long_text(seed: int, words: int = 120) -> str:
    """English words in an order of their own for each seed: two seeds share hardly any 5-word sequence."""
    return " ".join(random.Random(seed).choices(sorted(set(WORDS)), k=words)).capitalize() + "."


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def build(config: Path) -> tuple[Path, dict]:
    pdcorpus.build(config, workers=1, progress=False)
    out = config.parent / "out"
    return out, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


TEXT_CORPUS = """name: texts
output: {out}
sources:
  - name: letters
    read: {{format: jsonl, paths: ["{letters}"]}}
    fields: {{license: rights}}
    stages:
      - normalize: {{}}
  - name: notes
    read: {{format: jsonl, paths: ["{notes}"]}}
    license: {{value: "https://creativecommons.org/publicdomain/zero/1.0/", evidence: "the notes' README"}}
stages:
  - rights: {{policy: open}}
  - language: {{}}
  - quality: {{min_alpha_ratio: 0.5}}
  - length: {{min_chars: 20}}
  - dedup: {{method: exact{against}}}
  - dedup: {{method: minhash, threshold: 0.8}}
"""


def text_corpus(folder: Path, against: Path | None = None) -> Path:
    folder.mkdir(parents=True)
    near = long_text(3).rsplit(" ", 1)[0] + " wintertide."  # the last word changed: a near duplicate of text 3
    letters = write_jsonl(folder / "letters.jsonl", [
        {"id": "a", "text": long_text(1), "rights": "CC0 1.0", "retrieved_at": "2026-01-02"},
        {"id": "b", "text": long_text(2), "rights": "CC BY 4.0", "retrieved_at": "2026-03-04"},
        {"id": "c", "text": long_text(3), "rights": "CC0 1.0"},
        {"id": "d", "text": near, "rights": "CC0 1.0"},
        {"id": "e", "text": long_text(1), "rights": "CC0 1.0"},  # an exact copy of a
        {"id": "f", "text": "Too short.", "rights": "CC0 1.0"},
        {"id": "g", "text": "%%%% #### 1234 5678 //// ==== ++++ ---- **** @@@@ " * 3, "rights": "CC0 1.0"},
        {"id": "h", "text": long_text(5), "rights": "All rights reserved"},
    ])
    notes = write_jsonl(folder / "notes.jsonl", [{"id": "n1", "text": long_text(4)}])
    config = folder / "texts.yaml"
    config.write_text(TEXT_CORPUS.format(out=folder / "out", letters=letters, notes=notes,
                                         against=f", against: \"{against}\"" if against else ""))
    return config


def image_corpus(folder: Path) -> Path:
    write_collection(folder / "museum")
    config = folder / "images.yaml"
    config.write_text(f"""name: images
output: {folder / 'out'}
sources:
  - name: museum
    read: {{format: images, paths: ["{folder / 'museum'}/metadata.jsonl"]}}
    fields: {{caption: caption, license: license, url: url}}
stages:
  - rights: {{policy: public-domain}}
  - dedup: {{method: phash, max_distance: 6}}
""")
    return config


def picture(color: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), color).save(buffer, format="PNG")
    return buffer.getvalue()


def web_corpus(folder: Path, server: FetchServer) -> Path:
    """A urls source of pages, and a jsonl source of image URLs that a fetch stage downloads."""
    folder.mkdir(parents=True)
    server.route("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    cc0 = '<link rel="license" href="https://creativecommons.org/publicdomain/zero/1.0/">'
    pages = [server.route(f"/pages/{i}", page(f"Page {i}", [long_text(10 + i), long_text(20 + i)], license_html=cc0))
             for i in range(2)]
    (folder / "urls.txt").write_text("\n".join(pages) + "\n")
    images = [server.route(f"/img/{c}.png", picture(c), content_type="image/png") for c in ("red", "blue")]
    write_jsonl(folder / "images.jsonl", [{"id": f"i{i}", "url": u, "caption": f"a picture {i}", "license": "CC0 1.0"}
                                          for i, u in enumerate(images)])
    fetch = f"contact: \"{CONTACT}\", allow_private_networks: {LOOPBACK}, retries: 0"
    config = folder / "web.yaml"
    config.write_text(f"""name: web
output: {folder / 'out'}
sources:
  - name: pages
    read:
      format: urls
      paths: ["{folder / 'urls.txt'}"]
      fetch: {{{fetch}}}
  - name: pictures
    read: {{format: jsonl, paths: ["{folder / 'images.jsonl'}"]}}
    fields: {{url: url, caption: caption, license: license}}
    stages:
      - fetch: {{{fetch}, images: {{max_side: 32}}}}
stages:
  - rights: {{policy: public-domain}}
""")
    return config


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    root = tmp_path_factory.mktemp("manifest-fields")
    out: dict[str, tuple[Path, dict]] = {}
    out["texts"] = build(text_corpus(root / "texts"))
    out["again"] = build(text_corpus(root / "again", against=out["texts"][0]))
    (root / "images").mkdir()
    out["images"] = build(image_corpus(root / "images"))
    with pytest.MonkeyPatch.context() as mp, FetchServer() as server:
        mp.setenv("PDCORPUS_HOST_LIMITS", str(root / "host-limits"))  # this test's own per-host lock files
        out["web"] = build(web_corpus(root / "web", server))
    return out


# -- recording what the card and the summary read --------------------------------------------------


def parts() -> list[type]:
    return [cls for cls in vars(manifest_module).values()
            if isinstance(cls, type) and dataclasses.is_dataclass(cls) and issubclass(cls, manifest_module._Part)]


def reads_of(call: Callable[[], Any]) -> list[tuple[Any, str]]:
    """(object, field) for every read of a manifest part's field while ``call`` runs."""
    seen: list[tuple[Any, str]] = []
    names = {cls: {f.name for f in dataclasses.fields(cls)} for cls in parts()}

    def traced(self: Any, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name in names[type(self)]:
            seen.append((self, name))
        return value

    with pytest.MonkeyPatch.context() as mp:
        for cls in names:
            mp.setattr(cls, "__getattribute__", traced)
        call()
    return seen


def test_every_field_the_card_and_the_summary_read_is_written_by_the_build(builds):
    read_anywhere: set[tuple[str, str]] = set()
    for name, (out, written) in builds.items():
        typed = Manifest.from_json(written)
        seen = reads_of(lambda: (dataset_card(typed), training_data_summary(typed)))
        missing = sorted({(type(obj).__name__, field) for obj, field in seen
                          if field in object.__getattribute__(obj, "absent")})
        assert missing == [], f"{name}: read but not in the manifest the build wrote: {missing}"
        read = {(type(obj).__name__, field) for obj, field in seen}
        assert ("Manifest", "config") not in read, name  # the corpus file as written is provenance only
        read_anywhere |= read
    # the fields this issue found read and never written are read now, from what the build wrote
    for field in ("modality", "retrieved_at_max", "collection_license", "text_chars"):
        assert ("SourceEntry", field) in read_anywhere
    assert ("Manifest", "stages_config") in read_anywhere and ("StageConfig", "params") in read_anywhere
    assert ("Manifest", "previous_release") in read_anywhere and ("NearDedupEntry", "max_distance") in read_anywhere


def test_the_stages_run_are_all_there(builds):
    labels = {s["stage"] for _, m in builds.values() for s in m["stages"]}
    assert {"read", "normalize", "rights", "language:cld2", "quality", "length", "unique-ids", "dedup:exact",
            "dedup:minhash", "dedup:phash", "fetch"} <= labels
    texts = builds["texts"][1]
    assert texts["dropped"]["dedup:exact:duplicate"] == 1 and texts["dropped"]["dedup:minhash:near-duplicate"] == 1
    assert texts["dropped"]["length:too-short"] == 1 and texts["dropped"]["quality:low-alpha-ratio"] == 1
    assert builds["again"][1]["previous_release"]["records"] == texts["records_out"]


def test_the_latest_acquisition_date_is_the_latest_retrieved_at_of_the_records(builds):
    out, manifest = builds["texts"]
    letters = manifest["sources"]["letters"]
    # a (2026-01-02) and b (2026-03-04) are in the output; the other records carry no date
    assert (letters["retrieved_at_min"], letters["retrieved_at_max"]) == ("2026-01-02", "2026-03-04")
    assert manifest["sources"]["notes"]["retrieved_at_max"] is None
    summary = json.loads((out / "training-data-summary.json").read_text(encoding="utf-8"))
    latest = summary["general_information"]["modalities_size_and_characteristics"]["latest_date_of_data_acquisition"]
    assert latest == {"value": "03/2026", "basis": "the latest retrieved_at of a record in the corpus"}
    assert "Latest date of data acquisition/collection for model training: 03/2026" in \
        (out / "training-data-summary.md").read_text(encoding="utf-8")
    # fetched records carry the time of their response: the latest of them
    web = builds["web"][1]["sources"]
    import pyarrow.parquet as pq
    fetched = [r["retrieved_at"] for s in builds["web"][1]["shards"] if s["source"] == "pages"
               for r in pq.read_table(builds["web"][0] / s["path"], columns=["retrieved_at"]).to_pylist()]
    assert web["pages"]["retrieved_at_max"] == max(fetched) and web["pages"]["retrieved_at_min"] == min(fetched)


def test_each_source_records_its_modality(builds):
    assert {n: s["modality"] for n, s in builds["texts"][1]["sources"].items()} == {"letters": "text", "notes": "text"}
    assert builds["images"][1]["sources"]["museum"]["modality"] == "image-caption"  # an images source
    # a jsonl source whose fetch stage downloaded images is image-caption; a urls source of pages is text
    assert {n: s["modality"] for n, s in builds["web"][1]["sources"].items()} == \
        {"pages": "text", "pictures": "image-caption"}
    card = (builds["web"][0] / "README.md").read_text(encoding="utf-8")
    assert "| pictures | image-caption |" in card and "| pages | text |" in card
    summary = json.loads((builds["web"][0] / "training-data-summary.json").read_text(encoding="utf-8"))
    image = summary["general_information"]["modalities_size_and_characteristics"]["modalities"][1]
    assert image["modality"] == "image" and image["training_data_size"]["images"] == 2


def test_a_phash_only_build_describes_its_phash_removal(builds):
    out, manifest = builds["images"]
    # write_collection: a resized and a re-encoded copy of two pictures (the byte-identical copy of a third is
    # also within 6 bits of it: no exact dedup runs here)
    removed = manifest["dropped"]["dedup:phash:near-duplicate"]
    assert removed == 3
    text = (out / "training-data-summary.md").read_text(encoding="utf-8")
    assert f"- Near-duplicate removal: perceptual hash, pHash (images): {removed} removed." in text
    assert "No near-duplicate removal" not in text
    assert "Near-duplicate images (perceptual hash" in (out / "README.md").read_text(encoding="utf-8")


def test_the_manifest_records_each_stages_parameters_with_defaults_and_the_card_reads_them(builds):
    out, manifest = builds["texts"]
    configured = {(s["scope"], s["position"], s["stage"]): s for s in manifest["stages_config"]}
    assert list(configured) == [("letters", 0, "normalize"), ("global", 0, "rights"), ("global", 1, "language"),
                                ("global", 2, "quality"), ("global", 3, "length"), ("global", 4, "dedup"),
                                ("global", 5, "dedup")]
    rights = configured[("global", 0, "rights")]
    # the corpus file gave the policy only; the rest are RightsParams' defaults, filled in
    assert rights["given"] == ["policy"]
    assert rights["params"]["jurisdictions"] == ["US", "EU"] and rights["params"]["dates_without_statement"] == "review"
    assert configured[("global", 1, "language")]["params"]["backend"] == "cld2"
    assert configured[("global", 5, "dedup")]["params"]["num_perm"] == 128
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "  - jurisdictions: US, EU" in card and "dates without a statement: `review` (the default)" in card
    assert "(backend: cld2)" in card
    summary = json.loads((out / "training-data-summary.json").read_text(encoding="utf-8"))
    other = summary["data_processing_aspects"]["other_information"]
    assert other["language_identification"] == [{"scope": "global", "backend": "cld2", "keep": None, "min_score": 0.5}]
    assert other["quality_filters"] == [{"scope": "global", "min_alpha_ratio": 0.5}]
    assert other["length_filters"] == [{"scope": "global", "min_chars": 20}]


def test_the_card_and_summary_never_read_the_corpus_file_as_written(builds):
    """With the raw config replaced by nonsense, the card and the summary say the same."""
    out, manifest = builds["texts"]
    scrambled = copy.deepcopy(manifest)
    scrambled["config"] = {"sources": [{"name": "letters", "read": {"format": "images"}}],
                           "stages": [{"rights": {"jurisdictions": ["JP"]}}], "publish": {"repo": "x/y"}}
    assert dataset_card(scrambled) == dataset_card(manifest)
    assert training_data_summary(scrambled) == training_data_summary(manifest)


def test_a_manifest_written_before_the_new_keys_reads_the_same_and_round_trips(builds):
    """Manifests without modality, retrieved_at_*, collection_license, stages_config and publish (every one
    written before them) are read with what older readers derived from the config, and written back unchanged."""
    for name, (out, manifest) in builds.items():
        old = copy.deepcopy(manifest)
        for key in ("stages_config", "publish"):
            del old[key]
        for source in old["sources"].values():
            for key in ("modality", "retrieved_at_min", "retrieved_at_max", "collection_license"):
                del source[key]
        assert Manifest.from_json(old).to_json() == old
        assert Manifest.from_json(manifest).to_json() == manifest
        typed = Manifest.from_json(old)
        assert [s.stage for s in typed.stages_config] == [s["stage"] for s in manifest["stages_config"]], name
        if name == "texts":
            assert typed.sources["notes"].collection_license.value.endswith("/zero/1.0/")
            assert typed.sources["letters"].retrieved_at_max is None  # not recorded then: unknown, not guessed
        if name == "images":
            assert typed.sources["museum"].modality == "image-caption"
