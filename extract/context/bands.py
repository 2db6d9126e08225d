"""Narrowing a figure's group: an age band ("18-34-year-olds"), a firm-size class
("mit 20 bis 99 Beschäftigten") or a country ("In the UK ...")."""

from __future__ import annotations

import re

from extract.context.work import (
    _AFTER_CHARS,
    _BAND_CHARS,
    _Work,
)
from extract.rules import LanguageRules

# How far after a figure its band may end: past the group it narrows ("der Internetnutzer ab
# 16 Jahren", "der Männer im Alter von 20 bis 24 Jahren").
_BAND_AFTER_CHARS = 60


def _band_label(match: re.Match[str]) -> str | None:
    """'aged_18_34', 'aged_16_to_64' (the text says "to"), 'aged_55_plus', 'aged_under_25'."""
    found = {k: v for k, v in match.groupdict().items() if v}
    if "low" in found and "high" in found:
        return f"aged_{found['low']}_{found['high']}"
    if "a_to" in found and "high" in found:
        return f"aged_{found['a_to']}_to_{found['high']}"
    if "plus" in found:
        return f"aged_{found['plus']}_plus"
    if "under" in found:
        return f"aged_under_{found['under']}"
    return None


def _band_start(after: str, work: _Work, rules: LanguageRules) -> int | None:
    """Where a band after a figure would start: after "of", "der" ("61% of 18-34-year-olds"),
    or, for a count, after its people noun ("2.013 Personen ab 16 Jahren")."""
    if work.cand.kind != "count":
        lead_in = rules.age_after.match(after)
        return lead_in.end() if lead_in else None
    people = rules.people_after.match(after)
    if people is None:
        return None
    rest = after[people.end() :]
    return people.end() + len(rest) - len(rest.lstrip())


def _age_band(text: str, works: list[_Work], i: int, rules: LanguageRules) -> str | None:
    """The age band a figure is about: one right after it ("61% of 18-34-year-olds"), else
    the last one between the previous figure and this one ("55 yaş ve üzerindekilerde %29")."""
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    after = text[work.cand.end : min(next_start, work.cand.end + _BAND_AFTER_CHARS)]
    # The band opens the clause, often well before its figure ("16-74 yaş grubundaki
    # bireylerde internet kullanım oranı 2024 yılında %88,8").
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    start = _band_start(after, work, rules)
    for regex in [*rules.age_bands, *rules.age_bands_after]:
        match = regex.match(after, start) if start is not None else None
        if match:
            return _band_label(match)
    if rules.attach_after.match(after):  # "(ab 16 Jahren) ... 68 Prozent der Internetnutzer"
        return None
    last: re.Match[str] | None = None
    for regex in rules.age_bands:
        for match in regex.finditer(before):
            if last is None or match.start() > last.start():
                last = match
    if last is None:
        return None
    if rules.people_before_band.search(before, 0, last.start()):
        work.band_base = "people"  # "people aged 16 to 64", "Personen ab 65 Jahren"
    return _band_label(last)


def _number(text: str) -> str:
    return re.sub(r"\D", "", text)


def _size_label(match: re.Match[str]) -> str | None:
    """'with_100_to_499_employees', 'with_250_plus_employees', 'with_under_50_employees'."""
    found = {k: _number(v) for k, v in match.groupdict().items() if v}
    if "low" in found and "high" in found:
        return f"with_{found['low']}_to_{found['high']}_employees"
    if "plus" in found:
        return f"with_{found['plus']}_plus_employees"
    if "under" in found:
        return f"with_under_{found['under']}_employees"
    return None


def _size_band(text: str, works: list[_Work], i: int, rules: LanguageRules) -> str | None:
    """The firm-size class a share is about: one with numbers written in its clause before
    it ("bei den kleineren Unternehmen mit 20 bis 99 Beschäftigten bei 17 Prozent") or in
    the group right after it ("39% of small firms with 10 to 49 staff"), else one named by
    words there ("54% of mid-sized firms") or before it ("mikro işletmelerde bu oran %41",
    "小微企业为18.6%").  The staff a class counts ("Beschäftigten") are then not the
    figure's group."""
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    group, group_start = _group_after(text, works, i, rules)
    last = _last_match(before, rules.size_bands) or next(
        (m for regex in rules.size_bands if (m := regex.search(group, group_start))), None)
    if last is None:
        return _named_size_class(group, group_start, rules) or _last_named_size_class(
            before, rules)
    inside = rules.term_regex.search(last.group(0))
    if inside and work.population == rules.population_of(inside.group(0)):
        work.population, work.attached = None, False
    return _size_label(last)


