"""The furniture of real reports is no finding: source and base lines, footnote markers
glued to figures, captions, a chart's axis ticks and its row of years over a row of
values, page numbers, running headers, stand dates, phone numbers, versions and legal
references, as a report copied out of a PDF or a web page carries them.

  no figure     axis ticks ("0% 20% 40% 60% 80% 100%", "%0 %25 %50 %75 %100"), "Seite 2
                von 8", "Page 3 of 14", "第3页 共12页", phone numbers, "Stand: 03/2024",
                "Version 2.1", "§ 4 Abs. 2", "Summe über 100 %" (extract/charts.py, the
                languages' figures.toml and cues.toml [negatives])
  a figure      "64 %¹", "41%*", "%38'i¹", "63%¹": the marker is not part of the value
  chart rows    "2021 2022 2023 2024 2025" over "55 % 57 % 59 % 64 % 67 %": each value is
                its year's, and the row is one measure (its caption's)
  sample        "Base: all employed adults (n=2,013)" and "Source: ..., n=1,987" are the
                survey's size, one sample with the other editions' (a caption above the
                base line is not its lead-in); a base line names whom the survey asked
  table rows    "Car 44%" under its caption heads no body figure of its value

The documents (tests/unseen_furniture/) are written for these tests: two editions each of
a German and an English survey, a Turkish and a Chinese one (fictional organisations and
figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_files import linked_corpus, linked_figures  # tests/ is on sys.path

from extract.charts import is_axis, is_year_row, row_years
from extract.segment import segment

CORPUS = Path(__file__).parent / "unseen_furniture"

# Every figure of the documents, in order: nothing else in them is one.
FIGURES = {
    "commute24.txt": ["2,013", "41%", "36%", "Nearly a third", "32%", "2,013", "46%", "29%",
                      "9%"],
    "commute25.txt": ["44%", "1,987", "44%", "31%", "10%"],
    "radwege24.txt": ["Knapp zwei Drittel", "64 %", "59 %", "48 %", "1.214", "37 %", "52 %",
                      "71 %", "Jeder fünfte", "21,5 %", "903"],
    "radwege25.txt": ["Zwei Drittel", "67 %", "51 %", "55 %", "57 %", "59 %", "64 %", "67 %",
                      "1.187"],
    "tasarruf24.txt": ["1.520", "%38", "%34", "yüzde 22"],
    "xiaofei24.txt": ["63%", "4个百分点", "近四成", "38%", "2,100", "58%", "27%"],
}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return linked_corpus(CORPUS, tmp_path_factory.mktemp("unseen-furniture"))


def _by_file(rows: list[tuple]) -> dict[str, list[tuple]]:
    found: dict[str, list[tuple]] = {}
    for name, *rest in rows:
        found.setdefault(name, []).append(tuple(rest))
    return found


def test_furniture_yields_no_figure_and_markers_leave_values_whole(warehouse: Path) -> None:
    rows = _by_file(linked_figures(warehouse, "o.value"))
    assert {name: [surface for surface, *_ in found] for name, found in rows.items()} == FIGURES
    values = {(name, surface): value for name, found in rows.items()
              for surface, _, value in found}
    assert values[("radwege24.txt", "64 %")] == 64  # "64 %¹"
    assert values[("radwege24.txt", "21,5 %")] == 21.5  # "21,5 %²"
    assert values[("tasarruf24.txt", "%38")] == 38  # "%38'i¹"
    assert values[("xiaofei24.txt", "63%")] == 63  # "63%¹"


def test_each_value_under_a_row_of_years_is_that_years_and_the_row_is_one_measure(
        warehouse: Path) -> None:
    rows = _by_file(linked_figures(warehouse, "o.year", "o.year_basis", "o.lead_in"))
    chart = rows["radwege25.txt"][3:8]
    assert [(surface, year) for surface, _, year, _, _ in chart] == [
        ("55 %", 2021), ("57 %", 2022), ("59 %", 2023), ("64 %", 2024), ("67 %", 2025)]
    assert {basis for *_, basis, _ in chart} == {"explicit"}
    assert len({metric for _, metric, *_ in chart}) == 1
    # the caption, not the row of years, is what the values measure
    assert {lead for *_, lead in chart} == {"Abb. 4: Anteil der wöchentlichen Radnutzung"}


def test_sample_sizes_in_base_and_source_lines_are_one_sample(warehouse: Path) -> None:
    rows = _by_file(linked_figures(warehouse, "o.lead_in", "m.label"))
    samples = [found for name in ("commute24.txt", "commute25.txt", "radwege24.txt",
                                  "radwege25.txt")
               for found in rows[name] if found[0] in ("2,013", "1,987", "1.214", "1.187")]
    assert len(samples) == 5  # ("Source: Commuter Pulse 2025, n=1,987": "n=" says it)
    assert len({metric for _, metric, _, _ in samples}) == 1
    assert {label for *_, label in samples} == {"survey responses"}
    assert {lead for _, _, lead, _ in samples} == {None}  # not an entry under "Abb. 3"


def test_a_table_row_heads_nothing_and_both_editions_link(warehouse: Path) -> None:
    rows = _by_file(linked_figures(warehouse))
    (home24, *_), (home25, _, car25, bus25, bike25) = (
        [metric for surface, metric in rows["commute24.txt"] if surface in ("41%", "46%")],
        [metric for _, metric in rows["commute25.txt"]])
    car24, bus24, bike24 = [metric for _, metric in rows["commute24.txt"][-3:]]
    assert car25 != home25  # "Car 44%" is not "44%* of commuters ..." again
    assert home24 == home25  # the base line names the survey's adults in 2025 too
    assert (car24, bus24, bike24) == (car25, bus25, bike25)


@pytest.mark.parametrize("line", ["0% 20% 40% 60% 80% 100%", "%0 %25 %50 %75 %100",
                                  "0 10 20 30 40 50", "| 0 % | 50 % | 100 % |"])
def test_a_line_of_evenly_rising_ticks_from_zero_is_an_axis(line: str) -> None:
    assert is_axis(line)


@pytest.mark.parametrize("line", ["55 % 57 % 59 % 64 % 67 %", "0 % 12 % 30 %", "20% 40% 60%",
                                  "Anteil 0% 20% 40%", "0% 50%"])
def test_findings_and_short_lines_are_no_axis(line: str) -> None:
    assert not is_axis(line)


def test_a_row_of_values_takes_the_years_of_the_row_above_it() -> None:
    text = "Anteil\n2022 2023 2024\n4 % 6 % 9 %\n\n2022 2023\nRuhe 41 %\n"
    segs = segment(text)
    years = {text[s.start:s.end]: found for s in segs
             if (found := row_years(text, segs).get(s.seg_no))}
    assert years == {"4 % 6 % 9 %": [2022, 2023, 2024]}  # "Ruhe 41 %" is no row of values
    assert is_year_row("| 2022 | 2023 |") and not is_year_row("Umfrage 2024")
