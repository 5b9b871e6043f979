"""Differences between runs of the same replications: paired simulation-noise intervals.

Runs with one seed, replications and block size use the same random numbers in
replication ``r`` wherever their parameters agree (common random numbers,
:mod:`sim.model.streams`).  Their estimates are then correlated, and the noise
in their difference is far smaller than the two intervals apart suggest.  This
module measures that noise with the pairing, for any number of runs at once
(``compare`` differences each scenario against the first; ``explain`` averages
marginal effects over four runs):

* every estimate of :mod:`sim.results.summary` other than a level's is a ratio
  over replications, ``per · Σ num_r / Σ den_r`` (a share: the denominator's
  replications where it happened over those in the denominator; a rate: events
  over ceasefire-months, ``per`` = 12; a quantity's mean: its values over the
  replications that have one), so each run gives two per-replication columns
  (:func:`parts`);
* a contrast is a weighted sum of such estimates from runs of the same
  replications (``B − A``, or a group's effect averaged over two orders);
* its interval resamples replication *indices*, the same ones in every run (a
  paired bootstrap with a percentile interval, drawn from a
  ``numpy.random.Generator`` seeded through ``SeedSequence``, never global random
  state), so each estimate stays over its own denominator in every resample;
* where every estimate is over all replications, the contrast is the mean of
  per-replication differences, and the closed-form normal interval of that mean
  is used instead.

Every interval is a 95% **simulation-noise** interval: how far more replications
of the same scenarios could move the difference, nothing about the assumptions.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.outcomes import Outcome
from ..model.streams import name_words
from .summary import CONFIDENCE, EXPOSURE, _z, denominator

#: Bootstrap resamples of the replication indices (the percentile bounds' own Monte Carlo error
#: is then a few percent of the interval's width).
RESAMPLES = 2000
#: Resamples drawn at once (bounds the memory of the weight matrix: CHUNK × replications).
CHUNK = 100
PAIRED_BOOTSTRAP = "paired bootstrap over replications (percentile)"
PAIRED_NORMAL = "paired differences, normal approximation (closed form)"
INDEPENDENT = "independent runs, normal approximation (delta method)"


@dataclass(frozen=True)
class Parts:
    """One estimate as a ratio over replications: ``per · Σ num / Σ den``."""

    num: np.ndarray  # float per replication; 0 outside the denominator
    den: np.ndarray  # float per replication; 0 outside the denominator
    per: float = 1.0

    @property
    def value(self) -> float:
        d = float(self.den.sum())
        return math.nan if d == 0 else self.per * float(self.num.sum()) / d

    @property
    def over_all(self) -> bool:
        """Every replication counts once in the denominator (the estimate is a plain mean)."""
        return bool((self.den == 1).all())


def parts(o: Outcome, runs: pd.DataFrame) -> Parts:
    """The per-replication numerator and denominator of outcome ``o`` (a share, rate or quantity)
    over its declared denominator, so that :attr:`Parts.value` is the summary's estimate."""
    mask = denominator(runs, o.denominator)
    col = runs[o.source]
    if o.kind == "share":
        x = col.astype("boolean").fillna(False).to_numpy(dtype=bool)
        return Parts((x & mask).astype(float), mask.astype(float))
    if o.kind == "rate":
        events = col.to_numpy(dtype=float)
        exposure = runs[EXPOSURE].to_numpy(dtype=float)
        return Parts(np.where(mask, events, 0.0), np.where(mask, exposure, 0.0), per=12.0)
    if o.kind == "quantity":
        x = pd.to_numeric(col, errors="coerce").astype(float).to_numpy()
        ok = mask & ~np.isnan(x)  # as the summary's mean: missing values are left out
        return Parts(np.where(ok, x, 0.0), ok.astype(float))
    raise ValueError(f"outcome {o.name}: a {o.kind} outcome has no single estimate to difference")


@dataclass(frozen=True)
class Difference:
    """A contrast of estimates with its 95% simulation-noise interval and how it was computed."""

    value: float
    low: float
    high: float
    method: str


