"""The data snapshot: everything the report pages show, read once from the warehouse.

The pages never query DuckDB; they are generated from this JSON, so the
same snapshot renders the same pages through Quarto or through the
pandoc + typst fallback, on any machine. Only rows of finished runs and
current document versions are read (the warehouse's ``current_*`` views).

The snapshot also records what changed since the previous run, by
comparing with the snapshot file the previous publish left behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb

SNAPSHOT_FILE = "snapshot.json"
SNAPSHOT_SCHEMA = 1
TARGET_LANGUAGE = "en"
# the command flows/models.py offers (`polystat models install --help`)
INSTALL_HINT = "polystat models install --from-index {src}"

log = logging.getLogger(__name__)

Row = dict[str, Any]


def write_snapshot(con: duckdb.DuckDBPyConnection, data_dir: Path) -> dict[str, Any]:
    """Read the warehouse, write ``data_dir/snapshot.json`` and return its content."""
    data_dir = Path(data_dir)
    previous = load_snapshot(data_dir)
    snapshot = read_warehouse(con)
    snapshot["changes"] = changes_since(previous, snapshot)
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / SNAPSHOT_FILE
    partial = target.with_suffix(".json.tmp")
    partial.write_text(json.dumps(snapshot, ensure_ascii=False, indent=1, default=_json_default),
                       encoding="utf-8")
    partial.replace(target)  # readers never see half a snapshot
    return json.loads(target.read_text(encoding="utf-8"))


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
    runs = _rows(con, "SELECT run_id, flow, flow_run_id, started_at, finished_at, status,"
                      " code_version FROM runs ORDER BY started_at, run_id")
    finished = [r for r in runs if r["status"] in ("completed", "partial")]
    documents = _documents(con)
    segments = _segments(con, documents)
    translations = _translations(con)
    observations = _observations(con, segments, translations)
    _add_coverage(documents, segments, translations, observations)
    series = _series(con, observations)
    conflicts = _conflicts(con, observations)
    for doc in documents:
        doc.pop("text")
    return {
        "schema": SNAPSHOT_SCHEMA,
        "run": finished[-1] if finished else None,
        "runs": runs,
        "corpus": _corpus_counts(documents, observations, series, conflicts),
        "documents": documents,
        "observations": observations,
        "series": series,
        "conflicts": conflicts,
    }


# --------------------------------------------------------------------------- reading


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _documents(con: duckdb.DuckDBPyConnection) -> list[Row]:
    return _rows(con, """
        SELECT d.doc_id, d.source_id, d.file_name, d.text, d.encoding, d.n_bytes,
               d.language AS detected_language, d.language_confidence,
               s.title, s.publisher, s.url, s.published, s.edition, s.survey_year,
               s.declared_language, coalesce(s.in_manifest, false) AS in_manifest, d.run_id,
               d.format, s.path, s.author
        FROM current_documents d LEFT JOIN sources s USING (source_id)
        ORDER BY d.source_id, d.doc_id""")


def _segments(con: duckdb.DuckDBPyConnection, documents: list[Row]) -> dict[tuple[str, int], Row]:
    """Segments of current documents, each with the sha256 its translation is cached under."""
    texts = {d["doc_id"]: d["text"] for d in documents}
    language = {d["doc_id"]: d["detected_language"] for d in documents}
    rows = _rows(con, """
        SELECT s.doc_id, s.seg_no, s.start, s."end", s.kind, s.language, s.text_sha256
        FROM segments s JOIN current_documents d USING (doc_id)
        ORDER BY s.doc_id, s.seg_no""")
    found = {}
    for row in rows:
        if row["text_sha256"] is None:  # warehouses from before migration 003
            row["text_sha256"] = _sha256(texts[row["doc_id"]][row["start"]:row["end"]])
        # translation uses the segment's own language only (as flows/translation.py does);
        # readers are shown the document's language where a segment has none
        row["shown_language"] = row["language"] or language.get(row["doc_id"])
        found[(row["doc_id"], row["seg_no"])] = row
    return found


def _translations(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], Row]:
    """(text sha256, source language) -> the newest English translation, or why there is none."""
    rows = _rows(con, """
        SELECT t.text_sha256, t.src, t.engine, t.model, t.model_version, t.translated, t.status,
               t.reason, t.numbers_preserved, t.run_id
        FROM translations t LEFT JOIN runs r USING (run_id)
        WHERE t.tgt = ? AND t.run_id IN (SELECT run_id FROM finished_runs)
        ORDER BY (t.status = 'translated'), r.started_at, t.engine, t.model""",
                 [TARGET_LANGUAGE])
    # later rows win: a translated row beats an untranslated one, newer beats older
    return {(r["text_sha256"], r["src"]): r for r in rows}


def _observations(con: duckdb.DuckDBPyConnection, segments: dict[tuple[str, int], Row],
                  translations: dict[tuple[str, str], Row]) -> list[Row]:
    rows = _rows(con, """
        SELECT o.obs_id, o.doc_id, d.source_id, o.seg_no, o.start, o."end", o.surface, o.value,
               o.unit, o.qualifier, o.population, o.year, o.year_basis, o.claim, o.claim_start,
               o.claim_end, o.rule, o.extractor_version, o.run_id, r.started_at AS run_started,
               r.flow_run_id, link.metric_id, m.label AS metric,
               page_of(d.page_starts, o.start) AS page
        FROM current_observations o
        JOIN current_documents d USING (doc_id)
        LEFT JOIN runs r ON r.run_id = o.run_id
        LEFT JOIN (SELECT obs_id, arg_max(metric_id, score) AS metric_id
                   FROM metric_observations GROUP BY obs_id) link USING (obs_id)
        LEFT JOIN metrics m ON m.metric_id = link.metric_id
        ORDER BY d.source_id, o.start, o."end", o.obs_id""")
    for row in rows:
        segment = segments.get((row["doc_id"], row["seg_no"]))
        row["language"] = segment["shown_language"] if segment else None
        row["translation"] = _translation_of(row, segment, translations)
    return rows


def _translation_of(obs: Row, segment: Row | None, translations: dict[tuple[str, str], Row]
                    ) -> Row | None:
    if segment is None or segment["language"] in (None, TARGET_LANGUAGE):
        return None
    found = translations.get((segment["text_sha256"], segment["language"]))
    if found is None or found["status"] != "translated" or not found["translated"]:
        return None
    return {"text": found["translated"], "engine": found["engine"], "model": found["model"],
            "model_version": found["model_version"],
            "numbers_preserved": found["numbers_preserved"]}


def _add_coverage(documents: list[Row], segments: dict[tuple[str, int], Row],
                  translations: dict[tuple[str, str], Row], observations: list[Row]) -> None:
    """Per document: how many non-English segments have an English translation, what is missing."""
    per_doc: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"total": 0, "translated": 0, "missing": defaultdict(int), "reasons": {}})
    for (doc_id, _), seg in segments.items():
        if seg["kind"] == "artifact" or seg["language"] in (None, TARGET_LANGUAGE):
            continue
        entry = per_doc[doc_id]
        entry["total"] += 1
        found = translations.get((seg["text_sha256"], seg["language"]))
        if found is not None and found["status"] == "translated" and found["translated"]:
            entry["translated"] += 1
            continue
        entry["missing"][seg["language"]] += 1
        if found is not None and found["reason"]:
            entry["reasons"][seg["language"]] = found["reason"]
    counts: dict[str, int] = defaultdict(int)
    for obs in observations:
        counts[obs["doc_id"]] += 1
    for doc in documents:
        entry = per_doc[doc["doc_id"]]
        doc["n_statistics"] = counts[doc["doc_id"]]
        doc["segments_non_english"] = entry["total"]
        doc["segments_translated"] = entry["translated"]
        doc["missing_pairs"] = [
            {"src": src, "tgt": TARGET_LANGUAGE, "segments": n,
             "reason": entry["reasons"].get(src),
             "install": INSTALL_HINT.format(src=src, tgt=TARGET_LANGUAGE)}
            for src, n in sorted(entry["missing"].items())]
        declared, detected = doc["declared_language"], doc["detected_language"]
        doc["language_mismatch"] = bool(declared and detected and declared != detected)


def _series(con: duckdb.DuckDBPyConnection, observations: list[Row]) -> list[Row]:
    """One entry per metric: its points by year, each with the observations behind it."""
    by_id = {o["obs_id"]: o for o in observations}
    rows = _rows(con, """
        SELECT metric_id, metric, unit, year, value, min_value, max_value, n_observations,
               n_documents, obs_ids, agreement
        FROM series ORDER BY metric, metric_id, year""")
    metrics: dict[str, Row] = {}
    for row in rows:
        metric = metrics.setdefault(row["metric_id"], {
            "metric_id": row["metric_id"], "metric": row["metric"], "unit": row["unit"],
            "points": []})
        obs_ids = [i for i in row["obs_ids"] if i in by_id]
        metric["points"].append({
            "year": row["year"], **_agreed(row, [by_id[i] for i in obs_ids]),
            "series_value": row["value"], "n_observations": row["n_observations"],
            "n_documents": row["n_documents"], "agreement": bool(row["agreement"]),
            "obs_ids": obs_ids,
            "source_ids": sorted({by_id[i]["source_id"] for i in obs_ids}),
        })
    return list(metrics.values())


def _agreed(row: Row, observations: list[Row]) -> Row:
    """The value a reader is shown for one metric and year.

    The series view takes the median of every value, qualified or not; when
    exact figures exist the page shows their median instead, so "less than
    half" next to "48 %" reads 48 %, never an invented 49 %.
    """
    exact = sorted(o["value"] for o in observations if o["qualifier"] == "exact")
    if exact:
        middle = len(exact) // 2
        value = exact[middle] if len(exact) % 2 else (exact[middle - 1] + exact[middle]) / 2
        return {"value": value, "min": exact[0], "max": exact[-1], "qualifier": "exact"}
    qualifiers = sorted({o["qualifier"] for o in observations})
    return {"value": row["value"], "min": row["min_value"], "max": row["max_value"],
            "qualifier": qualifiers[0] if len(qualifiers) == 1 else "mixed"}


def _conflicts(con: duckdb.DuckDBPyConnection, observations: list[Row]) -> list[Row]:
    by_id = {o["obs_id"]: o for o in observations}
    rows = _rows(con, 'SELECT metric_id, metric, year, "values", obs_ids FROM conflicts'
                      " ORDER BY metric, metric_id, year")
    for row in rows:
        row["obs_ids"] = [i for i in row["obs_ids"] if i in by_id]
        row["unit"] = by_id[row["obs_ids"][0]]["unit"] if row["obs_ids"] else None
    return rows


def _corpus_counts(documents: list[Row], observations: list[Row], series: list[Row],
                   conflicts: list[Row]) -> dict[str, Any]:
    languages: dict[str, int] = defaultdict(int)
    for doc in documents:
        languages[doc["detected_language"] or doc["declared_language"] or "unknown"] += 1
    return {
        "documents": len(documents),
        "languages": dict(sorted(languages.items())),
        "observations": len(observations),
        "linked_observations": sum(1 for o in observations if o["metric_id"]),
        "metrics": len(series),
        "trend_metrics": sum(1 for s in series if len({p["year"] for p in s["points"]}) >= 2),
        "conflicts": len(conflicts),
        "translated_segments": sum(d["segments_translated"] for d in documents),
        "non_english_segments": sum(d["segments_non_english"] for d in documents),
    }


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
                "new_observations": len(current["observations"])}
    old_docs = {d["doc_id"]: d for d in previous.get("documents", [])}
    old_sources = {d["source_id"]: d for d in old_docs.values()}
    new_docs = [d for d in current["documents"] if d["doc_id"] not in old_docs]
    current_ids = {d["doc_id"] for d in current["documents"]}
    current_sources = {d["source_id"] for d in current["documents"]}
    old_points = _points(previous)
    new_figures, changed_figures = [], []
    for key, point in _points(current).items():
        before = old_points.get(key)
        if before is None:
            new_figures.append(point)
        elif abs(before["value"] - point["value"]) > 1e-9:
            changed_figures.append({**point, "previous_value": before["value"]})
    old_obs = {o["obs_id"] for o in previous.get("observations", [])}
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
        "new_observations": sum(1 for o in current["observations"] if o["obs_id"] not in old_obs),
    }


def _doc_ref(doc: Row) -> Row:
    return {"doc_id": doc["doc_id"], "source_id": doc["source_id"], "title": doc.get("title")}


def _points(snapshot: dict[str, Any]) -> dict[tuple[str, int], Row]:
    return {(s["metric_id"], p["year"]): {"metric_id": s["metric_id"], "metric": s["metric"],
                                          "unit": s["unit"], "year": p["year"],
                                          "value": p["value"], "qualifier": p["qualifier"]}
            for s in snapshot.get("series", []) for p in s["points"]}


# --------------------------------------------------------------------------- helpers


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
