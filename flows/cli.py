"""The `polystat` command line."""

from __future__ import annotations

import csv
import json
import logging
import os
import shlex
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

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
    for line in message.splitlines() or [message]:
        terminal.error(line)
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
    force: Annotated[bool, typer.Option(
        "--force", help="Run the pipeline (and record a run) even when nothing changed.")
    ] = False,
) -> None:
    """Process a sources folder into the warehouse and publish the reports.

    When nothing changed since the last finished run (same files, same manifest, same
    models, the report still in place), says so in about a second without starting
    Prefect and records nothing; --force runs the pipeline anyway.

    Exit code 0: every document processed (a duplicate of another source is a warning:
    its text is stored once); 2: some documents rejected (the rest
    stored); 3: the figures are stored but the reports could not be published (the next
    run publishes them); 1: the run could not proceed.
    """
    _check_language_data()
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
    if summary.get("publish") == "failed":
        raise _fail(_publish_failure(summary, out), 3)
    if summary["status"] == "partial":
        raise typer.Exit(2)


def _publish_failure(summary: dict[str, Any], out: Path) -> str:
    """One line: what failed, that nothing stored is lost, and the two ways on."""
    return (f"published: failed ({summary.get('publish_error')}). The figures of this run are "
            f"stored and the next run publishes them: fix the out folder {out} (or pick "
            "another with --out), or run with --no-publish to skip the reports")


def _run_pipeline(sources: Path, warehouse: Path, out: Path, publish: bool, task_runner: str,
                  workers: int) -> dict[str, Any]:
    # Prefect's INFO lines (the temporary server starting and stopping) stay off the
    # terminal; its warnings still show. Read when Prefect is imported, so set first.
    os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
    from flows.pipeline import PublishFailed, pipeline

    with _run_logs_to_prefect_only(), _prefect_api():
        try:
            return pipeline(str(sources), str(warehouse), str(out), publish,
                            task_runner=task_runner, workers=workers)
        except PublishFailed as failed:  # stored, not published: `run` says so, exit 3
            return failed.summary


@contextmanager
def _prefect_api() -> Iterator[None]:
    """The Prefect API of the run: PREFECT_API_URL's server, or else a temporary one that
    ends with this process even when it is killed (flows/prefect_server.py; Prefect's own
    would outlive a kill -9)."""
    from flows import prefect_server

    def announce() -> None:
        terminal.line("starting Prefect's temporary local server (10-20 s; set PREFECT_API_URL "
                      "to use a running `prefect server start`)")

    try:
        with prefect_server.api(announce):
            yield
    except prefect_server.ServerStartError as exc:  # raised only while starting
        raise _fail(str(exc)) from None


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
    from flows.plan import TaskRunnerKind

    if name not in TaskRunnerKind.__members__:
        raise _fail(f"--task-runner {name!r}: choose one of {', '.join(TaskRunnerKind)}", 2)
    return name


def _preflight(sources: Path, warehouse: Path, out: Path, publish: bool, force: bool
               ) -> dict[str, Any] | None:
    """Before Prefect starts (and logs a traceback), fail fast on what stops a whole run:
    sources that cannot be used, a warehouse another process holds. Unless forced, return
    what to print instead of running when nothing changed (`plan.nothing_new`)."""
    from flows import plan
    from flows.ingest import load_manifest
    from warehouse import db

    check = not force and warehouse.exists()  # a new warehouse has nothing to stand
    if not check:
        load_manifest(sources)  # a bad manifest creates no warehouse
    con = db.connect(warehouse, wait_seconds=float(settings.get("lock_wait")),
                     memory_limit=settings.get("db_memory"))
    try:
        return plan.nothing_new(con, str(sources), str(out), publish) if check else None
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
    for warning in summary.get("warnings", []):
        terminal.labelled("warning:", "yellow", warning)
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


@export_app.command("metrics")
def export_metrics(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                   output: OutputOption = None) -> None:
    """One record per metric with current figures: label, unit, counts, first and last year."""
    from warehouse import downloads

    with _open_read(warehouse) as con:
        records = downloads.records(con, "metrics")
    _write_records(records, fmt, output)


