"""Industry and B2B vendor studies (AI adoption, cyber readiness, SME digitalisation), class
by class:

  size classes  a share of the firms of one size, by numbers or by words, before or after
                it: "Große Unternehmen ab 250 Beschäftigten ...: Von ihnen setzen 58 Prozent",
                "Large companies with at least 250 employees lead: 72% of them", "39% of
                small firms with 10 to 49 staff", "Orta büyüklükteki işletmelerin (50-249
                çalışan) %64'ü", "mikro işletmelerde bu oran %41", "小微企业为18.6%": a part
                of the companies (`companies_with_250_plus_employees`, `micro_companies`),
                the same in every language and edition, never the whole; "kleine und
                mittlere Unternehmen", "KOBİ", "中小企业" are the companies themselves
  roles         the respondent's role: "Among CISOs, 44% ... compared with 29% of IT
                managers", "İşletme sahiplerinin %57'si", "受访企业负责人中，72.4%"
  sectors       a share of one sector's firms: "Im verarbeitenden Gewerbe nutzen 39 Prozent der
                Unternehmen KI, im Handel 29 Prozent", "In financial services, 88% ...",
                "İmalat sektöründeki KOBİ'lerin %38'i", "制造业企业中有37.2%": a part of the
                survey's group (`manufacturing_companies`), which no concept of the whole
                ("use" AI) ties to the whole's figures in another language
  coverage      "according to the KI-Barometer Mittelstand 2025", "Northgate Security'nin Cyber
                Readiness Report 2025 araştırmasına göre": the study's title after its
                publisher or alone, so the coverage's figures are the study's in English and
                in Turkish
  changes       "超过六成的企业（61.5%）已使用云服务，比上年提高5.2个百分点": a change
                that only says which way is the change of the level before it, whose words
                may follow that level (a share glossing a verbal one in brackets); so the
                change links across editions
  objects       "A shortage of skilled workers ..., cited by 59% of respondents": the
                workers lacking are not whom the share counts (as "Mangel an Fachkräften")
  samples       "1.020 KOBİ ile görüşerek hazırladığı endeks": the firms interviewed are the
                survey's sample

The documents (tests/unseen_b2b/) are written for these tests: two editions each of a German,
an English, a Turkish and a Chinese study, English coverage of the German one and Turkish
coverage of the English one (fictional organisations and figures).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from corpus_files import figures_by_occurrence, linked_corpus  # tests/ is on sys.path

from extract.claims import build_claim

CORPUS = Path(__file__).parent / "unseen_b2b"

K24, K25, KEN = "ki_barometer24.txt", "ki_barometer25.txt", "ai_barometer_press.txt"
C24, C25, CTR = "cyber_readiness24.txt", "cyber_readiness25.txt", "siber_haber.txt"
T24, T25 = "kobi_endeks24.txt", "kobi_endeks25.txt"
Z24, Z25 = "shuzihua24.txt", "shuzihua25.txt"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-b2b"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict:
    """(file, surface, occurrence) -> (metric id, group, year, year basis, label)."""
    return figures_by_occurrence(warehouse, "o.population", "o.year", "o.year_basis",
                                 "m.label")


def _get(figures: dict, name: str, surface: str, nth: int = 0) -> tuple:
    return figures[(name, surface, nth)]


def _group(figures: dict, name: str, surface: str) -> str | None:
    return _get(figures, name, surface)[1]


def _same(figures: dict, *keys: tuple[str, str]) -> bool:
    return len({_get(figures, *key)[0] for key in keys}) == 1


def _apart(figures: dict, *keys: tuple[str, str]) -> bool:
    return len({_get(figures, *key)[0] for key in keys}) == len(keys)


def test_no_conflict(warehouse: Path) -> None:
    """Every edition moves on and every restatement agrees: nothing conflicts."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM conflicts").fetchone() == (0,)


