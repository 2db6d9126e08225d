"""Manifest, unlisted files, decoding and refused paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.ingest import Reject, SourcesError, decode, load_manifest, read_document


def _entries(folder: Path):
    entries, rejects = load_manifest(folder)
    return {e.source_id: e for e in entries}, rejects


def test_embedded_manifest_lists_every_document(sources_copy: Path) -> None:
    entries, rejects = _entries(sources_copy)
    assert rejects == []
    assert len(entries) == 5
    assert all(e.in_manifest for e in entries.values())
    assert entries["002_8540100f77c5eb5e.txt"].meta["survey_year"] == 2022


def test_unlisted_file_is_ingested_with_inferred_metadata(sources_copy: Path) -> None:
    (sources_copy / "extra.txt").write_text("Kundenservice Studie 2023\n52 Prozent sagen ja.\n")
    entries, _ = _entries(sources_copy)
    extra = entries["extra.txt"]
    assert not extra.in_manifest
    doc = read_document(extra)
    assert not isinstance(doc, Reject)
    from flows.ingest import infer_metadata
    assert infer_metadata(doc)["survey_year"] == 2023


def test_missing_file_and_escaping_paths_are_rejected_by_name(sources_copy: Path) -> None:
    manifest = sources_copy / "manifest.toml"
    extra = ('\n[[source]]\nfile = "gone.txt"\n\n[[source]]\nfile = "../../etc/passwd"\n'
             '\n[[source]]\nfile = "/etc/hosts"\n')
    manifest.write_text(manifest.read_text(encoding="utf-8") + extra, encoding="utf-8")
    entries, rejects = _entries(sources_copy)
    assert len(entries) == 5
    problems = {r.path: r.problem for r in rejects}
    assert "missing" in problems["gone.txt"]
    assert "leaves the sources folder" in problems["../../etc/passwd"]
    assert "leaves the sources folder" in problems["/etc/hosts"]


def test_symlink_out_of_the_sources_folder_is_refused(sources_copy: Path, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret 42%")
    (sources_copy / "link.txt").symlink_to(outside)
    entries, rejects = _entries(sources_copy)
    assert "link.txt" not in entries
    assert any(r.path == "link.txt" and "outside" in r.problem for r in rejects)


def test_manifest_that_does_not_parse_names_the_line(sources_copy: Path) -> None:
    (sources_copy / "manifest.toml").write_text('[[source]]\nfile = "a.txt\n', encoding="utf-8")
    with pytest.raises(SourcesError, match=r"manifest.toml: does not parse: .*line 2"):
        load_manifest(sources_copy)


def test_missing_sources_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match="does not exist"):
        load_manifest(tmp_path / "nope")


@pytest.mark.parametrize(("data", "encoding", "text"), [
    ("Müşterilerin %62’si".encode(), "utf-8", "Müşterilerin %62’si"),
    ("\ufeff52 Prozent".encode(), "utf-8-sig", "52 Prozent"),
    ("52 Prozent der Befragten".encode("utf-16"), "utf-16", "52 Prozent der Befragten"),
    ("三分之二以上的服务专业人士".encode("gb18030"), "gb18030", "三分之二以上的服务专业人士"),
    ("Müşterilerin yüzde altmışı ağır şikâyet".encode("iso-8859-9"), "iso-8859-9",
     "Müşterilerin yüzde altmışı ağır şikâyet"),
    ("Größere Empathie für 62 Prozent – laut Studie".encode("cp1252"), "cp1252",
     "Größere Empathie für 62 Prozent – laut Studie"),
])
def test_decode_recognises_common_encodings(data: bytes, encoding: str, text: str) -> None:
    assert decode(data) == (text, encoding)


@pytest.mark.parametrize(("data", "problem"), [(b"", "empty"), (b"\x89PNG\x00\x00\x01", "binary")])
def test_decode_refuses_non_text(data: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        decode(data)


def _mine(sources: Path, warehouse: Path) -> list:
    """Ingest a folder in a run of its own and the documents it leaves to mine (no Prefect)."""
    from stage_runs import ingest_in_own_run

    from extract import analysis
    from flows import stages
    from warehouse import db

    ingest_in_own_run(sources, warehouse)
    con = db.connect(warehouse)
    try:
        return stages.pending_documents(con, analysis.extractor_version())
    finally:
        con.close()


@pytest.mark.parametrize(("declared", "expected"), [("consumers", "consumers"),
                                                     (None, "respondents")])
def test_manifest_population_says_who_the_respondents_are(
        tmp_path: Path, declared: str | None, expected: str) -> None:
    from flows import stages

    src = tmp_path / "src"
    src.mkdir()
    (src / "study.txt").write_text(
        "Subscription study 2024\n\nHalf of respondents cancelled a service; 41% of "
        "respondents pay for three or more.\n", encoding="utf-8")
    line = f'population = "{declared}"\n' if declared else ""
    (src / "manifest.toml").write_text(
        '[[source]]\nfile = "study.txt"\ntitle = "Subscription study"\nsurvey_year = 2024\n'
        f'language = "en"\n{line}', encoding="utf-8")
    (pending,) = _mine(src, tmp_path / "w.duckdb")
    assert pending.population == declared
    (result,) = stages.analyse_documents.fn([pending])
    assert [s.population for s in result.statistics] == [expected, expected]
