"""Publishing never costs stored data, and a publish killed in its site swap heals.

Issue 19, items 2, 3 and 8:
- a publish is SIGKILLed at each step of the swap (`reports.publish.SWAP_STEPS`, set with
  POLYSTAT_FAULT_AT=swap:<step>); the next publish restores or completes the swap, leaves
  no `.site.old-*` behind, and keeps `_data/` (S-numbers, what changed since);
- a run whose out folder cannot be written stores its figures anyway, exits 3 with one
  line naming the folder and `--no-publish`, and the next run publishes without mining;
- a read-only out folder is left as it is, with the same error.

The tests run as root here, and root writes through a folder's mode bits. So the
unwritable folder is one whose parent is a regular file (fails for everyone); the
read-only folder is marked a-w, which polystat respects for root too, and, where the test
may create a mount namespace (root, `unshare`), also a real read-only bind mount (EROFS).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import cli_process
import pytest
import report_fixtures as fx
from cli_process import polystat
from conftest import ROOT

from flows.faults import FAULT_VARIABLE
from reports.pages.layout import LAYOUT_FILE
from reports.publish import DATA_DIR, SWAP_STEPS, download_parts_dir, render_cache_dir
from warehouse import db

api_url = cli_process.api_url  # the shared fixture

MARKER_SHIFT = 10  # S-numbers with a history: as if ten sources had been removed before


def publish_process(warehouse: Path, out: Path, *prefix: str, **env: str
                    ) -> subprocess.CompletedProcess[str]:
    """`python -m reports.publish WAREHOUSE OUT` in a fresh process (no Prefect)."""
    full_env = {**os.environ}
    full_env.pop(FAULT_VARIABLE, None)
    full_env.update(env)
    return subprocess.run([*prefix, sys.executable, "-m", "reports.publish", str(warehouse),
                           str(out)], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=300, check=False)


def leftovers(out: Path) -> list[str]:
    """Everything a publish leaves next to the site besides the site and its caches (the
    render cache, the parts of the statistics download)."""
    caches = {render_cache_dir(out), download_parts_dir(out)}
    return sorted(p.name for p in out.parent.iterdir()
                  if p.name.startswith(f".{out.name}.") and p not in caches)


def snapshot_of(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / DATA_DIR / "snapshot.json").read_text(encoding="utf-8")))


def layout_of(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / DATA_DIR / LAYOUT_FILE).read_text(encoding="utf-8")))


def shift_markers(out: Path) -> dict[str, int]:
    """Give the published sources S-numbers a fresh numbering would not give them back."""
    layout = layout_of(out)
    layout["markers"] = {k: v + MARKER_SHIFT for k, v in layout["markers"].items()}
    layout["next_marker"] += MARKER_SHIFT
    (out / DATA_DIR / LAYOUT_FILE).write_text(json.dumps(layout), encoding="utf-8")
    return dict(layout["markers"])


# --------------------------------------------------------------------------- item 2: the swap


@pytest.fixture(scope="module")
def first_publish(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with one run, published once, S-numbers shifted (copied by each test)."""
    base = tmp_path_factory.mktemp("published")
    fx.build_warehouse(base / "w.duckdb").close()
    done = publish_process(base / "w.duckdb", base / "site")
    assert done.returncode == 0, done.stderr[-3000:]
    shift_markers(base / "site")
    return base


@pytest.fixture()
def second_run_to_publish(first_publish: Path, tmp_path: Path) -> Path:
    """A copy of the first publish whose warehouse has gained a run (one new source)."""
    base = tmp_path / "copy"
    shutil.copytree(first_publish, base)
    con = db.connect(base / "w.duckdb")
    try:
        fx.add_second_run(con)
    finally:
        con.close()
    return base


@pytest.mark.parametrize("step", SWAP_STEPS)
def test_a_publish_killed_in_the_swap_heals_on_the_next_publish(
        second_run_to_publish: Path, step: str) -> None:
    base = second_run_to_publish
    warehouse, out = base / "w.duckdb", base / "site"
    markers = layout_of(out)["markers"]

    killed = publish_process(warehouse, out, **{FAULT_VARIABLE: f"swap:{step}"})

    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    aside = [name for name in leftovers(out) if name.startswith(".site.old-")]
    if step == "staged":  # rendered, nothing renamed: the first site still stands
        assert snapshot_of(out)["run"]["run_id"] == fx.RUN_1 and not aside
    elif step == "site-moved-aside":  # the window issue 19 found: no site at all
        assert not out.exists() and len(aside) == 1
    else:  # the new site is in place, the old one not yet removed
        assert snapshot_of(out)["run"]["run_id"] == fx.RUN_2 and len(aside) == 1

    healed = publish_process(warehouse, out)

    assert healed.returncode == 0, healed.stderr[-3000:]
    assert leftovers(out) == []
    snapshot = snapshot_of(out)
    assert snapshot["run"]["run_id"] == fx.RUN_2
    changes = snapshot["changes"]  # compared with the first publish, not "everything is new"
    assert changes["first_snapshot"] is False and changes["previous_run"] == fx.RUN_1
    assert [d["source_id"] for d in changes["new_documents"]] == [fx.HWZ_SOURCE]
    kept = layout_of(out)
    new_number = max(markers.values()) + 1
    assert kept["markers"] == {**markers, fx.HWZ_SOURCE: new_number}
    sources_page = (out / "sources.html").read_text(encoding="utf-8")
    assert f"S{new_number}" in sources_page and f"S{min(markers.values())}" in sources_page
    if step == "site-moved-aside":
        assert "restored" in healed.stdout and str(out) in healed.stdout