def test_size_classes_are_parts_of_the_companies_in_every_language(figures: dict) -> None:
    large = "companies_with_250_plus_employees"
    assert [_group(figures, *key) for key in [(K24, "58 Prozent"), (K25, "72 Prozent"),
                                              (KEN, "72%")]] == [large] * 3
    small = "companies_with_10_to_49_employees"
    assert [_group(figures, *key) for key in [(K24, "27 Prozent"), (K25, "39 Prozent"),
                                              (KEN, "39%")]] == [small] * 3
    assert _group(figures, T24, "%64") == _group(figures, T25, "%71") == (
        "companies_with_50_to_249_employees")
    assert _group(figures, T24, "%41") == _group(figures, T25, "%48") == "micro_companies"
    assert _group(figures, Z24, "18.6%") == _group(figures, Z25, "22.1%") == (
        "small_and_micro_companies")
    # the whole: "KOBİ'lerin", "企业", the barometer's firms (its own "ab zehn Beschäftigten")
    assert {_group(figures, *key) for key in [(K24, "34 Prozent"), (K25, "46 Prozent"),
                                              (T24, "%55"), (T25, "%62"), (Z24, "61.5%"),
                                              (Z25, "67.3%")]} == {"companies"}


def test_a_size_class_is_one_measure_across_editions_and_languages(figures: dict) -> None:
    assert _same(figures, (K24, "58 Prozent"), (K25, "72 Prozent"), (KEN, "72%"))
    assert _same(figures, (K24, "27 Prozent"), (K25, "39 Prozent"), (KEN, "39%"))
    assert _same(figures, (T24, "%41"), (T25, "%48"))
    assert _same(figures, (T24, "%64"), (T25, "%71"))
    assert _same(figures, (Z24, "18.6%"), (Z25, "22.1%"))
    # never the whole's measure, nor each other's
    assert _apart(figures, (K25, "46 Prozent"), (K25, "72 Prozent"), (K25, "39 Prozent"))
    assert _apart(figures, (T25, "%62"), (T25, "%71"), (T25, "%48"))
    assert _apart(figures, (Z25, "48.5%"), (Z25, "22.1%"))


def test_respondents_roles_are_their_groups(figures: dict) -> None:
    assert _group(figures, C24, "44%") == _group(figures, C25, "52%") == "cisos"
    assert _group(figures, C24, "29%") == _group(figures, C25, "35%") == "it_managers"
    assert _same(figures, (C24, "44%"), (C25, "52%"))
    assert _same(figures, (C24, "29%"), (C25, "35%"))
    assert _apart(figures, (C25, "52%"), (C25, "35%"))
    assert _group(figures, T24, "%57") == _group(figures, T25, "%53") == "business_owners"
    assert _group(figures, Z24, "72.4%") == _group(figures, Z25, "69.8%") == "executives"
    assert _group(figures, K24, "71 Prozent") == "executives"  # "Von den ... Geschäftsführern"
    # the IT decision makers the cyber study asked, in English and in Turkish coverage
    assert {_group(figures, *key) for key in [(C24, "81%"), (C25, "84%"), (CTR, "%84")]} == {
        "it_decision_makers"}


def test_what_respondents_lack_is_not_whom_they_are(figures: dict) -> None:
    """"A shortage of skilled workers ..., cited by 59% of respondents": the barometer's
    companies, as "63 Prozent der Befragten ... den Mangel an Fachkräften"."""
    assert _group(figures, KEN, "59%") == _group(figures, K25, "59 Prozent") == "companies"


def test_samples_of_firms_are_survey_responses(figures: dict) -> None:
    samples = [(K24, "812"), (K25, "903"), (KEN, "903"), (C24, "1,200"), (C25, "1,350"),
               (CTR, "1.350"), (T24, "1.020"), (T25, "1.080"), (Z24, "2,000"), (Z25, "2,200")]
    assert {_get(figures, *key)[4] for key in samples} == {"survey responses"}


