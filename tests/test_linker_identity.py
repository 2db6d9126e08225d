"""Metric identity, class by class (issue 17): which counts are sample sizes, claims
read from Chinese text, anaphors of negated claims, parallel sentences, and one study's
claim in two languages read through the concept lexicon's predicate ids. Small records,
no database; sentences are written for these tests."""

from __future__ import annotations

from pathlib import Path

import report_fixtures as fx  # tests/ is on sys.path (pytest rootdir-relative import)
from link_nodes import make_node, metrics  # tests/ is on sys.path

from extract.claims import build_claim, describes_sample
from extract.concepts import predicates_of
from extract.records import is_count_change
from reports.markup import md_text
from reports.pages.catalogue import Catalogue
from reports.pages.trends import trends_md
from reports.snapshot import OTHER_STUDIES_SHOWN, read_warehouse
from warehouse import report_reads
from warehouse.labels import label_for
from warehouse.link_claims import Node, attach_claims, linker_unit, stored_unit
from warehouse.link_rules import score_pair
from warehouse.link_samples import sample_keys


def _node(obs_id: str, doc: str, lang: str, sentence: str, surface: str, value: float,
          year: int, *, unit: str = "percent", population: str | None = "companies",
          study: str | None = "tech-monitor", at: int | None = None) -> Node:
    return make_node(obs_id, doc, lang, sentence, surface, value, year, at=at, unit=unit,
                population=population, study=study)


_metrics = metrics


# --------------------------------------------------------------------------- samples


def test_a_count_of_people_is_a_sample_only_when_its_sentence_speaks_of_a_survey() -> None:
    assert describes_sample("For the poll, 2,310 farmers were interviewed by phone.",
                            "2,310 farmers were interviewed by phone", "en")
    assert describes_sample("Für die Studie wurden 812 Lehrkräfte befragt.",
                            "812 Lehrkräfte befragt", "de")
    assert not describes_sample("In March, 18,200 people were on the waiting list.",
                                "18,200 people were on the waiting list", "en")
    assert not describes_sample("该省共有5300家养殖企业。", "该省共有5300家养殖企业", "zh")


def test_a_count_in_the_millions_is_what_a_survey_found_not_its_sample() -> None:
    """A sentence about a sample survey that counts 186 million trips, or 12.4 million
    residents, gives a finding: no survey asks that many people."""
    trips = "根据抽样调查，上半年全省居民国内出游人次1.86亿，同比增长9.6%。"
    residents = "The survey estimates that 12.4 million residents used a bus last year."
    nodes = attach_claims([
        _node("t", "d1", "zh", trips, "1.86亿", 186_000_000, 2025, unit="count",
              population="residents", study="lvyou"),
        _node("r", "d2", "en", residents, "12.4 million", 12_400_000, 2025, unit="count",
              population="residents", study="transit"),
        _node("n", "d3", "en", "The survey reached 2,400 residents.", "2,400", 2400, 2025,
              unit="count", population="residents", study="transit")])
    assert [n.sample for n in nodes] == [False, False, True]
    assert "t" not in sample_keys(nodes) and label_for(nodes[:1])[0] != "survey responses"


def test_the_base_a_sample_was_drawn_from_is_not_the_sample() -> None:
    sentence = "Of the 3,000 members we invited, 1,150 answered the survey."
    assert not describes_sample(sentence, "Of the 3,000 members we invited", "en")
    assert describes_sample(sentence, "1,150 answered the survey", "en")


