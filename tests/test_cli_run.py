"""`polystat run` as an analyst sees it: a run with nothing new answers without Prefect and
writes nothing, `--force` runs the flow, and the output is a clean, unwrapped summary with
the Overview's numbers, right plurals and user text shown as it is (never as markup).

Subprocesses without PREFECT_API_URL show what a fresh shell does; the runs that must start
Prefect use the session's test server (tests/cli_process.py). No timing here: the costs of
each mode are measured in the README."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from cli_process import api_url, polystat  # noqa: F401  (api_url is a fixture)
from conftest import ROOT, SOURCES

from flows import plan
from flows.faults import FAULT_VARIABLE
from flows.ingest import RACY_NS
from reports.markup import counted, translation_coverage
from warehouse import db

# Runs `polystat ARGS` in this fresh process, then says whether anything imported Prefect.
_PROBE = """
import sys
from flows.cli import app
code = 0
try:
    app(sys.argv[1:], prog_name="polystat")
except SystemExit as done:
    code = done.code
print("prefect imported:", any(m.split(".")[0] == "prefect" for m in sys.modules))
sys.exit(code)
"""

STAGE_LINE = re.compile(r"^ *(ingest|extract|translate|reconcile|publish) ")
# a count of one with its noun in the plural, in any line polystat prints
SINGULAR_AS_PLURAL = re.compile(
    r"(?<![\d.,])1 (documents|statistics|metrics|conflicts|files|new translations|figures"
    r"|non-English sentences)\b")


def _without_server(args: list[str], columns: int = 30) -> subprocess.CompletedProcess[str]:
    """`polystat ARGS` as a fresh shell runs it (no Prefect server), piped, on a narrow
    terminal width: rich would wrap at COLUMNS if it wrapped at all."""
    env = {**os.environ, "COLUMNS": str(columns)}
    env.pop("PREFECT_API_URL", None)
    env.pop(FAULT_VARIABLE, None)
    return subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def _fingerprint(path: Path) -> tuple[str, int]:
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def _runs(warehouse: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return [(r[0], r[1]) for r in con.execute(
            "SELECT run_id, status FROM runs ORDER BY started_at").fetchall()]
    finally:
        con.close()


def _lines(process: subprocess.CompletedProcess[str]) -> list[str]:
    return process.stderr.splitlines()


def _settle() -> None:
    """Files changed within RACY_NS of a run are read again by the next one
    (flows/ingest/unchanged.py); wait that long so the next run can trust their stat."""
    time.sleep(RACY_NS / 1e9 + 0.2)


@pytest.fixture(scope="module")
def first_run(api_url: str, tmp_path_factory: pytest.TempPathFactory  # noqa: F811
              ) -> dict[str, Any]:
    """The sample corpus run and published once, Prefect's INFO lines switched on."""
    base = tmp_path_factory.mktemp("a-rather-long-folder-name-for-paths-that-would-wrap")
    warehouse, site = base / "warehouse.duckdb", base / "site"
    done = polystat(["run", "--sources", str(SOURCES), "--warehouse", str(warehouse),
                     "--out", str(site)], api_url, PREFECT_LOGGING_LEVEL="INFO", COLUMNS="40")
    assert done.returncode == 0, done.stderr[-3000:]
    return {"process": done, "warehouse": warehouse, "site": site}


# --------------------------------------------------------------------------- the summary


def test_the_first_run_ends_with_a_clean_summary_in_the_overviews_numbers(
        first_run: dict[str, Any]) -> None:
    lines = _lines(first_run["process"])
    printed = first_run["process"].stderr
    assert "Flow run '" not in printed and "Finished in state" not in printed
    assert " | INFO " not in printed and " | WARNING " not in printed
    summary = lines[[i for i, line in enumerate(lines) if line.startswith("this run:")][0]:]
    assert not any(STAGE_LINE.match(line) for line in summary)  # the summary comes last
    assert summary[-1].startswith(f"report: {first_run['site'] / 'index.html'} (rendered with ")
    snapshot = json.loads((first_run["site"] / "_data" / "snapshot.json").read_text("utf-8"))
    corpus = snapshot["corpus"]
    assert (f"corpus: {counted(corpus['documents'], 'document')}, "
            f"{counted(corpus['observations'], 'statistic')}, "
            f"{counted(corpus['metrics'], 'metric')}, {counted(corpus['conflicts'], 'conflict')}; "
            f"{translation_coverage(corpus['translated_segments'], corpus['non_english_segments'])}"
            ) in summary
    # The translate stage counts sentences as the Overview does (not distinct texts).
    coverage = translation_coverage(corpus["translated_segments"], corpus["non_english_segments"])
    assert corpus["non_english_segments"] > 0
    assert any(line.startswith("translate ") and coverage in line for line in lines)
    overview = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", (first_run["site"] / "index.html")
                                          .read_text(encoding="utf-8")))
    assert coverage in overview
    assert not SINGULAR_AS_PLURAL.search(printed), SINGULAR_AS_PLURAL.search(printed)


