"""The figures the linker compares (`Node`) and what it reads from each: its claim (the
lemmas of its clause, negation, anaphor, gloss: `extract/claims.py`), its study (an
edition without its number), the figure an anaphor or a headline refers to, and the word
shingles of its sentence. Plain records: no database (`warehouse/reconcile.py` loads
them).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from extract import languages
from extract.citations import bare_name, cited_key
from extract.claims import (
    NEW_WORDING_MARK,
    all_words,
    anaphor_frame,
    build_claim,
    content_words,
    describes_sample,
    names_a_part,
    periods_of,
    scale_points,
)
from extract.concepts import predicates_of
from extract.forecasts import is_forecast
from extract.records import is_count_change

Figure = tuple[str, int | None, float]  # unit, year and value of a figure of a document
Place = tuple[tuple[Figure, ...], int]  # a document's figures in order, and one's index


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
    survey_year: int | None = None  # the year its edition's survey was fielded (manifest)
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
    sample: bool = False  # a count of people that is a survey's sample size (not a finding)
    sample_rule: bool = False  # ... as its rule read it ("n = 1,004", "asked 3,100 commuters")
    sub_sample: bool = False  # ... of a part of the sample ("davon 150 aus der Industrie")
    predicates: frozenset[str] = frozenset()  # ids of its predicate words (concept lexicon)
    forecast: bool = False  # a value its sentence expects (`_expects`)
    # the points of an answer scale its clause names ("sehr zufrieden": very); None where
    # its language declares no intensifiers
    scale: frozenset[str] | None = None
    # the periods and comparison bases its sentence names up to its clause's end ("im
    # Oktober", "gegenüber dem Vormonat"), read on first use (`periods`)
    period_names: frozenset[str] | None = field(default=None, compare=False, repr=False)
    # an anaphor's words before its cue ("In London, 61% said so": london)
    frame: frozenset[str] = frozenset()
    # a figure without words of its own that continues one before it in its sentence
    # ("von 9,8 % (2020) auf 7,6 % (2022)"): that one's words (not stored: read from it)
    continued_words: frozenset[str] = frozenset()
    # an anaphor's referent in an earlier sentence: that figure's words ("Podcasts were
    # heard weekly by 27%. Among parents the figure was 33%": podcasts, weekly)
    referred_words: frozenset[str] = frozenset()
    # the heading or lead-in line of the list its line belongs to ("Top worries"; its
    # content words are among `words`), every word of that line, and the item's own words
    lead_in: str = ""
    lead_words: frozenset[str] = frozenset()
    own_words: frozenset[str] = frozenset()
    # Where it stands among its document's figures (the figures held once per document);
    # None until read: `attach_claims` reads it from the nodes of its document it is given,
    # unless `place_reader` is set (a load of only some of a document's figures reads the
    # others on first use: few links ask for the order, see `link_rules`).
    place: Place | None = None
    place_reader: Callable[[Node], Place] | None = field(default=None, compare=False,
                                                          repr=False)


# The linker's unit of the absolute change of a count ("up 9,800"): stored with unit
# `count` (the gold format), it is never a value of the count itself, and a series of
# changes is linked as any other measure.  Metrics store it as `count` again.
COUNT_CHANGE_UNIT = "count_change"


# Units of a change: its direction is its sign ("上涨 0.4%", "下降 0.2%"), not its claim.
CHANGE_UNITS = frozenset({"percent_change", "percentage_points", COUNT_CHANGE_UNIT})


def linker_unit(unit: str, rule: str) -> str:
    """The unit the linker compares: a stored figure's unit, or COUNT_CHANGE_UNIT."""
    return COUNT_CHANGE_UNIT if unit == "count" and is_count_change(rule) else unit


def stored_unit(unit: str) -> str:
    """The unit a metric is stored with (the figures' own unit vocabulary)."""
    return "count" if unit == COUNT_CHANGE_UNIT else unit


