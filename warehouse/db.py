"""Opening the DuckDB warehouse: one writer, numbered migrations."""

from __future__ import annotations

import re
import shutil
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


class WarehouseMissing(WarehouseError):
    """No warehouse at the path; reading never creates one."""


class NotAWarehouse(WarehouseError):
    """The path holds something else: not a DuckDB file, or a DuckDB file without our schema."""


class WarehouseOutdated(WarehouseError):
    """An older polystat wrote the file; only a run, which may write, upgrades it."""


class WarehouseNotWritten(WarehouseError):
    """Committed changes could not be written from the write-ahead log into the file (a full
    disk): nothing is lost, the next run writes them first."""


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
    """Open the warehouse; wait up to ``wait_seconds`` for another process to let go of it.

    Read-write (a run) creates the file and applies pending migrations. Read-only (exports,
    explain, eval) writes nothing: a missing, foreign or outdated file is an error that says
    what to do, never a new or upgraded warehouse.

    ``memory_limit`` caps DuckDB's memory (its default is 80% of the machine): beyond it
    large joins and sorts spill to disk, so the warehouse leaves room for the pandoc and
    spaCy processes of the same run."""
    path = Path(path)
    size = _size(memory_limit) if memory_limit else None
    if read_only:
        _require_file(path)
    else:
        _make_folder(path)
    con = _open(path, read_only, wait_seconds)
    try:
        if size:
            _set_memory_limit(con, size, memory_limit)
        if read_only:
            _require_current_schema(con, path)
        else:
            migrate(con)
            if wal_path(path).exists():  # left by a crash, or a checkpoint that failed
                checkpoint(con, path)
    except BaseException:
        con.close()
        raise
    return con


def wal_path(path: Path) -> Path:
    """DuckDB's write-ahead log of the warehouse: committed changes not yet in the file."""
    return path.with_name(path.name + ".wal")


def checkpoint(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Write every committed change into the warehouse file now. DuckDB also does this when
    a connection closes, but says nothing when it fails there: on a full disk a run exited
    0 and left its data in the write-ahead log (issue 19, item 10). Raises
    WarehouseNotWritten, which says how much space is free and what to do."""
    try:
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise WarehouseNotWritten(_not_written(path, exc)) from exc


def _not_written(path: Path, exc: duckdb.Error) -> str:
    reason = str(exc).split("error: ")[-1].rstrip(".")
    wal = wal_path(path)
    kept = f"{wal.stat().st_size / 1e6:.1f} MB" if wal.exists() else "the write-ahead log"
    try:
        free = f"{shutil.disk_usage(path.parent).free / 1e6:.1f} MB free now"
    except OSError:
        free = "free space unknown"
    return (f"{path}: the committed changes could not be written into the warehouse file "
            f"({reason}); nothing is lost: they are kept in {wal.name} ({kept}) and the next "
            f"run writes them first. Free space on the disk of {path.parent} ({free}) and run "
            "again")


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseError(f"{path}: cannot create its folder {path.parent} "
                             f"({exc.strerror or exc}: {exc.filename or path.parent}); "
                             "pass --warehouse with a file in a folder you may write") from exc


def _require_file(path: Path) -> None:
    if path.is_dir():
        raise NotAWarehouse(f"{path} is a folder; --warehouse takes the DuckDB file a run wrote")
    if not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}; run `polystat run` first")


def _open(path: Path, read_only: bool, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if not any(marker in str(exc) for marker in _LOCK_MARKERS):
                raise _unopenable(path, exc) from exc
            if time.monotonic() >= deadline:
                raise WarehouseLocked(_locked_message(path, read_only, str(exc))) from exc
            time.sleep(0.5)
        except duckdb.Error as exc:
            raise _unopenable(path, exc) from exc


def _unopenable(path: Path, exc: duckdb.Error) -> WarehouseError:
    message = str(exc)
    if "not a valid DuckDB database file" in message:
        return NotAWarehouse(f"{path} is not a DuckDB file, so not a polystat warehouse; "
                             "check --warehouse (or POLYSTAT_WAREHOUSE)")
    if "database does not exist" in message:  # removed between our check and DuckDB's
        return WarehouseMissing(f"no warehouse at {path}; run `polystat run` first")
    if "Corrupt database file" in message:
        return WarehouseError(f"{path} is a damaged DuckDB file ({message}); restore it from a "
                              "backup, or pass --warehouse with another file")
    return WarehouseError(f"{path}: {message}")


def _locked_message(path: Path, read_only: bool, duckdb_message: str) -> str:
    holder = re.search(r"\(PID (\d+)\)", duckdb_message)
    who = f" (process {holder.group(1)})" if holder else ""
    if read_only:
        # DuckDB's lock is per process: while one process has the file open read-write,
        # no other process may open it at all, not even read-only.
        return (f"{path} is in use by another polystat process{who}: a run is writing it, and "
                "DuckDB lets no other process read the file meanwhile. "
                "Try again when the run ends.")
    return (f"{path} is in use by another polystat process{who} (DuckDB allows one writer). "
            "Wait for it to finish, or pass --warehouse to use another file.")


def _set_memory_limit(con: duckdb.DuckDBPyConnection, size: str, asked: str | None) -> None:
    try:
        con.execute(f"SET memory_limit = '{size}'")
    except duckdb.Error as exc:
        raise WarehouseError(f"memory limit {asked!r}: {exc}") from exc


def _require_current_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A reader cannot upgrade the file, and the reads expect today's tables and views."""
    try:
        done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    except duckdb.CatalogException as exc:
        raise NotAWarehouse(f"{path} is a DuckDB database but not a polystat warehouse (it has "
                            "no schema_migrations table); check --warehouse") from exc
    pending = [name for version, name, _ in _migrations() if version not in done]
    if pending:
        raise WarehouseOutdated(
            f"{path} was written by an older polystat and lacks {len(pending)} schema "
            f"upgrade(s) ({', '.join(pending)}); run `polystat run` to upgrade it "
            "(read commands never write the warehouse)")


def _size(text: str) -> str:
    """A DuckDB size such as 1GB or 512MB; anything else is refused (never interpolated)."""
    if not re.fullmatch(r"\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)", text.strip()):
        raise WarehouseError(f"memory limit {text!r}: give a size such as 1GB or 512MB")
    return text.strip()
