"""Reconciliation: link observations of the same measure into metrics.

Signals, none of which needs a translation model:
  group        values of one sentence that compare the same measure over years
  paraphrase   a verbal share next to its exact figure ("less than half (48%)")
  sample       counts of people, countries, ... describing a survey's sample
  concepts     same unit, same population, the same topic concepts (any language)
  restatement  same language, same value and population, near-identical clause
  fingerprint  comparison groups sharing (year, value) points and a topic
Equal values alone never link two observations. Each link keeps its method
and score; the threshold decides. Metric ids are stable because each is named
after its oldest observation. A run that only adds documents links their
observations into the existing metrics (`warehouse/relink.py`); `rebuild`
starts from nothing.

Only observations that share a block (a sentence; a value; a topic; a point
of a comparison group) are scored, and never every pair of a block: the
links a block must yield follow from the rules (see `_Links`), so the work
grows with the number of observations (240,000 in ~15 s).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

import duckdb

from extract import languages
from warehouse.store import insert_rows

LINKER_VERSION = "linker-3"
LINK_THRESHOLD = 0.75
SIMILAR_WORDING = 0.45  # the lowest Jaccard of claim shingles any rule accepts
PEOPLE_SAMPLE_LABEL = "survey responses"
NON_PEOPLE_COUNTS = {"countries", "continents", "companies", "organizations", "industries",
                     "regions", "markets"}


@dataclass(slots=True)
class Node:
    obs_id: str
    doc_id: str
    lang: str | None
    value: float
    unit: str
    qualifier: str
    population: str | None
    year: int | None
    group_key: str | None
    concepts: frozenset[str]
    surface: str
    claim: str
    claim_start: int
    start: int
    end: int
    order: tuple[Any, ...]
    claim_en: str | None = None
    shingles: frozenset[str] | None = field(default=None, compare=False, repr=False)


class _UnionFind:
    def __init__(self, items: list[str]) -> None:
        self.parent = {item: item for item in items}

    def find(self, item: str) -> str:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


# One English gloss per translated text (the linker reads labels from it, no numbers).
TRANSLATED = ("SELECT text_sha256, src, any_value(translated) AS translated FROM translations"
              " WHERE tgt = 'en' AND status = 'translated' GROUP BY ALL")

NODE_SELECT = (
    "SELECT o.obs_id, o.doc_id, coalesce(s.language, d.language), o.value, o.unit,"
    " o.qualifier, o.population, o.year, o.group_key, o.concepts, o.surface, o.claim,"
    " o.claim_start, o.start, o.\"end\", r.started_at, t.translated"
    " FROM current_observations o JOIN documents d USING (doc_id)"
    " LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no"
    " LEFT JOIN runs r ON r.run_id = o.run_id"
    f" LEFT JOIN ({TRANSLATED}) t ON t.text_sha256 = s.text_sha256 AND t.src = s.language")


def load_nodes(con: duckdb.DuckDBPyConnection, where: str = "", batch: int = 50_000
               ) -> list[Node]:
    """Current observations (those `where` selects, a condition on `o`), read in batches;
    the sentence, topics and word shingles that many observations share are held once
    (a large corpus repeats them often)."""
    result = con.execute(NODE_SELECT + (f" WHERE {where}" if where else ""))
    shared = _Shared()
    nodes = []
    while rows := result.fetchmany(batch):
        for row in rows:
            lang = shared(row[2])
            nodes.append(Node(
                obs_id=row[0], doc_id=shared(row[1]), lang=lang, value=row[3],
                unit=shared(row[4]), qualifier=shared(row[5]), population=shared(row[6]),
                year=row[7], group_key=row[8], concepts=shared(frozenset(row[9] or ())),
                surface=row[10], claim=shared(row[11]), claim_start=row[12], start=row[13],
                end=row[14], order=(shared(str(row[15])), row[0]), claim_en=row[16],
                shingles=shared.shingles(row[11], lang)))
    nodes.sort(key=lambda n: (n.order[0], n.doc_id, n.start))
    return nodes


_CLAUSE_BREAK = re.compile(r"[,，;；:：]|\s[–—-]\s")


_FIGURES = re.compile(r"[\d%％]+")


def _shingles(text: str, lang: str | None) -> set[str]:
    """Word stems (where words are not spaced, as in Chinese: character pairs) of a
    sentence, its figures left out."""
    text = _FIGURES.sub(" ", text.lower())
    if lang is not None and not languages.info(lang).spaces_between_words:
        chars = [c for c in text if not c.isspace()]
        return {a + b for a, b in zip(chars, chars[1:], strict=False)}
    return {word[:5] for word in re.findall(r"\w+", text) if len(word) > 2}


class _Shared:
    """One copy of each value that many observations share: names, topics, sentences,
    and the shingles of sentences that differ only in their figures."""

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.by_wording: dict[tuple[str, str | None], frozenset[str]] = {}

    def __call__(self, value: Any) -> Any:
        return self.values.setdefault(value, value)

    def shingles(self, claim: str, lang: str | None) -> frozenset[str]:
        key = (_FIGURES.sub(" ", claim), lang)
        found = self.by_wording.get(key)
        if found is None:
            found = self.by_wording[key] = frozenset(self(t) for t in _shingles(claim, lang))
        return found


def _jaccard(a: set[str] | frozenset[str], b: set[str] | frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _count_kind(node: Node) -> str | None:
    if node.unit != "count":
        return None
    if node.population in NON_PEOPLE_COUNTS:
        return node.population
    return PEOPLE_SAMPLE_LABEL if node.population else None


def _is_verbal(node: Node) -> bool:
    return not any(ch.isdigit() for ch in node.surface)


def _fingerprints(nodes: list[Node]) -> dict[str, set[tuple[int, float]]]:
    points: dict[str, set[tuple[int, float]]] = defaultdict(set)
    for node in nodes:
        if node.group_key and node.year is not None:
            points[node.group_key].add((node.year, round(node.value, 2)))
    return points


def _compatible(a: str | None, b: str | None) -> bool:
    """Same group, or one a narrower kind of the other (it_decision_makers, decision_makers)."""
    if a is None or b is None:
        return a == b
    return a == b or a.endswith("_" + b) or b.endswith("_" + a)


def _paraphrase(a: Node, b: Node) -> bool:
    """A verbal share glossing an exact figure next to it: "less than half (48%)"."""
    if a.doc_id != b.doc_id or a.claim_start != b.claim_start or not a.unit == b.unit == "percent":
        return False
    if _is_verbal(a) == _is_verbal(b) or abs(a.value - b.value) > 20:
        return False
    first, second = (a, b) if a.start < b.start else (b, a)
    between = first.claim[first.end - first.claim_start:second.start - second.claim_start]
    return len(between) <= 3 or (len(between) <= 30 and "(" in between
                                 and not _CLAUSE_BREAK.search(between))


def score_pair(a: Node, b: Node, points: dict[str, set[tuple[int, float]]]
               ) -> tuple[str, float] | None:
    """The strongest link between two observations, or None."""
    if a.group_key and a.group_key == b.group_key:
        return "group", 1.0
    if _paraphrase(a, b):
        return "paraphrase", 0.95
    if a.unit != b.unit:
        return None
    kind_a, kind_b = _count_kind(a), _count_kind(b)
    if kind_a or kind_b:
        # One document may describe several sub-samples ("3,450 consumers and 1,200 leaders"):
        # inside a document only counts of the same group are one sample.
        same_sample = kind_a == kind_b and (a.doc_id != b.doc_id or a.population == b.population)
        return ("sample", 0.9) if same_sample else None
    topics_clash = bool(a.concepts and b.concepts and not a.concepts & b.concepts)
    other_sentence = a.doc_id != b.doc_id or a.claim_start != b.claim_start
    if a.value == b.value and a.lang == b.lang and other_sentence and not topics_clash:
        text_score = _jaccard(_claim_shingles(a), _claim_shingles(b))
        same_people = a.population == b.population
        if text_score >= (0.5 if same_people else 0.45) and (same_people or a.doc_id == b.doc_id):
            return "restatement", 0.6 + 0.4 * text_score
    if not _compatible(a.population, b.population):
        return None
    concept_score = _jaccard(a.concepts, b.concepts)
    if a.group_key and b.group_key and concept_score > 0:
        shared = len(points[a.group_key] & points[b.group_key])
        if shared:
            return "fingerprint", min(1.0, 0.7 + 0.15 * shared)
    if a.population and concept_score == 1.0 and not _would_conflict(a, b):
        return "concepts", 0.8 if len(a.concepts) > 1 else 0.76
    return None


def _would_conflict(a: Node, b: Node) -> bool:
    """Topic words alone may draw a trend (other years) or agreement (same value), but a
    conflict (same year, other value) also needs near-identical wording: a report that
    gives two values in one year is far more often measuring two things."""
    if a.year != b.year or abs(a.value - b.value) <= 1.0:
        return False
    if a.lang != b.lang:
        return True
    return _jaccard(_claim_shingles(a), _claim_shingles(b)) < 0.5


def _sample_keys(nodes: list[Node]) -> dict[str, tuple[str, str]]:
    """Cluster key of every count that describes a survey's sample.

    Samples of different studies are one measure ("survey responses"), whoever was
    asked; but a document that describes several sub-samples ("3,450 consumers and
    1,200 leaders") keeps them apart by group.
    """
    groups_in_doc: dict[str, set[str | None]] = defaultdict(set)
    for node in nodes:
        if _count_kind(node) == PEOPLE_SAMPLE_LABEL:
            groups_in_doc[node.doc_id].add(node.population)
    keys = {}
    for node in nodes:
        kind = _count_kind(node)
        if kind is None:
            continue
        several = kind == PEOPLE_SAMPLE_LABEL and len(groups_in_doc[node.doc_id]) > 1
        keys[node.obs_id] = (kind, str(node.population) if several else "*")
    return keys


def _sentence(node: Node) -> tuple[str, int]:
    return node.doc_id, node.claim_start


def _grouped(nodes: Iterable[Node], key: Callable[[Node], Hashable]) -> dict[Any, list[Node]]:
    groups: dict[Any, list[Node]] = defaultdict(list)
    for node in nodes:
        groups[key(node)].append(node)
    return groups


def _by_measure(members: list[Node]) -> list[list[Node]]:
    """Members split so that no part holds two measures of one sentence: part k holds
    the k-th measure of every sentence (a comparison group is one measure)."""
    measures: dict[tuple[str, int], list[str]] = defaultdict(list)
    parts: list[list[Node]] = []
    for node in members:
        seen = measures[_sentence(node)]
        measure = node.group_key or node.obs_id
        if measure not in seen:
            seen.append(measure)
        rank = seen.index(measure)
        if rank == len(parts):
            parts.append([])
        parts[rank].append(node)
    return parts


class _Links:
    """Scored links between observations; each pair is scored once.

    Blocks never enumerate all their pairs: inside a block, links follow from the
    rules' structure (figures of other years on one topic always link, identical
    wording always links, similar wording is found by prefix filtering), so the
    work grows with the number of observations, not with the square of a block.
    """

    def __init__(self, nodes: list[Node]) -> None:
        self.points = _fingerprints(nodes)
        self.position = {id(node): index for index, node in enumerate(nodes)}
        self.size = len(nodes)
        self.scored: set[int] = set()
        self.found: list[tuple[Node, Node, tuple[str, float]]] = []

    def consider(self, a: Node, b: Node) -> None:
        i, j = self.position[id(a)], self.position[id(b)]
        if i == j:
            return
        key = min(i, j) * self.size + max(i, j)
        if key in self.scored:
            return
        self.scored.add(key)
        link = score_pair(a, b, self.points)
        if link is not None and link[1] >= LINK_THRESHOLD:
            self.found.append((a, b, link))

    def star(self, members: list[Node]) -> None:
        """Link members to one anchor, for members of which every pair would link; a
        sentence's second measure goes to a second anchor (it may not join the first)."""
        for part in _by_measure(members):
            for node in part[1:]:
                self.consider(part[0], node)

    def across(self, one: list[Node], two: list[Node]) -> None:
        """One link between two sets of interchangeable members, from different sentences."""
        for a in one[:2]:
            for b in two[:2]:
                if _sentence(a) != _sentence(b):
                    self.consider(a, b)
                    return


