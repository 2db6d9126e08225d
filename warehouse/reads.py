"""Reads for exports, evaluation, `polystat explain` and the pipeline's own questions
(what the last finished run left, what this run added), finished runs only."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from warehouse import curation

_STATISTICS = """
SELECT d.file_name AS doc, o.start, o."end", o.surface, o.value, o.unit, o.qualifier,
       o.population, o.year, o.year_basis, mo.metric_id, m.label AS metric,
       coalesce(s.language, d.language) AS lang, o.claim, t.translated AS claim_en,
       o.obs_id, d.source_id, o.doc_id, o.group_key, o.paraphrase_of, o.concepts, o.rule,
       o.extractor_version, o.run_id, mo.method AS link_method, mo.score AS link_score,
       page_of(d.page_starts, o.start) AS page, d.format
FROM current_observations o
JOIN current_documents d USING (doc_id)
LEFT JOIN segments s ON s.doc_id = o.doc_id AND s.seg_no = o.seg_no
LEFT JOIN metric_observations mo USING (obs_id)
LEFT JOIN metrics m USING (metric_id)
LEFT JOIN translations t ON t.text_sha256 = s.text_sha256 AND t.src = s.language
     AND t.tgt = 'en' AND t.status = 'translated'
WHERE {where}
-- one row per observation: a segment may have several cached translations (the newest
-- model's is kept) and a figure is linked to one metric (the best scored)
QUALIFY row_number() OVER (PARTITION BY o.obs_id
                           ORDER BY t.model_version DESC NULLS LAST, t.engine, t.model,
                                    mo.score DESC NULLS LAST, mo.metric_id) = 1
ORDER BY d.source_id, o.start, o."end", o.obs_id
"""
STATISTICS_SQL = _STATISTICS.format(where="true")
# the same for some documents (the parameter: a list of doc_id)
STATISTICS_OF_DOCUMENTS_SQL = _STATISTICS.format(where="o.doc_id IN (SELECT unnest(?))")


def _records(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
             ) -> list[dict[str, Any]]:
    cursor = con.execute(sql, params or [])
    names = [c[0] for c in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def statistics(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The evaluation export: one record per current observation."""
    return _records(con, STATISTICS_SQL)


def conflicts(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    out = []
    # metric_id last: two metrics may share a label, and the export must not depend on chance.
    for conflict in _records(con, 'SELECT metric_id, metric, year, study, "values", obs_ids,'
                                  " scope, linked_by FROM conflicts"
                                  " ORDER BY metric, year, study, metric_id"):
        observations = _records(con, """
            SELECT o.obs_id, d.file_name AS doc, d.source_id, o.start, o."end", o.surface,
                   o.value, o.qualifier, o.claim AS quote
            FROM current_observations o JOIN current_documents d USING (doc_id)
            WHERE o.obs_id IN (SELECT unnest(?)) ORDER BY o.value, d.source_id, o.start""",
            [conflict["obs_ids"]])
        conflict["observations"] = observations
        del conflict["obs_ids"]
        out.append(conflict)
    return out


def rejects(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Files runs refused (severity `error`) and duplicates they stored once (`warning`)."""
    return _records(con, """
        SELECT r.run_id, r.path, r.problem, r.rejected_at,
               coalesce(r.severity, 'error') AS severity FROM rejects r
        JOIN runs USING (run_id) WHERE runs.status IN ('completed', 'partial', 'failed')
        ORDER BY r.rejected_at, r.path""")


def explain(con: duckdb.DuckDBPyConnection, ident: str, *, members: int | None = None
            ) -> dict[str, Any] | None:
    """Full provenance of an observation or a metric; ids are bound parameters. A metric's
    figures come in reading order (year, file, offset); ``members`` caps how many of them
    carry their full provenance (the counts always cover all)."""
    obs = _records(con, "SELECT obs_id FROM observations WHERE obs_id = ?", [ident])
    if obs:
        return {"kind": "observation", **_explain_observation(con, ident)}
    metric = _records(con, "SELECT * FROM metrics WHERE metric_id = ?", [ident])
    if not metric:
        return None
    linked = _records(con, """
        SELECT mo.obs_id, mo.method, mo.score, o.doc_id FROM metric_observations mo
        LEFT JOIN observations o USING (obs_id) LEFT JOIN documents d USING (doc_id)
        WHERE mo.metric_id = ? ORDER BY o.year NULLS FIRST, d.file_name, o.start, mo.obs_id""",
                      [ident])
    shown = linked if members is None else linked[:members]
    return {"kind": "metric", "metric": metric[0], "curation": curation.of_metric(con, ident),
            "n_observations": len(linked), "n_documents": len({m["doc_id"] for m in linked}),
            "series": _records(con, "SELECT year, value, min_value, max_value, n_observations,"
                                    " n_documents, agreement FROM series WHERE metric_id = ?"
                                    " ORDER BY year", [ident]),
            "observations": [{"obs_id": m["obs_id"], "method": m["method"], "score": m["score"],
                              **_explain_observation(con, m["obs_id"])} for m in shown],
            "possibly_same_as": curation.suggestions(con, ident)}


def _explain_observation(con: duckdb.DuckDBPyConnection, obs_id: str) -> dict[str, Any]:
    obs = _records(con, "SELECT * FROM observations WHERE obs_id = ?", [obs_id])[0]
    doc = _records(con, "SELECT doc_id, source_id, file_name, encoding, n_bytes, language,"
                        " language_confidence, language_mismatch, superseded_by, run_id, format,"
                        " page_of(page_starts, ?) AS page"
                        " FROM documents WHERE doc_id = ?", [obs["start"], obs["doc_id"]])
    source = _records(con, "SELECT * FROM sources WHERE source_id = ?",
                      [doc[0]["source_id"]] if doc else [None])
    segment = _records(con, "SELECT * FROM segments WHERE doc_id = ? AND seg_no = ?",
                       [obs["doc_id"], obs["seg_no"]])
    translation = _records(con, "SELECT src, tgt, engine, model, model_version, status, reason,"
                                " translated, numbers_preserved, numbers_missing, run_id"
                                " FROM translations WHERE text_sha256 = ?",
                           [segment[0]["text_sha256"]] if segment else [None])
    links = _records(con, "SELECT mo.metric_id, m.label, mo.method, mo.score, mo.linker_version,"
                          " c.merged_at, c.split_at, c.label_set_at"
                          " FROM metric_observations mo JOIN metrics m USING (metric_id)"
                          " LEFT JOIN metric_curation c USING (metric_id)"
                          " WHERE obs_id = ?", [obs_id])
    run = _records(con, "SELECT run_id, flow, flow_run_id, started_at, finished_at, status,"
                        " code_version, parameters FROM runs WHERE run_id = ?", [obs["run_id"]])
    for record in run:
        record["parameters"] = json.loads(record["parameters"] or "{}")
    return {"observation": obs, "document": doc[0] if doc else None,
            "source": source[0] if source else None, "segment": segment[0] if segment else None,
            "translations": translation, "metric_links": links, "run": run[0] if run else None}


def current_document_texts(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """file name -> text of every current document (the gold set names files)."""
    return {row[0]: row[1] for row in con.execute(
        "SELECT file_name, text FROM current_documents").fetchall()}


def observations_of_run(con: duckdb.DuckDBPyConnection, run_id: str, limit: int
                        ) -> list[dict[str, Any]]:
    """The figures a run stored (up to `limit`), by source and offset: source, surface,
    value, unit, qualifier, population, year."""
    return _records(con, """
        SELECT d.source_id AS source, o.surface, o.value, o.unit, o.qualifier, o.population,
               o.year
        FROM observations o JOIN documents d USING (doc_id) WHERE o.run_id = ?
        ORDER BY d.source_id, o.start LIMIT ?""", [run_id, limit])


def metric_and_conflict_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many metrics and conflicts the warehouse holds now."""
    found = con.execute("SELECT (SELECT count(*) FROM metrics), (SELECT count(*) FROM conflicts)"
                        ).fetchone() or (0, 0)
    return {"metrics": int(found[0]), "conflicts": int(found[1])}


def previous_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The summary of the latest finished run other than `run_id` ({} if none)."""
    row = con.execute(
        "SELECT summary FROM runs WHERE status IN ('completed', 'partial') AND run_id <> ?"
        " ORDER BY started_at DESC LIMIT 1", [run_id]).fetchone()
    return dict(json.loads(row[0])) if row and row[0] else {}


def run_finished_at(con: duckdb.DuckDBPyConnection, run_id: str | None) -> str | None:
    """When a run finished, as `YYYY-MM-DD HH:MM UTC` (None: no such run)."""
    found = con.execute("SELECT strftime(finished_at, '%Y-%m-%d %H:%M UTC') FROM runs"
                        " WHERE run_id = ?", [run_id]).fetchone()
    return found[0] if found else None
