"""Proof that a refactoring changed no behaviour: run two code trees on the same corpora
and compare what they produce, byte for byte once run ids and times are masked.

    python bench/same_output.py --before /tmp/before --after . [--site] [--documents 200]
                                [--add 50]

Each tree runs `polystat run` (its own code: PYTHONPATH=tree, its own Prefect home, so
no task result cached by one tree is served to the other) on
  - the before tree's sources/ folder,
  - a synthetic corpus written once by the before tree's bench/corpus.py, and
  - with --add N, that corpus and then, on the same warehouse and site, the corpus grown
    by N documents (the second run relinks and publishes incrementally),
then `polystat export statistics`, `export conflicts` and `export rejects`. With
--site the published site is compared too: every file, the PDF as `pdftotext` text.

Masked, because they differ on every run whatever the code: flow run ids (UUIDs, or
local-<hash>) and timestamps (ISO or as the pages print them); JSON files of the site
are compared with their keys sorted (one dict is keyed and ordered by run id). Everything
else must be identical; the differences are listed (a unified diff of the first few
files) and the exit status is 1. A file with the same lines in another order is listed
but fails only with --strict-order: rows that tie in a query's ORDER BY come in any
order (`export conflicts` orders by metric label and year, and two metrics can share a
label). The work folder is kept with --keep, for a closer look.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

PYTHON = sys.executable
EXPORTS = ("statistics", "conflicts", "rejects")
# exit codes of `polystat run` that still leave a warehouse to compare (2: some rejected)
RUN_OK = (0, 2)
SHOWN_DIFFS = 5  # files whose diff is printed; the rest are only named
DIFF_LINES = 40

_RUN_IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # flow runs
                      r"|local-[0-9a-f]{12}")  # runs without Prefect
# ISO, or as the pages print it (Markdown escapes - and : as \- and \:)
_TIMES = re.compile(r"\d{4}\\?-\d\d\\?-\d\d[T ]\d\d\\?:\d\d(?:\\?:\d\d(?:\.\d+)?)?"
                    r"(?:[+-]\d\d:\d\d|Z)?")


@dataclass
class Outcome:
    """What one tree produced for one corpus: file name -> masked text (or raw bytes)."""

    exit_codes: list[int]  # of each `polystat run`, in order
    files: dict[str, str | bytes]
    seconds: float


def mask(text: str) -> str:
    """Replace run ids by numbered placeholders in order of first appearance, so two runs
    stay two runs (`<run-1>`, `<run-2>`), and every timestamp by `<time>` (two times
    within one minute on one side may fall in two minutes on the other)."""
    seen: dict[str, str] = {}
    text = _RUN_IDS.sub(lambda m: seen.setdefault(m.group(0), f"<run-{len(seen) + 1}>"), text)
    return _TIMES.sub("<time>", text)


def polystat_command(tree: Path) -> list[str]:
    """The tree's own `polystat` entry point ([project.scripts]), wherever it has moved."""
    scripts = tomllib.loads((tree / "pyproject.toml").read_text(encoding="utf-8"))
    target = scripts["project"]["scripts"]["polystat"]
    module, _, attribute = target.partition(":")
    return [PYTHON, "-c", f"import sys; from {module} import {attribute} as app; "
                          "sys.argv[0] = 'polystat'; app()"]


def run_tree(tree: Path, runs: list[Path], work: Path, site: bool) -> Outcome:
    """`polystat run` on each corpus in turn (one warehouse and site), then the exports,
    with the tree's code and a fresh Prefect home."""
    work.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(tree), "PREFECT_HOME": str(work / "prefect"),
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    polystat = polystat_command(tree)
    warehouse, out = work / "warehouse.duckdb", work / "site"
    started = time.perf_counter()
    exit_codes = []
    for number, corpus in enumerate(runs, 1):
        done = subprocess.run([*polystat, "run", "--sources", str(corpus), "--warehouse",
                               str(warehouse), "--out", str(out),
                               *([] if site else ["--no-publish"])],
                              cwd=tree, env=env, capture_output=True, text=True, check=False)
        log = work / f"run-{number}.log"
        log.write_text(done.stdout + done.stderr, encoding="utf-8")
        if done.returncode not in RUN_OK:
            raise SystemExit(f"{tree}: `polystat run` on {corpus} failed ({done.returncode}); "
                             f"see {log}")
        exit_codes.append(done.returncode)
    seconds = time.perf_counter() - started
    files: dict[str, str | bytes] = {}
    for export in EXPORTS:
        target = work / f"{export}.jsonl"
        subprocess.run([*polystat, "export", export, "--warehouse", str(warehouse),
                        "--output", str(target)], cwd=tree, env=env, check=True)
        files[f"export {export}"] = mask(target.read_text(encoding="utf-8"))
    if site:
        files.update(site_files(out))
    return Outcome(exit_codes, files, seconds)