def _claim_shingles(node: Node) -> frozenset[str]:
    if node.shingles is None:
        node.shingles = frozenset(_shingles(node.claim, node.lang))
    return node.shingles


def _similar_sets(sets: list[frozenset[str]], threshold: float) -> Iterator[tuple[int, int]]:
    """Pairs of sets whose Jaccard similarity reaches `threshold`, by prefix filtering:
    two such sets must share a token among the rarest len - ceil(threshold * len) + 1
    of each, so only sets sharing one of those rare tokens are compared."""
    frequency = Counter(token for tokens in sets for token in tokens)
    index: dict[str, list[int]] = defaultdict(list)
    for i, tokens in enumerate(sets):
        if not tokens:
            continue
        rarest = sorted(tokens, key=lambda token: (frequency[token], token))
        candidates: set[int] = set()
        for token in rarest[:len(rarest) - math.ceil(threshold * len(rarest)) + 1]:
            candidates.update(index[token])
            index[token].append(i)
        for j in sorted(candidates):
            if _jaccard(sets[i], sets[j]) >= threshold:
                yield j, i


def _link_similar_wording(members: list[Node], links: _Links) -> None:
    """Members with the same wording (and topics) link as a star; different wordings are
    compared once per similar pair of wordings."""
    same_wording = _grouped(members, lambda n: (_claim_shingles(n), n.concepts))
    for group in same_wording.values():
        links.star(group)
    wordings = list(same_wording)
    for i, j in _similar_sets([shingles for shingles, _ in wordings], SIMILAR_WORDING):
        links.across(same_wording[wordings[i]], same_wording[wordings[j]])


