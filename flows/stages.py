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
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

import duckdb

from extract import analysis
from flows import settings, terminal
from flows.faults import fault_point
from flows.ingest import (
    Duplicate,
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
    text_key,
    unchanged_since,
)
from reports.markup import counted, translation_coverage
from reports.snapshot import corpus_totals
from warehouse import extract_tables, ingest_tables, reads, relink, store
from warehouse.ingest_tables import StoredDocument


class TaskRunnerKind(StrEnum):
    """What runs the per-batch functions under Prefect (flows/pipeline.py); named here so
    that the command line checks `--task-runner` without importing Prefect."""

    threads = "threads"
    processes = "processes"
    dask = "dask"


In = TypeVar("In")
Out = TypeVar("Out")

# A task costs Prefect ~9 ms and a transaction a few ms: beyond a few dozen
# documents per worker, documents travel in batches of up to this many.
MAX_BATCH = 50
BATCHES_PER_WORKER = 4

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
    terminal.say(stage, message)


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


@dataclass
class IngestPlan:
    """What ingest knows before opening a file: the manifest's entries and the entries it
    refused, each file's stat, and which files are unchanged since a finished run hashed
    them (their slot holds an UnchangedDocument; None: the file must be read)."""

    entries: list[SourceEntry]
    rejects: list[Reject]
    stats: list[FileStat | None]
    slots: list[RawDocument | UnchangedDocument | None]
    known: dict[str, str]  # doc_id -> source_id of every document of a finished run
    checked_ns: int
    verify_all: bool

    @property
    def to_read(self) -> list[SourceEntry]:
        return [entry for entry, slot in zip(self.entries, self.slots, strict=True)
                if slot is None]


def plan_ingest(con: duckdb.DuckDBPyConnection, sources_dir: str, cache_manifest: bool = True
                ) -> IngestPlan:
    """Manifest and stats, no file opened. An unchanged manifest comes from its cache (a
    changed one is parsed, and cached if `cache_manifest`); a file whose stat is the one
    remembered when it was last hashed is not read again (the trade-off is spelled out in
    flows/ingest.py). POLYSTAT_VERIFY=hash: every file is to be read."""
    verify_all = settings.get("verify") != "stat"
    cache = None if verify_all else WarehouseManifestCache(con, cache_manifest)
    entries, rejects = load_manifest(Path(sources_dir), cache)
    known = ingest_tables.finished_documents(con)
    checked_ns = time.time_ns()  # before any stat: a file changed from now on is not trusted
    stats = [file_stat(entry.path) for entry in entries]
    slots: list[RawDocument | UnchangedDocument | None] = (
        [None] * len(entries) if verify_all else _unchanged(con, entries, stats, known))
    return IngestPlan(entries, rejects, stats, slots, known, checked_ns, verify_all)


def ingest(con: duckdb.DuckDBPyConnection, sources_dir: str, run_id: str, each: Each,
           log: Log, workers: int = 2) -> dict[str, Any]:
    """Manifest + files -> stored sources and new document versions.

    The work follows what changed (`plan_ingest`): only files not known unchanged are read.
    A source whose text another source already holds is a duplicate (`_classify`): a
    warning, not a reject, and its figures are not stored a second time.
    """
    with store.transaction(con):
        ingest_tables.fill_text_keys(con, text_key)
    plan = plan_ingest(con, sources_dir)
    stored = ingest_tables.stored_documents(con)
    entries, rejects, stats, slots = plan.entries, plan.rejects, plan.stats, plan.slots
    to_read = plan.to_read
    outcomes = iter([o for batch in each(read_documents, batches(to_read, workers)) for o in batch])
    for index, slot in enumerate(slots):
        if slot is None:
            outcome = next(outcomes)
            if isinstance(outcome, Reject):
                rejects.append(outcome)
            else:
                slots[index] = outcome
    seen = [slot for slot in slots if slot is not None]
    read = [doc for doc in seen if isinstance(doc, RawDocument)]
    found = _classify(seen, stored)
    for reject in rejects:
        log.warning("rejected %s", reject.message())
    for duplicate in found.duplicates:
        log.warning("duplicate: %s", duplicate.message())
    with store.transaction(con):
        sources_changed = _write_sources(
            con, [doc for doc in found.kept if isinstance(doc, RawDocument)], run_id)
        _write_documents(con, found.new, run_id)
        retired = _retire_duplicates(con, found)
        revived = _make_current(con, found.kept, stored)
        _remember_files(con, read, dict(zip((e.source_id for e in entries), stats, strict=True)),
                        plan.checked_ns, run_id)
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


