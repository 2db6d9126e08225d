"""The `polystat` command line."""

from __future__ import annotations

import csv
import json
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from flows import settings, terminal
from reports.markup import counted, translation_coverage

# Prefect reads its settings at import: quiet, offline and patient on slow machines.
# DO_NOT_TRACK stops the client's own telemetry (and its first-run notice on terminals).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

app = typer.Typer(help="Mine statistics from multilingual survey reports and publish trends.",
                  no_args_is_help=True, add_completion=False)
export_app = typer.Typer(help="Write warehouse contents as JSONL or CSV.", no_args_is_help=True)
app.add_typer(export_app, name="export")

WarehouseOption = Annotated[Path, typer.Option(
    "--warehouse", envvar="POLYSTAT_WAREHOUSE", help="DuckDB warehouse file.",
    default_factory=lambda: Path(settings.get("warehouse")))]


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _fail(message: str, code: int = 1) -> typer.Exit:
    terminal.error(message)
    return typer.Exit(code)


def _open_read(path: Path) -> Any:
    from warehouse import db

    try:
        return db.connect(path, wait_seconds=float(settings.get("lock_wait")),
                          memory_limit=settings.get("db_memory"))
    except (db.WarehouseLocked, db.WarehouseError) as exc:
        raise _fail(str(exc)) from None


