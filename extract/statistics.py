"""Find statistics in a document: the spaCy component and the document-level pass.

Per sentence, the registered component ``polystat_statistics`` finds figures with
the language's own number grammar over the raw text (extract.candidates), fills
qualifier, unit, population, year and comparison group from the same sentence
(extract.context), and writes them to ``doc.spans["statistics"]``.  Span
boundaries follow spaCy's tokens (``alignment_mode="expand"``: Chinese is one
token per character, Turkish ``%62’si`` is ``%`` + ``62’si``); the exact figure
offsets are kept in ``span._.figure_start`` / ``span._.figure_end``.

``find_statistics`` runs the component over the sentences of a document and
adds what needs more than one sentence: the survey year, the previous
sentence's population, the survey population of bare response counts, and
document-unique group numbers.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from extract import charts, languages
from extract.candidates import find_candidates, forms_by_sentence
from extract.citations import without_cited_names
from extract.claims import names_a_part
from extract.context import (
    Figure,
    analyse_sentence,
    inside_brackets_after,
    narrowed_by_size,
    size_bands_in,
)
from extract.context.incomes import with_income_band
from extract.records import Segment, Statistic
from extract.rules import SEX_PARTS, LanguageRules, precheck_fold, rules_for
from extract.segment import segment
from extract.versions import EXTRACTOR_VERSION as EXTRACTOR_VERSION  # re-exported

SPAN_KEY = "statistics"
COMPONENT = "polystat_statistics"
_SKIPPED_KINDS = ("artifact",)
# Public span attributes; each reads the one Figure stored on the span (span._.figure),
# so that annotating a span costs one attribute write instead of eleven.
_SPAN_ATTRS = {
    "value": lambda f: f.value,
    "unit": lambda f: f.unit,
    "qualifier": lambda f: f.qualifier,
    "population": lambda f: f.population,
    "year": lambda f: f.year,
    "year_basis": lambda f: "explicit" if f.year is not None else "edition",
    "rule": lambda f: f.rule,
    "group": lambda f: f.group,
    "figure_start": lambda f: f.start,
    "figure_end": lambda f: f.end,
    "population_attached": lambda f: f.population_attached,
    # The index, among doc.spans["statistics"], of the exact figure a verbal share glosses.
    "paraphrase_of": lambda f: f.paraphrase_of,
}
_BATCH = 256
# Fewer capitals are an acronym or a code ("KPI 2023: 45 %"), not a headline in capitals.
_CAPITALS_MIN = 8
# Where a word begins in a sentence in capitals (not after an apostrophe: "7'SİNİN").
_WORD_START = re.compile(r"(?<![^\s(\"„“«/-])\w")
_TEXT_KEY = "polystat_text"
_CANDIDATES_KEY = "polystat_candidates"



def _getter(read: Callable[[Figure], object]) -> Callable[[Span], object]:
    def get(span: Span) -> object:
        fig = span._.figure
        return None if fig is None else read(fig)

    return get


if not Span.has_extension("figure"):
    Span.set_extension("figure", default=None)
for _attr, _read in _SPAN_ATTRS.items():
    if not Span.has_extension(_attr):
        Span.set_extension(_attr, getter=_getter(_read))


class StatisticsComponent:
    """spaCy component: figures of the Doc's text -> doc.spans['statistics']."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.rules: LanguageRules = rules_for(lang)

    def __call__(self, doc: Doc) -> Doc:
        # find_statistics hands over the sentence text and the candidates it already found;
        # a Doc from anywhere else is searched here.
        text = doc.user_data.pop(_TEXT_KEY, None) or doc.text
        candidates = doc.user_data.pop(_CANDIDATES_KEY, None)
        spans = []
        for fig in analyse_sentence(text, self.rules, candidates):
            span = doc.char_span(fig.start, fig.end, alignment_mode="expand")
            if span is None:  # cannot happen for a non-empty figure; keep going if it does
                continue
            span._.figure = fig
            spans.append(span)
        doc.spans[SPAN_KEY] = spans
        return doc



@Language.factory(COMPONENT, default_config={"lang": ""})
def make_statistics_component(nlp: Language, name: str, lang: str) -> StatisticsComponent:
    """Factory registered with spaCy; `lang` defaults to the pipeline's language."""
    return StatisticsComponent(lang or str(nlp.lang))


def build_pipeline(lang: str) -> Language:
    """spacy.blank(lang) with the statistics component."""
    nlp = spacy.blank(lang)
    nlp.add_pipe(COMPONENT, config={"lang": lang})
    return nlp


