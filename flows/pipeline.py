"""The Prefect flows: one flow per stage and the parent `pipeline` flow.

Stages talk to the warehouse through one connection that the parent flow
opens (DuckDB allows one writer); stage flows receive only its path and the
run id, so nothing unpicklable becomes a parameter or a cache key. The work
of each stage lives in flows/stages.py; here it is wrapped in flows, and its
per-batch functions in tasks (per document, or per batch of documents on
large runs; never per sentence) that a thread pool, a process pool or a Dask
cluster runs.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import TaskRunContext
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from extract import analysis
from flows import settings, stages
from flows.ingest import RawDocument, Reject, SourceEntry
from flows.stages import PendingDocument, TaskRunnerKind, sha256_text
from reports.markup import counted
from warehouse import db, reads, store

__all__ = ["RunSummary", "TaskRunnerKind", "code_version", "pipeline", "run_without_prefect",
           "sha256_text"]

_CONNECTIONS: dict[str, duckdb.DuckDBPyConnection] = {}


@contextmanager
def open_warehouse(path: Path, wait_seconds: float) -> Iterator[duckdb.DuckDBPyConnection]:
    key = str(path.resolve())
    con = db.connect(path, wait_seconds=wait_seconds, memory_limit=settings.get("db_memory"))
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
    task_runner: str = TaskRunnerKind.threads.value
    documents_seen: int = 0
    documents_new: list[str] = field(default_factory=list)
    documents_unchanged: int = 0
    observations_new: int = 0
    rejects: list[str] = field(default_factory=list)  # refused files: the run is partial
    warnings: list[str] = field(default_factory=list)  # duplicates: stored once, run completes
    untranslated_pairs: list[str] = field(default_factory=list)
    translated_segments: int = 0
    metrics: int = 0
    conflicts: int = 0
    reconciled: str | None = None  # "extended" (new figures linked in) or "rebuilt: <why>"
    renderer: str | None = None
    report: str | None = None
    publish: str | None = None  # "started" while publishing; readers ignore the run until "done"
    report_code: str | None = None  # reports code version the report was rendered with
    sources_changed: int = 0
    models: str | None = None  # fingerprint of the installed translation packages
    skipped: list[str] = field(default_factory=list)  # stages with nothing to do
    corpus: dict[str, int] = field(default_factory=dict)  # the Overview's numbers after the run
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --------------------------------------------------------------------------- tasks


@task(name="read-documents", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def read_documents_task(entries: list[SourceEntry]) -> list[RawDocument | Reject]:
    return stages.read_documents(entries)


def analysis_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Everything the analysis of a batch depends on: bytes (doc sha256), metadata, versions,
    and where the result's class lives (results are pickled by its module path: results
    stored before a move could not be read back)."""
    docs: list[PendingDocument] = parameters["docs"]
    result_class = f"{analysis.DocumentAnalysis.__module__}.{analysis.DocumentAnalysis.__name__}"
    key = hashlib.sha256(f"{analysis.extractor_version()}|{settings.get('languages')}"
                         f"|{result_class}".encode())
    for doc in docs:
        key.update(f"|{doc.doc_id}:{doc.declared_language}:{doc.survey_year}".encode())
    return f"polystat-analysis-{key.hexdigest()}"


# The analysis is cached by content: a run that was interrupted after mining some
# documents (its rows are rolled back) or a rebuilt warehouse finds them in
# $PREFECT_HOME/storage instead of mining them again.
@task(name="analyse-documents", cache_key_fn=analysis_cache_key, persist_result=True,
      cache_expiration=timedelta(days=90))
def analyse_documents_task(docs: list[PendingDocument]) -> list[analysis.DocumentAnalysis]:
    return stages.analyse_documents(docs)


_TASKS: dict[Callable[..., Any], Task[Any, Any]] = {
    stages.read_documents: read_documents_task,
    stages.analyse_documents: analyse_documents_task,
}


def submit_each(function: Callable[[Any], Any], batches: Sequence[Any]) -> Iterator[Any]:
    """`each` for stage functions: submit one task per batch, yield results in order."""
    futures: list[Any] = [_TASKS[function].submit(batch) for batch in batches]
    for index, future in enumerate(futures):
        yield future.result()
        futures[index] = None  # let a batch's results go once they are written


# --------------------------------------------------------------------------- stage flows


@flow(name="ingest")
def ingest_flow(sources_dir: str, warehouse: str, run_id: str, workers: int = 2
                ) -> dict[str, Any]:
    """Manifest + files -> stored sources and new document versions."""
    return stages.ingest(_warehouse(warehouse), sources_dir, run_id, submit_each,
                         get_run_logger(), workers)


