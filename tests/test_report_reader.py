"""The reports as a reader holds them: named for their corpus, a PDF that stands on its
own (page numbers, contents, charts beside their tables, links that survive being passed
on), charts a screen reader can read, and a conflicts page that says where values differ."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import report_fixtures as fx  # tests/ is on sys.path (pytest rootdir-relative import)

from flows import cli, plan, settings
from flows.explain import summary
from flows.ingest import SourcesError
from flows.ingest.manifest import read_entries, read_report_section
from reports import pandoc_typst
from reports.charts import ChartPoint, trend_svg
from reports.markup import md_text
from reports.options import DEFAULT_TITLE, ReportOptions
from reports.pages.catalogue import Catalogue
from reports.pages.findable import metric_anchor
from reports.pages.overview import overview_md
from reports.pages.trends import kept_with_chart
from reports.publish import PROJECT_DIR, publish
from reports.snapshot import changes_since, write_snapshot

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils not installed")
CORPUS_TITLE = "Arbeitsmarkt <in> Zahlen & *Fakten*"  # hostile on purpose: HTML and Markdown


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    con = fx.build_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def sources_with_report_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("src")
    (folder / "manifest.toml").write_text(
        '[[source]]\nfile = "a.txt"\n\n[report]\ntitle = "Arbeitsmarkt <in> Zahlen & *Fakten*"\n'
        'subtitle = "Quarterly figures of the statistics office"\n', encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def site(warehouse, sources_with_report_table: Path, tmp_path_factory: pytest.TempPathFactory
         ) -> Path:
    options = plan.report_options(str(sources_with_report_table))
    return publish(warehouse, tmp_path_factory.mktemp("site") / "out", options).site_dir


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]


# --------------------------------------------------------------------------- the corpus's name


def test_the_manifest_names_the_reports(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<h1 class="title">Arbeitsmarkt &lt;in&gt; Zahlen &amp; *Fakten*</h1>' in index
    assert "Quarterly figures of the statistics office" in index
    assert "Customer-service" not in index


@needs_poppler
def test_the_pdf_carries_the_manifest_title(site: Path) -> None:
    first = pdf_pages(site / "polystat-report.pdf")[0]
    assert CORPUS_TITLE in first and "Customer-service" not in first


def test_settings_override_the_manifest_and_the_default_is_neutral(
        sources_with_report_table: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSTAT_REPORT_TITLE", "Set by the environment")
    assert plan.report_options(str(sources_with_report_table)).title == "Set by the environment"
    monkeypatch.delenv("POLYSTAT_REPORT_TITLE")
    bare = tmp_path / "bare"
    bare.mkdir()
    assert plan.report_options(str(bare)) == ReportOptions()
    assert "customer" not in DEFAULT_TITLE.lower()


def test_a_new_title_or_site_url_publishes_anew(sources_with_report_table: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`polystat run` keeps a standing report only while its code version holds."""
    before = plan.reports_code_version(str(sources_with_report_table))
    monkeypatch.setenv("POLYSTAT_SITE_URL", "https://stats.example.org")
    with_url = plan.reports_code_version(str(sources_with_report_table))
    monkeypatch.setenv("POLYSTAT_REPORT_SUBTITLE", "Another subtitle")
    assert len({before, with_url, plan.reports_code_version(str(sources_with_report_table))}) == 3


def test_polystat_toml_report_table_is_the_report_settings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "polystat.toml"
    config.write_text('site_url = "https://stats.example.org/reports/"\n'
                      '[report]\ntitle = "From the settings file"\n', encoding="utf-8")
    monkeypatch.setenv("POLYSTAT_CONFIG", str(config))
    assert settings.get("report_title") == "From the settings file"
    assert settings.get("site_url") == "https://stats.example.org/reports"
    config.write_text('[report]\ntitel = "typo"\n', encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="report_titel.*did you mean `report_title`"):
        settings.check()
    config.write_text('site_url = "stats.example.org"\n', encoding="utf-8")
    with pytest.raises(settings.SettingsError, match="site_url.*http"):
        settings.check()


