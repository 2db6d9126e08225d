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
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import yaml

from reports import fonts, pages, pandoc_typst
from reports.markup import counted, md_text
from reports.options import ReportOptions
from reports.pages.downloads import DOWNLOADS_DIR, README, downloads_md, statistics_parts
from reports.pages.source_pages import Shell, write_source_pages
from reports.render_cache import RenderCache
from reports.snapshot import write_snapshot
from warehouse import db, downloads

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = PROJECT_DIR / "_site"
DATA_DIR = "_data"
SOURCE_DIR = "_source"  # the generated Markdown and typst, kept for audits
# on every page; what changes per run (the run id and time) is on the Overview and in the PDF,
# so a page whose content did not change stays byte-identical and is not rendered again
PAGE_FOOTER = ("Every figure in these pages was read by polystat from the sentence it is "
               "quoted with; the Overview names the run and the date of the data.")
TITLED_PAGES = ("index.qmd", "report.qmd")  # the pages that carry the corpus's title
PROJECT_FILES = ("_quarto.yml", "*.qmd", "*.css", "*.js", "*.typ")
HTML_PAGES = ("index", "trends", "conflicts", "sources", "provenance", "downloads")

log = logging.getLogger(__name__)


class PublishError(RuntimeError):
    """Publishing failed; the message names the renderer and the page, or the folder that
    could not be written."""


@dataclass
class PublishResult:
    renderer: str  # "quarto" | "pandoc+typst"
    site_dir: Path
    index_html: Path
    pdf: Path | None
    pages: list[Path]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    pandoc_runs: int = 0  # pandoc processes for the HTML pages (0: every page from the cache)
    cache_hits: int = 0
    cache_misses: int = 0
    recovered: list[str] = field(default_factory=list)  # what a killed publish left, put right
    source_pages_written: int = 0  # pages of new or changed sources
    source_pages_reused: int = 0  # taken over from the previous site
    downloads: dict[str, int] = field(default_factory=dict)  # rows per dataset
    downloads_seconds: float = 0.0
    source_pages_seconds: float = 0.0


