"""Scenario discovery: the boxes of input space in which an outcome happens (PRIM, EMA Workbench).

The cases are a run's replications in the outcome's denominator, each with the
uncertain inputs it drew (``inputs.parquet``); a case is **of interest** when a
share outcome happened (``activated`` among the replications whose guarantee
was tested), or when a rate or quantity lies above a threshold.  PRIM
(``ema_workbench.analysis.prim``) peels the input space down to a box where the
cases of interest are dense, then the next box on the cases left.  Each box is
described by:

* **coverage** — the share of all cases of interest that fall in the box;
* **density** — the share of the cases in the box that are of interest (the base
  rate is the density of the whole space);
* **mass** — the share of all cases in the box;
* a second box counts only the cases outside the first, and so on (PRIM's covering);
* for each restricted input its limits and PRIM's quasi-p-values (how likely a
  restriction this good by chance; restrictions above 0.05 are dropped).

Which box on PRIM's peeling trajectory to keep is a trade-off between coverage
and density; the default keeps, among the boxes whose density is at least halfway from the
base rate to 1 (``min_density``), the one with the best balance of the two (the
highest harmonic mean of coverage and density), and the figure shows the whole
trajectory.
"""

from __future__ import annotations

import json
import logging
import math
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.outcomes import Outcome
from ..results import storage
from ..scenario.schema import Level
from . import inputs as words
from . import require
from .sensitivity import outcome_values

#: Restrictions with a quasi-p-value above this are dropped from a box.
SIGNIFICANCE = 0.05
#: PRIM's peeling step and smallest box (shares of the cases).
PEEL_ALPHA, MASS_MIN = 0.05, 0.05
BOXES, LIMITS, TRAJECTORY, ABOUT = "boxes.csv", "limits.csv", "trajectory.csv", "discovery.json"
LEVELS = tuple(Level.names())


@dataclass
class Discovery:
    """PRIM's boxes: ``boxes`` one row per box, ``limits`` one row per restricted input of a box,
    ``trajectory`` every step of each box's peeling (coverage, density, mass, restricted inputs)."""

    boxes: pd.DataFrame
    limits: pd.DataFrame
    trajectory: pd.DataFrame
    about: dict = field(default_factory=dict)

    def write(self, folder: Path) -> None:
        folder = Path(folder)
        for name, frame in ((BOXES, self.boxes), (LIMITS, self.limits), (TRAJECTORY, self.trajectory)):
            tmp = folder / f".{name}.tmp"
            frame.to_csv(tmp, index=False)
            tmp.replace(folder / name)
        storage.write_json(folder / ABOUT, {**self.about, "sentences": sentences(self)})


def load(folder: str | Path) -> Discovery:
    folder = Path(folder)
    about = json.loads((folder / ABOUT).read_text(encoding="utf-8"))
    about.pop("sentences", None)
    return Discovery(pd.read_csv(folder / BOXES), pd.read_csv(folder / LIMITS), pd.read_csv(folder / TRAJECTORY),
                     about)


def cases(inputs: pd.DataFrame, runs: pd.DataFrame, o: Outcome, threshold: float | None = None,
          below: bool = False) -> tuple[pd.DataFrame, np.ndarray, dict]:
    """The inputs of the replications in the outcome's denominator, whether each is of interest, and
    what "of interest" means (in words and numbers)."""
    mask, y = outcome_values(runs, o)
    x = inputs.drop(columns=["replication"], errors="ignore")[mask].reset_index(drop=True)
    if o.kind == "share":
        interest = (y < 0.5) if below else (y > 0.5)
        what = f"'{o.label}' {'did not happen' if below else 'happened'}"
        threshold = None
    else:
        threshold = float(np.median(y)) if threshold is None else float(threshold)
        interest = (y < threshold) if below else (y > threshold)
        what = f"'{o.label}' {'below' if below else 'above'} {threshold:,.4g} {o.unit}"
    return x, interest, {"outcome": o.name, "outcome_label": o.label, "of_interest": what, "threshold": threshold,
                         "below": below, "denominator": o.denominator_label, "cases": int(len(y)),
                         "cases_of_interest": int(interest.sum())}


def _make_prim(prim, x: pd.DataFrame, y: np.ndarray, threshold: float):
    # EMA Workbench 2.x takes the density threshold; 3.x dropped it (the caller chooses the box).
    try:
        return prim.Prim(x, y, threshold=threshold, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)
    except TypeError:
        return prim.Prim(x, y, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN)


