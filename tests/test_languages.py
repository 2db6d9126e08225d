"""A language is a folder: the supported set, what language.toml says, and the checklist
of extract/lang/README.md ("Adding a language") carried out for French in a user folder."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from extract import langid, languages, lexicon
from extract.records import Segment
from reports.markup import language_name

# A minimal French folder, written the way extract/lang/README.md tells a user to: the
# language's name, its number separators, one percent form and a few population terms.
FRENCH = {
    "language.toml": '[language]\nname = "French"\n',
    "numbers.toml": '[numbers]\ngroup_separator = "\\u202f"\ndecimal_separator = ","\n',
    "figures.toml": """
[[figures]]
rule = "fr.percent"
needs = '%|(?i:pour)'
kind = "number"
unit = "percent"
pattern = '(?P<num>{NUM})\\s?(?:%|(?i:pour\\s?cent)(?!\\w))'
""",
    "population.toml": """
[population]
attach_after = '^[\\s)]*(?:(?:des|de|parmi les)\\s+)?(?P<term>{TERM})'

[population.terms]
customers = ['clients?']
consumers = ['consommat(?:eur|rice)s?']
""",
}

# Our own French report: decimal commas and "pour cent", which English rules misread.
FRENCH_REPORT = """Baromètre de la relation client 2023

Selon notre enquête menée auprès de deux mille personnes, 62 % des clients préfèrent \
contacter une entreprise par les canaux numériques plutôt que par téléphone.
Par ailleurs, 45,5 pour cent des consommateurs attendent une réponse le jour même \
lorsqu'ils écrivent au service client.
"""


def _write_folder(root: Path, code: str, files: dict[str, str]) -> Path:
    folder = root / code
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return root


def test_the_supported_languages_are_the_folders_of_extract_lang() -> None:
    folders = sorted(p.name for p in lexicon.LANG_DIR.iterdir() if p.is_dir())
    assert languages.supported() == tuple(folders)
    for code in folders:
        assert (lexicon.LANG_DIR / code / "language.toml").is_file()
        assert languages.name(code) not in ("", code)
        assert language_name(code) == f"{languages.name(code)} ({code})"


def test_a_user_folder_adds_a_language_with_its_name(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(_write_folder(tmp_path, "fr", FRENCH)))
    assert "fr" in languages.supported()
    assert language_name("fr") == "French (fr)"
    assert language_name("xx") == "xx (xx)"  # a code without a folder keeps its code


def test_a_typo_in_language_toml_is_an_error_naming_the_file_and_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typo = '[language]\nname = "Typo"\nspaces_between_word = false\n'
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR",
                       str(_write_folder(tmp_path, "qa", {"language.toml": typo})))
    with pytest.raises(lexicon.LexiconError, match=r"qa/language\.toml.*spaces_between_word"):
        languages.info("qa")


def test_a_folder_without_language_toml_is_an_error_saying_what_to_add(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(_write_folder(
        tmp_path, "qb", {"numbers.toml": '[numbers]\ndecimal_separator = ","\n'})))
    with pytest.raises(lexicon.LexiconError, match="language.toml"):
        languages.info("qb")


def test_a_language_langdetect_cannot_recognise_keeps_its_declared_language(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Basque has no langdetect profile: the detector would call a Basque document
    Spanish or English; the declaration stands, and segments follow the document unless
    their letters name another language."""
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(_write_folder(
        tmp_path, "eu", {"language.toml": '[language]\nname = "Basque"\n'})))
    text = ("Inkestaren arabera, bezeroen ehuneko hirurogeita bik nahiago dute kanal "
            "digitalak erabili telefonoa baino.\n报告概述")
    candidates = ("de", "en", "eu", "zh")
    assert not langid.detectable("eu")
    assert langid.document_language(text, "eu", candidates) == ("eu", 0.0)
    first = text.index("\n")
    segments = [Segment(0, 0, first, "sentence"), Segment(1, first + 1, len(text), "heading")]
    labelled = langid.label_segments(text, segments, "eu", candidates)
    assert [(s.language, s.language_method) for s in labelled] == [
        ("eu", "document"), ("zh", "script")]


def test_a_langdetect_profile_named_in_language_toml_must_exist(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(_write_folder(
        tmp_path, "qc", {"language.toml": '[language]\nname = "Q"\nlangdetect = ["zh-xx"]\n'})))
    with pytest.raises(langid.LanguageConfigError, match=r"qc/language\.toml.*zh-xx"):
        langid.detect_language("Guten Tag, wie geht es Ihnen heute?", ("de", "qc"))


def test_adding_french_through_a_user_folder_stores_french_documents_as_french(
        prefect_harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README checklist, end to end: a folder is all a new language needs (no setting:
    before, the detector chose among de, tr, zh and en only, and stored this as English)."""
    from flows.pipeline import pipeline

    monkeypatch.setenv("POLYSTAT_LEXICON_DIR", str(_write_folder(tmp_path / "lexicon", "fr",
                                                                 FRENCH)))
    monkeypatch.delenv("POLYSTAT_LANGUAGES", raising=False)
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "barometre.txt").write_text(FRENCH_REPORT, encoding="utf-8")
    (sources / "manifest.toml").write_text(
        '[[source]]\nfile = "barometre.txt"\ntitle = "Baromètre de la relation client"\n'
        'survey_year = 2023\nlanguage = "fr"\n', encoding="utf-8")
    warehouse = tmp_path / "w.duckdb"
    summary = pipeline(str(sources), str(warehouse), str(tmp_path / "site"), publish=False)
    assert summary["status"] == "completed"

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        language, mismatch = con.execute(
            "SELECT language, language_mismatch FROM documents").fetchone()  # type: ignore[misc]
        figures = con.execute("SELECT surface, value, unit, population, year FROM observations"
                              " ORDER BY start").fetchall()
        sentence_languages = {row[0] for row in con.execute(
            "SELECT language FROM segments WHERE kind = 'sentence'").fetchall()}
    finally:
        con.close()
    assert (language, mismatch) == ("fr", False)
    assert sentence_languages == {"fr"}
    assert figures == [("62 %", 62.0, "percent", "customers", 2023),
                       ("45,5 pour cent", 45.5, "percent", "consumers", 2023)]
