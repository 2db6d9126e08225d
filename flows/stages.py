"""What each pipeline stage does, without the orchestration.

flows/pipeline.py wraps every stage in a Prefect flow and every per-batch
function (`read_documents`, `analyse_documents`) in a Prefect task; the stage
functions here only receive an `each(function, batches)` callable that runs a
per-batch function over batches and yields the results in order. Passing
`run_serially` runs a stage in plain Python, which is how the benchmarks
measure Prefect's own share of the wall time.

Per-batch functions take and return plain dataclasses, so they can run in a
thread, a process or a Dask worker; the DuckDB connection stays in the
calling process and never becomes an argument.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
from rich.console import Console

from flows import analysis, settings
from flows.faults import fault_point
from flows.ingest import (
    FileStat,
    KnownFile,
    RawDocument,
    Reject,
    SourceEntry,
    UnchangedDocument,
    decode_manifest_entries,
    encode_manifest_entries,
    entry_key,
    file_stat,
    infer_metadata,
    load_manifest,
    read_document,
    unchanged_since,
)
from warehouse import relink, store

In = TypeVar("In")
Out = TypeVar("Out")

# A task costs Prefect ~9 ms and a transaction a few ms: beyond a few dozen
# documents per worker, documents travel in batches of up to this many.
MAX_BATCH = 50
BATCHES_PER_WORKER = 4

_console = Console(stderr=True)


class Each(Protocol):
    def __call__(self, function: Callable[[In], Out], batches: Sequence[In]) -> Iterator[Out]: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any) -> None: ...

    def warning(self, msg: str, *args: Any) -> None: ...


def run_serially(function: Callable[[In], Out], batches: Sequence[In]) -> Iterator[Out]:
    """`each` without any orchestration: one batch after the other, in this process."""
    for batch in batches:
        yield function(batch)


def plain_logger() -> logging.Logger:
    return logging.getLogger("polystat")


def say(stage: str, message: str) -> None:
    """One progress line per stage on the terminal."""
    _console.print(f"[bold cyan]{stage:>9}[/] {message}", highlight=False)


def batches(items: Sequence[In], workers: int = 2) -> list[list[In]]:
    """One item per batch for small runs; batches of up to MAX_BATCH for large ones."""
    size = max(1, min(MAX_BATCH, len(items) // (max(1, workers) * BATCHES_PER_WORKER)))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- ingest


def read_documents(entries: list[SourceEntry]) -> list[RawDocument | Reject]:
    """Read and decode one batch of files (I/O: the Prefect task retries it)."""
    return [read_document(entry) for entry in entries]


def ingest(con: duckdb.DuckDBPyConnection, sources_dir: str, run_id: str, each: Each,
           log: Log, workers: int = 2) -> dict[str, Any]:
    """Manifest + files -> stored sources and new document versions.

    The work follows what changed: an unchanged manifest comes from its cache, and a file
    whose stat is the one remembered when it was last hashed is not opened (the trade-off
    is spelled out in flows/ingest.py). POLYSTAT_VERIFY=hash reads and hashes everything.
    """
    verify_all = settings.get("verify") != "stat"
    entries, rejects = load_manifest(Path(sources_dir),
                                     None if verify_all else WarehouseManifestCache(con))
    known = dict(con.execute(
        "SELECT doc_id, source_id FROM documents WHERE run_id IN (SELECT run_id FROM finished_runs)"
    ).fetchall())
    checked_ns = time.time_ns()  # before any stat: a file changed from now on is not trusted
    stats = [file_stat(entry.path) for entry in entries]
    slots: list[RawDocument | UnchangedDocument | None] = (
        [None] * len(entries) if verify_all else _unchanged(con, entries, stats, known))
    to_read = [entry for entry, slot in zip(entries, slots, strict=True) if slot is None]
    outcomes = iter([o for batch in each(read_documents, batches(to_read, workers)) for o in batch])
    for index, slot in enumerate(slots):
        if slot is None:
            outcome = next(outcomes)
            if isinstance(outcome, Reject):
                rejects.append(outcome)
            else:
                slots[index] = outcome
    documents = [slot for slot in slots if slot is not None]
    read = [doc for doc in documents if isinstance(doc, RawDocument)]
    new_docs, unchanged, duplicates = _classify(documents, known)
    rejects.extend(duplicates)
    for reject in rejects:
        log.warning("rejected %s", reject.message())
    with store.transaction(con):
        sources_changed = _write_sources(con, read, run_id)
        _write_documents(con, new_docs, run_id)
        _remember_files(con, read, dict(zip((e.source_id for e in entries), stats, strict=True)),
                        checked_ns, run_id)
        fault_point("ingest")  # crash tests: inside the open transaction
        store.insert_rows(con, "rejects", [
            {"run_id": run_id, "path": r.path, "problem": r.problem, "rejected_at": store.now()}
            for r in rejects])
    for doc in new_docs:
        if not doc.entry.in_manifest:
            say("ingest", f"warning: {doc.entry.source_id} is not in manifest.toml; title and "
                          "survey year are guessed from its text (add an entry to fix them)")
    say("ingest", f"{len(documents)} documents: {len(new_docs)} new, {unchanged} unchanged, "
                  f"{len(rejects)} rejected ({len(to_read)} files read"
                  f"{', every file hashed: POLYSTAT_VERIFY=hash' if verify_all else ''})")
    return {"new": [d.entry.source_id for d in new_docs], "seen": len(documents),
            "unchanged": unchanged, "rejects": [r.message() for r in rejects],
            "sources_changed": sources_changed, "files_read": len(to_read)}


class WarehouseManifestCache:
    """flows.ingest.ManifestCache in the warehouse: one row, the last manifest parsed."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def get(self, digest: str) -> list[Any] | None:
        row = self.con.execute("SELECT entries FROM manifest_cache WHERE manifest_sha256 = ?",
                               [digest]).fetchone()
        return decode_manifest_entries(row[0]) if row else None

    def put(self, digest: str, entries: list[Any]) -> None:
        encoded = encode_manifest_entries(entries)
        if encoded is None:  # a value JSON cannot carry back: parse this manifest every time
            return
        with store.transaction(self.con):
            self.con.execute("DELETE FROM manifest_cache")
            self.con.execute("INSERT INTO manifest_cache VALUES (?, ?, ?)",
                             [digest, encoded, store.now()])


