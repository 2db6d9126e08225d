"""The shape of warehouse/ (issue 15): the linker is pure (its modules import no DuckDB,
directly or through another warehouse module; warehouse/reconcile.py and relink.py load
and store around it), and no module grows past what a reader can hold."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WAREHOUSE = Path(__file__).resolve().parent.parent / "warehouse"
PURE_LINKER = ("link_claims", "link_growing", "link_rules", "link_samples", "link_waves",
               "link_forecasts", "linking", "labels", "link_curation")
MAX_LINES = 500


def impure_imports(source: str, pure: tuple[str, ...] = PURE_LINKER) -> list[str]:
    """Imports of `source` that bring a database in: duckdb itself, or a warehouse module
    outside the pure linker (they hold the SQL)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "warehouse":
                names = [f"warehouse.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            top, _, rest = name.partition(".")
            if top == "duckdb" or (top == "warehouse" and rest.split(".")[0] not in pure):
                found.append(f"line {node.lineno}: {name}")
    return found


@pytest.mark.parametrize("name", PURE_LINKER)
def test_linker_imports_no_database(name: str) -> None:
    module = WAREHOUSE / f"{name}.py"
    found = impure_imports(module.read_text(encoding="utf-8"))
    assert not found, (f"{module}: the linker works on plain records; load and store in "
                       f"warehouse/reconcile.py or relink.py instead of importing {found}")


@pytest.mark.parametrize("source", [
    "import duckdb", "import duckdb as db", "from duckdb import DuckDBPyConnection",
    "def f():\n    import duckdb.typing", "from warehouse import store",
    "from warehouse.reconcile import load_nodes", "import warehouse.db"])
def test_the_check_sees_a_database_import(source: str) -> None:
    assert impure_imports(source)


def test_the_check_lets_the_linker_import_itself() -> None:
    assert not impure_imports("from warehouse.link_claims import Node\n"
                              "from warehouse import linking\nfrom extract import claims")


@pytest.mark.parametrize("module", sorted(WAREHOUSE.glob("*.py")), ids=lambda p: p.name)
def test_warehouse_modules_stay_small(module: Path) -> None:
    lines = len(module.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module}: {lines} lines; split it (one concern per module)"
