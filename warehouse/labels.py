"""Metric labels and ids: a metric is named after its claim (in English when a
translation exists) and identified by its oldest observation. No database.
"""

from __future__ import annotations

import hashlib
import re

from extract import languages
from extract.claims import content_words, trim_function_words
from warehouse.link_claims import CLAUSE_BREAK, COUNT_CHANGE_UNIT, Node
from warehouse.link_rules import PEOPLE_SAMPLE_LABEL, count_kind


def _words(key: str | None) -> str:
    return (key or "").replace("_", " ")


_QUOTES = re.compile(r"[“”„‟\"«»‹›「」『』]")
LABEL_LENGTH = 100
MIN_LABEL_LETTERS = 12  # a clause with fewer letters is replaced by its sentence
# A letter of a language written without spaces (Chinese) says about what a word of two
# letters does elsewhere: "远途汽车的份额为" names its measure, "占比为" does not.
UNSPACED_LETTER_WEIGHT = 2


_LABEL_ENDS = " ,;:–—-.。()（）、，；：[]【】"


def _readable(text: str, limit: int = LABEL_LENGTH) -> str:
    """Text a label may show: no quote marks, cut at a clause break or else on a whole
    word within `limit` characters (never with an ellipsis)."""
    text = " ".join(_QUOTES.sub("", text).split()).strip(_LABEL_ENDS)
    if len(text) <= limit:
        return text
    breaks = [m.start() for m in CLAUSE_BREAK.finditer(text, 0, limit) if m.start() >= 30]
    if breaks:
        return text[:breaks[-1]].rstrip(_LABEL_ENDS)
    cut = text.rfind(" ", 0, limit)
    return text[:cut if cut > 30 else limit].rstrip(_LABEL_ENDS)


def _without_figure(node: Node, text: str) -> str:
    """The clause without the figure itself (a metric has many values) and without the
    function words left at its ends."""
    spaced = languages.info(node.lang or "en").spaces_between_words
    around = r"\S*" if spaced else ""
    gap = " " if spaced else ""  # (no space where words are not spaced: "另有的企业")
    text = re.sub(around + re.escape(node.surface) + around, gap, text, count=1)
    shaped = _figures_shaped_like(node.surface)
    if shaped is not None:  # a neighbour's value is no part of what this metric measures
        text = re.sub(r"\s+(?=[,;:])", "", shaped.sub(gap, text))
    # nor is a level next to a change ("渗透率达到56.8%，比上年提高9.3个百分点")
    text = re.sub(r"\s+(?=[,;:])", "", _A_PERCENT.sub(gap, text))
    text = re.sub(r"\(\s*\)|（\s*）", " ", text)
    return trim_function_words(" ".join(text.split()), node.lang or "en")


_A_PERCENT = re.compile(r"(?<![\d.,])\d[\d.,]*\s?[%％](?!\w)")  # any figure with a sign


def _figures_shaped_like(surface: str) -> re.Pattern[str] | None:
    """Other figures written as `surface` is, its number replaced ("37 Prozent" finds "8
    Prozent", "%62" finds "%41"): a label never quotes the value of another figure of its
    sentence. None for a figure with no digits or nothing around them ("1,200")."""
    number = re.search(r"\d[\d.,]*", surface)
    if number is None or number.group() == surface.strip():
        return None
    before, after = surface[:number.start()], surface[number.end():]
    return re.compile(re.escape(before) + r"(?<![\d.,])\d[\d.,]*" + re.escape(after)
                      + r"(?!\w)")


def _without_table_rules(text: str, lang: str) -> str:
    """A table row as a label: its cells that say something, without the rules between
    them ("| Good pay | 54% | | 47% |" -> "Good pay"): a label never shows a bar, nor the
    figures of the other columns."""
    if "|" not in text:
        return text
    cells = (cell.strip() for cell in text.split("|"))
    return ", ".join(cell for cell in cells if content_words(cell, lang))


_LEAD_MARKS = re.compile(r"^[#*•\-–\s]+")  # a Markdown heading's or a bullet's marks
# A year in a lead-in (a report's title over its key figures: "Araştırması, 2024"): the
# label of a metric of many editions names none of theirs.
_YEARS = re.compile(r"[\s,(（]*(?<!\d)(?:19|20)\d\d(?!\d)[)）]?")


def _under_lead_in(lead_in: str, item: str, lang: str) -> str:
    """"Top worries: Housing": an item's label after its list's lead-in (without its
    years, Markdown marks and the function words left at its end), cut on a whole word
    to fit the label (left out when no word of it fits)."""
    lead = _readable(_YEARS.sub("", _LEAD_MARKS.sub("", lead_in)), 10 * LABEL_LENGTH)
    kept = trim_function_words(lead, lang)  # ("Top worries in": its end only; "En çok
    lead = lead[:lead.find(kept)] + kept if kept else lead  # güvenilen" keeps "En çok")
    item = _YEARS.sub("", item).strip(_LABEL_ENDS)  # ("- 2023: 6 %": a year's row)
    room = LABEL_LENGTH - len(item) - 2
    if len(lead) > room:
        cut = lead.rfind(" ", 0, room + 1)
        lead = lead[:cut].rstrip(_LABEL_ENDS) if cut > 0 else ""
    return f"{lead}: {item}" if lead and item else lead or item


