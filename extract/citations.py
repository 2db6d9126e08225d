"""The survey a figure is cited from: press coverage names the study it reports ("laut
einer Umfrage des Instituts X", "X şirketinin araştırmasına göre", "据X发布的调查", "a poll
by X found"), and that study, not the outlet, is whose figure it is.

Each language lists its citation patterns in `extract/lang/<code>/claims.toml`
(`[citations] patterns`): regular expressions with a group `name` (the institute or
survey) and optionally `year` (an edition: "the 2024 edition of X"). A figure takes the
citation of its own sentence; a sentence without one continues the citation before it
(coverage names its source once and goes on: "The poll also found ..."), and the figures
before a document's first citation (its headline, its lead) take that first one.
Which figures a citation may reassign (a document without an edition of its own) is for
the warehouse to decide (`warehouse/link_claims.study_of`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

from extract import lexicon
from extract.languages import supported
from extract.records import Statistic
from extract.rules import rules_for


@dataclass(frozen=True)
class Citation:
    name: str  # the cited study or institute, as a key (`cited_key`)
    year: int | None  # the edition's year, when the citation names one
    start: int  # where the citation stands in the document


@cache
def _patterns(lang: str) -> tuple[re.Pattern[str], ...]:
    listed = lexicon.load(lang).get("citations", {}).get("patterns", [])
    return tuple(re.compile(pattern) for pattern in listed)


# Words a cited name sheds to become a key: articles, genitive endings of the name's
# last word, and legal forms ("GmbH", "Inc.", "A.Ş.", "有限公司").
_LEGAL = re.compile(r"\b(?:gmbh|ag|e\.?\s?v\.?|inc\.?|ltd\.?|llc|plc|a\.ş\.?|ltd\.?\s?şti\.?)"
                    r"(?=\s|$)|有限公司|股份有限公司|公司$")
_ARTICLE = re.compile(r"^(?:the|der|die|das|des|dem|den)\s+")
_PARENS = re.compile(r"\s*[(（][^)）]*[)）]")


def cited_key(name: str) -> str:
    """A cited name as a key that the same institute's publisher entry also gives:
    lower case, without parentheses, articles, apostrophe suffixes and legal forms
    ("Kavşak Araştırma'nın" and "Kavşak Araştırma" are one key)."""
    key = _PARENS.sub("", name).lower().replace("i\u0307", "i")  # (Turkish İ lowers to i̇)
    key = re.sub(r"['’]\w*", "", key)
    key = _LEGAL.sub("", key)
    key = _ARTICLE.sub("", " ".join(key.replace(",", " ").split()))
    return key.strip(" .,-")


@cache
def _kind_word() -> re.Pattern[str] | None:
    """A leading word of a cited key that says what kind of body it names, in any
    language's `[citations] kinds` ("meinungsforschungsinstituts yougov")."""
    kinds = [kind for lang in supported()
             for kind in lexicon.load(lang).get("citations", {}).get("kinds", [])]
    return re.compile(rf"^(?:{'|'.join(kinds)})\s+(?=\S)", re.IGNORECASE) if kinds else None


def bare_name(key: str) -> str:
    """A cited key without a leading kind word: "des Meinungsforschungsinstituts YouGov"
    and a publisher entry "YouGov" name one study, as do "des Instituts Waldmann" and
    "Institut Waldmann"."""
    kind = _kind_word()
    return kind.sub("", key) if kind else key


def _names_people(name: str, lang: str) -> bool:
    """"Die Befragung der Beschäftigten ergab", "nach einer Befragung der Unternehmen
    Bayerns": a name that opens with a whole word naming a group of the language's
    population lexicon is the people asked, not an institute ("国家统计局" opens with no
    word of its own)."""
    rules = rules_for(lang)
    found = rules.term_regex.match(name)
    whole_word = found is not None and name[found.end():found.end() + 1] in ("", " ")
    return bool(found and whole_word and rules.population_of(found.group(0)))


def _cited(text: str, lang: str) -> Iterator[tuple[re.Match[str], str]]:
    """Each citation's match and its key (a name that is a group of people is none)."""
    for pattern in _patterns(lang):
        for match in pattern.finditer(text):
            key = cited_key(match.group("name"))
            if len(key) >= 2 and not _names_people(match.group("name"), lang):
                yield match, key


def citations(text: str, lang: str) -> list[Citation]:
    """Every citation of a survey in a document, in order."""
    found = []
    for match, key in _cited(text, lang):
        year = match.groupdict().get("year")
        found.append(Citation(key, int(year) if year else None, match.start()))
    return sorted(found, key=lambda c: c.start)


def without_cited_names(text: str, lang: str) -> str:
    """The text with each cited institute's name blanked (its places kept): the words of a
    name ("Anadolu Veri şirketinin", "Institut der Unternehmen") name no figure's group
    and hold no figure. A pattern's group `by` (the name with the word for the institute)
    is blanked where it has one, else its group `name`."""
    spans = [match.span("by") if match.groupdict().get("by") else match.span("name")
             for match, _ in _cited(text, lang)]
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def attach_citations(text: str, stats: Sequence[Statistic], lang: str) -> list[Statistic]:
    """Each statistic with the study its sentence cites (or the one cited before it, or
    the document's first citation for figures before any); an edition year its own
    sentence cites ("In the 2024 edition of X, 57% ...") is the year of its figures that
    have none of their own (a later sentence may be of another year)."""
    cited = citations(text, lang)
    if not cited:
        return list(stats)
    out = []
    for stat in stats:
        # a citation anywhere in the figure's sentence is its own
        before = [c for c in cited if c.start < stat.sentence_end]
        citation = before[-1] if before else cited[0]
        year = stat.year
        in_sentence = citation.start >= stat.sentence_start
        if citation.year is not None and stat.year_basis == "edition" and in_sentence:
            year = citation.year
        out.append(replace(stat, cited=citation.name, year=year))
    return out


def fieldwork_year(text: str, lang: str) -> int | None:
    """The year a document says its survey was fielded ("Die im Frühjahr 2025 durchgeführte
    Befragung", "本次调查于2023年10月开展"; the language's `[years] fieldwork` cues), when it
    names one such year only: the survey year of coverage listed without one whose title
    names none, so that its figures are not of no year."""
    try:
        cues = rules_for(lang).fieldwork
    except lexicon.LexiconError:
        return None
    years = {int(match.group("year")) for cue in cues for match in cue.finditer(text)}
    return years.pop() if len(years) == 1 else None


def cited_edition_year(text: str, lang: str) -> int | None:
    """The one edition year the surveys a document cites name ("Das geht aus dem Student
    Wellbeing Survey 2025 des X hervor", "the 2024 edition of the X"): the survey year of
    coverage listed without one whose title and text name no other, so that its figures
    are the edition's, not of no year."""
    try:
        years = {c.year for c in citations(text, lang) if c.year is not None}
    except lexicon.LexiconError:
        return None
    return years.pop() if len(years) == 1 else None
