"""Over-linking on the phrasing of real reports, class by class: two waves of one study
fielded in one year (monthly releases, polls a fortnight apart), a sub-sample the text
names as a part of the whole, one topic word shared by findings of two studies, and a
thin clause that would borrow its neighbour's subject. Small records, no database;
sentences are written for these tests."""

from __future__ import annotations

from link_nodes import make_node, metrics  # tests/ is on sys.path

from extract.claims import build_claim, names_a_part
from warehouse.labels import label_for
from warehouse.link_claims import Node, attach_claims
from warehouse.link_rules import score_pair
from warehouse.link_samples import sample_keys


def _node(obs_id: str, doc: str, lang: str, sentence: str, surface: str, value: float,
          year: int, *, edition: str, survey_year: int, unit: str = "percent",
          population: str | None = "people", study: str | None = None,
          concepts: frozenset[str] = frozenset(), at: int | None = None) -> Node:
    return make_node(obs_id, doc, lang, sentence, surface, value, year, at=at, unit=unit,
                population=population, concepts=concepts,
                study=study or edition.rsplit("-", 1)[0], edition=edition,
                survey_year=survey_year)


_metrics = metrics


# --------------------------------------------------------------------------- waves


def _two_waves(study: str, unit: str, population: str,
               *figures: tuple[str, str, str, str, float]) -> list[Node]:
    """One German figure from each of two editions of `study` fielded in 2025:
    (id, document, sentence, surface, value) each."""
    return [_node(obs, doc, "de", sentence, surface, value, 2025, unit=unit,
                  population=population, edition=f"{study}-{wave}", study=study,
                  survey_year=2025)
            for wave, (obs, doc, sentence, surface, value) in enumerate(figures, start=1)]


def test_two_monthly_releases_of_one_year_are_two_periods_not_a_conflict() -> None:
    """The March and the April release of a price index give their month's rate in the
    same words; both are dated to the year, so linking them would make a conflict."""
    march = "Die Mietpreise stiegen im Vergleich zum Vorjahresmonat um 4,1 %."
    april = "Die Mietpreise stiegen im Vergleich zum Vorjahresmonat um 3,6 %."
    nodes = _two_waves("mieten", "percent_change", "people",
                       ("mar", "d-03", march, "4,1 %", 4.1), ("apr", "d-04", april, "3,6 %", 3.6))
    assert _metrics(nodes) == {frozenset({"mar"}), frozenset({"apr"})}
    assert score_pair(nodes[0], nodes[1], {}) is None


def test_two_polls_of_one_year_give_one_share_the_same_value_and_may_link() -> None:
    sentence = "Die Grünen kämen unverändert auf 12 Prozent der Stimmen."
    nodes = _two_waves("wahltrend", "percent", "voters",
                       ("w1", "poll-1", sentence, "12 Prozent", 12),
                       ("w2", "poll-2", sentence, "12 Prozent", 12))
    assert _metrics(nodes) == {frozenset({"w1", "w2"})}


def test_an_earlier_year_restated_differently_by_two_editions_still_links() -> None:
    """Editions of two survey years that give the earlier year two values are one claim
    restated differently (a conflict the reader should see), not two waves."""
    old = "In 2023, 31% of farms used drones to inspect their fields."
    new = "In 2023, 34% of farms used drones to inspect their fields, and in 2024, 40%."
    nodes = [_node("old", "e23", "en", old, "31%", 31, 2023, population="farms",
                   edition="agri-tech-2023", survey_year=2023),
             _node("new", "e24", "en", new, "34%", 34, 2023, population="farms",
                   edition="agri-tech-2024", survey_year=2024)]
    assert score_pair(*attach_claims(nodes), {}) is not None


