"""Shared test set-up: Prefect in a temporary home, one test server per session."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

# Prefect reads its settings at import: isolate it before anything imports it.
_PREFECT_HOME = tempfile.mkdtemp(prefix="polystat-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.pop("PREFECT_API_URL", None)  # never a developer's own server: a test one of ours
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# argostranslate creates folders under the home directory at import: keep it in a temp dir.
for _var, _sub in (("POLYSTAT_MODELS_DIR", "models"), ("ARGOS_PACKAGES_DIR", "models"),
                   ("XDG_DATA_HOME", "xdg-data"), ("XDG_CONFIG_HOME", "xdg-config"),
                   ("XDG_CACHE_HOME", "xdg-cache")):
    os.environ[_var] = os.path.join(_PREFECT_HOME, _sub)

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"
# Our own gold for the embedded corpus and for the second development set; no test reads ../shared.
GOLD = ROOT / "tests" / "gold"
GOLD2 = ROOT / "tests" / "gold2"


@pytest.fixture(scope="session")
def prefect_harness():
    """One Prefect test server for the whole session (starting one costs ~15 s), its
    database in the temporary PREFECT_HOME. It is the server `polystat run` starts
    (flows/prefect_server.py), not Prefect's test harness: that one outlives a pytest
    killed with SIGKILL (a timeout, the OOM killer), this one ends with it."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from flows import prefect_server

    with prefect_server.api(), temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@pytest.fixture()
def sources_copy(tmp_path: Path) -> Path:
    """A private copy of the embedded corpus that a test may change."""
    target = tmp_path / "sources"
    shutil.copytree(SOURCES, target)
    return target


@pytest.fixture(scope="session")
def corpus_run(prefect_harness, tmp_path_factory):
    """The embedded corpus processed once into a warehouse (no rendering); shared read-only."""
    from flows.pipeline import pipeline

    base = tmp_path_factory.mktemp("corpus-run")
    warehouse = base / "w.duckdb"
    summary = pipeline(str(SOURCES), str(warehouse), str(base / "site"), publish=False)
    return {"warehouse": warehouse, "summary": summary, "base": base}


# Ingest's file reads, shared by the incremental-ingest and fault-suite tests.
@pytest.fixture()
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test a moment ago count as settled (see RACY_NS)."""
    from flows.ingest import unchanged

    monkeypatch.setattr(unchanged, "RACY_NS", 0)


@pytest.fixture()
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the files ingest opens (every source is read through Path.read_bytes)."""
    names: list[str] = []
    real = Path.read_bytes

    def counting(path: Path) -> bytes:
        names.append(path.name)
        return real(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    return names
