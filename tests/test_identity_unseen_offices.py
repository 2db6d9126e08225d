"""Metric identity on statistics-office releases polystat has never seen (prices, labour
market, foreign trade, production, national accounts, tourism; de/tr/zh/en), class by class:

  waves          two monthly or quarterly releases of one office in one year are two
                 periods: their different values (this month's, or the same month a year
                 before that each compares with) are never one measure, also when the
                 manifest lists the releases by their publisher only (no edition)
  revisions      a later release that revises a figure ("nach revidierten Angaben",
                 "revised down from the first estimate") is another wave: the revision is
                 shown beside the first estimate, never as a conflict
  periods        one release gives a measure for several periods and against several
                 bases ("im Oktober" / "im September", "bir önceki aya göre" / "bir önceki
                 yılın aynı ayına göre", "1—10月份" / "10月份", "in the third quarter" /
                 "in September"): claims naming other periods are two claims
  title year     a release listed without `survey_year` dates its figures by the period
                 its title names, not by no year
  next edition   the same sentence in next year's release with new figures is one
                 measure, however few words name it ("城镇化率为72.6%" / "城镇化率为73.3%")
  groups         a release's lead that counts ("işsiz sayısı ... kişi") names no
                 respondents: its other rates are no shares of that group

The documents (tests/unseen_offices/) are written for these tests in the phrasing of real
releases of statistics offices; every office, sentence and figure is made up. The first
part checks the linker on plain records; the second runs the real pipeline (extraction
and reconciliation into a DuckDB warehouse) and asserts the metrics, years and groups,
and that no conflict appears.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from corpus_files import (  # tests/ is on sys.path
    figures_by_occurrence,
    linked_corpus,
)
from link_nodes import make_node, metrics

from extract.claims import periods_of
from warehouse.link_claims import Node, attach_claims
from warehouse.link_rules import score_pair

# --------------------------------------------------------------------------- the linker


def _release(obs_id: str, doc: str, sentence: str, surface: str, value: float, year: int,
             *, lang: str = "tr", edition: str | None = None, unit: str = "percent",
             population: str | None = None) -> Node:
    """A figure of a 2025 release of one office (its study: the publisher)."""
    return make_node(obs_id, doc, lang, sentence, surface, value, year, unit=unit,
                     population=population, study="publisher:güney istatistik",
                     edition=edition, survey_year=2025)


def test_two_monthly_releases_listed_by_their_publisher_are_two_waves() -> None:
    """August's and September's labour release, listed without an edition, give the youth
    unemployment rate in the same words: two months, not one figure given twice."""
    sentence = "Genç nüfusta işsizlik oranı bir önceki aya göre artarak {} oldu."
    aug = _release("aug", "agustos", sentence.format("%14,8"), "%14,8", 14.8, 2025,
                   population="unemployed_aged_15_24")
    sep = _release("sep", "eylul", sentence.format("%16,1"), "%16,1", 16.1, 2025,
                   population="unemployed_aged_15_24")
    assert score_pair(*attach_claims([aug, sep]), {}) is None
    assert metrics([aug, sep]) == {frozenset({"aug"}), frozenset({"sep"})}


def test_one_release_is_one_wave_and_may_still_restate_differently() -> None:
    """Within one document a figure restated with another value is still a slip."""
    body = "İşsizlik oranı erkeklerde %6,8 olarak tahmin edildi."
    summary = "İşsizlik oranı erkeklerde %7,8 olarak tahmin edildi."
    nodes = [_release("body", "eylul", body, "%6,8", 6.8, 2025, population="men"),
             make_node("summary", "eylul", "tr", summary, "%7,8", 7.8, 2025, at=900,
                       population="men", study="publisher:güney istatistik",
                       survey_year=2025)]
    found = score_pair(*attach_claims(nodes), {})
    assert found is not None and found[0] == "restatement"


def test_the_same_month_a_year_earlier_in_two_releases_is_two_periods() -> None:
    """October's and November's release each compare with their own month a year before:
    "Vor einem Jahr hatte die Quote bei 5,3 % gelegen" and "... 5,2 %" are two months of
    2024, not a conflict of 2024."""
    sentence = "Vor einem Jahr hatte die Arbeitslosenquote im Land bei {} gelegen."
    octo = _release("oct", "oktober", sentence.format("5,3 %"), "5,3 %", 5.3, 2024,
                    lang="de", edition="nordmark-amt-2025-10")
    nov = _release("nov", "november", sentence.format("5,2 %"), "5,2 %", 5.2, 2024,
                   lang="de", edition="nordmark-amt-2025-11")
    assert metrics([octo, nov]) == {frozenset({"oct"}), frozenset({"nov"})}


def test_a_revised_estimate_is_shown_beside_the_first_not_as_a_conflict() -> None:
    """The second estimate revises the third quarter's growth from 0.2% to 0.1%: two
    releases (waves) of one year; the same figure unrevised still links."""
    first = "Real GDP is estimated to have grown by 0.2% in the third quarter of 2025."
    second = "Real GDP is estimated to have grown by 0.1% in the third quarter of 2025."
    nodes = [_release("first", "gdp-1", first, "0.2%", 0.2, 2025, lang="en",
                      edition="gdp-2025-11", unit="percent_change"),
             _release("second", "gdp-2", second, "0.1%", 0.1, 2025, lang="en",
                      edition="gdp-2025-12", unit="percent_change")]
    assert metrics(nodes) == {frozenset({"first"}), frozenset({"second"})}
    same = second.replace("0.1%", "0.2%")
    nodes[1] = _release("second", "gdp-2", same, "0.2%", 0.2, 2025, lang="en",
                        edition="gdp-2025-12", unit="percent_change")
    assert metrics(nodes) == {frozenset({"first", "second"})}


def test_the_periods_and_bases_a_sentence_names() -> None:
    assert periods_of("Im Oktober stiegen die Preise gegenüber dem Vormonat um", "de") == {
        "month:oktober", "previous_month"}
    assert periods_of("Sanayi üretimi Eylül ayında bir önceki yılın aynı ayına göre", "tr") == {
        "month:eylül", "year_ago"}
    assert periods_of("1—10月份,全省规模以上工业增加值同比增长", "zh") == {
        "months_to:1-10", "year_ago"}
    assert periods_of("10月份,全省规模以上工业增加值同比增长", "zh") == {"month:10", "year_ago"}
    assert periods_of("前三季度,地区生产总值同比增长", "zh") == {"quarters_to:三", "year_ago"}
    assert periods_of("Exports may rise in May", "en") == {"month:may"}  # a month is named
    assert periods_of("Exports of goods rose by", "en") == frozenset()


def test_a_change_on_the_month_and_on_the_year_are_two_claims() -> None:
    """"bir önceki aya göre %0,6" and "bir önceki yılın aynı ayına göre %3,2" in one
    release: two bases of one month's change (they made a conflict within the source)."""
    on_year = "Sanayi üretimi Eylül ayında bir önceki yılın aynı ayına göre %3,2 arttı."
    on_month = "Sanayi üretimi Eylül ayında bir önceki aya göre %0,6 arttı."
    nodes = [make_node(obs, "sanayi", "tr", sentence, surface, value, 2025,
                       unit="percent_change")
             for obs, sentence, surface, value in (("year", on_year, "%3,2", 3.2),
                                                   ("month", on_month, "%0,6", 0.6))]
    assert score_pair(*attach_claims(nodes), {}) is None


