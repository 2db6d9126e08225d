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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

import duckdb
from prefect import Task, flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.context import TaskRunContext
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from flows import analysis, settings, stages
from flows.ingest import RawDocument, Reject, SourceEntry
from flows.stages import PendingDocument, sha256_text
from warehouse import db, store

__all__ = ["RunSummary", "TaskRunnerKind", "code_version", "pipeline", "run_without_prefect",
           "sha256_text"]

_CONNECTIONS: dict[str, duckdb.DuckDBPyConnection] = {}


class TaskRunnerKind(StrEnum):
    threads = "threads"
    processes = "processes"
    dask = "dask"


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
    task_runner: str = TaskRunnerKind.threads.value
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
    publish: str | None = None  # "started" while publishing; readers ignore the run until "done"

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


# --------------------------------------------------------------------------- tasks


@task(name="read-documents", retries=2, retry_delay_seconds=1, cache_policy=NONE)
def read_documents_task(entries: list[SourceEntry]) -> list[RawDocument | Reject]:
    return stages.read_documents(entries)


def analysis_cache_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Everything the analysis of a batch depends on: bytes (doc sha256), metadata, versions."""
    docs: list[PendingDocument] = parameters["docs"]
    key = hashlib.sha256(f"{analysis.extractor_version()}|{settings.get('languages')}".encode())
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
def reconcile_flow(warehouse: str, run_id: str) -> dict[str, int]:
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
            with task_runner_for(task_runner, workers) as runner:
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
        stages.plain_logger().warning("marked %d interrupted run(s) as failed", len(interrupted))
    store.start_run(con, run_id, "pipeline", flow_run_id, code_version(),
                    {**parameters, "extractor": analysis.extractor_version()})
    con.execute("SET VARIABLE polystat_run = ?", [run_id])


class _PrefectStages:
    """Each stage as a Prefect subflow whose tasks run on `runner`."""

    def __init__(self, sources_dir: str, warehouse: str, out_dir: str,
                 runner: TaskRunner[Any], workers: int) -> None:
        self.sources_dir, self.warehouse, self.out_dir = sources_dir, warehouse, out_dir
        self.runner, self.workers = runner, workers

    def ingest(self, run_id: str) -> dict[str, Any]:
        return ingest_flow.with_options(task_runner=self.runner)(
            self.sources_dir, self.warehouse, run_id, self.workers)

    def extract(self, run_id: str) -> dict[str, Any]:
        return extract_flow.with_options(task_runner=self.runner)(
            self.warehouse, run_id, self.workers)

    def translate(self, run_id: str) -> dict[str, Any]:
        return translate_flow(self.warehouse, run_id)

    def reconcile(self, run_id: str) -> dict[str, int]:
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

    def reconcile(self, run_id: str) -> dict[str, int]:
        return stages.reconcile(self.con, run_id)

    def publish(self) -> dict[str, str | None]:
        return stages.publish(self.con, self.out_dir)


def _run_stages(con: duckdb.DuckDBPyConnection, summary: RunSummary,
                run: _PrefectStages | _PlainStages, publish: bool) -> RunSummary:
    run_id = summary.run_id
    ingested = run.ingest(run_id)
    summary.documents_seen = ingested["seen"]
    summary.documents_unchanged = ingested["unchanged"]
    summary.rejects = ingested["rejects"]
    extracted = run.extract(run_id)
    summary.documents_new = extracted["documents"]
    summary.observations_new = extracted["observations"]
    translated = run.translate(run_id)
    summary.translated_segments = translated["translated"]
    summary.untranslated_pairs = translated["missing"]
    counts = run.reconcile(run_id)
    summary.metrics = counts.get("metrics", 0)
    summary.conflicts = counts.get("conflicts", 0)
    summary.status = "partial" if summary.rejects else "completed"
    store.finish_run(con, run_id, summary.status, summary.as_dict())
    if publish:
        summary.publish = "started"
        store.finish_run(con, run_id, summary.status, summary.as_dict())
        published = run.publish()
        summary.renderer = published["renderer"]
        summary.report = published["index"]
        summary.publish = "done"
        store.finish_run(con, run_id, summary.status, summary.as_dict())
    return summary


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
    rows = con.execute(
        "SELECT d.source_id AS source, o.surface, o.value, o.unit, o.qualifier, o.population,"
        " o.year FROM observations o JOIN documents d USING (doc_id) WHERE o.run_id = ?"
        " ORDER BY d.source_id, o.start LIMIT ?", [summary.run_id, TABLE_ROW_LIMIT]).fetchall()
    columns = ["source", "surface", "value", "unit", "qualifier", "population", "year"]
    shown = "" if summary.observations_new <= TABLE_ROW_LIMIT else (
        f" (first {TABLE_ROW_LIMIT} of {summary.observations_new}; "
        "`polystat export statistics` has all)")
    create_table_artifact([dict(zip(columns, row, strict=True)) for row in rows],
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
    return "\n".join(lines)
