"""Publishing swaps a complete site into place: readers never see a half-rendered one."""

from __future__ import annotations

from pathlib import Path

import report_fixtures as fx

from reports.publish import download_parts_dir, publish, render_cache_dir


def test_site_is_swapped_whole_and_leftovers_of_killed_runs_are_removed(tmp_path: Path) -> None:
    con = fx.build_warehouse(tmp_path / "w.duckdb")
    out = tmp_path / "site"
    first = publish(con, out)
    assert first.index_html == out / "index.html" and first.index_html.exists()
    (out / "stale-page.html").write_text("from an older layout", encoding="utf-8")
    killed = tmp_path / f".{out.name}.staging-999999"  # a render that was killed half-way
    (killed / "index.html").parent.mkdir(parents=True)
    (killed / "index.html").write_text("half", encoding="utf-8")
    second = publish(con, out)
    assert second.pdf == out / "polystat-report.pdf" and second.pdf.exists()
    assert all(page.parent == out and page.exists() for page in second.pages)
    assert not (out / "stale-page.html").exists()
    leftovers = sorted(p for p in tmp_path.iterdir() if p.name.startswith("."))
    # no staging folder; the render cache and the statistics download's parts stay
    assert leftovers == sorted([render_cache_dir(out), download_parts_dir(out)])
    assert "half" not in (out / "index.html").read_text(encoding="utf-8")
