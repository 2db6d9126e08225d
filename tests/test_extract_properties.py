"""Property tests: no text crashes the extractor, and every span is exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract import analysis, langid, languages
from extract.segment import segment
from extract.statistics import find_statistics

LANGUAGES = languages.supported()

# Pieces that look like figures, years, qualifiers, suffixes and separators in the
# languages, so that random text often hits the grammar's edge cases.
PIECES = ["%", "％", "62", "7.095", "1,500", "2020", "2018’de", "’si", "’den bu yana",
          " Prozent", " percent", "百分之", "六十二", "三分之二", "以上", "超过", "近", "倍",
          "yüzde ", "üçte birinden fazlası", "iki kat", "nine in ten", "two-thirds", "half",
          "more than ", "über ", "rund ", "der Befragten", " of customers", "的决策者",
          "müşterilerin ", ". ", "。", "\n", "\n\n", "1. ", "01 | ", " (", ")", "-", "’",
          "zweiundfünfzig", "sixty-two", "twice as likely", "from ", " to ", "up from ",
          " in 2019", "Seite 47", "genel-15", "x.png", "\u00a0", "\t", " "]

texts = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=8)), max_size=40).map(
    "".join
)
langs = st.sampled_from(LANGUAGES)
years = st.one_of(st.none(), st.integers(1990, 2030))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, lang=langs, survey_year=years)
def test_spans_are_exact_and_fields_valid(text: str, lang: str, survey_year: int | None) -> None:
    for stat in find_statistics(text, lang, survey_year):
        assert text[stat.start : stat.end] == stat.surface
        assert stat.surface and stat.surface == stat.surface.strip()
        assert stat.year_basis in ("explicit", "edition")
        assert stat.year == survey_year or stat.year_basis == "explicit"


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300))
def test_segments_cover_text_without_overlap(text: str) -> None:
    last_end = 0
    for seg in segment(text):
        assert last_end <= seg.start < seg.end <= len(text)
        assert text[seg.start : seg.end].strip() == text[seg.start : seg.end]
        last_end = seg.end


# Adversarial pieces (issue #8): right-to-left scripts, combining marks, zero-width
# joiners and non-joiners, BOMs, other digit systems, emoji sequences, markup.
HOSTILE_PIECES = ["\u200d", "\u200c", "\u200b", "\ufeff", "\u202e", "\u2066", "e\u0301",
                  "\u0308", "٦٢٪", "۶۲", "שישים ושניים אחוז", "اثنان وستون بالمئة", "６２％",
                  "𝟔𝟐%", "👩\u200d💻", "🇩🇪", "\u00ad", "\r\n", "\u2028", "\x0c",
                  "<script>", "=HYPERLINK(", "#set ", "**", "$", "ǅ", "İ", "ı", "ß"]
hostile_texts = st.lists(st.one_of(st.sampled_from(PIECES + HOSTILE_PIECES),
                                   st.text(max_size=6)), max_size=50).map("".join)


def _check_statistics(text: str, found: list) -> None:
    for stat in found:
        assert text[stat.start : stat.end] == stat.surface
        assert stat.surface and stat.surface == stat.surface.strip()
        assert 0 <= stat.sentence_start <= stat.start < stat.end <= stat.sentence_end <= len(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_texts, lang=langs, survey_year=years)
def test_adversarial_text_never_crashes_and_spans_stay_exact(
        text: str, lang: str, survey_year: int | None) -> None:
    _check_statistics(text, find_statistics(text, lang, survey_year))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_texts, declared=st.one_of(st.none(), langs), survey_year=years)
def test_the_whole_document_analysis_keeps_spans_exact(
        text: str, declared: str | None, survey_year: int | None) -> None:
    """Language id, segmentation, per-segment languages, statistics and concepts together."""
    result = analysis.analyse(text, declared, survey_year, LANGUAGES)
    assert result.language in (None, *LANGUAGES)
    last_end = 0
    for seg in result.segments:
        assert last_end <= seg.start < seg.end <= len(text)
        assert seg.language in (None, *LANGUAGES)
        last_end = seg.end
    _check_statistics(text, result.statistics)


@settings(max_examples=100, deadline=None)
@given(text=hostile_texts, document_language=st.one_of(st.none(), langs))
def test_label_segments_keeps_every_segment_and_its_bounds(
        text: str, document_language: str | None) -> None:
    segments = segment(text)
    labelled = langid.label_segments(text, segments, document_language, LANGUAGES)
    assert [(s.seg_no, s.start, s.end, s.kind) for s in labelled] == [
        (s.seg_no, s.start, s.end, s.kind) for s in segments]
    assert all(s.language in (None, *LANGUAGES) for s in labelled)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(digits=st.text(alphabet="0123456789.,%％ ", min_size=1, max_size=400), lang=langs)
def test_text_of_only_digits_and_separators(digits: str, lang: str) -> None:
    _check_statistics(digits, find_statistics(digits, lang, 2022))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(piece=st.sampled_from(PIECES + HOSTILE_PIECES), lang=langs)
def test_one_very_long_line(piece: str, lang: str) -> None:
    """A PDF extraction can yield a single line of hundreds of kilobytes."""
    text = ("62 % " + piece + " ") * 2500 + "ende"
    segments = segment(text)
    assert segments and segments[-1].end <= len(text)
    _check_statistics(text, find_statistics(text, lang, 2022, segments))
