"""Reconciliation: link observations of the same measure into metrics, on evidence.

Each figure carries its claim (`extract/claims.py`: the lemmas of its clause, negation,
anaphor, gloss) and its study (an edition without its number). Evidence that two
figures measure the same thing, strongest first:
  group        values of one sentence that compare the same measure over years
  paraphrase   a verbal share next to its exact figure ("less than half (48%)")
  anaphor      a figure that refers back to one of another year ("dieser Anteil", "bu
               oran", "这一比例", "(2022: 63%)"); in the same year it names a part
  headline     a headline figure and the one body figure with its value
  restatement  the same value and year again: in one document with similar words, or in
               another document of the same study (a summary, a translation); one
               document giving a near-identical claim two values (a slip, a conflict)
  edition      the same claim (similar words, a shorter wording will do) in another
               edition of the study
  claim        a near-identical claim in another study (same language)
  translation  claims in two languages whose English translations agree
  fingerprint  comparison groups sharing (year, value) points and a topic
  concepts     across languages without a translation: same group, unit and concepts
  sample       counts of people, countries, ... describing a survey's sample
Equal values alone never link two observations, and different claims of one document
never share a metric (`Clusters`). Metric ids are stable because each is named after its
oldest observation. A run that only adds documents links their observations into the
existing metrics (`warehouse/relink.py`); `rebuild` starts from nothing. The linking
itself (`attach_claims`, `score_pair`, `link`, `label_for`) works on plain `Node`s and
needs no database; `load_nodes`, `rebuild` and the lemma store wrap it.

Only observations that share a block (a sentence; a value; a study; claim words; a
topic; a point of a comparison group) are scored, and never every pair of a block: the
links a block must yield follow from the rules (see `_Links`), so the work grows with
the number of observations.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import duckdb

from extract import claims as claim_builder
from extract import languages
from extract.claims import build_claim, content_words, trim_function_words
from warehouse.store import insert_rows

LINKER_VERSION = "linker-4"
LINK_THRESHOLD = 0.75
SAME_CLAIM = 0.5  # Jaccard of claim words: the same claim in one language
SAME_CLAIM_WORDS = SAME_CLAIM
RESTATED_CLAIM = 0.3  # ... enough when value, year and study are the same too
RESTATED_DIFFERENTLY = 0.75  # one document giving one claim two values (a slip)
MIN_WORDS = 3  # fewer claim words say too little to call two figures one claim
PEOPLE_SAMPLE_LABEL = "survey responses"
# Counts of these are not a survey's respondents (companies and organisations answering a
# survey are its respondents).
NON_PEOPLE_COUNTS = {"countries", "continents", "industries", "regions", "markets",
                     "households", "provinces"}


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
    study: str | None = None  # the study's series (edition without its number), else the source
    edition: str | None = None
    words: frozenset[str] = frozenset()  # the claim: lemmas of the figure's clause
    clause: str = ""
    negated: bool = False
    anaphor: bool = False  # the clause refers back to the figure before ("dieser Anteil")
    gloss: bool = False  # a verbal figure ("nearly half")
    thin: bool = False  # its clause has no word of its own ("(2022: 63%)")
    respectively: bool = False  # "… %90,9 ve %83,3 sırasıyla": in the order of those before
    antecedent: str | None = None  # obs_id of the figure it refers back to
    heading: bool = False  # the figure is in a heading
    stored: bool = field(default=False, compare=False)  # its claim was read, not built
    words_en: frozenset[str] = frozenset()  # the claim in English, when its sentence is
    # translated and holds no other figure of its unit (a translation is not cut by clause)
    headline_of: str | None = None  # obs_id of the figure of the body a headline gives


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
    " o.claim_start, o.start, o.\"end\", r.started_at, t.translated, src.edition,"
    " coalesce(src.source_id, d.source_id), s.kind = 'heading', src.publisher"
    " FROM current_observations o JOIN documents d USING (doc_id)"
    " LEFT JOIN sources src ON src.source_id = d.source_id"
    " LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no"
    " LEFT JOIN runs r ON r.run_id = o.run_id"
    f" LEFT JOIN ({TRANSLATED}) t ON t.text_sha256 = s.text_sha256 AND t.src = s.language")


STORED_CLAIM = (
    "SELECT obs_id, words, words_en, clause, negated, anaphor, gloss, antecedent FROM claims"
    " WHERE linker_version = ?")


def load_nodes(con: duckdb.DuckDBPyConnection, where: str = "", batch: int = 50_000,
               *, stored: bool = False) -> list[Node]:
    """Current observations (those `where` selects, a condition on `o`), read in batches;
    the sentence, topics and word shingles that many observations share are held once
    (a large corpus repeats them often). With `stored`, claims this linker stored are
    read rather than built again (an incremental run reads its existing figures so)."""
    sql = NODE_SELECT
    if stored:
        sql = sql.replace(" FROM current_observations o",
                          ", c.* EXCLUDE (obs_id) FROM current_observations o") + (
            f" LEFT JOIN ({STORED_CLAIM}) c ON c.obs_id = o.obs_id")
    result = con.execute(sql + (f" WHERE {where}" if where else ""),
                         [LINKER_VERSION] if stored else [])
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
                shingles=shared.shingles(row[11], lang), edition=shared(row[17]),
                study=shared(study_of(row[17], row[18], row[20])), heading=bool(row[19])))
            if stored and row[23] is not None:
                _stored_claim(nodes[-1], row[21:], shared)
    nodes.sort(key=lambda n: (n.order[0], n.doc_id, n.start))
    return attach_claims(nodes)


def _stored_claim(node: Node, row: tuple[Any, ...], shared: _Shared) -> None:
    words, words_en, clause, negated, anaphor, gloss, antecedent = row
    node.words, node.words_en = shared(frozenset(words)), shared(frozenset(words_en or ()))
    node.clause, node.negated, node.anaphor, node.gloss = clause, negated, anaphor, gloss
    node.antecedent, node.stored = antecedent, True


_EDITION_NUMBER = re.compile(r"[-_ ]*(?:\d+|[ivx]+)$")
ANAPHOR_REACH = 400  # an anaphor refers back at most this many characters (about a sentence)


def study_of(edition: str | None, source_id: str | None, publisher: str | None = None
             ) -> str | None:
    """The study a figure belongs to: its edition's series ("dvm-ki-monitor-2024" and
    "-2023" are one study, as are "salesforce-sos-4" and "-5"), else its publisher's,
    else its own source."""
    if edition:
        return _EDITION_NUMBER.sub("", edition.strip().lower()) or edition
    if publisher and publisher.strip():
        return "publisher:" + " ".join(publisher.lower().split())
    return f"source:{source_id}" if source_id else None


def attach_claims(nodes: list[Node]) -> list[Node]:
    """Each node with its claim (extract/claims.py) and, for an anaphor, the figure it
    refers back to: the nearest figure before it in its document, of the same unit and
    not of its own comparison group, in its sentence or the one before."""
    by_sentence = _grouped(nodes, _sentence)
    for members in by_sentence.values():
        if all(n.stored for n in members):
            continue
        spans = [(n.start - n.claim_start, n.end - n.claim_start) for n in members]
        for node, span in zip(members, spans, strict=True):
            others = tuple(other for other in spans if other != span)
            claim = build_claim(node.claim, span[0], span[1], node.lang or "en", others)
            node.words, node.clause, node.negated = claim.words, claim.clause, claim.negated
            node.anaphor, node.gloss = claim.anaphor, claim.gloss
            node.thin, node.respectively = claim.thin, claim.respectively
        for node in members:
            alone = sum(m.unit == node.unit for m in members) == 1
            if node.claim_en and alone and node.lang != "en":
                node.words_en = content_words(node.claim_en, "en")
            elif node.lang == "en" and alone:
                node.words_en = node.words
    in_order = {key for key, members in by_sentence.items()
                if any(n.anaphor and n.respectively for n in members)}
    for members in _grouped(nodes, lambda n: n.doc_id).values():
        if all(n.stored for n in members):
            continue  # (links inside a stored document are made already)
        members.sort(key=lambda n: n.start)
        for i, node in enumerate(members):
            if _sentence(node) in in_order:
                node.antecedent = _in_order(members[:i], node, members)
            elif node.anaphor:
                node.antecedent = _antecedent(members[:i], node)
            elif node.thin:  # "(2022: 63%)": within its sentence only
                same_sentence = [m for m in members[:i] if _sentence(m) == _sentence(node)]
                node.antecedent = _antecedent(same_sentence, node)
        _headlines(members)
    return nodes


def _headlines(members: list[Node]) -> None:
    """A headline figure gives a figure of its document's body: the only one of its unit
    and year with its value ("Jedes fünfte" gives "20 Prozent"; a gloss that rounds,
    "nearly half", is too loose to tell which)."""
    body = [m for m in members if not m.heading]
    for node in members:
        if not node.heading:
            continue
        close = [m for m in body if m.unit == node.unit and m.year == node.year
                 and abs(m.value - node.value) <= 0.05]
        if len(close) == 1:
            node.headline_of = close[0].obs_id


def _in_order(before: list[Node], node: Node, members: list[Node]) -> str | None:
    """"Geçen yıl bu oranlar sırasıyla %90,9 ve %83,3 idi": the k-th figure of the
    sentence refers to the k-th of the sentence before, when both give as many."""
    mine = [m for m in members if _sentence(m) == _sentence(node) and m.unit == node.unit]
    earlier = [m for m in before if _sentence(m) != _sentence(node) and m.unit == node.unit]
    if not earlier:
        return None
    previous = [m for m in earlier if _sentence(m) == _sentence(earlier[-1])]
    if len(previous) != len(mine) or node.start - previous[-1].end > ANAPHOR_REACH:
        return None
    return previous[mine.index(node)].obs_id


def _antecedent(before: list[Node], node: Node) -> str | None:
    """An anaphor inside a comparison that follows its own values refers to them: the
    comparison already links them."""
    for candidate in reversed(before):
        if node.start - candidate.end > ANAPHOR_REACH:
            return None
        if node.group_key and candidate.group_key == node.group_key:
            return None
        if candidate.unit == node.unit:
            return candidate.obs_id
    return None


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
    return len(between) <= 3 or (len(between) <= 30 and ("(" in between or "（" in between)
                                 and not _CLAUSE_BREAK.search(between))


GENERIC_PEOPLE = {None, "respondents", "people", "adults"}


def _claim_similarity(a: Node, b: Node) -> float:
    return _jaccard(a.words, b.words)


def _claim_containment(a: Node, b: Node) -> float:
    """How much of the shorter claim the other repeats (a headline restates a sentence
    of the body in fewer words)."""
    shared = len(a.words & b.words)
    return shared / min(len(a.words), len(b.words)) if shared >= 2 else 0.0


def _people_agree(a: Node, b: Node) -> bool:
    """Same kind of people, or one of them names nobody in particular."""
    return _compatible(a.population, b.population) or (
        a.population in GENERIC_PEOPLE or b.population in GENERIC_PEOPLE)


def _translations_agree(a: Node, b: Node) -> bool:
    """Claims in two languages that say the same in English (a translation model is
    installed): near-identical English words."""
    if min(len(a.words_en), len(b.words_en)) < MIN_WORDS:
        return False
    return _jaccard(a.words_en, b.words_en) >= SAME_CLAIM


def _anaphor_link(a: Node, b: Node) -> tuple[str, float] | None:
    """Figures a document itself ties together: a headline and the body figure it gives;
    "… 61 Prozent. Ein Jahr zuvor lag dieser Anteil bei 55 Prozent", the same measure in
    another year. In the same year an anaphor names a part ("in the UK the figure is
    73%"), another measure."""
    if a.headline_of == b.obs_id or b.headline_of == a.obs_id:
        return "headline", 0.9
    refers = b.antecedent == a.obs_id or a.antecedent == b.obs_id
    if refers and a.year is not None and b.year is not None and a.year != b.year:
        return "anaphor", 0.9
    return None


def _restatement(a: Node, b: Node) -> tuple[str, float] | None:
    """The same figure given again: same value and year, in one document with similar
    words, or in another document of the same study (a summary, a translation) whose
    claim does not say something else."""
    if a.year != b.year or a.gloss != b.gloss:
        return None
    if abs(a.value - b.value) > 0.05:  # restated differently: the same words, in one source
        same_words = (a.doc_id == b.doc_id and min(len(a.words), len(b.words)) >= MIN_WORDS
                      and _claim_similarity(a, b) >= RESTATED_DIFFERENTLY)
        return ("restatement", 0.8) if same_words and _people_agree(a, b) else None
    topics_clash = bool(a.concepts and b.concepts and not a.concepts & b.concepts)
    if topics_clash or not _people_agree(a, b):
        return None
    similarity = max(_claim_similarity(a, b), _claim_containment(a, b) - 0.2)
    if a.doc_id == b.doc_id:
        return ("restatement", 0.6 + 0.4 * similarity) if similarity >= SAME_CLAIM else None
    if a.study is None or a.study != b.study:
        return None
    if a.lang == b.lang and similarity < RESTATED_CLAIM:
        return None
    return "restatement", 0.85


def score_pair(a: Node, b: Node, points: dict[str, set[tuple[int, float]]]
               ) -> tuple[str, float] | None:
    """The strongest evidence that two observations measure the same thing, or None."""
    if a.group_key and a.group_key == b.group_key:
        return "group", 1.0
    if _paraphrase(a, b):
        return "paraphrase", 0.95
    if a.unit != b.unit or (a.lang == b.lang and a.negated != b.negated):
        return None  # (negation words are told apart within a language only)
    kind_a, kind_b = _count_kind(a), _count_kind(b)
    if kind_a or kind_b:
        # One document may describe several sub-samples ("3,450 consumers and 1,200 leaders"):
        # inside a document only counts of the same group are one sample.
        same_sample = kind_a == kind_b and (a.doc_id != b.doc_id or a.population == b.population)
        return ("sample", 0.9) if same_sample else None
    found = _anaphor_link(a, b) or _restatement(a, b)
    if found:
        return found
    if a.doc_id == b.doc_id or not _compatible(a.population, b.population):
        return None  # different claims of one document never share a metric
    worded = min(len(a.words), len(b.words)) >= MIN_WORDS
    if a.lang == b.lang and worded and not _would_conflict(a, b):
        if a.study is not None and a.study == b.study:  # a shorter wording will do
            similarity = max(_claim_similarity(a, b), _claim_containment(a, b) - 0.1)
            if similarity >= SAME_CLAIM:
                return "edition", min(1.0, 0.8 + 0.2 * similarity)
        elif _claim_similarity(a, b) >= SAME_CLAIM:
            return "claim", 0.8
    if a.lang != b.lang and _translations_agree(a, b) and not _would_conflict(a, b):
        return "translation", 0.8
    concept_score = _jaccard(a.concepts, b.concepts)
    if a.group_key and b.group_key and concept_score > 0:
        shared = len(points[a.group_key] & points[b.group_key])
        if shared:
            return "fingerprint", min(1.0, 0.7 + 0.15 * shared)
    if a.lang != b.lang and a.population and concept_score == 1.0 and not _would_conflict(a, b):
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

    def __init__(self, nodes: list[Node],
                 prefer: Callable[[Node], bool] | None = None) -> None:
        self.prefer = prefer or (lambda node: False)
        self.points = _fingerprints(nodes)
        self.position = {id(node): index for index, node in enumerate(nodes)}
        self.size = len(nodes)
        self.scored: set[int] = set()
        self.found: list[tuple[Node, Node, tuple[str, float]]] = []

    def consider(self, a: Node, b: Node) -> bool:
        """Score a pair once; whether it links."""
        i, j = self.position[id(a)], self.position[id(b)]
        if i == j:
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
        The anchor is a preferred member when there is one (an incremental run prefers
        its new figures: links between existing ones are not applied again)."""
        for part in _by_measure(members):
            anchor = next((n for n in part if self.prefer(n)), part[0])
            for node in part:
                if node is not anchor:
                    self.consider(anchor, node)

    def across(self, one: list[Node], two: list[Node]) -> None:
        """Links between two sets of interchangeable members, from different sentences: a
        few, so that one refused merge (a document both touch) does not lose the rest."""
        for a in one[:3]:
            for b in two[:3]:
                if _sentence(a) != _sentence(b):
                    self.consider(a, b)


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


def _link_similar_wording(members: list[Node], links: _Links,
                          threshold: float = SAME_CLAIM_WORDS,
                          words: Callable[[Node], frozenset[str]] = lambda n: n.words) -> None:
    """Members with the same claim words (and topics) link as a star; different claims
    are compared once per similar pair of claims."""
    same_wording = _grouped(members, lambda n: (words(n), n.concepts))
    for group in same_wording.values():
        links.star(group)
    wordings = list(same_wording)
    for i, j in _similar_sets([words for words, _ in wordings], threshold):
        links.across(same_wording[wordings[i]], same_wording[wordings[j]])


ALL_WORDINGS = 300  # a study block with at most this many wordings compares all of them


def _link_study_wordings(members: list[Node], links: _Links) -> None:
    """One study, unit and language: a shorter wording of a claim (a headline, an earlier
    edition's sentence) may link by containment, which prefix filtering cannot find; a
    study has few wordings, so every pair of them is compared (past ALL_WORDINGS, only
    those similar by Jaccard)."""
    same_wording = _grouped(members, lambda n: (n.words, n.concepts))
    if len(same_wording) > ALL_WORDINGS:
        _link_similar_wording(members, links)
        return
    for group in same_wording.values():
        links.star(group)
    for one, two in combinations(same_wording.values(), 2):
        if len(one[0].words & two[0].words) >= 2:
            links.across(one, two)


def _link_languages(members: list[Node], links: _Links) -> None:
    """One topic block (same unit, concepts and kind of people): each figure meets, in
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
    for same_language in _grouped(members, lambda n: n.lang).values():
        _link_similar_wording(same_language, links, RESTATED_CLAIM)


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


def _scored_links(nodes: list[Node], prefer: Callable[[Node], bool] | None = None
                  ) -> list[tuple[Node, Node, tuple[str, float]]]:
    """Every link at or above the threshold that the blocks reveal (samples excepted:
    they are clustered by key); `prefer` chooses the anchors of blocks."""
    links = _Links(nodes, prefer)
    linkable = [n for n in nodes if not _count_kind(n)]
    by_id = {n.obs_id: n for n in linkable}
    for members in _grouped(linkable, _sentence).values():
        for a, b in combinations(members, 2):
            links.consider(a, b)
    for node in linkable:
        if node.antecedent in by_id:
            links.consider(by_id[node.antecedent], node)
        if node.headline_of in by_id:
            links.consider(by_id[node.headline_of], node)
    for members in _grouped(linkable, lambda n: (n.doc_id, n.unit, n.value)).values():
        if len(members) > 1:
            _link_study(members, links)  # restated in one document
    for members in _grouped(linkable, lambda n: (n.doc_id, n.unit, n.year)).values():
        if len(members) > 1:
            _link_similar_wording(members, links, RESTATED_DIFFERENTLY)  # ... differently
    for members in _grouped((n for n in linkable if n.study),
                            lambda n: (n.study, n.unit, n.year, n.value)).values():
        if len(members) > 1:
            _link_study(members, links)
    for members in _grouped(linkable, lambda n: (n.lang, n.unit, _tail(n.population))).values():
        if len(members) > 1:
            _link_similar_wording(members, links)  # one claim across editions and studies
    for members in _grouped((n for n in linkable if n.study),
                            lambda n: (n.study, n.lang, n.unit)).values():
        if len(members) > 1:
            _link_study_wordings(members, links)  # ... a shorter wording in one study
    for members in _grouped((n for n in linkable if n.words_en),
                            lambda n: (n.unit, _tail(n.population))).values():
        if len({n.lang for n in members}) > 1:  # one claim in two languages, in English
            _link_similar_wording(members, links, words=lambda n: n.words_en)
    topics = _grouped((n for n in linkable if n.concepts and n.population),
                      lambda n: (n.unit, _tail(n.population), n.concepts))
    for members in topics.values():
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

    def merge(self, a: str, b: str, *, same_measure: bool, across: bool = False,
              within_study: bool = False) -> bool:
        """Merge the clusters of a and b unless they must stay apart. `same_measure`: the
        link says so itself (a comparison group, a gloss); `across`: it joins two documents;
        `within_study`: of one study (whose documents' other years are a trend)."""
        ra, rb = self.forest.find(a), self.forest.find(b)
        if ra == rb:
            return True
        if not same_measure and self.separate(ra, rb, across=across,
                                              within_study=within_study):
            return False
        self.forest.union(ra, rb)
        root = self.forest.find(ra)
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


def same_study(a: Node, b: Node) -> bool:
    return a.study is not None and a.study == b.study


def link_rank(a: Node, b: Node, method: str) -> int:
    """Which links are applied first (lower first)."""
    if method in SAME_MEASURE:
        return 0
    if a.doc_id == b.doc_id:
        return 1
    return 2 + _RULE_ORDER.get(method, len(_RULE_ORDER))


def link(nodes: list[Node], clusters: Clusters | None = None,
         keep: Callable[[Node, Node], bool] | None = None,
         prefer: Callable[[Node], bool] | None = None
         ) -> tuple[dict[str, list[Node]], dict[str, tuple[str, float]]]:
    """Clusters of observations (keyed by root obs_id) and each observation's best link.

    Links inside a sentence (comparison groups, paraphrases) are made first; then the
    others, strongest first, never joining two measures of one sentence. `clusters` may
    come with merges already made (the metrics an incremental run extends); `keep`
    chooses which of the links found are applied, `prefer` the anchors of blocks.
    """
    found = [item for item in _scored_links(nodes, prefer)
             if keep is None or keep(item[0], item[1])]
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


_QUOTES = re.compile(r"[“”„‟\"«»‹›「」『』]")
LABEL_LENGTH = 100
MIN_LABEL_LETTERS = 12  # a clause with fewer letters is replaced by its sentence


_LABEL_ENDS = " ,;:–—-.。()（）、，；：[]【】"


def _readable(text: str, limit: int = LABEL_LENGTH) -> str:
    """Text a label may show: no quote marks, cut at a clause break or else on a whole
    word within `limit` characters (never with an ellipsis)."""
    text = " ".join(_QUOTES.sub("", text).split()).strip(_LABEL_ENDS)
    if len(text) <= limit:
        return text
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text, 0, limit) if m.start() >= 30]
    if breaks:
        return text[:breaks[-1]].rstrip(_LABEL_ENDS)
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > 30 else limit].rstrip(_LABEL_ENDS)


