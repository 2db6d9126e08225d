"""Ingest: read the manifest, find the documents, decode their bytes.

Nothing here raises for a single bad document: each problem becomes a
`Reject` naming the file, and the rest of the run goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import stat
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from flows import settings
from flows.ingest import formats
from flows.ingest.manifest import FIELDS as MANIFEST_FIELDS
from flows.ingest.manifest import ManifestEntry, validate_entry
from reports.markup import counted

MANIFEST = "manifest.toml"
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
    format: str = "text"  # text | pdf | html (flows/formats.py reads the last two)
    page_starts: tuple[int, ...] | None = None  # where page 1, 2, ... begins in `text`
    found_meta: dict[str, Any] = field(default_factory=dict)  # title, author, ... in the file
    text_key: str = field(init=False)  # `text_key(text)`: computed where the file is read

    def __post_init__(self) -> None:
        object.__setattr__(self, "text_key", text_key(self.text))


class ManifestCache(Protocol):
    """Parsed manifest entries by the sha256 of the manifest's bytes (stages.py keeps them
    in the warehouse): an unchanged 10,000-entry manifest is not parsed again (~1.9 s)."""

    def get(self, digest: str) -> list[Any] | None: ...

    def put(self, digest: str, entries: list[Any]) -> None: ...


def load_manifest(sources_dir: Path, cache: ManifestCache | None = None
                  ) -> tuple[list[SourceEntry], list[Reject]]:
    """Manifest entries plus unlisted files; problems with single entries become rejects."""
    if not sources_dir.is_dir():
        raise SourcesError(f"{sources_dir}: sources folder does not exist")
    root = sources_dir.resolve()
    raw_entries = _manifest_entries(sources_dir / MANIFEST, cache)
    found = _walk(root)
    plain_files = {rel for rel, item in found.items() if item.plain_file}
    entries, rejects, listed = _listed_entries(root, raw_entries, plain_files)
    for rel in sorted(found, key=lambda rel: rel.split("/")):
        item = found[rel]
        if item.is_dir or item.name in _IGNORED_NAMES or item.name.startswith("."):
            continue
        if item.plain_file:  # no symlink on the way: the path is its own resolved form
            if os.path.join(root, rel) not in listed:
                entries.append(SourceEntry(source_id=rel, path=root / rel, in_manifest=False))
            continue
        path = root / rel
        if str(path.resolve()) in listed:
            continue
        unlisted = _unlisted_entry(root, path)
        if isinstance(unlisted, Reject):
            rejects.append(unlisted)
        else:
            entries.append(unlisted)
    return entries, rejects


def _listed_entries(root: Path, raw_entries: list[Any], plain_files: set[str]
                    ) -> tuple[list[SourceEntry], list[Reject], set[str]]:
    """The manifest's entries as sources, one reject per bad entry, and the paths of every
    file the manifest names (a refused entry's file is not read as an unlisted file)."""
    entries: list[SourceEntry] = []
    rejects: list[Reject] = []
    listed: set[str] = set()
    first_entry: dict[str, str] = {}  # source_id -> the entry that listed it first
    for number, raw in enumerate(raw_entries, start=1):
        where = _entry_label(number, raw)
        named = _manifest_file(root, where, raw, plain_files)
        if isinstance(named, Reject):
            rejects.append(named)
            continue
        source_id, path = named
        if source_id in first_entry:  # "x.txt" and "./x.txt" too: one source, one entry
            rejects.append(Reject(source_id, f"{where}: lists the same file as "
                                             f"{first_entry[source_id]}; remove one of them"))
            continue
        first_entry[source_id] = where
        listed.add(str(path))
        checked = validate_entry(raw)
        if isinstance(checked, str):
            rejects.append(Reject(source_id, f"{where}: {checked}"))
            continue
        entries.append(SourceEntry(source_id=source_id, path=path, in_manifest=True,
                                   meta=_meta(checked)))
    return entries, rejects, listed


# The cache holds the entries as parsed (unknown keys too: they are refused on every run),
# with TOML's dates and times tagged so that they come back as the same Python values. The
# version changes whenever what is cached changes; a cache written by other code is then a
# miss, never a wrong hit.
_CACHE_VERSION = "2|" + ",".join(MANIFEST_FIELDS)
_TAG = "$toml"


def _manifest_entries(manifest_path: Path, cache: ManifestCache | None) -> list[Any]:
    """The `[[source]]` entries: from the cache when the manifest's bytes are unchanged,
    else parsed (and cached). Parse errors are raised as before and never cached."""
    if not manifest_path.exists():
        return []
    data = manifest_path.read_bytes()
    digest = hashlib.sha256(_CACHE_VERSION.encode() + b"\0" + data).hexdigest()
    cached = cache.get(digest) if cache is not None else None
    if cached is not None:
        return cached
    try:
        # Exactly what `Path.read_text` gives: UTF-8, universal newlines.
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()
        document = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{manifest_path}: does not parse: {exc}") from exc
    unknown = sorted(set(document) - {"source"})
    if unknown:  # `[[sources]]`: not one entry would be read
        raise SourcesError(f"{manifest_path}: unknown table or key `{unknown[0]}`; the manifest "
                           "holds only [[source]] entries")
    parsed = document.get("source", [])
    entries = list(parsed) if isinstance(parsed, list) else [parsed]
    if cache is not None:
        cache.put(digest, entries)
    return entries


def encode_manifest_entries(entries: list[Any]) -> str | None:
    """JSON of cached entries (TOML dates tagged); None if a value cannot round-trip."""
    def tag(value: Any) -> Any:
        for kind in (dt.datetime, dt.date, dt.time):  # datetime first: it is also a date
            if isinstance(value, kind):
                return {_TAG: kind.__name__, "iso": value.isoformat()}
        raise TypeError(type(value).__name__)

    def has_tag(value: Any) -> bool:
        if isinstance(value, dict):
            return _TAG in value or any(has_tag(v) for v in value.values())
        return isinstance(value, list) and any(has_tag(v) for v in value)

    if has_tag(entries):
        return None
    try:
        return json.dumps(entries, default=tag, allow_nan=True)
    except (TypeError, ValueError):
        return None


def decode_manifest_entries(text: str) -> list[Any]:
    """The entries `encode_manifest_entries` wrote, with their dates and times."""
    kinds: dict[str, Callable[[str], Any]] = {
        "datetime": dt.datetime.fromisoformat, "date": dt.date.fromisoformat,
        "time": dt.time.fromisoformat}

    def untag(value: dict[str, Any]) -> Any:
        if set(value) == {_TAG, "iso"} and value[_TAG] in kinds:
            return kinds[value[_TAG]](value["iso"])
        return value

    return list(json.loads(text, object_hook=untag))


@dataclass(frozen=True)
class _Found:
    name: str
    is_dir: bool
    plain_file: bool  # a regular file reached without any symlink


def _walk(root: Path) -> dict[str, _Found]:
    """Everything under `root` as `sorted(root.rglob("*"))` sees it (symlinked folders are
    listed, not entered; unreadable folders are skipped), from one `scandir` per folder:
    the directory entry says what is a plain file without a `stat` or `resolve` per path."""
    found: dict[str, _Found] = {}
    folders = [""]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(os.path.join(root, folder)) as listing:
                items = list(listing)
        except PermissionError:
            continue
        for item in items:
            rel = f"{folder}/{item.name}" if folder else item.name
            try:
                is_dir = item.is_dir()
                is_symlink = item.is_symlink()
                plain_file = not is_symlink and item.is_file(follow_symlinks=False)
            except OSError:
                is_dir, is_symlink, plain_file = False, True, False  # decided the slow way
            if is_dir and not is_symlink:
                folders.append(rel)
            found[rel] = _Found(item.name, is_dir, plain_file)
    return found


def _entry_label(number: int, raw: Any) -> str:
    """How an error names an entry: `manifest.toml [[source]] #3 file=x.txt`."""
    name = raw.get("file") if isinstance(raw, dict) else None
    return f"{MANIFEST} [[source]] #{number}" + (f" file={name}" if isinstance(name, str) else "")


def _manifest_file(root: Path, where: str, raw: Any, plain_files: set[str]
                   ) -> tuple[str, Path] | Reject:
    """The source id and path of the file an entry names, or why it cannot be used."""
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
        return Reject(where, "entry has no `file = \"...\"`")
    name = raw["file"]
    if name in plain_files:  # a plain file under root, named in normal form: no resolve()
        return name, root / name
    candidate = Path(name)
    if candidate.is_absolute() or ".." in candidate.parts:
        return Reject(name, f"{where}: path leaves the sources folder; refused")
    path = (root / candidate).resolve()
    if not path.is_relative_to(root):
        return Reject(name, f"{where}: path resolves outside the sources folder; refused")
    if not path.is_file():
        return Reject(name, f"{where}: file is listed in the manifest but missing")
    return candidate.as_posix(), path


def _meta(entry: ManifestEntry) -> dict[str, Any]:
    """A checked entry's metadata: every field but `file`, None where the entry has none."""
    return {key: getattr(entry, key) for key in MANIFEST_FIELDS if key != "file"}


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
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        _refuse_damaged_utf8(data, exc)
        text, encoding = _decode_legacy(data)
    _refuse_control_characters(text, encoding)
    return text, encoding


# Decision (issue #8): bytes that are mostly valid UTF-8 but hold invalid
# sequences are a damaged UTF-8 file, not a legacy encoding. Decoding them as
# cp1252 would turn every "ü" into "Ã¼", and replacing the bad bytes would
# store text the file does not hold; either way spans would point at text
# nobody wrote. Such a file is refused with the position of the first bad byte.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                             rb"|[\xf0-\xf4][\x80-\xbf]{3}")
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f-\x9f\ufffd]")
_CONTROL_SAMPLE = 1_000_000
_LATIN_OR_PUNCTUATION = re.compile(r"[\x00-\x7f\u00a0-\u024f\u2000-\u206f\u20ac]+")