_EDITION_NUMBER = re.compile(r"[-_ ]*(?:\d+|[ivx]+)$")
ANAPHOR_REACH = 400  # an anaphor refers back at most this many characters (about a sentence)


def study_of(edition: str | None, source_id: str | None, publisher: str | None = None,
             cited: str | None = None, studies: dict[str, str] | None = None) -> str | None:
    """The study a figure belongs to: its edition's series ("dvm-ki-monitor-2024" and
    "-2023" are one study, as are "salesforce-sos-4" and "-5"); in a document without an
    edition (press coverage) the survey its sentence cites (`cited`, extract/citations.py):
    the corpus's study of that name (`studies`, see `cited_study_names`), else the cited
    name itself; else its publisher's, else its own source."""
    if edition:
        return _EDITION_NUMBER.sub("", edition.strip().lower()) or edition
    if cited:
        known = studies or {}
        bare = bare_name(cited)
        return (known.get(cited) or known.get(loose_name(cited)) or known.get(bare)
                or known.get(loose_name(bare)) or "cited:" + cited)
    if publisher and publisher.strip():
        return "publisher:" + " ".join(publisher.lower().split())
    return f"source:{source_id}" if source_id else None


def loose_name(name: str) -> str:
    """A cited name with each word's final "s" dropped: a genitive ("des Lindental
    Monitors", "des Instituts Waldmann") names what the publisher entry gives without it."""
    return " ".join(word[:-1] if len(word) > 3 and word.endswith("s") else word
                    for word in name.split())


def cited_study_names(sources: Iterable[tuple[str, str | None, str | None]]
                      ) -> dict[str, str]:
    """The study of each name coverage may cite a survey by, from the sources that have an
    edition (edition, publisher, title): its publisher without the parts after a comma and
    in parentheses ("Calder Institute (fictional), press release": "calder institute"),
    its series ("calder-commuter-outlook-2025": "calder commuter outlook") and its title
    without years ("Commuter Outlook 2025": "commuter outlook"). A name two studies share
    names neither."""
    named: dict[str, set[str]] = defaultdict(set)
    for edition, publisher, title in sources:
        study = study_of(edition, None)
        if study is None:
            continue
        names = {study.replace("-", " ").replace("_", " ")}
        if publisher:
            names.add(cited_key(re.split(r"[,，]", publisher, maxsplit=1)[0]))
        if title:
            names.add(cited_key(re.sub(r"\b(?:19|20)\d\d\b|(?:19|20)\d\d年?", "", title)))
        for name in names - {""}:
            named[name].add(study)
            named[loose_name(name)].add(study)
            named[bare_name(name)].add(study)
    return {name: next(iter(found)) for name, found in named.items() if len(found) == 1}


def attach_claims(nodes: list[Node]) -> list[Node]:
    """Each node with its claim (extract/claims.py) and, for an anaphor, the figure it
    refers back to: the nearest figure before it in its document, of the same unit and
    not of its own comparison group, in its sentence or the one before."""
    by_sentence = grouped_by(nodes, sentence_of)
    for members in by_sentence.values():
        if all(n.stored for n in members):
            _read_claim(members)
            continue
        spans = [(n.start - n.claim_start, n.end - n.claim_start) for n in members]
        for node, span in zip(members, spans, strict=True):
            others = tuple(other for other in spans if other != span)
            claim = build_claim(node.claim, span[0], span[1], node.lang or "en", others,
                                node.year, change=node.unit in CHANGE_UNITS,
                                list_lead_in=node.lead_in)
            node.words, node.clause, node.negated = claim.words, claim.clause, claim.negated
            node.anaphor, node.gloss = claim.anaphor, claim.gloss
            node.thin, node.respectively = claim.thin, claim.respectively
        for node in members:
            alone = sum(m.unit == node.unit for m in members) == 1
            if node.claim_en and alone and node.lang != "en":
                node.words_en = content_words(node.claim_en, "en")
            elif node.lang == "en" and alone:
                node.words_en = node.words
        _read_claim(members)
    _read_places([n for n in nodes if n.place is None and n.place_reader is None])
    in_order = {key for key, members in by_sentence.items() if _refers_in_order(members)}
    for members in grouped_by(nodes, lambda n: n.doc_id).values():
        if all(n.stored for n in members):
            continue  # (links inside a stored document are made already)
        members.sort(key=lambda n: n.start)
        for i, node in enumerate(members):
            if sentence_of(node) in in_order and (
                    (found := _in_order(members[:i], node, members)) is not None
                    or any(n.respectively for n in by_sentence[sentence_of(node)])):
                node.antecedent = found
            elif node.anaphor:
                node.antecedent = _antecedent(members[:i], node)
            elif node.thin:  # "(2022: 63%)": within its sentence only
                same_sentence = [m for m in members[:i] if sentence_of(m) == sentence_of(node)]
                node.antecedent = _antecedent(same_sentence, node)
        _headlines(members)
    _continued_words(nodes)
    _referred_words(nodes)
    return nodes


