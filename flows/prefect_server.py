"""Prefect's temporary API server for one `polystat run` (or a script or test session that
runs `pipeline()` itself: `api`), gone when the process that started it is gone.

With no PREFECT_API_URL, Prefect 3 starts a temporary ("ephemeral") server as a child
process (`SubprocessASGIServer`: `python -m uvicorn ... prefect.server.api.server:create_app`)
and stops it from an `atexit` hook. A process killed with SIGKILL runs no hook: after a
`kill -9` or the kernel's OOM killer the server lived on, ~200 MB and a port, still there
13 minutes later (issue 19, item 4). So polystat starts the same server itself, with one
difference: the server watches the process that started it and shuts down when that
process is gone, however it ended.

- On Linux the kernel sends the server SIGTERM the moment its parent dies
  (`prctl(PR_SET_PDEATHSIG)`); uvicorn shuts down cleanly on SIGTERM.
- Everywhere, a thread in the server polls its parent's pid twice a second, and ends the
  process if a clean shutdown takes longer than `SHUTDOWN_GRACE_SECONDS`.

The run's process binds the port before it starts the server and hands the listening
socket over, so two runs never race for a port. The server is stopped at interpreter exit,
after Prefect's log and event workers have sent their last records (they drain in
`threading`'s exit hooks, which run before `atexit`'s), as Prefect stops its own.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator

SHUTDOWN_GRACE_SECONDS = 5.0
PARENT_POLL_SECONDS = 0.5
# What Prefect's SubprocessASGIServer sets: no UI, no background services.
SERVER_ENVIRONMENT = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                      "PREFECT__SERVER_FINAL": "1"}
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
# The health check goes to 127.0.0.1 itself, never through an HTTP proxy of the environment.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerStartError(RuntimeError):
    """The temporary server did not come up (says why and what to do)."""


@contextlib.contextmanager
def api(announce: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Prefect's API for the flows this process runs: PREFECT_API_URL's server when set,
    else a temporary one started here (`start`; `announce` is called first: it takes
    10-20 s). For `polystat run` and every script that runs `pipeline()` itself.
    Raises ServerStartError."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
        get_current_settings,
        temporary_settings,
    )

    if PREFECT_API_URL.value():
        yield
        return
    announce()
    url = start(get_current_settings().to_environment_variables(exclude_unset=True),
                timeout=float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
    # Task-runner worker processes read the URL from the environment they inherit.
    os.environ["PREFECT_API_URL"] = url
    try:
        with temporary_settings({PREFECT_API_URL: url}), _in_every_thread():
            yield
    finally:
        del os.environ["PREFECT_API_URL"]


@contextlib.contextmanager
def _in_every_thread() -> Iterator[None]:
    """The current Prefect settings (with the server's URL) for threads started without
    this thread's context too. A new thread reads Prefect's process-wide settings, made at
    import from the environment: without the URL, Prefect starts a temporary server of its
    own for it. The process-pool task runner's message-forwarding thread did so after every
    extraction with `--task-runner processes`: a second server, 5-10 s of CPU taken from
    the stages that followed, left running after the run."""
    import prefect.context

    before = prefect.context.GLOBAL_SETTINGS_CONTEXT
    prefect.context.GLOBAL_SETTINGS_CONTEXT = prefect.context.get_settings_context()
    try:
        yield
    finally:
        prefect.context.GLOBAL_SETTINGS_CONTEXT = before


def start(settings_environment: dict[str, str], timeout: float) -> str:
    """Start the server for this process and return its API URL once it answers.

    `settings_environment` holds Prefect settings to pass on (the current settings as
    environment variables: a test's temporary database, for one). The server stops when
    this process exits, normally or not."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "flows.prefect_server", str(os.getpid()), str(listener.fileno())],
        pass_fds=(listener.fileno(),), stdin=subprocess.DEVNULL,
        env={**os.environ, **settings_environment, **SERVER_ENVIRONMENT})
    listener.close()  # the server holds its own copy
    atexit.register(_stop, process)
    url = f"http://127.0.0.1:{port}/api"
    _wait_until_healthy(url, process, timeout)
    return url


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(
                f"Prefect's temporary server exited with code {process.returncode} while "
                "starting (its messages are above); set PREFECT_API_URL to a running "
                "`prefect server start` instead")
        try:
            with _DIRECT.open(f"{url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass  # not serving yet: the connection waits in the socket's backlog or fails
        time.sleep(0.1)
    _stop(process)
    raise ServerStartError(
        f"Prefect's temporary server did not answer within {timeout:g} s; raise "
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS on a slow machine, or set "
        "PREFECT_API_URL to a running `prefect server start`")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=SHUTDOWN_GRACE_SECONDS * 2)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# --------------------------------------------------------------------------- the server


def terminate_when_parent_dies() -> None:
    """On Linux, have the kernel send this process SIGTERM the moment its parent dies
    (elsewhere nothing). It survives exec, so it also serves as `preexec_fn` for a server
    that is not ours to change (bench/pipeline.py's `prefect server start`)."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _end_with_parent(parent: int) -> None:
    """Shut this process down when `parent` is no longer its parent (it died)."""
    terminate_when_parent_dies()
    if os.getppid() != parent:  # died before the request above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="polystat-parent-watch",
                     daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    with contextlib.suppress(OSError):
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn: a clean shutdown
    time.sleep(SHUTDOWN_GRACE_SECONDS)
    os._exit(1)  # the clean shutdown hangs: no orphan all the same


def serve(parent: int, listening_fd: int) -> None:
    """Prefect's API app (as its SubprocessASGIServer runs it) on the inherited socket."""
    _end_with_parent(parent)
    import uvicorn

    config = uvicorn.Config("prefect.server.api.server:create_app", factory=True,
                            log_level="error", lifespan="on")
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=listening_fd)])


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
