"""The reference benchmark's helpers (benchmarks/run_peers.py, benchmarks/peers/datatrove_pipeline.py).

The datatrove side of the benchmark must make pdcorpus's decisions: the same licence decisions (a table
precomputed by pdcorpus's rights stage) and the same cld2 answers. These tests hold the datatrove-side
functions to pdcorpus's own stages on the same inputs, and the licence table to the US rule (publication
+ 95 years) and the statements' meaning.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


run_peers = _load("bench_run_peers", ROOT / "benchmarks" / "run_peers.py")
dtp = _load("bench_datatrove_pipeline", ROOT / "benchmarks" / "peers" / "datatrove_pipeline.py")

EN = ("The committee met on Tuesday to discuss the annual budget and the plans for the new library. "
      "Several members asked whether the town could afford the repairs before winter. ") * 4
FR = ("Le conseil municipal s'est réuni mardi pour discuter du budget annuel et des projets de la nouvelle "
      "bibliothèque. Plusieurs membres ont demandé si la ville pouvait payer les travaux avant l'hiver. ") * 4
DE = ("Der Gemeinderat traf sich am Dienstag, um über den Haushalt und die Pläne für die neue Bibliothek zu "
      "sprechen. Mehrere Mitglieder fragten, ob die Stadt die Reparaturen vor dem Winter bezahlen kann. ") * 4


def test_cld2_identify_answers_as_pdcorpus_language_stage():
    pytest.importorskip("pycld2")
    from pdcorpus.stages.language import LanguageStage

    stage = LanguageStage(backend="cld2")
    texts = {
        "english": EN,
        "french": FR,
        "mixed halves": EN[:400] + FR[:400],  # two languages, each well over 30% of the sample
        "german sample, english after 2000 chars": (DE * 3)[:2000] + EN * 3,
        "too few letters": "12 34 -- ok",
        "empty": "",
        "digits and punctuation": "1887-03-12, 1901; 1930. (42)",
        "control characters": EN[:300] + "\x00\x01\x7f" + EN[300:600],
        "short english": "The cat sat on the mat and looked at the garden.",
    }
    for what, text in texts.items():
        code, score, _how = stage.identify(text)
        assert dtp.cld2_identify(text, stage.sample_chars) == (code, score), what
    # and the answers themselves, from what the texts are
    assert dtp.cld2_identify(EN)[0] == "en"
    assert dtp.cld2_identify(FR)[0] == "fr"
    assert dtp.cld2_identify((DE * 3)[:2000] + EN * 3)[0] == "de"  # only the first 2,000 characters are read
    assert dtp.cld2_identify(EN[:400] + FR[:400])[0] == "und"
    assert dtp.cld2_identify("12 34 -- ok") == ("und", 0.0)


def _write_corpus(folder: Path, rows: list[dict]) -> None:
    folder.mkdir(parents=True)
    half = len(rows) // 2
    for i, part in enumerate((rows[:half], rows[half:])):
        with gzip.open(folder / f"part-{i:05d}.jsonl.gz", "wt", encoding="utf-8") as f:
            for row in part:
                f.write(json.dumps(row) + "\n")


def test_rights_table_makes_pdcorpus_decisions_and_counts_rows(tmp_path):
    old = 1887  # published + 95 years before today: public domain in the US
    recent = dt.date.today().year - 20  # still in copyright in the US
    rows = []

    def add(statement, date, text):
        rows.append({"doc_id": f"d{len(rows)}", "text": text, "rights": statement, "url": None, "date": date})

    add("Public domain in the USA.", "1990", "Alpha text one, in the public domain.")
    add("Public domain in the USA.", None, "ALPHA  text one, in the public domain.")  # exact copy after normalising
    add("Copyrighted. Read the copyright notice inside this book for details.", "1887", "Beta text two.")
    add("", str(old), "Gamma text three, no statement.")  # no statement: review (dates_without_statement)
    add(None, None, "Delta text four, no statement.")
    add("No known copyright restrictions", str(old), "Epsilon text five, old enough.")
    add("No known copyright restrictions", f"{recent}-03-12", "Zeta text six, too recent.")
    add("No known copyright restrictions", f"c. {old}", "Eta text seven, old enough.")
    add("https://creativecommons.org/publicdomain/zero/1.0/", "2020", "Theta text eight, CC0.")  # a PD dedication
    add("Public domain in the USA.", "1901", "Alpha text one, in the public domain.")  # byte-identical copy
    corpus = tmp_path / "corpus"
    _write_corpus(corpus, rows)

    d = run_peers.rights_decisions(corpus)
    table = tmp_path / "decisions.json"
    table.write_text(json.dumps(d))
    by_statement, by_pair = dtp.load_rights_decisions(str(table))

    kept = [r["doc_id"] for r in rows if dtp.rights_keep(by_statement, by_pair, r["rights"], r["date"])]
    # what the statements and the US rule (publication + 95 years) say
    assert kept == ["d0", "d1", "d5", "d7", "d8", "d9"]
    assert d["counts"]["read"] == 10 and d["counts"]["allow"] == 6 and d["counts"]["read_rejects"] == 0
    assert d["counts"]["review"] >= 2  # the two records without a statement (dates_without_statement: review)
    assert d["counts"]["review"] + d["counts"]["deny"] == 4
    # the date matters only for "No known copyright restrictions": the other statements are decided alone
    assert {s for s, _d, _k in d["by_statement_and_date"]} == {"No known copyright restrictions"}
    # distinct texts among the kept: d0 = d1 (case, white space) = d9 (bytes), d5, d7, d8
    assert d["expected_rows"] == {"nfc_lower_ws": 4, "raw": 5}

    # and it is pdcorpus's own build that keeps those records
    from pdcorpus.io.readers import read_jsonl
    from pdcorpus.stages.base import StageContext
    from pdcorpus.stages.rights import RightsStage

    stage = RightsStage(**run_peers.REFERENCE_RIGHTS)
    stage.bind(StageContext(today=dt.date.today().isoformat()))
    fields = {"id": "doc_id", "text": "text", "license": "rights", "url": "url", "date": "date"}
    allowed = [r.id for r in stage(read_jsonl(str(corpus / "*.jsonl.gz"), source="corpus", fields=fields))]
    assert allowed == [f"corpus:{i}" for i in kept]


def test_rights_keep_drops_what_the_table_never_saw():
    assert dtp.rights_keep({"a": True}, {}, "a", None) is True
    assert dtp.rights_keep({"a": True}, {}, "never seen", "1887") is False
    assert dtp.rights_keep({}, {("b", "1887"): True}, "b", 1887) is True  # a number read as pdcorpus reads it


def test_update_subsection_keeps_other_corpus_sizes_and_sections(tmp_path):
    path = tmp_path / "RESULTS.md"
    path.write_text("# results\n\n## Other\n\nother text\n\n## Near-dedup\n\nnear text\n")
    title = "## Reference pipeline"
    run_peers.update_subsection(path, title, "intro", "### 100k: 100,000 documents", "### 100k: 100,000 documents\n\nfirst\n")
    run_peers.update_subsection(path, title, "intro", "### 1M: 1,000,000 documents", "### 1M: 1,000,000 documents\n\nbig\n")
    run_peers.update_subsection(path, title, "intro", "### 100k: 100,000 documents", "### 100k: 100,000 documents\n\nsecond\n")
    text = path.read_text()
    assert "first" not in text and "second" in text and "big" in text
    assert text.count(title) == 1 and "other text" in text and "near text" in text
    assert text.index("### 100k") < text.index("### 1M")  # a rewritten subsection stays where it was


def test_corpus_label():
    assert run_peers.corpus_label(100_000) == "100k"
    assert run_peers.corpus_label(1_000_000) == "1M"
    assert run_peers.corpus_label(25_000) == "25k"
    assert run_peers.corpus_label(12_345) == "12345"


def test_ratios_per_core_memory_and_scaling():
    def row(tool, workers, wall, pss, big):
        return {"tool": tool, "workers": workers, "ok": 1, "docs_per_s": 1000 / wall,
                "docs_per_s_core": 1000 / wall / workers, "peak_tree_pss_mib": pss, "largest_proc_hwm_mib": big}

    rows = [row("pdcorpus", 2, 10.0, 400, 200), row("datatrove", 2, 20.0, 800, 100),
            row("pdcorpus", 1, 18.0, 300, 300), row("datatrove", 1, 30.0, 200, 150)]
    rat = run_peers.ratios(rows)
    per = {(x["workers"], x["against"]): x for x in rat["per_core"]}
    assert per[(2, "datatrove")]["docs_per_s_core"] == pytest.approx(2.0)  # half the wall at the same workers
    assert per[(1, "datatrove")]["docs_per_s_core"] == pytest.approx(30 / 18)
    assert per[(2, "datatrove")]["pss"] == pytest.approx(0.5)
    assert per[(1, "datatrove")]["largest_proc"] == pytest.approx(2.0)
    scaling = {x["tool"]: x["speedup"] for x in rat["scaling"]}
    assert scaling == {"pdcorpus": pytest.approx(1.8), "datatrove": pytest.approx(1.5)}
