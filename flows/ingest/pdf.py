"""The PDF reader (pypdfium2): the text that is stored and mined from a PDF report.

Spans index the stored text (`documents.text`) exactly, so the cleaning happens here,
once, before anything is stored: text per page in reading order; running headers,
footers and page numbers are left out; lines are joined into paragraphs (one per line
of the stored text, as in the plain-text corpus); words hyphenated at a line end are
repaired (see `join_hyphenated`). The offset where each page starts in the stored text
is kept, so every span knows its page.

A file that cannot be read raises `FormatError`; ingest turns it into a reject.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from extract.languages import supported
from extract.lexicon import LexiconError, load
from flows.ingest.documents import ExtractedText, FormatError

PDF_ENCODING = "pdf/pypdfium2"
# Share of a page's height at its top and bottom where running headers and footers live.
_EDGE_ZONE = 0.15
_EDGE_LINES = 2
# A running header or footer repeats on at least this share of the pages (and on two).
_REPEAT_SHARE = 0.4
# Baseline distance above this multiple of the body's line pitch starts a new paragraph.
_PARAGRAPH_GAP = 1.2
_SENTENCE_END = tuple(".!?:;。！？…")
_BARE_PAGE_NUMBER = re.compile(r"[\W_]{0,4}\d{1,4}(?:\s*[/|]\s*\d{1,4})?[\W_]{0,4}")
# Bullets always start an item; dashes and numbers ("21. August") only after a sentence end.
_BULLET = re.compile(r"[•*·▪◦‣]\s")
_LIST_START = re.compile(r"(?:[-–]|\d{1,3}[.)]|\d{1,3}\s*[|｜])\s")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def page_of(page_starts: Sequence[int] | None, offset: int) -> int | None:
    """1-based page of a text offset, or None when the document has no pages."""
    if not page_starts:
        return None
    return max(1, bisect_right(list(page_starts), offset))


# --------------------------------------------------------------------------- PDF


@dataclass
class _Line:
    text: str
    page: int  # 0-based
    top: float
    bottom: float
    left: float
    right: float
    size: float
    hyphen: bool = False  # the line ends in a hyphen that the PDF breaks the word at
    full: bool = True  # the line runs to the right edge of the page's text


def read_pdf(data: bytes, language: str | None = None) -> ExtractedText:
    """PDF bytes -> cleaned text with page offsets; raises FormatError."""
    import pypdfium2 as pdfium

    if not data.lstrip()[:1024].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise FormatError("not a PDF file (no %PDF- header)")
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise FormatError(f"PDF cannot be opened: {exc}") from exc
    try:
        pages, heights = _pdf_lines(pdf)
        metadata = _pdf_metadata(pdf.get_metadata_dict(skip_empty=True))
    finally:
        pdf.close()
    if not any(line.text.strip() for page in pages for line in page):
        raise FormatError("PDF has no text layer (a scan?); run OCR on it first")
    body, furniture = drop_page_furniture(pages, heights)
    language = language or _guess_language(body)
    text, starts = assemble(body, language)
    return ExtractedText(text=text, format="pdf", encoding=PDF_ENCODING,
                         page_starts=tuple(starts), metadata=metadata,
                         furniture=tuple(sorted(furniture)))


def _pdf_lines(pdf: Any) -> tuple[list[list[_Line]], list[float]]:
    pages, heights = [], []
    for number in range(len(pdf)):
        page = pdf[number]
        textpage = page.get_textpage()
        try:
            pages.append(_page_lines(textpage, number))
            heights.append(float(page.get_height()))
        finally:
            textpage.close()
            page.close()
    return pages, heights


def _page_lines(textpage: Any, number: int) -> list[_Line]:
    """Lines in pdfium's reading order, split where pdfium breaks lines or words."""
    import pypdfium2.raw as pdfium_c

    lines: list[_Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float, float]] = []

    def close(hyphen: bool) -> None:
        if chars and boxes:
            lines.append(_Line(
                text="".join(chars).strip(), page=number,
                left=min(b[0] for b in boxes), bottom=min(b[1] for b in boxes),
                right=max(b[2] for b in boxes), top=max(b[3] for b in boxes),
                size=Counter(round(b[4], 1) for b in boxes).most_common(1)[0][0], hyphen=hyphen))
        chars.clear()
        boxes.clear()

    count = textpage.count_chars()
    index = 0
    while index < count:
        code = pdfium_c.FPDFText_GetUnicode(textpage, index)
        if pdfium_c.FPDFText_IsHyphen(textpage, index):
            close(hyphen=True)  # pdfium joins a hyphenated line break; we decide ourselves
        elif code == 10 and pdfium_c.FPDFText_IsGenerated(textpage, index):
            close(hyphen=False)
        elif code == 13 or code < 32 and code not in (9,):
            pass
        else:
            if 0xD800 <= code < 0xDC00 and index + 1 < count:  # a character beyond the BMP
                low = pdfium_c.FPDFText_GetUnicode(textpage, index + 1)
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                index += 1
            char = chr(code)
            chars.append(char)
            if not char.isspace():
                left, bottom, right, top = textpage.get_charbox(index, loose=True)
                boxes.append((left, bottom, right, top,
                              pdfium_c.FPDFText_GetFontSize(textpage, index)))
        index += 1
    close(hyphen=False)
    return [line for line in lines if line.text]


