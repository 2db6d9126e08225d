"""Markdown fragments and SVG charts generated from the snapshot, one module per page.

Each .qmd page of the Quarto project includes fragments written here, so pages render
from data without executing code (pandoc cannot run cells). Every piece of document
text goes through ``markup.md_text`` (or ``html_text``) first.

    overview.py    index.qmd: at a glance, the run, refused files, headlines, changes
    trends.py      trends.qmd: a chart and table per trend; single-year metrics
    conflicts.py   conflicts.qmd: values that disagree, with the sentences quoted
    sources.py     sources.qmd: every document, its language and translation coverage
    provenance.py  provenance.qmd (+ provenance-NNN.qmd): every figure, read from the
                   warehouse one batch of sources at a time, reused while unchanged
    findable.py    each metric's stable anchor on Trends and the attributes filter.js reads
    catalogue.py   the snapshot indexed for lookups (sources and their S-numbers)
    layout.py      what a publish keeps for the next: S-numbers, provenance pages
    common.py      the wording every page shares (counts, labels, values, quotes)

`reports.publish` uses the names below.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reports.pages.catalogue import Catalogue
from reports.pages.common import CHARTS_DIR, GENERATED_DIR, short_run
from reports.pages.conflicts import conflicts_md
from reports.pages.layout import LAYOUT_FILE, Layout, load_layout, save_layout
from reports.pages.overview import overview_md
from reports.pages.provenance import write_provenance
from reports.pages.sources import sources_md
from reports.pages.trends import single_year_md, trends_md

__all__ = ["CHARTS_DIR", "GENERATED_DIR", "LAYOUT_FILE", "Catalogue", "Layout", "load_layout",
           "save_layout", "short_run", "write_fragments", "write_provenance"]


def write_fragments(snapshot: dict[str, Any], build_dir: Path,
                    layout: Layout | None = None) -> Catalogue:
    """Write ``_generated/<page>.md`` and ``charts/*.svg`` under build_dir (all but the
    provenance pages, see `write_provenance`); return the catalogue they were made from."""
    catalogue = Catalogue(snapshot, layout)
    (build_dir / GENERATED_DIR).mkdir(parents=True, exist_ok=True)
    (build_dir / CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    builders: dict[str, Callable[[Catalogue], str]] = {
        "overview": overview_md,
        "trends": lambda c: trends_md(c, build_dir / CHARTS_DIR),
        "trends-single": single_year_md,
        "conflicts": conflicts_md,
        "sources": sources_md,
    }
    for name, build in builders.items():
        path = build_dir / GENERATED_DIR / f"{name}.md"
        path.write_text(build(catalogue).rstrip() + "\n", encoding="utf-8")
    return catalogue
