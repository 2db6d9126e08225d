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
from format_fixtures import render_html, render_pdf
from stage_runs import ingest_in_own_run

from flows.faults import FAULT_VARIABLE
from flows.ingest import (
    ExtractedText,
    RawDocument,
    Reject,
    SourceEntry,
    read,
    read_document,
    unchanged,
)

api_url = cli_process.api_url  # the shared fixture

TAG_VARIABLE = "POLYSTAT_TEST_PROCESS_TAG"
# ~45 KB of text in distinct paragraphs (a web page's reader drops repeated ones)
ARTICLE = "Kundenservice-Studie 2021\n" + "".join(
    f"In Region {n} erwarten {n % 90 + 5} Prozent der befragten Kunden eine Antwort am selben "
    "Tag.\n" for n in range(500))


@pytest.fixture()
def no_racy_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test a moment ago count as settled (see RACY_NS)."""
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


@pytest.fixture()
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Suffixes of the files handed to the PDF and HTML readers (the real readers run)."""
    suffixes: list[str] = []
    for suffix, reader in list(read._READERS.items()):
        def counting(data: bytes, language: str | None, reader=reader, suffix=suffix
                     ) -> ExtractedText:
            suffixes.append(suffix)
            return reader(data, language)

        monkeypatch.setitem(read._READERS, suffix, counting)
    return suffixes


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("suffix", [".html", ".pdf"])
def test_a_pdf_or_html_file_over_the_size_limit_is_refused_before_parsing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[str], suffix: str) -> None:
    render = render_html if suffix == ".html" else render_pdf
    path = render(ARTICLE, "de", "Kundenservice-Studie 2021", tmp_path / f"big{suffix}")
    size = path.stat().st_size
    entry = SourceEntry(source_id=path.name, path=path, in_manifest=False)
    monkeypatch.setenv("POLYSTAT_MAX_FILE_MB", str(size / 2 / 1e6))
    refused = read_document(entry)
    assert isinstance(refused, Reject), refused
    kind = "HTML" if suffix == ".html" else "PDF"
    assert refused.problem.startswith(f"{kind} file is {size / 1e6:.1f} MB, over the "), refused
    assert "(not parsed); raise it with POLYSTAT_MAX_FILE_MB" in refused.problem
    assert parsed == []
    monkeypatch.setenv("POLYSTAT_MAX_FILE_MB", str(size * 2 / 1e6))
    assert isinstance(read_document(entry), RawDocument)  # the same file, under the limit
    assert parsed == [suffix]


def test_a_refused_file_is_not_read_again_until_it_or_the_limits_change(
        sources_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        no_racy_window: None, opened: list[str]) -> None:
    """A reject costs its reading once: a run later refuses the same unchanged file unread,
    with the same reason; a new stat, or other size limits, read it again."""
    warehouse = tmp_path / "w.duckdb"
    binary = sources_copy / "scan.txt"
    binary.write_bytes(bytes(range(256)) * 64)  # not text in any encoding
    big = render_html(ARTICLE, "de", "Kundenservice-Studie 2021", sources_copy / "page.html")
    monkeypatch.setenv("POLYSTAT_MAX_DOCUMENT_MB", "0.03")  # the page's text is over it
    first = ingest_in_own_run(sources_copy, warehouse)
    refused = {reject.split(":")[0] for reject in first["rejects"]}
    assert refused == {"scan.txt", "page.html"}, first["rejects"]
    opened.clear()
    second = ingest_in_own_run(sources_copy, warehouse)
    assert second["rejects"] == first["rejects"] and second["files_read"] == 0, second
    assert not {"scan.txt", "page.html"} & set(opened), opened
    binary.write_bytes(bytes(range(256)) * 65)  # another size: read again
    third = ingest_in_own_run(sources_copy, warehouse)
    assert third["files_read"] == 1 and opened.count("scan.txt") == 1
    monkeypatch.setenv("POLYSTAT_MAX_DOCUMENT_MB", "10")  # other limits: every reject is read
    fourth = ingest_in_own_run(sources_copy, warehouse)
    assert fourth["files_read"] == 2 and fourth["new"] == [big.name], fourth
    assert [r.split(":")[0] for r in fourth["rejects"]] == ["scan.txt"]


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
