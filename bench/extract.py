"""Benchmark the statistic extractor against quantulum3 on the same text, one core.

The embedded corpus (sources/) is repeated until it is at least --megabytes large.
Each engine runs in its own child process pinned to one CPU, so that peak memory
(ru_maxrss) belongs to that engine alone.  quantulum3 is ~100x slower, so by default
it reads the same text from the beginning only until --quantulum-seconds have
passed (its chars/s is stable long before); pass --full to make it read everything.
Both wall-clock and CPU time are reported; the speed-up is given on each.  On a busy
machine the wall-clock ratio swings with what else runs on the pinned core; the CPU-time
ratio is what each engine costs, and agrees with the wall-clock one on a quiet machine.

    .venv/bin/python bench/extract.py [--megabytes 5] [--quantulum-seconds 60] [--full]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import time
import tomllib
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "sources"


def corpus(megabytes: float) -> list[tuple[str, str, int | None]]:
    """(text, language, survey_year) per document, repeated to the requested size."""
    manifest = tomllib.loads((SOURCES / "manifest.toml").read_text(encoding="utf-8"))
    docs = [((SOURCES / e["file"]).read_text(encoding="utf-8"), e["language"],
             e.get("survey_year")) for e in manifest["source"]]
    one_round = sum(len(t.encode("utf-8")) for t, _, _ in docs)
    repeat = max(1, int(megabytes * 1_000_000 / one_round) + 1)
    return [("\n\n".join([text] * repeat), lang, year) for text, lang, year in docs]


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_ours(docs: list, out: mp.Queue) -> None:
    _pin_one_core()
    sys.path.insert(0, str(ROOT))
    from extract.statistics import find_statistics

    for lang in sorted({lang for _, lang, _ in docs}):  # build each language's pipeline
        find_statistics("81% 2020", lang, 2020)  # once: a start-up cost, not throughput
    start, cpu_start = time.perf_counter(), time.process_time()
    found = chars = 0
    for text, lang, year in docs:
        found += len(find_statistics(text, lang, year))
        chars += len(text)
    out.put(_result("polystat", chars, found, start, cpu_start))


def _result(engine: str, chars: int, found: int, start: float, cpu_start: float) -> dict:
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    return {"engine": engine, "chars": chars, "seconds": seconds,
            "chars_per_s": chars / seconds, "cpu_seconds": cpu_seconds,
            "chars_per_cpu_s": chars / cpu_seconds, "found": found, "peak_mb": _peak_mb()}


def run_quantulum(docs: list, budget: float | None, out: mp.Queue) -> None:
    _pin_one_core()
    warnings.simplefilter("ignore")
    from quantulum3 import parser

    parser.parse("Warm-up: 81% of respondents.")
    start, cpu_start = time.perf_counter(), time.process_time()
    found = chars = 0
    for text, _, _ in docs:
        for line in text.splitlines():
            if line.strip():
                found += len(parser.parse(line))
            chars += len(line) + 1
            if budget is not None and time.perf_counter() - start > budget:
                break
        else:
            continue
        break
    out.put(_result("quantulum3", chars, found, start, cpu_start))


def _child(target, *args) -> dict:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return dict(result)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--megabytes", type=float, default=5.0)
    ap.add_argument("--quantulum-seconds", type=float, default=60.0)
    ap.add_argument("--full", action="store_true", help="quantulum3 reads the whole text")
    args = ap.parse_args()
    docs = corpus(args.megabytes)
    size_mb = sum(len(t.encode("utf-8")) for t, _, _ in docs) / 1_000_000
    ours = _child(run_ours, docs)
    theirs = _child(run_quantulum, docs, None if args.full else args.quantulum_seconds)
    speedup = ours["chars_per_s"] / theirs["chars_per_s"]
    cpu_speedup = ours["chars_per_cpu_s"] / theirs["chars_per_cpu_s"]
    for row in (ours, theirs):
        print(f"{row['engine']:>10}: {row['chars_per_s']:>12,.0f} chars/s  "
              f"{row['chars_per_cpu_s']:>12,.0f} chars/CPU-s  "
              f"({row['chars']:,} chars in {row['seconds']:.1f} s, {row['found']:,} found)  "
              f"peak {row['peak_mb']:.0f} MB")
    print(f"corpus {size_mb:.1f} MB, speed-up x{speedup:.1f} (wall clock), "
          f"x{cpu_speedup:.1f} (CPU time)")
    print(json.dumps({"corpus_mb": round(size_mb, 2), "speedup": round(speedup, 1),
                      "cpu_speedup": round(cpu_speedup, 1), "engines": [ours, theirs]}))


if __name__ == "__main__":
    main()
