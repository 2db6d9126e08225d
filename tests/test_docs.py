"""The README documents every command and option, each with help text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer.main

from flows import settings
from flows.cli import app

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: Any, prefix: str = "polystat") -> list[tuple[str, Any]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            found += _commands(command, path)
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(typer.main.get_group(app))


def test_readme_opens_with_the_run_and_test_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make run" in head and "make test" in head


def test_the_command_line_is_all_there() -> None:
    assert len(COMMANDS) >= 9


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_command_is_documented_with_help(path: str, command: Any) -> None:
    assert path in README, f"`{path}` is missing from README.md"
    assert (command.help or "").strip(), f"`{path}` has no help text"


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[path for path, _ in COMMANDS])
def test_every_option_of_the_command_is_documented_with_help(path: str, command: Any) -> None:
    for param in command.params:
        if type(param).__name__ not in ("Option", "TyperOption") or param.name == "help":
            continue
        names = [*param.opts, *getattr(param, "secondary_opts", [])]
        assert any(opt in README for opt in names), f"{path} {names} not in README"
        assert (param.help or "").strip(), f"{path} {param.opts} has no help text"


def test_every_setting_is_documented() -> None:
    for setting in settings.SETTINGS:
        assert setting.env in README, f"{setting.env} is missing from README.md"
        assert (setting.help or "").strip(), f"setting {setting.name} has no help text"
    assert settings.CONFIG_FILE in README and settings.CONFIG_ENV in README
