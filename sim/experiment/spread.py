"""The spread across a scenario's assumptions: a two-level design.

A scenario declares its doubts as distributions.  One run mixes them with the
replications' own chance, so its simulation-noise intervals say nothing about
how much the answer depends on the assumptions.  Here the two are taken apart:

* **outer level** — ``points`` draws of every uncertain parameter, from the
  scenario's own distributions (the model's own named streams, under an extra
  spawn-key word so they are not the main run's draws);
* **inner level** — at each outer point, ``inner`` replications with those
  parameters held fixed (``GuaranteeModel(fixed=...)``), each with its own
  chance.  Points are packed side by side into blocks of replications, so the
  design runs as fast as an ordinary run of ``points × inner`` replications.

The results room turns each point's replications into estimates and removes
their own simulation noise from the spread (:mod:`sim.results.spread`).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import GuaranteeModel, run_block
from ..scenario.schema import Scenario

#: Spawn-key words that keep the design's streams apart from the main run's (blocks use (k,)).
OUTER_KEY, INNER_KEY = 0x0A55, 0x1A55
POINTS, INNER = 40, 250


@dataclass
class SpreadOutput:
    """A two-level design's raw tables."""

    points: pd.DataFrame  # one row per outer point: 'point' and each uncertain parameter's value
    runs: pd.DataFrame  # the inner replications: 'point' and the runs columns
    inner: int  # replications per point


def outer_points(scenario: Scenario, points: int, seed: int) -> pd.DataFrame:
    """``points`` draws of every uncertain parameter (one row each), from the scenario's distributions."""
    model = GuaranteeModel(scenario, replications=points, block=0, seed=seed, stream_key=(OUTER_KEY,))
    try:
        drawn = {name: np.asarray(v) for name, v in sorted(model.inputs.items())}
    finally:
        model.release()
    return pd.DataFrame({"point": np.arange(points, dtype=np.int32), **drawn})


def _run_chunk(args: tuple[Scenario, dict[str, np.ndarray], np.ndarray, int, int, int]) -> pd.DataFrame:
    scenario, fixed, points, inner, seed, chunk = args
    res = run_block(scenario, len(points) * inner, block=chunk, seed=seed, first_replication=0, states=False,
                    fixed=fixed, stream_key=(INNER_KEY,))
    res.runs.insert(0, "point", np.repeat(points, inner).astype(np.int32))
    return res.runs


def run_spread(
    scenario: Scenario, seed: int, points: int = POINTS, inner: int = INNER, executor: Executor | None = None,
    block_size: int = 1000,
) -> SpreadOutput | None:
    """Run the design; None when the scenario declares no uncertain parameter (nothing to spread).

    ``points`` × ``inner`` replications in all, in blocks of about ``block_size``;
    the result does not depend on the executor.
    """
    if points < 2 or inner < 1:
        raise ValueError("a two-level design needs at least 2 outer points and 1 inner replication")
    table = outer_points(scenario, points, seed)
    names = [c for c in table.columns if c != "point"]
    if not names:
        return None
    per_block = max(1, block_size // inner)
    work = []
    for chunk, first in enumerate(range(0, points, per_block)):
        idx = np.arange(first, min(points, first + per_block))
        fixed = {name: np.repeat(table[name].to_numpy()[idx], inner) for name in names}
        work.append((scenario, fixed, idx, inner, seed, chunk))
    parts = list(map(_run_chunk, work) if executor is None else executor.map(_run_chunk, work))
    return SpreadOutput(table, pd.concat(parts, ignore_index=True), inner)
