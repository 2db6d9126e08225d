"""Context rules over one sentence: qualifier, growth, year, population, comparison groups.

Input: the sentence text and its candidate figures.  Output: one `Figure` per
statistic, with offsets relative to the sentence.  Nothing here looks beyond
the sentence; document-level fallbacks (survey year, the previous sentence's
population) are applied by extract.statistics.

`analyse_sentence` runs the rules in order; each module decides one thing:
changes (qualifier, sign, growth or decline), glosses (figures in parentheses),
years, populations, bands (age, firm size, place) and lists (from-to pairs,
enumerations, comparison groups).  work holds the shared `Figure` and `_Work`.
"""

from __future__ import annotations

import re

from extract.candidates import Candidate, find_candidates
from extract.context.bands import _age_band, _place, _size_band, narrowed_by_size, size_bands_in
from extract.context.changes import (
    _apply_sign,
    _changes_of_levels,
    _earlier_rates,
    _elliptic_changes,
    _is_decline,
    _is_growth,
    _qualify,
    _shares_of_count_changes,
    _signed_share_changes,
)
from extract.context.glosses import _find_heads, _inherit_from_heads, _mark_glosses
from extract.context.incomes import income_band
from extract.context.lists import (
    _bare_partners,
    _comparison_groups,
    _link_from_to,
    _share_in_lists,
)
from extract.context.partners import _count_partners
from extract.context.populations import (
    _attached_population,
    _resolve_populations,
    inside_brackets_after,
)
from extract.context.work import _CHANGE_UNITS, _RELATIVE_UNITS, Figure, _Work
from extract.context.years import (
    _YEAR_ANYWHERE,
    _anchor_relative_years,
    _apply_clause_year,
    _apply_frame,
    _baseline_years,
    _date_forecasts,
    _date_from_values,
    _explicit_year,
    _levels_share_change_years,
    _years_ago,
)
from extract.rules import LanguageRules

# Units of a share of something ("12% of dwellings").
_SHARE_OF = ("percent", "percentage_points")
_THINGS_CHARS = 60
_QUANTITY_CHARS = 90  # how far before a share its quantity's share noun is read
_CLAUSE_BREAK = re.compile(r"[;；]")
# The names other modules import from here (extract.statistics).
__all__ = ["Figure", "analyse_sentence", "inside_brackets_after", "narrowed_by_size",
           "size_bands_in"]


def _mark_share_of_things(text: str, work: _Work, rules: LanguageRules) -> None:
    """'12% of dwellings', '2.9 vacancies per 100 jobs': a share or rate of things; "Der
    Anteil des Onlinehandels am Einzelhandelsumsatz ... 12,4 Prozent": one of a quantity
    (its clause before the figure says so)."""
    after = text[work.cand.end : work.cand.end + _THINGS_CHARS]
    clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(text, 0, work.cand.start)),
                       default=0)
    before = text[max(clause_start, work.cand.start - _QUANTITY_CHARS) : work.cand.start]
    if rules.things_of_after.match(after) or rules.quantity_share_before.search(before) or (
            work.cand.rule.endswith("per_hundred") and rules.thing_after.match(after)):
        work.of_things = True