def test_a_quarter_and_a_month_of_one_release_are_two_claims() -> None:
    quarter = ("In the third quarter of 2025, exports of goods rose by 1.2% compared with "
               "the previous quarter.")
    month = "Exports of goods rose by 3.1% in September 2025."
    nodes = [make_node(obs, "trade", "en", sentence, surface, value, 2025,
                       unit="percent_change")
             for obs, sentence, surface, value in (("q3", quarter, "1.2%", 1.2),
                                                   ("sep", month, "3.1%", 3.1))]
    assert metrics(nodes) == {frozenset({"q3"}), frozenset({"sep"})}


def test_one_period_restated_in_another_release_still_links() -> None:
    """October's release gives September's rate as September's release did."""
    sentence = "9月份,全市居民消费价格同比上涨0.6%。"
    nodes = [make_node(obs, doc, "zh", sentence, "0.6%", 0.6, 2025, unit="percent_change",
                       study="publisher:xigang", survey_year=2025)
             for obs, doc in (("sep", "cpi-09"), ("oct", "cpi-10"))]
    assert metrics(nodes) == {frozenset({"sep", "oct"})}


def test_the_same_sentence_in_next_years_release_is_one_measure() -> None:
    """An indicator named by one word ("城镇化率", its clause cut at the points after it)
    links across editions when the sentence comes again with the year's figures; one word
    in another sentence does not."""
    def edition(year: int, sentence: str, share: str, points: str) -> list[Node]:
        return [make_node(f"{unit}{year}", f"renkou-{year}", "zh", sentence, surface,
                          float(surface.rstrip("%个百分点")), year, unit=unit, study="renkou",
                          edition=f"renkou-{year}", survey_year=year, at=0)
                for unit, surface in (("percent", share), ("percentage_points", points))]
    old = edition(2024, "城镇化率为72.6%,比上年末提高0.8个百分点。", "72.6%", "0.8个百分点")
    new = edition(2025, "城镇化率为73.3%,比上年末提高0.7个百分点。", "73.3%", "0.7个百分点")
    assert frozenset({"percent2024", "percent2025"}) in metrics(old + new)
    other = edition(2025, "全省城镇化率达到73.3%,比全国高0.7个百分点。", "73.3%", "0.7个百分点")
    assert frozenset({"percent2024", "percent2025"}) not in metrics(old + other)


