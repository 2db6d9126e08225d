"""What is left of a chart when a report is copied out of a PDF or a web page: a line of
axis ticks ("0% 20% 40% 60% 80% 100%") and a row of years over a row of values
("2021 2022 2023 2024 2025" over "55 % 57 % 59 % 64 % 67 %").

The ticks are a scale, not findings; each value of a row under a row of years is that
year's value of one measure (the chart's). Both are read from the lines alone, the same
in every language: digits, percent signs and spaces are all they hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from extract.records import Segment

# A number of a tick or a chart's value: digits with a decimal comma or point.
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# What a line of ticks or values may hold besides its numbers: percent signs (before the
# number in Turkish, full-width in Chinese), spaces and the rules of a table.
_FILLER = re.compile(r"[\s%％|]*")
_YEAR = re.compile(r"(?:19|20)\d\d")
# A scale has at least this many ticks (two numbers may be a comparison).
_MIN_TICKS = 3
_MIN_YEARS = 2


def _numbers_only(line: str) -> list[float] | None:
    """The numbers of a line that holds nothing else (see `_FILLER`), else None."""
    numbers = _NUMBER.findall(line)
    if not numbers or _FILLER.fullmatch(_NUMBER.sub(" ", line)) is None:
        return None
    return [float(number.replace(",", ".")) for number in numbers]


def is_axis(line: str) -> bool:
    """Whether a line is a chart's axis: at least three numbers and nothing else, rising
    from 0 in equal steps ("0% 20% 40% 60% 80% 100%", "%0 %25 %50 %75 %100")."""
    numbers = _numbers_only(line)
    if numbers is None or len(numbers) < _MIN_TICKS or numbers[0] != 0:
        return False
    step = numbers[1] - numbers[0]
    return step > 0 and all(abs(b - a - step) < 1e-9 for a, b in zip(numbers, numbers[1:],
                                                                    strict=False))


def _years_only(line: str) -> list[int] | None:
    """The years of a line of nothing but at least two years, in order ("2021 2022 2023",
    "| 2022 | 2023 |"), else None."""
    years = _YEAR.findall(line)
    if len(years) < _MIN_YEARS or re.fullmatch(r"[\s|]*", _YEAR.sub(" ", line)) is None:
        return None
    return [int(year) for year in years]


def is_year_row(line: str) -> bool:
    """Whether a line is a chart's or table's row of years and nothing else."""
    return _years_only(line) is not None


def axis_segments(text: str, segments: Sequence[Segment]) -> set[int]:
    """The seg_nos of the lines that are a chart's axis (see `is_axis`)."""
    return {seg.seg_no for seg in segments
            if seg.kind != "sentence" and is_axis(text[seg.start:seg.end])}


def row_years(text: str, segments: Sequence[Segment]) -> dict[int, list[int]]:
    """The years of each line of values right under a row of as many years, by the values'
    seg_no: its n-th value is of the n-th year."""
    found = {}
    for above, below in zip(segments, segments[1:], strict=False):
        years = _years_only(text[above.start:above.end])
        values = _numbers_only(text[below.start:below.end])
        if years and values and len(values) == len(years):
            found[below.seg_no] = years
    return found
