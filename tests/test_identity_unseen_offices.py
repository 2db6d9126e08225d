"""Metric identity on statistics-office releases polystat has never seen (prices, labour
market, foreign trade, production, national accounts, tourism; de/tr/zh/en), class by class:

  waves          two monthly or quarterly releases of one office in one year are two
                 periods: their different values (this month's, or the same month a year
                 before that each compares with) are never one measure, also when the
                 manifest lists the releases by their publisher only (no edition)
  revisions      a later release that revises a figure ("nach revidierten Angaben",
                 "revised down from the first estimate") is another wave: the revision is
                 shown beside the first estimate, never as a conflict
  title year     a release listed without `survey_year` dates its figures by the period
                 its title names, not by no year

The documents (tests/unseen_offices/) are written for these tests in the phrasing of real
releases of statistics offices; every office, sentence and figure is made up. The first
part checks the linker on plain records; the second runs the real pipeline (extraction
and reconciliation into a DuckDB warehouse) and asserts the metrics, years and groups,
and that no conflict appears.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from link_nodes import make_node, metrics  # tests/ is on sys.path

from flows.pipeline import run_without_prefect
from warehouse.link_claims import Node, attach_claims
from warehouse.link_rules import score_pair

# --------------------------------------------------------------------------- the linker


def _release(obs_id: str, doc: str, sentence: str, surface: str, value: float, year: int,
             *, lang: str = "tr", edition: str | None = None, unit: str = "percent",
             population: str | None = None) -> Node:
    """A figure of a 2025 release of one office (its study: the publisher)."""
    return make_node(obs_id, doc, lang, sentence, surface, value, year, unit=unit,
                     population=population, study="publisher:güney istatistik",
                     edition=edition, survey_year=2025)


def test_two_monthly_releases_listed_by_their_publisher_are_two_waves() -> None:
    """August's and September's labour release, listed without an edition, give the youth
    unemployment rate in the same words: two months, not one figure given twice."""
    sentence = "Genç nüfusta işsizlik oranı bir önceki aya göre artarak {} oldu."
    aug = _release("aug", "agustos", sentence.format("%14,8"), "%14,8", 14.8, 2025,
                   population="unemployed_aged_15_24")
    sep = _release("sep", "eylul", sentence.format("%16,1"), "%16,1", 16.1, 2025,
                   population="unemployed_aged_15_24")
    assert score_pair(*attach_claims([aug, sep]), {}) is None
    assert metrics([aug, sep]) == {frozenset({"aug"}), frozenset({"sep"})}


def test_one_release_is_one_wave_and_may_still_restate_differently() -> None:
    """Within one document a figure restated with another value is still a slip."""
    body = "İşsizlik oranı erkeklerde %6,8 olarak tahmin edildi."
    summary = "İşsizlik oranı erkeklerde %7,8 olarak tahmin edildi."
    nodes = [_release("body", "eylul", body, "%6,8", 6.8, 2025, population="men"),
             make_node("summary", "eylul", "tr", summary, "%7,8", 7.8, 2025, at=900,
                       population="men", study="publisher:güney istatistik",
                       survey_year=2025)]
    found = score_pair(*attach_claims(nodes), {})
    assert found is not None and found[0] == "restatement"


def test_the_same_month_a_year_earlier_in_two_releases_is_two_periods() -> None:
    """October's and November's release each compare with their own month a year before:
    "Vor einem Jahr hatte die Quote bei 5,3 % gelegen" and "... 5,2 %" are two months of
    2024, not a conflict of 2024."""
    sentence = "Vor einem Jahr hatte die Arbeitslosenquote im Land bei {} gelegen."
    octo = _release("oct", "oktober", sentence.format("5,3 %"), "5,3 %", 5.3, 2024,
                    lang="de", edition="nordmark-amt-2025-10")
    nov = _release("nov", "november", sentence.format("5,2 %"), "5,2 %", 5.2, 2024,
                   lang="de", edition="nordmark-amt-2025-11")
    assert metrics([octo, nov]) == {frozenset({"oct"}), frozenset({"nov"})}


def test_a_revised_estimate_is_shown_beside_the_first_not_as_a_conflict() -> None:
    """The second estimate revises the third quarter's growth from 0.2% to 0.1%: two
    releases (waves) of one year; the same figure unrevised still links."""
    first = "Real GDP is estimated to have grown by 0.2% in the third quarter of 2025."
    second = "Real GDP is estimated to have grown by 0.1% in the third quarter of 2025."
    nodes = [_release("first", "gdp-1", first, "0.2%", 0.2, 2025, lang="en",
                      edition="gdp-2025-11", unit="percent_change"),
             _release("second", "gdp-2", second, "0.1%", 0.1, 2025, lang="en",
                      edition="gdp-2025-12", unit="percent_change")]
    assert metrics(nodes) == {frozenset({"first"}), frozenset({"second"})}
    same = second.replace("0.1%", "0.2%")
    nodes[1] = _release("second", "gdp-2", same, "0.2%", 0.2, 2025, lang="en",
                        edition="gdp-2025-12", unit="percent_change")
    assert metrics(nodes) == {frozenset({"first", "second"})}