def _pdf_metadata(info: dict[str, str]) -> dict[str, Any]:
    return {key: value.strip() for key, value in
            (("title", info.get("Title", "")), ("author", info.get("Author", "")))
            if value and value.strip()}


def drop_page_furniture(pages: list[list[_Line]], heights: list[float]
                        ) -> tuple[list[list[_Line]], set[str]]:
    """Leave out running headers/footers and page numbers at the top and bottom of pages.

    A line counts as page furniture when it sits among the first or last lines
    of a page, inside the page's top or bottom zone, and either is a bare page
    number ("7", "- 7 -", "7 / 12") or repeats, digits aside, on several pages
    ("Seite 3 von 7", a report title in the header).
    """
    keys_per_zone: dict[tuple[str, str], set[int]] = {}
    for page_lines in pages:
        for position, line in enumerate(page_lines):
            zone = _edge_zone(position, line, page_lines, heights[line.page])
            if zone:
                keys_per_zone.setdefault((zone, _furniture_key(line.text)), set()).add(line.page)
    needed = max(2, math.ceil(_REPEAT_SHARE * len(pages)))
    dropped: set[str] = set()
    kept_pages = []
    for page_lines in pages:
        kept = []
        for position, line in enumerate(page_lines):
            zone = _edge_zone(position, line, page_lines, heights[line.page])
            repeated = zone and len(keys_per_zone[(zone, _furniture_key(line.text))]) >= needed
            if zone and (repeated or _BARE_PAGE_NUMBER.fullmatch(line.text)):
                dropped.add(line.text)
                continue
            kept.append(line)
        kept_pages.append(kept)
    return kept_pages, dropped


def _edge_zone(position: int, line: _Line, page_lines: list[_Line], height: float
               ) -> str | None:
    if position < _EDGE_LINES and line.bottom >= height * (1 - _EDGE_ZONE):
        return "top"
    if position >= len(page_lines) - _EDGE_LINES and line.top <= height * _EDGE_ZONE:
        return "bottom"
    return None


def _furniture_key(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text)).strip().casefold()


