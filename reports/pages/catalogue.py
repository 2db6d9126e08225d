"""The snapshot indexed the way the pages look things up: sources with their S-numbers,
observations by id, trends and single-year metrics, and each source's provenance page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from reports.markup import html_text, md_text, slug
from reports.pages.common import Row, figure_anchor, source_page_name
from reports.pages.layout import Layout, page_number, provenance_pages, source_markers
from warehouse import report_reads


@dataclass(frozen=True)
class Source:
    marker: str  # S1, S2, ...: in the order of the sources page when first published
    title: str
    source_id: str


class Catalogue:
    """The snapshot, indexed the way the pages look things up."""

    def __init__(self, snapshot: dict[str, Any], previous: Layout | None = None) -> None:
        self.snapshot = snapshot
        self.documents: list[Row] = snapshot["documents"]
        self.observations = {o["obs_id"]: o for o in snapshot["observations"]}
        self.paths = {d["source_id"]: d.get("path") for d in self.documents}
        previous = previous or Layout()
        markers, next_marker = source_markers(self.documents, previous)
        self.sources = {
            d["source_id"]: Source(f"S{markers[d['source_id']]}",
                                   d.get("title") or d["file_name"], d["source_id"])
            for d in self.documents}
        # Sample sizes of different studies are no trend: they are listed with single years.
        self.trends = [s for s in snapshot["series"] if not s.get("sample")
                       and len({p["year"] for p in s["points"]}) >= 2]
        self.single = [s for s in snapshot["series"] if s.get("sample")
                       or len({p["year"] for p in s["points"]}) < 2]
        self.provenance_pages = provenance_pages(self.documents, previous.provenance)
        self.provenance_page = {d["source_id"]: name
                                for name, docs in self.provenance_pages.items() for d in docs}
        self.layout = Layout(markers, next_marker, {
            source_id: page_number(name) for source_id, name in self.provenance_page.items()
            if name != "provenance"})
        self._figure_digests: dict[str, str] | None = None

    def figure_digests(self, con: duckdb.DuckDBPyConnection) -> dict[str, str]:
        """Per document, a digest of its figures as the pages show them (read once per
        publish: the provenance tables and the source pages are both kept under it)."""
        if self._figure_digests is None:
            self._figure_digests = report_reads.observation_digests(con)
        return self._figure_digests

    def provenance_link(self, source_id: str) -> str:
        """Where a source's figures are listed: page and anchor, as a Quarto link target."""
        page = self.provenance_page.get(source_id, "provenance")
        return f"{page}.qmd#doc-{slug(source_id, 'doc')}"

    def provenance_page_of(self, source_id: str) -> str:
        """The provenance page listing a source's figures ('provenance', 'provenance-002')."""
        return self.provenance_page.get(source_id, "provenance")

    def figure_link(self, obs: Row) -> str:
        """A figure's provenance row, as a Quarto link target."""
        return f"{self.provenance_page_of(obs['source_id'])}.qmd#{figure_anchor(obs['obs_id'])}"

    def source_page(self, source_id: str) -> str:
        """A source's page in the site, relative to the site's root (`sources/….html`)."""
        return f"{source_page_name(source_id)}.html"

    def source(self, source_id: str) -> Source:
        return self.sources.get(source_id) or Source("S?", source_id, source_id)

    def page_link(self, obs: Row, *, as_html: bool = False) -> str:
        """'p. 3' linking to that page of the source PDF; '' where the source has no pages.
        Markdown, or HTML for the provenance tables."""
        page, path = obs.get("page"), self.paths.get(obs["source_id"])
        if not page or not path:
            return ""
        try:
            target = Path(path).resolve().as_uri()
        except ValueError:  # not an absolute path: show the page without a link
            return f"p.\u00a0{page}"
        if as_html:
            return f'<a href="{html_text(target)}#page={page}">p.\u00a0{page}</a>'
        return f"[p.\u00a0{page}]({target}#page={page})"  # as_uri() escapes spaces and ()

    def cite(self, source_id: str) -> str:
        """'**S4** Title' as literal Markdown (no italics: they garble Chinese titles)."""
        found = self.source(source_id)
        return f"**{found.marker}** {md_text(found.title)}"