def _unchanged(con: duckdb.DuckDBPyConnection, entries: list[SourceEntry],
               stats: list[FileStat | None], known: dict[str, str]
               ) -> list[RawDocument | UnchangedDocument | None]:
    """Per entry, an UnchangedDocument when its file need not be opened, else None.
    Trusted only if a finished run hashed the file and stored that document under this
    source, and the source's row is still there; any doubt means reading the file."""
    remembered = {row[0]: KnownFile(row[1], FileStat(*row[2:6]), *row[6:]) for row in con.execute(
        "SELECT source_id, path, size, mtime_ns, ctime_ns, file_id, doc_id, entry_key, checked_ns"
        " FROM source_files WHERE run_id IN (SELECT run_id FROM finished_runs)").fetchall()}
    with_rows = {row[0] for row in con.execute("SELECT source_id FROM sources").fetchall()}
    slots: list[RawDocument | UnchangedDocument | None] = []
    for entry, now in zip(entries, stats, strict=True):
        was = remembered.get(entry.source_id)
        trusted = (was is not None and known.get(was.doc_id) == entry.source_id
                   and entry.source_id in with_rows and unchanged_since(was, entry, now))
        slots.append(UnchangedDocument(entry, was.doc_id) if trusted and was else None)
    return slots


def _remember_files(con: duckdb.DuckDBPyConnection, read: list[RawDocument],
                    stats: dict[str, FileStat | None], checked_ns: int, run_id: str) -> None:
    """The stat each file had just before it was read, with its sha256: the next run
    skips it while the stat stays the same."""
    rows = [{"source_id": doc.entry.source_id, "path": str(doc.entry.path),
             "size": now.size, "mtime_ns": now.mtime_ns, "ctime_ns": now.ctime_ns,
             "file_id": now.file_id, "doc_id": doc.doc_id, "entry_key": entry_key(doc.entry),
             "checked_ns": checked_ns, "run_id": run_id}
            for doc in read if (now := stats.get(doc.entry.source_id)) is not None]
    unique = list({row["source_id"]: row for row in rows}.values())  # a file listed twice
    con.execute("DELETE FROM source_files WHERE source_id IN (SELECT unnest(?))",
                [[row["source_id"] for row in unique]])
    store.insert_rows(con, "source_files", unique)


