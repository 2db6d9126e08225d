"""Whether a source file is unchanged since it was last read, from its stat alone.

A warm run should cost what changed, not the corpus: a file whose stat matches the stat
remembered when it was last read and hashed keeps that sha256 and is not opened.
Trade-off (as git's index and rsync's quick check): bytes can in theory change while
size and mtime stay (a tool that restores mtime, an edit within the clock's tick). The
check therefore also compares the ctime, which no tool can set back (`touch -d`,
`cp -p`, `tar`, `rsync -t` restore the mtime, and each sets the ctime to now), and the
device and inode, which change when a file is replaced by another (save-by-rename).
A file changed within RACY_NS of being read ("racily clean" in git) is not trusted:
it is read again on the next run. What remains is a clock set back or a raw write to
the block device; POLYSTAT_VERIFY=hash reads and hashes every file, as before.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from flows.ingest.documents import SourceEntry

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
class RefusedFile:
    """What the warehouse remembers of a source file a finished run refused for its content
    (flows/ingest/documents.py `Reject.lasting`): refused again, unread, while unchanged."""

    path: str
    stat: FileStat
    entry_key: str
    checked_ns: int
    limits: str  # `read.size_limits()` when it was refused
    problem: str


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


def unchanged_since(known: KnownFile | RefusedFile, entry: SourceEntry, now: FileStat | None
                    ) -> bool:
    """Whether `entry`'s file and manifest entry are exactly as when `known` was read."""
    return (now is not None and now == known.stat and known.path == str(entry.path)
            and known.entry_key == entry_key(entry)
            and max(now.mtime_ns, now.ctime_ns) + RACY_NS <= known.checked_ns)