def test_each_wave_of_a_study_in_one_year_has_a_sample_of_its_own() -> None:
    """Two polls a fortnight apart asked 1,310 and 1,240 voters: two samples, not one
    sample given two sizes (a conflict of one study and year)."""
    first = "Für die Umfrage wurden 1.310 Wahlberechtigte befragt."
    second = "Für die Umfrage wurden 1.240 Wahlberechtigte befragt."
    earlier = "For the survey, 990 farmers were interviewed."
    later = "For the survey, 1,020 farmers were interviewed."
    nodes = attach_claims([
        _node("p1", "poll-1", "de", first, "1.310", 1310, 2025, unit="count",
              population="voters", edition="wahltrend-1", study="wahltrend", survey_year=2025),
        _node("p2", "poll-2", "de", second, "1.240", 1240, 2025, unit="count",
              population="voters", edition="wahltrend-2", study="wahltrend", survey_year=2025),
        _node("a23", "a-23", "en", earlier, "990", 990, 2023, unit="count",
              population="farmers", edition="agri-tech-2023", survey_year=2023),
        _node("a24", "a-24", "en", later, "1,020", 1020, 2024, unit="count",
              population="farmers", edition="agri-tech-2024", survey_year=2024)])
    keys = sample_keys(nodes)
    assert keys["p1"] != keys["p2"]
    assert keys["a23"] == keys["a24"]  # editions of other years: one measure, a trend


# --------------------------------------------------------------------------- sub-samples


def test_a_part_of_the_sample_read_as_the_same_group_is_no_second_size() -> None:
    """"其中" makes the 560 a part of the 2,480 people asked, even when both were read as
    the same group: two measures, never one sample given two sizes."""
    sentence = "本次调查共访问了2480名市民，其中退休人员560名。"
    whole_at = sentence.index("2480")
    part_at = sentence.index("560")
    nodes = attach_claims([
        _node("whole", "d", "zh", sentence, "2480", 2480, 2025, unit="count",
              population="residents", edition="shimin-2025", survey_year=2025, at=0),
        _node("part", "d", "zh", sentence, "560", 560, 2025, unit="count",
              population="residents", edition="shimin-2025", survey_year=2025, at=0)])
    assert nodes[0].start == whole_at and nodes[1].start == part_at
    assert nodes[1].sub_sample and not nodes[0].sub_sample
    keys = sample_keys(nodes)
    assert keys["whole"] != keys["part"]
    assert _metrics(nodes) == {frozenset({"whole"}), frozenset({"part"})}


def test_a_part_word_after_the_count_does_not_make_it_a_part() -> None:
    assert names_a_part("davon 210 aus dem Handwerk", "210", "de")
    assert names_a_part("including 300 nurses", "300", "en")
    assert not names_a_part("in 9 countries, including Spain and Italy", "9", "en")


# --------------------------------------------------------------------------- topics


def _remote_work_pair(en: str, surface: str, value: float, en_edition: str) -> list:
    """A Turkish survey's "prefer remote work" (2024) beside an English figure of 2025 that
    shares only the topic."""
    tr = "Çalışanların yüzde 58'i uzaktan çalışmayı tercih ediyor."
    remote = frozenset({"remote_work"})
    return [_node("tr", "d-tr", "tr", tr, "yüzde 58", 58, 2024, population="employees",
                  edition="is-hayati-2024", survey_year=2024, concepts=remote),
            _node("en", "d-en", "en", en, surface, value, 2025, population="employees",
                  edition=en_edition, survey_year=2025, concepts=remote)]


def test_one_topic_word_does_not_link_two_findings_of_two_studies() -> None:
    """A Turkish survey's "prefer remote work" and an English survey's "remote work makes
    teamwork harder" share only their topic; across studies that is no evidence."""
    nodes = _remote_work_pair("In 2025, 37% of employees say remote work makes teamwork "
                              "harder.", "37%", 37, "office-barometer-2025")
    assert score_pair(*attach_claims(nodes), {}) is None
    assert _metrics(nodes) == {frozenset({"tr"}), frozenset({"en"})}


