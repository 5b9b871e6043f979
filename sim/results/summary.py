"""Summary statistics of a run: probabilities with 95% Wilson intervals, quantiles.

Everything here reads the stored tables (runs, states, timeline) only, so a
summary can be recomputed from a results folder without the model.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from ..model import TEST_OUTCOMES

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CONFIDENCE = 0.95

#: Probabilities reported for every run: column (or test outcome) -> plain-words label.
PROBABILITIES = {
    "ceasefire": "ceasefire within the horizon",
    "ratified": "binding commitment ratified (quorum of capability)",
    "deployed": "any troops deployed in Ukraine",
    "force_ge_minimum": "force in Ukraine ≥ minimum effective size",
    "force_ge_target": "force in Ukraine ≥ target size",
    "violation": "ceasefire violated",
    "detected": "violation detected",
    "attributed": "violation attributed to Russia",
    "held": "test outcome: held (no violation, or no ceasefire)",
    "unattributed": "test outcome: violation not attributed",
    "activated": "test outcome: guarantee activated",
    "failed": "test outcome: attributed, guarantee failed to activate",
}


_Z = {CONFIDENCE: float(stats.norm.ppf(0.5 + CONFIDENCE / 2))}


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Proportion ``k/n`` with its Wilson score interval; NaNs when ``n == 0``.

    The closed form, as scipy's ``binomtest(k, n).proportion_ci(method="wilson")``
    gives it (a test checks they agree); binomtest also computes an exact p-value
    that is not needed and costs a sweep's parent process a noticeable share of a core.
    """
    if n == 0:
        return (math.nan, math.nan, math.nan)
    z = _Z.get(confidence) or float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # In exact arithmetic the bounds are 0 when k = 0 and 1 when k = n; rounding is not.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (p, low, high)


def proportion(k: int, n: int) -> dict:
    p, low, high = wilson(k, n)
    return {"p": p, "low": low, "high": high, "k": int(k), "n": int(n)}


def mean_interval(x: np.ndarray) -> dict:
    """Mean with a normal-approximation 95% interval (fine for the R used here)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return {"mean": math.nan, "low": math.nan, "high": math.nan, "n": 0}
    m = float(x.mean())
    half = stats.norm.ppf(0.5 + CONFIDENCE / 2) * (float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0)
    return {"mean": m, "low": m - half, "high": m + half, "n": n}


def outcome_counts(runs: pd.DataFrame) -> dict[str, int]:
    """Counts behind :data:`PROBABILITIES` (booleans and test outcomes)."""
    counts = {name: int(runs[name].sum()) for name in PROBABILITIES if name in runs.columns}
    tally = runs["test_outcome"].value_counts()
    counts.update({o: int(tally.get(o, 0)) for o in TEST_OUTCOMES})
    return counts


def quantiles(x: pd.Series) -> dict[str, float]:
    x = x.dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return {f"q{int(q * 100):02d}": math.nan for q in QUANTILES}
    return {f"q{int(q * 100):02d}": float(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))}


def state_table(states: pd.DataFrame) -> pd.DataFrame:
    """Per state: expected troops with 95% interval, P(deploys), P(approved), P(assisted)."""
    rows = []
    for state, g in states.groupby("state", observed=True, sort=False):
        troops = g["troops"].to_numpy(dtype=float)
        mi = mean_interval(troops)
        rows.append({
            "state": str(state),
            "expected_troops": mi["mean"],
            "expected_troops_low": mi["low"],
            "expected_troops_high": mi["high"],
            "p_deploys": float((troops > 0).mean()) if len(troops) else math.nan,
            "p_approved": float(g["approved"].mean()),
            "p_assisted": float(g["assisted"].mean()),
        })
    table = pd.DataFrame(rows, columns=[
        "state", "expected_troops", "expected_troops_low", "expected_troops_high",
        "p_deploys", "p_approved", "p_assisted",
    ])
    return table.sort_values("expected_troops", ascending=False, kind="stable").reset_index(drop=True)


def summarise(runs: pd.DataFrame, states: pd.DataFrame, timeline: pd.DataFrame, top: int = 5) -> dict:
    """The run's summary as plain JSON-ready data."""
    n = len(runs)
    counts = outcome_counts(runs)
    probabilities = {name: proportion(counts[name], n) for name in PROBABILITIES}
    attributed = counts["attributed"]
    conditional = {
        "activated_given_attributed": proportion(counts["activated"], attributed),
        "attributed_given_violation": proportion(counts["attributed"], counts["violation"]),
        "violation_given_ceasefire": proportion(counts["violation"], counts["ceasefire"]),
        # Without a ceasefire there is nothing to violate: 'held' then says nothing.
        "held_given_ceasefire": proportion(int((runs["ceasefire"] & ~runs["violation"]).sum()), counts["ceasefire"]),
    }
    in_ceasefire = runs.loc[runs["ceasefire"]]
    levels = runs["us_backstop"].value_counts(normalize=True, sort=False)
    table = state_table(states)
    curves = timeline.copy()
    for col in [c for c in curves.columns if c not in ("month", "replications")]:
        curves[col] = curves[col] / curves["replications"]
    return {
        "replications": n,
        "probabilities": probabilities,
        "conditional": conditional,
        "force_in_ukraine_given_ceasefire": quantiles(in_ceasefire["force_in_ukraine"]),
        "force_nearby_given_ceasefire": quantiles(in_ceasefire["force_nearby"]),
        "troop_contributors": mean_interval(runs["troop_contributors"].to_numpy()),
        "force_in_ukraine_mean": mean_interval(runs["force_in_ukraine"].to_numpy()),
        "deterrence_mean": mean_interval(runs["deterrence"].to_numpy()),
        "cost_usd_bn_mean": mean_interval(runs["cost_usd_bn"].to_numpy()),
        "us_backstop": {str(k): float(v) for k, v in levels.items()},
        "top_contributors": table.head(top).to_dict(orient="records"),
        "states": table.to_dict(orient="records"),
        "timeline_final": {c: float(curves[c].iloc[-1]) for c in curves.columns if c not in ("month", "replications")},
    }
