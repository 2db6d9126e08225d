"""Health releases and surveys (sick days of an insurer's members, a state office's smoking
release, a student wellbeing survey, a provincial health survey, a provincial monitoring
bulletin) and press coverage of them in another language, class by class:

  sex of a group     "Female students (41%) ... male students (26%)", "männliche Beschäftigte
                     (13,1 %)", "erkek çalışanlara (%26)", "女性受访者（41%）比男性受访者（26%）":
                     the whole group word before the parenthesis is the figure's (a sex of the
                     survey's people: `female_students`), and "比男性受访者" after a Chinese
                     figure is what it is compared with, not its group
  rates per 100,000  "412 Fälle je 100.000 Einwohner", "Je 100 Versicherte wurden 212
                     Krankmeldungen", "per 100,000 people", "her 100 bin kişide 188",
                     "每十万人41.2例": a rate per thousand or more has no unit and is no count
  bands after groups "der Bevölkerung ab 15 Jahren", "der Männer im Alter von 20 bis 24
                     Jahren", "of internet users aged 16 to 24": the band narrows the group
  back-references    "Vier Jahre zuvor hatte der Anteil noch bei 21,0 % gelegen": the earlier
                     year of the measure before it
  cited editions     "Das geht aus dem Student Wellbeing Survey 2025 des X hervor": the
                     coverage's study and survey year, so it links to the English release

The documents (tests/unseen_health/) are written for these tests; every insurer, office,
trust, province, sentence and figure is made up.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from corpus_files import figures_by_occurrence, linked_corpus, linked_figures

from extract.citations import citations
from extract.statistics import find_statistics

CORPUS = Path(__file__).parent / "unseen_health"

# Every figure of the documents, in order: no rate per 100,000 and no count of "Je 100".
FIGURES = {
    "anatolia_press.txt": ["One in five", "9,840", "22.4%", "20.3%", "26.1%", "18.7%", "29.6%",
                           "42.5%", "16.9%"],
    "fehlzeiten23.txt": ["5,4 Prozent", "0,3 Prozentpunkte", "1,2 Millionen", "2.104",
                         "16,2 Prozent", "19,4 %", "13,1 %", "17,5 Prozent", "38 Prozent",
                         "46 Prozent"],
    "fehlzeiten24.txt": ["5,2 Prozent", "5,4 Prozent", "1,3 Millionen", "2.057", "17,0 Prozent",
                         "20,3 %", "13,6 %", "18,1 Prozent", "41 Prozent", "49 Prozent"],
    "jiankang24.txt": ["12,360", "24.7%", "1.9个百分点", "47.2%", "2.3%", "31.5%", "2.4个百分点",
                       "36.8%", "25.9%", "52.6%", "18.4%", "3.5%"],
    "rauchen_land24.txt": ["Knapp jede fünfte", "19,3 %", "21,0 %", "23,4 %", "15,2 %", "27,8 %",
                           "9,6 %", "58 %", "21.000"],
    "saglik22.txt": ["%22,4", "9 bin 840", "%20,3", "%22,4", "%26,1", "%18,7", "%29,6", "2,1 puan",
                     "%42,5", "%16,9", "%21,3", "%31,8"],
    "studierende_presse.txt": ["Mehr als ein Drittel", "3.580", "37 Prozent", "44 Prozent",
                               "28 Prozent", "31 Prozent", "29 Prozent"],
    "wellbeing24.txt": ["3,412", "Just over a third", "34%", "41%", "26%", "29%", "25%", "38%",
                        "17%", "Half", "50%"],
    "wellbeing25.txt": ["3,580", "More than a third", "37%", "44%", "28%", "31%", "29%", "35%",
                        "21%", "Almost half", "48%"],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-health"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict[tuple[str, str, int], tuple]:
    """(file, surface, occurrence) -> (metric, population, year, year_basis)."""
    return figures_by_occurrence(warehouse, "o.population", "o.year", "o.year_basis")


def _metric(figures: dict, name: str, surface: str, seen: int = 0) -> str:
    return figures[(name, surface, seen)][0]


def test_every_figure_and_no_rate_per_hundred_thousand(warehouse: Path) -> None:
    found: dict[str, list[str]] = {}
    for name, surface, _ in linked_figures(warehouse):
        found.setdefault(name, []).append(surface)
    assert found == FIGURES


@pytest.mark.parametrize(("name", "surface", "population"), [
    ("wellbeing24.txt", "41%", "female_students"),
    ("wellbeing24.txt", "26%", "male_students"),
    ("wellbeing25.txt", "44%", "female_students"),
    ("wellbeing25.txt", "28%", "male_students"),
    ("wellbeing25.txt", "37%", "students"),
    ("fehlzeiten23.txt", "19,4 %", "female_employees"),
    ("fehlzeiten23.txt", "13,1 %", "male_employees"),
    ("fehlzeiten23.txt", "17,5 Prozent", "east_germany_employees"),
    ("fehlzeiten24.txt", "49 Prozent", "employees_aged_18_29"),
    ("rauchen_land24.txt", "19,3 %", "people_aged_15_plus"),
    ("rauchen_land24.txt", "21,0 %", "people_aged_15_plus"),
    ("rauchen_land24.txt", "23,4 %", "men"),
    ("rauchen_land24.txt", "15,2 %", "women"),
    ("rauchen_land24.txt", "27,8 %", "people_aged_25_34"),
    ("rauchen_land24.txt", "9,6 %", "people_aged_65_plus"),
    ("saglik22.txt", "%26,1", "women_aged_15_plus"),
    ("saglik22.txt", "%42,5", "men_aged_15_plus"),
    ("saglik22.txt", "%21,3", "individuals_aged_15_24"),
    ("saglik22.txt", "%31,8", "individuals_aged_65_plus"),
    ("jiankang24.txt", "47.2%", "men_aged_15_plus"),
    ("jiankang24.txt", "2.3%", "women_aged_15_plus"),
    ("jiankang24.txt", "36.8%", "urban_residents"),
    ("jiankang24.txt", "52.6%", "residents_aged_65_plus"),
    ("anatolia_press.txt", "26.1%", "women"),
    ("anatolia_press.txt", "18.7%", "men"),
])
def test_groups(figures: dict, name: str, surface: str, population: str) -> None:
    assert figures[(name, surface, 0)][1] == population


@pytest.mark.parametrize(("name", "surface", "seen", "year", "basis"), [
    ("rauchen_land24.txt", "19,3 %", 0, 2024, "explicit"),
    ("rauchen_land24.txt", "21,0 %", 0, 2020, "explicit"),  # "Vier Jahre zuvor"
    ("fehlzeiten24.txt", "5,4 Prozent", 0, 2023, "explicit"),  # "im Vorjahr"
    ("wellbeing24.txt", "25%", 0, 2023, "explicit"),
    ("wellbeing25.txt", "29%", 0, 2024, "explicit"),  # "last year"
    ("saglik22.txt", "%20,3", 0, 2019, "explicit"),
    ("anatolia_press.txt", "20.3%", 0, 2019, "explicit"),
    # coverage listed without a survey year: the edition its citation names
    ("studierende_presse.txt", "37 Prozent", 0, 2025, "edition"),
    ("studierende_presse.txt", "29 Prozent", 0, 2024, "explicit"),
])
def test_years(figures: dict, name: str, surface: str, seen: int, year: int,
               basis: str) -> None:
    assert figures[(name, surface, seen)][2:] == (year, basis)


@pytest.mark.parametrize(("surface23", "surface24"), [
    ("5,4 Prozent", "5,2 Prozent"), ("16,2 Prozent", "17,0 Prozent"), ("19,4 %", "20,3 %"),
    ("13,1 %", "13,6 %"), ("17,5 Prozent", "18,1 Prozent"), ("38 Prozent", "41 Prozent"),
    ("46 Prozent", "49 Prozent")])
def test_the_insurers_editions_link_each_measure(figures: dict, surface23: str,
                                                 surface24: str) -> None:
    assert (_metric(figures, "fehlzeiten23.txt", surface23)
            == _metric(figures, "fehlzeiten24.txt", surface24))


def test_the_survey_editions_link_each_measure_and_keep_parts_apart(figures: dict) -> None:
    pairs = [("34%", "37%"), ("41%", "44%"), ("26%", "28%"), ("29%", "31%"), ("38%", "35%"),
             ("17%", "21%"), ("50%", "48%")]
    metrics = []
    for old, new in pairs:
        metric = _metric(figures, "wellbeing24.txt", old)
        assert metric == _metric(figures, "wellbeing25.txt", new), (old, new)
        metrics.append(metric)
    assert len(set(metrics)) == len(pairs)  # women, men and everyone are three measures
    # "up from 25% in 2023" and "up from 29% last year" continue their measure
    assert _metric(figures, "wellbeing24.txt", "25%") == metrics[3]
    assert _metric(figures, "wellbeing25.txt", "29%") == metrics[3]


def test_a_back_reference_continues_the_measure_before_it(figures: dict) -> None:
    name = "rauchen_land24.txt"
    assert _metric(figures, name, "19,3 %") == _metric(figures, name, "21,0 %")
    assert _metric(figures, name, "23,4 %") != _metric(figures, name, "15,2 %")


def test_german_coverage_of_the_english_survey_links_to_its_figures(figures: dict) -> None:
    press, survey = "studierende_presse.txt", "wellbeing25.txt"
    for german, english in [("37 Prozent", "37%"), ("31 Prozent", "31%"),
                            ("29 Prozent", "29%")]:
        assert _metric(figures, press, german) == _metric(figures, survey, english), german
    assert _metric(figures, press, "44 Prozent") != _metric(figures, survey, "28%")
    assert _metric(figures, press, "28 Prozent") != _metric(figures, survey, "44%")


def test_one_document_never_gives_two_values_of_one_measure_for_one_year(
        warehouse: Path) -> None:
    """A sentence's figures of women and men, of a level and its change, or of two
    findings are never one measure: only a value and its gloss ("Half" of "50%") are."""
    seen: dict[tuple[str, str, int], set[float]] = {}
    for name, _, metric, value, year, label, qualifier in linked_figures(
            warehouse, "round(o.value)", "o.year", "m.label", "o.qualifier"):
        if label != "survey responses" and qualifier == "exact":  # ("Just over a third")
            seen.setdefault((name, metric, year), set()).add(value)
    assert {key: found for key, found in seen.items() if len(found) > 1} == {}


def test_no_conflicts_and_one_sample_metric(warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM conflicts").fetchone() == (0,)
    samples = [(name, metric, label) for name, surface, metric, label
               in linked_figures(warehouse, "m.label")
               if surface in ("2.104", "2.057", "3,412", "3,580", "3.580", "9 bin 840",
                              "12,360", "21.000", "9,840")]
    assert len(samples) == 9
    assert {label for *_, label in samples} == {"survey responses"}


# --------------------------------------------------------------------------- units


@pytest.mark.parametrize(("text", "lang", "name", "year"), [
    ("Das geht aus dem Student Wellbeing Survey 2025 des Harrowgate Student Health Trust "
     "hervor.", "de", "student wellbeing survey", 2025),
    ("Das geht aus einer Befragung der Kranichkasse hervor.", "de", "kranichkasse", None),
    ("One in five adults is obese, according to the latest health survey of the Northern "
     "Anatolia Statistics Office.", "en", "northern anatolia statistics office", None),
])
def test_coverage_names_the_survey_it_cites(text: str, lang: str, name: str,
                                            year: int | None) -> None:
    assert [(c.name, c.year) for c in citations(text, lang)] == [(name, year)]


@pytest.mark.parametrize(("text", "lang"), [
    ("A survey of the American public found that 40% trust their doctor.", "en"),
    ("Das geht aus dem Bericht hervor, den das Amt vorlegte.", "de"),
])
def test_whom_a_survey_asked_and_a_bare_report_are_no_citation(text: str, lang: str) -> None:
    assert citations(text, lang) == []


@pytest.mark.parametrize(("text", "lang"), [
    ("Female students (41%) were more likely than male students (26%) to say so.", "en"),
    ("Weibliche Beschäftigte (41 %) nannten das häufiger als männliche Beschäftigte (26 %).",
     "de"),
    ("Kadın çalışanlar (%41) erkek çalışanlara (%26) göre bunu daha sık söyledi.", "tr"),
    ("女性受访者（41%）比男性受访者（26%）更常这样认为。", "zh"),
])
def test_each_sex_before_its_parenthesis_is_its_figures(text: str, lang: str) -> None:
    stats = find_statistics(text, lang, 2024)
    assert [(s.value, s.population) for s in stats] == [(41, "women"), (26, "men")]
