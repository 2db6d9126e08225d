"""Test-only fault switches: ``POLYSTAT_FAULT_AT=<stage>`` kills the run there;
``POLYSTAT_FAULT_AT=checkpoint`` fills the disk before the warehouse is written back.

tests/test_faults.py sets it on real ``polystat run`` subprocesses to prove
that a crash in the middle of any stage leaves a warehouse that opens, hides
the half-written run from readers, and heals on the next run. SIGKILL cannot
be caught or cleaned up after, so it is the honest model of a crash, a power
cut or the kernel's OOM killer. Unset, the check costs one dict lookup.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

FAULT_VARIABLE = "POLYSTAT_FAULT_AT"
STAGES = ("ingest", "extract", "translate", "reconcile", "publish")
DISK_FULL_POINTS = ("checkpoint",)


def fault_point(stage: str) -> None:
    """SIGKILL this process when the fault variable names ``stage``; ``<stage>:SIGTERM``
    or ``<stage>:SIGINT`` sends that signal instead (a stop that Python or Prefect may
    turn into an exception: a service manager stopping the run, Ctrl-C). The signal goes
    to the calling thread, so its exception is raised here, at the point named. An ignored
    SIGINT gets Python's handler first: a process started in the background by a shell without
    job control (a CI script's `cmd &`) ignores SIGINT, and its children inherit that, so
    the run would go on; the switch stands for a Ctrl-C that reaches the run."""
    fault = os.environ.get(FAULT_VARIABLE)
    if fault == stage:
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault in (f"{stage}:SIGTERM", f"{stage}:SIGINT"):
        stop = signal.Signals[fault.split(":", 1)[1]]
        if stop == signal.SIGINT and signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.raise_signal(stop)


def disk_full_point(point: str, path: Path) -> None:
    """When the fault variable names ``point``: from now on no file of this process may
    grow past ``path``'s present size, as on a full disk. The kernel enforces it
    (RLIMIT_FSIZE: a write beyond fails with EFBIG), so the write that fails is DuckDB's
    own, with no root and no small file system needed (tests/test_fault_suite.py mounts a
    real full tmpfs where it may)."""
    if os.environ.get(FAULT_VARIABLE) != point:
        return
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error from write(), not a kill
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size, hard))
