"""Corpus folders for tests: a manifest.toml written from its entries, a sources folder's
chosen documents copied with theirs, and a module's linked run copied for one test."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

from flows.pipeline import run_without_prefect


def write_manifest(folder: Path, entries: list[dict[str, Any]]) -> None:
    """`folder`/manifest.toml with one [[source]] table per entry."""
    lines = []
    for entry in entries:
        lines.append("[[source]]")
        lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}"
                  for key, value in entry.items()]
        lines.append("")
    (folder / "manifest.toml").write_text("\n".join(lines), encoding="utf-8")


def manifest_entries(source: Path, files: list[str] | None = None) -> list[dict[str, Any]]:
    """The manifest entries of a sources folder (of `files` only, when given)."""
    entries = tomllib.loads((source / "manifest.toml").read_text(encoding="utf-8"))["source"]
    return [entry for entry in entries if files is None or entry["file"] in files]


def copy_documents(source: Path, folder: Path, entries: list[dict[str, Any]]) -> None:
    """The documents of `entries` copied from `source` into `folder` (kept when there)."""
    folder.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        if not (folder / entry["file"]).exists():
            shutil.copy(source / entry["file"], folder / entry["file"])


def linked_run(base: Path) -> Path:
    """`base`/corpus run into `base`/w.duckdb without publishing (no Prefect): a module's
    run that its tests copy with `copy_run`."""
    run_without_prefect(str(base / "corpus"), str(base / "w.duckdb"), str(base / "site"),
                        publish=False)
    return base


def copy_run(run: Path, target: Path) -> Path:
    """A module's run (its corpus/ and w.duckdb) copied into `target`, for a test that
    changes it; returns the copied warehouse."""
    shutil.copytree(run / "corpus", target / "corpus")
    shutil.copy(run / "w.duckdb", target / "w.duckdb")
    return target / "w.duckdb"