def test_a_bad_report_table_names_the_file_and_key(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.toml"
    manifest.write_text('[[source]]\nfile = "a.txt"\n[report]\ntitle = "T"\nsubtitel = "S"\n',
                        encoding="utf-8")
    with pytest.raises(SourcesError, match=r"manifest.toml: \[report\]: unknown key `subtitel`"):
        read_entries(manifest, None)
    manifest.write_text('[report]\ntitle = 7\n', encoding="utf-8")
    with pytest.raises(SourcesError, match=r"\[report\] title = 7"):
        read_report_section(manifest)
    manifest.write_text('[[source]]\nfile = "a.txt"\n[report]\ntitle = "T"\n', encoding="utf-8")
    assert [e["file"] for e in read_entries(manifest, None)] == ["a.txt"]
    assert read_report_section(manifest).title == "T"


# --------------------------------------------------------------------------- the PDF on its own


@needs_poppler
def test_pdf_has_page_numbers_and_contents(site: Path) -> None:
    pages = pdf_pages(site / "polystat-report.pdf")
    assert "Contents" in pages[0]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page, f"page {number} has no page number"


def test_pdf_links_are_absolute_at_site_url_and_plain_text_without() -> None:
    markdown = ("See [Sources](sources.qmd#s3) and [the trend](trends.qmd#trend-x) and "
                "[the overview](index.qmd) and [a lost anchor](trends.qmd#gone).\n\n"
                "## X {#trend-x}\n")
    plain = pandoc_typst.pdf_links(markdown)
    assert "See Sources and [the trend](#trend-x) and [the overview](#overview)" in plain
    assert "[a lost anchor](#trends)" in plain
    linked = pandoc_typst.pdf_links(markdown, "https://stats.example.org")
    assert "[Sources](https://stats.example.org/sources.html#s3)" in linked


def test_published_pdf_source_has_no_relative_page_link(site: Path) -> None:
    typst_source = (site / "_source" / pandoc_typst.TYPST_SOURCE).read_text(encoding="utf-8")
    assert not re.search(r'link\("[a-z-]+\.html', typst_source)
    assert "sources.html" not in typst_source and ".qmd" not in typst_source


def test_footer_speaks_to_readers(site: Path) -> None:
    for page in ("index", "trends", "conflicts", "sources"):
        footer = re.search(r'<footer class="ps-footer">(.*?)</footer>',
                           (site / f"{page}.html").read_text(encoding="utf-8"), re.S)
        assert footer is not None and "snapshot.json" not in footer.group(1)
        assert "Overview" in footer.group(1)
    assert "_data/snapshot.json" in (PROJECT_DIR.parent / "README.md").read_text(encoding="utf-8")


def _trend_block(n: int) -> str:
    points = [ChartPoint(year=2015 + i, value=40.0 + 3 * i + n, low=38.0 + 3 * i, high=45 + 3 * i,
                         qualifier="exact", sources=[f"S{i + 1}"]) for i in range(4)]
    rows = ["| Year | Agreed value | Source |", "|:--|--:|:--|"]
    rows += [f"| {p.year} | {p.value} % | S{i + 1} |" for i, p in enumerate(points)]
    return "\n\n".join([f"## Metric number {n} {{#trend-m{n}}}",
                        *kept_with_chart(f"Share number {n} · 4 years", trend_svg(
                            f"Metric {n}", "percent", points), f"charts/m{n}.svg"),
                        "\n".join(rows)])


@needs_poppler
def test_no_chart_ends_a_page_without_its_table(tmp_path: Path) -> None:
    """Nine charts of different heights on A4: without keeping them together several end a
    page whose next one starts with their table (this fails without the sticky blocks)."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("_site", "_*", "*.py"))
    (project / "_generated").mkdir()
    (project / "charts").mkdir()
    blocks = []
    for n in range(9):
        block = _trend_block(n)
        svg = re.search(r"<svg.*?</svg>", block, re.S)
        assert svg is not None
        (project / "charts" / f"m{n}.svg").write_text(svg.group(0), encoding="utf-8")
        blocks.append(block + "\n\nA paragraph of text between trends." * (n % 3))
    (project / "_generated" / "trends.md").write_text("\n\n".join(blocks), encoding="utf-8")
    for name in ("overview", "conflicts"):
        (project / "_generated" / f"{name}.md").write_text("Short.", encoding="utf-8")
    pdf, _ = pandoc_typst._render_pdf(project, tmp_path, pandoc_typst.pandoc_path(), "date", None)
    assert pdf is not None
    pages = pdf_pages(pdf)
    for n in range(9):
        holding = [i for i, page in enumerate(pages) if f"Share number {n} " in page]
        assert len(holding) == 1
        after_facts = pages[holding[0]].split(f"Share number {n} ", 1)[1]
        assert "Agreed value" in after_facts, f"chart {n}: its table starts on the next page"


# --------------------------------------------------------------------------- charts


class _SvgReader(HTMLParser):
    """Inline SVGs of a page: per chart its title, desc, point titles and texts drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[dict[str, list[str]]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.charts.append({"title": [], "desc": [], "point": [], "text": []})
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data: str) -> None:
        if not self.charts or "svg" not in self.stack:
            return
        tag, parent = self.stack[-1], self.stack[-2]
        if tag == "title":
            self.charts[-1]["title" if parent == "svg" else "point"].append(data)
        elif tag in ("desc", "text"):
            self.charts[-1][tag].append(data)


def test_each_chart_has_title_description_and_a_title_per_point(site: Path) -> None:
    page = (site / "trends.html").read_text(encoding="utf-8")
    reader = _SvgReader()
    reader.feed(page)
    assert len(reader.charts) == 3
    tables = re.findall(r"<table.*?</table>", page, re.S)
    for chart, table in zip(reader.charts, tables, strict=False):
        assert len(chart["title"]) == 1 and len(chart["desc"]) == 1
        values_drawn = [t for t in chart["text"] if "%" in t or t.replace(",", "").isdigit()]
        years = [t for t in chart["text"] if re.fullmatch(r"(19|20)\d\d", t)]
        assert len(chart["point"]) == len(years) >= 2
        for year, hover in zip(years, chart["point"], strict=True):
            assert hover.startswith(f"{year}: ") and re.search(r"\(S\d+", hover)
            drawn = hover.split(": ", 1)[1].split(" (")[0].split(",")[0]
            assert drawn in chart["desc"][0]
            assert drawn.replace("\u00a0", " ") in table.replace("&nbsp;", " ").replace(
                "\u00a0", " "), f"{year}: {drawn} is not in the table beside the chart"
        assert values_drawn


# --------------------------------------------------------------------------- conflicts


def test_conflicts_say_within_one_source_or_between_sources(site: Path) -> None:
    page = (site / "conflicts.html").read_text(encoding="utf-8")
    subtitle = re.search(r'<p class="subtitle">(.*?)</p>', page)
    assert subtitle is not None and "where sources disagree" not in subtitle.group(1).lower()
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
    assert sorted(h.rsplit(", ", 1)[1] for h in headings) == ["between sources",
                                                               "within one source"]
    assert "1 within one source that restates a figure and 1 between sources" in page
    # the Chinese quote carries its English gloss
    assert f"English (machine translation): {fx.ZH_TRANSLATION[:40]}" in page


# --------------------------------------------------------------------------- finding things

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
_ITEM = re.compile(r"<(?:div|tr)\b[^>]*\bdata-filter\b[^>]*>")


def live_dom(url: str, tmp_path: Path) -> str:
    """The page after its scripts ran, as headless Chromium holds it (from file://)."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
                           "--no-first-run", "--disable-background-networking",
                           f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120, check=True).stdout


def _shown(dom: str) -> list[str]:
    return [item for item in _ITEM.findall(dom) if not re.search(r"\shidden\b", item)]


def _having(page: str, attribute: str, token: str) -> list[str]:
    return [item for item in _ITEM.findall(page)
            if token in re.search(rf'data-{attribute}="([^"]*)"', item).group(1).split()]


@needs_chromium
@pytest.mark.parametrize(("page", "attribute"), [("trends", "lang"), ("trends", "year"),
                                                 ("provenance", "source")])
def test_the_filter_narrows_the_page(site: Path, tmp_path: Path, page: str,
                                     attribute: str) -> None:
    static = (site / f"{page}.html").read_text(encoding="utf-8")
    everything = _ITEM.findall(static)
    assert everything and not any(" hidden" in item for item in everything)  # without JS
    tokens = sorted({t for item in everything
                     for t in re.search(rf'data-{attribute}="([^"]*)"', item).group(1).split()})
    token = next(t for t in tokens if 0 < len(_having(static, attribute, t)) < len(everything))
    dom = live_dom(f"{(site / f'{page}.html').as_uri()}?{attribute}={token}", tmp_path)
    shown = _shown(dom)
    assert len(shown) == len(_having(static, attribute, token)) < len(everything)
    assert f"{len(shown)} of {len(everything)} shown" in dom


@needs_chromium
def test_the_metric_box_finds_one_metric_by_its_id(site: Path, tmp_path: Path) -> None:
    url = f"{(site / 'trends.html').as_uri()}?metric={fx.CAREER}"
    shown = _shown(live_dom(url, tmp_path))
    assert len(shown) == 1 and f'data-metric="{fx.CAREER}"' in shown[0]


def test_explain_prints_the_metrics_stable_place(site: Path, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    monkeypatch.setenv("POLYSTAT_OUT", str(site))
    for metric_id in (fx.CAREER, fx.FIELD):  # a charted trend and a single-year metric
        url = cli._metric_page(metric_id)
        assert url == f"{site.as_uri()}/trends.html#{metric_anchor(metric_id)}"
        page = (site / "trends.html").read_text(encoding="utf-8")
        assert page.count(f'id="{metric_anchor(metric_id)}"') == 1
    monkeypatch.setenv("POLYSTAT_SITE_URL", "https://stats.example.org/r/")
    url = cli._metric_page(fx.CAREER)
    assert url == f"https://stats.example.org/r/trends.html#{metric_anchor(fx.CAREER)}"
    record = {"kind": "metric", "metric": {"label": "x", "unit": "percent", "run_id": "r",
                                           "metric_id": fx.CAREER},
              "observations": [], "n_observations": 0, "n_documents": 0, "series": [],
              "page": url}
    assert any(line.plain.startswith("report") and url in line.plain
               for line in summary(record))


# --------------------------------------------------------------------------- the overview


def test_what_changed_lists_sources_and_the_metrics_whose_series_moved(warehouse,
                                                                       tmp_path: Path) -> None:
    current = write_snapshot(warehouse, tmp_path)
    current["run"]["run_id"] = "0b5f3a2c-1111-4222-8333-944445555666"
    previous = json.loads(json.dumps(current))
    previous["run"]["run_id"] = "7d1e0c9a-aaaa-4bbb-8ccc-9ddddeeeefff"
    career = next(s for s in previous["series"] if s["metric_id"] == fx.CAREER)
    career["points"][0]["value"] = 55.0  # its first year moved
    career["points"].append({**career["points"][0], "year": 2015, "value": 50.0})  # gone now
    previous["series"] = [s for s in previous["series"] if s["metric_id"] != fx.RESPONSES]
    removed = previous["documents"].pop()  # a source new in this run
    current["changes"] = changes_since(previous, current)
    text = overview_md(Catalogue(current))
    assert f"- New source: *{md_text(removed['title'])}* ({md_text(removed['source_id'])})" in text
    moved = [line for line in text.splitlines() if line.startswith("- ")]
    new_metric = next(line for line in moved if "New metric" in line)
    assert f"(trends.qmd#metric-{fx.RESPONSES})" in new_metric
    career_line = next(line for line in moved if f"metric-{fx.CAREER}" in line)
    assert career_line.startswith("- Figures moved: ")
    assert "55 % → 59 %" in career_line.replace("\u00a0", " ")
    assert "2015: no figure now (was 50 %)" in career_line.replace("\u00a0", " ")
    # run ids short, the full id in the tooltip
    assert 'Compared with run [`7d1e0c9a`]{title="7d1e0c9a-aaaa-4bbb-8ccc-9ddddeeeefff"}' in text
    assert "Data as of run [`0b5f3a2c`]" in text


@needs_poppler
def test_pdf_header_names_the_run_short(site: Path) -> None:
    second = pdf_pages(site / "polystat-report.pdf")[1]
    assert CORPUS_TITLE in second.splitlines()[0] and "Data as of run" in second
