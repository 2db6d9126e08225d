"""Markdown fragments and SVG charts generated from the snapshot.

Each .qmd page of the Quarto project includes one of these fragments, so
pages render from data without executing code (pandoc cannot run cells).
Every piece of document text goes through ``markup.md_text`` first.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from reports import pandoc_typst
from reports.charts import ChartPoint, trend_svg
from reports.markup import (
    UNIT_NAMES,
    counted,
    format_value,
    html_highlight,
    html_text,
    language_name,
    md_highlight,
    md_text,
    percent_share,
    plain_number,
    slug,
    translation_coverage,
)
from reports.pandoc_typst import PART_BREAK
from reports.render_cache import RenderCache, cache_key
from reports.snapshot import observation_digests, observation_rows

log = logging.getLogger(__name__)

Row = dict[str, Any]
GENERATED_DIR = "_generated"
CHARTS_DIR = "charts"
FRAGMENTS = ("overview", "trends", "trends-single", "conflicts", "sources")
HEADLINE_TRENDS = 6
CHARTED_TRENDS = 60  # charts on the trends page; further trends are listed in one table
LISTED_CHANGES = 25  # items of each kind under "what changed"
PROVENANCE_PAGE_FIGURES = 2_500  # figures per provenance page (whole sources, in order)
SOURCES_PER_TABLE = 250  # rows of one table on the sources page (each table cached apart)
LAYOUT_FILE = "layout.json"
# between blocks that render alone: a part whose Markdown did not change is not rendered again
BREAK = f"\n\n{PART_BREAK}\n\n"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class Source:
    marker: str  # S1, S2, ...: in the order of the sources page when first published
    title: str
    source_id: str


@dataclass
class Layout:
    """What a publish keeps for the next one, so pages whose data did not change stay
    byte-identical: each source's S-number and its provenance page."""

    markers: dict[str, int] = field(default_factory=dict)  # source_id -> n of "Sn"
    next_marker: int = 1  # numbers of removed sources are not given to new ones
    provenance: dict[str, int] = field(default_factory=dict)  # source_id -> page (paged only)


def load_layout(data_dir: Path) -> Layout | None:
    """The layout the previous publish left in data_dir; None when absent or unreadable."""
    path = Path(data_dir) / LAYOUT_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Layout({str(k): int(v) for k, v in raw["markers"].items()},
                      int(raw["next_marker"]),
                      {str(k): int(v) for k, v in raw["provenance"].items()})
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("%s: unreadable (%s); sources are numbered and paged anew", path, exc)
        return None


def save_layout(layout: Layout, data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / LAYOUT_FILE).write_text(json.dumps(
        {"markers": layout.markers, "next_marker": layout.next_marker,
         "provenance": layout.provenance}, indent=1, sort_keys=True), encoding="utf-8")


class Catalogue:
    """The snapshot, indexed the way the pages look things up."""

    def __init__(self, snapshot: dict[str, Any], previous: Layout | None = None) -> None:
        self.snapshot = snapshot
        self.documents: list[Row] = snapshot["documents"]
        self.observations = {o["obs_id"]: o for o in snapshot["observations"]}
        self.paths = {d["source_id"]: d.get("path") for d in self.documents}
        previous = previous or Layout()
        markers, next_marker = _markers(self.documents, previous)
        self.sources = {
            d["source_id"]: Source(f"S{markers[d['source_id']]}",
                                   d.get("title") or d["file_name"], d["source_id"])
            for d in self.documents}
        # Sample sizes of different studies are no trend: they are listed with single years.
        self.trends = [s for s in snapshot["series"] if not s.get("sample")
                       and len({p["year"] for p in s["points"]}) >= 2]
        self.single = [s for s in snapshot["series"] if s.get("sample")
                       or len({p["year"] for p in s["points"]}) < 2]
        self.provenance_pages = _provenance_chunks(self.documents, previous.provenance)
        self.provenance_page = {d["source_id"]: name
                                for name, docs in self.provenance_pages.items() for d in docs}
        self.layout = Layout(markers, next_marker, {
            source_id: _page_number(name) for source_id, name in self.provenance_page.items()
            if name != "provenance"})

    def provenance_link(self, source_id: str) -> str:
        """Where a source's figures are listed: page and anchor, as a Quarto link target."""
        page = self.provenance_page.get(source_id, "provenance")
        return f"{page}.qmd#doc-{slug(source_id, 'doc')}"

    def source(self, source_id: str) -> Source:
        return self.sources.get(source_id) or Source("S?", source_id, source_id)

    def page_link(self, obs: Row, *, as_html: bool = False) -> str:
        """'p. 3' linking to that page of the source PDF; '' where the source has no pages.
        Markdown, or HTML for the provenance tables."""
        page, path = obs.get("page"), self.paths.get(obs["source_id"])
        if not page or not path:
            return ""
        try:
            target = Path(path).resolve().as_uri()
        except ValueError:  # not an absolute path: show the page without a link
            return f"p.\u00a0{page}"
        if as_html:
            return f'<a href="{html_text(target)}#page={page}">p.\u00a0{page}</a>'
        return f"[p.\u00a0{page}]({target}#page={page})"  # as_uri() escapes spaces and ()

    def cite(self, source_id: str) -> str:
        """'**S4** Title' as literal Markdown (no italics: they garble Chinese titles)."""
        found = self.source(source_id)
        return f"**{found.marker}** {md_text(found.title)}"


