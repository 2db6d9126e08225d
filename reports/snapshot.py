"""The data snapshot: what the report pages show, read once from the warehouse.

The pages are generated from this JSON, so the same snapshot renders the
same pages through Quarto or through the pandoc + typst fallback, on any
machine. Its size grows with documents and metrics, not with figures: each
point of a series keeps its first few figures, and the provenance pages read
every figure from the warehouse, one page of sources at a time
(`observation_rows`). Only rows of finished runs and current document
versions are read (the warehouse's ``current_*`` views).

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

SNAPSHOT_FILE = "snapshot.json"
SNAPSHOT_SCHEMA = 2  # 2: a few figures per point; observations_by_run
TARGET_LANGUAGE = "en"
# the command flows/models.py offers (`polystat models install --help`)
INSTALL_HINT = "polystat models install --from-index {src}"

SHOWN_PER_POINT = 5  # figures listed under a chart for one year (the rest: provenance pages)
SHOWN_PER_CONFLICT = 8  # quotes shown for one conflict (two per value at most)

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
    """What the pages show. Its size grows with the documents and metrics, never with the
    figures: each point and conflict keeps a few of its figures (the provenance pages
    read the rest straight from the warehouse, one source at a time)."""
    runs = _rows(con, "SELECT run_id, flow, flow_run_id, started_at, finished_at, status,"
                      " code_version FROM runs ORDER BY started_at, run_id")
    finished = [r for r in runs if r["status"] in ("completed", "partial")]
    documents = _documents(con)
    series = _series(con)
    conflicts = _conflicts(con)
    shown = {i for s in series for p in s["points"] for i in p["obs_ids"]}
    shown |= {i for c in conflicts for i in c["obs_ids"]}
    observations = observation_rows(con, "o.obs_id IN (SELECT unnest(?))", [sorted(shown)])
    run = finished[-1] if finished else None
    return {
        "schema": SNAPSHOT_SCHEMA,
        "run": run,
        "problems": _problems(con, run["run_id"]) if run else [],
        "runs": runs,
        "corpus": _corpus_counts(con, documents, series, conflicts),
        "observations_by_run": dict(con.execute(
            "SELECT run_id, count(*) FROM current_observations GROUP BY run_id ORDER BY run_id"
        ).fetchall()),
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


def _problems(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Row]:
    """The files the shown run refused (severity `error`) and the duplicates it stored once
    (`warning`), as `polystat export rejects` lists them."""
    return _rows(con, """
        SELECT path, problem, coalesce(severity, 'error') AS severity FROM rejects
        WHERE run_id = ? ORDER BY severity = 'warning', path, problem""", [run_id])


def _documents(con: duckdb.DuckDBPyConnection) -> list[Row]:
    documents = _rows(con, """
        SELECT d.doc_id, d.source_id, d.file_name, d.encoding, d.n_bytes,
               d.language AS detected_language, d.language_confidence,
               s.title, s.publisher, s.url, s.published, s.edition, s.survey_year,
               s.declared_language, coalesce(s.in_manifest, false) AS in_manifest, d.run_id,
               d.format, s.path, s.author,
               (SELECT count(*) FROM current_observations o WHERE o.doc_id = d.doc_id)
                   AS n_statistics
        FROM current_documents d LEFT JOIN sources s USING (source_id)
        ORDER BY d.source_id, d.doc_id""")
    _add_coverage(con, documents)
    return documents


# the English translation a reader is shown for a segment: a translated row beats an
# untranslated one, a newer run beats an older one (only finished runs count)
_TRANSLATIONS = f"""
    SELECT * FROM (
        SELECT t.text_sha256, t.src, t.engine, t.model, t.model_version, t.translated,
               t.status, t.reason, t.numbers_preserved,
               row_number() OVER (PARTITION BY t.text_sha256, t.src
                                  ORDER BY (t.status = 'translated') DESC, r.started_at DESC,
                                           t.engine DESC, t.model DESC) AS nth
        FROM translations t LEFT JOIN runs r USING (run_id)
        WHERE t.tgt = '{TARGET_LANGUAGE}' AND t.run_id IN (SELECT run_id FROM finished_runs))
    WHERE nth = 1"""


def _coverage_rows(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Per current document and language: its non-English sentences, how many of them have
    an English translation, and why the others have none."""
    return _rows(con, f"""
        WITH t AS ({_TRANSLATIONS})
        SELECT s.doc_id, s.language, count(*) AS total,
               count(*) FILTER (WHERE t.status = 'translated' AND t.translated <> '') AS done,
               max(t.reason) FILTER (WHERE t.reason IS NOT NULL
                                     AND NOT (t.status = 'translated' AND t.translated <> ''))
                   AS reason
        FROM segments s JOIN current_documents d USING (doc_id)
        LEFT JOIN t ON t.text_sha256 = s.text_sha256 AND t.src = s.language
        WHERE s.kind <> 'artifact' AND s.language IS NOT NULL AND s.language <> ?
        GROUP BY s.doc_id, s.language ORDER BY s.doc_id, s.language""", [TARGET_LANGUAGE])


