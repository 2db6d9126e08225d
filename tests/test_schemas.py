"""Schemas at every door: language files, manifest entries and settings are typed models
that refuse unknown keys and bad values with an error naming the file, the entry and the key."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import cli_process
import duckdb
import pytest
from cli_process import polystat
from conftest import ROOT
from typer.testing import CliRunner

from extract import languages, lexicon
from flows import settings
from flows.cli import app
from flows.ingest import load_manifest

runner = CliRunner()
api_url = cli_process.api_url  # the session's Prefect server, for `polystat` subprocesses


# --------------------------------------------------------------------------- language files


@pytest.fixture()
def user_lexicon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty POLYSTAT_LEXICON_DIR; the loader's caches are emptied around the test."""
    folder = tmp_path / "lexicon"
    (folder / "en").mkdir(parents=True)
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(folder))
    lexicon.load.cache_clear()
    yield folder / "en"
    monkeypatch.delenv("POLYSTAT_LEXICON_DIR")
    lexicon.load.cache_clear()


def _load_error(lang: str = "en") -> str:
    with pytest.raises(lexicon.LexiconError) as caught:
        lexicon.load(lang)
    return str(caught.value)


def test_every_shipped_language_file_fits_its_model() -> None:
    lexicon.load.cache_clear()
    for lang in languages.supported():
        assert lexicon.load(lang)["figures"], lang


def test_a_typo_in_a_figure_entry_names_file_entry_and_key(user_lexicon: Path) -> None:
    (user_lexicon / "figures.toml").write_text(
        '[[figures]]\nrule = "en.mine"\nkind = "number"\nunit = "percent"\npattern = "x"\n'
        "not_befor = 'years?'\n", encoding="utf-8")
    message = _load_error()
    assert str(user_lexicon / "figures.toml") in message
    assert "[[figures]] #1 rule=en.mine" in message
    assert "unknown key `not_befor`" in message and "not_before" in message


def test_wrong_values_in_language_files_say_what_is_expected(user_lexicon: Path) -> None:
    (user_lexicon / "figures.toml").write_text(
        '[[figures]]\nrule = "en.a"\nkind = "numbr"\nunit = "percent"\npattern = "x"\n'
        'needs = "(("\n[fractions]\ndenominators = { "third" = "3" }\n', encoding="utf-8")
    (user_lexicon / "population.toml").write_text(
        '[population]\nweek = ["respondents"]\n[population.terms]\nAgents = ["agents?"]\n',
        encoding="utf-8")
    (user_lexicon / "numbers.toml").write_text('[numbers]\ncompound = "germanic"\n',
                                               encoding="utf-8")
    lines = _load_error().splitlines()
    expected = [
        ("figures.toml", "#1 rule=en.a: `kind` = 'numbr'", "'number'"),
        ("figures.toml", "#1 rule=en.a: `needs` = '(('", "not a valid regular expression"),
        ("figures.toml", "[fractions.denominators] `third` = '3'", "valid integer"),
        ("population.toml", "[population] unknown key `week`", "weak"),
        ("population.toml", "[population.terms] key 'Agents'", "snake_case"),
        ("numbers.toml", "[numbers] `compound` = 'germanic'", "'additive'"),
    ]
    for file_name, where, what in expected:
        assert any(file_name in line and where in line and what in line for line in lines), (
            where, lines)


def test_a_language_file_of_unknown_kind_is_refused(user_lexicon: Path) -> None:
    (user_lexicon / "figure.toml").write_text("[[figures]]\n", encoding="utf-8")
    assert "figure.toml: not a language file name; use one of" in _load_error()


