"""Render the Quarto project without Quarto: pandoc to HTML, pandoc + typst to PDF.

Reads the same sources Quarto would (_quarto.yml, the .qmd pages and the
fragments they include), resolves ``{{< include >}}`` itself, builds the
navbar from _quarto.yml, and compiles the typst PDF with the system's CJK
font so Chinese text is not blank.
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import os
import re
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from extract import languages
from reports import fonts
from reports.render_cache import RenderCache, cache_key
from warehouse import downloads, reads, report_reads

log = logging.getLogger(__name__)

REPORT_PAGE = "report.qmd"
PDF_NAME = "polystat-report.pdf"
TYPST_TEMPLATE = "polystat-report.typ"  # a pandoc template
TYPST_SOURCE = "report.typ"  # what pandoc writes from it and typst compiles
STYLESHEET = "style.css"
FILTER_SCRIPT = "filter.js"  # the one script: the filter of Trends and Provenance
_PAGEBREAK = re.compile(r"^[ \t]*\{\{<\s*pagebreak\s*>\}\}[ \t]*$", re.MULTILINE)
_INCLUDE = re.compile(r"^[ \t]*\{\{<\s*include\s+(\S+?)\s*>\}\}[ \t]*$", re.MULTILINE)
# links written by reports/pages/: ](page.qmd) or ](page.qmd#anchor); escaped document text never
# contains "](" because md_text escapes both brackets and parentheses
_PAGE_LINK = re.compile(r"\]\(([a-z][a-z0-9-]*)\.qmd(#[A-Za-z0-9_-]+)?\)")
# the same links with their text (escaped: no bare brackets) and attributes, for the PDF
_WHOLE_PAGE_LINK = re.compile(r"\[((?:[^\[\]\\]|\\.)*)\]\(([a-z][a-z0-9-]*)\.qmd"
                              r"(#[A-Za-z0-9_-]+)?\)(\{[^{}\n]*\})?")
_EXPLICIT_ID = re.compile(r"\{#([A-Za-z0-9_-]+)")
# the site pages the PDF holds as its sections (report.qmd includes their fragments)
IN_REPORT = {"index": "overview", "trends": "trends", "conflicts": "conflicts"}
_SERIES_PAGE = re.compile(r"-\d+$")  # provenance-002 belongs to the navbar's Provenance
_SAFE_HREF = re.compile(r"^[A-Za-z0-9_-]+\.(qmd|html|pdf)$")


class RenderError(RuntimeError):
    """pandoc or typst failed; the message says which page and why."""


HTML_TEMPLATE = """<!DOCTYPE html>
<html lang="$lang$">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="script-src 'self'; object-src 'none'">
<meta name="generator" content="polystat (pandoc)">
<title>$pagetitle$ · $site-title$</title>
<link rel="stylesheet" href="$root$style.css">
<script src="$root$filter.js" defer></script>
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
    pandoc_runs: int = 0  # for the HTML pages (the PDF adds one)
    cache_hits: int = 0
    cache_misses: int = 0


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


def render(project: Path, out_dir: Path, footer: str, timestamp: int | None = None,
           cache: RenderCache | None = None, pdf_date: str | None = None,
           site_url: str = "") -> Rendered:
    """Every page of _quarto.yml to ``out_dir/<page>.html``; report.qmd to the PDF.

    A page is rendered as a shell (title, navigation, footer) plus the parts of its body
    (split at `PART_BREAK` lines); a shell or part whose complete pandoc input was rendered
    before is taken from `cache` instead of pandoc, so the cost follows what changed.
    `footer` is on every page: keep anything that changes per run out of it. The PDF
    links other pages at `site_url`, or names them in plain text when there is none.
    """
    config = _load_config(project)
    pandoc = pandoc_path()
    nav_left, nav_right = _navbar(config)
    site_title = str(config.get("website", {}).get("title", "polystat"))
    shutil.copy2(project / STYLESHEET, out_dir / STYLESHEET)
    shutil.copy2(project / FILTER_SCRIPT, out_dir / FILTER_SCRIPT)
    _copy_tree(project / "charts", out_dir / "charts")
    foot = _footer_file(project, footer)
    template = _html_template(project)
    context = _RenderContext(pandoc, project, site_title, template, foot,
                             cache or RenderCache(project / ".render-cache"))
    jobs = []
    for page in _pages(config, project):
        if page.name == REPORT_PAGE:
            continue
        markdown = _PAGEBREAK.sub("", _with_links(
            assemble(project / page), lambda name, anchor: f"{name}.html" + (anchor or "")))
        (project / f"{page.stem}.assembled.md").write_text(markdown, encoding="utf-8")
        nav = _nav_html(site_title, nav_left, nav_right, _SERIES_PAGE.sub("", page.stem))
        jobs.append((page.stem, markdown, nav, out_dir / f"{page.stem}.html"))
    # one page at a time per core; each page costs at most two pandoc processes
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        list(pool.map(lambda job: _render_page(context, *job), jobs))
    pages = [target for *_, target in jobs]
    pdf, warnings = _render_pdf(project, out_dir, pandoc, pdf_date or footer, timestamp,
                                site_url)
    return Rendered(pages=pages, pdf=pdf, warnings=warnings,
                    pandoc_runs=context.pandoc_runs, cache_hits=context.cache.hits,
                    cache_misses=context.cache.misses)


