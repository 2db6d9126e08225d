"""Benchmark the incremental reconcile alone: K documents added to an N-document warehouse.

`bench/pipeline.py` times whole runs, where the reconcile stage of a +K run is a few
seconds among a minute of extraction and Prefect, and a busy machine blurs it. This
bench times only `relink.reconcile`, repeatedly, on copies of one warehouse:

  1. `polystat run` on N synthetic documents (bench/corpus.py) into a new warehouse
     (skipped when --base names a warehouse built so already);
  2. K more documents, run again with the test-only fault switch that kills the run
     inside its reconcile stage (flows/faults.py): the new documents are ingested and
     mined, their figures not yet linked;
  3. `relink.reconcile` on a fresh copy of that warehouse, --repeat times, each in a new
     process as in a run (its lemmas and Chinese words are loaded the first time): wall
     and CPU seconds (CPU counts DuckDB's threads too), and what it did;
  4. the whole +K run once more, on a copy of the N-document warehouse: its stage times
     (`runs.summary`), where the reconcile stage includes Prefect's subflow.

    .venv/bin/python bench/relink.py [--documents 10000] [--add 100] [--repeat 3]
        [--work DIR] [--base WAREHOUSE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from warehouse import db, relink, store  # noqa: E402


def polystat_run(corpus: Path, warehouse: Path, work: Path, fault: str | None = None) -> None:
    env = {**os.environ, "PREFECT_HOME": str(work / "prefect-home")}
    if fault:
        env["POLYSTAT_FAULT_AT"] = fault
    subprocess.run([sys.executable, "-m", "flows.cli_main", "run", "--no-publish",
                    "--task-runner", "processes", "--sources", str(corpus),
                    "--warehouse", str(warehouse)], cwd=ROOT, env=env, check=fault is None,
                   stdout=subprocess.DEVNULL)


def write_corpus(documents: int, corpus: Path, start: int = 0) -> None:
    subprocess.run([sys.executable, str(ROOT / "bench" / "corpus.py"), str(documents),
                    str(corpus), "--start", str(start)], check=True, stdout=subprocess.DEVNULL)


def base_of(args: argparse.Namespace, work: Path) -> Path:
    return Path(args.base) if args.base else work / "base.duckdb"


def unlinked_warehouse(args: argparse.Namespace, work: Path) -> Path:
    """A warehouse whose newest (killed) run mined K documents and linked nothing."""
    corpus, pending, base = work / "corpus", work / "pending.duckdb", base_of(args, work)
    if not args.base:
        write_corpus(args.documents, corpus)
        polystat_run(corpus, base, work)
    elif not corpus.exists():
        write_corpus(args.documents, corpus)
    write_corpus(args.add, corpus, start=args.documents)
    shutil.copy(base, pending)
    polystat_run(corpus, pending, work, fault="reconcile")
    con = db.connect(pending)  # (replays the killed run's log into the file)
    con.execute("CHECKPOINT")
    con.close()
    return pending


def time_reconcile(copy: Path) -> None:
    """Reconcile `copy` in this process; print wall, CPU and the counts as JSON."""
    con = db.connect(copy)
    row = con.execute("SELECT run_id FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    run_id = row[0] if row else "bench"
    con.execute("SET VARIABLE polystat_run = ?", [run_id])  # the killed run's figures count
    wall, cpu = time.perf_counter(), time.process_time()
    with store.transaction(con):
        counts = relink.reconcile(con, run_id)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    con.close()
    print(json.dumps({"wall": wall, "cpu": cpu, **counts}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--add", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default=None, help="folder for corpus and warehouses")
    parser.add_argument("--base", default=None, help="an N-document warehouse built before")
    parser.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # (one repeat)
    args = parser.parse_args()
    if args.measure:
        time_reconcile(Path(args.measure))
        return
    work = Path(args.work or ROOT / "bench" / "_out" / "relink")
    work.mkdir(parents=True, exist_ok=True)
    pending = unlinked_warehouse(args, work)
    print(f"reconcile of {args.add} documents added to {args.documents}:")
    for _ in range(args.repeat):
        shutil.copy(pending, work / "copy.duckdb")
        found = subprocess.run([sys.executable, __file__, "--measure", str(work / "copy.duckdb")],
                               check=True, capture_output=True, text=True).stdout
        counts = json.loads(found.strip().splitlines()[-1])
        how = counts.get("rebuilt_because") or f"extended, {counts['linked_new']} new figures"
        print(f"  wall {counts['wall']:5.2f} s  cpu {counts['cpu']:5.2f} s"
              f"  ({how}; {counts['metrics']} metrics)")
    shutil.copy(base_of(args, work), work / "copy.duckdb")
    polystat_run(work / "corpus", work / "copy.duckdb", work)
    con = db.connect(work / "copy.duckdb", read_only=True)
    summary = con.execute("SELECT summary FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()
    con.close()
    stages = json.loads(summary[0]) if summary else {}
    print(f"the whole +{args.add} run: {stages.get('stage_seconds')} ({stages.get('reconciled')})")
    (work / "copy.duckdb").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