def _quasi_p(box, i: int) -> dict:
    values = box.p_values[i] if hasattr(box, "p_values") else box.qp[i]
    return {k: list(v) for k, v in values.items()}


def discover(
    inputs: pd.DataFrame, runs: pd.DataFrame, o: Outcome, threshold: float | None = None, below: bool = False,
    min_density: float | None = None, boxes: int = 2, state_names: dict | None = None,
) -> Discovery:
    """PRIM's boxes for one outcome (at most ``boxes``), each the step of its peeling trajectory with
    the highest harmonic mean of coverage and density among those with density ≥ ``min_density``
    (default halfway from the base rate to 1)."""
    prim = require("ema_workbench.analysis.prim", "EMA Workbench", "scenario discovery")
    x, y, about = cases(inputs, runs, o, threshold, below)
    base = float(y.mean()) if len(y) else math.nan
    if len(y) < 50 or y.all() or not y.any():
        about.update(base_rate=base, note="too few cases, or every case (or none) is of interest: no box to find")
        return Discovery(pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), about)
    min_density = (base + 1) / 2 if min_density is None else float(min_density)
    x = x.loc[:, x.nunique() > 1].astype(float)
    levels = [c for c in x.columns if c.endswith("backstop") or c.endswith("backstop_after")]
    total_interest = int(y.sum())
    remaining = np.ones(len(y), dtype=bool)
    box_rows, limit_rows, steps = [], [], []
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        finder = _make_prim(prim, x, y.astype(int), min_density)
        for b in range(1, boxes + 1):
            box = finder.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory.reset_index(drop=True)
            ok = traj.index[(traj["density"] >= min_density) & (traj["res_dim"] > 0)]
            if len(ok) == 0:
                break
            # Coverage falls and density rises along the trajectory; keep the step that balances them
            # best (their harmonic mean), among those dense enough.
            balance = 2 * traj["coverage"] * traj["density"] / (traj["coverage"] + traj["density"])
            i = int(balance.loc[ok].idxmax())
            box.select(i)
            # Drop the restrictions PRIM could have found by chance (quasi-p-value above 0.05).
            for _ in range(x.shape[1]):
                qp = _quasi_p(box, box._cur_box)
                weak = [k for k, (lo, hi) in qp.items() if min(v for v in (lo, hi) if v is not None and v >= 0)
                        > SIGNIFICANCE] if qp else []
                if not weak:
                    break
                box.drop_restriction(weak[0], box._cur_box)
            cur = box._cur_box
            stats = box.peeling_trajectory.iloc[cur]
            lims = box.box_lims[cur]
            qp = _quasi_p(box, cur)
            # A later box is found on the cases the earlier ones left: its counts are over those cases
            # (coverage stays a share of all cases of interest, as EMA Workbench reports it).
            inside = _in_box(x, lims, qp) & remaining
            remaining &= ~inside
            coverage = float(y[inside].sum() / total_interest)
            density = float(y[inside].mean()) if inside.any() else math.nan
            box_rows.append({"box": int(b), "coverage": coverage, "density": density, "mass": float(inside.mean()),
                             "cases": int(inside.sum()), "cases_of_interest": int(y[inside].sum()),
                             "restricted": len(qp), "trajectory_step": cur,
                             "coverage_of_remaining": float(stats["coverage"]),
                             "density_of_remaining": float(stats["density"])})
            for name in qp:
                lo, hi = float(lims.loc[0, name]), float(lims.loc[1, name])
                full_lo, full_hi = float(x[name].min()), float(x[name].max())
                limit_rows.append({
                    "box": b, "input": name, "input_label": words.label(name, state_names or {}),
                    "low": lo, "high": hi, "input_min": full_lo, "input_max": full_hi,
                    "low_restricted": lo > full_lo, "high_restricted": hi < full_hi,
                    "qp_low": _qp(qp[name][0]), "qp_high": _qp(qp[name][1]),
                    "level": name in levels, "words": _limit_words(name, lo, hi, full_lo, full_hi, name in levels),
                })
            for step, row in box.peeling_trajectory.reset_index(drop=True).iterrows():
                steps.append({"box": b, "step": step, "coverage": float(row["coverage"]),
                              "density": float(row["density"]), "mass": float(row["mass"]),
                              "res_dim": int(row["res_dim"]), "chosen": step == cur})
    about.update(base_rate=base, min_density=min_density, peel_alpha=PEEL_ALPHA, mass_min=MASS_MIN,
                 significance=SIGNIFICANCE, inputs=int(x.shape[1]),
                 numbers={
                     "coverage": "share of all cases of interest that fall in the box",
                     "density": "share of the cases in the box that are of interest (base rate: the whole space's)",
                     "mass": "share of all cases that fall in the box",
                     "qp_low, qp_high": "PRIM's quasi-p-value of the lower / upper limit (restrictions above 0.05 "
                                        "dropped)",
                 })
    if not box_rows:
        about["note"] = f"no box reaches the density {min_density:.0%} (base rate {base:.0%})"
    return Discovery(pd.DataFrame(box_rows), pd.DataFrame(limit_rows), pd.DataFrame(steps), about)


