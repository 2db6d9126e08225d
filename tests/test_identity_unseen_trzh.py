"""Metric identity on Turkish and Chinese reports polystat was not developed on (issue 17):
two editions of a statistics-office release, two editions of a poll and of a consumer
survey, an English survey with a Turkish and a Chinese summary, a provincial retail
release, and a summary that adds a finding whose value equals another's by chance. The
whole pipeline runs (extraction and reconcile in a DuckDB warehouse); the tests assert
which figures share a metric, and that no conflict appears. The documents are in
tests/unseen_trzh_docs.py; the unit tests at the end hold each class in a few words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from link_nodes import make_node  # tests/ is on sys.path
from unseen_trzh_docs import CHANCE, DOCUMENTS, write_corpus

from extract.claims import scale_points
from flows.pipeline import run_without_prefect
from warehouse.link_claims import Node, attach_claims
from warehouse.link_rules import score_pair


class Warehouse:
    """The metrics of a run: which metric each figure (file, surface) is in, labels,
    conflicts."""

    def __init__(self, path: Path) -> None:
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute(
                "SELECT d.file_name, o.surface, mo.metric_id FROM metric_observations mo"
                " JOIN observations o USING (obs_id) JOIN documents d USING (doc_id)").fetchall()
            labels = con.execute("SELECT label FROM metrics").fetchall()
            self.labels = [label for (label,) in labels]
            self.conflicts = con.execute('SELECT metric, year, "values" FROM conflicts').fetchall()
        self.metric: dict[tuple[str, str], set[str]] = {}
        for file_name, surface, metric_id in rows:
            self.metric.setdefault((file_name, surface), set()).add(metric_id)

    def of(self, file_name: str, surface: str) -> str:
        found = self.metric.get((file_name, surface))
        assert found and len(found) == 1, f"{surface!r} of {file_name}: metrics {found}"
        return next(iter(found))

    def same(self, *figures: tuple[str, str]) -> bool:
        return len({self.of(*figure) for figure in figures}) == 1

    def apart(self, *figures: tuple[str, str]) -> bool:
        return len({self.of(*figure) for figure in figures}) == len(figures)


def _run(folder: Path, files: list[str]) -> Warehouse:
    corpus = write_corpus(folder / "corpus", files)
    summary = run_without_prefect(str(corpus), str(folder / "w.duckdb"), str(folder / "site"),
                                  publish=False)
    assert summary["status"] == "completed"
    return Warehouse(folder / "w.duckdb")


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return _run(tmp_path_factory.mktemp("unseen-trzh"), list(DOCUMENTS))


@pytest.fixture(scope="module")
def chance(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return _run(tmp_path_factory.mktemp("unseen-trzh-chance"), list(CHANCE))


BT25, BT24 = "kio_bt_2025.txt", "kio_bt_2024.txt"
POLL25, POLL24 = "pusula_kent_2025.txt", "pusula_kent_2024.txt"
EN, TR, ZH = ("harbor_worktech_2025_en.txt", "harbor_worktech_2025_tr.txt",
              "harbor_worktech_2025_zh.txt")
SAT25, SAT24 = "qiming_satisfaction_2025.txt", "qiming_satisfaction_2024.txt"
RETAIL = "yunling_retail_2025.txt"


def test_no_conflict_and_no_cut_label(reports: Warehouse) -> None:
    """Glosses next to their figures, sub-samples, previous-year values and a dozen
    findings of one survey: none of them is a conflict."""
    assert reports.conflicts == []
    assert not [label for label in reports.labels
                if any(mark in label for mark in "…\"“”„«»「」")]


def test_a_sub_sample_is_labelled_as_a_part_of_the_whole(reports: Warehouse) -> None:
    """"本次调查共回收有效问卷3260份，其中来自一线城市的受访者1150人": the 1,150 are a part."""
    assert reports.apart(("qiming_satisfaction_2025.txt", "3260"),
                         ("qiming_satisfaction_2025.txt", "1150"))
    assert "survey responses: a part of the consumers" in reports.labels


def test_a_statistics_release_links_its_editions_and_keeps_groups_apart(
        reports: Warehouse) -> None:
    """Household access in two editions and the previous year each gives ("Bu oran bir
    önceki yıl %91,8 idi") is one metric; the share of men and of women is not the share
    of all; each internet activity is a metric of its own."""
    assert reports.same((BT25, "%93,1"), (BT25, "%91,8"), (BT24, "%91,8"), (BT24, "%90,3"))
    assert reports.same((BT25, "%88,4"), (BT24, "%86,7"))
    assert reports.apart((BT25, "%88,4"), (BT25, "%92,0"), (BT25, "%84,9"))
    assert reports.same((BT25, "%84,7"), (BT24, "%82,9"))
    assert reports.same((BT25, "%71,2"), (BT24, "%70,4"))
    assert reports.apart((BT25, "%84,7"), (BT25, "%71,2"), (BT25, "%63,5"),
                         (BT25, "%93,1"))
    assert reports.same((BT25, "%47,3"), (BT25, "%44,1"), (BT24, "%44,1"))


def test_a_poll_keeps_its_findings_and_the_answers_of_a_scale_apart(reports: Warehouse) -> None:
    """"memnun" and "çok memnun" are two answers, in one edition and across editions; the
    most pressing problems of one question are each a metric; a gloss joins its figure."""
    assert reports.same((POLL25, "%34,6"), (POLL24, "%31,9"))
    assert reports.apart((POLL24, "%31,9"), (POLL24, "%9,7"))
    assert reports.apart((POLL25, "%34,6"), (POLL25, "%11,2"), (POLL24, "%9,7"))
    assert reports.same((POLL25, "%48,9"), (POLL24, "%44,0"))
    assert reports.apart((POLL25, "%48,9"), (POLL25, "%19,4"), (POLL25, "%9,8"),
                         (POLL25, "%46"))
    assert reports.same((POLL25, "üçte ikisinden fazlası"), (POLL25, "%67,3"))


def test_an_english_survey_and_its_turkish_and_chinese_summaries(reports: Warehouse) -> None:
    """Each finding restated in three languages is one metric (the Chinese groups
    职员 and 管理人员 are read as employees and executives); an equal value in another
    study (a poll's 46 %, a consumer survey's 24 %) is another metric."""
    assert reports.same((EN, "71%"), (EN, "58%"), (TR, "yüzde 58"), (ZH, "71%"), (ZH, "58%"))
    assert reports.same((EN, "24%"), (TR, "yüzde 24"), (ZH, "24%"))
    assert reports.same((EN, "46%"), (TR, "yüzde 46"), (ZH, "46%"))
    assert reports.same((EN, "54%"), (TR, "yüzde 54"), (ZH, "54%"))
    assert reports.apart((EN, "24%"), (EN, "46%"), (EN, "54%"), (EN, "71%"))
    assert reports.apart((EN, "46%"), (POLL25, "%46"))
    assert reports.apart((EN, "24%"), (SAT25, "24%"))


def test_two_studies_sharing_topic_words_across_languages_stay_apart(
        reports: Warehouse) -> None:
    """A Turkish and a Chinese study of AI at work each give findings about AI training
    (wanting it, finding it needless; being offered it, finding it takes too long) and
    productivity: topic words in common ("AI", "training") are no claim in common."""
    tr, zh = "pusula_yz_2024.txt", "qiming_ai_2025.txt"
    assert reports.apart((tr, "%38"), (tr, "%22"), (zh, "42%"), (zh, "30%"))
    assert reports.apart((tr, "%61"), (zh, "55%"))


def test_a_chinese_survey_and_release_keep_their_findings_apart(reports: Warehouse) -> None:
    """"非常满意" and "满意" are two answers; a gloss "三分之二以上" joins its exact figure;
    each growth rate of a retail release (total, without cars, town, country, online) is
    a metric of its own."""
    assert reports.same((SAT25, "18.7%"), (SAT24, "16.9%"))
    assert reports.apart((SAT25, "18.7%"), (SAT25, "42.3%"))
    assert reports.apart((SAT24, "16.9%"), (SAT24, "40.8%"))
    assert reports.same((SAT25, "三分之二以上"), (SAT25, "68.4%"))
    assert reports.apart((RETAIL, "4.8%"), (RETAIL, "5.3%"), (RETAIL, "4.6%"),
                         (RETAIL, "6.1%"), (RETAIL, "9.7%"))


def test_a_price_release_links_last_years_change_that_each_edition_gives(
        reports: Warehouse) -> None:
    """"同比上涨0.4%，去年同期为下降0.2%": the second change is last year's (the 2024
    release gives it too), and a rise and a fall of prices are one measure; food prices
    ("上年同期下降2.6%" in parentheses) are another."""
    cpi25, cpi24 = "yunling_cpi_2025.txt", "yunling_cpi_2024.txt"
    assert reports.same((cpi25, "0.4%"), (cpi25, "0.2%"), (cpi24, "0.2%"))
    assert reports.same((cpi25, "1.1%"), (cpi25, "2.6%"), (cpi24, "2.6%"))
    assert reports.apart((cpi25, "0.4%"), (cpi25, "1.1%"))


def test_labour_releases_link_levels_and_changes_whichever_way_they_went(
        reports: Warehouse) -> None:
    """"işsizlik oranı 0,3 puan azalarak %8,4 oldu" and, a year before, "0,4 puan artarak
    %8,7": the level and the change each continue one measure (a level or change whose
    own words only say which way it went has the subject of the figure before it); the
    young people's rate is a part, not the whole. Likewise "失业率为5.0%，比上年同期下降0.2个
    百分点" and "新增就业…同比增长3.4%" against the year before."""
    tr25, tr24 = "kio_isgucu_2025.txt", "kio_isgucu_2024.txt"
    zh25, zh24 = "yunling_jobs_2025.txt", "yunling_jobs_2024.txt"
    assert reports.same((tr25, "%8,4"), (tr24, "%8,7"))
    assert reports.same((tr25, "0,3 puan"), (tr24, "0,4 puan"))
    assert reports.apart((tr25, "%8,4"), (tr25, "%16,2"), (tr24, "%15,3"))
    assert reports.same((zh25, "5.0%"), (zh24, "5.2%"))
    assert reports.same((zh25, "0.2个百分点"), (zh24, "0.1个百分点"))
    assert reports.same((zh25, "3.4%"), (zh24, "1.5%"))
    assert reports.apart((zh25, "5.0%"), (zh25, "15.8%"), (zh25, "4.1%"))
    assert reports.same((zh25, "12.6万"), (zh24, "12.2万"))  # a count that is a finding


