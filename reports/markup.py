"""Safe Markdown out of untrusted document text, and how figures read.

Everything a document says (titles, sentences, surfaces, translations) is
data, never markup: it goes through ``md_text`` before it enters a page.
Pandoc Markdown treats any ASCII punctuation after a backslash as a literal
character, so escaping every one of them neutralises Markdown, raw HTML,
Quarto shortcodes (``{{<``), citations (``@``), math (``$``) and the
Typst markup that pandoc would otherwise pass through. Pandoc's Typst
writer then escapes the characters again for Typst itself.
"""

from __future__ import annotations

import html
import math
import re
import string
from collections.abc import Callable

from extract import languages

_PUNCTUATION = frozenset(string.punctuation)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u2028\u2029]")
_SPACE = re.compile(r"\s+")

QUALIFIER_WORDS = {
    "exact": "",
    "approx": "about",
    "more_than": "more than",
    "less_than": "less than",
    "nearly": "nearly",
    "at_least": "at least",
}
UNIT_NAMES = {
    "percent": "share (%)",
    "count": "count",
    "percent_change": "change (%)",
    "percentage_points": "change (percentage points)",
    "multiple": "multiple (×)",
}
NBSP = "\u00a0"


# Unicode's explicit bidirectional controls. An override (U+202E) or embedding left open
# in a title reverses what follows it on the line: the next cell, the figure, the link.
_EMBEDDINGS = "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
_ISOLATE_OPENERS = "\u2066\u2067\u2068"  # LRI RLI FSI
_FSI, _PDI = "\u2068", "\u2069"
_BIDI_CONTROLS = frozenset(_EMBEDDINGS + _ISOLATE_OPENERS + _PDI + "\u200e\u200f\u061c")


def isolate_bidi(text: str) -> str:
    """`text` in a bidi isolate (FSI ... PDI) when it holds bidirectional controls: whatever
    it overrides or embeds ends with it, in HTML (browsers) and in the PDF (typst) alike,
    as `<bdi>` would. Its own isolates are balanced first, so that none closes ours. Text
    without such controls comes back as it is."""
    if not _BIDI_CONTROLS.intersection(text):
        return text
    kept, open_isolates = [], 0
    for ch in text:
        if ch in _ISOLATE_OPENERS:
            open_isolates += 1
        elif ch == _PDI:
            if not open_isolates:
                continue  # a stray closer would end our isolate early
            open_isolates -= 1
        kept.append(ch)
    return _FSI + "".join(kept) + _PDI * open_isolates + _PDI


def md_text(text: str | None) -> str:
    """Untrusted text as one line of literal Markdown (bidi controls isolated)."""
    if not text:
        return ""
    flat = _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    return isolate_bidi("".join("\\" + ch if ch in _PUNCTUATION else ch for ch in flat))


def md_highlight(sentence: str, start: int, end: int) -> str:
    """The sentence as literal Markdown with ``sentence[start:end]`` marked."""
    return _highlight(sentence, start, end, md_text, "[{}]{{.mark}}")


def _highlight(sentence: str, start: int, end: int, escape: Callable[[str], str],
               mark: str) -> str:
    if not 0 <= start < end <= len(sentence):
        return escape(sentence)
    before, figure, after = sentence[:start], sentence[start:end], sentence[end:]
    # keep the spaces around the figure: the escape strips each piece
    lead = " " if before[-1:].isspace() else ""
    trail = " " if after[:1].isspace() else ""
    return f"{escape(before)}{lead}{mark.format(escape(figure))}{trail}{escape(after)}"


# Characters that mean something to Quarto or pandoc even inside a raw HTML block
# (shortcodes, a closing code fence, math, citations): entities in the page.
_RAW_SAFE = str.maketrans({"{": "&#123;", "}": "&#125;", "`": "&#96;", "$": "&#36;",
                           "@": "&#64;", "\\": "&#92;"})


def html_text(text: str | None) -> str:
    """Untrusted text as one line of literal HTML, safe inside a raw HTML block (bidi
    controls isolated)."""
    if not text:
        return ""
    flat = _SPACE.sub(" ", _CONTROL.sub(" ", text)).strip()
    return isolate_bidi(html.escape(flat, quote=True).translate(_RAW_SAFE))


def html_highlight(sentence: str, start: int, end: int) -> str:
    """The sentence as literal HTML with ``sentence[start:end]`` in a <mark>."""
    return _highlight(sentence, start, end, html_text, "<mark>{}</mark>")


def plain_number(value: float, decimals: int = 1) -> str:
    """1234.5 -> '1,234.5'; 66.6667 -> '66.7'; 81.0 -> '81'."""
    if math.isnan(value) or math.isinf(value):
        return "n/a"
    rounded = round(value, decimals)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.{decimals}f}".rstrip("0").rstrip(".")


def counted(n: float, noun: str, plural: str | None = None) -> str:
    """A number with its noun, in the plural unless it reads as one: '1 conflict',
    '2 conflicts', '1,234 figures', '1.5 percentage points'; `plural` for irregular nouns."""
    number = plain_number(n) if isinstance(n, float) else f"{n:,}"
    return f"{number} {noun if number in ('1', '-1') else plural or noun + 's'}"


def translation_coverage(translated: int, total: int) -> str:
    """How many non-English sentences have an English gloss, as the Overview and the run
    summary say it."""
    if total == 0:
        return "No sentence needs an English translation"
    return (f"{translated:,} of {counted(total, 'non-English sentence')} "
            f"{'has' if translated == 1 else 'have'} an English translation")


def format_value(value: float, unit: str, qualifier: str = "exact") -> str:
    """A figure as a reader expects it: 'more than 50 %', '7,095', '+47 %', 'nearly 3×'."""
    number = plain_number(abs(value) if unit in _SIGNED_UNITS else value)
    sign = ""
    if unit in _SIGNED_UNITS:
        sign = "−" if value < 0 else "+"
    shown = {
        "percent": f"{number}{NBSP}%",
        "percent_change": f"{sign}{number}{NBSP}%",
        "percentage_points": f"{sign}{number}{NBSP}pp",
        "multiple": f"{number}×",
    }.get(unit, number)
    words = QUALIFIER_WORDS.get(qualifier, qualifier.replace("_", " "))
    return f"{words} {shown}" if words else shown


_SIGNED_UNITS = ("percent_change", "percentage_points")


def language_name(code: str | None) -> str:
    if not code:
        return "unknown"
    return f"{languages.name(code)} ({code})"


def percent_share(part: int, whole: int) -> str:
    if whole == 0:
        return "n/a"
    return f"{plain_number(100.0 * part / whole, 0)}{NBSP}%"


def slug(text: str, fallback: str = "item") -> str:
    """An ASCII file/anchor name; untrusted text never reaches a path unslugged."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return cleaned[:60].strip("-") or fallback