def test_a_count_that_is_a_finding_stays_apart_from_the_samples() -> None:
    sample = "The survey reached 1,420 nurses in four regions."
    finding = "Last winter 52,000 people were waiting for a hip operation."
    other = "Für die Umfrage wurden 990 Pflegekräfte befragt."
    nodes = attach_claims([
        _node("s", "d1", "en", sample, "1,420", 1420, 2024, unit="count", population="nurses",
              study="care-survey"),
        _node("f", "d2", "en", finding, "52,000", 52000, 2024, unit="count",
              population="people", study="health-bulletin"),
        _node("o", "d3", "de", other, "990", 990, 2023, unit="count", population="nurses",
              study="pflege-monitor")])
    assert [n.sample for n in nodes] == [True, False, True]
    assert score_pair(nodes[0], nodes[2], {}) == ("sample", 0.9)
    assert score_pair(nodes[0], nodes[1], {}) is None
    keys = sample_keys(nodes)
    assert keys["s"] == keys["o"] and "f" not in keys  # (a finding is linked by its claim)


def test_an_earlier_waves_sample_in_the_same_report_is_no_sub_sample() -> None:
    now = "Bu yılki araştırmada 2 bin 400 yetişkinle görüşüldü."
    before = "İlk dalgada ise araştırma 1 bin 900 kişiye ulaşmıştı."
    nodes = attach_claims([
        _node("now", "d", "tr", now, "2 bin 400", 2400, 2025, unit="count",
              population="adults", at=0),
        _node("before", "d", "tr", before, "1 bin 900", 1900, 2023, unit="count",
              population="people", at=len(now) + 1)])
    keys = sample_keys(nodes)
    assert keys["now"] == keys["before"]


def test_a_sub_sample_named_in_a_summary_is_not_the_whole_sample() -> None:
    """A study's release names its whole sample, a summary only the sub-sample of managers:
    two measures (else the two sizes would be a conflict of one study and year)."""
    whole = "For the survey, 2,900 workers were interviewed in May."
    part = "Among them, the survey asked 640 managers about pay."
    other = "Für die Umfrage wurden 1.100 Beschäftigte befragt."
    nodes = attach_claims([
        _node("whole", "release", "en", whole, "2,900", 2900, 2024, unit="count",
              population="employees"),
        _node("part", "summary", "en", part, "640", 640, 2024, unit="count",
              population="managers"),
        _node("other", "elsewhere", "de", other, "1.100", 1100, 2024, unit="count",
              population="employees", study="arbeit-monitor")])
    keys = sample_keys(nodes)
    assert len({keys["whole"], keys["part"], keys["other"]}) == 3


def test_the_same_value_for_other_predicates_is_no_restatement() -> None:
    """One study, one year, one value in two languages, but one figure plans and the
    other pays: two findings."""
    de = "41 Prozent planen den Einsatz von Lastenrädern."
    zh = "41%的企业为电动车支付额外费用。"
    nodes = [_node("de", "d-de", "de", de, "41 Prozent", 41, 2024),
             _node("zh", "d-zh", "zh", zh, "41%", 41, 2024)]
    attach_claims(nodes)
    assert nodes[0].predicates == {"plan", "use"} and nodes[1].predicates == {"pay", "cost"}
    assert score_pair(nodes[0], nodes[1], {}) is None


# --------------------------------------------------------------------------- claims


def test_a_chinese_claim_keeps_the_words_after_its_figure() -> None:
    sentence = "调查显示，37%的农户正在计划使用无人机，而去年这一比例更低。"
    start = sentence.index("37%")
    claim = build_claim(sentence, start, start + 3, "zh")
    assert {"计划", "使用", "无人机"} <= claim.words


def test_an_anaphor_continues_a_negated_claim_in_another_year() -> None:
    first = "Katılımcıların yüzde 64'ü evinin sele dayanıklı olduğundan emin değil."
    second = "Bir önceki araştırmada bu oran yüzde 70'ti."
    nodes = [_node("now", "d", "tr", first, "yüzde 64", 64, 2025, population="adults", at=0),
             _node("then", "d", "tr", second, "yüzde 70", 70, 2023, population="adults",
                   at=len(first) + 1)]
    assert _metrics(nodes) == {frozenset({"now", "then"})}
    assert nodes[0].negated and not nodes[1].negated


