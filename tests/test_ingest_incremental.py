"""Ingest costs what changed: unchanged files are not opened, an unchanged manifest is not
parsed, and any doubt (another stat, an unfinished run, POLYSTAT_VERIFY=hash) reads again."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
import uuid
from pathlib import Path
from typing import Any

import pytest

from flows import stages
from flows.ingest import (
    FileStat,
    KnownFile,
    SourceEntry,
    SourcesError,
    entry_key,
    load_manifest,
    manifest,
    sources,
    unchanged_since,
)
from warehouse import db, store


def _ingest(sources: Path, warehouse: Path, finish: bool = True) -> dict[str, Any]:
    """One ingest stage in a run of its own, as the pipeline brackets it."""
    con = db.connect(warehouse)
    try:
        store.clean_up_interrupted_runs(con)
        run_id = f"test-{uuid.uuid4().hex[:12]}"
        store.start_run(con, run_id, "test", None, "test", {})
        store.include_run_in_views(con, run_id)
        with stages.using_warehouse(con):
            result = stages.ingest.fn(str(sources), run_id)
        if finish:
            store.finish_run(con, run_id, "completed", {})
        return result
    finally:
        con.close()


def _query(warehouse: Path, sql: str) -> list[tuple[Any, ...]]:
    con = db.connect(warehouse, read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _source_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".txt")


def test_a_run_with_nothing_changed_opens_no_source_file(
        sources_copy: Path, tmp_path: Path, no_racy_window: None, opened: list[str]) -> None:
    warehouse = tmp_path / "w.duckdb"
    first = _ingest(sources_copy, warehouse)
    assert first["files_read"] == len(first["new"]) == 5
    opened.clear()
    second = _ingest(sources_copy, warehouse)
    assert second["files_read"] == 0 and second["new"] == [] and second["unchanged"] == 5
    assert second["sources_changed"] == 0 and second["seen"] == 5
    assert not set(opened) & set(_source_files(sources_copy)), opened


def test_a_file_rewritten_with_its_mtime_kept_but_another_size_is_read(
        sources_copy: Path, tmp_path: Path, no_racy_window: None, opened: list[str]) -> None:
    warehouse = tmp_path / "w.duckdb"
    _ingest(sources_copy, warehouse)
    target = sources_copy / _source_files(sources_copy)[0]
    before = target.stat()
    target.write_text(target.read_text(encoding="utf-8") + "\n81 Prozent mehr.\n",
                      encoding="utf-8")
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert target.stat().st_mtime_ns == before.st_mtime_ns
    opened.clear()
    result = _ingest(sources_copy, warehouse)
    assert result["files_read"] == 1 and opened.count(target.name) == 1
    assert result["new"] == [target.name] and result["unchanged"] == 4
    superseded = _query(warehouse, "SELECT count(*) FROM documents WHERE superseded_by"
                                   f" IS NOT NULL AND source_id = '{target.name}'")
    assert superseded == [(1,)]


def test_a_touched_file_with_the_same_bytes_is_read_but_is_no_new_version(
        sources_copy: Path, tmp_path: Path, no_racy_window: None) -> None:
    warehouse = tmp_path / "w.duckdb"
    _ingest(sources_copy, warehouse)
    target = sources_copy / _source_files(sources_copy)[1]
    later = target.stat().st_mtime_ns + 5_000_000_000
    os.utime(target, ns=(later, later))
    touched = _ingest(sources_copy, warehouse)
    assert touched["files_read"] == 1
    assert touched["new"] == [] and touched["unchanged"] == 5
    assert _query(warehouse, "SELECT count(*) FROM documents") == [(5,)]
    assert _ingest(sources_copy, warehouse)["files_read"] == 0  # its new stat is remembered


def test_a_file_changed_just_before_it_was_read_is_read_again(
        sources_copy: Path, tmp_path: Path) -> None:
    """Racily clean (git's term): within the clock's tick a second write could keep the
    stat, so a file younger than RACY_NS at reading time is not trusted next time."""
    warehouse = tmp_path / "w.duckdb"
    _ingest(sources_copy, warehouse)  # sources_copy was written a moment ago
    assert _ingest(sources_copy, warehouse)["files_read"] == 5


def test_verify_hash_reads_and_hashes_every_file(
        sources_copy: Path, tmp_path: Path, no_racy_window: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "w.duckdb"
    _ingest(sources_copy, warehouse)
    monkeypatch.setenv("POLYSTAT_VERIFY", "hash")
    result = _ingest(sources_copy, warehouse)
    assert result["files_read"] == 5 and result["new"] == [] and result["unchanged"] == 5


def test_an_unfinished_run_cannot_vouch_for_a_file(
        sources_copy: Path, tmp_path: Path, no_racy_window: None) -> None:
    warehouse = tmp_path / "w.duckdb"
    _ingest(sources_copy, warehouse, finish=False)  # killed after ingest
    result = _ingest(sources_copy, warehouse)
    assert result["files_read"] == 5 and len(result["new"]) == 5


def test_a_changed_manifest_entry_rereads_its_file_and_updates_the_source(
        sources_copy: Path, tmp_path: Path, no_racy_window: None) -> None:
    warehouse = tmp_path / "w.duckdb"
    (sources_copy / "extra.txt").write_text("Kundenservice Studie 2023\n52 Prozent sagen ja.\n",
                                            encoding="utf-8")
    _ingest(sources_copy, warehouse)
    manifest = sources_copy / "manifest.toml"
    text = manifest.read_text(encoding="utf-8")
    first_title = tomllib.loads(text)["source"][0]["title"]
    manifest.write_text(text.replace(first_title, "Renamed report", 1), encoding="utf-8")
    result = _ingest(sources_copy, warehouse)
    assert result["files_read"] == 1 and result["sources_changed"] == 1
    assert result["new"] == []
    titles = dict(_query(warehouse, "SELECT source_id, title FROM sources"))
    assert "Renamed report" in titles.values()
    assert titles["extra.txt"] == "Kundenservice Studie 2023"  # inferred, kept while skipped


class _DictCache:
    def __init__(self) -> None:
        self.stored: dict[str, list[Any]] = {}

    def get(self, digest: str) -> list[Any] | None:
        return self.stored.get(digest)

    def put(self, digest: str, entries: list[Any]) -> None:
        self.stored = {digest: entries}


def test_an_unchanged_manifest_is_not_parsed_again(
        sources_copy: Path, tmp_path: Path, no_racy_window: None,
        monkeypatch: pytest.MonkeyPatch) -> None:
    warehouse = tmp_path / "w.duckdb"
    first = _ingest(sources_copy, warehouse)

    def no_parsing(text: str) -> dict[str, Any]:
        raise AssertionError("manifest parsed again")

    monkeypatch.setattr(tomllib, "loads", no_parsing)
    assert _ingest(sources_copy, warehouse)["seen"] == first["seen"]


def test_the_manifest_cache_misses_when_the_manifest_changes(sources_copy: Path) -> None:
    cache = _DictCache()
    entries, _ = load_manifest(sources_copy, cache)
    assert len(cache.stored) == 1
    manifest = sources_copy / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8")
                        + '\n[[source]]\nfile = "gone.txt"\n', encoding="utf-8")
    changed, rejects = load_manifest(sources_copy, cache)
    assert [r.path for r in rejects] == ["gone.txt"] and len(changed) == len(entries)
    manifest.write_text('[[source]]\nfile = "a.txt\n', encoding="utf-8")
    with pytest.raises(SourcesError, match=r"manifest.toml: does not parse: .*line 2"):
        load_manifest(sources_copy, cache)


def test_cached_manifest_entries_come_back_with_their_toml_types(sources_copy: Path) -> None:
    (sources_copy / "manifest.toml").write_text(
        '[[source]]\nfile = "a.txt"\npublished = 2023-05-01\nsurvey_year = 2023\n'
        'title = "Ä\\u00e4 \\"quoted\\""\nignored = 1\n'
        '[[source]]\nfile = "b.txt"\npublished = 2023-05-01T08:30:00+02:00\nedition = 1.5\n'
        '[[source]]\nfile = "c.txt"\npublished = 08:30:00\nurl = ["x", {"$toml" = "date"}]\n'
        'source = "not a table"\n', encoding="utf-8")
    for name in ("a.txt", "b.txt", "c.txt"):
        (sources_copy / name).write_text("52 Prozent\n", encoding="utf-8")
    parsed = manifest.read_entries(sources_copy / "manifest.toml", None)
    # Unknown keys stay in the cache: the entry is refused on every run, not only the first.
    assert parsed[0]["published"] == dt.date(2023, 5, 1) and parsed[0]["ignored"] == 1
    first = manifest.encode_manifest_entries(parsed[:2])
    assert first is not None and manifest.decode_manifest_entries(first) == parsed[:2]
    decoded = manifest.decode_manifest_entries(first)
    assert str(decoded[1]["published"]) == str(parsed[1]["published"])
    assert manifest.encode_manifest_entries(parsed) is None  # a "$toml" table: never cached


def test_unchanged_since_compares_every_stat_field_and_the_entry() -> None:
    entry = SourceEntry("a.txt", Path("/s/a.txt"), True, {"title": "A"})
    now = FileStat(size=10, mtime_ns=1_000, ctime_ns=2_000, file_id="1:7")
    known = KnownFile("/s/a.txt", now, "sha", entry_key(entry), checked_ns=10_000_000_000)
    assert unchanged_since(known, entry, now)
    for changed in (FileStat(11, 1_000, 2_000, "1:7"), FileStat(10, 1_001, 2_000, "1:7"),
                    FileStat(10, 1_000, 2_001, "1:7"), FileStat(10, 1_000, 2_000, "1:8"), None):
        assert not unchanged_since(known, entry, changed)
    retitled = SourceEntry("a.txt", Path("/s/a.txt"), True, {"title": "B"})
    assert not unchanged_since(known, retitled, now)
    racy = KnownFile("/s/a.txt", now, "sha", entry_key(entry), checked_ns=2_000)
    assert not unchanged_since(racy, entry, now)


def _rglob_reference(root: Path) -> list[str]:
    """What load_manifest found before it walked the folder itself (the rglob loop)."""
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_dir() or path.name in sources._IGNORED_NAMES or path.name.startswith("."):
            continue
        found.append(path.relative_to(root).as_posix())
    return found


def test_the_folder_walk_finds_what_rglob_found(sources_copy: Path, tmp_path: Path) -> None:
    for name in ("a-b/x.txt", "a/x.txt", "a/b/c.txt", ".hidden/inner.txt", "a/.dot.txt",
                 "z/README.md"):
        (sources_copy / name).parent.mkdir(parents=True, exist_ok=True)
        (sources_copy / name).write_text("52 Prozent\n", encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("42%\n", encoding="utf-8")
    (sources_copy / "linked_dir").symlink_to(outside)
    (sources_copy / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    (sources_copy / "inside_link.txt").symlink_to(sources_copy / "a" / "x.txt")
    entries, rejects = load_manifest(sources_copy)
    unlisted = [e.source_id for e in entries if not e.in_manifest]
    reference = _rglob_reference(sources_copy.resolve())
    listed = {e.source_id for e in entries if e.in_manifest}
    assert unlisted == [name for name in reference if name not in listed
                        and name != "broken.txt"]  # refused: it resolves outside
    assert [r.path for r in rejects] == ["broken.txt"]
    assert all(e.path == e.path.resolve() for e in entries)