def write_fragments(snapshot: dict[str, Any], build_dir: Path,
                    layout: Layout | None = None) -> Catalogue:
    """Write ``_generated/<page>.md`` and ``charts/*.svg`` under build_dir (all but the
    provenance pages, see `write_provenance`); return the catalogue they were made from."""
    catalogue = Catalogue(snapshot, layout)
    (build_dir / GENERATED_DIR).mkdir(parents=True, exist_ok=True)
    (build_dir / CHARTS_DIR).mkdir(parents=True, exist_ok=True)
    builders = {
        "overview": overview_md,
        "trends": lambda c: trends_md(c, build_dir / CHARTS_DIR),
        "trends-single": single_year_md,
        "conflicts": conflicts_md,
        "sources": sources_md,
    }
    for name in FRAGMENTS:
        path = build_dir / GENERATED_DIR / f"{name}.md"
        path.write_text(builders[name](catalogue).rstrip() + "\n", encoding="utf-8")
    return catalogue


# --------------------------------------------------------------------------- overview


def overview_md(c: Catalogue) -> str:
    corpus = c.snapshot["corpus"]
    return "\n\n".join([
        "## At a glance {#at-a-glance}",
        _glance_table(corpus),
        _corpus_sentence(c, corpus),
        _run_sentence(c.snapshot.get("run")),
        *_problems(c.snapshot.get("problems", [])),
        "## Headline trends {#headline-trends}",
        _headlines(c),
        "## What changed since the previous run {#what-changed-since-the-previous-run}",
        _changes(c.snapshot.get("changes") or {}),
    ])


def _glance_table(corpus: Row) -> str:
    cells = [("Documents", corpus["documents"]), ("Languages", len(corpus["languages"])),
             ("Statistics", corpus["observations"]), ("Metrics", corpus["metrics"]),
             ("Trends", corpus["trend_metrics"]), ("Conflicts", corpus["conflicts"])]
    header = "| " + " | ".join(name for name, _ in cells) + " |"
    rule = "|" + "|".join(":---:" for _ in cells) + "|"
    values = "| " + " | ".join(f"**{value:,}**" for _, value in cells) + " |"
    return "::: {.glance}\n" + "\n".join([header, rule, values]) + "\n:::"


def _corpus_sentence(c: Catalogue, corpus: Row) -> str:
    languages = ", ".join(f"{language_name(code)}: {n}" for code, n in corpus["languages"].items())
    coverage = percent_share(corpus["translated_segments"], corpus["non_english_segments"])
    return (
        f"The corpus holds {counted(corpus['documents'], 'document')} "
        f"({md_text(languages) or 'no languages'}) with "
        f"{counted(corpus['observations'], 'statistic')}. "
        f"{corpus['linked_observations']:,} of them are linked to "
        f"{counted(corpus['metrics'], 'metric')}; {_have(corpus['trend_metrics'], 'metric')} "
        "figures for two or more years ([Trends](trends.qmd)) and "
        f"{counted(corpus['conflicts'], 'conflict')} "
        f"([Conflicts](conflicts.qmd)). "
        f"{translation_coverage(corpus['translated_segments'], corpus['non_english_segments'])} "
        f"({coverage}; see [Sources](sources.qmd)).")


def _have(n: int, noun: str) -> str:
    """'1 metric has' or '2 metrics have'."""
    return f"{counted(n, noun)} {'has' if n == 1 else 'have'}"


