"""Which files are sources: every entry of the manifest, plus each file it does not list.

A path that leaves the sources folder (`..`, an absolute path, a symlink pointing out) is
refused, as is a second entry for the same file; each problem is a `Reject` naming the entry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from flows.ingest.documents import Reject, SourceEntry, SourcesError
from flows.ingest.manifest import FIELDS as MANIFEST_FIELDS
from flows.ingest.manifest import (
    MANIFEST,
    ManifestCache,
    ManifestEntry,
    read_entries,
    validate_entry,
)

_IGNORED_NAMES = {MANIFEST, "README.md", "README", ".gitkeep"}


def load_manifest(sources_dir: Path, cache: ManifestCache | None = None
                  ) -> tuple[list[SourceEntry], list[Reject]]:
    """Manifest entries plus unlisted files; problems with single entries become rejects."""
    if not sources_dir.is_dir():
        raise SourcesError(f"{sources_dir}: sources folder does not exist")
    root = sources_dir.resolve()
    raw_entries = read_entries(sources_dir / MANIFEST, cache)
    found = _walk(root)
    plain_files = {rel for rel, item in found.items() if item.plain_file}
    entries, rejects, listed, names = _listed_entries(root, raw_entries, plain_files)
    for rel in sorted(found, key=lambda rel: rel.split("/")):
        item = found[rel]
        if item.is_dir or item.name in _IGNORED_NAMES or item.name.startswith("."):
            continue
        if rel in names:  # its entry took it, or refused it (once: not again as unlisted)
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
                    ) -> tuple[list[SourceEntry], list[Reject], set[str], set[str]]:
    """The manifest's entries as sources, one reject per bad entry, the resolved paths of
    the files they name, and the names themselves (relative to the sources folder): a file
    the manifest names, whether taken or refused, is not read as an unlisted file."""
    entries: list[SourceEntry] = []
    rejects: list[Reject] = []
    listed: set[str] = set()
    names: set[str] = set()
    first_entry: dict[str, str] = {}  # source_id -> the entry that listed it first
    for number, raw in enumerate(raw_entries, start=1):
        where = _entry_label(number, raw)
        if isinstance(raw, dict) and isinstance(raw.get("file"), str):
            names.add(PurePosixPath(raw["file"]).as_posix())  # "./x.txt" names "x.txt"
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
    return entries, rejects, listed, names


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
