"""Which way a figure goes: its qualifier ("about", "more than"), a printed sign, and
whether a share is a growth or a decline."""

from __future__ import annotations

import re
from dataclasses import replace

from extract.context.populations import _first_term
from extract.context.work import (
    _AFTER_CHARS,
    _BEFORE_CHARS,
    _CHANGE_UNITS,
    _NEAR_CHARS,
    _Work,
)
from extract.rules import LanguageRules, precheck_fold

# A sign printed right before a number ("(−9,4 %)", "+6,1 %"): True when it means down.
# A figure rule may read a sign inside its surface, also as a word ("yüzde eksi 1,8").
_SIGNS = {"+": False, "\u2212": True, "-": True, "\u2013": True, "eksi": True, "artı": False}
# The sign opens a word (not "COVID-19", "Q3-5"), though it may follow a Chinese character
# ("同比增长-2.1%"); a space may follow "+" and "−" ("+ 7,5 %") but not a hyphen or dash,
# which then is punctuation ("Anteil - 45 Prozent").
# In parentheses a dash followed by a space is a sign too ("(– 0,4 %)", as statistics
# offices print it).
_SIGN_BEFORE = re.compile(r"(?<![.,%])(?<![^\W\u3400-\u9fff])"
                          r"(?:(?P<sign>[+\u2212])\s?|(?P<sign2>[-\u2013])"
                          r"|(?<=\()(?P<sign3>[-\u2013])\s)$")


def _qualify(text: str, work: _Work, rules: LanguageRules) -> None:
    cand = work.cand
    if cand.verbal:
        work.qualifier = cand.qualifier or "exact"
        return
    before = text[max(0, cand.start - _NEAR_CHARS) : cand.start]
    match = rules.qualifier_before_regex.search(precheck_fold(before))
    if match:
        work.qualifier = rules.qualifier_named(match)
        work.qualifier_start = cand.start - len(before) + match.start()
        return
    after = text[cand.end : cand.end + _NEAR_CHARS]
    match = rules.qualifier_after_regex.search(precheck_fold(after))
    if match:
        work.qualifier = rules.qualifier_named(match)


def _is_growth(text: str, work: _Work, rules: LanguageRules, lead: int) -> bool:
    before = text[max(0, lead - _BEFORE_CHARS) : lead]
    if any(r.search(before) for r in rules.growth_before):
        return True
    if _is_level(before, rules):
        return False
    after = text[work.cand.end : work.cand.end + _NEAR_CHARS]
    return any(r.search(after) for r in rules.growth_after)


def _is_level(before: str, rules: LanguageRules) -> bool:
    """'ist auf 8,1 Prozent gesunken': the figure is where the measure went, not how far."""
    return any(r.search(before) for r in rules.level_before)


def _is_decline(text: str, work: _Work, rules: LanguageRules, lead: int) -> bool:
    """'fell by 12%', 'sank um 12 Prozent', 'yüzde 12 azaldı', '下降了 12%', '67% less likely'.
    The verb may stand further before than a growth cue ("verbilligte sich gegenüber dem
    Vormonat um 2,4 %"): the patterns bound how far."""
    before = text[max(0, lead - _AFTER_CHARS) : lead]
    after = text[work.cand.end : work.cand.end + _NEAR_CHARS]
    return any(r.search(before) for r in rules.decline_before) or any(
        r.search(after) for r in rules.decline_after
    )


