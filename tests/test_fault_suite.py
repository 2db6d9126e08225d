"""The fault-injection suite: the red-team cases of issue 19, run against every change.

What polystat promises (README, "What a run promises"): nothing stored is lost, a crash
heals on the next run, one bad file never blocks the others, and nothing a run starts
outlives it. Each case here is one way the world goes wrong:

- bad inputs: files over the size limit (refused before parsing, and not read again
  while unchanged), a symlink listed in the manifest, hostile text in titles;
- kill points: the main process killed with SIGKILL while Prefect's temporary server
  runs (the other stages' kill points are in tests/test_faults.py);
- a full disk: the warehouse's checkpoint fails with ENOSPC (a real small tmpfs where
  the test may mount one, else the fault hook of flows/faults.py), and the next run heals.

The read-only out folder is tested with the publish recovery (tests/test_publish_recovery.py).
Runs that need Prefect use the session's test server (tests/cli_process.py), except the
kill test, which must see the temporary server polystat starts itself.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import cli_process
import pytest
from conftest import ROOT, SOURCES

from flows.faults import FAULT_VARIABLE

api_url = cli_process.api_url  # the shared fixture

TAG_VARIABLE = "POLYSTAT_TEST_PROCESS_TAG"


# --------------------------------------------------------------------------- processes


def _tagged_processes(tag: str) -> list[int]:
    """Live processes (zombies are dead) whose environment carries `tag`: a process and
    everything it started, even after they were handed to init."""
    marker = f"{TAG_VARIABLE}={tag}".encode()
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as environ:
                if marker not in environ.read().split(b"\0"):
                    continue
            with open(f"/proc/{name}/stat", "rb") as stat:
                state = stat.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue  # gone, or not ours to read
        if state != b"Z":
            found.append(int(name))
    return found


def _gone_within(tag: str, seconds: float) -> list[int]:
    """The tagged processes still alive after `seconds` (killed then, so none lingers)."""
    deadline = time.monotonic() + seconds
    while (alive := _tagged_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in alive:
        os.kill(pid, signal.SIGKILL)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_killed_run_leaves_no_prefect_server_behind(tmp_path: Path) -> None:
    """kill -9 of `polystat run` (as the OOM killer does) while Prefect's temporary server
    serves it: the server must end within seconds, not live on with its memory and port."""
    tag = uuid.uuid4().hex
    env = {**os.environ, TAG_VARIABLE: tag, FAULT_VARIABLE: "ingest"}
    env.pop("PREFECT_API_URL", None)  # as a fresh shell: the run starts its own server
    # Output to files: an orphan holding the pipes of `capture_output` would hang the test.
    with open(tmp_path / "stderr", "w+") as stderr:
        done = subprocess.run(
            [sys.executable, "-m", "flows.cli_main", "run", "--sources", str(SOURCES),
             "--warehouse", str(tmp_path / "w.duckdb"), "--no-publish"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr, timeout=400,
            check=False)
        stderr.seek(0)
        output = stderr.read()
    lingering = _gone_within(tag, 10)
    assert done.returncode == -signal.SIGKILL, output[-3000:]
    assert "starting Prefect's temporary local server" in output
    assert lingering == [], f"processes of the killed run still alive 10 s later: {lingering}"
