"""Press coverage that cites a survey, and the samples surveys state, in German, Turkish,
Chinese and English. A figure of an article (a document without an edition) belongs to the
survey its sentence or the coverage before it cites (extract/citations.py), not to the
outlet: an article links to the survey's own release across languages, and one outlet's
articles on two institutes' polls are two studies, never a conflict. Samples told by
their verb ("asked 3,100 commuters", "1.850 çalışan katıldı", "共访问了2,000名职工") are
found; a part of a sample ("of whom 800 were managers") does not say whom a survey asked.
The documents are in tests/unseen_press_docs.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from link_nodes import make_node  # tests/ is on sys.path
from unseen_press_docs import DOCUMENTS, write_corpus

from extract.citations import attach_citations, citations, cited_key
from extract.statistics import find_statistics
from flows.pipeline import run_without_prefect
from warehouse.link_claims import Node, attach_claims, cited_study_names, study_of
from warehouse.link_rules import score_pair
from warehouse.reconcile import stale_cited_studies

# --------------------------------------------------------------------------- citations


@pytest.mark.parametrize(("lang", "text", "name", "year"), [
    ("de", "Laut einer repräsentativen Umfrage des Instituts Wegmark nutzen 40 Prozent das "
     "Rad.", "instituts wegmark", None),
    ("de", "Eine Studie der Hafenwerk Stiftung zeigt, dass 31 Prozent pendeln.",
     "hafenwerk stiftung", None),
    ("de", "In der Ausgabe 2024 des Lindental Monitors gaben 12 Prozent an ...",
     "lindental monitors", 2024),
    ("zh", "据启航研究院2024年发布的调查，近三成受访职工每天通勤超过一小时。", "启航研究院", 2024),
    ("tr", "Kavşak Araştırma'nın 2024 yılında yaptığı ankete göre yüzde 64 ...",
     "kavşak araştırma", 2024),
    ("en", "A poll by Norrow Research found that 57% of adults agree.", "norrow research",
     None),
    ("en", "According to the latest survey from the Orchard Institute for Work, 40% ...",
     "orchard institute for work", None),
    ("en", "In the 2024 edition of the Commuter Outlook, 55% said so.", "commuter outlook",
     2024),
    ("en", "Tessel Group surveyed 2,350 adults online.", "tessel group", None),
    ("en", "Gallup's latest poll puts the share at 41%.", "gallup", None),
    ("tr", "Anadolu Veri şirketinin araştırmasına göre çalışanların yüzde 58'i ...",
     "anadolu veri", None),
    ("tr", "Kavşak Araştırma'nın yaptığı ankete göre yüzde 64 ...", "kavşak araştırma", None),
    ("zh", "据启航研究院发布的调查，七成受访职工希望弹性上班。", "启航研究院", None),
    ("zh", "近三成受访者，明德咨询近日发布的调查显示，过半受访者愿意。", "明德咨询", None),
    ("zh", "根据国家统计局发布的数据，城镇调查失业率为5.2%。", "国家统计局", None),
    ("tr", "Türkiye İstatistik Kurumu (TÜİK) verilerine göre işsizlik oranı yüzde 8,5 oldu.",
     "türkiye istatistik kurumu", None),
    ("tr", "TÜİK verilerine göre yüzde 8,5", "tüik", None),  # (İ lowers to i, not i̇)
    ("en", "A report by the Office for National Statistics showed 4%.",
     "office for national statistics", None),
    ("en", "Forty-one percent back it, according to a Gallup poll released Tuesday.",
     "gallup", None),
    ("en", "A new YouGov survey finds 30% of adults agree.", "yougov", None),
    ("zh", "据零点研究集团调查显示，七成受访者满意。", "零点研究集团", None),
    ("zh", "北京大学的一项调查显示，近三成学生每天运动。", "北京大学", None),
])
def test_a_citation_names_the_survey_and_its_edition(lang: str, text: str, name: str,
                                                     year: int | None) -> None:
    found = citations(text, lang)
    assert [(c.name, c.year) for c in found] == [(name, year)]


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "Researchers surveyed 2,000 adults."),  # nobody named
    ("en", "The survey found that 23% of adults would take a pay cut."),
    ("tr", "Yapılan araştırmaya göre yüzde 40 ..."),  # "the survey made": no name
    ("tr", "Araştırmaya göre yüzde 40 ..."),
    ("de", "Die Befragung der Beschäftigten ergab 40 Prozent."),  # the people, no citation
    ("de", "Laut einer Umfrage unter 1.000 Beschäftigten sagen 40 Prozent ..."),
    ("de", "Nach einer Befragung der Unternehmen Bayerns nutzen 40 Prozent KI."),
    ("en", "A survey of American adults found 40%."),  # whom it asked
    ("en", "Most Americans asked 3 times said no."),
    ("zh", "据新华社报道，调查显示七成受访者满意。"),  # a news agency reports, no survey named
    ("zh", "据本次调查显示，七成受访者满意。"),  # this survey
    ("en", "A national survey found 30% of adults agree."),  # a kind of survey, no name
    ("en", "An American survey found 30% of adults agree."),
])
def test_a_survey_without_a_name_is_no_citation(lang: str, text: str) -> None:
    assert citations(text, lang) == []


def test_a_cited_name_is_keyed_as_its_publisher_entry_is() -> None:
    assert cited_key("Kavşak Araştırma'nın") == cited_key("Kavşak Araştırma A.Ş.")
    assert cited_key("The Calder Institute") == "calder institute"
    names = cited_study_names([
        ("calder-commuter-outlook-2025", "Calder Institute (fictional), press release",
         "Commuter Outlook 2025"),
        ("calder-commuter-outlook-2024", "Calder Institute (fictional), press release",
         "Commuter Outlook 2024"),
        ("twin-a-2025", "Twin Research", "A 2025"), ("twin-b-2025", "Twin Research", "B")])
    assert names["calder institute"] == names["commuter outlook"] == "calder-commuter-outlook"
    assert "twin research" not in names  # two studies share it: it names neither
    # a genitive names the publisher entry without it ("des Instituts Waldmann")
    waldmann = cited_study_names([("lindental-monitor-2024", "Institut Waldmann (fiktiv)",
                                   "Lindental Monitor 2024")])
    for cited in ("instituts waldmann", "lindental monitors"):
        assert study_of(None, "a.txt", "Nordkurier", cited, waldmann) == "lindental-monitor"


def test_only_a_document_without_an_edition_takes_the_cited_study() -> None:
    names = {"calder institute": "calder-commuter-outlook"}
    assert study_of(None, "a.txt", "Rheinbote", "calder institute", names) == (
        "calder-commuter-outlook")
    assert study_of(None, "a.txt", "Daily Ledger", "norrow research", names) == (
        "cited:norrow research")
    assert study_of("ledger-digest-2025", "a.txt", "Daily Ledger", "norrow research",
                    names) == "ledger-digest"
    assert study_of(None, "a.txt", "Daily Ledger", None, names) == "publisher:daily ledger"


def test_coverage_before_and_after_its_citation_takes_it() -> None:
    text = ("Most adults back a shorter week\n\n"
            "Some 57% of adults back it, a poll by Norrow Research found.\n\n"
            "The poll also found that 23% of adults would take a pay cut.\n\n"
            "A separate survey by Tessel Group put support at 49%.\n")
    found = find_statistics(text, "en", 2025)
    cited = {s.surface: s.cited for s in attach_citations(text, found, "en")}
    assert cited == {"57%": "norrow research", "23%": "norrow research",
                     "49%": "tessel group"}


def test_an_edition_year_dates_only_the_figures_of_its_sentence() -> None:
    text = ("Longer commutes\n\n"
            "In the 2024 edition of the Commuter Outlook, 57% of commuters said so.\n\n"
            "This year the institute expects 60% of commuters to say so.\n")
    found = attach_citations(text, find_statistics(text, "en", 2025), "en")
    assert [(s.surface, s.year, s.cited) for s in found] == [
        ("57%", 2024, "commuter outlook"), ("60%", 2025, "commuter outlook")]


# --------------------------------------------------------------------------- samples


@pytest.mark.parametrize(("lang", "text", "surface", "value"), [
    ("en", "The Calder Institute asked 3,100 commuters about their journeys.", "3,100", 3100),
    ("en", "Norrow Research interviewed 1,204 adults by telephone.", "1,204", 1204),
    ("tr", "Ankete 1.850 çalışan katıldı.", "1.850", 1850),
    ("tr", "Araştırmada 3 bin 100 çiftçiyle yüz yüze görüşüldü.", "3 bin 100", 3100),
    ("tr", "Araştırma kapsamında 12 bin 400 kişiyle görüşüldü.", "12 bin 400", 12400),
    ("zh", "本次调查共访问了2,000名职工。", "2,000", 2000),
    ("zh", "调查覆盖3,000名受访者。", "3,000", 3000),
    ("zh", "共回收有效问卷3,012份。", "3,012", 3012),
    ("de", "Befragt wurden 2.013 Personen ab 18 Jahren.", "2.013", 2013),
    ("de", "Ein eigenes Auto besitzen 73 Prozent (Basis: n = 1.004).", "1.004", 1004),
])
def test_a_sample_told_by_its_verb_is_found(lang: str, text: str, surface: str,
                                            value: int) -> None:
    counts = [(s.surface, s.value) for s in find_statistics(text, lang, 2025)
              if s.unit == "count"]
    assert counts == [(surface, value)]


def test_asking_questions_is_no_sample() -> None:
    assert find_statistics("The pollsters asked 12 questions.", "en", 2025) == []


def test_a_part_of_the_sample_does_not_say_whom_the_survey_asked() -> None:
    """The lead's group after "of whom" is a part's: a share without a group of its own is
    not about managers."""
    text = ("Commuter survey\n\nThe institute asked 3,100 people in six areas, of whom 800 "
            "were managers.\n\nMost respondents, 62%, say their journey takes longer.\n")
    shares = {s.surface: s.population for s in find_statistics(text, "en", 2025)
              if s.unit == "percent"}
    assert shares["62%"] != "executives"


# --------------------------------------------------------------------------- pipeline


class Run:
    def __init__(self, path: Path) -> None:
        self.path = path
        with duckdb.connect(str(path), read_only=True) as con:
            rows = con.execute(
                "SELECT d.file_name, o.surface, mo.metric_id, c.study, o.value, o.qualifier,"
                " o.unit FROM metric_observations mo JOIN observations o USING (obs_id)"
                " JOIN documents d USING (doc_id) JOIN claims c USING (obs_id)").fetchall()
            self.conflicts = con.execute('SELECT metric, year, "values" FROM conflicts'
                                         ).fetchall()
        self.rows = {(file, surface): tuple(rest) for file, surface, *rest in rows}

    def metric(self, file: str, surface: str) -> str:
        return str(self.rows[(file, surface)][0])

    def study(self, file: str, surface: str) -> str:
        return str(self.rows[(file, surface)][1])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("press")
    corpus = write_corpus(folder / "corpus")
    summary = run_without_prefect(str(corpus), str(folder / "w.duckdb"), str(folder / "site"),
                                  publish=False)
    assert summary["status"] == "completed"
    return Run(folder / "w.duckdb")


def test_no_conflict_between_two_institutes_polls_of_one_outlet(run: Run) -> None:
    assert run.conflicts == []
    assert run.study("ledger_norrow.txt", "23%") == "cited:norrow research"
    assert run.study("ledger_tessel.txt", "31%") == "cited:tessel group"
    # their samples are two studies' too
    assert run.study("ledger_norrow.txt", "1,204") != run.study("ledger_tessel.txt", "2,350")
    assert run.study("gundem_anadolu_veri.txt", "yüzde 58") != run.study(
        "gundem_kavsak.txt", "yüzde 64")


def test_coverage_in_german_links_to_the_english_release_it_cites(run: Run) -> None:
    assert run.study("rheinbote_pendeln.txt", "62 Prozent") == "calder-commuter-outlook"
    assert run.metric("rheinbote_pendeln.txt", "62 Prozent") == run.metric(
        "calder_commute_2025.txt", "62%")
    assert run.metric("rheinbote_pendeln.txt", "18 Prozent") == run.metric(
        "calder_commute_2025.txt", "18%")
    assert run.metric("rheinbote_pendeln.txt", "62 Prozent") != run.metric(
        "rheinbote_pendeln.txt", "18 Prozent")


def test_chinese_verbal_shares_are_shares_and_gloss_their_figure(run: Run) -> None:
    paper = "chenbao_qihang.txt"
    assert run.rows[(paper, "七成")][2:] == (70.0, "approx", "percent")
    assert run.rows[(paper, "近三成")][2:] == (30.0, "nearly", "percent")
    assert run.rows[(paper, "过半")][2:] == (50.0, "more_than", "percent")
    assert run.metric(paper, "七成") == run.metric(paper, "70.4%")
    assert len({run.metric(paper, s) for s in ("70.4%", "近三成", "过半")}) == 3
    assert run.study(paper, "过半") == "qihang-worktime"  # the institute's own release


def test_samples_of_coverage_are_found(run: Run) -> None:
    for figure in [("calder_commute_2025.txt", "3,100"), ("ledger_norrow.txt", "1,204"),
                   ("gundem_kavsak.txt", "1.850"), ("gundem_anadolu_veri.txt", "12 bin 400"),
                   ("chenbao_qihang.txt", "2,000")]:
        assert figure in run.rows, figure


def test_stored_studies_that_the_sources_now_name_otherwise_are_counted(
        run: Run, tmp_path: Path) -> None:
    """Coverage linked before the release it cites was added holds the cited name as its
    study; `stale_cited_studies` counts such figures (a relink cannot bring them
    together, a rebuild does)."""
    copy = tmp_path / "w.duckdb"
    shutil.copy(run.path, copy)
    with duckdb.connect(str(copy)) as con:
        assert stale_cited_studies(con) == 0
        con.execute("UPDATE claims SET study = 'cited:calder institute' WHERE study ="
                    " 'calder-commuter-outlook' AND obs_id IN (SELECT obs_id FROM observations"
                    " WHERE surface LIKE '%Prozent')")
        assert stale_cited_studies(con) == 2


def test_a_release_added_after_its_coverage_links_to_it(tmp_path: Path) -> None:
    first = [name for name in DOCUMENTS if not name.startswith("calder_commute")]
    for files in (first, list(DOCUMENTS)):
        write_corpus(tmp_path / "corpus", files)
        run_without_prefect(str(tmp_path / "corpus"), str(tmp_path / "w.duckdb"),
                            str(tmp_path / "site"), publish=False)
    later = Run(tmp_path / "w.duckdb")
    assert later.metric("rheinbote_pendeln.txt", "62 Prozent") == later.metric(
        "calder_commute_2025.txt", "62%")


def test_an_edition_named_by_its_year_dates_the_figures_that_quote_it(run: Run) -> None:
    """"In the 2024 edition of the Commuter Outlook, 57% ..." in a 2025 article is the 2024
    figure of that study, one metric with the release's own and its 2025 value."""
    with duckdb.connect(str(run.path), read_only=True) as con:
        year = con.execute("SELECT o.year FROM observations o JOIN documents d USING (doc_id)"
                           " WHERE d.file_name = 'metro_wire_2025.txt'").fetchall()
    assert year == [(2024,)]
    assert run.study("metro_wire_2025.txt", "57%") == "calder-commuter-outlook"
    assert run.metric("metro_wire_2025.txt", "57%") == run.metric(
        "calder_commute_2024.txt", "57%") == run.metric("calder_commute_2025.txt", "62%")


