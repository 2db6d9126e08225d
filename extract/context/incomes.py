"""An income band that narrows a figure's group: "Befragte mit einem Haushaltsnettoeinkommen
unter 2.000 Euro ... 41 Prozent", "households with an income below £25,000, 58%", "aylık
hane geliri 20 bin TL'nin altında olanlarda yüzde 29", "月收入5000元以下的受访者中，38.5%".
The band is the group's part (`respondents_income_under_2000`, `_income_60000_plus`,
`_income_2000_to_3999`), never the survey's whole group nor another band of the sentence.

The bands are data (`income_bands` in population.toml, groups `under`, `plus`, `low` +
`high`); each amount is read by the language's number grammar ("20 bin", "2万", "2.000")."""

from __future__ import annotations

import re

from extract.context.work import _BAND_CHARS, _Work
from extract.rules import LanguageRules

# What ends the clause after a share, where a band after it would stand ("58% of
# households with an income below £25,000"), and how far it is read.
_CLAUSE_END = re.compile(r"[.;!?。；！？，]|,\s")
_AFTER_CHARS = 80


def _amount(text: str | None, rules: LanguageRules) -> str | None:
    value = rules.numbers.parse(text.strip()) if text else None
    return str(int(value)) if value is not None and value >= 1 else None


def _label(match: re.Match[str], rules: LanguageRules) -> str | None:
    found = {k: _amount(v, rules) for k, v in match.groupdict().items() if v}
    if found.get("low") and found.get("high"):
        return f"income_{found['low']}_to_{found['high']}"
    if found.get("plus"):
        return f"income_{found['plus']}_plus"
    if found.get("under"):
        return f"income_under_{found['under']}"
    return None


def income_band(text: str, works: list[_Work], i: int, rules: LanguageRules) -> str | None:
    """The income band a share is about: one in its clause right after it, else the last
    one between the figure before and this one."""
    work = works[i]
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    after = text[work.cand.end : min(next_start, work.cand.end + _AFTER_CHARS)]
    end = _CLAUSE_END.search(after)
    after = after[: end.start()] if end else after
    for regex in rules.income_bands:
        match = regex.search(after)
        if match:
            return _label(match, rules)
    prev_end = works[i - 1].cand.end if i > 0 else 0
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    last: re.Match[str] | None = None
    for regex in rules.income_bands:
        for match in regex.finditer(before):
            if last is None or match.start() > last.start():
                last = match
    return _label(last, rules) if last else None


def with_income_band(population: str | None, band: str | None, shares: str | None,
                     rules: LanguageRules) -> str | None:
    """The figure's group (a weak one, "respondents", is the survey's `shares`) narrowed by
    its income band: "respondents_income_under_2000", "households_income_under_25000"."""
    if band is None:
        return population
    base = population if population and population not in rules.weak_populations else None
    return f"{base or shares or 'people'}_{band}"
