"""Context rules over one sentence: qualifier, growth, year, population, comparison groups.

Input: the sentence text and its candidate figures.  Output: one `Figure` per
statistic, with offsets relative to the sentence.  Nothing here looks beyond
the sentence; document-level fallbacks (survey year, the previous sentence's
population) are applied by extract.statistics.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from extract.candidates import Candidate, find_candidates
from extract.rules import LanguageRules

_BEFORE_CHARS = 40
_AFTER_CHARS = 60
_NEAR_CHARS = 30
_BAND_CHARS = 100
# Units whose neighbouring year is the base of the comparison ("2019 年...的近三倍").
_RELATIVE_UNITS = ("percent_change", "multiple")
# Units that can go down as well as up; a decline is stored with a negative value.
_CHANGE_UNITS = ("percent_change", "percentage_points")


@dataclass
class Figure:
    """A statistic of one sentence (offsets relative to the sentence)."""

    start: int
    end: int
    value: float
    unit: str
    qualifier: str
    population: str | None
    year: int | None  # an explicit year; None means "the survey year"
    rule: str
    group: int | None = None
    population_attached: bool = False
    count_noun_only: bool = False
    # Years relative to the survey year ("im Vorjahr", "last year" -> -1); resolved by
    # extract.statistics, which knows the survey year.
    year_offset: int | None = None
    # A count of survey participants ("1.500 kişi katıldı", "n = 2,047", "7000 Fragebögen"):
    # without a named group it is about the survey's population, else "respondents".
    sample: bool = False
    # A verbal share glossing an exact figure ("zwei Drittel (68 Prozent)"): the index of
    # that figure among the sentence's figures.
    paraphrase_of: int | None = None
    # An age band that narrows the group ("aged_18_34", "aged_55_plus", "aged_16_to_64");
    # extract.statistics joins it to the group, which may be the survey's population.
    age_band: str | None = None
    band_base: str | None = None  # "people" when a people noun carries the band
    # A firm-size class before the figure ("with_100_to_499_employees").
    size_band: str | None = None
    # A country the figure's clause is about in a survey of several ("In the UK ... 73%").
    place: str | None = None
    # The population is a group named elsewhere in the sentence, not tied to the figure.
    population_guessed: bool = False


@dataclass
class _Work:
    cand: Candidate
    qualifier: str = "exact"
    qualifier_start: int = -1  # where a qualifier word before the figure starts
    unit: str = ""
    negative: bool = False  # a decline: the change is stored as a negative value
    year: int | None = None
    year_offset: int | None = None
    population: str | None = None
    attached: bool = False
    sample: bool = False
    group: int | None = None
    # The figure this one stands in parentheses after ("412 Gebäude (−9,5 %)", "zwei Drittel
    # (68 Prozent)"): it shares that figure's context.
    head: int | None = None
    # Where the cues of a parenthesised figure are read: the start of the number it explains
    # ("up 9,800 (0.8%) on March 2024"), which may itself be no figure.
    cue_start: int | None = None
    signed: bool = False  # a printed sign ("+6,1 %", "−17,9 %") decides the direction
    from_value: bool = False  # the first value of "from X to Y"
    paraphrase_of: int | None = None
    age_band: str | None = None
    band_base: str | None = None  # "people aged 16 to 64": the band names its own group
    size_band: str | None = None
    place: str | None = None
    guessed: bool = False  # the population is the sentence's first group, not attached

    @property
    def lead(self) -> int:
        """Start of the figure including a qualifier written before it."""
        return self.qualifier_start if self.qualifier_start >= 0 else self.cand.start


def _qualify(text: str, work: _Work, rules: LanguageRules) -> None:
    cand = work.cand
    if cand.verbal:
        work.qualifier = cand.qualifier or "exact"
        return
    before = text[max(0, cand.start - _NEAR_CHARS) : cand.start]
    match = rules.qualifier_before_regex.search(before)
    if match:
        work.qualifier = rules.qualifier_named(match)
        work.qualifier_start = cand.start - len(before) + match.start()
        return
    match = rules.qualifier_after_regex.search(text[cand.end : cand.end + _NEAR_CHARS])
    if match:
        work.qualifier = rules.qualifier_named(match)


def _is_growth(text: str, work: _Work, rules: LanguageRules, lead: int) -> bool:
    before = text[max(0, lead - _BEFORE_CHARS) : lead]
    after = text[work.cand.end : work.cand.end + _NEAR_CHARS]
    return any(r.search(before) for r in rules.growth_before) or any(
        r.search(after) for r in rules.growth_after
    )


def _is_decline(text: str, work: _Work, rules: LanguageRules, lead: int) -> bool:
    """'fell by 12%', 'sank um 12 Prozent', 'yüzde 12 azaldı', '下降了 12%', '67% less likely'."""
    before = text[max(0, lead - _BEFORE_CHARS) : lead]
    after = text[work.cand.end : work.cand.end + _NEAR_CHARS]
    return any(r.search(before) for r in rules.decline_before) or any(
        r.search(after) for r in rules.decline_after
    )


# A sign printed right before a number ("(−9,4 %)", "+6,1 %"): True when it means down.
_SIGNS = {"+": False, "\u2212": True, "-": True, "\u2013": True}
# The sign opens a word (not "COVID-19", "Q3-5"); a space may follow "+" and "−" ("+ 7,5 %")
# but not a hyphen or dash, which then is punctuation ("Anteil - 45 Prozent").
_SIGN_BEFORE = re.compile(r"(?<![\w.,%])(?:(?P<sign>[+\u2212])\s?|(?P<sign2>[-\u2013]))$")
# What may stand between a figure and the parenthesis of its apposition: a short noun
# phrase, no number, no clause break ("zwei Drittel der Befragten (", "412 neue Gebäude (").
_APPOSITION_GAP = re.compile(r"[^\d%％()（）,，;；.。:：!?！？]{0,30}[(（]\s*")
_CLAUSE_END = re.compile(r"[;；]")
_YEAR_START = re.compile(r"(?:19|20)\d\d(?![\d.,])")
_YEAR_ANYWHERE = re.compile(r"(?:19|20)\d\d")
# A bare partner stands within a few characters of its figure ("21 auf 27 Prozent").
_DIGIT = re.compile(r"\d")
_PARTNER_REACH = 14
# A number right before the parenthesis of a figure, perhaps with its noun: "up 9,800
# (0.8%)", "412 neue Gebäude (−9,5 %)".
_NUMBER_IN_PARENS = re.compile(
    r"(?<![\w.,])\d(?:[\d.,\u00a0\u202f]*\d)?(?:\s*[^\W\d_]+){0,3}\s*[(（]\s*$")
# How close a verbal share must be to its exact gloss to take its qualifier ("Jeder
# Vierte (25 %)" is exact; "ein Drittel (33 Prozent)" is approx).
_GLOSS_EQUAL = 0.01


def _apply_sign(text: str, work: _Work) -> None:
    """A share never carries a sign: a signed percent is a change ("Wohnungen (−17,9 %)")."""
    cand = work.cand
    if work.unit not in ("percent", *_CHANGE_UNITS) or cand.verbal:
        return
    match = _SIGN_BEFORE.search(text, max(0, cand.start - 3), cand.start)
    if match is None:
        return
    name = "sign" if match.group("sign") else "sign2"
    sign = match.group(name)
    work.cand = replace(cand, start=match.start(name))  # the printed sign stays in the surface
    work.signed = True
    work.negative = _SIGNS[sign]
    if work.unit == "percent":
        work.unit = "percent_change"


def _find_heads(text: str, works: list[_Work]) -> None:
    """Mark figures written in parentheses right after another figure (its apposition)."""
    for i, work in enumerate(works):
        if i > 0 and _APPOSITION_GAP.fullmatch(text[works[i - 1].cand.end : work.lead]):
            work.head = i - 1
            work.cue_start = works[i - 1].lead
            continue
        number = _NUMBER_IN_PARENS.search(text, max(0, work.lead - _NEAR_CHARS), work.lead)
        if number and not _YEAR_START.match(text, number.start()):  # "bis 2025 (45 %)"
            work.cue_start = number.start()


def _signed_share_changes(works: list[_Work]) -> None:
    """A signed percent in parentheses after a share changes that share in points: "45
    Prozent (+4 Prozent zum Vorjahr)"; after a count it stays a percent change."""
    for work in works:
        if work.signed and work.head is not None and work.unit == "percent_change":
            head = works[work.head]
            if head.unit == "percent" and not head.cand.verbal:
                work.unit = "percentage_points"


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
    window_start = max(prev_end, lead - _BEFORE_CHARS)
    before = text[window_start:lead]
    after = text[work.cand.end : min(next_start, work.cand.end + _BEFORE_CHARS)]
    is_base = {start for start, _, _ in baselines}
    # A year before a change is the period of the change ("2023'te yüzde 115 büyüdü"), but
    # only in the language's change forms: "是 2019 年...的近三倍" names the base instead.
    before_forms = rules.change_year_before if work.unit in _RELATIVE_UNITS else rules.year_before
    for regex in before_forms:
        match = regex.search(before)
        if match and window_start + match.start("year") not in is_base:
            return _year_of(match)
    for regex in rules.year_after:
        match = regex.search(after)
        if match and work.cand.end + match.start("year") not in is_base:
            return _year_of(match)
    return None


