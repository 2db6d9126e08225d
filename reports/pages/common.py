"""Pieces every page uses: where fragments go, how parts are separated, and the small
wordings (labels, values, quotes) that must read the same on every page. Counts with
their nouns are `reports.markup.counted`, the one plural helper."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from reports.markup import counted, format_value, md_highlight, md_text, plain_number, slug
from reports.pandoc_typst import PART_BREAK

Row = dict[str, Any]
GENERATED_DIR = "_generated"  # the Markdown fragments the .qmd pages include
CHARTS_DIR = "charts"
SOURCE_PAGES_DIR = "sources"  # one page per source: its text with every figure marked
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


def figure_anchor(obs_id: str) -> str:
    """The id of a figure's provenance row and of the figure on its source page."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", obs_id)


def source_page_name(source_id: str) -> str:
    """A source's page, `sources/<name>` (no suffix): readable from the source id and
    stable from run to run; the short hash keeps ids that read alike apart."""
    tag = hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:8]
    return f"{SOURCE_PAGES_DIR}/{slug(source_id, 'source')}-{tag}"
