"""Metric identity on German and English reports polystat has never seen, class by class:

  scale points   "sehr zufrieden" and "zufrieden" (and their sum) are two points of one
                 answer scale; the same point links across editions and languages
  fillers        words one edition adds and the next drops ("inzwischen", "a further")
  survey period  "im vergangenen Jahr" before a figure is the period a survey asks about,
                 not the year before (it made a false conflict between two editions)
  survey before  "bei der letzten Befragung", "the previous survey found": the year before
  said so        "Two years earlier, 47% said so" refers back to the figure before it

The documents are written for these tests (fictional organisations), in the phrasing of
real statistics-office releases, HR and retail surveys, polls and press coverage. The
first part checks the linker on plain records; the second runs the real pipeline
(extraction and reconciliation into a DuckDB warehouse) and asserts the metrics and that
no conflict appears.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from corpus_files import linked_corpus, linked_figures  # tests/ is on sys.path
from link_nodes import make_node, metrics

from extract.claims import is_gloss, numbers_of, scale_points
from warehouse.labels import label_for
from warehouse.link_claims import Node, attach_claims
from warehouse.link_rules import score_pair

# --------------------------------------------------------------------------- the linker


def _edition(obs_id: str, year: int, lang: str, sentence: str, surface: str, value: float,
             *, study: str = "klima", population: str | None = "employees") -> Node:
    """A figure of the `year` edition of `study` (one document per edition and language)."""
    return make_node(obs_id, f"{study}-{year}-{lang}", lang, sentence, surface, value, year,
                     population=population, study=study, edition=f"{study}-{year}",
                     survey_year=year)


def test_the_points_a_clause_names_on_an_answer_scale() -> None:
    assert scale_points("Sehr zufrieden sind 24 Prozent", "de") == {"very"}
    assert scale_points("eher zufrieden 45 Prozent", "de") == {"somewhat"}
    assert scale_points("Mit ihrer Arbeit zufrieden sind 40 Prozent", "de") == frozenset()
    assert scale_points("stimmen voll und ganz zu", "de") == {"completely"}
    # ("und" ends a clause: "stimmen 12 Prozent voll | und ganz zu")
    assert scale_points("Der Aussage stimmen 12 Prozent voll", "de") == {"completely"}
    # a sum of two points names both: the plain word stands beside the intensified one
    assert scale_points("zufrieden oder sehr zufrieden sind 65 Prozent", "de") == {
        "very", "plain"}
    assert scale_points("31% are very satisfied with their job", "en") == {"very"}
    assert scale_points("very or somewhat satisfied", "en") == {"very", "somewhat"}


def test_satisfied_and_very_satisfied_in_two_editions_stay_apart() -> None:
    plain = _edition("plain", 2023, "de", "Mit ihrer Arbeit zufrieden sind 40 Prozent der "
                     "Beschäftigten.", "40 Prozent", 40)
    very = _edition("very", 2024, "de", "Sehr zufrieden mit ihrer Arbeit sind 24 Prozent der "
                    "Beschäftigten.", "24 Prozent", 24)
    assert score_pair(*attach_claims([plain, very]), {}) is None
    assert metrics([plain, very]) == {frozenset({"plain"}), frozenset({"very"})}


def test_a_sum_of_two_scale_points_is_neither_point() -> None:
    both = _edition("both", 2023, "en", "In total, 66% of employees are satisfied or very "
                    "satisfied with their job.", "66%", 66)
    very = _edition("very", 2024, "en", "29% of employees are very satisfied with their job.",
                    "29%", 29)
    plain = _edition("plain", 2024, "en", "37% of employees are satisfied with their job.",
                     "37%", 37)
    assert metrics([both, very, plain]) == {frozenset({"both"}), frozenset({"very"}),
                                            frozenset({"plain"})}


def test_one_scale_point_links_across_editions_whatever_fillers_they_add() -> None:
    """"insgesamt" in one edition and "inzwischen" in the next say nothing of the claim."""
    nodes = [
        _edition("de23", 2023, "de", "Mit ihrer Arbeit insgesamt sehr zufrieden sind 21 Prozent "
                 "der Beschäftigten.", "21 Prozent", 21),
        _edition("de24", 2024, "de", "Sehr zufrieden mit ihrer Arbeit sind inzwischen 24 Prozent "
                 "der Beschäftigten.", "24 Prozent", 24),
        _edition("en24", 2024, "en", "Overall, 33% of employees are very satisfied with "
                 "their job.", "33%", 33, study="pulse"),
        _edition("en25", 2025, "en", "A further 30% of employees are very satisfied with "
                 "their job.", "30%", 30, study="pulse")]
    assert metrics(nodes) == {frozenset({"de23", "de24"}), frozenset({"en24", "en25"})}


def test_one_value_in_two_languages_at_two_scale_points_is_no_restatement() -> None:
    """The English report's "satisfied" and the German one's "sehr zufrieden" share a
    value by chance: one study, but two points of its scale."""
    en = _edition("en", 2025, "en", "41% of employees are satisfied with their job.", "41%", 41)
    de = _edition("de", 2025, "de", "Sehr zufrieden mit ihrem Job sind 41 Prozent der "
                  "Beschäftigten.", "41 Prozent", 41)
    assert score_pair(*attach_claims([en, de]), {}) is None


def test_a_figure_that_said_so_refers_back_to_the_figure_before() -> None:
    first = "54% of adults consider the cost of housing a major problem in their area."
    second = "Two years earlier, 47% said so."
    nodes = [make_node("now", "press", "en", first, "54%", 54, 2024, at=0, population="adults"),
             make_node("then", "press", "en", second, "47%", 47, 2022, at=len(first) + 1,
                       population="adults")]
    assert metrics(nodes) == {frozenset({"now", "then"})}


def test_a_sub_group_framed_before_the_same_words_is_no_restatement() -> None:
    """"In financial services, 61% of companies ..." beside "44% of companies ..." in one
    report: the same words, but a part of the whole (it made a conflict within a source)."""
    whole = "44% of companies have deployed AI tools in their security operations centre."
    part = ("In financial services, 61% of companies have deployed AI tools in their "
            "security operations centre.")
    nodes = [make_node("whole", "report", "en", whole, "44%", 44, 2025, at=0,
                       population="companies"),
             make_node("part", "report", "en", part, "61%", 61, 2025, at=500,
                       population="companies")]
    assert score_pair(*attach_claims(nodes), {}) is None
    slip = "Overall, 46% of companies have deployed AI tools in their security operations centre."
    restated = [make_node("body", "report", "en", whole, "44%", 44, 2025, at=0,
                          population="companies"),
                make_node("summary", "report", "en", slip, "46%", 46, 2025, at=500,
                          population="companies")]
    found = score_pair(*attach_claims(restated), {})
    assert found is not None and found[0] == "restatement"  # a slip is still a conflict


def test_a_ratio_glosses_a_share_as_words_do() -> None:
    """"At least 7 in 10 adults (72%)": the ratio glosses the exact figure beside it."""
    assert is_gloss("7 in 10") and is_gloss("3 von 4") and is_gloss("nearly half")
    assert not is_gloss("72%") and not is_gloss("2,300") and not is_gloss("72 Prozent")
    sentence = "At least 7 in 10 adults (72%) support more public money for housing."
    nodes = [make_node(obs, "poll", "en", sentence, surface, value, 2024, at=0,
                       population="adults") for obs, surface, value in
             (("ratio", "At least 7 in 10", 70), ("exact", "72%", 72))]
    found = score_pair(*attach_claims(nodes), {})
    assert found is not None and found[0] == "paraphrase"


def _referring(lang: str, first: str, first_surface: str, first_year: int, second: str,
               second_surface: str, second_year: int, population: str = "adults",
               second_population: str | None = None) -> set[frozenset[str]]:
    """The metrics of a figure and one of another year in the next sentence."""
    value = float(first_surface.split("%")[0].split()[0])
    return metrics([make_node("now", "d", lang, first, first_surface, value, first_year,
                              at=0, population=population),
                    make_node("then", "d", lang, second, second_surface, value - 5,
                              second_year, at=len(first) + 1,
                              population=second_population or population)])


def test_an_anaphor_framed_by_a_part_does_not_continue_the_whole() -> None:
    """"In London, 61% said so in 2022", "Bei den Jüngeren waren es 2023 noch …": the
    words before the anaphor (or its group) name a part; a frame of time or of the survey
    before names none."""
    whole = "54% of adults call housing costs a major problem."
    apart = {frozenset({"now"}), frozenset({"then"})}
    together = {frozenset({"now", "then"})}
    assert _referring("en", whole, "54%", 2024, "In London, 61% said so in 2022.", "61%",
                      2022) == apart
    assert _referring("en", whole, "54%", 2024, "In last year's survey, 49% said so.", "49%",
                      2023) == together
    zufrieden = "Mit ihrer Arbeit zufrieden sind 41 Prozent der Beschäftigten."
    assert _referring("de", zufrieden, "41 Prozent", 2024, "Bei den Jüngeren waren es 2023 "
                      "noch 36 Prozent.", "36 Prozent", 2023, "employees") == apart
    assert _referring("de", zufrieden, "41 Prozent", 2024, "Im Vorjahr waren es 36 Prozent.",
                      "36 Prozent", 2023, "employees", "female_employees") == apart
    assert _referring("de", zufrieden, "41 Prozent", 2024, "Bei der letzten Befragung waren "
                      "es 36 Prozent.", "36 Prozent", 2023, "employees") == together


def test_claims_naming_other_numbers_are_other_claims() -> None:
    """"In the past 12 months" and "in the past 3 months", "bis 2030" and "bis 2027": the
    same words but for a number (the figure's own year says nothing more)."""
    assert numbers_of("In den letzten 12 Monaten haben", "de", 2025) == {"#12"}
    assert numbers_of("Bis 2030 wollen", "de", 2025) == {"#2030"}
    assert numbers_of("In 2023, 31% of farms used drones", "en", 2023) == frozenset()
    assert numbers_of("has risen since 2018", "en", 2020) == frozenset()  # a baseline
    year = "In the past 12 months, 31% of adults bought a used car."
    quarter = "In the past 3 months, 12% of adults bought a used car."
    nodes = [make_node("year", "d", "en", year, "31%", 31, 2025, at=0, population="adults"),
             make_node("quarter", "d", "en", quarter, "12%", 12, 2025, at=len(year) + 1,
                       population="adults")]
    assert metrics(nodes) == {frozenset({"year"}), frozenset({"quarter"})}
    plan = [_edition(f"e{year}", year, "de", f"Bis {target} wollen {share} Prozent der "
                     "Erwachsenen ein E-Auto kaufen.", f"{share} Prozent", share,
                     study="mobil", population="adults")
            for year, target, share in ((2024, 2030, 31), (2025, 2030, 35), (2026, 2027, 14))]
    assert metrics(plan) == {frozenset({"e2024", "e2025"}), frozenset({"e2026"})}


# --------------------------------------------------------------------------- the pipeline

CORPUS = Path(__file__).parent / "unseen_deen"  # the documents and their manifest


Figure = tuple[str, str]  # (file, surface)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documents run once through the real pipeline (no rendering)."""
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-deen"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict[Figure, tuple[str, int, str]]:
    """(file, surface) -> (metric id, year, label) of every figure."""
    found: dict[Figure, tuple[str, int, str]] = {}
    for name, surface, metric, year, label in linked_figures(warehouse, "o.year", "m.label"):
        key = (name, surface)
        assert key not in found, f"{key} is given twice: name figures another way"
        found[key] = (metric, year, label)
    return found


def _metric(figures: dict[Figure, tuple[str, int, str]], *keys: Figure) -> set[str]:
    return {figures[key][0] for key in keys}


def test_no_false_conflict_appears(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT metric, year, \"values\" FROM conflicts").fetchall() == []


def test_each_scale_point_is_its_own_metric_across_editions(figures) -> None:
    very = _metric(figures, ("klima23.txt", "21 Prozent"), ("klima24.txt", "24 Prozent"))
    assert len(very) == 1
    assert figures[("klima23.txt", "65 Prozent")][0] not in very  # the sum of two points
    assert figures[("klima23.txt", "44 Prozent")][0] not in very
    assert figures[("klima24.txt", "42 Prozent")][0] not in very
    english_very = _metric(figures, ("pulse24.txt", "31%"), ("pulse25.txt", "27%"),
                           ("pulse25de.txt", "27 Prozent"))
    assert len(english_very) == 1
    plain = _metric(figures, ("pulse25.txt", "41%"), ("pulse25de.txt", "41 Prozent"))
    assert len(plain) == 1 and not plain & english_very
    assert figures[("pulse24.txt", "38%")][0] not in english_very


def test_the_period_a_survey_asks_about_is_its_own_year(figures) -> None:
    """"Lebensmittel online gekauft haben im vergangenen Jahr 29 Prozent" is the 2024
    edition's figure (it was dated 2023 and contradicted the 2023 edition's 26 Prozent)."""
    metric, year, _ = figures[("handel24.txt", "29 Prozent")]
    assert year == 2024
    assert _metric(figures, ("handel23.txt", "26 Prozent"), ("handel24.txt", "26 Prozent"),
                   ("handel23.txt", "19 Prozent")) == {metric}
    assert figures[("handel23.txt", "19 Prozent")][1] == 2022  # bei der letzten Befragung


def test_the_previous_survey_dates_its_figure_a_year_earlier(figures) -> None:
    assert figures[("travel24.txt", "35%")][1] == 2023
    series = _metric(figures, ("travel24.txt", "35%"), ("travel24.txt", "29%"),
                     ("travel25.txt", "24%"))
    assert len(series) == 1
    somewhat = _metric(figures, ("travel24.txt", "44%"), ("travel25.txt", "47%"))
    assert len(somewhat) == 1 and not somewhat & series


def test_a_sub_group_is_not_the_whole_restated(figures) -> None:
    assert figures[("poll.txt", "61%")][0] != figures[("poll.txt", "54%")][0]


def test_a_ratio_and_its_exact_figure_are_one_metric(figures) -> None:
    assert figures[("poll.txt", "At least 7 in 10")][0] == figures[("poll.txt", "72%")][0]


def test_a_period_or_target_named_by_a_number_is_part_of_the_claim(figures) -> None:
    for one, two in ((("roads25.txt", "31%"), ("roads25.txt", "12%")),
                     (("mobil25.txt", "27 Prozent"), ("mobil25.txt", "9 Prozent")),
                     (("mobil25.txt", "35 Prozent"), ("mobil25.txt", "14 Prozent"))):
        assert figures[one][0] != figures[two][0]


def test_press_coverage_that_said_so_continues_its_figure(figures) -> None:
    metric, year, _ = figures[("press.txt", "47%")]
    assert year == 2022
    assert figures[("press.txt", "54%")][0] == metric


def test_labels_say_what_was_measured(figures) -> None:
    """No empty label, no ellipsis or quote mark, and no value of another figure of the
    sentence ("bewerten 8 Prozent mit sehr gut und 37 Prozent mit gut")."""
    for _, _, label in figures.values():
        text = label.split(":", 1)[-1].removesuffix("(de)").strip()
        assert text and "…" not in label and not set(label) & set("\"“”„«»"), label
        assert not re.search(r"\d\s?(?:%|Prozent)", label), label


def test_a_label_never_quotes_a_neighbour_figure() -> None:
    sentence = ("Die Arbeit der Stadtverwaltung bewerten 8 Prozent mit sehr gut und 37 Prozent "
                "mit gut.")
    nodes = attach_claims([make_node("gut", "d", "de", sentence, "37 Prozent", 37, 2024, at=0,
                                     population="residents")])
    label, _ = label_for(nodes)
    assert "8 Prozent" not in label and "Stadtverwaltung" in label