def _write_documents(con: duckdb.DuckDBPyConnection, docs: list[RawDocument], run_id: str) -> None:
    """New document versions; an older version of the same source becomes superseded."""
    if not docs:
        return
    con.execute(
        "UPDATE documents SET superseded_by = new.doc_id"
        " FROM (SELECT unnest(?) AS source_id, unnest(?) AS doc_id) AS new"
        " WHERE documents.source_id = new.source_id AND documents.doc_id <> new.doc_id"
        "   AND documents.superseded_by IS NULL",
        [[d.entry.source_id for d in docs], [d.doc_id for d in docs]])
    store.insert_rows(con, "documents", [{
        "doc_id": doc.doc_id, "source_id": doc.entry.source_id, "file_name": doc.entry.path.name,
        "text": doc.text, "encoding": doc.encoding, "n_bytes": doc.n_bytes, "language": None,
        "language_confidence": None, "language_mismatch": False, "superseded_by": None,
        "run_id": run_id, "format": doc.format,
        "page_starts": None if doc.page_starts is None else list(doc.page_starts),
    } for doc in docs])


def _classify(documents: list[RawDocument | UnchangedDocument], known: dict[str, str]
              ) -> tuple[list[RawDocument], int, list[Reject]]:
    new_docs: list[RawDocument] = []
    duplicates: list[Reject] = []
    unchanged = 0
    first_name: dict[str, str] = {}
    for doc in documents:
        owner = known.get(doc.doc_id) or first_name.get(doc.doc_id)
        if owner is not None and owner != doc.entry.source_id:
            duplicates.append(Reject(doc.entry.source_id,
                                     f"same bytes as {owner}; stored once under that name"))
            continue
        first_name[doc.doc_id] = doc.entry.source_id
        if doc.doc_id in known:
            unchanged += 1
        elif isinstance(doc, RawDocument):  # an UnchangedDocument is always known
            new_docs.append(doc)
    return new_docs, unchanged, duplicates


def _write_sources(con: duckdb.DuckDBPyConnection, documents: list[RawDocument],
                   run_id: str) -> int:
    """Store every source's metadata; return how many sources are new or changed."""
    rows = []
    for doc in documents:
        meta = doc.entry.meta if doc.entry.in_manifest else infer_metadata(doc)
        rows.append({
            "source_id": doc.entry.source_id, "path": str(doc.entry.path),
            "title": meta.get("title"), "publisher": meta.get("publisher"), "url": meta.get("url"),
            "published": None if meta.get("published") is None else str(meta["published"]),
            "edition": meta.get("edition"), "survey_year": _int_or_none(meta.get("survey_year")),
            "declared_language": meta.get("language"), "in_manifest": doc.entry.in_manifest,
            "run_id": run_id, "author": meta.get("author"),
            "population": _text_or_none(meta.get("population")),
        })
    if rows:
        changed = _changed_sources(con, rows)
        con.execute("DELETE FROM sources WHERE source_id IN (SELECT unnest(?))",
                    [[r["source_id"] for r in rows]])
        store.insert_rows(con, "sources", rows)
        return changed
    return 0


_SOURCE_FIELDS = ("path", "title", "publisher", "url", "published", "edition", "survey_year",
                  "declared_language", "in_manifest", "author", "population")


