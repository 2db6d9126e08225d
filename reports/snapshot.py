"""The data snapshot: what the report pages show, read once from the warehouse.

The pages are generated from this JSON, so the same snapshot renders the
same pages through Quarto or through the pandoc + typst fallback, on any
machine. Its size grows with documents and metrics, not with figures: each
point of a series keeps its first few figures, and the provenance pages read
every figure from the warehouse, one page of sources at a time. Every read is a
function of ``warehouse/report_reads.py`` (only rows of finished runs and current
document versions); this module shapes what they return and runs no SQL.

The snapshot also records what changed since the previous run, by
comparing with the snapshot file the previous publish left behind.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

from warehouse import report_reads
from warehouse.report_reads import TARGET_LANGUAGE

SNAPSHOT_FILE = "snapshot.json"
OTHER_STUDIES_SHOWN = 5  # studies listed beside a trend besides its main one
SNAPSHOT_SCHEMA = 2  # 2: a few figures per point; observations_by_run
# the command flows/models.py offers (`polystat models install --help`)
INSTALL_HINT = "polystat models install --from-index {src}"

SHOWN_PER_POINT = 5  # figures listed under a chart for one year (the rest: provenance pages)
SHOWN_PER_CONFLICT = 8  # quotes shown for one conflict (two per value at most)

log = logging.getLogger(__name__)

Row = dict[str, Any]


def write_snapshot(con: duckdb.DuckDBPyConnection, data_dir: Path) -> dict[str, Any]:
    """Read the warehouse, write ``data_dir/snapshot.json`` and return its content.

    The file is published with the site, so a document's `path` in it is the file as the
    sources folder names it (its source id), never where it lies on this machine (issue 19,
    item 10). The returned content keeps the local path: the pages link a figure to its
    page of the local PDF."""
    data_dir = Path(data_dir)
    previous = load_snapshot(data_dir)
    snapshot = read_warehouse(con)
    snapshot["changes"] = changes_since(previous, snapshot)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / SNAPSHOT_FILE
    partial = target.with_suffix(".json.tmp")
    local_paths = {d["source_id"]: d.get("path") for d in snapshot["documents"]}
    published = {**snapshot, "documents": [{**d, "path": d["source_id"]}
                                           for d in snapshot["documents"]]}
    partial.write_text(json.dumps(published, ensure_ascii=False, indent=1, default=_json_default),
                       encoding="utf-8")
    partial.replace(target)  # readers never see half a snapshot
    written = json.loads(target.read_text(encoding="utf-8"))
    for document in written["documents"]:
        document["path"] = local_paths[document["source_id"]]
    return dict(written)


def load_snapshot(data_dir: Path) -> dict[str, Any] | None:
    """The snapshot a previous publish wrote, or None (absent, unreadable or another schema)."""
    path = Path(data_dir) / SNAPSHOT_FILE
    if not path.exists():
        return None
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s: previous snapshot unreadable (%s); treating this run as the first", path,
                    exc)
        return None
    if not isinstance(loaded, dict) or loaded.get("schema") != SNAPSHOT_SCHEMA:
        return None
    return loaded


def read_warehouse(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the pages show. Its size grows with the documents and metrics, never with the
    figures: each point and conflict keeps a few of its figures (the provenance pages
    read the rest straight from the warehouse, one source at a time)."""
    runs = report_reads.runs(con)
    finished = [r for r in runs if r["status"] in ("completed", "partial")]
    documents = _documents(con)
    series = _series(con)
    conflicts = _conflicts(con)
    _add_curation(report_reads.metric_curation(con), series + conflicts)
    shown = {i for s in series for p in s["points"] for i in p["obs_ids"]}
    shown |= {i for c in conflicts for i in c["obs_ids"]}
    observations = shown_observations(report_reads.observations_by_id(con, sorted(shown)))
    run = finished[-1] if finished else None
    return {
        "schema": SNAPSHOT_SCHEMA,
        "run": run,
        "problems": report_reads.run_problems(con, run["run_id"]) if run else [],
        "runs": runs,
        "corpus": _corpus_counts(con, documents, series, conflicts),
        "observations_by_run": report_reads.observations_by_run(con),
        "documents": documents,
        "observations": observations,
        "series": series,
        "conflicts": conflicts,
    }


# --------------------------------------------------------------------------- shaping


def _documents(con: duckdb.DuckDBPyConnection) -> list[Row]:
    documents = report_reads.documents(con)
    _add_coverage(report_reads.translation_coverage(con), documents)
    return documents


