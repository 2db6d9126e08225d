"""Publishing costs what changed: with the real pipeline and the real pandoc, a second
publish after one added document renders only the pages whose input changed, the result
is byte-identical to a publish from an empty render cache, and a corrupted, swapped or
stale cache entry is never served."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from extract import lexicon
from flows.pipeline import run_without_prefect
from reports import pages, pandoc_typst
from reports import publish as publishing
from reports.pages import layout, provenance, source_pages
from reports.render_cache import RenderCache, cache_key

ROOT = Path(__file__).resolve().parent.parent
FIGURES_PER_PAGE = 40  # a synthetic document has ~25 figures: a page holds one or two


def _corpus(folder: Path, n: int, start: int = 0) -> None:
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), str(n), str(folder),
                    "--start", str(start)], check=True, capture_output=True)


def _publish(warehouse: Path, site: Path, calls: list[str] | None = None
             ) -> publishing.PublishResult:
    """Publish with small provenance pages, recording the input file of every pandoc run."""
    original = pandoc_typst._pandoc
    patch = pytest.MonkeyPatch()
    patch.setattr(layout, "PROVENANCE_PAGE_FIGURES", FIGURES_PER_PAGE)

    def recording(pandoc: str, cwd: Path, args: list[str]) -> None:
        if calls is not None:
            calls.append(Path(args[0]).name)
        original(pandoc, cwd, args)

    patch.setattr(pandoc_typst, "_pandoc", recording)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return publishing.publish(con, site)
    finally:
        con.close()
        patch.undo()


def _copy_site(site: Path, target: Path, *, with_cache: bool = True) -> None:
    shutil.copytree(site, target)
    if with_cache:
        shutil.copytree(publishing.render_cache_dir(site), publishing.render_cache_dir(target))


def _html(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(site.glob("*.html"))}


def _source_pages(site: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((site / "sources").glob("*.html"))}


def _assembled(site: Path) -> dict[str, str]:
    return {p.name.removesuffix(".assembled.md"): p.read_text(encoding="utf-8")
            for p in (site / publishing.SOURCE_DIR).glob("*.assembled.md")}


def _layout(site: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(
        (site / publishing.DATA_DIR / pages.LAYOUT_FILE).read_text(encoding="utf-8"))
    return loaded


def _rendered_pages(calls: list[str]) -> set[str]:
    return {name.rsplit(".", 2)[0] for name in calls
            if name.endswith((".parts.md", ".shell.md"))}


@pytest.fixture(scope="module")
def two_publishes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("incremental")
    corpus, warehouse, site = base / "corpus", base / "w.duckdb", base / "site"
    _corpus(corpus, 6)
    run_without_prefect(str(corpus), str(warehouse), str(base / "unused"), publish=False)
    first_calls: list[str] = []
    first = _publish(warehouse, site, first_calls)
    before = base / "site-before"
    _copy_site(site, before)
    parts = publishing.download_parts_dir(site)
    parts_before = {p.name: p.stat().st_mtime_ns for p in parts.iterdir()}
    _corpus(corpus, 1, start=6)
    run_without_prefect(str(corpus), str(warehouse), str(base / "unused"), publish=False)
    second_calls: list[str] = []
    second = _publish(warehouse, site, second_calls)
    yield {"base": base, "warehouse": warehouse, "site": site, "before": before,
           "first": first, "second": second,
           "first_calls": first_calls, "second_calls": second_calls,
           "parts_before": parts_before,
           "parts_after": {p.name: p.stat().st_mtime_ns for p in parts.iterdir()}}


def test_sources_keep_their_provenance_page_and_the_new_one_goes_last(two_publishes) -> None:
    before = _layout(two_publishes["before"])["provenance"]
    after = _layout(two_publishes["site"])["provenance"]
    assert len(set(before.values())) >= 3  # paged at all
    assert {sid: after[sid] for sid in before} == before
    (new_source,) = set(after) - set(before)
    assert after[new_source] >= max(before.values())
    markers_before = _layout(two_publishes["before"])["markers"]
    assert {sid: n for sid, n in _layout(two_publishes["site"])["markers"].items()
            if sid in markers_before} == markers_before


def test_only_pages_whose_input_changed_are_rendered_again(two_publishes) -> None:
    old, new = _assembled(two_publishes["before"]), _assembled(two_publishes["site"])
    changed = {name for name in new if old.get(name) != new[name]} - {"report"}
    unchanged = set(new) - changed - {"report"}
    rendered = _rendered_pages(two_publishes["second_calls"])
    assert rendered == changed
    assert any(name.startswith("provenance-") for name in unchanged), unchanged
    old_html, new_html = _html(two_publishes["before"]), _html(two_publishes["site"])
    for name in unchanged:
        assert new_html[f"{name}.html"] == old_html[f"{name}.html"], name
    second, first = two_publishes["second"], two_publishes["first"]
    assert second.cache_hits > 0 and first.cache_hits == 0
    assert second.pandoc_runs == len(two_publishes["second_calls"]) - 1  # minus the PDF's
    assert second.pandoc_runs < first.pandoc_runs


def test_incremental_result_equals_a_publish_from_an_empty_cache(two_publishes) -> None:
    cold = two_publishes["base"] / "site-cold"
    _copy_site(two_publishes["before"], cold, with_cache=False)  # same snapshot and layout
    result = _publish(two_publishes["warehouse"], cold)
    assert result.cache_hits == 0
    assert _html(cold) == _html(two_publishes["site"])
    for name in ("statistics.csv", "conflicts.csv", "metrics.csv"):  # parts written anew
        assert (cold / "downloads" / name).read_bytes() == \
            (two_publishes["site"] / "downloads" / name).read_bytes(), name
    entries = sorted(p.name for p in publishing.render_cache_dir(cold).iterdir())
    assert entries == sorted(p.name for p in publishing.render_cache_dir(two_publishes["site"])
                             .iterdir())  # unused entries are pruned
    assert not any(p.name.startswith(".") for p in cold.iterdir())  # the site: pages only


def test_only_the_new_sources_page_is_written_and_the_others_are_kept(two_publishes) -> None:
    first, second = two_publishes["first"], two_publishes["second"]
    assert (first.source_pages_written, first.source_pages_reused) == (6, 0)
    assert (second.source_pages_written, second.source_pages_reused) == (1, 6)
    before, after = _source_pages(two_publishes["before"]), _source_pages(two_publishes["site"])
    assert len(after) == 7 and {name: after[name] for name in before} == before


def test_the_statistics_download_queries_only_the_parts_of_new_sources(two_publishes) -> None:
    before, after = two_publishes["parts_before"], two_publishes["parts_after"]
    kept = {name for name in before if after.get(name) == before[name]}
    assert len(kept) >= 4 and len(after) - len(kept) in (2, 4)  # one or two parts: csv+parquet
    site = two_publishes["site"] / "downloads"
    con = duckdb.connect(str(two_publishes["warehouse"]), read_only=True)
    try:
        (figures,) = con.execute("SELECT count(*) FROM current_observations").fetchone() or (0,)
        in_csv = con.execute("SELECT count(*), count(DISTINCT obs_id) FROM read_csv(?)",
                             [str(site / "statistics.csv")]).fetchone()
        in_parquet = con.execute("SELECT count(*) FROM read_parquet(?)",
                                 [str(site / "statistics.parquet")]).fetchone()
    finally:
        con.close()
    assert in_csv == (figures, figures) and in_parquet == (figures,)


def test_source_pages_written_anew_equal_the_ones_kept(two_publishes) -> None:
    site = two_publishes["base"] / "site-source-pages"
    _copy_site(two_publishes["before"], site, with_cache=False)
    (site / publishing.DATA_DIR / source_pages.KEYS_FILE).unlink()  # no page can be kept
    result = _publish(two_publishes["warehouse"], site)
    assert (result.source_pages_written, result.source_pages_reused) == (7, 0)
    assert _source_pages(site) == _source_pages(two_publishes["site"])


def _publish_recording_lookups(warehouse: Path, site: Path
                               ) -> tuple[publishing.PublishResult, set[str]]:
    """Publish `site`, and the render-cache keys it looked up (a page kept whole from the
    previous site looks up none)."""
    keys: set[str] = set()
    original = RenderCache.get

    def recording(cache: RenderCache, key: str) -> str | None:
        keys.add(key)
        return original(cache, key)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RenderCache, "get", recording)
        return _publish(warehouse, site), keys


def test_corrupted_or_swapped_cache_entries_are_never_served(two_publishes, caplog) -> None:
    """Every entry spoiled one of three ways (edited, another input's valid entry under its
    name, truncated): each one a publish looks up is rejected, logged and rendered anew."""
    site = two_publishes["base"] / "site-corrupted"
    _copy_site(two_publishes["site"], site)
    entries = sorted(publishing.render_cache_dir(site).iterdir())
    assert len(entries) >= 3
    originals = {entry: entry.read_bytes() for entry in entries}
    for index, entry in enumerate(entries):
        if index % 3 == 0:
            entry.write_bytes(originals[entry] + b"<p>CORRUPTED</p>\n")
        elif index % 3 == 1:  # a valid entry, but of another input
            entry.write_bytes(originals[entries[(index + 1) % len(entries)]])
        else:
            entry.write_bytes(originals[entry][:40])
    result, looked_up = _publish_recording_lookups(two_publishes["warehouse"], site)
    rejected = sum("render cache entry corrupted" in r.getMessage() for r in caplog.records)
    assert rejected >= len(looked_up) >= 3  # (two pages of one input may both find it spoilt)
    assert result.pandoc_runs >= 1 and result.cache_misses >= 1
    assert _html(site) == _html(two_publishes["site"])


def test_changed_footer_or_code_never_reuses_old_html(two_publishes,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    site = two_publishes["base"] / "site-stale"
    _copy_site(two_publishes["site"], site)
    monkeypatch.setattr(publishing, "PAGE_FOOTER", "A footer no page was rendered with")
    result = _publish(two_publishes["warehouse"], site)
    html = _html(site)
    assert all(b"A footer no page was rendered with" in page for page in html.values())
    assert all(b"A footer no page was rendered with" in page
               for page in _source_pages(site).values())
    assert result.source_pages_reused == 0
    assert result.pandoc_runs == len(html)  # a new shell per page; every body part reused
    monkeypatch.setattr(pandoc_typst, "reports_code_digest", lambda: "other reports code")
    result = _publish(two_publishes["warehouse"], site)
    assert result.cache_hits == 0 and result.pandoc_runs == 2 * len(html)


def test_every_file_that_shapes_the_pages_is_in_the_reports_code_digest() -> None:
    """A change to any module of reports/ (pages/ included) or to the reads the pages
    show must render anew and must not let a run skip publishing."""
    files = set(pandoc_typst.reports_code_files())
    reports_dir = ROOT / "reports"
    assert set(reports_dir.rglob("*.py")) <= files
    assert set(reports_dir.glob("*.qmd")) | {reports_dir / "_quarto.yml"} <= files
    assert ROOT / "warehouse" / "report_reads.py" in files
    assert ROOT / "warehouse" / "downloads.py" in files  # the download files and their page
    assert (reports_dir / "pages" / "trends.py") in files


def test_a_renamed_language_changes_the_reports_code_digest(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pages print each language's name from its language.toml (extract/languages.py):
    a new name must render anew, like new code."""
    pandoc_typst.reports_code_digest.cache_clear()
    before = pandoc_typst.reports_code_digest()
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "language.toml").write_text('[language]\nname = "Deutsch"\n',
                                                   encoding="utf-8")
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(tmp_path))
    lexicon.load.cache_clear()  # read once per language and process
    pandoc_typst.reports_code_digest.cache_clear()
    try:
        assert pandoc_typst.reports_code_digest() != before
    finally:
        monkeypatch.delenv("POLYSTAT_LEXICON_DIR")
        lexicon.load.cache_clear()
        pandoc_typst.reports_code_digest.cache_clear()


