"""Long-running surveys polystat has never seen, broken down into many groups (youth,
media use, employees, mobility; de/en/tr/zh; three yearly editions each), class by class:

  referents    "Among parents the figure was 33%" claims what the sentence before it
               claimed (podcast listening), of parents: two such figures of two editions
               whose sentences before them claim other things ("paid for online news")
               are two measures, however alike their own words
  new wording  a figure whose edition says its question was newly worded ("On the new
               wording, 39% ...", "Die Frage wurde neu gestellt", "ilk kez sorulan",
               "口径调整") never joins the series of the old question
  parenthood   "ohne Kinder", "without children", "çocuğu olmayan", "没有孩子的" are the
               survey's non-parents, not its children or its parents; "çocuğu olan
               çalışanlar" are parents, "üniversite mezunları" graduates
  regions      "In Ostdeutschland liegt der Anteil bei 39 Prozent", "in Bayern sogar 57
               Prozent", "中心城区受访者……18.6%": a part of the survey's group
               (`east_germany_respondents`), never the band of the sentence before nor the
               whole's group
  press year   a press release listed without a survey year whose title names none dates
               its figures by the fieldwork its text names ("Die im Frühjahr 2025
               durchgeführte Befragung")
  series       bands, generations and the whole each form their own series across the
               editions; a previous value restated by the next edition ("nach 44 Prozent im
               Vorjahr", "上年为51.3%", "geçen yıl bu oran %51 idi") is dated the year
               before and, when it equals the old edition's figure, is no conflict

The documents (tests/unseen_groups2/) are written for these tests in the phrasing of real
reports of such surveys; every organisation, sentence and figure is made up. The first part
checks the linker on plain records; the second runs the real pipeline.
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

from extract.citations import fieldwork_year
from extract.claims import NEW_WORDING_MARK, build_claim
from warehouse.link_claims import Node

# --------------------------------------------------------------------------- the linker


def _edition(year: int, sentences: list[tuple[str, str, float]]) -> list[Node]:
    """One edition of a yearly media survey: its sentences, each with one figure
    (sentence, surface, value), one after the other in its document."""
    nodes, at = [], 0
    for sentence, surface, value in sentences:
        nodes.append(make_node(f"{year}:{surface}", f"media-{year}", "en", sentence, surface,
                               value, year, at=at, study="media", edition=f"media-{year}",
                               survey_year=year))
        at += len(sentence) + 1
    return nodes


PARENTS = "Among parents of young children the figure was {}."


def test_figures_that_refer_back_to_other_measures_are_two_measures() -> None:
    """The same words after other sentences: podcast listening of parents in one edition,
    paying for news of parents in the next."""
    old = _edition(2023, [("Podcasts were heard every week by 27% of adults.", "27%", 27.0),
                          (PARENTS.format("33%"), "33%", 33.0)])
    new = _edition(2025, [("Some 16% of adults paid for online news.", "16%", 16.0),
                          (PARENTS.format("21%"), "21%", 21.0)])
    assert not any({"2023:33%", "2025:21%"} <= metric for metric in metrics(old + new))


def test_figures_that_refer_back_to_one_measure_still_link() -> None:
    old = _edition(2023, [("Podcasts were heard every week by 27% of adults.", "27%", 27.0),
                          (PARENTS.format("33%"), "33%", 33.0)])
    new = _edition(2024, [("Podcasts were heard every week by 30% of adults.", "30%", 30.0),
                          (PARENTS.format("36%"), "36%", 36.0)])
    assert any({"2023:33%", "2024:36%"} <= metric for metric in metrics(old + new))


def test_a_newly_worded_question_starts_its_own_series() -> None:
    old = _edition(2023, [("Podcasts were heard every week by 27% of adults.", "27%", 27.0)])
    reworded = _edition(2025, [("On the new wording, podcasts were heard every week by 39% "
                                "of adults.", "39%", 39.0)])
    same = _edition(2024, [("Podcasts were heard every week by 30% of adults.", "30%", 30.0)])
    found = metrics(old + reworded + same)
    assert frozenset({"2023:27%", "2024:30%"}) in found
    assert frozenset({"2025:39%"}) in found


@pytest.mark.parametrize(("sentence", "surface", "lang"), [
    ("Die Frage wurde neu gestellt: Täglich lesen 66 Prozent Nachrichten.", "66 Prozent",
     "de"),
    ("On the new wording, 39% of adults listened every week.", "39%", "en"),
    ("Bu yıl ilk kez sorulan soruya göre çalışanların %28'i yapay zekâ kullanıyor.", "%28",
     "tr"),
    ("因口径调整，今年通勤时间超过45分钟的比例为17.2%，与往年不可比。", "17.2%", "zh"),
])
def test_a_sentence_saying_its_question_is_new_marks_its_claim(sentence: str, surface: str,
                                                               lang: str) -> None:
    start = sentence.index(surface)
    assert NEW_WORDING_MARK in build_claim(sentence, start, start + len(surface), lang).words
    plain = "Täglich lesen 66 Prozent Nachrichten." if lang == "de" else ""
    if plain:
        at = plain.index(surface)
        assert NEW_WORDING_MARK not in build_claim(plain, at, at + len(surface), lang).words


@pytest.mark.parametrize(("text", "lang", "year"), [
    ("Die im Herbst 2024 durchgeführte Umfrage unter 1.200 Pendlern zeigt: 41 Prozent ...",
     "de", 2024),
    ("The survey was conducted between May and June 2023 among 2,400 commuters.", "en", 2023),
    ("Kurum tarafından 2025 yılı nisan ayında gerçekleştirilen araştırmaya göre", "tr", 2025),
    ("本次调查于2024年5月开展，共回收有效问卷1800份。", "zh", 2024),
    ("Die Studie erscheint seit 2019 jährlich; 41 Prozent der Pendler ...", "de", None),
    ("Die im Frühjahr 2024 durchgeführte Befragung und die im Frühjahr 2025 durchgeführte "
     "Befragung", "de", None),  # two fieldwork years: none is the document's
])
def test_the_fieldwork_year_a_text_names(text: str, lang: str, year: int | None) -> None:
    assert fieldwork_year(text, lang) == year


# --------------------------------------------------------------------------- the pipeline

CORPUS = Path(__file__).parent / "unseen_groups2"  # the documents and their manifest

Figure = tuple[str, str, int]  # (file, surface, which occurrence of the surface: 0, 1, ...)
Found = tuple[str, int | None, str | None]  # metric id, year, group


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The twelve editions run once through the real pipeline (no rendering)."""
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-groups2"))


