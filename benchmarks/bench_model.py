"""Replications per second: the vectorised model against one model per replication,
and model v2 against model v1 (the last v1 commit, taken from git) on paris.yaml.

Every side runs in this one invocation.  The v2-against-v1 ratio is measured in
interleaved rounds: two worker processes, one on this tree and one on the v1 package
and scenario extracted with ``git archive`` (its schema differs), each load their own
``scenarios/paris.yaml`` cut to the same 36-month horizon and time ``sim.run`` in
turn, alternating which goes first.  This machine's speed drifts by tens of per cent
within minutes; a round compares two runs made seconds apart, so the ratio of each
round is what is reported (median and range), not the ratio of two separate bests.
``--baseline COMMIT`` compares against another commit instead (the comparison needs
a git checkout; it is skipped otherwise).

    python benchmarks/bench_model.py [scenarios/paris.yaml] [--replications N] [--rounds K]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import mesa

import sim
from sim.model import run_block

from baseline import ROOT, V1_COMMIT, label, unpacked  # benchmarks/baseline.py

#: A worker: loads its tree's paris.yaml at the given horizon, then times one ``sim.run`` per input line.
WORKER = """
import sys, time
import sim
sc = sim.load_scenario(sys.argv[1]).scenario
sc = sc.model_copy(update={"run": sc.run.model_copy(update={"horizon_months": int(sys.argv[3])})})
n = int(sys.argv[2])
sim.run(sc, replications=n)
print(len(sc.states), flush=True)
for _ in sys.stdin:
    t0 = time.perf_counter()
    sim.run(sc, replications=n)
    print(time.perf_counter() - t0, flush=True)
"""


def rate(fn, replications: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return replications / best


class Worker:
    """A process timing ``sim.run`` on the package and scenario of one tree."""

    def __init__(self, tree: Path, replications: int, months: int):
        env = {**os.environ, "PYTHONPATH": str(tree)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(tree / "scenarios" / "paris.yaml"), str(replications), str(months)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=tree)
        self.states = int(self.proc.stdout.readline())

    def time(self) -> float:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return float(self.proc.stdout.readline())

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def interleaved(baseline: str, replications: int, rounds: int, months: int = 36):
    """Seconds per run of this tree and of ``baseline``, round by round, or None without git history."""
    with unpacked(baseline) as tree:
        if tree is None:
            return None
        new, old = Worker(ROOT, replications, months), Worker(tree, replications, months)
        try:
            times = []
            for i in range(rounds):
                first, second = (new, old) if i % 2 == 0 else (old, new)
                a, b = first.time(), second.time()
                times.append((a, b) if first is new else (b, a))
        finally:
            new.close()
            old.close()
    return times, old.states


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "paris.yaml"))
    ap.add_argument("--replications", type=int, default=10_000, help="replications for the vectorised side")
    ap.add_argument("--single", type=int, default=300, help="replications for the one-model-each side")
    ap.add_argument("--repeats", type=int, default=3, help="best of this many runs for the in-process rates")
    ap.add_argument("--rounds", type=int, default=10, help="interleaved rounds of v2 against the baseline")
    ap.add_argument("--baseline", default=V1_COMMIT, help="the commit to compare against (default: the last v1)")
    args = ap.parse_args(argv)

    sc = sim.load_scenario(args.scenario).scenario
    block = sc.run.block_size
    seed = sc.run.seed
    months = sc.run.horizon_months

    def vectorised():
        sim.run(sc, replications=args.replications, seed=seed)

    def one_each():
        for r in range(args.single):
            run_block(sc, 1, block=r, seed=seed, first_replication=r)

    vectorised()  # warm-up: imports, caches
    fast = rate(vectorised, args.replications, args.repeats)
    slow = rate(one_each, args.single, args.repeats)
    print(f"sim {sim.__version__}, mesa {mesa.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}; scenario {sc.id} ({len(sc.states)} states, {months} months)")
    print(f"{'v2 vectorised (R = block size ' + str(block) + ')':<46}{fast:>12,.0f} replications/s"
          f"{fast * months:>14,.0f} replication-months/s")
    print(f"{'v2 one model per replication (R = 1)':<46}{slow:>12,.0f} replications/s")
    print(f"{'ratio vectorised / one model each':<46}{fast / slow:>12,.0f}x")
    found = interleaved(args.baseline, args.replications, args.rounds)
    if found is None:
        print(f"{args.baseline}: skipped (needs the git history of the project)")
        return
    times, states = found
    name = label(args.baseline)
    n = args.replications
    print(f"{args.rounds} interleaved rounds, {n:,} replications each, 36-month horizon "
          f"(median rate, range over rounds):")
    for who, i in ((f"v2 (this tree, {len(sc.states)} states)", 0), (f"{name} ({states} states)", 1)):
        rates = [n / t[i] for t in times]
        print(f"  {who:<44}{statistics.median(rates):>12,.0f} replications/s"
              f"  ({min(rates):,.0f}–{max(rates):,.0f})")
    ratios = [old / new for new, old in times]
    print(f"  {'ratio v2 / ' + name + ', round by round':<44}{statistics.median(ratios):>12.2f}x"
          f"  ({min(ratios):.2f}–{max(ratios):.2f})")


if __name__ == "__main__":
    main()
