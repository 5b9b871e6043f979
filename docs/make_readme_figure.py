"""Regenerate the run figures the README shows: python docs/make_readme_figure.py

It runs scenarios/paris.yaml with its own replications and seed and the two-level
design `run` uses by default (40 draws of the uncertain parameters), so the figures
are the ones `python -m sim scenarios/paris.yaml` leaves in its results folder.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import sim  # noqa: E402
from sim.figures import force_distribution, outcome_funnel, timeline_fan  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    result = sim.run(sim.load_scenario(ROOT / "scenarios" / "paris.yaml"), spread_points=40)
    for name, draw in (("force_distribution", force_distribution), ("outcome_funnel", outcome_funnel),
                       ("timeline_fan", timeline_fan)):
        out = ROOT / "docs" / "img" / f"paris-{name}.png"
        draw(result).savefig(out, dpi=110)
        print(out)
