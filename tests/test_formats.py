"""PDF and HTML sources: real files typeset / wrapped from the plain-text corpus.

The figures found in the extracted text must be the figures found in the
plain text (values, units and surfaces), the page furniture and the web
page's boilerplate must be gone, and in a real pipeline run every figure of a
PDF must know its page.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from pathlib import Path

import duckdb
import format_fixtures
import pypdfium2 as pdfium
import pytest
from typer.testing import CliRunner

from extract import analysis
from flows import settings
from flows.cli import app
from flows.ingest import SourceEntry, read_document
from flows.ingest.html import read_html
from flows.ingest.pdf import hyphenation_rules, join_hyphenated, page_of, read_pdf
from reports import pages, snapshot
from reports.pages import source_pages
from reports.pages.common import source_page_name

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
MANIFEST = {entry["file"]: entry for entry in
            tomllib.loads((SOURCES / "manifest.toml").read_text(encoding="utf-8"))["source"]}
NAMES = sorted(MANIFEST)


def _figures(text: str, name: str) -> Counter[tuple[float, str, str]]:
    meta = MANIFEST[name]
    found = analysis.analyse(text, meta["language"], meta["survey_year"], settings.languages())
    return Counter((s.value, s.unit, s.surface) for s in found.statistics)


def _plain(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """Every corpus text as a typeset PDF and as a web page."""
    base = tmp_path_factory.mktemp("formats")
    files = {}
    for name in NAMES:
        meta = MANIFEST[name]
        stem = Path(name).stem
        files[name] = {
            "pdf": format_fixtures.render_pdf(_plain(name), meta["language"], meta["title"],
                                              base / f"{stem}.pdf"),
            "html": format_fixtures.render_html(_plain(name), meta["language"], meta["title"],
                                                base / f"{stem}.html"),
        }
    return files


# --------------------------------------------------------------------------- PDF


@pytest.mark.parametrize("name", NAMES)
def test_pdf_text_yields_the_figures_of_the_plain_text(rendered, name: str) -> None:
    pdf_path = rendered[name]["pdf"]
    extracted = read_pdf(pdf_path.read_bytes(), MANIFEST[name]["language"])
    assert extracted.format == "pdf" and extracted.encoding == "pdf/pypdfium2"
    assert _figures(extracted.text, name) == _figures(_plain(name), name)


@pytest.mark.parametrize("name", NAMES)
def test_pdf_headers_footers_and_page_numbers_are_left_out(rendered, name: str) -> None:
    pdf_path = rendered[name]["pdf"]
    extracted = read_pdf(pdf_path.read_bytes(), MANIFEST[name]["language"])
    n_pages = len(pdfium.PdfDocument(pdf_path))
    assert n_pages >= 2
    assert "Muster Research GmbH" not in extracted.text
    assert "Ausgabe 2021" not in extracted.text
    assert not [line for line in extracted.text.splitlines() if line.strip().isdigit()]
    # every page was seen and left furniture behind: header, footer, bare page number
    assert {str(n) for n in range(1, n_pages + 1)} <= set(extracted.furniture)


@pytest.mark.parametrize("name", NAMES)
def test_page_starts_point_at_each_pages_first_body_line(rendered, name: str) -> None:
    pdf_path = rendered[name]["pdf"]
    extracted = read_pdf(pdf_path.read_bytes(), MANIFEST[name]["language"])
    pdf = pdfium.PdfDocument(pdf_path)
    starts = extracted.page_starts
    assert starts is not None and len(starts) == len(pdf) and starts[0] == 0
    assert list(starts) == sorted(starts)
    for number, start in enumerate(starts):
        raw = pdf[number].get_textpage().get_text_range()
        # the page's first body line (after the running header) begins at its offset
        first_body = raw.splitlines()[1].strip()
        head = extracted.text[start:start + 12]
        assert head and head.replace(" ", "") in first_body.replace(" ", "").replace(
            "\ufffe", ""), (number, head, first_body)
        assert page_of(starts, start) == number + 1


def test_german_hyphenation_is_repaired_at_every_line_width(tmp_path: Path) -> None:
    sentence = ("Die globale Gesundheits- und Wirtschaftskrise traf Kundenservice-Mitarbeiter "
                "und Kundenservice-Teams hart, denn 81 % der Kundenservice-Mitarbeiter sagen, "
                "dass Self-Service-Portale und Gesundheits- oder Finanzdienstleistungen wichtiger "
                "werden.")
    for width in ("4cm", "5cm", "6.5cm", "9cm"):
        pdf = _narrow_pdf(sentence, "de", width, tmp_path / f"de-{width}.pdf")
        extracted = read_pdf(pdf.read_bytes(), "de")
        assert extracted.text == sentence, width


def test_english_keeps_hyphens_of_compounds_it_uses_elsewhere(tmp_path: Path) -> None:
    text = ("Customer service matters: 78% of decision-makers say customer-service teams and "
            "well-known self-service tools matter to every customer, and service desks agree "
            "that self-service is known well by customers.")
    pdf = _narrow_pdf(text, "en", "4.2cm", tmp_path / "en.pdf")
    extracted = read_pdf(pdf.read_bytes(), "en")
    assert "customer-service teams" in extracted.text
    assert "decision-makers" in extracted.text
    assert "78%" in extracted.text


def _narrow_pdf(text: str, language: str, width: str, target: Path) -> Path:
    import typst

    (target.parent / "para.json").write_text(json.dumps({"text": text}), encoding="utf-8")
    source = target.with_suffix(".typ")
    source.write_text(
        f'#let doc = json("para.json")\n#set page(width: {width}, height: 24cm, margin: 1cm)\n'
        f'#set text(lang: "{language}", size: 10pt, hyphenate: true)\n#set par(justify: true)\n'
        "#doc.text\n", encoding="utf-8")
    target.write_bytes(typst.compile(str(source)))
    return target


@pytest.mark.parametrize(("left", "right", "language", "joined"), [
    ("Gesundheits", "und Wirtschaftskrise", "de", "Gesundheits- und Wirtschaftskrise"),
    ("Kunden", "service wächst", "de", "Kundenservice wächst"),
    ("Kundenservice", "Mitarbeiter", "de", "Kundenservice-Mitarbeiter"),
    ("COVID", "19 verändert", "de", "COVID-19 verändert"),
    ("hizmet", "lerinde", "tr", "hizmetlerinde"),
    ("iç", "ve dış", "tr", "iç- ve dış"),
    ("short", "and long-term", "en", "short- and long-term"),
    ("cus", "tomer", "en", "customer"),
])
def test_hyphen_rules(left: str, right: str, language: str, joined: str) -> None:
    assert join_hyphenated(left, right, hyphenation_rules(language)) == joined


def test_not_a_pdf_and_a_pdf_without_text_are_rejected(tmp_path: Path) -> None:
    import typst

    fake = tmp_path / "report.pdf"
    fake.write_text("Kundenservice 2021: 81 % der Befragten", encoding="utf-8")
    scan = tmp_path / "scan.pdf"
    (tmp_path / "scan.typ").write_text("#rect(width: 5cm, height: 3cm, fill: gray)\n",
                                       encoding="utf-8")
    scan.write_bytes(typst.compile(str(tmp_path / "scan.typ")))
    for path, problem in ((fake, "not a PDF"), (scan, "no text layer")):
        outcome = read_document(SourceEntry(path.name, path, in_manifest=False))
        assert not hasattr(outcome, "text") and problem in outcome.message(), outcome


# --------------------------------------------------------------------------- HTML


@pytest.mark.parametrize("name", NAMES)
def test_html_main_text_yields_the_figures_of_the_plain_text(rendered, name: str) -> None:
    extracted = read_html(rendered[name]["html"].read_bytes(), MANIFEST[name]["language"])
    assert _figures(extracted.text, name) == _figures(_plain(name), name)
    for boilerplate in ("Startseite", "Wir verwenden Cookies", "Weitere Studie 1",
                        "Leser42", "Kommentare (3)", "Impressum"):
        assert boilerplate not in extracted.text


def test_html_metadata_is_read(rendered) -> None:
    name = NAMES[0]
    extracted = read_html(rendered[name]["html"].read_bytes(), "de")
    assert extracted.metadata["title"] == MANIFEST[name]["title"]
    assert extracted.metadata["author"] == "Jana Beispiel"
    assert extracted.metadata["published"] == "2021-05-17"
    assert extracted.metadata["url"] == "https://news.example.org/kundenservice/studie-2021"


# --------------------------------------------------------------------------- pipeline


def test_pipeline_stores_pdf_pages_and_html_metadata(prefect_harness, rendered,
                                                     tmp_path: Path) -> None:
    from flows.pipeline import pipeline

    sources = tmp_path / "sources"
    sources.mkdir()
    pdf_name, html_name = "002_8540100f77c5eb5e.txt", "000_32ea278a2476e42a.txt"
    pdf_bytes = rendered[pdf_name]["pdf"].read_bytes()
    (sources / "hizmet.pdf").write_bytes(pdf_bytes)
    (sources / "einblicke.html").write_bytes(rendered[html_name]["html"].read_bytes())
    tr, de = MANIFEST[pdf_name], MANIFEST[html_name]
    # the manifest gives no title, url or author for the web page: the page supplies them
    (sources / "manifest.toml").write_text(
        f'[[source]]\nfile = "hizmet.pdf"\ntitle = "{tr["title"]}"\nlanguage = "tr"\n'
        f'survey_year = {tr["survey_year"]}\n\n'
        f'[[source]]\nfile = "einblicke.html"\nlanguage = "de"\n'
        f'survey_year = {de["survey_year"]}\n', encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    summary = pipeline(str(sources), str(warehouse), str(tmp_path / "site"), publish=False)
    assert summary["status"] == "completed", summary

    out = tmp_path / "stats.jsonl"
    result = CliRunner().invoke(app, ["export", "statistics", "--format", "jsonl",
                                      "--output", str(out), "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    from_pdf = [r for r in records if r["doc"] == "hizmet.pdf"]
    from_html = [r for r in records if r["doc"] == "einblicke.html"]
    assert Counter((r["value"], r["unit"], r["surface"]) for r in from_pdf) == _figures(
        _plain(pdf_name), pdf_name)
    assert len(from_html) == sum(_figures(_plain(html_name), html_name).values())
    assert all(r["page"] is None for r in from_html)

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        doc_id, text, encoding, fmt, starts = con.execute(
            "SELECT doc_id, text, encoding, format, page_starts FROM documents"
            " WHERE file_name = 'hizmet.pdf'").fetchone()  # type: ignore[misc]
        source = dict(zip(("title", "author", "url", "published"), con.execute(
            "SELECT title, author, url, published FROM sources WHERE source_id = 'einblicke.html'"
        ).fetchone(), strict=True))  # type: ignore[arg-type]
        build = tmp_path / "build"
        (build / pages.GENERATED_DIR).mkdir(parents=True)
        catalogue = pages.Catalogue(snapshot.read_warehouse(con))
        pages.write_provenance(con, catalogue, build)
        provenance = (build / pages.GENERATED_DIR / "provenance.md").read_text(encoding="utf-8")
        source_pages.write_source_pages(con, catalogue, build, build,
                                        source_pages.Shell("<main>", "</main>"), None)
        source_page = (build / f"{source_page_name('hizmet.pdf')}.html").read_text(
            encoding="utf-8")
    finally:
        con.close()
    import hashlib

    assert doc_id == hashlib.sha256(pdf_bytes).hexdigest()
    assert (encoding, fmt) == ("pdf/pypdfium2", "pdf")
    seen = pages_seen(from_pdf)
    assert min(seen) == 1 and len(seen) >= 3 and max(seen) <= len(starts)
    for record in from_pdf:
        assert text[record["start"]:record["end"]] == record["surface"]
        page_end = starts[record["page"]] if record["page"] < len(starts) else len(text)
        assert starts[record["page"] - 1] <= record["start"] < page_end
    # the report links each PDF figure to its page of the source file
    pdf_uri = (sources / "hizmet.pdf").resolve().as_uri()
    for page in pages_seen(from_pdf):
        assert f'<a href="{pdf_uri}#page={page}">p.\u00a0{page}</a>' in provenance
    # its source page marks where each page begins, and each figure after its page's mark
    marks = [source_page.index(f'id="page-{n}"') for n in range(1, len(starts) + 1)]
    assert marks == sorted(marks)
    for record in from_pdf:
        figure = source_page.index(f'id="f-{record["obs_id"]}"')
        assert marks[record["page"] - 1] < figure
        assert record["page"] == len(starts) or figure < marks[record["page"]]
    assert source == {"title": de["title"], "author": "Jana Beispiel",
                      "url": "https://news.example.org/kundenservice/studie-2021",
                      "published": "2021-05-17"}


def pages_seen(records: list[dict]) -> set[int]:
    return {r["page"] for r in records}