def test_two_studies_weighed_in_one_article_are_two(run: Run) -> None:
    article = "nordkurier_stress.txt"
    assert run.study(article, "38 Prozent") == "cited:krankenkasse lindhoff"
    assert run.study(article, "45 Prozent") == "cited:instituts waldmann"


def test_coverage_in_the_releases_language_links_to_it(run: Run) -> None:
    assert run.metric("gundem_anadolu_veri.txt", "yüzde 58") == run.metric(
        "anadolu_veri_2025.txt", "%58")
    assert run.metric("chenbao_qihang.txt", "70.4%") == run.metric("qihang_2025.txt", "70.4%")


def test_a_study_has_one_sample_whatever_covers_it_and_its_part_is_apart(run: Run) -> None:
    """The samples of all studies are one measure ("survey responses"); coverage restating
    a release's sample is that sample (no wave of its own); a part of a sample is not."""
    samples = {run.metric(*figure) for figure in [
        ("qihang_2025.txt", "2,000"), ("chenbao_qihang.txt", "2,000"),
        ("anadolu_veri_2025.txt", "12 bin 400"), ("gundem_anadolu_veri.txt", "12 bin 400"),
        ("calder_commute_2025.txt", "3,100"), ("ledger_norrow.txt", "1,204")]}
    assert len(samples) == 1
    assert run.metric("calder_commute_2025.txt", "800") not in samples


