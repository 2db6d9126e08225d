"""Industry and market reports (retail, e-commerce, cars, tourism; de/en/tr/zh): growth
rates beside levels, market shares of brands and of segments, forecasts in two editions,
and press coverage that restates a report. What a reader of a trend report expects:

  forecasts      a forecast is dated by the year it is about ("by 2028", "Bis 2030",
                 "2027 yılına kadar", "到2027年") and stays out of the observed series; two
                 editions' forecasts for one year are a revision, never a trend or a
                 conflict; one edition's forecasts of two years are one measure
  quantities     a share of a quantity (of sales, of trade, of registrations) has no group,
                 whoever the report surveyed
  segments       a brand's share and another's, battery-electric and plug-in hybrid cars,
                 growth in lira and in dollars are measures of their own
  coverage       an article citing a report's "Jahresbericht" restates its figures

The documents are tests/unseen_markets/ (every organisation and figure made up); what is
expected of each figure is tests/unseen_markets_expected.py. The first part checks the
rules on plain text and records, the second runs the real pipeline.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from corpus_files import linked_corpus, linked_figures  # tests/ is on sys.path
from link_nodes import make_node, metrics
from unseen_markets_expected import EXPECTED, found_in, measure

from extract.forecasts import forecast_year, is_forecast
from extract.statistics import find_statistics
from warehouse.link_claims import Node

# --------------------------------------------------------------------------- forecasts


def _at(sentence: str, surface: str) -> tuple[str, int, int]:
    start = sentence.index(surface)
    return sentence, start, start + len(surface)


@pytest.mark.parametrize(("lang", "sentence", "surface", "year"), [
    ("en", "The institute expects the share of heat pumps in new heating systems to reach "
     "45% by 2030.", "45%", 2030),
    ("en", "By 2029, 60% of new vans will be electric, the association predicts.", "60%", 2029),
    ("en", "Cloud revenue is projected to grow at a CAGR of 12% from 2025 to 2030.", "12%",
     None),  # a period's growth: no one year
    ("de", "Bis 2030 dürfte der Anteil der Wärmepumpen nach der Prognose des Instituts auf "
     "45 Prozent steigen.", "45 Prozent", 2030),
    ("de", "Für 2026 rechnet der Verband mit einem Umsatzplus von 2 Prozent.", "2 Prozent",
     2026),
    ("tr", "Derneğe göre ısı pompalarının payının 2030 yılına kadar yüzde 45'e çıkması "
     "bekleniyor.", "yüzde 45", 2030),
    ("tr", "2027'de pazarın yüzde 4 büyümesi öngörülüyor.", "yüzde 4", 2027),
    ("zh", "研究院预计，2026年热泵在新装供暖设备中的占比将达到45%。", "45%", 2026),
    ("zh", "到2030年，这一比例有望超过60%。", "60%", 2030),
])
def test_a_forecast_is_dated_by_the_year_it_is_about(lang: str, sentence: str, surface: str,
                                                     year: int | None) -> None:
    assert is_forecast(*_at(sentence, surface), lang)
    assert forecast_year(*_at(sentence, surface), lang) == year


@pytest.mark.parametrize(("lang", "sentence", "surface"), [
    ("en", "58% of retailers expect sales to rise in 2026.", "58%"),  # the people expecting
    ("en", "Sales rose 4% in 2025, while the council expects slower growth.", "4%"),
    ("de", "41 Prozent der Händler erwarten für 2026 steigende Umsätze.", "41 Prozent"),
    ("de", "Von 2015 bis 2023 stieg der Anteil auf 20 Prozent.", "20 Prozent"),  # a period
    ("tr", "Perakendecilerin yüzde 58'i 2026'da satışların artmasını bekliyor.", "yüzde 58"),
    ("tr", "2020'den 2023 yılına kadar pazar yüzde 40 büyüdü.", "yüzde 40"),
    ("zh", "截至2025年底，全市充电桩保有量同比增长31.5%。", "31.5%"),  # a stock date
    ("zh", "六成零售商预计明年销售额将增长。", "六成"),
])
def test_what_is_no_forecast(lang: str, sentence: str, surface: str) -> None:
    assert not is_forecast(*_at(sentence, surface), lang)


def test_a_forecast_found_in_a_report_carries_its_target_year() -> None:
    text = ("The council expects the battery-electric share of new registrations to reach "
            "35% by 2028.")
    [found] = find_statistics(text, "en", 2024)
    assert (found.value, found.year, found.year_basis) == (35, 2028, "explicit")
    plan = "Ankete katılan şirketlerin yüzde 44'ü 2026'da yatırımlarını artırmayı planlıyor."
    assert [s.year for s in find_statistics(plan, "tr", 2025)] == [2025]  # a finding


def _share(obs_id: str, doc: str, sentence: str, surface: str, year: int, edition: str,
           survey_year: int, lang: str = "en") -> Node:
    return make_node(obs_id, doc, lang, sentence, surface, float(surface.rstrip("%")), year,
                     study="council-ev", edition=edition, survey_year=survey_year)


def test_a_forecast_never_joins_the_observed_series() -> None:
    """Last year's report expected 55% for 2025; this year's report observed 56.8% for
    2025 in nearly the same words: two measures, not a conflict of 2025 (nor, dated by
    their editions, a series 55% -> 56.8%)."""
    forecast = _share("f", "r24", "协会预计，2025年全省新能源乘用车零售渗透率将达到55%左右。",
                      "55%", 2025, "ev-2024", 2024, "zh")
    observed = _share("o", "r25", "2025年全省新能源乘用车零售渗透率达到56.8%。", "56.8%", 2025,
                      "ev-2025", 2025, "zh")
    found = metrics([forecast, observed])
    assert forecast.forecast and not observed.forecast
    assert found == {frozenset({"f"}), frozenset({"o"})}


def test_two_editions_forecasts_of_one_year_are_a_revision() -> None:
    sentence = ("The council expects the battery-electric share of new registrations to "
                "reach {} by 2028.")
    old = _share("old", "ev24", sentence.format("35%"), "35%", 2028, "ev-2024", 2024)
    new = _share("new", "ev25", sentence.format("40%"), "40%", 2028, "ev-2025", 2025)
    assert metrics([old, new]) == {frozenset({"old"}), frozenset({"new"})}
    again = _share("again", "ev25", sentence.format("35%"), "35%", 2028, "ev-2025", 2025)
    assert metrics([old, again]) == {frozenset({"old"}), frozenset({"again"})}


def test_one_editions_forecast_restated_by_coverage_is_one_figure() -> None:
    sentence = ("The council expects the battery-electric share of new registrations to "
                "reach 35% by 2028.")
    report = _share("report", "ev24", sentence, "35%", 2028, "ev-2024", 2024)
    summary = make_node("summary", "ev24-summary", "en", sentence, "35%", 35.0, 2028,
                        study="council-ev", survey_year=2024)
    assert metrics([report, summary]) == {frozenset({"report", "summary"})}


# --------------------------------------------------------------------------- the pipeline

CORPUS = Path(__file__).parent / "unseen_markets"  # the documents and their manifest


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reports run once through the real pipeline (no rendering)."""
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-markets"))


