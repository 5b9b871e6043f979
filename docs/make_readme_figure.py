"""Regenerate the figure the README shows: python docs/make_readme_figure.py

It runs scenarios/paris.yaml with its own replications and seed, so the figure
is the one `python -m sim scenarios/paris.yaml` leaves in its results folder.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import sim  # noqa: E402
from sim.figures import force_distribution  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    result = sim.run(sim.load_scenario(ROOT / "scenarios" / "paris.yaml"))
    out = ROOT / "docs" / "img" / "paris-force_distribution.png"
    force_distribution(result).savefig(out, dpi=110)
    print(out)
