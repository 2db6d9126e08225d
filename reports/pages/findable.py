"""What makes a metric findable on the Trends page: a stable anchor per metric
(`trends.html#metric-<id>`, which `polystat explain` prints), and the data attributes
reports/filter.js narrows the page by (group, source, language, year).

Charted trends are wrapped in a block that carries both; the tables of further trends and
of single-year metrics are raw HTML (a Markdown table row cannot carry attributes), with
every text through `html_text`."""

from __future__ import annotations

from collections.abc import Iterator

from reports.markup import html_text, slug
from reports.pages.catalogue import Catalogue
from reports.pages.common import Row, filter_attributes, raw

TRENDS_PAGE = "trends.html"


def metric_anchor(metric_id: str) -> str:
    """The id of a metric's block or row on the Trends page (stable: the metric id's)."""
    return f"metric-{slug(metric_id, 'metric')}"


def metric_url(metric_id: str) -> str:
    """Where a metric is on the site, relative to the site folder."""
    return f"{TRENDS_PAGE}#{metric_anchor(metric_id)}"


def series_filter(c: Catalogue, series: Row) -> str:
    """The filter attributes of one metric: every group, source, language and year of it."""
    shown = [c.observations[i] for p in series["points"] for i in p["obs_ids"]
             if i in c.observations]
    return filter_attributes(
        series["metric_id"], [o.get("population") for o in shown],
        [c.source(s).marker for p in series["points"] for s in p["source_ids"]],
        [o.get("language") for o in shown], [p["year"] for p in series["points"]])


def wrapped(c: Catalogue, series: Row, markdown: str) -> str:
    """A charted trend's Markdown inside a block with its anchor and filter attributes
    (HTML only: the PDF has no filter)."""
    opening = f'<div class="trend" id="{metric_anchor(series["metric_id"])}"' \
              f"{series_filter(c, series)}>"
    return "\n\n".join([raw("html", opening), markdown, raw("html", "</div>")])


def html_table(headers: list[tuple[str, str]], rows: Iterator[tuple[str, list[str]]]) -> str:
    """A raw HTML table: headers as (name, CSS text-align), rows as (the <tr> attributes,
    cells already HTML)."""
    lines = ["<table>", "<thead>", "<tr>"]
    lines += [f'<th style="text-align: {align};">{name}</th>' for name, align in headers]
    lines += ["</tr>", "</thead>", "<tbody>"]
    for attributes, cells in rows:
        lines.append(f"<tr{attributes}>" + "".join(
            f'<td style="text-align: {align};">{cell}</td>'
            for cell, (_, align) in zip(cells, headers, strict=True)) + "</tr>")
    lines += ["</tbody>", "</table>"]
    return raw("html", "\n".join(lines))


def row_attributes(c: Catalogue, series: Row) -> str:
    return f' id="{metric_anchor(series["metric_id"])}"{series_filter(c, series)}'


def cite_html(c: Catalogue, source_id: str) -> str:
    """'<strong>S4</strong> Title' (as `Catalogue.cite`, in HTML)."""
    found = c.source(source_id)
    return f"<strong>{html_text(found.marker)}</strong> {html_text(found.title)}"
