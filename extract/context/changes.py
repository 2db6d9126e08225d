"""Which way a figure goes: its qualifier ("about", "more than"), a printed sign, and
whether a share is a growth or a decline."""

from __future__ import annotations

import re
from dataclasses import replace

from extract.context.work import (
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
_SIGN_BEFORE = re.compile(r"(?<![.,%])(?<![^\W\u3400-\u9fff])"
                          r"(?:(?P<sign>[+\u2212])\s?|(?P<sign2>[-\u2013]))$")


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
    """'fell by 12%', 'sank um 12 Prozent', 'yüzde 12 azaldı', '下降了 12%', '67% less likely'."""
    before = text[max(0, lead - _BEFORE_CHARS) : lead]
    after = text[work.cand.end : work.cand.end + _NEAR_CHARS]
    return any(r.search(before) for r in rules.decline_before) or any(
        r.search(after) for r in rules.decline_after
    )


def _earlier_rates(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'rose 3.2% ..., down from 3.4%': a percent after a change, joined by the language's
    words for an earlier rate, is that change's rate at an earlier time, in its direction."""
    for before, work in zip(works, works[1:], strict=False):
        if (work.unit == "percent" and not work.signed and not work.cand.verbal
                and before.unit == "percent_change"
                and any(r.fullmatch(text, before.cand.end, work.lead)
                        for r in rules.earlier_between)):
            work.unit = "percent_change"
            work.negative = before.negative
            work.earlier_rate = True


def _apply_sign(text: str, work: _Work) -> None:
    """A share never carries a sign: a signed percent is a change ("Wohnungen (−17,9 %)")."""
    cand = work.cand
    if work.unit not in ("percent", *_CHANGE_UNITS) or cand.verbal:
        return
    if cand.sign is not None and cand.sign.lower() in _SIGNS:
        _mark_signed(work, _SIGNS[cand.sign.lower()])
        return
    match = _SIGN_BEFORE.search(text, max(0, cand.start - 3), cand.start)
    if match is None:
        return
    name = "sign" if match.group("sign") else "sign2"
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
