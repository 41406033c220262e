"""The rights stage in a pipeline and in a build, and `pdcorpus rights check`."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pdcorpus
from pdcorpus import Pipeline, Record, RightsStage, StageContext
from pdcorpus.config import ConfigError, load_config


def rec(id: str, statement: str | None, source: str = "s", **kw) -> Record:
    return Record(id=f"{source}:{id}", source=source, text=f"text of {id}", license_raw=statement, **kw)


def run(stage: RightsStage, records: list[Record]):
    rejects, review = [], []
    out = list(Pipeline([stage], on_reject=rejects.append, on_divert=lambda q, r: review.append((q, r)))(records))
    return out, rejects, review


def test_every_record_gets_licence_decision_reason_and_rule():
    stage = RightsStage(policy="public-domain", jurisdictions=["US", "EU"], as_of=date(2026, 1, 1))
    out, rejects, review = run(stage, [
        rec("cc0", "http://creativecommons.org/publicdomain/zero/1.0/"),
        rec("nc", "CC BY-NC 4.0"),
        rec("us", "Public domain in the USA."),
        rec("none", None),
    ])
    assert [(r.id, r.license, r.license_raw) for r in out] == [
        ("s:cc0", "CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/")]
    assert out[0].rights_reason == "allow: public-domain-waiver (public-domain policy: pd-waiver)"
    assert [(r.id, r.reason) for r in rejects] == [("s:nc", "non-commercial"), ("s:none", "no-rights-statement")]
    assert rejects[0].record.license == "CC-BY-NC-4.0"
    assert [(q, r.id, r.license) for q, r in review] == [("review", "s:us", "NoC-US")]
    assert review[0][1].rights_reason == ("review: us-only-public-domain (public-domain policy: pd-us, "
                                          "not shown for EU)")
    stats = stage.stats.to_dict()
    assert stats["dropped"] == {"no-rights-statement": 1, "non-commercial": 1, "review:us-only-public-domain": 1}
    assert stats["tally"] == {"allow:public-domain-waiver": 1, "deny:no-rights-statement": 1, "deny:non-commercial": 1,
                              "license:CC-BY-NC-4.0": 1, "license:CC0-1.0": 1, "license:NoC-US": 1,
                              "license:unknown": 1, "review:us-only-public-domain": 1}


def test_allow_and_deny_lists_come_before_the_policy():
    stage = RightsStage(policy="public-domain", jurisdictions=["EU"], allow=["CC-BY-SA-*"], deny=["PDM-1.0"])
    out, rejects, _ = run(stage, [rec("sa", "CC BY-SA 3.0"), rec("pdm", "https://creativecommons.org/publicdomain/mark/1.0/"),
                                  rec("by", "CC BY 4.0")])
    assert [(r.id, r.rights_reason) for r in out] == [("s:sa", "allow: allow-list (allow list: CC-BY-SA-*)")]
    assert [(r.id, r.reason) for r in rejects] == [("s:pdm", "deny-list"), ("s:by", "not-public-domain")]


def test_an_allow_list_cannot_let_in_a_record_without_a_statement():
    stage = RightsStage(allow=["*"])
    out, rejects, review = run(stage, [rec("none", None), rec("odd", "who knows")])
    assert out == [] and [r.reason for r in rejects] == ["no-rights-statement"]
    assert [r.license for _, r in review] == ["unknown"]


def test_a_collection_licence_fills_records_without_one_and_is_recorded_with_its_evidence():
    stage = RightsStage()
    stage.bind(StageContext(source_licenses={"letters": ("CC0-1.0", "https://example.org/terms", False)}))
    out, _, _ = run(stage, [rec("1", None, "letters"), rec("2", "CC BY-NC 4.0", "letters"), rec("3", None, "other")])
    assert [(r.id, r.license, r.license_raw) for r in out] == [("letters:1", "CC0-1.0", "CC0-1.0")]
    assert out[0].rights_reason.endswith("; collection licence stated in the config, evidence: https://example.org/terms")
    overriding = RightsStage()
    overriding.bind(StageContext(source_licenses={"letters": ("CC0-1.0", None, True)}))
    out, _, _ = run(overriding, [rec("2", "CC BY-NC 4.0", "letters")])
    assert [(r.license, r.license_raw) for r in out] == [("CC0-1.0", "CC0-1.0")]


def test_dates_come_from_columns_and_metadata_paths():
    stage = RightsStage(jurisdictions=["US", "EU"], as_of=date(2026, 1, 1), published="date",
                        died="metadata.author.death_year")
    records = [rec("old", "Public domain in the USA.", date="1851", metadata='{"author": {"death_year": 1891}}'),
               rec("young", "Public domain in the USA.", date="1925", metadata='{"author": {"death_year": 1962}}')]
    out, _, review = run(stage, records)
    assert [(r.id, r.license) for r in out] == [("s:old", "public-domain-by-date")]
    assert "EU life+70: author died 1891" in out[0].rights_reason
    assert [r.id for _, r in review] == ["s:young"]
    assert "EU life+70: author died 1962, public domain from 2033" in review[0][1].rights_reason


def test_the_build_date_is_the_default_as_of():
    stage = RightsStage(jurisdictions=["EU"], died="metadata.d")
    stage.bind(StageContext(today="2026-06-01"))
    assert stage.policy.as_of == date(2026, 6, 1)


CORPUS = """\
name: rights-corpus
output: {out}
sources:
  - name: museum
    read: {{format: jsonl, paths: ["{glob}"]}}
    fields: {{id: objectID, text: caption_text, license: rights}}
  - name: letters
    read: {{format: jsonl, paths: ["{glob2}"]}}
    license: {{value: "https://creativecommons.org/publicdomain/mark/1.0/", evidence: "https://example.org/about"}}