def test_one_topic_word_still_links_one_study_in_two_languages() -> None:
    nodes = _remote_work_pair("In 2025, 61% of employees prefer remote work.", "61%", 61,
                              "is-hayati-2025")
    found = score_pair(*attach_claims(nodes), {})
    assert found is not None and found[0] == "concepts"


# --------------------------------------------------------------------------- clauses


def test_a_thin_clause_does_not_borrow_its_neighbours_subject() -> None:
    """"Die FDP läge bei 5 Prozent, die Linke bei 4 Prozent": the 5 is the FDP's, the 4
    the Linke's; neither claim holds the other party."""
    sentence = "Die FDP läge bei 5 Prozent, die Linke bei 4 Prozent."
    five, four = sentence.index("5 Prozent"), sentence.index("4 Prozent")
    fdp = build_claim(sentence, five, five + 9, "de", ((four, four + 9),))
    linke = build_claim(sentence, four, four + 9, "de", ((five, five + 9),))
    assert "fdp" in fdp.words and not {"linke", "link"} & fdp.words
    assert {"linke", "link"} & linke.words and "fdp" not in linke.words


def test_a_thin_clause_takes_the_words_of_its_own_side_of_a_parenthesis() -> None:
    """After "(31%)" the words are the 31's, before "(22 Prozent)" the 22's: a figure next
    to them takes neither."""
    en = "Roughly one in three tenants (31%) rent a furnished flat, and 12% share a kitchen."
    one_in_three, thirty_one, twelve = (en.index(f) for f in ("Roughly one in three",
                                                              "31%", "12%"))
    spans = {"one": (one_in_three, one_in_three + 20), "31": (thirty_one, thirty_one + 3),
             "12": (twelve, twelve + 3)}
    share = build_claim(en, *spans["12"], "en", (spans["one"], spans["31"]))
    assert "kitchen" in share.words and not {"rent", "furnished"} & share.words
    de = "Gründe sind hohe Mieten (41 Prozent), lange Wege (22 Prozent) und Lärm (9 Prozent)."
    at = {f: de.index(f) for f in ("41 Prozent", "22 Prozent", "9 Prozent")}
    span = {f: (i, i + len(f)) for f, i in at.items()}
    wege = build_claim(de, *span["22 Prozent"], "de", (span["41 Prozent"], span["9 Prozent"]))
    assert {"lang", "weg"} & wege.words and not {"miete", "lärm"} & wege.words


def test_one_partys_share_in_a_poll_never_joins_another_partys_in_the_next() -> None:
    first = "Die FDP läge bei 5 Prozent, die Linke bei 4 Prozent."
    second = "Die FDP läge bei 4 Prozent, die Linke bei 6 Prozent."
    wave = {"population": "voters", "study": "wahltrend", "survey_year": 2025, "at": 0}
    nodes = [
        _node("fdp1", "poll-1", "de", first, "5 Prozent", 5, 2025, edition="wahltrend-1",
              **wave),  # type: ignore[arg-type]
        _node("linke1", "poll-1", "de", first, "4 Prozent", 4, 2025, edition="wahltrend-1",
              **wave),  # type: ignore[arg-type]
        _node("fdp2", "poll-2", "de", second, "4 Prozent", 4, 2025, edition="wahltrend-2",
              **wave),  # type: ignore[arg-type]
        _node("linke2", "poll-2", "de", second, "6 Prozent", 6, 2025, edition="wahltrend-2",
              **wave)]  # type: ignore[arg-type]
    assert not any({"linke1", "fdp2"} <= metric for metric in _metrics(nodes))


