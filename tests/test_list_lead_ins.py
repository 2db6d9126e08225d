"""Figures in lists and tables under a heading or a lead-in line, across editions and
languages: "Ruhe: 41 %" alone says almost nothing; under "Warum Beschäftigte gern von zu
Hause arbeiten:" it is a reason for working from home.

  lead-in      a list item (and a short line with a figure: a table row) belongs to the
               last heading without a figure, or line ending in a colon, before it, with
               only items of its list in between (extract/segment.py `lead_ins`, decided
               at extract time and stored with the figure)
  one entry    the same item under the same lead-in in two editions is one metric (a trend)
  two entries  two items of one list, and one item word under two lead-ins ("Kosten" for
               and against; "选择" and "不选择"), never share a metric
  labels       "Top worries: Housing", in the source language, with no bullet or number

The documents (tests/unseen_lists/) are written for these tests: two editions each of a
German, Turkish, Chinese and English survey (fictional organisations and figures).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from corpus_files import manifest_entries, write_manifest  # tests/ is on sys.path
from link_nodes import make_node, metrics

from extract.claims import build_claim
from extract.segment import inline_lead_in, lead_ins, segment
from flows.pipeline import run_without_prefect
from warehouse import reconcile
from warehouse.labels import label_for
from warehouse.link_claims import attach_claims

CORPUS = Path(__file__).parent / "unseen_lists"

# --------------------------------------------------------------------------- lead-ins


def _lead_ins_of(text: str, figure_lines: set[str]) -> dict[str, str]:
    """item line -> its lead-in line, for a text whose `figure_lines` hold a figure."""
    segs = segment(text)
    body = {s.seg_no: text[s.start:s.end] for s in segs}
    with_figures = {n for n, line in body.items() if line in figure_lines}
    return {body[item]: body[lead] for item, lead in lead_ins(text, segs, with_figures).items()}


def test_an_item_belongs_to_the_line_that_opens_its_list() -> None:
    text = ("Umfrage 2025\n\nWir haben 800 Personen befragt.\n\n"
            "Gründe dafür:\n- Zeit: 50 %\n- Geld: 20 %\n\n"
            "Gründe dagegen\n\n- Geld: 30 %\n")
    found = _lead_ins_of(text, {"- Zeit: 50 %", "- Geld: 20 %", "- Geld: 30 %",
                                "Wir haben 800 Personen befragt."})
    assert found == {"- Zeit: 50 %": "Gründe dafür:", "- Geld: 20 %": "Gründe dafür:",
                     "- Geld: 30 %": "Gründe dagegen"}


def test_a_table_row_without_a_bullet_is_an_item_and_running_text_ends_a_list() -> None:
    text = ("Top worries\nHousing 41%\nHealth 25%\n\n"
            "Most people said the year ahead would be hard for them.\n- Savings: 12%\n")
    found = _lead_ins_of(text, {"Housing 41%", "Health 25%", "- Savings: 12%"})
    assert found == {"Housing 41%": "Top worries", "Health 25%": "Top worries"}


def test_a_list_number_is_no_number_of_the_claim_and_the_lead_in_words_are() -> None:
    item = "2. 费用更低 24.0%"
    claim = build_claim(item, item.index("24.0%"), len(item), "zh",
                        list_lead_in="选择远程办公的主要原因：")
    assert not any(word.startswith("#") for word in claim.words)
    assert {"费用", "原因", "远程"} <= claim.words and claim.clause == "费用更低 24.0%"


def _inline(sentence: str, surfaces: list[str]) -> str | None:
    """The lead-in of a list written inline in `sentence`, if any (its figures given)."""
    seg = segment(sentence)[0]
    spans = [(sentence.index(s), sentence.index(s) + len(s)) for s in surfaces]
    end = inline_lead_in(sentence, seg, spans)
    return None if end is None else sentence[:end]


def test_a_list_written_inline_after_a_colon_has_the_words_before_it_for_lead_in() -> None:
    assert _inline("Als Gründe nannten die Befragten: Zeitmangel (52 %), Kosten (17 %) und "
                   "fehlende Angebote (11 %).", ["52 %", "17 %", "11 %"]) == (
        "Als Gründe nannten die Befragten:")
    reasons = "主要原因：时间灵活（45.2%）、费用低（30.1%）。"
    assert _inline(reasons, ["45.2%", "30.1%"]) == "主要原因："
    # a figure with its comparison value, and bare figures, are no list of named entries
    assert _inline("Housing: 41% (2023: 38%)", ["41%", "38%"]) is None
    assert _inline("Die Anteile lagen so: 45 %, 38 % und 21 %.", ["45 %", "38 %", "21 %"]) is None
    assert _inline("Zeitmangel (52 %), Kosten (17 %).", ["52 %", "17 %"]) is None


def test_no_clause_of_an_inline_item_reaches_into_its_lead_in() -> None:
    sentence = "Als Gründe nannten die Befragten: Zeitmangel (52 %), Kosten (17 %)."
    first, second = (sentence.index(s) for s in ("52 %", "17 %"))
    claim = build_claim(sentence, first, first + 4, "de", ((second, second + 4),),
                        list_lead_in="Als Gründe nannten die Befragten:")
    assert claim.clause == "Zeitmangel (52 %)" and {"nennen", "zeitmangel"} <= claim.words


# --------------------------------------------------------------------------- the linker


def _item(obs_id: str, year: int, line: str, surface: str, value: float, lead_in: str,
          lang: str = "de"):
    return make_node(obs_id, f"survey-{year}", lang, line, surface, value, year,
                     population="employees", study="survey", edition=f"survey-{year}",
                     survey_year=year, lead_in=lead_in)


def test_one_entry_of_one_list_links_across_editions_and_no_other() -> None:
    why = "Warum Beschäftigte gern zu Hause arbeiten:"
    against = "Was gegen die Arbeit zu Hause spricht:"
    nodes = [_item("rest24", 2024, "- Ruhe: 41 %", "41 %", 41, why),
             _item("rest25", 2025, "- Ruhe: 44 %", "44 %", 44, why),
             _item("cost24", 2024, "- Kosten: 17 %", "17 %", 17, why),
             _item("cost25", 2025, "- Kosten: 19 %", "19 %", 19, why),
             _item("cost_against24", 2024, "- Kosten: 22 %", "22 %", 22, against),
             _item("cost_against25", 2025, "- Kosten: 27 %", "27 %", 27, against)]
    assert metrics(nodes) == {frozenset({"rest24", "rest25"}), frozenset({"cost24", "cost25"}),
                              frozenset({"cost_against24", "cost_against25"})}


def test_lead_ins_that_differ_in_a_function_word_or_a_negation_head_two_lists() -> None:
    for lang, one, two, low, high in (
            ("de", "Gründe für Homeoffice:", "Gründe gegen Homeoffice:",
             "- Kosten: 20 %", "- Kosten: 30 %"),
            ("zh", "选择远程办公的主要原因：", "不选择远程办公的主要原因：",
             "2. 费用更低 20%", "2. 费用更低 30%")):
        twenty, thirty = low[low.index("20"):], high[high.index("30"):]
        nodes = [_item("for24", 2024, low, twenty, 20, one, lang),
                 _item("for25", 2025, high, thirty, 30, one, lang),
                 _item("against24", 2024, high, thirty, 30, two, lang),
                 _item("against25", 2025, low, twenty, 20, two, lang)]
        assert metrics(nodes) == {frozenset({"for24", "for25"}),
                                  frozenset({"against24", "against25"})}, lang


def test_an_item_label_names_its_list() -> None:
    nodes = attach_claims([_item("housing", 2025, "• Housing – 41%", "41%", 41,
                                 "Top worries", "en")])
    label, _ = label_for(nodes)
    assert label == "employees: Top worries: Housing"


# --------------------------------------------------------------------------- the pipeline


Figure = tuple[str, str]  # (file, surface)


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict[Figure, tuple[str, str]]:
    """(file, surface) -> (metric id, label) of every figure, the documents run once
    through the real pipeline (no rendering); no conflict may appear."""
    base = tmp_path_factory.mktemp("unseen-lists")
    shutil.copytree(CORPUS, base / "corpus")
    run_without_prefect(str(base / "corpus"), str(base / "w.duckdb"), str(base / "site"),
                        publish=False)
    with duckdb.connect(str(base / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT metric, year, \"values\" FROM conflicts").fetchall() == []
        rows = con.execute(
            "SELECT s.path, o.surface, m.metric_id, m.label FROM metrics m"
            " JOIN metric_observations USING (metric_id) JOIN current_observations o USING"
            " (obs_id) JOIN current_documents d USING (doc_id) JOIN sources s USING"
            " (source_id)").fetchall()
    found = {}
    for path, surface, metric, label in rows:
        assert (Path(path).name, surface) not in found, f"{surface} is given twice in {path}"
        found[(Path(path).name, surface)] = (metric, label)
    return found


# The entries of each survey: (file, surface) of the 2024 and of the 2025 edition.
ENTRIES = {
    "de": [(("heimarbeit24.txt", "58 %"), ("heimarbeit25.txt", "62 %")),  # kein Arbeitsweg
           (("heimarbeit24.txt", "41 %"), ("heimarbeit25.txt", "44 %")),  # Ruhe (dafür)
           (("heimarbeit24.txt", "39 %"), ("heimarbeit25.txt", "35 %")),
           (("heimarbeit24.txt", "17 %"), ("heimarbeit25.txt", "19 %")),  # Kosten (dafür)
           (("heimarbeit24.txt", "36 %"), ("heimarbeit25.txt", "33 %")),
           (("heimarbeit24.txt", "22 %"), ("heimarbeit25.txt", "27 %")),  # Kosten (dagegen)
           (("heimarbeit24.txt", "9 %"), ("heimarbeit25.txt", "8 %"))],  # Ruhe (dagegen)
    "tr": [(("uygulama24.txt", "%88,4"), ("uygulama25.txt", "%90,1")),
           (("uygulama24.txt", "%42,5"), ("uygulama25.txt", "%45,0")),  # a list inline
           (("uygulama24.txt", "%38,1"), ("uygulama25.txt", "%39,9")),
           (("uygulama24.txt", "%27,6"), ("uygulama25.txt", "%25,2")),
           (("uygulama24.txt", "%61,0"), ("uygulama25.txt", "%63,4")),
           (("uygulama24.txt", "%57,3"), ("uygulama25.txt", "%59,8")),  # Bankacılık (used)
           (("uygulama24.txt", "%46,2"), ("uygulama25.txt", "%48,0")),  # Bankacılık (trusted)
           (("uygulama24.txt", "%31,5"), ("uygulama25.txt", "%29,7"))],
    "zh": [(("yuancheng24.txt", "57.2%"), ("yuancheng25.txt", "60.5%")),
           (("yuancheng24.txt", "71.3%"), ("yuancheng25.txt", "73.0%")),  # a list inline
           (("yuancheng24.txt", "64.8%"), ("yuancheng25.txt", "62.5%")),
           (("yuancheng24.txt", "40.2%"), ("yuancheng25.txt", "44.1%")),
           (("yuancheng24.txt", "33.8%"), ("yuancheng25.txt", "31.1%")),
           (("yuancheng24.txt", "21.4%"), ("yuancheng25.txt", "24.0%")),  # 费用更低 (选择)
           (("yuancheng24.txt", "44.6%"), ("yuancheng25.txt", "41.7%")),
           (("yuancheng24.txt", "12.9%"), ("yuancheng25.txt", "10.3%"))],  # 费用更低 (不选择)
    "en": [(("worries24.txt", "64%"), ("worries25.txt", "59%")),
           (("worries24.txt", "38%"), ("worries25.txt", "41%")),  # Housing (worry)
           (("worries24.txt", "27%"), ("worries25.txt", "25%")),  # Health (worry)
           (("worries24.txt", "45%"), ("worries25.txt", "43%")),  # Housing (priority)
           (("worries24.txt", "31%"), ("worries25.txt", "34%"))],  # Health (priority)
}


@pytest.mark.parametrize("lang", sorted(ENTRIES))
def test_each_entry_is_one_metric_across_editions_and_no_two_entries_share_one(
        figures: dict[Figure, tuple[str, str]], lang: str) -> None:
    metric_ids = []
    for old, new in ENTRIES[lang]:
        assert figures[old][0] == figures[new][0], (old, new)
        metric_ids.append(figures[old][0])
    assert len(set(metric_ids)) == len(metric_ids)


def test_labels_name_the_list_in_the_source_language(
        figures: dict[Figure, tuple[str, str]]) -> None:
    expected = {("heimarbeit24.txt", "22 %"): "Was aus Sicht der Beschäftigten gegen die Arbeit"
                " zu Hause spricht: Kosten (de)",
                ("uygulama24.txt", "%46,2"): "En çok güvenilen uygulamalar: Bankacılık (tr)",
                ("yuancheng24.txt", "12.9%"): "不选择远程办公的主要原因: 费用更低 (zh)",
                ("worries24.txt", "45%"): "Top spending priorities: Housing",
                ("yuancheng24.txt", "71.3%"): "受访者最常使用的办公软件: 视频会议 (zh)",
                ("yuancheng24.txt", "40.2%"): "受访者最常使用的办公软件: 在线文档 (zh)"}
    for key, label in expected.items():
        assert figures[key][1].split(": ", 1)[-1] == label or figures[key][1] == label, key
    for _, label in figures.values():
        assert "…" not in label and not set(label) & set("\"“”„«»•"), label
        assert not re.search(r"(?:^|: )\d+\.", label), label  # no list number


def test_a_table_header_row_is_no_lead_in_and_item_numbers_are_no_words() -> None:
    text = ("## Womit Berufstätige zur Arbeit fahren\n\n| Verkehrsmittel | Anteil |\n"
            "| Auto | 52 % |\n| Bahn | 23 % |\n")
    found = _lead_ins_of(text, {"| Auto | 52 % |", "| Bahn | 23 % |"})
    assert set(found.values()) == {"## Womit Berufstätige zur Arbeit fahren"}
    for item in ("1、地铁：46.5%", "（1）地铁：46.5%", "① 地铁：46.5%"):
        claim = build_claim(item, item.index("46.5%"), len(item), "zh")
        assert claim.clause.startswith("地铁") and not any(w.startswith("#") for w in claim.words)
    nodes = attach_claims([_item("car", 2025, "| Auto | 52 % |", "52 %", 52,
                                 "## Womit Berufstätige zur Arbeit fahren")])
    assert label_for(nodes)[0] == "employees: Womit Berufstätige zur Arbeit fahren: Auto (de)"


def _metric_members(con: duckdb.DuckDBPyConnection) -> dict[frozenset[str], tuple[str, str]]:
    rows = con.execute("SELECT list(obs_id), metric_id, any_value(label) FROM metric_observations"
                       " JOIN metrics USING (metric_id) GROUP BY metric_id").fetchall()
    return {frozenset(members): (metric_id, label) for members, metric_id, label in rows}


def test_a_new_edition_added_in_a_later_run_joins_its_lists_as_a_rebuild_does(tmp_path) -> None:
    """The 2025 editions, added to a warehouse that holds the 2024 ones, are linked by the
    incremental relink (it picks counterparts by their stored claim words, the lead-in's
    among them) into the metrics a rebuild makes."""
    entries = manifest_entries(CORPUS)
    corpus, warehouse = tmp_path / "corpus", tmp_path / "w.duckdb"
    corpus.mkdir()
    for year in (2024, 2025):
        chosen = [entry for entry in entries if entry["survey_year"] <= year]
        for entry in chosen:
            shutil.copy(CORPUS / entry["file"], corpus / entry["file"])
        write_manifest(corpus, chosen)
        summary = run_without_prefect(str(corpus), str(warehouse), str(tmp_path / "site"),
                                      publish=False)
    assert summary["reconciled"] == "extended"
    with duckdb.connect(str(warehouse)) as con:
        extended = _metric_members(con)
        con.execute("BEGIN")
        reconcile.rebuild(con, "rebuild-check")
        rebuilt = _metric_members(con)
        con.execute("ROLLBACK")
    assert extended == rebuilt
    assert sum(len(members) == 2 for members in extended) >= 28  # the entries of ENTRIES


def test_a_finding_of_its_own_in_a_list_takes_no_section_heading() -> None:
    """"Main points" says nothing of "- The employment rate was 74.6% in March": an item
    that is a sentence of its own keeps its claim (and its label) without it, and keeps
    the list going for the short entries after it."""
    text = ("Main points\n\n- The employment rate for people aged 16 to 64 was 74.6% in "
            "January to March.\n- Vacancies: 38,200\n")
    found = _lead_ins_of(text, {"- The employment rate for people aged 16 to 64 was 74.6% in "
                                "January to March.", "- Vacancies: 38,200"})
    assert found == {"- Vacancies: 38,200": "Main points"}


def test_an_item_label_names_its_list_without_the_editions_year() -> None:
    nodes = attach_claims([_item("net", 2024, "- İnternet kullanımı: %88,8", "%88,8", 88.8,
                                 "Hanehalkı Bilişim Araştırması, 2024", "tr")])
    assert label_for(nodes)[0] == (
        "employees: Hanehalkı Bilişim Araştırması: İnternet kullanımı (tr)")
    nodes = attach_claims([_item("worry", 2024, "• Housing – 41%", "41%", 41,
                                 "Top worries in 2024", "en")])
    assert label_for(nodes)[0] == "employees: Top worries: Housing"


@pytest.mark.parametrize(("lang", "text", "survey_year"), [
    ("de", "Anteil mit Elektroauto:\n- 2023: 6 %\n- 2024: 9 %\n", 2025),
    ("en", "Households with an electric car\n\n| Year | Share |\n| 2023 | 6% |\n| 2024 | 9% |\n",
     2025),
    ("tr", "Elektrikli otomobili olan hanelerin oranı:\n- 2023: %6\n- 2024: %9\n", 2025),
    ("zh", "拥有电动汽车的家庭比例：\n- 2023年：6%\n- 2024年：9%\n", 2025)])
def test_a_row_that_opens_with_its_year_dates_its_figure(lang: str, text: str,
                                                          survey_year: int) -> None:
    from extract.statistics import find_statistics  # (spaCy: imported where it is used)

    found = find_statistics(text, lang, survey_year)
    assert [(s.value, s.year, s.year_basis) for s in found] == [
        (6.0, 2023, "explicit"), (9.0, 2024, "explicit")]


def test_a_list_of_years_under_one_lead_in_is_one_series_across_editions(
        figures: dict[Figure, tuple[str, str]]) -> None:
    """"- 2022: 29 %", "- 2023: 32 %" under one lead-in (or a table's rows of years) are the
    lead-in's measure at those years: one metric with the next edition's rows, labelled by
    the lead-in alone."""
    for rows in ([("heimarbeit24.txt", "29 %"), ("heimarbeit24.txt", "32 %"),
                  ("heimarbeit24.txt", "37 %"), ("heimarbeit25.txt", "32 %"),
                  ("heimarbeit25.txt", "37 %"), ("heimarbeit25.txt", "40 %")],
                 [("worries24.txt", "71%"), ("worries24.txt", "68%"),
                  ("worries25.txt", "68%"), ("worries25.txt", "66%")]):
        assert len({figures[row][0] for row in rows}) == 1, rows
    assert figures[("worries25.txt", "66%")][1] == "adults: Expect prices to keep rising"


def test_prose_after_a_colon_is_no_list() -> None:
    sentence = ("Die Stimmung bleibt positiv: 82 Prozent sehen in der Technik vor allem eine "
                "Chance, nur 14 Prozent in erster Linie ein Risiko.")
    assert _inline(sentence, ["82 Prozent", "14 Prozent"]) is None
    sentence = "Was am Pendeln stört: 41 % Staus, 30 % Baustellen und 12 % volle Züge."
    assert _inline(sentence, ["41 %", "30 %", "12 %"]) == "Was am Pendeln stört:"
    sentence = ("总体来看态度积极：80%的受访企业认为这项技术主要意味着机遇，"
                "只有15%主要将其视为风险。")
    assert _inline(sentence, ["80%", "15%"]) is None