def test_cache_entries_verify_key_and_body(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    one, two = cache_key("markdown one"), cache_key("markdown two")
    assert one != two and cache_key("ab", "c") != cache_key("a", "bc")
    cache.put(one, "<p>one</p>\n")
    cache.put(two, "<p>two</p>\n")
    assert cache.get(one) == "<p>one</p>\n"
    shutil.copyfile(tmp_path / f"{one}.html", tmp_path / f"{two}.html")
    assert cache.get(two) is None
    (tmp_path / f"{one}.html").write_text("<p>one</p>\n", encoding="utf-8")  # no header
    assert cache.get(one) is None
    assert cache.get(cache_key("never stored")) is None
    assert (cache.hits, cache.misses, cache.rejected) == (1, 3, 2)


def test_a_source_is_formatted_again_only_when_what_it_shows_changed(
        two_publishes, monkeypatch: pytest.MonkeyPatch) -> None:
    """Provenance tables are kept per source under a digest of everything they show: a
    publish with nothing changed formats none; renaming one metric formats exactly the
    sources with a figure of that metric."""
    warehouse = two_publishes["base"] / "w-relabel.duckdb"
    shutil.copyfile(two_publishes["warehouse"], warehouse)
    site = two_publishes["base"] / "site-parts"
    _copy_site(two_publishes["site"], site)
    formatted: list[str] = []
    original = provenance.provenance_table

    def counting(c: pages.Catalogue, doc: dict[str, Any], observations: list[Any]) -> str:
        formatted.append(doc["source_id"])
        return original(c, doc, observations)

    monkeypatch.setattr(provenance, "provenance_table", counting)
    _publish(warehouse, site)
    assert formatted == []
    with duckdb.connect(str(warehouse)) as con:
        metric_id, sources = con.execute(
            "SELECT mo.metric_id, list(DISTINCT d.source_id ORDER BY d.source_id)"
            " FROM metric_observations mo JOIN observations o USING (obs_id)"
            " JOIN documents d USING (doc_id) GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()  # type: ignore[misc]
        con.execute("UPDATE metrics SET label = 'a label no source showed' WHERE metric_id = ?",
                    [metric_id])
    _publish(warehouse, site)
    assert sorted(formatted) == sources
    assert any("a label no source showed" in page.decode() for page in _html(site).values())


def test_small_batches_give_the_same_pages(two_publishes, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """Provenance tables are prepared in batches of figures (memory holds one batch): any
    batch size gives the same pages."""
    monkeypatch.setattr(provenance.ProvenanceParts, "BATCH_FIGURES", 30)
    site = two_publishes["base"] / "site-small-batches"
    _copy_site(two_publishes["before"], site, with_cache=False)
    _publish(two_publishes["warehouse"], site)
    assert _html(site) == _html(two_publishes["site"])