def publish(con: duckdb.DuckDBPyConnection, out_dir: Path = DEFAULT_OUT,
            options: ReportOptions | None = None) -> PublishResult:
    """Write the snapshot and render every page and the PDF report into out_dir.

    Everything is rendered into a staging folder next to out_dir and swapped into
    place at the end, so a reader never sees old and new pages mixed, even when a
    run is killed while rendering; what a publish killed in the middle of the swap
    leaves is put right by the next one (`heal_interrupted_swap`). An out folder that
    is read-only or cannot be created is refused before any work (`check_out_folder`);
    a failure names the folder. `options` name the reports (title, subtitle) and the
    address they are published at (the PDF's links). Pieces of HTML whose input did
    not change since the previous publish come from the render cache
    (`render_cache_dir`), provenance pages keep their sources (`pages.Layout`), and a
    source page whose source did not change is taken over from the previous site, so
    the cost follows what changed. The download files are written from the same
    connection as the snapshot.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    check_out_folder(out_dir)
    try:
        recovered = heal_interrupted_swap(out_dir)
        result = _render_and_swap(con, out_dir, options or ReportOptions())
    except OSError as exc:  # permissions, a full disk: name the folder, not only the errno
        raise PublishError(f"writing the site into {out_dir} failed: {exc}") from exc
    result.recovered = recovered
    result.seconds = time.perf_counter() - started
    log.info("published %s and %s with %s in %.2f s (%s, %s reused; source pages: %d "
             "written, %d kept)", counted(len(result.pages), "page"),
             result.pdf.name if result.pdf else "no PDF", result.renderer, result.seconds,
             counted(result.pandoc_runs, "pandoc run"), counted(result.cache_hits, "piece"),
             result.source_pages_written, result.source_pages_reused)
    return result


def _render_and_swap(con: duckdb.DuckDBPyConnection, out_dir: Path,
                     options: ReportOptions) -> PublishResult:
    staging = _fresh_staging(out_dir)
    try:
        return _render_into(con, staging, out_dir, options)
    except BaseException:
        _remove(staging)  # a failed render leaves nothing behind (a kill: the next publish)
        raise


def _render_into(con: duckdb.DuckDBPyConnection, staging: Path, out_dir: Path,
                 options: ReportOptions) -> PublishResult:
    if (out_dir / DATA_DIR).is_dir():  # the previous snapshot: "what changed since"
        shutil.copytree(out_dir / DATA_DIR, staging / DATA_DIR)
    layout = pages.load_layout(staging / DATA_DIR)
    snapshot = write_snapshot(con, staging / DATA_DIR)
    cache = RenderCache(render_cache_dir(out_dir))
    with tempfile.TemporaryDirectory(prefix="polystat-publish-") as tmp:
        build = Path(tmp) / "project"
        catalogue = prepare_project(snapshot, build, con, layout, cache, options)
        downloads_started = time.perf_counter()
        counts = _write_downloads(con, staging / DOWNLOADS_DIR, snapshot, catalogue,
                                  download_parts_dir(out_dir))
        downloads_seconds = time.perf_counter() - downloads_started
        (build / pages.GENERATED_DIR / "downloads.md").write_text(
            downloads_md(counts) + "\n", encoding="utf-8")
        if shutil.which("quarto"):
            result = _render_quarto(build, staging)
        else:
            result = _render_pandoc(build, staging, cache, _footer(snapshot),
                                    _run_epoch(snapshot), options)
        source_pages_started = time.perf_counter()
        shell = Shell(*pandoc_typst.subpage_shell(build, PAGE_FOOTER, cache, "sources"))
        written = write_source_pages(con, catalogue, staging, staging / DATA_DIR, shell,
                                     out_dir if out_dir.is_dir() else None)
        source_pages_seconds = time.perf_counter() - source_pages_started
        cache.prune()
        _keep_sources(build, staging / SOURCE_DIR)
    pages.save_layout(catalogue.layout, staging / DATA_DIR)
    _swap_into_place(staging, out_dir)
    result = _rebased(result, staging, out_dir)
    result.source_pages_written, result.source_pages_reused = written.written, written.reused
    result.downloads, result.downloads_seconds = counts, downloads_seconds
    result.source_pages_seconds = source_pages_seconds
    return result


def _write_downloads(con: duckdb.DuckDBPyConnection, folder: Path, snapshot: dict[str, Any],
                     catalogue: pages.Catalogue, parts_dir: Path) -> dict[str, int]:
    """The download files and their README (the data dictionary); rows per dataset. The
    conflicts are the snapshot's (the view behind them is costly to evaluate twice), the
    statistics come in parts kept in `parts_dir` while their sources are unchanged."""
    conflicts = [{**c, "obs_ids": c["all_obs_ids"]} for c in snapshot["conflicts"]]
    counts = downloads.write_downloads(con, folder, statistics_parts(con, catalogue),
                                       parts_dir, conflicts)
    (folder / README).write_text("# polystat downloads\n\n" + downloads_md(counts, folder=".")
                                 + "\n", encoding="utf-8")
    return counts


def download_parts_dir(out_dir: Path) -> Path:
    """The statistics download's parts by key, next to the site like the render cache."""
    return out_dir.parent / f".{out_dir.name}.download-parts"


def render_cache_dir(out_dir: Path) -> Path:
    """HTML pieces by input hash, next to the site rather than in it (readers and
    deployments get the pages only). Entries are verified and replaced whole, so the
    cache is used in place; a publish keeps only the entries it used."""
    return out_dir.parent / f".{out_dir.name}.render-cache"


