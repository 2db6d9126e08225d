"""The precision-first linker on small hand-made records (no database): each rule that
links two figures, and each refusal. Sentences are written for these tests."""

from __future__ import annotations

from link_nodes import make_node, metrics  # tests/ is on sys.path

from extract.claims import build_claim
from warehouse import reconcile
from warehouse.labels import label_for
from warehouse.link_claims import Node, attach_claims, study_of
from warehouse.link_rules import score_pair


def _node(obs_id: str, doc: str, lang: str, sentence: str, surface: str, value: float,
          year: int, *, population: str | None = None, study: str | None = "pulse",
          group: str | None = None, at: int | None = None) -> Node:
    return make_node(obs_id, doc, lang, sentence, surface, value, year, at=at,
                population=population, study=study, group_key=group)


_metrics = metrics


def test_an_anaphor_continues_the_measure_in_another_year() -> None:
    first = "Im Jahr 2024 bestellten 61 Prozent der Befragten Lebensmittel online."
    second = "Ein Jahr zuvor lag dieser Anteil bei 55 Prozent."
    nodes = [_node("now", "d", "de", first, "61 Prozent", 61, 2024, at=0),
             _node("before", "d", "de", second, "55 Prozent", 55, 2023, at=len(first) + 1)]
    assert _metrics(nodes) == {frozenset({"now", "before"})}
    assert nodes[1].antecedent == "now"
    assert score_pair(nodes[0], nodes[1], {}) == ("anaphor", 0.9)


def test_an_anaphor_in_the_same_year_names_a_part_not_the_measure() -> None:
    first = "Two-thirds of consumers pay for a subscription they rarely use, 67% in all."
    second = "In the UK that share is higher still, at 73%."
    nodes = [_node("all", "d", "en", first, "67%", 67, 2024, at=0),
             _node("uk", "d", "en", second, "73%", 73, 2024, at=len(first) + 1)]
    assert _metrics(nodes) == {frozenset({"all"}), frozenset({"uk"})}


def test_different_claims_of_one_document_never_share_a_metric() -> None:
    one = "41% of firms use cloud accounting software for their payroll."
    two = "In 2022, 35% of firms used cloud accounting software for invoicing."
    later = "In 2023, 38% of firms used cloud accounting software for invoicing."
    nodes = [_node("a", "d1", "en", one, "41%", 41, 2024, population="companies"),
             _node("b", "d1", "en", two, "35%", 35, 2022, population="companies"),
             _node("c", "d2", "en", later, "38%", 38, 2023, population="companies")]
    metrics = _metrics(nodes)
    assert not any({"a", "b"} <= metric for metric in metrics)


def test_the_same_figure_in_a_translation_of_the_study_is_one_metric() -> None:
    en = "Streaming video is the most widely held subscription, used by 79% of respondents."
    tr = "En yaygın abonelik türü %79 ile video yayın platformları oldu."
    nodes = [_node("en", "d-en", "en", en, "79%", 79, 2024),
             _node("tr", "d-tr", "tr", tr, "%79", 79, 2024)]
    assert _metrics(nodes) == {frozenset({"en", "tr"})}
    assert score_pair(*attach_claims(nodes), {}) == ("restatement", 0.85)


def test_two_studies_with_one_value_in_one_year_stay_apart() -> None:
    en = "Streaming video is the most widely held subscription, used by 79% of respondents."
    tr = "En yaygın abonelik türü %79 ile video yayın platformları oldu."
    nodes = [_node("en", "d-en", "en", en, "79%", 79, 2024, study="pulse"),
             _node("tr", "d-tr", "tr", tr, "%79", 79, 2024, study="another-survey")]
    assert _metrics(nodes) == {frozenset({"en"}), frozenset({"tr"})}


def test_a_gloss_links_to_its_figure_and_is_marked_as_a_gloss() -> None:
    sentence = "Nearly half (48%) have cancelled at least one subscription to save money."
    nodes = [_node("gloss", "d", "en", sentence, "Nearly half", 50, 2024),
             _node("exact", "d", "en", sentence, "48%", 48, 2024)]
    assert _metrics(nodes) == {frozenset({"gloss", "exact"})}
    assert nodes[0].gloss and not nodes[1].gloss  # the conflicts view leaves glosses out


def test_a_sub_group_and_the_whole_stay_apart() -> None:
    whole = "68% of consumers pay for at least one subscription they rarely use."
    part = "72% of young consumers pay for at least one subscription they rarely use."
    nodes = [_node("whole", "d1", "en", whole, "68%", 68, 2024, population="consumers"),
             _node("part", "d2", "en", part, "72%", 72, 2024, population="young_adults")]
    assert _metrics(nodes) == {frozenset({"whole"}), frozenset({"part"})}