@cache
def _pipeline(lang: str) -> Language:
    nlp = build_pipeline(lang)
    # The pipeline, its vocabulary and the compiled rules live as long as the process.
    # Frozen, the garbage collector's full passes stop walking them again and again while
    # a document's many short-lived objects come and go (~7% of extraction time).
    gc.collect()
    gc.freeze()
    return nlp


@dataclass(slots=True)
class _Found:
    seg: Segment
    lang: str
    fig: Figure  # taken off the span, so that the Doc can be freed


def _sentence_docs(text: str, segments: Sequence[Segment], lang: str,
                   ) -> Iterator[tuple[Doc, Segment]]:
    """Docs of the segments of one language that contain a candidate figure.

    Most sentences hold no figure; they never reach spaCy.  The candidates found
    here travel with the Doc so that the component does not search again.
    """
    rules = rules_for(lang)
    nlp = _pipeline(lang)
    forms = forms_by_sentence(text, [(seg.start, seg.end) for seg in segments], rules)
    for seg, seg_forms in zip(segments, forms, strict=True):
        if not seg_forms:
            continue
        sentence = text[seg.start : seg.end]
        candidates = find_candidates(sentence, rules, seg_forms)
        if candidates:
            doc = nlp.make_doc(sentence)
            doc.user_data[_TEXT_KEY] = sentence
            doc.user_data[_CANDIDATES_KEY] = candidates
            yield doc, seg


def _run(text: str, segments: Sequence[Segment], lang: str) -> list[_Found]:
    by_lang: dict[str, list[Segment]] = {}
    for seg in segments:
        if seg.kind not in _SKIPPED_KINDS:
            by_lang.setdefault(seg.language or lang, []).append(seg)
    found: list[_Found] = []
    for seg_lang, segs in by_lang.items():
        docs = _pipeline(seg_lang).pipe(_sentence_docs(text, segs, seg_lang), as_tuples=True,
                                        batch_size=_BATCH)
        for doc, seg in docs:
            found.extend(_Found(seg, seg_lang, span._.figure) for span in doc.spans[SPAN_KEY])
    found.sort(key=lambda f: (f.seg.start, f.fig.start))
    return found


def _previous_population(text: str, segments: Sequence[Segment], index: int,
                         decided: dict[int, list[_Given]], lang: str, narrowed: bool,
                         rank: tuple[int, int] | None = None,
                         counting: frozenset[int] = frozenset()) -> str | None:
    """The group the sentence before talks about (only inside the same block of text): the
    groups its figures were given, else a group it names.  A figure `narrowed` by a band of
    its own takes the group before its narrowing ("consumers", not "consumers_aged_18_34").
    `rank`: (place, count) of a figure among the bare figures of a sentence that gives them
    in the order of the groups before ("Geçen yıl bu oranlar sırasıyla %90,9 ve %83,3").
    `counting`: sentences whose figures are all counts: a group they name is what they
    count ("işsiz sayısı ... 2 milyon 914 bin kişi", "Zahl der Arbeitslosen"), not the
    group of the rate or share that follows ("İşsizlik oranı ... %8,3")."""
    if index == 0:
        return None
    prev = segments[index - 1]
    gap = text[prev.end : segments[index].start]
    if gap.count("\n") > 1 or prev.kind in _SKIPPED_KINDS or prev.kind == "list_item":
        return None  # each point of a list stands alone
    rules = rules_for(prev.language or lang)
    pops = [given for given in decided.get(prev.seg_no, [])
            if given.base not in rules.count_only_populations]
    if pops:  # (a breakdown in brackets is not what the next sentence goes on about)
        pops = [given for given in pops if not given.breakdown] or pops
        distinct = list(dict.fromkeys(pops))
        if rank and len(distinct) == rank[1]:
            given = distinct[rank[0]]
        elif len(distinct) > 1 and all(g.base in SEX_PARTS for g in distinct):
            return None  # "erkeklerde %90, kadınlarda %82. 16-24 yaş grubunda ...": neither
        else:
            given = pops[-1]
        return given.base if narrowed else given.group
    if prev.seg_no in counting:
        return None
    if rules.term_gate.search(precheck_fold(text[prev.start : prev.end])) is None:
        return None  # names no group (the gate is cheaper than the group pattern)
    for match in rules.term_regex.finditer(text, prev.start, prev.end):
        name = rules.population_of(match.group(0))
        if name and name not in rules.count_only_populations and not rules.negated(
                text, match.start()):
            return name
    return None


