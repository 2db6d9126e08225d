"""Find candidate figures in one sentence with the language's figure grammar.

A candidate is a span of the sentence plus the value and unit its form implies
("%62" -> 62 percent, "zwei Drittel" -> 66.67 percent, "近三倍" -> 3 multiple).
Overlapping matches are resolved in favour of the longest, then the earliest rule.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from extract.rules import FigureRule, LanguageRules, precheck_fold

_YEARLIKE = re.compile(r"(?:19|20)\d\d")
_VERBAL_KINDS = ("fraction", "ratio", "multiple")
_NUM_GROUPS = ("num", "num2", "num3")
_CONTEXT_CHARS = 40  # how far not_before / not_after look
_RATE_CHARS = 60  # how far a rate's base ("per 100,000 people") may be from its number
# Joins the sentences of a document for the pre-checks: no pattern matches it, and every
# look-around treats it as it treats the end of a sentence on its own.
_BETWEEN = "\x00"


@dataclass(slots=True)
class Candidate:
    """A figure found in a sentence; offsets are relative to the sentence."""

    start: int
    end: int
    value: float
    unit: str
    rule: str
    kind: str
    qualifier: str | None = None  # from qualifier words inside a verbal surface
    order: int = 0  # index of the rule, to break ties
    sample: bool = False  # the rule reads a survey's sample size ("n = 2,047")
    # (start, end) of the words naming what a count counts when the rule captures them
    # ("the number of payrolled employees was 1,284,500", "hane sayısının 24 milyon").
    term: tuple[int, int] | None = None
    # A sign the rule reads inside its surface ("yüzde -2,4", "%−3,1", "yüzde eksi 1,8").
    sign: str | None = None
    # An absolute change of a count ("up 9,800", "um 12.400 gestiegen"), not its level.
    change: bool = False

    @property
    def verbal(self) -> bool:
        """Verbal figures and ranges carry their own qualifier."""
        return self.kind in _VERBAL_KINDS or self.kind == "range"


def _group(match: re.Match[str], *names: str) -> tuple[str, int, int] | None:
    """Text and span of the first of `names` that took part in the match."""
    for name in names:
        if name in match.re.groupindex and match.group(name) is not None:
            return match.group(name), match.start(name), match.end(name)
    return None


def _parse(rules: LanguageRules, text: str) -> float | None:
    return rules.numbers.parse(text)


def _read_number(rules: LanguageRules, match: re.Match[str]) -> float | None:
    found = _group(match, *_NUM_GROUPS)
    return _parse(rules, found[0]) if found else None


def _read_count(rules: LanguageRules, match: re.Match[str], yearlike: bool = False,
                ) -> float | None:
    found = _group(match, *_NUM_GROUPS)
    if not found:
        return None
    text = found[0]
    if not yearlike and _YEARLIKE.fullmatch(text):
        return None  # "2020 Kunden..." is a year, not a count (unless the form says so)
    value = _parse(rules, text)
    if value is None:
        return None
    is_digits = any(ch.isdigit() for ch in text)
    # "ein Unternehmen", "bir şirketle": the indefinite article, not a count;
    # "one in a million companies": a bare scale word is an idiom, not a count.
    if not is_digits and (value < 2 or text.lower() in rules.numbers.scales):
        return None
    return value


def _read_range(rules: LanguageRules, match: re.Match[str]) -> float | None:
    """'between 30 and 40 percent', '30-40%', 'yüzde 30 ile 40': the midpoint."""
    low, high = _group(match, "low"), _group(match, "high")
    if not low or not high:
        return None
    a, b = _parse(rules, low[0]), _parse(rules, high[0])
    if a is None or b is None or not a < b:
        return None
    return round((a + b) / 2, 2)


def _read_fraction(rules: LanguageRules, fig: FigureRule, match: re.Match[str]) -> float | None:
    if fig.value is not None:
        return float(fig.value)
    den_found = _group(match, "den")
    if fig.denominator is not None:
        den: float | None = float(fig.denominator)
    elif den_found:
        den = rules.fractions.get(den_found[0].lower()) or _parse(rules, den_found[0])
    else:
        return None
    numr_found = _group(match, "numr")
    if numr_found is None:
        numr: float | None = 1.0
    elif numr_found[0].lower() in rules.one_words:
        numr = 1.0
    else:
        numr = _parse(rules, numr_found[0])
    if not den or numr is None or not 0 < numr <= den:
        return None
    return round(100.0 * numr / den, 2)


def _read_count_word(rules: LanguageRules, text: str) -> float | None:
    lowered = text.lower()
    if lowered in rules.partitive:
        return rules.partitive[lowered]
    digits = re.match(r"\d+", text)
    if digits:
        return float(digits.group(0))
    return _parse(rules, text)


def _read_ratio(rules: LanguageRules, match: re.Match[str]) -> float | None:
    x_found, y_found = _group(match, "x"), _group(match, "y")
    if not x_found or not y_found:
        return None
    x = _read_count_word(rules, x_found[0])
    y = _parse(rules, y_found[0])
    if x is None or y is None or not 0 < x < y <= 1000:
        return None
    return round(100.0 * x / y, 2)


def _read_multiple(rules: LanguageRules, match: re.Match[str]) -> float | None:
    word = _group(match, "mword")
    if word:
        return rules.multiple_words.get(word[0].lower())
    grown = _group(match, "mult_more")  # "增加了一倍": grew by one fold, so twice as many
    if grown:
        more = _parse(rules, grown[0])
        return more + 1 if more is not None and more > 0 else None
    found = _group(match, "mult")
    value = _parse(rules, found[0]) if found else None
    return value if value is not None and value > 1 else None


def _verbal_qualifier(rules: LanguageRules, match: re.Match[str]) -> str | None:
    for name in ("qa", "qb"):  # "üçte birinden fazlası": the trailing word decides
        found = _group(match, name)
        if found:
            qualifier = rules.qualifier_of(found[0])
            if qualifier:
                return qualifier
    return None


def _candidate(rules: LanguageRules, fig: FigureRule, order: int,
               match: re.Match[str]) -> Candidate | None:
    if fig.kind == "number":
        value = _read_number(rules, match)
    elif fig.kind == "count":
        value = _read_count(rules, match, fig.yearlike_counts)
    elif fig.kind == "range":
        value = _read_range(rules, match)
    elif fig.kind == "fraction":
        value = _read_fraction(rules, fig, match)
    elif fig.kind == "ratio":
        value = _read_ratio(rules, match)
    elif fig.kind == "multiple":
        value = _read_multiple(rules, match)
    else:
        return None
    if value is None:
        return None
    start, end = match.span()
    # A pattern may match more than the figure (a cue word, "between"); the group "fig"
    # or, for counts, the number is the surface.
    surface = _group(match, "fig", "fig2") or (_group(match, *_NUM_GROUPS) if fig.kind == "count"
                                       else None)
    if surface:
        start, end = surface[1], surface[2]
    text = match.string
    if fig.not_before and fig.not_before.search(text[max(0, start - _CONTEXT_CHARS) : start]):
        return None
    if fig.not_after and fig.not_after.search(text[end : end + _CONTEXT_CHARS]):
        return None
    if fig.unit == "count" and (
            rules.rate_after.search(text[end : end + _RATE_CHARS])
            or rules.rate_before.search(text[max(0, start - _RATE_CHARS) : start])):
        return None  # a rate per 100,000 (per thousand or more) is no count, and has no unit
    qualifier = _verbal_qualifier(rules, match) if fig.kind in _VERBAL_KINDS else None
    if fig.kind == "range":
        qualifier = "approx"  # a range stands for a value somewhere inside it
    term = _group(match, "term")
    sign = _group(match, "sign")
    down = _group(match, "down", "down2")  # "fell by 23,000", "9.000 weniger als": a minus
    return Candidate(start, end, value, fig.unit, fig.rule, fig.kind, qualifier, order,
                     fig.sample, (term[1], term[2]) if term else None,
                     "-" if down else sign[0].strip() if sign else None, fig.change)


def _strip(text: str, cand: Candidate) -> Candidate:
    """Surfaces never start or end with blank space."""
    while cand.start < cand.end and text[cand.start].isspace():
        cand.start += 1
    while cand.end > cand.start and text[cand.end - 1].isspace():
        cand.end -= 1
    return cand


def prechecks_by_sentence(text: str, spans: Sequence[tuple[int, int]],
                          rules: LanguageRules) -> list[frozenset[str]]:
    """Per sentence `text[start:end]`, the pre-checks of the figure forms that match in it.

    One scan of the whole document per pre-check, instead of one call per sentence and
    pre-check (most sentences hold no figure, and the calls were half the candidate
    search).  The sentences are joined by a character no pattern matches, so each
    pre-check sees a sentence's edges as it would see them alone.  A pre-check may be a
    condition of its form, not only a speed-up ("von 100" makes a bare "20 Befragte" a
    share), so the answer must be exactly what each sentence alone shows: a match that
    runs across a join is checked again inside the sentence it starts in
    (tests/test_candidates_precheck.py compares both on every corpus sentence).
    """
    if _BETWEEN in text:  # cannot join safely: each sentence checks for itself
        return [frozenset(_present(text[s:e], rules)) for s, e in spans]
    starts, ends, pieces, position = [], [], [], 0
    for start, end in spans:
        starts.append(position)
        pieces.append(text[start:end])
        position += end - start
        ends.append(position)
        position += len(_BETWEEN)
    joined = precheck_fold(_BETWEEN.join(pieces))
    found: list[set[str]] = [set() for _ in spans]
    for key, precheck in rules.prechecks.items():
        position = 0
        while (match := precheck.search(joined, position)) is not None:
            index = max(0, bisect_right(starts, match.start()) - 1)
            if match.end() <= ends[index] or precheck.search(joined[starts[index]:ends[index]]):
                found[index].add(key)
            position = ends[index] + 1  # the rest of this sentence cannot add anything
            if position > len(joined):
                break
    return [frozenset(keys) for keys in found]


def forms_by_sentence(text: str, spans: Sequence[tuple[int, int]],
                      rules: LanguageRules) -> list[list[tuple[int, FigureRule]]]:
    """Per sentence, the figure forms worth trying on it (their pre-check matched); most
    sentences get none and need no search at all."""
    return [rules.figures_for(keys) for keys in prechecks_by_sentence(text, spans, rules)]


def _present(sentence: str, rules: LanguageRules) -> set[str]:
    folded = precheck_fold(sentence)
    return {key for key, precheck in rules.prechecks.items()
            if precheck.search(folded) is not None}


def find_candidates(text: str, rules: LanguageRules,
                    forms: list[tuple[int, FigureRule]] | None = None) -> list[Candidate]:
    """All figures of one sentence, without overlaps, in reading order.

    `forms`: the (order, form) pairs worth trying on this sentence (forms_by_sentence);
    without them the sentence runs the pre-checks itself."""
    found: list[Candidate] = []
    # Each distinct pre-check once: several forms share one ("%", "Hälfte"). One long
    # alternation of all of them would scan a figure-free sentence slower (bench/extract.py).
    if forms is None:
        forms = rules.figures_for(frozenset(_present(text, rules)))
    for order, fig in forms:
        for match in fig.regex.finditer(text):
            if match.end() == match.start():
                continue
            cand = _candidate(rules, fig, order, match)
            if cand is not None:
                found.append(_strip(text, cand))
    found.sort(key=lambda c: (-(c.end - c.start), c.order, c.start))
    kept: list[Candidate] = []
    for cand in found:
        if cand.end > cand.start and all(cand.end <= k.start or cand.start >= k.end
                                         for k in kept):
            kept.append(cand)
    kept.sort(key=lambda c: c.start)
    return kept
