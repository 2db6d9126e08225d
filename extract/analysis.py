"""One document through the pure NLP of extract/: language, segments, statistics.

Runs inside a Prefect task; holds no I/O, so it is also what the benchmarks time.
"""

from __future__ import annotations

import functools
import hashlib
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extract import citations, concepts, langid, lexicon, segment, versions
from extract.records import Segment, Statistic


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
    by_span = {(stat.start, stat.end): stat for stat in result.statistics}
    rows = []
    for stat in result.statistics:
        glossed = by_span.get(stat.paraphrase_of) if stat.paraphrase_of else None
        index = bisect_right(starts, stat.start) - 1
        seg_no = result.segments[index].seg_no if index >= 0 else None
        rows.append({
            "obs_id": observation_id(doc_id, stat), "doc_id": doc_id, "seg_no": seg_no,
            "start": stat.start, "end": stat.end, "surface": stat.surface, "value": stat.value,
            "unit": stat.unit, "qualifier": stat.qualifier, "population": stat.population,
            "year": stat.year, "year_basis": stat.year_basis,
            "group_key": None if stat.group is None else f"{doc_id[:16]}:{stat.group}",
            "concepts": list(stat.concepts),
            "claim": text[stat.sentence_start:stat.sentence_end],
            "claim_start": stat.sentence_start, "claim_end": stat.sentence_end,
            "rule": stat.rule, "extractor_version": result.extractor_version, "run_id": run_id,
            "paraphrase_of": observation_id(doc_id, glossed) if glossed else None,
            "cited": stat.cited,
        })
    return rows
