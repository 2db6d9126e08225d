"""Property tests: no text crashes the extractor, and every span is exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.segment import segment
from extract.statistics import find_statistics

# Pieces that look like figures, years, qualifiers, suffixes and separators in all four
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
langs = st.sampled_from(["de", "tr", "zh", "en"])
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