@export_app.command("series")
def export_series(warehouse: WarehouseOption, fmt: FormatOption = Format.jsonl,
                  output: OutputOption = None) -> None:
    """One record per metric and year: the agreed value, the spread and the counts."""
    from warehouse import downloads

    with _open_read(warehouse) as con:
        records = downloads.records(con, "series")
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
        texts = reads.current_document_texts(con)
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
    if found["kind"] == "metric" and found["series"]:
        found["page"] = _metric_page(found["metric"]["metric_id"])
    _accepted_in(found.get("possibly_same_as", []), warehouse)
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    out = Console(highlight=False, soft_wrap=True)
    for line in summary(found):
        out.print(line)


def _metric_page(metric_id: str) -> str:
    """The metric's stable place on the Trends page: at `site_url`, else in the `out` folder."""
    from reports.pages.findable import metric_url

    site_url = settings.get("site_url")
    if site_url:
        return f"{site_url}/{metric_url(metric_id)}"
    return Path(settings.get("out")).resolve().as_uri() + "/" + metric_url(metric_id)


metrics_app = typer.Typer(
    help="List metrics and curate them: merge, split, rename. Decisions are kept with their "
         "time and hold through every later run, relink and full rebuild.",
    no_args_is_help=True)
app.add_typer(metrics_app, name="metrics")
MetricArgument = Annotated[str, typer.Argument(help="A metric id (m-…), from `polystat metrics "
                                                    "list`.", show_default=False)]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the records as JSON.")]


@contextmanager
def _open_write(path: Path) -> Iterator[Any]:
    """The warehouse for a curation command: one that exists and is polystat's (exit 2
    names what is wrong, as for the read commands; an older schema is upgraded, as a run
    does), opened for writing (exit 1 when another process still holds it after
    POLYSTAT_LOCK_WAIT seconds). The decision and its effect on the metrics are one
    transaction."""
    from warehouse import db, store
    from warehouse.curation import CurationError

    try:
        db.connect(path, read_only=True).close()  # never creates a warehouse
    except (db.WarehouseMissing, db.NotAWarehouse) as exc:
        raise _fail(str(exc), 2) from None
    except (db.WarehouseOutdated, db.WarehouseLocked):
        pass  # upgraded below; waited for below
    except db.WarehouseError as exc:
        raise _fail(str(exc)) from None
    try:
        con = db.connect(path, wait_seconds=float(settings.get("lock_wait")),
                         memory_limit=settings.get("db_memory"))
    except (db.WarehouseLocked, db.WarehouseError) as exc:
        raise _fail(str(exc)) from None
    try:
        with store.transaction(con):
            yield con
    except CurationError as exc:
        raise _fail(str(exc), 2) from None
    finally:
        con.close()


@metrics_app.command("list")
def metrics_list(warehouse: WarehouseOption,
                 curated: Annotated[bool, typer.Option(
                     "--curated", help="Only metrics an analyst merged, split or renamed.")
                 ] = False,
                 as_json: JsonOption = False) -> None:
    """Every metric: id, figures, whether an analyst curated it (m = merged, s = split,
    l = label set), label and sources."""
    from flows.metrics_view import list_lines
    from warehouse import curation

    with _open_read(warehouse) as con:
        found = curation.metrics(con, curated_only=curated)
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    out = Console(highlight=False, soft_wrap=True)
    for line in list_lines(found):
        out.print(line)


@metrics_app.command("show")
def metrics_show(ident: MetricArgument, warehouse: WarehouseOption,
                 as_json: JsonOption = False) -> None:
    """One metric: label, what analysts did to it, every figure with its id (for `metrics
    split`) and its curation history. Exit 2 for an unknown id."""
    from flows.metrics_view import show_lines
    from warehouse import curation

    with _open_read(warehouse) as con:
        try:
            found = curation.metric(con, ident)
        except curation.CurationError as exc:
            raise _fail(str(exc), 2) from None
    _accepted_in(found["possibly_same_as"], warehouse)
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    out = Console(highlight=False, soft_wrap=True)
    for line in show_lines(found):
        out.print(line)


