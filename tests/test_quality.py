"""Text repair and quality signals: scores kept as a column, decisions apart from them."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

import pdcorpus
from pdcorpus import ExactDedup, NormalizeStage, Pipeline, QualityStage, Record, content_hash
from pdcorpus.stages.quality import quality_signals


def rec(i: str, text: str) -> Record:
    return Record(id=f"s:{i}", source="s", text=text, content_hash=content_hash(text))


def test_signals_of_clean_repetitive_and_noisy_text():
    clean = quality_signals("The ship sailed at dawn.\nThe sea was calm.")
    assert clean == {"chars": 42, "alpha_ratio": 0.9412, "repeated_line_ratio": 0.0, "ocr_noise_ratio": 0.0}
    boiler = quality_signals("Page 1\nChapter one begins here.\nPage 1\nPage 1")
    assert boiler["repeated_line_ratio"] == 0.5  # two of four non-blank lines repeat an earlier one
    ocr = quality_signals("Tbe sh1p sai1ed at d@wn | the s3a was ca1m ~~~")
    assert ocr["ocr_noise_ratio"] >= 0.5
    assert quality_signals("") == {"chars": 0, "alpha_ratio": 0.0, "repeated_line_ratio": 0.0, "ocr_noise_ratio": 0.0}


def test_quality_drops_only_on_configured_thresholds_with_the_reason():
    texts = [rec("good", "A plain sentence of good text."), rec("noisy", "Tb3 sh1p | s@iled ~ d0wn"),
             rec("digits", "1 2 3 4 5 6 7 8 9 0 11 12 13 14 15 a")]
    assert [r.id for r in QualityStage()(texts)] == ["s:good", "s:noisy", "s:digits"]
    rejects = []
    stage = QualityStage(min_alpha_ratio=0.5, max_ocr_noise_ratio=0.3)
    out = list(Pipeline([stage], on_reject=rejects.append)(texts))
    assert [r.id for r in out] == ["s:good"]
    assert [(r.id, r.reason) for r in rejects] == [("s:noisy", "high-ocr-noise-ratio"), ("s:digits", "low-alpha-ratio")]
    assert rejects[0].detail.startswith("ocr_noise_ratio ") and rejects[0].detail.endswith("> 0.3")


def test_normalize_repairs_text_and_the_hash_follows():
    broken = rec("b", "Caf\u00c3\u00a9  au\u200b lait,\r\nd\u00e9ja\u0300 vu\x07.\n\n\n\nFin  ")
    clean = rec("c", "Café au lait,\ndéjà vu.\n\nFin")
    out = list(Pipeline([NormalizeStage(), ExactDedup()])([broken, clean]))
    assert [r.id for r in out] == ["s:b"]  # the repaired text is the same text: one survives, by rule
    assert out[0].text == "Café au lait,\ndéjà vu.\n\nFin"
    assert out[0].content_hash == content_hash(out[0].text)


def test_a_threshold_changes_without_recomputing_the_signals(tmp_path):
    """Read a build's shards back: the recorded quality is kept, so a new threshold decides on it."""
    (tmp_path / "in.jsonl").write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in
                                               [("a", "Plain good text here."), ("b", "Another plain line of text.")]))
    first = tmp_path / "first.yaml"
    first.write_text(f"""name: q1
output: {tmp_path / 'out1'}
sources: [{{name: s, read: {{format: jsonl, paths: ["{tmp_path}/in.jsonl"]}}}}]
stages: [{{quality: {{}}}}]
""")
    manifest = pdcorpus.build(first, workers=1, progress=False)
    shard = tmp_path / "out1" / manifest["shards"][0]["path"]
    table = pq.read_table(shard)
    # Someone's better OCR scorer rewrote the column; the text is unchanged.
    rows = table.to_pylist()
    rows[1]["quality"]["ocr_noise_ratio"] = 0.9
    pq.write_table(table.from_pylist(rows, schema=table.schema), tmp_path / "rescored.parquet")
    second = tmp_path / "second.yaml"
    second.write_text(f"""name: q2
output: {tmp_path / 'out2'}
sources: [{{name: s, read: {{format: parquet, paths: ["{tmp_path}/rescored.parquet"]}}, fields: {{id: id}}}}]
stages: [{{quality: {{max_ocr_noise_ratio: 0.5}}}}]
""")
    manifest = pdcorpus.build(second, workers=1, progress=False)
    out = pq.read_table(tmp_path / "out2" / manifest["shards"][0]["path"]).to_pylist()
    assert [r["id"] for r in out] == ["s:s:a"]
    assert manifest["dropped"] == {"quality:high-ocr-noise-ratio": 1}
    assert out[0]["quality"] == rows[0]["quality"]
