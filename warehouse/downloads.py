"""The data a published site offers for download: statistics, metrics, series and
conflicts, each as CSV and Parquet, written by DuckDB's COPY from the warehouse the
pages were read from (Parquet needs no pyarrow this way).

Every dataset is one query with its data dictionary beside it (`Column.meaning`), so the
files and the page that explains them cannot drift apart; `polystat export` reads the same
queries (`records`), so the downloads hold what the command line prints.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from warehouse.reads import STATISTICS_OF_DOCUMENTS_SQL, STATISTICS_SQL

FORMATS = ("csv", "parquet")
# Spreadsheets run a cell that starts with one of these as a formula: CSV text cells that
# do get a leading apostrophe (as `polystat export --format csv` writes them)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str


@dataclass(frozen=True)
class Dataset:
    name: str
    rows: str  # what one row is
    sql: str
    columns: tuple[Column, ...]


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, meaning) for name, meaning in pairs)


STATISTICS = Dataset("statistics", "one statistic found in a document (`polystat export "
                     "statistics`)", STATISTICS_SQL, _columns(
    ("doc", "file name of the document"),
    ("start", "offset of the figure's first character in the decoded text (code points)"),
    ("end", "offset after its last character: text[start:end] is the surface"),
    ("surface", "the figure exactly as written"),
    ("value", "its value as a number (percent as 0-100)"),
    ("unit", "percent, count, percent_change, percentage_points or multiple"),
    ("qualifier", "exact, approx, more_than, less_than, nearly or at_least"),
    ("population", "whom the figure counts (snake_case English)"),
    ("year", "the year the value refers to"),
    ("year_basis", "explicit (from the sentence) or edition (the survey year of the source)"),
    ("metric_id", "the metric the figure is linked to (see metrics)"),
    ("metric", "that metric's English label"),
    ("lang", "language of the sentence"),
    ("claim", "the original sentence"),
    ("claim_en", "its English translation, when there is one (a gloss, never a source of "
                 "numbers)"),
    ("obs_id", "the statistic's id (`polystat explain ID`)"),
    ("source_id", "the source (its path in the sources folder)"),
    ("doc_id", "sha256 of the document's bytes: the exact version read"),
    ("group_key", "figures compared over years in one sentence share it"),
    ("paraphrase_of", "the statistic this one restates in words, if any"),
    ("concepts", "topic concepts of the sentence (a list)"),
    ("rule", "the extraction rule that found the figure"),
    ("extractor_version", "version of the extractor"),
    ("run_id", "the run that extracted it"),
    ("link_method", "why the figure belongs to its metric"),
    ("link_score", "how sure the link is (0-1)"),
    ("page", "page of the source PDF (empty for other formats)"),
    ("format", "text, pdf or html: what the document was read from"),
))

METRICS = Dataset("metrics", "one metric: the same measure across documents, languages and "
                  "years (`polystat export metrics`)", """
SELECT m.metric_id, m.label AS metric, m.unit, m.population, m.label_source,
       count(*) AS n_statistics, count(DISTINCT d.source_id) AS n_sources,
       count(DISTINCT o.year) AS n_years, min(o.year) AS first_year, max(o.year) AS last_year,
       m.linker_version, m.run_id
FROM metrics m
JOIN metric_observations mo USING (metric_id)
JOIN current_observations o USING (obs_id)
JOIN current_documents d USING (doc_id)
GROUP BY ALL ORDER BY m.label, m.metric_id""", _columns(
    ("metric_id", "the metric's id (`polystat explain ID`)"),
    ("metric", "its English label"),
    ("unit", "unit of its figures"),
    ("population", "whom its figures count"),
    ("label_source", "where the label comes from (translation, concepts, claim, sample)"),
    ("n_statistics", "how many statistics are linked to it"),
    ("n_sources", "from how many sources"),
    ("n_years", "for how many different years"),
    ("first_year", "the earliest year"),
    ("last_year", "the latest year"),
    ("linker_version", "version of the linker that made it"),
    ("run_id", "the run that made it"),
))

SERIES = Dataset("series", "one metric in one year: the value the Trends page charts "
                 "(`polystat export series`)", """