@dataclass(frozen=True)
class _Sample:
    """Who answered a survey: the group and age band of its count of participants, and
    every group the sentence that counts them counts ("hanede ... bireyle")."""

    group: str | None = None
    age_band: str | None = None
    counted: frozenset[str] = frozenset()


def _sample_population(text: str, found: list[_Found]) -> _Sample:
    """Who answered the survey, and their age band: the group of a count of participants
    ("18 yaş ve üzeri 3 bin kişiyle görüşüldü"), else of the first count in a sentence about
    the survey ("604 Unternehmen befragt"); "企业达18642户" in a statistics release is no
    sample.  Of several counts in that sentence the last is the people asked ("28 bin hanede,
    ... 49 bin bireyle görüşüldü": households visited, individuals interviewed)."""
    counts = []
    for f in found:
        fig = f.fig
        rules = rules_for(f.lang)
        if (fig.unit == "count" and fig.population
                and fig.population not in rules.count_only_populations
                and fig.population not in rules.weak_populations
                and (fig.sample or rules.survey_cue.search(text, f.seg.start, f.seg.end))
                and not _a_part(text, f)):
            counts.append(f)
    pool = [f for f in counts if f.fig.sample] or counts
    if not pool:
        return _Sample()
    sentence = [f for f in pool if f.seg.seg_no == pool[0].seg.seg_no]
    pick = sentence[-1]
    if any(f.fig.sample and f.fig.population is None and f.seg.seg_no == pick.seg.seg_no
           and f.fig.start > pick.fig.start for f in found):
        # "12 bin 100 kadın, 12 bin 250 erkek olmak üzere 24 bin 350 kişi katıldı": the total
        # of people asked comes last and names no group; the groups before are its parts.
        return _Sample()
    band = pick.fig.age_band if pick.fig.age_band != "aged_18_plus" else None
    return _Sample(str(pick.fig.population), band,
                   frozenset(str(f.fig.population) for f in sentence))


def _a_part(text: str, f: _Found) -> bool:
    """A count that its sentence makes a part of the sample ("..., of whom 800 were
    managers", "davon 150 aus der Industrie"): never who answered the survey."""
    start, end = f.seg.start + f.fig.start, f.seg.start + f.fig.end
    return names_a_part(text[f.seg.start:end], text[start:end], f.lang)


def _paraphrase_targets(found: list[_Found]) -> dict[int, tuple[int, int]]:
    """Document offsets of the exact figure each gloss paraphrases, by index in `found`.

    A heading that gives only the verbal share ("Two-thirds of consumers pay for ...")
    glosses the same exact figure as the body sentence that repeats the verbal share with
    its gloss ("Two-thirds of consumers (68%) say ...")."""
    targets: dict[int, tuple[int, int]] = {}
    by_seg: dict[int, list[int]] = {}
    for i, f in enumerate(found):
        by_seg.setdefault(f.seg.seg_no, []).append(i)
    glossed: dict[tuple[float, str], tuple[int, int]] = {}
    for i, f in enumerate(found):
        if f.fig.paraphrase_of is None:
            continue
        exact = found[by_seg[f.seg.seg_no][f.fig.paraphrase_of]]
        targets[i] = (exact.seg.start + exact.fig.start, exact.seg.start + exact.fig.end)
        glossed.setdefault((f.fig.value, f.fig.rule), targets[i])
    for i, f in enumerate(found):
        key = (f.fig.value, f.fig.rule)
        if i not in targets and f.seg.kind == "heading" and key in glossed:
            targets[i] = glossed[key]
    return targets


def _opening_population(text: str, segments: Sequence[Segment], lang: str,
                        ) -> tuple[str | None, str | None]:
    """The group the headings that open a document name ("Staff Survey 2023", "Subscription
    fatigue sets in as consumers cut back"), and the group its lead sentence names ("Die
    Bindung der Beschäftigten an ihren Arbeitgeber hat nachgelassen")."""
    for seg in segments:
        if seg.kind in _SKIPPED_KINDS:
            continue
        rules = rules_for(seg.language or lang)
        for match in rules.term_regex.finditer(text, seg.start, seg.end):
            name = rules.population_of(match.group(0))
            # "Unter den Befragten mit Kindern ...": a prepositional object is not whom the
            # document is about, nor is a negated group ("non-managers").
            if (rules.not_after.search(text, seg.start, match.start())
                    or rules.negated(text, match.start())):
                continue
            # "asked 3,100 commuters, of whom 800 were managers": a part of the sample
            if names_a_part(text[seg.start:match.end()], match.group(0), seg.language or lang):
                continue
            if (name and name not in rules.count_only_populations
                    and name not in rules.weak_populations):
                return (name, None) if seg.kind == "heading" else (None, name)
        if seg.kind != "heading":
            break  # the lead sentence (or first list item) is the last place that says it
    return None, None


