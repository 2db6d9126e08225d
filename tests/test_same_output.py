"""bench/same_output.py, the proof that a refactoring changed no output: what it masks
(run ids, times) and what it must still report as a difference."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _load_script() -> Any:
    """bench/ holds scripts, not a package; and putting bench/ on sys.path would shadow
    the extract package with bench/extract.py in every process started later."""
    spec = importlib.util.spec_from_file_location("bench_same_output",
                                                  ROOT / "bench" / "same_output.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


same_output: Any = _load_script()

RUN_A = "21e56c80-9fc5-4ce9-ab61-4575a8e332ed"
RUN_B = "93b85fe2-b2cc-423c-bb93-0eb0038948b5"


def test_run_ids_and_times_are_masked_in_every_printed_form() -> None:
    before = same_output.mask(f"run {RUN_A} then {RUN_B}, again {RUN_A}; local-0123456789ab;"
                              r" 2026-11-30T13:01:48.401 | 2026\-11\-30 13\:01 UTC")
    after = same_output.mask(f"run {RUN_B} then {RUN_A}, again {RUN_B}; local-ba9876543210;"
                             r" 2026-12-01T09:00:00.5 | 2026\-12\-01 09\:00 UTC")
    assert before == after
    assert before.startswith("run <run-1> then <run-2>, again <run-1>; <run-3>; <time> | <time>")


def test_a_run_mapped_to_another_run_is_a_difference() -> None:
    """Numbered placeholders keep which row came from which run."""
    assert same_output.mask(f"{RUN_A} {RUN_A}") != same_output.mask(f"{RUN_A} {RUN_B}")


def test_differences_name_changed_missing_and_binary_files() -> None:
    before = same_output.Outcome([0], {"a.md": "one\ntwo\n", "b.md": "same", "c.png": b"\x89x",
                                     "gone.md": "x"}, 1.0)
    after = same_output.Outcome([2], {"a.md": "one\n2\n", "b.md": "same", "c.png": b"\x89y",
                                    "new.md": "y"}, 1.0)
    found = {d.file: d.lines for d in same_output.differences(before, after)}
    assert sorted(found) == ["a.md", "c.png", "exit codes", "gone.md", "new.md"]
    assert "-two" in found["a.md"] and "+2" in found["a.md"]
    assert found["gone.md"] == ["only before"] and found["new.md"] == ["only after"]
    assert same_output.differences(before, before) == []


def test_the_same_lines_in_another_order_fail_only_when_order_is_strict() -> None:
    """Rows that tie in an ORDER BY come in any order; other changes always fail."""
    before = same_output.Outcome([0], {"export": '{"a": 1}\n{"b": 2}\n'}, 1.0)
    reordered = same_output.Outcome([0], {"export": '{"b": 2}\n{"a": 1}\n'}, 1.0)
    changed = same_output.Outcome([0], {"export": '{"b": 2}\n{"a": 3}\n'}, 1.0)
    [difference] = same_output.differences(before, reordered)
    assert difference.order_only
    assert same_output.report("s", before, reordered, strict_order=False)
    assert not same_output.report("s", before, reordered, strict_order=True)
    assert not same_output.report("s", before, changed, strict_order=False)


def test_site_json_is_compared_with_sorted_keys(tmp_path: Path) -> None:
    for side, by_run in (("before", f'{{"{RUN_B}": 2, "{RUN_A}": 1}}'),
                         ("after", f'{{"{RUN_A}": 1, "{RUN_B}": 2}}')):
        (tmp_path / side).mkdir()
        (tmp_path / side / "snapshot.json").write_text(
            f'{{"runs": ["{RUN_A}", "{RUN_B}"], "by_run": {by_run}}}', encoding="utf-8")
    assert (same_output.site_files(tmp_path / "before")
            == same_output.site_files(tmp_path / "after"))


def test_each_tree_runs_its_own_polystat_entry_point(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[project.scripts]\npolystat = "somewhere.cli:main"\n',
        encoding="utf-8")
    command = same_output.polystat_command(tmp_path)
    assert "from somewhere.cli import main as app" in command[-1]
