"""Replications per second: the vectorised model against one model per replication.

Both sides run the same code on the same scenario in this one process, one
after the other, best of a few repeats; the ratio is what the README reports.

    python benchmarks/bench_model.py [scenarios/paris.yaml] [--replications N]
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import mesa

import sim
from sim.model import run_block

ROOT = Path(__file__).resolve().parents[1]


def rate(fn, replications: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return replications / best


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "paris.yaml"))
    ap.add_argument("--replications", type=int, default=10_000, help="replications for the vectorised side")
    ap.add_argument("--single", type=int, default=300, help="replications for the one-model-each side")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    sc = sim.load_scenario(args.scenario).scenario
    block = sc.run.block_size
    seed = sc.run.seed

    def vectorised():
        sim.run(sc, replications=args.replications, seed=seed)

    def one_each():
        for r in range(args.single):
            run_block(sc, 1, block=r, seed=seed, first_replication=r)

    vectorised()  # warm-up: imports, caches
    fast = rate(vectorised, args.replications, args.repeats)
    slow = rate(one_each, args.single, args.repeats)
    print(f"sim {sim.__version__}, mesa {mesa.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}; scenario {sc.id} ({len(sc.states)} states, {sc.run.horizon_months} months)")
    print(f"{'vectorised (R = block size ' + str(block) + ')':<42}{fast:>12,.0f} replications/s")
    print(f"{'one model per replication (R = 1)':<42}{slow:>12,.0f} replications/s")
    print(f"{'ratio':<42}{fast / slow:>12,.0f}x")


if __name__ == "__main__":
    main()
