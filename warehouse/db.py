"""Opening the DuckDB warehouse: one writer, numbered migrations."""

from __future__ import annotations

import re
import time
from importlib import resources
from pathlib import Path

import duckdb

MIGRATIONS_PACKAGE = "warehouse.migrations"
_LOCK_MARKERS = ("Could not set lock", "Conflicting lock")


class WarehouseLocked(RuntimeError):
    """Another process holds the warehouse file."""


class WarehouseError(RuntimeError):
    """The warehouse file cannot be opened or upgraded."""


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files(MIGRATIONS_PACKAGE).iterdir():
        match = re.fullmatch(r"(\d+)_[\w-]+\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the file's schema version; return those applied."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, sql in _migrations():
        if version in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        [version, name])
            con.execute("COMMIT")
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise WarehouseError(f"migration {name} failed: {exc}") from exc
        applied.append(version)
    return applied


def connect(
    path: Path | str, *, read_only: bool = False, wait_seconds: float = 0.0,
    memory_limit: str | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open (and upgrade) the warehouse; wait up to ``wait_seconds`` for another writer.

    ``memory_limit`` caps DuckDB's memory (its default is 80% of the machine): beyond it
    large joins and sorts spill to disk, so the warehouse leaves room for the pandoc and
    spaCy processes of the same run."""
    path = Path(path)
    size = _size(memory_limit) if memory_limit else None
    if read_only and not path.exists():
        raise WarehouseError(f"{path}: no warehouse here yet; run `polystat run` first")
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if not any(marker in str(exc) for marker in _LOCK_MARKERS):
                raise WarehouseError(f"{path}: {exc}") from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{path} is in use by another polystat process (DuckDB allows one writer). "
                    "Wait for it to finish, or pass --warehouse to use another file."
                ) from exc
            time.sleep(0.5)
    if size:
        try:
            con.execute(f"SET memory_limit = '{size}'")
        except duckdb.Error as exc:
            con.close()
            raise WarehouseError(f"memory limit {memory_limit!r}: {exc}") from exc
    if not read_only:
        migrate(con)
    return con


def _size(text: str) -> str:
    """A DuckDB size such as 1GB or 512MB; anything else is refused (never interpolated)."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()):
        raise WarehouseError(f"memory limit {text!r}: give a size such as 1GB or 512MB")
    return text.strip()
