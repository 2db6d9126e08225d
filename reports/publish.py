"""Publish stage: warehouse -> data snapshot -> Quarto pages -> HTML site + PDF report.

The Quarto project in this folder is copied to a temporary build folder,
the generated fragments and charts are written next to it, and the build
is rendered by ``quarto render`` when Quarto is installed, otherwise by
pandoc (HTML) and typst (PDF) from the very same sources. The repository's
reports/ folder is never written to.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from reports import pages, pandoc_typst
from reports.snapshot import write_snapshot

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = PROJECT_DIR / "_site"
DATA_DIR = "_data"
SOURCE_DIR = "_source"  # the generated Markdown and typst, kept for audits
PROJECT_FILES = ("_quarto.yml", "*.qmd", "*.css", "*.typ")
HTML_PAGES = ("index", "trends", "conflicts", "sources", "provenance")

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """Rendering failed; the message names the renderer and the page."""


@dataclass
class PublishResult:
    renderer: str  # "quarto" | "pandoc+typst"
    site_dir: Path
    index_html: Path
    pdf: Path | None
    pages: list[Path]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def publish(con: duckdb.DuckDBPyConnection, out_dir: Path = DEFAULT_OUT) -> PublishResult:
    """Write the snapshot and render every page and the PDF report into out_dir.

    Everything is rendered into a staging folder next to out_dir and swapped into
    place at the end, so a reader never sees old and new pages mixed, even when a
    run is killed while rendering.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    staging = _fresh_staging(out_dir)
    if (out_dir / DATA_DIR).is_dir():  # the previous snapshot: "what changed since"
        shutil.copytree(out_dir / DATA_DIR, staging / DATA_DIR)
    snapshot = write_snapshot(con, staging / DATA_DIR)
    with tempfile.TemporaryDirectory(prefix="polystat-publish-") as tmp:
        build = Path(tmp) / "project"
        prepare_project(snapshot, build, con)
        if shutil.which("quarto"):
            result = _render_quarto(build, staging)
        else:
            result = _render_pandoc(build, staging, _footer(snapshot), _run_epoch(snapshot))
        _keep_sources(build, staging / SOURCE_DIR)
    _swap_into_place(staging, out_dir)
    result = _rebased(result, staging, out_dir)
    result.seconds = time.perf_counter() - started
    log.info("published %d pages and %s with %s in %.2f s", len(result.pages),
             result.pdf.name if result.pdf else "no PDF", result.renderer, result.seconds)
    return result


def _fresh_staging(out_dir: Path) -> Path:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    for leftover in out_dir.parent.glob(f".{out_dir.name}.staging-*"):
        shutil.rmtree(leftover, ignore_errors=True)  # from a run that was killed
    staging = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
    staging.mkdir()
    return staging


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    if out_dir.exists():
        os.rename(out_dir, old)
    os.rename(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


def _rebased(result: PublishResult, staging: Path, out_dir: Path) -> PublishResult:
    def move(path: Path) -> Path:
        return out_dir / path.relative_to(staging) if path.is_relative_to(staging) else path

    result.site_dir, result.index_html = move(result.site_dir), move(result.index_html)
    result.pdf = None if result.pdf is None else move(result.pdf)
    result.pages = [move(p) for p in result.pages]
    return result


def prepare_project(snapshot: dict[str, Any], build: Path,
                    con: duckdb.DuckDBPyConnection) -> None:
    """Copy the Quarto project, write the fragments and charts its pages include and the
    provenance pages (read from the warehouse one page of sources at a time)."""
    build.mkdir(parents=True, exist_ok=True)
    for pattern in PROJECT_FILES:
        for source in PROJECT_DIR.glob(pattern):
            shutil.copy2(source, build / source.name)
    catalogue = pages.write_fragments(snapshot, build)
    extra = pages.write_provenance(con, catalogue, build)
    if extra:  # Quarto renders the pages its project lists
        config_path = build / "_quarto.yml"
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config["project"]["render"] = [*config["project"]["render"],
                                       *(f"{name}.qmd" for name in extra)]
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                               encoding="utf-8")


def _render_quarto(build: Path, out_dir: Path) -> PublishResult:
    _add_font_paths(build / pandoc_typst.REPORT_PAGE)
    done = subprocess.run(["quarto", "render", str(build), "--output-dir", str(out_dir)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise PublishError(f"quarto render failed: {done.stderr.strip()[-2000:]}")
    found = [out_dir / f"{name}.html" for name in HTML_PAGES]
    found += sorted(out_dir.glob("provenance-*.html"))
    pdf = out_dir / pandoc_typst.PDF_NAME
    return PublishResult(renderer="quarto", site_dir=out_dir, index_html=out_dir / "index.html",
                         pdf=pdf if pdf.exists() else None, pages=[p for p in found if p.exists()])


def _add_font_paths(report: Path) -> None:
    """Tell Quarto's typst where the CJK font lives (front matter ``font-paths``)."""
    dirs, _ = pandoc_typst.font_directories()
    text = report.read_text(encoding="utf-8")
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front)
    meta.setdefault("format", {}).setdefault("typst", {})["font-paths"] = [str(d) for d in dirs]
    report.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---" + body,
                      encoding="utf-8")


def _render_pandoc(build: Path, out_dir: Path, footer: str, timestamp: int | None
                   ) -> PublishResult:
    try:
        rendered = pandoc_typst.render(build, out_dir, footer, timestamp)
    except pandoc_typst.RenderError as exc:
        raise PublishError(f"pandoc+typst: {exc}") from exc
    return PublishResult(renderer="pandoc+typst", site_dir=out_dir,
                         index_html=out_dir / "index.html", pdf=rendered.pdf,
                         pages=rendered.pages, warnings=rendered.warnings)


def _footer(snapshot: dict[str, Any]) -> str:
    run = snapshot.get("run")
    if not run:
        return "No finished run yet"
    finished = str(run.get("finished_at") or "").replace("T", " ")[:16]
    return (f"Data as of run {run['run_id']} (finished {finished} UTC, code version "
            f"{run.get('code_version')})")


def _run_epoch(snapshot: dict[str, Any]) -> int | None:
    finished = (snapshot.get("run") or {}).get("finished_at")
    if not finished:
        return None
    return int(datetime.fromisoformat(finished).replace(tzinfo=UTC).timestamp())


def _keep_sources(build: Path, target: Path) -> None:
    """Keep the exact Markdown and typst that were rendered next to the output."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(build / pages.GENERATED_DIR, target / pages.GENERATED_DIR)
    for produced in ("*.qmd", "*.assembled.md", pandoc_typst.TYPST_SOURCE, "_quarto.yml"):
        for path in build.glob(produced):
            shutil.copy2(path, target / path.name)


def main(argv: list[str] | None = None) -> None:
    """`python -m reports.publish WAREHOUSE [OUT]`: re-render the pages of an existing warehouse."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("out", type=Path, nargs="?", default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    con = duckdb.connect(str(args.warehouse), read_only=True)
    try:
        result = publish(con, args.out)
    finally:
        con.close()
    print(f"{result.renderer}: {result.index_html} and {result.pdf} in {result.seconds:.2f} s")


if __name__ == "__main__":
    main()