class WarehouseManifestCache:
    """flows.ingest.ManifestCache in the warehouse: one row, the last manifest parsed.
    With `write=False` it is only read (the check before a run writes nothing)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, write: bool = True) -> None:
        self.con, self.write = con, write

    def get(self, digest: str) -> list[Any] | None:
        cached = ingest_tables.cached_manifest(self.con, digest)
        return None if cached is None else decode_manifest_entries(cached)

    def put(self, digest: str, entries: list[Any]) -> None:
        if not self.write:
            return
        encoded = encode_manifest_entries(entries)
        if encoded is None:  # a value JSON cannot carry back: parse this manifest every time
            return
        ingest_tables.cache_manifest(self.con, digest, encoded)


def _unchanged(con: duckdb.DuckDBPyConnection, entries: list[SourceEntry],
               stats: list[FileStat | None], known: dict[str, str]
               ) -> list[RawDocument | UnchangedDocument | None]:
    """Per entry, an UnchangedDocument when its file need not be opened, else None.
    Trusted only if a finished run hashed the file and stored that document under this
    source, and the source's row is still there; any doubt means reading the file. So a
    duplicate, whose text is stored under another source, is read on every run: that costs
    what the duplicates weigh, and its warning is always current."""
    remembered = {row[0]: KnownFile(row[1], FileStat(*row[2:6]), *row[6:])
                  for row in ingest_tables.remembered_files(con)}
    with_rows = ingest_tables.source_ids(con)
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
    ingest_tables.remember_files(con, unique)


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
            "edition": meta.get("edition"), "survey_year": _int_or_none(meta.get("survey_year")),
            "declared_language": meta.get("language"), "in_manifest": doc.entry.in_manifest,
            "run_id": run_id, "author": meta.get("author"),
        })
    return ingest_tables.write_sources(con, rows)


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


def analyse_documents(docs: list[PendingDocument]) -> list[analysis.DocumentAnalysis]:
    """The pure NLP of one batch of documents (CPU: worth a process or Dask worker)."""
    languages = settings.languages()
    return [analysis.analyse(doc.text, doc.declared_language, doc.survey_year, languages)
            for doc in docs]


def pending_documents(con: duckdb.DuckDBPyConnection, extractor_version: str
                      ) -> list[PendingDocument]:
    """Current documents not yet mined by this extractor version: nothing else is submitted."""
    return [PendingDocument(*row)
            for row in extract_tables.documents_to_mine(con, extractor_version)]


def has_pending_documents(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the extract stage has anything to do (no document text is read)."""
    return extract_tables.any_to_mine(con, analysis.extractor_version())


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


def translate(con: duckdb.DuckDBPyConnection, run_id: str, log: Log) -> dict[str, Any]:
    """English glosses of non-English segments, cached; numbers never come from them."""
    from flows import translation

    fault_point("translate")  # crash tests: every document mined, nothing translated
    outcome = translation.translate_pending(con, run_id)
    for pair, help_text in outcome.missing.items():
        log.info("no translation model for %s: %s", pair, help_text)
    corpus = corpus_totals(con)
    say("translate", f"{counted(outcome.translated, 'new translation')}; "
                     + translation_coverage(corpus["translated_segments"],
                                            corpus["non_english_segments"])
                     + (f" (no model for {', '.join(sorted(outcome.missing))})"
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
           else f"{counted(counts['linked_new'], 'new figure')} linked into the existing metrics")
    say("reconcile", f"{counted(counts['metrics'], 'metric')}, "
                     f"{counted(counts['conflicts'], 'conflict')} ({how})")
    return counts


def reconcile_needed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the metrics differ from what reconciling the current observations would give:
    observations without a metric, links to observations no longer current, another linker."""
    return relink.link_state(con).pending


def current_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What reconcile would report, read from the metrics it left last time."""
    return reads.metric_and_conflict_counts(con)


def reports_code_version() -> str:
    """Hash of the files that shape the reports: a change to them renders anew."""
    from reports.pandoc_typst import reports_code_digest

    return reports_code_digest()[:16]


def previous_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, Any]:
    """The summary of the latest finished run before this one ({} if none)."""
    return reads.previous_summary(con, run_id)


def translations_stand(previous: dict[str, Any], documents_new: list[str], models: str) -> bool:
    """Whether translating has nothing to do: no document was mined and the installed models
    (`models_fingerprint`) are those the last finished run translated with, so every
    segment already has its gloss or the reason it has none."""
    return not documents_new and previous.get("models") == models


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


def nothing_new(con: duckdb.DuckDBPyConnection, sources_dir: str, out_dir: str, publish: bool
                ) -> dict[str, Any] | None:
    """What `polystat run` prints instead of running the pipeline when a run would change
    nothing, or None when the pipeline must run. Nothing changes when no run was
    interrupted, every source file and manifest entry is as a finished run left it, the
    manifest refuses the same entries as then, and each later stage would skip: the
    checks are the stages' own (`plan_ingest`, `has_pending_documents`,
    `translations_stand`, `reconcile_needed`, `published_report`). Reads only: the
    warehouse is not written. Raises SourcesError for a sources folder that cannot be used.
    """
    plan = plan_ingest(con, sources_dir, cache_manifest=False)
    previous = previous_summary(con, "")
    rejects = [reject.message() for reject in plan.rejects]
    if (not previous or plan.verify_all or plan.to_read or store.interrupted_runs(con)
            or rejects != previous.get("rejects", [])
            or has_pending_documents(con)
            or not translations_stand(previous, [], models_fingerprint())
            or reconcile_needed(con)):
        return None
    report = None
    if publish:
        stands = published_report(con, "", out_dir, reports_code_version())
        if stands is None:
            return None
        report = stands["report"]
    return {"previous_run": previous.get("run_id"), "status": previous.get("status"),
            "previous_finished": reads.run_finished_at(con, previous.get("run_id")),
            "documents_seen": len(plan.entries), "documents_new": [],
            "documents_unchanged": len(plan.entries), "observations_new": 0,
            "rejects": rejects, "untranslated_pairs": list(previous.get("untranslated_pairs", [])),
            "report": report, "corpus": corpus_totals(con),
            "skipped": ["ingest", "extract", "translate", "reconcile"] + (["publish"] if publish
                                                                           else [])}


def publish(con: duckdb.DuckDBPyConnection, out_dir: str) -> dict[str, str | None]:
    """Data snapshot -> Quarto pages -> HTML and PDF."""
    from reports.publish import publish as publish_reports

    fault_point("publish")  # crash tests: data complete, report not yet written
    result = publish_reports(con, Path(out_dir))
    say("publish", f"{result.index_html} (renderer: {result.renderer})")
    return {"renderer": result.renderer, "index": str(result.index_html),
            "pdf": None if result.pdf is None else str(result.pdf)}
