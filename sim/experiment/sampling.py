"""Designed experiments over a scenario's uncertain parameters (Saltelli, Morris).

A sensitivity design picks points in the unit cube, one coordinate per
uncertain parameter.  Each coordinate is read as a quantile of that
parameter's own distribution in the scenario (:func:`from_unit`, the inverse
CDF), so the design explores the same doubts the scenario declares, with their
shapes, not a uniform box around them.  Every point then runs ``inner``
replications with those parameters held fixed (``GuaranteeModel(fixed=...)``);
the parameters not in the design keep being drawn per replication, so their
effect and the replications' own chance are the variance *within* a point.
Points are packed side by side into blocks of replications, so a design of
``points × inner`` replications runs as fast as an ordinary run of that size.
"""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np
import pandas as pd

from ..model import GuaranteeModel, run_block
from ..scenario import params
from ..scenario.schema import Level, LevelChoice, Scenario

#: Spawn-key word that keeps a sensitivity design's streams apart from the main run's and the spread's.
DESIGN_KEY = 0x5E45


def uncertain_parameters(scenario: Scenario) -> dict[str, object]:
    """Every parameter the scenario declares as a distribution, by dotted path, in the model's order
    of drawing them (the columns of ``inputs.parquet``)."""
    model = GuaranteeModel(scenario, replications=1, block=0, seed=0)
    try:
        names = sorted(model.inputs)
    finally:
        model.release()
    return {name: parameter_at(scenario, name) for name in names}


def parameter_at(scenario: Scenario, path: str):
    """The scenario's parameter at a dotted path (``states.FRA.resolve``, ``united_states.elections.0.change``)."""
    parts = path.split(".")
    node: object = scenario
    i = 0
    while i < len(parts):
        part = parts[i]
        if node is scenario and part == "states":
            node = next(s for s in scenario.states if s.id == parts[i + 1])
            i += 2
            continue
        node = node[int(part)] if isinstance(node, (list, tuple)) else getattr(node, part)
        i += 1
    return node


def from_unit(param, u: np.ndarray) -> np.ndarray:
    """Values of a parameter at quantiles ``u`` in [0, 1] of its distribution (the inverse CDF).

    US backstop levels come back as their int codes (:class:`~sim.scenario.schema.Level`), as the
    model draws them; a choice takes the value whose cumulative weight first exceeds ``u``.
    """
    from scipy import stats  # scipy.stats costs a second at start-up

    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    if isinstance(param, LevelChoice):
        values = np.array([Level[v].value for v in param.values], dtype=float)
        return _choose(values, param.probabilities(), u)
    dist = params.as_dist(param)
    if isinstance(dist, params.Fixed):
        return np.full(u.shape, float(dist.value))
    if isinstance(dist, params.Uniform):
        return dist.low + u * (dist.high - dist.low)
    if isinstance(dist, params.Triangular):
        if dist.low == dist.high:
            return np.full(u.shape, float(dist.low))
        width = dist.high - dist.low
        return stats.triang((dist.mode - dist.low) / width, loc=dist.low, scale=width).ppf(u)
    if isinstance(dist, params.Beta):
        return dist.low + (dist.high - dist.low) * stats.beta(dist.a, dist.b).ppf(u)
    if isinstance(dist, params.Normal):
        return dist._frozen().ppf(np.clip(u, 1e-12, 1 - 1e-12))
    if isinstance(dist, params.Choice):
        return _choose(np.asarray(dist.values, dtype=float), dist.probabilities(), u)
    raise TypeError(f"no inverse CDF for {type(param).__name__}")


def _choose(values: np.ndarray, p: np.ndarray | None, u: np.ndarray) -> np.ndarray:
    p = np.full(len(values), 1 / len(values)) if p is None else p
    idx = np.searchsorted(np.cumsum(p), u, side="right")
    return values[np.minimum(idx, len(values) - 1)]


def support(param) -> tuple[float, float]:
    """The lowest and highest value a parameter can take (level codes for US backstop levels)."""
    if isinstance(param, LevelChoice):
        codes = [Level[v].value for v in param.values]
        return float(min(codes)), float(max(codes))
    return tuple(float(v) for v in params.as_dist(param).support())


def _run_chunk(args) -> pd.DataFrame:
    scenario, fixed, points, inner, seed, chunk, key = args
    res = run_block(scenario, len(points) * inner, block=chunk, seed=seed, first_replication=0, states=False,
                    fixed=fixed, stream_key=key)
    res.runs.insert(0, "point", np.repeat(points, inner).astype(np.int32))
    return res.runs


def run_points(
    scenario: Scenario, table: pd.DataFrame, inner: int, seed: int, executor: Executor | None = None,
    block_size: int = 1000, key: tuple[int, ...] = (DESIGN_KEY,),
) -> pd.DataFrame:
    """Run ``inner`` replications at every row of ``table`` (one column per dotted path held fixed).

    Returns the runs table of all replications with a ``point`` column (the row of ``table``).
    The result does not depend on the executor.
    """
    if inner < 1 or table.empty:
        raise ValueError("a design needs at least one point and one replication per point")
    names = list(table.columns)
    per_block = max(1, block_size // inner)
    work = []
    for chunk, first in enumerate(range(0, len(table), per_block)):
        idx = np.arange(first, min(len(table), first + per_block))
        fixed = {name: np.repeat(table[name].to_numpy(dtype=float)[idx], inner) for name in names}
        work.append((scenario, fixed, idx, inner, seed, chunk, key))
    parts = list(map(_run_chunk, work) if executor is None else executor.map(_run_chunk, work))
    return pd.concat(parts, ignore_index=True)


def saltelli(names: list[str], base: int, seed: int) -> pd.DataFrame:
    """A Saltelli design for first-order and total Sobol indices (``SALib.sample.sobol``, scrambled):
    ``base × (inputs + 2)`` points in the unit cube, one column per input, in SALib's order."""
    from SALib.sample import sobol

    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    unit = sobol.sample(problem, base, calc_second_order=False, seed=seed)
    return pd.DataFrame(unit, columns=list(names))


def morris_design(names: list[str], trajectories: int, levels: int, seed: int) -> pd.DataFrame:
    """A Morris design (``SALib.sample.morris``): ``trajectories × (inputs + 1)`` points in the unit
    cube on a grid of ``levels`` levels, one column per input."""
    from SALib.sample import morris

    problem = {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}
    unit = morris.sample(problem, trajectories, num_levels=levels, seed=seed)
    return pd.DataFrame(unit, columns=list(names))


def values_at(parameters: dict[str, object], unit: pd.DataFrame) -> pd.DataFrame:
    """The design's points as parameter values: each unit coordinate read as a quantile of that
    parameter's distribution in the scenario (:func:`from_unit`)."""
    return pd.DataFrame({name: from_unit(parameters[name], unit[name].to_numpy()) for name in unit.columns})
