"""Pages stay bounded as the corpus grows: provenance split into pages of whole sources,
a limited number of charts, a few figures per point. Limits are lowered so the
embedded corpus (120 figures) shows what 240,000 figures would."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from reports import snapshot
from reports.pages import layout, overview
from reports.pages import trends as trends_page
from reports.publish import publish


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()
        self.marks = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.hrefs.append(str(found["href"]))
        if found.get("id"):
            self.ids.add(str(found["id"]))
        self.marks += tag == "mark"


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def small_pages(corpus_run, tmp_path_factory: pytest.TempPathFactory):
    limits = pytest.MonkeyPatch()
    limits.setattr(layout, "PROVENANCE_PAGE_FIGURES", 30)
    limits.setattr(trends_page, "CHARTED_TRENDS", 3)
    limits.setattr(overview, "HEADLINE_TRENDS", 2)
    limits.setattr(snapshot, "SHOWN_PER_POINT", 1)
    con = duckdb.connect(str(corpus_run["warehouse"]), read_only=True)
    try:
        result = publish(con, tmp_path_factory.mktemp("scale") / "site")
        observations = con.execute("SELECT count(*) FROM current_observations").fetchone()
    finally:
        con.close()
        limits.undo()
    assert observations is not None
    return result.site_dir, int(observations[0])


def test_provenance_pages_hold_every_figure_once_and_every_link_lands(small_pages) -> None:
    site, n_figures = small_pages
    chunks = sorted(site.glob("provenance-*.html"))
    assert len(chunks) >= 3
    assert sum(_parse(page).marks for page in chunks) == n_figures
    index = _parse(site / "provenance.html")
    assert index.marks == 0  # the first page is an index of sources
    targets = [h for h in index.hrefs if h.startswith("provenance-")]
    assert len(targets) == 4  # one per source with figures (one of the five has none)
    sources = [h for h in _parse(site / "sources.html").hrefs if "#doc-" in h]
    assert sorted(sources) == sorted(targets)
    for href in targets:
        name, anchor = href.split("#")
        assert anchor in _parse(site / name).ids, href


def test_trends_chart_the_best_covered_metrics_and_list_the_rest(small_pages) -> None:
    site, _ = small_pages
    trends = (site / "trends.html").read_text(encoding="utf-8")
    assert 3 <= trends.count('<figure class="chart">') <= 3 + 2
    assert 'id="more-trends"' in trends
    ids = _parse(site / "trends.html").ids
    headlines = [h for h in _parse(site / "index.html").hrefs if h.startswith("trends.html#")]
    assert len(headlines) == 2 and all(h.split("#")[1] in ids for h in headlines)
    assert "more figure" in trends  # a point with more figures than shown says so
