"""Household-finance, energy-price and climate-opinion polls: a savings barometer, an energy
poll in two autumn waves with German press coverage of the second, a bank's savings survey
and a climate survey, each in two editions, and a climate poll's spring and autumn waves of
one year (kept apart: two waves of a year are no trend and no conflict), class by class:

  age groups as nouns  "Under-30s (68%) ... over-60s (49%)", "18-24s", "those over 65": a
                       band of the survey's group (`consumers_aged_under_30`), never the
                       band of the figure before ("49% of over-60s" was under-30s)
  party voters         "Among Labour voters, 74%", "45% of Conservative voters", "Unter den
                       Anhängern der Grünen würden 64 Prozent", "CHP'ye oy verenlerin yüzde
                       78'i": `labour_voters`, `grünen_voters`, never all voters or people,
                       so two parties' shares are two series
  income bands         "Befragte mit einem Haushaltsnettoeinkommen unter 2.000 Euro ... 41
                       Prozent", "households with an income below £25,000, 58%", "geliri 20
                       bin TL'nin altında olanlarda", "月收入5000元以下的受访者中": the group's
                       part (`adults_income_under_20000`), never the whole's group
  points compared      "fünf Punkte weniger als im Vorjahr", "dört puan arttı": a change in
                       points (negative when fewer), not only after "um"
  half of a sum        "if it covered half the cost", "die Hälfte der Kosten übernimmt",
                       "maliyetin yarısını karşılarsa", "补贴一半的费用": a condition, no finding
  household modifiers  "Hane Tasarruf Eğilimleri Araştırması", "家庭储蓄方面，42%的受访者": a
                       thing of the household's money names no group of households
  comparison bases     "比上季减少3.8个百分点" (on the quarter before) is not "比上年同期" (on the
                       year before): two bases of one share are two claims
  coverage citing      "Das geht aus einer Umfrage des Instituts Larkfield Research hervor":
                       the article's figures are the poll's study ("Instituts" is a kind
                       word, not the name), and its sample "2.205 Erwachsene" is the release's
                       "2,205 UK adults", one sample however each group was read

The documents (tests/unseen_finance/) are written for these tests in the phrasing of real
bank, insurer, energy and climate polls; every organisation, sentence and figure is made up.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from corpus_files import figures_by_occurrence, linked_corpus  # tests/ is on sys.path
from link_nodes import make_node

from extract.citations import bare_name, citations
from extract.claims import periods_of
from extract.statistics import find_statistics
from warehouse.link_claims import cited_study_names, study_of
from warehouse.link_rules import other_periods

CORPUS = Path(__file__).parent / "unseen_finance"

# --------------------------------------------------------------------------- extraction


def _groups(text: str, lang: str) -> dict[str, str | None]:
    return {s.surface: s.population for s in find_statistics(text, lang, 2025)}


def test_age_groups_written_as_nouns_are_bands() -> None:
    assert _groups("Under-30s (61%) are more worried than over-60s (38%).", "en") == {
        "61%": "people_aged_under_30", "38%": "people_aged_60_plus"}
    assert _groups("Bills worry 59% of 18-24s and 41% of those over 65.", "en") == {
        "59%": "people_aged_18_24", "41%": "people_aged_65_plus"}
    assert _groups("In the 1990s, 45% of homes had no loft insulation.", "en") == {"45%": None}


def test_a_partys_voters_are_a_group_of_their_own() -> None:
    assert _groups("Among Green voters, 83% back the levy, against 36% of Conservative "
                   "voters and 52% of registered voters.", "en") == {
        "83%": "green_voters", "36%": "conservative_voters", "52%": "voters"}
    assert _groups("Unter den Anhängern der Grünen sind es 70 Prozent, bei den FDP-Wählern "
                   "31 Prozent.", "de") == {"70 Prozent": "grünen_voters",
                                             "31 Prozent": "fdp_voters"}
    assert _groups("AK Parti seçmenlerinin yüzde 44'ü, İYİ Parti seçmenlerinde bu oran "
                   "yüzde 69.", "tr") == {"yüzde 44": "ak_parti_voters",
                                          "yüzde 69": "iyi_parti_voters"}


def test_an_income_band_narrows_the_group() -> None:
    assert _groups("Among households with an income below £30,000, 52% have cut back, "
                   "against 21% of adults earning over $90,000.", "en") == {
        "52%": "households_income_under_30000", "21%": "adults_income_90000_plus"}
    assert _groups("Geliri 15 bin TL'nin altında olanlarda oran yüzde 35, 45 bin TL'nin "
                   "üzerinde olanlarda ise yüzde 71 oldu.", "tr") == {
        "yüzde 35": "people_income_under_15000", "yüzde 71": "people_income_45000_plus"}
    assert _groups("月收入4000元以下的受访者中，44.0%表示没有储蓄。", "zh") == {
        "44.0%": "people_income_under_4000"}
    assert _groups("Befragte mit einem Einkommen von 2.000 bis 2.999 Euro: 33 Prozent.",
                   "de") == {"33 Prozent": "people_income_2000_to_2999"}
    # an amount that is no income band narrows nothing
    assert _groups("Die Miete liegt unter 900 Euro; 40 Prozent der Mieter sind zufrieden.",
                   "de") == {"40 Prozent": "tenants"}


def test_points_set_against_the_year_before_are_a_change() -> None:
    found = {s.surface: (s.value, s.unit) for s in find_statistics(
        "Besorgt sind 61 Prozent, drei Punkte weniger als im Vorjahr.", "de", 2025)}
    assert found["drei Punkte"] == (-3, "percentage_points")
    found = {s.surface: (s.value, s.unit) for s in find_statistics(
        "Bu oran geçen yıla göre iki puan geriledi.", "tr", 2025)}
    assert found == {"iki puan": (-2, "percentage_points")}
    assert not find_statistics("Der Index schloss 40 Punkte höher als am Vortag.", "de", 2025)


def test_half_of_a_sum_of_money_is_no_finding() -> None:
    assert list(_groups("Some 44% would fit solar panels if the grant paid half the cost.",
                        "en")) == ["44%"]
    assert list(_groups("Half of the tenants polled want a heat pump.", "en")) == ["Half"]
    assert list(_groups("Trägt der Staat die Hälfte der Kosten, stimmen 58 Prozent zu.",
                        "de")) == ["58 Prozent"]
    assert list(_groups("Devlet masrafın yarısını öderse katılımcıların yüzde 61'i kabul "
                        "ediyor.", "tr")) == ["yüzde 61"]
    assert list(_groups("若补贴一半的费用，57.0%的受访者愿意安装热泵。", "zh")) == ["57.0%"]


def test_a_household_word_before_its_money_names_no_households() -> None:
    assert _groups("家庭储蓄方面，39.0%的受访者表示今年增加了储蓄。", "zh") == {
        "39.0%": "respondents"}
    assert _groups("受访家庭中，39.0%表示今年增加了储蓄。", "zh") == {"39.0%": "households"}
    assert _groups("Hane tasarrufu konusunda katılımcıların yüzde 48'i endişeli.", "tr") == {
        "yüzde 48": "respondents"}


def test_coverage_cites_a_poll_by_its_name_without_the_kind_word() -> None:
    text = "Das geht aus einer Umfrage des Meinungsforschungsinstituts Tallow Polls hervor."
    (cited,) = citations(text, "de")
    assert bare_name(cited.name) == "tallow polls"
    names = cited_study_names([("tallow-poll-2025", "Tallow Polls (fictional)", "Poll 2025"),
                               ("waldmann-monitor-2025", "Institut Waldmann", "Monitor")])
    assert study_of(None, "a.txt", "Abendbote", cited.name, names) == "tallow-poll"
    assert study_of(None, "a.txt", "Abendbote", "instituts waldmann", names) == (
        "waldmann-monitor")
    assert study_of(None, "a.txt", "Abendbote", "tallow", names) == "cited:tallow"


def test_a_change_on_the_quarter_before_is_not_one_on_the_year_before() -> None:
    """A quarterly savers' survey: "比上季减少3.8个百分点" and "比上年同期减少3.8个百分点" are
    two comparison bases of one share, never one series."""
    quarter = "倾向于更多储蓄的居民占比上季减少3.8个百分点。"
    year_ago = "倾向于更多储蓄的居民占比上年同期减少3.8个百分点。"
    assert periods_of(quarter, "zh") == {"previous_quarter"}
    assert periods_of(year_ago, "zh") == {"year_ago"}
    a = make_node("q", "d1", "zh", quarter, "3.8个百分点", -3.8, 2025, unit="percentage_points")
    b = make_node("y", "d2", "zh", year_ago, "3.8个百分点", -3.8, 2025, unit="percentage_points")
    assert other_periods(a, b)


# --------------------------------------------------------------------------- the pipeline


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-finance"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict:
    """(file, surface, occurrence) -> (metric id, value, unit, group, year)."""
    return figures_by_occurrence(warehouse, "o.value", "o.unit", "o.population", "o.year")


def _metric(figures: dict, name: str, surface: str, seen: int = 0) -> str:
    return figures[(name, surface, seen)][0]


def _same(figures: dict, *keys: tuple[str, str]) -> bool:
    return len({_metric(figures, *key) for key in keys}) == 1


def _apart(figures: dict, *keys: tuple[str, str]) -> bool:
    return len({_metric(figures, *key) for key in keys}) == len(keys)


P24, P25, PRESS = "energy_pulse24.txt", "energy_pulse25.txt", "energie_presse25.txt"
S24, S25 = "sparbarometer24.txt", "sparbarometer25.txt"
T24, T25 = "tasarruf24.txt", "tasarruf25.txt"
Q24, Q25 = "qihou24.txt", "qihou25.txt"
KF, KH = "klima_fruehjahr25.txt", "klima_herbst25.txt"  # spring and autumn waves of 2025


def test_the_heat_pump_grant_has_its_shares_only(figures: dict) -> None:
    """"Just over half (52%) would apply ... if it covered half the cost": two figures."""
    assert [key[1] for key in figures if key[0] == P24][-2:] == ["Just over half", "52%"]


def test_no_conflicts(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM conflicts").fetchone() == (0,)


def test_groups_of_the_breakdowns(figures: dict) -> None:
    group = {key[:2]: found[3] for key, found in figures.items() if key[2] == 0}
    assert group[(P24, "68%")] == group[(P25, "70%")] == "consumers_aged_under_30"
    assert group[(P24, "49%")] == group[(P25, "52%")] == "consumers_aged_60_plus"
    assert group[(P24, "74%")] == group[(P25, "77%")] == "labour_voters"
    assert group[(P24, "45%")] == group[(P25, "43%")] == "conservative_voters"
    assert group[(S25, "64 Prozent")] == "grünen_voters"
    assert group[(S25, "33 Prozent")] == "union_voters"
    assert group[(PRESS, "70 Prozent")] == "adults_aged_under_30"
    assert group[(T24, "yüzde 50")] == group[(T25, "yüzde 54")] == "adults"
    assert group[(Q25, "46.2%")] == "residents"  # "家庭储蓄方面" is no group
    assert group[(Q25, "72.3%")] == "residents_aged_60_plus"
    assert group[(Q25, "38.5%")] == "residents_income_under_5000"
    assert group[(Q25, "12.1%")] == "residents_income_20000_plus"
    assert group[(T24, "yüzde 29")] == group[(T25, "yüzde 33")] == "adults_income_under_20000"
    assert group[(T24, "yüzde 77")] == "adults_income_60000_plus"
    assert group[(S24, "41 Prozent")] == "people_income_under_2000"
    assert group[(P25, "58%")] == "households_income_under_25000"


def test_changes_in_points_and_years_of_earlier_values(figures: dict) -> None:
    def found(name: str, surface: str) -> tuple:
        return figures[(name, surface, 0)][1:3]
    assert found(PRESS, "fünf Punkte") == (-5, "percentage_points")
    assert found(P25, "5 points") == (-5, "percentage_points")
    assert found(S25, "6 Punkte") == (6, "percentage_points")
    assert found(T25, "4 puan") == (4, "percentage_points")
    assert found(Q25, "3个百分点") == (-3, "percentage_points")
    assert figures[(P25, "62%", 0)][4] == 2024  # "up from 62% in 2024"
    assert figures[(S25, "25 Prozent", 0)][4] == 2024  # "(Vorjahr: 25 Prozent)"
    assert figures[(T25, "yüzde 68", 0)][4] == 2024  # "geçen yıl yüzde 68'di"


def test_each_party_and_band_is_its_own_series(figures: dict) -> None:
    assert _same(figures, (P24, "74%"), (P25, "77%"))
    assert _same(figures, (P24, "45%"), (P25, "43%"))
    assert _apart(figures, (P25, "77%"), (P25, "43%"), (P25, "65%"))
    assert _apart(figures, (S25, "64 Prozent"), (S25, "33 Prozent"))
    assert _same(figures, (Q24, "88.1%"), (Q25, "86.0%"))
    assert _same(figures, (Q24, "75.0%"), (Q25, "72.3%"))
    assert _apart(figures, (Q25, "86.0%"), (Q25, "72.3%"), (Q25, "81.4%"))
    assert _same(figures, (T24, "yüzde 29"), (T25, "yüzde 33"))
    assert _same(figures, (T24, "yüzde 77"), (T25, "yüzde 80"))
    assert _apart(figures, (T25, "yüzde 33"), (T25, "yüzde 80"), (T25, "yüzde 54"))


def test_editions_link_and_coverage_joins_the_poll_it_cites(figures: dict) -> None:
    assert _same(figures, (P24, "71%"), (P25, "66%"), (PRESS, "66 Prozent"))
    assert _same(figures, (P24, "62%"), (P25, "65%"), (P25, "62%"))
    assert _same(figures, (S24, "38 Prozent"), (S25, "41 Prozent"))
    assert _same(figures, (T24, "yüzde 50"), (T25, "yüzde 54"))
    assert _same(figures, (Q24, "84.4%"), (Q25, "81.4%"))
    # two waves of one year: their values are no trend and no conflict of one year
    assert _apart(figures, (KF, "58 Prozent"), (KH, "54 Prozent"))
    assert _apart(figures, (KF, "84 Prozent"), (KH, "81 Prozent"))
    assert figures[(KH, "vier Punkte", 0)][1:3] == (-4, "percentage_points")
    # one sample: the article's "2.205 Erwachsene" is the release's "2,205 UK adults"
    assert _same(figures, (PRESS, "2.205"), (P25, "2,205"), (P24, "2,140"), (S24, "2.050"))
