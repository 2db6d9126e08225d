"""One document through the pure NLP of extract/: language, segments, statistics.

Runs inside a Prefect task; holds no I/O, so it is also what the benchmarks time.
"""

from __future__ import annotations

import functools
import hashlib
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extract import citations, concepts, langid, lexicon, segment, versions
from extract.records import Segment, Statistic, is_sample_rule


@dataclass(frozen=True)
class DocumentAnalysis:
    language: str | None
    confidence: float
    segments: list[Segment]
    statistics: list[Statistic]
    extractor_version: str


def extractor_version() -> str:
    """Version of everything that decides which figures a document yields: the code's
    versions, a hash of the extractor's code (a change without a new version number
    must not serve figures mined by the old code, from the warehouse or the run cache)
    and a hash of the vocabulary data (a user's extension counts too)."""
    return (f"{versions.EXTRACTOR_VERSION}+{versions.CONCEPTS_VERSION}"
            f"+code-{code_fingerprint()}+lex-{lexicon.data_fingerprint()}")


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A short hash of the extractor's Python code (extract/, translation aside: it does
    not decide which figures a document yields)."""
    return fingerprint_of(Path(__file__).resolve().parent)


def fingerprint_of(package: Path) -> str:
    """The hash `code_fingerprint` takes, of any package folder."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        if path.name != "translate.py":
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def analyse(text: str, declared_language: str | None, survey_year: int | None,
            candidates: Sequence[str], population: str | None = None) -> DocumentAnalysis:
    """`population`: whom the survey asked, when the manifest says it (else the document)."""
    from extract import statistics  # spaCy: imported where documents are mined, not by every run

    language, confidence = langid.document_language(text, declared_language, candidates)
    segments = langid.label_segments(text, segment.segment(text), language, candidates)
    found = statistics.find_statistics(text, language or "en", survey_year, segments,
                                       population)
    found = concepts.attach_concepts(text, found, language or "en", segments)
    found = citations.attach_citations(text, found, language or "en")
    return DocumentAnalysis(language=language, confidence=confidence, segments=segments,
                            statistics=found, extractor_version=extractor_version())


def observation_id(doc_id: str, stat: Statistic) -> str:
    key = f"{doc_id}:{stat.start}:{stat.end}:{stat.unit}"
    return "obs-" + hashlib.sha256(key.encode()).hexdigest()[:16]


def observation_rows(doc_id: str, text: str, result: DocumentAnalysis,
                     run_id: str) -> list[dict[str, Any]]:
    starts = [s.start for s in result.segments]
    with_figures = {_segment_of(result.segments, starts, stat.start) for stat in result.statistics}
    leads = segment.lead_ins(text, result.segments, {n for n in with_figures if n is not None})
    by_seg = {seg.seg_no: seg for seg in result.segments}
    year_rows = _year_rows(text, result, leads, by_seg, starts)
    inline = _inline_lead_ins(text, result, leads, by_seg, starts)
    by_span = {(stat.start, stat.end): stat for stat in result.statistics}
    rows = []
    for stat in result.statistics:
        glossed = by_span.get(stat.paraphrase_of) if stat.paraphrase_of else None
        seg_no = _segment_of(result.segments, starts, stat.start)
        lead = by_seg[leads[seg_no]] if seg_no in leads else inline.get(stat.start)
        if is_sample_rule(stat.rule):
            lead = None  # ("Basis: alle Befragten (n=1.002)" under a chart: the survey's size)
        rows.append({
            "obs_id": observation_id(doc_id, stat), "doc_id": doc_id, "seg_no": seg_no,
            "start": stat.start, "end": stat.end, "surface": stat.surface, "value": stat.value,
            "unit": stat.unit, "qualifier": stat.qualifier, "population": stat.population,
            "year": stat.year, "year_basis": stat.year_basis,
            "group_key": (f"{doc_id[:16]}:{stat.group}" if stat.group is not None
                          else f"{doc_id[:16]}:{year_rows[stat.start]}"
                          if stat.start in year_rows else None),
            "concepts": list(stat.concepts),
            "claim": text[stat.sentence_start:stat.sentence_end],
            "claim_start": stat.sentence_start, "claim_end": stat.sentence_end,
            "rule": stat.rule, "extractor_version": result.extractor_version, "run_id": run_id,
            "paraphrase_of": observation_id(doc_id, glossed) if glossed else None,
            # the heading or lead-in line of the list the figure's line belongs to
            "lead_in": text[lead.start:lead.end] if lead else None,
            "lead_in_seg": lead.seg_no if lead else None,
            "cited": stat.cited,
        })
    return rows


_YEAR = re.compile(r"(?:19|20)\d\d")


def _inline_lead_ins(text: str, result: DocumentAnalysis, leads: dict[int, int],
                     by_seg: dict[int, Segment], starts: list[int]) -> dict[int, Segment]:
    """The lead-in of each figure (by its start) of a list written inline after a colon
    ("Als Gründe nannten die Befragten: Zeitmangel (52 %), Kosten (17 %) ..."), as a
    segment of its own: the sentence up to its colon (extract/segment.py)."""
    figures: dict[int, list[tuple[int, int]]] = {}
    for stat in result.statistics:
        seg_no = _segment_of(result.segments, starts, stat.start)
        if seg_no is not None and seg_no not in leads:
            figures.setdefault(seg_no, []).append((stat.start, stat.end))
    found = {}
    for seg_no, spans in figures.items():
        seg = by_seg[seg_no]
        end = segment.inline_lead_in(text, seg, sorted(spans))
        if end is not None:
            lead = Segment(seg_no=seg_no, start=seg.start, end=end, kind=seg.kind)
            found.update({start: lead for start, _ in spans if start >= end})
    return found


def _year_rows(text: str, result: DocumentAnalysis, leads: dict[int, int],
               by_seg: dict[int, Segment], starts: list[int]) -> dict[int, str]:
    """The comparison group of each figure (by its start) of a list of years under one
    lead-in ("Anteil mit Elektroauto:" over "- 2022: 4 %", "- 2023: 6 %", or a table's
    rows "| 2022 | 4 % |"): items that say nothing but their year and figure are the
    lead-in's measure at those years, as the values of a comparison in one sentence are
    (a document's figures of one claim share a metric only so)."""
    rows: dict[tuple[int, str], list[Statistic]] = {}
    for stat in result.statistics:
        seg_no = _segment_of(result.segments, starts, stat.start)
        if seg_no not in leads or stat.group is not None or stat.year_basis != "explicit":
            continue
        seg = by_seg[seg_no]
        rest = (text[seg.start:stat.start] + " " + text[stat.end:seg.end]).replace(
            str(stat.year), " ")
        if not any(ch.isalpha() for ch in _YEAR.sub(" ", rest)):
            rows.setdefault((leads[seg_no], stat.unit), []).append(stat)
    return {stat.start: f"lead-{lead}-{unit}" for (lead, unit), stats in rows.items()
            if len({stat.year for stat in stats}) == len(stats) > 1 for stat in stats}


def _segment_of(segments: list[Segment], starts: list[int], offset: int) -> int | None:
    """The seg_no of the segment that holds `offset` (`starts`: the segments' starts)."""
    index = bisect_right(starts, offset) - 1
    return segments[index].seg_no if index >= 0 else None