def _last_match(text: str, regexes: list[re.Pattern[str]]) -> re.Match[str] | None:
    last: re.Match[str] | None = None
    for regex in regexes:
        for match in regex.finditer(text):
            if last is None or match.start() > last.start():
                last = match
    return last


# Where the group after a share ends: a clause break (not a digit group's comma).
_GROUP_END = re.compile(r"[;:()；：，。（）]|[,.](?!\d)")


def _group_after(text: str, works: list[_Work], i: int, rules: LanguageRules
                 ) -> tuple[str, int]:
    """The group a share is "of", after it up to the clause's end ("of small firms with 10
    to 49 staff", "der Unternehmen mit 250 und mehr Beschäftigten"), and where its words
    start past "of" and one modifier; ("", 0) when no such group follows (a language whose
    groups come before their shares, "işletmelerin %64'ü", "的企业", declares no "of")."""
    work = works[i]
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    after = text[work.cand.end : min(next_start, work.cand.end + _AFTER_CHARS)]
    of_group = rules.age_after.match(after)
    if of_group is None or not of_group.group(0).strip():
        return "", 0
    end = _GROUP_END.search(after, of_group.end())
    return after[: end.start() if end else len(after)], _past_one_modifier(after, of_group.end(),
                                                                            rules)


_WORD = re.compile(r"\S+\s+")


def _past_one_modifier(after: str, of_end: int, rules: LanguageRules) -> int:
    """Where a group's words start past its "of" and at most one modifier: `age_after` may
    take several words before a band ("of internet users aged 16 to 24"), but a class named
    further on is another's ("43% of firms say large companies ...")."""
    words = [match.end() for match in _WORD.finditer(after, 0, of_end)]
    bare = next((at for at in words if rules.age_after.fullmatch(after, 0, at)), of_end)
    one_more = _WORD.match(after, bare, of_end)
    return one_more.end() if one_more else bare


def _named_size_class(group: str, start: int, rules: LanguageRules) -> str | None:
    """A size class named by words that opens the group after a share ("54% of mid-sized
    firms", "72 Prozent der großen Unternehmen"), not one named further on ("43% of SMEs say
    large companies ...")."""
    for code, regex in rules.size_classes:
        match = regex.search(group)
        if match and match.start() <= start:
            return code
    return None


def _last_named_size_class(before: str, rules: LanguageRules) -> str | None:
    """The last size class named by words before a share ("Bei Großunternehmen liegt der
    Anteil bei 58 Prozent", "mikro işletmelerde bu oran %41'de kaldı")."""
    best: tuple[int, str] | None = None
    for code, regex in rules.size_classes:
        for match in regex.finditer(before):
            if best is None or match.start() > best[0]:
                best = (match.start(), code)
    return best[1] if best else None


def narrowed_by_size(group: str, size_band: str) -> str:
    """The part of `group` a size class names: a class with numbers follows it
    ('companies_with_250_plus_employees'), one named by words precedes it
    ('micro_companies')."""
    if size_band.startswith("with_"):
        return f"{group}_{size_band}"
    return f"{size_band}_{group}"


def _place(text: str, works: list[_Work], i: int,
           table: list[tuple[str, re.Pattern[str]]]) -> str | None:
    """The country (or part of one: `table` is the rules' places or regions) a share is
    reported for: the last one named, in a locative frame, between the previous figure and
    this one ("In the UK the figure is higher, at 73%", "in Westdeutschland bei 45 Prozent")."""
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    best: tuple[int, str] | None = None
    for code, regex in table:
        for match in regex.finditer(before):
            if best is None or match.start() > best[0]:
                best = (match.start(), code)
    return best[1] if best else None


def size_bands_in(text: str, rules: LanguageRules) -> set[str]:
    """Every firm-size class a text names (a survey's own definition of whom it asked)."""
    if not rules.size_cue.search(text) and not rules.size_class_cue.search(text):
        return set()
    found = {code for code, regex in rules.size_classes if regex.search(text)}
    for regex in rules.size_bands:
        for match in regex.finditer(text):
            label = _size_label(match)
            if label:
                found.add(label)
    return found