# --------------------------------------------------------------------------- pages from parts

PART_BREAK = "<!-- polystat:part -->"  # reports/pages/ puts it between independent blocks
_PART_BREAK_LINE = re.compile(r"^[ \t]*<!-- polystat:part -->[ \t]*$", re.MULTILINE)
_FRONT_MATTER = re.compile(r"\A---\n.*?\n---[ \t]*\n", re.DOTALL)
_BODY_SLOT = "<!--polystat-body-->"
_SPLIT = "<!--polystat-split-{}-->"
# auto identifiers would depend on which parts share a pandoc run: headings carry ids
BODY_READER = "markdown-auto_identifiers"


@dataclass
class _RenderContext:
    pandoc: str
    project: Path
    site_title: str
    template: Path
    footer: Path
    cache: RenderCache
    pandoc_runs: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def counted(self) -> None:
        with self.lock:
            self.pandoc_runs += 1


def split_page(markdown: str) -> tuple[str, list[str]]:
    """(front matter, body parts): the parts are rendered and cached one by one."""
    found = _FRONT_MATTER.match(markdown)
    front = found.group(0) if found else ""
    body = markdown[len(front):]
    parts = [p.strip("\n") for p in _PART_BREAK_LINE.split(body)]
    return front, [p + "\n" for p in parts if p.strip()]


def _render_page(ctx: _RenderContext, stem: str, markdown: str, nav: str, target: Path) -> None:
    front, parts = split_page(markdown)
    fixed = _fixed_inputs(ctx)
    part_keys = [cache_key(*fixed, "part", BODY_READER, part) for part in parts]
    bodies: dict[str, str] = {}
    missing: dict[str, str] = {}
    for key, part in zip(part_keys, parts, strict=True):
        cached = ctx.cache.get(key)
        if cached is None:
            missing[key] = part
        else:
            bodies[key] = cached
    if missing:
        rendered = _render_parts(ctx, stem, list(missing.values()))
        for key, body in zip(missing, rendered, strict=True):
            ctx.cache.put(key, body)
            bodies[key] = body
    footer = ctx.footer.read_text(encoding="utf-8")
    shell_key = cache_key(*fixed, "shell", ctx.template.read_text(encoding="utf-8"), nav,
                          footer, ctx.site_title, front)
    shell = ctx.cache.get(shell_key)
    if shell is None:
        shell = _render_shell(ctx, stem, front, nav)
        ctx.cache.put(shell_key, shell)
    head, tail = shell.split(_BODY_SLOT + "\n", 1)
    target.write_text(head + "".join(bodies[key] for key in part_keys) + tail, encoding="utf-8")


