"""The ingest stage's tables: sources, documents, the files behind them, the parsed
manifest and what a run refused.

flows/stages.py decides what changed (new versions, duplicates, unchanged files); these
functions read what a finished run stored and write what the stage decided, inside the
stage's transaction. Rows are plain dicts, named by column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from warehouse.store import insert_rows, now, transaction

# The metadata columns of a source, compared to tell a changed source from an unchanged one.
SOURCE_FIELDS = ("path", "title", "publisher", "url", "published", "edition", "survey_year",
                 "declared_language", "in_manifest", "author", "population")


@dataclass(frozen=True)
class StoredDocument:
    source_id: str
    text_key: str
    current: bool  # not superseded: its source's text as the warehouse holds it now


# --------------------------------------------------------------------------- reads


def finished_documents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """doc_id -> source_id of every document a finished run stored."""
    return dict(con.execute(
        "SELECT doc_id, source_id FROM documents WHERE run_id IN (SELECT run_id FROM finished_runs)"
    ).fetchall())


def stored_documents(con: duckdb.DuckDBPyConnection) -> dict[str, StoredDocument]:
    """Every document of a finished run by doc_id, the earliest stored first."""
    rows = con.execute(
        "SELECT d.doc_id, d.source_id, d.text_key, d.superseded_by IS NULL FROM documents d"
        " JOIN runs r USING (run_id) WHERE d.run_id IN (SELECT run_id FROM finished_runs)"
        " ORDER BY r.started_at, d.source_id, d.doc_id").fetchall()
    return {doc_id: StoredDocument(*rest) for doc_id, *rest in rows}


def remembered_files(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Each file a finished run hashed, as it was then: (source_id, path, size, mtime_ns,
    ctime_ns, file_id, doc_id, entry_key, checked_ns)."""
    return con.execute(
        "SELECT source_id, path, size, mtime_ns, ctime_ns, file_id, doc_id, entry_key, checked_ns"
        " FROM source_files WHERE run_id IN (SELECT run_id FROM finished_runs)").fetchall()


def remembered_rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[Any, ...]]:
    """Each file a finished run refused for its content, as it was then: (source_id, path,
    size, mtime_ns, ctime_ns, file_id, entry_key, checked_ns, limits, problem)."""
    return con.execute(
        "SELECT source_id, path, size, mtime_ns, ctime_ns, file_id, entry_key, checked_ns,"
        " limits, problem FROM rejected_files"
        " WHERE run_id IN (SELECT run_id FROM finished_runs)").fetchall()


def source_ids(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Every source the warehouse holds a row for."""
    return {row[0] for row in con.execute("SELECT source_id FROM sources").fetchall()}


def cached_manifest(con: duckdb.DuckDBPyConnection, digest: str) -> str | None:
    """The parsed entries (as JSON) of the manifest whose bytes have this sha256, if it was
    the last one parsed."""
    row = con.execute("SELECT entries FROM manifest_cache WHERE manifest_sha256 = ?",
                      [digest]).fetchone()
    return row[0] if row else None


# --------------------------------------------------------------------------- writes


def cache_manifest(con: duckdb.DuckDBPyConnection, digest: str, entries: str) -> None:
    """Keep one manifest's parsed entries (JSON), replacing the one kept before."""
    with transaction(con):
        con.execute("DELETE FROM manifest_cache")
        con.execute("INSERT INTO manifest_cache VALUES (?, ?, ?)", [digest, entries, now()])


def fill_text_keys(con: duckdb.DuckDBPyConnection, text_key: Callable[[str], str]) -> None:
    """Give each document stored without a text key (before migration 015) the key
    `text_key` computes from its text: Python's NFC and white space, which SQL cannot
    reproduce exactly."""
    missing = con.execute("SELECT doc_id, text FROM documents WHERE text_key IS NULL").fetchall()
    if missing:
        con.execute(
            "UPDATE documents SET text_key = new.text_key"
            " FROM (SELECT unnest(?) AS doc_id, unnest(?) AS text_key) AS new"
            " WHERE documents.doc_id = new.doc_id",
            [[doc_id for doc_id, _ in missing], [text_key(text) for _, text in missing]])


def write_sources(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Store (replace) these sources' metadata; return how many are new or changed."""
    if not rows:
        return 0
    changed = _changed_sources(con, rows)
    con.execute("DELETE FROM sources WHERE source_id IN (SELECT unnest(?))",
                [[r["source_id"] for r in rows]])
    insert_rows(con, "sources", rows)
    return changed


def _changed_sources(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> int:
    """Sources whose metadata differs from what the warehouse holds (the reports show it)."""
    quoted = ", ".join(f'"{name}"' for name in SOURCE_FIELDS)
    stored = {row[0]: row[1:] for row in con.execute(
        f"SELECT source_id, {quoted} FROM sources WHERE source_id IN (SELECT unnest(?))",
        [[r["source_id"] for r in rows]]).fetchall()}
    return sum(stored.get(r["source_id"]) != tuple(r[name] for name in SOURCE_FIELDS)
               for r in rows)


def write_documents(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """New document versions; an older version of the same source becomes superseded."""
    if not rows:
        return
    con.execute(
        "UPDATE documents SET superseded_by = new.doc_id"
        " FROM (SELECT unnest(?) AS source_id, unnest(?) AS doc_id) AS new"
        " WHERE documents.source_id = new.source_id AND documents.doc_id <> new.doc_id"
        "   AND documents.superseded_by IS NULL",
        [[row["source_id"] for row in rows], [row["doc_id"] for row in rows]])
    insert_rows(con, "documents", rows)


def retire_duplicates(con: duckdb.DuckDBPyConnection, originals: dict[str, str]) -> int:
    """Each duplicate source's current document (source -> original doc_id) is superseded by
    its original's. Returns how many documents were retired."""
    if not originals:
        return 0
    done = con.execute(
        "UPDATE documents SET superseded_by = dup.original"
        " FROM (SELECT unnest(?) AS source_id, unnest(?) AS original) AS dup"
        " WHERE documents.source_id = dup.source_id AND documents.superseded_by IS NULL",
        [list(originals), list(originals.values())]).fetchone()
    return int(done[0]) if done else 0


def make_current(con: duckdb.DuckDBPyConnection, doc_id: str, source_id: str,
                 file_name: str) -> None:
    """A stored document becomes its source's current version (under this file name); the
    version current until now is superseded by it."""
    con.execute("UPDATE documents SET superseded_by = ? WHERE source_id = ? AND doc_id <> ?"
                " AND superseded_by IS NULL", [doc_id, source_id, doc_id])
    con.execute("UPDATE documents SET superseded_by = NULL, source_id = ?, file_name = ?"
                " WHERE doc_id = ?", [source_id, file_name, doc_id])


def remember_files(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """The stat and hash of each file just read (one row per source), replacing what was
    remembered of the same sources."""
    con.execute("DELETE FROM source_files WHERE source_id IN (SELECT unnest(?))",
                [[row["source_id"] for row in rows]])
    insert_rows(con, "source_files", rows)


def remember_rejected_files(con: duckdb.DuckDBPyConnection, read_sources: Sequence[str],
                            rows: Sequence[dict[str, Any]]) -> None:
    """The files refused this run (`rows`); what was remembered of every source read this
    run is forgotten first (a file that reads well now is no reject)."""
    con.execute("DELETE FROM rejected_files WHERE source_id IN (SELECT unnest(?))",
                [list(read_sources)])
    insert_rows(con, "rejected_files", rows)


def write_rejects(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Files a run refused (severity `error`) and duplicates it stored once (`warning`)."""
    insert_rows(con, "rejects", rows)
