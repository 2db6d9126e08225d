"""The extract stage's tables: which documents are still to be mined, and a mined batch's
language, segments, observations and extraction records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from warehouse.store import insert_rows


def documents_to_mine(con: duckdb.DuckDBPyConnection, extractor_version: str
                      ) -> list[tuple[str, str, str, str | None, int | None, str | None]]:
    """Current documents of finished runs not yet mined by this extractor version, by
    source: (doc_id, source_id, text, declared_language, survey_year, population)."""
    return con.execute(
        "SELECT d.doc_id, d.source_id, d.text, s.declared_language, s.survey_year,"
        " s.population"
        " FROM documents d JOIN sources s USING (source_id)"
        " WHERE d.superseded_by IS NULL"
        "   AND d.run_id IN (SELECT run_id FROM finished_runs)"
        "   AND d.doc_id NOT IN (SELECT doc_id FROM extractions WHERE extractor_version = ?)"
        " ORDER BY d.source_id", [extractor_version]).fetchall()


def any_to_mine(con: duckdb.DuckDBPyConnection, extractor_version: str) -> bool:
    """Whether a current document is not yet mined by this extractor version (no document
    text is read)."""
    found = con.execute(
        "SELECT count(*) FROM current_documents"
        " WHERE doc_id NOT IN (SELECT doc_id FROM extractions WHERE extractor_version = ?)",
        [extractor_version]).fetchone()
    return bool(found and found[0])


def replace_analyses(con: duckdb.DuckDBPyConnection, languages: Sequence[dict[str, Any]],
                     segments: Sequence[dict[str, Any]], observations: Sequence[dict[str, Any]],
                     extractions: Sequence[dict[str, Any]]) -> None:
    """Store one mined batch in bulk statements (a few per batch, not a few per document):
    each document's language (`languages`: doc_id, language, confidence, mismatch), and its
    segments, observations and extraction record instead of any it had."""
    doc_ids = [row["doc_id"] for row in languages]
    for table in ("observations", "segments", "extractions"):
        con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest(?))", [doc_ids])
    con.execute(
        "UPDATE documents SET language = new.language, language_confidence = new.confidence,"
        " language_mismatch = new.mismatch"
        " FROM (SELECT unnest(?) AS doc_id, unnest(?) AS language, unnest(?::DOUBLE[])"
        "       AS confidence, unnest(?::BOOLEAN[]) AS mismatch) AS new"
        " WHERE documents.doc_id = new.doc_id",
        [doc_ids, [row["language"] for row in languages],
         [row["confidence"] for row in languages], [row["mismatch"] for row in languages]])
    insert_rows(con, "segments", segments)
    insert_rows(con, "observations", observations)
    insert_rows(con, "extractions", extractions)
