"""The pipeline's stages: each stage is a Prefect flow, and its per-batch work a Prefect task
(`read_documents`, `analyse_documents`: per document, or per batch of documents on large
runs, never per sentence) that a thread pool, a process pool or a Dask cluster runs.

The stage flows share the warehouse connection that the pipeline flow opened (DuckDB
allows one writer) through `using_warehouse`: a context of the run, never a flow
parameter or part of a cache key. Tasks take and return plain dataclasses and never touch
the connection, so they can run in another process.

Without Prefect (`run_without_prefect`, the benchmarks' baseline) a stage is called as
its plain function, `stage.fn`, and `each` runs its tasks' functions one after the other.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb
from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import FlowRunContext, TaskRunContext
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from extract import analysis, claims
from flows import settings, terminal
from flows.faults import fault_point
from flows.ingest import (
    Duplicate,
    FileStat,
    RawDocument,
    Reject,
    SourceEntry,
    UnchangedDocument,
    entry_key,
    infer_metadata,
    read_document,
    size_limits,
    survey_year_of,
    text_key,
)
from flows.plan import plan_ingest, report_options
from reports.markup import counted, translation_coverage
from reports.snapshot import translation_totals
from warehouse import extract_tables, ingest_tables, relink, store
from warehouse.ingest_tables import StoredDocument

In = TypeVar("In")
Out = TypeVar("Out")

# A task costs Prefect ~9 ms and a transaction a few ms: beyond a few dozen
# documents per worker, documents travel in batches of up to this many.
MAX_BATCH = 50
BATCHES_PER_WORKER = 4


class Log(Protocol):
    def info(self, msg: str, *args: Any) -> None: ...

    def warning(self, msg: str, *args: Any) -> None: ...


# --------------------------------------------------------------------------- the run's context

_WAREHOUSE: ContextVar[duckdb.DuckDBPyConnection] = ContextVar("polystat_warehouse")


@contextmanager
def using_warehouse(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """The stages called inside this block use `con`. A context variable, as Prefect keeps
    its own run context: it holds the connection of this run only, for the time of the
    block, and nothing unpicklable becomes a flow parameter."""
    token = _WAREHOUSE.set(con)
    try:
        yield con
    finally:
        _WAREHOUSE.reset(token)


def warehouse_connection() -> duckdb.DuckDBPyConnection:
    """The connection of the run going on (`using_warehouse`)."""
    try:
        return _WAREHOUSE.get()
    except LookupError:
        raise RuntimeError("a stage runs inside the pipeline flow (flows/pipeline.py), or "
                           "inside `stages.using_warehouse(con)`") from None


def under_prefect() -> bool:
    """Whether a Prefect flow run is going on: a stage is then a subflow and its tasks are
    submitted; otherwise (`.fn`, no Prefect) everything runs here, in order."""
    return FlowRunContext.get() is not None


def each(work: Task[[In], Out], batches: Sequence[In]) -> Iterator[Out]:
    """The results of a task on each batch, in order. Under Prefect every batch is
    submitted to the flow's task runner at once; without it they run one after the other."""
    if not under_prefect():
        yield from (work.fn(batch) for batch in batches)
        return
    futures: list[Any] = [work.submit(batch) for batch in batches]
    for index, future in enumerate(futures):
        yield future.result()
        futures[index] = None  # let a batch's results go once they are written


def log() -> Log:
    """Prefect's run logger (the UI shows it), or polystat's logger without Prefect."""
    return get_run_logger() if under_prefect() else plain_logger()


def plain_logger() -> logging.Logger:
    return logging.getLogger("polystat")


def say(stage: str, message: str) -> None:
    """One progress line per stage on the terminal."""
    terminal.say(stage, message)


