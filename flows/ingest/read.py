"""Reading one source: its bytes, their sha256, and the text to store (plain text decoded,
PDF and HTML through their readers), within the size limits; metadata for unlisted files.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from extract.citations import cited_edition_year, fieldwork_year
from flows import settings
from flows.ingest.decoding import decode
from flows.ingest.documents import FormatError, RawDocument, Reader, Reject, SourceEntry
from flows.ingest.html import read_html
from flows.ingest.pdf import read_pdf

_READERS: dict[str, Reader] = {
    ".pdf": read_pdf, ".html": read_html, ".htm": read_html, ".xhtml": read_html}


def reader_for(path: Path) -> Reader | None:
    """The reader for a file, chosen by its suffix; None for text files."""
    return _READERS.get(path.suffix.lower())


def read_document(entry: SourceEntry) -> RawDocument | Reject:
    """Bytes -> sha256 + verbatim decoded text, or a reject naming the problem. A file over
    its size limit is refused from its size alone: not a byte is read or parsed."""
    reader = reader_for(entry.path)
    try:
        size = entry.path.stat().st_size
        too_big = (_over_file_limit(size, entry.path) if reader is not None
                   else _over_size_limit(size, "text file"))
        if too_big:
            return Reject(entry.source_id, too_big)
        data = entry.path.read_bytes()
    except OSError as exc:
        return Reject(entry.source_id, f"cannot read file: {exc.strerror or exc}",
                      lasting=False)
    if reader is not None:
        return _within_size_limit(_read_formatted(entry, data, reader))
    try:
        text, encoding = decode(data)
    except ValueError as exc:
        return Reject(entry.source_id, str(exc))
    if not text.strip():
        return Reject(entry.source_id, "file holds no text (only white space)")
    return RawDocument(entry=entry, doc_id=hashlib.sha256(data).hexdigest(), text=text,
                       encoding=encoding, n_bytes=len(data))


def size_limits() -> str:
    """The limits a file is read under: a file refused under them is refused again while
    they and the file stay the same (flows/plan.py does not read it again)."""
    return f"max_document_mb={settings.get('max_document_mb')};" \
           f"max_file_mb={settings.get('max_file_mb')}"


def _over_size_limit(n_bytes: int, what: str) -> str | None:
    """Why a document is too big to mine, or None. Policy (issue #8): mining runs at
    ~0.2 MB of text per second, so a document over the limit is refused rather than
    holding a run for minutes; the message says how to raise the limit."""
    limit = float(settings.get("max_document_mb")) * 1_000_000
    if n_bytes <= limit:
        return None
    return (f"{what} is {n_bytes / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit; split it, "
            "or raise the limit with POLYSTAT_MAX_DOCUMENT_MB (setting max_document_mb)")


def _over_file_limit(n_bytes: int, path: Path) -> str | None:
    """Why a PDF or HTML file is too big to parse, or None. Its text is known only after
    parsing, which costs what the file weighs (a 60 MB web page: 76 s and 1.75 GB), so the
    file's own size is checked first (issue 19, item 6)."""
    limit = float(settings.get("max_file_mb")) * 1_000_000
    if n_bytes <= limit:
        return None
    kind = "PDF" if path.suffix.lower() == ".pdf" else "HTML"
    return (f"{kind} file is {n_bytes / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit for "
            "PDF and HTML files (not parsed); raise it with POLYSTAT_MAX_FILE_MB (setting "
            "max_file_mb)")


def _within_size_limit(document: RawDocument | Reject) -> RawDocument | Reject:
    if isinstance(document, Reject):
        return document
    too_big = _over_size_limit(len(document.text.encode("utf-8")), "extracted text")
    return Reject(document.entry.source_id, too_big) if too_big else document


def _read_formatted(entry: SourceEntry, data: bytes, reader: Reader
                    ) -> RawDocument | Reject:
    """A PDF or HTML source: the reader's cleaned text; the file's own metadata fills the gaps
    the manifest leaves (title, author, date, URL)."""
    try:
        extracted = reader(data, entry.meta.get("language"))
    except FormatError as exc:
        return Reject(entry.source_id, str(exc))
    if entry.in_manifest:
        filled = {key: value for key, value in extracted.metadata.items()
                  if entry.meta.get(key) in (None, "")}
        entry = replace(entry, meta={**entry.meta, **filled})
    return RawDocument(entry=entry, doc_id=hashlib.sha256(data).hexdigest(),
                       text=extracted.text, encoding=extracted.encoding, n_bytes=len(data),
                       format=extracted.format, page_starts=extracted.page_starts,
                       found_meta=dict(extracted.metadata))


def infer_metadata(doc: RawDocument) -> dict[str, Any]:
    """Metadata for a file the manifest does not list: title and survey year from its text."""
    first_line = next((line.strip() for line in doc.text.splitlines() if line.strip()), "")
    title = str(doc.found_meta.get("title") or "") or first_line[:200] or doc.entry.path.stem
    survey_year = year_named(title) or year_named(doc.entry.path.name)
    inferred = {"title": title, "publisher": None, "url": None, "published": None,
                "edition": None, "survey_year": survey_year, "language": None, "author": None,
                "population": None}
    inferred.update({key: value for key, value in doc.found_meta.items() if value})
    return inferred


def year_named(text: str) -> int | None:
    """The first year (20xx) a title or file name names: "İşgücü İstatistikleri, Eylül
    2025", "2025年10月份…", "Verbraucherpreise im Oktober 2025" (a release's reference
    period, never its publication date)."""
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", text)
    return int(years[0]) if years else None


def survey_year_of(doc: RawDocument, meta: dict[str, Any]) -> int | None:
    """The survey year of a source: its manifest's, else the year its title names (a
    statistics release listed without one: its figures belong to the period it reports,
    not to no year), else the year its text says its survey was fielded in (a press
    release: "Die im Frühjahr 2025 durchgeführte Befragung"; its declared language's cues),
    else the one edition year the surveys it cites name (coverage: "Das geht aus dem Student
    Wellbeing Survey 2025 des X hervor")."""
    given = meta.get("survey_year")
    if isinstance(given, int) or (isinstance(given, str) and given.strip().isdigit()):
        return int(given)
    first_line = next((line.strip() for line in doc.text.splitlines() if line.strip()), "")
    named = year_named(str(meta.get("title") or first_line))
    language = meta.get("language")
    if named is None and isinstance(language, str) and language:
        return fieldwork_year(doc.text, language) or cited_edition_year(doc.text, language)
    return named
