"""What a figure claims: the content words of its clause, lemmatised.

The linker compares claims, not topic keywords: two figures measure the same thing
when their clauses say the same thing about the same people. A claim holds

  words     the lemmas of the clause's content words (simplemma for de/tr/en, jieba
            word segmentation for zh), figures, stopwords and single letters left out
  clause    the clause itself, cut on whole words (what a label may quote)
  negated   the clause negates its predicate ("nicht", "not", "değil", "不")
  anaphor   the clause refers back to a figure given just before ("dieser Anteil",
            "bu oran", "这一比例", "that share")
  thin      the clause has no word of its own ("(2022: 63%)", "2021 erst 9 Prozent"): the
            figure continues the measure before it in its sentence
  respectively  "… 90.9% and 83.3% respectively": the figures follow the order of
            those they refer back to
  gloss     the figure is a verbal one ("nearly half", no digits) or a ratio ("7 in 10",
            "3 von 4", "10 kişiden 7'si": two numbers joined by words, no percent sign)

The clause of a figure runs from the last clause break before it to the first one
after it; a clause too thin to say anything (a parenthesised figure, "nearly half")
widens to the text between the neighbouring figures. Every word list is data in
``lang/<code>/claims.toml``; the code is the same for every language.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from extract import languages, lexicon
from extract.concepts import fold
from extract.respective import last_cue, respective_level, respective_names
from extract.segment import LIST_START

# (a comma between digits is a thousands or decimal mark: "1,512 adults", "2,5 Prozent")
_BREAK = r"(?<!\d),|,(?!\d)|[，;；:：、()（）\[\]]|\s[–—-]\s|[.!?。！？]\s*$"
# (with the case suffix glued to a number: "2023'te", "%62’si" say nothing of a claim)
_FIGURE_CHARS = re.compile(r"(?:\d[\d%％.,，]*(?:['’][^\W\d_]+)?|[%％.,，'’])+")
_GLUED_SUFFIX = re.compile(r"^['’]?[^\W\d_]*")
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
MIN_CLAUSE_WORDS = 3


@dataclass(frozen=True)
class Claim:
    words: frozenset[str]
    clause: str
    negated: bool
    anaphor: bool
    gloss: bool
    thin: bool = False  # the figure's own clause has no content word ("(2022: 63%)")
    respectively: bool = False  # "… 90.9% and 83.3% respectively": values in order


@dataclass(frozen=True)
class _Vocabulary:
    stopwords: frozenset[str]
    negations: frozenset[str]
    anaphors: tuple[str, ...]
    respectively: frozenset[str]
    breaks: re.Pattern[str]
    samples: tuple[str, ...] = ()
    sample_bases: tuple[str, ...] = ()
    sample_parts: tuple[str, ...] = ()
    directions: frozenset[str] = frozenset()
    new_wording: tuple[str, ...] = ()
    negating_forms: re.Pattern[str] | None = None  # a word form that negates its verb
    joins: re.Pattern[str] | None = None  # what joins the names of a list ("、", " ve ")
    # (phrase as folded words, scale point), longest phrase first; None: none declared
    intensifiers: tuple[tuple[tuple[str, ...], str], ...] | None = None


@cache
def _vocabulary(lang: str) -> _Vocabulary:
    data = lexicon.load(lang)
    claims = data.get("claims", {})
    conjunctions = [re.escape(fold(w, lang)) for w in
                    data.get("clauses", {}).get("conjunctions", [])]
    spaced = ([f"(?<!\\w){w}(?!\\w)" for w in conjunctions]
              if languages.info(lang).spaces_between_words else conjunctions)
    return _Vocabulary(
        stopwords=frozenset(fold(w, lang) for w in
                            claims.get("stopwords", []) + claims.get("respectively", [])),
        negations=frozenset(fold(w, lang) for w in claims.get("negations", [])),
        anaphors=tuple(fold(w, lang) for w in claims.get("anaphors", [])),
        respectively=frozenset(fold(w, lang) for w in claims.get("respectively", [])),
        breaks=re.compile("|".join([_BREAK, *spaced])),
        samples=tuple(fold(w, lang) for w in claims.get("samples", [])),
        sample_bases=tuple(fold(w, lang) for w in claims.get("sample_bases", [])),
        sample_parts=tuple(fold(w, lang) for w in claims.get("sample_parts", [])),
        directions=frozenset(fold(w, lang) for w in claims.get("directions", [])),
        new_wording=tuple(fold(w, lang) for w in claims.get("new_wording", [])),
        negating_forms=re.compile(claims["negating_forms"]) if claims.get("negating_forms")
        else None,
        intensifiers=_intensifiers(claims.get("intensifiers"), lang),
        joins=re.compile(claims["list_joins"], re.IGNORECASE) if claims.get("list_joins")
        else None)


def _intensifiers(table: dict[str, list[str]] | None, lang: str
                  ) -> tuple[tuple[tuple[str, ...], str], ...] | None:
    if table is None:
        return None
    phrases = [(_words_of(fold(phrase, lang), lang), point)
               for point, listed in table.items() for phrase in listed]
    return tuple(sorted(phrases, key=lambda item: -len(item[0])))


# Lemmas looked up so far, (word, lang) -> lemma. simplemma loads a language's whole
# dictionary on first use (about 3 s), so a caller may hand in lemmas it stored before
# (`teach_lemmas`) and store the ones found since (`learned_lemmas`).
_LEMMAS: dict[tuple[str, str], str] = {}
_LEARNED: set[tuple[str, str]] = set()


def _lemma(word: str, lang: str) -> str:
    found = _LEMMAS.get((word, lang))
    if found is None:
        import simplemma  # imported when first needed: it loads a language's data on use

        found = _LEMMAS[(word, lang)] = str(simplemma.lemmatize(word, lang=lang)).lower()
        _LEARNED.add((word, lang))
    return found


def lemma(word: str, lang: str) -> str:
    """The dictionary form of a word, lower-cased (simplemma; cached)."""
    return _lemma(word, lang)


def teach_lemmas(rows: list[tuple[str, str, str]]) -> None:
    """Lemmas known from before: (lang, word, lemma) rows."""
    for lang, word, lemma in rows:
        _LEMMAS.setdefault((word, lang), lemma)


def learned_lemmas() -> list[tuple[str, str, str]]:
    """(lang, word, lemma) of the lemmas looked up since the last call."""
    rows = [(lang, word, _LEMMAS[(word, lang)]) for word, lang in sorted(_LEARNED)]
    _LEARNED.clear()
    return rows


def _tokens(text: str, lang: str) -> tuple[str, ...]:
    """Words of a piece of text, folded (Chinese: jieba's word segmentation)."""
    return _words_of(" ".join(_FIGURE_CHARS.sub(" ", text).split()), lang)


@lru_cache(maxsize=50_000)
def _words_of(text: str, lang: str) -> tuple[str, ...]:
    """(cached by the text without its figures: many sentences differ only in those)"""
    text = fold(text, lang)
    if _unspaced(lang):  # words are not spaced: jieba segments them (Chinese)
        return tuple(t for t in _segmenter().lcut(text) if t.strip() and not _is_punct(t))
    return tuple(_WORD.findall(text))


@cache
def _segmenter() -> Any:
    """jieba, with its dictionary loaded (about 1 s; thread-safe: a second caller waits)."""
    import jieba

    jieba.setLogLevel(60)
    jieba.initialize()
    return jieba


def prepare(langs: Iterable[str | None]) -> None:
    """Start loading the word segmenter of the languages written without spaces among
    `langs`, in a background thread, once per process: a caller about to wait on worker
    processes gets the segmenter's second for free. Not before database work: the load
    holds the interpreter, and DuckDB's queries beside it run several times slower
    (`prepared` waits for it first)."""
    if not _PREPARING and any(lang and _unspaced(lang) for lang in set(langs)):
        _PREPARING.append(threading.Thread(target=_segmenter, name="segmenter", daemon=True))
        _PREPARING[0].start()


def prepared() -> None:
    """Wait for the segmenter `prepare` started, if it is still loading (without one, a
    segmenter is loaded when first needed)."""
    if _PREPARING:
        _PREPARING[0].join()


_PREPARING: list[threading.Thread] = []  # (the thread `prepare` started, if any)


@cache
def _unspaced(lang: str) -> bool:
    """Whether the language writes words without spaces (its language.toml says so)."""
    return not languages.info(lang).spaces_between_words


def _is_punct(token: str) -> bool:
    return not any(ch.isalnum() for ch in token)


def all_words(text: str, lang: str) -> frozenset[str]:
    """Every word of `text`, folded, function words too (figures left out): two headings
    that differ only in "für" and "gegen" head two lists."""
    return frozenset(_tokens(text, lang))


LEAD_IN_MARK = "^"  # the function words of a list's lead-in among a claim's words: "^für"


def lead_in_mark(lead_in: str, lang: str) -> str:
    """One word of a list item's claim for the function words and negations of its
    lead-in, which its content words leave out: items under "Gründe für Homeoffice" and
    "Gründe gegen Homeoffice", or "选择…的原因" and "不选择…的原因", never have the same
    words (the linker takes the same words for the same claim)."""
    try:
        vocabulary = _vocabulary(lang)
        function_words = vocabulary.stopwords | vocabulary.negations
    except lexicon.LexiconError:
        function_words = frozenset()
    return LEAD_IN_MARK + "+".join(sorted(all_words(lead_in, lang) & function_words))


def negating(words: Iterable[str], lang: str) -> bool:
    """Whether any of `words` (folded) is a negation of the language ("nicht", "不"; a
    contraction ending in one: "don't")."""
    try:
        negations = _vocabulary(lang).negations
    except lexicon.LexiconError:
        return False
    suffixes = tuple(n for n in negations if "'" in n or "’" in n)
    return any(w in negations or (suffixes and w.endswith(suffixes)) for w in words)


def content_words(text: str, lang: str) -> frozenset[str]:
    """Lemmas of the words of `text` that carry a claim."""
    return _content_words(" ".join(_FIGURE_CHARS.sub(" ", text).split()), lang)


@lru_cache(maxsize=100_000)
def _content_words(text: str, lang: str) -> frozenset[str]:
    try:
        vocabulary = _vocabulary(lang)
    except lexicon.LexiconError:
        return frozenset(t for t in _tokens(text, lang) if len(t) > 1)
    words = set()
    for token in _tokens(text, lang):
        if token in vocabulary.stopwords or token in vocabulary.negations:
            continue
        unspaced = _unspaced(lang)
        lemma = token if unspaced else _lemma(token, lang)
        if lemma not in vocabulary.stopwords and (len(lemma) > 1 or unspaced):
            words.add(lemma)
    return frozenset(words)


def _clause(sentence: str, start: int, end: int, breaks: re.Pattern[str],
            floor: int, ceiling: int) -> tuple[int, int]:
    """The clause around sentence[start:end], inside [floor, ceiling)."""
    lo = floor
    for before in breaks.finditer(sentence, floor, start):
        lo = before.end()
    after = breaks.search(sentence, end, ceiling)
    return lo, after.start() if after else ceiling


def _between_neighbours(sentence: str, lo: int, hi: int, breaks: re.Pattern[str],
                        floor: int, ceiling: int) -> tuple[int, int]:
    """A thin clause widened to the text between its neighbouring figures, short of their
    own clauses: "Die FDP läge bei 5 Prozent, die Linke bei 4 Prozent" gives the 5 no
    word of the Linke's clause, nor the 4 one of the FDP's; "one in four (26%) take a bus,
    and 14% own a rail pass" gives the 14 nothing of the bus; in "Datenschutz (63 Prozent),
    fehlendes Fachpersonal (59 Prozent) und fehlende Zeit (44 Prozent)" each figure keeps
    the words before its parenthesis."""
    if floor > 0:  # a figure before: its own clause ends at the first break after it ...
        in_parentheses = _opens_parenthesis(sentence, lo)
        for found in breaks.finditer(sentence, floor, lo):
            # ... or, for a figure not in parentheses, after its words (the bus is the 26's)
            if in_parentheses or _LETTER.search(sentence, floor, found.start()):
                floor = found.end()
                break
    if ceiling < len(sentence):  # a figure after: its own clause starts after the last
        starts = [found.start() for found in breaks.finditer(sentence, hi, ceiling)]
        if starts and sentence[starts[-1]] in "(（":  # ... break before its parenthesis
            starts = starts[:-1] or [hi]  # ("Zeit (44 Prozent)", "Zeit (rund 44 Prozent)")
        ceiling = starts[-1] if starts else ceiling
    return min(floor, lo), max(ceiling, hi)


def _opens_parenthesis(sentence: str, at: int) -> bool:
    """Whether the figure at `at` follows an opening parenthesis ("Zeit (44 Prozent)")."""
    return sentence[max(0, at - 1):at] in ("(", "（")


def _subject(sentence: str, others: tuple[tuple[int, int], ...], floor: int,
             breaks: re.Pattern[str]) -> tuple[int, int]:
    """Where the clause of the figure ending at `floor` starts, and the figure's start: a
    figure whose own words only say which way it went ("0,3 puan azalarak %8,4 oldu",
    "失业率为5.0%，比上年同期下降0.2个百分点", "新增就业12.6万人，同比增长3.4%") is the level
    or the change of that figure's subject."""
    before = next(s for s, e in others if e == floor)
    lower = max((e for s, e in others if e <= before), default=0)
    return _clause(sentence, before, floor, breaks, lower, floor)[0], before


def _respective_cue(sentence: str, start: int, vocabulary: _Vocabulary | None
                    ) -> re.Match[str] | None:
    """The last respectively word before a figure ("分别", "sırasıyla"), if any."""
    if vocabulary is None or not vocabulary.respectively:
        return None
    return last_cue(sentence, start, vocabulary.respectively)


def _listed_names(sentence: str, start: int, end: int, others: tuple[tuple[int, int], ...],
                  vocabulary: _Vocabulary | None, lang: str) -> str | None:
    """The claim text of a figure listed after a respectively word whose names the
    sentence lists too (extract/respective.py), else None."""
    cue = _respective_cue(sentence, start, vocabulary)
    if cue is None or vocabulary is None or vocabulary.joins is None:
        return None
    spaced = languages.info(lang).spaces_between_words
    return respective_names(sentence, (start, end), (*others, (start, end)), cue,
                            vocabulary.joins, _word_spans(lang), " " if spaced else "")


def _word_spans(lang: str) -> Callable[[str], list[tuple[int, int]]]:
    """The words of a text as offsets: the segmenter's where words are not spaced."""
    if not _unspaced(lang):
        return lambda text: [m.span() for m in re.finditer(r"\w+(?:[-'’]\w+)*", text)]

    def segmented(text: str) -> list[tuple[int, int]]:
        spans, at = [], 0
        for word in _segmenter().lcut(text):
            if re.search(r"\w", word):
                spans.append((at, at + len(word)))
            at += len(word)
        return spans
    return segmented


def _respective_level(sentence: str, start: int, end: int,
                      others: tuple[tuple[int, int], ...], vocabulary: _Vocabulary | None,
                      ) -> tuple[str, str] | None:
    """The level a listed change is the change of (extract/respective.py), else None."""
    cue = _respective_cue(sentence, start, vocabulary)
    if cue is None or vocabulary is None:
        return None
    return respective_level(sentence, (start, end), (*others, (start, end)), cue,
                            vocabulary.breaks)


def build_claim(sentence: str, start: int, end: int, lang: str,
                others: tuple[tuple[int, int], ...] = (), year: int | None = None, *,
                change: bool = False, list_lead_in: str = "") -> Claim:
    """The claim of the figure at sentence[start:end]; `others` are the spans of the other
    figures of the sentence (a figure's clause stops at its neighbours); `year` the
    figure's year (a clause naming it says nothing more: see `numbers_of`). A `change`'s
    direction words ("上涨", "下降") are its sign, not its claim: prices that rose one year
    and fell the next are one measure. `list_lead_in`: the heading or lead-in line of the list
    the figure's line belongs to ("Top worries" over "Housing – 41%"): its words are the
    claim's too (the item alone says almost nothing), its numbers are not."""
    sentence = _without_list_mark(sentence)
    # (a list written inline after its lead-in: no item's clause reaches into the lead-in)
    inline = len(list_lead_in) if list_lead_in and sentence.startswith(list_lead_in) else 0
    floor = max((e for s, e in others if e <= start), default=0)
    ceiling = min((s for s, e in others if s >= end), default=len(sentence))
    try:
        vocabulary = _vocabulary(lang)
        breaks = vocabulary.breaks
    except lexicon.LexiconError:
        vocabulary, breaks = None, re.compile(_BREAK)
    lo, hi = _clause(sentence, start, end, breaks, max(floor, inline), ceiling)
    own = fold(sentence[lo:hi], lang)  # the anaphor must be the figure's own
    anaphor = bool(vocabulary and any(cue in own for cue in vocabulary.anaphors))
    directions = vocabulary.directions if vocabulary and change else frozenset()
    said = content_words(_around(sentence, lo, start, end, hi, lang), lang)
    words = said - directions
    thin = not words  # the clause says nothing of its own: "(2022: 63%)", "ve %83,3"
    moves = vocabulary.directions if vocabulary else frozenset()
    level = _respective_level(sentence, start, end, others, vocabulary) if change else None
    listed = None if level is not None else _listed_names(sentence, start, end, others,
                                                           vocabulary, lang)
    if level is not None:  # the k-th change of "分别比上年提高0.9、0.6和1.5个百分点"
        named, verb = level
        words = (content_words(named, lang) | said) - moves
        own_clause = f"{named}，{verb}{sentence[start:end]}"
    elif listed is not None:  # the k-th of "A、B和C的比例分别为x%、y%和z%": of B only
        words = content_words(listed, lang) - directions
        gap = " " if languages.info(lang).spaces_between_words else ""
        own_clause = f"{listed}{gap}{sentence[start:end]}"
    elif said & moves and len(said) < MIN_CLAUSE_WORDS and floor > 0:
        # it says which way, little else: the level or the change of the figure before,
        # whose words may follow it ("超过六成的企业（61.5%）已使用云服务，比上年提高5.2个百分点")
        predicate = sentence[floor:lo]
        lo, before = _subject(sentence, others, floor, breaks)
        words = (content_words(sentence[lo:before], lang) | content_words(predicate, lang)
                 | said) - moves
        # a level that says only which way it went, of the measure before it: "Bu oran
        # 2021'de yüzde 52 iken, 2022'de yüzde 49'a geriledi" (a change keeps its own claim)
        thin = thin or (not words and not change)
    elif len(words) < MIN_CLAUSE_WORDS:
        lo, hi = _between_neighbours(sentence, lo, hi, breaks, floor, ceiling)
        lo = max(lo, inline)
        words = content_words(_around(sentence, lo, start, end, hi, lang), lang) - directions
    # (a lead-in before the first figure frames it too: "In the past 12 months, 31% ...")
    # (the other figures of the sentence are numbers of their own claims, not of this one)
    blanked = _without(sentence, others)
    lead_in = blanked[:lo] if floor == 0 else ""
    words |= numbers_of(lead_in + " " + _around(blanked, lo, start, end, hi, lang), lang, year)
    if list_lead_in:
        words |= content_words(list_lead_in, lang) | {lead_in_mark(list_lead_in, lang)}
    if vocabulary and _newly_worded(sentence, vocabulary, lang):
        words |= {NEW_WORDING_MARK}
    tokens = set(_tokens(sentence[lo:hi], lang))
    negated = bool(vocabulary and (tokens & vocabulary.negations or (
        vocabulary.negating_forms and any(vocabulary.negating_forms.fullmatch(t)
                                          for t in tokens))))
    if level is None and listed is None:
        own_clause = sentence[lo:hi]
    clause = " ".join(own_clause.split()).strip(" ,;:–—-")
    return Claim(words=words, clause=clause, negated=negated, anaphor=anaphor,
                 gloss=is_gloss(sentence[start:end]), thin=thin,
                 respectively=bool(vocabulary and tokens & vocabulary.respectively))


# Item numbers the segmenter does not take for a list's start (they also open sentences of
# running text in Chinese): "1、", "（2）", "③".
_ITEM_NUMBER = re.compile(r"\s*(?:\d{1,3}、|[（(]\d{1,3}[)）]|[\u2460-\u2473])\s*")


def _without_list_mark(sentence: str) -> str:
    """The sentence with the bullet or number that opens a list item blanked ("1. 节省通勤时间
    57.2%", "• Housing – 41%"): the item's place in its list is no number of its claim, and
    no word of its label (places kept: offsets stay those of the sentence)."""
    mark = LIST_START.match(sentence) or _ITEM_NUMBER.match(sentence)
    return " " * mark.end() + sentence[mark.end():] if mark else sentence


_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*(?![\d.,]*\s?[%％])")  # (not a share)
NUMBER_MARK = "#"  # a number of a claim's clause among its words: "#12"
# A word of the claim of a figure whose sentence says its question was newly worded ("On
# the new wording, 39% ...", "Die Frage wurde neu gestellt: ... 66 Prozent"): it measures
# something the earlier editions did not ask, whatever words it shares with them.
NEW_WORDING_MARK = "§new_wording"


def _newly_worded(sentence: str, vocabulary: _Vocabulary, lang: str) -> bool:
    folded = fold(sentence, lang)
    return any(phrase in folded for phrase in vocabulary.new_wording)


_YEAR = re.compile(r"(?:19|20)\d\d")


def numbers_of(text: str, lang: str, year: int | None = None) -> frozenset[str]:
    """The whole numbers a clause names besides its figure, as words ("#12" of "in the past
    12 months", "#2030" of "bis 2030"): two clauses that differ only in them say different
    things (a number with a decimal or thousands mark is a value the text gives, "rose to
    1.91 million", which another edition gives anew). A year is one only as a target (the
    language's `plan_cue`: "bis 2030", "by 2030"): the figure's own year, a baseline
    ("since 2018", which each edition moves) or another figure's year say nothing of the
    claim."""
    targets = [match.span() for match in _year_cue(lang, "plan_cue").finditer(text)]
    found = set()
    for match in _NUMBER.finditer(text):
        if not match.group().isdigit():
            continue  # "1.91 million", "2,5 Stunden": a value the text gives, not a term of it
        digits = match.group()
        if _YEAR.fullmatch(digits) and (digits == str(year) or not any(
                lo <= match.start() < hi for lo, hi in targets)):
            continue
        found.add(NUMBER_MARK + digits)
    return frozenset(found)


@cache
def _year_cue(lang: str, key: str) -> re.Pattern[str]:
    """A cue of the language's `[years]` table (cues.toml): `plan_cue` (a plan or
    forecast), `previous_cue` (the word of every previous-year cue); one that never
    matches when the language has none."""
    try:
        cue = lexicon.load(lang).get("years", {}).get(key)
    except lexicon.LexiconError:
        cue = None
    return re.compile(cue) if cue else re.compile(r"(?!)")


@lru_cache(maxsize=100_000)
def periods_of(text: str, lang: str) -> frozenset[str]:
    """The periods and comparison bases a figure's sentence names up to the end of its
    clause ("Im Oktober ... gegenüber dem Vormonat": month:oktober, previous_month), from
    the language's `[claims.periods]`; empty when it names none or declares none."""
    found: set[str] = set()
    if not _period_gate(lang).search(text):  # (most sentences name none: one scan)
        return frozenset()
    for kind, pattern in _period_patterns(lang):
        for match in pattern.finditer(text):
            named = match.groupdict().get("n")
            found.add(f"{kind}:{_period_name(named)}" if named else kind)
    return frozenset(found)


def _period_name(named: str) -> str:
    """"1—10", "1-10" and "1 至 10" name one period; "Oktober" and "oktober" too."""
    return re.sub(r"[\W_]+", "-", named.lower()).strip("-")


@cache
def _period_gate(lang: str) -> re.Pattern[str]:
    """Every period pattern of the language in one (their groups unnamed)."""
    patterns = [pattern.pattern.replace("(?P<n>", "(?:") for _, pattern in _period_patterns(lang)]
    return re.compile("|".join(f"(?:{p})" for p in patterns) or r"(?!)")


@cache
def _period_patterns(lang: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    try:
        table = lexicon.load(lang).get("claims", {}).get("periods") or {}
    except lexicon.LexiconError:
        return ()
    return tuple((kind, re.compile(pattern)) for kind, patterns in table.items()
                 for pattern in patterns)


@lru_cache(maxsize=100_000)
def scale_points(clause: str, lang: str) -> frozenset[str] | None:
    """The points of an answer scale a figure's clause names: "sehr zufrieden" names
    `very`, "eher zufrieden" `somewhat`, plain "zufrieden" none; "zufrieden oder sehr
    zufrieden" names `very` and `plain` (the word also stands without its intensifier: two
    points added up). None when the language declares no intensifiers (unknown)."""
    try:
        intensifiers = _vocabulary(lang).intensifiers
    except lexicon.LexiconError:
        return None
    if intensifiers is None:
        return None
    by_first, joined = _intensifiers_by_first(lang), _unspaced(lang)
    tokens = _tokens(clause, lang)
    points: set[str] = set()
    modified: set[int] = set()  # places of the words an intensifier modifies
    at = 0
    while at < len(tokens):
        found = next(((phrase, point) for phrase, point in by_first.get(tokens[at], ())
                      if tokens[at:at + len(phrase)] == phrase), None)
        if found is None:
            if joined:
                points.update(_joined_points(tokens[at], lang))
            at += 1
            continue
        points.add(found[1])
        at += len(found[0])
        modified.add(at)
    if any(tokens[m] == tokens[other] for m in modified if m < len(tokens)
           for other in range(len(tokens)) if other not in modified):
        points.add("plain")
    return frozenset(points)


@cache
def _intensifiers_by_first(lang: str) -> dict[str, tuple[tuple[tuple[str, ...], str], ...]]:
    """The language's intensifier phrases by their first word, longest first."""
    found: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for phrase, point in _vocabulary(lang).intensifiers or ():
        if phrase:
            found.setdefault(phrase[0], []).append((phrase, point))
    return {first: tuple(phrases) for first, phrases in found.items()}


@lru_cache(maxsize=50_000)
def _joined_points(token: str, lang: str) -> frozenset[str]:
    """Where words are not spaced, a segmenter may join an intensifier to the word it
    modifies ("比较满意"): the point of a one-word intensifier that opens a longer token
    (by two characters at least: "很多" is "many", not "very much"). (Cached: a corpus
    repeats its words.)"""
    return frozenset(point for phrase, point in _vocabulary(lang).intensifiers or ()
                     if len(phrase) == 1 and token.startswith(phrase[0])
                     and len(token) > len(phrase[0]) + 1)


_RATIO = re.compile(r"\d[^\d%％]*?[^\W\d_][^\d%％]*?\d")


def is_gloss(surface: str) -> bool:
    """Whether a figure glosses a share in words: no digits ("nearly half", "jeder
    Vierte"), or a ratio ("7 in 10", "3 von 4", "每10人中有7人"): two numbers joined by
    words, with no percent sign."""
    if not any(ch.isdigit() for ch in surface):
        return True
    return "%" not in surface and "％" not in surface and bool(_RATIO.search(surface))


def anaphor_frame(sentence: str, start: int, end: int, floor: int, lang: str
                  ) -> frozenset[str]:
    """The words a figure's sentence puts before its anaphor, from the figure before it
    (`floor`) on, the figure itself left out: "In London, 61% said so" names London, "Bei
    den Frauen waren es 45 Prozent" women (a part, not the measure referred to). A frame of
    time or of the survey before names no part: "Two years earlier, 47% said so", "Bei der
    letzten Befragung waren es 19 Prozent", "Bir önceki araştırmada bu oran" (the
    language's previous-year cue or a survey word, `samples`) give nothing."""
    try:
        vocabulary = _vocabulary(lang)
    except lexicon.LexiconError:
        return frozenset()
    folded = fold(sentence, lang)
    found = [at for cue in vocabulary.anaphors if (at := folded.find(cue, floor)) >= 0]
    if not found:
        return frozenset()
    cue_at = min(found)
    frame = folded[floor:min(start, cue_at)] + " " + folded[end:cue_at]
    of_time = _year_cue(lang, "previous_cue").search(frame)
    if of_time or any(cue in frame for cue in vocabulary.samples):
        return frozenset()
    return content_words(sentence[floor:min(start, cue_at)] + " " + sentence[end:cue_at], lang)


def describes_sample(sentence: str, clause: str, lang: str) -> bool:
    """Whether a count of people in `sentence` (its own clause `clause`) is the size of a
    survey's sample: the sentence speaks of a survey ("befragt", "surveyed", "görüşüldü",
    "受访"), and the clause does not make the count the base the sample was drawn from
    ("of the 7,262 colleagues we invited"). Without such words a count of people is a
    finding ("41,300 people were claiming benefits"), not a sample."""
    try:
        vocabulary = _vocabulary(lang)
    except lexicon.LexiconError:
        return False
    folded = fold(sentence, lang)
    if not any(cue in folded for cue in vocabulary.samples):
        return False
    own = fold(clause, lang)
    return not any(cue in own for cue in vocabulary.sample_bases)


def names_a_part(clause: str, surface: str, lang: str) -> bool:
    """Whether a sample size's own clause makes it a part of the sample: a part word
    before the figure ("including 1,100 managers", "davon 150 aus der Industrie",
    "其中大学生820人"; not "in 12 markets, including the UK")."""
    try:
        parts = _vocabulary(lang).sample_parts
    except lexicon.LexiconError:
        return False
    at = clause.find(surface)
    before = fold(clause[:at] if at >= 0 else clause, lang)
    if _unspaced(lang):
        return any(cue in before for cue in parts)
    return any(re.search(rf"(?<!\w){re.escape(cue)}(?!\w)", before) for cue in parts)


def _without(sentence: str, spans: tuple[tuple[int, int], ...]) -> str:
    """The sentence with the text of `spans` blanked (its places kept)."""
    for lo, hi in spans:
        sentence = sentence[:lo] + " " * (hi - lo) + sentence[hi:]
    return sentence


def _around(sentence: str, lo: int, start: int, end: int, hi: int, lang: str) -> str:
    """The clause without the figure and the case suffix glued to it ("%95,9'unun").
    Where words are not spaced (Chinese) the letters after a figure are the next words,
    not a suffix ("44%的企业正在计划" goes on with "的企业正在计划")."""
    after = sentence[end:hi]
    if not _unspaced(lang):
        after = _GLUED_SUFFIX.sub("", after, count=1)
    return sentence[lo:start] + " " + after


def trim_function_words(text: str, lang: str) -> str:
    """`text` without the words that carry no claim at its two ends ("of consumers say
    they pay for" -> "consumers say they pay for"; where words are not spaced, the
    segmenter's words: "和在线文档" -> "在线文档")."""
    try:
        stopwords = _vocabulary(lang).stopwords
    except lexicon.LexiconError:
        return text.strip()
    unspaced = _unspaced(lang)  # (words not spaced: the segmenter's words, "和在线文档")
    words = list(_segmenter().lcut(text.strip())) if unspaced else text.split()
    while words and fold(words[0].strip(",;:() "), lang) in stopwords:
        words.pop(0)
    while words and fold(words[-1].strip(",;:() "), lang) in stopwords:
        words.pop()
    return ("" if unspaced else " ").join(words)
