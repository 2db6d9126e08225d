"""What the sentence rules share: the `Figure` they yield, the `_Work` they fill in, and
how far around a figure they read."""

from __future__ import annotations

from dataclasses import dataclass

from extract.candidates import Candidate

_BEFORE_CHARS = 40
_AFTER_CHARS = 60
_NEAR_CHARS = 30
_BAND_CHARS = 100
# Units whose neighbouring year is the base of the comparison ("2019 年...的近三倍").
_RELATIVE_UNITS = ("percent_change", "multiple")
# Units that can go down as well as up; a decline is stored with a negative value.
_CHANGE_UNITS = ("percent_change", "percentage_points")


@dataclass(slots=True)
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
    # The explicit year a relative year counts from ("2023 ... 3.6% in the prior year" ->
    # 2022); None: from the survey year.
    year_anchor: int | None = None
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
    # An income band in the figure's clause ("income_under_2000", "income_60000_plus").
    income_band: str | None = None
    # A country the figure's clause is about in a survey of several ("In the UK ... 73%").
    place: str | None = None
    # A part of the country the figure's clause is about ("In Ostdeutschland ... 39 Prozent").
    region: str | None = None
    # The population is a group named elsewhere in the sentence, not tied to the figure.
    population_guessed: bool = False
    # A clause narrows the group ("companies that use AI"): the label with the word "base"
    # where the group goes ("ai_using_base", "base_who_cancelled"); extract.statistics fills
    # it in once the group is known (it may be the survey's).
    subgroup: str | None = None
    # A share or rate of things ("12% of dwellings", "2.9 vacancies per 100 jobs"): no group,
    # not even the survey's.
    of_things: bool = False


@dataclass(slots=True)
class _Work:
    cand: Candidate
    qualifier: str = "exact"
    qualifier_start: int = -1  # where a qualifier word before the figure starts
    unit: str = ""
    negative: bool = False  # a decline: the change is stored as a negative value
    year: int | None = None
    year_offset: int | None = None
    year_anchor: int | None = None
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
    # The rate a change had before ("rose 3.2%, down from 3.4% a year earlier"): a change,
    # but its time cues date it as a value's do.
    earlier_rate: bool = False
    paraphrase_of: int | None = None
    age_band: str | None = None
    band_base: str | None = None  # "people aged 16 to 64": the band names its own group
    size_band: str | None = None
    income_band: str | None = None
    place: str | None = None
    region: str | None = None
    guessed: bool = False  # the population is the sentence's first group, not attached
    subgroup: str | None = None
    of_things: bool = False  # "12% of dwellings", "2.9 vacancies per 100 jobs": no group

    @property
    def lead(self) -> int:
        """Start of the figure including a qualifier written before it."""
        return self.qualifier_start if self.qualifier_start >= 0 else self.cand.start
