"""English glosses of non-English segments with argostranslate, offline.

A translation is a gloss for readers, never the source of a number: every
figure keeps coming from the original text, and ``check_numbers`` records
whether the gloss kept the figures of its source.

Why this module drives argostranslate itself instead of calling
``argostranslate.translate.translate``:

- that call raises ``AttributeError`` deep inside argos when no package is
  installed; here the installed packages are checked first and a missing pair
  raises ``TranslationUnavailable`` that says how to install one;
- argos splits sentences before translating, and its splitters reach the
  network (MiniSBD downloads a model on first use, Stanza asks for its
  resources).  polystat already hands over one segment (a sentence, heading or
  list item) at a time, so the text goes to argos's own
  ``apply_packaged_translation`` as a single sentence and nothing is fetched.

argostranslate reads its settings when first imported; ``configure_argos``
sets them (and re-targets an already imported argos) so that packages and
caches live where polystat is told to keep them.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extract.lexicon import LexiconError
from extract.numbers import NumberGrammar, grammar

ENGINE = "argostranslate"
IDENTITY_MODEL = "identity"

# argos picks its sentence splitter from this setting at import; SPACY would
# download a spaCy model right then.  polystat never uses argos's splitters.
_SAFE_CHUNK_TYPE = "MINISBD"
_ARGOS_LOGGERS = ("argostranslate", "argostranslate.utils", "stanza", "minisbd")

_translators: dict[tuple[str, str], Any] = {}
# Package objects hold the loaded tokenizer: reuse them while their folder is unchanged.
_packages: dict[tuple[str, int], Any] = {}


class TranslationUnavailable(Exception):
    """No usable model for a language pair; the message says how to get one."""

    def __init__(self, pair: tuple[str, str], reason: str) -> None:
        self.pair = pair
        self.reason = reason
        super().__init__(f"{pair[0]}->{pair[1]}: {reason}. {install_hint(pair[0], pair[1])}")


def install_hint(src: str, tgt: str = "en") -> str:
    """One sentence telling a user how to install a model for src->tgt."""
    if tgt != "en":
        return (f"Install an argostranslate {src}->{tgt} package with "
                "`polystat models install FILE.argosmodel`.")
    return (f"Install one with `polystat models install --from-index {src}` (online) "
            "or `polystat models install FILE.argosmodel`.")


@dataclass(frozen=True)
class Translation:
    translated: str
    engine: str
    model: str
    model_version: str


# --------------------------------------------------------------------------- argos set-up


def configure_argos(packages_dir: Path | None, cache_dir: Path | None) -> None:
    """Point argostranslate at `packages_dir` and keep its data/config/cache under `cache_dir`.

    None leaves that part at argos's defaults (under the home directory).  Safe to call
    repeatedly; when argos is already imported its settings are re-targeted in place.
    """
    os.environ["ARGOS_CHUNK_TYPE"] = _SAFE_CHUNK_TYPE
    os.environ.setdefault("ARGOS_DEBUG", "0")
    if packages_dir is not None:
        os.environ["ARGOS_PACKAGES_DIR"] = str(packages_dir)
    if cache_dir is not None:
        for name, sub in _xdg_dirs(cache_dir).items():
            os.environ[name] = str(sub)
    settings = sys.modules.get("argostranslate.settings")
    if settings is not None:
        _retarget(settings, packages_dir, cache_dir)
    _quiet_loggers()


def _xdg_dirs(cache_dir: Path) -> dict[str, Path]:
    return {"XDG_DATA_HOME": cache_dir / "data", "XDG_CONFIG_HOME": cache_dir / "config",
            "XDG_CACHE_HOME": cache_dir / "cache"}


def _retarget(settings: Any, packages_dir: Path | None, cache_dir: Path | None) -> None:
    """Apply new folders to an argos whose settings module was already imported."""
    settings.chunk_type = settings.ChunkType.MINISBD
    if cache_dir is not None:
        xdg = _xdg_dirs(cache_dir)
        settings.data_dir = xdg["XDG_DATA_HOME"] / "argos-translate"
        settings.config_dir = xdg["XDG_CONFIG_HOME"] / "argos-translate"
        settings.cache_dir = xdg["XDG_CACHE_HOME"] / "argos-translate"
        settings.downloads_dir = settings.cache_dir / "downloads"
        settings.settings_file = settings.config_dir / "settings.json"
        settings.local_package_index = settings.data_dir / "index.json"
        for folder in (settings.data_dir, settings.config_dir, settings.downloads_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if packages_dir is None and "ARGOS_PACKAGES_DIR" not in os.environ:
            packages_dir = settings.data_dir / "packages"
    if packages_dir is not None:
        Path(packages_dir).mkdir(parents=True, exist_ok=True)
        settings.package_data_dir = Path(packages_dir)
        settings.package_dirs = [Path(packages_dir)]


def _quiet_loggers() -> None:
    # argos logs every input text at INFO.
    for name in _ARGOS_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def argos_settings() -> Any:
    """argostranslate.settings, imported with polystat's safe defaults."""
    os.environ["ARGOS_CHUNK_TYPE"] = _SAFE_CHUNK_TYPE
    import argostranslate.settings as settings

    _quiet_loggers()
    return settings


def argos_package() -> Any:
    """argostranslate.package (light: no torch), imported with polystat's safe defaults."""
    argos_settings()
    import argostranslate.package as package

    _quiet_loggers()  # argostranslate.utils sets its own level when imported
    return package


def _argos_translate() -> Any:
    """argostranslate.translate (imports stanza and torch: a few seconds, once)."""
    argos_package()
    import argostranslate.translate as translate_module

    _quiet_loggers()
    return translate_module


# --------------------------------------------------------------------------- installed models


