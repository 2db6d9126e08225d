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

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span

from extract.candidates import find_candidates
from extract.context import Figure, analyse_sentence
from extract.records import Segment, Statistic
from extract.rules import LanguageRules, rules_for
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
    return build_pipeline(lang)


@dataclass
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
    for seg in segments:
        sentence = text[seg.start : seg.end]
        candidates = find_candidates(sentence, rules)
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
                         found_by_seg: dict[int, list[_Found]], lang: str) -> str | None:
    """The group the sentence before talks about (only inside the same block of text)."""
    if index == 0:
        return None
    prev = segments[index - 1]
    gap = text[prev.end : segments[index].start]
    if gap.count("\n") > 1 or prev.kind in _SKIPPED_KINDS:
        return None
    pops = [f.fig.population for f in found_by_seg.get(prev.seg_no, [])
            if f.fig.population]
    if pops:
        return str(pops[-1])
    rules = rules_for(prev.language or lang)
    for match in rules.term_regex.finditer(text, prev.start, prev.end):
        name = rules.population_of(match.group(0))
        if name and name not in rules.count_only_populations:
            return name
    return None


def _survey_population(found: list[_Found]) -> str | None:
    """Who answered the survey: the group of the first count that names one."""
    for f in found:
        fig = f.fig
        if (fig.unit == "count" and fig.population
                and fig.population not in rules_for(f.lang).count_only_populations):
            return str(fig.population)
    return None


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


def find_statistics(text: str, lang: str, survey_year: int | None = None,
                    segments: Sequence[Segment] | None = None) -> list[Statistic]:
    """All statistics of a document, with document-level offsets."""
    segs = list(segments) if segments is not None else segment(text)
    found = _run(text, segs, lang)
    by_seg: dict[int, list[_Found]] = {}
    for f in found:
        by_seg.setdefault(f.seg.seg_no, []).append(f)
    index_of = {s.seg_no: i for i, s in enumerate(segs)}
    survey_population = _survey_population(found)
    groups: dict[tuple[int, int], int] = {}
    glosses = _paraphrase_targets(found)
    stats = []
    for index, f in enumerate(found):
        fig = f.fig
        seg = f.seg
        population = fig.population
        rule = fig.rule
        if population is None and fig.unit == "percent":
            population = _previous_population(text, segs, index_of[seg.seg_no], by_seg, lang)
            rule += "+prev_population" if population else ""
        if population is None and fig.sample:
            population = survey_population or "respondents"
            rule += "+survey_population"
        group = None
        if fig.group is not None:
            group = groups.setdefault((seg.seg_no, fig.group), len(groups))
        start, end = seg.start + fig.start, seg.start + fig.end
        year = fig.year
        if year is None and fig.year_offset is not None and survey_year is not None:
            year = survey_year + fig.year_offset  # "im Vorjahr", "last year"
        qualifier = fig.qualifier
        paraphrase_of = glosses.get(index)
        if paraphrase_of and fig.paraphrase_of is None and qualifier == "exact":
            qualifier = _heading_gloss_qualifier(found, index, glosses)
        stats.append(Statistic(
            start=start, end=end, surface=text[start:end], value=float(fig.value),
            unit=fig.unit, qualifier=qualifier, population=population,
            year=year if year is not None else survey_year,
            year_basis="explicit" if year is not None else "edition",
            sentence_start=seg.start, sentence_end=seg.end, rule=rule, group=group,
            paraphrase_of=paraphrase_of,
        ))
    return stats


def _heading_gloss_qualifier(found: list[_Found], index: int,
                             glosses: dict[int, tuple[int, int]]) -> str:
    """A heading's verbal share takes the qualifier of the body gloss it repeats."""
    for i, f in enumerate(found):
        if i != index and f.fig.paraphrase_of is not None and glosses.get(i) == glosses[index]:
            return f.fig.qualifier
    return found[index].fig.qualifier