def test_the_same_claim_across_editions_of_a_study_is_a_trend() -> None:
    old = "In 2023, 20% of small firms used artificial intelligence in their production."
    new = "In 2024, 28% of small firms used artificial intelligence in their production."
    nodes = [_node("old", "d23", "en", old, "20%", 20, 2023, population="companies"),
             _node("new", "d24", "en", new, "28%", 28, 2024, population="companies")]
    assert _metrics(nodes) == {frozenset({"old", "new"})}
    assert score_pair(*attach_claims(nodes), {})[0] == "edition"  # type: ignore[index]


def test_a_negated_claim_is_another_claim() -> None:
    yes = "In 2023, 41% of small firms said artificial intelligence is a topic for them."
    no = "In 2024, 29% of small firms said artificial intelligence is not a topic for them."
    nodes = [_node("yes", "d23", "en", yes, "41%", 41, 2023, population="companies"),
             _node("no", "d24", "en", no, "29%", 29, 2024, population="companies")]
    assert _metrics(nodes) == {frozenset({"yes"}), frozenset({"no"})}


def test_labels_are_claims_without_quotes_or_ellipsis() -> None:
    sentence = ("Katılımcıların %68'i nadiren kullandığı en az bir abonelik için ödeme yapmaya "
                "devam ediyor ve bu oran gençlerde daha da yüksek, üstelik her yıl artıyor.")
    nodes = attach_claims([_node("a", "d", "tr", sentence, "%68", 68, 2024)])
    label, source = label_for(nodes)
    assert source == "claim" and label.endswith("(tr)")
    assert "68" not in label and not any(mark in label for mark in "…“”\"«»")


def test_a_label_leaves_no_aside_half_open() -> None:
    """A clause cut inside brackets ("a response rate of 58% (2023 and 2022: 61% each)")
    shows none of the aside, not its opening half."""
    sentence = ("Of the colleagues we invited, a response rate of 58% (2023 and 2022: 61% "
                "each) was reached this year.")
    node = _node("a", "d", "en", sentence, "58%", 58, 2024, population="staff")
    node.clause = "a response rate of 58% (2023 and 2022"
    label, _ = label_for([node])
    assert label == "staff: response rate of"


def test_a_clause_without_a_claim_word_is_labelled_by_its_sentence() -> None:
    """"and 12% respectively": the clause names nothing; its sentence names the measure."""
    sentence = "Employee jobs grew in health and in construction by 3% and 2% respectively."
    node = _node("b", "d", "en", sentence, "2%", 2, 2025)
    node.clause = "and 2% respectively."
    label, _ = label_for([node])
    assert "respectively" not in label.split()[0] and "construction" in label


def test_a_change_in_points_is_labelled_as_a_change() -> None:
    """"比上年提高2.1个百分点": a change in percentage points reads as the change, never as
    the rate it changes."""
    sentence = "高中阶段毛入学率为93.1%，比上年提高2.1个百分点。"
    nodes = attach_claims([make_node("pp", "d", "zh", sentence, "2.1个百分点", 2.1, 2025,
                                     unit="percentage_points")])
    assert label_for(nodes)[0].startswith("change in ")


def test_a_metric_of_several_years_is_not_labelled_with_one_of_them() -> None:
    """The year that frames a label ("2024年…", "… in 2024") is one figure's; a metric of
    two years shows neither, a metric of one year keeps it."""
    first = "2024年新能源汽车渗透率为41.2%。"
    second = "2025年新能源汽车渗透率为48.7%。"
    one = attach_claims([make_node("a", "d24", "zh", first, "41.2%", 41.2, 2024)])
    both = one + attach_claims([make_node("b", "d25", "zh", second, "48.7%", 48.7, 2025)])
    assert "2024" in label_for(one)[0]
    assert "2024" not in label_for(both)[0] and "渗透率" in label_for(both)[0]
    english = "Electric cars accounted for 19% of new registrations in 2024."
    later = "Electric cars accounted for 23% of new registrations in 2025."
    nodes = attach_claims([make_node("c", "e24", "en", english, "19%", 19, 2024),
                           make_node("d", "e25", "en", later, "23%", 23, 2025)])
    assert label_for(nodes)[0].endswith("of new registrations")


