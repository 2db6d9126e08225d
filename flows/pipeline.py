"""The `pipeline` flow: ingest -> extract -> translate -> reconcile -> publish.

The stages are Prefect flows themselves (flows/stages.py); this module runs them in
order, skips a stage with nothing to do (the checks are in flows/plan.py), keeps the
run's summary in the warehouse's `runs` table and leaves artifacts for the Prefect UI.

From `pipeline()` to the extractor are four calls: `pipeline` calls the stage flow
`stages.extract` (`_stage` only picks the subflow, or its `.fn` without Prefect), which
hands its batches to `stages.each`, which submits the task `stages.analyse_documents`,
which calls `extract.analysis.analyse` for each document.

The pipeline opens the warehouse once (DuckDB allows one writer) and every stage, run in
this process, uses that connection (`stages.using_warehouse`); only paths, ids and
counts are flow parameters. `run_without_prefect` runs the same function, `pipeline.fn`,
with no Prefect at all: each stage as its plain function, its batches in turn.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import duckdb
from prefect import Flow, flow
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from extract import analysis
from flows import faults, plan, settings, stages
from flows.plan import TaskRunnerKind
from reports.markup import counted
from reports.snapshot import corpus_totals
from warehouse import curation, db, reads, store

__all__ = ["PublishFailed", "RunSummary", "TaskRunnerKind", "code_version", "pipeline",
           "run_without_prefect"]

P = ParamSpec("P")
R = TypeVar("R")


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
    # "started" while publishing (readers ignore the run until it is "done"); "failed" when
    # publishing raised, "interrupted" when the run was stopped while publishing (SIGTERM,
    # Ctrl-C) or killed there (set by the next run): the figures stay stored and visible,
    # and the next run publishes
    publish: str | None = None
    publish_error: str | None = None  # why publishing failed: names the out folder
    report_code: str | None = None  # reports code version the report was rendered with
    sources_changed: int = 0
    models: str | None = None  # fingerprint of the installed translation packages
    curation: int = 0  # analyst decisions (polystat metrics) the published report shows
    skipped: list[str] = field(default_factory=list)  # stages with nothing to do
    corpus: dict[str, int] = field(default_factory=dict)  # the Overview's numbers after the run
    stage_seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class PublishFailed(RuntimeError):
    """The run stored its figures but could not publish the reports. Raised by the pipeline
    flow after everything is committed, so that Prefect marks the flow run failed; carries
    the run's summary for the command line."""

    def __init__(self, summary: dict[str, Any]) -> None:
        super().__init__(f"published: failed ({summary.get('publish_error')})")
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:  # Prefect may pickle a flow's exception
        return (PublishFailed, (self.summary,))


# --------------------------------------------------------------------------- task runners


@contextmanager
def task_runner_for(kind: TaskRunnerKind | str, workers: int) -> Iterator[TaskRunner[Any]]:
    """The engine that runs the analysis tasks. Dask: one local cluster for the run."""
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


