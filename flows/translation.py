"""The translate stage's warehouse side: which segments need an English gloss,
the cache (text sha256, src, tgt, engine, model), and untranslated records."""

from __future__ import annotations

import json
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


def _pending_segments(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(text sha256, language, text) of every distinct non-English segment of current documents."""
    rows = con.execute(
        # The segment's text is cut out in SQL (substring counts code points, as Python
        # slices do): fetching the whole document per segment costs gigabytes on big corpora.
        "SELECT s.text_sha256, s.language, substring(d.text, s.start + 1, s.\"end\" - s.start)"
        " FROM segments s JOIN current_documents d USING (doc_id)"
        " WHERE s.language IS NOT NULL AND s.language <> 'en' AND s.kind <> 'artifact'"
        " ORDER BY s.doc_id, s.seg_no").fetchall()
    seen: set[tuple[str, str]] = set()
    pending = []
    for sha, lang, text in rows:
        if (sha, lang) not in seen:
            seen.add((sha, lang))
            pending.append((sha, lang, text))
    return pending


def _cached(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str, str], str | None]:
    """Model version of every cached key; a new version of a model translates anew."""
    return {(r[0], r[1], r[2]): r[3] for r in con.execute(
        "SELECT text_sha256, src, model, model_version FROM translations WHERE tgt = 'en'"
    ).fetchall()}


def translate_pending(con: duckdb.DuckDBPyConnection, run_id: str) -> TranslateOutcome:
    models_dir = settings.get("models_dir")
    tr.configure_argos(Path(models_dir) if models_dir else None, None)
    installed = {(src, tgt): (name, version) for src, tgt, name, version in tr.installed_pairs()}
    cached = _cached(con)
    outcome = TranslateOutcome()
    rows = []
    stale: list[tuple[str, str, str]] = []
    pending = _pending_segments(con)
    for lang in sorted({lang for _, lang, _ in pending if (lang, "en") not in installed}):
        outcome.missing[f"{lang}->en"] = (
            f"Install one with `polystat models install --from-index {lang}` (online) or "
            "`polystat models install FILE.argosmodel`.")
    for sha, lang, text in pending:
        model, version = installed.get((lang, "en"), (NO_MODEL, None))
        key = (sha, lang, model)
        if key in cached and cached[key] == version:
            continue
        if key in cached:
            stale.append(key)
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
        cached[key] = version
    with store.transaction(con):
        for sha, lang, model in stale:
            con.execute("DELETE FROM translations WHERE text_sha256 = ? AND src = ? AND tgt = 'en'"
                        " AND model = ?", [sha, lang, model])
        store.insert_rows(con, "translations", rows)
    return outcome
