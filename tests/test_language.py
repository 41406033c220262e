"""Language identification: every backend, the `und` cases, determinism, and the stage's drop rules."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import pdcorpus
from pdcorpus import LanguageStage, Pipeline, Record
from pdcorpus.config import ConfigError, load_config
from pdcorpus.language.backends import BACKENDS, BackendUnavailable, FastTextBackend, make_backend, normalize_code

# Real sentences, one paragraph a language: the sample's languages and the benchmark's (pt, sv, fi too).
TEXTS = {
    "en": "It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in "
          "want of a wife. However little known the feelings or views of such a man may be on his first entering "
          "a neighbourhood, this truth is so well fixed in the minds of the surrounding families.",
    "fr": "Le 24 février 1815, la vigie de Notre-Dame de la Garde signala le trois-mâts le Pharaon, venant de "
          "Smyrne, Trieste et Naples. Comme d'habitude, un pilote côtier partit aussitôt du port, rasa le château "
          "d'If, et alla aborder le navire entre le cap de Morgion et l'île de Riou.",
    "de": "Als Gregor Samsa eines Morgens aus unruhigen Träumen erwachte, fand er sich in seinem Bett zu einem "
          "ungeheueren Ungeziefer verwandelt. Er lag auf seinem panzerartig harten Rücken und sah, wenn er den "
          "Kopf ein wenig hob, seinen gewölbten, braunen, von bogenförmigen Versteifungen geteilten Bauch.",
    "es": "En un lugar de la Mancha, de cuyo nombre no quiero acordarme, no ha mucho tiempo que vivía un hidalgo "
          "de los de lanza en astillero, adarga antigua, rocín flaco y galgo corredor. Una olla de algo más vaca "
          "que carnero, salpicón las más noches, duelos y quebrantos los sábados.",
    "it": "Quel ramo del lago di Como, che volge a mezzogiorno, tra due catene non interrotte di monti, tutto a "
          "seni e a golfi, a seconda dello sporgere e del rientrare di quelli, vien, quasi a un tratto, a "
          "ristringersi, e a prender corso e figura di fiume, tra un promontorio a destra.",
    "nl": "Ik ben makelaar in koffie, en woon op de Lauriergracht, No. 37. Het is mijn gewoonte niet, romans te "
          "schrijven, of zulke dingen, en het heeft dan ook lang geduurd, voor ik er toe overging een paar riem "
          "papier extra te bestellen, en het werk aan te vangen dat gij, lieve lezer, zo even in de hand genomen hebt.",
    "pt": "As armas e os barões assinalados, que da ocidental praia lusitana, por mares nunca de antes navegados, "
          "passaram ainda além da Taprobana, em perigos e guerras esforçados, mais do que prometia a força humana, "
          "e entre gente remota edificaram novo reino, que tanto sublimaram.",
    "sv": "Det var en vacker morgon i början av maj. Solen sken över staden och vattnet glittrade i viken, medan "
          "folket gick till sina arbeten. Han satt vid fönstret och tänkte på allt som hade hänt under vintern, "
          "och han visste inte om han skulle stanna eller resa bort.",
    "fi": "Mieleni minun tekevi, aivoni ajattelevi lähteäni laulamahan, saa'ani sanelemahan, sukuvirttä "
          "suoltamahan, lajivirttä laulamahan. Sanat suussani sulavat, puhe'et putoelevat, kielelleni "
          "kerkiävät, hampahilleni hajoovat.",
    "pl": "Litwo! Ojczyzno moja! ty jesteś jak zdrowie. Ile cię trzeba cenić, ten tylko się dowie, kto cię stracił. "
          "Dziś piękność twą w całej ozdobie widzę i opisuję, bo tęsknię po tobie. Panno Święta, co jasnej bronisz "
          "Częstochowy i w Ostrej świecisz Bramie.",
}


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_backend_detects_every_sample_language(name):
    backend = make_backend(name)
    for expected, text in TEXTS.items():
        code, score = backend.detect(text)
        assert (code, score > 0.5) == (expected, True), (name, expected, code, score)


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_every_backend_is_deterministic(name):
    first = [make_backend(name).languages(t) for t in TEXTS.values()]
    again = [make_backend(name).languages(t) for t in reversed(list(TEXTS.values()))]
    assert first == list(reversed(again))


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_short_and_mixed_texts_are_und_on_purpose(name):
    stage = LanguageStage(backend=name)
    assert stage.identify("Oui.") == ("und", 0.0, "too-short")
    assert stage.identify("1815 — 1816; 42, 43 !!") == ("und", 0.0, "too-short")
    mixed = TEXTS["en"][:200] + " " + TEXTS["fr"][:200]
    code, _, how = stage.identify(mixed)
    assert (code, how) == ("und", "mixed"), name


def test_codes_are_normalized_across_backends():
    assert [normalize_code(c) for c in ("en", "EN", "zh-Hant", "zh-cn", "iw", "jw", "nb", "un", None, "pt_BR")] == \
        ["en", "en", "zh", "zh", "he", "jv", "no", "und", "und", "pt"]


def test_the_fasttext_model_comes_from_a_package_or_a_local_path(tmp_path):
    packaged = FastTextBackend.packaged_model()
    assert packaged.endswith("lid.176.ftz") and Path(packaged).is_file()
    assert FastTextBackend(packaged).detect(TEXTS["de"])[0] == "de"
    with pytest.raises(BackendUnavailable, match="no fastText model at .*missing.ftz"):
        FastTextBackend(str(tmp_path / "missing.ftz"))


def rec(i: str, text: str) -> Record:
    return Record(id=f"s:{i}", source="s", text=text)


def test_the_stage_writes_language_and_score_and_drops_nothing_unless_asked():
    stage = LanguageStage()
    out = list(stage([rec(code, text) for code, text in TEXTS.items()] + [rec("short", "Ja.")]))
    assert [(r.id, r.language) for r in out] == [(f"s:{c}", c) for c in TEXTS] + [("s:short", "und")]
    assert all(0.5 < r.language_score <= 1 for r in out[:-1]) and out[-1].language_score == 0.0
    assert stage.stats.to_dict()["dropped"] == {}
    assert stage.stats.to_dict()["tally"]["language:und:too-short"] == 1


def test_the_stage_drops_only_by_the_configured_rules():
    rejects = []
    stage = LanguageStage(keep=["en", "fr"], min_score=0.9)
    out = list(Pipeline([stage], on_reject=rejects.append)(
        [rec("en", TEXTS["en"]), rec("de", TEXTS["de"]), rec("fr", TEXTS["fr"]), rec("short", "Yes.")]))
    assert [r.id for r in out] == ["s:en", "s:fr"]
    assert [(r.id, r.reason) for r in rejects] == [("s:de", "language-not-kept"), ("s:short", "language-not-kept")]
    keep_und = LanguageStage(keep=["und"])  # e.g. to route what cannot be identified to its own build
    assert [r.id for r in keep_und([rec("short", "Yes."), rec("en", TEXTS["en"])])] == ["s:short"]
    assert keep_und.stats.to_dict()["dropped"] == {"language-not-kept": 1}


def test_low_scores_count_as_und_for_keep():
    stage = LanguageStage(backend="fasttext", keep=["en"], min_score=0.99)
    rejects = []
    stage.on_reject = rejects.append
    list(stage([rec("x", "The ship sailed at dawn; la mer était calme et le ciel bleu.")]))
    assert [r.reason for r in rejects] in (["low-language-score"], ["language-not-kept"])


def test_a_missing_model_fails_when_the_config_is_read(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(f"""name: x
output: {tmp_path / 'out'}
sources:
  - {{name: s, read: {{format: jsonl, paths: ["{tmp_path}/*.jsonl"]}}}}
