"""Stages over plain iterables keep what they divert (issue 9, bullet 9).

In a build, the rights stage's ``review`` records go to ``OUT/review/``. Used as a library, the same
records must reach the caller (``pipeline.diverted["review"]`` or ``on_divert``), never vanish: the README
says a US-only public domain ("Public domain in the USA.") goes to review under jurisdictions [US, EU].
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq

import pdcorpus as pdc
from pdcorpus import Pipeline, Record, RightsStage

ROOT = Path(__file__).resolve().parent.parent


def rec(rid: str, statement: str | None, text: str) -> Record:
    return Record(id=f"s:{rid}", source="s", text=text, content_hash=pdc.content_hash(text), license_raw=statement)


RECORDS = [
    ("cc0", "https://creativecommons.org/publicdomain/zero/1.0/", "A text dedicated to the public domain."),
    ("us", "Public domain in the USA.", "A text in the public domain in the United States only."),
    ("inc", "All rights reserved", "A text still in copyright."),
]


def records() -> list[Record]:
    return [rec(*r) for r in RECORDS]


def test_the_pipeline_keeps_what_the_rights_stage_sends_to_review():
    rejected = []
    pipeline = Pipeline([RightsStage(jurisdictions=["US", "EU"]), pdc.LengthFilter(min_chars=5)],
                        on_reject=rejected.append)
    out = list(pipeline(records()))
    assert [r.id for r in out] == ["s:cc0"]
    assert [r.id for r in rejected] == ["s:inc"]
    [review] = pipeline.diverted["review"]
    assert review.id == "s:us" and review.license == "NoC-US"
    assert review.rights_reason.startswith("review: us-only-public-domain")
    assert list(pipeline.diverted) == ["review"]
    # every record in is accounted for: out, set aside, or diverted
    assert len(out) + len(rejected) + len(pipeline.diverted["review"]) == len(RECORDS)


def test_on_divert_receives_the_queue_and_the_record():
    seen: list[tuple[str, str]] = []
    pipeline = Pipeline([RightsStage(jurisdictions=["US", "EU"])], on_divert=lambda q, r: seen.append((q, r.id)))
    list(pipeline(records()))
    assert seen == [("review", "s:us")]
    assert pipeline.diverted == {}  # given to the callback, not kept twice


def test_a_stage_used_alone_keeps_its_diverted_records():
    stage = RightsStage(jurisdictions=["US", "EU"])
    list(stage(records()))
    assert [r.id for r in stage.diverted["review"]] == ["s:us"]
    # with only the US as target, the same statement is allowed and nothing is diverted
    us_only = Pipeline([RightsStage(jurisdictions=["US"])])
    assert [r.id for r in us_only(records())] == ["s:cc0", "s:us"]
    assert us_only.diverted == {}


def test_the_library_diverts_what_a_build_puts_in_review(tmp_path):
    """The same records go to review through ``pdcorpus build`` and through a Pipeline."""
    data = tmp_path / "in.jsonl"
    data.write_text("".join(json.dumps({"id": i, "text": t, "license": s}) + "\n" for i, s, t in RECORDS))
    out = tmp_path / "out"
    config = tmp_path / "corpus.yaml"
    config.write_text(f"name: review\noutput: {out}\nsources:\n  - name: s\n    read: {{format: jsonl, paths: ['{data}']}}\n"
                      "stages:\n  - rights: {policy: public-domain, jurisdictions: [US, EU]}\n")
    manifest = pdc.build(config, workers=1, progress=False)
    built = sorted(r["id"] for f in manifest["review"]["files"] for r in pq.read_table(out / f["path"]).to_pylist())
    pipeline = Pipeline([RightsStage(jurisdictions=["US", "EU"])])
    list(pipeline(pdc.read_jsonl(str(data), source="s")))
    assert built == sorted(r.id for r in pipeline.diverted["review"]) == ["s:us"]


def test_the_readme_library_example_runs_and_shows_the_review_queue(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    code = readme.split("## As a library", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    assert "diverted" in code
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    pipeline = namespace["pipeline"]
    review = pipeline.diverted["review"]
    rights = pipeline.stats()[0]
    assert len(review) == sum(n for k, n in rights.dropped.items() if k.startswith("review:")) > 0
    # the README's books: US-only public domain without dates that settle the EU, and books with no statement
    # (dates_without_statement defaults to review)
    assert all(r.rights_reason.startswith("review:") for r in review)
    assert {r.license for r in review} <= {"NoC-US", "unknown"} and any(r.license == "NoC-US" for r in review)
    written = {r["id"] for p in (tmp_path / "out/books").glob("*.parquet") for r in pq.read_table(p).to_pylist()}
    assert written and not written & {r.id for r in review}
    assert review[0].id in capsys.readouterr().out