def check_out_folder(out_dir: Path) -> None:
    """Refuse, before any work, an out folder that must not or cannot be written: a folder
    marked read-only is the user's to keep (swapping a writable one in its place would
    silently undo that), and the staging folder is made next to it, in its parent."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise PublishError(f"the out folder {out_dir} is a file; remove it or publish "
                               "into another folder")
        if not _writable(out_dir):
            raise PublishError(f"the out folder {out_dir} is read-only; polystat does not "
                               "replace it: make it writable or publish into another folder")
    ancestor = out_dir.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise PublishError(f"the out folder {out_dir} cannot be created: {ancestor} is a file")
    if not _writable(ancestor):
        raise PublishError(f"the out folder {out_dir} cannot be written: {ancestor} is "
                           "read-only (the new site is built next to the old one, in "
                           f"{out_dir.parent})")


def _writable(folder: Path) -> bool:
    """Writable for this process, and not marked read-only for everyone (mode a-w), which
    root could otherwise write through."""
    return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)


# The site is swapped in by two renames: the current site aside, then the staging folder
# into its place. Crash tests (tests/test_publish_recovery.py) SIGKILL a publish at each
# step, as flows/faults.py kills a run in a stage: POLYSTAT_FAULT_AT=swap:<step>.
SWAP_STEPS = ("staged", "site-moved-aside", "new-site-in-place")
_FAULT_VARIABLE = "POLYSTAT_FAULT_AT"  # flows.faults.FAULT_VARIABLE (reports imports no flows)


def _swap_fault_point(step: str) -> None:
    if os.environ.get(_FAULT_VARIABLE) == f"swap:{step}":
        os.kill(os.getpid(), signal.SIGKILL)


def _fresh_staging(out_dir: Path) -> Path:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
    staging.mkdir()
    return staging


def _swap_into_place(staging: Path, out_dir: Path) -> None:
    """Two renames, so a reader never sees old and new pages mixed. A kill between them
    leaves no out_dir, only the previous site set aside; `heal_interrupted_swap` puts it
    back on the next publish."""
    old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
    _swap_fault_point("staged")
    if out_dir.exists():
        os.rename(out_dir, old)
        _swap_fault_point("site-moved-aside")
    try:
        os.rename(staging, out_dir)
    except OSError:
        if old.exists():
            os.rename(old, out_dir)  # the previous site stays in place
        raise
    _swap_fault_point("new-site-in-place")
    _remove(old)


def heal_interrupted_swap(out_dir: Path) -> list[str]:
    """Put right what a publish killed before its end left next to out_dir, and say what
    was done. A killed render leaves a staging folder: removed. A kill between the two
    renames of the swap leaves no site, only the previous one set aside: it is renamed
    back, with the `_data/` the next publish needs (S-numbers, what changed since). A kill
    after them leaves the set-aside copy: removed."""
    notes = []
    for staging in _leftovers(out_dir, "staging"):
        _remove(staging)
    set_aside = sorted(_leftovers(out_dir, "old"), key=lambda path: path.stat().st_ctime)
    if set_aside and not out_dir.exists():
        restored = set_aside.pop()  # the latest site, should several have been set aside
        os.rename(restored, out_dir)
        notes.append(f"restored {out_dir} from {restored.name}, left by a publish that was "
                     "killed while swapping the new site in")
    for old in set_aside:
        _remove(old)
        notes.append(f"removed {old}, an earlier site left by a publish that was killed")
    return notes


def _leftovers(out_dir: Path, kind: str) -> list[Path]:
    """Folders `.<name>.<kind>-<pid>` next to out_dir (matched by prefix: a name may hold
    glob characters)."""
    prefix = f".{out_dir.name}.{kind}-"
    parent = out_dir.parent
    if not parent.is_dir():
        return []
    return [path for path in parent.iterdir() if path.name.startswith(prefix) and path.is_dir()]


def _remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    if folder.exists():  # e.g. read-only files inside: the next publish tries again
        log.warning("%s could not be removed entirely; the next publish tries again", folder)


def _rebased(result: PublishResult, staging: Path, out_dir: Path) -> PublishResult:
    def move(path: Path) -> Path:
        return out_dir / path.relative_to(staging) if path.is_relative_to(staging) else path

    result.site_dir, result.index_html = move(result.site_dir), move(result.index_html)
    result.pdf = None if result.pdf is None else move(result.pdf)
    result.pages = [move(p) for p in result.pages]
    return result


def prepare_project(snapshot: dict[str, Any], build: Path, con: duckdb.DuckDBPyConnection,
                    layout: pages.Layout | None = None, cache: RenderCache | None = None,
                    options: ReportOptions | None = None) -> pages.Catalogue:
    """Copy the Quarto project, title it (`options`), write the fragments and charts its
    pages include and the provenance pages (read from the warehouse one page of sources
    at a time), keeping the previous publish's `layout` (source markers, provenance
    pages) where it holds."""
    build.mkdir(parents=True, exist_ok=True)
    for pattern in PROJECT_FILES:
        for source in PROJECT_DIR.glob(pattern):
            shutil.copy2(source, build / source.name)
    options = options or ReportOptions()
    for page in TITLED_PAGES:
        _set_front_matter(build / page, title=md_text(options.title),
                          subtitle=md_text(options.subtitle))
    catalogue = pages.write_fragments(snapshot, build, layout)
    extra = pages.write_provenance(con, catalogue, build, cache)
    if extra:  # Quarto renders the pages its project lists
        config_path = build / "_quarto.yml"
        config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        config["project"]["render"] = [*config["project"]["render"],
                                       *(f"{name}.qmd" for name in extra)]
        config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                               encoding="utf-8")
    return catalogue


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
    dirs, _ = fonts.font_directories()
    meta, body = _front_matter(report)
    meta.setdefault("format", {}).setdefault("typst", {})["font-paths"] = [str(d) for d in dirs]
    _write_front_matter(report, meta, body)


def _set_front_matter(page: Path, **values: str) -> None:
    """Set keys of a page's YAML front matter (values are Markdown: pandoc reads them so)."""
    meta, body = _front_matter(page)
    meta.update(values)
    _write_front_matter(page, meta, body)