stages:
  - rights: {{policy: {policy}, jurisdictions: [US, EU], as_of: 2026-01-01}}
  - dedup: {{method: exact}}
"""


def write_build(tmp_path: Path, policy: str = "public-domain") -> Path:
    rows = [("1", "CC0-1.0"), ("2", "http://rightsstatements.org/vocab/NoC-US/1.0/"), ("3", "CC BY-NC-ND 4.0"),
            ("4", "No known copyright restrictions"), ("5", "CC BY-SA 4.0"), ("6", None)]
    (tmp_path / "museum.jsonl").write_text("".join(
        json.dumps({"objectID": i, "caption_text": f"Object {i}, a print.", "rights": r}) + "\n" for i, r in rows))
    (tmp_path / "letters.jsonl").write_text(json.dumps({"id": "a", "text": "Dear friend, a letter."}) + "\n")
    config = tmp_path / "corpus.yaml"
    config.write_text(CORPUS.format(out=tmp_path / "out", glob=tmp_path / "museum.jsonl",
                                    glob2=tmp_path / "letters.jsonl", policy=policy))
    return config


@pytest.mark.parametrize("policy,allowed", [("public-domain", {"museum:1", "letters:a"}),
                                            ("open", {"museum:1", "museum:5", "letters:a"})])
def test_a_build_sends_review_records_to_the_review_queue(tmp_path, policy, allowed):
    manifest = pdcorpus.build(write_build(tmp_path, policy), workers=1, progress=False)
    out = tmp_path / "out"
    rows = [r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()]
    assert {r["id"] for r in rows} == allowed
    review = [r for f in manifest["review"]["files"] for r in pq.read_table(out / f["path"]).to_pylist()]
    assert sorted((r["id"], r["license"]) for r in review) == [("museum:2", "NoC-US"), ("museum:4", "NKC")]
    assert pq.read_schema(out / manifest["review"]["files"][0]["path"]).names == list(pdcorpus.record.COLUMNS)
    assert manifest["review"]["count"] == 2
    museum = manifest["sources"]["museum"]
    assert museum["rights_decisions"]["deny:non-commercial"] == 1
    assert museum["rights_decisions"]["review:no-known-restrictions"] == 1
    assert museum["licenses"] == ({"CC0-1.0": 1} if policy == "public-domain" else {"CC0-1.0": 1, "CC-BY-SA-4.0": 1})
    assert manifest["sources"]["letters"]["licenses"] == {"PDM-1.0": 1}
    letter = next(r for r in rows if r["id"] == "letters:a")
    assert "evidence: https://example.org/about" in letter["rights_reason"]
    assert manifest["as_of"]
    inspect = subprocess.run([sys.executable, "-m", "pdcorpus.cli", "inspect", str(out)], capture_output=True, text=True)
    assert inspect.returncode == 0, inspect.stderr
    assert "review:no-known-restrictions" in inspect.stdout and "2 records for review" in inspect.stdout


def test_rights_options_are_validated_before_any_work(tmp_path):
    config = write_build(tmp_path)
    config.write_text(config.read_text().replace("jurisdictions: [US, EU]", "jurisdictions: [US, FR]")
                      .replace("policy: public-domain", "policy: pd"))
    with pytest.raises(ConfigError) as info:
        load_config(config)
    text = str(info.value)
    assert "corpus.yaml:11: stages[0].rights.policy: Input should be 'public-domain' or 'open'" in text
    assert "corpus.yaml:11: stages[0].rights.jurisdictions[1]: Input should be 'US', 'EU'" in text


def rights_check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pdcorpus.cli", "rights", "check", *args], capture_output=True,
                          text=True)


def test_rights_check_for_people_and_for_scripts(tmp_path):
    human = rights_check("Public domain in the USA.")
    assert human.returncode == 0
    assert human.stdout.splitlines() == [
        "statement: Public domain in the USA.",
        "license:   NoC-US  (No Copyright - United States; read as known statement)",
        "decision:  review",
        "reason:    us-only-public-domain",
        "rule:      public-domain policy: pd-us, not shown for EU"]
    machine = rights_check("https://creativecommons.org/licenses/by-sa/3.0/pl/", "--policy", "open",
                           "--jurisdiction", "EU", "--json")
    assert json.loads(machine.stdout) == {"license": "CC-BY-SA-3.0-PL", "decision": "allow", "reason": "open-licence",
                                          "rule": "open policy: open"}
    statements = tmp_path / "statements.txt"
    statements.write_text("CC0\nCC BY-NC 4.0\n\nPublic domain in the USA.\n")
    many = rights_check("--file", str(statements), "--jurisdiction", "US", "--json")
    assert [json.loads(line)["decision"] for line in many.stdout.splitlines()] == ["allow", "deny", "allow"]
    bad = rights_check("CC0", "--jurisdiction", "XX")
    assert bad.returncode == 1 and "unknown jurisdiction XX" in bad.stderr


DATED = """\
name: dated-corpus
output: {out}
sources:
  - name: prints
    read: {{format: jsonl, paths: ["{glob}"]}}
    fields: {{id: objectID, text: caption_text, license: rights, date: year}}
