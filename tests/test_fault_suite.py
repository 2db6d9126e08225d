"""The fault-injection suite: the red-team cases of issue 19, run against every change.

What polystat promises (README, "What polystat promises"): nothing stored is lost, a crash
heals on the next run, one bad file never blocks the others, and nothing a run starts
outlives it. Each case here is one way the world goes wrong:

- bad inputs: files over the size limit (refused before parsing, and not read again
  while unchanged), a symlink out of the folder listed in the manifest (one reject),
  bidi overrides in titles and sentences (isolated in HTML and PDF), a warehouse folder
  that cannot be made; and no path of this machine in the published snapshot;
- kill points: the main process killed with SIGKILL while Prefect's temporary server
  runs (the other stages' kill points are in tests/test_faults.py);
- a full disk: the warehouse's checkpoint fails with ENOSPC (a real small tmpfs where
  the test may mount one, else the fault hook of flows/faults.py), and the next run heals.

The read-only out folder is tested with the publish recovery (tests/test_publish_recovery.py).
Runs that need Prefect use the session's test server (tests/cli_process.py), except the
kill test, which must see the temporary server polystat starts itself.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import cli_process
import pytest
from cli_process import polystat
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
from reports.markup import isolate_bidi
from warehouse import db, reads

api_url = cli_process.api_url  # the shared fixture

TAG_VARIABLE = "POLYSTAT_TEST_PROCESS_TAG"
# ~45 KB of text in distinct paragraphs (a web page's reader drops repeated ones)
ARTICLE = "Kundenservice-Studie 2021\n" + "".join(
    f"In Region {n} erwarten {n % 90 + 5} Prozent der befragten Kunden eine Antwort am selben "
    "Tag.\n" for n in range(500))


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


@pytest.mark.slow
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


# One sentence, two values, one study: a conflict, so the PDF quotes both sentences and
# cites both titles. U+202E (RIGHT-TO-LEFT OVERRIDE) would reverse what follows it.
RLO = "\u202e"
BIDI_TWIN = "In 2023, {share}% of customers {rlo}prefer the phone for urgent issues, says a study."
BIDI_TITLES = {"twin_a.txt": f"Bidi {RLO}Marker Survey", "twin_b.txt": f"Twin {RLO}Other Survey"}
_OPENERS, _CLOSER = "\u2066\u2067\u2068", "\u2069"
_OVERRIDES = "\u202a\u202b\u202d\u202e"


def _unisolated_overrides(text: str) -> int:
    """How many embeddings and overrides in `text` stand outside any bidi isolate."""
    depth, loose = 0, 0
    for ch in text:
        if ch in _OPENERS:
            depth += 1
        elif ch == _CLOSER:
            depth = max(0, depth - 1)
        elif ch in _OVERRIDES and depth == 0:
            loose += 1
    return loose


def test_isolating_bidi_text_balances_its_own_isolates() -> None:
    assert isolate_bidi("plain text") == "plain text"
    assert _unisolated_overrides(isolate_bidi(f"a{RLO}b")) == 0
    # a stray closer in the text cannot end the isolate early; an opener is closed
    for hostile in (f"\u2069{RLO}x", f"\u2067{RLO}x", f"x\u2069\u2069{RLO}"):
        wrapped = isolate_bidi(hostile)
        assert _unisolated_overrides(wrapped + RLO) == 1  # only the one added outside
        assert wrapped.count("\u2069") == sum(wrapped.count(o) for o in _OPENERS)


@pytest.fixture(scope="module")
def bad_inputs_run(api_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sample corpus plus bad inputs, run and published twice through the CLI: a
    symlink out of the folder listed in the manifest, a web page over the size limit, and
    titles and sentences with bidi overrides."""
    base = tmp_path_factory.mktemp("bad-inputs")
    sources = base / "sources"
    shutil.copytree(SOURCES, sources)
    (base / "outside.txt").write_text("A file outside the sources folder.\n", encoding="utf-8")
    (sources / "link.txt").symlink_to(base / "outside.txt")
    page = render_html(ARTICLE, "de", "Kundenservice-Studie 2021", sources / "page.html")
    entries = ['\n[[source]]\nfile = "link.txt"\ntitle = "Link"\n']
    for (name, title), share in zip(BIDI_TITLES.items(), (62, 48), strict=True):
        (sources / name).write_text(f"{title} 2023\n\n{BIDI_TWIN.format(share=share, rlo=RLO)}\n",
                                    encoding="utf-8")
        entries.append(f'\n[[source]]\nfile = "{name}"\ntitle = "{title}"\nlanguage = "en"\n'
                       'survey_year = 2023\nedition = "bidi-survey-2023"\n')
    with open(sources / "manifest.toml", "a", encoding="utf-8") as manifest:
        manifest.write("".join(entries))
    time.sleep(unchanged.RACY_NS / 1e9 + 0.2)  # let the second run trust the files' stat
    args = ["run", "--sources", str(sources), "--warehouse", str(base / "w.duckdb"),
            "--out", str(base / "site")]
    limit = {"POLYSTAT_MAX_FILE_MB": str(page.stat().st_size / 2 / 1e6)}
    first = polystat(args, api_url, **limit)
    second = polystat(args, api_url, **limit)
    return {"base": base, "site": base / "site", "first": first, "second": second}


def test_bad_inputs_are_refused_once_each_and_the_rest_goes_in(
        bad_inputs_run: dict[str, Any]) -> None:
    first = bad_inputs_run["first"]
    output = first.stderr
    assert first.returncode == 2, output[-3000:]
    assert "Traceback" not in output
    rejected = [line for line in output.splitlines() if line.startswith("rejected:")]
    assert [line.split()[1] for line in rejected] == ["link.txt:", "page.html:"], rejected
    assert "resolves outside the sources folder" in rejected[0]
    assert "HTML file is " in rejected[1] and "(not parsed)" in rejected[1]
    assert "this run: 7 documents seen, 7 mined" in output


