"""Pieces every page uses: where fragments go, how parts are separated, and the small
wordings (labels, values, quotes) that must read the same on every page. Counts with
their nouns are `reports.markup.counted`, the one plural helper."""

from __future__ import annotations

import re
from typing import Any

from reports.markup import counted, format_value, md_highlight, md_text, plain_number
from reports.pandoc_typst import PART_BREAK

Row = dict[str, Any]
GENERATED_DIR = "_generated"  # the Markdown fragments the .qmd pages include
CHARTS_DIR = "charts"
# between blocks that render alone: a part whose Markdown did not change is not rendered again
BREAK = f"\n\n{PART_BREAK}\n\n"


def have(n: int, noun: str) -> str:
    """'1 metric has' or '2 metrics have' (the noun counted by `markup.counted`)."""
    return f"{counted(n, noun)} {'has' if n == 1 else 'have'}"


def label(text: str | None) -> str:
    """A metric label as a heading: first letter capitalised, literal Markdown."""
    if not text:
        return "Unnamed metric"
    return md_text(text[:1].upper() + text[1:])


def curation_note(row: Row) -> str:
    """What analysts did to a metric (`polystat metrics`), as a reader is told it: 'merged
    by analyst on 2026-11-30; label set by analyst on 2026-12-01'; '' when nothing."""
    done = row.get("curation") or {}
    return "; ".join(f"{words} by analyst on {done[key]}" for key, words in (
        ("merged", "merged"), ("split", "split"), ("label_set", "label set")) if key in done)


def code(text: str) -> str:
    """Inline code for identifiers we control the alphabet of; anything else is escaped text."""
    if re.fullmatch(r"[\w.:\-]+", text or ""):
        return f"`{text}`"
    return md_text(text)


def point_value(point: Row, unit: str) -> str:
    """A point's agreed value as stated ('more than 40 %' for a qualified one)."""
    return format_value(point["value"], unit, exact(point["qualifier"]))


def exact(qualifier: str) -> str:
    """The qualifier a value is shown with: a point of mixed figures shows its exact median."""
    return "exact" if qualifier == "mixed" else qualifier


def change_words(first: float, last: float, unit: str) -> str:
    """', +3 percentage points', ', −12 %', ', unchanged' (or '' from zero)."""
    delta = last - first
    if abs(delta) < 1e-9:
        return ", unchanged"
    if unit == "percent":
        return f", {'+' if delta > 0 else '−'}{counted(abs(delta), 'percentage point')}"
    if first:
        return f", {'+' if delta > 0 else '−'}{plain_number(abs(100 * delta / first))}\u00a0%"
    return ""


def sentence(obs: Row) -> str:
    """The claim with the figure marked, as Markdown."""
    claim, start, end = figure_in_claim(obs)
    return md_highlight(claim, start, end) if start >= 0 else md_text(claim)


def figure_in_claim(obs: Row) -> tuple[str, int, int]:
    """The claim and where the figure is in it (offsets are code points into the
    document); start -1 when the claim does not contain the figure."""
    claim = obs["claim"] or ""
    start = obs["start"] - obs["claim_start"]
    end = obs["end"] - obs["claim_start"]
    if claim[start:end] != obs["surface"]:
        start = claim.find(obs["surface"])
        end = start + len(obs["surface"])
    return claim, start, end
