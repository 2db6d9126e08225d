"""The Provenance pages: every figure with its sentence highlighted, its English
translation, its offsets and its run, a table per source. Beyond
`layout.PROVENANCE_PAGE_FIGURES` figures, an index page and pages of whole sources.

Unlike the other pages these read the figures from the warehouse themselves (the
snapshot keeps only a few per point), one batch of sources at a time, and reuse each
source's table while nothing it shows has changed."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from reports import pandoc_typst
from reports.markup import (
    counted,
    format_value,
    html_highlight,
    html_text,
    language_name,
    md_text,
    slug,
)
from reports.pages.catalogue import Catalogue
from reports.pages.common import (
    BREAK,
    GENERATED_DIR,
    Row,
    code,
    figure_anchor,
    figure_in_claim,
    filter_attributes,
)
from reports.pages.layout import page_number
from reports.render_cache import RenderCache, cache_key
from reports.snapshot import shown_observations
from warehouse import report_reads

PROVENANCE_INTRO = ("the original sentence with the figure highlighted, the English "
                    "translation when there is one, the character offsets into the decoded "
                    "document text (they lead to the figure in the source's text) and the run "
                    "that extracted it.")


def write_provenance(con: duckdb.DuckDBPyConnection, c: Catalogue, build_dir: Path,
                     cache: RenderCache | None = None) -> list[str]:
    """Write the provenance fragments (each source's table from `ProvenanceParts`: reused
    while unchanged, else read and formatted in batches); return the names of the extra
    pages (each with its .qmd next to the other pages).

    Nothing on a page names the number of pages or totals of other pages: a page whose
    sources did not change keeps the same Markdown, and its HTML comes from the cache."""
    generated = build_dir / GENERATED_DIR
    total = c.snapshot["corpus"]["observations"]
    parts = ProvenanceParts(con, c, [d for docs in c.provenance_pages.values() for d in docs],
                            cache)
    if "provenance" in c.provenance_pages:
        docs = c.provenance_pages["provenance"]
        text = (f"Every one of the {counted(total, 'statistic')}, in document order: "
                + PROVENANCE_INTRO + BREAK + _provenance_tables(docs, parts)
                if docs else "No statistics yet.")
        (generated / "provenance.md").write_text(text.rstrip() + "\n", encoding="utf-8")
        return []
    index = [f"{counted(total, 'statistic')} from {counted(len(c.provenance_page), 'source')}, "
             f"on {len(c.provenance_pages)} pages of whole sources. For each figure: "
             + PROVENANCE_INTRO]
    for name, docs in c.provenance_pages.items():
        number = page_number(name)
        figures = sum(d["n_statistics"] for d in docs)
        index.append(_provenance_index_part(c, name, docs))
        (generated / f"{name}.md").write_text(
            f"Page {number} of the provenance ([all sources](provenance.qmd))." + BREAK
            + _provenance_tables(docs, parts).rstrip() + "\n", encoding="utf-8")
        (build_dir / f"{name}.qmd").write_text(
            f'---\ntitle: "Provenance, page {number}"\n'
            f'subtitle: "{counted(len(docs), "source")}, {counted(figures, "statistic")}"\n'
            f"---\n\n{{{{< include {GENERATED_DIR}/{name}.md >}}}}\n", encoding="utf-8")
    (generated / "provenance.md").write_text(BREAK.join(index) + "\n", encoding="utf-8")
    return list(c.provenance_pages)


def _provenance_index_part(c: Catalogue, name: str, docs: list[Row]) -> str:
    """The index's table of one provenance page: changes only when that page does."""
    number = page_number(name)
    rows = [f"## Page {number} {{#index-{name}}}", "",
            "| | Source | Statistics |", "|:--|:------------------------------|---:|"]
    for doc in docs:
        source = c.source(doc["source_id"])
        rows.append(f"| {source.marker} | [{md_text(source.title)}]"
                    f"({c.provenance_link(doc['source_id'])}) | {doc['n_statistics']:,} |")
    return "\n".join(rows)


def _provenance_tables(docs: list[Row], parts: ProvenanceParts) -> str:
    return BREAK.join(parts.take(doc) for doc in docs if doc["n_statistics"])