def _referred_words(nodes: list[Node]) -> None:
    """Each anaphor that refers back to a figure of an earlier sentence holds that
    figure's words: "Among parents the share was 21%" claims what the sentence before
    claimed, of parents."""
    by_id = {node.obs_id: node for node in nodes}
    for node in nodes:
        lead = by_id.get(node.antecedent) if node.anaphor and node.antecedent else None
        if lead is not None and sentence_of(lead) != sentence_of(node):
            node.referred_words = lead.words


def kept_apart(a: Node, b: Node) -> bool:
    """Figures whose own words may be alike but that measure other things: they refer
    back to other measures, or one answers a newly worded question."""
    return other_referents(a, b) or other_wordings(a, b)


def other_referents(a: Node, b: Node) -> bool:
    """Two figures that each refer back to a figure of an earlier sentence ("Among
    parents the figure was 33%" after podcast listening, "Among parents the share was
    21%" after paying for news) measure what those figures measure: the same words of
    their own say nothing when their referents' claims differ."""
    if not (a.referred_words and b.referred_words) or a.doc_id == b.doc_id:
        return False
    shared = len(a.referred_words & b.referred_words)
    return 2 * shared < len(a.referred_words | b.referred_words)


def other_wordings(a: Node, b: Node) -> bool:
    """A figure of a question its edition says was newly worded (`NEW_WORDING_MARK`) and
    one of another document that does not say so: another question, however alike their
    words."""
    return a.doc_id != b.doc_id and (NEW_WORDING_MARK in a.words) != (
        NEW_WORDING_MARK in b.words)


def _continued_words(nodes: list[Node]) -> None:
    """Each figure without words of its own that refers back to one (a pair's second
    value, "(2022: 63%)") holds that one's words: another edition that gives the same
    value as its main figure restates it. The figure referred to is in its sentence, so it
    is loaded with it (a relink loads whole sentences)."""
    by_id = {node.obs_id: node for node in nodes}
    for node in nodes:
        lead = by_id.get(node.antecedent) if node.antecedent and not node.words else None
        if lead is not None and sentence_of(lead) == sentence_of(node):
            node.continued_words = lead.words


def periods(node: Node) -> frozenset[str]:
    """The periods and comparison bases a figure's sentence names up to the end of its
    clause (the frame before it, "Im Oktober", and its own words, "gegenüber dem
    Vormonat"; a later clause's period is another figure's)."""
    if node.period_names is None:
        at = node.claim.find(node.clause) if node.clause else -1
        upto = node.claim if at < 0 else node.claim[: at + len(node.clause)]
        node.period_names = periods_of(upto, node.lang or "en")
    return node.period_names


def _read_places(nodes: list[Node]) -> None:
    """Each node's place among the figures of its document, from the nodes of the
    document given (a caller holding only some of a document's figures reads the others
    with `places` instead)."""
    for members in grouped_by(nodes, lambda n: n.doc_id).values():
        found = places([(n.start, n.unit, n.year, n.value, n.sample_rule) for n in members])
        for node in members:
            node.place = found[node.start]