def _without_figure(node: Node, text: str) -> str:
    """The clause without the figure itself (a metric has many values) and without the
    function words left at its ends."""
    spaced = languages.info(node.lang or "en").spaces_between_words
    around = r"\S*" if spaced else ""
    text = re.sub(around + re.escape(node.surface) + around, " ", text, count=1)
    text = re.sub(r"\(\s*\)|（\s*）", " ", text)
    return trim_function_words(" ".join(text.split()), node.lang or "en")


def _label_member(members: list[Node]) -> Node:
    """The figure whose words name the metric: an English one if any, else the oldest
    with the most words."""
    english = next((m for m in members if m.lang == "en" and m.words), None)
    return english or next((m for m in members if len(m.words) > 1), members[0])


def label_for(members: list[Node]) -> tuple[str, str]:
    """Label of a metric (members oldest first) and where it came from: the claim, in
    English when a translation exists, else in its own language (named)."""
    first = members[0]
    kind = _count_kind(first)
    if kind == PEOPLE_SAMPLE_LABEL:
        groups = {m.population for m in members}
        suffix = f": {_words(groups.pop())}" if len(groups) == 1 else ""
        return f"{PEOPLE_SAMPLE_LABEL}{suffix}", "sample"
    if kind:
        return f"{_words(kind)} surveyed", "sample"
    head = "growth in " if first.unit == "percent_change" else ""
    if first.population:
        head += f"{_words(first.population)}: "
    translated = [m for m in members if m.claim_en]
    if translated and translated[0].lang != "en":
        return f"{head}{_readable(translated[0].claim_en or '')}", "translation"
    named = _label_member(members)
    text = _readable(_without_figure(named, named.clause))
    if sum(ch.isalpha() for ch in text) < MIN_LABEL_LETTERS:  # the clause says too little
        text = _readable(_without_figure(named, named.claim))
    if named.lang in (None, "en"):
        return f"{head}{text}", "claim"
    return f"{head}{text} ({named.lang})", "claim"


