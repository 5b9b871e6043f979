"""Instructions executed by ``sim.run`` on paris.yaml: this tree against model v1 (from git).

Wall-clock ratios on a shared VM drift; instruction counts do not.  Each side runs in
a child process under ``valgrind --tool=callgrind`` with collection switched on only
around one ``sim.run`` call (imports, loading and a warm-up are not counted), on its
own ``scenarios/paris.yaml`` cut to the same 36-month horizon.  Needs valgrind and the
project's git history; takes a minute or two.  Instructions are not time (memory
traffic is not counted), so this checks the wall-clock benchmark rather than replacing it.

    python benchmarks/bench_instructions.py [--replications N] [--baseline COMMIT]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from baseline import ROOT, V1_COMMIT, label, unpacked  # benchmarks/baseline.py

CHILD = """
import os, subprocess, sys
import sim
sc = sim.load_scenario("scenarios/paris.yaml").scenario
sc = sc.model_copy(update={"run": sc.run.model_copy(update={"horizon_months": 36})})
sim.run(sc, replications=10)
subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], capture_output=True)
sim.run(sc, replications=int(sys.argv[1]))
subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], capture_output=True)
"""


def instructions(tree: Path, replications: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={tmp}/cg.out",
             sys.executable, "-c", CHILD, str(replications)],
            cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
            check=True)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=2000)
    ap.add_argument("--baseline", default=V1_COMMIT)
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind not found: skipped")
        return
    with unpacked(args.baseline) as tree:
        if tree is None:
            print(f"{args.baseline}: skipped (needs the git history of the project)")
            return
        old = instructions(tree, args.replications)
    new = instructions(ROOT, args.replications)
    name = label(args.baseline)
    print(f"instructions for sim.run on paris.yaml, {args.replications:,} replications, 36 months")
    print(f"  {'this tree':<12}{new:>16,}")
    print(f"  {name:<12}{old:>16,}")
    print(f"  {'ratio ' + name + ' / this tree':<24}{old / new:>6.2f}x")


if __name__ == "__main__":
    main()