def _refuse_damaged_utf8(data: bytes, exc: UnicodeDecodeError) -> None:
    valid = sum(len(m) for m in _UTF8_MULTIBYTE.findall(data))
    invalid = len(_HIGH_BYTE.findall(data)) - valid
    if valid >= invalid:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ValueError(f"invalid UTF-8 at byte {exc.start} (line {line}): the file is UTF-8 "
                         f"with {counted(invalid, 'damaged byte')}; re-save it as UTF-8 and run "
                         "again")


def _refuse_control_characters(text: str, encoding: str) -> None:
    """Text files hold letters, not control codes: many of them mean binary or a wrong guess."""
    sample = text[:_CONTROL_SAMPLE]
    controls = len(_CONTROL.findall(sample))
    if controls > max(8, len(sample) // 200):
        raise ValueError(f"binary file or unknown encoding: {controls} control characters "
                         f"when read as {encoding}")


def _decode_legacy(data: bytes) -> tuple[str, str]:
    try:
        text = data.decode("gb18030")
        han = len(re.findall(r"[\u4e00-\u9fff]", text))
        if han and han >= 0.3 * len(re.findall(r"[^\x00-\x7f]", text)):
            return text, "gb18030"
        # European text saved as GB18030: its accents and quotes come back as themselves,
        # while cp1252 bytes read as GB18030 turn into CJK characters.
        if not _LATIN_OR_PUNCTUATION.sub("", text):
            return text, "gb18030"
    except UnicodeDecodeError:
        pass
    # ISO-8859-9 differs from cp1252 only where Turkish needs ğ ı ş İ Ş Ğ; Windows
    # Turkish (cp1254) is ISO-8859-9 plus cp1252's quotes and dashes in 0x80-0x9f.
    turkish = sum(data.count(b) for b in (b"\xf0", b"\xfd", b"\xfe", b"\xdd", b"\xde", b"\xd0"))
    windows = re.search(rb"[\x80-\x9f]", data) is not None
    encoding = ("cp1254" if windows else "iso-8859-9") if turkish else "cp1252"
    text = data.decode(encoding, errors="replace")
    letters = re.findall(r"[^\W\d_]", text[:_CONTROL_SAMPLE])
    foreign = sum(1 for ch in letters if ord(ch) > 0x7f)
    if text.count("\ufffd") > max(3, len(text) // 100) or foreign > 0.4 * len(letters):
        raise ValueError("not text in an encoding polystat reads (UTF-8, UTF-16 with BOM, "
                         "GB18030, cp1252, ISO-8859-9/cp1254); re-save it as UTF-8")
    return text, encoding


def read_document(entry: SourceEntry) -> RawDocument | Reject:
    """Bytes -> sha256 + verbatim decoded text, or a reject naming the problem."""
    try:
        size = entry.path.stat().st_size
        if size > MAX_BYTES:
            return Reject(entry.source_id, f"file is {size} bytes, over the {MAX_BYTES} limit")
        plain_text = formats.reader_for(entry.path) is None
        if plain_text and (too_big := _over_size_limit(size, "text file")):
            return Reject(entry.source_id, too_big)  # refused before reading a byte
        data = entry.path.read_bytes()
    except OSError as exc:
        return Reject(entry.source_id, f"cannot read file: {exc.strerror or exc}")
    reader = formats.reader_for(entry.path)
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


def _over_size_limit(n_bytes: int, what: str) -> str | None:
    """Why a document is too big to mine, or None. Policy (issue #8): mining runs at
    ~0.2 MB of text per second, so a document over the limit is refused rather than
    holding a run for minutes; the message says how to raise the limit."""
    limit = float(settings.get("max_document_mb")) * 1_000_000
    if n_bytes <= limit:
        return None
    return (f"{what} is {n_bytes / 1e6:.1f} MB, over the {limit / 1e6:g} MB limit; split it, "
            "or raise the limit with POLYSTAT_MAX_DOCUMENT_MB (setting max_document_mb)")


def _within_size_limit(document: RawDocument | Reject) -> RawDocument | Reject:
    if isinstance(document, Reject):
        return document
    too_big = _over_size_limit(len(document.text.encode("utf-8")), "extracted text")
    return Reject(document.entry.source_id, too_big) if too_big else document


def _read_formatted(entry: SourceEntry, data: bytes, reader: formats.Reader
                    ) -> RawDocument | Reject:
    """A PDF or HTML source: the reader's cleaned text; the file's own metadata fills the gaps
    the manifest leaves (title, author, date, URL)."""
    try:
        extracted = reader(data, entry.meta.get("language"))
    except formats.FormatError as exc:
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
    years = re.findall(r"(?<!\d)(20\d\d)(?!\d)", title) or re.findall(
        r"(?<!\d)(20\d\d)(?!\d)", doc.entry.path.name)
    survey_year = int(years[0]) if years else None
    inferred = {"title": title, "publisher": None, "url": None, "published": None,
                "edition": None, "survey_year": survey_year, "language": None, "author": None}
    inferred.update({key: value for key, value in doc.found_meta.items() if value})
    return inferred


# --------------------------------------------------------------------------- unchanged files
#
# A warm run should cost what changed, not the corpus: a file whose stat matches the stat
# remembered when it was last read and hashed keeps that sha256 and is not opened.
# Trade-off (as git's index and rsync's quick check): bytes can in theory change while
# size and mtime stay (a tool that restores mtime, an edit within the clock's tick). The
# check therefore also compares the ctime, which no tool can set back (`touch -d`,
# `cp -p`, `tar`, `rsync -t` restore the mtime, and each sets the ctime to now), and the
# device and inode, which change when a file is replaced by another (save-by-rename).
# A file changed within RACY_NS of being read ("racily clean" in git) is not trusted:
# it is read again on the next run. What remains is a clock set back or a raw write to
# the block device; POLYSTAT_VERIFY=hash reads and hashes every file, as before.

RACY_NS = 2_000_000_000  # coarse file-system clocks (FAT: 2 s; ext3, HFS+: 1 s)


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int
    ctime_ns: int
    file_id: str  # "device:inode": another file under the same name is another id


@dataclass(frozen=True)
class KnownFile:
    """What the warehouse remembers of a source file from the last time it was read."""

    path: str
    stat: FileStat
    doc_id: str
    entry_key: str  # the manifest entry its sources row was made from
    checked_ns: int  # wall clock just before the stat and the read


@dataclass(frozen=True)
class UnchangedDocument:
    """A source whose file was not opened: its stat says it still holds `doc_id`."""

    entry: SourceEntry
    doc_id: str


def file_stat(path: Path) -> FileStat | None:
    try:
        found = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return FileStat(found.st_size, found.st_mtime_ns, found.st_ctime_ns,
                    f"{found.st_dev}:{found.st_ino}")


def entry_key(entry: SourceEntry) -> str:
    """Everything besides the file's bytes that its sources row is made from."""
    described = repr((entry.source_id, str(entry.path), entry.in_manifest,
                      sorted(entry.meta.items())))
    return hashlib.sha256(described.encode("utf-8")).hexdigest()


def unchanged_since(known: KnownFile, entry: SourceEntry, now: FileStat | None) -> bool:
    """Whether `entry`'s file and manifest entry are exactly as when `known` was read."""
    return (now is not None and now == known.stat and known.path == str(entry.path)
            and known.entry_key == entry_key(entry)
            and max(now.mtime_ns, now.ctime_ns) + RACY_NS <= known.checked_ns)
