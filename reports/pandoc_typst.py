"""Render the Quarto project without Quarto: pandoc to HTML, pandoc + typst to PDF.

Reads the same sources Quarto would (_quarto.yml, the .qmd pages and the
fragments they include), resolves ``{{< include >}}`` itself, builds the
navbar from _quarto.yml, and compiles the typst PDF with the system's CJK
font so Chinese text is not blank.
"""

from __future__ import annotations

import functools
import html
import logging
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

log = logging.getLogger(__name__)

REPORT_PAGE = "report.qmd"
PDF_NAME = "polystat-report.pdf"
TYPST_TEMPLATE = "polystat-report.typ"  # a pandoc template
TYPST_SOURCE = "report.typ"  # what pandoc writes from it and typst compiles
STYLESHEET = "style.css"
_PAGEBREAK = re.compile(r"^[ \t]*\{\{<\s*pagebreak\s*>\}\}[ \t]*$", re.MULTILINE)
_INCLUDE = re.compile(r"^[ \t]*\{\{<\s*include\s+(\S+?)\s*>\}\}[ \t]*$", re.MULTILINE)
# links written by pages.py: ](page.qmd) or ](page.qmd#anchor); escaped document text never
# contains "](" because md_text escapes both brackets and parentheses
_PAGE_LINK = re.compile(r"\]\(([a-z][a-z0-9-]*)\.qmd(#[A-Za-z0-9_-]+)?\)")
_SERIES_PAGE = re.compile(r"-\d+$")  # provenance-002 belongs to the navbar's Provenance
_SAFE_HREF = re.compile(r"^[A-Za-z0-9_-]+\.(qmd|html|pdf)$")
_CJK_FONT_NAMES = ("NotoSansCJK", "NotoSerifCJK", "SourceHanSans", "SourceHanSerif", "wqy-",
                   "DroidSansFallback")
_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
              Path.home() / ".fonts", Path.home() / ".local/share/fonts")


class RenderError(RuntimeError):
    """pandoc or typst failed; the message says which page and why."""


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="$lang$">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'none'; object-src 'none'">
<meta name="generator" content="polystat (pandoc)">
<title>$pagetitle$ · $site-title$</title>
<link rel="stylesheet" href="style.css">
</head>
<body>
$for(include-before)$
$include-before$
$endfor$
<main>
<header class="ps-title">
<h1 class="title">$title$</h1>
$if(subtitle)$
<p class="subtitle">$subtitle$</p>
$endif$
</header>
$body$
</main>
$for(include-after)$
$include-after$
$endfor$
</body>
</html>
"""


@dataclass
class Rendered:
    pages: list[Path]
    pdf: Path | None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class NavItem:
    href: str
    text: str


def pandoc_path() -> str:
    """pandoc 3 from pypandoc-binary (Debian's 2.x cannot write typst)."""
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:
        found = shutil.which("pandoc")
        if found:
            return found
        raise RenderError("pandoc not found: install pypandoc-binary (pip install "
                          "pypandoc-binary) or Quarto") from exc


def render(project: Path, out_dir: Path, footer: str, timestamp: int | None = None) -> Rendered:
    """Every page of _quarto.yml to ``out_dir/<page>.html``; report.qmd to the PDF."""
    config = _load_config(project)
    pandoc = pandoc_path()
    nav_left, nav_right = _navbar(config)
    site_title = str(config.get("website", {}).get("title", "polystat"))
    shutil.copy2(project / STYLESHEET, out_dir / STYLESHEET)
    _copy_tree(project / "charts", out_dir / "charts")
    foot = project / "footer.html"
    foot.write_text(f'<footer class="ps-footer">{html.escape(footer)}</footer>\n',
                    encoding="utf-8")
    template = _html_template(project)
    commands = []
    for page in _pages(config, project):
        if page.name == REPORT_PAGE:
            continue
        markdown = _PAGEBREAK.sub("", _with_links(
            assemble(project / page), lambda name, anchor: f"{name}.html" + (anchor or "")))
        source = project / f"{page.stem}.assembled.md"
        source.write_text(markdown, encoding="utf-8")
        nav = project / f"{page.stem}.nav.html"
        nav.write_text(_nav_html(site_title, nav_left, nav_right, _SERIES_PAGE.sub("", page.stem)),
                       encoding="utf-8")
        target = out_dir / f"{page.stem}.html"
        commands.append((target, [str(source), "-f", "markdown", "-t", "html5", "-s",
                                  "--wrap=none", "--template", str(template),
                                  "-V", f"site-title={site_title}", "-V", "lang=en",
                                  "--include-before-body", str(nav),
                                  "--include-after-body", str(foot), "-o", str(target)]))
    # one pandoc process per page, as many at once as there are cores
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda command: _pandoc(pandoc, project, command[1]), commands))
    pages = [target for target, _ in commands]
    pdf, warnings = _render_pdf(project, out_dir, pandoc, footer, timestamp)
    return Rendered(pages=pages, pdf=pdf, warnings=warnings)


# --------------------------------------------------------------------------- sources


def _load_config(project: Path) -> dict[str, Any]:
    path = project / "_quarto.yml"
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RenderError(f"{path}: cannot read the Quarto project file: {exc}") from exc
    if not isinstance(loaded, dict):
        raise RenderError(f"{path}: expected a YAML mapping")
    return loaded


def _pages(config: dict[str, Any], project: Path) -> list[Path]:
    listed = config.get("project", {}).get("render") or sorted(
        p.name for p in project.glob("*.qmd"))
    return [Path(name) for name in listed]