def _add_coverage(con: duckdb.DuckDBPyConnection, documents: list[Row]) -> None:
    """Per document: how many non-English segments have an English translation, what is missing."""
    rows = _coverage_rows(con)
    per_doc: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
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


def observation_sql(where: str) -> str:
    """The query behind `observation_rows`: current observations matching `where`."""
    return f"""
        WITH t AS ({_TRANSLATIONS}),
             link AS (SELECT obs_id, arg_max(metric_id, score) AS metric_id
                      FROM metric_observations GROUP BY obs_id)
        SELECT o.obs_id, o.doc_id, d.source_id, o.seg_no, o.start, o."end", o.surface, o.value,
               o.unit, o.qualifier, o.population, o.year, o.year_basis, o.claim, o.claim_start,
               o.claim_end, o.rule, o.extractor_version, o.run_id, r.started_at AS run_started,
               r.flow_run_id, link.metric_id, m.label AS metric,
               page_of(d.page_starts, o.start) AS page,
               coalesce(s.language, d.language) AS language, s.language AS segment_language,
               t.translated, t.status AS translation_status, t.engine, t.model,
               t.model_version, t.numbers_preserved
        FROM current_observations o
        JOIN current_documents d USING (doc_id)
        LEFT JOIN runs r ON r.run_id = o.run_id
        LEFT JOIN link USING (obs_id)
        LEFT JOIN metrics m ON m.metric_id = link.metric_id
        LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no
        LEFT JOIN t ON t.text_sha256 = s.text_sha256 AND t.src = s.language
        WHERE {where}"""


def observation_rows(con: duckdb.DuckDBPyConnection, where: str, params: list[Any]
                     ) -> list[Row]:
    """Current observations matching `where` (SQL on alias o, d: bound parameters only),
    with source, metric, page, the language shown and the English translation."""
    rows = _rows(con, observation_sql(where) + """
        ORDER BY d.source_id, o.start, o."end", o.obs_id""", params)
    for row in rows:
        translated = (row["segment_language"] not in (None, TARGET_LANGUAGE)
                      and row["translation_status"] == "translated" and row["translated"])
        row["translation"] = {
            "text": row["translated"], "engine": row["engine"], "model": row["model"],
            "model_version": row["model_version"],
            "numbers_preserved": row["numbers_preserved"]} if translated else None
        for key in ("segment_language", "translated", "translation_status", "engine", "model",
                    "model_version", "numbers_preserved"):
            del row[key]
    return rows


# Everything a row shows, without its long texts: the claim and the surface are cut from
# the document's immutable text (doc_id is the sha256 of its bytes) at claim_start/_end
# and start/end, and a translation enters as its md5; so DuckDB never reads the claims.
_SHOWN = ("obs_id", "start", '"end"', "claim_start", "claim_end", "value", "unit", "qualifier",
          "population", "year", "year_basis", "rule", "extractor_version", "run_id",
          "run_started", "flow_run_id", "metric_id", "metric", "page", "language",
          "segment_language", "translation_status", "md5(q.translated)", "engine", "model",
          "model_version", "numbers_preserved")


def observation_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per current document, a digest of what its `observation_rows` show: equal digests
    mean the document's figures would be shown exactly as before."""
    shown = ", ".join(f"coalesce(CAST({column if '(' in column else 'q.' + column} AS VARCHAR),"
                      " chr(0))" for column in _SHOWN)
    return dict(con.execute(f"""
        SELECT q.doc_id, md5(string_agg(md5(concat_ws(chr(31), {shown})), ','
                                        ORDER BY q.start, q."end", q.obs_id))
        FROM ({observation_sql("true")}) q GROUP BY q.doc_id""").fetchall())


