"""The year a figure is about: an explicit year, the previous year ("im Vorjahr"), a
baseline year ("since 2020"), or the period that frames the sentence."""

from __future__ import annotations

import re

from extract.context.work import (
    _AFTER_CHARS,
    _BEFORE_CHARS,
    _CHANGE_UNITS,
    _NEAR_CHARS,
    _RELATIVE_UNITS,
    _Work,
)
from extract.forecasts import forecast_year
from extract.rules import LanguageRules
from extract.segment import LIST_START

_CLAUSE_END = re.compile(r"[;；]")
_YEAR_START = re.compile(r"(?:19|20)\d\d(?![\d.,])")
_YEAR_ANYWHERE = re.compile(r"(?:19|20)\d\d")


def _year_of(match: re.Match[str]) -> int:
    """The year a cue names; "(2022 and 2021: 54% each)" names two, the later one counts."""
    return max(int(value) for name, value in match.groupdict().items()
               if name.startswith("year") and value)


def _baseline_years(text: str, rules: LanguageRules) -> list[tuple[int, int, int]]:
    """(start, end, year) of every baseline year ("since 2020") in the sentence."""
    spans = []
    for regex in rules.year_baseline:
        for match in regex.finditer(text):
            spans.append((match.start("year"), match.end("year"), int(match.group("year"))))
    return spans


def _explicit_year(text: str, works: list[_Work], i: int, rules: LanguageRules,
                   baselines: list[tuple[int, int, int]]) -> int | None:
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    if work.unit in _CHANGE_UNITS:  # "rose 3 points to 84% in 2023": the change's year too
        next_start = len(text)
    # A figure in parentheses after a number that is no figure reads the cues before it.
    lead = work.cue_start if work.cue_start is not None and work.head is None else work.lead
    window_start = max(prev_end, lead - _BEFORE_CHARS, _list_mark_end(text, lead))
    before = text[window_start:lead]
    after = text[work.cand.end : min(next_start, work.cand.end + _BEFORE_CHARS)]
    is_base = {start for start, _, _ in baselines}
    # A year before a change is the period of the change ("2023'te yüzde 115 büyüdü"), but
    # only in the language's change forms: "是 2019 年...的近三倍" names the base instead.
    before_forms = (rules.change_year_before if work.unit in _RELATIVE_UNITS
                    and not work.earlier_rate else rules.year_before)
    # "rose by 0.6% in March 2024, compared with a rise of 0.8% in March 2023": a cue right
    # after the figure before, dating that figure, yields to a year of this figure's own
    # ("74.6% in March 2025, 0.3 percentage points lower" shares it).
    after_figure = i > 0 and window_start == prev_end
    shared = None
    row = _ROW_YEAR.match(text, _list_mark_end(text, lead), lead)
    if row and row.end() == lead:  # "| 2022 | 5 % |", "- 2023: 6 %": a row of a year
        return _year_of(row)
    for regex in before_forms:
        match = regex.search(before)
        if match and window_start + match.start("year") not in is_base:
            if not (after_figure and not before[: match.start()].strip()
                    and works[i - 1].year == _year_of(match)):
                return _year_of(match)
            shared = shared or _year_of(match)
    for regex in rules.year_after:
        match = regex.search(after)
        if match and work.cand.end + match.start("year") not in is_base:
            return _year_of(match)
    return shared


# A table row or list item that opens with its year: "| 2022 | 5 % |", "2023: 6 %" (the
# same in every language: a year, then a table rule or a colon, then the figure).
_ROW_YEAR = re.compile(r"\s*\|?\s*(?P<year>(?:19|20)\d\d)\s*[|:：]\s*")


def _list_mark_end(text: str, lead: int) -> int:
    """Where the bullet or number opening a list item ends ("- 2023: 6 %"): the cues
    before a figure read the item from there, as a sentence from its start."""
    mark = LIST_START.match(text)
    return mark.end() if mark and mark.end() <= lead else 0


# "four years ago" is about an earlier survey; further back it is history, not a wave.
_MAX_YEARS_AGO = 20


