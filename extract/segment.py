"""Segment a document into sentences, headings, list items and artifact lines.

Offsets are code-point offsets into the text as given; segments never overlap,
never start or end on blank space, and are numbered in reading order.

Why line-aware: the corpus is text extracted from web pages and PDFs, where a
line break usually ends a heading or list item, but PDF extraction also breaks
sentences mid-line ("... digitale Kanäle\\nstieg sprunghaft an").  A line that
does not end a sentence and is followed by a line starting in lower case is
therefore joined with it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from functools import lru_cache

from extract import charts
from extract.languages import supported
from extract.lexicon import load
from extract.records import Segment

# Bullets, "1.", "1)", "01 |", "a)" at the start of a line.
LIST_START = re.compile(r"[-•*·▪◦‣–]\s+|\d{1,3}[.)]\s+|\d{1,3}\s*[|｜]\s*|[a-z][)]\s+")
# Image file names and stray tokens such as "genel-15".
_ARTIFACT = re.compile(
    r"(?:[^\n]{0,80}\.(?:png|jpe?g|gif|svg|webp|bmp|tiff?)"
    r"|[\w]+(?:[-_][\w]+)*[-_]\d+)",
    re.IGNORECASE,
)
_FINAL_PUNCT = ".!?:;。！？…"
_CJK_END = "。！？"
# Sentence end: terminal punctuation (plus closing quotes/brackets) then space.
_LATIN_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_CJK_END_RE = re.compile(r"[。！？]+[”’」』)）]*")
_HEADING_MAX_CHARS = 90


@lru_cache(maxsize=1)
def _abbreviations() -> frozenset[str]:
    """Abbreviations of all languages (lower case, with their final dot)."""
    words: set[str] = set()
    for lang in supported():
        for word in load(lang).get("segment", {}).get("abbreviations", []):
            words.add(word.lower())
    return frozenset(words)


_LAST_TOKEN = re.compile(r"[^\s(\"„“]*\.$")


def _is_false_end(text: str, dot: int) -> bool:
    """True when the '.' at `dot` ends an abbreviation or an ordinal number, not a sentence."""
    if text[dot] != ".":
        return False
    match = _LAST_TOKEN.search(text, max(0, dot - 40), dot + 1)
    token = match.group(0) if match else "."
    if token.lower() in _abbreviations():
        return True
    stem = token[:-1]
    # "21. August", "4. Ausgabe": short digit runs before a dot are ordinals.
    if stem.isdigit() and len(stem) <= 3:
        return True
    # Single letters are initials ("J. Leucke").
    return len(stem) == 1 and stem.isalpha()


def _sentence_ends(text: str, start: int, end: int) -> Iterator[int]:
    """Offsets just after each sentence end inside text[start:end]."""
    for match in _CJK_END_RE.finditer(text, start, end):
        yield match.end()
    for match in _LATIN_END.finditer(text, start, end):
        first_punct = match.start()
        if not _is_false_end(text, first_punct):
            yield match.end()


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _lines(text: str) -> list[tuple[int, int]]:
    """Non-blank lines as trimmed (start, end) offsets."""
    spans = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start, end = _trim(text, pos, pos + len(line))
        if end > start:
            spans.append((start, end))
        pos += len(line)
    return spans


def _continues(text: str, line: tuple[int, int], nxt: tuple[int, int]) -> bool:
    """Does the next line continue the sentence of this one (a PDF line break)?"""
    if text[line[1] - 1] in _FINAL_PUNCT:
        return False
    if text[line[0] : line[1]].count(" ") < 3:  # a short line is a heading
        return False
    if LIST_START.match(text, nxt[0]):
        return False
    first = text[nxt[0]]
    between = text[line[1] : nxt[0]]
    return first.islower() and between.count("\n") == 1


def _blocks(text: str) -> list[tuple[int, int]]:
    """Lines, with sentences broken across lines joined into one block."""
    blocks: list[tuple[int, int]] = []
    for line in _lines(text):
        if blocks and _continues(text, blocks[-1], line):
            blocks[-1] = (blocks[-1][0], line[1])
        else:
            blocks.append(line)
    return blocks


def _block_kind(text: str, start: int, end: int) -> str:
    body = text[start:end]
    if _ARTIFACT.fullmatch(body):
        return "artifact"
    if LIST_START.match(body):
        return "list_item"
    if len(body) <= _HEADING_MAX_CHARS and body[-1] not in _FINAL_PUNCT:
        return "heading"
    return "sentence"


def _split_block(text: str, start: int, end: int, ends: list[int]) -> list[tuple[int, int]]:
    """`ends`: every sentence end of the text, in order (no end match crosses the blank
    space between blocks, so one scan of the whole text finds each block's own)."""
    cuts = ends[bisect_right(ends, start) : bisect_left(ends, end)]
    pieces = []
    last = start
    for cut in [*cuts, end]:
        s, e = _trim(text, last, cut)
        if e > s:
            pieces.append((s, e))
        last = cut
    return pieces


def segment(text: str) -> list[Segment]:
    """Split `text` into non-overlapping segments in reading order."""
    segments: list[Segment] = []
    ends = sorted(set(_sentence_ends(text, 0, len(text))))
    for start, end in _blocks(text):
        kind = _block_kind(text, start, end)
        pieces = [(start, end)] if kind in ("artifact", "heading") else _split_block(
            text, start, end, ends
        )
        for s, e in pieces:
            segments.append(Segment(seg_no=len(segments), start=s, end=e, kind=kind))
    return segments


# A lead-in sentence opens the list that follows it ("Die wichtigsten Gründe:", "主要原因：").
_OPENS_LIST = (":", "：")
# A line of a list or table that gives a figure with a few words ("Ruhe: 41 %", "Housing
# 41%"): no longer than a heading, so the segmenter calls it one when it has no bullet.
_ITEM_KINDS = ("list_item", "heading")


def lead_ins(text: str, segments: list[Segment], with_figures: set[int]) -> dict[int, int]:
    """The heading or lead-in sentence each list item belongs to, by seg_no: "Zeitersparnis:
    61 %" alone says almost nothing; under "Die wichtigsten Gründe für Homeoffice:" it is a
    reason for working from home. `with_figures`: the seg_nos that hold a figure (a short
    line with a figure is a row of the list or table, not its heading).

    The lead-in of an item is the last heading without a figure, or line ending in a
    colon, before it, with only items of its list (list items, short lines with a figure)
    in between; a sentence of running text ends the list (an item after it has none).
    An item that is a sentence of its own ("- The employment rate was 74.6% in March")
    says what it measures: it keeps its list going but takes no lead-in (a section
    heading, "Main points", "Key findings", is no part of its claim)."""
    found: dict[int, int] = {}
    lead: int | None = None
    for seg in segments:
        if seg.seg_no not in with_figures and _is_table_header(text, seg):
            continue  # ("| Verkehrsmittel | Anteil |": the rows' lead-in is the heading above)
        if seg.seg_no not in with_figures and _is_chart_scale(text, seg):
            continue  # (a chart's axis or row of years: its caption is the values' lead-in)
        if text[seg.end - 1] in _OPENS_LIST or (
                seg.kind == "heading" and seg.seg_no not in with_figures):
            lead = seg.seg_no  # (a sub-list's lead-in may be an item of the list above)
        elif _is_item(seg, with_figures):
            if lead is not None and _says_little(text, seg):
                found[seg.seg_no] = lead
        elif seg.kind != "artifact":
            lead = None  # running text ends the list
    return found


# An item of at most this many words names an entry of its list ("Kein Arbeitsweg",
# "Kontakt zum Team fehlt", "节省通勤时间"); a longer one is a finding of its own.
_ITEM_WORDS = 6
_LATIN_WORD = re.compile(r"[^\W\d_]+")
_IDEOGRAPH = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _says_little(text: str, seg: Segment) -> bool:
    """Whether an item is a short entry of a list, not a finding of its own (where words are
    not spaced, two characters count as a word)."""
    return _word_count(text[seg.start:seg.end]) <= _ITEM_WORDS


def _word_count(body: str) -> float:
    """Words of a text, where words are not spaced two characters counting as one."""
    ideographs = len(_IDEOGRAPH.findall(body))
    return len(_LATIN_WORD.findall(_IDEOGRAPH.sub(" ", body))) + ideographs / 2


def _is_table_header(text: str, seg: Segment) -> bool:
    """A table's row of column names: cells between rules ("| Verkehrsmittel | Anteil |")."""
    return text.count("|", seg.start, seg.end) >= 2 and seg.kind in _ITEM_KINDS


def _is_chart_scale(text: str, seg: Segment) -> bool:
    """A chart's axis ticks or row of years, copied as a line of their own."""
    line = text[seg.start:seg.end]
    return seg.kind != "sentence" and (charts.is_axis(line) or charts.is_year_row(line))


def _is_item(seg: Segment, with_figures: set[int]) -> bool:
    """A list item, or a short line with a figure (a table row: "Housing 41%")."""
    return seg.kind == "list_item" or (seg.kind in _ITEM_KINDS and seg.seg_no in with_figures)


# An entry of a list written inline names its figure in at most this many words.
_INLINE_ENTRY_WORDS = 5


def inline_lead_in(text: str, seg: Segment, figures: list[tuple[int, int]]) -> int | None:
    """Where the lead-in of a list written inline ends (after its colon): "Als Gründe
    nannten die Befragten: Zeitmangel (52 %), Kosten (17 %) und fehlende Angebote (11 %)",
    "主要原因：时间灵活（45.2%）、费用低（30.1%）", "Was stört: 41 % Staus, 30 % Baustellen".
    `figures`: the (start, end) of the segment's figures, in order. The lead-in holds no
    figure; two figures at least follow it, each named by a few words of its own, all
    before or all after their figures. Prose after a colon ("Die Stimmung bleibt positiv:
    82 Prozent sehen in KI vor allem eine Chance, 14 Prozent ein Risiko") is no list, nor
    are a figure with its comparison value ("Housing: 41% (2023: 38%)") or bare figures."""
    colon = next((at for at in range(seg.start, figures[0][0]) if text[at] in _OPENS_LIST),
                 None) if figures else None
    if colon is None or text.count("(", seg.start, colon) > text.count(")", seg.start, colon):
        return None
    after = [figure for figure in figures if figure[0] > colon]
    if len(after) < 2:
        return None
    ends = [colon + 1] + [end for _, end in after]
    starts = [start for start, _ in after] + [seg.end]
    names_before = [text[ends[i]:starts[i]] for i in range(len(after))]
    names_after = [text[ends[i + 1]:starts[i + 1]] for i in range(len(after))]
    return colon + 1 if _entry_names(names_before) or _entry_names(names_after) else None


def _entry_names(names: list[str]) -> bool:
    """Whether each of the texts names an entry in a few words."""
    return all(0 < _word_count(name) <= _INLINE_ENTRY_WORDS for name in names)