def test_one_topic_word_in_one_study_needs_the_same_predicates() -> None:
    """A German article on next year's edition: "raise the AI budget" shares the topic
    with last year's "use AI" in English, but says another thing."""
    en = "In 2024, 47% of companies use generative AI in their daily work."
    budget = "42 Prozent der Unternehmen wollen ihr KI-Budget im kommenden Jahr erhöhen."
    use = "58 Prozent der Unternehmen nutzen generative KI in ihrer täglichen Arbeit."
    ai = frozenset({"ai"})
    nodes = attach_claims([
        _node("en", "d-en", "en", en, "47%", 47, 2024, population="companies",
              edition="ai-index-2024", survey_year=2024, concepts=ai),
        _node("budget", "d-de", "de", budget, "42 Prozent", 42, 2025, population="companies",
              edition="ai-index-2025", survey_year=2025, concepts=ai),
        _node("use", "d-de2", "de", use, "58 Prozent", 58, 2025, population="companies",
              edition="ai-index-2025", survey_year=2025, concepts=ai)])
    assert score_pair(nodes[0], nodes[1], {}) is None
    found = score_pair(nodes[0], nodes[2], {})
    assert found is not None and found[0] in ("concepts", "predicates")


# --------------------------------------------------------------------------- anaphors


def test_last_years_value_in_the_next_sentence_continues_the_measure() -> None:
    """"Im Vorjahr waren es 51 Prozent" and "A year earlier, the share was 26%" refer back
    to the figure before them: the same measure in another year."""
    de_now = "Zwei Drittel der Kommunen bieten inzwischen Online-Termine an, 64 Prozent."
    de_before = "Im Vorjahr waren es 51 Prozent."
    en_now = "22% of respondents plan to leave their employer within twelve months."
    en_before = "A year earlier, in 2023, the share was 26%."
    nodes = [
        _node("de-now", "d", "de", de_now, "64 Prozent", 64, 2025, edition="kommunal-2025",
              survey_year=2025, at=0),
        _node("de-before", "d", "de", de_before, "51 Prozent", 51, 2024,
              edition="kommunal-2025", survey_year=2025, at=len(de_now) + 1),
        _node("en-now", "e", "en", en_now, "22%", 22, 2024, edition="talent-2024",
              survey_year=2024, at=0),
        _node("en-before", "e", "en", en_before, "26%", 26, 2023, edition="talent-2024",
              survey_year=2024, at=len(en_now) + 1)]
    metrics = _metrics(nodes)
    assert {"de-now", "de-before"} <= next(m for m in metrics if "de-now" in m)
    assert {"en-now", "en-before"} <= next(m for m in metrics if "en-now" in m)


# --------------------------------------------------------------------------- labels


def test_a_table_rows_label_is_its_header_cell_without_bars_or_other_columns() -> None:
    row = "| Shorter commute | 41% | 36% | 47% |"
    nodes = attach_claims([
        _node("all", "t", "en", row, "41%", 41, 2024, edition="mobility-2024",
              survey_year=2024, at=0),
        _node("cars", "t", "en", row, "36%", 36, 2024, edition="mobility-2024",
              survey_year=2024, at=0),
        _node("bikes", "t", "en", row, "47%", 47, 2024, edition="mobility-2024",
              survey_year=2024, at=0)])
    for node in nodes:
        label, _ = label_for([node])
        assert label.endswith("Shorter commute"), label
        assert "|" not in label and "%" not in label


def test_a_list_items_two_words_repeated_by_the_next_edition_are_one_claim() -> None:
    """Words kept to a list item's own ("lange Wege (22 Prozent)") are few; the next
    edition that says them in full is the same claim a year on."""
    old = "Gründe sind hohe Mieten (41 Prozent), lange Wege (22 Prozent) und Lärm (9 Prozent)."
    new = "Lange Wege bleiben ein wichtiger Grund zum Umzug: 27 Prozent nennen sie."
    nodes = [
        _node("rent", "d24", "de", old, "41 Prozent", 41, 2024, edition="umzug-2024",
              survey_year=2024, at=0),
        _node("ways", "d24", "de", old, "22 Prozent", 22, 2024, edition="umzug-2024",
              survey_year=2024, at=0),
        _node("noise", "d24", "de", old, "9 Prozent", 9, 2024, edition="umzug-2024",
              survey_year=2024, at=0),
        _node("ways-25", "d25", "de", new, "27 Prozent", 27, 2025, edition="umzug-2025",
              survey_year=2025, at=0)]
    metrics = _metrics(nodes)
    assert {"ways", "ways-25"} in metrics


