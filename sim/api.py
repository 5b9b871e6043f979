"""The Python API for notebooks: ``sim.load_scenario`` and ``sim.run``."""

from __future__ import annotations

import time
from concurrent.futures import Executor
from pathlib import Path

from .evidence import LoadedScenario, evidence_record, load_scenario
from .experiment import run_scenario
from .experiment.spread import INNER, run_spread
from .results import RunResult
from .results.spread import point_estimates
from .results.stream import StateTally, TableStream
from .scenario.schema import Scenario


def run(
    scenario: LoadedScenario | Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    block_size: int | None = None,
    executor: Executor | None = None,
    progress: bool = False,
    spread_points: int = 0,
    spread_inner: int = INNER,
    stream_to: Path | None = None,
) -> RunResult:
    """Run a scenario in memory; writes nothing to disk (see ``RunResult.save``).

    ``scenario`` may be a path, a loaded scenario or a validated ``Scenario``;
    to change parameters, load it with ``sim.load_scenario(path, overrides={...})``.
    Defaults come from the scenario's ``run`` block.  ``executor`` is any
    ``concurrent.futures.Executor``; results do not depend on it.

    ``spread_points`` > 0 also runs the two-level design behind the assumption
    spread (:mod:`sim.experiment.spread`: that many draws of the uncertain
    parameters × ``spread_inner`` replications each; ``python -m sim run`` uses
    40 × 250); the summary then gives every outcome its spread across the
    assumptions next to its simulation-noise interval.

    ``stream_to`` (a folder, e.g. a results folder being assembled) receives
    ``states.parquet`` and ``inputs.parquet`` block by block as they finish; the
    result then keeps neither table in memory (``states`` and ``inputs`` are
    None), so memory stays flat in the number of replications.
    """
    if isinstance(scenario, (str, Path)):
        scenario = load_scenario(scenario)
    meta: dict = {}
    evidence = None
    if isinstance(scenario, LoadedScenario):
        meta = {
            "scenario_file": str(scenario.path),
            "scenario_files": scenario.located.files,
            "scenario_sha256": scenario.file_hash,
            "coverage": scenario.coverage.as_dict(),
        }
        if scenario.overrides:
            meta["overrides"] = [o.record() for o in scenario.overrides]
        evidence = evidence_record(scenario.scenario, scenario.register)
        scenario = scenario.scenario
    replications = scenario.run.replications if replications is None else int(replications)
    seed = scenario.run.seed if seed is None else int(seed)
    block_size = scenario.run.block_size if block_size is None else int(block_size)
    started = time.time()
    t0 = time.perf_counter()
    if stream_to is None:
        out = run_scenario(scenario, replications, seed, block_size, executor, progress)
        state_rows = None
    else:
        out, state_rows = _streamed(scenario, replications, seed, block_size, executor, progress, Path(stream_to))
    spread = run_spread(scenario, seed, spread_points, spread_inner, executor) if spread_points else None
    meta["timing"] = {"started_unix": started, "seconds": round(time.perf_counter() - t0, 3)}
    extra = {}
    if spread is not None:
        table = spread.points.merge(point_estimates(spread.runs), on="point")
        extra = {"spread": table, "spread_runs": spread.runs, "spread_inner": spread.inner}
    return RunResult(scenario, out.runs, out.states, out.timeline, seed, block_size, meta, evidence,
                     inputs=out.inputs, state_rows=state_rows, **extra)


def _streamed(scenario, replications, seed, block_size, executor, progress, folder: Path):
    """Run with the per-state rows and the inputs streamed to ``folder`` (see :mod:`sim.results.stream`)."""
    states, inputs, tally = TableStream(folder / "states.parquet"), TableStream(folder / "inputs.parquet"), StateTally()

    def sink(block) -> None:
        states.add(block.states)
        inputs.add(block.inputs)
        tally.add(block.states)

    try:
        out = run_scenario(scenario, replications, seed, block_size, executor, progress, sink=sink)
    except BaseException:
        states.abort()
        inputs.abort()
        raise
    states.close()
    inputs.close()
    return out, tally.rows()
