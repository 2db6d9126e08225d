"""Topic cues: which measured things a figure's clause talks about.

Concepts are language-neutral keys (``career_path``, ``ai``, ``training``);
each language maps its own words to them in ``lang/<code>/concepts.toml``.
The linker compares concept sets across languages without a translation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from functools import cache

from extract import lexicon
from extract.records import Segment, Statistic

CONCEPTS_VERSION = "concepts-1"
_CLAUSE_BREAK = re.compile(r"[,，;；:：()（）]|\s[–—-]\s|\s[–—]")


@cache
def _cues(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    table = lexicon.load(lang).get("concepts", {})
    compiled = []
    for key, patterns in sorted(table.items()):
        joined = "|".join(f"(?:{p})" for p in patterns)
        compiled.append((key, re.compile(joined, re.IGNORECASE)))
    return tuple(compiled)


def find_concepts(text: str, lang: str) -> tuple[str, ...]:
    """Sorted concept keys whose cues occur in ``text``."""
    try:
        cues = _cues(lang)
    except lexicon.LexiconError:
        return ()
    return tuple(key for key, pattern in cues if pattern.search(text))


def clause_bounds(sentence: str, offset: int) -> tuple[int, int]:
    """Start and end (relative to ``sentence``) of the clause holding position ``offset``."""
    start, end = 0, len(sentence)
    for match in _CLAUSE_BREAK.finditer(sentence):
        if match.end() <= offset:
            start = match.end()
        elif match.start() > offset:
            end = match.start()
            break
    return start, end


def attach_concepts(text: str, found: Sequence[Statistic], lang: str,
                    segments: Sequence[Segment] | None = None) -> list[Statistic]:
    """Each statistic with the concepts of its clause (of its sentence when the clause has none,
    and always of its sentence when it belongs to a comparison group)."""
    language_of = {(s.start, s.end): s.language for s in segments or ()}
    result = []
    for stat in found:
        sentence = text[stat.sentence_start:stat.sentence_end]
        seg_lang = language_of.get((stat.sentence_start, stat.sentence_end)) or lang
        concepts: tuple[str, ...] = ()
        if stat.group is None:
            lo, hi = clause_bounds(sentence, stat.start - stat.sentence_start)
            concepts = find_concepts(sentence[lo:hi], seg_lang)
        if not concepts:
            concepts = find_concepts(sentence, seg_lang)
        result.append(replace(stat, concepts=concepts))
    return result
