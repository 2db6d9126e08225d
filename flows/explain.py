"""The short, human form of `polystat explain`: what a figure or a metric is and where it
comes from. A pure function of the record `warehouse.reads.explain` returns.

Lines are rich `Text` objects built with `append`, never parsed as markup, so brackets in
sentences, titles or file names print as they are.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from flows.metrics_view import curation_lines, curation_notes, line, number, suggestion_lines

MEMBERS_SHOWN = 10


def summary(record: dict[str, Any]) -> list[Text]:
    if record["kind"] == "metric":
        return _metric(record)
    return _observation(record)


def _figure(obs: dict[str, Any]) -> str:
    year = f"{obs['year']} ({obs['year_basis']})" if obs.get("year") is not None else "unknown"
    return (f"{number(obs['value'])} {obs['unit']}, {obs['qualifier']}; population: "
            f"{obs.get('population') or 'not stated'}; year: {year}")


def _marked_sentence(obs: dict[str, Any]) -> Text:
    """The sentence with the figure bold and between » «, so the mark survives a pipe."""
    claim = obs["claim"]
    start, end = obs["start"] - obs["claim_start"], obs["end"] - obs["claim_start"]
    if not (0 <= start < end <= len(claim)):  # an old row whose offsets do not fit: say so
        return line("sentence", claim, (" (figure not located in it)", "dim"))
    return line("sentence", claim[:start], (f"»{claim[start:end]}«", "bold reverse"),
                 claim[end:])


def _source(document: dict[str, Any] | None, source: dict[str, Any] | None) -> list[Text]:
    if document is None:
        return [line("source", ("document not in the warehouse", "red"))]
    title = (source or {}).get("title")
    lines = [line("source", document["file_name"], *([" — ", title] if title else []))]
    if document.get("page") is not None:
        lines.append(line("page", str(document["page"])))
    return lines


def _run(run: dict[str, Any] | None, run_id: str) -> Text:
    if run is None:
        return line("run", run_id)
    finished = f", finished {str(run['finished_at'])[:19]}" if run.get("finished_at") else ""
    return line("run", run_id, f" ({run['status']}{finished})")


def _observation(record: dict[str, Any]) -> list[Text]:
    obs = record["observation"]
    lines = [line("figure", (obs["surface"], "bold"), f"  = {_figure(obs)}"),
             _marked_sentence(obs)]
    english = [t["translated"] for t in record["translations"]
               if t["status"] == "translated" and t["tgt"] == "en" and t["translated"]]
    if english:
        lines.append(line("english", english[0]))
    lines += _source(record["document"], record["source"])
    links = record["metric_links"]
    lines += [line("metric", link["metric_id"], "  ", link["label"],
                    *_curated(link)) for link in links] or [
        line("metric", ("not linked to a metric", "dim"))]
    lines += [_run(record["run"], obs["run_id"]), line("id", obs["obs_id"])]
    return lines


def _curated(metric: dict[str, Any]) -> list[tuple[str, str]]:
    """` (merged by analyst on …; label set by analyst on …)` when an analyst curated it."""
    notes = curation_notes(metric)
    return [(f" ({'; '.join(notes)})", "italic")] if notes else []


def _member(member: dict[str, Any]) -> Text:
    obs, document = member["observation"], member["document"] or {}
    year = obs["year"] if obs.get("year") is not None else "----"
    return Text("  ").append(f"{year}  ").append(obs["surface"], "bold").append(
        f"  ({number(obs['value'])} {obs['unit']})  {document.get('file_name', '?')}  "
        f"{obs['obs_id']}")


def _year_point(point: dict[str, Any]) -> str:
    low, high = point["min_value"], point["max_value"]
    values = number(low) if low == high else f"{number(low)}–{number(high)}"
    return f"{point['year']}: {values}{'' if point['agreement'] else ' (conflict)'}"


def _metric(record: dict[str, Any]) -> list[Text]:
    metric, members, total = record["metric"], record["observations"], record["n_observations"]
    documents = record["n_documents"]
    lines = [line("metric", (metric["label"], "bold")),
             line("unit", f"{metric['unit']}; population: "
                           f"{metric.get('population') or 'not stated'}"),
             line("years", "; ".join(map(_year_point, record["series"])) or "none known"),
             *curation_lines(record.get("curation") or {"history": []}),
             line("figures", f"{total} in {documents} document{'' if documents == 1 else 's'}"
                              ":")]
    lines += [_member(m) for m in members[:MEMBERS_SHOWN]]
    if total > MEMBERS_SHOWN:
        lines.append(Text(f"  and {total - MEMBERS_SHOWN} more (--json lists them all)"))
    lines += suggestion_lines(record.get("possibly_same_as") or [])
    lines += [_run(None, metric["run_id"]), line("id", metric["metric_id"])]
    if record.get("page"):  # the Trends page's block or row of the metric (flows/cli.py)
        lines.append(line("report", record["page"]))
    return lines
