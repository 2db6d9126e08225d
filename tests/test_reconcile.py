"""The linker on real sentences from the corpus (no translation model)."""

from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import replace
from itertools import combinations
from typing import Any

from extract.concepts import find_concepts
from warehouse import link_rules, link_samples, linking, reconcile
from warehouse.labels import label_for
from warehouse.link_claims import Node, attach_claims
from warehouse.link_rules import score_pair
from warehouse.linking import link


def _node(obs_id: str, doc: str, lang: str, claim: str, surface: str, value: float,
          population: str | None, year: int, *, unit: str = "percent",
          group: str | None = None) -> Node:
    at = 1000 * (zlib.crc32(claim.encode()) % 1000)  # each sentence at its own place
    start = at + claim.index(surface)
    return Node(obs_id=obs_id, doc_id=doc, lang=lang, value=value, unit=unit, qualifier="exact",
                population=population, year=year, group_key=group,
                concepts=frozenset(find_concepts(claim, lang)), surface=surface, claim=claim,
                claim_start=at, start=start, end=start + len(surface),
                order=("2026", obs_id))


ZH_CAREER = "67% 的客服专业人员看到了清晰的职业道路,而 2018 年这一比例为 59%。"
TR_CAREER = ("Temsilcilerin %85’i kariyer gelişimi için net bir yola sahip olduklarını söylüyor – "
             "2020’de %67 ve 2018’de %59’a yükseldi.")
ZH_TRANSFORM = "81% 的决策者表示,他们正在加速实施数字转型计划。"
TR_TRAINING = ("2020’de %79 ve 2018’de %77 olan karar vericilerin %81’i eğitime önemli ölçüde "
               "yatırım yaptıklarını söylüyor.")


def test_career_path_links_across_chinese_and_turkish() -> None:
    nodes = attach_claims([
        _node("a1", "zh", "zh", ZH_CAREER, "67%", 67, "agents", 2020, group="g1"),
        _node("a2", "zh", "zh", ZH_CAREER, "59%", 59, "agents", 2018, group="g1"),
        _node("b1", "tr", "tr", TR_CAREER, "%85", 85, "agents", 2022, group="g2"),
        _node("b2", "tr", "tr", TR_CAREER, "%67", 67, "agents", 2020, group="g2"),
        _node("b3", "tr", "tr", TR_CAREER, "%59", 59, "agents", 2018, group="g2"),
    ])
    clusters, best = link(nodes)
    assert len(clusters) == 1
    assert {best[n.obs_id][0] for n in nodes} <= {"group", "fingerprint", "concepts"}


def test_equal_values_of_different_measures_stay_apart() -> None:
    nodes = attach_claims([
        _node("a", "zh", "zh", ZH_TRANSFORM, "81%", 81, "decision_makers", 2020),
        _node("b", "tr", "tr", TR_TRAINING, "%81", 81, "decision_makers", 2022, group="g"),
        _node("c", "tr", "tr", TR_TRAINING, "%79", 79, "decision_makers", 2020, group="g"),
    ])
    clusters, _ = link(nodes)
    assert len(clusters) == 2
    assert score_pair(nodes[0], nodes[1], {}) is None


def test_counts_of_respondents_form_one_sample_metric() -> None:
    de = ("In die Studie flossen 7.095 Antworten von hauptberuflichen "
          "Kundenservice-Mitarbeitern ein.")
    zh = "来自 33 个国家和六大洲的全职客户服务专业人士的 7095 份回复。"
    nodes = attach_claims([
        _node("a", "de", "de", de, "7.095", 7095, "service_professionals", 2020, unit="count"),
        _node("b", "zh", "zh", zh, "7095", 7095, "service_professionals", 2020, unit="count"),
        _node("c", "zh", "zh", zh, "33", 33, "countries", 2020, unit="count"),
    ])
    clusters, _ = link(nodes)
    labels = sorted(label_for(members)[0] for members in clusters.values())
    assert labels == ["countries surveyed", "survey responses: service professionals"]


def test_a_shared_topic_alone_never_makes_a_conflict() -> None:
    one = "62% of customers say AI has improved service."
    two = "Only 45% of customers trust AI to handle a refund."
    later = "By 2024, 71% of customers said AI has improved service."
    nodes = attach_claims([
        _node("a", "d1", "en", one, "62%", 62, "customers", 2023),
        _node("b", "d1", "en", two, "45%", 45, "customers", 2023),
        _node("c", "d2", "en", later, "71%", 71, "customers", 2024),
    ])
    assert nodes[0].concepts == nodes[1].concepts == frozenset({"ai"})
    assert score_pair(nodes[0], nodes[1], {}) is None
    assert score_pair(nodes[0], nodes[2], {}) == ("claim", 0.8)  # the same claim, not a topic


def test_near_identical_sentences_with_different_values_are_a_conflict() -> None:
    first = "75% 的决策者表示,现场服务是他们整体战略的关键。"
    second = "80% 的决策者表示,现场服务是他们整体战略的关键部分。"
    nodes = attach_claims([_node("a", "zh", "zh", first, "75%", 75, "decision_makers", 2020),
                           _node("b", "zh", "zh", second, "80%", 80, "decision_makers", 2020)])
    found = score_pair(nodes[0], nodes[1], {})
    assert found is not None and found[0] == "restatement"  # one source, two values