def test_an_equal_value_in_a_summary_is_no_restatement_by_chance(chance: Warehouse) -> None:
    """The Chinese summary adds a finding of the full report (35 % take a ride-hailing car)
    whose value equals the release's bike-sharing share: one predicate id in common
    ("use") and an equal value are chance, not the same claim. The first finding, in
    the same order in both, is restated."""
    chinese, english = "northwind_2025_zh.txt", "northwind_2025_en.txt"
    assert chance.same((english, "62%"), (chinese, "62%"))
    assert chance.apart((english, "35%"), (chinese, "35%"))
    assert chance.conflicts == []


# --------------------------------------------------------------------------- units


def _node(obs_id: str, doc: str, lang: str, sentence: str, surface: str, value: float,
          year: int, **fields: Any) -> Node:
    fields = {"population": "respondents", **fields}
    return make_node(obs_id, doc, lang, sentence, surface, value, year, **fields)


def test_scale_points_are_read_from_the_clause() -> None:
    assert scale_points("%9,7'si belediyeden çok memnun olduğunu belirtti", "tr") == {"very"}
    assert scale_points("%31,9'u belediyeden memnun olduğunu belirtti", "tr") == frozenset()
    assert scale_points("表示非常满意的受访者占18.7%", "zh") == {"very"}
    assert scale_points("表示比较满意的受访者占30%", "zh") == {"somewhat"}  # (one word)
    assert scale_points("很多受访者表示满意", "zh") == frozenset()  # "many", not "very"


