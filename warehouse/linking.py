"""Linking: observations of the same measure into metrics, on evidence (the rules are
`warehouse/link_rules.py`, the claims they compare `warehouse/link_claims.py`).

Equal values alone never link two observations, and different claims of one document
never share a metric (`Clusters`). A run that only adds documents links their
observations into the existing metrics (`Growing`, driven by `warehouse/relink.py`).
All of it works on plain `Node`s and needs no database: `warehouse/reconcile.py`
loads them and stores the metrics.

Only observations that share a block (a sentence; a value; a study; claim words; a
topic; a point of a comparison group) are scored, and never every pair of a block: the
links a block must yield follow from the rules (see `_Links`), so the work grows with
the number of observations. Metric ids are stable because each is named after its
oldest observation (`warehouse/labels.py`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from itertools import combinations
from typing import TYPE_CHECKING, Any

from warehouse.link_claims import Node, grouped_by, sentence_of
from warehouse.link_rules import (
    LINK_THRESHOLD,
    MIN_WORDS,
    RESTATED_CLAIM,
    RESTATED_DIFFERENTLY,
    SAME_CLAIM_WORDS,
    compatible,
    count_kind,
    finding,
    fingerprints,
    jaccard,
    same_study,
    score_pair,
)
from warehouse.link_samples import sample_keys

if TYPE_CHECKING:
    from warehouse.link_curation import KeptApart


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



def _by_measure(members: list[Node]) -> list[list[Node]]:
    """Members split so that no part holds two measures of one sentence: part k holds
    the k-th measure of every sentence (a comparison group is one measure)."""
    measures: dict[tuple[str, int], list[str]] = defaultdict(list)
    parts: list[list[Node]] = []
    for node in members:
        seen = measures[sentence_of(node)]
        measure = node.group_key or node.obs_id
        if measure not in seen:
            seen.append(measure)
        rank = seen.index(measure)
        if rank == len(parts):
            parts.append([])
        parts[rank].append(node)
    return parts


STAR_ROUNDS = 2  # (a second anchor finds what the first refused; more rounds found ~0.2% more links
# on the 10,000-document bench for 20% more pairs scored)


class _Links:
    """Scored links between observations; each pair is scored once.

    Blocks never enumerate all their pairs: inside a block, links follow from the
    rules' structure (figures of other years on one topic always link, identical
    wording always links, similar wording is found by prefix filtering), so the
    work grows with the number of observations, not with the square of a block.
    """

    def __init__(self, nodes: list[Node], new: Callable[[Node], bool] | None = None) -> None:
        self.new = new  # (an incremental run: only links with a new figure are applied)
        self.points = fingerprints(nodes)
        self.position = {id(node): index for index, node in enumerate(nodes)}
        self.size = len(nodes)
        self.scored: set[int] = set()
        self.found: list[tuple[Node, Node, tuple[str, float]]] = []

    def involved(self, members: Iterable[Node]) -> bool:
        """Whether a link among `members` could be applied: in an incremental run, only
        where one of them is new (a block of existing figures alone is not scored)."""
        return self.new is None or any(self.new(node) for node in members)

    def consider(self, a: Node, b: Node) -> bool:
        """Score a pair once; whether it links."""
        i, j = self.position[id(a)], self.position[id(b)]
        if i == j or (self.new is not None and not (self.new(a) or self.new(b))):
            return False
        key = min(i, j) * self.size + max(i, j)
        if key in self.scored:
            return False
        self.scored.add(key)
        link = score_pair(a, b, self.points)
        if link is not None and link[1] >= LINK_THRESHOLD:
            self.found.append((a, b, link))
            return True
        return False

    def star(self, members: list[Node]) -> None:
        """Link members to one anchor, for members of which every pair would link; a
        sentence's second measure goes to a second anchor (it may not join the first).
        The anchor is a new member when there is one (an incremental run: links between
        existing figures are not applied again). Members the anchor does not link (its
        own document's other claims, a figure that refers back to another measure) are
        starred again among themselves, up to STAR_ROUNDS times: whichever member
        anchors, the same links are found."""
        for part in _by_measure(members):
            rest = part
            for _ in range(STAR_ROUNDS):
                if len(rest) < 2 or not self.involved(rest):
                    break
                anchor = next((n for n in rest if self.new(n)), rest[0]) if self.new else rest[0]
                rest = [n for n in rest if n is not anchor and not self.consider(anchor, n)]

    def across(self, one: list[Node], two: list[Node]) -> None:
        """Links between two sets of interchangeable members, from different sentences: a
        few, so that one refused merge (a document both touch) does not lose the rest."""
        if not self.involved(one[:3] + two[:3]):
            return
        for a in one[:3]:
            for b in two[:3]:
                if sentence_of(a) != sentence_of(b):
                    self.consider(a, b)


def _similar_sets(sets: list[frozenset[str]], threshold: float,
                  wanted: list[bool] | None = None) -> Iterator[tuple[int, int]]:
    """Pairs of sets whose Jaccard similarity reaches `threshold`, by prefix filtering:
    two such sets must share a token among the rarest len - ceil(threshold * len) + 1
    of each, so only sets sharing one of those rare tokens are compared (and, given
    `wanted`, only pairs with a wanted set)."""
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
            if wanted is not None and not (wanted[i] or wanted[j]):
                continue
            if jaccard(sets[i], sets[j]) >= threshold:
                yield j, i


def _link_similar_wording(members: list[Node], links: _Links,
                          threshold: float = SAME_CLAIM_WORDS,
                          words: Callable[[Node], frozenset[str]] = lambda n: n.words) -> None:
    """Members with the same claim words (and topics) link as a star; different claims
    are compared once per similar pair of claims."""
    same_wording = grouped_by(members, lambda n: (words(n), n.concepts))
    for group in same_wording.values():
        links.star(group)
    wordings = list(same_wording)
    wanted = [links.involved(same_wording[wording][:3]) for wording in wordings]
    for i, j in _similar_sets([words for words, _ in wordings], threshold, wanted):
        links.across(same_wording[wordings[i]], same_wording[wordings[j]])


ALL_WORDINGS = 300  # a study block with at most this many wordings compares all of them


def _link_study_wordings(members: list[Node], links: _Links) -> None:
    """One study, unit and language: a shorter wording of a claim (a headline, an earlier
    edition's sentence) may link by containment, which prefix filtering cannot find; a
    study has few wordings, so every pair of them is compared (past ALL_WORDINGS, only
    those similar by Jaccard)."""
    same_wording = grouped_by(members, lambda n: (n.words, n.concepts))
    if len(same_wording) > ALL_WORDINGS:
        _link_similar_wording(members, links)
        return
    for group in same_wording.values():
        links.star(group)
    for one, two in combinations(same_wording.values(), 2):
        if len(one[0].words & two[0].words) >= 2:
            links.across(one, two)


def _link_languages(members: list[Node], links: _Links) -> None:
    """One topic block (same unit, concepts and kind of people; or one study's predicate
    ids): each figure meets, in
    every other language, the first figure of its own year and the first of another year
    (the concept lexicon links claims across languages)."""
    firsts: dict[str | None, dict[int | None, Node]] = defaultdict(dict)
    for node in members:
        firsts[node.lang].setdefault(node.year, node)
    for node in members:
        for lang, by_year in firsts.items():
            if lang == node.lang:
                continue
            if node.year in by_year:
                links.consider(by_year[node.year], node)
            other = next((n for year, n in by_year.items() if year != node.year), None)
            if other is not None:
                links.consider(other, node)


def _link_study(members: list[Node], links: _Links) -> None:
    """Figures of one study (or document), unit, year and value: the same figure restated
    (in a headline, a summary, a translation) when their claims agree."""
    if len(members) <= 30:
        for a, b in combinations(members, 2):
            links.consider(a, b)
        return
    firsts = {node.lang: node for node in reversed(members)}
    for node in members:
        for first in firsts.values():
            links.consider(first, node)
    for same_language in grouped_by(members, lambda n: n.lang).values():
        _link_similar_wording(same_language, links, RESTATED_CLAIM)


def _link_fingerprints(nodes: list[Node], links: _Links) -> None:
    """Comparison groups that share a (year, value) point and a topic: one link per pair
    of groups is enough, because a group's own members are already linked."""
    shared: dict[tuple[Any, ...], dict[str, Node]] = defaultdict(dict)
    for node in nodes:
        if node.group_key and node.concepts:
            tail = population_tail(node.population)
            for concept in node.concepts:
                for point in links.points[node.group_key]:
                    shared[(node.unit, tail, concept, point)].setdefault(node.group_key, node)
    for groups in shared.values():
        if len(groups) < 2:
            continue
        classes = grouped_by(groups.values(), lambda n: n.population)
        for people in classes.values():
            links.star(people)
        for one, two in combinations(classes, 2):
            if compatible(one, two):
                links.across(classes[one], classes[two])


def population_tail(population: str | None) -> str:
    """The last word of a kind of people: compatible kinds share it (a block key that
    relink's picks of representatives must share with the blocks here)."""
    return (population or "").rsplit("_", 1)[-1]


def _scored_links(nodes: list[Node], new: Callable[[Node], bool] | None = None
                  ) -> list[tuple[Node, Node, tuple[str, float]]]:
    """Every link at or above the threshold that the blocks reveal (samples excepted:
    they are clustered by key); with `new` (an incremental run), only links with a new
    figure, which anchors its blocks, and blocks without one are passed over."""
    links = _Links(nodes, new)
    linkable = [n for n in nodes if not count_kind(n) or finding(n)]
    by_id = {n.obs_id: n for n in linkable}

    def blocks(members: Iterable[Node], key: Callable[[Node], Any]) -> Iterator[list[Node]]:
        """The blocks of `key` with at least two members, where a link could be applied."""
        for block in grouped_by(members, key).values():
            if len(block) > 1 and links.involved(block):
                yield block

    for members in blocks(linkable, sentence_of):
        for a, b in combinations(members, 2):
            links.consider(a, b)
    for members in blocks((n for n in linkable if n.group_key), lambda n: n.group_key):
        for a, b in zip(members, members[1:], strict=False):  # (a list's years: several lines)
            links.consider(a, b)
    for node in linkable:
        if node.antecedent in by_id:
            links.consider(by_id[node.antecedent], node)
        if node.headline_of in by_id:
            links.consider(by_id[node.headline_of], node)
    for members in blocks(linkable, lambda n: (n.doc_id, n.unit, n.value)):
        _link_study(members, links)  # restated in one document
    for members in blocks(linkable, lambda n: (n.doc_id, n.unit, n.year)):
        _link_similar_wording(members, links, RESTATED_DIFFERENTLY)  # ... differently
    for members in blocks((n for n in linkable if n.study),
                          lambda n: (n.study, n.unit, n.year, n.value)):
        _link_study(members, links)
    for members in blocks(linkable, lambda n: (n.lang, n.unit, population_tail(n.population))):
        _link_similar_wording(members, links)  # one claim across editions and studies
    for members in blocks((n for n in linkable if n.study), lambda n: (n.study, n.lang, n.unit)):
        _link_study_wordings(members, links)  # ... a shorter wording in one study
    for members in blocks((n for n in linkable if n.words_en),
                          lambda n: (n.unit, population_tail(n.population))):
        if len({n.lang for n in members}) > 1:  # one claim in two languages, in English
            _link_similar_wording(members, links, words=lambda n: n.words_en)
    for members in blocks((n for n in linkable if n.study and len(n.predicates) > 1),
                          lambda n: (n.study, n.unit, n.predicates)):
        if len({n.lang for n in members}) > 1:  # one study's claim in two languages
            _link_languages(members, links)
    for members in blocks((n for n in linkable if n.concepts and n.population),
                          lambda n: (n.unit, population_tail(n.population), n.concepts)):
        if len({n.lang for n in members}) > 1:
            _link_languages(members, links)
    _link_fingerprints(linkable, links)
    return links.found


Point = tuple[int | None, float, bool]  # year, value, whether its clause is a claim of its own


class Clusters:
    """Union-find that refuses merges putting two measures of one sentence together, or,
    through a link between documents, two different claims of one document: clusters that
    hold figures of one document merge only where one gives no figure of that document
    the other does not (a headline and its sentence, the same figure twice), or, through
    a link within one study, where they give no year two values (see `disagree`). Glosses
    ("nearly half") do not count: they go with any figure they gloss.

    `separate` says whether two clusters must stay apart; an incremental run extends it
    with what it knows of the stored metrics (`warehouse/relink.py`).
    """

    def __init__(self, nodes: list[Node]) -> None:
        self.forest = _UnionFind([n.obs_id for n in nodes])
        self.sentences: dict[str, set[tuple[str, int]]] = {
            n.obs_id: {(n.doc_id, n.claim_start)} for n in nodes}
        self.documents: dict[str, dict[str, set[Point]]] = {
            n.obs_id: {} if n.gloss else {n.doc_id: {point_of(n)}} for n in nodes}
        self.kept_apart: KeptApart | None = None  # an analyst's splits (link_curation.py)

    def merge(self, a: str, b: str, *, same_measure: bool, across: bool = False,
              within_study: bool = False) -> bool:
        """Merge the clusters of a and b unless they must stay apart. `same_measure`: the
        link says so itself (a comparison group, a gloss); `across`: it joins two documents;
        `within_study`: of one study (whose documents' other years are a trend)."""
        ra, rb = self.forest.find(a), self.forest.find(b)
        if ra == rb:
            return True
        if self.kept_apart is not None and self.kept_apart.refuses(ra, rb):
            return False  # the analyst's word beats every rule, even one sentence's
        if not same_measure and self.separate(ra, rb, across=across,
                                              within_study=within_study):
            return False
        self.forest.union(ra, rb)
        root = self.forest.find(ra)
        if self.kept_apart is not None:
            self.kept_apart.joined(ra, rb, root)
        small, large = sorted((self.sentences.pop(ra), self.sentences.pop(rb)), key=len)
        large |= small  # the smaller set into the larger: a big metric is never copied
        self.sentences[root] = large
        few, many = sorted((self.documents.pop(ra), self.documents.pop(rb)), key=len)
        for doc, points in few.items():
            many.setdefault(doc, set()).update(points)
        self.documents[root] = many
        return True

    def separate(self, ra: str, rb: str, *, across: bool, within_study: bool = False) -> bool:
        if self.sentences[ra] & self.sentences[rb]:
            return True
        if not across:
            return False
        one, two = sorted((self.documents[ra], self.documents[rb]), key=len)
        for doc, points in one.items():
            others = two.get(doc)
            if others is not None and disagree(points, others, trend=within_study):
                return True
        return False


def point_of(node: Node) -> Point:
    return node.year, round(node.value, 2), len(node.words) >= MIN_WORDS


def disagree(one: set[Point], two: set[Point], *, trend: bool = False) -> bool:
    """Whether two sets of points of one document are two claims: each gives a figure
    the other does not (a headline and its sentence give the same one). With `trend`
    (the link stays within one study) a figure whose clause says nothing of its own ("Im
    Vorjahr waren es 15 Prozent") may be another year of the same claim: then only a
    year given two values, or two worded claims, make two claims."""
    if not trend:
        return not (one <= two or two <= one)
    worded_one = {p for p in one if p[2]}
    worded_two = {p for p in two if p[2]}
    if not (worded_one <= worded_two or worded_two <= worded_one):
        return True
    years = {p[0] for p in one} & {p[0] for p in two}
    return any({p[1] for p in one if p[0] == year}.isdisjoint({p[1] for p in two if p[0] == year})
               for year in years)


SAME_MEASURE = ("group", "paraphrase", "anaphor")  # links that say so themselves
# Inside a document first (a document knows which of its figures are one claim), then
# between documents of one study, then between studies.
_RULE_ORDER = {"restatement": 0, "edition": 1}


def link_rank(a: Node, b: Node, method: str) -> int:
    """Which links are applied first (lower first)."""
    if method in SAME_MEASURE:
        return 0
    if a.doc_id == b.doc_id:
        return 1
    return 2 + _RULE_ORDER.get(method, len(_RULE_ORDER))


def link(nodes: list[Node], clusters: Clusters | None = None,
         new: Callable[[Node], bool] | None = None
         ) -> tuple[dict[str, list[Node]], dict[str, tuple[str, float]]]:
    """Clusters of observations (keyed by root obs_id) and each observation's best link.

    Links inside a sentence (comparison groups, paraphrases) are made first; then the
    others, strongest first, never joining two measures of one sentence. `clusters` may
    come with merges already made (the metrics an incremental run extends), and then
    `new` says which figures are new: only links with one of them are applied.
    """
    found = _scored_links(nodes, new)
    rank = {id(node): i for i, node in enumerate(sorted(nodes, key=lambda n: n.order))}

    def strongest_oldest_first(item: tuple[Node, Node, tuple[str, float]]) -> tuple[Any, ...]:
        a, b = rank[id(item[0])], rank[id(item[1])]
        return link_rank(item[0], item[1], item[2][0]), -item[2][1], min(a, b), max(a, b)

    found.sort(key=strongest_oldest_first)
    if clusters is None:
        clusters = Clusters(nodes)
    best: dict[str, tuple[str, float]] = {}
    for a, b, (method, score) in found:
        if not clusters.merge(a.obs_id, b.obs_id, same_measure=method in SAME_MEASURE,
                              across=a.doc_id != b.doc_id, within_study=same_study(a, b)):
            continue
        for node in (a, b):
            if score > best.get(node.obs_id, ("", 0.0))[1]:
                best[node.obs_id] = (method, score)
    by_key: dict[tuple[str, ...], list[Node]] = defaultdict(list)
    keys = sample_keys(nodes)
    for node in nodes:
        if node.obs_id in keys:
            by_key[keys[node.obs_id]].append(node)
    for members in by_key.values():
        for node in members:
            clusters.merge(members[0].obs_id, node.obs_id, same_measure=True)
            if len(members) > 1:
                best[node.obs_id] = ("sample", 0.9)
    grouped: dict[str, list[Node]] = defaultdict(list)
    for node in nodes:
        grouped[clusters.forest.find(node.obs_id)].append(node)
    return grouped, best