def test_a_claim_is_the_lemmatised_content_of_its_clause() -> None:
    sentence = "Nearly half (48%) have cancelled at least one subscription, up from 41%."
    start = sentence.index("48%")
    claim = build_claim(sentence, start, start + 3, "en", ((0, 11), (66, 69)))
    assert {"subscription", "cancel"} & claim.words and "the" not in claim.words
    assert not claim.gloss and not claim.negated


def test_a_comma_between_digits_is_a_number_not_a_clause_break() -> None:
    """"1,512 adults" and "2,5 Prozent" are numbers: the clause (and so the label) never
    starts inside one ("512 adults ...")."""
    sentence = "Among 1,512 adults asked in May 44% said they had moved house."
    start = sentence.index("44%")
    claim = build_claim(sentence, start, start + 3, "en")
    assert claim.clause.startswith("Among 1,512 adults")
    german = "Bei 2,5 Prozent der Befragten und 30 Prozent der Haushalte"
    start = german.index("30 Prozent")
    assert "2,5 Prozent der Befragten" in build_claim(german, start, start + 10, "de").clause


def test_a_study_is_an_edition_without_its_number() -> None:
    assert study_of("dvm-ki-monitor-2024", "a.txt") == study_of("dvm-ki-monitor-2023", "b.txt")
    assert study_of("salesforce-sos-4", "a.txt") == "salesforce-sos"
    assert study_of(None, "a.txt") != study_of(None, "b.txt")
    assert study_of(None, "a.txt", "Example Research") == study_of(None, "b.txt",
                                                                   "Example  research")


def test_claims_in_two_languages_link_through_their_english_translations() -> None:
    de = "Im Jahr 2024 nutzten 28 Prozent der kleinen Firmen Software aus der Cloud."
    tr = "2023 yılında küçük firmaların yüzde 22'si bulut yazılımı kullandı."
    english = {"de": "In 2024, 28 percent of small firms used software from the cloud.",
               "tr": "In 2023, 22 percent of small firms used cloud software."}

    def nodes(translated: bool) -> list[Node]:
        made = [_node("de", "d1", "de", de, "28 Prozent", 28, 2024, study="one"),
                _node("tr", "d2", "tr", tr, "yüzde 22", 22, 2023, study="other")]
        for node in made:
            node.claim_en = english[node.obs_id] if translated else None
        return made

    assert _metrics(nodes(translated=True)) == {frozenset({"de", "tr"})}
    assert _metrics(nodes(translated=False)) == {frozenset({"de"}), frozenset({"tr"})}


# --------------------------------------------------------------------------- in the warehouse


def test_the_sample_corpus_conflict_is_a_source_restating_a_figure(corpus_run) -> None:
    """The Chinese translation gives one finding of its study twice, with two values."""
    import duckdb

    with duckdb.connect(str(corpus_run["warehouse"]), read_only=True) as con:
        conflicts = con.execute('SELECT year, study, "values", scope, linked_by'
                                " FROM conflicts").fetchall()
        stored = con.execute("SELECT count(*) FROM claims").fetchone()
        figures = con.execute("SELECT count(*) FROM current_observations").fetchone()
    assert stored == figures  # every figure's claim is stored
    assert len(conflicts) == 1
    year, study, values, scope, linked_by = conflicts[0]
    assert (year, study, scope) == (2020, "salesforce-sos", "within source")
    assert "restatement" in linked_by and len(values) == 2


def test_metrics_kept_apart_on_one_topic_are_offered_as_possibly_the_same(tmp_path) -> None:
    """Two figures of one group whose claims share some words but that no rule links
    (different claims) stay two metrics, each offered to the analyst as possibly the same
    as the other, with the words they share."""
    from warehouse import db, reads
    from warehouse.store import insert_rows

    con = db.connect(tmp_path / "w.duckdb")
    con.execute("INSERT INTO runs (run_id, flow, started_at, status, code_version)"
                " VALUES ('r', 'test', now(), 'completed', 'test')")
    sentences = {"d1": "In 2023, 44% of agents used AI to draft customer replies.",
                 "d2": "In 2024, 52% of agents used AI to answer refund requests."}
    for doc, text in sentences.items():
        con.execute("INSERT INTO documents (doc_id, source_id, file_name, text, encoding,"
                    " n_bytes, run_id) VALUES (?, ?, ?, ?, 'utf-8', 10, 'r')",
                    [doc, doc, f"{doc}.txt", text])
        surface = text.split()[2]
        start = text.index(surface)
        insert_rows(con, "observations", [{
            "obs_id": f"o-{doc}", "doc_id": doc, "start": start, "end": start + len(surface),
            "surface": surface, "value": float(surface[:-1]), "unit": "percent",
            "qualifier": "exact", "population": "agents", "year": 2023, "concepts": ["ai"],
            "claim": text, "claim_start": 0, "claim_end": len(text), "rule": "test",
            "extractor_version": "test", "run_id": "r"}])
    reconcile.rebuild(con, "r")
    metrics = [row[0] for row in con.execute("SELECT metric_id FROM metrics ORDER BY 1").fetchall()]
    assert len(metrics) == 2
    explained = reads.explain(con, metrics[0])
    assert explained is not None
    assert [s["similar_metric_id"] for s in explained["possibly_same_as"]] == [metrics[1]]
    assert "their claims share" in explained["possibly_same_as"][0]["reason"]


