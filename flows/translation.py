"""The translate stage: an English gloss for each non-English segment the cache lacks.

Its three places: this module decides what to translate and with which model, and
records why a segment stays untranslated; extract/translate.py runs the model and checks
the figures; warehouse/translations.py holds the cache, keyed by (text sha256, src, tgt,
model, model version). argos is set up by flows/models.py.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from extract import translate as tr
from flows import models
from warehouse import translations

NO_MODEL = "none"


@dataclass
class TranslateOutcome:
    translated: int = 0
    untranslated: int = 0
    missing: dict[str, str] = field(default_factory=dict)  # "de->en" -> how to install


def _pending_segments(con: duckdb.DuckDBPyConnection,
                      installed: Mapping[tuple[str, str], tuple[str, str | None]]
                      ) -> tuple[list[tuple[str, str, str, bool]], set[str]]:
    """(text sha256, language, text, stale) of each distinct non-English segment of the
    current documents that the cache lacks for the model now installed for its language
    (stale: cached from another version of that model), and every non-English language
    seen. A language without a model is asked for under NO_MODEL: its segments are stored
    once as untranslated, with the reason."""
    languages = translations.segment_languages(con)
    chosen = {lang: installed.get((lang, "en"), (NO_MODEL, None)) for lang in sorted(languages)}
    return translations.pending_segments(con, chosen), languages


def translate_pending(con: duckdb.DuckDBPyConnection, run_id: str) -> TranslateOutcome:
    """Gloss what the cache lacks with the installed models and store it, with the figures
    checked; a segment without a usable model is stored as untranslated, saying why."""
    argos = models.configured_argos()
    installed = {(src, tgt): (name, version)
                 for src, tgt, name, version in tr.installed_pairs(argos)}
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
                result = tr.translate(argos, text, lang, "en")
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
    translations.save(con, rows, stale)
    return outcome