@dataclass(frozen=True)
class _Given:
    """The group a figure was given: `base` before, `group` after its narrowing by an age
    band, a firm-size class, a country or a sex ("consumers" / "consumers_aged_18_34")."""

    base: str
    group: str
    breakdown: bool = False  # in brackets after another figure: "(Männer: 25 %, Frauen: 19 %)"


@dataclass(frozen=True)
class _Surveyed:
    """Whom a document's survey asked.

    `declared`: the caller's word (the manifest), else the group of the people the survey
    counts as asked, the group the title names or else the lead sentence's; it is also who
    "the respondents" are.  `shares`: the group a share without one is about (declared, else
    the group of the sample: "604 Unternehmen befragt").  `sample`: the group of a sample
    count without one (the lead sentence's group may be a subgroup of the people asked:
    "Umfrage unter 1.005 Personen: 68 Prozent der Internetnutzer ...")."""

    declared: str | None
    shares: str | None
    sample: str | None
    # Firm-size classes the lead sentence or the sample names: the survey's own definition
    # ("604 Unternehmen mit 20 bis 499 Beschäftigten befragt"), not a subgroup.
    size_bands: frozenset[str] = frozenset()
    # The survey asked in several countries ("10,412 adults in 12 markets"): a share
    # reported for one of them is about that country's part ("uk_consumers").
    countries: bool = False
    # The age band of the people asked ("16-74 yaş grubundaki 49 bin bireyle görüşüldü"):
    # a share of the survey's group, or of a sex within it, is about that band.
    age_band: str | None = None


def _surveyed(text: str, segments: Sequence[Segment], lang: str, found: list[_Found],
              population: str | None) -> _Surveyed:
    titled, lead = _opening_population(text, segments, lang)
    sample = _sample_population(text, found)
    sampled = sample.group or _base_line_group(text, segments, lang)
    # A title's group word may be a modifier ("Hanehalkı Bilişim Teknolojileri Kullanım
    # Araştırması"): when the sentence that counts the sample counts that group and then
    # the people asked ("28 bin hanede ... 49 bin bireyle görüşüldü"), they are whom it asked.
    if titled in sample.counted and sampled != titled:
        titled = sampled
    named = population or titled
    # "Kunden erwarten mehr, zeigt eine Umfrage unter 1.000 Führungskräften": a lead that
    # counts its sample says whom the survey asked better than its first group.
    lead_seg = next((seg for seg in segments if seg.kind not in (*_SKIPPED_KINDS, "heading")),
                    None)
    if lead_seg is not None:
        lead = _sample_population(text, [f for f in found if f.seg.seg_no == lead_seg.seg_no]
                                  ).group or lead
    several_countries = any(f.fig.unit == "count" and f.fig.population == "countries"
                            and f.fig.value > 1 for f in found)
    # A lead sentence's group is whom a survey asked when the lead gives a share of it or
    # the document speaks of a survey: a statistics release's lead counts its first
    # finding ("işsiz sayısı ... 2 milyon 914 bin kişi", "Die Beherbergungsbetriebe
    # meldeten 1,4 Millionen Gästeankünfte"), whose group is not that of its rates.
    if (lead is not None and not sampled and lead_seg is not None
            and not any(f.seg.seg_no == lead_seg.seg_no and f.fig.unit == "percent"
                        for f in found)
            and not _speaks_of_a_survey(text, segments, lang)):
        lead = None
    declared = named or lead
    # A poll of everyone ("18 yaş ve üzeri 3 bin kişiyle görüşüldü") declares its
    # respondents to be that public; a survey of a role leaves them respondents.
    if declared is None and sampled in _EVERYONE:
        declared = sampled
    base = declared or sampled
    return _Surveyed(declared, base, sampled or named,
                     _survey_size_bands(text, segments, lang, found), several_countries,
                     sample.age_band if base == sampled else None)


# What may stand before a base note on its line: a source note it follows ("Quelle: ...;").
_NOTE_BREAK = re.compile(r"(?:^|[;|]\s*)$")


