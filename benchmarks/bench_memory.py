"""Peak memory of `sim run` against the number of replications.

Each size runs `python -m sim run SCENARIO --replications N --no-figures` in a child process
of its own (with the assumption-spread design, as the default command does) and reads that
child's peak resident set size from the kernel (getrusage of the finished child).  The sizes
run one after the other in this one invocation; the ratios are what the README reports.

    python benchmarks/bench_memory.py [--sizes 10000 100000 1000000] [--scenario scenarios/paris.yaml]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB on Linux
"""


def peak_mib(scenario: str, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "sim", "run", scenario, "--replications", str(n), "--no-figures",
               "--out", str(Path(tmp) / "run")]
        out = subprocess.run([sys.executable, "-c", CHILD, *cmd], check=True, capture_output=True, text=True,
                             cwd=ROOT).stdout
    return int(out.strip().splitlines()[-1]) / 1024


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "paris.yaml"))
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    args = ap.parse_args(argv)
    base = None
    print(f"scenario {Path(args.scenario).name}; peak RSS of `sim run --no-figures` (with the spread design)")
    for n in args.sizes:
        mib = peak_mib(args.scenario, n)
        base = base or mib
        print(f"{n:>12,} replications  {mib:>8,.0f} MiB   {mib / base:>5.2f}x the first size", flush=True)


if __name__ == "__main__":
    main()
