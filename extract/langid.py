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
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import langdetect
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.lang_profile import LangProfile

from extract.records import Segment

SUPPORTED = ("de", "tr", "zh", "en")

# Below this many letters a segment is too short for the detector to be trusted.
SHORT_SEGMENT_LETTERS = 40
# A long segment whose letters are at least this share Han characters is Chinese,
# whatever the detector says about the Latin brand names inside it.
HAN_SHARE_FOR_ZH = 0.3

# Fixed priors for rule decisions (not calibrated probabilities): a Han character
# or a Turkish-only letter is near-certain among the configured languages; German
# umlauts are a strong hint only; the document fallback uses the document's own score.
SCRIPT_CONFIDENCE = {"zh": 0.99, "tr": 0.95, "de": 0.8}

_PROFILE_DIR = Path(langdetect.__file__).parent / "profiles"
# langdetect keeps one profile per Chinese script; polystat has one "zh".
_PROFILES_OF = {"zh": ("zh-cn", "zh-tw")}
_LANGUAGE_OF_PROFILE = {"zh-cn": "zh", "zh-tw": "zh"}

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ebef]")
_TURKISH_ONLY = set("ğĞşŞıİ")
_GERMAN_ONLY = set("äÄßẞ")
_GERMAN_OR_TURKISH = set("öÖüÜ")


class LanguageConfigError(ValueError):
    """A configured language has no langdetect profile."""


@lru_cache(maxsize=8)
def _factory(candidates: tuple[str, ...]) -> DetectorFactory:
    """A detector factory that knows only the candidate languages' profiles."""
    profiles = []
    for lang in candidates:
        for name in _PROFILES_OF.get(lang, (lang,)):
            path = _PROFILE_DIR / name
            if not path.is_file():
                known = sorted(p.name for p in _PROFILE_DIR.iterdir())
                raise LanguageConfigError(
                    f"language {lang!r} has no langdetect profile in {_PROFILE_DIR}; "
                    f"use codes among: {', '.join(known)}")
            profiles.append(LangProfile(**json.loads(path.read_text(encoding="utf-8"))))
    factory = DetectorFactory()
    factory.set_seed(0)  # langdetect samples n-grams at random; seed 0 makes runs repeatable
    for index, profile in enumerate(profiles):
        factory.add_profile(profile, index, len(profiles))
    return factory


def _normalise(candidates: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(code.strip().lower() for code in candidates if code.strip()))


def language_probabilities(text: str, candidates: Sequence[str] = SUPPORTED) -> dict[str, float]:
    """Detector probabilities per candidate language (those above langdetect's 0.1 floor)."""
    if not any(ch.isalpha() for ch in text):
        return {}
    detector = _factory(_normalise(candidates)).create()
    detector.append(text)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:  # no usable n-grams in the text
        return {}
    merged: dict[str, float] = {}
    for item in ranked:
        lang = _LANGUAGE_OF_PROFILE.get(item.lang, item.lang)
        merged[lang] = merged.get(lang, 0.0) + item.prob
    return merged


def detect_language(text: str, candidates: Sequence[str] = SUPPORTED) -> tuple[str | None, float]:
    """(language, confidence in [0, 1]) of `text`; (None, 0.0) when it has no letters."""
    probabilities = language_probabilities(text, candidates)
    if not probabilities:
        return None, 0.0
    lang = max(probabilities, key=lambda code: probabilities[code])
    return lang, round(min(probabilities[lang], 1.0), 4)


@dataclasses.dataclass(frozen=True)
class _Letters:
    """Counts of the letters of a text that point at one language."""

    total: int
    han: int
    turkish_only: int
    german_only: int
    german_or_turkish: int

    @classmethod
    def of(cls, text: str) -> _Letters:
        return cls(
            total=sum(ch.isalpha() for ch in text),
            han=len(_HAN.findall(text)),
            turkish_only=sum(ch in _TURKISH_ONLY for ch in text),
            german_only=sum(ch in _GERMAN_ONLY for ch in text),
            german_or_turkish=sum(ch in _GERMAN_OR_TURKISH for ch in text),
        )


def _script_language(letters: _Letters, candidates: tuple[str, ...],
                     document_language: str | None) -> str | None:
    """The language the letters alone point at, or None when they do not tell."""
    # Two Han characters make a Chinese heading even beside a Latin brand name
    # ("Salesforce:2020 客户服务报告"); one may be a stray symbol.
    if "zh" in candidates and (letters.han >= 2 or (letters.han and letters.han == letters.total)):
        return "zh"
    if "tr" in candidates and letters.turkish_only:
        return "tr"
    if "de" in candidates and letters.german_only:
        return "de"
    # ö and ü are German and Turkish: a Turkish document keeps them Turkish.
    if "de" in candidates and letters.german_or_turkish and document_language != "tr":
        return "de"
    return None


def _label(segment: Segment, language: str | None, confidence: float, method: str) -> Segment:
    return dataclasses.replace(segment, language=language,
                               language_confidence=round(confidence, 4),
                               language_method=method)


def _label_long(segment: Segment, seg_text: str, letters: _Letters, candidates: tuple[str, ...],
                document_language: str | None, document_confidence: float) -> Segment:
    """A sentence long enough for the detector; the script confirms or overrules it."""
    detected, confidence = detect_language(seg_text, candidates)
    if "zh" in candidates and letters.han >= HAN_SHARE_FOR_ZH * letters.total:
        if detected == "zh":
            return _label(segment, "zh", confidence, "detector+script")
        return _label(segment, "zh", SCRIPT_CONFIDENCE["zh"], "script")
    if detected is None:  # letters but no usable n-grams, e.g. a URL
        return _label(segment, document_language, document_confidence, "document")
    if _script_language(letters, candidates, document_language) == detected:
        return _label(segment, detected, confidence, "detector+script")
    return _label(segment, detected, confidence, "detector")


def _label_short(segment: Segment, letters: _Letters, candidates: tuple[str, ...],
                 document_language: str | None, document_confidence: float) -> Segment:
    """A heading, list item or file name: script first, then the document."""
    scripted = _script_language(letters, candidates, document_language) if letters.total else None
    if scripted is not None:
        return _label(segment, scripted, SCRIPT_CONFIDENCE[scripted], "script")
    return _label(segment, document_language, document_confidence, "document")


def label_segments(text: str, segments: Sequence[Segment], document_language: str | None,
                   candidates: Sequence[str] = SUPPORTED) -> list[Segment]:
    """Copies of `segments` with language, language_confidence and language_method set."""
    allowed = _normalise(candidates)
    document_confidence = (language_probabilities(text, allowed).get(document_language, 0.0)
                           if document_language else 0.0)
    labelled = []
    for segment in segments:
        seg_text = text[segment.start:segment.end]
        letters = _Letters.of(seg_text)
        if segment.kind == "artifact":  # image file names and stray tokens carry no language
            labelled.append(_label(segment, document_language, document_confidence, "document"))
        elif letters.total >= SHORT_SEGMENT_LETTERS:
            labelled.append(_label_long(segment, seg_text, letters, allowed, document_language,
                                        document_confidence))
        else:
            labelled.append(_label_short(segment, letters, allowed, document_language,
                                         document_confidence))
    return labelled