def test_a_site_set_aside_twice_comes_back_as_the_latest(second_run_to_publish: Path) -> None:
    """Two kills in a row between the renames (the second after a publish that, before this
    fix, left the first copy lying): the latest site comes back, the other goes."""
    base = second_run_to_publish
    warehouse, out = base / "w.duckdb", base / "site"
    older = base / ".site.old-1"
    shutil.copytree(out, older)
    (older / DATA_DIR / LAYOUT_FILE).write_text("{}", encoding="utf-8")  # unreadable: told apart
    markers = layout_of(out)["markers"]
    killed = publish_process(warehouse, out, **{FAULT_VARIABLE: "swap:site-moved-aside"})
    assert killed.returncode == -signal.SIGKILL and not out.exists()

    healed = publish_process(warehouse, out)

    assert healed.returncode == 0, healed.stderr[-3000:]
    assert leftovers(out) == []
    assert snapshot_of(out)["changes"]["previous_run"] == fx.RUN_1
    assert layout_of(out)["markers"].items() >= markers.items()


# --------------------------------------------------------------------------- items 3 and 8


def write_small_corpus(folder: Path, extra: bool = False) -> Path:
    """Two short English documents of our own (a third with `extra`): runs stay quick."""
    folder.mkdir(parents=True, exist_ok=True)
    documents = {
        "remote.txt": "Remote Work Pulse 2024\n\nIn 2024, 41% of the surveyed agents said they "
                      "work from home at least twice a week.\n",
        "budgets.txt": "Service Budgets 2024\n\nIn 2024, 63% of the decision makers said their "
                       "service budget grew.\n",
    }
    if extra:
        documents["hiring.txt"] = ("Hiring Outlook 2025\n\nIn 2025, 28% of the decision makers "
                                   "said they plan to hire more agents.\n")
    entries = []
    for name, text in documents.items():
        (folder / name).write_text(text, encoding="utf-8")
        entries.append(f'[[source]]\nfile = "{name}"\nsurvey_year = 2024\nlanguage = "en"\n')
    (folder / "manifest.toml").write_text("\n".join(entries), encoding="utf-8")
    return folder


def run_args(sources: Path, warehouse: Path, out: Path) -> list[str]:
    return ["run", "--sources", str(sources), "--warehouse", str(warehouse), "--out", str(out)]


def exported(warehouse: Path, api_url: str) -> list[dict[str, Any]]:
    done = polystat(["export", "statistics", "--warehouse", str(warehouse)], api_url)
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def runs(warehouse: Path) -> list[tuple[str, str, dict[str, Any]]]:
    con = db.connect(warehouse, read_only=True)
    try:
        rows = con.execute("SELECT run_id, status, summary FROM runs ORDER BY started_at"
                           ).fetchall()
        return [(r[0], r[1], json.loads(r[2] or "{}")) for r in rows]
    finally:
        con.close()


def observation_runs(warehouse: Path) -> dict[str, int]:
    con = db.connect(warehouse, read_only=True)
    try:
        return dict(con.execute("SELECT run_id, count(*) FROM observations GROUP BY run_id"
                                ).fetchall())
    finally:
        con.close()


def assert_publish_failure_line(done: subprocess.CompletedProcess[str], out: Path,
                                why: str) -> None:
    assert done.returncode == 3, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr[-3000:]
    assert str(out) in errors[0] and "--no-publish" in errors[0] and why in errors[0]
    assert "published: failed" in errors[0]


def test_an_out_folder_that_cannot_be_written_costs_no_stored_figure(
        api_url: str, tmp_path: Path) -> None:
    sources = write_small_corpus(tmp_path / "src")
    warehouse, blocker = tmp_path / "w.duckdb", tmp_path / "blocker"
    blocker.write_text("a file where the out folder's parent should be", encoding="utf-8")
    out = blocker / "site"

    failed = polystat(run_args(sources, warehouse, out), api_url)

    assert_publish_failure_line(failed, out, f"{blocker} is a file")
    stored = exported(warehouse, api_url)
    assert len(stored) >= 2  # both documents' figures are there for readers
    [(first_run, status, summary)] = runs(warehouse)
    assert status == "completed" and summary["publish"] == "failed"
    assert str(blocker) in summary["publish_error"]

    blocker.unlink()
    blocker.mkdir()
    healed = polystat(run_args(sources, warehouse, out), api_url)

    assert healed.returncode == 0, healed.stderr[-3000:]
    assert (out / "index.html").exists() and snapshot_of(out)["observations"]
    assert "2 documents seen, 0 mined, 2 unchanged" in healed.stderr
    assert [r[1] for r in runs(warehouse)] == ["completed", "completed"]
    assert runs(warehouse)[-1][2]["publish"] == "done"
    assert observation_runs(warehouse) == {first_run: len(stored)}  # nothing mined twice
    assert exported(warehouse, api_url) == stored

    # Item 8: the published folder made read-only is left as it is, with the same error.
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    write_small_corpus(sources, extra=True)
    out.chmod(0o555)
    try:
        refused = polystat(run_args(sources, warehouse, out), api_url)
        assert out.stat().st_mode & 0o777 == 0o555  # not swapped for a writable folder
    finally:
        out.chmod(0o755)
    assert_publish_failure_line(refused, out, "read-only")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert leftovers(out) == []
    assert any(r["doc"] == "hiring.txt" for r in exported(warehouse, api_url))


