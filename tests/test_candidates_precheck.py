"""The document-wide pre-checks of the candidate search let through every sentence that the
written `needs` patterns let through, and candidates found with them are the same as
candidates found sentence by sentence."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from extract.candidates import find_candidates, prechecks_by_sentence
from extract.lexicon import LexiconError, load
from extract.rules import LanguageRules, precheck_fold, rules_for
from extract.segment import segment

ROOT = Path(__file__).resolve().parent.parent
LANGS = ("de", "en", "tr", "zh")


def _documents(lang: str) -> list[str]:
    """Texts of one language: the sample sources, the second gold set's corpus and every
    spec sentence (one document, so that spec sentences meet at joins)."""
    texts = []
    for folder in (ROOT / "sources", ROOT / "tests" / "gold2" / "corpus"):
        manifest = tomllib.loads((folder / "manifest.toml").read_text(encoding="utf-8"))
        texts += [(folder / entry["file"]).read_text(encoding="utf-8")
                  for entry in manifest["source"]
                  if entry["language"] == lang and entry["file"].endswith((".txt", ".md"))]
    specs = ROOT / "tests" / "specs" / f"{lang}.jsonl"
    cases = [json.loads(line) for line in specs.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    texts.append("\n\n".join(case["text"] for case in cases))
    return texts


@pytest.mark.parametrize("lang", LANGS)
def test_every_sentence_a_written_precheck_finds_is_let_through(lang: str) -> None:
    rules = rules_for(lang)
    written = [(fig.needs.pattern, re.compile(entry["needs"]))
               for fig, entry in zip(rules.figures, load(lang)["figures"], strict=True)
               if fig.needs is not None]
    checked = 0
    for text in _documents(lang):
        spans = [(seg.start, seg.end) for seg in segment(text)]
        for (start, end), present in zip(spans, prechecks_by_sentence(text, spans, rules),
                                         strict=True):
            sentence = text[start:end]
            for key, pattern in written:
                if pattern.search(sentence):
                    checked += 1
                    assert key in present, (lang, pattern.pattern, sentence)
            # exactly what the sentence alone shows: a pre-check may be a condition
            assert present == prechecks_by_sentence(sentence, [(0, len(sentence))],
                                                    rules)[0], (lang, sentence)
            assert find_candidates(sentence, rules, rules.figures_for(present)) == \
                find_candidates(sentence, rules)
    assert checked > 50  # the corpus exercises the pre-checks


def test_a_match_across_a_join_counts_only_where_the_sentence_alone_matches() -> None:
    rules = rules_for("de")
    text = "Es waren 12. 3 Prozent sagen nein."
    spans = [(0, 12), (13, len(text))]
    present = prechecks_by_sentence(text, spans, rules)
    assert "\\d" in present[0] and "\\d" in present[1]
    assert "prozent" in present[1] and "prozent" not in present[0]
    # no pre-check of ours can run across the join; one that could must not mark a
    # sentence that does not match alone
    crossing = LanguageRules("de", {**load("de"), "figures": [
        {**load("de")["figures"][0], "needs": r"12\W+3"}]})
    key = crossing.figures[0].needs.pattern  # type: ignore[union-attr]
    assert prechecks_by_sentence(text, spans, crossing) == [frozenset(), frozenset()]
    assert key in prechecks_by_sentence("12. 3", [(0, 5)], crossing)[0]


def test_turkish_capitals_pass_the_lower_case_prechecks() -> None:
    rules = rules_for("tr")
    text = "HER İKİ KİŞİDEN BİRİ ARTIK EVDEN ÇALIŞIYOR."
    assert precheck_fold(text) == "her iki kişiden biri artik evden çalişiyor."
    [present] = prechecks_by_sentence(text, [(0, len(text))], rules)
    assert any("biri" in key for key in present)


def test_text_holding_the_join_character_is_checked_sentence_by_sentence() -> None:
    rules = rules_for("en")
    text = "About 40%\x00 of staff agree. None disagree."
    spans = [(0, 26), (27, len(text))]
    present = prechecks_by_sentence(text, spans, rules)
    assert any("%" in key for key in present[0])
    assert not any("%" in key for key in present[1])


def test_a_precheck_with_a_negated_class_is_refused() -> None:
    data = {**load("en")}  # load() is cached: change a copy
    data["figures"] = [{**data["figures"][0], "needs": "[^A-Z]%"}]
    with pytest.raises(LexiconError, match=r"en\.[\w.]+.*needs"):
        LanguageRules("en", data)