def test_parallel_sentences_of_one_report_are_not_one_claim_restated() -> None:
    # (a clause with a word of its own besides its direction: "加快" alone would take the
    # subject of the figure before it, "羊毛产量")
    wool = "6月份，全省羊毛产量同比增长4.1%，增速比5月份高出0.6个百分点。"
    steel = "6月份，全省钢材产量同比下降2.2%，增速比5月份高出1.3个百分点。"
    nodes = [_node("wool", "d", "zh", wool, "0.6个百分点", 0.6, 2024, unit="percentage_points",
                   population=None, at=0),
             _node("steel", "d", "zh", steel, "1.3个百分点", 1.3, 2024,
                   unit="percentage_points", population=None, at=len(wool))]
    attach_claims(nodes)
    assert nodes[0].words == nodes[1].words  # the clauses alone are the same ...
    assert score_pair(nodes[0], nodes[1], {}) is None  # ... their sentences are not


# --------------------------------------------------------------------------- predicates


DE_PLAN = "Weitere 33 Prozent planen oder diskutieren den Einsatz von Robotern."
ZH_PLAN = "另有35%的企业正在计划或讨论引入机器人。"
ZH_PLAN_SAME = "另有33%的企业正在计划或讨论引入机器人。"


def test_predicate_words_map_to_the_same_ids_in_every_language() -> None:
    de = build_claim(DE_PLAN, 8, 18, "de").words
    start = ZH_PLAN.index("35%")
    zh = build_claim(ZH_PLAN, start, start + 3, "zh").words
    assert predicates_of(de, "de") == predicates_of(zh, "zh") == {"plan", "discuss", "use"}


def test_one_studys_claim_in_two_languages_links_and_may_conflict() -> None:
    nodes = [_node("de", "d-de", "de", DE_PLAN, "33 Prozent", 33, 2024),
             _node("zh", "d-zh", "zh", ZH_PLAN, "35%", 35, 2024)]
    assert _metrics(nodes) == {frozenset({"de", "zh"})}
    assert score_pair(nodes[0], nodes[1], {}) == ("predicates", 0.8)


def test_predicates_never_join_two_studies_or_two_groups_in_a_conflict() -> None:
    other_study = [_node("de", "d-de", "de", DE_PLAN, "33 Prozent", 33, 2024),
                   _node("zh", "d-zh", "zh", ZH_PLAN_SAME, "33%", 33, 2024,
                         study="another-monitor")]
    assert len(_metrics(other_study)) == 2
    other_group = [_node("de", "d-de", "de", DE_PLAN, "33 Prozent", 33, 2024),
                   _node("zh", "d-zh", "zh", ZH_PLAN, "35%", 35, 2024, population="farms")]
    assert len(_metrics(other_group)) == 2


def test_two_predicate_ids_draw_a_trend_but_never_a_conflict() -> None:
    de = "Hohe Kosten nennen 28 Prozent als Risiko."
    zh = "31%的企业认为成本过高是一种风险。"
    same_year = [_node("de", "d-de", "de", de, "28 Prozent", 28, 2024),
                 _node("zh", "d-zh", "zh", zh, "31%", 31, 2024)]
    attach_claims(same_year)
    assert same_year[0].predicates == same_year[1].predicates == {"cost", "risk"}
    assert score_pair(same_year[0], same_year[1], {}) is None
    other_year = [_node("de", "d-de", "de", de, "28 Prozent", 28, 2023),
                  _node("zh", "d-zh", "zh", zh, "31%", 31, 2024)]
    assert _metrics(other_year) == {frozenset({"de", "zh"})}


# --------------------------------------------------------------------------- other studies