def batches(items: Sequence[In], workers: int = 2) -> list[list[In]]:
    """One item per batch for small runs; batches of up to MAX_BATCH for large ones."""
    size = max(1, min(MAX_BATCH, len(items) // (max(1, workers) * BATCHES_PER_WORKER)))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- ingest


@task(name="read-documents", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def read_documents(entries: list[SourceEntry]) -> list[RawDocument | Reject]:
    """Read and decode one batch of files (I/O: the Prefect task retries it)."""
    return [read_document(entry) for entry in entries]


# Reading files waits on the disk, not the CPU: threads in this process do it whatever
# runs the analysis (a worker process would first import spaCy).
FILE_READERS: TaskRunner[Any] = ThreadPoolTaskRunner(max_workers=4)


@flow(name="ingest", task_runner=FILE_READERS)
def ingest(sources_dir: str, run_id: str, workers: int = 2) -> dict[str, Any]:
    """Manifest + files -> stored sources and new document versions.

    The work follows what changed (`plan_ingest`): only files not known unchanged are read.
    A source whose text another source already holds is a duplicate (`_classify`): a
    warning, not a reject, and its figures are not stored a second time.
    """
    con, logger = warehouse_connection(), log()
    with store.transaction(con):
        ingest_tables.fill_text_keys(con, text_key)
    plan = plan_ingest(con, sources_dir)
    stored = ingest_tables.stored_documents(con)
    entries, rejects, stats, slots = plan.entries, plan.rejects, plan.stats, plan.slots
    to_read = plan.to_read
    outcomes = iter([o for batch in each(read_documents, batches(to_read, workers)) for o in batch])
    refused_now: list[tuple[SourceEntry, Reject]] = []
    seen: list[RawDocument | UnchangedDocument] = []
    for entry, slot in zip(entries, slots, strict=True):
        outcome = next(outcomes) if slot is None else slot
        if isinstance(outcome, Reject):  # read and refused now, or refused unread (plan)
            rejects.append(outcome)
            if slot is None:
                refused_now.append((entry, outcome))
        else:
            seen.append(outcome)
    read = [doc for doc in seen if isinstance(doc, RawDocument)]
    found = _classify(seen, stored)
    for reject in rejects:
        logger.warning("rejected %s", reject.message())
    for duplicate in found.duplicates:
        logger.warning("duplicate: %s", duplicate.message())
    with store.transaction(con):
        sources_changed = _write_sources(
            con, [doc for doc in found.kept if isinstance(doc, RawDocument)], run_id)
        _write_documents(con, found.new, run_id)
        retired = _retire_duplicates(con, found)
        revived = _make_current(con, found.kept, stored)
        stats_by_source = dict(zip((e.source_id for e in entries), stats, strict=True))
        _remember_files(con, read, stats_by_source, plan.checked_ns, run_id)
        _remember_rejected_files(con, to_read, refused_now, stats_by_source, plan.checked_ns,
                                 run_id)
        fault_point("ingest")  # crash tests: inside the open transaction
        ingest_tables.write_rejects(con, [
            {"run_id": run_id, "path": r.path, "problem": r.problem, "rejected_at": store.now(),
             "severity": severity}
            for severity, found_problems in (("error", rejects), ("warning", found.duplicates))
            for r in found_problems])
    for doc in found.new:
        if not doc.entry.in_manifest:
            say("ingest", f"warning: {doc.entry.source_id} is not in manifest.toml; title and "
                          "survey year are guessed from its text (add an entry to fix them)")
    say("ingest", f"{counted(len(seen), 'document')}: {len(found.new):,} new, "
                  f"{found.unchanged:,} unchanged, {counted(len(found.duplicates), 'duplicate')}, "
                  f"{len(rejects):,} rejected ({counted(len(to_read), 'file')} read"
                  f"{', every file hashed: POLYSTAT_VERIFY=hash' if plan.verify_all else ''})")
    return {"new": [d.entry.source_id for d in found.new], "seen": len(seen),
            "unchanged": found.unchanged, "rejects": [r.message() for r in rejects],
            "warnings": [d.message() for d in found.duplicates],
            "current_changed": retired + revived,
            "sources_changed": sources_changed, "files_read": len(to_read)}


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
    ingest_tables.remember_files(con, unique)


def _remember_rejected_files(con: duckdb.DuckDBPyConnection, read: list[SourceEntry],
                             refused: list[tuple[SourceEntry, Reject]],
                             stats: dict[str, FileStat | None], checked_ns: int, run_id: str
                             ) -> None:
    """The stat of each file refused for its content: the next run refuses it again without
    reading it while the file, its entry and the size limits stay the same (a file that
    could not be read at all is tried again)."""
    limits = size_limits()
    rows = [{"source_id": entry.source_id, "path": str(entry.path), "size": now.size,
             "mtime_ns": now.mtime_ns, "ctime_ns": now.ctime_ns, "file_id": now.file_id,
             "entry_key": entry_key(entry), "limits": limits, "checked_ns": checked_ns,
             "problem": reject.problem, "run_id": run_id}
            for entry, reject in refused
            if reject.lasting and (now := stats.get(entry.source_id)) is not None]
    unique = list({row["source_id"]: row for row in rows}.values())  # a file listed twice
    ingest_tables.remember_rejected_files(con, [entry.source_id for entry in read], unique)


def _write_documents(con: duckdb.DuckDBPyConnection, docs: list[RawDocument], run_id: str) -> None:
    """New document versions; an older version of the same source becomes superseded."""
    ingest_tables.write_documents(con, [{
        "doc_id": doc.doc_id, "source_id": doc.entry.source_id, "file_name": doc.entry.path.name,
        "text": doc.text, "encoding": doc.encoding, "n_bytes": doc.n_bytes, "language": None,
        "language_confidence": None, "language_mismatch": False, "superseded_by": None,
        "run_id": run_id, "format": doc.format,
        "page_starts": None if doc.page_starts is None else list(doc.page_starts),
        "text_key": doc.text_key,
    } for doc in docs])


@dataclass
class Classified:
    kept: list[RawDocument | UnchangedDocument] = field(default_factory=list)  # own text
    new: list[RawDocument] = field(default_factory=list)  # kept, and not stored yet
    unchanged: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    originals: dict[str, str] = field(default_factory=dict)  # duplicate source -> original doc


def _classify(documents: list[RawDocument | UnchangedDocument],
              stored: dict[str, StoredDocument]) -> Classified:
    """Which documents are their source's own text, and which repeat another source's.

    A text (by `text_key`) belongs to the source that holds it in the warehouse now (the
    earliest stored, if several do), unless that source's file says something else in this
    run; a text nobody holds goes to the first source that has it, in manifest order. A
    copy added later therefore never displaces the stored original, whatever its place in
    the manifest, and which source keeps a text stays the same from run to run.
    """
    keys = [doc.text_key if isinstance(doc, RawDocument) else stored[doc.doc_id].text_key
            for doc in documents]
    now_says = {doc.entry.source_id: key for doc, key in zip(documents, keys, strict=True)}
    owners: dict[str, tuple[str, str]] = {}  # text key -> (source, doc_id)
    for doc_id, was in stored.items():
        if was.current and now_says.get(was.source_id, was.text_key) == was.text_key:
            owners.setdefault(was.text_key, (was.source_id, doc_id))
    found = Classified()
    seen: set[str] = set()
    for doc, key in zip(documents, keys, strict=True):
        source = doc.entry.source_id
        if source in seen:  # one file listed twice: one source
            continue
        seen.add(source)
        owner, owner_doc = owners.setdefault(key, (source, doc.doc_id))
        if owner != source:
            found.duplicates.append(Duplicate(source, owner, same_bytes=doc.doc_id == owner_doc,
                                              in_manifest=doc.entry.in_manifest))
            found.originals[source] = owner_doc
            continue
        found.kept.append(doc)
        if doc.doc_id in stored:
            found.unchanged += 1
        elif isinstance(doc, RawDocument):  # an UnchangedDocument is always stored
            found.new.append(doc)
    return found


def _retire_duplicates(con: duckdb.DuckDBPyConnection, found: Classified) -> int:
    """A duplicate's own stored version (stored before it was a duplicate: by an older
    polystat, or before the original came to hold the same text) stops being current, so
    its figures are counted once. Returns how many documents were retired."""
    return ingest_tables.retire_duplicates(con, found.originals)


def _make_current(con: duckdb.DuckDBPyConnection, kept: list[RawDocument | UnchangedDocument],
                  stored: dict[str, StoredDocument]) -> int:
    """A kept document already stored, but not as its source's current version, becomes it:
    a file changed back to an earlier version, a retired duplicate whose original changed,
    bytes first stored under a source that no longer holds them. Returns how many."""
    changed = 0
    for doc in kept:
        was = stored.get(doc.doc_id)
        source = doc.entry.source_id
        if was is None or (was.current and was.source_id == source):
            continue
        ingest_tables.make_current(con, doc.doc_id, source, doc.entry.path.name)
        changed += 1
    return changed


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
            "edition": meta.get("edition"), "survey_year": survey_year_of(doc, meta),
            "declared_language": meta.get("language"), "in_manifest": doc.entry.in_manifest,
            "run_id": run_id, "author": meta.get("author"),
            "population": _text_or_none(meta.get("population")),
        })
    return ingest_tables.write_sources(con, rows)


def _text_or_none(value: Any) -> str | None:
    """A manifest string field; blank means not given."""
    if value is None:
        return None
    return str(value).strip() or None


# --------------------------------------------------------------------------- extract


@dataclass(frozen=True)
class PendingDocument:
    doc_id: str
    source_id: str
    text: str
    declared_language: str | None
    survey_year: int | None
    population: str | None = None  # whom the survey asked (manifest `population`)


def analysis_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Everything the analysis of a batch depends on: bytes (doc sha256), metadata, versions,
    and where the result's class lives (results are pickled by its module path: results
    stored before a move could not be read back)."""
    docs: list[PendingDocument] = parameters["docs"]
    result_class = f"{analysis.DocumentAnalysis.__module__}.{analysis.DocumentAnalysis.__name__}"
    key = hashlib.sha256(f"{analysis.extractor_version()}|{settings.get('languages')}"
                         f"|{result_class}".encode())
    for doc in docs:
        key.update(f"|{doc.doc_id}:{doc.declared_language}:{doc.survey_year}:{doc.population}"
                   .encode())
    return f"polystat-analysis-{key.hexdigest()}"


# The analysis is cached by content: a run that was interrupted after mining some
# documents (its rows are rolled back) or a rebuilt warehouse finds them in
# $PREFECT_HOME/storage instead of mining them again.
@task(name="analyse-documents", cache_key_fn=analysis_cache_key, persist_result=True,
      cache_expiration=timedelta(days=90))
def analyse_documents(docs: list[PendingDocument]) -> list[analysis.DocumentAnalysis]:
    """The pure NLP of one batch of documents (CPU: worth a process or Dask worker)."""
    languages = settings.languages()
    return [analysis.analyse(doc.text, doc.declared_language, doc.survey_year, languages,
                             doc.population)
            for doc in docs]


def pending_documents(con: duckdb.DuckDBPyConnection, extractor_version: str
                      ) -> list[PendingDocument]:
    """Current documents not yet mined by this extractor version: nothing else is submitted."""
    return [PendingDocument(*row)
            for row in extract_tables.documents_to_mine(con, extractor_version)]


@flow(name="extract")
def extract(run_id: str, workers: int = 2) -> dict[str, Any]:
    """Language, segments and statistics of every pending document, from the original text."""
    con, logger = warehouse_connection(), log()
    pending = pending_documents(con, analysis.extractor_version())
    work = batches(pending, workers)
    # The reconcile stage reads these documents' claims: a language written without
    # spaces needs its word segmenter (a second of Python holding the interpreter: the
    # database's queries beside it run several times slower), loaded while the workers
    # mine: at once for the languages the sources declare, else once a batch shows one.
    claims.prepare(doc.declared_language for doc in pending)
    total = 0
    for docs, results in zip(work, each(analyse_documents, work), strict=True):
        with store.transaction(con):
            total += _write_analyses(con, docs, results, run_id)
        claims.prepare(result.language for result in results)
        fault_point("extract")  # crash tests: first batch committed, the rest pending
        for doc, result in zip(docs, results, strict=True):
            logger.info("extract: %s -> %d statistics (language %s)", doc.source_id,
                     len(result.statistics), result.language)
    say("extract", f"{counted(len(pending), 'document')} mined, {counted(total, 'statistic')}"
                   + ("" if pending else " (nothing new)"))
    return {"documents": [d.source_id for d in pending], "observations": total}


def _write_analyses(con: duckdb.DuckDBPyConnection, docs: list[PendingDocument],
                    results: list[analysis.DocumentAnalysis], run_id: str) -> int:
    """One mined batch as rows; returns how many observations it stored."""
    languages = [{"doc_id": doc.doc_id, "language": result.language,
                  "confidence": result.confidence,
                  "mismatch": bool(doc.declared_language and result.language
                                   and doc.declared_language != result.language)}
                 for doc, result in zip(docs, results, strict=True)]
    segments: list[dict[str, Any]] = []
    observations: list[dict[str, Any]] = []
    records: list[dict[str, Any]] = []
    for doc, result in zip(docs, results, strict=True):
        segments += [{
            "doc_id": doc.doc_id, "seg_no": s.seg_no, "start": s.start, "end": s.end,
            "kind": s.kind, "language": s.language, "language_confidence": s.language_confidence,
            "language_method": s.language_method, "run_id": run_id,
            "text_sha256": sha256_text(doc.text[s.start:s.end])} for s in result.segments]
        rows = analysis.observation_rows(doc.doc_id, doc.text, result, run_id)
        observations += rows
        records.append({"doc_id": doc.doc_id, "extractor_version": result.extractor_version,
                        "n_observations": len(rows), "run_id": run_id})
    extract_tables.replace_analyses(con, languages, segments, observations, records)
    return len(observations)


# --------------------------------------------------------------------------- translate


@flow(name="translate")
def translate(run_id: str) -> dict[str, Any]:
    """English glosses of non-English segments, cached; numbers never come from them."""
    from flows import translation

    con, logger = warehouse_connection(), log()
    fault_point("translate")  # crash tests: every document mined, nothing translated
    outcome = translation.translate_pending(con, run_id)
    for pair, help_text in outcome.missing.items():
        logger.info("no translation model for %s: %s", pair, help_text)
    corpus = translation_totals(con)
    say("translate", f"{counted(outcome.translated, 'new translation')}; "
                     + translation_coverage(corpus["translated_segments"],
                                            corpus["non_english_segments"])
                     + (f" (no model for {', '.join(sorted(outcome.missing))})"
                        if outcome.missing else ""))
    return {"translated": outcome.translated, "missing": sorted(outcome.missing)}


# --------------------------------------------------------------------------- reconcile, publish


@flow(name="reconcile")
def reconcile(run_id: str) -> dict[str, Any]:
    """Group observations into metrics (new figures join the existing metrics where they
    can; see warehouse/relink.py); series and conflicts follow as views."""
    con = warehouse_connection()
    with store.transaction(con):
        counts = relink.reconcile(con, run_id, full=settings.get("relink") == "full")
        fault_point("reconcile")  # crash tests: inside the open transaction
    how = (f"rebuilt: {counts['rebuilt_because']}" if "rebuilt_because" in counts
           else f"{counted(counts['linked_new'], 'new figure')} linked into the existing metrics")
    say("reconcile", f"{counted(counts['metrics'], 'metric')} ({how})")
    return counts


@flow(name="publish")
def publish(out_dir: str, sources_dir: str) -> dict[str, str | None]:
    """Data snapshot -> Quarto pages -> HTML and PDF, titled as the settings or the sources'
    manifest say (`report_options`)."""
    from reports.publish import publish as publish_reports

    con = warehouse_connection()
    fault_point("publish")  # crash tests: data complete, report not yet written
    result = publish_reports(con, Path(out_dir), report_options(sources_dir))
    for note in result.recovered:  # what a publish killed in its swap had left
        say("publish", note)
    say("publish", f"{result.index_html} (renderer: {result.renderer})")
    return {"renderer": result.renderer, "index": str(result.index_html),
            "pdf": None if result.pdf is None else str(result.pdf)}
