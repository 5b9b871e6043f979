"""Replications per second: the vectorised model against one model per replication,
and model v2 against model v1 (the last v1 commit, taken from git) on paris.yaml.

Every side runs in this one invocation, one after the other, best of a few repeats;
the ratios are what the README reports.  The v1 side runs in a subprocess on the v1
package and scenario extracted with ``git archive`` (its schema differs), so the
comparison needs a git checkout; it is skipped otherwise.

    python benchmarks/bench_model.py [scenarios/paris.yaml] [--replications N]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

import mesa

import sim
from sim.model import run_block

ROOT = Path(__file__).resolve().parents[1]
#: The last commit of model v1 (before "Model v2: Russia chooses a rung ...").
V1_COMMIT = "8b9f714"
V1_SCRIPT = """
import sys, time
import sim
sc = sim.load_scenario(sys.argv[1]).scenario
n, repeats = int(sys.argv[2]), int(sys.argv[3])
sim.run(sc, replications=n)
best = min((lambda t0: (sim.run(sc, replications=n), time.perf_counter() - t0)[1])(time.perf_counter())
           for _ in range(repeats))
print(n / best, sc.run.horizon_months, len(sc.states))
"""


def rate(fn, replications: int, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return replications / best


def v1_rate(replications: int, repeats: int) -> tuple[float, int, int] | None:
    """Replications per second of model v1 on its own paris.yaml, or None without git history."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", V1_COMMIT, "sim", "scenarios", "seeds"],
                                 check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        tarfile.open(fileobj=BytesIO(archive)).extractall(tmp, filter="data")
        env = {**os.environ, "PYTHONPATH": tmp}
        out = subprocess.run([sys.executable, "-c", V1_SCRIPT, str(Path(tmp) / "scenarios" / "paris.yaml"),
                              str(replications), str(repeats)], check=True, capture_output=True, text=True,
                             env=env, cwd=tmp).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


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
    months = sc.run.horizon_months
    # The same scenario cut to v1's 36-month horizon, for a like-for-like comparison.
    sc36 = sc.model_copy(update={"run": sc.run.model_copy(update={"horizon_months": 36})})

    def vectorised(s=sc):
        sim.run(s, replications=args.replications, seed=seed)

    def one_each():
        for r in range(args.single):
            run_block(sc, 1, block=r, seed=seed, first_replication=r)

    vectorised()  # warm-up: imports, caches
    fast = rate(vectorised, args.replications, args.repeats)
    fast36 = rate(lambda: vectorised(sc36), args.replications, args.repeats)
    slow = rate(one_each, args.single, args.repeats)
    old = v1_rate(args.replications, args.repeats)
    print(f"sim {sim.__version__}, mesa {mesa.__version__}, python {platform.python_version()}, "
          f"{platform.machine()}; scenario {sc.id} ({len(sc.states)} states, {months} months)")
    print(f"{'v2 vectorised (R = block size ' + str(block) + ')':<46}{fast:>12,.0f} replications/s"
          f"{fast * months:>14,.0f} replication-months/s")
    print(f"{'v2 vectorised, horizon cut to 36 months':<46}{fast36:>12,.0f} replications/s")
    print(f"{'v2 one model per replication (R = 1)':<46}{slow:>12,.0f} replications/s")
    print(f"{'ratio vectorised / one model each':<46}{fast / slow:>12,.0f}x")
    if old is None:
        print("v1: skipped (needs the git history of the project)")
        return
    v1, v1_months, v1_states = old
    print(f"{f'v1 vectorised ({v1_states} states, {v1_months} months)':<46}{v1:>12,.0f} replications/s"
          f"{v1 * v1_months:>14,.0f} replication-months/s")
    print(f"{'ratio v2 / v1, same 36-month horizon':<46}{fast36 / v1:>12.2f}x")


if __name__ == "__main__":
    main()