stages:
  - language: {{backend: fasttext, model_path: {tmp_path / 'nope.ftz'}}}
""")
    with pytest.raises(ConfigError, match=r"c\.yaml:6: stages\[0\]\.language: no fastText model at .*nope\.ftz"):
        load_config(config)


KEPT = ["en", "fr", "de", "es", "it", "nl", "pl"]


def test_language_results_are_the_same_for_one_and_two_workers(tmp_path):
    lines = [json.dumps({"id": f"{lang}-{n}", "text": text[n * 7:] + f" ({n})"})
             for n in range(30) for lang, text in TEXTS.items()]
    for part in range(3):
        (tmp_path / f"in-{part}.jsonl").write_text("\n".join(lines[part::3]) + "\n")
    digests = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}"
        config = tmp_path / f"c{workers}.yaml"
        config.write_text(f"""name: langs
output: {out}
sources:
  - {{name: s, read: {{format: jsonl, paths: ["{tmp_path}/in-*.jsonl"]}}}}
stages:
  - normalize: {{}}
  - language: {{backend: langdetect, keep: [{", ".join(KEPT)}]}}
  - quality: {{}}
""")
        manifest = pdcorpus.build(config, workers=workers, progress=False)
        rows = [r for s in manifest["shards"] for r in pq.read_table(out / s["path"]).to_pylist()]
        digests.append([(r["id"], r["language"], r["language_score"], r["quality"]) for r in rows])
        assert manifest["sources"]["s"]["languages"] == {lang: 30 for lang in TEXTS if lang in KEPT}
    assert digests[0] == digests[1]


def test_labels_of_one_language_are_merged_not_taken_for_a_mixed_text():
    from pdcorpus.language.backends import LanguageBackend
    merged = LanguageBackend.merged([("zh", 0.6), ("fr", 0.1), ("zh", 0.3), ("und", 0.5)])
    assert [c for c, _ in merged] == ["zh", "fr"] and merged[0][1] == pytest.approx(0.9)
    simplified_and_traditional = "这是中文的句子，我们在测试这个程序。這是繁體中文的句子，我們在測試這個程式。" * 3
    code, _, how = LanguageStage(backend="cld2").identify(simplified_and_traditional)
    assert (code, how) == ("zh", "detected")


def test_cld2_tries_its_best_effort_when_it_would_give_up():
    import pycld2
    backend = make_backend("cld2")
    short = next(t for t in ("Ciao a tutti.", "Hola amigo mio.", "Dag vriend.", "Hej på dig.", "Tak skal du have.")
                 if all(d[1] == "un" for d in pycld2.detect(t)[2]))
    code, score = backend.detect(short)
    assert code != "und" and score > 0


def test_a_lone_surrogate_does_not_stop_cld2():
    """A str may hold a lone surrogate (stdlib json decodes "\\ud800"); it cannot be encoded as UTF-8 for cld2.
    The rest of the text is still identified."""
    from pdcorpus.stages.language import LanguageStage
    text = "The quick brown fox jumps over the lazy dog, and then it runs far away into the forest. \ud800 " * 3
    code, score, how = LanguageStage().identify(text)
    assert (code, how) == ("en", "detected") and score > 0.5