def test_the_next_run_repeats_the_rejects_without_reading_or_starting_prefect(
        bad_inputs_run: dict[str, Any]) -> None:
    first, second = bad_inputs_run["first"], bad_inputs_run["second"]
    assert second.returncode == 2, second.stderr[-3000:]
    assert "nothing new since run" in second.stderr
    assert "starting Prefect" not in second.stderr
    rejected = [line for line in second.stderr.splitlines() if line.startswith("rejected:")]
    assert rejected == [line for line in first.stderr.splitlines()
                        if line.startswith("rejected:")]


def test_a_warehouse_folder_that_cannot_be_made_is_one_line_before_the_run(
        api_url: str, tmp_path: Path) -> None:
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder\n", encoding="utf-8")
    done = polystat(["run", "--sources", str(SOURCES), "--warehouse",
                     str(in_the_way / "w.duckdb"), "--no-publish"], api_url)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stderr.splitlines()[-1] == (
        f"error: {in_the_way}/w.duckdb: cannot create its folder {in_the_way} (File exists: "
        f"{in_the_way}); pass --warehouse with a file in a folder you may write")


def test_the_published_snapshot_holds_no_path_of_this_machine(
        bad_inputs_run: dict[str, Any]) -> None:
    text = (bad_inputs_run["site"] / "_data" / "snapshot.json").read_text(encoding="utf-8")
    assert str(bad_inputs_run["base"]) not in text
    assert str(bad_inputs_run["base"].resolve()) not in text
    documents = json.loads(text)["documents"]
    assert len(documents) == 7
    assert all(d["path"] == d["source_id"] for d in documents)


def test_bidi_overrides_in_user_text_stay_isolated_in_every_html_page(
        bad_inputs_run: dict[str, Any]) -> None:
    pages = {p.name: p.read_text(encoding="utf-8") for p in bad_inputs_run["site"].glob("*.html")}
    assert RLO in pages["sources.html"] and RLO in pages["provenance.html"]
    for name, page in pages.items():
        assert _unisolated_overrides(page) == 0, name


def test_bidi_overrides_in_user_text_stay_isolated_in_the_pdf(
        bad_inputs_run: dict[str, Any]) -> None:
    """In the PDF an override left open reverses the rest of its paragraph: the words after
    a title (its language, "characters ...") would come out backwards."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(bad_inputs_run["site"] / "polystat-report.pdf")
    text = "".join(page.get_textpage().get_text_range() for page in pdf)
    assert "yevruS rekraM" in text  # the title reached the PDF, and its override acts ...
    for backwards in ("hsilgnE", "sretcarahc"):
        assert backwards not in text  # ... on the title alone


# --------------------------------------------------------------------------- a full disk


@contextmanager
def _small_disk(mount_point: Path, size: str) -> Iterator[bool]:
    """A tmpfs of `size` at `mount_point` while the block runs; False where this process may
    not mount one (not root, no CAP_SYS_ADMIN): the test then uses the fault hook."""
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(mount_point)], capture_output=True, check=False
                             ).returncode == 0 if shutil.which("mount") else False
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _figures(warehouse: Path) -> list[tuple[Any, ...]]:
    con = db.connect(warehouse, read_only=True)
    try:
        return sorted(tuple(r[k] for k in ("doc", "start", "end", "value", "unit", "year"))
                      for r in reads.statistics(con))
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("disk", ["tmpfs", "fault hook"])
def test_a_full_disk_is_reported_and_the_next_run_heals(
        api_url: str, tmp_path: Path, corpus_run: dict[str, Any], disk: str) -> None:
    """The run's data is committed to DuckDB's write-ahead log, but the file cannot take
    it (DuckDB's own write fails: on a real full tmpfs, or past the file-size limit the
    fault hook sets). That used to exit 0 and leave the log behind on every later run."""
    with _small_disk(tmp_path / "disk", "1500k") as mounted:
        if disk == "tmpfs" and not mounted:
            pytest.skip("cannot mount a tmpfs here (needs root); the fault hook case runs")
        folder = tmp_path / "disk" if disk == "tmpfs" else tmp_path
        warehouse = folder / "w.duckdb"
        args = ["run", "--sources", str(SOURCES), "--warehouse", str(warehouse), "--no-publish"]
        fault = {} if disk == "tmpfs" else {FAULT_VARIABLE: "checkpoint"}
        full = polystat(args, api_url, **fault)
        errors = [line for line in full.stderr.splitlines() if line.startswith("error:")]
        assert full.returncode == 1, full.stderr[-3000:]
        assert "Traceback" not in full.stderr and len(errors) == 1, full.stderr[-3000:]
        assert errors[0].startswith(f"error: {warehouse}: the committed changes could not be "
                                    "written into the warehouse file (")
        assert "nothing is lost: they are kept in w.duckdb.wal" in errors[0]
        assert ("No space left on device" if disk == "tmpfs" else "File too large") in errors[0]
        assert db.wal_path(warehouse).exists()
        if disk == "tmpfs":
            still_full = polystat(args, api_url)
            assert still_full.returncode == 1 and "No space left on device" in still_full.stderr
            assert "   ingest " not in still_full.stderr  # refused before the run started
            subprocess.run(["mount", "-o", "remount,size=64m", str(folder)], check=True)
        healed = polystat(args, api_url)
        assert healed.returncode == 0, healed.stderr[-3000:]
        assert not db.wal_path(warehouse).exists()
        assert _figures(warehouse) == _figures(corpus_run["warehouse"])
