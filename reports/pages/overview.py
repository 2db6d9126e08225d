"""The Overview page (index.qmd): the corpus at a glance, the run shown, the files it
refused, the headline trends, and what changed since the previous run."""

from __future__ import annotations

from collections.abc import Iterable

from reports.markup import (
    counted,
    format_value,
    language_name,
    md_text,
    percent_share,
    slug,
    translation_coverage,
)
from reports.pages.catalogue import Catalogue
from reports.pages.common import (
    Row,
    change_words,
    curation_note,
    exact,
    have,
    label,
    point_value,
    run_code,
)
from reports.pages.findable import metric_anchor

HEADLINE_TRENDS = 6
LISTED_CHANGES = 25  # items of each kind under "what changed"


def overview_md(c: Catalogue) -> str:
    corpus = c.snapshot["corpus"]
    return "\n\n".join([
        "## At a glance {#at-a-glance}",
        _glance_table(corpus),
        _corpus_sentence(corpus),
        "The data behind these pages: [statistics, metrics, series and conflicts as CSV and "
        "Parquet](downloads.qmd), with a data dictionary.",
        _run_sentence(c.snapshot.get("run")),
        *_problems(c.snapshot.get("problems", [])),
        "## Headline trends {#headline-trends}",
        _headlines(c),
        "## What changed since the previous run {#what-changed-since-the-previous-run}",
        _changes(c.snapshot.get("changes") or {}),
    ])


def headline_trends(c: Catalogue) -> list[Row]:
    """The longest series, then the best covered (the trends page always charts them)."""
    ranked = sorted(c.trends, key=lambda s: (-len(s["points"]), -s["n_sources"], s["metric"]))
    return ranked[:HEADLINE_TRENDS]


def _glance_table(corpus: Row) -> str:
    cells = [("Documents", corpus["documents"]), ("Languages", len(corpus["languages"])),
             ("Statistics", corpus["observations"]), ("Metrics", corpus["metrics"]),
             ("Trends", corpus["trend_metrics"]), ("Conflicts", corpus["conflicts"])]
    header = "| " + " | ".join(name for name, _ in cells) + " |"
    rule = "|" + "|".join(":---:" for _ in cells) + "|"
    values = "| " + " | ".join(f"**{value:,}**" for _, value in cells) + " |"
    return "::: {.glance}\n" + "\n".join([header, rule, values]) + "\n:::"


def _corpus_sentence(corpus: Row) -> str:
    languages = ", ".join(f"{language_name(lang)}: {n}" for lang, n in corpus["languages"].items())
    coverage = percent_share(corpus["translated_segments"], corpus["non_english_segments"])
    return (
        f"The corpus holds {counted(corpus['documents'], 'document')} "
        f"({md_text(languages) or 'no languages'}) with "
        f"{counted(corpus['observations'], 'statistic')}. "
        f"{corpus['linked_observations']:,} of them are linked to "
        f"{counted(corpus['metrics'], 'metric')}; {have(corpus['trend_metrics'], 'metric')} "
        "figures for two or more years ([Trends](trends.qmd)) and "
        f"{counted(corpus['conflicts'], 'conflict')} "
        f"([Conflicts](conflicts.qmd)). "
        f"{translation_coverage(corpus['translated_segments'], corpus['non_english_segments'])} "
        f"({coverage}; see [Sources](sources.qmd)).")


def _run_sentence(run: Row | None) -> str:
    if not run:
        return "No run has finished yet: run `polystat run` to fill the warehouse."
    finished = _when(run.get("finished_at")) or "not recorded"
    return (f"Data as of run {run_code(run['run_id'])} ({md_text(run['status'])}, finished "
            f"{finished}, code version {md_text(run.get('code_version') or 'unknown')}).")


