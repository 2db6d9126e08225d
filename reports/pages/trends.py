"""The Trends page: a chart and a table of figures per metric with two or more years
(the best covered charted, the rest in one table), then the single-year metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from reports.charts import ChartPoint, trend_svg
from reports.markup import UNIT_NAMES, counted, format_value, html_text, md_text, slug
from reports.pages.catalogue import Catalogue
from reports.pages.common import (
    BREAK,
    CHARTS_DIR,
    Row,
    curation_note,
    have,
    label,
    point_value,
    raw,
)
from reports.pages.findable import (
    cite_html,
    html_table,
    row_attributes,
    series_filter,
    wrapped,
)
from reports.pages.overview import headline_trends

CHARTED_TRENDS = 60  # charts on the trends page; further trends are listed in one table


def trends_md(c: Catalogue, charts_dir: Path) -> str:
    if not c.trends:
        return "No metric has figures for two or more years yet."
    ranked = sorted(c.trends, key=lambda s: (-s["n_sources"], -len(s["points"]),
                                             s["metric"].lower()))
    headlines = {s["metric_id"] for s in headline_trends(c)}  # the overview links to them
    shown = ranked[:CHARTED_TRENDS] + [s for s in ranked[CHARTED_TRENDS:]
                                       if s["metric_id"] in headlines]
    rest = [s for s in ranked[CHARTED_TRENDS:] if s["metric_id"] not in headlines]
    charted = sorted(shown, key=lambda s: s["metric"].lower())
    intro = (f"{counted(len(c.trends), 'metric')} with figures for two or more years. Each chart "
             "shows the agreed value per year (the median when sources differ; a bar marks "
             "their spread); hollow points are qualified figures (\"more than\", \"about\"). "
             "S-numbers name the sources, listed under each chart and on the "
             "[Sources](sources.qmd) page.")
    if rest:
        intro += (f" The {len(charted)} metrics with the most sources are charted; the other "
                  f"{len(rest):,} are listed [after them](#more-trends).")
    blocks = [intro] + [wrapped(c, series, _trend_block(c, series, charts_dir))
                        for series in charted]
    if rest:
        blocks.append(_more_trends(c, sorted(rest, key=lambda s: s["metric"].lower())))
    return BREAK.join(blocks)


def _more_trends(c: Catalogue, rest: list[Row]) -> str:
    """One table: Markdown for the PDF, raw HTML (rows with anchors and filter attributes)
    for the page, where CSS hides the Markdown one (`print-only`)."""
    rows = ["| Metric | Values by year | Sources |",
            "|:-----------------------------------|:----------------------------------|---:|"]
    html_rows = []
    for series in rest:
        points = sorted(series["points"], key=lambda p: p["year"])
        path = " → ".join(f"{point_value(p, series['unit'])} ({p['year']})" for p in points)
        rows.append(f"| {_curated_label(series)} | {path} | {series['n_sources']:,} |")
        html_rows.append((row_attributes(c, series), [
            _label_html(series), " → ".join(
                html_text(f"{format_value(p['value'], series['unit'], _exact(p))} ({p['year']})")
                for p in points), f"{series['n_sources']:,}"]))
    table = html_table([("Metric", "left"), ("Values by year", "left"), ("Sources", "right")],
                       iter(html_rows))
    return "\n\n".join(["## More trends {#more-trends}", table,
                         "::: {.print-only}\n" + "\n".join(rows) + "\n:::"])


def _label_html(series: Row) -> str:
    text = series["metric"] or "Unnamed metric"
    note = curation_note(series)
    return html_text(text[:1].upper() + text[1:] + (f" ({note})" if note else ""))


def _exact(point: Row) -> str:
    return "exact" if point["qualifier"] == "mixed" else point["qualifier"]


def _curated_label(series: Row) -> str:
    """A metric's label in a table, with what analysts did to it."""
    note = curation_note(series)
    return label(series["metric"]) + (f" ({note})" if note else "")


def _trend_block(c: Catalogue, series: Row, charts_dir: Path) -> str:
    anchor = slug(series["metric_id"], "trend")
    chart_name = f"trend-{anchor}.svg"
    points = sorted(series["points"], key=lambda p: p["year"])
    chart = trend_svg(series["metric"], series["unit"], [
        ChartPoint(year=p["year"], value=p["value"], low=p["min"], high=p["max"],
                   qualifier=p["qualifier"],
                   sources=[c.source(s).marker for s in p["source_ids"]]) for p in points])
    (charts_dir / chart_name).write_text(chart, encoding="utf-8")
    n_sources = series["n_sources"]
    facts = (f"{UNIT_NAMES.get(series['unit'], md_text(series['unit']))} · "
             f"{len(points)} years ({points[0]['year']}–{points[-1]['year']}) · "
             f"{counted(n_sources, 'source')}")
    if curation_note(series):
        facts += f" · {curation_note(series)}"
    return "\n\n".join([
        f"## {label(series['metric'])} {{#trend-{anchor}}}",
        *kept_with_chart(facts, chart, f"{CHARTS_DIR}/{chart_name}"),
        _trend_table(c, series, points),
        *_other_studies(c, series),
    ])


