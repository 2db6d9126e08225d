"""The report as a reader follows it (issue 18, items 1-3): from a figure on Trends or
Conflicts to its provenance row, from the row to the figure in its source's text, and the
downloads an analyst takes away. Pages are read as headless Chromium builds them."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import duckdb
import pytest
import report_fixtures as fx  # tests/ is on sys.path (pytest rootdir-relative import)
from test_report_view import dom, needs_chromium
from typer.testing import CliRunner

from flows.cli import app
from reports.pages import catalogue, source_pages
from reports.pages.common import source_page_name
from reports.publish import publish
from warehouse import downloads
from warehouse.downloads import DATASETS, FORMATS


class _Element(HTMLParser):
    """The text of the element with one id, and the links inside it."""

    VOID = {"br", "img", "col", "meta", "link", "input", "hr", "source", "wbr"}

    def __init__(self, wanted: str) -> None:
        super().__init__()
        self.wanted, self.depth, self.tag = wanted, 0, ""
        self.text: list[str] = []
        self.hrefs: list[str] = []
        self.marks: list[str] = []
        self.classes: list[str] = []
        self._in_mark = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if self.depth == 0 and found.get("id") == self.wanted:
            self.tag, self.depth = tag, 1
            self.classes = (found.get("class") or "").split()
            if tag == "a" and found.get("href"):
                self.hrefs.append(str(found["href"]))
            return
        if self.depth and tag not in self.VOID:
            self.depth += 1
        if self.depth and tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        self._in_mark = self._in_mark or (self.depth > 0 and tag == "mark")

    def handle_endtag(self, tag: str) -> None:
        if self.depth and tag not in self.VOID:
            self.depth -= 1
        if tag == "mark":
            self._in_mark = False

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.text.append(data)
            if self._in_mark:
                self.marks.append(data)


def element(html: str, wanted: str) -> _Element:
    found = _Element(wanted)
    found.feed(html)
    assert found.tag, f"no element with id {wanted!r}"
    return found


def follow(page: Path, href: str) -> tuple[Path, str]:
    """The page and the id a link on `page` leads to."""
    parts = urlsplit(href)
    assert not parts.scheme and not parts.netloc, f"{href}: leaves the site"
    return (page.parent / unquote(parts.path)).resolve(), parts.fragment


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    con = fx.build_warehouse(path)
    try:
        result = publish(con, tmp_path_factory.mktemp("reader") / "out")
    finally:
        con.close()
    return {"site": result.site_dir, "warehouse": path}


# --------------------------------------------------------------------------- item 1


@needs_chromium
def test_a_figure_on_trends_leads_to_its_row_and_on_to_its_sentence(site, tmp_path: Path) -> None:
    trends = site["site"] / "trends.html"
    links = re.findall(r'href="(provenance[^"#]*\.html#f-[^"]+)"', dom(trends, tmp_path))
    assert links, "no figure on Trends links to its provenance row"
    for href in links:
        page, anchor = follow(trends, href)
        row = element(dom(page, tmp_path), anchor)
        assert row.tag == "tr" and row.marks, f"{href}: not a provenance row with its figure"
        figure = "".join(row.marks)
        to_source = [h for h in row.hrefs if h.startswith("sources/")]
        assert len(to_source) == 1, row.hrefs
        source_page, source_anchor = follow(page, to_source[0])
        assert source_anchor == anchor  # the same id names the figure everywhere
        in_text = element(dom(source_page, tmp_path), source_anchor)
        assert in_text.tag == "a" and "figure" in in_text.classes
        assert "".join(in_text.marks) == figure
        back, back_anchor = follow(source_page, in_text.hrefs[0])
        assert (back, back_anchor) == (page, anchor)  # and the figure leads back to its row


@needs_chromium
def test_conflict_characters_link_to_the_figures_rows(site, tmp_path: Path) -> None:
    conflicts = site["site"] / "conflicts.html"
    html = dom(conflicts, tmp_path)
    links = re.findall(r'<a href="([^"]+)">characters [\d,]+–[\d,]+</a>', html)
    quotes = len(re.findall(r"characters [\d,]+–[\d,]+", html))
    assert links and len(links) == quotes, "a quote's characters are not a link"
    for href in links:
        page, anchor = follow(conflicts, href)
        assert element(page.read_text(encoding="utf-8"), anchor).tag == "tr"


def test_every_provenance_row_has_an_anchor_and_links_into_its_source(site) -> None:
    html = (site["site"] / "provenance.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr id="(f-[^"]+)"[^>]*>(.*?)</tr>', html, flags=re.DOTALL)
    assert len(rows) == len(fx.FIGURES)
    for anchor, cells in rows:
        assert f'.html#{anchor}">characters' in cells


# --------------------------------------------------------------------------- item 2


@needs_chromium
def test_a_source_page_marks_every_figure_and_glosses_beside_the_sentence(site,
                                                                          tmp_path: Path) -> None:
    zh = "003_19b5969eb5faa5a2.txt"
    sources_page = site["site"] / "sources.html"
    html = dom(sources_page, tmp_path)
    target = source_page_name(zh) + ".html"
    assert f'href="{target}"' in html, "the sources page does not link the source's page"
    page = dom(site["site"] / target, tmp_path)
    surfaces = sorted(f.surface for f in fx.FIGURES if f.source == zh)
    marked = re.findall(r'<a class="figure" id="f-[^"]+" href="[^"]+" title="[^"]*">'
                        r"<mark>([^<]+)</mark></a>", page)
    assert sorted(marked) == surfaces
    glossed = re.search(r'<p class="original" lang="zh">([^\n]*?)</p>'
                        r'<p class="gloss" lang="en">([^<]+)</p>', page)
    assert glossed is not None and "source-text glossed" in page
    assert "81%" in glossed.group(1) and glossed.group(2) == fx.ZH_TRANSLATION
    assert "Salesforce:2020 客户服务报告" in page and 'href="../style.css"' in page


def test_source_pages_mark_pages_of_a_pdf_and_overlapping_figures() -> None:
    text = "Page one says 45% here.\fPage two says 7 of 10 there."
    second = text.index("Page two")
    figures = [{"obs_id": "obs-a", "start": 14, "end": 17, "value": 45.0, "unit": "percent",
                "qualifier": "exact", "metric": "m", "year": 2020, "page": 1},
               {"obs_id": "obs-b", "start": second + 14, "end": second + 21, "value": 70.0,
                "unit": "percent", "qualifier": "exact", "metric": "m", "year": 2021,
                "page": 2},
               {"obs_id": "obs-c", "start": second + 14, "end": second + 15, "value": 7.0,
                "unit": "count", "qualifier": "exact", "metric": None, "year": 2021,
                "page": 2}]
    segments = [{"seg_no": 0, "start": 0, "end": 23, "kind": "sentence", "language": "en",
                 "gloss": None},
                {"seg_no": 1, "start": second, "end": len(text), "kind": "sentence",
                 "language": "en", "gloss": None}]
    doc = {"source_id": "report.pdf", "doc_id": "a" * 64, "detected_language": "en"}
    c = catalogue.Catalogue({"documents": [], "observations": [], "series": []})
    body = source_pages.source_body(c, doc, text, [0, second], segments, figures)
    assert body.index('id="page-1"') < body.index("45%") < body.index('id="page-2"')
    assert body.index('id="page-2"') < body.index("7 of 10")
    assert 'title="70\u00a0% · m · 2021 · p. 2"' in body
    assert '<span id="f-obs-c"></span>' in body  # inside 7 of 10: an anchor, no second mark
    assert body.count("<mark>") == 2


# --------------------------------------------------------------------------- item 3


def _export(warehouse: Path, what: str, out: Path) -> list[dict[str, object]]:
    done = CliRunner().invoke(app, ["export", what, "--warehouse", str(warehouse),
                                    "--output", str(out)])
    assert done.exit_code == 0, done.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_downloads_parse_and_hold_what_polystat_export_prints(site, tmp_path: Path) -> None:
    folder = site["site"] / "downloads"
    con = duckdb.connect()
    for found in DATASETS:
        exported = _export(site["warehouse"], found.name, tmp_path / f"{found.name}.jsonl")
        assert exported, f"{found.name}: the fixture should have rows"
        for fmt in FORMATS:
            path = str(folder / f"{found.name}.{fmt}")
            reader = "read_csv" if fmt == "csv" else "read_parquet"
            columns = [d[0] for d in con.execute(f"DESCRIBE SELECT * FROM {reader}(?)",
                                                 [path]).fetchall()]
            assert columns == [c.name for c in found.columns], f"{path}: columns and dictionary"
            (rows,) = con.execute(f"SELECT count(*) FROM {reader}(?)", [path]).fetchone() or (0,)
            assert rows == len(exported), f"{path}: {rows} rows, export gives {len(exported)}"
    key = "obs_id"
    parquet = {r[0] for r in con.execute("SELECT obs_id FROM read_parquet(?)",
                                         [str(folder / "statistics.parquet")]).fetchall()}
    assert parquet == {r[key] for r in _export(site["warehouse"], "statistics",
                                               tmp_path / "s.jsonl")}


def test_csv_text_cannot_run_as_a_formula_but_parquet_keeps_it(tmp_path: Path) -> None:
    con = duckdb.connect()
    query = "SELECT '=HYPERLINK(1)' AS claim, ['-1', 'b'] AS concepts, -5 AS value"
    csv, parquet = tmp_path / "x.csv", tmp_path / "x.parquet"
    con.execute(f"COPY ({downloads._csv_safe(con, query)}) TO '{csv}' (FORMAT csv, HEADER)")
    con.execute(f"COPY ({query}) TO '{parquet}' (FORMAT parquet)")
    assert con.execute("SELECT * FROM read_csv(?, all_varchar=true)", [str(csv)]).fetchall() \
        == [("'=HYPERLINK(1)", "[-1, b]", "-5")]
    assert con.execute("SELECT * FROM read_parquet(?)", [str(parquet)]).fetchall() \
        == [("=HYPERLINK(1)", ["-1", "b"], -5)]


@needs_chromium
def test_overview_links_the_downloads_page_and_its_dictionary(site, tmp_path: Path) -> None:
    index = site["site"] / "index.html"
    assert 'href="downloads.html"' in dom(index, tmp_path)
    page = dom(site["site"] / "downloads.html", tmp_path)
    for found in DATASETS:
        for fmt in FORMATS:
            assert f'href="downloads/{found.name}.{fmt}"' in page
        for column in found.columns:
            assert f"<code>{column.name}</code>" in page
    readme = (site["site"] / "downloads" / "README.md").read_text(encoding="utf-8")
    assert "(./statistics.parquet)" in readme and "`claim_en`" in readme


def test_a_hostile_source_page_shows_its_text_and_runs_nothing(site) -> None:
    page = (site["site"] / f"{source_page_name(fx.HOSTILE_SOURCE)}.html").read_text(
        encoding="utf-8")
    scripts = re.findall(r"<script[^>]*>", page, flags=re.IGNORECASE)
    ours = re.compile(r'<script src="(?:\.\./)?filter\.js" defer>')
    # only the site's own filter script, never anything the source holds
    assert all(ours.fullmatch(tag) for tag in scripts), scripts
    assert "script-src 'self'" in page
    assert not re.findall(r'(?:href|src)="javascript:', page, flags=re.IGNORECASE)
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt; Service Pulse" in page
    assert "[link](javascript:alert(1))" in page and "{{&lt; include /etc/passwd &gt;}}" in page