def _base_line_group(text: str, segments: Sequence[Segment], lang: str) -> str | None:
    """The group the first base note of a chart or table names ("Base: all employed
    adults", "Basis: alle Befragten"): whom the survey asked, when no count of its sample
    says it. Only a note that opens its line, or follows a source note on it, counts."""
    for seg in segments:
        rules = rules_for(seg.language or lang)
        note = rules.base_line.search(text, seg.start, seg.end)
        if note is None or not _NOTE_BREAK.search(text[seg.start:note.start()]):
            continue
        for match in rules.term_regex.finditer(text, note.end(), seg.end):
            name = rules.population_of(match.group(0))
            if (name and name not in rules.count_only_populations
                    and not rules.negated(text, match.start())):
                return name
        return None
    return None


def _speaks_of_a_survey(text: str, segments: Sequence[Segment], lang: str) -> bool:
    """Whether any sentence of a document names a survey ("befragt", "araştırma", "调查")."""
    return any(rules_for(seg.language or lang).survey_cue.search(text, seg.start, seg.end)
               for seg in segments)


def _survey_size_bands(text: str, segments: Sequence[Segment], lang: str,
                       found: list[_Found]) -> frozenset[str]:
    """Size classes of the title, the lead and the sentences that count the survey's sample
    ("604 Unternehmen mit 20 bis 499 Beschäftigten befragt", "Small Business Pulse")."""
    lead = next((seg for seg in segments if seg.kind not in (*_SKIPPED_KINDS, "heading")),
                None)
    title = next((seg for seg in segments if seg.kind == "heading"), None)
    sentences = {f.seg.seg_no: f.seg for f in found if f.fig.unit == "count"}
    given = [seg for seg in (lead, title) if seg is not None]
    sentences.update((seg.seg_no, seg) for seg in given)
    bands: set[str] = set()
    for seg in sentences.values():
        rules = rules_for(seg.language or lang)
        sentence = text[seg.start : seg.end]
        named = size_bands_in(sentence, rules)  # rare: test the survey cue only then
        if named and (seg in given or rules.survey_cue.search(sentence)):
            bands |= named
    return frozenset(bands)


def _with_region(population: str | None, fig: Figure, surveyed: _Surveyed) -> str | None:
    """'east_germany_respondents': a part of the country ("In Ostdeutschland liegt der
    Anteil bei 39 Prozent") is a part of the survey's group, in any survey.  A figure of
    nobody ("je 100 Arbeitsplätze", a release's rate) stays nobody's: its words name the
    region."""
    base = population or surveyed.shares
    if fig.region is None or fig.of_things or base is None:
        return population
    return f"{fig.region}_{base}"


def _with_place(population: str | None, fig: Figure, surveyed: _Surveyed) -> str | None:
    """'uk_consumers': in a survey of several countries, the part of one of them."""
    if fig.place is None or not surveyed.countries or not population:
        return population
    return f"{fig.place}_{population}"


def _with_size_band(population: str | None, fig: Figure, surveyed: _Surveyed,
                    lang: str) -> str | None:
    """'companies_with_100_to_499_employees': a firm-size class narrows the group, unless it
    is the survey's own definition of whom it asked."""
    if fig.size_band is None or fig.size_band in surveyed.size_bands:
        return population
    weak = rules_for(lang).weak_populations
    base = population if population and population not in weak else surveyed.shares
    return narrowed_by_size(base or "companies", fig.size_band)


# Groups that are everyone the survey could ask: a sex within them is "women", "men".
_EVERYONE = frozenset({"people", "individuals", "adults", "residents", "respondents"})
# Groups that are no persons: a household survey's men and 16-24 year olds are persons
# ("Hanehalkı Bilişim Teknolojileri Kullanım Araştırması": "erkeklerde %90,1" is men's),
# never "male_households" nor "households_aged_16_24".
_NO_PERSONS = frozenset({"households"})


def _with_age_band(population: str | None, fig: Figure, surveyed: _Surveyed,
                   lang: str) -> str | None:
    """'consumers_aged_18_34': the figure's group (or the survey's, or people) narrowed by
    its age band.  "18 and over" narrows nothing: it is every adult.  Without a band of its
    own, the survey's group and a sex within it keep the band of the people asked
    ("individuals_aged_16_74", "women_aged_16_74")."""
    if fig.age_band is None or fig.age_band == "aged_18_plus":
        if surveyed.age_band and population in (surveyed.shares, *SEX_PARTS):
            return f"{population}_{surveyed.age_band}"
        return population
    if fig.band_base:
        return f"{fig.band_base}_{fig.age_band}"
    rules = rules_for(lang)
    base = population if population and population not in rules.weak_populations else None
    base = None if base in _NO_PERSONS else base  # ("16-24 yaş grubunda" in a household
    shares = None if surveyed.shares in _NO_PERSONS else surveyed.shares  # survey: persons)
    return f"{base or shares or 'people'}_{fig.age_band}"


