"""Crashes and locks: real `polystat run` subprocesses killed with SIGKILL in every stage.

One warehouse lives through five crashed runs in a row (ingest, extract,
translate, reconcile, publish: POLYSTAT_FAULT_AT, see flows/faults.py) and
then one clean run. After each crash the warehouse must open and readers
must see nothing of the crashed run. The clean run must mark every run killed
in a data stage failed (its rows removed), keep the figures of the run killed
while publishing (its data stages had committed: "publish": "interrupted"),
publish them without mining anything again, and end with exactly the figures
of an uninterrupted run. A run killed at every publish still moves forward
(issue 19, item 3: the OOM killer at each render).

The subprocesses talk to the session's Prefect test server (tests/cli_process.py).
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import cli_process
import duckdb
import pytest
from cli_process import polystat
from conftest import SOURCES
from test_publish_recovery import observation_runs, write_small_corpus

from flows.faults import FAULT_VARIABLE, STAGES
from warehouse import db, reads, store

api_url = cli_process.api_url  # the shared fixture

# What must come out identical whether or not runs crashed on the way.
FIGURE_FIELDS = ("doc", "start", "end", "surface", "value", "unit", "qualifier", "population",
                 "year", "year_basis", "metric", "lang")
# Progress lines each stage prints once its work is committed.
PROGRESS = {"ingest": "   ingest ", "extract": "  extract ", "translate": "translate ",
            "reconcile": "reconcile ", "publish": "  publish "}


def figures(records: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(tuple(r[k] for k in FIGURE_FIELDS) for r in records)


def reader_view(warehouse: Path) -> dict[str, Any]:
    """What a reader (export, eval, report) sees, plus the raw rows each run left behind."""
    con = db.connect(warehouse, read_only=True)
    try:
        runs = con.execute("SELECT run_id, status, summary FROM runs ORDER BY started_at"
                           ).fetchall()
        rows_by_run: dict[str, int] = {}
        for table in store.FACT_TABLES:
            for run_id, count in con.execute(
                    f"SELECT run_id, count(*) FROM {table} GROUP BY run_id").fetchall():
                rows_by_run[run_id] = rows_by_run.get(run_id, 0) + count
        visible = {r[0] for r in con.execute(
            "SELECT run_id FROM current_documents UNION SELECT run_id FROM current_observations"
            " UNION SELECT run_id FROM finished_runs").fetchall()}
        return {"runs": [(r[0], r[1], json.loads(r[2] or "{}")) for r in runs],
                "rows_by_run": rows_by_run, "visible_runs": visible,
                "statistics": reads.statistics(con), "series": con.execute(
                    "SELECT count(*) FROM series").fetchone()[0]}  # type: ignore[index]
    finally:
        con.close()


@pytest.fixture(scope="module")
def crash_then_heal(api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("faults")
    warehouse, site = base / "w.duckdb", base / "site"
    run_args = ["run", "--sources", str(SOURCES), "--warehouse", str(warehouse),
                "--out", str(site)]
    crashes = {}
    for stage in STAGES:
        done = polystat(run_args, api_url, **{FAULT_VARIABLE: stage})
        crashes[stage] = {"process": done, "view": reader_view(warehouse)}
    healed = polystat(run_args, api_url)
    return {"crashes": crashes, "healed": healed, "view": reader_view(warehouse),
            "warehouse": warehouse, "site": site}


@pytest.mark.parametrize("stage", STAGES)
def test_a_run_killed_in_a_stage_dies_there_and_readers_see_nothing_of_it(
        crash_then_heal: dict[str, Any], stage: str) -> None:
    crash = crash_then_heal["crashes"][stage]
    done, view = crash["process"], crash["view"]
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    earlier = STAGES[:STAGES.index(stage)]
    assert all(PROGRESS[s] in done.stderr for s in earlier), done.stderr[-3000:]
    assert PROGRESS[stage] not in done.stderr
    killed_run, status, summary = view["runs"][-1]
    if stage == "publish":  # data done and committed, report not: hidden until the next run
        assert status == "completed" and summary["publish"] == "started"
    else:
        assert status == "running"
    assert killed_run not in view["visible_runs"]
    # No run has finished yet, so a reader must see nothing at all.
    assert view["statistics"] == [] and view["series"] == 0
    # The runs before this one were marked failed and their rows removed.
    for run_id, earlier_status, summary in view["runs"][:-1]:
        assert earlier_status == "failed" and summary["error"] == "interrupted"
        assert view["rows_by_run"].get(run_id, 0) == 0


def test_crashes_after_committed_work_leave_rows_that_stay_hidden(
        crash_then_heal: dict[str, Any]) -> None:
    """The kills really land after commits (else the test above proves little)."""
    for stage in ("extract", "translate", "reconcile", "publish"):
        view = crash_then_heal["crashes"][stage]["view"]
        killed_run = view["runs"][-1][0]
        assert view["rows_by_run"].get(killed_run, 0) > 0, stage
    ingest = crash_then_heal["crashes"]["ingest"]["view"]
    assert ingest["rows_by_run"].get(ingest["runs"][-1][0], 0) == 0  # its transaction rolled back


def test_the_run_after_the_crashes_heals_with_the_uninterrupted_figures(
        crash_then_heal: dict[str, Any], corpus_run: dict[str, Any]) -> None:
    healed, view = crash_then_heal["healed"], crash_then_heal["view"]
    assert healed.returncode == 0, healed.stderr[-3000:]
    statuses = [status for _, status, _ in view["runs"]]
    data_stages = len(STAGES) - 1  # killed before their data committed
    assert statuses == ["failed"] * data_stages + ["completed", "completed"]
    for run_id, _, _ in view["runs"][:data_stages]:
        assert view["rows_by_run"].get(run_id, 0) == 0
    con = duckdb.connect(str(corpus_run["warehouse"]), read_only=True)
    try:
        uninterrupted = reads.statistics(con)
    finally:
        con.close()
    assert len(view["statistics"]) > 50
    assert figures(view["statistics"]) == figures(uninterrupted)


def test_a_run_killed_while_publishing_keeps_its_figures_for_the_next_run_to_publish(
        crash_then_heal: dict[str, Any]) -> None:
    """Its data stages had committed: the next run shows and publishes its figures and
    mines nothing again (before issue 19 they were deleted and mined anew)."""
    healed, view = crash_then_heal["healed"], crash_then_heal["view"]
    (killed_run, _, killed), (final_run, _, final) = view["runs"][-2:]
    assert killed["publish"] == "interrupted" and "killed while publishing" in killed[
        "publish_error"]
    assert view["rows_by_run"][killed_run] == crash_then_heal["crashes"]["publish"]["view"][
        "rows_by_run"][killed_run]  # not one row lost
    assert killed_run in view["visible_runs"]
    assert final["documents_new"] == [] and final["observations_new"] == 0
    assert {"extract", "translate", "reconcile"} <= set(final["skipped"])
    assert final["publish"] == "done"
    assert view["rows_by_run"].get(final_run, 0) == 0  # nothing mined twice
    assert f"kept the figures of 1 run killed while publishing ({killed_run})" in healed.stderr


def test_the_report_after_the_crashes_is_the_healing_runs_with_the_kept_figures(
        crash_then_heal: dict[str, Any]) -> None:
    site, view = crash_then_heal["site"], crash_then_heal["view"]
    killed_run, final_run = view["runs"][-2][0], view["runs"][-1][0]
    snapshot = json.loads((site / "_data" / "snapshot.json").read_text(encoding="utf-8"))
    assert snapshot["run"]["run_id"] == final_run
    assert {o["run_id"] for o in snapshot["observations"]} == {killed_run}
    assert final_run in (site / "index.html").read_text(encoding="utf-8")
    assert (site / "polystat-report.pdf").stat().st_size > 10_000


def test_runs_killed_at_every_publish_still_move_forward(api_url: str, tmp_path: Path) -> None:
    """A scheduled run OOM-killed at each render: every run keeps what it mined, the next
    mines only what is new, and the first run that gets through publishes it all."""
    sources = write_small_corpus(tmp_path / "src")
    warehouse, site = tmp_path / "w.duckdb", tmp_path / "site"
    run_args = ["run", "--sources", str(sources), "--warehouse", str(warehouse),
                "--out", str(site)]
    first = polystat(run_args, api_url, **{FAULT_VARIABLE: "publish"})
    assert first.returncode == -signal.SIGKILL, first.stderr[-3000:]
    write_small_corpus(sources, extra=True)
    second = polystat(run_args, api_url, **{FAULT_VARIABLE: "publish"})
    assert second.returncode == -signal.SIGKILL, second.stderr[-3000:]
    [(first_run, _, _), (second_run, _, _)] = reader_view(warehouse)["runs"]
    mined = observation_runs(warehouse)
    assert set(mined) == {first_run, second_run}  # the second mined only the new document

    healed = polystat(run_args, api_url)

    assert healed.returncode == 0, healed.stderr[-3000:]
    assert "3 documents seen, 0 mined, 3 unchanged" in healed.stderr
    assert observation_runs(warehouse) == mined
    view = reader_view(warehouse)
    assert [(s["publish"], status) for _, status, s in view["runs"]] == [
        ("interrupted", "completed"), ("interrupted", "completed"), ("done", "completed")]
    snapshot = json.loads((site / "_data" / "snapshot.json").read_text(encoding="utf-8"))
    assert {o["run_id"] for o in snapshot["observations"]} == {first_run, second_run}
    assert len(view["statistics"]) == sum(mined.values())


def test_a_locked_warehouse_gives_a_clear_message_and_no_damage(
        api_url: str, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = db.connect(warehouse)
    holder.execute("INSERT INTO runs (run_id, flow, started_at, status, code_version)"
                   " VALUES ('held', 'test', now(), 'completed', 'x')")
    try:
        done = polystat(["run", "--sources", str(SOURCES), "--warehouse", str(warehouse),
                         "--no-publish"], api_url, POLYSTAT_LOCK_WAIT="1")
        export = polystat(["export", "rejects", "--warehouse", str(warehouse)], api_url,
                          POLYSTAT_LOCK_WAIT="0")
    finally:
        holder.close()
    for process in (done, export):
        assert process.returncode == 1, process.stderr[-3000:]
        assert "in use by another polystat process" in process.stderr
        assert str(warehouse) in process.stderr.replace("\n", "")
        assert "Traceback" not in process.stderr
    con = db.connect(warehouse, read_only=True)
    try:
        assert con.execute("SELECT run_id, status FROM runs").fetchall() == [("held", "completed")]
    finally:
        con.close()


@pytest.mark.parametrize("stop", ["SIGTERM", "SIGINT"])
def test_a_run_stopped_while_publishing_keeps_its_figures(
        api_url: str, tmp_path: Path, stop: str) -> None:
    """A service manager's SIGTERM or a Ctrl-C, which Prefect and Python turn into
    exceptions, costs no stored figure either: the next run publishes without mining."""
    sources = write_small_corpus(tmp_path / "src")
    warehouse, site = tmp_path / "w.duckdb", tmp_path / "site"
    run_args = ["run", "--sources", str(sources), "--warehouse", str(warehouse),
                "--out", str(site)]
    stopped = polystat(run_args, api_url, **{FAULT_VARIABLE: f"publish:{stop}"})
    assert stopped.returncode != 0, stopped.stderr[-3000:]
    [(run_id, status, summary)] = reader_view(warehouse)["runs"]
    assert status == "completed" and summary["publish"] == "interrupted", summary
    raised = {"SIGTERM": "TerminationSignal", "SIGINT": "KeyboardInterrupt"}[stop]
    assert summary["publish_error"] == f"the run was stopped while publishing ({raised})"
    mined = observation_runs(warehouse)
    assert set(mined) == {run_id}

    healed = polystat(run_args, api_url)

    assert healed.returncode == 0, healed.stderr[-3000:]
    assert "2 documents seen, 0 mined, 2 unchanged" in healed.stderr
    assert observation_runs(warehouse) == mined
    assert reader_view(warehouse)["runs"][-1][2]["publish"] == "done"
    assert (site / "index.html").exists()
