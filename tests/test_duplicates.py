"""Near-duplicates (issue 14, item 13): a source whose text equals another's once white
space, line ends, a BOM and Unicode form are normalised is reported as a duplicate of that
source, and its figures are stored and counted once.

Decision tested here: a duplicate is a warning, never a reject. Its text is in the
warehouse (under the original), so nothing the sources say is missing and the run
completes (exit 0), on the first run as on every later one; the warning with its advice
is printed, kept in `polystat export rejects` (severity `warning`) and shown on the
Overview page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import unicodedata
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import pytest
from stage_runs import ingest_in_own_run
from typer.testing import CliRunner

from flows import stages
from flows.cli import app
from flows.ingest import RawDocument, SourceEntry, documents, read_document, text_key
from flows.pipeline import run_without_prefect
from warehouse import db, reads, store
from warehouse.ingest_tables import StoredDocument

ORIGINAL = "001_e6f45ab03d4a44ef.txt"
runner = CliRunner()


def _copies(text: str) -> dict[str, bytes]:
    """The copies an analyst makes by accident: each says what the original says."""
    return {
        "copy_newline.txt": (text + "\n\n").encode("utf-8"),
        "copy_crlf.txt": text.replace("\n", "\r\n").encode("utf-8"),
        "copy_bom.txt": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "copy_nfd.txt": unicodedata.normalize("NFD", text).encode("utf-8"),
    }


def _original_text(sources: Path) -> str:
    return (sources / ORIGINAL).read_text(encoding="utf-8")


def _add_copies(sources: Path, listed: bool = True) -> list[str]:
    copies = _copies(_original_text(sources))
    for name, data in copies.items():
        (sources / name).write_bytes(data)
    if listed:
        manifest = sources / "manifest.toml"
        entries = "".join(f'\n[[source]]\nfile = "{name}"\ntitle = "Copy"\nsurvey_year = 2021\n'
                          for name in copies)
        manifest.write_text(manifest.read_text(encoding="utf-8") + entries, encoding="utf-8")
    return sorted(copies)


def _query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _statistics(warehouse: Path) -> list[dict[str, Any]]:
    con = db.connect(warehouse)
    try:
        return reads.statistics(con)
    finally:
        con.close()


# --------------------------------------------------------------------------- the key


def test_the_text_key_ignores_line_ends_blank_lines_bom_and_unicode_form() -> None:
    text = _original_text(Path(__file__).resolve().parent.parent / "sources")
    assert unicodedata.normalize("NFD", text) != text  # the NFD copy is really other text
    for name, data in _copies(text).items():
        decoded = data.decode("utf-8")
        assert decoded != text, name
        assert text_key(decoded) == text_key(text), name
    assert text_key(text + " 1") != text_key(text)  # one more word is another text
    assert text_key("a b") != text_key("ab")  # white space is normalised, not removed


# --------------------------------------------------------------------------- who keeps a text


def _raw(name: str, text: str) -> RawDocument:
    entry = SourceEntry(source_id=name, path=Path("/sources") / name, in_manifest=True)
    return RawDocument(entry=entry, doc_id=f"{name}:{text}", text=text, encoding="utf-8",
                       n_bytes=len(text))


def test_a_stored_original_keeps_its_text_when_a_copy_comes_first_in_the_manifest() -> None:
    stored = {"a.txt:Text one.": StoredDocument("a.txt", text_key("Text one."), current=True)}
    found = stages._classify([_raw("copy.txt", "Text  one.\r\n"), _raw("a.txt", "Text one.")],
                             stored)
    assert [d.entry.source_id for d in found.kept] == ["a.txt"] and found.new == []
    assert [(d.path, d.original, d.same_bytes) for d in found.duplicates] == [
        ("copy.txt", "a.txt", False)]
    assert found.originals == {"copy.txt": "a.txt:Text one."}


def test_in_one_run_the_first_listed_source_keeps_a_text() -> None:
    found = stages._classify([_raw("b.txt", "Same text."), _raw("a.txt", "Same\ttext.\n")], {})
    assert [d.entry.source_id for d in found.new] == ["b.txt"]
    assert [(d.path, d.original) for d in found.duplicates] == [("a.txt", "b.txt")]


def test_a_source_whose_file_now_says_something_else_gives_its_old_text_up() -> None:
    stored = {"a.txt:Old text.": StoredDocument("a.txt", text_key("Old text."), current=True)}
    found = stages._classify([_raw("a.txt", "New text."), _raw("b.txt", "Old text.")], stored)
    assert sorted(d.entry.source_id for d in found.new) == ["a.txt", "b.txt"]
    assert found.duplicates == []


# --------------------------------------------------------------------------- whole runs


def test_copies_add_no_figures_and_every_run_completes(tmp_path: Path,
                                                       sources_copy: Path) -> None:
    plain = tmp_path / "plain.duckdb"
    run_without_prefect(str(sources_copy), str(plain), str(tmp_path / "site"), publish=False)
    copies = _add_copies(sources_copy)
    warehouse = tmp_path / "w.duckdb"
    runs = [run_without_prefect(str(sources_copy), str(warehouse), str(tmp_path / "site"),
                                publish=False) for _ in range(2)]
    for summary in runs:
        assert summary["status"] == "completed" and summary["rejects"] == []
        assert sorted(w.split(" ")[0] for w in summary["warnings"]) == copies
        assert all(f"duplicates {ORIGINAL} (same text once white space" in w
                   for w in summary["warnings"])
    assert runs[1]["observations_new"] == 0 and runs[1]["skipped"][:3] == [
        "extract", "translate", "reconcile"]
    exported, expected = _statistics(warehouse), _statistics(plain)
    assert len(exported) == len(expected) > 50
    assert Counter(r["doc"] for r in exported) == Counter(r["doc"] for r in expected)
    for view in ("SELECT metric, year, n_documents, n_observations FROM series ORDER BY ALL",
                 "SELECT metric, year, \"values\" FROM conflicts ORDER BY ALL"):
        assert _query(warehouse, view) == _query(plain, view)
    assert _query(warehouse, "SELECT source_id FROM documents WHERE source_id LIKE 'copy%'"
                             " UNION ALL SELECT source_id FROM sources"
                             " WHERE source_id LIKE 'copy%'") == []
    severities = _query(warehouse, "SELECT DISTINCT severity FROM rejects")
    assert severities == [("warning",)]


def test_a_copy_listed_first_but_added_later_never_displaces_the_original(
        tmp_path: Path, sources_copy: Path) -> None:
    warehouse, site = str(tmp_path / "w.duckdb"), str(tmp_path / "site")
    run_without_prefect(str(sources_copy), warehouse, site, publish=False)
    before = _query(Path(warehouse), "SELECT doc_id, source_id FROM current_documents ORDER BY 1")
    figures = sorted(r["obs_id"] for r in _statistics(Path(warehouse)))
    (sources_copy / "aaa_copy.txt").write_bytes(_copies(_original_text(sources_copy))
                                                ["copy_crlf.txt"])
    manifest = sources_copy / "manifest.toml"
    manifest.write_text('[[source]]\nfile = "aaa_copy.txt"\ntitle = "Copy"\n\n'
                        + manifest.read_text(encoding="utf-8"), encoding="utf-8")
    for _ in range(2):  # and it stays that way
        summary = run_without_prefect(str(sources_copy), warehouse, site, publish=False)
        assert summary["status"] == "completed"
        assert [w.split(" ")[:3] for w in summary["warnings"]] == [
            ["aaa_copy.txt", "duplicates", ORIGINAL]]
        assert "delete aaa_copy.txt and its entry in manifest.toml" in summary["warnings"][0]
        assert _query(Path(warehouse), "SELECT doc_id, source_id FROM current_documents"
                                       " ORDER BY 1") == before
        assert sorted(r["obs_id"] for r in _statistics(Path(warehouse))) == figures


def test_an_exact_copy_is_a_duplicate_of_the_same_bytes(tmp_path: Path,
                                                        sources_copy: Path) -> None:
    shutil.copy(sources_copy / ORIGINAL, sources_copy / "zz_same_bytes.txt")
    summary = run_without_prefect(str(sources_copy), str(tmp_path / "w.duckdb"),
                                  str(tmp_path / "site"), publish=False)
    assert summary["status"] == "completed"
    assert summary["warnings"] == [
        f"zz_same_bytes.txt duplicates {ORIGINAL} (same bytes); its figures are stored and "
        f"counted once, under {ORIGINAL}: delete zz_same_bytes.txt"]  # unlisted: no entry


# --------------------------------------------------------------------------- the CLI


def test_the_cli_exits_0_on_every_run_and_export_rejects_gives_the_advice(
        prefect_harness, tmp_path: Path, sources_copy: Path) -> None:
    _add_copies(sources_copy, listed=False)
    warehouse = tmp_path / "w.duckdb"
    for _ in range(2):
        result = runner.invoke(app, ["run", "--sources", str(sources_copy), "--warehouse",
                                     str(warehouse), "--no-publish"])
        assert result.exit_code == 0, result.output
        printed = " ".join(result.output.split())
        assert f"warning: copy_bom.txt duplicates {ORIGINAL}" in printed
        assert "rejected:" not in printed
    exported = runner.invoke(app, ["export", "rejects", "--warehouse", str(warehouse)])
    records = [json.loads(line) for line in exported.output.splitlines()]
    assert len(records) == 8  # 4 copies, 2 runs
    assert {r["severity"] for r in records} == {"warning"}
    assert {r["path"] for r in records} == set(_copies("x"))
    assert all(r["problem"].endswith(f"delete {r['path']}") for r in records)


# --------------------------------------------------------------------------- old warehouses


def _old_warehouse(path: Path, sources: Path, names: list[str]) -> None:
    """A warehouse as polystat wrote it before text keys: `names` stored as documents by a
    finished run, whatever their text, and no migration 015."""
    con = db.connect(path)
    try:
        run_id = f"old-{uuid.uuid4().hex[:8]}"
        store.start_run(con, run_id, "pipeline", None, "old", {})
        documents = [read_document(SourceEntry(name, sources / name, in_manifest=False))
                     for name in names]
        raw = [d for d in documents if isinstance(d, RawDocument)]
        stages._write_sources(con, raw, run_id)
        stages._write_documents(con, raw, run_id)
        store.finish_run(con, run_id, "completed", {})
        con.execute("ALTER TABLE documents DROP COLUMN text_key")
        con.execute("ALTER TABLE rejects DROP COLUMN severity")
        con.execute("DELETE FROM schema_migrations WHERE version = 15")
    finally:
        con.close()


_ingest = ingest_in_own_run


def test_an_old_warehouse_upgrades_and_its_stored_copy_stops_counting(
        tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    text = "Umfrage 2023\n\nRund 61 Prozent der Kunden wollen schnelle Antworten.\n"
    (sources / "a.txt").write_text(text, encoding="utf-8")
    (sources / "b.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    warehouse = tmp_path / "old.duckdb"
    _old_warehouse(warehouse, sources, ["a.txt", "b.txt"])
    assert len(_query(warehouse, "SELECT * FROM current_documents")) == 2

    first = _ingest(sources, warehouse)
    assert (first["rejects"], [w.split(" ")[:3] for w in first["warnings"]]) == (
        [], [["b.txt", "duplicates", "a.txt"]])
    assert first["current_changed"] == 1  # b.txt's stored version retired
    assert _query(warehouse, "SELECT source_id FROM current_documents") == [("a.txt",)]
    assert _query(warehouse, "SELECT count(*) FROM documents WHERE text_key IS NULL") == [(0,)]
    assert _query(warehouse, "SELECT count(*) FROM schema_migrations WHERE version = 15") == [
        (1,)]

    again = _ingest(sources, warehouse)  # known and unchanged: the same warning, no change
    assert again["warnings"] == first["warnings"] and again["current_changed"] == 0

    (sources / "a.txt").write_text(text.replace("61", "64"), encoding="utf-8")
    edited = _ingest(sources, warehouse)  # a.txt says something else: b.txt is its own again
    assert edited["warnings"] == [] and edited["current_changed"] == 1
    assert sorted(_query(warehouse, "SELECT source_id FROM current_documents")) == [
        ("a.txt",), ("b.txt",)]


def test_figures_an_old_warehouse_stored_for_a_copy_are_counted_once_after_the_upgrade(
        tmp_path: Path, sources_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, site = tmp_path / "plain.duckdb", str(tmp_path / "site")
    run_without_prefect(str(sources_copy), str(plain), site, publish=False)
    _add_copies(sources_copy)
    warehouse = tmp_path / "old.duckdb"
    with monkeypatch.context() as old_polystat:  # no normalising: only same bytes were copies
        old_polystat.setattr(documents, "text_key", lambda text: text)
        run_without_prefect(str(sources_copy), str(warehouse), site, publish=False)
    assert len(_statistics(warehouse)) > len(_statistics(plain)) + 40  # copies counted too
    con = db.connect(warehouse)
    try:
        con.execute("ALTER TABLE documents DROP COLUMN text_key")
        con.execute("ALTER TABLE rejects DROP COLUMN severity")
        con.execute("DELETE FROM schema_migrations WHERE version = 15")
    finally:
        con.close()
    upgraded = run_without_prefect(str(sources_copy), str(warehouse), site, publish=False)
    assert upgraded["status"] == "completed" and len(upgraded["warnings"]) == 4
    assert "reconcile" not in upgraded["skipped"]  # the copies' figures left their metrics
    view = "SELECT metric, year, n_documents, n_observations FROM series ORDER BY ALL"
    assert _query(warehouse, view) == _query(plain, view)
    assert Counter(r["doc"] for r in _statistics(warehouse)) == Counter(
        r["doc"] for r in _statistics(plain))


# --------------------------------------------------------------------------- the Overview

HOSTILE_COPY = "copy <i>x *y* #set page(fill: red).txt"  # file names hold no "/"
EMPTY = "empty <b>z.txt"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_the_overview_lists_rejected_files_and_duplicates_and_republishes_when_they_change(
        tmp_path: Path, sources_copy: Path) -> None:
    (sources_copy / HOSTILE_COPY).write_bytes(_copies(_original_text(sources_copy))
                                              ["copy_newline.txt"])
    (sources_copy / EMPTY).write_bytes(b"")
    warehouse, site = str(tmp_path / "w.duckdb"), tmp_path / "site"
    first = run_without_prefect(str(sources_copy), warehouse, str(site))
    assert first["status"] == "partial" and len(first["warnings"]) == 1
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "Rejected files and duplicates" in index
    assert "empty &lt;b&gt;z.txt" in index and "file is empty" in index
    assert "copy &lt;i&gt;x *y* #set page(fill: red).txt" in index
    assert f"duplicates {ORIGINAL}" in index
    assert "<i>x" not in index and "<b>z" not in index
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", str(site / "polystat-report.pdf"), "-"],
                         capture_output=True, text=True, check=True).stdout
    flat = " ".join(pdf.split())
    assert "empty <b>z.txt" in flat and "copy <i>x *y* #set page(fill: red).txt" in flat

    rendered_at = (site / "index.html").stat().st_mtime_ns
    second = run_without_prefect(str(sources_copy), warehouse, str(site))
    assert "publish" in second["skipped"]  # the same rejects: the same page stands
    assert (site / "index.html").stat().st_mtime_ns == rendered_at

    (sources_copy / EMPTY).unlink()
    third = run_without_prefect(str(sources_copy), warehouse, str(site))
    assert third["status"] == "completed" and "publish" not in third["skipped"]
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "empty &lt;b&gt;z.txt" not in index
    assert "copy &lt;i&gt;x" in index