def _with_sex(population: str | None, surveyed: _Surveyed) -> str | None:
    """'female_staff': women in a survey of a role are its female part; in a survey of
    everyone ("individuals", "adults") they are women."""
    base = surveyed.shares
    if (population not in SEX_PARTS or base is None or base in _EVERYONE or base in SEX_PARTS
            or base in _NO_PERSONS):
        return population
    return f"{SEX_PARTS[population]}_{base}"


def _parallel_ranks(text: str, found: list[_Found]) -> dict[int, tuple[int, int]]:
    """(place, count) of each bare share of a sentence that gives its figures in the order
    of the groups named before it ("respectively", "sırasıyla"), by index in `found`."""
    bare: dict[int, list[int]] = {}
    for i, f in enumerate(found):
        if f.fig.population is None and f.fig.unit in _SHARE_UNITS:
            bare.setdefault(f.seg.seg_no, []).append(i)
    ranks = {}
    for indexes in bare.values():
        seg = found[indexes[0]].seg
        cue = rules_for(found[indexes[0]].lang).parallel_cue
        if len(indexes) > 1 and cue.search(text, seg.start, seg.end):
            ranks.update({i: (place, len(indexes)) for place, i in enumerate(indexes)})
    return ranks


def _those_group(text: str, segs: Sequence[Segment], index: int, f: _Found,
                 last_share: dict[int, tuple[_Found, str]]) -> str | None:
    """'9% said they had experienced harassment. Of those, 44% reported it': a share of a
    sentence that opens with "of those" ("Davon", "Bunların", "其中") and names no group is
    about the people the main share of the sentence before counted; in English their
    predicate labels them ("staff_who_experienced_harassment")."""
    fig = f.fig
    rules = rules_for(f.lang)
    if (fig.population is not None or fig.unit not in _SHARE_UNITS or index == 0
            or not rules.anaphor_cue.match(text, f.seg.start, f.seg.end)):
        return None
    earlier = last_share.get(segs[index - 1].seg_no)
    if earlier is None:
        return None
    prev, group = earlier
    predicate = rules.predicate_after.match(text, prev.seg.start + prev.fig.end, prev.seg.end)
    if predicate is None:
        return group
    words = re.findall(r"[^\W_]+", predicate.group("clause").lower())
    if predicate.groupdict().get("passive"):  # "had been offered" -> "who_were_offered"
        words.insert(0, "were")
    return "_".join([group, "who", *words]) if words else group


def find_statistics(text: str, lang: str, survey_year: int | None = None,
                    segments: Sequence[Segment] | None = None,
                    population: str | None = None) -> list[Statistic]:
    """All statistics of a document, with document-level offsets.

    `population` is whom the survey asked when the caller knows it (the manifest's
    `population`); otherwise the document's title or sample says it, if anything does.
    """
    segs = list(segments) if segments is not None else segment(text)
    shown = text
    text = without_cited_names(_headlines_folded(text, segs, lang), lang)
    axes = charts.axis_segments(text, segs)  # a chart's ticks are a scale, not findings
    found = _run(text, [seg for seg in segs if seg.seg_no not in axes], lang)
    chart_years = _chart_row_years(text, segs, found)
    decided: dict[int, list[_Given]] = {}  # the groups given to each sentence's figures
    index_of = {s.seg_no: i for i, s in enumerate(segs)}
    surveyed = _surveyed(text, segs, lang, found, population)
    groups: dict[tuple[int, int | str], int] = {}  # (sentence, its group or "chart_row")
    glosses = _paraphrase_targets(found)
    ranks = _parallel_ranks(text, found)
    counting = _counting_sentences(found)
    last_share: dict[int, tuple[_Found, str]] = {}  # per sentence: its main share, group
    first_end: dict[int, int] = {}  # per sentence: where its first figure ends
    stats = []
    for index, f in enumerate(found):
        fig = f.fig
        seg = f.seg
        base, rule = _figure_population(text, segs, index_of[seg.seg_no], decided, f, surveyed,
                                        ranks.get(index), counting)
        # An age band narrows the group of its own sentence only.
        group_of = _with_region(_with_place(_with_size_band(
            _with_age_band(_with_sex(base, surveyed), fig, surveyed, f.lang), fig, surveyed,
            f.lang), fig, surveyed), fig, surveyed)
        group_of = with_income_band(group_of, fig.income_band, surveyed.shares,
                                    rules_for(f.lang))
        those = _those_group(text, segs, index_of[seg.seg_no], f, last_share)
        if those is not None:
            base = group_of = those
            rule += "+of_those"
        # The sentence's share of the survey year, not a comparison value ("(2022: 11%)").
        if (fig.unit == "percent" and group_of and fig.year is None
                and fig.year_offset is None):
            last_share.setdefault(seg.seg_no, (f, group_of))
        if base and group_of and fig.unit != "count":  # "a survey of 10,412 adults": not
            decided.setdefault(seg.seg_no, []).append(_Given(  # the subject
                base, group_of, seg.seg_no in first_end and inside_brackets_after(
                    text, first_end[seg.seg_no], seg.start + fig.start)))
        first_end.setdefault(seg.seg_no, seg.start + fig.end)
        group = None
        if fig.group is not None:
            group = groups.setdefault((seg.seg_no, fig.group), len(groups))
        start, end = seg.start + fig.start, seg.start + fig.end
        year = fig.year
        if index in chart_years:  # a value under a row of years: one measure, its years
            year = chart_years[index]
            group = groups.setdefault((seg.seg_no, "chart_row"), len(groups))
        if year is None and fig.year_offset is not None:
            year = _relative_year(fig, survey_year)  # "im Vorjahr", "last year"
        qualifier = fig.qualifier
        paraphrase_of = glosses.get(index)
        if paraphrase_of and fig.paraphrase_of is None and qualifier == "exact":
            qualifier = _heading_gloss_qualifier(found, index, glosses)
        stats.append(Statistic(
            start=start, end=end, surface=shown[start:end], value=float(fig.value),
            unit=fig.unit, qualifier=qualifier, population=group_of,
            year=year if year is not None else survey_year,
            year_basis="explicit" if year is not None else "edition",
            sentence_start=seg.start, sentence_end=seg.end, rule=rule, group=group,
            paraphrase_of=paraphrase_of,
        ))
    return stats


