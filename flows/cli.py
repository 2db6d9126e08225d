"""The `polystat` command line."""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import closing
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from flows import settings

# Prefect reads its settings at import: quiet, offline and patient on slow machines.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

app = typer.Typer(help="Mine statistics from multilingual survey reports and publish trends.",
                  no_args_is_help=True, add_completion=False)
export_app = typer.Typer(help="Write warehouse contents as JSONL or CSV.", no_args_is_help=True)
app.add_typer(export_app, name="export")
console = Console(stderr=True)


def _shown_default(name: str) -> str:
    """A setting's value for --help (typer shows "(dynamic)" for a default_factory); the
    declared default when the current settings are invalid (the command then says why)."""
    try:
        return str(settings.get(name))
    except settings.SettingsError:
        return str(settings.Settings.model_fields[name].default)


WarehouseOption = Annotated[Path, typer.Option(
    "--warehouse", envvar="POLYSTAT_WAREHOUSE", help="DuckDB warehouse file.",
    default_factory=lambda: Path(settings.get("warehouse")),
    show_default=_shown_default("warehouse"))]


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


def _fail(message: str, code: int = 1) -> typer.Exit:
    # Messages quote paths and ids a user typed: escape them; each problem is one line.
    for line in message.splitlines():
        console.print(f"[bold red]error:[/] {escape(line)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@app.callback()
def _check_settings() -> None:
    """Every setting is checked before any command runs (and before Prefect is imported):
    a bad value is a one-line error naming the setting, exit 2."""
    try:
        settings.check()
    except settings.SettingsError as exc:
        raise _fail(str(exc), 2) from None


def _check_language_data() -> None:
    """The data of every configured language parses and has only known keys (a typo in
    POLYSTAT_LEXICON_DIR's files is an error here, not a failed task)."""
    from extract import lexicon

    try:
        for lang in settings.languages():
            lexicon.load(lang)
    except lexicon.LexiconError as exc:
        raise _fail(str(exc), 2) from None


def _open_read(path: Path) -> Any:
    """The warehouse for a read command: read-only, so it never creates, upgrades or waits for
    the file. Exit 2 when --warehouse names no warehouse; 1 when it is busy, damaged or
    outdated."""
    from warehouse import db

    try:
        return closing(db.connect(path, read_only=True, memory_limit=settings.get("db_memory")))
    except (db.WarehouseMissing, db.NotAWarehouse) as exc:
        raise _fail(str(exc), 2) from None
    except (db.WarehouseLocked, db.WarehouseError) as exc:
        raise _fail(str(exc)) from None


@app.command()
def run(
    sources: Annotated[Path, typer.Option(help="Folder of documents + manifest.toml.",
                                          default_factory=lambda: Path(settings.get("sources")),
                                          show_default=_shown_default("sources"))],
    warehouse: WarehouseOption,
    out: Annotated[Path, typer.Option(help="Folder for the HTML pages and the PDF report.",
                                      default_factory=lambda: Path(settings.get("out")),
                                      show_default=_shown_default("out"))],
    publish: Annotated[bool, typer.Option(help="Render the reports at the end.")] = True,
    task_runner: Annotated[str, typer.Option(
        help="What runs the per-document tasks: threads, processes, or dask (a local Dask "
             "cluster; needs the `dask` extra).")] = "threads",
    workers: Annotated[int, typer.Option(help="Threads, processes or Dask workers.",
                                         min=1)] = 2,
) -> None:
    """Process a sources folder into the warehouse and publish the reports.

    Exit code 0: every document processed (a duplicate of another source is a warning:
    its text is stored once); 2: some documents rejected (the rest stored); 1: the run
    could not proceed.
    """
    _check_language_data()
    from flows.ingest import SourcesError
    from flows.pipeline import pipeline
    from warehouse.db import WarehouseError, WarehouseLocked

    console.print(f"polystat run: sources {sources}, warehouse {warehouse}", highlight=False)
    try:
        _preflight(sources, warehouse)
        summary = pipeline(str(sources), str(warehouse), str(out), publish,
                           task_runner=_task_runner(task_runner), workers=workers)
    except (SourcesError, WarehouseLocked, WarehouseError) as exc:
        raise _fail(str(exc)) from None
    _print_summary(summary)
    if summary["status"] == "partial":
        raise typer.Exit(2)


def _task_runner(name: str) -> str:
    from flows.pipeline import TaskRunnerKind

    if name not in TaskRunnerKind.__members__:
        raise _fail(f"--task-runner {name!r}: choose one of {', '.join(TaskRunnerKind)}", 2)
    return name


def _preflight(sources: Path, warehouse: Path) -> None:
    """Fail fast on what stops a whole run, before Prefect starts (and logs a traceback):
    sources that cannot be used, a warehouse another process holds."""
    from flows.ingest import load_manifest
    from warehouse import db

    load_manifest(sources)
    db.connect(warehouse, wait_seconds=float(settings.get("lock_wait"))).close()


def _print_summary(summary: dict[str, Any]) -> None:
    console.print(
        f"documents: {summary['documents_seen']} seen, {len(summary['documents_new'])} mined, "
        f"{summary['documents_unchanged']} unchanged; new figures: {summary['observations_new']}; "
        f"metrics: {summary['metrics']}; conflicts: {summary['conflicts']}", highlight=False)
    for pair in summary["untranslated_pairs"]:
        console.print(f"[yellow]not translated:[/] {pair} (no model installed; numbers are read "
                      f"from the original text anyway). Install: polystat models install "
                      f"--from-index {pair.split('->')[0]}", highlight=False)
    for reject in summary["rejects"]:
        console.print(f"[red]rejected:[/] {escape(reject)}", highlight=False)
    for warning in summary.get("warnings", []):
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    if summary.get("report"):
        console.print(f"report: {summary['report']} (rendered with {summary['renderer']})",
                      highlight=False)


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

    with _open_read(warehouse) as con:
        records = reads.statistics(con)
    ordered = [{**{k: r[k] for k in EXPORT_FIELDS}, **{k: v for k, v in r.items()
                                                       if k not in EXPORT_FIELDS}} for r in records]
    _write_records(ordered, fmt, output)


@export_app.command("conflicts")
def export_conflicts(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                     output: OutputOption = None) -> None:
    """One record per conflict: metric, year, values and the observations behind each."""
    from warehouse import reads

    with _open_read(warehouse) as con:
        records = reads.conflicts(con)
    _write_records(records, fmt, output)


@export_app.command("rejects")
def export_rejects(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                   output: OutputOption = None) -> None:
    """Every document a run refused, with the reason."""
    from warehouse import reads

    with _open_read(warehouse) as con:
        records = reads.rejects(con)
    _write_records(records, fmt, output)


@app.command("eval")
def evaluate(
    gold: Annotated[Path, typer.Option(help="Gold folder (statistics.jsonl, ...).")],
    warehouse: WarehouseOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
) -> None:
    """Score the warehouse's figures against a gold folder.

    Exit 2 when the gold folder or its statistics.jsonl is missing or empty."""
    from flows import evaluate as ev
    from warehouse import reads

    try:
        ev.check_gold_folder(gold)
    except ev.GoldMissing as exc:
        raise _fail(str(exc), 2) from None
    with _open_read(warehouse) as con:
        texts = {row[0]: row[1] for row in con.execute(
            "SELECT file_name, text FROM current_documents").fetchall()}
        predictions, predicted_conflicts = reads.statistics(con), reads.conflicts(con)
    try:
        scores = ev.score(gold, predictions, texts)
        scores.update(ev.conflict_scores(ev.load_gold_conflicts(gold, texts),
                                         predicted_conflicts))
    except ev.GoldError as exc:
        raise _fail(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(scores, indent=2, ensure_ascii=False))
        return
    for key, value in scores.items():
        if key in ev.SERIES_PAIR_KEYS:
            continue
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
            warehouse: WarehouseOption,
            as_json: Annotated[bool, typer.Option(
                "--json", help="Print the full provenance record as JSON.")] = False) -> None:
    """What an observation or a metric is and where it comes from; --json: full provenance."""
    from flows.explain import MEMBERS_SHOWN, summary
    from warehouse import reads

    with _open_read(warehouse) as con:
        found = reads.explain(con, ident, members=None if as_json else MEMBERS_SHOWN)
    if found is None:
        raise _fail(f"no observation or metric with id {ident!r}; ids come from "
                    "`polystat export statistics` (obs_id, metric_id)")
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    out = Console(highlight=False, soft_wrap=True)
    for line in summary(found):
        out.print(line)


@app.command("settings")
def show_settings() -> None:
    """Every setting: its environment variable, current value, where the value comes from
    (default, file or env) and help."""
    from rich.table import Table

    path = settings.settings_file()
    table = Table(title=f"settings file: {path}{'' if path.is_file() else ' (none there)'}",
                  title_justify="left")
    for column in ("setting", "environment variable", "value", "from", "help"):
        table.add_column(column, overflow="fold")
    for setting in settings.SETTINGS:
        table.add_row(setting.name, setting.env, str(setting.value()), setting.source(),
                      setting.help)
    Console().print(table)


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

    console.print("serving deployment 'pipeline/monthly' (cron 0 6 1 * *); Ctrl-C stops it",
                  highlight=False)
    serve_monthly(timezone)
