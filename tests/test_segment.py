"""Segmentation: offsets, kinds, abbreviations and ordinals, on real corpus text."""

from __future__ import annotations

from pathlib import Path

import pytest

from extract.segment import segment

SOURCES = Path(__file__).parent.parent / "sources"


def _texts() -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(SOURCES.glob("*.txt"))]


@pytest.mark.parametrize("text", _texts())
def test_segments_are_ordered_non_overlapping_and_trimmed(text: str) -> None:
    segs = segment(text)
    assert segs
    assert [s.seg_no for s in segs] == list(range(len(segs)))
    for a, b in zip(segs, segs[1:], strict=False):
        assert a.end <= b.start
    for s in segs:
        body = text[s.start : s.end]
        assert body and body == body.strip()
        assert s.kind in {"sentence", "heading", "list_item", "artifact"}


def test_german_ordinals_and_thousands_do_not_end_sentences() -> None:
    text = ("Die Studie lief vom 21. August bis zum 26. September 2020. "
            "Es flossen 7.095 Antworten ein, z.B. aus der 4. Ausgabe.")
    bodies = [text[s.start : s.end] for s in segment(text)]
    assert bodies == ["Die Studie lief vom 21. August bis zum 26. September 2020.",
                      "Es flossen 7.095 Antworten ein, z.B. aus der 4. Ausgabe."]


def test_chinese_sentences_end_at_full_stops() -> None:
    text = "81% 的决策者表示同意。74% 的决策者更依赖数据！"
    bodies = [text[s.start : s.end] for s in segment(text)]
    assert bodies == ["81% 的决策者表示同意。", "74% 的决策者更依赖数据！"]


def test_kinds_of_lines() -> None:
    text = ("Trend 1 – Empati yoluyla farklılaşmak\n\nservis-kpis.png\n\n"
            "  1. Bağlantı merkezdedir. Müşteriler bunu bekliyor.\n"
            "01 | 团队采用新的互动标准\ngenel-15\n"
            "Das ist ein ganzer Satz mit einem Punkt am Ende.\n")
    kinds = [(text[s.start : s.end], s.kind) for s in segment(text)]
    assert kinds == [
        ("Trend 1 – Empati yoluyla farklılaşmak", "heading"),
        ("servis-kpis.png", "artifact"),
        ("1. Bağlantı merkezdedir.", "list_item"),
        ("Müşteriler bunu bekliyor.", "list_item"),
        ("01 | 团队采用新的互动标准", "list_item"),
        ("genel-15", "artifact"),
        ("Das ist ein ganzer Satz mit einem Punkt am Ende.", "sentence"),
    ]


def test_pdf_line_break_inside_a_sentence_is_joined() -> None:
    text = "Der Umstieg auf digitale Kanäle\nstieg sprunghaft an und Teams mussten umstellen.\n"
    segs = segment(text)
    assert len(segs) == 1
    assert text[segs[0].start : segs[0].end].endswith("umstellen.")
