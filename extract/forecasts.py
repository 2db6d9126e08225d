"""Forecasts: a value a report expects rather than one it observed ("the council expects
the share to reach 35% by 2028", "Bis 2030 dürfte der Anteil auf 20 Prozent steigen",
"payının 2027 yılına kadar yüzde 25'e çıkmasını bekliyor", "协会预计……将达到55%左右").

A forecast is dated by the year it is about (the one year its clause names), and it is
no value of the measure it forecasts: the linker keeps it out of the observed series and
out of another edition's forecast (a revised forecast), see `warehouse/link_forecasts.py`.
The cues are the language's `[years]` table in cues.toml:
  forecast_before     a forecast word or horizon between the clause's start and the figure
                      (the figure is what is expected, not the share of those expecting:
                      "60% of retailers expect ..." names its cue after the figure)
  forecast_after      a forecast verb after the figure, for languages whose verb ends the
                      clause ("... yüzde 25'e çıkmasını bekliyor")
  forecast_not_after  right after the figure: it is the subject of the clause, the share
                      of those who expect ("işletmelerin yüzde 44'ü ... bekliyor")
A clause ends at a semicolon or one of the language's clause conjunctions (concepts.toml
`[clauses]`).  Pure: text in, answers out.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from extract import languages, lexicon

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_HARD_BREAK = r"[;；。]"
_YEAR_END = re.compile(r"(?:19|20)\d\d\s*年?\s*$")
_YEAR_START = re.compile(r"\s*(?:19|20)\d\d(?!\d)")


@cache
def _cues(lang: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None,
                              re.Pattern[str] | None, re.Pattern[str]]:
    """(before, after, not_after, clause break) of a language; None where it declares none."""
    try:
        data = lexicon.load(lang)
    except lexicon.LexiconError:
        data = {}
    years = data.get("years", {})
    found = [re.compile(years[key].replace("{YEAR}", _YEAR.pattern)) if years.get(key)
             else None
             for key in ("forecast_before", "forecast_after", "forecast_not_after")]
    words = [re.escape(w) for w in data.get("clauses", {}).get("conjunctions", [])]
    if lang and languages.info(lang).spaces_between_words:
        words = [rf"(?<!\w){w}(?!\w)" for w in words]
    breaks = re.compile("|".join([_HARD_BREAK, *words]))
    return found[0], found[1], found[2], breaks


def _clause(sentence: str, start: int, end: int, breaks: re.Pattern[str]) -> tuple[int, int]:
    """The span of the clause a figure (start, end) stands in; a conjunction between two
    years joins a period ("between 2024 and 2030"), not two clauses."""
    found = [m for m in breaks.finditer(sentence) if not _joins_years(sentence, m)]
    lo = max((m.end() for m in found if m.end() <= start), default=0)
    hi = min((m.start() for m in found if m.start() >= end), default=len(sentence))
    return lo, hi


def _joins_years(sentence: str, match: re.Match[str]) -> bool:
    return bool(_YEAR_END.search(sentence, 0, match.start())
                and _YEAR_START.match(sentence, match.end()))


@lru_cache(maxsize=50_000)
def is_forecast(sentence: str, start: int, end: int, lang: str | None) -> bool:
    """Whether the figure at sentence[start:end] is a value its sentence expects."""
    if not lang:
        return False
    before, after, not_after, breaks = _cues(lang)
    lo, hi = _clause(sentence, start, end, breaks)
    if before and before.search(sentence, lo, start):
        return True
    if after is None or (not_after and not_after.match(sentence, end)):
        return False
    return bool(after.search(sentence, end, hi))


def forecast_year(sentence: str, start: int, end: int, lang: str | None,
                  baselines: frozenset[int] = frozenset()) -> int | None:
    """The year a forecast is about: the one year its clause names, not counting
    baselines (their starts in `baselines`); None when it is no forecast, names none or
    several ("a CAGR of 19% between 2024 and 2030" is about a period)."""
    if not is_forecast(sentence, start, end, lang):
        return None
    _, _, _, breaks = _cues(lang or "")
    lo, hi = _clause(sentence, start, end, breaks)
    years = {int(m.group()) for m in _YEAR.finditer(sentence, lo, hi)
             if m.start() not in baselines and not start <= m.start() < end}
    return years.pop() if len(years) == 1 else None
