"""Benchmark the whole pipeline: wall time and peak memory per scenario.

Starts one Prefect server (the production set-up of the monthly run), then runs
every scenario as its own process and samples the memory of that process and
its children (process-pool or Dask workers) every 0.1 s:

  floor         an empty flow in a fresh process: Prefect's own cost, the goal's baseline
  seeds cold    `polystat run` on sources/ into a new warehouse (with publishing)
  seeds warm    the same run again: nothing changed (`polystat run` answers before Prefect)
  seeds warm --force  the same with --force: the flow runs and every stage skips
  plain         the same work through `pipeline.fn` (no Prefect at all: each stage's
                `.fn`, batches in turn); the difference to the Prefect run is Prefect's
                overhead
  N cold        N synthetic documents (bench/corpus.py), with publishing (--no-publish: without)
  N warm        the same run again: nothing changed (and N warm --force, as for the seeds)
  +K            K more documents added to the N-document warehouse, published like N cold:
                what a run that adds K documents costs (the goal: linear in K)

    .venv/bin/python bench/pipeline.py [--sizes 1000 10000] [--add 100 1000]
        [--no-seeds] [--no-publish] [--task-runner threads]
        [--large-task-runner processes] [--timeout 1800] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.corpus import write_corpus  # noqa: E402
from flows.ingest import RACY_NS  # noqa: E402
from flows.prefect_server import terminate_when_parent_dies  # noqa: E402

PYTHON = sys.executable
FLOOR = ("from prefect import flow\n"
         "@flow(name='empty')\n"
         "def empty() -> None:\n    pass\n"
         "empty()\n")
PLAIN = ("import sys\nfrom flows.pipeline import pipeline\n"
         "pipeline.fn(sys.argv[1], sys.argv[2], sys.argv[3], publish=sys.argv[4] == '1')\n")


def start_server(home: Path, port: int) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """`prefect server start` (it serves in its own process), ended by the kernel when this
    script dies, even by kill -9 or the OOM killer, so no server outlives a benchmark."""
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    server = subprocess.Popen([str(Path(PYTHON).parent / "prefect"), "server", "start",
                               "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              preexec_fn=terminate_when_parent_dies)
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return server, {**env, "PREFECT_API_URL": url}
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("the Prefect server did not become healthy within 120 s")


def measure(command: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Wall time and peak memory (PSS of the process + children, sampled every 0.1 s) of
    one command, and what the peak was made of (the process itself and each child)."""
    start = time.perf_counter()
    process = psutil.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    peak, parts = 0, [0]
    while process.poll() is None:
        if time.perf_counter() - start > timeout:
            process.kill()
            process.wait()
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            return {"wall_s": None, "peak_mb": round(peak / 2**20), "timeout": timeout,
                    "progress": stderr}
        sizes = _tree_pss(process)
        if sum(sizes) > peak:
            peak, parts = sum(sizes), sizes
        time.sleep(0.1)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode not in (0, 2):
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{stderr[-3000:]}")
    return {"wall_s": round(wall, 2), "peak_mb": round(peak / 2**20),
            "peak_parts_mb": [round(size / 2**20) for size in parts], "progress": stderr}


def _tree_pss(process: psutil.Process) -> list[int]:
    """Proportional memory (PSS) of the process, then of each child (largest first).

    PSS, not RSS: a child forked to start pandoc or typst shares the parent's pages until
    it execs, and RSS would count those pages twice (a sample taken then showed a 1 GB
    "child" next to the 1 GB parent)."""
    def pss(proc: psutil.Process) -> int:
        try:
            return int(proc.memory_full_info().pss)
        except (psutil.AccessDenied, AttributeError):
            return int(proc.memory_info().rss)

    try:
        children = sorted((pss(child) for child in process.children(recursive=True)),
                          reverse=True)
        return [pss(process), *children]
    except psutil.Error:
        return [0]


def stage_seconds(warehouse: Path, started: float) -> dict[str, Any]:
    """Seconds per stage of the newest run, from its summary in the warehouse, and how
    reconcile went (extended or rebuilt); {} when no run started after `started` (a run
    with nothing new records none)."""
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return {}
    try:
        row = con.execute("SELECT summary FROM runs WHERE started_at >= make_timestamp(?::BIGINT)"
                          " ORDER BY started_at DESC LIMIT 1", [int(started * 1e6)]).fetchone()
    finally:
        con.close()
    if not row or not row[0]:
        return {}
    summary = json.loads(row[0])
    return {**summary.get("stage_seconds", {}),
            **({"reconciled": summary["reconciled"]} if summary.get("reconciled") else {})}