def _chart_row_years(text: str, segs: Sequence[Segment], found: list[_Found],
                     ) -> dict[int, int]:
    """The year of each figure (by its index in `found`) of a line of values under a row of
    as many years (extract/charts.py), when each of the line's values is a figure."""
    years_of = charts.row_years(text, segs)
    in_line: dict[int, list[int]] = {}
    for index, f in enumerate(found):
        if f.seg.seg_no in years_of:
            in_line.setdefault(f.seg.seg_no, []).append(index)
    return {index: year for seg_no, indexes in in_line.items()
            if len(indexes) == len(years_of[seg_no])
            for index, year in zip(indexes, years_of[seg_no], strict=True)}


def _counting_sentences(found: list[_Found]) -> frozenset[int]:
    """The sentences whose figures are all counts (their group words name what they count)."""
    units: dict[int, set[str]] = {}
    for f in found:
        units.setdefault(f.seg.seg_no, set()).add(f.fig.unit)
    return frozenset(seg_no for seg_no, held in units.items() if held == {"count"})


def _headlines_folded(text: str, segments: Sequence[Segment], lang: str) -> str:
    """The text with every sentence written in capitals ("HER 10 KİŞİDEN 7'SİNİN", "DIE
    QUOTE SANK AUF 31 PROZENT") read in its language's lower case, or with capitals only
    where words begin (German nouns, "Prozent"), whichever finds more figures: the
    vocabulary is not written in capitals, and Turkish İ/I fold unlike elsewhere.  Offsets
    stay those of the text."""
    parts, position = [], 0
    for seg in segments:
        sentence = text[seg.start : seg.end]
        if not _in_capitals(sentence):
            continue
        seg_lang = seg.language or lang
        folded = languages.fold(sentence, seg_lang)
        if len(folded) != len(sentence):  # a letter whose lower case is longer: keep it
            continue
        titled = "".join(original if _WORD_START.match(sentence, i) else low
                         for i, (original, low) in enumerate(zip(sentence, folded,
                                                                 strict=True)))
        rules = rules_for(seg_lang)
        best = max((folded, titled), key=lambda variant: len(find_candidates(variant, rules)))
        parts += [text[position : seg.start], best]
        position = seg.end
    return "".join([*parts, text[position:]]) if parts else text


def _in_capitals(sentence: str) -> bool:
    """No lower-case letter and at least two upper-case words' worth of capitals."""
    # str.isupper first: it answers in C for the many sentences with a lower-case letter
    # and for Chinese, which has no letter case.
    return sentence.isupper() and sum(map(str.isupper, sentence)) >= _CAPITALS_MIN


