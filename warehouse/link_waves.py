"""Which figures belong to one study and to one wave of it (`link_rules` and
`link_samples` ask): editions of one series, a publisher's own releases, coverage."""

from __future__ import annotations

from warehouse.link_claims import Node


def other_waves(a: Node, b: Node) -> bool:
    """Figures of two releases of one study fielded in the same year: two waves (July's
    and August's price release, two polls a fortnight apart), so a year is two periods.
    Their different values are a change, not one measure restated differently (a
    conflict), and so are an earlier year's: each release compares with its own month or
    quarter a year before ("Vorjahresmonat", "geçen yılın aynı ayı", "上年同月"), or revises
    it. A study known by its publisher only (no edition) has a wave per document; coverage
    (no edition, citing the study) is no wave of its own."""
    return (same_study(a, b) and _other_release(a, b)
            and a.survey_year is not None and a.survey_year == b.survey_year)


def _other_release(a: Node, b: Node) -> bool:
    """Two editions, or two documents of a publisher that names no editions (a statistics
    office's monthly releases); coverage citing the study is no release of it."""
    if a.edition or b.edition:
        return bool(a.edition and b.edition) and a.edition != b.edition
    return a.doc_id != b.doc_id and publishers_own(a) and publishers_own(b)


def publishers_own(node: Node) -> bool:
    """A figure of a document without an edition that cites no study: its publisher's own
    release (the study it belongs to is its publisher's, `link_claims.study_of`)."""
    return node.edition is None and (node.study or "").startswith(("publisher:", "source:"))


def same_study(a: Node, b: Node) -> bool:
    """Two figures of one study (its editions, summaries and translations)."""
    return a.study is not None and a.study == b.study