def test_a_trend_lists_other_studies_measuring_alike(tmp_path: Path) -> None:
    """Two studies in one metric: the page shows the second beside the trend, never as a
    conflict (the conflicts view compares figures of one study only)."""
    con = fx.build_warehouse(tmp_path / "warehouse.duckdb")
    older = con.execute(
        "SELECT o.obs_id FROM observations o JOIN metric_observations USING (obs_id)"
        " WHERE metric_id = ? AND o.year = 2018", [fx.CAREER]).fetchone()
    assert older is not None
    con.execute("UPDATE claims SET study = 'another-panel' WHERE obs_id = ?", [older[0]])
    snapshot = read_warehouse(con)
    career = next(s for s in snapshot["series"] if s["metric_id"] == fx.CAREER)
    assert career["main_study"] == "fixture-study"
    assert [o["study"] for o in career["other_studies"]] == ["another-panel"]
    assert [p["year"] for p in career["other_studies"][0]["points"]] == [2018]
    others = [s for s in snapshot["series"] if s["metric_id"] != fx.CAREER]
    assert not any(s.get("other_studies") for s in others)
    page = trends_md(Catalogue(snapshot), tmp_path)
    block = page[page.index("{#trend-metric-career-path}"):]
    block = block[:block.index("<!-- polystat:part -->")]
    assert "Other studies measuring alike" in block
    assert f"{md_text('another-panel')}: 59\xa0% (2018, **S" in block
    assert "Other studies" not in page.replace(block, "")


def test_a_chinese_label_closes_the_gap_its_figure_leaves() -> None:
    nodes = attach_claims([_node("zh", "d-zh", "zh", ZH_PLAN, "35%", 35, 2024)])
    label, _ = label_for(nodes)
    assert "另有的企业正在计划或讨论引入机器人" in label and "  " not in label


def test_only_a_few_other_studies_are_listed_and_the_rest_counted(tmp_path: Path) -> None:
    """A claim found in many studies (a large corpus) lists a few of them, not hundreds."""
    con = fx.build_warehouse(tmp_path / "warehouse.duckdb")
    members = [row[0] for row in con.execute(
        "SELECT obs_id FROM metric_observations WHERE metric_id = ? ORDER BY obs_id",
        [fx.RESPONSES]).fetchall()]
    for number, obs_id in enumerate(members):
        con.execute("UPDATE claims SET study = ? WHERE obs_id = ?", [f"panel-{number}", obs_id])
    rows = [r for r in report_reads.study_points(con, 2) if r["metric_id"] == fx.RESPONSES]
    assert {r["study_rank"] for r in rows} == {1, 2}
    assert {r["n_studies"] for r in rows} == {len(members)}
    responses = next(s for s in read_warehouse(con)["series"]
                     if s["metric_id"] == fx.RESPONSES)
    assert responses["n_other_studies"] == len(members) - 1
    assert len(responses["other_studies"]) == min(OTHER_STUDIES_SHOWN, len(members) - 1)


# --------------------------------------------------------------------------- count changes


def test_the_change_of_a_count_never_shares_a_metric_with_the_count() -> None:
    """"rose by 69,000": a change of a count is stored with unit count (the gold format), but
    it is another measure than the level, however alike their words; the changes of two
    editions are one series."""
    sentences = {"l1": "The number of building permits rose to 321,000 in 2024.",
                 "c1": "The number of building permits rose by 42,000 in 2024.",
                 "l2": "The number of building permits rose to 390,000 in 2025.",
                 "c2": "The number of building permits rose by 69,000 in 2025."}
    nodes = []
    for obs_id, sentence in sentences.items():
        surface = sentence.split(" in ")[0].split()[-1]
        rule = "en.count_change" if obs_id[0] == "c" else "en.count_thing_subject"
        nodes.append(_node(obs_id, "d" + obs_id[1], "en", sentence, surface,
                           float(surface.replace(",", "")), 2023 + int(obs_id[1]),
                           unit=linker_unit("count", rule), population=None,
                           study="permits-release"))
    metrics = _metrics(nodes)
    assert {"l1", "l2"} in metrics and {"c1", "c2"} in metrics
    assert label_for([n for n in attach_claims(nodes) if n.obs_id == "c1"])[0].startswith(
        "change in ")
    assert is_count_change("de.count_change_after+survey_population")
    assert stored_unit(linker_unit("count", "de.count_change_particle")) == "count"