def assemble(pages: list[list[_Line]], language: str) -> tuple[str, list[int]]:
    """Join lines into paragraphs (one per output line); return text and page start offsets."""
    pitch = _body_pitch(pages)
    _mark_full_lines(pages)
    vocabulary = _Vocabulary.of(_whole_words(pages))
    rules = hyphenation_rules(language)
    parts: list[str] = []
    length = 0
    starts: list[int] = []
    previous: _Line | None = None
    for page_lines in pages:
        page_start_pending = True
        for line in page_lines:
            if previous is None:
                piece = line.text
            elif _same_paragraph(previous, line, pitch):
                before = len(parts[-1])
                piece = _continuation(parts, previous, line, rules, vocabulary)
                length += len(parts[-1]) - before  # a repaired hyphen may shorten it
            else:
                piece = "\n" + line.text
            if page_start_pending:
                starts.append(length + len(piece) - len(line.text) if previous else length)
                page_start_pending = False
            parts.append(piece)
            length += len(piece)
            previous = line
        if page_start_pending:
            starts.append(length)
    text = "".join(parts)
    return text, [min(s, len(text)) for s in starts]


def _continuation(parts: list[str], previous: _Line, line: _Line, rules: HyphenationRules,
                  vocabulary: _Vocabulary) -> str:
    """The separator plus the line's text that continue the paragraph of `previous`.

    A hyphen repair may need to change the end of the text already emitted
    (never more than the previous piece), so the last part is rewritten here.
    """
    if previous.hyphen or _ends_with_hyphen(previous.text):
        last = parts[-1]
        stem = last[:-1] if last.endswith(("-", "\u00ad")) else last
        joined = join_hyphenated(stem, line.text, rules, vocabulary)
        parts[-1] = stem  # join_hyphenated always keeps `stem` as the start
        return joined[len(stem):]
    if _is_cjk(previous.text[-1]) or _is_cjk(line.text[0]):
        return line.text  # Chinese and Japanese lines wrap without a space
    return " " + line.text


def _whole_words(pages: list[list[_Line]]) -> list[str]:
    """Line texts without the word pieces on either side of a line-end hyphen."""
    lines = [line for page in pages for line in page]
    texts = []
    for number, line in enumerate(lines):
        text = line.text
        if line.hyphen or _ends_with_hyphen(text):
            text = text.rsplit(maxsplit=1)[0] if " " in text else ""
        before = lines[number - 1] if number else None
        if before is not None and (before.hyphen or _ends_with_hyphen(before.text)):
            text = text.split(maxsplit=1)[1] if " " in text else ""
        texts.append(text)
    return texts


def _mark_full_lines(pages: list[list[_Line]]) -> None:
    for page_lines in pages:
        if not page_lines:
            continue
        left = min(line.left for line in page_lines)
        right = max(line.right for line in page_lines)
        for line in page_lines:
            line.full = line.right >= right - 0.15 * max(right - left, 1.0)


def _ends_with_hyphen(text: str) -> bool:
    return len(text) >= 2 and text[-1] in "-\u00ad" and text[-2].isalpha()


def _same_paragraph(previous: _Line, line: _Line, pitch: float) -> bool:
    if _BULLET.match(line.text) or (_LIST_START.match(line.text)
                                    and previous.text.endswith(_SENTENCE_END)):
        return False
    if line.page != previous.page:
        # across a page break: a sentence that stops mid-way goes on
        return previous.hyphen or (
            previous.full and not previous.text.endswith(_SENTENCE_END)
            and (line.text[:1].islower() or _is_cjk(previous.text[-1]) and _is_cjk(line.text[0])))
    if abs(line.size - previous.size) > 0.15 * max(line.size, previous.size):
        return False  # a heading or a caption
    step = previous.bottom - line.bottom
    if step <= 0 or step > _PARAGRAPH_GAP * pitch:
        return False
    return not (previous.text.endswith(_SENTENCE_END) and _short(previous, line))


def _short(previous: _Line, line: _Line) -> bool:
    """A line that stops well before the next one's right edge ends its paragraph."""
    width = max(line.right - line.left, 1.0)
    return previous.right < line.right - 0.15 * width


