"""Orchestration: artifacts, the monthly deployment, skipping unchanged work, the
warehouse lock between real processes, and the Dask task runner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest
import yaml
from typer.testing import CliRunner

from flows.cli import app
from flows.pipeline import NEW_STATISTICS_KEY, REPORT_KEY, SUMMARY_KEY, pipeline

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def _client() -> Any:
    from prefect.client.orchestration import get_client

    return get_client(sync_client=True)


def _api_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that talks to this session's test server."""
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": str(PREFECT_API_URL.value()),
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    env.update(extra)
    return env


def _polystat(*args: str) -> list[str]:
    return [sys.executable, "-m", "flows.cli_main", *args]


def _subflow_runs(client: Any, parent: str) -> list[Any]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    return list(client.read_flow_runs(flow_run_filter=FlowRunFilter(
        parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[UUID(parent)]))))


def _task_run_names(client: Any, flow_run_ids: list[UUID]) -> list[str]:
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId

    runs = client.read_task_runs(task_run_filter=TaskRunFilter(
        flow_run_id=TaskRunFilterFlowRunId(any_=flow_run_ids)))
    return [run.name for run in runs]


# --------------------------------------------------------------------------- artifacts


def test_every_run_leaves_summary_table_and_report_link_artifacts(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    summary = pipeline(str(sources_copy), str(tmp_path / "w.duckdb"), str(tmp_path / "site"))
    with _client() as client:
        artifacts = {a.key: a for a in client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[UUID(summary["run_id"])])))}
    assert set(artifacts) == {SUMMARY_KEY, NEW_STATISTICS_KEY, REPORT_KEY}
    markdown = artifacts[SUMMARY_KEY].data
    assert f"new figures: {summary['observations_new']}" in markdown
    assert "documents: 5 seen, 5 mined" in markdown
    assert "untranslated pairs:" in markdown and "rejected: 0" in markdown
    table = artifacts[NEW_STATISTICS_KEY].data
    rows = table if isinstance(table, list) else json.loads(table)
    assert len(rows) == summary["observations_new"]
    assert {"source", "surface", "value", "unit", "population", "year"} <= set(rows[0])
    assert Path(summary["report"]).resolve().as_uri() in artifacts[REPORT_KEY].data


# --------------------------------------------------------------------------- deployment


def test_prefect_yaml_runs_the_pipeline_monthly() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (deployment,) = config["deployments"]
    assert deployment["entrypoint"] == "flows/pipeline.py:pipeline"
    (schedule,) = deployment["schedules"]
    assert schedule["cron"] == "0 6 1 * *"
    assert set(deployment["parameters"]) <= {"sources_dir", "warehouse", "out_dir", "publish",
                                             "task_runner", "workers"}


def test_monthly_deployment_registers_with_its_schedule(prefect_harness) -> None:
    from flows.deploy import DEPLOYMENT_NAME, MONTHLY_CRON, monthly_deployment

    deployment_id = monthly_deployment(timezone="Europe/Istanbul").apply()
    with _client() as client:
        stored = client.read_deployment(deployment_id)
    assert stored.name == DEPLOYMENT_NAME
    (schedule,) = stored.schedules
    assert schedule.schedule.cron == MONTHLY_CRON
    assert schedule.schedule.timezone == "Europe/Istanbul"
    assert schedule.active
    assert set(stored.parameters) == {"sources_dir", "warehouse", "out_dir", "publish"}