def test_the_corpus_totals_are_the_snapshots(first_run: dict[str, Any]) -> None:
    from reports.snapshot import corpus_totals

    snapshot = json.loads((first_run["site"] / "_data" / "snapshot.json").read_text("utf-8"))
    con = db.connect(first_run["warehouse"], read_only=True)
    try:
        totals = corpus_totals(con)
    finally:
        con.close()
    assert totals == {key: snapshot["corpus"][key] for key in totals}


# --------------------------------------------------------------------------- nothing new


def test_a_run_with_nothing_new_starts_no_prefect_and_writes_nothing(
        first_run: dict[str, Any]) -> None:
    warehouse, index = first_run["warehouse"], first_run["site"] / "index.html"
    before, runs, rendered = _fingerprint(warehouse), _runs(warehouse), index.stat().st_mtime_ns
    done = _without_server(["run", "--sources", str(SOURCES), "--warehouse", str(warehouse),
                            "--out", str(first_run["site"])])
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "prefect imported: False"
    assert _fingerprint(warehouse) == before and _runs(warehouse) == runs
    assert index.stat().st_mtime_ns == rendered
    lines = _lines(done)
    assert lines[0] == f"polystat run: sources {SOURCES}, warehouse {warehouse}"  # unwrapped
    assert lines[1].startswith(f"nothing new since run {runs[-1][0]} (finished ")
    assert "--force runs the pipeline anyway" in lines[1]
    assert lines[-1] == f"report: unchanged, {index} stands"
    first_corpus = [line for line in _lines(first_run["process"]) if line.startswith("corpus:")]
    assert [line for line in lines if line.startswith("corpus:")] == first_corpus
    assert not any(STAGE_LINE.match(line) for line in lines)


def test_force_runs_the_flow_and_records_a_run_and_says_the_report_stands(
        api_url: str, first_run: dict[str, Any]) -> None:  # noqa: F811
    warehouse, index = first_run["warehouse"], first_run["site"] / "index.html"
    runs, rendered = _runs(warehouse), index.stat().st_mtime_ns
    done = polystat(["run", "--sources", str(SOURCES), "--warehouse", str(warehouse),
                     "--out", str(first_run["site"]), "--force"], api_url)
    assert done.returncode == 0, done.stderr[-3000:]
    after = _runs(warehouse)
    assert after[:-1] == runs and after[-1][1] == "completed"
    lines = _lines(done)
    assert "this run: 5 documents seen, 0 mined, 5 unchanged; 0 new statistics" in lines
    assert "  publish skipped: nothing changed: " + str(index) + " stands" in lines
    assert lines[-1] == f"report: unchanged, {index} stands"
    assert not any("rendered with" in line for line in lines)
    assert index.stat().st_mtime_ns == rendered


def test_the_flow_itself_always_runs_and_records_as_the_served_deployment_does(
        prefect_harness, first_run: dict[str, Any]) -> None:
    """The deployment (flows/deploy.py, prefect.yaml) calls the pipeline flow, which has no
    check of its own: a scheduled run with nothing new is recorded."""
    from flows.pipeline import pipeline

    runs = _runs(first_run["warehouse"])
    summary = pipeline(str(SOURCES), str(first_run["warehouse"]), str(first_run["site"]))
    assert summary["skipped"] == ["extract", "translate", "reconcile", "publish"]
    assert [run_id for run_id, _ in _runs(first_run["warehouse"])] == \
        [run_id for run_id, _ in runs] + [summary["run_id"]]


# --------------------------------------------------------------------------- what is new


def _small_corpus(folder: Path) -> Path:
    folder.mkdir()
    (folder / "umfrage.txt").write_text(
        "Umfrage unter Serviceteams 2024\nRund 64 Prozent der Teams setzen Chatbots ein.\n",
        encoding="utf-8")
    (folder / "leads.txt").write_text(
        "Support leads survey 2024\nIn 2024, 41% of support leads said their queues grew.\n",
        encoding="utf-8")
    (folder / "manifest.toml").write_text(
        '[[source]]\nfile = "umfrage.txt"\ntitle = "Umfrage"\nsurvey_year = 2024\n'
        'language = "de"\n\n[[source]]\nfile = "leads.txt"\ntitle = "Leads"\n'
        'survey_year = 2024\nlanguage = "en"\n', encoding="utf-8")
    return folder


def _nothing_new(sources: Path, warehouse: Path, out: Path, publish: bool = False
                 ) -> dict[str, Any] | None:
    con = db.connect(warehouse)
    try:
        return plan.nothing_new(con, str(sources), str(out), publish)
    finally:
        con.close()