def test_very_satisfied_is_no_edition_of_satisfied() -> None:
    """The shorter wording of a claim may link editions; a degree word it lacks is
    another answer of the scale."""
    said = "Katılımcıların {} belediye hizmetlerinden {} olduğunu belirtti."
    now = _node("now", "p25", "tr", said.format("%34,6'sı", "memnun"), "%34,6", 34.6, 2025,
                study="kent", edition="kent-2025")
    before = _node("before", "p24", "tr", said.format("%9,7'si", "çok memnun"), "%9,7", 9.7,
                   2024, study="kent", edition="kent-2024")
    same = _node("same", "p24", "tr", said.format("%30,2'si", "memnun"), "%30,2", 30.2, 2024,
                 study="kent", edition="kent-2024")
    now, before, same = attach_claims([now, before, same])
    assert score_pair(now, before, {}) is None
    assert score_pair(before, same, {}) is None  # (one report: no slip, two answers)
    assert score_pair(now, same, {}) is not None


def _findings(doc: str, lang: str, sentences: list[tuple[str, str, float]], **fields: Any
              ) -> list[Node]:
    """One document's figures (sentence, surface, value), one sentence after another."""
    nodes, at = [], 0
    for sentence, surface, value in sentences:
        nodes.append(_node(f"{doc}-{surface}", doc, lang, sentence, surface, value, 2025,
                           at=at, **fields))
        at += len(sentence) + 1
    return nodes


