"""A test-only crash switch: ``POLYSTAT_FAULT_AT=<stage>`` kills the run there.

tests/test_faults.py sets it on real ``polystat run`` subprocesses to prove
that a crash in the middle of any stage leaves a warehouse that opens, hides
the half-written run from readers, and heals on the next run. SIGKILL cannot
be caught or cleaned up after, so it is the honest model of a crash, a power
cut or the kernel's OOM killer. Unset, the check costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

FAULT_VARIABLE = "POLYSTAT_FAULT_AT"
STAGES = ("ingest", "extract", "translate", "reconcile", "publish")


def fault_point(stage: str) -> None:
    """SIGKILL this process when the fault variable names ``stage``."""
    if os.environ.get(FAULT_VARIABLE) == stage:
        os.kill(os.getpid(), signal.SIGKILL)