def _run_sentence(run: Row | None) -> str:
    if not run:
        return "No run has finished yet: run `polystat run` to fill the warehouse."
    finished = _when(run.get("finished_at")) or "not recorded"
    return (f"Data as of run {_code(run['run_id'])} ({md_text(run['status'])}, finished "
            f"{finished}, code version {md_text(run.get('code_version') or 'unknown')}).")


def _problems(problems: list[Row]) -> list[str]:
    """The run's rejected files and duplicates, each with its reason and advice (none: no
    section). Paths and reasons quote file names, which are untrusted text."""
    if not problems:
        return []
    rejected = [p for p in problems if p["severity"] != "warning"]
    duplicates = [p for p in problems if p["severity"] == "warning"]
    parts = ["## Rejected files and duplicates {#rejected-files}"]
    if rejected:
        was, _is = ("was", "is") if len(rejected) == 1 else ("were", "are")
        parts.append(f"{counted(len(rejected), 'file')} {was} refused and {_is} not in these "
                     "reports:")
        parts.append("\n".join(_first([_problem_item(p) for p in rejected], "rejected file")))
    if duplicates:
        verb = "repeats" if len(duplicates) == 1 else "repeat"
        parts.append(f"{counted(len(duplicates), 'file')} {verb} another source; the text is "
                     "counted once, under the original:")
        parts.append("\n".join(_first([_problem_item(p) for p in duplicates], "duplicate")))
    parts.append("`polystat export rejects` lists them all, run by run.")
    return parts


def _problem_item(problem: Row) -> str:
    return f"- **{md_text(problem['path'])}**: {md_text(problem['problem'])}"


def _headlines(c: Catalogue) -> str:
    if not c.trends:
        return "No metric has figures for two or more years yet."
    lines = []
    for series in _headline_trends(c):
        points = sorted(series["points"], key=lambda p: p["year"])
        path = " → ".join(f"{_point_value(p, series['unit'])} ({p['year']})" for p in points)
        change = _change_words(points[0]["value"], points[-1]["value"], series["unit"])
        anchor = slug(series["metric_id"], "trend")
        lines.append(f"- [{_label(series['metric'])}](trends.qmd#trend-{anchor}): {path}"
                     f"{change}")
    more = len(c.trends) - HEADLINE_TRENDS
    if more > 0:
        lines.append(f"- … and {more:,} more on the [Trends](trends.qmd) page.")
    return "\n".join(lines)


def _headline_trends(c: Catalogue) -> list[Row]:
    """The longest series, then the best covered."""
    ranked = sorted(c.trends, key=lambda s: (-len(s["points"]), -s["n_sources"], s["metric"]))
    return ranked[:HEADLINE_TRENDS]


def _change_words(first: float, last: float, unit: str) -> str:
    delta = last - first
    if abs(delta) < 1e-9:
        return ", unchanged"
    if unit == "percent":
        return f", {'+' if delta > 0 else '−'}{counted(abs(delta), 'percentage point')}"
    if first:
        return f", {'+' if delta > 0 else '−'}{plain_number(abs(100 * delta / first))}\u00a0%"
    return ""


def _changes(changes: Row) -> str:
    if not changes:
        return "No comparison available."
    if changes.get("first_snapshot"):
        n_docs = len(changes.get("new_documents", []))
        return (f"This is the first published run: everything is new "
                f"({counted(n_docs, 'document')}, "
                f"{counted(changes.get('new_observations', 0), 'statistic')}).")
    parts = [f"Compared with run {_code(changes.get('previous_run') or 'unknown')}:"]
    items = []
    items += _first(_doc_items("New document", changes.get("new_documents", [])),
                    "more new document")
    items += _first(_doc_items("Updated document", changes.get("updated_documents", [])),
                    "more updated document")
    items += _first(_doc_items("Removed document", changes.get("removed_documents", [])),
                    "more removed document")
    items += _first([f"- New figure: {_label(fig['metric'])}, {fig['year']}: "
                     f"{format_value(fig['value'], fig['unit'], _exact(fig['qualifier']))}"
                     for fig in changes.get("new_figures", [])], "more new figure")
    items += _first([f"- Changed figure: {_label(fig['metric'])}, {fig['year']}: "
                     f"{format_value(fig['previous_value'], fig['unit'])} → "
                     f"{format_value(fig['value'], fig['unit'], _exact(fig['qualifier']))}"
                     for fig in changes.get("changed_figures", [])], "more changed figure")
    if not items:
        items.append("- No new documents and no new or changed figures.")
    parts.append("\n".join(items))
    parts.append(f"{counted(changes.get('new_observations', 0), 'statistic')} "
                 "extracted since the previous run.")
    return "\n\n".join(parts)