def _qp(v) -> float:
    return float(v) if v is not None and v >= 0 else math.nan


def _in_box(x: pd.DataFrame, lims: pd.DataFrame, restricted: dict) -> np.ndarray:
    inside = np.ones(len(x), dtype=bool)
    for name in restricted:
        inside &= (x[name] >= lims.loc[0, name]).to_numpy() & (x[name] <= lims.loc[1, name]).to_numpy()
    return inside


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _limit_words(name: str, lo: float, hi: float, full_lo: float, full_hi: float, level: bool) -> str:
    if level:
        names = [LEVELS[k] for k in range(int(math.ceil(lo - 1e-9)), int(math.floor(hi + 1e-9)) + 1)
                 if 0 <= k < len(LEVELS)]
        return f"{name} is {' or '.join(names)}"
    if lo > full_lo and hi < full_hi:
        return f"{name} between {_fmt(lo)} and {_fmt(hi)}"
    if lo > full_lo:
        return f"{name} at least {_fmt(lo)}"
    return f"{name} at most {_fmt(hi)}"


def sentences(d: Discovery) -> list[str]:
    """Each box in a sentence: coverage, the limits in words, density against the base rate."""
    a = d.about
    if d.boxes.empty:
        return [f"No box found for {a.get('of_interest', 'the outcome')}: {a.get('note', '')}."]
    out = []
    for _, b in d.boxes.iterrows():
        limits = d.limits[d.limits["box"] == b["box"]]
        parts = [f"{r['input_label']} ({r['words']})" for _, r in limits.iterrows()]
        where = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
        later = int(b["box"]) > 1
        out.append(
            f"Box {int(b['box'])}: in {'a further ' if later else ''}{b['coverage']:.0%} of the "
            f"{a['cases_of_interest']:,} replications where {a['of_interest']} (coverage), {where}; inside this "
            f"box{' (outside the boxes above)' if later else ''} it happened in {b['density']:.0%} of the "
            f"{int(b['cases']):,} replications (density), against {a['base_rate']:.0%} over all {a['cases']:,} "
            f"{a['denominator']}."
        )
    return out


def format_table(d: Discovery) -> str:
    a = d.about
    lines = [f"Cases: the {a['cases']:,} {a['denominator']}; of interest: {a['of_interest']} "
             f"({a['cases_of_interest']:,}, base rate {a['base_rate']:.1%})"]
    if d.boxes.empty:
        lines.append(f"  no box: {a.get('note', '')}")
        return "\n".join(lines)
    lines.append(f"Boxes (PRIM, EMA Workbench; the best balance of coverage and density with density ≥ "
                 f"{a['min_density']:.0%}):")
    for _, b in d.boxes.iterrows():
        lines.append(f"  box {int(b['box'])}: coverage {b['coverage']:.1%}, density {b['density']:.1%}, "
                     f"mass {b['mass']:.1%} ({int(b['cases_of_interest']):,} of interest in {int(b['cases']):,} cases)")
        for _, r in d.limits[d.limits["box"] == b["box"]].iterrows():
            q = [f"{v:.2g}" for v in (r["qp_low"], r["qp_high"]) if v == v]
            lines.append(f"    {r['words']:<55} qp {', '.join(q) or 'n/a'}   {r['input_label']}")
    lines += ["", "What the numbers are:"] + [f"  {k}: {v}" for k, v in a.get("numbers", {}).items()]
    return "\n".join(lines)
