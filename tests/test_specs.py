"""Golden spec cases per language (tests/specs/<lang>.jsonl) as parametrized tests.

A line is {"text", "lang", "survey_year", "expected": [{surface, value, unit, qualifier,
population, year, year_basis[, paraphrase_of]}, ...]}; an empty list means "nothing here is a
statistic".  `paraphrase_of` is the surface of the exact figure a verbal share glosses
("zwei Drittel (68 Prozent)"); a figure without it must gloss nothing.
An optional "population" is whom the survey asked, as a manifest would declare it.
A case the extractor cannot handle yet keeps its expectation and adds
"not_supported": "<reason>" instead of being deleted.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from extract import languages
from extract.statistics import find_statistics

SPECS = Path(__file__).parent / "specs"
FIELDS = ("surface", "value", "unit", "qualifier", "population", "year", "year_basis")


def _cases() -> list:
    cases = []
    for path in sorted(SPECS.glob("*.jsonl")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                case = json.loads(line)
                marks = ([pytest.mark.xfail(reason=case["not_supported"], strict=True)]
                         if case.get("not_supported") else [])
                cases.append(pytest.param(case, id=f"{path.stem}:{n}", marks=marks))
    return cases


@pytest.mark.parametrize("case", _cases())
def test_spec(case: dict) -> None:
    stats = find_statistics(case["text"], case["lang"], case.get("survey_year"),
                            population=case.get("population"))
    got = [{f: getattr(s, f) for f in FIELDS} for s in stats]
    for item, stat in zip(got, stats, strict=True):
        item["value"] = round(item["value"], 2)
        glossed = stat.paraphrase_of
        item["paraphrase_of"] = case["text"][glossed[0]:glossed[1]] if glossed else None
    expected = [{f: e.get(f) for f in (*FIELDS, "paraphrase_of")} for e in case["expected"]]
    for item in expected:
        item["value"] = round(float(item["value"]), 2)
    assert got == expected


@pytest.mark.parametrize("lang", languages.supported())
def test_every_language_has_specs(lang: str) -> None:
    cases = [json.loads(line) for line in (SPECS / f"{lang}.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    assert any(case["expected"] for case in cases), f"tests/specs/{lang}.jsonl finds no figure"
    assert any(not case["expected"] for case in cases), (
        f"tests/specs/{lang}.jsonl has no sentence that must yield nothing")
    assert {case["lang"] for case in cases} == {lang}
