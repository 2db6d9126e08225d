"""The translate stage end to end: a tiny real argos model, cached, with provenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from argos_tiny import isolated_env, tiny_package

DOC = ("Gleichzeitig geben 52 Prozent der Befragten an, dass die Dringlichkeit gestiegen ist.\n"
       "Rund 1.500 Führungskräfte wurden befragt.\n")
MANIFEST = ('[[source]]\nfile = "studie.txt"\ntitle = "Studie"\nsurvey_year = 2021\n'
            'language = "de"\n')


def _polystat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "flows.cli_main", *args], env=env, text=True,
                          capture_output=True, timeout=300, check=False)


def _study(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A one-document corpus and an environment with no model and no Prefect server."""
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "studie.txt").write_text(DOC, encoding="utf-8")
    (sources / "manifest.toml").write_text(MANIFEST, encoding="utf-8")
    env = isolated_env(tmp_path, tmp_path / "models")
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    env.pop("PREFECT_API_URL", None)
    return sources, env


def test_translations_are_stored_with_provenance_and_cached(tmp_path: Path) -> None:
    sources, env = _study(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    common = ["--warehouse", str(warehouse)]
    installed = _polystat(env, "models", "install", str(tiny_package()))
    assert installed.returncode == 0, installed.stderr
    first = _polystat(env, "run", "--sources", str(sources), "--no-publish", *common)
    assert first.returncode == 0, first.stderr
    assert "not translated" not in first.stderr
    second = _polystat(env, "run", "--sources", str(sources), "--no-publish", "--force", *common)
    assert second.returncode == 0, second.stderr
    # nothing new and the same models: the stage does not even start (the rows below prove it)
    assert "translate skipped: no new segments, same models" in second.stderr

    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute("SELECT engine, model, model_version, status, numbers_preserved,"
                       " numbers_missing, run_id FROM translations").fetchall()
    runs = [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY started_at").fetchall()]
    label_sources = {r[0] for r in con.execute("SELECT label_source FROM metrics").fetchall()}
    con.close()
    assert len(rows) == 2
    assert {r[:4] for r in rows} == {("argostranslate", "translate-de_en", "0.1", "translated")}
    assert {r[6] for r in rows} == {runs[0]}  # the second run translated nothing
    assert label_sources == {"translation", "sample"}  # 52 Prozent: gloss; 1.500: sample
    for row in rows:  # random weights lose the figures; the check must say so, never crash
        assert row[4] is False and json.loads(row[5])
    export = _polystat(env, "export", "statistics", *common)
    records = [json.loads(line) for line in export.stdout.splitlines()]
    assert {r["surface"] for r in records} == {"52 Prozent", "1.500"}
    assert all(r["claim_en"] for r in records)
    assert {r["value"] for r in records} == {52.0, 1500.0}  # numbers from the original text
    assert os.listdir(tmp_path / "home") == []


def test_a_model_installed_later_translates_and_relabels_what_is_stored(tmp_path: Path) -> None:
    """First run without a model: untranslated records, labels from the original text. A
    model installed afterwards translates the stored segments on the next run (no new
    document), and the metrics' labels follow without a rebuild. A cached gloss from another
    version of the model is translated anew and replaced."""
    import duckdb

    sources, env = _study(tmp_path)
    common = ["--warehouse", str(tmp_path / "w.duckdb")]
    first = _polystat(env, "run", "--sources", str(sources), "--no-publish", *common)
    assert first.returncode == 0, first.stderr
    assert _polystat(env, "models", "install", str(tiny_package())).returncode == 0
    second = _polystat(env, "run", "--sources", str(sources), "--no-publish", *common)
    assert second.returncode == 0, second.stderr
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        summaries = [json.loads(r[0]) for r in con.execute(
            "SELECT summary FROM runs ORDER BY started_at").fetchall()]
        statuses = con.execute("SELECT model, status FROM translations ORDER BY ALL").fetchall()
        labels = {r[0] for r in con.execute("SELECT label_source FROM metrics").fetchall()}
        con.execute("UPDATE translations SET model_version = '0.0', translated = 'old'"
                    " WHERE status = 'translated'")
    assert statuses == [("none", "untranslated")] * 2 + [("translate-de_en", "translated")] * 2
    assert labels == {"translation", "sample"}
    assert [s["reconciled"] for s in summaries] == ["rebuilt: no metrics yet", "extended"]
    again = subprocess.run(
        [sys.executable, "-c", "import duckdb, sys\nfrom flows import translation\n"
         "con = duckdb.connect(sys.argv[1])\n"
         "print(translation.translate_pending(con, 'retranslate').translated)",
         str(tmp_path / "w.duckdb")], env=env, text=True, capture_output=True, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == ["2"]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert con.execute("SELECT model_version, translated <> 'old', run_id FROM translations"
                           " WHERE status = 'translated'").fetchall() \
            == [("0.1", True, "retranslate")] * 2