def test_one_predicate_id_in_common_is_no_restatement_across_languages() -> None:
    """Two findings of one study with an equal value, in two languages, whose neighbours
    do not pair up, that share only "use" (AI to draft e-mails, AI every day) stay apart;
    two ids in common restate one figure."""
    fields = {"population": "employees", "study": "s", "survey_year": 2025}
    english = _findings("en", "en", [
        ("61% of workers trust the answers of AI tools.", "61%", 61),
        ("24% of workers use AI to draft their e-mails.", "24%", 24),
        ("31% of workers cancelled a paid AI subscription to save money.", "31%", 31)],
        **fields)
    turkish = _findings("tr", "tr", [
        ("Çalışanların yüzde 9'u yapay zekadan korkuyor.", "yüzde 9", 9),
        ("Çalışanların yüzde 31'i tasarruf için ücretli bir aboneliği iptal etti.",
         "yüzde 31", 31),
        ("Çalışanların yüzde 24'ü yapay zekayı her gün kullanıyor.", "yüzde 24", 24)],
        **fields)
    by_id = {n.obs_id: n for n in attach_claims(english + turkish)}
    assert by_id["tr-yüzde 24"].predicates == by_id["en-24%"].predicates == {"use"}
    assert score_pair(by_id["en-24%"], by_id["tr-yüzde 24"], {}) is None
    assert score_pair(by_id["en-31%"], by_id["tr-yüzde 31"], {}) == ("restatement", 0.85)


def test_one_predicate_id_will_do_for_an_earlier_year() -> None:
    """A previous edition's value quoted again is one of few figures of its year."""
    english = _node("e-en", "en3", "en", "In 2023, 40% of firms named the cost a barrier.",
                    "40%", 40, 2023, population="companies", study="s", survey_year=2024)
    chinese = _node("e-zh", "zh3", "zh", "2023年有40%的企业将其列为障碍。", "40%", 40, 2023,
                    population="companies", study="s", survey_year=2024)
    # (each has a neighbour of another value: not a lone figure)
    english.place = ((("percent", 2023, 40.0), ("percent", 2024, 45.0)), 0)
    chinese.place = ((("percent", 2024, 12.0), ("percent", 2023, 40.0)), 1)
    english, chinese = attach_claims([english, chinese])
    assert score_pair(english, chinese, {}) == ("restatement", 0.85)


def test_counts_of_people_that_are_findings_link_by_their_claims() -> None:
    """The unemployed of two labour releases are one measure; the people a survey asked
    are its sample, never a finding's value."""
    said = "Türkiye genelinde işsiz sayısı {} kişi oldu."
    now = _node("now", "d25", "tr", said.format("3 milyon 180 bin"), "3 milyon 180 bin",
                3_180_000, 2025, unit="count", population="people", study="isgucu",
                edition="isgucu-2025", survey_year=2025)
    before = _node("before", "d24", "tr", said.format("3 milyon 260 bin"), "3 milyon 260 bin",
                   3_260_000, 2024, unit="count", population="people", study="isgucu",
                   edition="isgucu-2024", survey_year=2024)
    asked = _node("asked", "p", "tr", "Araştırmada 3 bin 180 kişiyle görüşüldü.", "3 bin 180",
                  3180, 2025, unit="count", population="people", study="anket",
                  edition="anket-2025", survey_year=2025)
    now, before, asked = attach_claims([now, before, asked])
    assert (now.sample, before.sample, asked.sample) == (False, False, True)
    assert score_pair(now, before, {}) == ("edition", 1.0)
    assert score_pair(now, asked, {}) is None