# --------------------------------------------------------------------------- the pipeline

CORPUS = Path(__file__).parent / "unseen_offices"  # the documents and their manifest

Figure = tuple[str, str, int]  # (file, surface, which occurrence of the surface: 0, 1, ...)
Found = tuple[str, int | None, str | None, str]  # metric id, year, group, unit


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The releases run once through the real pipeline (no rendering)."""
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-offices"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict[Figure, Found]:
    """(file, surface, occurrence) -> (metric id, year, group, unit) of every figure."""
    return figures_by_occurrence(warehouse, "o.year", "o.population", "o.unit")


def _one(figures: dict[Figure, Found], file: str, surface: str, seen: int = 0) -> Found:
    return figures[(file, surface, seen)]


def test_no_false_conflict_appears(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT metric, year, \"values\" FROM conflicts").fetchall() == []


def test_two_months_of_one_year_are_never_one_metric(figures) -> None:
    """September's and August's release (no edition), October's and September's price
    release, November's and October's labour release: the same words, other months."""
    for one, two in ((("tr_isgucu.txt", "%16,1"), ("tr_isgucu_agustos.txt", "%14,8")),
                     (("tr_isgucu.txt", "1,3 puan"), ("tr_isgucu_agustos.txt", "0,4 puan")),
                     (("tr_isgucu.txt", "%11,2"), ("tr_isgucu_agustos.txt", "%11,4")),
                     (("zh_cpi.txt", "0.2%"), ("zh_cpi_9yue.txt", "0.3%")),
                     (("zh_cpi.txt", "1.1%"), ("zh_cpi_9yue.txt", "1.2%")),
                     (("de_arbeitsmarkt.txt", "6,8 %"), ("de_arbeitsmarkt_okt.txt", "5,9 %")),
                     (("de_arbeitsmarkt.txt", "5,2 %"), ("de_arbeitsmarkt_okt.txt", "5,3 %"))):
        assert _one(figures, *one)[0] != _one(figures, *two)[0], (one, two)


def test_periods_of_one_release_are_never_one_metric(figures) -> None:
    """A month's change on the year and on the month, a quarter and a month, the months
    to date and the month, three quarters in a row."""
    for file, surfaces in (("tr_sanayi.txt", ("%3,2", "%0,6", "%1,9", "%0,4")),
                           ("en_trade.txt", ("1.2%", "0.8%", "3.1%", "2.4%")),
                           ("zh_gongye.txt", ("5.8%", "6.1%", "0.41%")),
                           ("zh_waimao.txt", ("4.2%", "5.5%", "3.7%", "7.2%", "5.8%", "5.4%")),
                           ("de_aussenhandel.txt", ("3,1 %", "1,7 %", "2,2 %", "1,4 %"))):
        metrics_of = [_one(figures, file, surface)[0] for surface in surfaces]
        assert len(set(metrics_of)) == len(surfaces), file


def test_a_month_restated_by_the_next_release_is_one_metric(figures) -> None:
    """October's release gives September's rate again, as September's release did."""
    assert _one(figures, "zh_cpi.txt", "0.6%")[0] == _one(figures, "zh_cpi_9yue.txt", "0.6%")[0]


