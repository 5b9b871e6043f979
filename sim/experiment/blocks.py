"""Replications cut into fixed blocks, run on any ``concurrent.futures.Executor``.

Block ``k`` holds replications ``k·block_size … (k+1)·block_size − 1`` and draws
from child ``k`` of ``SeedSequence(seed)``; so results do not depend on how
many workers ran the blocks, nor on the executor.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass

import pandas as pd
from tqdm import tqdm

from ..model import BlockResult, run_block
from ..scenario.schema import Scenario


@dataclass(frozen=True)
class Block:
    index: int
    first: int  # first replication id
    size: int


def plan(replications: int, block_size: int) -> list[Block]:
    """The fixed blocks of a run (the last one may be short)."""
    if replications < 1 or block_size < 1:
        raise ValueError("replications and block_size must be positive")
    return [
        Block(k, first, min(block_size, replications - first))
        for k, first in enumerate(range(0, replications, block_size))
    ]


def progress_bar(**kwargs) -> tqdm:
    """A tqdm bar on stderr.  Only this process draws bars, so a thread lock guards them:
    tqdm's default lock is a multiprocessing one, which (with Mesa's spawn start method)
    starts a resource-tracker process that outlives the run."""
    if not hasattr(tqdm, "_lock"):
        tqdm.set_lock(threading.RLock())
    return tqdm(file=sys.stderr, **kwargs)


def _run(args: tuple[Scenario, Block, int]) -> BlockResult:
    scenario, block, seed = args
    return run_block(scenario, block.size, block.index, seed, block.first)


def iter_blocks(
    scenario: Scenario,
    replications: int,
    seed: int,
    block_size: int,
    executor: Executor | None = None,
    progress: bool = False,
) -> Iterator[BlockResult]:
    """Yield each block's results in block order (``executor=None`` runs in this process)."""
    blocks = plan(replications, block_size)
    bar = progress_bar(total=replications, unit="rep", delay=1.0, disable=not progress, desc=scenario.id)
    try:
        work = [(scenario, b, seed) for b in blocks]
        results = map(_run, work) if executor is None else executor.map(_run, work)
        for block, result in zip(blocks, results):
            bar.update(block.size)
            yield result
    finally:
        bar.close()


@dataclass
class Output:
    """All replications of a run, in memory."""

    runs: pd.DataFrame
    states: pd.DataFrame | None  # None when streamed to a sink
    timeline: pd.DataFrame  # counts per month, summed over blocks
    inputs: pd.DataFrame | None  # the uncertain parameters' drawn values, one row per replication


def combine_timelines(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Sum per-block timeline counts month by month (exact, order-independent)."""
    return pd.concat(parts).groupby("month", as_index=False).sum()


def run_scenario(
    scenario: Scenario,
    replications: int,
    seed: int,
    block_size: int,
    executor: Executor | None = None,
    progress: bool = False,
    sink: Callable[[BlockResult], None] | None = None,
) -> Output:
    """Run every block and gather the tables (``sim.run`` supplies the scenario's defaults).

    With ``sink``, each finished block is handed to it (in block order) and its large tables —
    the per-state rows and the inputs — are not kept: ``Output.states`` and ``.inputs`` are
    None, and memory stays flat in the number of replications but for the runs table.
    """
    runs, states, inputs, timelines = [], [], [], []
    for part in iter_blocks(scenario, replications, seed, block_size, executor, progress):
        runs.append(part.runs)
        timelines.append(part.timeline)
        if sink is None:
            states.append(part.states)
            inputs.append(part.inputs)
        else:
            sink(part)
    return Output(
        pd.concat(runs, ignore_index=True),
        pd.concat(states, ignore_index=True) if sink is None else None,
        combine_timelines(timelines),
        pd.concat(inputs, ignore_index=True) if sink is None else None,
    )
