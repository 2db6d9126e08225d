"""The source pages (`sources/<name>.html`, HTML only): each document's text as decoded,
sentence by sentence, with every figure marked and anchored (`#f-<obs_id>`, linked to its
provenance row), page marks for PDF sources, and the English gloss beside a sentence
that has one. The PDF report never includes them.

They are written as HTML by this module into a page shell that pandoc rendered once
(`pandoc_typst.subpage_shell`): a corpus holds thousands of sources, and a pandoc run per
page would cost minutes. A page is kept under a key of everything it shows (its figures'
and segments' digests, computed in SQL, the shell and the reports code); a page whose key
did not change is taken over from the previous site (a hard link), so a publish writes
only the pages of new and changed sources."""

from __future__ import annotations

import html
import json
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from reports import pandoc_typst
from reports.markup import counted, format_value, language_name, slug
from reports.pages.catalogue import Catalogue
from reports.pages.common import Row, figure_anchor, source_page_name
from reports.render_cache import cache_key
from reports.snapshot import shown_observations
from warehouse import report_reads

log = logging.getLogger(__name__)

KEYS_FILE = "source_pages.json"  # in _data/: each page's key, for the next publish
BATCH_BYTES = 20_000_000  # document text read and formatted at once
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Shell:
    """The chrome of a source page (`pandoc_typst.subpage_shell`) as HTML around the body."""

    head: str
    tail: str

    def fill(self, title: str, subtitle: str, body: str) -> str:
        head = self.head.replace(pandoc_typst.TITLE_SLOT, html.escape(title))
        return head.replace(pandoc_typst.SUBTITLE_SLOT, html.escape(subtitle)) + body + self.tail


@dataclass
class SourcePagesResult:
    written: int = 0  # formatted anew
    reused: int = 0  # taken over from the previous site


def write_source_pages(con: duckdb.DuckDBPyConnection, c: Catalogue, site: Path,
                       data_dir: Path, shell: Shell,
                       previous_site: Path | None) -> SourcePagesResult:
    """Write every current document's page under `site`; reuse the previous site's page
    where its key (kept in `data_dir`/KEYS_FILE) is unchanged."""
    previous = _load_keys(data_dir)
    figure_digests = c.figure_digests(con)
    segment_digests = report_reads.segment_digests(con)
    keys: dict[str, str] = {}
    missing: list[tuple[Row, str]] = []
    result = SourcePagesResult()
    (site / "sources").mkdir(parents=True, exist_ok=True)
    for doc in c.documents:
        name = source_page_name(doc["source_id"])
        key = keys[name] = cache_key(
            "source-page", pandoc_typst.reports_code_digest(), shell.head, shell.tail,
            figure_digests.get(doc["doc_id"], ""), segment_digests.get(doc["doc_id"], ""),
            json.dumps([_header_facts(c, doc), c.provenance_page_of(doc["source_id"])],
                       default=str))
        if previous_site is not None and previous.get(name) == key and _take_over(
                previous_site / f"{name}.html", site / f"{name}.html"):
            result.reused += 1
        else:
            missing.append((doc, name))
    for batch in _batches(missing):
        _write_batch(con, c, site, shell, batch)
        result.written += len(batch)
    (data_dir / KEYS_FILE).write_text(json.dumps(keys, indent=0, sort_keys=True),
                                      encoding="utf-8")
    return result


