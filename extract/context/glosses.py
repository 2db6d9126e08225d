"""Figures in parentheses after another figure (appositions): the head they explain,
the time they share with it, and verbal shares glossed by an exact figure."""

from __future__ import annotations

import re

from extract.context.work import (
    _NEAR_CHARS,
    _Work,
)
from extract.context.years import (
    _YEAR_START,
)

# What may stand between a figure and the parenthesis of its apposition: a short noun
# phrase, no number, no clause break ("zwei Drittel der Befragten (", "412 neue Gebäude (").
_APPOSITION_GAP = re.compile(r"[^\d%％()（）,，;；.。:：!?！？]{0,30}[(（]\s*")
# A number right before the parenthesis of a figure, perhaps with its noun: "up 9,800
# (0.8%)", "412 neue Gebäude (−9,5 %)".
_NUMBER_IN_PARENS = re.compile(
    r"(?<![\w.,])\d(?:[\d.,\u00a0\u202f]*\d)?(?:\s*[^\W\d_]+){0,3}\s*[(（]\s*$")
# How close a verbal share must be to its exact gloss to take its qualifier ("Jeder
# Vierte (25 %)" is exact; "ein Drittel (33 Prozent)" is approx).
_GLOSS_EQUAL = 0.01


def _find_heads(text: str, works: list[_Work]) -> None:
    """Mark figures written in parentheses right after another figure (its apposition)."""
    for i, work in enumerate(works):
        if i > 0 and _APPOSITION_GAP.fullmatch(text[works[i - 1].cand.end : work.lead]):
            work.head = i - 1
            work.cue_start = works[i - 1].lead
            continue
        number = _NUMBER_IN_PARENS.search(text, max(0, work.lead - _NEAR_CHARS), work.lead)
        if number and not _YEAR_START.match(text, number.start()):  # "bis 2025 (45 %)"
            work.cue_start = number.start()


def _inherit_from_heads(works: list[_Work]) -> None:
    """A figure in parentheses after another shares its time ("412 Gebäude (−9,5 %)")."""
    for work in works:
        if work.head is None or work.year is not None or work.year_offset is not None:
            continue
        head = works[work.head]
        work.year, work.year_offset = head.year, head.year_offset


def _mark_glosses(works: list[_Work]) -> None:
    """'zwei Drittel (68 Prozent)', '三分之二的消费者（68%）': the verbal share paraphrases the
    exact figure in parentheses after it and shares its time.  Its qualifier is approx
    unless it names its own or equals the figure."""
    for i, work in enumerate(works):
        if work.head is None:
            continue
        verbal = works[work.head]
        if (not verbal.cand.verbal or verbal.cand.kind in ("range", "multiple")
                or work.cand.verbal or verbal.unit != "percent" or work.unit != "percent"):
            continue
        verbal.paraphrase_of = i
        if verbal.year is None and verbal.year_offset is None:  # "2 in 10 (21%) in 2021"
            verbal.year, verbal.year_offset = work.year, work.year_offset
        if verbal.cand.qualifier is None and verbal.qualifier == "exact" and abs(
                verbal.cand.value - work.cand.value) > _GLOSS_EQUAL:
            verbal.qualifier = "approx"