class ProvenanceParts:
    """Each source's provenance table, made once and then reused while nothing it shows
    changes: the key covers the source's header and a digest of all its figures' rows
    (computed in SQL), so an unchanged source costs neither a query nor any formatting.

    Tables are taken in page order and prepared in batches of about `BATCH_FIGURES`
    figures (one query per batch), so memory holds one batch, never the whole corpus."""

    BATCH_FIGURES = 20_000

    def __init__(self, con: duckdb.DuckDBPyConnection, c: Catalogue, docs: list[Row],
                 cache: RenderCache | None) -> None:
        self.con, self.c, self.cache = con, c, cache
        self.digests = c.figure_digests(con) if cache is not None else {}
        self.queue = [doc for doc in docs if doc["n_statistics"]]
        self.position = {doc["doc_id"]: i for i, doc in enumerate(self.queue)}
        self.made: dict[str, str] = {}

    def take(self, doc: Row) -> str:
        """The table of `doc` (asked for in page order), forgotten once handed out."""
        if doc["doc_id"] not in self.made:
            self._prepare_from(self.position[doc["doc_id"]])
        return self.made.pop(doc["doc_id"])

    def _key(self, doc: Row) -> str:
        return cache_key(
            "provenance-part", pandoc_typst.reports_code_digest(),
            self.digests.get(doc["doc_id"], ""),
            json.dumps([self.c.source(doc["source_id"]), doc["source_id"], doc["doc_id"],
                        doc.get("detected_language"), doc.get("missing_pairs"),
                        self.c.paths.get(doc["source_id"])], default=str))

    def _prepare_from(self, index: int) -> None:
        missing: list[tuple[Row, str]] = []
        figures = 0
        for doc in self.queue[index:]:
            if figures >= self.BATCH_FIGURES:
                break
            figures += doc["n_statistics"]
            key = self._key(doc) if self.cache is not None else ""
            found = self.cache.get(key) if self.cache is not None else None
            if found is None:
                missing.append((doc, key))
            else:
                self.made[doc["doc_id"]] = found
        if not missing:
            return
        by_doc: dict[str, list[Row]] = {}
        for obs in shown_observations(report_reads.observations_of_documents(
                self.con, [doc["doc_id"] for doc, _ in missing])):
            by_doc.setdefault(obs["doc_id"], []).append(obs)
        for doc, key in missing:
            text = self.made[doc["doc_id"]] = provenance_table(self.c, doc,
                                                               by_doc.get(doc["doc_id"], []))
            if self.cache is not None:
                self.cache.put(key, text)


def provenance_table(c: Catalogue, doc: Row, observations: list[Row]) -> str:
    """One document's figures; the English column only where some sentence has a translation.

    The table is a raw HTML block, not a Markdown table: pandoc reads Markdown tables at
    ~100 KB/s, 20 times slower than the same table as HTML, and provenance is most of
    what a large site renders. Every text in it goes through `html_text`."""
    source = c.source(doc["source_id"])
    glossed = any(o.get("translation") for o in observations)
    columns = [("Value", 10, "right"), ("Year", 7, "left"), ("Metric", 13, "left"),
               ("Original sentence", 36 if glossed else 54, "left")]
    if glossed:
        columns.append(("English", 18, "left"))
    columns.append(("Where", 14, "left"))
    rows = ["```{=html}", "<table>", "<colgroup>"]
    rows += [f'<col style="width: {width}%" />' for _, width, _ in columns]
    rows += ["</colgroup>", "<thead>", "<tr>"]
    rows += [f'<th style="text-align: {align};">{name}</th>' for name, _, align in columns]
    rows += ["</tr>", "</thead>", "<tbody>"]
    for obs in sorted(observations, key=lambda o: (o["start"], o["end"])):
        basis = "" if obs["year_basis"] == "explicit" else " (edition)"
        cells = [html_text(format_value(obs["value"], obs["unit"], obs["qualifier"])),
                 f"{obs['year']}{basis}" if obs["year"] is not None else "—",
                 html_text(obs.get("metric")) or "—", _sentence_html(obs)]
        if glossed:
            cells.append(html_text(obs["translation"]["text"]) if obs.get("translation")
                         else "—")
        page = c.page_link(obs, as_html=True)
        anchor = figure_anchor(obs["obs_id"])
        in_source = f"{c.source_page(doc['source_id'])}#{anchor}"
        cells.append(f"{page + '<br>' if page else ''}"
                     f'<a href="{html_text(in_source)}">characters {obs["start"]:,}–'
                     f'{obs["end"]:,}</a>'
                     f'<br><span class="small nowrap">run {html_text(obs["run_id"])}</span>')
        row = filter_attributes(obs.get("metric_id"), [obs["population"]], [source.marker],
                                [obs["language"]], [obs["year"]])  # reports/filter.js
        rows.append(f'<tr id="{anchor}"{row}>' + "".join(
            f'<td style="text-align: {align};">{cell}</td>'
            for cell, (_, _, align) in zip(cells, columns, strict=True)) + "</tr>")
    rows += ["</tbody>", "</table>", "```"]
    heading = (f"## {source.marker} · {md_text(source.title)} "
               f"{{#doc-{slug(doc['source_id'], 'doc')}}}")
    intro = (f"{md_text(doc['source_id'])} · sha256 {code(doc['doc_id'][:12])}… · "
             f"{language_name(doc.get('detected_language'))} · "
             f"[the text with every figure marked]({c.source_page(doc['source_id'])})")
    if not glossed and doc.get("missing_pairs"):
        intro += " · no English translation yet (model missing, see [Sources](sources.qmd))"
    return "\n\n".join([heading, intro, "\n".join(rows)])


def _sentence_html(obs: Row) -> str:
    """The claim with the figure marked, as HTML."""
    claim, start, end = figure_in_claim(obs)
    return html_highlight(claim, start, end) if start >= 0 else html_text(claim)