def bootstrap_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The resampling's own seed, from the runs' seed and a name; apart from every model stream
    (whose spawn keys start with a block number, never this word)."""
    return np.random.SeedSequence(entropy=int(seed), spawn_key=(0xB0075, *name_words(name)))


class PairedRuns:
    """Estimates from several runs of the same replications, and paired intervals of their contrasts.

    ``add(key, parts)`` each estimate (key: any hashable, e.g. ``(scenario, outcome)``), then ask
    for ``difference({key: weight, ...})``.  The bootstrap draws one set of resampled replication
    indices for all estimates (once, when first needed), so every contrast is paired across all
    of its runs.
    """

    def __init__(self, replications: int, seed: int, name: str = "paired-differences",
                 resamples: int = RESAMPLES, confidence: float = CONFIDENCE):
        self.n = int(replications)
        self.seed, self.name = int(seed), name
        self.resamples, self.confidence = int(resamples), confidence
        self._parts: dict[Hashable, Parts] = {}
        self._boot: dict[Hashable, np.ndarray] | None = None

    def add(self, key: Hashable, p: Parts) -> None:
        if len(p.num) != self.n:
            raise ValueError(f"{key}: {len(p.num)} replications, expected {self.n} (the same replications)")
        self._parts[key] = p
        self._boot = None

    def value(self, key: Hashable) -> float:
        return self._parts[key].value

    def _resampled(self) -> dict[Hashable, np.ndarray]:
        """Each estimate over the same ``resamples`` resamples of the replication indices."""
        if self._boot is not None:
            return self._boot
        keys = list(self._parts)
        num = np.column_stack([self._parts[k].num for k in keys])
        den = np.column_stack([self._parts[k].den for k in keys])
        per = np.array([self._parts[k].per for k in keys])
        rng = np.random.Generator(np.random.PCG64(bootstrap_seed(self.seed, self.name)))
        uniform = np.full(self.n, 1.0 / self.n)
        out = np.empty((self.resamples, len(keys)))
        for start in range(0, self.resamples, CHUNK):
            rows = min(CHUNK, self.resamples - start)
            # How often each replication index is drawn in each resample: the same for every run.
            w = rng.multinomial(self.n, uniform, size=rows).astype(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[start:start + rows] = per * (w @ num) / (w @ den)
        self._boot = {k: out[:, i] for i, k in enumerate(keys)}
        return self._boot

    def difference(self, weights: Mapping[Hashable, float]) -> Difference:
        """``Σ weight · estimate`` with its paired 95% simulation-noise interval: the closed form when
        every estimate is over all replications, else the paired bootstrap.  NaN when an estimate
        has an empty denominator; NaN bounds when resamples often leave one empty."""
        chosen = {k: float(w) for k, w in weights.items() if w != 0}
        if not chosen:
            return Difference(0.0, 0.0, 0.0, PAIRED_NORMAL)
        value = sum(w * self._parts[k].value for k, w in chosen.items())
        if math.isnan(value):
            return Difference(math.nan, math.nan, math.nan, PAIRED_BOOTSTRAP)
        if all(self._parts[k].over_all for k in chosen):
            d = sum(w * self._parts[k].per * self._parts[k].num for k, w in chosen.items())
            if self.n < 2:
                return Difference(value, math.nan, math.nan, PAIRED_NORMAL)
            half = _z(self.confidence) * float(np.std(d, ddof=1)) / math.sqrt(self.n)
            return Difference(value, value - half, value + half, PAIRED_NORMAL)
        boot = self._resampled()
        draws = sum(w * boot[k] for k, w in chosen.items())
        draws = draws[~np.isnan(draws)]
        if len(draws) < 0.9 * self.resamples:  # a denominator often empty: no honest interval
            return Difference(value, math.nan, math.nan, PAIRED_BOOTSTRAP)
        a = (1 - self.confidence) / 2
        low, high = np.quantile(draws, [a, 1 - a])
        # A contrast that never varies has the point as its interval; keep that exact.
        return Difference(value, min(float(low), value), max(float(high), value), PAIRED_BOOTSTRAP)


def paired_difference(o: Outcome, changed: pd.DataFrame, base: pd.DataFrame, seed: int = 0,
                      confidence: float = CONFIDENCE) -> Difference:
    """``changed − base`` in outcome ``o`` between two runs whose replication r are twins (same
    seed, replications and block size), with its paired 95% simulation-noise interval."""
    if len(changed) != len(base):
        raise ValueError(f"paired runs need the same replications, found {len(changed)} and {len(base)}")
    pair = PairedRuns(len(base), seed, name=f"paired:{o.name}", confidence=confidence)
    pair.add("base", parts(o, base))
    pair.add("changed", parts(o, changed))
    return pair.difference({"changed": 1.0, "base": -1.0})


def independent_difference(a: Parts, b: Parts, confidence: float = CONFIDENCE) -> Difference:
    """``b − a`` for two runs that share no random numbers (different seeds): the normal interval
    with ``√(se_a² + se_b²)``, each ``se`` from the delta method for a ratio over replications.
    What a difference's interval would be without common random numbers."""

    def est_se(p: Parts) -> tuple[float, float]:
        n = len(p.num)
        total = float(p.den.sum())
        if total == 0 or n < 2:
            return math.nan, math.nan
        r = float(p.num.sum()) / total
        resid = p.num - r * p.den
        return p.per * r, p.per * math.sqrt(float((resid ** 2).sum()) / (n * (n - 1))) / (total / n)

    va, sa = est_se(a)
    vb, sb = est_se(b)
    half = _z(confidence) * math.hypot(sa, sb)
    return Difference(vb - va, vb - va - half, vb - va + half, INDEPENDENT)


__all__ = ["Difference", "INDEPENDENT", "PAIRED_BOOTSTRAP", "PAIRED_NORMAL", "PairedRuns", "Parts",
           "bootstrap_seed", "independent_difference", "paired_difference", "parts"]