def test_each_kind_of_change_lets_the_run_go_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.pipeline import run_without_prefect

    sources, warehouse, site = _small_corpus(tmp_path / "sources"), tmp_path / "w.duckdb", \
        tmp_path / "site"
    _settle()
    run_without_prefect(str(sources), str(warehouse), str(site), publish=False)
    standing = _nothing_new(sources, warehouse, site)
    assert standing is not None and standing["status"] == "completed"
    assert standing["documents_unchanged"] == 2 and standing["rejects"] == []
    assert _nothing_new(sources, warehouse, site, publish=True) is None  # no report yet

    with (sources / "umfrage.txt").open("a", encoding="utf-8") as document:
        document.write("Etwa 30 Prozent planen mehr Personal.\n")
    assert _nothing_new(sources, warehouse, site) is None
    _settle()
    run_without_prefect(str(sources), str(warehouse), str(site), publish=False)
    assert _nothing_new(sources, warehouse, site) is not None

    manifest = sources / "manifest.toml"
    original = manifest.read_text(encoding="utf-8")
    manifest.write_text(original.replace('title = "Leads"', 'title = "Support leads"'),
                        encoding="utf-8")
    assert _nothing_new(sources, warehouse, site) is None  # new metadata must reach the report
    manifest.write_text(original, encoding="utf-8")

    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "other-models"))
    assert _nothing_new(sources, warehouse, site) is None  # other models may translate
    monkeypatch.undo()

    con = db.connect(warehouse)
    con.execute("INSERT INTO runs (run_id, flow, started_at, status, code_version)"
                " VALUES ('killed', 'pipeline', now(), 'running', 'x')")
    con.close()
    assert _nothing_new(sources, warehouse, site) is None  # the pipeline cleans it up


# --------------------------------------------------------------------------- markup


def test_user_text_with_markup_characters_is_printed_as_it_is(tmp_path: Path) -> None:
    from warehouse import db

    warehouse = tmp_path / "w.duckdb"
    db.connect(warehouse).close()  # an empty warehouse: read commands refuse a missing one
    explained = _without_server(["explain", "[/]", "--warehouse", str(warehouse)])
    assert explained.returncode == 1, explained.stderr[-3000:]
    assert "error: no observation or metric with id '[/]'" in explained.stderr
    missing = _without_server(["run", "--sources", "a[/tmp]/src", "--warehouse", str(warehouse)])
    assert missing.returncode == 1, missing.stderr[-3000:]
    assert "error: a[/tmp]/src: sources folder does not exist" in _lines(missing)
    runner = _without_server(["run", "--task-runner", "[/]", "--warehouse", str(warehouse)])
    assert runner.returncode == 2 and "--task-runner '[/]'" in runner.stderr
    for done in (explained, missing, runner):
        assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr


def test_a_rejected_entry_with_markup_characters_is_named_and_stays_rejected(
        api_url: str, tmp_path: Path) -> None:  # noqa: F811
    """The rejects are part of what stands: a second run with the same rejects and nothing
    else new skips the flow, still names them and still exits 2."""
    sources, warehouse = _small_corpus(tmp_path / "sources"), tmp_path / "w.duckdb"
    with (sources / "manifest.toml").open("a", encoding="utf-8") as manifest:
        manifest.write('\n[[source]]\nfile = "reports[/]x.txt"\n')
    _settle()
    args = ["run", "--sources", str(sources), "--warehouse", str(warehouse), "--no-publish"]
    rejected = ("rejected: reports[/]x.txt: manifest.toml [[source]] #3 file=reports[/]x.txt: "
                "file is listed in the manifest but missing")
    first = polystat(args, api_url)
    assert first.returncode == 2, first.stderr[-3000:]
    assert rejected in _lines(first)
    assert any(line.startswith("corpus: 2 documents, ") for line in _lines(first))
    runs = _runs(warehouse)
    second = _without_server(args)
    assert second.returncode == 2, second.stderr[-3000:]
    assert second.stdout.strip() == "prefect imported: False"
    assert rejected in _lines(second) and "nothing new since run" in second.stderr
    assert _runs(warehouse) == runs == [(runs[0][0], "partial")]


# --------------------------------------------------------------------------- plurals


def test_counts_read_right_in_the_singular_and_the_plural() -> None:
    from reports.pages.common import change_words

    assert counted(1, "conflict") == "1 conflict"
    assert counted(2, "conflict") == "2 conflicts"
    assert counted(0, "metric") == "0 metrics"
    assert counted(1234, "figure") == "1,234 figures"
    assert counted(1.0, "percentage point") == "1 percentage point"
    assert counted(1.5, "percentage point") == "1.5 percentage points"
    assert counted(2, "entry", "entries") == "2 entries"
    assert change_words(82.0, 83.0, "percent") == ", +1 percentage point"
    assert change_words(83.0, 81.0, "percent") == ", −2 percentage points"
    assert translation_coverage(1, 1) == "1 of 1 non-English sentence has an English translation"
    assert translation_coverage(0, 350) == \
        "0 of 350 non-English sentences have an English translation"
