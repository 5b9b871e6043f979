"""Units of work of a sweep — (point, replication block) — run on any Executor.

At most a bounded number of units is in flight at once, and each finished
unit is handed to the caller immediately, so the parent process holds only
the units in flight, whatever the size of the sweep.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..model import run_block
from ..scenario.schema import Scenario
from .blocks import Block


@dataclass(frozen=True)
class Unit:
    point: int
    block: Block

    @property
    def name(self) -> str:
        return f"p{self.point:06d}-b{self.block.index:05d}"


@dataclass
class UnitFailure:
    unit: Unit
    error: str  # the exception, one line
    detail: str  # its traceback


def run_unit(scenario: Scenario, unit: Unit, seed: int) -> pd.DataFrame:
    """One block of one point: its runs table, with the point's index.

    Every point uses the same seed, so points differ by their parameters,
    not by noise (common random numbers).
    """
    runs = run_block(scenario, unit.block.size, unit.block.index, seed, unit.block.first, states=False).runs
    runs.insert(0, "point", unit.point)
    return runs


def encode(frame: pd.DataFrame) -> bytes:
    """A unit's table as Parquet bytes: encoded where it was computed, so the parent
    process only writes bytes (it would otherwise spend a core decoding and re-encoding)."""
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), sink)
    return sink.getvalue().to_pybytes()


def _guarded(fn: Callable, scenario: Scenario, unit: Unit, seed: int):
    try:
        return encode(fn(scenario, unit, seed))
    except Exception as exc:  # a unit's failure is data: recorded, and the sweep goes on
        return UnitFailure(unit, f"{type(exc).__name__}: {exc}", traceback.format_exc())


def run_units(
    units: Iterable[tuple[Scenario, Unit]],
    seed: int,
    executor: Executor | None,
    in_flight: int = 8,
    fn: Callable[[Scenario, Unit, int], pd.DataFrame] = run_unit,
) -> Iterator[tuple[Unit, bytes | UnitFailure]]:
    """Yield (unit, its runs table as Parquet bytes, or its failure) as units finish.

    ``executor=None`` runs units one by one in this process.
    """
    if executor is None:
        for scenario, unit in units:
            yield unit, _guarded(fn, scenario, unit, seed)
        return
    pending: dict[Future, Unit] = {}
    source = iter(units)
    exhausted = False
    while True:
        while not exhausted and len(pending) < in_flight:
            try:
                scenario, unit = next(source)
            except StopIteration:
                exhausted = True
                break
            pending[executor.submit(_guarded, fn, scenario, unit, seed)] = unit
        if not pending:
            return
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            unit = pending.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the executor itself failed (a worker died, ...)
                result = UnitFailure(unit, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            yield unit, result
