"""The printed form of `polystat metrics list|show` and of what an analyst did to a metric
(also shown by `polystat explain`). Pure functions of the records `warehouse/curation.py`
returns; lines are rich `Text` built with `append`, so brackets in labels print as they are.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text

from reports.markup import counted

SOURCES_SHOWN = 3  # sources named on a `metrics list` line; the rest are counted
LABEL_WIDTH = 10  # how `polystat explain` and `polystat metrics` pad their labels


def line(label: str, *parts: str | tuple[str, str]) -> Text:
    """`label` padded, then the parts; a (text, style) part is styled."""
    text = Text(f"{label:<{LABEL_WIDTH}}", style="bold")
    for part in parts:
        if isinstance(part, tuple):
            text.append(part[0], style=part[1])
        else:
            text.append(part)
    return text


def number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


def curation_notes(metric: dict[str, Any]) -> list[str]:
    """What analysts did to a metric, in a reader's words ("merged by analyst on …")."""
    notes = []
    if metric.get("merged_at"):
        notes.append(f"merged by analyst on {metric['merged_at']:%Y-%m-%d}")
    if metric.get("split_at"):
        notes.append(f"split by analyst on {metric['split_at']:%Y-%m-%d}")
    if metric.get("label_set_at"):
        notes.append(f"label set by analyst on {metric['label_set_at']:%Y-%m-%d}")
    return notes


def curation_lines(curation: dict[str, Any]) -> list[Text]:
    """'curated' with what analysts did, then their decisions one per line (none: none)."""
    notes = curation_notes(curation)
    if not notes and not curation["history"]:
        return []
    lines = [line("curated", "; ".join(notes) or "an earlier decision touched its figures")]
    return lines + [Text("  ").append(history_line(event)) for event in curation["history"]]


def _marker(metric: dict[str, Any]) -> str:
    """A short mark of the curated: m(erged), s(plit), l(abel set); '-' for none."""
    marks = "".join(mark for mark, column in (("m", "merged_at"), ("s", "split_at"),
                                               ("l", "label_set_at")) if metric.get(column))
    return marks or "-"


def list_lines(metrics: list[dict[str, Any]]) -> list[Text]:
    """One line per metric: id, figures, curated mark, label, sources."""
    lines = [Text(f"{len(metrics):,} metrics; curated: m = merged, s = split, l = label set "
                  "by an analyst", style="dim")]
    for metric in metrics:
        sources = metric["sources"]
        named = ", ".join(sources[:SOURCES_SHOWN])
        if len(sources) > SOURCES_SHOWN:
            named += f" and {len(sources) - SOURCES_SHOWN} more"
        lines.append(Text(f"{metric['metric_id']}  {metric['figures']:>4} fig  "
                          f"{_marker(metric):<3} ").append(metric["label"], "bold")
                     .append(f"  [{named}]", "dim"))
    return lines


def show_lines(record: dict[str, Any]) -> list[Text]:
    """A metric, its figures (ids an analyst passes to `metrics split`) and its history."""
    metric, figures = record["metric"], record["figures"]
    lines = [line("metric", (metric["label"], "bold")),
             line("unit", f"{metric['unit']}; population: "
                           f"{metric.get('population') or 'not stated'}")]
    lines += curation_lines(metric)
    sources = len({f["source_id"] for f in figures})
    lines.append(line("figures", f"{counted(len(figures), 'figure')} in "
                                  f"{counted(sources, 'source')}:"))
    lines += [_figure(figure) for figure in figures]
    lines += suggestion_lines(record.get("possibly_same_as") or [])
    lines.append(line("id", metric["metric_id"]))
    return lines


CONTEXT = 40  # characters of the sentence shown on each side of a figure


def _figure(figure: dict[str, Any]) -> Text:
    """`obs-…  year  value unit  file  …sentence with the »figure«…` on one line."""
    year = figure["year"] if figure.get("year") is not None else "----"
    claim, start = figure["claim"].replace("\n", " "), figure["offset_in_claim"]
    end = start + len(figure["surface"])
    before = ("…" if start > CONTEXT else "") + claim[max(0, start - CONTEXT):start]
    after = claim[end:end + CONTEXT] + ("…" if len(claim) > end + CONTEXT else "")
    return (Text(f"  {figure['obs_id']}  {year}  ")
            .append(f"{number(figure['value'])} {figure['unit']}", "bold")
            .append(f"  {figure['file_name']}  {before}")
            .append(f"»{claim[start:end]}«", "bold").append(after))


SUGGESTIONS_SHOWN = 5  # "possibly the same as" under a metric (--json gives them all)


def suggestion_lines(suggestions: list[dict[str, Any]], *, pairs: bool = False) -> list[Text]:
    """'possibly the same as' and, per suggestion, the other metric (with `pairs`: both,
    for the warehouse-wide list), the score, the reason and the merge that accepts it."""
    if not suggestions:
        return []
    shown = suggestions if pairs else suggestions[:SUGGESTIONS_SHOWN]
    heading = (f"{counted(len(suggestions), 'pair')} of metrics possibly the same" if pairs
               else f"possibly the same as {counted(len(suggestions), 'metric')}")
    lines = [line("similar", f"{heading} (kept apart for want of evidence; accept one with "
                             "its merge):")]
    for found in shown:
        text = Text(f"  {found['score']:.2f}  ")
        if pairs:
            text.append(f"{found['metric_id']} ").append(found["label"], "bold").append("  ~  ")
        lines.append(text.append(f"{found['similar_metric_id']} ")
                     .append(found["similar_label"], "bold"))
        lines.append(Text(f"        {found['reason']}", style="dim"))
        lines.append(Text(f"        {found['accept']}"))
    if len(suggestions) > len(shown):
        lines.append(Text(f"  and {len(suggestions) - len(shown)} more (--json lists them all)"))
    return lines


def history_line(event: dict[str, Any]) -> str:
    """One decision in words: its number (for `metrics undo`), when, what, on which
    metrics, how many figures."""
    sides, moment = event["figures"], f"#{event['decision_id']}  {when(event['made_at'])}"
    if event["kind"] == "undo":
        return (f"{moment}  undid decision #{event['undoes']} (a {event['undone_kind']}, "
                f"{counted(sides.get('undone', 0), 'figure')})")
    if event["kind"] == "merge":
        return (f"{moment}  merged {event['metric_id']} ({counted(sides.get('a', 0), 'figure')})"
                f" and {event['other_id']} ({counted(sides.get('b', 0), 'figure')})")
    if event["kind"] == "split":
        return (f"{moment}  split {counted(sides.get('moved', 0), 'figure')} of "
                f"{event['metric_id']} into {event['other_id']} ({sides.get('kept', 0):,} kept)")
    return f"{moment}  label of {event['metric_id']} set to “{event['label']}”"
