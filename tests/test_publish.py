"""Publishing: snapshot from a real warehouse, escaping, pandoc/typst rendering, PDF text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import report_fixtures as fx  # tests/ is on sys.path (pytest rootdir-relative import)
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reports import fonts, pandoc_typst
from reports.markup import format_value, isolate_bidi, md_highlight, md_text
from reports.publish import PROJECT_DIR, publish
from reports.snapshot import changes_since, write_snapshot

HOSTILE_PIECES = ["<script>alert(1)</script>", "#set page(width: 1cm)", '=HYPERLINK("x")',
                  "{{< include /etc/passwd >}}", "*accelerating*", "`code`", "$x$", "@ref"]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    con = fx.build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")
    yield con
    con.close()


# What rendering may write inside the Quarto project; `polystat run` (default out folder)
# legitimately leaves `_site` there, so a test compares before and after, not "absent".
GENERATED = ("_generated", "charts", "_site", "report.typ")


def project_state() -> dict[str, list[tuple[str, int, int]] | None]:
    """Every generated file in the project folder, with its mtime and size."""
    state: dict[str, list[tuple[str, int, int]] | None] = {}
    for name in GENERATED:
        path = PROJECT_DIR / name
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        state[name] = ([(str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files]
                       if path.exists() else None)
    return state


@pytest.fixture(scope="module")
def project_before_publish() -> dict[str, list[tuple[str, int, int]] | None]:
    return project_state()


@pytest.fixture(scope="module")
def published(project_before_publish, warehouse, tmp_path_factory: pytest.TempPathFactory):
    return publish(warehouse, tmp_path_factory.mktemp("site") / "out")


def pandoc_plain(markdown: str) -> str:
    done = subprocess.run([pandoc_typst.pandoc_path(), "-f", "markdown", "-t", "plain",
                           "--wrap=none"], input=markdown, capture_output=True, text=True,
                          check=True)
    return done.stdout.strip()


# --------------------------------------------------------------------------- markup


def test_escaped_hostile_text_reads_back_verbatim_through_pandoc() -> None:
    text = " ".join(HOSTILE_PIECES + ["[link](javascript:alert(1))", "_under_", "# heading",
                                      "| a | b |", "<!-- c -->", "\\n", "~~s~~", "^sup^"])
    assert pandoc_plain(md_text(text)) == text


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl",
                                                                         "Zp", "Co", "Cn")),
               min_size=1, max_size=40))
@example("\u200e")  # a bidi mark comes back in its isolate (reports/markup.isolate_bidi)
def test_any_text_survives_markdown_escaping(text: str) -> None:
    expected = " ".join(text.split())
    if not expected:
        return
    assert pandoc_plain("x " + md_text(text) + " x") == f"x {isolate_bidi(expected)} x"


def test_highlight_marks_exactly_the_figure() -> None:
    sentence = "Müşterilerin %88’i, bir şirketin sunduğu deneyimin önemli olduğunu söylüyor"
    start = sentence.find("%88")
    marked = md_highlight(sentence, start, start + 3)
    assert "[\\%88]{.mark}" in marked
    html = subprocess.run([pandoc_typst.pandoc_path(), "-f", "markdown", "-t", "html"],
                          input=marked, capture_output=True, text=True, check=True).stdout
    assert "Müşterilerin <mark>%88</mark>’i," in html


@pytest.mark.parametrize(("value", "unit", "qualifier", "shown"), [
    (50, "percent", "more_than", "more than 50\u00a0%"),
    (85, "percent", "exact", "85\u00a0%"),
    (66.6667, "percent", "exact", "66.7\u00a0%"),
    (7095, "count", "exact", "7,095"),
    (47, "percent_change", "exact", "+47\u00a0%"),
    (-3, "percentage_points", "approx", "about −3\u00a0pp"),
    (3, "multiple", "nearly", "nearly 3×"),
])
def test_figures_read_as_a_reader_expects(value: float, unit: str, qualifier: str,
                                          shown: str) -> None:
    assert format_value(value, unit, qualifier) == shown


# --------------------------------------------------------------------------- snapshot


def test_snapshot_holds_what_the_warehouse_holds(warehouse, tmp_path: Path) -> None:
    snapshot = write_snapshot(warehouse, tmp_path)
    on_disk = json.loads((tmp_path / "snapshot.json").read_text(encoding="utf-8"))
    # The published file names each source by its path in the sources folder; the pages
    # are made from the same data with the local path (links to PDF pages).
    assert on_disk == {**snapshot, "documents": [{**d, "path": d["source_id"]}
                                                 for d in snapshot["documents"]]}
    n_obs = warehouse.execute("SELECT count(*) FROM current_observations").fetchone()[0]
    assert snapshot["corpus"]["observations"] == n_obs == len(fx.FIGURES)
    assert snapshot["corpus"]["documents"] == len(fx.DOCUMENTS) + 1
    assert snapshot["corpus"]["conflicts"] == 2
    trends = {s["metric_id"] for s in snapshot["series"] if len(s["points"]) >= 2}
    assert trends == {fx.RESPONSES, fx.CAREER, fx.EXPERIENCE}
    for obs in snapshot["observations"]:  # offsets point into the stored text
        text = warehouse.execute("SELECT text FROM documents WHERE doc_id = ?",
                                 [obs["doc_id"]]).fetchone()[0]
        assert text[obs["start"]:obs["end"]] == obs["surface"]


def test_snapshot_links_translation_coverage_and_language_mismatch(warehouse,
                                                                   tmp_path: Path) -> None:
    snapshot = write_snapshot(warehouse, tmp_path)
    translated = [o for o in snapshot["observations"] if o["translation"]]
    assert [o["surface"] for o in translated] == ["81%"]
    assert translated[0]["translation"]["model"] == "translate-zh_en"
    docs = {d["source_id"]: d for d in snapshot["documents"]}
    chinese = docs["003_19b5969eb5faa5a2.txt"]
    assert chinese["segments_translated"] == 1
    assert chinese["segments_non_english"] > 1
    assert chinese["missing_pairs"][0]["install"] == "polystat models install --from-index zh"
    assert docs[fx.HOSTILE_SOURCE]["language_mismatch"] is True
    assert docs[fx.HOSTILE_SOURCE]["segments_non_english"] == 0
    assert not docs["002_8540100f77c5eb5e.txt"]["language_mismatch"]


def test_rows_of_unfinished_runs_stay_out_of_the_snapshot(tmp_path: Path) -> None:
    con = fx.build_warehouse(tmp_path / "w.duckdb")
    fx.add_second_run(con)
    con.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", [fx.RUN_2])
    snapshot = write_snapshot(con, tmp_path / "data")
    assert fx.HWZ_SOURCE not in {d["source_id"] for d in snapshot["documents"]}
    assert fx.AUTOMATION not in {s["metric_id"] for s in snapshot["series"]}
    assert snapshot["run"]["run_id"] == fx.RUN_1
    con.close()


def test_changes_name_new_documents_and_new_figures(tmp_path: Path) -> None:
    con = fx.build_warehouse(tmp_path / "w.duckdb")
    first = write_snapshot(con, tmp_path)
    assert first["changes"]["first_snapshot"] is True
    fx.add_second_run(con)
    second = write_snapshot(con, tmp_path)
    changes = second["changes"]
    assert changes["previous_run"] == fx.RUN_1
    assert [d["source_id"] for d in changes["new_documents"]] == [fx.HWZ_SOURCE]
    assert {(f["metric_id"], f["year"]) for f in changes["new_figures"]} == {
        (fx.AUTOMATION, 2018), (fx.AUTOMATION, 2020)}
    assert changes["new_observations"] == 2
    # publishing the same run again keeps the comparison with the run before it
    assert write_snapshot(con, tmp_path)["changes"] == changes
    con.close()


def test_changed_figure_reports_old_and_new_value(warehouse, tmp_path: Path) -> None:
    current = write_snapshot(warehouse, tmp_path)
    previous = json.loads(json.dumps(current))
    previous["run"]["run_id"] = "run-before"
    career = next(s for s in previous["series"] if s["metric_id"] == fx.CAREER)
    career["points"][0]["value"] = 55.0
    changes = changes_since(previous, current)
    assert [(f["metric_id"], f["previous_value"], f["value"]) for f in
            changes["changed_figures"]] == [(fx.CAREER, 55.0, 59.0)]
    assert changes["new_documents"] == [] and changes["new_figures"] == []


# --------------------------------------------------------------------------- rendering


def test_publish_writes_every_page_and_one_pdf(published) -> None:
    expected = "quarto" if shutil.which("quarto") else "pandoc+typst"
    assert published.renderer == expected
    names = sorted(p.name for p in published.pages)
    assert names == sorted(["index.html", "trends.html", "conflicts.html", "sources.html",
                            "provenance.html", "downloads.html"])
    assert published.index_html == published.site_dir / "index.html"
    assert published.pdf == published.site_dir / "polystat-report.pdf"
    assert published.pdf.read_bytes()[:5] == b"%PDF-"
    assert (published.site_dir / "_data" / "snapshot.json").exists()
    charts = sorted((published.site_dir / "charts").glob("*.svg"))
    assert len(charts) == 3
    assert all("<script" not in c.read_text(encoding="utf-8") for c in charts)


def test_hostile_text_shows_as_text_and_runs_nothing(published) -> None:
    for page in published.pages:
        html = page.read_text(encoding="utf-8")
        # no script element but the site's own filter (a file of reports/, no document text)
        assert re.findall(r"<script[^>]*>", html.lower()) == [
            '<script src="filter.js" defer>'], page.name
        assert "script-src 'self'" in html  # and no inline script could run
        links = re.findall(r'(?:href|src)="([^"]*)"', html)
        assert not [x for x in links if x.lower().startswith("javascript:")], page.name
    conflicts = (published.site_dir / "conflicts.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in conflicts
    assert "#set page(width: 1cm)" in conflicts
    assert "=HYPERLINK(&quot;x&quot;)" in conflicts or '=HYPERLINK("x")' in conflicts
    assert "{{&lt; include /etc/passwd &gt;}}" in conflicts


def test_typst_and_markdown_sources_escape_document_text(published) -> None:
    fragment = (published.site_dir / "_source" / "_generated" / "conflicts.md").read_text(
        encoding="utf-8")
    assert "\\<script\\>" in fragment and "<script>" not in fragment
    assert "\\{\\{\\<" in fragment and "{{<" not in fragment
    typ = (published.site_dir / "_source" / "report.typ").read_text(encoding="utf-8")
    assert "\\#set page(width: 1cm)" in typ
    assert re.search(r"(?<!\\)#set page\(width: 1cm", typ) is None
    assert "\\$x\\$" in typ and "\\@ref" in typ


def pdf_text(pdf: Path) -> str:
    """The PDF's text with table-cell line breaks and no-break spaces as plain spaces."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return " ".join(text.split())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_has_overview_trends_conflicts_with_chinese_and_turkish(published) -> None:
    text = pdf_text(published.pdf)
    for heading in ("Overview", "Trends", "Conflicts", "At a glance", "Headline trends"):
        assert heading in text
    assert "Provenance" not in text and "Missing translation models" not in text
    assert "决策者表示" in text  # Chinese quotes of the conflicts page
    assert "客户服务报告" in text  # Chinese source title in the trend tables
    assert "müşteri hizmetlerinde" in text  # Turkish title
    assert "<script>alert(1)</script>" in text
    assert "#set page(width: 1cm)" in text
    assert "more than 7,000" in text