def _series(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """One entry per metric: its points by year, each with its first figures (by source)."""
    rows = _rows(con, f"""
        WITH member AS (
            SELECT m.metric_id, m.label AS metric, m.unit, m.label_source, o.year, o.obs_id,
                   o.value,
                   o.qualifier, o.doc_id, d.source_id,
                   row_number() OVER (PARTITION BY m.metric_id, o.year
                                      ORDER BY d.source_id, o.start, o.obs_id) AS nth
            FROM metrics m
            JOIN metric_observations mo USING (metric_id)
            JOIN current_observations o USING (obs_id)
            JOIN current_documents d USING (doc_id)
            WHERE o.year IS NOT NULL)
        SELECT metric_id, metric, unit, label_source, year,
               coalesce(median(value) FILTER (WHERE qualifier = 'exact'), median(value))
                   AS series_value,
               count(*) FILTER (WHERE qualifier = 'exact') AS n_exact,
               min(value) FILTER (WHERE qualifier = 'exact') AS exact_min,
               max(value) FILTER (WHERE qualifier = 'exact') AS exact_max,
               min(value) AS min_value, max(value) AS max_value,
               list(DISTINCT qualifier ORDER BY qualifier) AS qualifiers,
               count(*) AS n_observations, count(DISTINCT doc_id) AS n_documents,
               list(obs_id ORDER BY nth) FILTER (WHERE nth <= {SHOWN_PER_POINT}) AS obs_ids,
               list(DISTINCT source_id ORDER BY source_id) AS all_sources
        FROM member GROUP BY metric_id, metric, unit, label_source, year
        ORDER BY metric, metric_id, year""")
    metrics: dict[str, Row] = {}
    for row in rows:
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
    return list(metrics.values())


def _conflicts(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each conflict with its first figures of every value (by source), at most a few."""
    rows = _rows(con, 'SELECT metric_id, metric, year, study, "values", obs_ids, scope,'
                      " linked_by FROM conflicts ORDER BY metric, metric_id, year, study")
    figures: dict[tuple[str, Any, Any], list[Row]] = defaultdict(list)
    for figure in _rows(con, """
            WITH member AS (SELECT metric_id, year, study, unnest(obs_ids) AS obs_id
                            FROM conflicts)
            SELECT m.metric_id, m.year, m.study, o.obs_id, o.value, o.unit
            FROM member m JOIN current_observations o USING (obs_id)
            JOIN current_documents d USING (doc_id)
            ORDER BY m.metric_id, m.year, d.source_id, o.start, o.obs_id"""):
        figures[(figure["metric_id"], figure["year"], figure["study"])].append(figure)
    for row in rows:
        found = figures[(row["metric_id"], row["year"], row["study"])]
        per_value: dict[float, list[str]] = defaultdict(list)
        for figure in found:
            per_value[figure["value"]].append(figure["obs_id"])
        shown = [ids[:2] for ids in per_value.values()]
        row["obs_ids"] = [i for ids in shown for i in ids][:SHOWN_PER_CONFLICT]
        row["n_observations"] = len(found)
        row["unit"] = found[0]["unit"] if found else None
    return rows


def _corpus_counts(con: duckdb.DuckDBPyConnection, documents: list[Row], series: list[Row],
                   conflicts: list[Row]) -> dict[str, Any]:
    languages: dict[str, int] = defaultdict(int)
    for doc in documents:
        languages[doc["detected_language"] or doc["declared_language"] or "unknown"] += 1
    found = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE obs_id IN"
        "        (SELECT obs_id FROM metric_observations))"
        " FROM current_observations").fetchone() or (0, 0)
    return {
        "documents": len(documents),
        "languages": dict(sorted(languages.items())),
        "observations": int(found[0]),
        "linked_observations": int(found[1]),
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
    found = con.execute(
        "SELECT (SELECT count(*) FROM current_documents),"
        " (SELECT count(*) FROM current_observations),"
        " (SELECT count(DISTINCT m.metric_id) FROM metrics m"
        "  JOIN metric_observations mo USING (metric_id)"
        "  JOIN current_observations o USING (obs_id) WHERE o.year IS NOT NULL),"
        " (SELECT count(*) FROM conflicts)").fetchone() or (0, 0, 0, 0)
    coverage = _coverage_rows(con)
    return {"documents": int(found[0]), "observations": int(found[1]),
            "metrics": int(found[2]), "conflicts": int(found[3]),
            "translated_segments": sum(int(r["done"]) for r in coverage),
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
    old_points = _points(previous)
    new_figures, changed_figures = [], []
    for key, point in _points(current).items():
        before = old_points.get(key)
        if before is None:
            new_figures.append(point)
        elif abs(before["value"] - point["value"]) > 1e-9:
            changed_figures.append({**point, "previous_value": before["value"]})
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
