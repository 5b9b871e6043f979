"""Regenerate the tornado figure the README shows: python docs/make_sensitivity_figure.py

It runs `python -m sim sensitivity scenarios/paris.yaml` (its defaults: 10,000
replications and a 100 × 50 two-level design for the noise, the scenario's seed)
into a temporary folder and copies the force-size tornado from there, so the
figure is the one the command leaves in its results folder.
"""

import shutil
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from sim.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUTCOME = "force_in_ukraine"

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "sensitivity"
        status = main(["sensitivity", str(ROOT / "scenarios" / "paris.yaml"), "--out", str(out)])
        if status:
            raise SystemExit(status)
        target = ROOT / "docs" / "img" / f"paris-sensitivity_{OUTCOME}.png"
        shutil.copyfile(out / "figures" / f"sensitivity_{OUTCOME}.png", target)
    print(target)