# --------------------------------------------------------------------------- swapped words


def test_two_editions_claims_that_swap_a_word_are_two_claims() -> None:
    """Next year's report words its findings like this year's; a finding that swaps the
    object, the frequency, the predicate or the direction is another finding."""
    pairs = [
        ("45% of firms use cloud software for accounting.", "45%",
         "38% of firms use cloud software for payroll.", "38%"),
        ("52% of staff use AI tools at least once a week.", "52%",
         "31% of staff use AI tools daily.", "31%"),
        ("30% of households own an electric car.", "30%",
         "12% of households plan to buy an electric car.", "12%"),
        ("22% of firms expect higher sales next year.", "22%",
         "18% of firms expect lower sales next year.", "18%"),
    ]
    for this_year, one, next_year, two in pairs:
        nodes = attach_claims([
            _node("a", "r24", "en", this_year, one, float(one[:-1]), 2024,
                  edition="business-survey-2024", survey_year=2024, population="companies"),
            _node("b", "r25", "en", next_year, two, float(two[:-1]), 2025,
                  edition="business-survey-2025", survey_year=2025, population="companies")])
        assert score_pair(nodes[0], nodes[1], {}) is None, (this_year, next_year)
    same = attach_claims([
        _node("a", "r24", "en", pairs[0][0], "45%", 45, 2024, edition="business-survey-2024",
              survey_year=2024, population="companies"),
        _node("b", "r25", "en", "In 2025, 49% of firms use cloud software for accounting.",
              "49%", 49, 2025, edition="business-survey-2025", survey_year=2025,
              population="companies")])
    found = score_pair(same[0], same[1], {})
    assert found is not None and found[0] == "edition"


def test_a_two_word_sentence_and_its_part_in_the_next_edition_stay_apart() -> None:
    whole = "Die Zahl der Insolvenzen stieg um 12 Prozent."
    part = "Die Zahl der Insolvenzen bei Kleinbetrieben stieg um 18 Prozent."
    nodes = attach_claims([
        _node("whole", "b24", "de", whole, "12 Prozent", 12, 2024, edition="insolvenz-2024",
              survey_year=2024, unit="percent_change"),
        _node("part", "b25", "de", part, "18 Prozent", 18, 2025, edition="insolvenz-2025",
              survey_year=2025, unit="percent_change")])
    assert score_pair(nodes[0], nodes[1], {}) is None


def test_a_qualifier_inside_the_next_parenthesis_keeps_its_words_its_own() -> None:
    """"... Remote-Arbeit (rund 36 Prozent), das Aufstocken des Personals (rund 35
    Prozent)": the staff belong to the 35 even with "rund" inside its parenthesis."""
    sentence = ("Wichtig sind die Qualität der Remote-Arbeit (rund 36 Prozent), das Aufstocken "
                "des Personals (rund 35 Prozent) und neue Kanäle (31 Prozent).")
    spans = [(sentence.index(f), sentence.index(f) + len(f))
             for f in ("36 Prozent", "35 Prozent", "31 Prozent")]
    first = build_claim(sentence, *spans[0], "de", (spans[1], spans[2]))
    assert "personal" not in first.words and "qualität" in first.words


# --------------------------------------------------------------------------- languages

# A commuter survey in English and a German article on it. The article restates three of
# its figures in their order and opens with one of its own ("live in the countryside")
# that happens to equal the survey's last finding.
COMMUTERS_EN = ["58% of commuters travel to work by car.",
                "23% of commuters cycle to work at least once a week.",
                "41% of commuters would switch to the train if tickets were cheaper.",
                "17% of commuters work from home on Fridays.",
                "36% of commuters say their journey takes longer than an hour."]