@app.command()
def run(
    sources: Annotated[Path, typer.Option(help="Folder of documents + manifest.toml.",
                                          default_factory=lambda: Path(settings.get("sources")))],
    warehouse: WarehouseOption,
    out: Annotated[Path, typer.Option(help="Folder for the HTML pages and the PDF report.",
                                      default_factory=lambda: Path(settings.get("out")))],
    publish: Annotated[bool, typer.Option(help="Render the reports at the end.")] = True,
    task_runner: Annotated[str, typer.Option(
        help="What runs the per-document tasks: threads, processes, or dask (a local Dask "
             "cluster; needs the `dask` extra).")] = "threads",
    workers: Annotated[int, typer.Option(help="Threads, processes or Dask workers.",
                                         min=1)] = 2,
    force: Annotated[bool, typer.Option(
        "--force", help="Run the pipeline (and record a run) even when nothing changed.")
    ] = False,
) -> None:
    """Process a sources folder into the warehouse and publish the reports.

    When nothing changed since the last finished run (same files, same manifest, same
    models, the report still in place), says so in about a second without starting
    Prefect and records nothing; --force runs the pipeline anyway.

    Exit code 0: every document processed; 2: some documents rejected (the rest
    stored); 1: the run could not proceed.
    """
    from flows.ingest import SourcesError
    from warehouse.db import WarehouseError, WarehouseLocked

    terminal.line(f"polystat run: sources {sources}, warehouse {warehouse}")
    try:
        runner_kind = _task_runner(task_runner)
        summary = _preflight(sources, warehouse, out, publish, force)
        if summary is not None:
            _print_nothing_new(summary)
        else:
            summary = _run_pipeline(sources, warehouse, out, publish, runner_kind, workers)
            _print_summary(summary)
    except (SourcesError, WarehouseLocked, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    if summary["status"] == "partial":
        raise typer.Exit(2)


def _run_pipeline(sources: Path, warehouse: Path, out: Path, publish: bool, task_runner: str,
                  workers: int) -> dict[str, Any]:
    # Prefect's INFO lines (the temporary server starting and stopping) stay off the
    # terminal; its warnings still show. Read when Prefect is imported, so set first.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from prefect.settings import PREFECT_API_URL

    from flows.pipeline import pipeline

    if not PREFECT_API_URL.value():
        terminal.line("starting Prefect's temporary local server (10-20 s; set PREFECT_API_URL "
                      "to use a running `prefect server start`)")

    with _run_logs_to_prefect_only():
        return pipeline(str(sources), str(warehouse), str(out), publish,
                        task_runner=task_runner, workers=workers)


@contextmanager
def _run_logs_to_prefect_only() -> Iterator[None]:
    """Flow- and task-run logs ("Flow run 'orchid-stingray' - Finished in state
    Completed()", the stages' warnings) go to the Prefect API and UI only: on the terminal
    polystat's own lines say the same, and the summary stays the last, clean block."""
    loggers = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    before = [logger.propagate for logger in loggers]
    for logger in loggers:
        logger.propagate = False
    try:
        yield
    finally:
        for logger, propagate in zip(loggers, before, strict=True):
            logger.propagate = propagate


def _task_runner(name: str) -> str:
    from flows.stages import TaskRunnerKind

    if name not in TaskRunnerKind.__members__:
        raise _fail(f"--task-runner {name!r}: choose one of {', '.join(TaskRunnerKind)}", 2)
    return name


def _preflight(sources: Path, warehouse: Path, out: Path, publish: bool, force: bool
               ) -> dict[str, Any] | None:
    """Before Prefect starts (and logs a traceback), fail fast on what stops a whole run:
    sources that cannot be used, a warehouse another process holds. Unless forced, return
    what to print instead of running when nothing changed (`stages.nothing_new`)."""
    from flows import stages
    from flows.ingest import load_manifest
    from warehouse import db

    check = not force and warehouse.exists()  # a new warehouse has nothing to stand
    if not check:
        load_manifest(sources)  # a bad manifest creates no warehouse
    con = db.connect(warehouse, wait_seconds=float(settings.get("lock_wait")),
                     memory_limit=settings.get("db_memory"))
    try:
        return stages.nothing_new(con, str(sources), str(out), publish) if check else None
    finally:
        con.close()


def _print_nothing_new(summary: dict[str, Any]) -> None:
    terminal.line(f"nothing new since run {summary['previous_run']} (finished "
                  f"{summary['previous_finished']}): "
                  f"{counted(summary['documents_unchanged'], 'document')} unchanged, nothing to "
                  "mine, translate or reconcile; Prefect not started, no run recorded "
                  "(--force runs the pipeline anyway)")
    _print_summary(summary, this_run=False)


def _print_summary(summary: dict[str, Any], this_run: bool = True) -> None:
    """The last block of a run's output: what this run did, what it refused, the corpus as
    the Overview states it, missing models, the report."""
    if this_run:
        terminal.line(
            f"this run: {counted(summary['documents_seen'], 'document')} seen, "
            f"{len(summary['documents_new']):,} mined, "
            f"{summary['documents_unchanged']:,} unchanged; "
            f"{counted(summary['observations_new'], 'new statistic')}")
    for reject in summary["rejects"]:
        terminal.labelled("rejected:", "red", reject)
    corpus = summary["corpus"]
    terminal.line(
        f"corpus: {counted(corpus['documents'], 'document')}, "
        f"{counted(corpus['observations'], 'statistic')}, "
        f"{counted(corpus['metrics'], 'metric')}, {counted(corpus['conflicts'], 'conflict')}; "
        + translation_coverage(corpus["translated_segments"], corpus["non_english_segments"]))
    pairs = summary["untranslated_pairs"]
    if pairs:
        terminal.labelled("not translated:", "yellow",
                          f"{', '.join(pairs)} (no model installed; numbers are read from the "
                          "original text anyway). Install: polystat models install --from-index "
                          + " ".join(pair.split("->")[0] for pair in pairs))
    if summary.get("report") and "publish" in summary["skipped"]:
        terminal.line(f"report: unchanged, {summary['report']} stands")
    elif summary.get("report"):
        terminal.line(f"report: {summary['report']} (rendered with {summary['renderer']})")


def _write_records(records: list[dict[str, Any]], fmt: Format, output: Path | None) -> None:
    stream = open(output, "w", encoding="utf-8", newline="") if output else sys.stdout  # noqa: SIM115
    try:
        if fmt is Format.jsonl:
            for record in records:
                stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        else:
            writer = csv.DictWriter(stream, fieldnames=list(records[0]) if records else [])
            writer.writeheader()
            for record in records:
                writer.writerow({k: _csv_safe(v) for k, v in record.items()})
    finally:
        if output:
            stream.close()


def _csv_safe(value: Any) -> Any:
    """Spreadsheets run cells that start with = + - @ as formulas; prefix them with a quote."""
    if isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


FormatOption = Annotated[Format, typer.Option("--format", help="jsonl or csv.")]
OutputOption = Annotated[Path | None, typer.Option("--output", "-o",
                                                   help="File to write; default standard output.")]

EXPORT_FIELDS = ("doc", "start", "end", "surface", "value", "unit", "qualifier", "population",
                 "year", "year_basis", "metric_id", "metric", "lang", "claim", "claim_en")


@export_app.command("statistics")
def export_statistics(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                      output: OutputOption = None) -> None:
    """One record per current observation (the evaluation export)."""
    from warehouse import reads

    con = _open_read(warehouse)
    records = reads.statistics(con)
    ordered = [{**{k: r[k] for k in EXPORT_FIELDS}, **{k: v for k, v in r.items()
                                                       if k not in EXPORT_FIELDS}} for r in records]
    _write_records(ordered, fmt, output)


@export_app.command("conflicts")
def export_conflicts(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                     output: OutputOption = None) -> None:
    """One record per conflict: metric, year, values and the observations behind each."""
    from warehouse import reads

    _write_records(reads.conflicts(_open_read(warehouse)), fmt, output)


@export_app.command("rejects")
def export_rejects(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                   output: OutputOption = None) -> None:
    """Every document a run refused, with the reason."""
    from warehouse import reads

    _write_records(reads.rejects(_open_read(warehouse)), fmt, output)


@app.command("eval")
def evaluate(
    gold: Annotated[Path, typer.Option(help="Gold folder (statistics.jsonl, ...).")],
    warehouse: WarehouseOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score the warehouse's figures against a gold folder."""
    from flows import evaluate as ev
    from warehouse import reads

    con = _open_read(warehouse)
    texts = {row[0]: row[1] for row in con.execute(
        "SELECT file_name, text FROM current_documents").fetchall()}
    try:
        scores = ev.score(gold, reads.statistics(con), texts)
        found, total = ev.conflict_recall(gold, reads.conflicts(con), texts)
    except ev.GoldError as exc:
        raise _fail(str(exc)) from None
    scores["conflicts_found"] = found
    scores["conflicts_gold"] = total
    if as_json:
        typer.echo(json.dumps(scores, indent=2, ensure_ascii=False))
        return
    for key, value in scores.items():
        if isinstance(value, list):
            if value:
                typer.echo(f"{key}: {', '.join(value[:20])}")
        elif isinstance(value, float):
            typer.echo(f"{key:<24} {value:.3f}")
        else:
            typer.echo(f"{key:<24} {value}")


@app.command()
def explain(ident: Annotated[str, typer.Argument(help="An observation id (obs-…) or metric id "
                                                      "(m-…).")],
            warehouse: WarehouseOption) -> None:
    """Full provenance of an observation or a metric."""
    from warehouse import reads

    found = reads.explain(_open_read(warehouse), ident)
    if found is None:
        raise _fail(f"no observation or metric with id {ident!r}; ids come from "
                    "`polystat export statistics` (obs_id, metric_id)")
    typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))


@app.command("settings")
def show_settings() -> None:
    """Every setting, its environment variable, current value and help."""
    for setting in settings.SETTINGS:
        typer.echo(f"{setting.name:<12} {setting.env:<22} {setting.value()!r}\n    {setting.help}")


def _mount_models() -> None:
    try:
        from flows.models import models_app
    except ImportError:  # translation support not installed
        return
    app.add_typer(models_app, name="models")


_mount_models()


@app.command()
def serve(timezone: Annotated[str | None, typer.Option(
        help="Timezone of the schedule (default POLYSTAT_TIMEZONE or UTC).")] = None) -> None:
    """Serve the monthly deployment (06:00 on the 1st) until interrupted.

    Needs a running Prefect server (`prefect server start`; set PREFECT_API_URL):
    an ephemeral server cannot schedule runs.
    """
    from flows.deploy import serve as serve_monthly

    terminal.line("serving deployment 'pipeline/monthly' (cron 0 6 1 * *); Ctrl-C stops it")
    serve_monthly(timezone)