# --------------------------------------------------------------------------- glosses


def _worktime(obs_id: str, doc: str, sentence: str, surface: str, value: float,
              qualifier: str, edition: str | None) -> Node:
    return make_node(obs_id, doc, "zh", sentence, surface, value, 2025, qualifier=qualifier,
                     population="employees", study="qihang-worktime", edition=edition,
                     survey_year=2025)


@pytest.mark.parametrize(("exact", "linked"), [(28.6, True), (30.0, True), (33.5, False),
                                                (24.0, False)])
def test_a_verbal_share_of_coverage_joins_the_figure_it_rounds(exact: float,
                                                               linked: bool) -> None:
    """近三成 (nearly 30%) in an article paraphrases 28.6% of the release it cites (a link
    that says so itself, as next to its figure), never 33.5% (more than 30) nor 24% (too
    far below): those are left to the claim's other evidence."""
    gloss = _worktime("gloss", "paper", "近三成受访职工表示每天通勤时间超过一小时。", "近三成", 30,
                      "nearly", None)
    release = _worktime("exact", "release", f"{exact}%的受访职工每天通勤时间超过一小时。",
                        f"{exact}%", exact, "exact", "qihang-worktime-2025")
    found = score_pair(*attach_claims([gloss, release]), {})
    assert (found == ("paraphrase", 0.8)) is linked


def test_coverage_is_no_wave_of_the_study_it_cites(run: Run) -> None:
    """An article without an edition and the release it cites are one wave: its gloss
    joins the release's figure (a release's two editions of one year would be two)."""
    assert run.metric("chenbao_qihang.txt", "近三成") == run.metric("qihang_2025.txt", "28.6%")
    assert run.conflicts == []
