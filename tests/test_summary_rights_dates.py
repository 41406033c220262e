"""The EU summary states each rights stage's `dates_without_statement` (issue 10, Rights; task: polish).

Section 3.1 of the summary lists the rights decisions made as a copyright measure. How a record with no rights
statement at all is settled by its dates is part of that decision (README, the rights paragraph): the summary
must say it for every rights stage, in the md and the json, as the corpus file configured it, and say when the
stage's default (`review`) applied. Checked on the files `pdcorpus build` wrote: the bundled sample, and a small
build with one source-level rights stage that sets the option and one that leaves it to the default.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import yaml

from conftest import ROOT
from test_summary_near_dedup import build_with_cli


def written(out: Path) -> tuple[str, dict]:
    return ((out / "training-data-summary.md").read_text(encoding="utf-8"),
            json.loads((out / "training-data-summary.json").read_text(encoding="utf-8")))


def test_the_sample_summary_states_the_option_its_corpus_file_sets(sample_build):
    out, _ = sample_build
    config = yaml.safe_load((ROOT / "configs" / "sample.yaml").read_text(encoding="utf-8"))
    rights = [spec["rights"] for spec in config["stages"] if "rights" in spec]
    assert [r["dates_without_statement"] for r in rights] == ["allow"]  # what the sample's corpus file says

    text, data = written(out)
    line = next(line for line in text.splitlines() if line.startswith("- Every source: policy `public-domain`"))
    assert "dates without a statement: `allow`" in line and "(the default)" not in line
    assert "is allowed." in line
    policies = data["data_processing_aspects"]["tdm_opt_outs"]["rights_policies"]
    assert [(p["scope"], p["dates_without_statement"], p["dates_without_statement_is_default"]) for p in policies] \
        == [("global", "allow", False)]
    # the records the option allowed are those the summary counts under that reason
    decisions = data["data_processing_aspects"]["tdm_opt_outs"]["rights_decisions"]
    assert decisions["allow:pd-by-date-no-statement"] > 0
    assert f"| allow | pd-by-date-no-statement | {decisions['allow:pd-by-date-no-statement']} |" in text


def write_source(path: Path, prefix: str) -> None:
    """Two books from 1850 without any rights statement and one under CC0 (so the source is never empty)."""
    rows = [{"id": f"{prefix}-1", "text": "An old book without any rights statement. " * 5, "license": None,
             "date": "1850"},
            {"id": f"{prefix}-2", "text": "Another old book with an empty rights field. " * 5, "license": "",
             "date": "1851"},
            {"id": f"{prefix}-3", "text": "A book its publisher dedicated to the public domain. " * 5,
             "license": "https://creativecommons.org/publicdomain/zero/1.0/", "date": "2020"}]
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row) + "\n" for row in rows)


def test_each_source_stage_states_its_own_option_and_the_default(tmp_path):
    write_source(tmp_path / "old" / "books.jsonl.gz", "old")
    write_source(tmp_path / "new" / "books.jsonl.gz", "new")
    config = tmp_path / "books.yaml"
    config.write_text(f"""name: books
output: {tmp_path / 'out'}
sources:
  - name: old
    read: {{format: jsonl, paths: ["{tmp_path / 'old'}/*.jsonl.gz"]}}
    fields: {{id: id, text: text, license: license, date: date}}
    stages:
      - rights: {{policy: public-domain, jurisdictions: [US], as_of: 2026-01-01, dates_without_statement: allow}}
  - name: new
    read: {{format: jsonl, paths: ["{tmp_path / 'new'}/*.jsonl.gz"]}}
    fields: {{id: id, text: text, license: license, date: date}}
    stages:
      - rights: {{policy: open, jurisdictions: [US], as_of: 2026-01-01}}
""")
    out = build_with_cli(config)
    text, data = written(out)

    lines = {line.split(":")[0]: line for line in text.splitlines() if line.startswith("- Source ")}
    assert set(lines) == {"- Source old", "- Source new"}
    assert "policy `public-domain`" in lines["- Source old"]
    assert "dates without a statement: `allow`, so a record with no rights statement" in lines["- Source old"]
    assert lines["- Source old"].endswith("is allowed.")
    assert "policy `open`" in lines["- Source new"]
    assert "dates without a statement: `review` (the default)" in lines["- Source new"]
    assert lines["- Source new"].endswith("goes to review.")

    section = data["data_processing_aspects"]["tdm_opt_outs"]
    assert {p["scope"]: (p["dates_without_statement"], p["dates_without_statement_is_default"])
            for p in section["rights_policies"]} == {"old": ("allow", False), "new": ("review", True)}
    # what each option did: old's two undated-statement books allowed, new's two sent to review
    assert section["rights_decisions"]["allow:pd-by-date-no-statement"] == 2
    assert section["rights_decisions"]["review:pd-by-date-no-statement"] == 2
    assert section["review_queue"] == 2