def _load_keys(data_dir: Path) -> dict[str, str]:
    path = data_dir / KEYS_FILE
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("%s: unreadable (%s); every source page is written anew", path, exc)
        return {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _take_over(old: Path, new: Path) -> bool:
    """The previous site's page, linked (or copied) into the new site; False if it is gone."""
    try:
        os.link(old, new)
    except FileNotFoundError:
        return False
    except OSError:  # another file system, or no hard links: a copy does the same
        try:
            shutil.copy2(old, new)
        except OSError:
            return False
    return True


def _batches(docs: list[tuple[Row, str]]) -> list[list[tuple[Row, str]]]:
    batches: list[list[tuple[Row, str]]] = []
    size = BATCH_BYTES
    for doc, name in docs:
        if size >= BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append((doc, name))
        size += int(doc.get("n_bytes") or 0)
    return batches


def _write_batch(con: duckdb.DuckDBPyConnection, c: Catalogue, site: Path,
                 shell: Shell, batch: list[tuple[Row, str]]) -> None:
    doc_ids = [doc["doc_id"] for doc, _ in batch]
    texts = {row["doc_id"]: row for row in report_reads.document_texts(con, doc_ids)}
    segments: dict[str, list[Row]] = {}
    for segment in report_reads.document_segments(con, doc_ids):
        segments.setdefault(segment["doc_id"], []).append(segment)
    figures: dict[str, list[Row]] = {}
    for obs in shown_observations(report_reads.observations_of_documents(con, doc_ids)):
        figures.setdefault(obs["doc_id"], []).append(obs)
    for doc, name in batch:
        found = texts.get(doc["doc_id"])
        if found is None:
            raise RuntimeError(f"source page {name}: document {doc['doc_id']} of "
                               f"{doc['source_id']} has no text in the warehouse; publish "
                               "again after a run that completed")
        source = c.source(doc["source_id"])
        body = source_body(c, doc, found["text"], found["page_starts"],
                           segments.get(doc["doc_id"], []), figures.get(doc["doc_id"], []))
        page = shell.fill(source.title, f"{source.marker} · the source text with every "
                                        "figure marked", body)
        (site / f"{name}.html").write_text(page, encoding="utf-8")


# --------------------------------------------------------------------------- the page body


def _escape(text: str) -> str:
    return html.escape(_CONTROL.sub(" ", text), quote=True)


def _header_facts(c: Catalogue, doc: Row) -> list[object]:
    """What the page's head shows besides the text (part of the page's key)."""
    source = c.source(doc["source_id"])
    return [source.marker, source.title, doc.get("publisher"), doc.get("published"),
            doc.get("url"), doc["source_id"], doc["doc_id"], doc.get("detected_language"),
            doc.get("format"), doc.get("n_statistics")]


def source_body(c: Catalogue, doc: Row, text: str, page_starts: list[int] | None,
                segments: list[Row], figures: list[Row]) -> str:
    """The page's body: a line of facts, then the text piece by piece (sentences, headings,
    list items, and any text between them), each figure a link to its provenance row."""
    up = "../"
    provenance = c.provenance_page_of(doc["source_id"])
    facts = [f"<strong>{_escape(c.source(doc['source_id']).marker)}</strong>",
             _escape(doc["source_id"]), f"sha256 <code>{_escape(doc['doc_id'][:12])}</code>…",
             _escape(language_name(doc.get("detected_language")))]
    if doc.get("publisher"):
        facts.insert(1, _escape(doc["publisher"]))
    if doc.get("published"):
        facts.append(f"published {_escape(str(doc['published']))}")
    if doc.get("url") and str(doc["url"]).startswith(("https://", "http://")):
        facts.append(f'<a href="{_escape(doc["url"])}">original</a>')
    if figures:
        facts.append(f'<a href="{up}{provenance}.html#doc-{slug(doc["source_id"], "doc")}">'
                     f"{counted(len(figures), 'statistic')} on the provenance page</a>")
    glossed = any(s.get("gloss") for s in segments)
    note = ("Every figure is marked; it links to its provenance row."
            + (" The English gloss stands beside each translated sentence; numbers always "
               "come from the original." if glossed else ""))
    rows = "\n".join(_pieces_html(text, page_starts, segments, figures, up, provenance))
    return (f'<p class="source-facts">{" · ".join(facts)}</p>\n'
            f'<p class="small">{note}</p>\n'
            f'<div class="source-text{" glossed" if glossed else ""}">\n{rows}\n</div>\n')


def _pieces(text: str, segments: list[Row]) -> list[Row]:
    """Segments in text order, and the text between them where it is more than spaces."""
    pieces: list[Row] = []
    position = 0
    for segment in sorted(segments, key=lambda s: (s["start"], s["seg_no"])):
        start, end = max(segment["start"], position), segment["end"]
        if end <= start:
            continue
        if text[position:start].strip():
            pieces.append({"start": position, "end": start, "kind": "text"})
        pieces.append({**segment, "start": start, "end": end})
        position = end
    if text[position:].strip():
        pieces.append({"start": position, "end": len(text), "kind": "text"})
    return pieces


def _pieces_html(text: str, page_starts: list[int] | None, segments: list[Row],
                 figures: list[Row], up: str, provenance: str) -> list[str]:
    """One row per piece; a page that begins between pieces is marked between them, one
    that begins inside a piece is marked where it begins."""
    marks = sorted(figures, key=lambda o: (o["start"], -o["end"]))  # the longer one marked
    pages = list(enumerate(page_starts or [], start=1))
    rows = []
    for piece in _pieces(text, segments):
        while pages and pages[0][1] <= piece["start"]:
            number = pages.pop(0)[0]
            rows.append(f'<p class="page-mark" id="page-{number}">Page {number}</p>')
        breaks = []
        while pages and pages[0][1] < piece["end"]:
            breaks.append(pages.pop(0))
        inside = [o for o in marks if piece["start"] <= o["start"] < piece["end"]]
        original = _marked(text, piece["start"], piece["end"], inside, breaks, up, provenance)
        language = piece.get("language")
        lang = f' lang="{_escape(language)}"' if language else ""
        gloss = (f'<p class="gloss" lang="en">{_escape(piece["gloss"])}</p>'
                 if piece.get("gloss") else "")
        rows.append(f'<div class="piece piece-{_escape(piece["kind"])}">'
                    f'<p class="original"{lang}>{original}</p>{gloss}</div>')
    return rows


def _marked(text: str, start: int, end: int, figures: list[Row],
            breaks: list[tuple[int, int]], up: str, provenance: str) -> str:
    """text[start:end] as HTML, each figure a marked link with its anchor (a figure that
    overlaps the one before it gets its anchor only), each page break (number, offset)
    a mark of its own."""
    events: list[tuple[int, int, Row | None]] = sorted(
        [(offset, number, None) for number, offset in breaks]
        + [(obs["start"], 0, obs) for obs in figures], key=lambda e: (e[0], e[2] is not None))
    out, position = [], start
    for offset, number, obs in events:
        if offset > position:
            out.append(_escape(text[position:offset]))
            position = offset
        if obs is None:
            out.append(f'<span class="page-mark" id="page-{number}">p.\u00a0{number}</span>')
        elif offset < position:
            out.append(f'<span id="{figure_anchor(obs["obs_id"])}"></span>')
        else:
            out.append(_figure_link(text, obs, min(obs["end"], end), up, provenance))
            position = min(obs["end"], end)
    out.append(_escape(text[position:end]))
    return "".join(out)


def _figure_link(text: str, obs: Row, stop: int, up: str, provenance: str) -> str:
    anchor = figure_anchor(obs["obs_id"])
    title = " · ".join(str(p) for p in (
        format_value(obs["value"], obs["unit"], obs["qualifier"]), obs.get("metric"),
        obs.get("year"), f"p. {obs['page']}" if obs.get("page") else None) if p)
    return (f'<a class="figure" id="{anchor}" href="{up}{provenance}.html#{anchor}" '
            f'title="{_escape(title)}"><mark>{_escape(text[obs["start"]:stop])}</mark></a>')