def _when(value: str | None) -> str:
    if not value:
        return ""
    return md_text(value.replace("T", " ")[:16] + " UTC")


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
    headlines = headline_trends(c)
    for series in headlines:
        points = sorted(series["points"], key=lambda p: p["year"])
        path = " → ".join(f"{point_value(p, series['unit'])} ({p['year']})" for p in points)
        change = change_words(points[0]["value"], points[-1]["value"], series["unit"])
        anchor = slug(series["metric_id"], "trend")
        note = curation_note(series)  # what an analyst did to it, as Trends says it
        lines.append(f"- [{label(series['metric'])}](trends.qmd#trend-{anchor}): {path}"
                     f"{change}{f' ({note})' if note else ''}")
    more = len(c.trends) - len(headlines)
    if more > 0:
        lines.append(f"- … and {more:,} more on the [Trends](trends.qmd) page.")
    return "\n".join(lines)


def _changes(changes: Row) -> str:
    if not changes:
        return "No comparison available."
    if changes.get("first_snapshot"):
        n_docs = len(changes.get("new_documents", []))
        return (f"This is the first published run: everything is new "
                f"({counted(n_docs, 'document')}, "
                f"{counted(changes.get('new_observations', 0), 'statistic')}).")
    parts = [f"Compared with run {run_code(changes.get('previous_run'))}:"]
    items = []
    items += _first(_doc_items("New source", changes.get("new_documents", [])),
                    "more new source")
    items += _first(_doc_items("Changed source", changes.get("updated_documents", [])),
                    "more changed source")
    items += _first(_doc_items("Removed source", changes.get("removed_documents", [])),
                    "more removed source")
    items += _first(_moved_series(changes), "more metric whose figures moved")
    if not items:
        items.append("- No new or changed sources, and no metric's figures moved.")
    parts.append("\n".join(items))
    parts.append(f"{counted(changes.get('new_observations', 0), 'statistic')} "
                 "extracted since the previous run.")
    return "\n\n".join(parts)


def _moved_series(changes: Row) -> list[str]:
    """One item per metric whose series moved: new metrics, then by label; each says, per
    year, the new value, the old and new value, or that the year has no figure now."""
    moved: dict[str, list[tuple[int, str]]] = {}
    names: dict[str, str] = {}
    for fig in changes.get("new_figures", []):
        value = format_value(fig["value"], fig["unit"], exact(fig["qualifier"]))
        moved.setdefault(fig["metric_id"], []).append((fig["year"], f"{fig['year']}: {value}"))
        names[fig["metric_id"]] = fig["metric"]
    for fig in changes.get("changed_figures", []):
        value = (f"{format_value(fig['previous_value'], fig['unit'])} → "
                 f"{format_value(fig['value'], fig['unit'], exact(fig['qualifier']))}")
        moved.setdefault(fig["metric_id"], []).append((fig["year"], f"{fig['year']}: {value}"))
        names[fig["metric_id"]] = fig["metric"]
    for fig in changes.get("removed_figures", []):
        value = format_value(fig["value"], fig["unit"], exact(fig["qualifier"]))
        moved.setdefault(fig["metric_id"], []).append(
            (fig["year"], f"{fig['year']}: no figure now (was {value})"))
        names.setdefault(fig["metric_id"], fig["metric"])
    new, gone = set(changes.get("new_metrics", [])), set(changes.get("removed_metrics", []))
    items = []
    for metric_id in sorted(moved, key=lambda m: (m not in new, (names[m] or "").lower(), m)):
        title = label(names[metric_id])
        if metric_id not in gone:  # every metric with a figure has its place on Trends
            title = f"[{title}](trends.qmd#{metric_anchor(metric_id)})"
        kind = ("New metric" if metric_id in new else
                "Metric gone" if metric_id in gone else "Figures moved")
        years = "; ".join(text for _, text in sorted(moved[metric_id]))
        items.append(f"- {kind}: {title}: {years}")
    return items


def _first(items: list[str], what: str) -> list[str]:
    if len(items) <= LISTED_CHANGES:
        return items
    return items[:LISTED_CHANGES] + [f"- … and {counted(len(items) - LISTED_CHANGES, what)}"]


def _doc_items(kind: str, docs: Iterable[Row]) -> list[str]:
    return [f"- {kind}: *{md_text(d.get('title') or d['source_id'])}* "
            f"({md_text(d['source_id'])})" for d in docs]