@contextmanager
def _without_heartbeats() -> Iterator[None]:
    """Stage subflows run inside the parent flow's process, whose heartbeats already tell the
    server it is alive; their own heartbeat thread only costs up to 1 s at each flow's end."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@contextmanager
def _analysis_runner(task_runner: str, workers: int) -> Iterator[TaskRunner[Any] | None]:
    """The task runner of the extract stage under Prefect; None without Prefect."""
    if not stages.under_prefect():
        yield None
        return
    with task_runner_for(task_runner, workers) as runner, _without_heartbeats():
        yield runner


def _stage(stage: Flow[P, R], runner: TaskRunner[Any] | None = None) -> Callable[P, R]:
    """Under Prefect, the stage as a subflow (its tasks on `runner`, if given); without
    Prefect, its plain function."""
    if not stages.under_prefect():
        return stage.fn
    return stage if runner is None else stage.with_options(task_runner=runner)


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
    """Ingest -> extract -> translate -> reconcile -> publish, for one sources folder;
    a stage with nothing to do is skipped (no subflow, no work). Raises PublishFailed when
    only publishing failed: everything else is committed, and the next run publishes."""
    run_id, flow_run_id = _run_ids()
    summary = RunSummary(run_id, task_runner=task_runner if flow_run_id else "none")
    parameters: dict[str, Any] = {"sources": sources_dir, "warehouse": warehouse,
                                  "out": out_dir, "task_runner": summary.task_runner}
    if flow_run_id:  # workers mean something to a task runner only
        parameters["workers"] = workers
    with _open_warehouse(Path(warehouse)) as con:
        with _recorded(con, summary, flow_run_id, parameters), \
                _analysis_runner(task_runner, workers) as runner:
            with _timed(summary, "ingest"):
                ingested = _stage(stages.ingest)(sources_dir, run_id, workers)
            _note_ingest(summary, ingested)
            if plan.has_pending_documents(con):
                with _timed(summary, "extract"):
                    _note_extract(summary, _stage(stages.extract, runner)(run_id, workers))
            else:
                _skip(summary, "extract", "nothing new to mine")
            _translate(con, summary)
            changed = _reconcile(con, summary, bool(ingested["new"] or ingested["current_changed"]))
            summary.corpus = corpus_totals(con)
            summary.conflicts = summary.corpus["conflicts"]  # (the view, counted once a run)
            summary.status = "partial" if summary.rejects else "completed"
            store.finish_run(con, run_id, summary.status, summary.as_dict())
            if publish:
                _publish(con, summary, sources_dir, out_dir, changed)
        if flow_run_id:
            _artifacts(con, summary)
    if summary.publish == "failed":
        raise PublishFailed(summary.as_dict())
    return summary.as_dict()


def run_without_prefect(sources_dir: str, warehouse: str, out_dir: str, publish: bool = True
                        ) -> dict[str, Any]:
    """The same run in plain Python, serially: what the benchmarks compare Prefect with."""
    return pipeline.fn(sources_dir, warehouse, out_dir, publish)


def _run_ids() -> tuple[str, str | None]:
    """(run id, flow run id): under Prefect a run is named by its flow run; without, it
    gets a local id."""
    from prefect.runtime import flow_run

    if stages.under_prefect() and flow_run.id:
        return str(flow_run.id), str(flow_run.id)
    return f"local-{hashlib.sha256(str(store.now()).encode()).hexdigest()[:12]}", None


@contextmanager
def _open_warehouse(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The run's one connection, for every stage (`stages.using_warehouse`). At the end the
    run's data is written from DuckDB's log into the file, or the run fails saying why."""
    con = db.connect(path, wait_seconds=float(settings.get("lock_wait")),
                     memory_limit=settings.get("db_memory"))
    try:
        with stages.using_warehouse(con):
            yield con
        faults.disk_full_point("checkpoint", path)
        db.checkpoint(con, path)  # a full disk is an error here, not a silent close
    finally:
        con.close()


@contextmanager
def _recorded(con: duckdb.DuckDBPyConnection, summary: RunSummary, flow_run_id: str | None,
              parameters: dict[str, Any]) -> Iterator[None]:
    """The run's row in the runs table: started (runs that never finished are cleaned up
    first, runs killed while publishing kept for this run to publish); failed, with the
    error, if anything inside raises."""
    interrupted = store.clean_up_interrupted_runs(con)
    if interrupted:
        stages.plain_logger().warning("marked %s as failed",
                                      counted(len(interrupted), "interrupted run"))
    killed_publishing = store.keep_runs_killed_while_publishing(con)
    if killed_publishing:
        stages.plain_logger().warning(
            "kept the figures of %s killed while publishing (%s); this run publishes them",
            counted(len(killed_publishing), "run"), ", ".join(killed_publishing))
    store.start_run(con, summary.run_id, "pipeline", flow_run_id, code_version(),
                    {**parameters, "extractor": analysis.extractor_version()})
    store.include_run_in_views(con, summary.run_id)
    try:
        yield
    except BaseException as exc:
        if summary.publish == "started":  # stopped while publishing: the data had committed
            _publish_stopped(con, summary, exc)
        else:
            store.finish_run(con, summary.run_id, "failed",
                             {"error": f"{type(exc).__name__}: {exc}"})
        raise


def _note_ingest(summary: RunSummary, ingested: dict[str, Any]) -> None:
    summary.documents_seen = ingested["seen"]
    summary.documents_unchanged = ingested["unchanged"]
    summary.rejects = ingested["rejects"]
    summary.warnings = ingested["warnings"]
    summary.sources_changed = ingested.get("sources_changed", 0)


def _note_extract(summary: RunSummary, extracted: dict[str, Any]) -> None:
    summary.documents_new = extracted["documents"]
    summary.observations_new = extracted["observations"]