def _without_thresholds(text: str, candidates: list[Candidate], rules: LanguageRules,
                        ) -> list[Candidate]:
    """'16 % aller Mieterhaushalte hatten eine Mietbelastung von mehr als 40 %': after a
    share, a percent the language's threshold words introduce defines whom the share
    counts; it is no statistic."""
    shares = [c for c in candidates if c.unit == "percent"]
    if len(shares) < 2:
        return candidates
    first = shares[0]
    return [c for c in candidates if c is first or c.unit != "percent" or c.start < first.end
            or not rules.threshold_before.search(text, max(0, c.start - _THINGS_CHARS),
                                                 c.start)]


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
    candidates = _without_thresholds(text, candidates, rules)
    candidates = _bare_partners(text, candidates, rules)
    candidates = _count_partners(text, candidates, rules)
    works = [_Work(cand=c, unit=c.unit) for c in candidates]
    for work in works:
        _qualify(text, work, rules)
        _apply_sign(text, work)
    parenthesised = "(" in text or "（" in text
    if parenthesised:
        _find_heads(text, works)
    for work in works:
        if work.signed:
            continue
        # A figure in parentheses reads the cue of the figure it explains ("up 9,800 (0.8%)").
        lead = work.cue_start if work.cue_start is not None else work.lead
        if work.unit == "percent" and _is_growth(text, work, rules, lead):
            work.unit = "percent_change"
        if work.unit in _CHANGE_UNITS:
            work.negative = _is_decline(text, work, rules, lead)
    if parenthesised:
        _signed_share_changes(works)
    if any(w.cand.change for w in works):
        _shares_of_count_changes(text, works, rules)
    if rules.earlier_between and len(works) > 1:
        _earlier_rates(text, works, rules)
    if rules.elliptic_between and len(works) > 1:
        _elliptic_changes(text, works, rules)
    # Most sentences name no year: then no year cue can match (one scan instead of many).
    names_year = _YEAR_ANYWHERE.search(text) is not None
    baselines = _baseline_years(text, rules) if names_year else []
    may_name_previous_year = rules.previous_year_cue.search(text) is not None
    may_name_age = rules.age_cue.search(text) is not None
    may_name_size = (rules.size_cue.search(text) is not None
                     or rules.size_class_cue.search(text) is not None)
    may_name_income = rules.income_cue.search(text) is not None
    may_name_place = rules.place_cue.search(text) is not None
    may_name_region = rules.region_cue.search(text) is not None
    for i, work in enumerate(works):
        if names_year:
            work.year = _explicit_year(text, works, i, rules, baselines)
        if work.year is None and may_name_previous_year:
            ago = _years_ago(text, works, i, rules)
            work.year_offset = -ago if ago else None
        work.population = _attached_population(text, works, i, rules)
        work.attached = work.population is not None
        if work.population is None and work.unit in _SHARE_OF:
            _mark_share_of_things(text, work, rules)
        # A count takes a band only when it counts the people asked ("16-74 yaş grubundaki
        # 49 bin 802 bireyle görüşüldü"), never a count of things.
        if (may_name_age and (work.cand.kind != "count" or work.sample)
                and work.unit not in _RELATIVE_UNITS):
            work.age_band = _age_band(text, works, i, rules)
        if work.sample and work.population is None and work.age_band:
            # "2.013 Personen ab 16 Jahren befragt": people of a band are a group of their own
            work.population = "adults" if work.age_band == "aged_18_plus" else "people"
        if may_name_size and work.unit in ("percent", "percentage_points"):
            work.size_band = _size_band(text, works, i, rules)
        if may_name_income and work.unit in ("percent", "percentage_points"):
            work.income_band = income_band(text, works, i, rules)
        if may_name_place and work.unit == "percent":
            work.place = _place(text, works, i, rules.places)
        if may_name_region and work.unit == "percent":
            work.region = _place(text, works, i, rules.regions)
    if any(w.cand.change for w in works):
        _changes_of_levels(text, works, rules)
    _inherit_from_heads(works)
    if len(works) > 1:
        _share_in_lists(text, works, rules)
    next_group = _link_from_to(text, works, rules, baselines, 0)
    if names_year:
        if rules.level_between and len(works) > 1:
            _levels_share_change_years(text, works, rules)
        _apply_frame(text, works, rules, baselines)
        if rules.year_clause:
            _apply_clause_year(text, works, rules, baselines)
        _date_forecasts(text, works, rules, baselines)
    if rules.previous_comparison:
        _date_from_values(text, works, rules)
    if names_year:
        _anchor_relative_years(text, works, rules)
    _mark_glosses(works)
    _comparison_groups(works, next_group)
    _resolve_populations(text, works, rules)
    return [
        Figure(
            start=w.cand.start, end=w.cand.end,
            value=-w.cand.value if w.negative and w.cand.value else w.cand.value,  # never -0.0
            unit=w.unit, qualifier=w.qualifier, population=w.population, year=w.year,
            rule=w.cand.rule, group=w.group, population_attached=w.attached,
            year_offset=w.year_offset, year_anchor=w.year_anchor, sample=w.sample,
            paraphrase_of=w.paraphrase_of,
            age_band=w.age_band,
            band_base=w.band_base, population_guessed=w.guessed, size_band=w.size_band,
            income_band=w.income_band,
            place=w.place, region=w.region, subgroup=w.subgroup, of_things=w.of_things,
        )
        for w in works
    ]
