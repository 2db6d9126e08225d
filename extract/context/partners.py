"""Bare numbers that a count in the same sentence gives their meaning: its value at
another time ("1,160 redundancies, compared with 1,420 in 2024", "4.210 Anträge, gegenüber
3.980 im Vorjahr").  Alone, a number without a noun is no figure; after a count and a
comparison cue it is the same measure."""

from __future__ import annotations

import re
from dataclasses import replace

from extract.candidates import Candidate
from extract.rules import LanguageRules

_YEARLIKE = re.compile(r"(?:19|20)\d\d")
# How far after a count its partner may stand.
_PARTNER_CHARS = 90


def _count_partners(text: str, candidates: list[Candidate], rules: LanguageRules,
                    ) -> list[Candidate]:
    """Add the bare partners of the sentence's counts (language cues
    ``from_to.count_partner``, group ``num``); a sample size has none."""
    if not rules.count_partner or not any(c.unit == "count" for c in candidates):
        return candidates
    kept = list(candidates)
    for cand in candidates:
        if cand.unit != "count" or cand.sample:
            continue
        window = text[cand.end : cand.end + _PARTNER_CHARS]
        # A change's partner is the level it reached: a count, no change.
        cues, rule = ((rules.change_level, "count_level") if cand.change
                      else (rules.count_partner, "count_partner"))
        for regex in cues:
            match = regex.match(window)
            if match is None or _YEARLIKE.fullmatch(match.group("num")):
                continue
            value = rules.numbers.parse(match.group("num"))
            start, end = cand.end + match.start("num"), cand.end + match.end("num")
            if value is None or any(start < k.end and k.start < end for k in kept):
                continue
            kept.append(replace(cand, start=start, end=end, value=value, change=False,
                                sign=None, rule=f"{rules.lang}.{rule}", qualifier=None))
            break
    return sorted(kept, key=lambda c: c.start) if len(kept) > len(candidates) else candidates