COMMUTERS_DE = ["36 Prozent der Pendler wohnen auf dem Land.",
                "58 Prozent der Pendler fahren mit dem Auto zur Arbeit.",
                "23 Prozent der Pendler radeln mindestens einmal pro Woche zur Arbeit.",
                "41 Prozent der Pendler würden auf die Bahn umsteigen, wäre sie billiger."]


def _commuter_figures(doc: str, lang: str, sentences: list[str]) -> list[Node]:
    nodes = []
    for index, sentence in enumerate(sentences):
        surface = sentence.split(" der ")[0] if lang == "de" else sentence.split(" ")[0]
        nodes.append(_node(f"{doc}-{surface.split()[0].rstrip('%')}", doc, lang, sentence,
                           surface, float(surface.split()[0].rstrip("%")), 2025,
                           population="commuters", edition="pendler-2025", survey_year=2025,
                           at=100 * index))
    return nodes


def test_an_equal_value_out_of_the_studys_order_stays_apart_across_languages() -> None:
    """Same study, value, year and group, no predicate word on either side: without a
    translation only the order can tell, and the article's 36% stands before the figures
    it shares with the survey, the survey's after them."""
    nodes = attach_claims(_commuter_figures("en", "en", COMMUTERS_EN)
                          + _commuter_figures("de", "de", COMMUTERS_DE))
    by_id = {n.obs_id: n for n in nodes}
    assert score_pair(by_id["en-36"], by_id["de-36"], {}) is None
    metrics = _metrics(nodes)
    assert frozenset({"en-36"}) in metrics and frozenset({"de-36"}) in metrics


def test_figures_restated_in_the_studys_order_link_across_languages() -> None:
    metrics = _metrics(_commuter_figures("en", "en", COMMUTERS_EN)
                       + _commuter_figures("de", "de", COMMUTERS_DE))
    for value in ("58", "23", "41"):
        assert frozenset({f"en-{value}", f"de-{value}"}) in metrics


def test_a_lone_restated_figure_links_on_a_shared_predicate_not_on_its_value() -> None:
    """An article giving one figure of the study has no neighbours to compare; a predicate
    id both claims name ("planen", "plan": plan) is the evidence, and without it the equal
    value is not enough."""
    en = "22% of commuters plan to buy an electric car."
    planned = "Weitere 22 Prozent der Pendler planen, sich ein Elektroauto zu kaufen."
    unplanned = "Weitere 22 Prozent der Pendler kaufen sich ein Elektroauto."
    survey = _node("en", "d-en", "en", en, "22%", 22, 2025, population="commuters",
                   edition="pendler-2025", survey_year=2025)
    for sentence, links in ((planned, True), (unplanned, False)):
        article = _node("de", "d-de", "de", sentence, "22 Prozent", 22, 2025,
                        population="commuters", edition="pendler-2025", survey_year=2025)
        found = score_pair(*attach_claims([survey, article]), {})
        assert (found is not None and found[0] == "restatement") is links, sentence


def test_a_headline_gives_its_key_finding_out_of_the_order_of_its_text() -> None:
    """A headline stands before the text whose finding it gives, so its place says
    nothing; the same verbal figure of the same group is that finding. Out of a headline
    the lone equal figure has no such excuse."""
    body = "Nearly half of commuters leave home before seven."
    title = "Fast die Hälfte der Pendler verlässt das Haus vor sieben Uhr"
    for in_headline in (True, False):
        survey = _node("en", "d-en", "en", body, "Nearly half", 50, 2025,
                       population="commuters", edition="pendler-2025", survey_year=2025,
                       at=900)
        article = _node("de", "d-de", "de", title, "Fast die Hälfte", 50, 2025,
                        population="commuters", edition="pendler-2025", survey_year=2025,
                        at=0)
        article.heading = in_headline
        found = score_pair(*attach_claims([survey, article]), {})
        assert (found is not None) is in_headline