def places(figures: list[tuple[int, str, int | None, float, bool]]) -> dict[int, Place]:
    """The place of each figure of one document (start, unit, year, value, whether a rule
    read it as a survey's sample), by its start: the document's figures in order, held
    once, and its index among them. A sample size is held as a figure no other equals:
    every document on a study states it first, so it vouches for no order of findings."""
    ordered = sorted(figures, key=lambda figure: figure[0])
    # (a new NaN for each: one NaN object is equal to itself inside a tuple)
    held = tuple((SAMPLE_PLACE, None, float("nan")) if sample else (unit, year, round(value, 1))
                 for _, unit, year, value, sample in ordered)
    return {start: (held, index) for index, (start, *_) in enumerate(ordered)}


SAMPLE_PLACE = "sample"  # the unit a sample size is held with among its document's figures


# No survey asks more people than this: a larger count in a sentence about a survey is
# what the survey found ("根据抽样调查，全省居民国内出游人次1.86亿": trips, 186 million), not
# its sample (the largest household surveys ask under a million people).
LARGEST_SAMPLE = 5_000_000


def nearby(node: Node, reach: int) -> set[tuple[bool, Figure]]:
    """The figures at most `reach` places before or after a node in its document (whether
    after, and the figure), its own value left out: a figure given twice does not vouch
    for itself."""
    if node.place is None and node.place_reader is not None:
        node.place = node.place_reader(node)
    if node.place is None:
        return set()
    figures, index = node.place
    unit, year, value = figures[index]
    return {(other > index, figures[other])
            for other in range(max(0, index - reach), min(len(figures), index + reach + 1))
            if other != index and (figures[other][:2] != (unit, year)
                                   or abs(figures[other][2] - value) > 0.05)}


def _read_claim(members: list[Node]) -> None:
    """What the linker reads from a claim, stored or built: the ids of its predicate
    words, the points of an answer scale its clause names, and whether a count of people
    is a survey's sample size (its sentence speaks of a survey) or a part of it."""
    for node in members:
        if node.lead_in:  # (both cached by text: a list's items share their lead-in)
            node.lead_words = all_words(node.lead_in, node.lang or "en")
            node.own_words = content_words(node.clause, node.lang or "en")
        node.predicates = predicates_of(node.words, node.lang)
        node.forecast = _expects(node)
        node.scale = scale_points(node.clause, node.lang or "en")
        if node.anaphor:
            start, end = node.start - node.claim_start, node.end - node.claim_start
            floor = max((m.end - m.claim_start for m in members if m.end <= node.start),
                        default=0)
            node.frame = anaphor_frame(node.claim, start, end, floor, node.lang or "en")
        if node.unit == "count" and node.population and node.value <= LARGEST_SAMPLE:
            node.sample = describes_sample(node.claim, node.clause, node.lang or "en")
            node.sub_sample = node.sample and names_a_part(node.clause, node.surface,
                                                           node.lang or "en")


def _headlines(members: list[Node]) -> None:
    """A headline figure gives a figure of its document's body: the only one of its unit
    and year with its value ("Jedes fünfte" gives "20 Prozent"; a gloss that rounds,
    "nearly half", is too loose to tell which)."""
    body = [m for m in members if not m.heading]
    # Lines with a figure under one caption are the rows of a table ("Car 44%", "Bus 31%"),
    # not headlines (a headline under the document's title is alone there).
    rows = Counter(m.lead_in for m in members if m.heading and m.lead_in)
    for node in members:
        if not node.heading or rows[node.lead_in] > 1:
            continue
        close = [m for m in body if m.unit == node.unit and m.year == node.year
                 and abs(m.value - node.value) <= 0.05]
        if len(close) == 1:
            node.headline_of = close[0].obs_id