def kept_with_chart(facts: str, svg: str, chart_path: str) -> list[str]:
    """The facts line and the chart, as blocks of Markdown. The HTML page has the SVG
    inline (so its points' <title>s show on hover and screen readers read its <title> and
    <desc>); the PDF keeps facts, chart and the first rows of the table that follows on
    one page (typst `sticky` blocks: no page break between them)."""
    return [raw("typst", "#block(sticky: true)["), facts,
            raw("typst", f'] #block(sticky: true, image("{chart_path}", width: 100%))'),
            raw("html", f'<figure class="chart">\n{svg.strip()}\n</figure>')]


def _other_studies(c: Catalogue, series: Row) -> list[str]:
    """Studies other than the trend's main one that measure alike: listed, never compared
    for conflicts (a different study may ask differently)."""
    others = series.get("other_studies") or []
    if not others:
        return []
    lines = [f"Other studies measuring alike (not compared with "
             f"{_study_name(c, series['main_study'])} for conflicts):", ""]
    for other in others:
        values = "; ".join(
            f"{format_value(p['value'], series['unit'], 'exact')} "
            f"({p['year']}, {', '.join(c.cite(s) for s in p['source_ids'])})"
            for p in other["points"])
        lines.append(f"- {_study_name(c, other['study'])}: {values}")
    more = series.get("n_other_studies", len(others)) - len(others)
    if more > 0:
        lines.append(f"- … and {counted(more, 'more study', 'more studies')}")
    return ["\n".join(lines)]


def _study_name(c: Catalogue, study: str) -> str:
    """A study as the linker names it: an edition series, a publisher, or one source."""
    kind, _, name = study.partition(":")
    if kind == "source" and name:
        return c.cite(name)
    return md_text(name if kind == "publisher" and name else study)


def _trend_table(c: Catalogue, series: Row, points: list[Row]) -> str:
    rows = ["| Year | Agreed value | As stated | Source | Year taken from |",
            "|:-----|-------------:|----------------:|:-------------------------------|:-----------|"]
    for point in points:
        agreed = point_value(point, series["unit"])
        for obs_id in point["obs_ids"]:
            obs = c.observations[obs_id]
            stated = (f"[{format_value(obs['value'], obs['unit'], obs['qualifier'])}]"
                      f"({c.figure_link(obs)})")  # to its provenance row
            basis = "the sentence" if obs["year_basis"] == "explicit" else "survey edition"
            page = c.page_link(obs)
            rows.append(f"| {point['year']} | {agreed} | {stated} | {c.cite(obs['source_id'])}"
                        f"{', ' + page if page else ''} | {basis} |")
            agreed = ""  # once per year
        more = point["n_observations"] - len(point["obs_ids"])
        if more > 0:
            rows.append(f"| {point['year']} | {agreed} | | … and {counted(more, 'more figure')} "
                        f"from {counted(point['n_sources'], 'source')} in all "
                        "([Provenance](provenance.qmd)) | |")
    return "\n".join(rows)


def single_year_md(c: Catalogue) -> str:
    """The metrics with figures for one year only (a table after the trends; HTML only, its
    rows carry each metric's anchor and filter attributes)."""
    if not c.single:
        return ""

    def rows() -> Iterator[tuple[str, list[str]]]:
        for series in sorted(c.single, key=lambda s: s["metric"].lower()):
            attributes = row_attributes(c, series)
            for point in series["points"]:
                sources = "; ".join(_cite_figure_html(c, point, s) for s in point["source_ids"])
                if point["n_sources"] > len(point["source_ids"]):
                    sources += f"; … {point['n_sources'] - len(point['source_ids']):,} more"
                yield attributes, [
                    _label_html(series), str(point["year"]),
                    html_text(format_value(point["value"], series["unit"], _exact(point))),
                    sources]
                attributes = series_filter(c, series)  # the anchor on the first row only

    table = html_table([("Metric", "left"), ("Year", "left"), ("Value", "right"),
                        ("Sources", "left")], rows())
    return "\n\n".join(["## Metrics with a single year {#metrics-with-a-single-year}",
                         f"{have(len(c.single), 'metric')} figures for one year only so far.",
                         table])


def _cite_figure_html(c: Catalogue, point: Row, source_id: str) -> str:
    """A source of a point, linked to the provenance row of its first figure listed."""
    for obs_id in point["obs_ids"]:
        obs = c.observations.get(obs_id)
        if obs and obs["source_id"] == source_id:
            target = c.figure_link(obs).replace(".qmd#", ".html#", 1)
            return f'<a href="{html_text(target)}">{cite_html(c, source_id)}</a>'
    return cite_html(c, source_id)
