"""What ingest hands on: sources, the documents read from them, and why a file was not read.

`RawDocument` is the verbatim text of one source (spans index it exactly), `Reject` names a
file that cannot be used and why, `Duplicate` a source whose text another already holds.
Readers of PDF and HTML hand ingest an `ExtractedText`, or raise `FormatError`.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class SourcesError(RuntimeError):
    """The sources folder or its manifest cannot be used at all."""


@dataclass(frozen=True)
class Reject:
    path: str
    problem: str
    # Refused for what the file holds (too big, not text, a format that cannot be read):
    # the same bytes are refused again. False when the file could not be read at all.
    lasting: bool = field(default=True, compare=False)

    def message(self) -> str:
        return f"{self.path}: {self.problem}"


# What a reader would call "the same text": the duplicate check compares this (see
# `text_key`), so a copy saved with other line ends, an extra blank line, a BOM or
# decomposed accents is recognised as the copy it is.
NORMALISED = "same text once white space, line ends, a BOM and Unicode form (NFC) are normalised"


@dataclass(frozen=True)
class Duplicate:
    """A source whose text another source already holds. Not an error: its text is stored
    (once, under the original), so the run completes; the advice says which file to drop."""

    path: str
    original: str
    same_bytes: bool
    in_manifest: bool

    @property
    def problem(self) -> str:
        how = "same bytes" if self.same_bytes else NORMALISED
        entry = " and its entry in manifest.toml" if self.in_manifest else ""
        return (f"duplicates {self.original} ({how}); its figures are stored and counted once, "
                f"under {self.original}: delete {self.path}{entry}")

    def message(self) -> str:
        return f"{self.path} {self.problem}"


def text_key(text: str) -> str:
    """sha256 of `text` normalised as a reader compares documents: Unicode NFC, no BOM
    (U+FEFF), every run of white space (line ends included) one space, no leading or
    trailing space. Two sources with the same key say the same thing."""
    normal = unicodedata.normalize("NFC", text.replace("\ufeff", ""))
    return hashlib.sha256(" ".join(normal.split()).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SourceEntry:
    """One manifest entry (or the inferred metadata of an unlisted file)."""

    source_id: str
    path: Path
    in_manifest: bool
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RawDocument:
    entry: SourceEntry
    doc_id: str
    text: str
    encoding: str
    n_bytes: int
    format: str = "text"  # text | pdf | html (flows/ingest/pdf.py, html.py read the last two)
    page_starts: tuple[int, ...] | None = None  # where page 1, 2, ... begins in `text`
    found_meta: dict[str, Any] = field(default_factory=dict)  # title, author, ... in the file
    text_key: str = field(init=False)  # `text_key(text)`: computed where the file is read

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_key", text_key(self.text))


class FormatError(ValueError):
    """The file's format is known but its content cannot be read (says why)."""


@dataclass(frozen=True)
class ExtractedText:
    """What a reader hands to ingest."""

    text: str
    format: str  # "pdf" | "html"
    encoding: str  # reader that produced the text, stored in documents.encoding
    page_starts: tuple[int, ...] | None = None  # offset of page 1, 2, ... (PDF only)
    metadata: dict[str, Any] = field(default_factory=dict)  # title, author, published, url
    furniture: tuple[str, ...] = ()  # distinct header/footer lines left out (PDF only)


# bytes + the declared language (None when unknown) -> the text to store
Reader = Callable[[bytes, str | None], ExtractedText]