@flow(name="extract")
def extract_flow(warehouse: str, run_id: str, workers: int = 2) -> dict[str, Any]:
    """Language, segments and statistics of every pending document, from the original text."""
    return stages.extract(_warehouse(warehouse), run_id, submit_each, get_run_logger(), workers)


@flow(name="translate")
def translate_flow(warehouse: str, run_id: str) -> dict[str, Any]:
    """English glosses of non-English segments, cached; numbers never come from them."""
    return stages.translate(_warehouse(warehouse), run_id, get_run_logger())


@flow(name="reconcile")
def reconcile_flow(warehouse: str, run_id: str) -> dict[str, Any]:
    """Group observations into metrics; series and conflicts follow as views."""
    return stages.reconcile(_warehouse(warehouse), run_id)


@flow(name="publish")
def publish_flow(warehouse: str, out_dir: str) -> dict[str, str | None]:
    """Data snapshot -> Quarto pages -> HTML and PDF."""
    return stages.publish(_warehouse(warehouse), out_dir)


# --------------------------------------------------------------------------- task runners


@contextmanager
def task_runner_for(kind: TaskRunnerKind | str, workers: int) -> Iterator[TaskRunner[Any]]:
    """The engine that runs the tasks. Dask: one local cluster shared by every stage."""
    kind = TaskRunnerKind(kind)
    if kind is TaskRunnerKind.threads:
        yield ThreadPoolTaskRunner(max_workers=max(1, workers))
    elif kind is TaskRunnerKind.processes:
        yield ProcessPoolTaskRunner(max_workers=max(1, workers))
    else:
        yield from _dask_runner(workers)


def _dask_runner(workers: int) -> Iterator[TaskRunner[Any]]:
    try:
        from distributed import LocalCluster
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise RuntimeError("--task-runner dask needs the optional extra: "
                           "pip install 'polystat[dask]'") from exc
    with LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        yield DaskTaskRunner(address=cluster.scheduler_address)


# --------------------------------------------------------------------------- pipeline


def code_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("polystat")
    except PackageNotFoundError:
        return "unknown"


