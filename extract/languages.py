"""The supported languages: a language is a folder in extract/lang/ (or in the user's
POLYSTAT_LEXICON_DIR), and nothing else in the code lists languages.

Besides its vocabulary, a folder's ``language.toml`` says what the rest of polystat
needs to know about the language as a whole: its name in the reports, the letters that
give a short segment away (a heading in Han characters is Chinese whatever the detector
says), which langdetect profiles recognise it, and how its text is cased and spaced.
extract/lang/README.md describes the keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from extract import lexicon
from extract.lexicon_models import LanguageTable, ScriptTable


def supported() -> tuple[str, ...]:
    """Codes of every language folder, built in or in POLYSTAT_LEXICON_DIR, sorted."""
    roots = [lexicon.LANG_DIR]
    user = lexicon.user_dir()
    if user is not None and user.is_dir():
        roots.append(user)
    return tuple(sorted({folder.name for root in roots for folder in root.iterdir()
                         if folder.is_dir() and not folder.name.startswith((".", "_"))}))


# --------------------------------------------------------------------------- language.toml


@dataclass(frozen=True)
class ScriptHint:
    """Letters that point at one language when a segment is too short for the detector."""

    language: str
    letters: re.Pattern[str]
    confidence: float  # a fixed prior for the decision, not a calibrated probability
    min_letters: int  # fewer may be stray symbols (unless the segment has no other letters)
    overrules_detector: float | None  # share of a long segment's letters that overrules it
    shared_letters: re.Pattern[str] | None  # letters other languages use too ...
    shared_with: tuple[str, ...]  # ... namely these: in their documents the letters say nothing


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    langdetect: tuple[str, ...]  # langdetect profiles that recognise it (none: it cannot)
    lowercase: dict[str, str]  # upper -> lower case where str.lower() gets it wrong
    spaces_between_words: bool
    script: ScriptHint | None


def info(code: str) -> Language:
    """What polystat knows about a language; a code without a folder gets plain defaults
    (its code as name, the langdetect profile of the same name, no script hints)."""
    user = lexicon.user_dir()
    return _info(code, str(user) if user else None)


@lru_cache(maxsize=64)
def _info(code: str, user_dir: str | None) -> Language:  # user_dir: a cache key only
    if code not in supported():
        return Language(code, code, (code,), {}, True, None)
    where = " + ".join(str(path) for path in _language_files(code)) or str(
        _folder_of(code) / "language.toml")
    raw = lexicon.load(code).get("language")
    if not isinstance(raw, dict) or "name" not in raw:
        raise lexicon.LexiconError(
            f"{where}: missing, or its [language] table has no name; every language folder "
            "needs one with at least name = \"...\" (extract/lang/README.md, 'Adding a "
            "language')")
    try:
        table = LanguageTable.model_validate(raw)
    except ValidationError as exc:
        raise lexicon.LexiconError(f"{where}: " + "; ".join(
            _problem(error) for error in exc.errors())) from None
    return Language(
        code=code, name=table.name or code,
        langdetect=tuple(table.langdetect) if table.langdetect is not None else (code,),
        lowercase=dict(table.lowercase), spaces_between_words=table.spaces_between_words,
        script=_script_hint(code, where, table.script) if table.script else None)


def _folder_of(code: str) -> Path:
    user = lexicon.user_dir()
    builtin = lexicon.LANG_DIR / code
    return builtin if builtin.is_dir() or user is None else user / code


def _language_files(code: str) -> list[Path]:
    """The language.toml files of `code`, built in and the user's (merged in this order)."""
    user = lexicon.user_dir()
    roots = [lexicon.LANG_DIR] + ([user] if user is not None else [])
    return [root / code / "language.toml" for root in roots
            if (root / code / "language.toml").is_file()]


def _problem(error: Any) -> str:
    where = "[language" + "".join(f".{part}" for part in error["loc"][:-1]) + "]"
    key = error["loc"][-1] if error["loc"] else "?"
    if error["type"] == "extra_forbidden":
        return f"{where} unknown key `{key}` (extract/lang/README.md lists the keys)"
    return f"{where} `{key}` = {error.get('input')!r}: {error['msg']}"


def _script_hint(code: str, where: str, table: ScriptTable) -> ScriptHint:
    try:
        letters = re.compile(table.letters)
        shared = re.compile(table.shared_letters) if table.shared_letters else None
    except re.error as exc:
        raise lexicon.LexiconError(
            f"{where}: [language.script] not a valid regular expression ({exc}); write the "
            f"letters as a character class such as \"[äß]\"") from None
    return ScriptHint(code, letters, table.confidence, table.min_letters,
                      table.overrules_detector, shared, tuple(table.shared_with))


def name(code: str) -> str:
    """The language's English name (its code when it has no folder)."""
    return info(code).name


def fold(text: str, code: str) -> str:
    """Lower case the way the language does (Turkish I/ı and İ/i differ)."""
    for upper, lower in info(code).lowercase.items():
        text = text.replace(upper, lower)
    return text.lower()
