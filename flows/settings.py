"""The one settings table: every setting has a default, a help text, and an
environment variable that overrides it. `polystat settings` shows them all."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str

    def value(self) -> str:
        return os.environ.get(self.env, self.default)


SETTINGS: tuple[Setting, ...] = (
    Setting("warehouse", "POLYSTAT_WAREHOUSE", str(PROJECT_ROOT / ".polystat" / "warehouse.duckdb"),
            "DuckDB file that holds every run, document, figure and metric."),
    Setting("sources", "POLYSTAT_SOURCES", str(PROJECT_ROOT / "sources"),
            "Folder of documents plus manifest.toml to process."),
    Setting("out", "POLYSTAT_OUT", str(PROJECT_ROOT / "reports" / "_site"),
            "Folder the HTML pages and the PDF report are written to."),
    Setting("languages", "POLYSTAT_LANGUAGES", "de,tr,zh,en",
            "Languages the detector may choose from (comma separated)."),
    Setting("models_dir", "POLYSTAT_MODELS_DIR", "",
            "argostranslate package folder; empty means argostranslate's own default."),
    Setting("max_document_mb", "POLYSTAT_MAX_DOCUMENT_MB", "10",
            "Largest document a run accepts, in MB of text (mining takes ~5 s per MB); "
            "bigger files are rejected with their size."),
    Setting("db_memory", "POLYSTAT_DB_MEMORY", "1GB",
            "Most memory DuckDB may use for the warehouse (larger joins spill to disk); "
            "a size such as 1GB or 512MB."),
    Setting("lock_wait", "POLYSTAT_LOCK_WAIT", "30",
            "Seconds a run waits for another process to release the warehouse."),
    Setting("relink", "POLYSTAT_RELINK", "auto",
            "How reconcile treats new figures: auto links them into the existing metrics "
            "(a rebuild when figures were removed or the linker changed); full rebuilds "
            "every metric on every run."),
    Setting("verify", "POLYSTAT_VERIFY", "stat",
            "How ingest finds changed sources: stat skips files whose size, mtime, ctime and "
            "inode are those of the last run (and reuses the parsed manifest); hash reads and "
            "hashes every file and parses the manifest."),
    Setting("timezone", "POLYSTAT_TIMEZONE", "UTC",
            "Timezone of the monthly schedule (06:00 on the 1st)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    return _BY_NAME[name].value()


def languages() -> tuple[str, ...]:
    return tuple(code.strip() for code in get("languages").split(",") if code.strip())