SELECT metric_id, metric, unit, year, value, min_value, max_value, n_observations,
       n_documents, agreement
FROM series ORDER BY metric, metric_id, year""", _columns(
    ("metric_id", "the metric (see metrics)"),
    ("metric", "its English label"),
    ("unit", "unit of the values"),
    ("year", "the year"),
    ("value", "the agreed value: the median of the exact figures (of all when none is exact)"),
    ("min_value", "the lowest figure of that year"),
    ("max_value", "the highest figure of that year"),
    ("n_observations", "how many statistics give a value for that year"),
    ("n_documents", "from how many documents"),
    ("agreement", "true when the exact figures differ by at most one unit"),
))

# {rows}: the `conflicts` view, or the rows a publish's snapshot read from it (the view is
# costly: a publish evaluates it once)
CONFLICTS = Dataset("conflicts", "one metric, year and study whose exact values differ "
                    "(`polystat export conflicts`)", """
SELECT metric_id, metric, year, study, scope, "values", len(obs_ids) AS n_statistics, obs_ids,
       linked_by
FROM {rows} ORDER BY metric, year, study, metric_id""", _columns(
    ("metric_id", "the metric (see metrics)"),
    ("metric", "its English label"),
    ("year", "the year"),
    ("study", "the study the figures belong to"),
    ("scope", "within source (a source restates a figure differently) or between sources"),
    ("values", "the different values (a list)"),
    ("n_statistics", "how many statistics give them"),
    ("obs_ids", "those statistics (a list of obs_id, see statistics)"),
    ("linked_by", "why the figures are taken for one metric (a list of link methods)"),
))

DATASETS = (STATISTICS, METRICS, SERIES, CONFLICTS)


def dataset(name: str) -> Dataset:
    for found in DATASETS:
        if found.name == name:
            return found
    raise KeyError(f"no dataset {name!r}; there are: {', '.join(d.name for d in DATASETS)}")


_CONFLICT_TYPES = {"metric_id": "VARCHAR", "metric": "VARCHAR", "year": "INTEGER",
                   "study": "VARCHAR", "scope": "VARCHAR", "values": "DOUBLE[]",
                   "obs_ids": "VARCHAR[]", "linked_by": "VARCHAR[]"}


def _sql(found: Dataset, conflict_rows: Path | None = None) -> str:
    if found is not CONFLICTS:
        return found.sql
    if conflict_rows is None:
        return found.sql.format(rows="conflicts")
    types = ", ".join(f"'{name}': '{kind}'" for name, kind in _CONFLICT_TYPES.items())
    return found.sql.format(rows=f"read_json('{_literal(conflict_rows)}', format='newline_"
                                 f"delimited', columns={{{types}}})")


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")  # COPY and read_json take no bound parameter for a file


def records(con: duckdb.DuckDBPyConnection, name: str) -> list[dict[str, Any]]:
    """The rows of one dataset as dicts (what `polystat export` prints)."""
    cursor = con.execute(_sql(dataset(name)))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class Part:
    """Some documents' statistics, written once and kept while `key` stays the same (the
    caller's digest of everything those rows show)."""

    key: str
    doc_ids: tuple[str, ...]


