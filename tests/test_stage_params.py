"""Stage parameters are validated wherever a stage is made, each default lives in its Params model, and a
global stage in a source's list is a config error naming the line (issue 11, part 3)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pdcorpus.config import ConfigError, StageSpec, load_config
from pdcorpus.fetch.stage import FetchStage
from pdcorpus.stages import LanguageStage, LengthFilter, NormalizeStage, QualityStage, RightsStage
from pdcorpus.stages.filters import LengthParams
from pdcorpus.stages.params import StageParamsError
from pdcorpus.stages.rights import RightsParams


@pytest.mark.parametrize("make,words", [
    (lambda: LengthFilter(min_chars=100, max_chars=10), ["LengthFilter", "max_chars (10) is smaller than min_chars (100)"]),
    (lambda: LengthFilter(min_chars=-1), ["LengthFilter", "min_chars", "greater than or equal to 0", "-1"]),
    (lambda: LengthFilter(min_char=5), ["LengthFilter", "min_char: unknown parameter", "min_chars, max_chars"]),
    (lambda: RightsStage(jurisdictions=["XX"]), ["RightsStage", "jurisdictions.0", "'XX'"]),
    (lambda: RightsStage(jurisdictions=[]), ["RightsStage", "jurisdictions", "at least 1"]),
    (lambda: RightsStage(policy="anything-goes"), ["RightsStage", "policy", "'anything-goes'"]),
    (lambda: RightsStage(died="death_year"), ["RightsStage", "died", "neither a record column nor metadata"]),
    (lambda: LanguageStage(min_score=1.5), ["LanguageStage", "min_score", "less than or equal to 1", "1.5"]),
    (lambda: LanguageStage(backend="guess"), ["LanguageStage", "backend", "'guess'"]),
    (lambda: QualityStage(max_ocr_noise_ratio=-0.1), ["QualityStage", "max_ocr_noise_ratio", "-0.1"]),
    (lambda: NormalizeStage(unicode="NFD"), ["NormalizeStage", "unicode", "'NFD'"]),
    (lambda: FetchStage(contact="nobody"), ["FetchStage", "contact"]),
])
def test_library_construction_refuses_bad_values_as_the_corpus_file_would(make, words):
    with pytest.raises(ValueError) as info:
        make()
    assert isinstance(info.value, StageParamsError)
    message = str(info.value)
    for word in words:
        assert word in message, message
    assert "\n" not in message and "pydantic" not in message  # one sentence, not a validation report


def test_library_construction_takes_the_models_defaults():
    # the defaults the README's rights stage shows (jurisdictions US and EU, the publication year from `date`)
    rights = RightsStage()
    assert rights.params == RightsParams() and rights.params.jurisdictions == ["US", "EU"]
    assert tuple(rights.policy.jurisdictions) == ("US", "EU")
    assert rights.published == "date" and rights.died is None
    length = LengthFilter(min_chars=5)
    assert (length.min_chars, length.max_chars) == (5, None)
    # a validated Params model is taken as it is, and the same model a build uses
    params = LengthParams(min_chars=3, max_chars=9)
    assert LengthFilter(params).params is params
    with pytest.raises(TypeError):
        LengthFilter(params, min_chars=4)


CORPUS = """\
name: c
output: out
sources:
  - name: books
    read: {format: jsonl, paths: [books.jsonl]}
    stages:
      - length: {min_chars: 10}
      - dedup: {method: exact}
stages:
  - rights: {policy: open, as_of: 2026-01-01}
"""


def test_a_global_stage_in_a_sources_stages_is_an_error_naming_its_line(tmp_path: Path):
    config = tmp_path / "c.yaml"
    config.write_text(CORPUS)
    with pytest.raises(ConfigError) as info:
        load_config(config, env={})
    assert len(info.value.problems) == 1
    problem = info.value.problems[0]
    # line 8 of the file: "      - dedup: {method: exact}"
    assert problem.startswith(f"{config}:8: sources[0].stages[1].dedup: 'dedup' is a global stage")
    assert "move it to the top-level 'stages:' list" in problem


def test_a_loaded_config_holds_every_stage_with_its_validated_parameters(tmp_path: Path):
    config = tmp_path / "c.yaml"
    config.write_text(CORPUS.replace("      - dedup: {method: exact}\n", ""))
    loaded = load_config(config, env={})
    specs = loaded.all_stage_specs()
    assert [(s.scope, s.position, s.kind) for s in specs] == [("books", 0, "length"), ("global", 0, "rights")]
    rights = specs[1]
    assert isinstance(rights, StageSpec) and isinstance(rights.params, RightsParams)
    assert rights.params.as_of == date(2026, 1, 1) and rights.params.jurisdictions == ["US", "EU"]
    assert rights.given == ["as_of", "policy"]
    stage = rights.build()
    assert isinstance(stage, RightsStage) and stage.params is rights.params  # built from the validated model
    assert [type(s) for s in loaded.stages("books")] == [LengthFilter]
