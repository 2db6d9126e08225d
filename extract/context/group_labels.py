"""A label for a group the lexicon lacks, from the words that name it next to a share
("41% of hospital pharmacists", "38 Prozent der Kleingärtner", "balıkçıların %27'si",
"27%的快递员").

The decision (extract/lang/README.md, "Groups the lexicon lacks"): a group whose English name
is known is a lexicon term (`[population.terms]`) and never reaches this module.  Any other
group is labelled by the dictionary form of its head noun in the document's own language,
lower-cased, without transliteration: "Kleingärtnern" and "Kleingärtner" both give
`kleingärtner`, "balıkçıların" and "balıkçılar" both `balıkçı`.  So two figures about the
same group share a label (the linker can pair them), and groups that differ keep apart.
English keeps its plural snake_case words ("hospital_pharmacists"), as its lexicon does.

Only a head that names people or organisations by its form (`label_head`: "-er", "-ent",
"-çi", "者", "户" ...) gives a label; a thing ("der Preise", "gelirlerin", "的收入") gives none,
nor does a word of `label_stop`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from extract.rules import LanguageRules

# German nominalised adjectives and participles lose their ending in the dictionary
# ("Selbstständigen" -> "selbstständig", "Studierenden" -> "studierend"); the group is
# "die Selbstständige(n)", so the label keeps the noun's "-e".
_ADJECTIVE_LEMMA = re.compile(r"(?:end|ig|lich|los|isch|ert|ter|ten)$")
# A German feminine form names the same group as the generic one ("Kleingärtnerinnen" and
# "Kleingärtner" are both `kleingärtner`).
_FEMININE = re.compile(r"(?<=er|nt|st|ur|ut|ge|af|om|rt)in$")
# The shortest word of `label_stop` that also stops compounds ending in it.
_COMPOUND_STOP = 5
# The most words of a Chinese group name ("外出农民工" = migrant workers who left home).
_MAX_SEGMENTS = 3


def label_of_group(label: str, rules: LanguageRules) -> str | None:
    """The normalised label of the group `label` names, or None when it names no group."""
    words = label.split()
    if not words:
        return None
    if rules.label_lemmas == "words":  # English: the words are the label
        return _english_label([w.lower() for w in re.split(r"[\s-]+", label) if w], rules)
    if rules.label_lemmas == "segments":  # Chinese: jieba's words, up to the head
        return _segmented_label(label, rules)
    head = _head_lemma(words[-1], rules)
    if head is None or _names_a_thing(head, rules) or not rules.label_head.search(head):
        return None
    return head.replace("-", "_")


def _names_a_thing(head: str, rules: LanguageRules) -> bool:
    """A word of `label_stop`, or a compound ending in one of five letters or more
    ("Bürocomputer", "Kaltmiete"); shorter ones would end group names too ("Wochen-ende"
    and "Studier-ende")."""
    return head in rules.label_stop or any(
        len(stop) >= _COMPOUND_STOP and head.endswith(stop) for stop in rules.label_stop)


def _english_label(words: list[str], rules: LanguageRules) -> str | None:
    """'hospital pharmacists' -> 'hospital_pharmacists'; a thing ('orders') gives none."""
    if not words or words[-1] in rules.label_stop:
        return None
    while words and words[0] in rules.label_stop:
        words.pop(0)
    return "_".join(words) or None


def _head_lemma(word: str, rules: LanguageRules) -> str | None:
    """The dictionary form of a head noun, lower-cased: simplemma's lemma (German), or the
    word without the endings `label_inflection` lists (Turkish: "çiftçilerin" -> "çiftçi";
    simplemma would cut the "-ci" that makes it a person)."""
    if rules.label_lemmas == "simplemma":
        from extract.claims import lemma  # loads the language's dictionary on first use

        found = lemma(word, rules.lang)
        if word[:1].isupper() and _ADJECTIVE_LEMMA.search(found) and word.endswith(("e", "en")):
            found += "e"  # "Alleinerziehenden" -> "alleinerziehende", not "alleinerziehend"
        return _FEMININE.sub("", found)
    stripped = rules.label_inflection.sub("", word.lower())
    return stripped if len(stripped) >= 3 else None


def _segmented_label(text: str, rules: LanguageRules) -> str | None:
    """The shortest run of jieba's words from the start that ends in a group head
    ("外出农民工表示" -> "外出农民工", "快递员认为" -> "快递员"); a head must come within
    three words, and a word of `label_stop` ends the search ("的收入增长" names no group)."""
    taken = ""
    for word in _segments(text)[:_MAX_SEGMENTS]:
        if word in rules.label_stop:
            if taken:
                return None
            continue  # a leading modifier such as "受访" (surveyed) is dropped
        taken += word
        if rules.label_head.search(taken):
            return taken
    return None


@lru_cache(maxsize=4096)
def _segments(text: str) -> tuple[str, ...]:
    import jieba  # its dictionary loads on first use (about 2 s)

    jieba.setLogLevel(60)
    return tuple(jieba.lcut(text))
