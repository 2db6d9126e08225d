"""The Prefect flows: one flow per stage and the parent `pipeline` flow.

Stages talk to the warehouse through one connection that the parent flow
opens (DuckDB allows one writer); stage flows receive only its path and the
run id, so nothing unpicklable becomes a parameter or a cache key.
Heavy work runs in tasks, one per document (never per sentence).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from rich.console import Console

from flows import analysis, settings
from flows.ingest import (
    RawDocument,
    Reject,
    SourceEntry,
    infer_metadata,
    load_manifest,
    read_document,
)
from warehouse import db, reconcile, store

_CONNECTIONS: dict[str, duckdb.DuckDBPyConnection] = {}
_console = Console(stderr=True)


def _say(stage: str, message: str) -> None:
    """One progress line per stage on the terminal."""
    _console.print(f"[bold cyan]{stage:>9}[/] {message}", highlight=False)


@contextmanager
def open_warehouse(path: Path, wait_seconds: float) -> Iterator[duckdb.DuckDBPyConnection]:
    key = str(path.resolve())
    con = db.connect(path, wait_seconds=wait_seconds)
    _CONNECTIONS[key] = con
    try:
        yield con
    finally:
        _CONNECTIONS.pop(key, None)
        con.close()


def _warehouse(path: str) -> duckdb.DuckDBPyConnection:
    try:
        return _CONNECTIONS[str(Path(path).resolve())]
    except KeyError:
        raise RuntimeError(f"{path}: stage flows run inside the pipeline flow only") from None


@dataclass
class RunSummary:
    run_id: str
    status: str = "running"
    documents_seen: int = 0
    documents_new: list[str] = field(default_factory=list)
    documents_unchanged: int = 0
    observations_new: int = 0
    rejects: list[str] = field(default_factory=list)
    untranslated_pairs: list[str] = field(default_factory=list)
    translated_segments: int = 0
    metrics: int = 0
    conflicts: int = 0
    renderer: str | None = None
    report: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --------------------------------------------------------------------------- ingest


@task(name="read-document", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def read_document_task(entry: SourceEntry) -> RawDocument | Reject:
    return read_document(entry)


@flow(name="ingest")
def ingest_flow(sources_dir: str, warehouse: str, run_id: str) -> dict[str, Any]:
    """Manifest + files -> stored sources and new document versions."""
    logger = get_run_logger()
    con = _warehouse(warehouse)
    entries, rejects = load_manifest(Path(sources_dir))
    results = [read_document_task.submit(entry) for entry in entries]
    documents: list[RawDocument] = []
    for future in results:
        outcome = future.result()
        if isinstance(outcome, Reject):
            rejects.append(outcome)
        else:
            documents.append(outcome)
    known = dict(con.execute(
        "SELECT doc_id, source_id FROM documents WHERE run_id IN (SELECT run_id FROM finished_runs)"
    ).fetchall())
    new_docs, unchanged, duplicates = _classify(documents, known)
    rejects.extend(duplicates)
    for reject in rejects:
        logger.warning("rejected %s", reject.message())
    with store.transaction(con):
        _write_sources(con, documents, run_id)
        _write_documents(con, new_docs, run_id)
        store.insert_rows(con, "rejects", [
            {"run_id": run_id, "path": r.path, "problem": r.problem, "rejected_at": store.now()}
            for r in rejects])
    _say("ingest", f"{len(documents)} documents: {len(new_docs)} new, {unchanged} unchanged, "
                   f"{len(rejects)} rejected")
    return {"new": [d.entry.source_id for d in new_docs], "seen": len(documents),
            "unchanged": unchanged, "rejects": [r.message() for r in rejects]}


def _write_documents(con: duckdb.DuckDBPyConnection, docs: list[RawDocument], run_id: str) -> None:
    """New document versions; an older version of the same source becomes superseded."""
    for doc in docs:
        con.execute("UPDATE documents SET superseded_by = ? WHERE source_id = ? AND doc_id <> ?"
                    " AND superseded_by IS NULL", [doc.doc_id, doc.entry.source_id, doc.doc_id])
    store.insert_rows(con, "documents", [{
        "doc_id": doc.doc_id, "source_id": doc.entry.source_id, "file_name": doc.entry.path.name,
        "text": doc.text, "encoding": doc.encoding, "n_bytes": doc.n_bytes, "language": None,
        "language_confidence": None, "language_mismatch": False, "superseded_by": None,
        "run_id": run_id} for doc in docs])


def _classify(documents: list[RawDocument], known: dict[str, str]
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
        else:
            new_docs.append(doc)
    return new_docs, unchanged, duplicates


def _write_sources(con: duckdb.DuckDBPyConnection, documents: list[RawDocument],
                   run_id: str) -> None:
    rows = []
    for doc in documents:
        meta = doc.entry.meta if doc.entry.in_manifest else infer_metadata(doc)
        rows.append({
            "source_id": doc.entry.source_id, "path": str(doc.entry.path),
            "title": meta.get("title"), "publisher": meta.get("publisher"), "url": meta.get("url"),
            "published": None if meta.get("published") is None else str(meta["published"]),
            "edition": meta.get("edition"), "survey_year": _int_or_none(meta.get("survey_year")),
            "declared_language": meta.get("language"), "in_manifest": doc.entry.in_manifest,
            "run_id": run_id,
        })
    if rows:
        con.execute("DELETE FROM sources WHERE source_id IN (SELECT unnest(?))",
                    [[r["source_id"] for r in rows]])
        store.insert_rows(con, "sources", rows)


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


@task(name="analyse-document", cache_policy=NONE)
def analyse_document_task(doc: PendingDocument) -> analysis.DocumentAnalysis:
    return analysis.analyse(doc.text, doc.declared_language, doc.survey_year, settings.languages())


def pending_documents(con: duckdb.DuckDBPyConnection, run_id: str,
                      extractor_version: str) -> list[PendingDocument]:
    """Current documents not yet mined by this extractor version."""
    rows = con.execute(
        "SELECT d.doc_id, d.source_id, d.text, s.declared_language, s.survey_year"
        " FROM documents d JOIN sources s USING (source_id)"
        " WHERE d.superseded_by IS NULL"
        "   AND d.run_id IN (SELECT run_id FROM finished_runs)"
        "   AND d.doc_id NOT IN (SELECT doc_id FROM extractions WHERE extractor_version = ?)"
        " ORDER BY d.source_id", [extractor_version]).fetchall()
    return [PendingDocument(*row) for row in rows]


@flow(name="extract")
def extract_flow(warehouse: str, run_id: str) -> dict[str, Any]:
    """Language, segments and statistics of every pending document, from the original text."""
    logger = get_run_logger()
    con = _warehouse(warehouse)
    pending = pending_documents(con, run_id, analysis.extractor_version())
    futures = [(doc, analyse_document_task.submit(doc)) for doc in pending]
    total = 0
    for doc, future in futures:
        result = future.result()
        with store.transaction(con):
            total += _write_analysis(con, doc, result, run_id)
        logger.info("extract: %s -> %d statistics (language %s)", doc.source_id,
                    len(result.statistics), result.language)
    _say("extract", f"{len(pending)} documents mined, {total} figures"
                    + ("" if pending else " (nothing new)"))
    return {"documents": [d.source_id for d in pending], "observations": total}


def _write_analysis(con: duckdb.DuckDBPyConnection, doc: PendingDocument,
                    result: analysis.DocumentAnalysis, run_id: str) -> int:
    for table in ("observations", "segments", "extractions"):
        con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc.doc_id])
    mismatch = bool(doc.declared_language and result.language
                    and doc.declared_language != result.language)
    con.execute("UPDATE documents SET language = ?, language_confidence = ?,"
                " language_mismatch = ? WHERE doc_id = ?",
                [result.language, result.confidence, mismatch, doc.doc_id])
    store.insert_rows(con, "segments", [{
        "doc_id": doc.doc_id, "seg_no": s.seg_no, "start": s.start, "end": s.end, "kind": s.kind,
        "language": s.language, "language_confidence": s.language_confidence,
        "language_method": s.language_method, "run_id": run_id,
        "text_sha256": sha256_text(doc.text[s.start:s.end])} for s in result.segments])
    rows = analysis.observation_rows(doc.doc_id, doc.text, result, run_id)
    store.insert_rows(con, "observations", rows)
    store.insert_rows(con, "extractions", [{
        "doc_id": doc.doc_id, "extractor_version": result.extractor_version,
        "n_observations": len(rows), "run_id": run_id}])
    return len(rows)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- translate


@flow(name="translate")
def translate_flow(warehouse: str, run_id: str) -> dict[str, Any]:
    """English glosses of non-English segments, cached; numbers never come from them."""
    from flows import translation

    con = _warehouse(warehouse)
    outcome = translation.translate_pending(con, run_id)
    for pair, help_text in outcome.missing.items():
        get_run_logger().info("no translation model for %s: %s", pair, help_text)
    _say("translate", f"{outcome.translated} segments translated, {outcome.untranslated} left "
                      f"untranslated" + (f" (no model for {', '.join(sorted(outcome.missing))})"
                                         if outcome.missing else ""))
    return {"translated": outcome.translated, "missing": sorted(outcome.missing)}


# --------------------------------------------------------------------------- reconcile


@flow(name="reconcile")
def reconcile_flow(warehouse: str, run_id: str) -> dict[str, int]:
    """Group observations into metrics; series and conflicts follow as views."""
    con = _warehouse(warehouse)
    with store.transaction(con):
        counts = reconcile.reconcile(con, run_id)
    _say("reconcile", f"{counts['metrics']} metrics, {counts['conflicts']} conflicts")
    return counts


# --------------------------------------------------------------------------- publish


@flow(name="publish")
def publish_flow(warehouse: str, out_dir: str) -> dict[str, str | None]:
    """Data snapshot -> Quarto pages -> HTML and PDF."""
    from reports.publish import publish

    result = publish(_warehouse(warehouse), Path(out_dir))
    _say("publish", f"{result.index_html} (renderer: {result.renderer})")
    return {"renderer": result.renderer, "index": str(result.index_html),
            "pdf": None if result.pdf is None else str(result.pdf)}


# --------------------------------------------------------------------------- pipeline


def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("polystat")
    except PackageNotFoundError:
        return "unknown"


@flow(name="pipeline")
def pipeline(sources_dir: str, warehouse: str, out_dir: str, publish: bool = True
             ) -> dict[str, Any]:
    """Ingest -> extract -> translate -> reconcile -> publish, for one sources folder."""
    from prefect.runtime import flow_run

    flow_run_id = str(flow_run.id) if flow_run.id else None
    run_id = flow_run_id or f"local-{hashlib.sha256(str(store.now()).encode()).hexdigest()[:12]}"
    wait = float(settings.get("lock_wait"))
    with open_warehouse(Path(warehouse), wait) as con:
        interrupted = store.clean_up_interrupted_runs(con)
        if interrupted:
            get_run_logger().warning("marked %d interrupted run(s) as failed", len(interrupted))
        store.start_run(con, run_id, "pipeline", flow_run_id, code_version(),
                        {"sources": sources_dir, "warehouse": warehouse, "out": out_dir,
                         "extractor": analysis.extractor_version()})
        con.execute("SET VARIABLE polystat_run = ?", [run_id])
        try:
            return _run_stages(con, run_id, sources_dir, warehouse, out_dir, publish)
        except BaseException as exc:
            store.finish_run(con, run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
            raise


def _run_stages(con: duckdb.DuckDBPyConnection, run_id: str, sources_dir: str, warehouse: str,
                out_dir: str, publish: bool) -> dict[str, Any]:
    summary = RunSummary(run_id=run_id)
    ingested = ingest_flow(sources_dir, warehouse, run_id)
    summary.documents_seen = ingested["seen"]
    summary.documents_unchanged = ingested["unchanged"]
    summary.rejects = ingested["rejects"]
    extracted = extract_flow(warehouse, run_id)
    summary.documents_new = extracted["documents"]
    summary.observations_new = extracted["observations"]
    translated = translate_flow(warehouse, run_id)
    summary.translated_segments = translated["translated"]
    summary.untranslated_pairs = translated["missing"]
    counts = reconcile_flow(warehouse, run_id)
    summary.metrics = counts.get("metrics", 0)
    summary.conflicts = counts.get("conflicts", 0)
    summary.status = "partial" if summary.rejects else "completed"
    store.finish_run(con, run_id, summary.status, summary.as_dict())
    if publish:
        published = publish_flow(warehouse, out_dir)
        summary.renderer = published["renderer"]
        summary.report = published["index"]
        store.finish_run(con, run_id, summary.status, summary.as_dict())
    _artifacts(con, summary)
    return summary.as_dict()


def _artifacts(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """What this run did, for the Prefect UI: summary, new figures, link to the report."""
    from prefect.artifacts import (
        create_link_artifact,
        create_markdown_artifact,
        create_table_artifact,
    )

    lines = [f"# polystat run {summary.run_id}", "",
             f"- status: **{summary.status}**",
             f"- documents: {summary.documents_seen} seen, {len(summary.documents_new)} mined, "
             f"{summary.documents_unchanged} unchanged",
             f"- new figures: {summary.observations_new}",
             f"- metrics: {summary.metrics}, conflicts: {summary.conflicts}",
             f"- untranslated pairs: {', '.join(summary.untranslated_pairs) or 'none'}",
             f"- rejected: {len(summary.rejects)}"]
    lines += [f"  - {reject}" for reject in summary.rejects]
    create_markdown_artifact("\n".join(lines), key="polystat-summary",
                             description="What this polystat run did")
    rows = con.execute(
        "SELECT d.source_id AS source, o.surface, o.value, o.unit, o.qualifier, o.population,"
        " o.year FROM observations o JOIN documents d USING (doc_id) WHERE o.run_id = ?"
        " ORDER BY d.source_id, o.start", [summary.run_id]).fetchall()
    columns = ["source", "surface", "value", "unit", "qualifier", "population", "year"]
    create_table_artifact([dict(zip(columns, row, strict=True)) for row in rows],
                          key="polystat-new-statistics", description="Figures new in this run")
    if summary.report:
        create_link_artifact(Path(summary.report).resolve().as_uri(), link_text="polystat report",
                             key="polystat-report", description="The published report")