def test_pdf_still_renders_without_a_cjk_font(warehouse, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fonts, "_FONT_DIRS", (tmp_path / "no-fonts",))
    fonts.font_directories.cache_clear()
    try:
        result = publish(warehouse, tmp_path / "out")
    finally:
        fonts.font_directories.cache_clear()
    if result.renderer == "pandoc+typst":
        assert result.pdf is not None and result.pdf.exists()
        assert any("CJK" in w for w in result.warnings)


def test_publishing_elsewhere_leaves_the_project_folder_untouched(
        project_before_publish, published) -> None:
    assert project_state() == project_before_publish


def test_include_outside_the_project_is_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.qmd"
    page.write_text("---\ntitle: x\n---\n\n{{< include ../../etc/passwd >}}\n", encoding="utf-8")
    with pytest.raises(pandoc_typst.RenderError, match="outside the project"):
        pandoc_typst.assemble(page)


def test_pages_show_the_expected_numbers(published) -> None:
    index = (published.site_dir / "index.html").read_text(encoding="utf-8")
    assert "This is the first published run" in index
    assert "7,095 (2020) → 8,050 (2022)" in index
    trends = (published.site_dir / "trends.html").read_text(encoding="utf-8")
    assert trends.count('<figure class="chart">') == 3
    assert len(list((published.site_dir / "charts").glob("trend-*.svg"))) == 3  # PDF, Quarto
    assert "more than 7,000" in trends.replace("\u00a0", " ")
    sources = (published.site_dir / "sources.html").read_text(encoding="utf-8")
    assert "polystat models install --from-index tr" in sources
    assert "Mismatch" in sources
    provenance = (published.site_dir / "provenance.html").read_text(encoding="utf-8")
    assert provenance.count("<mark>") == len(fx.FIGURES)
    assert "<mark>%80</mark>’e kıyasla" in provenance
    assert fx.ZH_TRANSLATION in provenance


def test_agreed_value_prefers_exact_figures_over_qualified_ones(warehouse, tmp_path: Path) -> None:
    snapshot = write_snapshot(warehouse, tmp_path)
    responses = next(s for s in snapshot["series"] if s["metric_id"] == fx.RESPONSES)
    point = next(p for p in responses["points"] if p["year"] == 2020)
    # "more than 7000" is context, not a competing exact value: no spread bar down to 7,000
    assert (point["value"], point["min"], point["max"], point["qualifier"]) == (
        7095, 7095, 7095, "exact")
    assert point["n_observations"] == 3


def test_same_warehouse_renders_byte_identical_pages_and_pdf(warehouse, published,
                                                             tmp_path: Path) -> None:
    again = publish(warehouse, tmp_path / "again")
    for page in [*published.pages, published.pdf, published.site_dir / "_data/snapshot.json"]:
        twin = again.site_dir / page.relative_to(published.site_dir)
        assert twin.read_bytes() == page.read_bytes(), page.name