def _first(items: list[str], what: str) -> list[str]:
    if len(items) <= LISTED_CHANGES:
        return items
    return items[:LISTED_CHANGES] + [f"- … and {counted(len(items) - LISTED_CHANGES, what)}"]


def _doc_items(label: str, docs: Iterable[Row]) -> list[str]:
    return [f"- {label}: *{md_text(d.get('title') or d['source_id'])}* "
            f"({md_text(d['source_id'])})" for d in docs]


# --------------------------------------------------------------------------- trends


def trends_md(c: Catalogue, charts_dir: Path) -> str:
    if not c.trends:
        return "No metric has figures for two or more years yet."
    ranked = sorted(c.trends, key=lambda s: (-s["n_sources"], -len(s["points"]),
                                             s["metric"].lower()))
    headlines = {s["metric_id"] for s in _headline_trends(c)}  # the overview links to them
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
    blocks = [intro] + [_trend_block(c, series, charts_dir) for series in charted]
    if rest:
        blocks.append(_more_trends(sorted(rest, key=lambda s: s["metric"].lower())))
    return BREAK.join(blocks)


def _more_trends(rest: list[Row]) -> str:
    rows = ["| Metric | Values by year | Sources |",
            "|:-----------------------------------|:----------------------------------|---:|"]
    for series in rest:
        points = sorted(series["points"], key=lambda p: p["year"])
        path = " → ".join(f"{_point_value(p, series['unit'])} ({p['year']})" for p in points)
        rows.append(f"| {_label(series['metric'])} | {path} | {series['n_sources']:,} |")
    return "## More trends {#more-trends}\n\n" + "\n".join(rows)


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
    caption = f"{_label(series['metric'])}, by year"
    return "\n\n".join([
        f"## {_label(series['metric'])} {{#trend-{anchor}}}",
        facts,
        f"![{caption}]({CHARTS_DIR}/{chart_name}){{width=100%}}",
        _trend_table(c, series, points),
    ])


def _trend_table(c: Catalogue, series: Row, points: list[Row]) -> str:
    rows = ["| Year | Agreed value | As stated | Source | Year taken from |",
            "|:-----|-------------:|----------------:|:-------------------------------|:-----------|"]
    for point in points:
        agreed = _point_value(point, series["unit"])
        for obs_id in point["obs_ids"]:
            obs = c.observations[obs_id]
            stated = format_value(obs["value"], obs["unit"], obs["qualifier"])
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
    if not c.single:
        return ""
    rows = ["## Metrics with a single year {#metrics-with-a-single-year}",
            f"{_have(len(c.single), 'metric')} figures for one year only so far.",
            "| Metric | Year | Value | Sources |",
            "|:----------------------------------|:-----|-----:|:------------------------|"]
    for series in sorted(c.single, key=lambda s: s["metric"].lower()):
        for point in series["points"]:
            sources = "; ".join(c.cite(s) for s in point["source_ids"])
            if point["n_sources"] > len(point["source_ids"]):
                sources += f"; … {point['n_sources'] - len(point['source_ids']):,} more"
            rows.append(f"| {_label(series['metric'])} | {point['year']} | "
                        f"{_point_value(point, series['unit'])} | {sources} |")
    return "\n\n".join(rows[:2]) + "\n\n" + "\n".join(rows[2:])


# --------------------------------------------------------------------------- conflicts


def conflicts_md(c: Catalogue) -> str:
    conflicts = c.snapshot["conflicts"]
    if not conflicts:
        return "No conflicts: where sources give the same metric for the same year, they agree."
    blocks = [f"{counted(len(conflicts), 'conflict')}: the same metric, year and study with exact "
              "values that differ by more than one unit, between sources or inside one source "
              "that restates a figure. Qualified figures (\"more than half\"), verbal glosses "
              "and other studies never conflict. Each quote is the original sentence with the "
              "figure highlighted."]
    for conflict in conflicts:
        blocks.append(_conflict_block(c, conflict))
    return BREAK.join(blocks)


