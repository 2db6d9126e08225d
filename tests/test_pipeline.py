"""The whole pipeline on the embedded corpus, under Prefect's test harness."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from flows.cli import EXPORT_FIELDS, app
from flows.pipeline import pipeline

runner = CliRunner()
GOLD = Path(__file__).resolve().parent / "gold"


def _counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                for t in ("documents", "segments", "observations", "translations", "extractions")}
    finally:
        con.close()


def test_corpus_run_stores_every_document_and_exact_spans(corpus_run) -> None:
    summary = corpus_run["summary"]
    assert summary["status"] == "completed"
    assert summary["documents_seen"] == 5
    assert len(summary["documents_new"]) == 5
    con = duckdb.connect(str(corpus_run["warehouse"]), read_only=True)
    rows = con.execute("SELECT d.text, o.start, o.\"end\", o.surface, d.file_name"
                       " FROM observations o JOIN documents d USING (doc_id)").fetchall()
    assert len(rows) > 50
    assert all(text[start:end] == surface for text, start, end, surface, _ in rows)
    per_doc = dict(con.execute("SELECT file_name, count(o.obs_id) FROM documents"
                               " LEFT JOIN observations o USING (doc_id) GROUP BY file_name"
                               ).fetchall())
    assert per_doc["002_8540100f77c5eb5e.txt"] > 20
    assert per_doc["003_19b5969eb5faa5a2.txt"] > 20
    languages = dict(con.execute("SELECT file_name, language FROM documents").fetchall())
    assert languages["003_19b5969eb5faa5a2.txt"] == "zh"
    assert languages["002_8540100f77c5eb5e.txt"] == "tr"
    con.close()


def test_second_run_adds_nothing_and_both_runs_are_recorded(prefect_harness, tmp_path: Path,
                                                            sources_copy: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    first = pipeline(str(sources_copy), str(warehouse), str(tmp_path / "site"), publish=False)
    before = _counts(warehouse)
    second = pipeline(str(sources_copy), str(warehouse), str(tmp_path / "site"), publish=False)
    assert _counts(warehouse) == before
    assert second["documents_new"] == [] and second["observations_new"] == 0
    assert second["documents_unchanged"] == 5
    con = duckdb.connect(str(warehouse), read_only=True)
    runs = con.execute("SELECT run_id, status FROM runs ORDER BY started_at").fetchall()
    con.close()
    assert [r[0] for r in runs] == [first["run_id"], second["run_id"]]
    assert [r[1] for r in runs] == ["completed", "completed"]


def test_changed_document_is_a_new_version_and_old_figures_are_kept(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    pipeline(str(sources_copy), str(warehouse), str(tmp_path / "site"), publish=False)
    doc = sources_copy / "001_e6f45ab03d4a44ef.txt"
    doc.write_text(doc.read_text(encoding="utf-8") + "\nZudem nennen 77 Prozent der Befragten "
                   "Video als neuen Kanal.\n", encoding="utf-8")
    summary = pipeline(str(sources_copy), str(warehouse), str(tmp_path / "site"), publish=False)
    assert summary["documents_new"] == ["001_e6f45ab03d4a44ef.txt"]
    con = duckdb.connect(str(warehouse), read_only=True)
    versions = con.execute("SELECT superseded_by IS NULL FROM documents WHERE source_id = ?"
                           " ORDER BY superseded_by NULLS LAST", [doc.name]).fetchall()
    assert versions == [(False,), (True,)]
    current = con.execute("SELECT count(*) FROM current_observations WHERE surface = '77 Prozent'"
                          ).fetchone()
    kept = con.execute("SELECT count(DISTINCT doc_id) FROM observations o JOIN documents d"
                       " USING (doc_id) WHERE d.source_id = ?", [doc.name]).fetchone()
    con.close()
    assert current == (1,)
    assert kept == (2,)


def test_cli_export_statistics_has_the_evaluation_fields(corpus_run, tmp_path: Path) -> None:
    out = tmp_path / "stats.jsonl"
    result = runner.invoke(app, ["export", "statistics", "--format", "jsonl", "--output", str(out),
                                 "--warehouse", str(corpus_run["warehouse"])])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) > 50
    assert all(set(EXPORT_FIELDS) <= set(r) for r in records)
    assert {r["lang"] for r in records} >= {"de", "tr", "zh"}
    assert all(r["metric_id"] for r in records)


def test_cli_eval_prints_every_score(corpus_run) -> None:
    result = runner.invoke(app, ["eval", "--gold", str(GOLD), "--warehouse",
                                 str(corpus_run["warehouse"])])
    assert result.exit_code == 0, result.output
    for name in ("span_precision", "span_recall", "span_f1", "strict_f1", "qualifier_accuracy",
                 "population_accuracy", "year_accuracy", "all_fields_accuracy", "trap_hits",
                 "metric_pair_f1", "recall_de", "recall_tr", "recall_zh", "conflicts_false"):
        assert name in result.output


def test_rejected_documents_give_exit_code_2_and_the_rest_is_stored(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    manifest = sources_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8")
                        + '\n[[source]]\nfile = "missing.txt"\n', encoding="utf-8")
    (sources_copy / "empty.txt").write_bytes(b"")
    (sources_copy / "unlisted.txt").write_text("Studie 2023\n52 Prozent der Befragten sagen ja.\n",
                                              encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    result = runner.invoke(app, ["run", "--sources", str(sources_copy), "--warehouse",
                                 str(warehouse), "--out", str(tmp_path / "site"), "--no-publish"])
    assert result.exit_code == 2, result.output
    assert "missing.txt" in result.output and "empty.txt" in result.output
    assert "unlisted.txt is not in manifest.toml" in " ".join(result.output.split())
    assert _counts(warehouse)["documents"] == 6
    rejects = runner.invoke(app, ["export", "rejects", "--warehouse", str(warehouse)])
    assert "listed in the manifest but missing" in rejects.output


def test_missing_sources_folder_exits_1_with_a_clear_message(prefect_harness,
                                                            tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--sources", str(tmp_path / "nope"), "--warehouse",
                                 str(tmp_path / "w.duckdb"), "--no-publish"])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
