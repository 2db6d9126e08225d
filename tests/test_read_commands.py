"""Read commands (export, explain, eval) open the warehouse read-only: they never create,
upgrade or change a file, and a wrong --warehouse or --gold is a one-line error."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from conftest import GOLD, ROOT
from typer.testing import CliRunner

from flows.cli import app
from warehouse import db

runner = CliRunner()

READS = [["export", "statistics"], ["export", "conflicts"], ["export", "rejects"],
         ["explain", "obs-0000"], ["eval", "--gold", str(GOLD)]]
READ_IDS = ["export-statistics", "export-conflicts", "export-rejects", "explain", "eval"]


def _invoke(command: list[str], warehouse: Path):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [*command, "--warehouse", str(warehouse)])


def _one_line(output: str) -> str:
    return " ".join(output.split())


def _digests(folder: Path) -> dict[str, str]:
    """Every file in the folder by name, with the sha256 of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _fresh_warehouse(path: Path) -> Path:
    db.connect(path).close()
    return path


# --------------------------------------------------------------------------- the warehouse


@pytest.mark.parametrize("command", READS, ids=READ_IDS)
def test_a_missing_warehouse_is_not_created(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "sub" / "typo.duckdb"
    result = _invoke(command, typo)
    assert result.exit_code == 2, result.output
    assert f"no warehouse at {typo}; run `polystat run` first" in _one_line(result.output)
    assert not typo.parent.exists()


@pytest.mark.parametrize("content", [b"", b"not a warehouse\n", bytes(range(256)) * 40],
                         ids=["empty", "text", "binary"])
@pytest.mark.parametrize("command", READS, ids=READ_IDS)
def test_a_file_that_is_not_duckdb_stays_byte_identical(
        tmp_path: Path, command: list[str], content: bytes) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_bytes(content)
    before = _digests(tmp_path)
    result = _invoke(command, path)
    assert result.exit_code == 2, result.output
    assert result.output.count("\n") == 1, result.output
    assert f"{path} is not a DuckDB file" in result.output
    assert "Traceback" not in result.output
    assert _digests(tmp_path) == before


def test_a_damaged_duckdb_file_is_reported_and_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    path.write_bytes(b"DUCK" * 2000)  # DuckDB's magic bytes where it looks for them, then junk
    before = _digests(tmp_path)
    result = _invoke(["export", "conflicts"], path)
    assert result.exit_code == 1, result.output
    assert f"{path} is a damaged DuckDB file" in _one_line(result.output)
    assert _digests(tmp_path) == before


def test_a_real_process_reports_a_wrong_warehouse_in_one_line(tmp_path: Path) -> None:
    """As a user's shell sees it: exit code, one line on stderr, nothing on stdout or disk."""
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n", encoding="utf-8")
    before = _digests(tmp_path)
    for args, code, expected in (
            (["export", "rejects", "--warehouse", str(tmp_path / "typo.duckdb")], 2,
             f"no warehouse at {tmp_path / 'typo.duckdb'}; run `polystat run` first"),
            (["explain", "obs-1", "--warehouse", str(text)], 2, f"{text} is not a DuckDB file")):
        done = subprocess.run([sys.executable, "-m", "flows.cli_main", *args], cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == code, done.stderr
        assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith("error: ") and expected in done.stderr
    assert _digests(tmp_path) == before


def test_a_folder_given_as_warehouse_is_refused(tmp_path: Path) -> None:
    result = _invoke(["export", "rejects"], tmp_path)
    assert result.exit_code == 2
    assert f"{tmp_path} is a folder" in _one_line(result.output)


def test_a_duckdb_file_of_another_program_is_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE birds (name VARCHAR)")
    con.close()
    before = _digests(tmp_path)
    result = _invoke(["export", "statistics"], path)
    assert result.exit_code == 2, result.output
    assert "is a DuckDB database but not a polystat warehouse" in _one_line(result.output)
    assert _digests(tmp_path) == before


def _older_warehouse(path: Path, keep: int) -> None:
    """A warehouse as an older polystat left it: only its first `keep` migrations applied."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_migrations "
                "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT now())")
    for version, name, sql in db._migrations()[:keep]:
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                    [version, name])
    con.close()


def test_an_outdated_warehouse_is_left_alone_and_a_run_upgrades_it(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    newest = db._migrations()[-1][1]
    _older_warehouse(path, keep=len(db._migrations()) - 1)
    before = _digests(tmp_path)
    result = _invoke(["export", "rejects"], path)
    assert result.exit_code == 1, result.output
    message = _one_line(result.output)
    assert f"{path} was written by an older polystat" in message
    assert newest in message and "run `polystat run` to upgrade it" in message
    assert _digests(tmp_path) == before
    db.connect(path).close()  # what `polystat run` does first
    upgraded = _invoke(["export", "rejects"], path)
    assert upgraded.exit_code == 0, upgraded.output


def test_a_read_during_a_run_says_so_at_once(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    path = _fresh_warehouse(tmp_path / "w.duckdb")
    monkeypatch.setenv("POLYSTAT_LOCK_WAIT", "30")  # what a run waits; a read must not
    writer = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]);"
         " print('writing', flush=True); time.sleep(60)", str(path)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout and writer.stdout.readline().strip() == "writing"
        started = time.monotonic()
        result = _invoke(["export", "statistics"], path)
        waited = time.monotonic() - started
    finally:
        writer.kill()
        writer.wait()
    assert result.exit_code == 1, result.output
    message = _one_line(result.output)
    assert f"{path} is in use by another polystat process (process {writer.pid})" in message
    assert "a run is writing it" in message and "Try again when the run ends" in message
    assert waited < 5


def test_reads_of_a_real_warehouse_change_no_byte(corpus_run, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    path = folder / "w.duckdb"
    shutil.copy(corpus_run["warehouse"], path)
    before = _digests(folder)
    statistics = _invoke(["export", "statistics"], path)
    record = json.loads(statistics.stdout.splitlines()[0])
    for command in (["export", "conflicts"], ["export", "rejects", "--format", "csv"],
                    ["explain", record["obs_id"]], ["explain", record["metric_id"], "--json"],
                    ["eval", "--gold", str(GOLD), "--json"]):
        result = _invoke(command, path)
        assert result.exit_code == 0, (command, result.output)
    assert _digests(folder) == before  # no write, no .wal, no lock file left


# --------------------------------------------------------------------------- eval --gold


@pytest.mark.parametrize("state", ["missing", "empty", "no statistics.jsonl", "no figures"])
def test_eval_without_usable_gold_exits_2_naming_the_folder(tmp_path: Path, state: str) -> None:
    gold = tmp_path / "gold"
    if state != "missing":
        gold.mkdir()
    if state == "no statistics.jsonl":
        (gold / "conflicts.jsonl").write_text("", encoding="utf-8")
    if state == "no figures":
        (gold / "statistics.jsonl").write_text("\n\n", encoding="utf-8")
    warehouse = _fresh_warehouse(tmp_path / "w.duckdb")
    result = runner.invoke(app, ["eval", "--gold", str(gold), "--warehouse", str(warehouse)])
    assert result.exit_code == 2, result.output
    message = _one_line(result.output)
    expected = {"missing": f"gold folder {gold} does not exist",
                "empty": f"gold folder {gold} is empty: it needs statistics.jsonl",
                "no statistics.jsonl": f"gold folder {gold} has no statistics.jsonl",
                "no figures": f"{gold / 'statistics.jsonl'} holds no gold figures"}[state]
    assert expected in message
    assert "span_f1" not in result.output


# --------------------------------------------------------------------------- explain


def test_explain_gives_a_short_summary_and_json_on_request(corpus_run) -> None:
    warehouse = corpus_run["warehouse"]
    records = [json.loads(line) for line in
               _invoke(["export", "statistics"], warehouse).stdout.splitlines()]
    record = next(r for r in records if r["population"] and r["year"])
    result = _invoke(["explain", record["obs_id"]], warehouse)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) <= 10, result.stdout
    text = result.stdout
    start = record["claim"].find(record["surface"])
    marked = (f"{record['claim'][:start]}»{record['surface']}«"
              f"{record['claim'][start + len(record['surface']):]}")
    assert marked in text
    for expected in (record["surface"], record["unit"], record["qualifier"],
                     record["population"], str(record["year"]), record["doc"],
                     record["metric_id"], record["metric"], record["run_id"]):
        assert expected in text, expected
    full = json.loads(_invoke(["explain", record["obs_id"], "--json"], warehouse).stdout)
    assert full["observation"]["obs_id"] == record["obs_id"]
    assert full["source"]["title"] in text


def test_a_metric_explained_briefly_keeps_full_counts_in_reading_order(corpus_run) -> None:
    from warehouse import reads

    con = db.connect(corpus_run["warehouse"], read_only=True)
    try:
        metric_id, members, documents = con.execute(
            "SELECT metric_id, count(*), count(DISTINCT doc_id) FROM metric_observations"
            " JOIN observations USING (obs_id) GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1").fetchone()
        full = reads.explain(con, metric_id)
        brief = reads.explain(con, metric_id, members=2)
    finally:
        con.close()
    assert full and brief and members > 2
    assert (brief["n_observations"], brief["n_documents"]) == (members, documents)
    assert len(full["observations"]) == members and len(brief["observations"]) == 2
    order = [(o["observation"]["year"], o["document"]["file_name"], o["observation"]["start"])
             for o in full["observations"]]
    assert order == sorted(order)
    assert brief["observations"] == full["observations"][:2]


def test_explain_prints_markup_in_titles_and_sentences_verbatim(corpus_run,
                                                                tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    shutil.copy(corpus_run["warehouse"], path)
    title = "[bold red]Umfrage[/] [link=https://example.org]2021[/link] \\[x]"
    con = db.connect(path)
    con.execute("UPDATE sources SET title = ?", [title])
    obs_id = con.execute("SELECT obs_id FROM current_observations LIMIT 1").fetchone()[0]
    con.close()
    result = _invoke(["explain", obs_id], path)
    assert result.exit_code == 0, result.output
    assert title in result.stdout