@pytest.fixture(scope="module")
def figures(warehouse: Path) -> dict[Figure, Found]:
    return figures_by_occurrence(warehouse, "o.year", "o.population")


def _one(figures: dict[Figure, Found], file: str, surface: str, seen: int = 0) -> Found:
    return figures[(file, surface, seen)]


def test_a_subgroup_after_another_measure_is_not_that_groups_trend(figures) -> None:
    """Parents' podcast listening (2023) and parents paying for news (2025)."""
    assert _one(figures, "media23.txt", "33%")[0] != _one(figures, "media25.txt", "21%")[0]


def test_a_reworded_question_keeps_out_of_the_old_series(figures) -> None:
    reworded = _one(figures, "media25.txt", "39%")[0]
    assert reworded not in {_one(figures, "media23.txt", "27%")[0],
                            _one(figures, "media24.txt", "30%")[0]}
    news = _one(figures, "jugend25.txt", "66 Prozent")[0]
    assert news not in {_one(figures, "jugend23.txt", "58 Prozent")[0],
                        _one(figures, "jugend24.txt", "55 Prozent")[0]}


def test_parents_and_non_parents(figures) -> None:
    assert _one(figures, "media23.txt", "33%")[2] == "parents"
    assert _one(figures, "media23.txt", "25%")[2] == "non_parents"
    assert _one(figures, "jugend23.txt", "47 Prozent")[2] == "parents"
    assert _one(figures, "jugend23.txt", "29 Prozent")[2] == "non_parents"
    assert _one(figures, "calisan23.txt", "%71")[2] == "parents"
    assert _one(figures, "calisan24.txt", "%73")[2] == "parents"
    assert _one(figures, "calisan23.txt", "%34")[2] == "graduates"