def _conflict_block(c: Catalogue, conflict: Row) -> str:
    unit = conflict.get("unit") or "count"
    values = [format_value(v, unit) for v in conflict["values"]]
    spread = _change_words(min(conflict["values"]), max(conflict["values"]), unit)
    spread = spread.lstrip(", ").lstrip("+")
    anchor = slug(f"{conflict['metric_id']}-{conflict['year']}", "conflict")
    parts = [f"## {_label(conflict['metric'])}, {conflict['year']} {{#conflict-{anchor}}}",
             f"Values: {_and_list(values)} (difference {spread}).",
             _conflict_scope(conflict)]
    for obs_id in conflict["obs_ids"]:
        parts.append(_quote(c, c.observations[obs_id]))
    more = conflict.get("n_observations", 0) - len(conflict["obs_ids"])
    if more > 0:
        parts.append(f"… and {counted(more, 'more figure')} for this metric and year "
                     "([Provenance](provenance.qmd)).")
    return "\n\n".join(parts)


LINK_REASONS = {
    "restatement": "the same figure restated (same study, year and claim)",
    "edition": "the same claim in another edition of the study",
    "claim": "the same claim in another study",
    "anaphor": "a sentence that refers back to the figure before it",
    "headline": "a headline giving a figure of the text",
    "group": "values compared over years in one sentence",
    "paraphrase": "a verbal gloss of the figure",
    "fingerprint": "comparisons sharing a year and value",
    "concepts": "the same topic and group in another language",
    "sample": "sample sizes",
}


def _conflict_scope(conflict: Row) -> str:
    """Whether a source contradicts itself or sources contradict each other, and why the
    figures are taken for one metric."""
    scope = ("One source gives two values" if conflict.get("scope") == "within source"
             else "Sources disagree")
    study = f" (study: {conflict['study']})" if conflict.get("study") else ""
    reasons = [LINK_REASONS.get(m, m) for m in conflict.get("linked_by") or ()
               if m != "single"]
    why = f" One metric because of {_and_list(reasons)}." if reasons else ""
    return f"{scope}{study}.{why}"


def _quote(c: Catalogue, obs: Row) -> str:
    value = format_value(obs["value"], obs["unit"], obs["qualifier"])
    page = c.page_link(obs)
    lines = [f"**{value}** — {c.cite(obs['source_id'])}, {page + ', ' if page else ''}"
             f"{language_name(obs['language'])}, characters {obs['start']:,}–{obs['end']:,}",
             _sentence(obs)]
    if obs.get("translation"):
        lines.append(f"English: {md_text(obs['translation']['text'])}")
    return "\n>\n".join(f"> {line}" for line in lines)


# --------------------------------------------------------------------------- sources


def sources_md(c: Catalogue) -> str:
    if not c.documents:
        return "No documents yet."
    header = ["| | Title | Publisher | Language | Translated to English | Statistics |",
              "|:--|:-----------------------------|:--------------------|:----------------|"
              ":-------------------|---:|"]
    rows = []
    for doc in c.documents:
        source = c.source(doc["source_id"])
        title = f"**{md_text(source.title)}**<br>{_small(doc)}"
        rows.append(f"| {source.marker} | {title} | {md_text(doc.get('publisher')) or '—'} | "
                    f"{_languages(doc)} | {_coverage(doc)} | {_statistics_link(c, doc)} |")
    # tables of a few hundred rows, each its own part: adding a document changes one
    tables = ["\n".join(header + rows[i:i + SOURCES_PER_TABLE])
              for i in range(0, len(rows), SOURCES_PER_TABLE)]
    parts = [f"{counted(len(c.documents), 'document')} in the current corpus. Statistics always "
             "come from the original text; translations are glosses for readers.",
             *tables, _install_help(c.documents)]
    return BREAK.join(p for p in parts if p)


def _statistics_link(c: Catalogue, doc: Row) -> str:
    if not doc["n_statistics"]:
        return "0"
    return f"[{doc['n_statistics']:,}]({c.provenance_link(doc['source_id'])})"


def _small(doc: Row) -> str:
    details = [md_text(doc["source_id"])]
    if doc.get("published"):
        details.append(f"published {md_text(str(doc['published']))}")
    if doc.get("survey_year"):
        details.append(f"survey year {doc['survey_year']}")
    return "[" + " · ".join(details) + "]{.small}"


def _languages(doc: Row) -> str:
    """Detected language with its confidence; the declared one too when they differ."""
    declared, detected = doc.get("declared_language"), doc.get("detected_language")
    confidence = doc.get("language_confidence")
    sure = ""
    if confidence is not None:
        sure = f" [({plain_number(100 * confidence, 0)}\u00a0% sure)]{{.small}}"
    if not doc.get("language_mismatch"):
        return f"{md_text(language_name(detected or declared))}{sure}"
    return (f"[**Mismatch:**]{{.warning}} declared {md_text(language_name(declared))}, "
            f"detected {md_text(language_name(detected))}{sure}")