def _front_matter(page: Path) -> tuple[dict[str, Any], str]:
    text = page.read_text(encoding="utf-8")
    if not text.startswith("---"):
        raise PublishError(f"{page}: the page has no YAML front matter (--- title: ... ---)")
    _, front, body = text.split("---", 2)
    return yaml.safe_load(front) or {}, body


def _write_front_matter(page: Path, meta: dict[str, Any], body: str) -> None:
    page.write_text("---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) + "---"
                    + body, encoding="utf-8")


def _render_pandoc(build: Path, out_dir: Path, cache: RenderCache, run_line: str,
                   timestamp: int | None, options: ReportOptions) -> PublishResult:
    try:
        rendered = pandoc_typst.render(build, out_dir, PAGE_FOOTER, timestamp, cache=cache,
                                       pdf_date=run_line, site_url=options.site_url)
    except pandoc_typst.RenderError as exc:
        raise PublishError(f"pandoc+typst: {exc}") from exc
    return PublishResult(renderer="pandoc+typst", site_dir=out_dir,
                         index_html=out_dir / "index.html", pdf=rendered.pdf,
                         pages=rendered.pages, warnings=rendered.warnings,
                         pandoc_runs=rendered.pandoc_runs, cache_hits=rendered.cache_hits,
                         cache_misses=rendered.cache_misses)


def _footer(snapshot: dict[str, Any]) -> str:
    run = snapshot.get("run")
    if not run:
        return "No finished run yet"
    finished = str(run.get("finished_at") or "").replace("T", " ")[:16]
    return (f"Data as of run {pages.short_run(run['run_id'])} (finished {finished} UTC, "
            f"code version {run.get('code_version')})")


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
    parser.add_argument("--title", default=ReportOptions.title)
    parser.add_argument("--subtitle", default=ReportOptions.subtitle)
    parser.add_argument("--site-url", default="", help="address the PDF links the pages at")
    args = parser.parse_args(argv)
    con = db.connect(args.warehouse, read_only=True)
    try:
        result = publish(con, args.out, ReportOptions(args.title, args.subtitle,
                                                      args.site_url.rstrip("/")))
    except PublishError as exc:
        sys.exit(f"error: {exc}")
    finally:
        con.close()
    for note in result.recovered:
        print(note)
    print(f"{result.renderer}: {result.index_html} and {result.pdf} in {result.seconds:.2f} s "
          f"(downloads {result.downloads_seconds:.2f} s; source pages "
          f"{result.source_pages_seconds:.2f} s: {result.source_pages_written} written, "
          f"{result.source_pages_reused} kept)")


if __name__ == "__main__":
    main()
