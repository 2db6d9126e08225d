"""Language of a document and of each of its segments.

Whole documents and long sentences go to langdetect, made deterministic and
restricted to the configured languages.  Short segments (headings, list items,
file names) are not: on a few characters langdetect happily answers Korean for
a Chinese heading or Tagalog for a file name.  Those are decided by their
script (Han characters, letters only one candidate language uses) and, failing
that, by the language of the document around them.  Every labelled segment
says how its language was decided (``language_method``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import langdetect
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

from extract import languages
from extract.records import Segment

# Below this many letters a segment is too short for the detector to be trusted.
SHORT_SEGMENT_LETTERS = 40

_PROFILE_DIR = Path(langdetect.__file__).parent / "profiles"


class LanguageConfigError(ValueError):
    """A configured language is neither a language folder nor known to langdetect."""


def _profiles(lang: str) -> tuple[str, ...]:
    """The langdetect profiles that recognise `lang`; none when langdetect cannot."""
    language = languages.info(lang)
    found = tuple(name for name in language.langdetect if (_PROFILE_DIR / name).is_file())
    missing = [name for name in language.langdetect if name not in found]
    if not missing:
        return found
    known = ", ".join(sorted(p.name for p in _PROFILE_DIR.iterdir()))
    if lang not in languages.supported():
        raise LanguageConfigError(
            f"language {lang!r} has no folder in extract/lang (or POLYSTAT_LEXICON_DIR) and "
            f"langdetect has no profile for it in {_PROFILE_DIR}; add the folder "
            f"(extract/lang/README.md) or use codes among: {known}")
    if language.langdetect != (lang,):
        raise LanguageConfigError(
            f"{lang}/language.toml: langdetect has no profile {', '.join(missing)}; name "
            f"profiles among: {known} (or write langdetect = [] when it has none)")
    return found  # a language folder langdetect has no profile for


def detectable(lang: str) -> bool:
    """Whether the detector can recognise `lang` (a language folder without a langdetect
    profile is still supported: its documents keep their declared language)."""
    return bool(_profiles(lang))


@lru_cache(maxsize=8)
def _detector(candidates: tuple[str, ...]) -> tuple[DetectorFactory, dict[str, str]] | None:
    """A detector factory that knows only the candidate languages' profiles, and the
    language of each profile; None when langdetect knows none of them."""
    language_of = {name: lang for lang in candidates for name in _profiles(lang)}
    if not language_of:
        return None
    factory = DetectorFactory()
    factory.set_seed(0)  # langdetect samples n-grams at random; seed 0 makes runs repeatable
    for index, name in enumerate(language_of):
        profile = LangProfile(**json.loads((_PROFILE_DIR / name).read_text(encoding="utf-8")))
        factory.add_profile(profile, index, len(language_of))
    return factory, language_of


def _normalise(candidates: Sequence[str] | None) -> tuple[str, ...]:
    if candidates is None:
        return languages.supported()
    return tuple(dict.fromkeys(code.strip().lower() for code in candidates if code.strip()))


def language_probabilities(text: str, candidates: Sequence[str] | None = None
                           ) -> dict[str, float]:
    """Detector probabilities per candidate language (those above langdetect's 0.1 floor);
    the candidates are every supported language unless given."""
    if not any(ch.isalpha() for ch in text):
        return {}
    # Sorted: the order the languages are configured in must not change an answer.
    detector = _detector(tuple(sorted(_normalise(candidates))))
    if detector is None:
        return {}
    factory, language_of = detector
    found = factory.create()
    found.append(text)
    try:
        ranked = found.get_probabilities()
    except LangDetectException:  # no usable n-grams in the text
        return {}
    merged: dict[str, float] = {}
    for item in ranked:
        lang = language_of.get(item.lang, item.lang)
        merged[lang] = merged.get(lang, 0.0) + item.prob
    return merged


def detect_language(text: str, candidates: Sequence[str] | None = None
                    ) -> tuple[str | None, float]:
    """(language, confidence in [0, 1]) of `text`; (None, 0.0) when it has no letters."""
    probabilities = language_probabilities(text, candidates)
    if not probabilities:
        return None, 0.0
    lang = max(probabilities, key=lambda code: probabilities[code])
    return lang, round(min(probabilities[lang], 1.0), 4)


def document_language(text: str, declared: str | None, candidates: Sequence[str] | None = None
                      ) -> tuple[str | None, float]:
    """The language of a whole document and the detector's confidence in it.

    The detector decides; the declaration only fills in when the text has no letters, and
    when the declared language is one the detector cannot recognise (no langdetect profile),
    which it would otherwise mistake for the nearest language it knows.
    """
    allowed = _normalise(candidates)
    if declared in allowed and not detectable(declared):
        return declared, 0.0
    detected, confidence = detect_language(text, allowed)
    return detected or declared, confidence


def _hints(candidates: tuple[str, ...]) -> tuple[languages.ScriptHint, ...]:
    """The candidates' script hints, the most confident first (Han before Turkish letters
    before German ones: the surer rule decides)."""
    hints = [hint for lang in candidates if (hint := languages.info(lang).script) is not None]
    return tuple(sorted(hints, key=lambda hint: (-hint.confidence, hint.language)))


@dataclasses.dataclass(frozen=True)
class _Letters:
    """Counts of the letters of a text that point at one language."""

    total: int
    own: dict[str, int]  # language -> letters only it uses
    shared: dict[str, int]  # language -> letters it shares with others

    @classmethod
    def of(cls, text: str, hints: tuple[languages.ScriptHint, ...]) -> _Letters:
        return cls(
            total=sum(ch.isalpha() for ch in text),
            own={hint.language: len(hint.letters.findall(text)) for hint in hints},
            shared={hint.language: len(hint.shared_letters.findall(text))
                    for hint in hints if hint.shared_letters is not None},
        )


def _script_hint(letters: _Letters, hints: tuple[languages.ScriptHint, ...],
                 document_language: str | None) -> languages.ScriptHint | None:
    """The hint of the language the letters alone point at, or None when they do not tell."""
    for hint in hints:
        count = letters.own[hint.language]
        if count >= hint.min_letters or (count and count == letters.total):
            return hint
    # ö and ü are German and Turkish: a Turkish document keeps them Turkish.
    for hint in hints:
        if letters.shared.get(hint.language) and document_language not in hint.shared_with:
            return hint
    return None


def _label(segment: Segment, language: str | None, confidence: float, method: str) -> Segment:
    return dataclasses.replace(segment, language=language,
                               language_confidence=round(confidence, 4),
                               language_method=method)


def _label_long(segment: Segment, seg_text: str, letters: _Letters,
                hints: tuple[languages.ScriptHint, ...], candidates: tuple[str, ...],
                document_language: str | None, document_confidence: float) -> Segment:
    """A sentence long enough for the detector; the script confirms or overrules it."""
    detected, confidence = detect_language(seg_text, candidates)
    for hint in hints:
        if (hint.overrules_detector is not None
                and letters.own[hint.language] >= hint.overrules_detector * letters.total):
            if detected == hint.language:
                return _label(segment, hint.language, confidence, "detector+script")
            return _label(segment, hint.language, hint.confidence, "script")
    if detected is None:  # letters but no usable n-grams, e.g. a URL
        return _label(segment, document_language, document_confidence, "document")
    scripted = _script_hint(letters, hints, document_language)
    if scripted is not None and scripted.language == detected:
        return _label(segment, detected, confidence, "detector+script")
    return _label(segment, detected, confidence, "detector")


def _label_short(segment: Segment, letters: _Letters, hints: tuple[languages.ScriptHint, ...],
                 document_language: str | None, document_confidence: float) -> Segment:
    """A heading, list item or file name: script first, then the document."""
    scripted = _script_hint(letters, hints, document_language) if letters.total else None
    if scripted is not None:
        return _label(segment, scripted.language, scripted.confidence, "script")
    return _label(segment, document_language, document_confidence, "document")


def label_segments(text: str, segments: Sequence[Segment], document_language: str | None,
                   candidates: Sequence[str] | None = None) -> list[Segment]:
    """Copies of `segments` with language, language_confidence and language_method set.

    In a document whose language the detector cannot recognise, every segment is decided
    like a short one (script, then the document): the detector could only name another
    language.
    """
    allowed = _normalise(candidates)
    hints = _hints(allowed)
    document_confidence = (language_probabilities(text, allowed).get(document_language, 0.0)
                           if document_language else 0.0)
    use_detector = document_language is None or detectable(document_language)
    labelled = []
    for segment in segments:
        seg_text = text[segment.start:segment.end]
        letters = _Letters.of(seg_text, hints)
        if segment.kind == "artifact":  # image file names and stray tokens carry no language
            labelled.append(_label(segment, document_language, document_confidence, "document"))
        elif letters.total >= SHORT_SEGMENT_LETTERS and use_detector:
            labelled.append(_label_long(segment, seg_text, letters, hints, allowed,
                                        document_language, document_confidence))
        else:
            labelled.append(_label_short(segment, letters, hints, document_language,
                                         document_confidence))
    return labelled
