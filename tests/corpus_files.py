"""Corpus folders for tests: a manifest.toml written from its entries, a sources folder's
chosen documents copied with theirs, and a module's linked run copied for one test."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path
from typing import Any

import duckdb

from flows.pipeline import run_without_prefect

Documents = dict[str, tuple[dict[str, Any], str]]  # file -> (manifest entry, text)


def write_documents(folder: Path, documents: Documents, files: list[str]) -> Path:
    """The `files` of `documents` written into `folder` with their manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for name in files:
        entry, text = documents[name]
        (folder / name).write_text(text, encoding="utf-8")
        entries.append({"file": name, **entry})
    write_manifest(folder, entries)
    return folder


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


def linked_corpus(corpus: Path, base: Path) -> Path:
    """A copy of the documents folder `corpus` run into `base` (see `linked_run`); returns
    the warehouse."""
    shutil.copytree(corpus, base / "corpus")
    return linked_run(base) / "w.duckdb"


def linked_figures(warehouse: Path, *columns: str) -> list[tuple[Any, ...]]:
    """(file name, surface, metric id, *columns) of every linked current figure, in the
    order of its document's path and its place there; `columns` are expressions on the
    figure `o` or its metric `m` ("o.year", "m.label")."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            f"SELECT s.path, o.surface, m.metric_id{''.join(', ' + c for c in columns)}"
            " FROM metrics m JOIN metric_observations USING (metric_id)"
            " JOIN current_observations o USING (obs_id) JOIN current_documents d"
            " USING (doc_id) JOIN sources s USING (source_id) ORDER BY s.path, o.start"
        ).fetchall()
    return [(Path(path).name, *rest) for path, *rest in rows]


def figures_by_occurrence(warehouse: Path, *columns: str) -> dict[tuple[str, str, int], Any]:
    """(file name, surface, which occurrence of the surface in the file: 0, 1, ...) ->
    (metric id, *columns) of every linked current figure (`linked_figures`)."""
    found: dict[tuple[str, str, int], Any] = {}
    for name, surface, *rest in linked_figures(warehouse, *columns):
        seen = sum(key[:2] == (name, surface) for key in found)
        found[(name, surface, seen)] = tuple(rest)
    return found


def copy_run(run: Path, target: Path) -> Path:
    """A module's run (its corpus/ and w.duckdb) copied into `target`, for a test that
    changes it; returns the copied warehouse."""
    shutil.copytree(run / "corpus", target / "corpus")
    shutil.copy(run / "w.duckdb", target / "w.duckdb")
    return target / "w.duckdb"
