"""The shape of reports/ (issue 15): it reads the warehouse only through the functions of
warehouse/report_reads.py (it runs no SQL of its own and never writes), and no module
grows past what a reader can hold: one module per page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPORTS = Path(__file__).resolve().parent.parent / "reports"
MODULES = sorted(REPORTS.rglob("*.py"))
MAX_LINES = 500
# DuckDB connection methods that run SQL or fetch its rows
SQL_CALLS = {"execute", "executemany", "sql", "query", "fetchall", "fetchone", "fetchdf",
             "fetchmany", "table", "view", "read_csv", "read_json", "read_parquet"}
SQL_TEXT = re.compile(r"\bSELECT\b|\bWHERE\b|\bJOIN\b|\bunnest\(")  # SQL handed to a read


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.relative_to(REPORTS).as_posix())
def test_reports_runs_no_sql(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"), str(module))
    calls = [f"line {node.lineno}: .{node.func.attr}()" for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr in SQL_CALLS]
    calls += [f"line {node.lineno}: {node.value[:40]!r}" for node in ast.walk(tree)
              if isinstance(node, ast.Constant) and isinstance(node.value, str)
              and SQL_TEXT.search(node.value)]
    assert not calls, (f"{module}: reads belong in warehouse/report_reads.py, not here: "
                       + ", ".join(calls))


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.relative_to(REPORTS).as_posix())
def test_reports_modules_stay_small(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, (f"{module}: {lines} lines; split it (one module per page, "
                                "shared pieces in reports/pages/common.py)")
