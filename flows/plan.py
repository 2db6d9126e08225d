"""What a run has to do, found without doing it: which files ingest must read
(`plan_ingest`), whether each later stage has work, and what `polystat run` prints
instead of running when nothing changed (`nothing_new`).

Imports no Prefect: the command line answers a run with nothing new before Prefect
starts (flows/cli.py), and the pipeline flow asks the same questions to skip a stage.
Reads only, except that `plan_ingest` may cache the parsed manifest.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb

from extract import analysis
from flows import settings
from flows.ingest import (
    FileStat,
    KnownFile,
    RawDocument,
    RefusedFile,
    Reject,
    SourceEntry,
    UnchangedDocument,
    decode_manifest_entries,
    encode_manifest_entries,
    file_stat,
    load_manifest,
    size_limits,
    unchanged_since,
)
from flows.ingest.manifest import MANIFEST, read_report_section
from reports.options import DEFAULT_SUBTITLE, DEFAULT_TITLE, ReportOptions
from reports.snapshot import corpus_totals
from warehouse import curation, extract_tables, ingest_tables, reads, relink, store


class TaskRunnerKind(StrEnum):
    """What runs the per-batch functions under Prefect (flows/pipeline.py); named here so
    that the command line checks `--task-runner` without importing Prefect."""

    threads = "threads"
    processes = "processes"
    dask = "dask"


# --------------------------------------------------------------------------- ingest


@dataclass
class IngestPlan:
    """What ingest knows before opening a file: the manifest's entries and the entries it
    refused, each file's stat, and which files are unchanged since a finished run hashed
    them (their slot holds an UnchangedDocument) or refused them for their content (a
    Reject); None: the file must be read."""

    entries: list[SourceEntry]
    rejects: list[Reject]
    stats: list[FileStat | None]
    slots: list[RawDocument | UnchangedDocument | Reject | None]
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
    slots: list[RawDocument | UnchangedDocument | Reject | None] = (
        [None] * len(entries) if verify_all else _unchanged(con, entries, stats, known))
    return IngestPlan(entries, rejects, stats, slots, known, checked_ns, verify_all)


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
               ) -> list[RawDocument | UnchangedDocument | Reject | None]:
    """Per entry, an UnchangedDocument when its file need not be opened, its Reject when a
    finished run refused the same file under the same size limits, else None.
    A document is trusted only if a finished run hashed the file and stored that document
    under this source, and the source's row is still there; any doubt means reading the
    file. So a duplicate, whose text is stored under another source, is read on every run:
    that costs what the duplicates weigh, and its warning is always current."""
    remembered = {row[0]: KnownFile(row[1], FileStat(*row[2:6]), *row[6:])
                  for row in ingest_tables.remembered_files(con)}
    refused = {row[0]: RefusedFile(row[1], FileStat(*row[2:6]), *row[6:])
               for row in ingest_tables.remembered_rejects(con)}
    with_rows = ingest_tables.source_ids(con)
    limits = size_limits()
    slots: list[RawDocument | UnchangedDocument | Reject | None] = []
    for entry, now in zip(entries, stats, strict=True):
        was = remembered.get(entry.source_id)
        trusted = (was is not None and known.get(was.doc_id) == entry.source_id
                   and entry.source_id in with_rows and unchanged_since(was, entry, now))
        refusal = refused.get(entry.source_id)
        if trusted and was:
            slots.append(UnchangedDocument(entry, was.doc_id))
        elif refusal and refusal.limits == limits and unchanged_since(refusal, entry, now):
            slots.append(Reject(entry.source_id, refusal.problem))
        else:
            slots.append(None)
    return slots


# --------------------------------------------------------------------------- later stages


def has_pending_documents(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the extract stage has anything to do (no document text is read)."""
    return extract_tables.any_to_mine(con, analysis.extractor_version())


def reconcile_needed(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the metrics differ from what reconciling the current observations would give:
    observations without a metric, links to observations no longer current, another linker."""
    return relink.link_state(con).pending


def current_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What reconcile would report, read from the metrics it left last time."""
    return reads.metric_and_conflict_counts(con)


def reports_code_version(sources_dir: str) -> str:
    """Hash of what shapes the reports besides the data: the files of reports/ and the
    title, subtitle and site address (`report_options`); a change to them renders anew."""
    from reports.pandoc_typst import reports_code_digest

    digest = hashlib.sha256(f"{reports_code_digest()}|{report_options(sources_dir).digest()}"
                            .encode())
    return digest.hexdigest()[:16]


def report_options(sources_dir: str) -> ReportOptions:
    """The reports' title and subtitle (settings report_title / report_subtitle, else the
    sources' manifest.toml [report] table, else neutral defaults) and `site_url`."""
    section = read_report_section(Path(sources_dir) / MANIFEST)
    return ReportOptions(
        title=settings.get("report_title") or section.title or DEFAULT_TITLE,
        subtitle=settings.get("report_subtitle") or section.subtitle or DEFAULT_SUBTITLE,
        site_url=settings.get("site_url"))


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
    rendered from the same data (the caller checks nothing changed; an analyst's decision
    since, `polystat metrics`, is a change) with the same code."""
    previous = previous_summary(con, run_id)
    index = Path(out_dir) / "index.html"
    if (previous.get("publish") == "done" and previous.get("report_code") == code_version
            and previous.get("report") and Path(previous["report"]).resolve() == index.resolve()
            and index.exists()
            and previous.get("curation", 0) == curation.decision_count(con)):
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
    refused = [slot for slot in plan.slots if isinstance(slot, Reject)]
    rejects = [reject.message() for reject in plan.rejects + refused]  # ingest's order
    if (not previous or plan.verify_all or plan.to_read or store.interrupted_runs(con)
            or store.runs_killed_while_publishing(con)
            or rejects != previous.get("rejects", [])
            or has_pending_documents(con)
            or not translations_stand(previous, [], models_fingerprint())
            or reconcile_needed(con)):
        return None
    report = None
    if publish:
        stands = published_report(con, "", out_dir, reports_code_version(sources_dir))
        if stands is None:
            return None
        report = stands["report"]
    return {"previous_run": previous.get("run_id"), "status": previous.get("status"),
            "previous_finished": reads.run_finished_at(con, previous.get("run_id")),
            "documents_seen": len(plan.entries) - len(refused), "documents_new": [],
            "documents_unchanged": len(plan.entries) - len(refused), "observations_new": 0,
            "rejects": rejects, "untranslated_pairs": list(previous.get("untranslated_pairs", [])),
            "report": report, "corpus": corpus_totals(con),
            "skipped": ["ingest", "extract", "translate", "reconcile"] + (["publish"] if publish
                                                                           else [])}
