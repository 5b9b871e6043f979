"""Executors: where blocks run. Anything implementing ``concurrent.futures.Executor`` works."""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager

#: Seconds to wait for a Dask scheduler to answer before giving up.
CONNECT_TIMEOUT = 5
#: Seconds between a worker's checks that the process that started the pool is alive.
PARENT_POLL = 0.5


class ExecutorUnavailable(Exception):
    """The requested executor cannot be had (no such cluster, a missing extra); the text says why."""


def default_workers() -> int:
    """All cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _context():
    # fork() in a process that already runs threads (tqdm, dask, BLAS) can deadlock;
    # forkserver starts workers from a clean single-threaded server.
    if sys.platform != "win32" and "forkserver" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _exit_with(parent: int) -> None:
    # A worker's own parent is the fork server, so it is the pool's owner that is watched.
    # When it dies (even by SIGKILL, which runs no clean-up), the worker leaves too, at
    # once: it holds the call queue open, so it would otherwise wait for work forever.
    while True:
        time.sleep(PARENT_POLL)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # alive, under another user (the pid was reused): gone all the same
            os._exit(1)


def watch_parent(parent: int) -> None:
    """Pool initializer: end this worker process when process ``parent`` ends."""
    if sys.platform != "win32":  # os.kill(pid, 0) would terminate the process on Windows
        threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="sim-watch-parent").start()


@contextmanager
def local_executor(workers: int | None):
    """A process pool of ``workers`` processes, or ``None`` (run in this process) for one.

    The pool's workers exit when this process does, however it ends.
    """
    if workers is None or workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                             initializer=watch_parent, initargs=(os.getpid(),)) as pool:
        yield pool


@contextmanager
def dask_executor(address: str, timeout: float | None = None):
    """An executor on an existing Dask cluster (``tcp://host:port``); needs the ``distributed`` extra.

    Raises :class:`ExecutorUnavailable` when the extra is missing, the address is
    malformed, or no scheduler answers within ``timeout`` seconds (:data:`CONNECT_TIMEOUT`).
    """
    try:
        from dask.distributed import Client
    except ImportError:
        raise ExecutorUnavailable(
            "running on a Dask cluster needs the 'distributed' extra: pip install -e \".[distributed]\""
        ) from None
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT if timeout is None else timeout)
    except Exception as exc:  # noqa: BLE001 - refused, timed out, malformed, or not a scheduler at all
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ExecutorUnavailable(f"cannot reach a Dask scheduler at {address!r}: {reason}") from None
    with client:
        executor: Executor = client.get_executor()
        yield executor