def _body_pitch(pages: list[list[_Line]]) -> float:
    """The usual distance between baselines inside a paragraph (the lower quartile)."""
    steps = sorted(round(a.bottom - b.bottom, 1) for page in pages
                   for a, b in zip(page, page[1:], strict=False)
                   if a.bottom - b.bottom > 0 and abs(a.size - b.size) < 0.5)
    if not steps:
        return math.inf
    return steps[len(steps) // 4]


def _is_cjk(char: str) -> bool:
    return bool(char) and (unicodedata.east_asian_width(char) in ("W", "F"))


def _guess_language(pages: list[list[_Line]]) -> str:
    from extract.langid import detect_language

    sample = "\n".join(line.text for page in pages for line in page)[:20000]
    found, _ = detect_language(sample, supported())
    return found or "en"


# --------------------------------------------------------------------------- hyphenation


@dataclass(frozen=True)
class HyphenationRules:
    """Per language (extract/lang/<code>/layout.toml, table [hyphenation])."""

    # words after which a line-end hyphen is a suspended hyphen: "Gesundheits- und"
    suspended_before: frozenset[str]
    # lower-case second parts keep their hyphen when both parts are words the
    # document uses on their own ("customer-service"); off where compounds are
    # written closed (German "Kundenservice")
    lowercase_compounds: bool


@cache
def hyphenation_rules(language: str) -> HyphenationRules:
    try:
        table = load(language).get("hyphenation", {})
    except LexiconError:
        table = {}
    return HyphenationRules(
        suspended_before=frozenset(w.casefold() for w in table.get("suspended_before", [])),
        lowercase_compounds=bool(table.get("lowercase_compounds", False)))


@dataclass(frozen=True)
class _Vocabulary:
    """Word forms the document itself uses inside lines (evidence for a repair)."""

    words: frozenset[str]
    hyphenated: frozenset[str]

    @classmethod
    def of(cls, lines: Any) -> _Vocabulary:
        words: set[str] = set()
        hyphenated: set[str] = set()
        for text in lines:
            words.update(w.casefold() for w in _WORD.findall(text))
            hyphenated.update(h.casefold() for h in re.findall(r"[^\W\d_]+-[^\W\d_]+", text))
        return cls(frozenset(words), frozenset(hyphenated))


_EMPTY_VOCABULARY = _Vocabulary(frozenset(), frozenset())


def join_hyphenated(left: str, right: str, rules: HyphenationRules,
                    vocabulary: _Vocabulary = _EMPTY_VOCABULARY) -> str:
    """Join text broken at a line-end hyphen; `left` comes without its hyphen.

    - the next word is a conjunction ("und", "oder", "and", "ve"): the hyphen
      is a suspended one and stays, with a space: "Gesundheits- und";
    - the next word starts upper case or with a digit: a hyphenated compound,
      the hyphen stays: "Kundenservice-Mitarbeiter", "COVID-19";
    - otherwise the word was split for the line: "Kunden-" + "service" ->
      "Kundenservice", unless the document writes this compound with a hyphen
      elsewhere, or (in languages that hyphenate lower-case compounds, such as
      English) both parts are words the document uses on their own.
    """
    head = _WORD.search(right)
    first = right.split(maxsplit=1)[0] if right.strip() else ""
    first_word = head.group(0) if head and head.start() == 0 else ""
    if first_word.casefold() in rules.suspended_before:
        return f"{left}- {right}"
    if not first_word or first[:1].isupper() or first[:1].isdigit():
        return f"{left}-{right}"
    tail = _WORD.findall(left)
    last_word = tail[-1] if tail and left.endswith(tail[-1]) else ""
    pair = f"{last_word}-{first_word}".casefold()
    if last_word and pair in vocabulary.hyphenated:
        return f"{left}-{right}"
    if (rules.lowercase_compounds and last_word and len(last_word) > 1
            and len(first_word) > 1 and last_word.casefold() in vocabulary.words
            and first_word.casefold() in vocabulary.words):
        return f"{left}-{right}"
    return left + right