def write_downloads(con: duckdb.DuckDBPyConnection, folder: Path, parts: list[Part],
                    store: Path, conflicts: list[dict[str, Any]] | None = None
                    ) -> dict[str, int]:
    """Write `<dataset>.parquet` and `<dataset>.csv` of every dataset into folder; return the
    rows of each. Statistics, most of the rows, are assembled from `parts` (every current
    document in one of them), each kept in `store` under its key, so a publish queries only
    the parts whose key is new. `conflicts`: the rows of the `conflicts` view as a snapshot
    read them (all obs_ids), so the costly view is not evaluated again. Each other query
    runs once, into the Parquet file; the CSV file is written from that file."""
    folder.mkdir(parents=True, exist_ok=True)
    counts = {STATISTICS.name: _write_statistics(con, folder, parts, store)}
    rows_file = None
    if conflicts is not None:
        rows_file = folder / ".conflicts.jsonl"
        rows_file.write_text("".join(json.dumps({k: row[k] for k in _CONFLICT_TYPES}) + "\n"
                                     for row in conflicts), encoding="utf-8")
    try:
        for found in DATASETS[1:]:
            parquet = folder / f"{found.name}.parquet"
            counts[found.name] = _copy(con, _sql(found, rows_file), parquet,
                                       "FORMAT parquet, COMPRESSION zstd")
            _csv_from(con, parquet, folder / f"{found.name}.csv", header=True)
    finally:
        if rows_file is not None:
            rows_file.unlink(missing_ok=True)
    return counts


def _write_statistics(con: duckdb.DuckDBPyConnection, folder: Path, parts: list[Part],
                      store: Path) -> int:
    store.mkdir(parents=True, exist_ok=True)
    for part in parts:
        parquet, csv = store / f"{part.key}.parquet", store / f"{part.key}.csv"
        if parquet.exists() and csv.exists():
            continue
        partial = store / f".{part.key}.{os.getpid()}.parquet"  # whole parts or none
        _copy(con, STATISTICS_OF_DOCUMENTS_SQL, partial, "FORMAT parquet, COMPRESSION zstd",
              [list(part.doc_ids)])
        _csv_from(con, partial, csv.with_suffix(".partial"), header=False)
        csv.with_suffix(".partial").replace(csv)
        partial.replace(parquet)
    used = {f"{part.key}.{suffix}" for part in parts for suffix in ("parquet", "csv")}
    for leftover in store.iterdir():
        if leftover.name not in used:
            leftover.unlink(missing_ok=True)
    files = [str(store / f"{part.key}.parquet") for part in parts]
    target = folder / f"{STATISTICS.name}.parquet"
    if files:
        rows = _copy(con, "SELECT * FROM read_parquet(?)", target,
                     "FORMAT parquet, COMPRESSION zstd", [files])
    else:
        rows = _copy(con, STATISTICS_SQL, target, "FORMAT parquet, COMPRESSION zstd")
    with open(folder / f"{STATISTICS.name}.csv", "wb") as out:
        out.write((",".join(c.name for c in STATISTICS.columns) + "\n").encode())
        for part in parts:
            with open(store / f"{part.key}.csv", "rb") as piece:
                shutil.copyfileobj(piece, out, 1 << 20)
    return rows


def _csv_from(con: duckdb.DuckDBPyConnection, parquet: Path, target: Path, *,
              header: bool) -> None:
    from_parquet = f"SELECT * FROM read_parquet('{_literal(parquet)}')"
    _copy(con, _csv_safe(con, from_parquet), target,
          f"FORMAT csv, HEADER {'true' if header else 'false'}")


def _copy(con: duckdb.DuckDBPyConnection, sql: str, target: Path, options: str,
          params: list[Any] | None = None) -> int:
    found = con.execute(f"COPY ({sql}) TO '{_literal(target)}' ({options})",
                        params or []).fetchone()
    return int(found[0]) if found else 0


def _csv_safe(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    """The query with every text column's formula starts neutralised and every list written
    as text (Parquet keeps both as they are)."""
    described = con.execute(f"DESCRIBE ({sql})").fetchall()
    starts = ", ".join(f"'{s}'" for s in _FORMULA_STARTS)
    shown = []
    for name, kind, *_ in described:
        column = '"' + str(name).replace('"', '""') + '"'
        if kind == "VARCHAR" or str(kind).endswith("[]"):
            text = f"CAST({column} AS VARCHAR)"
            shown.append(f"CASE WHEN left({text}, 1) IN ({starts}) THEN '''' || {text} "
                         f"ELSE {text} END AS {column}")
        else:
            shown.append(column)
    return f"SELECT {', '.join(shown)} FROM ({sql})"