def _link_topic(members: list[Node], links: _Links) -> None:
    """One topic block (same unit, concepts and kind of people). Figures of different
    years always link (a trend); figures of one year link when their values agree or
    their wording is near-identical (see `_would_conflict`)."""
    classes = _grouped((n for n in members if n.population), lambda n: n.population)
    anchors: dict[str, list[list[Node]]] = {}
    for population, people in classes.items():
        anchors[population] = [_link_one_measure(part, links) for part in _by_measure(people)]
    for one, two in combinations(classes, 2):
        if _compatible(one, two):
            for firsts_one, firsts_two in zip(anchors[one], anchors[two], strict=False):
                for a in firsts_one:
                    for b in firsts_two:
                        links.consider(a, b)


def _link_one_measure(people: list[Node], links: _Links) -> list[Node]:
    """Links among figures of one topic and kind of people, at most one per sentence;
    returns the first figure of each year."""
    by_year = _grouped(people, lambda n: n.year)
    firsts = [group[0] for group in by_year.values()]
    if len(firsts) > 1:
        for node in people:
            links.consider(firsts[1] if node.year == firsts[0].year else firsts[0], node)
        return firsts
    ordered = sorted(people, key=lambda n: n.value)
    for a, b in pairwise(ordered):
        if b.value - a.value <= 1.0:
            links.consider(a, b)
    for same_language in _grouped(people, lambda n: n.lang).values():
        _link_similar_wording(same_language, links)
    return firsts


