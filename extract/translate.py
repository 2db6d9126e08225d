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

This module is pure: it never sets argos's environment, creates its folders
or quiets its loggers. The caller hands in argos's modules (`Argos`), imported
with polystat's settings in place: flows/models.py points argos at the models
folder and imports it safely (argos reads its settings when first imported).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from extract.lexicon import LexiconError
from extract.numbers import NumberGrammar, grammar

ENGINE = "argostranslate"
IDENTITY_MODEL = "identity"

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


class Argos(Protocol):
    """argostranslate's modules, imported by the caller with its settings in place
    (flows/models.py `configured_argos`); `translate` is the heavy one, used last."""

    @property
    def settings(self) -> Any: ...

    @property
    def package(self) -> Any: ...

    @property
    def translate(self) -> Any: ...


# --------------------------------------------------------------------------- installed models


def version_key(version: str) -> tuple[int, ...]:
    """'1.10' sorts after '1.9'."""
    return tuple(int(part) for part in re.findall(r"\d+", version or ""))


def installed_packages(argos: Argos) -> list[Any]:
    """Installed argos translate packages, the newest version per language pair.

    Reads the package folders directly: one folder without valid metadata must not
    hide the others (argos's own listing raises on the first broken folder).
    """
    package = argos.package
    best: dict[tuple[str, str], Any] = {}
    for directory in argos.settings.package_dirs:
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


def package_name(argos: Argos, pkg: Any) -> str:
    """The argospm name of a package, e.g. 'translate-de_en'."""
    name: str = argos.package.argospm_package_name(pkg)
    return name


def installed_pairs(argos: Argos) -> list[tuple[str, str, str, str]]:
    """(source, target, package name, package version) of every installed pair."""
    return [(pkg.from_code, pkg.to_code, package_name(argos, pkg), str(pkg.package_version))
            for pkg in installed_packages(argos)]


def _package_for(argos: Argos, src: str, tgt: str) -> Any:
    for pkg in installed_packages(argos):
        if (pkg.from_code, pkg.to_code) == (src, tgt):
            return pkg
    folders = ", ".join(str(d) for d in argos.settings.package_dirs)
    raise TranslationUnavailable(
        (src, tgt), f"no argostranslate model for {src}->{tgt} installed in {folders}")


def _translator(argos: Argos, pkg: Any) -> Any:
    key = (str(pkg.package_path), str(pkg.package_version))
    if key not in _translators:
        import ctranslate2

        settings = argos.settings
        _translators[key] = ctranslate2.Translator(
            str(Path(pkg.package_path) / "model"), device=settings.device,
            inter_threads=settings.inter_threads, intra_threads=settings.intra_threads,
            compute_type=settings.compute_type)
    return _translators[key]


class _WholeText:
    """Sentence 'splitter' that keeps the segment whole: it is one sentence already."""

    def split_sentences(self, text: str) -> list[str]:
        return [text]


def translate(argos: Argos, text: str, src: str, tgt: str = "en") -> Translation:
    """Translate one segment; raises TranslationUnavailable when no model can do it."""
    if src == tgt:
        return Translation(text, ENGINE, IDENTITY_MODEL, "")
    pkg = _package_for(argos, src, tgt)
    name, version = package_name(argos, pkg), str(pkg.package_version)
    # PDF line breaks inside a sentence would make argos translate the halves apart.
    sentence = " ".join(text.split())
    if not sentence:
        return Translation("", ENGINE, name, version)
    try:
        hypotheses = argos.translate.apply_packaged_translation(
            pkg, sentence, _translator(argos, pkg), _WholeText(), num_hypotheses=1)
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
