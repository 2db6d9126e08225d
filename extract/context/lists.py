"""Figures read together: "from X to Y" pairs and their bare partners, listed figures
that share one verb and time, and comparison groups of one measure at several years."""

from __future__ import annotations

import re

from extract.candidates import Candidate
from extract.context.work import (
    _BEFORE_CHARS,
    _CHANGE_UNITS,
    _Work,
)
from extract.rules import LanguageRules

# A bare partner stands within a few characters of its figure ("21 auf 27 Prozent").
_DIGIT = re.compile(r"\d")
_PARTNER_REACH = 14


def _bare_partners(text: str, candidates: list[Candidate], rules: LanguageRules,
                   ) -> list[Candidate]:
    """Add the bare numbers that share a figure's unit: "von 21 auf 27 Prozent", "yüzde
    3,9'dan 4,4'e", "um 3,1 und 2,2 Prozent", "分别收窄1.7、0.7、8.3个百分点" (a partner may
    have a partner of its own)."""
    if not (rules.bare_from or rules.bare_to):
        return candidates
    kept = list(candidates)
    queue = list(candidates)
    while queue:
        cand = queue.pop()
        if cand.unit not in ("percent", *_CHANGE_UNITS) or cand.verbal:
            continue
        lo = max(0, cand.start - _BEFORE_CHARS)
        found = []
        # The partner before may be a number word ("von sieben auf 12 Prozent"), so no
        # digit check here; the patterns are anchored at the figure and cheap.
        found += [_bare(rules, cand, match, lo) for regex in rules.bare_from
                  if (match := regex.search(text[lo : cand.start]))]
        if _DIGIT.search(text, cand.end, cand.end + _PARTNER_REACH):
            found += [_bare(rules, cand, match, cand.end) for regex in rules.bare_to
                      if (match := regex.match(text[cand.end : cand.end + _BEFORE_CHARS]))]
        for new in found:
            if new is not None and all(new.end <= k.start or new.start >= k.end for k in kept):
                kept.append(new)
                queue.append(new)
    return sorted(kept, key=lambda c: c.start) if len(kept) > len(candidates) else candidates


def _bare(rules: LanguageRules, partner: Candidate, match: re.Match[str], offset: int,
          ) -> Candidate | None:
    number = match.group("num")
    value = rules.numbers.parse(number)
    if value is None or re.fullmatch(r"(?:19|20)\d\d", number):
        return None
    start, end = offset + match.start("num"), offset + match.end("num")
    return Candidate(start, end, value, partner.unit, f"{rules.lang}.from_to_bare", "number",
                     order=partner.order)


def _join(text: str, a: _Work, b: _Work, rules: LanguageRules) -> str | None:
    """How two neighbouring figures are joined: "last" (", and", "und", "、"), "sep" (a
    list comma) or None (anything else)."""
    if (a.cand.unit != b.cand.unit and {a.unit, b.unit} - {"percent", "percent_change"}):
        return None
    between = text[a.cand.end : b.lead]
    if any(r.fullmatch(between) for r in rules.list_last):
        return "last"
    if any(r.fullmatch(between) for r in rules.list_separator):
        return "sep"
    return None


def _lists(text: str, works: list[_Work], rules: LanguageRules) -> list[list[_Work]]:
    """Runs of figures listed with commas and a closing conjunction: "2.4%, 3.1% and 5.6%",
    "27,8 %, 22,5 % beziehungsweise 16,1 %", "13.6%、17.2%和28.4%"."""
    runs: list[list[_Work]] = []
    run, closed = works[:1], False
    for a, b in zip(works, works[1:], strict=False):
        join = _join(text, a, b, rules)
        if join is None or (join == "sep" and closed):
            if closed:
                runs.append(run)
            run, closed = [b], False
            continue
        run.append(b)
        closed = join == "last"
    if closed:
        runs.append(run)
    return runs


def _share_in_lists(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """One verb and one time govern a whole list ("sank um 27,8 %, 22,5 % bzw. 16,1 %",
    "Geçen yıl bu oranlar sırasıyla %90,9 ve %83,3 idi")."""
    for run in _lists(text, works, rules):
        changes = [w for w in run if w.unit == "percent_change" and not w.signed]
        # The list must end with its last figure ("... and 5.6% respectively."), or the verb
        # must follow it ("%8,4 ve %15,0 arttı"): "rose by 4%, and 30% of the rise came from
        # exports" lists nothing.
        last = run[-1]
        closes = last in changes or any(
            r.match(text, last.cand.end) for r in rules.list_end)
        if changes and closes:
            for work in run:
                # "rose by 5% and 30% of firms ...": a share that names its group stays one.
                if work.unit == "percent" and not work.attached:
                    work.unit = "percent_change"
                    work.negative = changes[0].negative
        times = {(w.year, w.year_offset) for w in run
                 if w.year is not None or w.year_offset is not None}
        if len(times) == 1:
            year, offset = times.pop()
            for work in run:
                if work.year is None and work.year_offset is None:
                    work.year, work.year_offset = year, offset


def _period(text: str, rules: LanguageRules) -> tuple[int, int] | None:
    """The first and last year of a period the sentence names ("between 2004 and 2022")."""
    for regex in rules.from_period:
        match = regex.search(text)
        if match and int(match.group("start")) < int(match.group("end")):
            return int(match.group("start")), int(match.group("end"))
    return None


def _link_from_to(text: str, works: list[_Work], rules: LanguageRules,
                  baselines: list[tuple[int, int, int]], next_group: int) -> int:
    """'from 24% to 45%': the first value is the baseline year's, both one group.  In a
    sentence that names a period ("between 2004 and 2022 (19% to 13% ...)") the pair is
    the period's first and last year."""
    period = _period(text, rules) if rules.from_period else None
    for a, b in zip(works, works[1:], strict=False):
        if a.unit != "percent" or b.unit != "percent":
            continue
        between = text[a.cand.end : b.lead]
        if not any(r.fullmatch(between) for r in rules.from_between):
            continue
        before = text[: a.lead]
        if rules.from_before and not any(r.search(before) for r in rules.from_before) and not (
                period and any(r.search(before) for r in rules.pair_before)):
            continue
        if period:
            for work, year in ((a, period[0]), (b, period[1])):
                if work.year is None and work.year_offset is None:
                    work.year = year
        elif a.year is None and a.year_offset is None and baselines:
            a.year = baselines[-1][2]
        a.from_value = True
        a.group = b.group = next_group
        next_group += 1
    return next_group


def _comparison_groups(works: list[_Work], next_group: int) -> int:
    """Values of one measure at different years: explicit-year values + their head."""
    for unit in ("percent", "count"):
        # The change of a count ("up 9,800") is another measure than the count itself, and
        # a survey's sample ("asked 3,100 commuters in March 2025, of whom 800 were
        # managers") is no value of a measure at a year.
        dated = [w for w in works if w.unit == unit and w.group is None and not w.cand.change
                 and not w.cand.sample
                 and (w.year is not None or w.year_offset is not None)]
        if not dated:
            continue
        heads = [w for w in works if w.unit == unit and w.year is None and w.year_offset is None
                 and not w.cand.change and not w.cand.sample]
        if not heads:
            continue
        first = works.index(dated[0])
        before = [w for w in heads if works.index(w) < first]
        head = before[-1] if before else heads[0]
        group = head.group if head.group is not None else next_group
        if group == next_group:
            next_group += 1
        for w in [head, *dated]:
            w.group = group
    return next_group
