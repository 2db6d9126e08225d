"""The statistics extractor: spaCy component, offsets on the real corpus, document rules."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import spacy

from extract.records import QUALIFIERS, UNITS, YEAR_BASES, Segment
from extract.segment import segment
from extract.statistics import (
    EXTRACTOR_VERSION,
    SPAN_KEY,
    build_pipeline,
    find_statistics,
)

SOURCES = Path(__file__).parent.parent / "sources"
MANIFEST = tomllib.loads((SOURCES / "manifest.toml").read_text(encoding="utf-8"))["source"]


def test_version_names_the_extractor() -> None:
    assert re.fullmatch(r"stats-\d+\.\d+\.\d+", EXTRACTOR_VERSION)


def test_component_runs_on_blank_turkish_and_keeps_exact_figure_offsets() -> None:
    nlp = build_pipeline("tr")
    assert nlp.pipe_names == ["polystat_statistics"]
    doc = nlp("Servis profesyonellerinin %62’si aynı CRM yazılımını kullanıyor.")
    (span,) = doc.spans[SPAN_KEY]
    assert span.text == "%62’si"  # the token span is wider than the figure
    assert doc.text[span._.figure_start : span._.figure_end] == "%62"
    assert (span._.value, span._.unit, span._.population) == (62.0, "percent",
                                                            "service_professionals")


def test_component_aligns_chinese_character_tokens() -> None:
    nlp = build_pipeline("zh")
    doc = nlp("三分之二以上的服务专业人士认为质量与速度同样重要。")
    (span,) = doc.spans[SPAN_KEY]
    assert span.text == "三分之二以上"
    assert (span._.value, span._.qualifier) == (66.67, "more_than")


def test_factory_is_registered_with_spacy() -> None:
    nlp = spacy.blank("de")
    nlp.add_pipe("polystat_statistics")
    doc = nlp("Rund 62 Prozent der Befragten berichten davon.")
    assert [(s.text, s._.qualifier) for s in doc.spans[SPAN_KEY]] == [("62 Prozent", "approx")]


@pytest.mark.parametrize("entry", MANIFEST, ids=lambda e: e["file"])
def test_corpus_offsets_and_field_values(entry: dict) -> None:
    text = (SOURCES / entry["file"]).read_text(encoding="utf-8")
    stats = find_statistics(text, entry["language"], entry.get("survey_year"))
    for s in stats:
        assert text[s.start : s.end] == s.surface
        assert s.sentence_start <= s.start < s.end <= s.sentence_end
        assert s.unit in UNITS and s.qualifier in QUALIFIERS and s.year_basis in YEAR_BASES
        assert s.concepts == ()
    # 004 is an essay about customer service without any statistic.
    if entry["file"].startswith("004"):
        assert stats == []
    else:
        assert stats


def test_comparison_sentence_yields_one_group_with_a_year_per_value() -> None:
    text = ("Intro sentence without figures. 85% of agents say they have a clear career path, "
            "up from 67% in 2020 and 59% in 2018. 40% of customers agree. "
            "88% of service teams share goals, up from 81% in 2018.")
    stats = find_statistics(text, "en", survey_year=2022)
    years = [(s.surface, s.year, s.year_basis, s.group) for s in stats]
    assert years == [("85%", 2022, "edition", 0), ("67%", 2020, "explicit", 0),
                     ("59%", 2018, "explicit", 0), ("40%", 2022, "edition", None),
                     ("88%", 2022, "edition", 1), ("81%", 2018, "explicit", 1)]


def test_baseline_year_is_not_the_value_year() -> None:
    (stat,) = find_statistics("Video ortamının benimsenmesi 2020’den bu yana %47 arttı.",
                              "tr", survey_year=2022)
    assert (stat.unit, stat.year, stat.year_basis) == ("percent_change", 2022, "edition")


def test_population_carries_over_from_the_previous_sentence() -> None:
    text = ("Gleichzeitig geben 52 Prozent der Befragten an, dass die Dringlichkeit stieg. "
            "Rund 62 Prozent berichten zudem von mehr Empathie für die Mitarbeiter.")
    stats = find_statistics(text, "de", survey_year=2021)
    assert [(s.surface, s.population) for s in stats] == [("52 Prozent", "respondents"),
                                                          ("62 Prozent", "respondents")]
    assert stats[1].rule.endswith("+prev_population")


def test_segment_language_overrides_document_language() -> None:
    text = "Einleitung ohne Zahl.\n81% 的决策者表示同意。\n"
    segs = segment(text)
    segs = [Segment(s.seg_no, s.start, s.end, s.kind, language="zh" if "决" in
                    text[s.start : s.end] else "de") for s in segs]
    (stat,) = find_statistics(text, "de", 2020, segments=segs)
    assert (stat.surface, stat.population) == ("81%", "decision_makers")


def test_artifacts_are_never_read() -> None:
    assert find_statistics("genel-15\n\nservis-2020-%45.png\n", "tr", 2022) == []


@pytest.mark.parametrize(("lang", "text", "value"), [
    ("en", "1.2 million", 1_200_000), ("de", "1,2 Millionen", 1_200_000),
    ("de", "zwei Millionen", 2_000_000), ("tr", "4,5 milyon", 4_500_000),
    ("zh", "120 万", 1_200_000), ("zh", "1.2亿", 120_000_000), ("de", "7.095", 7095),
])
def test_numbers_with_a_scale_word(lang: str, text: str, value: float) -> None:
    from extract.numbers import grammar

    assert grammar(lang).parse(text) == value
    # The translation check reads plain digits only; a scale word never joins them.
    assert grammar(lang).parse_digits(text) is None or "," in text or "." in text


def test_previous_year_needs_a_survey_year_and_declines_are_negative() -> None:
    text = "Nur noch 41 Prozent (Vorjahr: 47 Prozent) rufen an. Die Zahl sank um 12 Prozent."
    with_year = find_statistics(text, "de", survey_year=2023)
    assert [(s.value, s.unit, s.year, s.year_basis) for s in with_year] == [
        (41, "percent", 2023, "edition"), (47, "percent", 2022, "explicit"),
        (-12, "percent_change", 2023, "edition")]
    without = find_statistics(text, "de", survey_year=None)
    assert [(s.year, s.year_basis) for s in without] == [(None, "edition")] * 3