def metric_id_for(members: list[Node]) -> str:
    anchor = min(members, key=lambda n: n.order)
    return "m-" + hashlib.sha256(anchor.obs_id.encode()).hexdigest()[:12]


def recall_lemmas(con: duckdb.DuckDBPyConnection) -> None:
    """Hand the claim builder the lemmas stored by earlier runs."""
    claim_builder.teach_lemmas(con.execute("SELECT lang, word, lemma FROM lemmas").fetchall())


def store_lemmas(con: duckdb.DuckDBPyConnection) -> None:
    """Store the lemmas the claim builder looked up in this run."""
    rows = [{"lang": lang, "word": word, "lemma": lemma}
            for lang, word, lemma in claim_builder.learned_lemmas()]
    if rows:
        con.execute("CREATE TEMP TABLE IF NOT EXISTS _new_lemmas"
                    " (lang VARCHAR, word VARCHAR, lemma VARCHAR)")
        con.execute("DELETE FROM _new_lemmas")
        insert_rows(con, "_new_lemmas", rows)
        con.execute("INSERT INTO lemmas SELECT * FROM _new_lemmas"
                    " ON CONFLICT (lang, word) DO NOTHING")
        con.execute("DROP TABLE _new_lemmas")


def rebuild(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """Rebuild metrics and metric_observations from all current observations."""
    recall_lemmas(con)
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
    con.execute("DELETE FROM claims")
    insert_rows(con, "metrics", metrics)
    insert_rows(con, "metric_observations", links)
    insert_rows(con, "claims", [claim_row(node, run_id) for node in nodes])
    store_lemmas(con)
    return {"metrics": len(metrics), "links": len(links), "conflicts": count_conflicts(con),
            "linked_new": len(nodes), "incremental": 0}


def metric_row(metric_id: str, members: list[Node], run_id: str) -> dict[str, Any]:
    """The metrics row of members sorted oldest first."""
    label, label_source = label_for(members)
    return {"metric_id": metric_id, "label": label, "population": members[0].population,
            "unit": members[0].unit, "label_source": label_source,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def claim_row(node: Node, run_id: str) -> dict[str, Any]:
    """The claims row of an observation (what the linker read from it)."""
    return {"obs_id": node.obs_id, "study": node.study, "words": sorted(node.words),
            "words_en": sorted(node.words_en),
            "clause": node.clause, "negated": node.negated, "anaphor": node.anaphor,
            "gloss": node.gloss, "antecedent": node.antecedent,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def link_row(metric_id: str, obs_id: str, method: str, score: float, run_id: str
             ) -> dict[str, Any]:
    return {"metric_id": metric_id, "obs_id": obs_id, "method": method, "score": score,
            "linker_version": LINKER_VERSION, "run_id": run_id}


def count_conflicts(con: duckdb.DuckDBPyConnection) -> int:
    found = con.execute("SELECT count(*) FROM conflicts").fetchone()
    return int(found[0]) if found else 0