def _coverage(doc: Row) -> str:
    total, done = doc["segments_non_english"], doc["segments_translated"]
    if total == 0:
        return "not needed (English)"
    text = f"{percent_share(done, total)} ({done:,} of {counted(total, 'sentence')})"
    missing = [p for p in doc["missing_pairs"] if _LANGUAGE_CODE.match(p["src"])]
    if missing:
        text += "; missing model: " + ", ".join(f"{p['src']}→{p['tgt']}" for p in missing)
    return text


def _install_help(documents: list[Row]) -> str:
    commands = sorted({p["install"] for d in documents for p in d["missing_pairs"]
                       if _LANGUAGE_CODE.match(p["src"]) and _LANGUAGE_CODE.match(p["tgt"])})
    if not commands:
        return ""
    return ("## Missing translation models {#missing-translation-models}\n\n"
            "Sentences in these languages have no English gloss yet. Install the models "
            "(online from the argostranslate index, or offline "
            "with `polystat models install FILE.argosmodel`), then run `polystat run` again; "
            "figures do not change, only the English glosses are added:\n\n```\n"
            + "\n".join(commands) + "\n```")


# --------------------------------------------------------------------------- provenance


def _markers(documents: list[Row], previous: Layout) -> tuple[dict[str, int], int]:
    """S-numbers: a source keeps the number it was first published with; new sources get
    the next free numbers in the order of the sources page (S1, S2, ... on a first run)."""
    markers = {d["source_id"]: previous.markers[d["source_id"]] for d in documents
               if d["source_id"] in previous.markers}
    following = max([previous.next_marker, *(n + 1 for n in markers.values())])
    for doc in documents:
        if doc["source_id"] not in markers:
            markers[doc["source_id"]] = following
            following += 1
    return markers, following


def _provenance_chunks(documents: list[Row], previous: dict[str, int] | None = None
                       ) -> dict[str, list[Row]]:
    """Provenance pages: all on 'provenance' when the figures fit one page, else whole
    sources on 'provenance-001', 'provenance-002', ... (and an index page).

    A source stays on the page `previous` gave it, so adding documents leaves the
    earlier pages unchanged; new sources fill the last page, then new pages (on a first
    run: every source in order). A page may outgrow the limit when its sources grow."""
    with_figures = [d for d in documents if d.get("n_statistics")]
    if sum(d["n_statistics"] for d in with_figures) <= PROVENANCE_PAGE_FIGURES:
        return {"provenance": with_figures}
    kept: dict[int, list[Row]] = {}
    new = []
    for doc in with_figures:
        page = (previous or {}).get(doc["source_id"])
        if page is None:
            new.append(doc)
        else:
            kept.setdefault(page, []).append(doc)
    last = max(kept, default=0)
    size = sum(d["n_statistics"] for d in kept.get(last, []))
    for doc in new:
        if last == 0 or size + doc["n_statistics"] > PROVENANCE_PAGE_FIGURES:
            last, size = last + 1, 0
        kept.setdefault(last, []).append(doc)
        size += doc["n_statistics"]
    return {_page_name(n): kept[n] for n in sorted(kept)}


def _page_name(number: int) -> str:
    return f"provenance-{number:03}"


def _page_number(name: str) -> int:
    return int(name.rsplit("-", 1)[1])


PROVENANCE_INTRO = ("the original sentence with the figure highlighted, the English "
                    "translation when there is one, the character offsets into the decoded "
                    "document text and the run that extracted it.")


