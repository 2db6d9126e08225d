"""Pieces every page uses: where fragments go, how parts are separated, and the small
wordings (labels, values, quotes) that must read the same on every page. Counts with
their nouns are `reports.markup.counted`, the one plural helper."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from reports.markup import (
    counted,
    format_value,
    html_text,
    md_highlight,
    md_text,
    plain_number,
    slug,
)
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


_TOKEN_UNSAFE = re.compile(r"[^\w.:-]+")


def filter_attributes(metric_id: str | None, groups: Iterable[str | None],
                      sources: Iterable[str], languages: Iterable[str | None],
                      years: Iterable[int | None]) -> str:
    """The HTML attributes reports/filter.js narrows a page by (a trend block or a table
    row): ' data-filter data-metric="m-1" data-group="agents" data-source="S3 S4" ...'.
    Tokens are identifiers of ours (ids, snake_case groups, S-numbers, language codes,
    years); anything else in them is dropped, so a token never holds a space or a quote."""
    def joined(values: Iterable[object]) -> str:
        found = {_TOKEN_UNSAFE.sub("", str(v)) for v in values if v is not None and v != ""}
        return " ".join(sorted(t for t in found if t))

    attributes = {"metric": joined([metric_id]), "group": joined(groups),
                  "source": joined(sources), "lang": joined(languages), "year": joined(years)}
    return " data-filter" + "".join(f' data-{name}="{html_text(value)}"'
                                    for name, value in attributes.items())


def raw(format_name: str, content: str) -> str:
    """A raw block for one output format, fenced longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{={format_name}}}\n{content}\n{fence}"


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def short_run(run_id: str | None) -> str:
    """A run id as a reader needs it: a Prefect flow-run id (a uuid) by its first 8
    characters, enough to tell runs apart (the full id is in the Overview's tooltip and in
    `polystat export`); other ids as they are."""
    if not run_id:
        return "unknown"
    return run_id[:8] if _UUID.fullmatch(run_id) else run_id


def run_code(run_id: str | None) -> str:
    """The short run id as inline code, the full one in its tooltip (Markdown)."""
    shown = short_run(run_id)
    if run_id and shown != run_id:
        return f'[{code(shown)}]{{title="{run_id}"}}'  # a uuid: no quote can break out
    return code(shown)


def figure_anchor(obs_id: str) -> str:
    """The id of a figure's provenance row and of the figure on its source page."""
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", obs_id)


def source_page_name(source_id: str) -> str:
    """A source's page, `sources/<name>` (no suffix): readable from the source id and
    stable from run to run; the short hash keeps ids that read alike apart."""
    tag = hashlib.sha256(source_id.encode("utf-8")).hexdigest()[:8]
    return f"{SOURCE_PAGES_DIR}/{slug(source_id, 'source')}-{tag}"
