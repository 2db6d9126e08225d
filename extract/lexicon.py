"""The one loader for per-language vocabulary kept as data.

Each language has a folder ``extract/lang/<code>/`` whose TOML files are
merged into one mapping. Users extend a language by adding keys or files
there (or in a folder named by ``POLYSTAT_LEXICON_DIR``), never by editing code.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

LANG_DIR = Path(__file__).parent / "lang"


class LexiconError(ValueError):
    """A language data file is missing, does not parse, or holds a key or value its kind
    does not allow (extract/lexicon_models.py)."""


def user_dir() -> Path | None:
    """The user's folder of extra language data (POLYSTAT_LEXICON_DIR), if one is set."""
    named = os.environ.get("POLYSTAT_LEXICON_DIR")
    return Path(named) if named else None


def has_language(lang: str) -> bool:
    """Whether `lang` has a data folder (here or in POLYSTAT_LEXICON_DIR)."""
    return bool(_folders(lang))


def _merge(into: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key] = into[key] + value
        else:
            into[key] = value


def _folders(lang: str) -> list[Path]:
    folders = [LANG_DIR / lang]
    user = user_dir()
    if user is not None:
        folders.append(user / lang)
    return [f for f in folders if f.is_dir()]


@cache
def load(lang: str) -> dict[str, Any]:
    """All vocabulary of one language, merged from its TOML files."""
    folders = _folders(lang)
    if not folders:
        raise LexiconError(f"no language data for {lang!r} under {LANG_DIR}")
    from extract.lexicon_models import problems  # pydantic: loaded when a language is

    merged: dict[str, Any] = {}
    found: list[str] = []  # every problem of every file, not just the first one
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise LexiconError(f"{path}: {exc}") from exc
            found += problems(path, data)
            _merge(merged, data)
    if found:
        raise LexiconError("\n".join(found))
    return merged


@cache
def data_fingerprint() -> str:
    """A short hash of every language data file: vocabulary changes re-mine documents."""
    from extract.languages import supported  # languages.py builds on this module

    digest = hashlib.sha256()
    for lang in supported():
        for folder in _folders(lang):
            for path in sorted(folder.glob("*.toml")):
                digest.update(path.name.encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:10]