def write_provenance(con: duckdb.DuckDBPyConnection, c: Catalogue, build_dir: Path,
                     cache: RenderCache | None = None) -> list[str]:
    """Write the provenance fragments (each source's table from `ProvenanceParts`: reused
    while unchanged, else read and formatted in batches); return the names of the extra
    pages (each with its .qmd next to the other pages).

    Nothing on a page names the number of pages or totals of other pages: a page whose
    sources did not change keeps the same Markdown, and its HTML comes from the cache."""
    generated = build_dir / GENERATED_DIR
    total = c.snapshot["corpus"]["observations"]
    parts = ProvenanceParts(con, c, [d for docs in c.provenance_pages.values() for d in docs],
                            cache)
    if "provenance" in c.provenance_pages:
        docs = c.provenance_pages["provenance"]
        text = (f"Every one of the {counted(total, 'statistic')}, in document order: "
                + PROVENANCE_INTRO + BREAK + _provenance_tables(docs, parts)
                if docs else "No statistics yet.")
        (generated / "provenance.md").write_text(text.rstrip() + "\n", encoding="utf-8")
        return []
    index = [f"{counted(total, 'statistic')} from {counted(len(c.provenance_page), 'source')}, "
             f"on {len(c.provenance_pages)} pages of whole sources. For each figure: "
             + PROVENANCE_INTRO]
    for name, docs in c.provenance_pages.items():
        number = _page_number(name)
        figures = sum(d["n_statistics"] for d in docs)
        index.append(_provenance_index_part(c, name, docs))
        (generated / f"{name}.md").write_text(
            f"Page {number} of the provenance ([all sources](provenance.qmd))." + BREAK
            + _provenance_tables(docs, parts).rstrip() + "\n", encoding="utf-8")
        (build_dir / f"{name}.qmd").write_text(
            f'---\ntitle: "Provenance, page {number}"\n'
            f'subtitle: "{counted(len(docs), "source")}, {counted(figures, "statistic")}"\n'
            f"---\n\n{{{{< include {GENERATED_DIR}/{name}.md >}}}}\n", encoding="utf-8")
    (generated / "provenance.md").write_text(BREAK.join(index) + "\n", encoding="utf-8")
    return list(c.provenance_pages)


def _provenance_index_part(c: Catalogue, name: str, docs: list[Row]) -> str:
    """The index's table of one provenance page: changes only when that page does."""
    number = _page_number(name)
    rows = [f"## Page {number} {{#index-{name}}}", "",
            "| | Source | Statistics |", "|:--|:------------------------------|---:|"]
    for doc in docs:
        source = c.source(doc["source_id"])
        rows.append(f"| {source.marker} | [{md_text(source.title)}]"
                    f"({c.provenance_link(doc['source_id'])}) | {doc['n_statistics']:,} |")
    return "\n".join(rows)


def _provenance_tables(docs: list[Row], parts: ProvenanceParts) -> str:
    return BREAK.join(parts.take(doc) for doc in docs if doc["n_statistics"])


class ProvenanceParts:
    """Each source's provenance table, made once and then reused while nothing it shows
    changes: the key covers the source's header and a digest of all its figures' rows
    (computed in SQL), so an unchanged source costs neither a query nor any formatting.

    Tables are taken in page order and prepared in batches of about `BATCH_FIGURES`
    figures (one query per batch), so memory holds one batch, never the whole corpus."""

    BATCH_FIGURES = 20_000

    def __init__(self, con: duckdb.DuckDBPyConnection, c: Catalogue, docs: list[Row],
                 cache: RenderCache | None) -> None:
        self.con, self.c, self.cache = con, c, cache
        self.digests = observation_digests(con) if cache is not None else {}
        self.queue = [doc for doc in docs if doc["n_statistics"]]
        self.position = {doc["doc_id"]: i for i, doc in enumerate(self.queue)}
        self.made: dict[str, str] = {}

    def take(self, doc: Row) -> str:
        """The table of `doc` (asked for in page order), forgotten once handed out."""
        if doc["doc_id"] not in self.made:
            self._prepare_from(self.position[doc["doc_id"]])
        return self.made.pop(doc["doc_id"])

    def _key(self, doc: Row) -> str:
        return cache_key(
            "provenance-part", pandoc_typst.reports_code_digest(),
            self.digests.get(doc["doc_id"], ""),
            json.dumps([self.c.source(doc["source_id"]), doc["source_id"], doc["doc_id"],
                        doc.get("detected_language"), doc.get("missing_pairs"),
                        self.c.paths.get(doc["source_id"])], default=str))

    def _prepare_from(self, index: int) -> None:
        missing: list[tuple[Row, str]] = []
        figures = 0
        for doc in self.queue[index:]:
            if figures >= self.BATCH_FIGURES:
                break
            figures += doc["n_statistics"]
            key = self._key(doc) if self.cache is not None else ""
            found = self.cache.get(key) if self.cache is not None else None
            if found is None:
                missing.append((doc, key))
            else:
                self.made[doc["doc_id"]] = found
        if not missing:
            return
        by_doc: dict[str, list[Row]] = {}
        for obs in observation_rows(self.con, "d.doc_id IN (SELECT unnest(?))",
                                    [[doc["doc_id"] for doc, _ in missing]]):
            by_doc.setdefault(obs["doc_id"], []).append(obs)
        for doc, key in missing:
            text = self.made[doc["doc_id"]] = _provenance_table(self.c, doc,
                                                                by_doc.get(doc["doc_id"], []))
            if self.cache is not None:
                self.cache.put(key, text)