def test_the_word_segmenter_is_loaded_ahead_once_and_only_for_unspaced_languages() -> None:
    """`claims.prepare` (called as documents are mined) starts one thread loading jieba, in
    a fresh process, for Chinese only; `claims.prepared` (called by a relink before its
    queries) returns once it is loaded."""
    import subprocess
    import sys

    script = ("import jieba; from extract import claims\n"
              "claims.prepare(['de', 'en', None]); spaced = len(claims._PREPARING)\n"
              "claims.prepare(['tr', 'zh']); claims.prepare(['zh'])\n"
              "claims.prepared()\n"
              "print(spaced, len(claims._PREPARING), jieba.dt.initialized)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    assert done.stdout.split() == ["0", "1", "True"]


def test_a_pairs_second_value_restated_by_the_next_edition_joins_its_trend() -> None:
    """'von 9,8 % (2020) auf 7,6 % (2022)': the second value has no words of its own; the
    next edition of the study gives 7,6 % (2022) as the start of its own pair, in other
    words. Read with the words of the value it continues, it is the same figure restated,
    so the two editions make one trend; a value of another finding stays apart."""
    earlier = "Unter den Jugendlichen sank die Raucherquote von 9,8 % (2020) auf 7,6 % (2022)."
    later = "Bei den Jugendlichen ging die Raucherquote zurück, von 7,6 % (2022) auf 6,2 % (2024)."
    other = "Im Jahr 2022 tranken 7,6 % der Jugendlichen täglich Energydrinks."
    nodes = [_node("e20", "gm22", "de", earlier, "9,8 %", 9.8, 2020, at=0),
             _node("e22", "gm22", "de", earlier, "7,6 %", 7.6, 2022, at=0),
             _node("drinks", "gm22", "de", other, "7,6 %", 7.6, 2022, at=200),
             _node("l22", "gm24", "de", later, "7,6 %", 7.6, 2022, at=0),
             _node("l24", "gm24", "de", later, "6,2 %", 6.2, 2024, at=0)]
    assert _metrics(nodes) == {frozenset({"e20", "e22", "l22", "l24"}), frozenset({"drinks"})}
    assert nodes[1].continued_words == nodes[0].words and not nodes[1].words


def test_a_turkish_verb_negated_by_its_suffix_negates_the_claim() -> None:
    """Turkish negates a verb with a suffix after its stem ("güvenmiyor", "kullanmadığını"):
    a lemma drops it, so the clause says it; the positive forms "-mak", "-ması", "-maya"
    and words such as "tamamen" negate nothing."""
    def negated(sentence: str) -> bool:
        at = sentence.index("yüzde")
        return build_claim(sentence, at, at + 10, "tr").negated

    assert negated("Çalışanların yüzde 31,5'i yapay zekâ araçlarını kullanmadığını söyledi.")
    assert negated("Katılımcıların yüzde 17,3'ü ise \"güvenmem\" yanıtını verdi.")
    assert negated("Gençlerin yüzde 12,0'si haberlere güvenmiyor.")
    assert not negated("Çalışanların yüzde 44,1'i yapay zekâ araçlarını kullanmaya başladı.")
    assert not negated("Katılımcıların yüzde 38,0'i bu görüşe tamamen katılıyor.")


def test_an_answer_and_its_negative_are_two_claims_across_editions() -> None:
    """"güvenmem" (I do not trust) says fewer words than the positive answer of the next
    edition, all of them in it: without its negation it would be a shorter wording of it."""
    first = ("Araştırmaya göre katılımcıların yüzde 58,2'si komşularına \"her konuda güvenirim\" "
             "yanıtını verdi, yüzde 17,3'ü ise \"güvenmem\" yanıtını verdi.")
    second = ("Katılımcıların yüzde 54,9'u komşularına \"her konuda güvenirim\" yanıtını "
              "verirken yüzde 18,3'ü \"güvenmem\" yanıtını verdi.")
    nodes = [_node("trust23", "g23", "tr", first, "yüzde 58,2", 58.2, 2023, at=0),
             _node("distrust23", "g23", "tr", first, "yüzde 17,3", 17.3, 2023, at=0),
             _node("trust24", "g24", "tr", second, "yüzde 54,9", 54.9, 2024, at=0),
             _node("distrust24", "g24", "tr", second, "yüzde 18,3", 18.3, 2024, at=0)]
    assert _metrics(nodes) == {frozenset({"trust23", "trust24"}),
                               frozenset({"distrust23", "distrust24"})}
    trust23, distrust23, trust24, _ = nodes  # (claims attached by _metrics)
    assert score_pair(trust24, trust23, {}) is not None
    assert score_pair(trust24, distrust23, {}) is None  # a trend would mix the two answers


def test_words_of_never_and_not_yet_negate_a_claim() -> None:
    """"从未" (never), "尚未" (not yet), "cannot", "keinem": a claim that says so is the
    negative of the one that does not."""
    import re

    def negated(sentence: str, lang: str) -> bool:
        found = re.search(r"\d+(?:[.,]\d)?\s?%", sentence)
        assert found is not None
        return build_claim(sentence, found.start(), found.end(), lang).negated

    assert negated("有23.4%的受访者从未使用过移动支付。", "zh")
    assert negated("31.2%的企业尚未引入人工智能。", "zh")
    assert not negated("31.2%的企业已经引入人工智能。", "zh")
    assert negated("Some 23% of renters cannot afford a holiday.", "en")
    assert negated("23 % der Befragten haben keinem Kollegen davon erzählt.", "de")


def test_a_countrys_part_of_a_survey_is_never_its_whole() -> None:
    """"In the UK, 48% prefer a mobile wallet": the UK's consumers are a part of the
    survey's consumers (a subgroup, never the same metric), however alike the claims and
    however the next edition words its whole figure; a narrower kind of people
    (it_decision_makers) is still compatible."""
    from warehouse.link_rules import compatible

    first = "In the UK, 48% of consumers prefer a mobile wallet when paying in store."
    whole = "Some 46% of consumers now prefer a mobile wallet when paying in store."
    nodes = [_node("uk23", "p23", "en", first, "48%", 48, 2023, population="uk_consumers"),
             _node("all24", "p24", "en", whole, "46%", 46, 2024, population="consumers")]
    assert _metrics(nodes) == {frozenset({"uk23"}), frozenset({"all24"})}
    assert not compatible("uk_consumers", "consumers")
    assert not compatible("female_staff", "staff")
    assert compatible("it_decision_makers", "decision_makers")


def test_a_level_that_only_says_which_way_continues_the_measure_before_it() -> None:
    """"Bu oran 2021'de yüzde 52 iken, 2022'de yüzde 49'a geriledi": the second level says
    only that it fell; it is the rate of the sentence before in another year, as the first
    is. A year's case suffix ("2023'te") is no word of a claim."""
    from extract.claims import content_words

    first = "Komşusuyla haftada en az bir kez görüşenlerin oranı yüzde 47 olarak belirlendi."
    second = "Bu oran 2021'de yüzde 52 iken, 2022'de yüzde 49'a geriledi."
    nodes = [_node("y23", "k", "tr", first, "yüzde 47", 47, 2023, at=0),
             _node("y21", "k", "tr", second, "yüzde 52", 52, 2021, at=len(first) + 1),
             _node("y22", "k", "tr", second, "yüzde 49", 49, 2022, at=len(first) + 1)]
    assert _metrics(nodes) == {frozenset({"y21", "y22", "y23"})}
    assert content_words("Bu oran 2023'te yüzde 47 idi.", "tr") == frozenset()


def test_two_waves_of_a_study_without_editions_have_samples_of_their_own() -> None:
    """Two polls of one institute a month apart, listed by their publisher only (no
    edition): each document is a wave, and two waves' sample sizes in one year are two
    samples, never one figure reported twice (a conflict)."""
    jan = "Für den Wahltrend Januar wurden 2.504 Wahlberechtigte befragt."
    feb = "Für den Wahltrend Februar wurden 2.481 Wahlberechtigte befragt."
    nodes = [make_node("jan", "jan", "de", jan, "2.504", 2504, 2024, study="publisher:marktblick",
                       unit="count", population="voters", survey_year=2024),
             make_node("feb", "feb", "de", feb, "2.481", 2481, 2024, study="publisher:marktblick",
                       unit="count", population="voters", survey_year=2024)]
    assert _metrics(nodes) == {frozenset({"jan"}), frozenset({"feb"})}