@pytest.fixture(scope="module")
def measured(warehouse: Path) -> dict:
    return measure(found_in(warehouse))


def _metric(warehouse: Path, file: str, surface: str) -> str:
    return found_in(warehouse)[(file, surface, 0)][0]


def test_every_forecast_and_figure_has_the_year_it_is_about(measured: dict) -> None:
    assert measured["wrong_years"] == []


def test_shares_of_quantities_have_no_group(measured: dict) -> None:
    assert measured["wrong_groups"] == []


def test_no_two_measures_share_a_metric(measured: dict) -> None:
    """Forecasts and observed values, two editions' forecasts, brands, segments, growth in
    lira and in dollars."""
    assert measured["false_links"] == []


def test_series_and_coverage_link(measured: dict) -> None:
    """Each edition's figures link to the next edition's and to what coverage restates.
    Left apart, and expected so: two wordings of the same growth ("legte ... zu" / "wuchs")
    and the misquoted occupancy rate across languages without a translation model."""
    assert set(measured["missed_links"]) <= {
        (("online_monitor24.txt", "1,1 Prozent", 0), ("online_monitor25.txt", "0,8 Prozent", 0)),
        (("tourism25.txt", "71.5%", 0), ("tourismus_presse.txt", "75,1 Prozent", 0))}
    assert measured["pair_recall"] >= 0.96


def test_samples_are_found(measured: dict) -> None:
    """"1.240 Mitgliedsunternehmen befragt", "在协会对1,500名近期购车者的调查中"."""
    assert {key for key in measured["missed"] if EXPECTED[key][2] == "sample"} == set()


def test_forecasts_stay_out_of_the_observed_series(warehouse: Path) -> None:
    observed = _metric(warehouse, "xinnengyuan25.txt", "56.8%")
    assert _metric(warehouse, "xinnengyuan24.txt", "55%") != observed  # 2025, expected
    assert _metric(warehouse, "online_monitor24.txt", "20 Prozent") != _metric(
        warehouse, "online_monitor25.txt", "22 Prozent")


def test_no_false_conflict_appears(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute('SELECT metric, year, "values" FROM conflicts').fetchall() == []


def test_labels_say_what_a_reader_sees(warehouse: Path) -> None:
    """A forecast's metric says it is one (its words are those of the observed measure:
    "2025年全省新能源乘用车零售渗透率"), and one brand's share is labelled by its own clause,
    not by the sentence that names the other brand first."""
    labels = {(name, surface): label for name, surface, _, label in linked_figures(
        warehouse, "m.label")}
    for key in (("xinnengyuan24.txt", "55%"), ("ev_outlook24.txt", "35%"),
                ("online_monitor24.txt", "20 Prozent"), ("eticaret25.txt", "yüzde 26"),
                ("online_monitor25.txt", "4 bis 5 Prozent")):
        assert labels[key].startswith("forecast: "), labels[key]
    assert not labels[("xinnengyuan25.txt", "56.8%")].startswith("forecast")
    assert "青川" not in labels[("xinnengyuan24.txt", "12.1%")]
    # the change's label quotes no level ("渗透率达到56.8%，比上年提高9.3个百分点")
    assert "56.8" not in labels[("xinnengyuan25.txt", "9.3个百分点")]
