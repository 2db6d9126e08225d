"""The Conflicts page: each metric and year whose exact values differ between sources,
with the original sentences quoted."""

from __future__ import annotations

from reports.markup import counted, format_value, language_name, md_text, slug
from reports.pages.catalogue import Catalogue
from reports.pages.common import BREAK, Row, change_words, curation_note, label, sentence


def conflicts_md(c: Catalogue) -> str:
    conflicts = c.snapshot["conflicts"]
    if not conflicts:
        return "No conflicts: where sources give the same metric for the same year, they agree."
    within = sum(1 for conflict in conflicts if _within_one_source(conflict))
    blocks = [f"{counted(len(conflicts), 'conflict')}: the same metric, year and study with exact "
              "values that differ by more than one unit, "
              f"{within:,} within one source that restates a figure and "
              f"{len(conflicts) - within:,} between sources. Qualified figures "
              "(\"more than half\"), verbal glosses and other studies never conflict. Each quote "
              "is the original sentence with the figure highlighted, and its English "
              "translation where there is one."]
    for conflict in conflicts:
        blocks.append(_conflict_block(c, conflict))
    return BREAK.join(blocks)


def _conflict_block(c: Catalogue, conflict: Row) -> str:
    unit = conflict.get("unit") or "count"
    values = [format_value(v, unit) for v in conflict["values"]]
    spread = change_words(min(conflict["values"]), max(conflict["values"]), unit)
    spread = spread.lstrip(", ").lstrip("+")
    anchor = slug(f"{conflict['metric_id']}-{conflict['year']}", "conflict")
    where = "within one source" if _within_one_source(conflict) else "between sources"
    parts = [f"## {label(conflict['metric'])}, {conflict['year']}, {where} "
             f"{{#conflict-{anchor}}}",
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
    "predicates": "the same claim of the study in another language (what is measured, "
                  "read through the concept lexicon)",
    "translation": "the same claim in another language (its English translation)",
    "sample": "sample sizes",
}


def _within_one_source(conflict: Row) -> bool:
    """The conflicts view's scope (migration 022): 'within source' or 'between sources'."""
    return conflict.get("scope") == "within source"


def _conflict_scope(conflict: Row) -> str:
    """Whether a source contradicts itself or sources contradict each other, and why the
    figures are taken for one metric."""
    scope = ("One source gives two values" if _within_one_source(conflict)
             else "Sources disagree")
    study = f" (study: {conflict['study']})" if conflict.get("study") else ""
    linked_by = conflict.get("linked_by") or ()
    reasons = [LINK_REASONS.get(m, m) for m in linked_by if m not in ("single", "analyst")]
    why = f" One metric because of {_and_list(reasons)}." if reasons else ""
    if "analyst" in linked_by:  # the analyst said they are one (`polystat metrics merge`)
        note = curation_note(conflict)
        why += f" Linked by: analyst{f' ({note})' if note else ''}."
    return f"{scope}{study}.{why}"


def _quote(c: Catalogue, obs: Row) -> str:
    value = format_value(obs["value"], obs["unit"], obs["qualifier"])
    page = c.page_link(obs)
    lines = [f"**{value}** — {c.cite(obs['source_id'])}, {page + ', ' if page else ''}"
             f"{language_name(obs['language'])}, "
             f"[characters {obs['start']:,}–{obs['end']:,}]({c.figure_link(obs)})",
             sentence(obs)]
    if obs.get("translation"):
        lines.append(f"English (machine translation): {md_text(obs['translation']['text'])}")
    return "\n>\n".join(f"> {line}" for line in lines)


def _and_list(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