stages:
  - rights: {{policy: public-domain, jurisdictions: [US, EU], as_of: 2026-01-01, died: metadata.died{option}}}
"""


def write_dated(tmp_path: Path, option: str) -> Path:
    rows = [("blank", "", 1850, 1890), ("null", None, 1850, 1890), ("odd", "Rights: see the edition", 1850, 1890),
            ("young", None, 1950, 1960), ("us", "Public domain in the USA.", 1940, 1950)]
    (tmp_path / "prints.jsonl").write_text("".join(
        json.dumps({"objectID": i, "caption_text": f"Print {i}, an engraving.", "rights": r, "year": str(y), "died": d})
        + "\n" for i, r, y, d in rows))
    config = tmp_path / "corpus.yaml"
    config.write_text(DATED.format(out=tmp_path / "out", glob=tmp_path / "prints.jsonl", option=option))
    return config


@pytest.mark.parametrize("option,then", [("", "review"), (", dates_without_statement: review", "review"),
                                         (", dates_without_statement: allow", "allow")])
def test_a_build_settles_a_missing_statement_by_dates_only_as_the_config_says(tmp_path, option, then):
    manifest = pdcorpus.build(write_dated(tmp_path, option), workers=1, progress=False)
    out = tmp_path / "out"
    rows = {r["id"]: r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()}
    review = {r["id"]: r for f in manifest["review"]["files"] for r in pq.read_table(out / f["path"]).to_pylist()}
    by_date = ("pd-by-date as of 2026-01-01: US publication+95: published 1850, before 1931; "
               "EU life+70: author died 1890")
    for name in ("blank", "null"):
        record = (rows if then == "allow" else review)[f"prints:{name}"]
        assert record["rights_reason"] == (f"{then}: pd-by-date-no-statement (no statement; dates_without_statement: "
                                           f"{then}; {by_date})")
        assert record["license"] == ("public-domain-by-date" if then == "allow" else "unknown")
    # An unrecognized statement is never settled by dates; a US-only one is settled for the EU by the death year.
    assert review["prints:odd"]["rights_reason"].startswith("review: unrecognized-statement (")
    assert "an edition's or a translation's notice" in review["prints:odd"]["rights_reason"]
    assert rows["prints:us"]["rights_reason"].endswith("US by the statement (pd-us); EU life+70: author died 1950)")
    decisions = manifest["sources"]["prints"]["rights_decisions"]
    assert decisions == {f"{then}:pd-by-date-no-statement": 2, "review:unrecognized-statement": 1,
                         "deny:no-rights-statement": 1, "allow:pd-by-date": 1}
    # The card states the rule and the option as the manifest's config has it.
    from pdcorpus.publish import dataset_card
    card = dataset_card(manifest)
    assert f"  - dates without a statement: `{then}`" + (" (the default)" if not option else "") in card
    assert "They never overrule a statement that reserves rights, nor one pdcorpus does not recognize" in card
    if then == "allow":
        assert "2 of them (counted in the rights stage) had no rights statement at all" in card


def test_the_option_is_validated_before_any_work(tmp_path):
    config = write_dated(tmp_path, ", dates_without_statement: yes")
    with pytest.raises(ConfigError) as info:
        load_config(config)
    assert "corpus.yaml:8: stages[0].rights.dates_without_statement: Input should be 'review' or 'allow'" in str(info.value)


def test_rights_check_takes_the_option_and_says_which_rule_applied():
    default = rights_check("", "--published", "1850", "--died", "1890", "--as-of", "2026-01-01", "--json")
    assert json.loads(default.stdout) == {
        "license": "unknown", "decision": "review", "reason": "pd-by-date-no-statement",
        "rule": "no statement; dates_without_statement: review; pd-by-date as of 2026-01-01: US publication+95: "
                "published 1850, before 1931; EU life+70: author died 1890"}
    allowed = rights_check("", "--published", "1850", "--died", "1890", "--as-of", "2026-01-01",
                           "--dates-without-statement", "allow")
    assert "decision:  allow" in allowed.stdout and "dates_without_statement: allow" in allowed.stdout
    odd = rights_check("Rights: see the edition", "--published", "1850", "--died", "1890", "--json")
    assert json.loads(odd.stdout)["decision"] == "review"
    assert "never settled by dates" in json.loads(odd.stdout)["rule"]


def test_the_sample_shows_the_option_and_its_committed_card_and_manifest_say_what_it_did():
    """configs/sample.yaml sets dates_without_statement: allow. Its books with an empty or absent rights field were
    published before 1931 by authors who died by 1955 (samples/EXPECTED.json): public domain in the US and the EU
    as of 2026-01-01 (17 USC 304(b); Directive 2006/116/EC art. 1), so each is allowed, and counted so."""
    import yaml
    root = Path(__file__).resolve().parent.parent
    rights = next(s["rights"] for s in yaml.safe_load((root / "configs/sample.yaml").read_text())["stages"]
                  if "rights" in s)
    assert rights["dates_without_statement"] == "allow"
    truth = json.loads((root / "samples/EXPECTED.json").read_text())["records"]
    bare = [r for r in truth if r["source"] == "books" and not r["rights"]]
    assert bare and all(r["year"] < 1931 and r["author_death_year"] <= 1955 for r in bare)
    manifest = json.loads((root / "docs/sample-output/manifest.json").read_text())
    assert manifest["sources"]["books"]["rights_decisions"]["allow:pd-by-date-no-statement"] == len(bare)
    card = (root / "docs/sample-output/README.md").read_text(encoding="utf-8")
    assert "  - dates without a statement: `allow` (a record with no rights statement that the dates make" in card
    assert f"{len(bare)} of them (counted in the rights stage) had no rights statement at all" in card
    assert f"| books | allow | pd-by-date-no-statement | {len(bare)} |" in card