def _link_fingerprints(nodes: list[Node], links: _Links) -> None:
    """Comparison groups that share a (year, value) point and a topic: one link per pair
    of groups is enough, because a group's own members are already linked."""
    shared: dict[tuple[Any, ...], dict[str, Node]] = defaultdict(dict)
    for node in nodes:
        if node.group_key and node.concepts:
            tail = _tail(node.population)
            for concept in node.concepts:
                for point in links.points[node.group_key]:
                    shared[(node.unit, tail, concept, point)].setdefault(node.group_key, node)
    for groups in shared.values():
        if len(groups) < 2:
            continue
        classes = _grouped(groups.values(), lambda n: n.population)
        for people in classes.values():
            links.star(people)
        for one, two in combinations(classes, 2):
            if _compatible(one, two):
                links.across(classes[one], classes[two])


def _tail(population: str | None) -> str:
    """The last word of a kind of people: compatible kinds share it."""
    return (population or "").rsplit("_", 1)[-1]


def _scored_links(nodes: list[Node]) -> list[tuple[Node, Node, tuple[str, float]]]:
    """Every link at or above the threshold that the blocks reveal (samples excepted:
    they are clustered by key)."""
    links = _Links(nodes)
    linkable = [n for n in nodes if not _count_kind(n)]
    for members in _grouped(linkable, _sentence).values():
        for a, b in combinations(members, 2):
            links.consider(a, b)
    for key in (lambda n: (n.lang, n.unit, n.value, "people", n.population),
                lambda n: (n.lang, n.unit, n.value, "document", n.doc_id)):
        for members in _grouped(linkable, key).values():
            if len(members) > 1:
                _link_similar_wording(members, links)  # restatements
    topics = _grouped((n for n in linkable if n.concepts),
                      lambda n: (n.unit, _tail(n.population), n.concepts))
    for members in topics.values():
        _link_topic(members, links)
    _link_fingerprints(linkable, links)
    return links.found