def _relative_year(fig: Figure, survey_year: int | None) -> int | None:
    """The year "im Vorjahr" / "last year" names: the year before the sentence's own year
    ("3.9% in 2023, compared with 3.6% in the prior year" -> 2022), else before the survey
    year.  A forecast year ("by 2030") is no anchor for a past value."""
    offset = fig.year_offset or 0
    anchor = fig.year_anchor
    if anchor is not None and (survey_year is None or anchor <= survey_year):
        return anchor + offset
    return None if survey_year is None else survey_year + offset


def _heading_gloss_qualifier(found: list[_Found], index: int,
                             glosses: dict[int, tuple[int, int]]) -> str:
    """A heading's verbal share takes the qualifier of the body gloss it repeats."""
    for i, f in enumerate(found):
        if i != index and f.fig.paraphrase_of is not None and glosses.get(i) == glosses[index]:
            return f.fig.qualifier
    return found[index].fig.qualifier


# Units that describe a share of a group; a growth rate or a count of things has no group
# unless its sentence names one.
_SHARE_UNITS = ("percent", "percentage_points")


# How far before a figure the words that narrow or negate its group are looked for (its
# clause; a PDF can give a line of hundreds of kilobytes, read once per figure)
CLAUSE_REACH = 300


def _figure_population(text: str, segs: Sequence[Segment], index: int,
                       decided: dict[int, list[_Given]], f: _Found, surveyed: _Surveyed,
                       rank: tuple[int, int] | None = None,
                       counting: frozenset[int] = frozenset()) -> tuple[str | None, str]:
    """The group of one figure and the rule id that says where it came from: its sentence,
    the sentence before, the survey's population ("Befragte", "respondents", "受访者" are
    the declared surveyed group)."""
    fig, lang = f.fig, f.lang
    weak = rules_for(lang).weak_populations
    population, rule = fig.population, fig.rule
    if fig.of_things:  # "12% of dwellings", "2.9 vacancies per 100 jobs": nobody's share
        return population, rule
    if population is None and fig.unit in _SHARE_UNITS:  # "Bu oran ... 2,1 puan azaldı"
        # (a figure of the whole, "Im weltweiten Durchschnitt sind es 46 Prozent", takes the
        # group before its narrowing by a country too)
        at = f.seg.start + fig.start
        narrowed = any((fig.age_band, fig.size_band, fig.income_band, fig.place,
                        fig.region)) or bool(
            rules_for(lang).whole_cue.search(text, max(f.seg.start, at - CLAUSE_REACH), at))
        population = _previous_population(text, segs, index, decided, lang, narrowed, rank,
                                          counting)
        rule += "+prev_population" if population else ""
    if population is None and _of_those_not_named(text, f):
        return None, rule + "+negated_group"  # "在非网民中 ... 占41.8%": not the survey's
    if fig.sample and (population is None or population in weak):
        population = surveyed.sample or "respondents"
        rule += "+survey_population"
    elif (fig.unit in _SHARE_UNITS and surveyed.shares
          and (population is None or fig.population_guessed)):
        population = surveyed.shares
        rule += "+survey_population"
    elif fig.unit in _SHARE_UNITS and population in weak and surveyed.declared:
        population = surveyed.declared
        rule += "+survey_population"
    if population is None and fig.unit == "percent_change" and decided.get(f.seg.seg_no):
        # "bu oran yüzde 34,8 ...; bu, yüzde 8,6'lık bir düşüş": the change of a share
        # before it in the sentence is about that share's group.
        population = decided[f.seg.seg_no][-1].group
        rule += "+changed_share"
    if fig.subgroup:  # "those who cancelled" are of whom the survey asked
        if population in weak or population is None:
            population = surveyed.shares or population
        population = _with_subgroup(population, fig.subgroup)
        rule += "+subgroup"
    return population, rule


def _of_those_not_named(text: str, f: _Found) -> bool:
    """Whether the clause before a share names a negated group ("在非网民中", "among
    non-users"): the share is of those outside it, whom no group word of ours names."""
    rules = rules_for(f.lang)
    at = f.seg.start + f.fig.start
    return any(rules.negated(text, match.start()) for match in rules.term_regex.finditer(
        text, max(f.seg.start, at - CLAUSE_REACH), at))


def _with_subgroup(population: str | None, label: str) -> str:
    """'ai_using_companies', 'consumers_who_cancelled': the group put where the clause's
    label says "base" (a label without it names its group itself: "internet_users")."""
    return "_".join(population or "people" if word == "base" else word
                    for word in label.split("_"))