def polystat_run(sources: Path, warehouse: Path, out: Path, publish: bool,
                 task_runner: str, force: bool = False) -> list[str]:
    return [PYTHON, "-m", "flows.cli_main", "run", "--sources", str(sources), "--warehouse",
            str(warehouse), "--out", str(out), "--task-runner", task_runner,
            *([] if publish else ["--no-publish"]), *(["--force"] if force else [])]


def plain_run(sources: Path, warehouse: Path, out: Path, publish: bool) -> list[str]:
    return [PYTHON, "-c", PLAIN, str(sources), str(warehouse), str(out), "1" if publish else "0"]


def scenarios(args: argparse.Namespace, work: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []

    def record(name: str, command: list[str], documents: int = 0) -> dict[str, Any]:
        started = time.time()
        row = {"scenario": name, "documents": documents,
               **measure(command, env, args.timeout)}
        if "--warehouse" in command or command[1] == "-c" and len(command) > 4:
            row["stages"] = stage_seconds(Path(command[command.index("--warehouse") + 1]
                                               if "--warehouse" in command else command[4]),
                                          started)
        stages = " ".join(f"{k} {v:.1f}" if isinstance(v, float) else f"{k}: {v}"
                          for k, v in row.get("stages", {}).items())
        parts = "+".join(str(mb) for mb in row.get("peak_parts_mb", []) if mb >= 5)
        print(f"{name:<34} {row['wall_s']!s:>8} s  {row['peak_mb']:>6} MB ({parts})  {stages}",
              flush=True)
        results.append(row)
        return row

    seeds = ROOT / "sources"
    if not args.no_seeds:
        _seed_scenarios(record, args, work, seeds)
    for size in args.sizes:
        _large_scenarios(record, args, work, size)
    return results


Record = Callable[..., dict[str, Any]]


def _seed_scenarios(record: Record, args: argparse.Namespace, work: Path, seeds: Path) -> None:
    record("floor: empty flow", [PYTHON, "-c", FLOOR])
    record("floor: empty flow (again)", [PYTHON, "-c", FLOOR])
    record("seeds cold (publish)", polystat_run(seeds, work / "s.duckdb", work / "s-site", True,
                                                args.task_runner), 5)
    record("seeds warm (publish)", polystat_run(seeds, work / "s.duckdb", work / "s-site", True,
                                                args.task_runner), 5)
    record("seeds warm (publish, again)", polystat_run(seeds, work / "s.duckdb", work / "s-site",
                                                       True, args.task_runner), 5)
    record("seeds warm --force (publish)", polystat_run(
        seeds, work / "s.duckdb", work / "s-site", True, args.task_runner, force=True), 5)
    record("seeds cold, no Prefect (publish)",
           plain_run(seeds, work / "p.duckdb", work / "p-site", True), 5)


def _large_scenarios(record: Record, args: argparse.Namespace, work: Path, size: int) -> None:
    corpus = work / f"corpus-{size}"
    write_corpus(size, corpus)
    time.sleep(RACY_NS / 1e9)  # files younger than this are read again by the warm run
    warehouse, site = work / f"w-{size}.duckdb", work / f"site-{size}"
    publish = not args.no_publish
    record(f"{size} cold", polystat_run(corpus, warehouse, site, publish,
                                        args.large_task_runner), size)
    record(f"{size} warm", polystat_run(corpus, warehouse, site, publish,
                                        args.large_task_runner), size)
    record(f"{size} warm --force", polystat_run(corpus, warehouse, site, publish,
                                                args.large_task_runner, force=True), size)
    if size <= args.plain_up_to:
        record(f"{size} cold, no Prefect",
               plain_run(corpus, work / f"plain-{size}.duckdb", work / "site", False), size)
    added = size
    for extra in args.add:
        write_corpus(extra, corpus, start=added)
        added += extra
        record(f"{size} + {extra} new", polystat_run(corpus, warehouse, site, publish,
                                                     args.large_task_runner), extra)
    shutil.rmtree(corpus)
    shutil.rmtree(site, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--add", type=int, nargs="*", default=[100, 1000],
                        help="documents added to each size's warehouse, one run each")
    parser.add_argument("--no-seeds", action="store_true", help="skip the seed scenarios")
    parser.add_argument("--no-publish", action="store_true",
                        help="do not publish the synthetic corpora")
    parser.add_argument("--plain-up-to", type=int, default=1000,
                        help="largest size also run without Prefect")
    parser.add_argument("--task-runner", default="threads", help="for the seed corpus")
    parser.add_argument("--large-task-runner", default="processes",
                        help="for the synthetic corpora (CPU-bound: processes use both cores)")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--port", type=int, default=4299)
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="polystat-bench-"))
    server, env = start_server(work / "prefect-home", args.port)
    try:
        results = scenarios(args, work, env)
    finally:
        server.terminate()
        server.wait(timeout=30)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