def _add_coverage(coverage: list[Row], documents: list[Row]) -> None:
    """Per document: how many non-English segments have an English translation, what is missing."""
    per_doc: dict[str, list[Row]] = defaultdict(list)
    for row in coverage:
        per_doc[row["doc_id"]].append(row)
    for doc in documents:
        found = per_doc.get(doc["doc_id"], [])
        doc["segments_non_english"] = sum(r["total"] for r in found)
        doc["segments_translated"] = sum(r["done"] for r in found)
        doc["missing_pairs"] = [
            {"src": r["language"], "tgt": TARGET_LANGUAGE, "segments": r["total"] - r["done"],
             "reason": r["reason"],
             "install": INSTALL_HINT.format(src=r["language"], tgt=TARGET_LANGUAGE)}
            for r in found if r["total"] > r["done"]]
        declared, detected = doc["declared_language"], doc["detected_language"]
        doc["language_mismatch"] = bool(declared and detected and declared != detected)


_TRANSLATION_COLUMNS = ("segment_language", "translated", "translation_status", "engine",
                        "model", "model_version", "numbers_preserved")


def shown_observations(rows: list[Row]) -> list[Row]:
    """Observations as the pages show them (from `warehouse.report_reads`): the English
    translation as one entry, None where the sentence is English or has none."""
    for row in rows:
        translated = (row["segment_language"] not in (None, TARGET_LANGUAGE)
                      and row["translation_status"] == "translated" and row["translated"])
        row["translation"] = {
            "text": row["translated"], "engine": row["engine"], "model": row["model"],
            "model_version": row["model_version"],
            "numbers_preserved": row["numbers_preserved"]} if translated else None
        for key in _TRANSLATION_COLUMNS:
            del row[key]
    return rows