def test_sub_samples_of_one_survey_stay_apart_but_samples_of_studies_link() -> None:
    en = "Our survey of 3,450 consumers and 1,200 customer service leaders in 20 countries."
    de = "Rund 1.500 Führungskräfte aus sechs Ländern wurden befragt."
    nodes = attach_claims([
        _node("a", "en", "en", en, "3,450", 3450, "consumers", 2024, unit="count"),
        _node("b", "en", "en", en, "1,200", 1200, "service_decision_makers", 2024, unit="count"),
        _node("c", "de", "de", de, "1.500", 1500, "executives", 2021, unit="count"),
    ])
    assert score_pair(nodes[0], nodes[1], {}) is None
    assert score_pair(nodes[0], nodes[2], {}) == ("sample", 0.9)


# --------------------------------------------------------------------------- blocking


def _all_pairs_link(nodes: list[Node]) -> set[frozenset[str]]:
    """Reference: score every pair, merge strongest first (what the blocks must reproduce)."""
    points = link_rules.fingerprints(nodes)
    found = [(a, b, found) for a, b in combinations(nodes, 2)
             if (found := score_pair(a, b, points)) and found[1] >= link_rules.LINK_THRESHOLD]
    found.sort(key=lambda item: (linking.link_rank(item[0], item[1], item[2][0]), -item[2][1],
                                 min(item[0].order, item[1].order),
                                 max(item[0].order, item[1].order)))
    clusters = linking.Clusters(nodes)
    for a, b, (method, _) in found:
        clusters.merge(a.obs_id, b.obs_id, same_measure=method in linking.SAME_MEASURE,
                       across=a.doc_id != b.doc_id, within_study=linking.same_study(a, b))
    sample_keys = link_samples.sample_keys(nodes)
    by_key: dict[Any, list[str]] = defaultdict(list)
    for node in nodes:
        if node.obs_id in sample_keys:
            by_key[sample_keys[node.obs_id]].append(node.obs_id)
    for members in by_key.values():
        for obs_id in members:
            clusters.merge(members[0], obs_id, same_measure=True)
    grouped: dict[str, set[str]] = defaultdict(set)
    for node in nodes:
        grouped[clusters.forest.find(node.obs_id)].add(node.obs_id)
    return {frozenset(members) for members in grouped.values()}


def _editions(seed: list[Node], copies: int) -> list[Node]:
    """The corpus's figures again in other documents: other years, values moved by a few
    points in some copies (so that some same-year figures agree and some conflict)."""
    nodes = []
    for copy in range(copies):
        for node in seed:
            shift = (copy * 7 + len(node.obs_id)) % 5 - 2 if copy % 2 else 0
            nodes.append(replace(
                node, obs_id=f"{node.obs_id}-{copy}", doc_id=f"{node.doc_id}-{copy}",
                value=node.value if node.unit == "count" else node.value + shift,
                year=None if node.year is None else node.year + copy % 3 * 2,
                group_key=node.group_key and f"{node.group_key}-{copy}",
                order=(str(copy), node.obs_id), shingles=None))
    return nodes


def test_blocks_find_the_same_metrics_as_scoring_every_pair(corpus_run) -> None:
    import duckdb

    with duckdb.connect(str(corpus_run["warehouse"]), read_only=True) as con:
        seed = reconcile.load_nodes(con)
    nodes = _editions(seed, copies=6)
    clusters, _ = link(nodes)
    assert {frozenset(n.obs_id for n in members) for members in clusters.values()} \
        == _all_pairs_link(nodes)
    assert len(clusters) < len(nodes) / 2  # the copies did link


def test_the_work_grows_with_the_figures_not_with_the_square_of_a_block() -> None:
    claim = "Heute sagen {} Prozent der Kunden, dass ihnen ein schneller Service wichtig ist."
    nodes = []
    for i in range(3000):
        text = claim.format(40 + i % 30)
        nodes.append(_node(f"n{i:05}", f"d{i}", "de", text, str(40 + i % 30), 40 + i % 30,
                           "customers", 2016 + i % 8))
    attach_claims(nodes)
    found = linking._scored_links(nodes)
    assert len(found) < 3 * len(nodes)
    clusters, _ = link(nodes)
    assert len(clusters) == 1


def test_comparison_groups_sharing_a_point_link_without_a_population() -> None:
    """No kind of people, so topics alone cannot link them: only the shared (year, value)."""
    first = "Use of self-service portals rose to {}% in 2022, up from {}% in 2020."
    second = "Self-service adoption: {}% (2020) and {}% (2018)."
    nodes = []
    for i in range(40):
        now, before = 60 + i % 3, 45 + i % 4
        text = first.format(70 + i % 5, now) if i % 2 else second.format(now, before)
        values = (70 + i % 5, now) if i % 2 else (now, before)
        years = (2022, 2020) if i % 2 else (2020, 2018)
        for value, year in zip(values, years, strict=True):
            nodes.append(_node(f"n{i:02}-{year}", f"d{i}", "en", text, f"{value}%", value, None,
                               year, group=f"g{i}"))
    clusters, _ = link(nodes)
    assert len(clusters) == 1  # each wording alone would make one metric
    assert {frozenset(n.obs_id for n in members) for members in clusters.values()} \
        == _all_pairs_link(nodes)