def test_previous_year_figures_are_dated_and_continue_the_series(figures: dict) -> None:
    assert _get(figures, K25, "34 Prozent")[2:4] == (2024, "explicit")  # "(2024: 34 Prozent)"
    assert _get(figures, K24, "21 Prozent")[2:4] == (2023, "explicit")  # "vor einem Jahr"
    assert _get(figures, C24, "74%")[2:4] == (2023, "explicit")  # "up from 74% last year"
    assert _get(figures, C25, "67%")[2:4] == (2024, "explicit")
    assert _get(figures, T25, "%55")[2:4] == (2024, "explicit")  # "bir önceki yıl %55"
    assert _same(figures, (K24, "21 Prozent"), (K24, "34 Prozent"), (K25, "34 Prozent"),
                 (K25, "46 Prozent"), (KEN, "46%"), (KEN, "34%"))
    assert _same(figures, (C24, "74%"), (C24, "81%"), (C25, "81%"), (C25, "84%"))
    assert _same(figures, (T24, "%55"), (T25, "%55"), (T25, "%62"))
    assert _get(figures, K24, "Jedes dritte")[2] == 2024


def test_sectors_are_parts_of_the_surveys_group(figures: dict) -> None:
    assert _group(figures, K24, "39 Prozent") == _group(figures, K25, "52 Prozent") == (
        "manufacturing_companies")
    assert _group(figures, K24, "29 Prozent") == _group(figures, K25, "37 Prozent") == (
        "retail_companies")
    assert _group(figures, C24, "88%") == "financial_services_it_decision_makers"
    assert _group(figures, C25, "83%") == "manufacturing_it_decision_makers"
    assert _group(figures, T24, "%38") == _group(figures, Z24, "37.2%") == (
        "manufacturing_companies")
    assert _group(figures, Z25, "35.0%") == "services_companies"
    assert _same(figures, (K24, "39 Prozent"), (K25, "52 Prozent"))
    assert _same(figures, (C24, "88%"), (C25, "90%"))
    assert _same(figures, (Z24, "37.2%"), (Z25, "44.6%"))
    # the whole's trend in English coverage takes no sector's figure
    assert _apart(figures, (KEN, "46%"), (K24, "39 Prozent"), (K24, "29 Prozent"))
    assert _apart(figures, (C25, "84%"), (C25, "90%"), (C25, "83%"))


def test_coverage_in_another_language_restates_the_studys_figures(figures: dict) -> None:
    assert _same(figures, (KEN, "72%"), (K25, "72 Prozent"), (K24, "58 Prozent"))
    assert _same(figures, (KEN, "39%"), (K25, "39 Prozent"), (K24, "27 Prozent"))
    assert _same(figures, (KEN, "59%"), (K25, "59 Prozent"), (K24, "63 Prozent"))
    assert _same(figures, (CTR, "%84"), (C25, "84%"), (C24, "81%"), (CTR, "%81"))
    assert _same(figures, (CTR, "%41"), (C25, "41%"), (C24, "38%"))
    assert _apart(figures, (CTR, "%84"), (CTR, "%41"))


def _change_words(sentence: str, change: str, levels: list[str]) -> frozenset[str]:
    spans = tuple((sentence.index(level), sentence.index(level) + len(level))
                  for level in levels)
    start = sentence.index(change)
    return frozenset(build_claim(sentence, start, start + len(change), "zh", spans, 2024,
                                 change=True).words)


def test_a_change_takes_the_words_of_its_level_before_or_after_it() -> None:
    after = _change_words("调查显示，超过六成的企业（61.5%）已使用云服务，比上年提高5.2个百分点。",
                          "5.2个百分点", ["超过六成", "61.5%"])
    assert {"使用", "云", "服务"} <= after
    before = _change_words("互联网普及率达78.4%，较上年提升1.9个百分点。", "1.9个百分点",
                           ["78.4%"])
    assert "普及率" in before and "提升" not in before


def test_changes_link_across_editions_apart_from_their_levels(figures: dict) -> None:
    assert _same(figures, (Z24, "5.2个百分点"), (Z25, "5.8个百分点"))
    assert _apart(figures, (Z25, "5.8个百分点"), (Z25, "67.3%"))
