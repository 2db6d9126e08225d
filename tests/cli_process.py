"""`polystat` as a real subprocess, the way a user or the monthly schedule runs it.

Subprocesses use the session's Prefect test server (its PREFECT_API_URL)
instead of each starting a temporary server: ~6 s per run instead of ~18 s.
Test modules import the `api_url` fixture from here.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from flows.faults import FAULT_VARIABLE


@pytest.fixture(scope="module")
def api_url(prefect_harness) -> str:
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise RuntimeError("the Prefect test harness did not publish its API URL")
    return str(url)


def polystat(args: list[str], api_url: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m flows.cli_main ARGS` in a fresh process; `env` adds environment variables."""
    full_env = {**os.environ, "PREFECT_API_URL": api_url, "COLUMNS": "200"}
    full_env.pop(FAULT_VARIABLE, None)
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "flows.cli_main", *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=300, check=False)


def on_warehouse(args: list[str], warehouse: object, **env: str
                 ) -> subprocess.CompletedProcess[str]:
    """`polystat ARGS --warehouse W` as a process, for the commands that never start
    Prefect (metrics, explain, export)."""
    return polystat([*args, "--warehouse", str(warehouse)], api_url="", **env)