def _series(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """One entry per metric: its points by year, each with its first figures (by source)."""
    metrics: dict[str, Row] = {}
    for row in report_reads.series_points(con, SHOWN_PER_POINT):
        metric = metrics.setdefault(row["metric_id"], {
            "metric_id": row["metric_id"], "metric": row["metric"], "unit": row["unit"],
            "sample": row["label_source"] == "sample",  # sample sizes: per source, no trend
            "points": [], "source_ids": set()})
        sources = row["all_sources"]
        metric["source_ids"].update(sources)
        exact = row["n_exact"] > 0
        qualifiers = row["qualifiers"]
        metric["points"].append({
            "year": row["year"], "value": row["series_value"],
            "min": row["exact_min"] if exact else row["min_value"],
            "max": row["exact_max"] if exact else row["max_value"],
            "qualifier": "exact" if exact else (qualifiers[0] if len(qualifiers) == 1
                                                else "mixed"),
            "series_value": row["series_value"], "n_observations": row["n_observations"],
            "n_documents": row["n_documents"],
            "agreement": not exact or row["exact_max"] - row["exact_min"] <= 1.0,
            "obs_ids": row["obs_ids"] or [],
            "source_ids": sources[:SHOWN_PER_POINT], "n_sources": len(sources),
        })
    for metric in metrics.values():
        metric["n_sources"] = len(metric.pop("source_ids"))
    _add_other_studies(con, metrics)
    return list(metrics.values())


def _add_curation(curated: list[Row], rows: list[Row]) -> None:
    """Each series or conflict of a metric an analyst curated gets `curation`: the dates
    (ISO) it was merged, split and labelled by an analyst, those that apply."""
    by_metric = {row["metric_id"]: {key: str(row[key]) for key in ("merged", "split",
                                                                    "label_set") if row[key]}
                 for row in curated}
    for row in rows:
        found = by_metric.get(row["metric_id"])
        if found:
            row["curation"] = found


def _add_other_studies(con: duckdb.DuckDBPyConnection, metrics: dict[str, Row]) -> None:
    """A metric measured alike by two or more studies: its main study is the one with the
    most sources (then the most years, the latest year, the first by name); a few others
    are listed beside its trend as `other_studies` (study, points by year), never
    compared for conflicts; `n_other_studies` counts them all."""
    for row in report_reads.study_points(con, OTHER_STUDIES_SHOWN + 1):
        metric = metrics.get(row["metric_id"])
        if metric is None:
            continue
        point = {"year": row["year"], "value": row["value"], "source_ids": row["source_ids"]}
        if row["study_rank"] == 1:
            metric["main_study"] = row["study"]
            metric["n_other_studies"] = row["n_studies"] - 1
            continue
        others = metric.setdefault("other_studies", [])
        if not others or others[-1]["study"] != row["study"]:
            others.append({"study": row["study"], "points": []})
        others[-1]["points"].append(point)


def _conflicts(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each conflict with its first figures of every value (by source), at most a few."""
    rows = report_reads.conflicts(con)
    figures: dict[tuple[str, Any, Any], list[Row]] = defaultdict(list)
    for figure in report_reads.conflict_figures(con):
        figures[(figure["metric_id"], figure["year"], figure["study"])].append(figure)
    for row in rows:
        found = figures[(row["metric_id"], row["year"], row["study"])]
        per_value: dict[float, list[str]] = defaultdict(list)
        for figure in found:
            per_value[figure["value"]].append(figure["obs_id"])
        shown = [ids[:2] for ids in per_value.values()]
        row["all_obs_ids"] = row["obs_ids"]  # the downloads list them all
        row["obs_ids"] = [i for ids in shown for i in ids][:SHOWN_PER_CONFLICT]
        row["n_observations"] = len(found)
        row["unit"] = found[0]["unit"] if found else None
    return rows


def _corpus_counts(con: duckdb.DuckDBPyConnection, documents: list[Row], series: list[Row],
                   conflicts: list[Row]) -> dict[str, Any]:
    languages: dict[str, int] = defaultdict(int)
    for doc in documents:
        languages[doc["detected_language"] or doc["declared_language"] or "unknown"] += 1
    observations, linked = report_reads.observation_counts(con)
    return {
        "documents": len(documents),
        "languages": dict(sorted(languages.items())),
        "observations": observations,
        "linked_observations": linked,
        "metrics": len(series),
        "trend_metrics": sum(1 for s in series if len({p["year"] for p in s["points"]}) >= 2),
        "conflicts": len(conflicts),
        "translated_segments": sum(d["segments_translated"] for d in documents),
        "non_english_segments": sum(d["segments_non_english"] for d in documents),
    }


def corpus_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """The Overview's numbers without building a snapshot (the run summary prints them):
    current documents and statistics, metrics with figures for some year (the series),
    conflicts, and non-English sentences with an English translation out of all of them.
    tests/test_cli_run.py checks that they are the snapshot's."""
    return {**report_reads.corpus_totals(con), **translation_totals(con)}


def translation_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Non-English sentences with an English translation, and all of them (the translate
    stage prints these alone: the other totals, conflicts above all, cost a second at
    10,000 documents and change in the stages after it)."""
    coverage = report_reads.translation_coverage(con)
    return {"translated_segments": sum(int(r["done"]) for r in coverage),
            "non_english_segments": sum(int(r["total"]) for r in coverage)}


# --------------------------------------------------------------------------- changes


def changes_since(previous: dict[str, Any] | None, current: dict[str, Any]) -> dict[str, Any]:
    """New documents and new or changed figures since the run of the previous snapshot.

    Publishing the same run twice keeps the comparison with the run before it,
    so a re-render does not wipe out "what changed".
    """
    current_run = (current.get("run") or {}).get("run_id")
    if previous is not None and (previous.get("run") or {}).get("run_id") == current_run:
        kept = previous.get("changes")
        if isinstance(kept, dict):
            return kept
    if previous is None:
        return {"first_snapshot": True, "previous_run": None,
                "new_documents": [_doc_ref(d) for d in current["documents"]],
                "updated_documents": [], "removed_documents": [],
                "new_figures": [], "changed_figures": [],
                "new_observations": current["corpus"]["observations"]}
    old_docs = {d["doc_id"]: d for d in previous.get("documents", [])}
    old_sources = {d["source_id"]: d for d in old_docs.values()}
    new_docs = [d for d in current["documents"] if d["doc_id"] not in old_docs]
    current_ids = {d["doc_id"] for d in current["documents"]}
    current_sources = {d["source_id"] for d in current["documents"]}
    old_points, new_points = _points(previous), _points(current)
    new_figures, changed_figures = [], []
    for key, point in new_points.items():
        before = old_points.get(key)
        if before is None:
            new_figures.append(point)
        elif abs(before["value"] - point["value"]) > 1e-9:
            changed_figures.append({**point, "previous_value": before["value"]})
    old_metrics = {metric_id for metric_id, _ in old_points}
    current_metrics = {metric_id for metric_id, _ in new_points}
    new_metrics = sorted(current_metrics - old_metrics)
    removed_figures = [point for key, point in old_points.items() if key not in new_points]
    old_runs = {r["run_id"] for r in previous.get("runs", [])}
    return {
        "first_snapshot": False,
        "previous_run": (previous.get("run") or {}).get("run_id"),
        "new_documents": [_doc_ref(d) for d in new_docs if d["source_id"] not in old_sources],
        "updated_documents": [_doc_ref(d) for d in new_docs if d["source_id"] in old_sources],
        "removed_documents": [_doc_ref(d) for d in old_docs.values()
                              if d["doc_id"] not in current_ids
                              and d["source_id"] not in current_sources],
        "new_figures": new_figures,
        "changed_figures": changed_figures,
        "removed_figures": removed_figures,  # years a metric no longer has a figure for
        "new_metrics": new_metrics,
        "removed_metrics": sorted(old_metrics - current_metrics),
        "new_observations": sum(n for run_id, n in current["observations_by_run"].items()
                                if run_id not in old_runs),
    }


def _doc_ref(doc: Row) -> Row:
    return {"doc_id": doc["doc_id"], "source_id": doc["source_id"], "title": doc.get("title")}


def _points(snapshot: dict[str, Any]) -> dict[tuple[str, int], Row]:
    return {(s["metric_id"], p["year"]): {"metric_id": s["metric_id"], "metric": s["metric"],
                                          "unit": s["unit"], "year": p["year"],
                                          "value": p["value"], "qualifier": p["qualifier"]}
            for s in snapshot.get("series", []) for p in s["points"]}


# --------------------------------------------------------------------------- helpers


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
