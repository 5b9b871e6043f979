"""The spread across the assumptions, from a two-level design's tables.

Each outer point (one draw of every uncertain parameter) gets its own estimate
of every declared outcome from its inner replications.  Those estimates vary
for two reasons: the assumptions differ from point to point, and each point has
only ``inner`` replications of its own chance.  The second is removed before
the spread is read off: the points' estimates are pulled toward their mean by
``sqrt(1 − noise variance / observed variance)`` (the noise variance is the
mean of the points' own squared standard errors), so that their variance is the
assumptions' share alone; the 5th–95th percentile of the pulled estimates is
the **assumption spread**.  It is an interval of its own kind
(``covers = "assumptions"``), never mixed with the simulation-noise interval.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..model.outcomes import OUTCOMES, Outcome
from .summary import CONFIDENCE, Interval, _z, estimate_outcomes

#: The central share of the assumption draws an assumption spread covers.
SPREAD_LEVEL = 0.90


def point_estimates(runs: pd.DataFrame, outcomes: Iterable[Outcome] = OUTCOMES) -> pd.DataFrame:
    """One row per outer point: each outcome's estimate there (share, rate, or the mean of a
    quantity), ``<name>_n`` its denominator's count, ``<name>_se`` its simulation-noise standard error."""
    outcomes = [o for o in outcomes if o.kind != "level"]
    z = _z(CONFIDENCE)
    rows = []
    for point, group in runs.groupby("point", sort=True):
        row: dict = {"point": int(point)}
        for name, e in estimate_outcomes(group.reset_index(drop=True), outcomes).items():
            row[name] = e.value
            row[f"{name}_n"] = e.n
            row[f"{name}_se"] = (e.noise.high - e.noise.low) / (2 * z)
        rows.append(row)
    return pd.DataFrame(rows)


def denoised(values: np.ndarray, se: np.ndarray) -> tuple[np.ndarray, float]:
    """The values pulled toward their mean so that their variance is what the noise does not
    explain; returns them and the share of the observed variance that was noise (0–1)."""
    m = values.mean()
    observed = values.var(ddof=1) if len(values) > 1 else 0.0
    noise = float(np.nanmean(se ** 2)) if len(se) else 0.0
    if observed <= 0:  # every draw gave the same estimate
        return np.full_like(values, m), 0.0
    share_noise = min(1.0, noise / observed)
    return m + (values - m) * np.sqrt(1.0 - share_noise), share_noise


def intervals(table: pd.DataFrame, inner: int, outcomes: Iterable[Outcome] = OUTCOMES) -> dict[str, Interval]:
    """Each outcome's assumption spread over the outer points where it is defined."""
    out = {}
    points = len(table)
    for o in outcomes:
        if o.kind == "level" or o.name not in table:
            continue
        values = table[o.name].to_numpy(dtype=float)
        se = table[f"{o.name}_se"].to_numpy(dtype=float)
        defined = ~np.isnan(values) & ~np.isnan(se)
        if defined.sum() < 2:
            continue
        pulled, share_noise = denoised(values[defined], se[defined])
        lo, hi = np.quantile(pulled, [(1 - SPREAD_LEVEL) / 2, (1 + SPREAD_LEVEL) / 2])
        method = (
            f"5th–95th percentile over {int(defined.sum())} of {points} draws of the uncertain parameters, "
            f"{inner} replications each; the draws' own simulation noise ({share_noise:.0%} of their "
            "variance) removed by pulling them toward their mean"
        )
        out[o.name] = Interval(low=float(lo), high=float(hi), level=SPREAD_LEVEL, covers="assumptions",
                               method=method, noise_share=share_noise)
    return out


def event_curves(runs: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Per outer point and month: the share of its replications with a ceasefire by then, with
    a violation by then, and with the ceasefire collapsed by then (rows: point, month, series)."""
    months = np.arange(1, horizon + 1)
    cf = runs["ceasefire_month"].astype("float").to_numpy()
    first = cf + runs["months_to_violation"].astype("float").to_numpy()
    collapse = runs["collapse_month"].astype("float").to_numpy()
    rows = []
    for point, idx in runs.groupby("point", sort=True).indices.items():
        for series, when in (("ceasefire", cf[idx]), ("violated", first[idx]), ("collapsed", collapse[idx])):
            when = np.where(np.isnan(when), np.inf, when)
            share = (when[None, :] <= months[:, None]).mean(axis=1)
            rows.append(pd.DataFrame({"point": int(point), "month": months, "series": series, "share": share,
                                      "n": len(idx)}))
    return pd.concat(rows, ignore_index=True)


def fan(runs: pd.DataFrame, horizon: int, quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)) -> pd.DataFrame:
    """Per month and series, quantiles across the outer points of the share, with each point's
    binomial noise removed as in :func:`denoised` (the bands of a fan chart)."""
    curves = event_curves(runs, horizon)
    rows = []
    for (series, month), g in curves.groupby(["series", "month"], sort=True):
        p = g["share"].to_numpy(dtype=float)
        se = np.sqrt(p * (1 - p) / g["n"].to_numpy(dtype=float))
        pulled, _ = denoised(p, se)
        qs = np.quantile(pulled, quantiles)
        rows.append({"series": series, "month": int(month), "mean": float(p.mean()),
                     **{f"q{int(q * 100):02d}": float(v) for q, v in zip(quantiles, qs)}})
    return pd.DataFrame(rows)
