"""A content-addressed cache of rendered HTML, so a publish renders only what changed.

An entry is keyed by the sha256 of *everything* that shapes its HTML (the Markdown,
the pandoc command and version, the template, the reports code), so an entry can only
ever be served for byte-identical input. Each entry names its key and carries the
sha256 of key and body: a truncated, edited or otherwise corrupted file, or one copied
under another key, is detected, never served, and rendered anew. Entries are written
to a temporary file and renamed, so a killed run leaves whole entries or none.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

CACHE_FORMAT = "polystat-render-cache 1"
_HEADER = re.compile(r"<!-- polystat-render-cache key=([0-9a-f]{64}) sha256=([0-9a-f]{64}) -->\n")
SUFFIX = ".html"


def cache_key(*parts: str | bytes) -> str:
    """sha256 over the parts, each length-prefixed so no two part lists collide."""
    digest = hashlib.sha256(CACHE_FORMAT.encode())
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


@dataclass
class RenderCache:
    """HTML pieces by input key in one folder; counts hits and misses for the run."""

    folder: Path
    hits: int = 0
    misses: int = 0
    rejected: int = 0  # entries found corrupted and not served
    used: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _count(self, outcome: str) -> None:
        with self._lock:  # pages render on several threads
            setattr(self, outcome, getattr(self, outcome) + 1)

    def get(self, key: str) -> str | None:
        """The cached HTML for key, verified against its stored digest; None otherwise."""
        self.used.add(key)
        path = self.folder / (key + SUFFIX)
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            self._count("misses")
            return None
        found = _HEADER.match(text)
        body = text[found.end():] if found else ""
        if not found or found.group(1) != key or _digest(key, body) != found.group(2):
            log.warning("%s: render cache entry corrupted; rendering it anew", path)
            self._count("rejected")
            self._count("misses")
            return None
        self._count("hits")
        return body

    def put(self, key: str, html: str) -> None:
        """Store html under key atomically (temporary file, then rename)."""
        self.used.add(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        header = f"<!-- polystat-render-cache key={key} sha256={_digest(key, html)} -->\n"
        partial = self.folder / f".{key}.{os.getpid()}.{threading.get_ident()}.tmp"
        partial.write_bytes((header + html).encode("utf-8"))
        partial.replace(self.folder / (key + SUFFIX))

    def prune(self) -> int:
        """Remove every entry this run did not use (keeps the cache one site large)."""
        removed = 0
        for path in self.folder.glob("*") if self.folder.is_dir() else []:
            if path.name.removesuffix(SUFFIX) not in self.used:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _digest(key: str, body: str) -> str:
    return hashlib.sha256(f"{key}\n{body}".encode()).hexdigest()