def _translate(con: duckdb.DuckDBPyConnection, summary: RunSummary) -> None:
    """Translate, unless the glosses stand (`plan.translations_stand`)."""
    summary.models = plan.models_fingerprint()
    previous = plan.previous_summary(con, summary.run_id)
    if plan.translations_stand(previous, summary.documents_new, summary.models):
        summary.untranslated_pairs = list(previous.get("untranslated_pairs", []))
        _skip(summary, "translate", "no new segments, same models")
        return
    with _timed(summary, "translate"):
        translated = _stage(stages.translate)(summary.run_id)
    summary.translated_segments = translated["translated"]
    summary.untranslated_pairs = translated["missing"]


def _reconcile(con: duckdb.DuckDBPyConnection, summary: RunSummary, documents_changed: bool
               ) -> bool:
    """Reconcile, unless nothing changed and the metrics stand. Returns whether the data
    changed (a report from before no longer shows it)."""
    changed = bool(documents_changed or summary.sources_changed or summary.documents_new
                   or summary.translated_segments)
    if changed or plan.reconcile_needed(con):
        with _timed(summary, "reconcile"):
            counts = _stage(stages.reconcile)(summary.run_id)
    else:
        counts = plan.current_counts(con)
        _skip(summary, "reconcile", f"nothing changed: {counted(counts['metrics'], 'metric')}, "
                                    f"{counted(counts['conflicts'], 'conflict')}")
    if "linked_new" in counts:
        summary.reconciled = (f"rebuilt: {counts['rebuilt_because']}"
                              if "rebuilt_because" in counts else "extended")
    summary.metrics = counts.get("metrics", 0)
    return changed


def _publish(con: duckdb.DuckDBPyConnection, summary: RunSummary, sources_dir: str,
             out_dir: str, changed: bool) -> None:
    summary.report_code = plan.reports_code_version(sources_dir)
    summary.curation = curation.decision_count(con)
    previous = None if changed else plan.published_report(
        con, summary.run_id, out_dir, summary.report_code)
    if previous is not None and ((previous.get("rejects"), previous.get("warnings"))
                                 != (summary.rejects, summary.warnings)):
        previous = None  # the Overview lists them: another list needs another page
    if previous is not None:
        summary.renderer, summary.report = previous.get("renderer"), previous["report"]
        _skip(summary, "publish", f"nothing changed: {summary.report} stands")
    else:
        summary.publish = "started"
        store.finish_run(con, summary.run_id, summary.status, summary.as_dict())
        try:
            with _timed(summary, "publish"):
                published = _stage(stages.publish)(out_dir, sources_dir)
        except Exception as exc:  # whatever it was, the figures are committed
            _publish_failed(con, summary, exc)
            return
        summary.renderer = published["renderer"]
        summary.report = published["index"]
    summary.publish = "done"
    store.finish_run(con, summary.run_id, summary.status, summary.as_dict())


def _publish_failed(con: duckdb.DuckDBPyConnection, summary: RunSummary,
                    exc: Exception) -> None:
    """Keep the run's figures (a report is rendered from them at any time; throwing them
    away would make every later run mine them again and fail the same way): the run is
    finished, with "publish": "failed" and the reason, and the next run publishes."""
    from reports.publish import PublishError

    reason = str(exc) if isinstance(exc, PublishError) else f"{type(exc).__name__}: {exc}"
    if not isinstance(exc, (PublishError, OSError)):  # a bug, not the folder: keep the trace
        stages.plain_logger().error("publishing failed", exc_info=exc)
    summary.publish, summary.publish_error = "failed", reason
    store.finish_run(con, summary.run_id, summary.status, summary.as_dict())
    stages.say("publish", f"failed: {reason}")


def _publish_stopped(con: duckdb.DuckDBPyConnection, summary: RunSummary,
                     exc: BaseException) -> None:
    """Ctrl-C or SIGTERM (Prefect's TerminationSignal) while publishing: as after a kill
    there (`store.keep_runs_killed_while_publishing`), the committed figures stay, the run
    is finished with "publish": "interrupted", and the next run publishes them."""
    summary.publish = "interrupted"
    summary.publish_error = f"the run was stopped while publishing ({type(exc).__name__})"
    store.finish_run(con, summary.run_id, summary.status, summary.as_dict())


@contextmanager
def _timed(summary: RunSummary, stage: str) -> Iterator[None]:
    """Keep one stage's wall time in the run's summary (runs table, benchmarks)."""
    started = time.perf_counter()
    try:
        yield
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
    if summary.publish == "failed":
        lines += [f"- report: **not published** ({summary.publish_error})"]
    return "\n".join(lines)
