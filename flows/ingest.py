"""Ingest: read the manifest, find the documents, decode their bytes.

Nothing here raises for a single bad document: each problem becomes a
`Reject` naming the file, and the rest of the run goes on.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MANIFEST = "manifest.toml"
MANIFEST_FIELDS = ("file", "title", "publisher", "url", "published", "edition", "survey_year",
                   "language")
MAX_BYTES = 200 * 1024 * 1024
_IGNORED_NAMES = {MANIFEST, "README.md", "README", ".gitkeep"}


class SourcesError(RuntimeError):
    """The sources folder or its manifest cannot be used at all."""


@dataclass(frozen=True)
class Reject:
    path: str
    problem: str

    def message(self) -> str:
        return f"{self.path}: {self.problem}"


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


def load_manifest(sources_dir: Path) -> tuple[list[SourceEntry], list[Reject]]:
    """Manifest entries plus unlisted files; problems with single entries become rejects."""
    if not sources_dir.is_dir():
        raise SourcesError(f"{sources_dir}: sources folder does not exist")
    root = sources_dir.resolve()
    manifest_path = sources_dir / MANIFEST
    raw_entries: list[dict[str, Any]] = []
    if manifest_path.exists():
        try:
            raw_entries = tomllib.loads(manifest_path.read_text(encoding="utf-8")).get("source", [])
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise SourcesError(f"{manifest_path}: does not parse: {exc}") from exc
    entries: list[SourceEntry] = []
    rejects: list[Reject] = []
    listed: set[Path] = set()
    for number, raw in enumerate(raw_entries, start=1):
        entry_or_reject = _manifest_entry(root, number, raw)
        if isinstance(entry_or_reject, Reject):
            rejects.append(entry_or_reject)
            continue
        listed.add(entry_or_reject.path)
        entries.append(entry_or_reject)
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.name in _IGNORED_NAMES or path.name.startswith("."):
            continue
        if path.resolve() in listed:
            continue
        unlisted = _unlisted_entry(root, path)
        if isinstance(unlisted, Reject):
            rejects.append(unlisted)
        else:
            entries.append(unlisted)
    return entries, rejects


def _manifest_entry(root: Path, number: int, raw: Any) -> SourceEntry | Reject:
    where = f"{MANIFEST} [[source]] #{number}"
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
        return Reject(where, "entry has no `file = \"...\"`")
    name = raw["file"]
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts:
        return Reject(name, f"{where}: path leaves the sources folder; refused")
    path = (root / candidate).resolve()
    if not path.is_relative_to(root):
        return Reject(name, f"{where}: path resolves outside the sources folder; refused")
    if not path.is_file():
        return Reject(name, f"{where}: file is listed in the manifest but missing")
    meta = {key: raw.get(key) for key in MANIFEST_FIELDS if key != "file"}
    return SourceEntry(source_id=candidate.as_posix(), path=path, in_manifest=True, meta=meta)


def _unlisted_entry(root: Path, path: Path) -> SourceEntry | Reject:
    relative = path.relative_to(root).as_posix()
    resolved = path.resolve()
    if not resolved.is_relative_to(root):
        return Reject(relative, "symlink points outside the sources folder; refused")
    return SourceEntry(source_id=relative, path=resolved, in_manifest=False, meta={})


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding name; raises ValueError saying why the bytes are not text."""
    if not data:
        raise ValueError("file is empty")
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"),
                          (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(encoding), encoding
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (NUL bytes), not text")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _decode_legacy(data)


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        text = data.decode("gb18030")
        han = len(re.findall(r"[\u4e00-\u9fff]", text))
        if han and han >= 0.3 * len(re.findall(r"[^\x00-\x7f]", text)):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    # ISO-8859-9 differs from cp1252 only where Turkish needs ğ ı ş İ Ş Ğ.
    turkish = sum(data.count(b) for b in (b"\xf0", b"\xfd", b"\xfe", b"\xdd", b"\xde", b"\xd0"))
    encoding = "iso-8859-9" if turkish else "cp1252"
    text = data.decode(encoding, errors="strict") if encoding == "iso-8859-9" else data.decode(
        "cp1252", errors="replace")
    if text.count("\ufffd") > max(3, len(text) // 100):
        raise ValueError("not decodable as UTF-8, GB18030, cp1252 or ISO-8859-9")
    return text, encoding


def read_document(entry: SourceEntry) -> RawDocument | Reject:
    """Bytes -> sha256 + verbatim decoded text, or a reject naming the problem."""
    try:
        size = entry.path.stat().st_size
        if size > MAX_BYTES:
            return Reject(entry.source_id, f"file is {size} bytes, over the {MAX_BYTES} limit")
        data = entry.path.read_bytes()
    except OSError as exc:
        return Reject(entry.source_id, f"cannot read file: {exc.strerror or exc}")
    try:
        text, encoding = decode(data)
    except ValueError as exc:
        return Reject(entry.source_id, str(exc))
    if not text.strip():
        return Reject(entry.source_id, "file holds no text (only white space)")
    return RawDocument(entry=entry, doc_id=hashlib.sha256(data).hexdigest(), text=text,
                       encoding=encoding, n_bytes=len(data))


def infer_metadata(doc: RawDocument) -> dict[str, Any]:
    """Metadata for a file the manifest does not list: title and survey year from its text."""
    first_line = next((line.strip() for line in doc.text.splitlines() if line.strip()), "")
    title = first_line[:200] or doc.entry.path.stem
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", title) or re.findall(
        r"(?<!\d)(20\d\d)(?!\d)", doc.entry.path.name)
    survey_year = int(years[0]) if years else None
    return {"title": title, "publisher": None, "url": None, "published": None, "edition": None,
            "survey_year": survey_year, "language": None}