class _Clusters:
    """Union-find that refuses merges putting two measures of one sentence together."""

    def __init__(self, nodes: list[Node]) -> None:
        self.forest = _UnionFind([n.obs_id for n in nodes])
        self.sentences: dict[str, set[tuple[str, int]]] = {
            n.obs_id: {(n.doc_id, n.claim_start)} for n in nodes}

    def merge(self, a: str, b: str, *, same_measure: bool) -> bool:
        ra, rb = self.forest.find(a), self.forest.find(b)
        if ra == rb:
            return True
        if not same_measure and self._overlap(ra, rb):
            return False
        self.forest.union(ra, rb)
        root = self.forest.find(ra)
        small, large = sorted((self.sentences.pop(ra), self.sentences.pop(rb)), key=len)
        large |= small  # the smaller set into the larger: a big metric is never copied
        self.sentences[root] = large
        return True

    def _overlap(self, ra: str, rb: str) -> bool:
        return bool(self.sentences[ra] & self.sentences[rb])


def link(nodes: list[Node], clusters: _Clusters | None = None,
         keep: Callable[[Node, Node], bool] | None = None
         ) -> tuple[dict[str, list[Node]], dict[str, tuple[str, float]]]:
    """Clusters of observations (keyed by root obs_id) and each observation's best link.

    Links inside a sentence (comparison groups, paraphrases) are made first; then the
    others, strongest first, never joining two measures of one sentence. `clusters` may
    come with merges already made (the metrics an incremental run extends); `keep`
    chooses which of the links found are applied.
    """
    found = [item for item in _scored_links(nodes) if keep is None or keep(item[0], item[1])]
    rank = {id(node): i for i, node in enumerate(sorted(nodes, key=lambda n: n.order))}

    def strongest_oldest_first(item: tuple[Node, Node, tuple[str, float]]) -> tuple[Any, ...]:
        a, b = rank[id(item[0])], rank[id(item[1])]
        return item[2][0] not in ("group", "paraphrase"), -item[2][1], min(a, b), max(a, b)

    found.sort(key=strongest_oldest_first)
    if clusters is None:
        clusters = _Clusters(nodes)
    best: dict[str, tuple[str, float]] = {}
    for a, b, (method, score) in found:
        if not clusters.merge(a.obs_id, b.obs_id, same_measure=method in ("group", "paraphrase")):
            continue
        for node in (a, b):
            if score > best.get(node.obs_id, ("", 0.0))[1]:
                best[node.obs_id] = (method, score)
    by_key: dict[tuple[str, str], list[Node]] = defaultdict(list)
    sample_keys = _sample_keys(nodes)
    for node in nodes:
        if node.obs_id in sample_keys:
            by_key[sample_keys[node.obs_id]].append(node)
    for members in by_key.values():
        for node in members:
            clusters.merge(members[0].obs_id, node.obs_id, same_measure=True)
            if len(members) > 1:
                best[node.obs_id] = ("sample", 0.9)
    grouped: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        grouped[clusters.forest.find(node.obs_id)].append(node)
    return grouped, best


