"""What polystat prints on the terminal: one console, and no user text read as markup.

Paths, ids, manifest entries and the messages that quote them come from users and
their files; rich would read `[/]` or `[[source]]` in them as markup and crash or drop
text. So nothing here parses markup: each line is assembled from plain text, and only
polystat's own labels are styled. Off a terminal (a pipe, a log file) lines are not
wrapped, so a long path stays on one line for grep and copy-paste.
"""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

_console = Console(stderr=True, highlight=False)


def _print(text: Text) -> None:
    _console.print(text, soft_wrap=not _console.is_terminal)


def line(text: str) -> None:
    """One line of plain text."""
    _print(Text(text))


def labelled(label: str, style: str, text: str) -> None:
    """`label text`, the label styled: 'rejected: …', 'not translated: …'."""
    _print(Text.assemble((label, style), " ", text))


def say(stage: str, message: str) -> None:
    """One progress line per stage."""
    labelled(f"{stage:>9}", "bold cyan", message)


def error(message: str) -> None:
    labelled("error:", "bold red", message)