def assemble(page: Path, depth: int = 0) -> str:
    """The page with every include shortcode replaced by the included file, as Quarto does."""
    if depth > 5:
        raise RenderError(f"{page}: includes nested too deeply")
    text = page.read_text(encoding="utf-8")
    root = page.parent.resolve()

    def include(match: re.Match[str]) -> str:
        target = (page.parent / match.group(1)).resolve()
        if root not in target.parents and target != root:
            raise RenderError(f"{page}: include outside the project: {match.group(1)}")
        if not target.exists():
            raise RenderError(f"{page}: included file missing: {match.group(1)} "
                              "(reports.publish writes the _generated fragments)")
        return assemble(target, depth + 1).strip() + "\n"

    return _INCLUDE.sub(include, text)


def _with_links(markdown: str, target: Any) -> str:
    return _PAGE_LINK.sub(lambda m: f"]({target(m.group(1), m.group(2))})", markdown)


def _navbar(config: dict[str, Any]) -> tuple[list[NavItem], list[NavItem]]:
    navbar = config.get("website", {}).get("navbar", {}) or {}

    def items(side: str) -> list[NavItem]:
        found = []
        for entry in navbar.get(side, []) or []:
            href = str(entry.get("href", ""))
            if not _SAFE_HREF.match(href):
                log.warning("_quarto.yml: navbar entry %r skipped (not a page of this site)", href)
                continue
            found.append(NavItem(href.replace(".qmd", ".html"), str(entry.get("text", href))))
        return found

    return items("left"), items("right")


def _nav_html(site_title: str, left: list[NavItem], right: list[NavItem], current: str) -> str:
    def link(item: NavItem) -> str:
        active = " active" if item.href == f"{current}.html" else ""
        return (f'<a class="ps-link{active}" href="{html.escape(item.href)}">'
                f"{html.escape(item.text)}</a>")

    inner = [f'<a class="ps-brand" href="index.html">{html.escape(site_title)}</a>']
    inner += [link(i) for i in left] + ['<span class="ps-spacer"></span>']
    inner += [link(i) for i in right]
    return ('<nav class="ps-nav"><div class="ps-nav-inner">' + "".join(inner) + "</div></nav>\n")


def _html_template(project: Path) -> Path:
    path = project / "page-template.html"
    if not path.exists():
        path.write_text(HTML_TEMPLATE, encoding="utf-8")
    return path


def _copy_tree(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


# --------------------------------------------------------------------------- pdf


def _render_pdf(project: Path, out_dir: Path, pandoc: str, footer: str,
                timestamp: int | None) -> tuple[Path | None, list[str]]:
    """report.qmd -> typst -> PDF; dated by the run (not the clock) so re-renders are identical."""
    page = project / REPORT_PAGE
    if not page.exists():
        return None, [f"{REPORT_PAGE} missing: no PDF report"]
    in_report = {"index": "overview", "trends": "trends", "conflicts": "conflicts"}

    def pdf_link(name: str, anchor: str | None) -> str:
        if anchor:
            return anchor
        return f"#{in_report[name]}" if name in in_report else f"{name}.html"

    markdown = _PAGEBREAK.sub("```{=typst}\n#pagebreak(weak: true)\n```",
                              _with_links(assemble(page), pdf_link))
    source = project / "report.assembled.md"
    source.write_text(markdown, encoding="utf-8")
    typst_source = project / TYPST_SOURCE
    _pandoc(pandoc, project, [str(source), "-f", "markdown", "-t", "typst", "-s", "--toc",
                              "--toc-depth=1",
                              "--template", str(project / TYPST_TEMPLATE),
                              "-M", f"date={footer}", "-o", str(typst_source)])
    font_dirs, warnings = font_directories()
    target = out_dir / PDF_NAME
    try:
        import typst

        typst.compile(str(typst_source), output=str(target), root=str(project),
                      font_paths=[str(d) for d in font_dirs], timestamp=timestamp)
    except ImportError as exc:
        raise RenderError("the typst package is missing: pip install typst") from exc
    except Exception as exc:  # typst raises its own error types with the source position
        raise RenderError(f"typst could not compile the PDF report: {exc}") from exc
    return target, warnings


@functools.lru_cache(maxsize=1)
def font_directories() -> tuple[list[Path], list[str]]:
    """Folders holding a CJK font and Liberation Sans; a warning when no CJK font exists."""
    cjk = _font_files(lambda name: name.startswith(_CJK_FONT_NAMES))
    latin = _font_files(lambda name: name.startswith("LiberationSans"))
    dirs = sorted({f.parent for f in cjk + latin})
    warnings = []
    if not cjk:
        warnings.append("no CJK font found (install fonts-noto-cjk): Chinese text in the PDF "
                        "report will be missing")
        log.warning(warnings[-1])
    return dirs, warnings


def _font_files(wanted: Any) -> list[Path]:
    found: list[Path] = []
    for folder in _FONT_DIRS:
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.suffix.lower() in (".ttf", ".otf", ".ttc")
                      and wanted(p.name)]
    return found


def _pandoc(pandoc: str, cwd: Path, args: list[str]) -> None:
    done = subprocess.run([pandoc, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(f"pandoc failed on {args[0]}: {done.stderr.strip()}")
    if done.stderr.strip():
        log.info("pandoc %s: %s", Path(args[0]).name, done.stderr.strip())
