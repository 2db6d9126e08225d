"""`polystat models list/install` through Typer's CliRunner, in isolated children.

Each child has POLYSTAT_MODELS_DIR, HOME and XDG_* under a temporary folder and no
network (every connection is refused, as on an offline machine).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from argos_tiny import local_index, run_isolated, tiny_package


def _invoke(args: list[str]) -> dict[str, Any]:
    from typer.testing import CliRunner

    from flows.models import models_app

    outcome = CliRunner().invoke(models_app, args)
    return {"code": outcome.exit_code, "out": outcome.output,
            "exception": None if outcome.exception is None or isinstance(
                outcome.exception, SystemExit) else repr(outcome.exception)}


def scenario_offline(not_zip: str, no_metadata: str) -> dict[str, Any]:
    """A fresh offline machine: list, bad files, the index, no arguments."""
    return {"list": _invoke(["list"]),
            "not_zip": _invoke(["install", not_zip]),
            "no_metadata": _invoke(["install", no_metadata]),
            "no_file": _invoke(["install", "nowhere/translate-de_en.argosmodel"]),
            "index": _invoke(["install", "--from-index", "de", "tr", "zh"]),
            "nothing": _invoke(["install"])}


def scenario_index(package: str, index_dir: str) -> dict[str, Any]:
    """An index served on this machine: the online path without the internet."""
    import os

    with local_index([Path(package)], Path(index_dir)) as base:
        os.environ["ARGOS_PACKAGE_INDEX"] = base  # read when argos is first imported
        return {"unknown": _invoke(["install", "--from-index", "de", "tr"]),
                "install": _invoke(["install", "--from-index", "DE"]),
                "list": _invoke(["list"])}


def scenario_ensure(package: str, index_dir: str) -> dict[str, Any]:
    """`models ensure` (what `make run` calls): offline, then against an index, then again
    with the index gone: an installed model must not be fetched or even looked up again."""
    import os

    result = {"offline": _invoke(["ensure"])}
    with local_index([Path(package)], Path(index_dir)) as base:
        os.environ["ARGOS_PACKAGE_INDEX"] = base  # read when argos is first imported
        import argostranslate.settings

        argostranslate.settings.remote_package_index = base + "index.json"
        result["online"] = _invoke(["ensure"])
    os.environ["POLYSTAT_LANGUAGES"] = "de,en"  # now every wanted pair is installed
    result["again"] = _invoke(["ensure"])
    return result


def scenario_install(package: str) -> dict[str, Any]:
    return {"install": _invoke(["install", package]), "list": _invoke(["list"])}


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("models-offline")
    not_zip = root / "notes.argosmodel"
    not_zip.write_text("not a package", encoding="utf-8")
    no_metadata = root / "empty.argosmodel"
    with zipfile.ZipFile(no_metadata, "w") as archive:
        archive.writestr("translate-de_en/README.md", "no metadata here")
    result = run_isolated("test_models_cli:scenario_offline", root,
                          env_models_dir=root / "models", not_zip=str(not_zip),
                          no_metadata=str(no_metadata))
    result["root"] = root
    return result


def test_list_on_a_fresh_machine_names_every_missing_pair(offline: dict[str, Any]) -> None:
    listing = offline["list"]
    assert listing["code"] == 0
    assert f"models folder: {offline['root'] / 'models'}" in listing["out"]
    for lang in ("de", "tr", "zh"):
        assert f"missing:   {lang}->en" in listing["out"]
        assert f"polystat models install --from-index {lang}" in listing["out"]
    assert "en->en" not in listing["out"]
    assert "\ninstalled: " not in listing["out"]
    assert "No translation model is installed" in listing["out"]


@pytest.mark.parametrize("case", ["not_zip", "no_metadata", "no_file"])
def test_invalid_package_files_are_one_line_errors_naming_the_file(
        offline: dict[str, Any], case: str) -> None:
    outcome = offline[case]
    assert outcome["code"] == 1
    assert outcome["exception"] is None
    lines = outcome["out"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert {"not_zip": "notes.argosmodel", "no_metadata": "empty.argosmodel",
            "no_file": "nowhere/translate-de_en.argosmodel"}[case] in lines[0]


def test_index_install_offline_is_a_clear_error(offline: dict[str, Any]) -> None:
    outcome = offline["index"]
    assert outcome["code"] == 1
    assert outcome["exception"] is None
    lines = outcome["out"].strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: cannot reach the argostranslate package index")
    assert "polystat models install FILE.argosmodel" in lines[0]
    assert "Traceback" not in offline["stderr"]
    assert offline["network_attempts"]  # it did try, and the refusal became the message


def test_install_without_arguments_says_what_to_give(offline: dict[str, Any]) -> None:
    assert offline["nothing"]["code"] == 1
    assert "--from-index" in offline["nothing"]["out"]


def test_install_from_file_then_list(tmp_path: Path) -> None:
    package = tiny_package(with_stanza_dir=True)
    result = run_isolated("test_models_cli:scenario_install", tmp_path,
                          env_models_dir=tmp_path / "models", package=str(package))
    assert result["install"] == {
        "code": 0, "exception": None,
        "out": f"installed de->en (version 0.1) from {package.name}\n"}
    listing = result["list"]["out"]
    assert "installed: de->en  translate-de_en 0.1" in listing
    assert "missing:   de->en" not in listing
    assert "missing:   tr->en" in listing and "missing:   zh->en" in listing
    assert (tmp_path / "models" / "translate-de_en" / "model" / "model.bin").is_file()
    assert list((tmp_path / "home").iterdir()) == []
    assert result["network_attempts"] == []


def test_install_from_an_index(tmp_path: Path) -> None:
    result = run_isolated("test_models_cli:scenario_index", tmp_path,
                          env_models_dir=tmp_path / "models",
                          package=str(tiny_package(with_stanza_dir=True)),
                          index_dir=str(tmp_path / "index"))
    unknown = result["unknown"]
    assert unknown["code"] == 1
    assert unknown["out"] == "error: the package index has no tr->en model\n"
    assert result["install"] == {
        "code": 0, "exception": None,
        "out": "installed de->en (version 0.1) from the argostranslate index\n"}
    assert "installed: de->en  translate-de_en 0.1" in result["list"]["out"]
    assert (tmp_path / "models" / "translate-de_en" / "metadata.json").is_file()
    assert result["network_attempts"] == []  # only this machine was asked


def test_ensure_installs_once_and_goes_on_offline(tmp_path: Path) -> None:
    result = run_isolated("test_models_cli:scenario_ensure", tmp_path,
                          env_models_dir=tmp_path / "models",
                          package=str(tiny_package(with_stanza_dir=True)),
                          index_dir=str(tmp_path / "index"))
    offline = result["offline"]
    assert offline["code"] == 0 and offline["exception"] is None
    lines = offline["out"].strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("translation models not installed (de->en, tr->en, zh->en)")
    online = result["online"]
    assert online["code"] == 0
    assert "the package index has no tr->en, zh->en model" in online["out"]
    assert "installed de->en (version 0.1) from the argostranslate index" in online["out"]
    assert (tmp_path / "models" / "translate-de_en" / "metadata.json").is_file()
    assert result["again"] == {"code": 0, "exception": None, "out": ""}