def _earlier_rates(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'rose 3.2% ..., down from 3.4%': a percent after a change, joined by the language's
    words for an earlier rate, is that change's rate at an earlier time, in its direction.
    A change there with a direction of its own ("同比上涨0.4%，去年同期为下降0.2%") keeps it."""
    for before, work in zip(works, works[1:], strict=False):
        if (work.cand.verbal or before.unit != "percent_change"
                or not any(r.fullmatch(text, before.cand.end, work.lead)
                           for r in rules.earlier_between)):
            continue
        if work.unit == "percent" and not work.signed:
            work.unit = "percent_change"
            work.negative = before.negative
            work.earlier_rate = True
        elif work.unit == "percent_change":
            work.earlier_rate = True


def _apply_sign(text: str, work: _Work) -> None:
    """A share never carries a sign: a signed percent is a change ("Wohnungen (−17,9 %)")."""
    cand = work.cand
    if cand.change:  # "fell by 23,000", "(+ 212.000 Personen": the figure rule read it
        work.negative = cand.sign is not None and _SIGNS.get(cand.sign.lower(), False)
        return
    if work.unit not in ("percent", *_CHANGE_UNITS) or cand.verbal:
        return
    if cand.sign is not None and cand.sign.lower() in _SIGNS:
        _mark_signed(work, _SIGNS[cand.sign.lower()])
        return
    match = _SIGN_BEFORE.search(text, max(0, cand.start - 3), cand.start)
    if match is None:
        return
    name = next(name for name in ("sign", "sign2", "sign3") if match.group(name))
    sign = match.group(name)
    work.cand = replace(cand, start=match.start(name))  # the printed sign stays in the surface
    _mark_signed(work, _SIGNS[sign])


def _mark_signed(work: _Work, negative: bool) -> None:
    work.signed = True
    work.negative = negative
    if work.unit == "percent":
        work.unit = "percent_change"


def _signed_share_changes(works: list[_Work]) -> None:
    """A signed percent in parentheses after a share changes that share in points: "45
    Prozent (+4 Prozent zum Vorjahr)"; after a count or a change ("3,9 % unter dem
    Vorjahresmonat (−3,9 %)") it stays a percent change.  Runs after growth detection."""
    for work in works:
        if work.signed and work.head is not None and work.unit == "percent_change":
            head = works[work.head]
            if head.unit == "percent" and not head.cand.verbal:
                work.unit = "percentage_points"


def _changes_of_levels(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'was 1,284,500 in March 2025, up 9,800 (0.8%)', 'stieg um 12.400 auf 2,81 Millionen':
    the change of a count is about the group and time of the level it changes (the count of
    the sentence before it, else after it), when it names neither itself.  Without a level,
    the group the sentence names before it ("Payrolled employees fell by 9,000"); "Personen"
    after a change is its unit, not its group ("Zahl der Erwerbstätigen um 9.000 Personen")."""
    levels = [i for i, w in enumerate(works) if w.unit == "count" and not w.cand.change
              and not w.sample]
    for i, work in enumerate(works):
        if not work.cand.change:
            continue
        before = [j for j in levels if j < i]
        level = works[before[-1] if before else levels[0]] if levels else None
        if work.population in (None, "people"):
            named = _first_term(text, rules, False, work.lead)
            work.population = named or (level.population if level else work.population)
        elif level and level.population and level.population.endswith("_" + work.population):
            work.population = level.population  # "payrolled employees ..., 96,000 more employees"
        if level and work.year is None and work.year_offset is None:
            work.year, work.year_offset = level.year, level.year_offset
        if level and level.population is None:  # "um 88 000 (…) auf 1,71 Millionen"
            level.population = work.population


def _shares_of_count_changes(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'um 9.000 Personen (−0,4 %)', 'ein Plus von 85 000 Beschäftigten oder 0,2 %', 'rose by
    12,000, or 0.4%': a percent joined to the change of a count is that change in percent,
    in its direction (a printed sign decides its own)."""
    for change, work in zip(works, works[1:], strict=False):
        if (change.cand.change and work.unit in ("percent", "percent_change")
                and not work.cand.verbal
                and any(r.fullmatch(text, change.cand.end, work.lead)
                        for r in rules.change_share_between)):
            work.unit = "percent_change"
            if not work.signed:
                work.negative = change.negative


def _elliptic_changes(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'Heizöl verbilligte sich um 2,2 %, Kraftstoffe um 4,9 %', 'Energy prices fell by 3.4%,
    fuel by 4.9%': a change whose subject follows the one before without a verb of its own
    goes the same way."""
    for before, work in zip(works, works[1:], strict=False):
        if (before.unit in _CHANGE_UNITS and work.unit in (before.unit, "percent")
                and not work.signed and not work.cand.verbal
                and any(r.fullmatch(text, before.cand.end, work.lead)
                        for r in rules.elliptic_between)):
            work.unit, work.negative = before.unit, before.negative