@flow(name="pipeline")
def pipeline(sources_dir: str, warehouse: str, out_dir: str, publish: bool = True,
             task_runner: str = TaskRunnerKind.threads.value, workers: int = 2
             ) -> dict[str, Any]:
    """Ingest -> extract -> translate -> reconcile -> publish, for one sources folder."""
    from prefect.runtime import flow_run

    flow_run_id = str(flow_run.id) if flow_run.id else None
    run_id = flow_run_id or _local_run_id()
    with open_warehouse(Path(warehouse), float(settings.get("lock_wait"))) as con:
        _begin(con, run_id, flow_run_id, {"sources": sources_dir, "warehouse": warehouse,
                                          "out": out_dir, "task_runner": task_runner,
                                          "workers": workers})
        try:
            with task_runner_for(task_runner, workers) as runner, _without_heartbeats():
                summary = _run_stages(con, RunSummary(run_id, task_runner=task_runner),
                                      _PrefectStages(sources_dir, warehouse, out_dir, runner,
                                                     workers), publish)
        except BaseException as exc:
            store.finish_run(con, run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
            raise
        _artifacts(con, summary)
    return summary.as_dict()


def run_without_prefect(sources_dir: str, warehouse: str, out_dir: str, publish: bool = True
                        ) -> dict[str, Any]:
    """The same stages in plain Python, serially: what the benchmarks compare Prefect with."""
    run_id = _local_run_id()
    with open_warehouse(Path(warehouse), float(settings.get("lock_wait"))) as con:
        _begin(con, run_id, None, {"sources": sources_dir, "warehouse": warehouse,
                                   "out": out_dir, "task_runner": "none"})
        try:
            summary = _run_stages(con, RunSummary(run_id, task_runner="none"),
                                  _PlainStages(con, sources_dir, out_dir), publish)
        except BaseException as exc:
            store.finish_run(con, run_id, "failed", {"error": f"{type(exc).__name__}: {exc}"})
            raise
    return summary.as_dict()


def _local_run_id() -> str:
    return f"local-{hashlib.sha256(str(store.now()).encode()).hexdigest()[:12]}"


def _begin(con: duckdb.DuckDBPyConnection, run_id: str, flow_run_id: str | None,
           parameters: dict[str, Any]) -> None:
    interrupted = store.clean_up_interrupted_runs(con)
    if interrupted:
        stages.plain_logger().warning("marked %s as failed",
                                      counted(len(interrupted), "interrupted run"))
    store.start_run(con, run_id, "pipeline", flow_run_id, code_version(),
                    {**parameters, "extractor": analysis.extractor_version()})
    store.include_run_in_views(con, run_id)


@contextmanager
def _without_heartbeats() -> Iterator[None]:
    """Stage subflows run inside the parent flow's process, whose heartbeats already tell the
    server it is alive; their own heartbeat thread only costs up to 1 s at each flow's end."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


class _PrefectStages:
    """Each stage as a Prefect subflow whose tasks run on `runner`."""

    def __init__(self, sources_dir: str, warehouse: str, out_dir: str,
                 runner: TaskRunner[Any], workers: int) -> None:
        self.sources_dir, self.warehouse, self.out_dir = sources_dir, warehouse, out_dir
        self.runner, self.workers = runner, workers

    def ingest(self, run_id: str) -> dict[str, Any]:
        # Reading files waits on the disk, not the CPU: threads in this process do it
        # whatever runs the analysis (a worker process would first import spaCy).
        readers: TaskRunner[Any] = ThreadPoolTaskRunner(max_workers=4)
        return ingest_flow.with_options(task_runner=readers)(
            self.sources_dir, self.warehouse, run_id, self.workers)

    def extract(self, run_id: str) -> dict[str, Any]:
        return extract_flow.with_options(task_runner=self.runner)(
            self.warehouse, run_id, self.workers)

    def translate(self, run_id: str) -> dict[str, Any]:
        return translate_flow(self.warehouse, run_id)

    def reconcile(self, run_id: str) -> dict[str, Any]:
        return reconcile_flow(self.warehouse, run_id)

    def publish(self) -> dict[str, str | None]:
        return publish_flow(self.warehouse, self.out_dir)


class _PlainStages:
    """Each stage as a plain function call, its batches run one after the other."""

    def __init__(self, con: duckdb.DuckDBPyConnection, sources_dir: str, out_dir: str) -> None:
        self.con, self.sources_dir, self.out_dir = con, sources_dir, out_dir
        self.log = stages.plain_logger()

    def ingest(self, run_id: str) -> dict[str, Any]:
        return stages.ingest(self.con, self.sources_dir, run_id, stages.run_serially, self.log)

    def extract(self, run_id: str) -> dict[str, Any]:
        return stages.extract(self.con, run_id, stages.run_serially, self.log)

    def translate(self, run_id: str) -> dict[str, Any]:
        return stages.translate(self.con, run_id, self.log)

    def reconcile(self, run_id: str) -> dict[str, Any]:
        return stages.reconcile(self.con, run_id)

    def publish(self) -> dict[str, str | None]:
        return stages.publish(self.con, self.out_dir)


def _run_stages(con: duckdb.DuckDBPyConnection, summary: RunSummary,
                run: _PrefectStages | _PlainStages, publish: bool) -> RunSummary:
    """Every stage; a stage with nothing to do is skipped (no subflow, no work)."""
    run_id = summary.run_id
    ingested = _timed(summary, "ingest", run.ingest, run_id)
    summary.documents_seen = ingested["seen"]
    summary.documents_unchanged = ingested["unchanged"]
    summary.rejects = ingested["rejects"]
    summary.warnings = ingested["warnings"]
    summary.sources_changed = ingested.get("sources_changed", 0)
    if stages.has_pending_documents(con):
        extracted = _timed(summary, "extract", run.extract, run_id)
        summary.documents_new = extracted["documents"]
        summary.observations_new = extracted["observations"]
    else:
        _skip(summary, "extract", "nothing new to mine")
    _translate(con, summary, run)
    changed = bool(ingested["new"] or ingested["current_changed"] or summary.sources_changed
                   or summary.documents_new or summary.translated_segments)
    if changed or stages.reconcile_needed(con):
        counts = _timed(summary, "reconcile", run.reconcile, run_id)
    else:
        counts = stages.current_counts(con)
        _skip(summary, "reconcile", f"nothing changed: {counted(counts['metrics'], 'metric')}, "
                                    f"{counted(counts['conflicts'], 'conflict')}")
        changed = False
    if "linked_new" in counts:
        summary.reconciled = (f"rebuilt: {counts['rebuilt_because']}"
                              if "rebuilt_because" in counts else "extended")
    summary.metrics = counts.get("metrics", 0)
    summary.conflicts = counts.get("conflicts", 0)
    summary.corpus = stages.corpus_totals(con)
    summary.status = "partial" if summary.rejects else "completed"
    store.finish_run(con, run_id, summary.status, summary.as_dict())
    if publish:
        _publish(con, summary, run, changed)
    return summary


def _translate(con: duckdb.DuckDBPyConnection, summary: RunSummary,
               run: _PrefectStages | _PlainStages) -> None:
    """Translate, unless the glosses stand (`stages.translations_stand`)."""
    summary.models = stages.models_fingerprint()
    previous = stages.previous_summary(con, summary.run_id)
    if stages.translations_stand(previous, summary.documents_new, summary.models):
        summary.untranslated_pairs = list(previous.get("untranslated_pairs", []))
        _skip(summary, "translate", "no new segments, same models")
        return
    translated = _timed(summary, "translate", run.translate, summary.run_id)
    summary.translated_segments = translated["translated"]
    summary.untranslated_pairs = translated["missing"]


def _publish(con: duckdb.DuckDBPyConnection, summary: RunSummary,
             run: _PrefectStages | _PlainStages, changed: bool) -> None:
    summary.report_code = stages.reports_code_version()
    previous = None if changed else stages.published_report(
        con, summary.run_id, run.out_dir, summary.report_code)
    if previous is not None and ((previous.get("rejects"), previous.get("warnings"))
                                 != (summary.rejects, summary.warnings)):
        previous = None  # the Overview lists them: another list needs another page
    if previous is not None:
        summary.renderer, summary.report = previous.get("renderer"), previous["report"]
        _skip(summary, "publish", f"nothing changed: {summary.report} stands")
    else:
        summary.publish = "started"
        store.finish_run(con, summary.run_id, summary.status, summary.as_dict())
        published = _timed(summary, "publish", run.publish)
        summary.renderer = published["renderer"]
        summary.report = published["index"]
    summary.publish = "done"
    store.finish_run(con, summary.run_id, summary.status, summary.as_dict())


def _timed(summary: RunSummary, stage: str, function: Callable[..., Any], *args: Any) -> Any:
    """Run one stage and keep its wall time in the run's summary (runs table, benchmarks)."""
    started = time.perf_counter()
    try:
        return function(*args)
    finally:
        summary.stage_seconds[stage] = round(time.perf_counter() - started, 3)


def _skip(summary: RunSummary, stage: str, why: str) -> None:
    summary.skipped.append(stage)
    stages.say(stage, f"skipped: {why}")


# --------------------------------------------------------------------------- artifacts

SUMMARY_KEY = "polystat-summary"
NEW_STATISTICS_KEY = "polystat-new-statistics"
REPORT_KEY = "polystat-report"
TABLE_ROW_LIMIT = 1000


def _artifacts(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """What this run did, for the Prefect UI: summary, new figures, link to the report."""
    from prefect.artifacts import (
        create_link_artifact,
        create_markdown_artifact,
        create_table_artifact,
    )

    create_markdown_artifact(_summary_markdown(summary), key=SUMMARY_KEY,
                             description="What this polystat run did")
    rows = reads.observations_of_run(con, summary.run_id, TABLE_ROW_LIMIT)
    shown = "" if summary.observations_new <= TABLE_ROW_LIMIT else (
        f" (first {TABLE_ROW_LIMIT} of {summary.observations_new}; "
        "`polystat export statistics` has all)")
    create_table_artifact(rows,
                          key=NEW_STATISTICS_KEY, description="Figures new in this run" + shown)
    if summary.report:
        create_link_artifact(Path(summary.report).resolve().as_uri(), link_text="polystat report",
                             key=REPORT_KEY, description="The published report")


def _summary_markdown(summary: RunSummary) -> str:
    lines = [f"# polystat run {summary.run_id}", "",
             f"- status: **{summary.status}**",
             f"- documents: {summary.documents_seen} seen, {len(summary.documents_new)} mined, "
             f"{summary.documents_unchanged} unchanged",
             f"- new figures: {summary.observations_new}",
             f"- metrics: {summary.metrics}, conflicts: {summary.conflicts}",
             f"- untranslated pairs: {', '.join(summary.untranslated_pairs) or 'none'}",
             f"- rejected: {len(summary.rejects)}"]
    lines += [f"  - {reject}" for reject in summary.rejects]
    lines += [f"- duplicates: {len(summary.warnings)}"]
    lines += [f"  - {warning}" for warning in summary.warnings]
    return "\n".join(lines)
