"""The reads behind the reports: everything `reports/` shows comes from these functions.

Only rows of finished runs and current document versions are read (the ``current_*``
views). Each function returns plain rows (dicts); how they are grouped and worded for
a page is up to `reports/`, which never runs SQL of its own and never writes.
"""

from __future__ import annotations

from typing import Any

import duckdb

Row = dict[str, Any]
TARGET_LANGUAGE = "en"  # the language the reports show translations in

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


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Row]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


# --------------------------------------------------------------------------- runs and files


def runs(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every run, oldest first, whatever its status."""
    return _rows(con, "SELECT run_id, flow, flow_run_id, started_at, finished_at, status,"
                      " code_version FROM runs ORDER BY started_at, run_id")


def run_problems(con: duckdb.DuckDBPyConnection, run_id: str) -> list[Row]:
    """The files a run refused (severity `error`) and the duplicates it stored once
    (`warning`), as `polystat export rejects` lists them."""
    return _rows(con, """
        SELECT path, problem, coalesce(severity, 'error') AS severity FROM rejects
        WHERE run_id = ? ORDER BY severity = 'warning', path, problem""", [run_id])


def documents(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each current document with its source's metadata and its number of statistics."""
    return _rows(con, """
        SELECT d.doc_id, d.source_id, d.file_name, d.encoding, d.n_bytes,
               d.language AS detected_language, d.language_confidence,
               s.title, s.publisher, s.url, s.published, s.edition, s.survey_year,
               s.declared_language, coalesce(s.in_manifest, false) AS in_manifest, d.run_id,
               d.format, s.path, s.author,
               (SELECT count(*) FROM current_observations o WHERE o.doc_id = d.doc_id)
                   AS n_statistics
        FROM current_documents d LEFT JOIN sources s USING (source_id)
        ORDER BY d.source_id, d.doc_id""")


def translation_coverage(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Per current document and segment language other than the target: how many
    segments (`total`), how many have a translation (`done`), and why some have none."""
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


# --------------------------------------------------------------------------- observations


def _observations_sql(where: str) -> str:
    """Current observations matching `where` (a condition of this module, never a caller's),
    with source, metric, page, the language shown and the translation."""
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


_IN_ORDER = """
        ORDER BY d.source_id, o.start, o."end", o.obs_id"""


def observations_by_id(con: duckdb.DuckDBPyConnection, obs_ids: list[str]) -> list[Row]:
    """The current observations with these ids, in source and text order; each with its
    segment's language (`segment_language`) and translation (`translated`,
    `translation_status`, `engine`, `model`, `model_version`, `numbers_preserved`)."""
    return _rows(con, _observations_sql("o.obs_id IN (SELECT unnest(?))") + _IN_ORDER,
                 [obs_ids])


def observations_of_documents(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> list[Row]:
    """Every current observation of these documents, as `observations_by_id` gives them."""
    return _rows(con, _observations_sql("d.doc_id IN (SELECT unnest(?))") + _IN_ORDER,
                 [doc_ids])


# Everything a row shows, without its long texts: the claim and the surface are cut from
# the document's immutable text (doc_id is the sha256 of its bytes) at claim_start/_end
# and start/end, and a translation enters as its md5; so DuckDB never reads the claims.
_SHOWN = ("obs_id", "start", '"end"', "claim_start", "claim_end", "value", "unit", "qualifier",
          "population", "year", "year_basis", "rule", "extractor_version", "run_id",
          "run_started", "flow_run_id", "metric_id", "metric", "page", "language",
          "segment_language", "translation_status", "md5(q.translated)", "engine", "model",
          "model_version", "numbers_preserved")


def observation_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per current document, a digest of what its observations show (`observations_of_documents`):
    equal digests mean the document's figures would be shown exactly as before."""
    shown = ", ".join(f"coalesce(CAST({column if '(' in column else 'q.' + column} AS VARCHAR),"
                      " chr(0))" for column in _SHOWN)
    return dict(con.execute(f"""
        SELECT q.doc_id, md5(string_agg(md5(concat_ws(chr(31), {shown})), ','
                                        ORDER BY q.start, q."end", q.obs_id))
        FROM ({_observations_sql("true")}) q GROUP BY q.doc_id""").fetchall())


def observations_by_run(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """How many current observations each run extracted."""
    return dict(con.execute(
        "SELECT run_id, count(*) FROM current_observations GROUP BY run_id ORDER BY run_id"
    ).fetchall())


def observation_counts(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """(current observations, those linked to a metric)."""
    found = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE obs_id IN"
        "        (SELECT obs_id FROM metric_observations))"
        " FROM current_observations").fetchone() or (0, 0)
    return int(found[0]), int(found[1])


def corpus_totals(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counted without reading any rows: current documents and statistics, metrics with
    figures for some year (those `series_points` returns), and conflicts."""
    found = con.execute(
        "SELECT (SELECT count(*) FROM current_documents),"
        " (SELECT count(*) FROM current_observations),"
        " (SELECT count(DISTINCT m.metric_id) FROM metrics m"
        "  JOIN metric_observations mo USING (metric_id)"
        "  JOIN current_observations o USING (obs_id) WHERE o.year IS NOT NULL),"
        " (SELECT count(*) FROM conflicts)").fetchone() or (0, 0, 0, 0)
    return {"documents": int(found[0]), "observations": int(found[1]),
            "metrics": int(found[2]), "conflicts": int(found[3])}


# --------------------------------------------------------------------------- metrics


def series_points(con: duckdb.DuckDBPyConnection, shown_per_point: int) -> list[Row]:
    """One row per metric and year (with the metric's `label_source`; 'sample' for sample
    sizes): the agreed value, the spread, the qualifiers, counts,
    every source (`all_sources`) and the first `shown_per_point` figures (`obs_ids`, by
    source and position). Ordered by metric label, metric and year."""
    return _rows(con, """
        WITH member AS (
            SELECT m.metric_id, m.label AS metric, m.unit, m.label_source, o.year, o.obs_id,
                   o.value, o.qualifier, o.doc_id, d.source_id,
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
               list(obs_id ORDER BY nth) FILTER (WHERE nth <= ?) AS obs_ids,
               list(DISTINCT source_id ORDER BY source_id) AS all_sources
        FROM member GROUP BY metric_id, metric, unit, label_source, year
        ORDER BY metric, metric_id, year""", [shown_per_point])


def metric_curation(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Metrics analysts curated (`polystat metrics`): when each was last merged, split
    out and labelled (dates; None: never), by metric id."""
    return _rows(con, "SELECT metric_id, CAST(merged_at AS DATE) AS merged,"
                      " CAST(split_at AS DATE) AS split, CAST(label_set_at AS DATE) AS label_set"
                      " FROM metric_curation ORDER BY metric_id")


def study_points(con: duckdb.DuckDBPyConnection, shown_studies: int) -> list[Row]:
    """For each metric whose figures come from two or more studies (studies measuring
    alike: never a conflict), one row per study and year for its `shown_studies` studies
    with the most sources (then the most years, the latest year, the first by name; the
    first is the metric's main study): the study (`claims.study`), the agreed value
    (median of exact figures, else of all), its sources, the study's rank and the
    metric's number of studies. Ordered by metric, rank and year."""
    return _rows(con, """
        WITH member AS (
            SELECT mo.metric_id, c.study, o.year, o.value, o.qualifier, d.source_id
            FROM metric_observations mo
            JOIN current_observations o USING (obs_id)
            JOIN current_documents d USING (doc_id)
            JOIN claims c USING (obs_id)
            WHERE o.year IS NOT NULL AND c.study IS NOT NULL
            QUALIFY count(DISTINCT c.study) OVER (PARTITION BY mo.metric_id) > 1),
        ranked AS (
            SELECT metric_id, study,
                   row_number() OVER (PARTITION BY metric_id
                                      ORDER BY count(DISTINCT source_id) DESC,
                                               count(DISTINCT year) DESC, max(year) DESC,
                                               study) AS study_rank,
                   count(*) OVER (PARTITION BY metric_id) AS n_studies
            FROM member GROUP BY metric_id, study)
        SELECT metric_id, study, study_rank, n_studies, year,
               coalesce(median(value) FILTER (WHERE qualifier = 'exact'), median(value))
                   AS value,
               list(DISTINCT source_id ORDER BY source_id) AS source_ids
        FROM member JOIN ranked USING (metric_id, study)
        WHERE study_rank <= ?
        GROUP BY metric_id, study, study_rank, n_studies, year
        ORDER BY metric_id, study_rank, year""", [shown_studies])


def conflicts(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Each conflict (the `conflicts` view: one per metric, year and study, with its scope
    and why its figures are one metric), ordered by metric label, metric, year and study."""
    return _rows(con, 'SELECT metric_id, metric, year, study, "values", obs_ids, scope,'
                      " linked_by FROM conflicts ORDER BY metric, metric_id, year, study")


def conflict_figures(con: duckdb.DuckDBPyConnection) -> list[Row]:
    """Every figure of every conflict (metric_id, year, study, obs_id, value, unit), per
    conflict by source and position."""
    return _rows(con, """
        WITH member AS (SELECT metric_id, year, study, unnest(obs_ids) AS obs_id
                        FROM conflicts)
        SELECT m.metric_id, m.year, m.study, o.obs_id, o.value, o.unit
        FROM member m JOIN current_observations o USING (obs_id)
        JOIN current_documents d USING (doc_id)
        ORDER BY m.metric_id, m.year, d.source_id, o.start, o.obs_id""")


# --------------------------------------------------------------------------- source pages


def document_texts(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> list[Row]:
    """The decoded text of these current documents and where their pages start (PDF only;
    `page_starts` None otherwise)."""
    return _rows(con, "SELECT doc_id, text, page_starts FROM current_documents"
                      " WHERE doc_id IN (SELECT unnest(?)) ORDER BY doc_id", [doc_ids])


_SEGMENTS = f"""
        WITH t AS ({_TRANSLATIONS})
        SELECT s.doc_id, s.seg_no, s.start, s."end", s.kind, s.language,
               CASE WHEN s.language <> '{TARGET_LANGUAGE}' AND t.status = 'translated'
                    AND t.translated <> '' THEN t.translated END AS gloss
        FROM segments s JOIN current_documents d USING (doc_id)
        LEFT JOIN t ON t.text_sha256 = s.text_sha256 AND t.src = s.language"""


def document_segments(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> list[Row]:
    """Every segment of these current documents in text order: offsets, kind, language and
    the English gloss a reader is shown (`gloss`, None for English or untranslated text)."""
    return _rows(con, _SEGMENTS + ' WHERE s.doc_id IN (SELECT unnest(?))'
                                  ' ORDER BY s.doc_id, s.start, s.seg_no', [doc_ids])


def segment_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per current document, a digest of what `document_segments` gives for it: equal
    digests mean its text is shown cut and glossed exactly as before."""
    return dict(con.execute(f"""
        SELECT q.doc_id, md5(string_agg(concat_ws(chr(31), q.seg_no, q.start, q."end", q.kind,
                                                  coalesce(q.language, chr(0)),
                                                  coalesce(md5(q.gloss), chr(0))), ','
                                        ORDER BY q.start, q.seg_no))
        FROM ({_SEGMENTS}) q GROUP BY q.doc_id""").fetchall())


def link_digests(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Per current document, a digest of how its figures are linked to metrics (metric,
    method, score): with `observation_digests`, everything a row of the statistics download
    holds (the rest of a row never changes for an observation id)."""
    return dict(con.execute("""
        SELECT o.doc_id, md5(string_agg(concat_ws(chr(31), mo.obs_id, mo.metric_id, mo.method,
                                                  mo.score), ',' ORDER BY mo.obs_id, mo.metric_id))
        FROM metric_observations mo JOIN current_observations o USING (obs_id)
        GROUP BY o.doc_id""").fetchall())
