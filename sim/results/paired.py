"""The difference between two runs with the same seed, replication by replication.

Two runs of the same scenario file with the same seed, replications and block size
share every random draw that their parameters do not change (common random
numbers), so replication i of one is the twin of replication i of the other.  The
difference of an outcome's estimates then has a much narrower interval than two
independent runs would give: the noise common to both cancels.

Every estimate of :mod:`sim.results.summary` (other than a level's) is a ratio over
replications, ``Σ y_i / Σ x_i``: a share is the outcome's count over the
denominator's (y = outcome × in-denominator, x = in-denominator); a quantity's mean
the same with the values; a rate ``12 · Σ events / Σ ceasefire-months`` over the
denominator.  The difference of two ratios over paired units has the delta-method
variance ``Σ z_i² / (n (n − 1))`` with ``z_i = (ya_i − Ra·xa_i)/x̄a − (yb_i − Rb·xb_i)/x̄b``,
which holds even when the two runs' denominators differ (a changed parameter can
change which replications have a ceasefire or a tested guarantee).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.outcomes import Outcome
from .summary import CONFIDENCE, EXPOSURE, _z, denominator


@dataclass(frozen=True)
class Difference:
    """``changed − base`` of one outcome's estimate, with its paired simulation-noise interval."""

    name: str
    value: float
    low: float
    high: float
    level: float = CONFIDENCE


def _ratio_terms(o: Outcome, runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, float]:
    """(y, x, scale): the estimate is ``scale · Σy / Σx`` over all replications."""
    mask = denominator(runs, o.denominator)
    col = runs[o.source]
    if o.kind == "share":
        y = col.astype("boolean").fillna(False).to_numpy(dtype=bool) & mask
        return y.astype(float), mask.astype(float), 1.0
    if o.kind == "quantity":
        v = pd.to_numeric(col, errors="coerce").astype(float).to_numpy()
        m = mask & ~np.isnan(v)
        return np.where(m, v, 0.0), m.astype(float), 1.0
    if o.kind == "rate":
        events = col.to_numpy(dtype=float)
        exposure = runs[EXPOSURE].to_numpy(dtype=float)
        return np.where(mask, events, 0.0), np.where(mask, exposure, 0.0), 12.0
    raise ValueError(f"outcome {o.name}: no paired difference for a {o.kind} outcome")


def paired_difference(o: Outcome, changed: pd.DataFrame, base: pd.DataFrame,
                      confidence: float = CONFIDENCE) -> Difference:
    """The difference ``changed − base`` in ``o``'s estimate between two runs whose replication i
    are twins (same seed, replications and block size), with its paired interval.

    NaNs where either estimate is undefined (an empty denominator); the bounds are NaN with
    fewer than two replications.
    """
    if len(changed) != len(base):
        raise ValueError(f"paired runs need the same replications, found {len(changed)} and {len(base)}")
    ya, xa, scale = _ratio_terms(o, changed)
    yb, xb, _ = _ratio_terms(o, base)
    n = len(ya)
    sa, sb = xa.sum(), xb.sum()
    if n == 0 or sa <= 0 or sb <= 0:
        return Difference(o.name, math.nan, math.nan, math.nan, confidence)
    ra, rb = ya.sum() / sa, yb.sum() / sb
    value = scale * (ra - rb)
    if n < 2:
        return Difference(o.name, float(value), math.nan, math.nan, confidence)
    z = (ya - ra * xa) / (sa / n) - (yb - rb * xb) / (sb / n)
    half = _z(confidence) * scale * math.sqrt(float((z * z).sum()) / (n * (n - 1)))
    return Difference(o.name, float(value), float(value - half), float(value + half), confidence)
