"""Sweep throughput and memory, measured side by side in one run (best of 3 timings each).

* replications per second for the same sweep on 1 and 2 local worker processes
  and on a Dask LocalCluster of 2 worker processes (scaling ratios);
* the same model run one replication per model through ``mesa.batch_run``
  (where the installed Mesa has it) against the vectorised sweep (ratio);
* peak memory (max RSS) of a sweep process at 10× and 100× the replications.

    python benchmarks/bench_sweep.py [--replications 2000]
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mesa

import sim
from sim.experiment.design import load_sweep
from sim.experiment.executors import _context
from sim.model import GuaranteeModel
from sim.model.agents import NEVER
from sim.results.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
SWEEP = ROOT / "sweeps" / "us-backstop-x-acceptance.yaml"


def _model_loop(args) -> float:
    """The model alone, no sweep machinery: seconds for ``blocks`` blocks of 1,000."""
    scenario, blocks = args
    from sim.model import run_block

    t0 = time.perf_counter()
    for k in range(blocks):
        run_block(scenario, 1000, k, 1, 0, states=False)
    return time.perf_counter() - t0


def machine_ceiling(scenario, blocks: int = 15) -> float:
    """Throughput of two independent model processes over one: what 2 workers could give at best."""
    with ProcessPoolExecutor(2, mp_context=_context()) as pool:
        list(pool.map(_warm, range(4)))
        alone = min(pool.submit(_model_loop, (scenario, blocks)).result() for _ in range(2))
        pair = min(max(pool.map(_model_loop, [(scenario, blocks)] * 2)) for _ in range(2))
    return 2 * alone / pair


def _warm(_):
    import sim.experiment.units  # noqa: F401  (the imports a worker pays once)

    return 0


REPEATS = 3


def timed_sweep(plan, executor) -> float:
    """Best of :data:`REPEATS` wall-clock times of the whole sweep (seconds)."""
    best = float("inf")
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            run_sweep(plan, Path(tmp) / "out", executor=executor, progress=False, in_flight=8)
            best = min(best, time.perf_counter() - t0)
    return best


class BatchRunModel(GuaranteeModel):
    """One replication per model, as mesa.batch_run expects (datacollector, running)."""

    def __init__(self, scenario, block=0, seed=0, rng=None, **_):
        super().__init__(scenario, replications=1, block=block, seed=seed)
        self.datacollector = mesa.DataCollector(model_reporters={
            "force_in_ukraine": lambda m: float(m.force_in_ukraine_peak[0]),
            "violation": lambda m: bool(m.first_violation[0] != NEVER),
        })
        self.datacollector.collect(self)  # batch_run indexes collected data by step

    def step(self):
        super().step()
        self.datacollector.collect(self)
        if self.month >= self.horizon:
            self.running = False


def batch_run_rate(scenario, n: int) -> float | None:
    batch_run = getattr(mesa, "batch_run", None)
    if batch_run is None:
        return None
    params = {"scenario": [scenario], "block": list(range(n)), "seed": [scenario.run.seed]}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rows = batch_run(BatchRunModel, params, number_processes=1, rng=[None],
                             max_steps=scenario.run.horizon_months, display_progress=False)
        except TypeError:  # Mesa < 3.4 has iterations, not rng
            rows = batch_run(BatchRunModel, params, number_processes=1, iterations=1,
                             max_steps=scenario.run.horizon_months, display_progress=False)
    elapsed = time.perf_counter() - t0
    assert len(rows) == n
    return n / elapsed


_PEAK = """
import json, resource, sys, tempfile
from pathlib import Path
from sim.experiment.design import load_sweep
from sim.results.sweep import run_sweep
plan = load_sweep(sys.argv[1], replications=int(sys.argv[2]))
with tempfile.TemporaryDirectory() as tmp:
    run_sweep(plan, Path(tmp) / "out", executor=None, progress=False)
print(json.dumps({"maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def peak_rss_mb(sweep: Path, replications: int) -> float:
    out = subprocess.run([sys.executable, "-c", _PEAK, str(sweep), str(replications)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["maxrss_mb"]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=2000, help="replications per point for the scaling runs")
    ap.add_argument("--batch-run", type=int, default=100, help="replications through mesa.batch_run")
    ap.add_argument("--memory-base", type=int, default=100, help="base replications per point for the memory runs")
    ap.add_argument("--repeats", type=int, default=REPEATS, help="timings per configuration (best is kept)")
    args = ap.parse_args(argv)
    globals()["REPEATS"] = args.repeats

    plan = load_sweep(SWEEP, replications=args.replications)
    total = len(plan.points) * plan.replications
    print(f"sim {sim.__version__}, mesa {mesa.__version__}, python {platform.python_version()}; "
          f"sweep {plan.sweep.id}: {len(plan.points)} points × {plan.replications} replications = {total:,}")

    # As `sim sweep --workers 1` runs it: in this process, computing and writing in turn.
    rates = {"1 worker (in-process)": total / timed_sweep(plan, None)}
    with ProcessPoolExecutor(2, mp_context=_context()) as pool:
        list(pool.map(_warm, range(4)))  # workers start and import sim before the clock starts
        rates["2 local workers"] = total / timed_sweep(plan, pool)
    try:
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster, Client(cluster) as client:
            client.run(_warm, 0)
            rates["Dask LocalCluster, 2 workers"] = total / timed_sweep(plan, client.get_executor())
    except ImportError:
        print("(dask.distributed not installed: pip install 'sim[distributed]')")
    one = rates["1 worker (in-process)"]
    for name, rate in rates.items():
        print(f"{name:<34}{rate:>12,.0f} replications/s   {rate / one:5.2f}x of 1 worker")
    print(f"{'machine ceiling (2 bare model processes)':<48}{machine_ceiling(plan.scenarios[0]):5.2f}x of 1")

    # The same model, one replication per model, through Mesa's own batch runner.
    scenario = plan.scenarios[0]
    vectorised = rates["1 worker (in-process)"]
    slow = batch_run_rate(scenario, args.batch_run)
    print(f"{'vectorised sweep, in-process':<34}{vectorised:>12,.0f} replications/s")
    if slow is None:
        print("mesa.batch_run: not in this Mesa")
    else:
        print(f"{'mesa.batch_run, R = 1 per model':<34}{slow:>12,.1f} replications/s   ratio {vectorised / slow:,.0f}x")

    base = args.memory_base
    for factor in (1, 10, 100):
        reps = base * factor
        mb = peak_rss_mb(SWEEP, reps)
        print(f"peak memory, {reps:>6} replications/point ({reps * len(plan.points):>9,} in all): {mb:7.1f} MB")


if __name__ == "__main__":
    main()