@metrics_app.command("merge")
def metrics_merge(first: MetricArgument, second: MetricArgument,
                  warehouse: WarehouseOption) -> None:
    """Make two metrics one (it keeps the id of the one with the older figure). Exit 2 for
    an unknown id; 1 when the warehouse is busy."""
    from warehouse import curation

    with _open_write(warehouse) as con:
        done = curation.merge(con, first, second)
    terminal.line(f"merged {first} and {second} into {done['metric_id']} "
                  f"(decision {done['decision_id']})")


@metrics_app.command("split")
def metrics_split(ident: MetricArgument,
                  figures: Annotated[list[str], typer.Argument(
                      help="Figure ids (obs-…) of the metric to move into a metric of their "
                           "own, from `polystat metrics show`.", show_default=False)],
                  warehouse: WarehouseOption) -> None:
    """Move figures of a metric into a new metric of their own. Exit 2 for an unknown
    metric or a figure not in it; 1 when the warehouse is busy."""
    from warehouse import curation

    with _open_write(warehouse) as con:
        done = curation.split(con, ident, figures)
    terminal.line(f"split {len(set(figures))} figures of {ident} into {done['moved_to']}; "
                  f"the rest is {done['kept_in']} (decision {done['decision_id']})")


@metrics_app.command("rename")
def metrics_rename(ident: MetricArgument,
                   label: Annotated[str, typer.Argument(help="The label a reader sees.",
                                                        show_default=False)],
                   warehouse: WarehouseOption) -> None:
    """Set the label a reader sees for a metric. Exit 2 for an unknown id or an empty
    label; 1 when the warehouse is busy."""
    from warehouse import curation

    with _open_write(warehouse) as con:
        done = curation.rename(con, ident, label)
    terminal.line(f"{ident} is labelled “{done['label']}” (decision {done['decision_id']})")


def _accepted_in(suggestions: list[dict[str, Any]], warehouse: Path) -> None:
    """Each suggestion's merge line names the warehouse it was read from, unless that is the
    default one: run as printed, it changes that warehouse."""
    if warehouse.resolve() != Path(settings.get("warehouse")).resolve():
        for found in suggestions:
            found["accept"] += f" --warehouse {shlex.quote(str(warehouse))}"


@metrics_app.command("suggestions")
def metrics_suggestions(warehouse: WarehouseOption,
                        top: Annotated[int, typer.Option(
                            "--top", min=1, help="How many pairs to list, best first.")] = 20,
                        as_json: JsonOption = False) -> None:
    """Pairs of metrics possibly the same across the warehouse, best first: the linker kept
    them apart for want of evidence; each with its reason and the merge that accepts it."""
    from flows.metrics_view import suggestion_lines
    from warehouse import curation

    with _open_read(warehouse) as con:
        found = curation.suggestions(con, limit=top)
    _accepted_in(found, warehouse)
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    out = Console(highlight=False, soft_wrap=True)
    if not found:
        out.print("no metrics possibly the same: the linker kept no alike metrics apart")
    for line in suggestion_lines(found, pairs=True):
        out.print(line)


@metrics_app.command("undo")
def metrics_undo(warehouse: WarehouseOption,
                 decision: Annotated[int | None, typer.Argument(
                     help="The number of a decision (#… in `polystat metrics show`); default: "
                          "the latest decision in force.", show_default=False)] = None) -> None:
    """Take back an analyst's decision (the latest, or DECISION): the metrics go back as
    they were, and no later run or rebuild applies it. Exit 2 for an unknown decision, one
    undone already, or one a later decision on its figures still builds on."""
    from warehouse import curation

    with _open_write(warehouse) as con:
        done = curation.undo(con, decision)
    terminal.line(f"undid decision {done['undone']} (a {done['kind']}); its figures are in "
                  f"{', '.join(done['metrics']) or 'no metric now'} "
                  f"(decision {done['decision_id']})")


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

    terminal.line("serving deployment 'pipeline/monthly' (cron 0 6 1 * *); Ctrl-C stops it")
    serve_monthly(timezone)