def _years_ago(text: str, works: list[_Work], i: int, rules: LanguageRules) -> int | None:
    """How many years before the survey a value is ("vor zwei Jahren", "four years ago",
    "iki yıl önce", "两年前"), or None."""
    work = works[i]
    if (work.unit in _RELATIVE_UNITS or work.unit in _CHANGE_UNITS) and not work.earlier_rate:
        return None  # "up 15% from two years ago": the base
    if _previous_year(text, works, i, rules):
        return 1
    if not (rules.years_ago_before or rules.years_ago_after):
        return None
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    window_start = max(prev_end, work.lead - _AFTER_CHARS)
    before = text[window_start : work.lead]
    # "Compared with 28% two years ago, 35% now": a cue right after a figure is that one's.
    right_after_figure = i > 0 and window_start == prev_end
    match = next((m for r in rules.years_ago_before if (m := r.search(before))
                  and not (right_after_figure and not before[: m.start("n")].strip())), None)
    after = text[work.cand.end : min(next_start, work.cand.end + _BEFORE_CHARS)]
    match = match or next((m for r in rules.years_ago_after if (m := r.match(after))), None)
    if match is None:
        return None
    count = rules.numbers.parse(match.group("n"))
    if count is None or not 1 <= count <= _MAX_YEARS_AGO or count != int(count):
        return None
    return int(count)


def _previous_year(text: str, works: list[_Work], i: int, rules: LanguageRules) -> bool:
    """Is the value tied to the year before the survey ("im Vorjahr", "last year", "去年")?"""
    work = works[i]
    if (work.unit in _RELATIVE_UNITS or work.unit in _CHANGE_UNITS) and not work.earlier_rate:
        return False  # "down 15% compared with last year": last year is the base
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    # "A year earlier the claimant rate stood at 2.1%": the cue may open a long clause.
    before = text[max(prev_end, work.lead - _AFTER_CHARS) : work.lead]
    after = text[work.cand.end : min(next_start, work.cand.end + _BEFORE_CHARS)]
    return any(r.search(before) for r in rules.previous_year_before) or any(
        r.search(after) for r in rules.previous_year_after)


def _frame_year(text: str, rules: LanguageRules) -> int | None:
    """The year of a period that opens the sentence ("In April 2025, ...", "Von Januar bis
    April 2024 wurde ...", "2024年1-4月，...")."""
    for regex in rules.year_frame:
        match = regex.match(text)
        if match:
            return _year_of(match)
    return None


def _apply_frame(text: str, works: list[_Work], rules: LanguageRules,
                 baselines: list[tuple[int, int, int]]) -> None:
    year = _frame_year(text, rules) if rules.year_frame else None
    if year is None or any(y == year for _, _, y in baselines):
        return
    clause_end = _CLAUSE_END.search(text)  # "2022'de bu oran %34,8 idi; bu, %8,6'lık bir düşüş"
    limit = clause_end.start() if clause_end else len(text)
    for work in works:
        if (work.year is not None or work.year_offset is not None or work.from_value
                or work.cand.start > limit):
            continue
        before = text[max(0, work.lead - _NEAR_CHARS) : work.lead]
        if any(r.search(before) for r in rules.from_before):  # "up from 41%": the old value
            continue
        work.year = year