def test_a_bad_user_language_file_stops_run_before_prefect(user_lexicon: Path,
                                                           tmp_path: Path) -> None:
    (user_lexicon / "cues.toml").write_text("[years]\nvalue_befor = []\n", encoding="utf-8")
    result = runner.invoke(app, ["run", "--no-publish", "--sources", str(tmp_path / "none"),
                                 "--warehouse", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 2
    assert "cues.toml: [years] unknown key `value_befor`" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------- manifest entries


def _append(sources: Path, text: str) -> None:
    manifest = sources / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_typo_key_in_a_manifest_entry_is_a_reject_naming_entry_and_key(
        sources_copy: Path) -> None:
    (sources_copy / "x.txt").write_text("Study 2021\n52 percent agree.\n", encoding="utf-8")
    _append(sources_copy, '\n[[source]]\nfile = "x.txt"\nsurvey_yaer = 2021\n')
    entries, rejects = load_manifest(sources_copy)
    assert [r.path for r in rejects] == ["x.txt"]
    assert rejects[0].problem.startswith("manifest.toml [[source]] #6 file=x.txt: unknown key "
                                         "`survey_yaer` (did you mean `survey_year`?)")
    # Refused, not read as an unlisted file with a guessed survey year.
    assert "x.txt" not in {e.source_id for e in entries}


@pytest.mark.parametrize(("value", "accepted"), [
    ("2021", 2021), ('"2021"', 2021), ("1900", 1900),
    ('"abc"', None), ("99999", None), ("100000000000", None), ("1899", None), ("2021.5", None),
    ("true", None),
])
def test_survey_year_must_be_a_plausible_year(sources_copy: Path, value: str,
                                              accepted: int | None) -> None:
    (sources_copy / "x.txt").write_text("Study\n52 percent agree.\n", encoding="utf-8")
    _append(sources_copy, f'\n[[source]]\nfile = "x.txt"\nsurvey_year = {value}\n')
    entries, rejects = load_manifest(sources_copy)
    by_id = {e.source_id: e for e in entries}
    if accepted is not None:
        assert rejects == [] and by_id["x.txt"].meta["survey_year"] == accepted
    else:
        assert "x.txt" not in by_id
        assert "survey_year = " in rejects[0].problem
        assert "a whole number from 1900 to" in rejects[0].problem


def test_a_file_listed_twice_keeps_the_first_entry(sources_copy: Path) -> None:
    _append(sources_copy, '\n[[source]]\nfile = "./000_32ea278a2476e42a.txt"\ntitle = "again"\n'
                          '\n[[source]]\nfile = "001_e6f45ab03d4a44ef.txt"\n')
    entries, rejects = load_manifest(sources_copy)
    assert len(entries) == 5 and all(e.meta["title"] != "again" for e in entries)
    assert [r.path for r in rejects] == ["000_32ea278a2476e42a.txt", "001_e6f45ab03d4a44ef.txt"]
    assert ("#6 file=./000_32ea278a2476e42a.txt: lists the same file as manifest.toml "
            "[[source]] #1") in rejects[0].problem


def test_a_misspelt_manifest_table_stops_the_run(sources_copy: Path) -> None:
    manifest = sources_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("[[source]]", "[[sources]]"),
                        encoding="utf-8")
    from flows.ingest import SourcesError
    with pytest.raises(SourcesError, match=r"unknown table or key `sources`"):
        load_manifest(sources_copy)


def test_bad_entries_are_rejects_and_every_other_document_is_stored(
        api_url: str, tmp_path: Path, sources_copy: Path) -> None:
    (sources_copy / "new.txt").write_text("Kundenstudie 2023\n52 Prozent der Befragten sagen ja.\n",
                                          encoding="utf-8")
    (sources_copy / "huge.txt").write_text("Study\n61 percent of customers agree.\n",
                                           encoding="utf-8")
    _append(sources_copy, '\n[[source]]\nfile = "./000_32ea278a2476e42a.txt"\n'
                          '\n[[source]]\nfile = "new.txt"\nsurvey_year = 2023\nlanguage = "de"\n'
                          '\n[[source]]\nfile = "huge.txt"\nsurvey_year = 100000000000\n')
    warehouse = tmp_path / "w.duckdb"
    args = ["run", "--sources", str(sources_copy), "--warehouse", str(warehouse), "--no-publish"]
    for _ in range(2):  # the second run reads the manifest from its cache: the same outcome
        result = polystat(args, api_url)
        output = " ".join((result.stdout + result.stderr).split())
        assert result.returncode == 2, output
        assert "Traceback" not in output and "aborted" not in output, output
        assert "[[source]] #6 file=./000_32ea278a2476e42a.txt: lists the same file" in output
        assert "[[source]] #8 file=huge.txt: survey_year = 100000000000" in output
    con = duckdb.connect(str(warehouse), read_only=True)
    stored = dict(con.execute("SELECT source_id, survey_year FROM sources").fetchall())
    con.close()
    assert stored["new.txt"] == 2023 and "huge.txt" not in stored and len(stored) == 6


# --------------------------------------------------------------------------- settings


def test_the_settings_file_is_read_and_the_environment_wins(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "polystat.toml").write_text(
        'lock_wait = 7\nmax_document_mb = 2.5\nsources = "my-sources"\nverify = "hash"\n',
        encoding="utf-8")
    monkeypatch.setenv("POLYSTAT_VERIFY", "stat")
    assert settings.get("lock_wait") == 7.0 and settings.get("max_document_mb") == 2.5
    assert settings.get("sources") == tmp_path / "my-sources"  # relative to the file
    assert settings.get("verify") == "stat"
    assert settings.get("relink") == "auto"
    sources = {s.name: s.source() for s in settings.SETTINGS}
    assert (sources["lock_wait"], sources["verify"], sources["relink"]) == ("file", "env",
                                                                             "default")
    shown = runner.invoke(app, ["settings"], env={"COLUMNS": "250"})
    assert shown.exit_code == 0, shown.output
    row = next(line for line in shown.output.splitlines() if "POLYSTAT_LOCK_WAIT" in line)
    assert "lock_wait" in row and "7.0" in row and "file" in row


def test_a_typo_in_the_settings_file_is_named(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "polystat.toml").write_text("lock_wiat = 7\n", encoding="utf-8")
    result = runner.invoke(app, ["settings"])
    assert result.exit_code == 2
    assert "polystat.toml: unknown setting `lock_wiat` (did you mean `lock_wait`?)" in \
        " ".join(result.output.split())


def _cli_in_a_fresh_process(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """The command line in a new process; it prints whether Prefect was imported."""
    code = ("import sys\nfrom flows.cli import app\ntry:\n    app(sys.argv[1:])\n"
            "except SystemExit as exc:\n    print('exit', exc.code, 'prefect' in sys.modules)\n")
    full_env = {**os.environ, "COLUMNS": "80", **env}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("variable", "value", "line"), [
    ("POLYSTAT_LOCK_WAIT", "abc",
     "error: setting lock_wait (POLYSTAT_LOCK_WAIT) = 'abc': expected a number of seconds"),
    ("POLYSTAT_MAX_DOCUMENT_MB", "abc",
     "error: setting max_document_mb (POLYSTAT_MAX_DOCUMENT_MB) = 'abc': expected a number"),
    ("POLYSTAT_DB_MEMORY", "lots",
     "error: setting db_memory (POLYSTAT_DB_MEMORY) = 'lots': expected a size such as 1GB"),
    ("POLYSTAT_LANGUAGES", "de,xx",
     "error: setting languages (POLYSTAT_LANGUAGES) = 'de,xx': no language data for 'xx'"),
    ("POLYSTAT_VERIFY", "sha",
     "error: setting verify (POLYSTAT_VERIFY) = 'sha': expected stat or hash"),
])
def test_a_bad_environment_value_is_one_line_before_prefect(variable: str, value: str,
                                                            line: str) -> None:
    result = _cli_in_a_fresh_process(["run", "--no-publish"], **{variable: value})
    assert result.stdout.strip().endswith("exit 2 False"), (result.stdout, result.stderr)
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line
    assert result.stderr.startswith(line), result.stderr


def test_run_help_shows_the_real_defaults() -> None:
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "300"})
    assert result.exit_code == 0
    assert "(dynamic)" not in result.output
    for name in ("sources", "warehouse", "out"):
        assert str(settings.get(name)) in result.output, name


def test_polystat_config_names_the_settings_file(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    named = tmp_path / "elsewhere" / "scheduled.toml"
    monkeypatch.setenv("POLYSTAT_CONFIG", str(named))
    with pytest.raises(settings.SettingsError, match="no such settings file"):
        settings.check()
    named.parent.mkdir()
    named.write_text('timezone = "Europe/Berlin"\n', encoding="utf-8")
    assert settings.get("timezone") == "Europe/Berlin"
    assert {s.name: s.source() for s in settings.SETTINGS}["timezone"] == "file"


def test_a_manifest_that_does_not_parse_is_one_line_naming_file_and_line(
        sources_copy: Path, tmp_path: Path) -> None:
    _append(sources_copy, '\n[[source]]\nfile = "x.txt\n')
    bad_line = (sources_copy / "manifest.toml").read_text(encoding="utf-8").count("\n")
    result = runner.invoke(app, ["run", "--sources", str(sources_copy), "--warehouse",
                                 str(tmp_path / "w.duckdb"), "--no-publish"],
                           env={"COLUMNS": "300"})
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "manifest.toml: does not parse" in errors[0]
    assert f"line {bad_line}," in errors[0] and "Traceback" not in result.output