def test_the_whole_and_its_bands_form_series_of_their_own(figures) -> None:
    for series in ((("chuxing23.txt", "42.5%"), ("chuxing24.txt", "44.1%"),
                    ("chuxing25.txt", "45.0%")),
                   (("chuxing23.txt", "51.3%"), ("chuxing24.txt", "53.0%"),
                    ("chuxing25.txt", "54.2%")),
                   (("calisan23.txt", "%46"), ("calisan24.txt", "%43"),
                    ("calisan25.txt", "%40")),
                   (("media23.txt", "Sixty-two per cent"), ("media24.txt", "65%"),
                    ("media25.txt", "67%"))):
        assert len({_one(figures, *figure)[0] for figure in series}) == 1, series
    whole, under_35 = _one(figures, "chuxing23.txt", "42.5%"), _one(figures, "chuxing23.txt",
                                                                    "51.3%")
    assert whole[0] != under_35[0] and under_35[2] == "residents_aged_under_35"
    assert _one(figures, "calisan23.txt", "%46")[2] == "employees_aged_18_24"


def test_regions_are_parts_of_the_surveys_group(figures) -> None:
    """The band of the sentence before ("bei den 18- bis 29-Jährigen 49 Prozent. In
    Ostdeutschland liegt der Anteil bei 39 Prozent") is not the region's."""
    for file, surface, group in (("jugend23.txt", "39 Prozent", "east_germany_respondents"),
                                 ("jugend23.txt", "45 Prozent", "west_germany_respondents"),
                                 ("jugend25.txt", "47 Prozent", "east_germany_respondents"),
                                 ("jugend25.txt", "57 Prozent", "bavaria_respondents"),
                                 ("chuxing23.txt", "18.6%", "central_districts_residents"),
                                 ("chuxing23.txt", "27.4%", "suburbs_residents")):
        assert _one(figures, file, surface)[2] == group, (file, surface)
    assert _one(figures, "jugend24.txt", "44 Prozent", 1)[2] == "east_germany_respondents"
    assert _one(figures, "jugend23.txt", "45 Prozent")[0] == _one(figures, "jugend24.txt",
                                                                  "52 Prozent")[0]
    assert _one(figures, "jugend23.txt", "39 Prozent")[0] != _one(figures, "jugend23.txt",
                                                                  "44 Prozent")[0]
    assert _one(figures, "jugend23.txt", "58 Prozent")[2] is None  # "der jungen Menschen"


def test_a_press_release_takes_the_year_of_its_fieldwork(figures) -> None:
    assert _one(figures, "jugend25.txt", "53 Prozent")[1] == 2025
    assert _one(figures, "jugend25.txt", "51 Prozent")[1] == 2024  # "im Vorjahr"
    assert _one(figures, "jugend25.txt", "53 Prozent")[0] == _one(figures, "jugend23.txt",
                                                                  "44 Prozent")[0]


def test_the_surveys_band_is_kept_in_every_edition(figures) -> None:
    """"18-34 yaş arasındaki 1.800 çalışanla görüşüldü": the shares of the employees asked
    are of that band in every edition, so the editions make one trend."""
    whole = {_one(figures, file, surface) for file, surface in (
        ("calisan23.txt", "yüzde 48"), ("calisan24.txt", "yüzde 51"), ("calisan25.txt", "%53"))}
    assert {(found[0], found[2]) for found in whole} == {
        (next(iter(whole))[0], "employees_aged_18_34")}


def test_previous_values_are_dated_the_year_before(figures) -> None:
    assert _one(figures, "jugend24.txt", "44 Prozent")[1] == 2023
    assert _one(figures, "jugend24.txt", "49 Prozent")[1] == 2023
    assert _one(figures, "media24.txt", "62%")[1] == 2023
    assert _one(figures, "calisan25.txt", "%51")[1] == 2024
    assert _one(figures, "chuxing24.txt", "51.3%")[1] == 2023
    # the restated value equals the old edition's: one metric, one point
    assert _one(figures, "chuxing24.txt", "51.3%")[0] == _one(figures, "chuxing23.txt",
                                                              "51.3%")[0]


def test_the_one_true_conflict_and_no_false_one(warehouse: Path) -> None:
    """The only two values of one measure, year and study that disagree are the 2024 daily
    online news use: 65% in its own edition, 61% as the 2025 edition restates it. Values
    restated as they were ("上年为51.3%", "(2023: 27%)") are none."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("SELECT year, \"values\" FROM conflicts").fetchall()
    assert rows == [(2024, [61.0, 65.0])]
