"""The translation cache: English glosses of segments, keyed by (text sha256, src, tgt,
model, model version), and the questions the translate stage (flows/translation.py) asks it.

The cache is checked in SQL, so a run with nothing new reads no text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb

from warehouse import store

_PENDING = """
WITH wanted AS (
    SELECT s.doc_id, s.seg_no, s.text_sha256, s.language, s.start, s."end", m.model
    FROM segments s JOIN _translate_models m ON m.src = s.language
    ANTI JOIN translations t
        ON t.text_sha256 = s.text_sha256 AND t.src = s.language AND t.tgt = 'en'
       AND t.model = m.model AND t.model_version IS NOT DISTINCT FROM m.version
    WHERE s.kind <> 'artifact' AND s.doc_id IN (SELECT doc_id FROM current_documents)
    QUALIFY row_number() OVER (PARTITION BY s.text_sha256, s.language
                               ORDER BY s.doc_id, s.seg_no) = 1)
SELECT w.text_sha256, w.language, substring(d.text, w.start + 1, w."end" - w.start),
       (w.text_sha256, w.language, w.model) IN
           (SELECT (text_sha256, src, model) FROM translations WHERE tgt = 'en') AS stale
FROM wanted w JOIN documents d USING (doc_id)
ORDER BY w.doc_id, w.seg_no
"""


def segment_languages(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every non-English language of a (non-artifact) segment of the current documents."""
    return {row[0] for row in con.execute(
        "SELECT DISTINCT s.language FROM segments s JOIN current_documents d USING (doc_id)"
        " WHERE s.language IS NOT NULL AND s.language <> 'en' AND s.kind <> 'artifact'"
    ).fetchall()}


def pending_segments(con: duckdb.DuckDBPyConnection,
                     models: Mapping[str, tuple[str, str | None]]
                     ) -> list[tuple[str, str, str, bool]]:
    """(text sha256, language, text, stale) of each distinct segment of the current documents
    in a language of `models` (language -> the model and version now used for it) that the
    cache lacks for that model and version, in document order; stale: the cache holds it
    from another version of that model."""
    rows = [{"src": lang, "model": model, "version": version}
            for lang, (model, version) in models.items()]
    con.execute("CREATE OR REPLACE TEMP TABLE _translate_models"
                " (src VARCHAR, model VARCHAR, version VARCHAR)")
    try:
        store.insert_rows(con, "_translate_models", rows)
        # The segment's text is cut out in SQL (substring counts code points, as Python
        # slices do): fetching the whole document per segment costs gigabytes on big corpora.
        found = con.execute(_PENDING).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _translate_models")
    return [(sha, lang, text, bool(stale)) for sha, lang, text, stale in found]


def save(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]],
         stale: list[tuple[str, str, str]]) -> None:
    """Store new glosses (or why a segment has none) in one transaction, first dropping the
    entries they replace: (text sha256, src, model) cached from another model version."""
    with store.transaction(con):
        for sha, lang, model in stale:
            con.execute("DELETE FROM translations WHERE text_sha256 = ? AND src = ? AND tgt = 'en'"
                        " AND model = ?", [sha, lang, model])
        store.insert_rows(con, "translations", rows)