def version_key(version: str) -> tuple[int, ...]:
    """'1.10' sorts after '1.9'."""
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


def installed_packages() -> list[Any]:
    """Installed argos translate packages, the newest version per language pair.

    Reads the package folders directly: one folder without valid metadata must not
    hide the others (argos's own listing raises on the first broken folder).
    """
    package = argos_package()
    best: dict[tuple[str, str], Any] = {}
    for directory in argos_settings().package_dirs:
        folder = Path(directory)
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            metadata = path / "metadata.json"
            if not metadata.is_file():
                continue
            key = (str(path), metadata.stat().st_mtime_ns)
            if key not in _packages:
                try:
                    _packages[key] = package.Package(path)
                except (OSError, ValueError):
                    continue
            pkg = _packages[key]
            if pkg.type != "translate" or not pkg.from_code or not pkg.to_code:
                continue
            pair = (pkg.from_code, pkg.to_code)
            if pair not in best or version_key(pkg.package_version) > version_key(
                    best[pair].package_version):
                best[pair] = pkg
    return [best[pair] for pair in sorted(best)]


def package_name(pkg: Any) -> str:
    """The argospm name of a package, e.g. 'translate-de_en'."""
    name: str = argos_package().argospm_package_name(pkg)
    return name


def installed_pairs() -> list[tuple[str, str, str, str]]:
    """(source, target, package name, package version) of every installed pair."""
    return [(pkg.from_code, pkg.to_code, package_name(pkg), str(pkg.package_version))
            for pkg in installed_packages()]


def _package_for(src: str, tgt: str) -> Any:
    for pkg in installed_packages():
        if (pkg.from_code, pkg.to_code) == (src, tgt):
            return pkg
    folders = ", ".join(str(d) for d in argos_settings().package_dirs)
    raise TranslationUnavailable(
        (src, tgt), f"no argostranslate model for {src}->{tgt} installed in {folders}")


def _translator(pkg: Any) -> Any:
    key = (str(pkg.package_path), str(pkg.package_version))
    if key not in _translators:
        import ctranslate2

        settings = argos_settings()
        _translators[key] = ctranslate2.Translator(
            str(Path(pkg.package_path) / "model"), device=settings.device,
            inter_threads=settings.inter_threads, intra_threads=settings.intra_threads,
            compute_type=settings.compute_type)
    return _translators[key]


class _WholeText:
    """Sentence 'splitter' that keeps the segment whole: it is one sentence already."""

    def split_sentences(self, text: str) -> list[str]:
        return [text]


def translate(text: str, src: str, tgt: str = "en") -> Translation:
    """Translate one segment; raises TranslationUnavailable when no model can do it."""
    if src == tgt:
        return Translation(text, ENGINE, IDENTITY_MODEL, "")
    pkg = _package_for(src, tgt)
    name, version = package_name(pkg), str(pkg.package_version)
    # PDF line breaks inside a sentence would make argos translate the halves apart.
    sentence = " ".join(text.split())
    if not sentence:
        return Translation("", ENGINE, name, version)
    try:
        hypotheses = _argos_translate().apply_packaged_translation(
            pkg, sentence, _translator(pkg), _WholeText(), num_hypotheses=1)
    except (RuntimeError, OSError, ValueError, IndexError) as exc:
        raise TranslationUnavailable(
            (src, tgt), f"model {name} {version} at {pkg.package_path} failed: {exc}") from exc
    return Translation(hypotheses[0].value, ENGINE, name, version)


# --------------------------------------------------------------------------- numbers check


def _grammar(lang: str) -> NumberGrammar:
    try:
        return grammar(lang)
    except LexiconError:  # a language without number data reads digits the English way
        return grammar("en")


# "1. ", "01 | ", "2) " opening a list item number the item; they are not figures.
_LIST_NUMBER = re.compile(r"\s*(\d{1,3})\s*[.)|｜]\s+")


def _digit_figures(text: str, lang: str, skip_list_number: bool = False) -> list[
        tuple[str, float]]:
    number_grammar = _grammar(lang)
    marker = _LIST_NUMBER.match(text) if skip_list_number else None
    found = []
    for match in re.finditer(number_grammar.digits_pattern, text):
        if marker is not None and match.start() == marker.start(1):
            continue
        value = number_grammar.parse_digits(match.group())
        if value is not None:
            found.append((match.group(), value))
    return found


def _values_in_translation(translated: str, src_lang: str) -> list[float]:
    """Every value the English gloss states, read the English way, in words too, and the
    source language's way (a model may copy '7.095' unchanged)."""
    english = grammar("en")
    values = [value for _, value in _digit_figures(translated, "en")]
    values += [value for _, value in _digit_figures(translated, src_lang)]
    for match in re.finditer(english.words_pattern, translated, re.IGNORECASE):
        value = english.parse_words(match.group())
        if value is not None:
            values.append(value)
    return values


def check_numbers(source: str, translated: str, src_lang: str) -> tuple[bool, list[str]]:
    """Does every digit figure of `source` reappear in `translated`?

    Figures are compared by value, so German '7.095', English '7,095' and '7095' are the
    same number; the number of a list item ("1. ...", "01 | ...") is not a figure.
    Returns (all preserved, source surfaces of the figures that are not).
    """
    source = unicodedata.normalize("NFKC", source)  # full-width digits -> ASCII digits
    translated = unicodedata.normalize("NFKC", translated)
    stated = _values_in_translation(translated, src_lang)
    missing: list[str] = []
    for surface, value in _digit_figures(source, src_lang, skip_list_number=True):
        kept = any(math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9) for other in stated)
        if not kept and surface not in missing:
            missing.append(surface)
    return not missing, missing
