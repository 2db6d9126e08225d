"""The translate stage's warehouse side: which segments need an English gloss,
the cache (text sha256, src, tgt, engine, model), and untranslated records."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from extract import translate as tr
from flows import settings
from warehouse import store

NO_MODEL = "none"


@dataclass
class TranslateOutcome:
    translated: int = 0
    untranslated: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # "de->en" -> how to install


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


def _pending_segments(con: duckdb.DuckDBPyConnection,
                      installed: Mapping[tuple[str, str], tuple[str, str | None]]
                      ) -> tuple[list[tuple[str, str, str, bool]], set[str]]:
    """(text sha256, language, text, stale) of each distinct non-English segment of the
    current documents that the cache lacks for the model now installed for its language
    (stale: cached from another version of that model), and every non-English language
    seen. The cache is checked in SQL, so a run with nothing new reads no text."""
    languages = {row[0] for row in con.execute(
        "SELECT DISTINCT s.language FROM segments s JOIN current_documents d USING (doc_id)"
        " WHERE s.language IS NOT NULL AND s.language <> 'en' AND s.kind <> 'artifact'"
    ).fetchall()}
    chosen = {lang: installed.get((lang, "en"), (NO_MODEL, None)) for lang in sorted(languages)}
    models = [{"src": lang, "model": model, "version": version}
              for lang, (model, version) in chosen.items()]
    con.execute("CREATE OR REPLACE TEMP TABLE _translate_models"
                " (src VARCHAR, model VARCHAR, version VARCHAR)")
    try:
        store.insert_rows(con, "_translate_models", models)
        # The segment's text is cut out in SQL (substring counts code points, as Python
        # slices do): fetching the whole document per segment costs gigabytes on big corpora.
        rows = con.execute(_PENDING).fetchall()
    finally:
        con.execute("DROP TABLE IF EXISTS _translate_models")
    return [(sha, lang, text, bool(stale)) for sha, lang, text, stale in rows], languages


def translate_pending(con: duckdb.DuckDBPyConnection, run_id: str) -> TranslateOutcome:
    models_dir = settings.get("models_dir")
    tr.configure_argos(Path(models_dir) if models_dir else None, None)
    installed = {(src, tgt): (name, version) for src, tgt, name, version in tr.installed_pairs()}
    outcome = TranslateOutcome()
    rows = []
    stale: list[tuple[str, str, str]] = []
    pending, languages = _pending_segments(con, installed)
    for lang in sorted(lang for lang in languages if (lang, "en") not in installed):
        outcome.missing[f"{lang}->en"] = (
            f"Install one with `polystat models install --from-index {lang}` (online) or "
            "`polystat models install FILE.argosmodel`.")
    for sha, lang, text, is_stale in pending:
        model, version = installed.get((lang, "en"), (NO_MODEL, None))
        if is_stale:
            stale.append((sha, lang, model))
        row: dict[str, Any] = {
            "text_sha256": sha, "src": lang, "tgt": "en", "engine": tr.ENGINE, "model": model,
            "model_version": version, "source_text": text, "translated": None,
            "status": "untranslated", "reason": None, "numbers_preserved": None,
            "numbers_missing": None, "run_id": run_id}
        if model == NO_MODEL:
            row["reason"] = f"no argostranslate model for {lang}->en installed"
            outcome.untranslated += 1
        else:
            try:
                result = tr.translate(text, lang, "en")
            except tr.TranslationUnavailable as exc:
                row["reason"] = str(exc)
                outcome.untranslated += 1
            else:
                preserved, missing = tr.check_numbers(text, result.translated, lang)
                row.update(translated=result.translated, status="translated",
                           model=result.model, model_version=result.model_version,
                           numbers_preserved=preserved, numbers_missing=json.dumps(missing))
                outcome.translated += 1
        rows.append(row)
    with store.transaction(con):
        for sha, lang, model in stale:
            con.execute("DELETE FROM translations WHERE text_sha256 = ? AND src = ? AND tgt = 'en'"
                        " AND model = ?", [sha, lang, model])
        store.insert_rows(con, "translations", rows)
    return outcome