def _previous_year(text: str, works: list[_Work], i: int, rules: LanguageRules) -> bool:
    """Is the value tied to the year before the survey ("im Vorjahr", "last year", "去年")?"""
    work = works[i]
    if work.unit in _RELATIVE_UNITS or work.unit in _CHANGE_UNITS:
        return False  # "down 15% compared with last year": last year is the base
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    # "A year earlier the claimant rate stood at 2.1%": the cue may open a long clause.
    before = text[max(prev_end, work.lead - _AFTER_CHARS) : work.lead]
    after = text[work.cand.end : min(next_start, work.cand.end + _BEFORE_CHARS)]
    return any(r.search(before) for r in rules.previous_year_before) or any(
        r.search(after) for r in rules.previous_year_after)


def _term_population(rules: LanguageRules, match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    for name, value in match.groupdict().items():
        if name.startswith("term") and value:
            return rules.population_of(value)
    return None


def _attached_population(text: str, works: list[_Work], i: int,
                         rules: LanguageRules) -> str | None:
    work = works[i]
    cand = work.cand
    inside = rules.term_regex.search(text, cand.start, cand.end)
    if inside and cand.verbal and cand.kind != "range":  # "On cephe hizmet temsilcisinden dokuzu"
        return rules.population_of(inside.group(0))
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    after = text[cand.end : min(next_start, cand.end + _AFTER_CHARS)]
    before = text[max(prev_end, work.lead - _AFTER_CHARS) : work.lead]
    if cand.kind == "count":
        return _count_population(text, work, after, before, rules)
    found = _term_population(rules, rules.attach_after.match(after))
    # "是低绩效团队的两倍": the group before a multiple is what it is compared with.
    if found is None and work.unit != "multiple":
        found = _term_population(rules, rules.attach_before.match(before))
    if found is None and work.unit != "multiple":
        found = _term_population(rules, _term_right_before(before, rules))
    if found is None and work.unit in ("percent", "percentage_points"):
        found = _label_from_text(rules.label_after.match(after), rules)
    if found in rules.count_only_populations and cand.kind != "count":
        return None
    return found


_CLAUSE_START = re.compile(r".*[,;:，；：、(（]")


def _term_right_before(before: str, rules: LanguageRules) -> re.Match[str] | None:
    """A group written right before a figure ("Frauen 33,5 %", "kadınlarda %85,5"), looked
    for in the figure's own clause only (the group regex is costly to slide over a sentence)."""
    clause = _CLAUSE_START.match(before)
    tail = before[clause.end() :] if clause else before
    return rules.term_right_before.search(tail[-_NEAR_CHARS - 10 :])


def _label_from_text(match: re.Match[str] | None, rules: LanguageRules) -> str | None:
    """'41% of hospital pharmacists' -> 'hospital_pharmacists'; a thing ('of orders') or a
    word of the stop list gives no label."""
    if match is None:
        return None
    words = [w for w in re.split(r"[\s-]+", match.group("label").lower()) if w]
    if not words or words[-1] in rules.label_stop:
        return None
    while words and words[0] in rules.label_stop:
        words.pop(0)
    return "_".join(words) or None


def _count_population(text: str, work: _Work, after: str, before: str,
                      rules: LanguageRules) -> str | None:
    """The group a count is about; marks counts of survey participants as samples."""
    cand = work.cand
    if cand.term is not None:  # "the number of households was ...": the rule named it
        named = rules.term_regex.search(text, *cand.term)
        work.sample = False
        return rules.population_of(named.group(0)) if named else None
    named_right_before = _term_population(rules, _term_right_before(before, rules))
    if named_right_before and named_right_before not in rules.count_only_populations:
        work.sample = rules.survey_cue.search(text) is not None  # "18 yaş ve üzeri 3 bin kişi"
        return named_right_before
    if rules.people_after.match(after):  # "1.500 kişi", "2 million people": nobody named
        # In a sentence about the survey they are its sample; elsewhere they are people.
        work.sample = rules.survey_cue.search(text) is not None
        return None if work.sample else "people"
    found = _term_population(rules, rules.count_attach_after.match(after))
    if found is None:
        found = _term_population(rules, rules.attach_before.match(before))
    if found is not None:
        return found
    if cand.sample:  # "a survey of U.S. consumers (n = 2,047)": the group named before it
        work.sample = True
        return _last_term(text[: cand.start], rules)
    work.sample = rules.count_noun_after.match(after) is not None
    return None


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


def _age_band(text: str, works: list[_Work], i: int, rules: LanguageRules) -> str | None:
    """The age band a figure is about: one right after it ("61% of 18-34-year-olds"), else
    the last one between the previous figure and this one ("55 yaş ve üzerindekilerde %29")."""
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    next_start = works[i + 1].lead if i + 1 < len(works) else len(text)
    after = text[work.cand.end : min(next_start, work.cand.end + _NEAR_CHARS)]
    # The band opens the clause, often well before its figure ("16-74 yaş grubundaki
    # bireylerde internet kullanım oranı 2024 yılında %88,8").
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    lead_in = rules.age_after.match(after)
    for regex in [*rules.age_bands, *rules.age_bands_after]:
        match = regex.match(after, lead_in.end()) if lead_in else None
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
    """The firm-size class written in a share's clause before it ("bei den kleineren
    Unternehmen mit 20 bis 99 Beschäftigten bei 17 Prozent").  The staff it counts
    ("Beschäftigten") are then not the figure's group."""
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    last: re.Match[str] | None = None
    for regex in rules.size_bands:
        for match in regex.finditer(before):
            if last is None or match.start() > last.start():
                last = match
    if last is None:
        return None
    inside = rules.term_regex.search(last.group(0))
    if inside and work.population == rules.population_of(inside.group(0)):
        work.population, work.attached = None, False
    return _size_label(last)


def _place(text: str, works: list[_Work], i: int, rules: LanguageRules) -> str | None:
    """The country a share is reported for: the last one named, in a locative frame,
    between the previous figure and this one ("In the UK the figure is higher, at 73%")."""
    work = works[i]
    prev_end = works[i - 1].cand.end if i > 0 else 0
    before = text[max(prev_end, work.lead - _BAND_CHARS) : work.lead]
    best: tuple[int, str] | None = None
    for code, regex in rules.places:
        for match in regex.finditer(before):
            if best is None or match.start() > best[0]:
                best = (match.start(), code)
    return best[1] if best else None


def size_bands_in(text: str, rules: LanguageRules) -> set[str]:
    """Every firm-size class a text names (a survey's own definition of whom it asked)."""
    if not rules.size_cue.search(text):
        return set()
    found = set()
    for regex in rules.size_bands:
        for match in regex.finditer(text):
            label = _size_label(match)
            if label:
                found.add(label)
    return found


def _last_term(text: str, rules: LanguageRules) -> str | None:
    name = None
    for match in rules.term_regex.finditer(text):
        found = rules.population_of(match.group(0))
        if found and found not in rules.count_only_populations:
            name = found
    return name


@lru_cache(maxsize=256)
def _subject_terms(text: str, rules: LanguageRules) -> tuple[tuple[int, str], ...]:
    """(end, population) of the terms of a sentence that can be a figure's group: not a
    prepositional object ("Empathie für die Mitarbeiter"), not a count-only group."""
    terms = []
    for match in rules.term_regex.finditer(text):
        name = rules.population_of(match.group(0))
        if name is None or name in rules.count_only_populations:
            continue
        if rules.not_after.search(text, 0, match.start()):
            continue
        terms.append((match.end(), name))
    return tuple(terms)


def _first_term(text: str, rules: LanguageRules, weak: bool, limit: int | None = None,
                ) -> str | None:
    """The first group of the sentence (ending before `limit`), weak or specific."""
    for end, name in _subject_terms(text, rules):
        if limit is not None and end > limit:
            break
        if (name in rules.weak_populations) == weak:
            return name
    return None


def _link_from_to(text: str, works: list[_Work], rules: LanguageRules,
                  baselines: list[tuple[int, int, int]], next_group: int) -> int:
    """'from 24% to 45%': the first value is the baseline year's, both one group."""
    for a, b in zip(works, works[1:], strict=False):
        if a.unit != "percent" or b.unit != "percent":
            continue
        between = text[a.cand.end : b.lead]
        if not any(r.fullmatch(between) for r in rules.from_between):
            continue
        before = text[: a.lead]
        if rules.from_before and not any(r.search(before) for r in rules.from_before):
            continue
        if a.year is None and a.year_offset is None and baselines:
            a.year = baselines[-1][2]
        a.from_value = True
        a.group = b.group = next_group
        next_group += 1
    return next_group


def _comparison_groups(works: list[_Work], next_group: int) -> int:
    """Values of one measure at different years: explicit-year values + their head."""
    for unit in ("percent", "count"):
        dated = [w for w in works if w.unit == unit and w.group is None
                 and (w.year is not None or w.year_offset is not None)]
        if not dated:
            continue
        heads = [w for w in works if w.unit == unit and w.year is None and w.year_offset is None]
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


def _share_group_mates(works: list[_Work]) -> None:
    """Members of a comparison group share the head's population and age band."""
    for work in works:
        if work.group is None:
            continue
        if work.population is None:
            mates = [w for w in works if w.group == work.group and w.population]
            if mates:
                work.population = mates[0].population
        if work.age_band is None:
            banded = [w for w in works if w.group == work.group and w.age_band]
            if banded:
                work.age_band, work.band_base = banded[0].age_band, banded[0].band_base


def _resolve_populations(text: str, works: list[_Work], rules: LanguageRules) -> None:
    weak = rules.weak_populations
    _share_group_mates(works)
    # A lone specific group in the sentence beats "respondents" ("yanıt verenlerin %24’ü").
    strong = [w.population for w in works if w.attached and w.population not in weak
              and w.population is not None
              and w.population not in rules.count_only_populations]
    for work in works:
        if work.population not in weak or work.cand.kind == "count":
            continue
        if strong:
            work.population = strong[0]
        else:  # "The share of service decision makers ... from 24% to 45% of respondents"
            work.population = _first_term(text, rules, False, work.lead) or work.population
    sentence_group: list[str | None] = []  # computed once, only when needed
    for i, work in enumerate(works):
        if work.population is None and work.cand.kind != "count":
            _unattached_population(text, works, i, rules, sentence_group)


def _unattached_population(text: str, works: list[_Work], i: int, rules: LanguageRules,
                           sentence_group: list[str | None]) -> None:
    """A share with no group of its own takes the previous figure's group, or the previous
    figure's age band ("for people aged 16 to 64 was 74.6%, 0.3 points lower"), a group named
    before it ("Der Anteil der Frauen ... liegt bei 52 Prozent, bei den Männern bei 43"), the
    next figure's group, or else the sentence's first group, which is only a guess."""
    work = works[i]
    if work.size_band:  # a size class narrows the survey's companies, not a noun nearby
        return
    # "26 ilde ... yüzde 76": a group only a count can be about is no share's group.
    earlier = [w for w in works[:i] if w.population
               and w.population not in rules.count_only_populations]
    if earlier:  # a guess stays a guess when the next figure repeats it
        work.population, work.guessed = earlier[-1].population, earlier[-1].guessed
        return
    banded = [w for w in works[:i] if w.age_band]
    if work.age_band is None and banded:
        work.age_band, work.band_base = banded[-1].age_band, banded[-1].band_base
        return
    later = [w.population for w in works[i + 1 :] if w.population and w.attached
             and w.population not in rules.count_only_populations]
    named_before = _first_term(text, rules, False, work.lead)
    if named_before or later:
        work.population = named_before or later[0]
        return
    # A group named somewhere else in the sentence is a guess ("fühlen sich ihrem
    # Unternehmen verbunden" names an object): the survey's population beats it.
    if not sentence_group:
        sentence_group.append(_first_term(text, rules, weak=False)
                              or _first_term(text, rules, weak=True))
    work.population = sentence_group[0]
    work.guessed = work.population is not None


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
        if _DIGIT.search(text, max(0, cand.start - _PARTNER_REACH), cand.start):
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


def _inherit_from_heads(works: list[_Work]) -> None:
    """A figure in parentheses after another shares its time ("412 Gebäude (−9,5 %)")."""
    for work in works:
        if work.head is None or work.year is not None or work.year_offset is not None:
            continue
        head = works[work.head]
        work.year, work.year_offset = head.year, head.year_offset


def _mark_glosses(works: list[_Work]) -> None:
    """'zwei Drittel (68 Prozent)', '三分之二的消费者（68%）': the verbal share paraphrases the
    exact figure in parentheses after it.  Its qualifier is approx unless it names its own
    or equals the figure."""
    for i, work in enumerate(works):
        if work.head is None:
            continue
        verbal = works[work.head]
        if (not verbal.cand.verbal or verbal.cand.kind in ("range", "multiple")
                or work.cand.verbal or verbal.unit != "percent" or work.unit != "percent"):
            continue
        verbal.paraphrase_of = i
        if verbal.cand.qualifier is None and verbal.qualifier == "exact" and abs(
                verbal.cand.value - work.cand.value) > _GLOSS_EQUAL:
            verbal.qualifier = "approx"


def analyse_sentence(text: str, rules: LanguageRules,
                     candidates: list[Candidate] | None = None) -> list[Figure]:
    """The statistics of one sentence, with offsets relative to it.

    `candidates` may be passed when the caller already searched the sentence.
    """
    if candidates is None:
        candidates = find_candidates(text, rules)
    if not candidates:
        return []
    if any(r.search(text) for r in rules.negative_sentence):
        candidates = [c for c in candidates if c.unit not in ("percent", "percentage_points")]
    candidates = _bare_partners(text, candidates, rules)
    works = [_Work(cand=c, unit=c.unit) for c in candidates]
    for work in works:
        _qualify(text, work, rules)
        _apply_sign(text, work)
    if "(" in text or "（" in text:
        _find_heads(text, works)
        _signed_share_changes(works)
    for work in works:
        if work.signed:
            continue
        # A figure in parentheses reads the cue of the figure it explains ("up 9,800 (0.8%)").
        lead = work.cue_start if work.cue_start is not None else work.lead
        if work.unit == "percent" and _is_growth(text, work, rules, lead):
            work.unit = "percent_change"
        if work.unit in _CHANGE_UNITS:
            work.negative = _is_decline(text, work, rules, lead)
    # Most sentences name no year: then no year cue can match (one scan instead of many).
    names_year = _YEAR_ANYWHERE.search(text) is not None
    baselines = _baseline_years(text, rules) if names_year else []
    may_name_previous_year = rules.previous_year_cue.search(text) is not None
    may_name_age = rules.age_cue.search(text) is not None
    may_name_size = rules.size_cue.search(text) is not None
    may_name_place = rules.place_cue.search(text) is not None
    for i, work in enumerate(works):
        if names_year:
            work.year = _explicit_year(text, works, i, rules, baselines)
        if work.year is None and may_name_previous_year and _previous_year(text, works, i, rules):
            work.year_offset = -1
        work.population = _attached_population(text, works, i, rules)
        work.attached = work.population is not None
        if (may_name_age and work.cand.kind != "count"
                and work.unit not in _RELATIVE_UNITS):
            work.age_band = _age_band(text, works, i, rules)
        if may_name_size and work.unit in ("percent", "percentage_points"):
            work.size_band = _size_band(text, works, i, rules)
        if may_name_place and work.unit == "percent":
            work.place = _place(text, works, i, rules)
    _inherit_from_heads(works)
    if len(works) > 1:
        _share_in_lists(text, works, rules)
    next_group = _link_from_to(text, works, rules, baselines, 0)
    if names_year:
        _apply_frame(text, works, rules, baselines)
    _mark_glosses(works)
    _comparison_groups(works, next_group)
    _resolve_populations(text, works, rules)
    return [
        Figure(
            start=w.cand.start, end=w.cand.end, value=-w.cand.value if w.negative else w.cand.value,
            unit=w.unit, qualifier=w.qualifier, population=w.population, year=w.year,
            rule=w.cand.rule, group=w.group, population_attached=w.attached,
            year_offset=w.year_offset, sample=w.sample, paraphrase_of=w.paraphrase_of,
            age_band=w.age_band,
            band_base=w.band_base, population_guessed=w.guessed, size_band=w.size_band,
            place=w.place,
        )
        for w in works
    ]