def _changed_sources(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> int:
    """Sources whose metadata differs from what the warehouse holds (the reports show it)."""
    quoted = ", ".join(f'"{name}"' for name in _SOURCE_FIELDS)
    stored = {row[0]: row[1:] for row in con.execute(
        f"SELECT source_id, {quoted} FROM sources WHERE source_id IN (SELECT unnest(?))",
        [[r["source_id"] for r in rows]]).fetchall()}
    return sum(stored.get(r["source_id"]) != tuple(r[name] for name in _SOURCE_FIELDS)
               for r in rows)


def _text_or_none(value: Any) -> str | None:
    """A manifest string field; blank means not given."""
    if value is None:
        return None
    return str(value).strip() or None


def _int_or_none(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- extract


@dataclass(frozen=True)
class PendingDocument:
    doc_id: str
    source_id: str
    text: str
    declared_language: str | None
    survey_year: int | None
    population: str | None = None  # whom the survey asked (manifest `population`)


def analyse_documents(docs: list[PendingDocument]) -> list[analysis.DocumentAnalysis]:
    """The pure NLP of one batch of documents (CPU: worth a process or Dask worker)."""
    languages = settings.languages()
    return [analysis.analyse(doc.text, doc.declared_language, doc.survey_year, languages,
                             doc.population)
            for doc in docs]


def pending_documents(con: duckdb.DuckDBPyConnection, extractor_version: str
                      ) -> list[PendingDocument]:
    """Current documents not yet mined by this extractor version: nothing else is submitted."""
    rows = con.execute(
        "SELECT d.doc_id, d.source_id, d.text, s.declared_language, s.survey_year,"
        " s.population"
        " FROM documents d JOIN sources s USING (source_id)"
        " WHERE d.superseded_by IS NULL"
        "   AND d.run_id IN (SELECT run_id FROM finished_runs)"
        "   AND d.doc_id NOT IN (SELECT doc_id FROM extractions WHERE extractor_version = ?)"
        " ORDER BY d.source_id", [extractor_version]).fetchall()
    return [PendingDocument(*row) for row in rows]


def has_pending_documents(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the extract stage has anything to do (no document text is read)."""
    found = con.execute(
        "SELECT count(*) FROM current_documents"
        " WHERE doc_id NOT IN (SELECT doc_id FROM extractions WHERE extractor_version = ?)",
        [analysis.extractor_version()]).fetchone()
    return bool(found and found[0])


def extract(con: duckdb.DuckDBPyConnection, run_id: str, each: Each, log: Log,
            workers: int = 2) -> dict[str, Any]:
    """Language, segments and statistics of every pending document, from the original text."""
    pending = pending_documents(con, analysis.extractor_version())
    work = batches(pending, workers)
    total = 0
    for docs, results in zip(work, each(analyse_documents, work), strict=True):
        with store.transaction(con):
            total += _write_analyses(con, docs, results, run_id)
        fault_point("extract")  # crash tests: first batch committed, the rest pending
        for doc, result in zip(docs, results, strict=True):
            log.info("extract: %s -> %d statistics (language %s)", doc.source_id,
                     len(result.statistics), result.language)
    say("extract", f"{len(pending)} documents mined, {total} figures"
                   + ("" if pending else " (nothing new)"))
    return {"documents": [d.source_id for d in pending], "observations": total}


def _write_analyses(con: duckdb.DuckDBPyConnection, docs: list[PendingDocument],
                    results: list[analysis.DocumentAnalysis], run_id: str) -> int:
    """One batch in bulk statements: a few per batch, not a few per document."""
    doc_ids = [doc.doc_id for doc in docs]
    for table in ("observations", "segments", "extractions"):
        con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest(?))", [doc_ids])
    con.execute(
        "UPDATE documents SET language = new.language, language_confidence = new.confidence,"
        " language_mismatch = new.mismatch"
        " FROM (SELECT unnest(?) AS doc_id, unnest(?) AS language, unnest(?::DOUBLE[])"
        "       AS confidence, unnest(?::BOOLEAN[]) AS mismatch) AS new"
        " WHERE documents.doc_id = new.doc_id",
        [doc_ids, [r.language for r in results], [r.confidence for r in results],
         [bool(d.declared_language and r.language and d.declared_language != r.language)
          for d, r in zip(docs, results, strict=True)]])
    segments: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    extractions: list[dict[str, Any]] = []
    for doc, result in zip(docs, results, strict=True):
        segments += [{
            "doc_id": doc.doc_id, "seg_no": s.seg_no, "start": s.start, "end": s.end,
            "kind": s.kind, "language": s.language, "language_confidence": s.language_confidence,
            "language_method": s.language_method, "run_id": run_id,
            "text_sha256": sha256_text(doc.text[s.start:s.end])} for s in result.segments]
        rows = analysis.observation_rows(doc.doc_id, doc.text, result, run_id)
        observations += rows
        extractions.append({"doc_id": doc.doc_id, "extractor_version": result.extractor_version,
                            "n_observations": len(rows), "run_id": run_id})
    store.insert_rows(con, "segments", segments)
    store.insert_rows(con, "observations", observations)
    store.insert_rows(con, "extractions", extractions)
    return len(observations)


# --------------------------------------------------------------------------- translate


def translate(con: duckdb.DuckDBPyConnection, run_id: str, log: Log) -> dict[str, Any]:
    """English glosses of non-English segments, cached; numbers never come from them."""
    from flows import translation

    fault_point("translate")  # crash tests: every document mined, nothing translated
    outcome = translation.translate_pending(con, run_id)
    for pair, help_text in outcome.missing.items():
        log.info("no translation model for %s: %s", pair, help_text)
    say("translate", f"{outcome.translated} segments translated, {outcome.untranslated} left "
                     f"untranslated" + (f" (no model for {', '.join(sorted(outcome.missing))})"
                                        if outcome.missing else ""))
    return {"translated": outcome.translated, "missing": sorted(outcome.missing)}


# --------------------------------------------------------------------------- reconcile, publish


def reconcile(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """Group observations into metrics (new figures join the existing metrics where they
    can; see warehouse/relink.py); series and conflicts follow as views."""
    with store.transaction(con):
        counts = relink.reconcile(con, run_id, full=settings.get("relink") == "full")
        fault_point("reconcile")  # crash tests: inside the open transaction
    how = (f"rebuilt: {counts['rebuilt_because']}" if "rebuilt_because" in counts
           else f"{counts['linked_new']} new figures linked into the existing metrics")
    say("reconcile", f"{counts['metrics']} metrics, {counts['conflicts']} conflicts ({how})")
    return counts


def reconcile_needed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the metrics differ from what reconciling the current observations would give:
    observations without a metric, links to observations no longer current, another linker."""
    return relink.link_state(con).pending


def current_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What reconcile would report, read from the metrics it left last time."""
    found = con.execute("SELECT (SELECT count(*) FROM metrics), (SELECT count(*) FROM conflicts)"
                        ).fetchone() or (0, 0)
    return {"metrics": int(found[0]), "conflicts": int(found[1])}


def reports_code_version() -> str:
    """Hash of the files that shape the reports: a change to them renders anew."""
    from reports.pandoc_typst import reports_code_digest

    return reports_code_digest()[:16]


def previous_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The summary of the latest finished run before this one ({} if none)."""
    row = con.execute(
        "SELECT summary FROM runs WHERE status IN ('completed', 'partial') AND run_id <> ?"
        " ORDER BY started_at DESC LIMIT 1", [run_id]).fetchone()
    return dict(json.loads(row[0])) if row and row[0] else {}


def models_fingerprint() -> str:
    """The installed translation packages (folder names and metadata times), read from the
    disk without importing argostranslate (its import alone takes ~2 s)."""
    folders = [os.environ.get("ARGOS_PACKAGES_DIR") or settings.get("models_dir")
               or str(Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
                      / "argos-translate" / "packages")]
    folders += [f for f in os.environ.get("ARGOS_PACKAGE_DIRS", "").split(os.pathsep) if f]
    digest = hashlib.sha256()
    for folder in folders:
        root = Path(folder)
        for meta in sorted(root.glob("*/metadata.json")) if root.is_dir() else []:
            digest.update(f"{meta.parent.name}:{meta.stat().st_mtime_ns};".encode())
        digest.update(f"|{root}|".encode())
    return digest.hexdigest()[:16]


def published_report(con: duckdb.DuckDBPyConnection, run_id: str, out_dir: str,
                     code_version: str) -> dict[str, Any] | None:
    """The report of the latest finished run, if it still stands in `out_dir` and was
    rendered from the same data (the caller checks nothing changed) with the same code."""
    previous = previous_summary(con, run_id)
    index = Path(out_dir) / "index.html"
    if (previous.get("publish") == "done" and previous.get("report_code") == code_version
            and previous.get("report") and Path(previous["report"]).resolve() == index.resolve()
            and index.exists()):
        return previous
    return None


def publish(con: duckdb.DuckDBPyConnection, out_dir: str) -> dict[str, str | None]:
    """Data snapshot -> Quarto pages -> HTML and PDF."""
    from reports.publish import publish as publish_reports

    fault_point("publish")  # crash tests: data complete, report not yet written
    result = publish_reports(con, Path(out_dir))
    say("publish", f"{result.index_html} (renderer: {result.renderer})")
    return {"renderer": result.renderer, "index": str(result.index_html),
            "pdf": None if result.pdf is None else str(result.pdf)}