def test_polystat_serve_serves_the_monthly_deployment(prefect_harness, tmp_path: Path) -> None:
    """A real `polystat serve` process registers the deployment; stopping it ends serving."""
    process = subprocess.Popen(_polystat("serve", "--timezone", "Asia/Shanghai"),
                               env=_api_env(), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        stored = _wait_for_deployment("pipeline/monthly", "Asia/Shanghai", process, timeout=90)
        assert stored.schedules[0].schedule.cron == "0 6 1 * *"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_deployment(name: str, timezone: str, process: subprocess.Popen[str],
                         timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    with _client() as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                errors = process.stderr.read() if process.stderr else ""
                pytest.fail(f"polystat serve stopped: {errors}")
            try:
                stored = client.read_deployment_by_name(name)
            except Exception:  # noqa: BLE001 - not registered yet
                stored = None
            if stored and stored.schedules and stored.schedules[0].schedule.timezone == timezone:
                return stored
            time.sleep(0.5)
    pytest.fail(f"{name} was not served within {timeout} s")


# --------------------------------------------------------------------------- incremental


def test_unchanged_documents_are_never_submitted_for_analysis(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    warehouse, site = str(tmp_path / "w.duckdb"), str(tmp_path / "site")
    first = pipeline(str(sources_copy), warehouse, site, publish=False)
    second = pipeline(str(sources_copy), warehouse, site, publish=False)
    with _client() as client:
        first_tasks = _task_run_names(client, [r.id for r in _subflow_runs(client,
                                                                           first["run_id"])])
        second_tasks = _task_run_names(client, [r.id for r in _subflow_runs(client,
                                                                            second["run_id"])])
    assert sum(name.startswith("analyse-documents") for name in first_tasks) == 5
    assert not [name for name in second_tasks if name.startswith("analyse-documents")]
    assert second["documents_unchanged"] == 5 and second["observations_new"] == 0


def test_a_warm_run_skips_every_stage_with_nothing_to_do_until_metadata_changes(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    warehouse, site = str(tmp_path / "w.duckdb"), str(tmp_path / "site")
    first = pipeline(str(sources_copy), warehouse, site)
    index = Path(first["report"])
    rendered_at = index.stat().st_mtime_ns
    second = pipeline(str(sources_copy), warehouse, site)
    assert first["skipped"] == []
    assert second["skipped"] == ["extract", "translate", "reconcile", "publish"]
    assert second["untranslated_pairs"] == first["untranslated_pairs"]
    assert second["report"] == first["report"] and index.stat().st_mtime_ns == rendered_at
    assert (second["metrics"], second["conflicts"]) == (first["metrics"], first["conflicts"])
    manifest = sources_copy / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('title = "', 'title = "Renamed: ', 1), encoding="utf-8")
    third = pipeline(str(sources_copy), warehouse, site)
    assert third["sources_changed"] == 1
    assert third["skipped"] == ["extract", "translate"]  # the new title must reach the reports
    assert third["renderer"] and index.stat().st_mtime_ns > rendered_at


# --------------------------------------------------------------------------- the lock


def test_a_run_stops_with_a_clear_message_while_another_process_holds_the_warehouse(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]);"
         " print('holding', flush=True); time.sleep(60)", str(warehouse)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        result = subprocess.run(
            _polystat("run", "--sources", str(sources_copy), "--warehouse", str(warehouse),
                      "--no-publish"), env=_api_env(POLYSTAT_LOCK_WAIT="2"), cwd=ROOT,
            capture_output=True, text=True, timeout=120)
        waited = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1, result.stderr
    assert "in use by another polystat process" in result.stderr
    assert "Traceback" not in result.stderr
    assert waited >= 2


def test_two_runs_at_once_both_finish_and_the_warehouse_stays_whole(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    command = _polystat("run", "--sources", str(sources_copy), "--warehouse", str(warehouse),
                        "--no-publish", "--force")  # both run the flow, whoever comes second
    env = _api_env(POLYSTAT_LOCK_WAIT="240")
    runs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        statuses = [r[0] for r in con.execute("SELECT status FROM runs").fetchall()]
        documents = con.execute("SELECT count(*), count(DISTINCT doc_id) FROM documents").fetchone()
        duplicated = con.execute("SELECT count(*) - count(DISTINCT obs_id) FROM observations"
                                 ).fetchone()
        spans = con.execute("SELECT d.text, o.start, o.\"end\", o.surface FROM observations o"
                            " JOIN documents d USING (doc_id)").fetchall()
    finally:
        con.close()
    assert statuses == ["completed", "completed"]
    assert documents == (5, 5)
    assert duplicated == (0,)
    assert spans and all(text[start:end] == surface for text, start, end, surface in spans)
    mined = sorted("5 documents mined" in err for _, err in outputs)
    assert mined == [False, True]  # the second run waited, then found nothing new


# --------------------------------------------------------------------------- task runners


@pytest.mark.parametrize("task_runner", ["dask", "processes"])
def test_other_task_runners_give_the_same_figures(
        prefect_harness, corpus_run, tmp_path: Path, task_runner: str) -> None:
    warehouse = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["run", "--sources", str(ROOT / "sources"), "--warehouse",
                                 str(warehouse), "--no-publish", "--task-runner", task_runner,
                                 "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert _observation_ids(warehouse) == _observation_ids(corpus_run["warehouse"])
    con = duckdb.connect(str(warehouse), read_only=True)
    parameters = con.execute("SELECT parameters FROM runs").fetchone()
    con.close()
    assert parameters and f'"task_runner": "{task_runner}"' in parameters[0]
    # The session's server (flows/prefect_server.py) serves the run's threads too: Prefect
    # started a second, temporary server of its own for the process pool's message thread.
    assert _prefect_own_servers() == []


def test_an_unknown_task_runner_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--warehouse", str(tmp_path / "w.duckdb"),
                                 "--task-runner", "ray"])
    assert result.exit_code == 2
    assert "threads, processes, dask" in result.output


def _prefect_own_servers() -> list[str]:
    """Command lines of this process's children that run Prefect's own temporary server
    (`python -m uvicorn ... prefect.server.api.server:create_app`, not polystat's
    `flows.prefect_server`); none where /proc cannot be read."""
    found = []
    for name in os.listdir("/proc") if sys.platform.startswith("linux") else []:
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
            with open(f"/proc/{name}/cmdline", "rb") as cmdline:
                command = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, ValueError):
            continue  # not a process, or gone
        if parent == os.getpid() and "uvicorn" in command and "prefect.server" in command:
            found.append(command)
    return found


def _observation_ids(warehouse: Path) -> set[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {r[0] for r in con.execute("SELECT obs_id FROM observations").fetchall()}
    finally:
        con.close()


def test_the_warehouse_memory_cap_is_applied_and_bad_sizes_are_refused(tmp_path: Path) -> None:
    from warehouse import db

    con = db.connect(tmp_path / "w.duckdb", memory_limit="512MB")
    try:
        limit = con.execute("SELECT current_setting('memory_limit')").fetchone()
    finally:
        con.close()
    assert limit is not None and limit[0].replace(" ", "").upper() in ("488.2MIB", "512.0MB",
                                                                       "512MB", "488.2MB")
    for bad in ("lots", "1GB'; DROP TABLE runs; --"):
        with pytest.raises(db.WarehouseError, match="give a size"):
            db.connect(tmp_path / "w.duckdb", memory_limit=bad)


def test_segments_stored_before_their_hash_get_it_from_the_migration(corpus_run,
                                                                      tmp_path: Path) -> None:
    """Readers join translations on segments.text_sha256 alone; a warehouse from before
    the column was filled gets the same hashes the pipeline writes."""
    import shutil

    from warehouse import db

    warehouse = tmp_path / "old.duckdb"
    shutil.copyfile(corpus_run["warehouse"], warehouse)
    with duckdb.connect(str(warehouse)) as con:
        written = con.execute("SELECT doc_id, seg_no, text_sha256 FROM segments ORDER BY ALL"
                              ).fetchall()
        con.execute("UPDATE segments SET text_sha256 = NULL")
        con.execute("DELETE FROM schema_migrations WHERE version = 14")
    con = db.connect(warehouse)
    try:
        filled = con.execute("SELECT doc_id, seg_no, text_sha256 FROM segments ORDER BY ALL"
                             ).fetchall()
    finally:
        con.close()
    assert written and all(row[2] for row in written)
    assert filled == written