def site_files(site: Path) -> dict[str, str | bytes]:
    """Every file of a published site: text masked, a PDF as its text, anything else raw."""
    found: dict[str, str | bytes] = {}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        name = "site/" + path.relative_to(site).as_posix()
        if path.suffix == ".pdf":  # one word a line: a run id's width may move line breaks
            found[name + " (pdftotext)"] = "\n".join(mask(pdf_text(path)).split())
            continue
        data = path.read_bytes()
        try:
            text = mask(data.decode("utf-8"))
        except UnicodeDecodeError:
            found[name] = data
            continue
        if path.suffix == ".json":  # keys by name: a dict ordered by (random) run id
            text = json.dumps(json.loads(text), ensure_ascii=False, indent=1, sort_keys=True)
        found[name] = text
    return found


def pdf_text(path: Path) -> str:
    if not shutil.which("pdftotext"):
        raise SystemExit("pdftotext is missing (Debian package poppler-utils); "
                         "install it or leave out --site")
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@dataclass
class Difference:
    file: str
    lines: list[str]  # a unified diff, or what differs
    order_only: bool = False  # the same lines in another order


def differences(before: Outcome, after: Outcome) -> list[Difference]:
    """Every file that differs or exists on one side only (and differing exit codes)."""
    found = []
    if before.exit_codes != after.exit_codes:
        found.append(Difference("exit codes",
                                [f"before {before.exit_codes}, after {after.exit_codes}"]))
    for name in sorted(before.files.keys() | after.files.keys()):
        old, new = before.files.get(name), after.files.get(name)
        if old == new:
            continue
        if old is None or new is None:
            found.append(Difference(name, ["only " + ("after" if old is None else "before")]))
        elif isinstance(old, str) and isinstance(new, str):
            old_lines, new_lines = old.splitlines(), new.splitlines()
            found.append(Difference(name, list(difflib.unified_diff(
                old_lines, new_lines, "before", "after", lineterm="", n=1)),
                order_only=sorted(old_lines) == sorted(new_lines)))
        else:
            found.append(Difference(name, ["binary files differ"]))
    return found


def corpora(before: Path, work: Path, documents: int, added: int, seed: int
            ) -> dict[str, list[Path]]:
    """What both trees run on, by scenario: the corpus of each run in turn (all written
    by `before`): sources/; a synthetic corpus; that corpus, then grown by `added`."""
    found = {"sources": [before / "sources"]}
    if documents:
        synthetic = work / f"corpus-{documents}"
        _synthetic(before, synthetic, documents, 0, seed)
        found[f"synthetic-{documents}"] = [synthetic]
        if added:
            grown = work / f"corpus-{documents}+{added}"
            shutil.copytree(synthetic, grown)
            _synthetic(before, grown, added, documents, seed)
            found[f"synthetic-{documents}+{added}"] = [synthetic, grown]
    return found


def _synthetic(tree: Path, target: Path, documents: int, start: int, seed: int) -> None:
    subprocess.run([PYTHON, str(tree / "bench" / "corpus.py"), str(documents), str(target),
                    "--start", str(start), "--seed", str(seed)], cwd=tree, check=True,
                   env={**os.environ, "PYTHONPATH": str(tree)}, capture_output=True)


def report(name: str, before: Outcome, after: Outcome, strict_order: bool) -> bool:
    """Print what differs; True when nothing does (lines in another order count only
    with strict_order: rows that tie in a query's ORDER BY come in any order)."""
    found = differences(before, after)
    failing = [d for d in found if strict_order or not d.order_only]
    reordered = len(found) - len(failing)
    print(f"{name}: {len(before.files)} files compared (before {before.seconds:.0f} s, "
          f"after {after.seconds:.0f} s): "
          + (f"{len(failing)} differ" if failing else "identical")
          + (f"; {reordered} with the same lines in another order" if reordered else ""),
          flush=True)
    for shown, difference in enumerate(found):
        print(f"  {difference.file}"
              + (" (the same lines in another order)" if difference.order_only else ""))
        if shown < SHOWN_DIFFS:
            print("\n".join("    " + line[:200] for line in difference.lines[:DIFF_LINES]))
    return not failing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the code tree before")
    parser.add_argument("--after", type=Path, required=True, help="the code tree after")
    parser.add_argument("--site", action="store_true",
                        help="publish too and compare every file of the site")
    parser.add_argument("--documents", type=int, default=200,
                        help="documents of the synthetic corpus (0: sources/ only)")
    parser.add_argument("--add", type=int, default=0,
                        help="also run the synthetic corpus, then again with this many more "
                             "documents (relinking, incremental publishing)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--strict-order", action="store_true",
                        help="fail on files with the same lines in another order too")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args(argv)
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    work = Path(args.work or tempfile.mkdtemp(prefix="polystat-same-output-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    same = True
    try:
        scenarios = corpora(trees["before"], work, args.documents, args.add, args.seed)
        for name, runs in scenarios.items():
            outcomes = {side: run_tree(tree, runs, work / name / side, args.site)
                        for side, tree in trees.items()}
            same &= report(name, outcomes["before"], outcomes["after"], args.strict_order)
    finally:
        if args.keep or args.work:
            print(f"work folder: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("same output" if same else "OUTPUT DIFFERS")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
