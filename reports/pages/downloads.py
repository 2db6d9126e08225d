"""The Downloads page (downloads.qmd, HTML only) and the README of the download folder:
the files, how many rows each holds, and a data dictionary per dataset, all from
`warehouse.downloads` (the queries that wrote the files name their columns)."""

from __future__ import annotations

import duckdb

from reports import pandoc_typst
from reports.pages.catalogue import Catalogue
from reports.render_cache import cache_key
from warehouse import report_reads
from warehouse.downloads import DATASETS, FORMATS, Part

DOWNLOADS_DIR = "downloads"  # in the site, beside the pages
README = "README.md"


def downloads_md(counts: dict[str, int], *, folder: str = DOWNLOADS_DIR) -> str:
    """The page (folder: where the files are, seen from the page) or, with folder '.',
    the README inside the download folder."""
    parts = ["The data behind these pages, read from the same warehouse snapshot in the "
             "same run: each dataset as CSV (UTF-8, a header row; text that a spreadsheet "
             "would run as a formula starts with an apostrophe; lists are written as "
             "`[a, b]`) and as Parquet (typed columns, lists kept as lists). "
             "`polystat export` prints the same records from the command line.",
             _files_table(counts, folder)]
    for found in DATASETS:
        rows = ["| Column | Meaning |", "|:--------------|:----------------------------------|"]
        rows += [f"| `{column.name}` | {column.meaning} |" for column in found.columns]
        anchor = "" if folder == "." else f" {{#{found.name}}}"  # the README: plain Markdown
        parts.append(f"## {found.name}{anchor}\n\nOne row is {found.rows}.\n\n"
                     + "\n".join(rows))
    return "\n\n".join(parts)


def _files_table(counts: dict[str, int], folder: str) -> str:
    rows = ["| Dataset | Rows | Files |", "|:----------|---:|:--------------------|"]
    for found in DATASETS:
        files = " · ".join(f"[{fmt.upper() if fmt == 'csv' else fmt.capitalize()}]"
                           f"({folder}/{found.name}.{fmt})" for fmt in FORMATS)
        rows.append(f"| [{found.name}](#{found.name}) | {counts.get(found.name, 0):,} | "
                    f"{files} |")
    return "\n".join(rows)


def statistics_parts(con: duckdb.DuckDBPyConnection, c: Catalogue) -> list[Part]:
    """The statistics download in parts of whole sources, one per provenance page (a source
    keeps its page, new sources fill the last one), each keyed by its documents' figure
    digests: adding documents changes the last part or two, and the other parts are kept."""
    digests, links = c.figure_digests(con), report_reads.link_digests(con)
    parts = []
    for name, docs in c.provenance_pages.items():
        doc_ids = tuple(doc["doc_id"] for doc in docs)
        parts.append(Part(cache_key("statistics-part", pandoc_typst.reports_code_digest(), name,
                                    *(f"{d}:{digests.get(d, '')}:{links.get(d, '')}"
                                      for d in doc_ids)), doc_ids))
    return parts
