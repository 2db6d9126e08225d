"""Records that extract/ hands to the rest of polystat.

Offsets are code-point offsets into the document text exactly as decoded,
so that ``text[start:end] == surface`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNITS = ("percent", "count", "percent_change", "percentage_points", "multiple")
QUALIFIERS = ("exact", "approx", "more_than", "less_than", "nearly", "at_least")
YEAR_BASES = ("explicit", "edition")
# Rule ids of the absolute change of a count ("up 9,800", "um 12.400 gestiegen") start with
# "<lang>.count_change": stored with unit `count`, it is never the same measure as the count.
COUNT_CHANGE = "count_change"


def is_count_change(rule: str) -> bool:
    """Whether a figure's rule id (with its "+..." refinements) is a change of a count."""
    return rule.split("+", 1)[0].split(".", 1)[-1].startswith(COUNT_CHANGE)


def is_sample_rule(rule: str) -> bool:
    """Whether a figure's rule id (with its "+..." refinements) reads a survey's sample size
    ("en.sample", "tr.sample_joined")."""
    return rule.split("+", 1)[0].split(".", 1)[-1].startswith("sample")


@dataclass(frozen=True)
class Segment:
    """A sentence, heading, list item or artifact line of a document."""

    seg_no: int
    start: int
    end: int
    kind: str  # "sentence" | "heading" | "list_item" | "artifact"
    language: str | None = None
    language_confidence: float | None = None
    language_method: str | None = None  # how the language was decided


@dataclass(frozen=True)
class Statistic:
    """One statistical figure found in a document."""

    start: int
    end: int
    surface: str
    value: float
    unit: str
    qualifier: str
    population: str | None
    year: int | None
    year_basis: str
    sentence_start: int
    sentence_end: int
    rule: str
    group: int | None = None  # comparison group: values of one measure at different years
    # A verbal share that glosses an exact figure ("zwei Drittel (68 Prozent)"): the document
    # offsets (start, end) of that figure.  Both are statistics; the gloss is never a conflict.
    paraphrase_of: tuple[int, int] | None = None
    concepts: tuple[str, ...] = field(default_factory=tuple)
    # The study its sentence (or the coverage around it) cites, as a key
    # ("laut einer Umfrage des Calder Institute": "calder institute"; extract/citations.py).
    cited: str | None = None
