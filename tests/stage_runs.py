"""A stage run without Prefect, for tests of one stage's effect on a warehouse."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flows import stages
from warehouse import db, store


def ingest_in_own_run(sources: Path, warehouse: Path) -> dict[str, Any]:
    """Ingest a folder in a finished run of its own (the stage's body, no Prefect)."""
    con = db.connect(warehouse)
    try:
        run_id = f"test-{uuid.uuid4().hex[:12]}"
        store.start_run(con, run_id, "test", None, "test", {})
        store.include_run_in_views(con, run_id)
        with stages.using_warehouse(con):
            result: dict[str, Any] = stages.ingest.fn(str(sources), run_id)
        store.finish_run(con, run_id, "completed", {})
        return result
    finally:
        con.close()
