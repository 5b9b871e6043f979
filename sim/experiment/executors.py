"""Executors: where blocks run. Anything implementing ``concurrent.futures.Executor`` works."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager


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


@contextmanager
def local_executor(workers: int | None):
    """A process pool of ``workers`` processes, or ``None`` (run in this process) for one."""
    if workers is None or workers <= 1:
        yield None
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=_context()) as pool:
        yield pool


@contextmanager
def dask_executor(address: str):
    """An executor on an existing Dask cluster (``tcp://host:port``); needs the ``distributed`` extra."""
    try:
        from dask.distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "running on a Dask cluster needs the 'distributed' extra: pip install 'sim[distributed]'"
        ) from exc
    with Client(address) as client:
        executor: Executor = client.get_executor()
        yield executor