def _words(key: str | None) -> str:
    return (key or "").replace("_", " ")


def _excerpt(node: Node, before: int = 30, after: int = 60) -> str:
    """The figure's own words: its sentence around it, so that two metrics of one
    sentence get different labels."""
    at = node.start - node.claim_start
    lo, hi = max(0, at - before), min(len(node.claim), node.end - node.claim_start + after)
    text = " ".join(node.claim[lo:hi].split())
    return ("…" if lo > 0 else "") + text + ("…" if hi < len(node.claim) else "")


def label_for(members: list[Node]) -> tuple[str, str]:
    """English label of a metric and where it came from (no translation model is needed)."""
    first = members[0]
    kind = _count_kind(first)
    if kind == PEOPLE_SAMPLE_LABEL:
        groups = {m.population for m in members}
        suffix = f": {_words(groups.pop())}" if len(groups) == 1 else ""
        return f"{PEOPLE_SAMPLE_LABEL}{suffix}", "sample"
    if kind:
        return f"{_words(kind)} surveyed", "sample"
    prefix = "growth in " if first.unit == "percent_change" else ""
    who = _words(first.population) or "share"
    translated = [m for m in members if m.claim_en]
    if translated:
        gloss = " ".join((translated[0].claim_en or "").split())
        return f"{prefix}{who}: “{gloss[:89] + '…' if len(gloss) > 90 else gloss}”", "translation"
    with_topics = [m for m in members if m.concepts]
    if with_topics:
        topics = ", ".join(_words(c) for c in sorted(with_topics[0].concepts))
        return f"{prefix}{who}: {topics}", "concepts"
    return f"{prefix}{who}: “{_excerpt(first)}”", "claim"


def metric_id_for(members: list[Node]) -> str:
    anchor = min(members, key=lambda n: n.order)
    return "m-" + hashlib.sha256(anchor.obs_id.encode()).hexdigest()[:12]


def rebuild(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Rebuild metrics and metric_observations from all current observations."""
    nodes = load_nodes(con)
    clusters, best = link(nodes)
    metrics, links = [], []
    for members in clusters.values():
        members.sort(key=lambda n: n.order)
        metric_id = metric_id_for(members)
        metrics.append(metric_row(metric_id, members, run_id))
        for node in members:
            method, score = best.get(node.obs_id, ("single", 1.0))
            links.append(link_row(metric_id, node.obs_id, method, score, run_id))
    con.execute("DELETE FROM metric_observations")
    con.execute("DELETE FROM metrics")
    insert_rows(con, "metrics", metrics)
    insert_rows(con, "metric_observations", links)
    return {"metrics": len(metrics), "links": len(links), "conflicts": count_conflicts(con),
            "linked_new": len(nodes), "incremental": 0}


def metric_row(metric_id: str, members: list[Node], run_id: str) -> dict[str, Any]:
    """The metrics row of members sorted oldest first."""
    label, label_source = label_for(members)
    return {"metric_id": metric_id, "label": label, "population": members[0].population,
            "unit": members[0].unit, "label_source": label_source,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def link_row(metric_id: str, obs_id: str, method: str, score: float, run_id: str
             ) -> dict[str, Any]:
    return {"metric_id": metric_id, "obs_id": obs_id, "method": method, "score": score,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def count_conflicts(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute("SELECT count(*) FROM conflicts").fetchone()
    return int(found[0]) if found else 0