def _date_from_values(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """"önceki yıla göre yüzde 51,3'ten yüzde 48,2'ye geriledi", "fell from 58% to 52% on
    the year": in a sentence that compares with the year before, the first value of a
    from-to pair is that year's."""
    if not any(w.from_value and w.year is None and w.year_offset is None for w in works):
        return
    if any(r.search(text) for r in rules.previous_comparison):
        for work in works:
            if work.from_value and work.year is None and work.year_offset is None:
                work.year_offset = -1


def _anchor_relative_years(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """A year relative to another ("im Vorjahr", "a year earlier", "上年") counts from the
    year the sentence gives the figures before it, or from the period that opens it."""
    frame = _frame_year(text, rules) if rules.year_frame else None
    for i, work in enumerate(works):
        if work.year is not None or work.year_offset is None:
            continue
        dated = [w.year for w in works[:i] if w.year is not None and w.year_offset is None]
        work.year_anchor = dated[-1] if dated else frame


def _levels_share_change_years(text: str, works: list[_Work], rules: LanguageRules) -> None:
    """'2022'de ... 1,4 puan azalarak yüzde 10,4 oldu': the level a change reached, joined
    to it by the language's words for that (`level_between`), is of the change's time."""
    for change, level in zip(works, works[1:], strict=False):
        if (change.unit in _CHANGE_UNITS and change.year is not None
                and level.year is None and level.year_offset is None
                and any(r.fullmatch(text, change.cand.end, level.lead)
                        for r in rules.level_between)):
            level.year = change.year


# A year standing alone (not part of a longer number, a date "3.3.2021" or an amount).
_A_YEAR = re.compile(r"(?<![\d.,/-])(?:19|20)\d\d(?![\d.,/-]\d)")


def _apply_clause_year(text: str, works: list[_Work], rules: LanguageRules,
                       baselines: list[tuple[int, int, int]]) -> None:
    """'Der Anteil der Haushalte ... lag im Jahr 2023 in den ländlichen Regionen bei 41
    Prozent', 'The proportion of adults who ... in 2023 was 11.9%': a time phrase further
    from a figure than its own cues reach dates it, when the clause names no other year
    (a baseline aside), plans nothing ("planen, 2024 zu erhöhen", "by 2030") and no figure
    of it took that year as its own ("68 %, gegenüber 54 % im Jahr 2019").  A count of the
    people asked keeps the survey's year; a multiple's year is its base."""
    start = 0
    for clause_end in [m.start() for m in _CLAUSE_END.finditer(text)] + [len(text)]:
        clause = [w for w in works if start <= w.cand.start < clause_end]
        undated = [w for w in clause if w.year is None and w.year_offset is None
                   and not w.from_value and not w.sample and w.unit != "multiple"]
        year = _clause_year(text, start, clause_end, rules, baselines) if undated else None
        taken = [w for w in clause if w.year == year]
        if year is not None and taken:
            # "..., compared to 63% in 2020": the year is that figure's own; but "lag 2022
            # bei 16,8 Millionen und damit 0,8 % unter dem Vorjahr": a change after the
            # figure dated so is of the same time.
            undated = [w for w in undated if w.unit in _CHANGE_UNITS
                       and w.cand.start > taken[0].cand.end]
        for work in undated if year is not None else []:
            before = text[max(start, work.lead - _NEAR_CHARS) : work.lead]
            if rules.clause_not_before.search(before):  # "up from 41%": an earlier value
                continue
            # "2008 betrug der Anteil 20 %, er ist seitdem um 15 Punkte gesunken": a change
            # since the clause's year is not of that year.
            if rules.since_then.search(text, max(start, work.lead - _AFTER_CHARS), work.lead):
                continue
            work.year = year
        start = clause_end + 1


def _clause_year(text: str, start: int, end: int, rules: LanguageRules,
                 baselines: list[tuple[int, int, int]]) -> int | None:
    """The year a clause's time phrase names, when it is the clause's only year."""
    base = {b for b, _, _ in baselines}
    years = {int(m.group(0)) for m in _A_YEAR.finditer(text, start, end)
             if m.start() not in base}
    # A clause about the survey ("our survey, carried out in February 2024, finds that 44%")
    # names when it asked: its figures are the edition's.
    if (len(years) != 1 or rules.plan_cue.search(text, start, end)
            or rules.survey_cue.search(text, start, end)):
        return None
    named = {_year_of(m) for r in rules.year_clause for m in r.finditer(text, start, end)
             if m.start("year") not in base}
    return named.pop() if named == years else None


def _date_forecasts(text: str, works: list[_Work], rules: LanguageRules,
                    baselines: list[tuple[int, int, int]]) -> None:
    """A forecast no cue dated is about the one year its clause names ("the council
    expects the share to reach 35% by 2028", "协会预计，2025年……将达到55%左右"), not the
    edition's: the clause-year rule leaves plans alone, as a plan's figure ("38 Prozent
    planen, 2024 ...") is a finding of the survey (extract/forecasts.py tells them apart),
    and so is a share of a group its words name ("Bis 2030 wollen 31 Prozent der
    Erwachsenen ...": the people who plan, asked now)."""
    base = frozenset(start for start, _, _ in baselines)
    for work in works:
        if (work.year is None and work.year_offset is None and not work.sample
                and not work.from_value and work.population is None):
            work.year = forecast_year(text, work.cand.start, work.cand.end, rules.lang, base)