def _render_parts(ctx: _RenderContext, stem: str, parts: list[str]) -> list[str]:
    """The parts of one page through one pandoc process, split again at raw markers
    (document text cannot produce them: md_text escapes '<' and '!')."""
    source = ctx.project / f"{stem}.parts.md"
    source.write_text("".join(f"{_SPLIT.format(n)}\n\n{part}\n" for n, part in enumerate(parts)),
                      encoding="utf-8")
    output = ctx.project / f"{stem}.parts.html"
    ctx.counted()
    _pandoc(ctx.pandoc, ctx.project, [str(source), "-f", BODY_READER, "-t", "html5",
                                      "--wrap=none", "-o", str(output)])
    pieces = re.split(r"^<!--polystat-split-\d+-->\n", output.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    if len(pieces) != len(parts) + 1 or pieces[0].strip():
        raise RenderError(f"{source}: pandoc returned {len(pieces) - 1} parts, "
                          f"expected {len(parts)}")
    return pieces[1:]


def _render_shell(ctx: _RenderContext, stem: str, front: str, nav: str, root: str = "") -> str:
    """The page around its body: title, navigation, footer; the body is a slot. `root`
    leads from the page's folder to the site's (the stylesheet's link)."""
    source = ctx.project / f"{stem}.shell.md"
    source.write_text(f"{front}\n{_BODY_SLOT}\n", encoding="utf-8")
    nav_file = ctx.project / f"{stem}.nav.html"
    nav_file.write_text(nav, encoding="utf-8")
    output = ctx.project / f"{stem}.shell.html"
    ctx.counted()
    _pandoc(ctx.pandoc, ctx.project, [str(source), "-f", "markdown", "-t", "html5", "-s",
                                      "--wrap=none", "--template", str(ctx.template),
                                      "-V", f"site-title={ctx.site_title}", "-V", "lang=en",
                                      "-V", f"root={root}",
                                      "--include-before-body", str(nav_file),
                                      "--include-after-body", str(ctx.footer),
                                      "-o", str(output)])
    shell = output.read_text(encoding="utf-8")
    if shell.count(_BODY_SLOT + "\n") != 1:
        raise RenderError(f"{source}: the page template lost the body slot")
    return shell


def _fixed_inputs(ctx: _RenderContext) -> tuple[str, str]:
    """What shapes every piece of HTML besides its own Markdown."""
    return pandoc_version(ctx.pandoc), reports_code_digest()


@functools.lru_cache(maxsize=4)
def pandoc_version(pandoc: str) -> str:
    """`pandoc --version` (with the binary's size and time: a swapped binary is new input)."""
    done = subprocess.run([pandoc, "--version"], capture_output=True, text=True, check=False)
    stat = Path(pandoc).stat() if Path(pandoc).exists() else None
    stamp = f"{stat.st_size}:{stat.st_mtime_ns}" if stat else ""
    return f"{done.stdout.strip()}|{stamp}"


_CODE_SUFFIXES = (".py", ".qmd", ".yml", ".css", ".js", ".typ", ".lua", ".scss")


def reports_code_files() -> list[Path]:
    """The files that shape the reports: the Quarto project and the code of reports/,
    its packages (pages/) included, the warehouse reads whose rows the pages show and the
    queries of the downloads. Output folders (_site) are not code."""
    root = Path(__file__).resolve().parent
    found = [p for p in root.iterdir() if p.is_file() and p.suffix in _CODE_SUFFIXES]
    for package in root.iterdir():
        if (package / "__init__.py").is_file():
            found += package.glob("*.py")
    return sorted(found) + [Path(str(module.__file__)).resolve()
                            for module in (report_reads, downloads, reads)]


@functools.lru_cache(maxsize=1)
def reports_code_digest() -> str:
    """sha256 of `reports_code_files` and of the language names the pages print (each
    language folder's language.toml names it): new code never reuses old HTML, and a
    change to a read or to a name publishes anew."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in reports_code_files():
        name = path.relative_to(root).as_posix() if path.is_relative_to(root) else \
            f"{path.parent.name}/{path.name}"
        digest.update(name.encode() + b"\0" + path.read_bytes())
    for code in languages.supported():
        digest.update(f"language {code}\0{languages.name(code)}".encode())
    return digest.hexdigest()


# --------------------------------------------------------------------------- pages written by code

TITLE_SLOT = "POLYSTATTITLESLOT"  # letters only: pandoc passes them through unchanged
SUBTITLE_SLOT = "POLYSTATSUBTITLESLOT"


def subpage_shell(project: Path, footer: str, cache: RenderCache, folder: str
                  ) -> tuple[str, str]:
    """The chrome of pages that code writes as HTML into `folder/` of the site (the source
    pages): the other pages' template, navigation and footer, links leading up one folder,
    rendered once by pandoc and cached. Returned as the HTML before and after the body, with
    `TITLE_SLOT` and `SUBTITLE_SLOT` to fill in."""
    config = _load_config(project)
    pandoc = pandoc_path()
    nav_left, nav_right = _navbar(config)
    site_title = str(config.get("website", {}).get("title", "polystat"))
    ctx = _RenderContext(pandoc, project, site_title, _html_template(project),
                         _footer_file(project, footer), cache)
    nav = _nav_html(site_title, nav_left, nav_right, folder, root="../")
    front = f'---\ntitle: "{TITLE_SLOT}"\nsubtitle: "{SUBTITLE_SLOT}"\n---\n'
    key = cache_key(*_fixed_inputs(ctx), "subpage-shell", folder,
                    ctx.template.read_text(encoding="utf-8"), nav, footer, site_title, front)
    shell = cache.get(key)
    if shell is None:
        shell = _render_shell(ctx, f"{folder}-subpage", front, nav, root="../")
        if shell.count(TITLE_SLOT) < 1 or shell.count(SUBTITLE_SLOT) != 1:
            raise RenderError(f"{project}: the page template lost the title or subtitle slot")
        cache.put(key, shell)
    head, tail = shell.split(_BODY_SLOT + "\n", 1)
    return head, tail


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


def _nav_html(site_title: str, left: list[NavItem], right: list[NavItem], current: str,
              root: str = "") -> str:
    """The navigation bar; `root` leads from the page's folder to the site's ('../')."""
    def link(item: NavItem) -> str:
        active = " active" if item.href == f"{current}.html" else ""
        return (f'<a class="ps-link{active}" href="{html.escape(root + item.href)}">'
                f"{html.escape(item.text)}</a>")

    inner = [f'<a class="ps-brand" href="{root}index.html">{html.escape(site_title)}</a>']
    inner += [link(i) for i in left] + ['<span class="ps-spacer"></span>']
    inner += [link(i) for i in right]
    return ('<nav class="ps-nav"><div class="ps-nav-inner">' + "".join(inner) + "</div></nav>\n")


def _footer_file(project: Path, footer: str) -> Path:
    foot = project / "footer.html"
    foot.write_text(f'<footer class="ps-footer">{html.escape(footer)}</footer>\n',
                    encoding="utf-8")
    return foot


def _html_template(project: Path) -> Path:
    path = project / "page-template.html"
    if not path.exists():
        path.write_text(HTML_TEMPLATE, encoding="utf-8")
    return path


def _copy_tree(source: Path, target: Path) -> None:
    if source.exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


# --------------------------------------------------------------------------- pdf


def pdf_links(markdown: str, site_url: str = "") -> str:
    """Links between pages, for a PDF that is passed on: into the report's own sections
    where the page is one of them, else absolute at `site_url`, else plain text (a
    relative `sources.html` leads nowhere once the PDF has left the site). An anchor the
    PDF lacks (typst refuses a link to a missing label) leads to the section instead."""
    in_pdf = set(_EXPLICIT_ID.findall(markdown))

    def link(match: re.Match[str]) -> str:
        text, name, anchor, attributes = match.groups()
        if name in IN_REPORT:
            target = anchor if anchor and anchor[1:] in in_pdf else f"#{IN_REPORT[name]}"
            return f"[{text}]({target}){attributes or ''}"
        if site_url:
            return f"[{text}]({site_url}/{name}.html{anchor or ''}){attributes or ''}"
        return text

    return _WHOLE_PAGE_LINK.sub(link, markdown)


def _render_pdf(project: Path, out_dir: Path, pandoc: str, footer: str,
                timestamp: int | None, site_url: str = "") -> tuple[Path | None, list[str]]:
    """report.qmd -> typst -> PDF; dated by the run (not the clock) so re-renders are identical."""
    page = project / REPORT_PAGE
    if not page.exists():
        return None, [f"{REPORT_PAGE} missing: no PDF report"]
    markdown = _PAGEBREAK.sub("```{=typst}\n#pagebreak(weak: true)\n```", _PART_BREAK_LINE.sub(
        "", pdf_links(assemble(page), site_url)))
    source = project / "report.assembled.md"
    source.write_text(markdown, encoding="utf-8")
    typst_source = project / TYPST_SOURCE
    _pandoc(pandoc, project, [str(source), "-f", "markdown", "-t", "typst", "-s", "--toc",
                              "--toc-depth=1",
                              "--template", str(project / TYPST_TEMPLATE),
                              "-M", f"date={footer}", "-o", str(typst_source)])
    font_dirs, warnings = fonts.font_directories()
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


def _pandoc(pandoc: str, cwd: Path, args: list[str]) -> None:
    done = subprocess.run([pandoc, *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RenderError(f"pandoc failed on {args[0]}: {done.stderr.strip()}")
    if done.stderr.strip():
        log.info("pandoc %s: %s", Path(args[0]).name, done.stderr.strip())
