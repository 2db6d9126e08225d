"""Topic cues: which measured things a figure's clause talks about.

Concepts are language-neutral keys (``career_path``, ``ai``, ``training``);
each language maps its own words to them in ``lang/<code>/concepts.toml``,
together with the conjunctions that separate clauses. The linker compares
concept sets across languages without a translation.

A sentence with several figures is partitioned among them, so that each
figure only gets the topic words of its own part:
  * values of one comparison group share one part;
  * a figure in parentheses, "Live-Chats (45 Prozent)", owns the clause
    right before its parenthesis;
  * any other figure owns its clause (from the last break before it to the
    first break after it) or, when that clause has no topic word, everything
    up to the next figure's part ("Karar vericilerin %85’i, ... hemfikir").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from extract import languages, lexicon
from extract.languages import fold
from extract.records import Segment, Statistic
from extract.versions import CONCEPTS_VERSION as CONCEPTS_VERSION  # re-exported

_PUNCT_BREAK = r"[,，;；:：、]|\s[–—-]\s|\s[–—]"
_PAREN_LOOKBACK = 16


@dataclass(frozen=True)
class _Cues:
    concepts: tuple[tuple[str, re.Pattern[str]], ...]
    breaks: re.Pattern[str]


@cache
def _cues(lang: str) -> _Cues:
    data = lexicon.load(lang)
    compiled = []
    for key, patterns in sorted(data.get("concepts", {}).items()):
        joined = "|".join(f"(?:{fold(p, lang)})" for p in patterns)
        compiled.append((key, re.compile(joined)))
    words = [re.escape(fold(w, lang)) for w in data.get("clauses", {}).get("conjunctions", [])]
    if languages.info(lang).spaces_between_words:
        words = [f"(?<!\\w){w}(?!\\w)" for w in words]
    breaks = re.compile("|".join([_PUNCT_BREAK, *words]))
    return _Cues(tuple(compiled), breaks)


def find_concepts(text: str, lang: str) -> tuple[str, ...]:
    """Sorted concept keys whose cues occur in ``text``."""
    try:
        cues = _cues(lang)
    except lexicon.LexiconError:
        return ()
    folded = fold(text, lang)
    return tuple(key for key, pattern in cues.concepts if pattern.search(folded))


@cache
def _predicate_words(lang: str) -> tuple[dict[str, str], bool]:
    """A language's predicate words -> concept ids, and whether words are unspaced (then a
    listed word may be part of a longer one: "节省" in "节省开支")."""
    try:
        table = lexicon.load(lang).get("predicates", {})
    except lexicon.LexiconError:
        return {}, False
    words = {fold(word, lang): key for key, listed in sorted(table.items()) for word in listed}
    return words, not languages.info(lang).spaces_between_words


@lru_cache(maxsize=100_000)
def predicates_of(words: frozenset[str], lang: str | None) -> frozenset[str]:
    """The language-independent ids of the predicate words among a claim's words (its
    lemmas): what is measured, comparable across languages without a translation."""
    if lang is None:
        return frozenset()
    table, unspaced = _predicate_words(lang)
    found = {table[word] for word in words if word in table}
    if unspaced:
        found |= {key for listed, key in table.items() for word in words if listed in word}
    return frozenset(found)


@dataclass
class _Unit:
    """One figure, or the figures of one comparison group, inside a sentence."""

    members: list[int]
    start: int
    end: int
    paren_open: int | None = None
    paren_close: int | None = None


def _units(stats: list[Statistic], base: int) -> list[_Unit]:
    by_group: dict[int, _Unit] = {}
    units: list[_Unit] = []
    for index, stat in enumerate(stats):
        start, end = stat.start - base, stat.end - base
        if stat.group is not None and stat.group in by_group:
            unit = by_group[stat.group]
            unit.members.append(index)
            unit.start, unit.end = min(unit.start, start), max(unit.end, end)
            continue
        unit = _Unit([index], start, end)
        units.append(unit)
        if stat.group is not None:
            by_group[stat.group] = unit
    return sorted(units, key=lambda u: u.start)


def _mark_parentheses(sentence: str, units: list[_Unit]) -> None:
    for unit in units:
        if len(unit.members) > 1:
            continue
        before = sentence[max(0, unit.start - _PAREN_LOOKBACK):unit.start]
        opening = max(before.rfind("("), before.rfind("（"))
        after = sentence[unit.end:unit.end + 4]
        closing = min((i for i in (after.find(")"), after.find("）")) if i >= 0), default=-1)
        if opening >= 0 and closing >= 0 and not re.search(r"[)）]", before[opening:]):
            unit.paren_open = unit.start - len(before) + opening
            unit.paren_close = unit.end + closing + 1


def _last_break(sentence: str, breaks: re.Pattern[str], lo: int, hi: int) -> int:
    position = lo
    for match in breaks.finditer(sentence, lo, hi):
        position = match.end()
    return position


def _first_break(sentence: str, breaks: re.Pattern[str], lo: int, hi: int) -> int:
    match = breaks.search(sentence, lo, hi)
    return match.start() if match else hi


def _regions(sentence: str, units: list[_Unit], breaks: re.Pattern[str]
             ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """For each unit: its own clause and the widest part it may fall back to."""
    claims: list[tuple[int, int] | None] = []
    floor = 0
    for i, unit in enumerate(units):  # parenthesised figures claim the clause before them
        glued = i > 0 and unit.paren_open is not None and not breaks.search(
            sentence, units[i - 1].end, unit.paren_open)  # "nine in ten customers (88%)"
        if unit.paren_open is not None and unit.paren_close is not None and not glued:
            start = _last_break(sentence, breaks, floor, unit.paren_open)
            claims.append((start, unit.paren_close))
            floor = unit.paren_close
        else:
            claims.append(None)
            floor = unit.end
    result = []
    floor = 0
    for i, unit in enumerate(units):
        claim = claims[i]
        if claim is not None:
            result.append((claim, claim))
            floor = claim[1]
            continue
        ceiling = len(sentence)
        if i + 1 < len(units):
            after = claims[i + 1]
            ceiling = after[0] if after is not None else units[i + 1].start
            ceiling = max(ceiling, unit.end)
        start = _last_break(sentence, breaks, floor, unit.start)
        clause_end = _first_break(sentence, breaks, unit.end, ceiling)
        result.append(((start, clause_end), (start, ceiling)))
        floor = unit.end
    return result


def _sentence_concepts(sentence: str, stats: list[Statistic], base: int, lang: str
                       ) -> dict[int, tuple[str, ...]]:
    try:
        breaks = _cues(lang).breaks
    except lexicon.LexiconError:
        return {}
    units = _units(stats, base)
    _mark_parentheses(sentence, units)
    found: dict[int, tuple[str, ...]] = {}
    for unit, (clause, wide) in zip(units, _regions(sentence, units, breaks), strict=True):
        concepts = find_concepts(sentence[clause[0]:clause[1]], lang)
        if not concepts:
            concepts = find_concepts(sentence[wide[0]:wide[1]], lang)
        for member in unit.members:
            found[member] = concepts
    return found


def attach_concepts(text: str, found: Sequence[Statistic], lang: str,
                    segments: Sequence[Segment] | None = None) -> list[Statistic]:
    """Each statistic with the concepts of its own part of its sentence."""
    language_of = {(s.start, s.end): s.language for s in segments or ()}
    by_sentence: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, stat in enumerate(found):
        by_sentence[(stat.sentence_start, stat.sentence_end)].append(index)
    result = list(found)
    for (start, end), indexes in by_sentence.items():
        indexes.sort(key=lambda i: found[i].start)
        stats = [found[i] for i in indexes]
        seg_lang = language_of.get((start, end)) or lang
        concepts = _sentence_concepts(text[start:end], stats, start, seg_lang)
        for position, index in enumerate(indexes):
            result[index] = replace(found[index], concepts=concepts.get(position, ()))
    return result