def _provenance_table(c: Catalogue, doc: Row, observations: list[Row]) -> str:
    """One document's figures; the English column only where some sentence has a translation.

    The table is a raw HTML block, not a Markdown table: pandoc reads Markdown tables at
    ~100 KB/s, 20 times slower than the same table as HTML, and provenance is most of
    what a large site renders. Every text in it goes through `html_text`."""
    source = c.source(doc["source_id"])
    glossed = any(o.get("translation") for o in observations)
    columns = [("Value", 10, "right"), ("Year", 7, "left"), ("Metric", 13, "left"),
               ("Original sentence", 36 if glossed else 54, "left")]
    if glossed:
        columns.append(("English", 18, "left"))
    columns.append(("Where", 14, "left"))
    rows = ["```{=html}", "<table>", "<colgroup>"]
    rows += [f'<col style="width: {width}%" />' for _, width, _ in columns]
    rows += ["</colgroup>", "<thead>", "<tr>"]
    rows += [f'<th style="text-align: {align};">{name}</th>' for name, _, align in columns]
    rows += ["</tr>", "</thead>", "<tbody>"]
    for obs in sorted(observations, key=lambda o: (o["start"], o["end"])):
        basis = "" if obs["year_basis"] == "explicit" else " (edition)"
        cells = [html_text(format_value(obs["value"], obs["unit"], obs["qualifier"])),
                 f"{obs['year']}{basis}" if obs["year"] is not None else "—",
                 html_text(obs.get("metric")) or "—", _sentence_html(obs)]
        if glossed:
            cells.append(html_text(obs["translation"]["text"]) if obs.get("translation")
                         else "—")
        page = c.page_link(obs, as_html=True)
        cells.append(f"{page + '<br>' if page else ''}characters {obs['start']:,}–{obs['end']:,}"
                     f'<br><span class="small nowrap">run {html_text(obs["run_id"])}</span>')
        rows.append("<tr>" + "".join(
            f'<td style="text-align: {align};">{cell}</td>'
            for cell, (_, _, align) in zip(cells, columns, strict=True)) + "</tr>")
    rows += ["</tbody>", "</table>", "```"]
    heading = (f"## {source.marker} · {md_text(source.title)} "
               f"{{#doc-{slug(doc['source_id'], 'doc')}}}")
    intro = (f"{md_text(doc['source_id'])} · sha256 {_code(doc['doc_id'][:12])}… · "
             f"{language_name(doc.get('detected_language'))}")
    if not glossed and doc.get("missing_pairs"):
        intro += " · no English translation yet (model missing, see [Sources](sources.qmd))"
    return "\n\n".join([heading, intro, "\n".join(rows)])


def _sentence_html(obs: Row) -> str:
    """The claim with the figure marked, as HTML."""
    claim, start, end = _figure_in_claim(obs)
    return html_highlight(claim, start, end) if start >= 0 else html_text(claim)


# --------------------------------------------------------------------------- small pieces


def _sentence(obs: Row) -> str:
    """The claim with the figure marked."""
    claim, start, end = _figure_in_claim(obs)
    return md_highlight(claim, start, end) if start >= 0 else md_text(claim)


def _figure_in_claim(obs: Row) -> tuple[str, int, int]:
    """The claim and where the figure is in it (offsets are code points into the
    document); start -1 when the claim does not contain the figure."""
    claim = obs["claim"] or ""
    start = obs["start"] - obs["claim_start"]
    end = obs["end"] - obs["claim_start"]
    if claim[start:end] != obs["surface"]:
        start = claim.find(obs["surface"])
        end = start + len(obs["surface"])
    return claim, start, end


def _point_value(point: Row, unit: str) -> str:
    return format_value(point["value"], unit, _exact(point["qualifier"]))


def _exact(qualifier: str) -> str:
    return "exact" if qualifier == "mixed" else qualifier


def _label(text: str | None) -> str:
    """A metric label as a heading: first letter capitalised, literal Markdown."""
    if not text:
        return "Unnamed metric"
    return md_text(text[:1].upper() + text[1:])


def _code(text: str) -> str:
    """Inline code for identifiers we control the alphabet of; anything else is escaped text."""
    if re.fullmatch(r"[\w.:\-]+", text or ""):
        return f"`{text}`"
    return md_text(text)


def _when(value: str | None) -> str:
    if not value:
        return ""
    return md_text(value.replace("T", " ")[:16] + " UTC")


def _and_list(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