def test_a_revised_estimate_stands_beside_the_first(figures) -> None:
    first = _one(figures, "en_gdp_first.txt", "0.2%")
    revised = _one(figures, "en_gdp.txt", "0.1%")
    assert first[1] == revised[1] == 2025 and first[0] != revised[0]
    assert _one(figures, "de_preise_okt.txt", "0,3 %")[0] != _one(
        figures, "de_preise_okt_final.txt", "0,2 %")[0]


def test_breakdowns_are_metrics_of_their_own(figures) -> None:
    """Sexes, regions, sectors and quarters of one release share a predicate, never a
    metric."""
    for file, surfaces in (("en_labour.txt", ("4.8%", "5.1%", "4.5%", "6.6%", "3.4%")),
                           ("zh_gongye.txt", ("5.8%", "3.2%", "6.4%", "2.7%")),
                           ("zh_gdp.txt", ("5.3%", "5.6%", "5.2%", "5.0%")),
                           ("tr_isgucu.txt", ("%8,3", "%6,8", "%11,2", "%16,1", "%49,2")),
                           ("de_arbeitsmarkt.txt", ("5,4 %", "5,0 %", "5,8 %", "3,1 %", "9,7 %"))):
        metrics_of = [_one(figures, file, surface)[0] for surface in surfaces]
        assert len(set(metrics_of)) == len(surfaces), file
    # "5.1% for men and 4.5% for women": the group ends the clause, so it is the figure's
    assert _one(figures, "en_labour.txt", "5.1%")[2] == "men"
    assert _one(figures, "en_labour.txt", "4.5%")[2] == "women"
    assert _one(figures, "de_tourismus.txt", "2,4 %")[3] == "percent_change"  # "seltener"


def test_annual_releases_of_two_years_form_series(figures) -> None:
    for one, two in ((("pop_zh24.txt", "72.6%"), ("pop_zh25.txt", "73.3%")),
                     (("pop_de24.txt", "11,8 %"), ("pop_de25.txt", "12,3 %")),
                     (("pop_tr24.txt", "%93,1"), ("pop_tr25.txt", "%93,4")),
                     (("pop_en24.txt", "0.7%"), ("pop_en25.txt", "0.6%"))):
        assert _one(figures, *one)[0] == _one(figures, *two)[0], (one, two)
    # "made up 21.4% of the population" is a share, not a rise ("up")
    assert _one(figures, "pop_en24.txt", "21.4%")[3] == "percent"


def test_figures_are_dated_by_the_period_they_report(figures) -> None:
    """A release listed without `survey_year` takes its title's year ("Im November waren es
    1,9 %" is 2025, not no year); the same month a year before is the year before."""
    assert _one(figures, "de_preise_dez.txt", "1,9 %")[1] == 2025
    assert _one(figures, "de_arbeitsmarkt.txt", "5,2 %")[1] == 2024
    assert _one(figures, "tr_dis_ticaret.txt", "%78,1")[1] == 2024
    assert _one(figures, "tr_dis_ticaret.txt", "%76,4")[1] == 2025
    assert _one(figures, "de_preise_okt.txt", "+2,3 %")[1] == 2024


def test_a_release_has_no_respondents(figures) -> None:
    """The group a statistics release's lead counts ("işsiz sayısı", "Die
    Beherbergungsbetriebe meldeten") is not the group of its rates: the employment rate is
    not a share of the unemployed."""
    assert _one(figures, "tr_isgucu.txt", "%49,2")[2] is None
    assert _one(figures, "tr_isgucu.txt", "%8,3")[2] is None
    assert _one(figures, "tr_isgucu.txt", "%6,8")[2] == "men"
    assert _one(figures, "tr_isgucu.txt", "%11,2")[2] == "women"
    assert _one(figures, "de_tourismus.txt", "2,4 %")[2] is None