def _label_member(members: list[Node]) -> Node:
    """The figure whose words name the metric: an English one if any, else the oldest
    with the most words; an exact figure before a gloss ("At least 7 in 10 adults (72%)":
    the gloss's clause holds the figure it glosses), and one that names its measure before
    one that refers back to it ("Vier Jahre zuvor hatte der Anteil noch bei 21,0 %")."""
    exact = sorted(members, key=lambda m: (m.gloss, m.anaphor))
    english = next((m for m in exact if m.lang == "en" and m.words), None)
    return english or next((m for m in exact if len(m.words) > 1), members[0])


def label_for(members: list[Node]) -> tuple[str, str]:
    """Label of a metric (members oldest first) and where it came from: the claim, in
    English when a translation exists, else in its own language (named)."""
    first = members[0]
    kind = count_kind(first) if first.sample else None  # (a count that is a finding: its claim)
    if kind == PEOPLE_SAMPLE_LABEL:
        groups = {m.population for m in members}
        suffix = f": {_words(groups.pop())}" if len(groups) == 1 else ""
        if suffix and all(m.sub_sample for m in members):  # ("其中…1150人": not the whole)
            suffix = f": a part of the {suffix[2:]}"
        return f"{PEOPLE_SAMPLE_LABEL}{suffix}", "sample"
    if kind:
        return f"{_words(kind)} surveyed", "sample"
    head = "growth in " if first.unit == "percent_change" else ""
    if first.unit in (COUNT_CHANGE_UNIT, "percentage_points"):  # "up 9,800", "+2.1 points":
        head = "change in "  # a change in the measure's own unit, not the measure
    if first.forecast:  # (never beside the observed measure its words name alike)
        head = "forecast: " + head
    if first.population:
        head += f"{_words(first.population)}: "
    translated = [m for m in members if m.claim_en]
    if translated and translated[0].lang != "en":
        return f"{head}{_readable(translated[0].claim_en or '')}", "translation"
    named = _label_member(members)
    lang = named.lang or "en"
    text = _shown(named, named.clause)
    if named.lead_in:  # a list item: its list's heading says what it is an item of
        text = _under_lead_in(named.lead_in, text, lang)
    elif _says_too_little(text, lang):
        text = _shown(named, named.claim)
    if len({m.year for m in members if m.year is not None}) > 1:
        text = _undated(text, lang)
    if named.lang in (None, "en"):
        return f"{head}{text}", "claim"
    return f"{head}{text} ({named.lang})", "claim"


def _shown(node: Node, text: str) -> str:
    """A clause or sentence as a label shows it: without the figure, table rules and
    quote marks, cut to length, no bracket left open."""
    lang = node.lang or "en"
    return _closed(_readable(_without_table_rules(_without_figure(node, text), lang)))


_OPENING = {"(": ")", "（": "）", "[": "]", "【": "】"}


def _closed(text: str) -> str:
    """`text` cut before a bracket it opens and never closes ("response rate of (2022
    and 2021"): a label shows no half of an aside."""
    open_at: list[int] = []
    for at, char in enumerate(text):
        if char in _OPENING:
            open_at.append(at)
        elif open_at and char == _OPENING[text[open_at[-1]]]:
            open_at.pop()
    return text[:open_at[0]].rstrip(_LABEL_ENDS) if open_at else text


# A year that frames a whole label, opening it ("2024年", "2024年12月，", "In 2024,", "2024
# yılında") or closing it ("in 2024", "im Jahr 2024"): the frame of one of the figures.
_YEAR_FRAME_START = re.compile(
    r"^(?:(?:截至|到)?(?:19|20)\d\d\s?年(?:\d{1,2}月)?(?:底|末)?[，,：:\s]*"
    r"|(?:in|im Jahr|im)\s+(?:19|20)\d\d[\s,:]+|(?:19|20)\d\d(?:\s+yılında|\s*[,:])\s*)",
    re.IGNORECASE)
_YEAR_FRAME_END = re.compile(r"[\s,，]+(?:in|im Jahr|im)\s+(?:19|20)\d\d\W*$", re.IGNORECASE)


def _undated(text: str, lang: str) -> str:
    """The label of a metric of several years without the year that frames it: one
    figure's year would misdate the others ("2024年新能源乘用车零售渗透率", "accounted for
    of new car registrations in 2024"). A year inside it ("up on 2022", "2020’de olan") is
    part of what it says and stays."""
    undated = _YEAR_FRAME_END.sub("", _YEAR_FRAME_START.sub("", text)).strip(_LABEL_ENDS)
    return undated if content_words(undated, lang) else text


def _says_too_little(text: str, lang: str) -> bool:
    """Whether a clause says too little to name a measure: few letters ("占比为"), or no
    word that carries a claim ("respectively")."""
    return _letters(text, lang) < MIN_LABEL_LETTERS or not content_words(text, lang)


def _letters(text: str, lang: str) -> int:
    """How much a label's text says, in letters of a spaced language: a character of a
    language that does not space its words (a Chinese one) is a syllable, worth about two
    ("同时使用台式电脑上网" says enough; the sentence of its list would name every entry,
    and a clause of one brand's share, "远途汽车的份额为", keeps its own words, not the
    sentence that names the brand before it)."""
    weight = 1 if languages.info(lang).spaces_between_words else UNSPACED_LETTER_WEIGHT
    return weight * sum(ch.isalpha() for ch in text)


def metric_id_for(members: list[Node]) -> str:
    anchor = min(members, key=lambda n: n.order)
    return "m-" + hashlib.sha256(anchor.obs_id.encode()).hexdigest()[:12]