def _refers_in_order(sentence: list[Node]) -> bool:
    """Whether a sentence's figures refer back in order: its anaphor says "sırasıyla", or
    it gives several figures of the anaphor's unit ("Bu oranlar 2023 yılında %55,9 ve
    %84,0 idi" after "sırasıyla %57,8 ve %86,2"), which the nearest figure before would
    pair crosswise."""
    for node in sentence:
        if node.anaphor and (node.respectively
                             or sum(n.unit == node.unit for n in sentence) > 1):
            return True
    return False


def _in_order(before: list[Node], node: Node, members: list[Node]) -> str | None:
    """"Geçen yıl bu oranlar sırasıyla %90,9 ve %83,3 idi": the k-th figure of the
    sentence refers to the k-th of the sentence before, when both give as many."""
    mine = [m for m in members if sentence_of(m) == sentence_of(node) and m.unit == node.unit]
    earlier = [m for m in before if sentence_of(m) != sentence_of(node) and m.unit == node.unit]
    if not earlier:
        return None
    previous = [m for m in earlier if sentence_of(m) == sentence_of(earlier[-1])]
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


CLAUSE_BREAK = re.compile(r"(?<!\d),|,(?!\d)|[，;；:：]|\s[–—-]\s")  # ("1,512": no break)


_FIGURES = re.compile(r"[\d%％]+")


def _shingles(text: str, lang: str | None) -> set[str]:
    """Word stems (where words are not spaced, as in Chinese: character pairs) of a
    sentence, its figures left out."""
    text = _FIGURES.sub(" ", text.lower())
    if lang is not None and not languages.info(lang).spaces_between_words:
        chars = [c for c in text if not c.isspace()]
        return {a + b for a, b in zip(chars, chars[1:], strict=False)}
    return {word[:5] for word in re.findall(r"\w+", text) if len(word) > 2}


class Shared:
    """One copy of each value that many observations share: names, topics, sentences,
    and the shingles of sentences that differ only in their figures."""

    def __init__(self) -> None:
        self.values: dict[Any, Any] = {}
        self.by_wording: dict[tuple[str, str | None], frozenset[str]] = {}
        self.by_sentence: dict[tuple[str, str | None], frozenset[str]] = {}

    def __call__(self, value: Any) -> Any:
        return self.values.setdefault(value, value)

    def shingles(self, claim: str, lang: str | None) -> frozenset[str]:
        found = self.by_sentence.get((claim, lang))  # (a sentence's figures share it)
        if found is None:
            key = (_FIGURES.sub(" ", claim), lang)
            found = self.by_wording.get(key)
            if found is None:
                found = self.by_wording[key] = frozenset(self(t) for t in _shingles(claim, lang))
            self.by_sentence[(claim, lang)] = found
        return found


def sentence_of(node: Node) -> tuple[str, int]:
    return node.doc_id, node.claim_start


def grouped_by(nodes: Iterable[Node], key: Callable[[Node], Hashable]) -> dict[Any, list[Node]]:
    groups: dict[Any, list[Node]] = defaultdict(list)
    for node in nodes:
        groups[key(node)].append(node)
    return groups


def claim_shingles(node: Node) -> frozenset[str]:
    if node.shingles is None:
        node.shingles = frozenset(_shingles(node.claim, node.lang))
    return node.shingles


def _expects(node: Node) -> bool:
    """Whether a figure is a forecast (`warehouse/link_forecasts.py`): its sentence expects
    it, it names no group ("Bis 2030 wollen 31 Prozent der Erwachsenen ...": the share of
    people who plan, a finding of the survey), and it is not dated before its survey's year
    ("expects 35% by 2028, up from 18.2% in 2024": 18.2% was observed)."""
    if node.population is not None or (node.year is not None and node.survey_year is not None
                                       and node.year < node.survey_year):
        return False
    start = node.start - node.claim_start
    return is_forecast(node.claim, start, start + (node.end - node.start), node.lang)