def test_under_prefect_a_publish_failure_fails_the_flow_run_after_committing(
        prefect_harness: None, tmp_path: Path) -> None:
    """A scheduled run that could not publish shows as failed in Prefect, its figures kept."""
    from flows.pipeline import PublishFailed, pipeline

    sources = write_small_corpus(tmp_path / "src")
    warehouse, blocker = tmp_path / "w.duckdb", tmp_path / "blocker"
    blocker.write_text("not a folder", encoding="utf-8")

    state = pipeline(str(sources), str(warehouse), str(blocker / "site"), return_state=True)

    assert state.is_failed()
    with pytest.raises(PublishFailed) as raised:
        state.result()
    assert raised.value.summary["publish"] == "failed"
    assert f"{blocker} is a file" in str(raised.value)
    [(run_id, status, summary)] = runs(warehouse)
    assert status == "completed" and summary["publish_error"] in str(raised.value)
    assert observation_runs(warehouse) == {run_id: summary["observations_new"]}
    assert summary["observations_new"] >= 2


def _read_only_mounts_possible() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def _mount_read_only(out: Path) -> list[str]:
    """A command prefix: the site bind-mounted read-only in a mount namespace of the
    publish process alone (a real EROFS; nothing to unmount afterwards)."""
    return ["unshare", "-m", "sh", "-c",
            'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" && exec "$@"', str(out)]


@pytest.mark.parametrize("how", ["mode a-w", "read-only mount"])
def test_a_read_only_out_folder_is_left_as_it_is_with_the_folder_named(
        first_publish: Path, tmp_path: Path, how: str) -> None:
    if how == "read-only mount" and not _read_only_mounts_possible():
        pytest.skip("needs root and unshare for a private read-only bind mount")
    base = tmp_path / "copy"
    shutil.copytree(first_publish, base)
    warehouse, out = base / "w.duckdb", base / "site"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    prefix: list[str] = []
    if how == "mode a-w":
        out.chmod(0o555)
    else:
        prefix = _mount_read_only(out)
    try:
        done = publish_process(warehouse, out, *prefix)
        assert out.stat().st_mode & 0o777 == (0o555 if how == "mode a-w" else 0o755)
    finally:
        out.chmod(0o755)

    assert done.returncode == 1, done.stderr[-3000:]
    assert done.stderr.strip() == (f"error: the out folder {out} is read-only; polystat does "
                                   "not replace it: make it writable or publish into another "
                                   "folder")
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert leftovers(out) == []


# --------------------------------------------------------------------------- a whole run


def test_a_run_killed_in_the_swap_heals_with_its_s_numbers_and_history(
        api_url: str, tmp_path: Path) -> None:
    """End to end: `polystat run` SIGKILLed between the two renames of the swap."""
    sources = write_small_corpus(tmp_path / "src")
    warehouse, out = tmp_path / "w.duckdb", tmp_path / "site"
    first = polystat(run_args(sources, warehouse, out), api_url)
    assert first.returncode == 0, first.stderr[-3000:]
    first_run = snapshot_of(out)["run"]["run_id"]
    markers = shift_markers(out)
    write_small_corpus(sources, extra=True)

    killed = polystat(run_args(sources, warehouse, out), api_url,
                      **{FAULT_VARIABLE: "swap:site-moved-aside"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not out.exists()

    healed = polystat(run_args(sources, warehouse, out), api_url)

    assert healed.returncode == 0, healed.stderr[-3000:]
    assert f"restored {out}" in healed.stderr
    assert leftovers(out) == []
    changes = snapshot_of(out)["changes"]
    assert changes["previous_run"] == first_run
    assert [d["source_id"] for d in changes["new_documents"]] == ["hiring.txt"]
    assert layout_of(out)["markers"] == {**markers, "hiring.txt": max(markers.values()) + 1}


def test_every_promise_in_the_readme_names_tests_that_exist() -> None:
    """README "What polystat promises" claims only what tests check: each named test is real."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What polystat promises", 1)[1].split("\n## ", 1)[0]
    modules = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    named = set(re.findall(r"\btest_\w+", section)) - modules
    defined = set()
    for module in (ROOT / "tests").glob("test_*.py"):
        defined |= set(re.findall(r"^def (test_\w+)", module.read_text(encoding="utf-8"),
                                  re.MULTILINE))
    assert len(named) >= 8 and named <= defined, named - defined
