"""Translation: the real argostranslate path on a tiny model the tests build, offline.

argos runs in child interpreters (see argos_tiny.run_isolated) whose home and argos
folders are temporary and whose sockets refuse to connect.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from argos_tiny import SOURCES, run_isolated, tiny_package

from extract.translate import check_numbers

GERMAN = (SOURCES / "000_32ea278a2476e42a.txt").read_text(encoding="utf-8")
# A real sentence with figures, and one the PDF extraction broke over two lines.
RESPONSES = re.search(r"In die Studie flossen 7\.095[^.]*\.", GERMAN).group()  # type: ignore[union-attr]
BROKEN_LINE = next(line for line in GERMAN.splitlines() if line.endswith("weiter"))


# --------------------------------------------------------------------------- numbers check


@pytest.mark.parametrize(("source", "translated", "lang"), [
    ("In die Studie flossen 7.095 Antworten aus 33 Ländern ein.",
     "The study received 7,095 responses from 33 countries.", "de"),
    ("In die Studie flossen 7.095 Antworten ein.", "The study received 7095 answers.", "de"),
    ("In die Studie flossen 7.095 Antworten ein.", "The study included 7.095 answers.", "de"),
    ("aus 33 Ländern und 6 Kontinenten", "from 33 countries and six continents", "de"),
    ("Rund 1,5 Prozent", "Around 1.5 percent", "de"),
    ("Servis profesyonellerinin %62’si aynı CRM yazılımını kullanıyor.",
     "62% of service professionals use the same CRM software.", "tr"),
    ("8.050 müşteri hizmetleri uzmanıyla anket yaptı", "surveyed 8,050 service experts", "tr"),
    ("来自 33 个国家的 7095 份回复。", "7,095 responses from 33 countries.", "zh"),
    ("８１% 的决策者表示", "81% of decision makers say", "zh"),
    ("81% of decision makers", "81 percent of decision makers", "en"),
])
def test_figures_kept_in_any_notation_are_preserved(source: str, translated: str,
                                                     lang: str) -> None:
    assert check_numbers(source, translated, lang) == (True, [])


def test_missing_figures_are_listed_as_written_in_the_source() -> None:
    source = "In die Studie flossen 7.095 Antworten aus 33 Ländern und 6 Kontinenten ein."
    translated = "The study received 7,095 responses from many countries and six continents."
    assert check_numbers(source, translated, "de") == (False, ["33"])
    assert check_numbers(source, "The study received answers.", "de") == (
        False, ["7.095", "33", "6"])


@pytest.mark.parametrize(("source", "lang"), [
    ("1. Bağlantı, hizmetin merkezinde yer alır", "tr"),
    ("01 | 团队采用新的互动标准", "zh"),
])
def test_list_item_numbers_are_not_figures(source: str, lang: str) -> None:
    assert check_numbers(source, "Connection is at the heart of service", lang) == (True, [])
    assert check_numbers("4. Ausgabe mit 81 Prozent", "Edition with 81 percent", "de") == (
        True, [])


def test_a_changed_figure_is_not_preserved() -> None:
    preserved, missing = check_numbers("Rund 62 Prozent berichten", "Around 26 percent", "de")
    assert not preserved and missing == ["62"]


def test_german_grouping_is_not_read_as_a_decimal() -> None:
    # In German "7.095" is seven thousand and ninety-five, never seven point zero nine five.
    assert check_numbers("7.095 Antworten", "7.1 answers", "de") == (False, ["7.095"])


# --------------------------------------------------------------------------- child scenarios


def scenario_translate(package: str, models_dir: str, cache_dir: str, sentence: str,
                       broken: str) -> dict[str, Any]:
    """Runs in a child: from no model to a translated, checked sentence."""
    from extract import translate as tr
    from flows.models import ARGOS, configure_argos

    result: dict[str, Any] = {"argos_loaded_at_import": "argostranslate" in " ".join(sys.modules)}
    configure_argos(Path(models_dir), Path(cache_dir))
    result["pairs_before"] = tr.installed_pairs(ARGOS)
    try:
        tr.translate(ARGOS, sentence, "de")
    except tr.TranslationUnavailable as exc:
        result["unavailable"] = {"pair": exc.pair, "reason": exc.reason, "message": str(exc)}
    ARGOS.package.install_from_path(Path(package))
    result["pairs_after"] = tr.installed_pairs(ARGOS)
    first = tr.translate(ARGOS, sentence, "de")
    again = tr.translate(ARGOS, sentence, "de")
    result["first"] = vars(first)
    result["repeatable"] = first == again
    result["numbers"] = tr.check_numbers(sentence, first.translated, "de")
    result["broken_line"] = vars(tr.translate(ARGOS, broken, "de"))
    result["empty"] = vars(tr.translate(ARGOS, "  \n ", "de"))
    result["identity"] = vars(tr.translate(ARGOS, "Already English.", "en", "en"))
    try:
        tr.translate(ARGOS, sentence, "tr")
    except tr.TranslationUnavailable as exc:
        result["other_pair"] = str(exc)
    # argos is imported by now: configuring again must re-target it, not be ignored.
    configure_argos(Path(models_dir + "-second"), None)
    result["pairs_in_second_dir"] = tr.installed_pairs(ARGOS)
    return result


def scenario_missing(models_dir: str) -> dict[str, Any]:
    """Runs in a child: a fresh machine with no model at all (argos defaults elsewhere)."""
    from extract import translate as tr
    from flows.models import ARGOS, configure_argos

    configure_argos(Path(models_dir), None)
    result: dict[str, Any] = {"pairs": tr.installed_pairs(ARGOS), "errors": {}}
    for lang, text in (("tr", "Müşterilerin %57’si dijital kanalları tercih ediyor."),
                       ("zh", "81% 的决策者表示")):
        try:
            tr.translate(ARGOS, text, lang)
        except tr.TranslationUnavailable as exc:
            result["errors"][lang] = {"pair": exc.pair, "message": str(exc)}
    result["heavy_argos_imported"] = "argostranslate.translate" in sys.modules
    return result


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("argos-translate")
    result = run_isolated("test_translate:scenario_translate", root,
                          package=str(tiny_package(with_stanza_dir=True)),
                          models_dir=str(root / "models"), cache_dir=str(root / "argos-cache"),
                          sentence=RESPONSES, broken=BROKEN_LINE)
    result["root"] = root
    return result


def test_importing_the_module_does_not_import_argos(translated: dict[str, Any]) -> None:
    assert translated["argos_loaded_at_import"] is False


def test_before_install_the_pair_is_missing_with_how_to_install(
        translated: dict[str, Any]) -> None:
    assert translated["pairs_before"] == []
    missing = translated["unavailable"]
    assert missing["pair"] == ["de", "en"]
    assert "no argostranslate model for de->en" in missing["reason"]
    assert "polystat models install --from-index de" in missing["message"]
    assert "polystat models install FILE.argosmodel" in missing["message"]


def test_installed_package_translates_with_provenance(translated: dict[str, Any]) -> None:
    assert translated["pairs_after"] == [["de", "en", "translate-de_en", "0.1"]]
    first = translated["first"]
    assert first["engine"] == "argostranslate"
    assert (first["model"], first["model_version"]) == ("translate-de_en", "0.1")
    assert first["translated"].strip()  # random weights: text, but not a translation
    assert translated["repeatable"] is True


def test_random_gloss_loses_the_figures_and_says_which(translated: dict[str, Any]) -> None:
    preserved, missing = translated["numbers"]
    assert preserved is False
    assert "7.095" in missing and "33" in missing


def test_line_breaks_empty_text_and_identity(translated: dict[str, Any]) -> None:
    assert translated["broken_line"]["translated"].strip()
    assert translated["empty"] == {"translated": "", "engine": "argostranslate",
                                   "model": "translate-de_en", "model_version": "0.1"}
    assert translated["identity"]["translated"] == "Already English."


def test_other_pairs_stay_unavailable(translated: dict[str, Any]) -> None:
    assert translated["other_pair"].startswith("tr->en: no argostranslate model")


def test_configuring_after_import_moves_argos(translated: dict[str, Any]) -> None:
    assert translated["pairs_in_second_dir"] == []
    assert (translated["root"] / "models-second").is_dir()


def test_nothing_reached_the_network_even_with_a_stanza_folder(
        translated: dict[str, Any]) -> None:
    # The package carries stanza/ like the index packages; argos's own path would ask the
    # internet for Stanza resources here, and MiniSBD would download a model.
    assert translated["network_attempts"] == []


def test_home_directory_untouched_and_models_where_configured(
        translated: dict[str, Any]) -> None:
    root: Path = translated["root"]
    assert list((root / "home").iterdir()) == []
    assert (root / "models" / "translate-de_en" / "metadata.json").is_file()
    assert (root / "argos-cache" / "config" / "argos-translate").is_dir()
    assert not (root / "xdg-data").exists()  # configure_argos moved argos to cache_dir


def test_missing_models_fail_softly_and_cheaply(tmp_path: Path) -> None:
    result = run_isolated("test_translate:scenario_missing", tmp_path,
                          models_dir=str(tmp_path / "models"))
    assert result["pairs"] == []
    assert set(result["errors"]) == {"tr", "zh"}
    assert result["errors"]["zh"]["pair"] == ["zh", "en"]
    assert "--from-index zh" in result["errors"]["zh"]["message"]
    assert result["heavy_argos_imported"] is False  # no torch just to say "missing"
    assert result["network_attempts"] == []
    assert "Traceback" not in result["stderr"]
