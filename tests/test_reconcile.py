"""The linker on real sentences from the corpus (no translation model)."""

from __future__ import annotations

from extract.concepts import find_concepts
from warehouse.reconcile import Node, label_for, link, score_pair


def _node(obs_id: str, doc: str, lang: str, claim: str, surface: str, value: float,
          population: str | None, year: int, *, unit: str = "percent",
          group: str | None = None) -> Node:
    start = claim.index(surface)
    return Node(obs_id=obs_id, doc_id=doc, lang=lang, value=value, unit=unit, qualifier="exact",
                population=population, year=year, group_key=group,
                concepts=frozenset(find_concepts(claim, lang)), surface=surface, claim=claim,
                claim_start=0, start=start, end=start + len(surface), clause=claim,
                order=("2026", obs_id))


ZH_CAREER = "67% 的客服专业人员看到了清晰的职业道路,而 2018 年这一比例为 59%。"
TR_CAREER = ("Temsilcilerin %85’i kariyer gelişimi için net bir yola sahip olduklarını söylüyor – "
             "2020’de %67 ve 2018’de %59’a yükseldi.")
ZH_TRANSFORM = "81% 的决策者表示,他们正在加速实施数字转型计划。"
TR_TRAINING = ("2020’de %79 ve 2018’de %77 olan karar vericilerin %81’i eğitime önemli ölçüde "
               "yatırım yaptıklarını söylüyor.")


def test_career_path_links_across_chinese_and_turkish() -> None:
    nodes = [
        _node("a1", "zh", "zh", ZH_CAREER, "67%", 67, "agents", 2020, group="g1"),
        _node("a2", "zh", "zh", ZH_CAREER, "59%", 59, "agents", 2018, group="g1"),
        _node("b1", "tr", "tr", TR_CAREER, "%85", 85, "agents", 2022, group="g2"),
        _node("b2", "tr", "tr", TR_CAREER, "%67", 67, "agents", 2020, group="g2"),
        _node("b3", "tr", "tr", TR_CAREER, "%59", 59, "agents", 2018, group="g2"),
    ]
    clusters, best = link(nodes)
    assert len(clusters) == 1
    assert {best[n.obs_id][0] for n in nodes} <= {"group", "fingerprint", "concepts"}


def test_equal_values_of_different_measures_stay_apart() -> None:
    nodes = [
        _node("a", "zh", "zh", ZH_TRANSFORM, "81%", 81, "decision_makers", 2020),
        _node("b", "tr", "tr", TR_TRAINING, "%81", 81, "decision_makers", 2022, group="g"),
        _node("c", "tr", "tr", TR_TRAINING, "%79", 79, "decision_makers", 2020, group="g"),
    ]
    clusters, _ = link(nodes)
    assert len(clusters) == 2
    assert score_pair(nodes[0], nodes[1], {}) is None


def test_counts_of_respondents_form_one_sample_metric() -> None:
    de = ("In die Studie flossen 7.095 Antworten von hauptberuflichen "
          "Kundenservice-Mitarbeitern ein.")
    zh = "来自 33 个国家和六大洲的全职客户服务专业人士的 7095 份回复。"
    nodes = [
        _node("a", "de", "de", de, "7.095", 7095, "service_professionals", 2020, unit="count"),
        _node("b", "zh", "zh", zh, "7095", 7095, "service_professionals", 2020, unit="count"),
        _node("c", "zh", "zh", zh, "33", 33, "countries", 2020, unit="count"),
    ]
    clusters, _ = link(nodes)
    labels = sorted(label_for(members)[0] for members in clusters.values())
    assert labels == ["countries surveyed", "survey responses: service professionals"]


def test_a_shared_topic_alone_never_makes_a_conflict() -> None:
    one = "62% of customers say AI has improved service."
    two = "Only 45% of customers trust AI to handle a refund."
    later = "By 2024, 71% of customers said AI has improved service."
    nodes = [
        _node("a", "d1", "en", one, "62%", 62, "customers", 2023),
        _node("b", "d1", "en", two, "45%", 45, "customers", 2023),
        _node("c", "d2", "en", later, "71%", 71, "customers", 2024),
    ]
    assert nodes[0].concepts == nodes[1].concepts == frozenset({"ai"})
    assert score_pair(nodes[0], nodes[1], {}) is None
    assert score_pair(nodes[0], nodes[2], {}) == ("concepts", 0.76)


def test_near_identical_sentences_with_different_values_are_a_conflict() -> None:
    first = "75% 的决策者表示,现场服务是他们整体战略的关键。"
    second = "80% 的决策者表示,现场服务是他们整体战略的关键部分。"
    nodes = [_node("a", "zh", "zh", first, "75%", 75, "decision_makers", 2020),
             _node("b", "zh", "zh", second, "80%", 80, "decision_makers", 2020)]
    found = score_pair(nodes[0], nodes[1], {})
    assert found is not None and found[0] == "concepts"


def test_sub_samples_of_one_survey_stay_apart_but_samples_of_studies_link() -> None:
    en = "Our survey of 3,450 consumers and 1,200 customer service leaders in 20 countries."
    de = "Rund 1.500 Führungskräfte aus sechs Ländern wurden befragt."
    nodes = [
        _node("a", "en", "en", en, "3,450", 3450, "consumers", 2024, unit="count"),
        _node("b", "en", "en", en, "1,200", 1200, "service_decision_makers", 2024, unit="count"),
        _node("c", "de", "de", de, "1.500", 1500, "executives", 2021, unit="count"),
    ]
    assert score_pair(nodes[0], nodes[1], {}) is None
    assert score_pair(nodes[0], nodes[2], {}) == ("sample", 0.9)
