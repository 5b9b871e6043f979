"""A run's summary: one estimate per declared outcome, over that outcome's own denominator.

The outcomes, their labels, units and denominators are declared once in
:mod:`sim.model.outcomes`; this module turns the stored tables (runs, states)
into a typed :class:`Summary` and never retypes a label.  Everything here reads
the stored tables only, so a summary can be recomputed from a results folder
without the model.

Each kind of outcome has its estimator:

* ``share`` — ``k`` of the ``n`` replications in the denominator, with a Wilson
  score interval;
* ``rate`` — events per ceasefire-year, ``12 · Σ events / Σ ceasefire_months``
  over the denominator's replications; a ratio estimator whose interval comes
  from the delta method with replications as the units, so that events bunched
  in some replications widen it (an exact Poisson upper bound when there is no
  event at all);
* ``quantity`` — quantiles, and the mean with a normal (central-limit)
  interval; the median also gets a distribution-free interval from order
  statistics;
* ``level`` — the share of the denominator at each level, each with its
  Wilson interval.

Every interval here is a **simulation-noise interval**: it says how far the
estimate could move with more replications of the same scenario, and nothing
about doubts over the scenario's assumptions.  The spread across those
assumptions is a separate interval with its own place in every estimate
(``assumptions``), left empty until it is computed.

The survival curves (the ceasefire's, and the time to the first violation) are
Kaplan–Meier estimates from :func:`scipy.stats.ecdf` on
:class:`scipy.stats.CensoredData`, with pointwise Greenwood intervals.
"""

from __future__ import annotations

import functools
import math
import warnings
from statistics import NormalDist
from collections.abc import Callable, Iterable
from typing import Annotated, Literal, Union

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ..model.outcomes import BY_NAME, DENOMINATORS, OUTCOMES, RESPONSE_LEVELS, WINDOWS, Outcome

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
CONFIDENCE = 0.95
#: Months of ceasefire per replication: the exposure of every rate.
EXPOSURE = "ceasefire_months"
#: The format of ``summary.json``; a folder with another format was written by another version of sim.
FORMAT = "sim.summary/2"

# scipy.stats costs about a second to import: it is imported where an estimator needs it, and
# the normal quantile comes from the standard library.  For 95% it is written out: Φ⁻¹(0.975)
# correctly rounded (as scipy gives it; NormalDist is one unit in the last place below).
_Z = {CONFIDENCE: 1.959963984540054}


def _z(confidence: float) -> float:
    """The two-sided normal quantile (1.96 for 95%)."""
    return _Z.get(confidence) or NormalDist().inv_cdf(0.5 + confidence / 2)


def _nan_from_none(v):
    return math.nan if v is None else v


def _none_from_nan(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


#: A float that is NaN when undefined (e.g. a share of an empty denominator); null in JSON.
Num = Annotated[float, BeforeValidator(_nan_from_none), PlainSerializer(_none_from_nan, when_used="json")]


# --------------------------------------------------------------------------- estimators


def wilson(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Proportion ``k/n`` with its Wilson score interval; NaNs when ``n == 0``.

    The closed form, as scipy's ``binomtest(k, n).proportion_ci(method="wilson")``
    gives it (a test checks they agree); binomtest also computes an exact p-value
    that is not needed and costs a sweep's parent process a noticeable share of a core.
    """
    if n == 0:
        return (math.nan, math.nan, math.nan)
    z = _z(confidence)
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # In exact arithmetic the bounds are 0 when k = 0 and 1 when k = n; rounding is not.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return (p, low, high)


def ratio_rate(events: np.ndarray, exposure: np.ndarray, per: float = 12.0,
               confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Events per ``per`` units of exposure, ``per · Σ events / Σ exposure``, with its interval.

    The interval treats replications as the units (a ratio estimator): with
    ``R = Σy/Σx`` and residuals ``d_i = y_i − R·x_i``, the delta method gives
    ``Var(R) ≈ Σ d_i² / (n (n − 1) x̄²)``.  Unlike a Poisson interval on the
    total count, it widens when events bunch in some replications (violations
    repeat).  With no event at all the residuals vanish, so the upper bound is
    the exact Poisson one, ``χ²(confidence, 2) / 2 / Σx``.  NaNs when there is
    no exposure; the bounds are NaN with a single replication.
    """
    y = np.asarray(events, dtype=float)
    x = np.asarray(exposure, dtype=float)
    n, total = len(y), float(x.sum())
    if n == 0 or total <= 0:
        return (math.nan, math.nan, math.nan)
    r = float(y.sum()) / total
    if y.sum() == 0:
        from scipy import stats

        return (0.0, 0.0, per * float(stats.chi2.ppf(confidence, 2)) / 2 / total)
    if n < 2:
        return (per * r, math.nan, math.nan)
    d = y - r * x
    se = math.sqrt(float((d * d).sum()) / (n * (n - 1))) / (total / n)
    half = _z(confidence) * se
    return (per * r, per * max(0.0, r - half), per * (r + half))


def mean_interval(x, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of the non-missing values with a normal-approximation interval (NaNs when empty)."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    m = float(x.mean())
    half = _z(confidence) * (float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0)
    return (m, m - half, m + half)


def median_interval(x, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Median with a distribution-free interval from binomial order statistics (NaNs when empty)."""
    x = np.sort(np.asarray(x, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    lo, hi = _order_statistics(n, confidence)
    return (float(np.median(x)), float(x[max(lo - 1, 0)]), float(x[min(hi, n - 1)]))


@functools.lru_cache(maxsize=256)
def _order_statistics(n: int, confidence: float) -> tuple[int, int]:
    from scipy import stats

    a = (1 - confidence) / 2
    # P(X < lo) <= a, so the lo-th order statistic is a lower bound; likewise hi.
    return int(stats.binom.ppf(a, n, 0.5)), int(stats.binom.ppf(1 - a, n, 0.5))


def quantiles(x) -> dict[str, float]:
    """``{"q05": …, "q25": …, "q50": …, "q75": …, "q95": …}`` of the non-missing values."""
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return {_qname(q): math.nan for q in QUANTILES}
    return {_qname(q): float(v) for q, v in zip(QUANTILES, np.quantile(x, QUANTILES))}


def _qname(q: float) -> str:
    return f"q{round(q * 100):02d}"


# --------------------------------------------------------------------------- denominators


def _window(w: int):
    # The model marks a window's outcomes NA where the window does not fit in the horizon.
    return (f"violation_within_{w}",), lambda runs: runs["ceasefire"].to_numpy(bool) & runs[
        f"violation_within_{w}"].notna().to_numpy()


#: How each declared denominator selects its replications: (runs columns read, selector).
SELECTORS: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame], np.ndarray]]] = {
    "all": ((), lambda runs: np.ones(len(runs), dtype=bool)),
    "ceasefire": (("ceasefire",), lambda runs: runs["ceasefire"].to_numpy(bool)),
    "violation": (("violation",), lambda runs: runs["violation"].to_numpy(bool)),
    "attributed": (("attributed",), lambda runs: runs["attributed"].to_numpy(bool)),
    # The guarantee was tested: in force when a violation was first attributed (activated or failed).
    "tested": (("guarantee_test",),
               lambda runs: runs["guarantee_test"].astype(str).isin(["activated", "failed"]).to_numpy()),
    **{f"window_{w}": _window(w) for w in WINDOWS},
}
if set(DENOMINATORS) - set(SELECTORS):  # a new declaration needs its selector here
    raise ImportError(f"denominators without a selector: {sorted(set(DENOMINATORS) - set(SELECTORS))}")


def denominator(runs: pd.DataFrame, name: str) -> np.ndarray:
    """Boolean mask of the replications in the declared denominator ``name``."""
    return SELECTORS[name][1](runs)


def columns_for(outcomes: Iterable[Outcome] = OUTCOMES) -> list[str]:
    """The runs columns needed to estimate ``outcomes`` (a sweep reads only these)."""
    cols = {"ceasefire"}
    for o in outcomes:
        cols.add(o.source)
        cols.update(SELECTORS[o.denominator][0])
        if o.kind == "rate":
            cols.add(EXPOSURE)
    return sorted(cols)


# --------------------------------------------------------------------------- estimates


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Interval(_Model):
    """An interval and what it covers.

    ``covers`` is ``"simulation noise"`` for every interval computed today: the
    uncertainty from running finitely many replications.  The spread across the
    scenario's assumptions will be an interval of its own (``"assumptions"``).
    """

    low: Num
    high: Num
    level: float = CONFIDENCE
    covers: Literal["simulation noise", "assumptions"] = "simulation noise"
    method: str
    #: For an assumption spread: the share of the design points' variance that was their own noise
    #: (removed before the spread was read off; 1 = the assumptions moved nothing measurable).
    noise_share: float | None = None

    @property
    def label(self) -> str:
        """``95% simulation-noise interval`` (or ``95% assumption spread``)."""
        what = "simulation-noise interval" if self.covers == "simulation noise" else "assumption spread"
        return f"{self.level:.0%} {what}"


class _Estimate(_Model):
    """What every estimate has: the outcome's name, the denominator's count, its intervals."""

    name: str
    n: int  # replications in the outcome's denominator
    #: The spread across the scenario's assumptions: not computed yet (None), the place kept for it.
    assumptions: Interval | None = None

    @property
    def outcome(self) -> Outcome:
        return BY_NAME[self.name]

    @property
    def label(self) -> str:
        return self.outcome.label

    @property
    def denominator_label(self) -> str:
        return self.outcome.denominator_label


class ShareEstimate(_Estimate):
    """``k`` of the ``n`` replications in the denominator."""

    kind: Literal["share"] = "share"
    k: int
    p: Num
    noise: Interval

    @property
    def value(self) -> float:
        return self.p

    @property
    def count(self) -> int:
        return self.k


class RateEstimate(_Estimate):
    """``events`` per ceasefire-year over the ``n`` replications in the denominator."""

    kind: Literal["rate"] = "rate"
    events: int
    exposure_years: Num  # ceasefire-years summed over the denominator's replications
    rate: Num
    noise: Interval

    @property
    def value(self) -> float:
        return self.rate

    @property
    def count(self) -> int:
        return self.events


class QuantityEstimate(_Estimate):
    """A number per replication over the ``n`` replications in the denominator."""

    kind: Literal["quantity"] = "quantity"
    mean: Num
    noise: Interval  # of the mean
    quantiles: dict[str, Num]  # q05, q25, q50, q75, q95
    median_noise: Interval  # of the median (q50)

    @property
    def value(self) -> float:
        return self.mean

    @property
    def count(self) -> None:
        return None


class LevelShare(_Model):
    k: int
    p: Num
    noise: Interval


class LevelEstimate(_Estimate):
    """The share of the ``n`` replications in the denominator at each level."""

    kind: Literal["level"] = "level"
    levels: dict[str, LevelShare]

    @property
    def value(self) -> None:
        return None

    @property
    def count(self) -> None:
        return None


Estimate = Annotated[Union[ShareEstimate, RateEstimate, QuantityEstimate, LevelEstimate], Field(discriminator="kind")]

_WILSON = "Wilson score"
_RATIO = "ratio estimator over replications, delta method (exact Poisson bound when there is no event)"
_CLT = "normal approximation to the mean"
_ORDER = "binomial order statistics"


def _interval(low: float, high: float, method: str) -> Interval:
    return Interval(low=low, high=high, method=method)


def share_estimate(name: str, k: int, n: int) -> ShareEstimate:
    p, low, high = wilson(k, n)
    return ShareEstimate(name=name, n=n, k=k, p=p, noise=_interval(low, high, _WILSON))


def estimate(o: Outcome, runs: pd.DataFrame, mask: np.ndarray | None = None):
    """The estimate of one declared outcome over its denominator in ``runs`` (``mask``, when the
    caller has already selected it)."""
    if mask is None:
        mask = denominator(runs, o.denominator)
    n = int(mask.sum())
    col = runs[o.source]
    if o.kind == "share":
        values = col[mask]
        if values.isna().any():
            raise ValueError(f"{o.source} is missing in {int(values.isna().sum())} of the "
                             f"{DENOMINATORS[o.denominator]}")
        return share_estimate(o.name, int(values.astype(bool).sum()), n)
    if o.kind == "rate":
        events = col.to_numpy(dtype=float)[mask]
        exposure = runs[EXPOSURE].to_numpy(dtype=float)[mask]
        rate, low, high = ratio_rate(events, exposure)
        return RateEstimate(name=o.name, n=n, events=int(events.sum()), exposure_years=float(exposure.sum()) / 12,
                            rate=rate, noise=_interval(low, high, _RATIO))
    if o.kind == "quantity":
        x = pd.to_numeric(col[mask], errors="coerce").astype(float).to_numpy()
        mean, low, high = mean_interval(x)
        med, mlow, mhigh = median_interval(x)
        return QuantityEstimate(name=o.name, n=n, mean=mean, noise=_interval(low, high, _CLT),
                                quantiles=quantiles(x), median_noise=_interval(mlow, mhigh, _ORDER))
    if o.kind == "level":
        values = col[mask].astype(str)
        order = list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype) else sorted(set(values))
        tally = values.value_counts()
        levels = {}
        for level in order:
            k = int(tally.get(level, 0))
            p, low, high = wilson(k, n)
            levels[str(level)] = LevelShare(k=k, p=p, noise=_interval(low, high, _WILSON))
        return LevelEstimate(name=o.name, n=n, levels=levels)
    raise ValueError(f"outcome {o.name}: unknown kind {o.kind!r}")


def estimate_outcomes(runs: pd.DataFrame, outcomes: Iterable[Outcome] = OUTCOMES) -> dict:
    """Every outcome's estimate, by name, in declaration order."""
    masks: dict[str, np.ndarray] = {}
    out = {}
    for o in outcomes:
        if o.denominator not in masks:
            masks[o.denominator] = denominator(runs, o.denominator)
        out[o.name] = estimate(o, runs, masks[o.denominator])
    return out


def wide_row(estimates: dict) -> dict:
    """The estimates as one flat row (sweep points, comparisons).

    Shares and rates: ``<name>``, ``<name>_low``, ``<name>_high`` (simulation
    noise), ``<name>_n`` (the denominator's count); quantities:
    ``<name>_mean`` with ``_mean_low``/``_mean_high``, ``<name>_q05 … _q95`` and
    ``<name>_n``; levels: ``<name>_<level>`` shares and ``<name>_n``.
    """
    row: dict = {}
    for name, e in estimates.items():
        if e.kind in ("share", "rate"):
            row[name], row[f"{name}_low"], row[f"{name}_high"] = e.value, e.noise.low, e.noise.high
        elif e.kind == "quantity":
            row[f"{name}_mean"], row[f"{name}_mean_low"], row[f"{name}_mean_high"] = e.mean, e.noise.low, e.noise.high
            row.update({f"{name}_{q}": v for q, v in e.quantiles.items()})
        else:
            row.update({f"{name}_{level}": s.p for level, s in e.levels.items()})
        row[f"{name}_n"] = e.n
    return row


# --------------------------------------------------------------------------- survival


class SurvivalCurve(_Model):
    """A Kaplan–Meier curve by whole month since the ceasefire, as a small table.

    ``survival[i]`` is the share of the replications with a ceasefire in which
    ``event`` (a declared outcome) has not happened by ``months[i]``; ``low``/``high``
    its pointwise simulation-noise interval (Greenwood, log-log); ``at_risk`` the
    replications still under observation at the start of that month; ``events``
    and ``censored`` those leaving in it.  Replications in which it never happened
    are censored when their ceasefire ended (the horizon, or a collapse).
    """

    event: str
    n: int
    months: list[int]
    survival: list[Num]
    low: list[Num]
    high: list[Num]
    at_risk: list[int]
    events: list[int]
    censored: list[int]
    level: float = CONFIDENCE
    covers: Literal["simulation noise"] = "simulation noise"
    method: str = "Kaplan–Meier (scipy.stats.ecdf), Greenwood log-log interval"

    @property
    def label(self) -> str:
        return BY_NAME[self.event].label

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: getattr(self, k) for k in
                             ("months", "survival", "low", "high", "at_risk", "events", "censored")})


def kaplan_meier(event: str, time, happened, confidence: float = CONFIDENCE) -> SurvivalCurve:
    """Kaplan–Meier curve of ``event`` from times (whole months) and whether it happened.

    ``time`` is the month it happened, or the month observation ended (censored).
    """
    t = np.asarray(time, dtype=float)
    e = np.asarray(happened, dtype=bool)
    n = len(t)
    top = int(t.max()) if n else 0
    months = np.arange(0, top + 1)
    at_risk = [int((t >= m).sum()) for m in months]
    events = [int(((t == m) & e).sum()) for m in months]
    censored = [int(((t == m) & ~e).sum()) for m in months]
    if n == 0:
        surv = low = high = np.full(len(months), math.nan)
    elif not e.any():
        surv, low, high = np.ones(len(months)), np.full(len(months), math.nan), np.full(len(months), math.nan)
    else:
        from scipy import stats

        res = stats.ecdf(stats.CensoredData(uncensored=t[e], right=t[~e]))
        surv = res.sf.evaluate(months)
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            # Undefined where S = 1 (before the first event) or S = 0: handled below and left NaN.
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = res.sf.confidence_interval(confidence_level=confidence, method="log-log")
            low, high = ci.low.evaluate(months), ci.high.evaluate(months)
        # Before the first event nothing can be said but S = 1: the interval is the point.
        before = months < t[e].min()
        low, high = np.where(before, 1.0, low), np.where(before, 1.0, high)
    return SurvivalCurve(event=event, n=n, months=months.tolist(), survival=[float(v) for v in surv],
                         low=[float(v) for v in low], high=[float(v) for v in high], at_risk=at_risk,
                         events=events, censored=censored, level=confidence)


def survival_curves(runs: pd.DataFrame) -> dict[str, SurvivalCurve]:
    """The ceasefire's survival (to ``collapsed``) and the time to the first violation.

    Both count months from the ceasefire over the replications with one; the
    ceasefire's own length (``ceasefire_months``) is when observation ends.
    """
    cf = runs.loc[runs["ceasefire"].to_numpy(bool)]
    lasted = cf[EXPOSURE].to_numpy(dtype=float)
    collapsed = cf["collapsed"].to_numpy(bool)
    violated = cf["violation"].to_numpy(bool)
    first = pd.to_numeric(cf["months_to_violation"], errors="coerce").to_numpy(dtype=float)
    return {
        "collapsed": kaplan_meier("collapsed", lasted, collapsed),
        "months_to_violation": kaplan_meier("months_to_violation", np.where(violated, first, lasted), violated),
    }


# --------------------------------------------------------------------------- states


class StateRow(_Model):
    """One state over all replications: expected troops (mean) and shares of replications."""

    state: str
    expected_troops: Num
    expected_troops_low: Num  # 95% simulation-noise interval of the mean
    expected_troops_high: Num
    p_deploys: Num
    p_ratified: Num
    p_mandate: Num
    p_withdrew: Num
    p_military_response: Num


def state_table(states: pd.DataFrame) -> list[StateRow]:
    """Per state: expected troops with its interval, P(deploys), P(ratified), P(mandate),
    P(withdrew), P(military response); largest expected troops first."""
    rows = []
    for state, g in states.groupby("state", observed=True, sort=False):
        troops = g["troops"].to_numpy(dtype=float)
        mean, low, high = mean_interval(troops)
        rows.append(StateRow(
            state=str(state), expected_troops=mean, expected_troops_low=low, expected_troops_high=high,
            p_deploys=float((troops > 0).mean()), p_ratified=float(g["ratified"].mean()),
            p_mandate=float(g["mandate"].mean()), p_withdrew=float(g["withdrew"].mean()),
            p_military_response=float((g["max_response"].astype(str) == RESPONSE_LEVELS[-1]).mean()),
        ))
    return sorted(rows, key=lambda r: -r.expected_troops if r.expected_troops == r.expected_troops else 0.0)


# --------------------------------------------------------------------------- the summary


class Summary(_Model):
    """A run's summary: every declared outcome over its denominator, survival curves, states.

    ``outcomes`` holds one estimate per declaration of :mod:`sim.model.outcomes`,
    in its order; labels, units and denominators come from there (``summary[name].label``).
    """

    format: Literal["sim.summary/2"] = FORMAT
    scenario: str | None = None
    seed: int | None = None
    block_size: int | None = None
    replications: int
    confidence: float = CONFIDENCE
    outcomes: dict[str, Estimate]
    survival: dict[str, SurvivalCurve]
    states: list[StateRow]
    top_contributors: list[StateRow]
    us_backstop: dict[str, Num]  # share of replications at each realised US backstop level
    evidence: dict | None = None  # coverage of the scenario's parameters by facts

    def __getitem__(self, name: str):
        return self.outcomes[name]

    def __repr__(self) -> str:
        from ..notebook import summary_repr  # presentation, imported only when shown

        return summary_repr(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        """Jupyter: every outcome as one table (:mod:`sim.notebook`)."""
        from ..notebook import summary_html

        return summary_html(self)

    @property
    def key(self) -> list:
        """The headline outcomes' estimates, in declaration order."""
        return [e for e in self.outcomes.values() if e.outcome.key]

    def to_dict(self) -> dict:
        """JSON-ready data (NaN as None), the content of ``summary.json``."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        """The summary back from :meth:`to_dict`'s data (e.g. a results folder's summary.json)."""
        if data.get("format") != FORMAT:
            raise ValueError(f"summary format {data.get('format')!r} is not {FORMAT!r}: the results were "
                             "written by another version of sim; run the scenario again")
        return cls.model_validate(data)

    def to_frame(self) -> pd.DataFrame:
        """One row per outcome (one per level for a level outcome): name, label, unit, denominator,
        estimate with its simulation-noise interval (``low``, ``high``), k (events for a rate) and n;
        ``spread_low``/``spread_high``, the spread across the assumptions, NaN where not computed."""
        rows = []
        nan = {"spread_low": math.nan, "spread_high": math.nan}
        for name, e in self.outcomes.items():
            o = e.outcome
            base = {"name": name, "label": o.label, "kind": o.kind, "unit": o.unit,
                    "denominator": o.denominator_label}
            if e.kind == "level":
                for level, s in e.levels.items():
                    rows.append({**base, "level": level, "estimate": s.p, "low": s.noise.low,
                                 "high": s.noise.high, "k": s.k, "n": e.n, "interval": s.noise.label, **nan})
                continue
            spread = nan if e.assumptions is None else {"spread_low": e.assumptions.low,
                                                         "spread_high": e.assumptions.high}
            rows.append({**base, "level": None, "estimate": e.value, "low": e.noise.low, "high": e.noise.high,
                         "k": e.count, "n": e.n, "interval": e.noise.label, **spread})
        frame = pd.DataFrame(rows, columns=["name", "label", "kind", "unit", "denominator", "level", "estimate",
                                            "low", "high", "k", "n", "interval", "spread_low", "spread_high"])
        frame["k"] = frame["k"].astype("Int64")
        return frame


def summarise(runs: pd.DataFrame, states: pd.DataFrame | None, top: int = 5,
              assumptions: dict[str, Interval] | None = None, state_rows: list[StateRow] | None = None,
              **about) -> Summary:
    """The run's :class:`Summary` from its stored tables.

    ``assumptions``: each outcome's assumption spread (:mod:`sim.results.spread`), when computed.
    ``state_rows``: the state table already tallied while the per-state rows were streamed to disk
    (:class:`sim.results.stream.StateTally`), used instead of ``states``.
    ``about`` fills ``scenario``, ``seed``, ``block_size`` and ``evidence``.
    """
    table = state_rows if state_rows is not None else state_table(states)
    levels = runs["us_backstop"].value_counts(normalize=True, sort=False) if len(runs) else {}
    estimates = estimate_outcomes(runs)
    for name, spread in (assumptions or {}).items():
        estimates[name] = estimates[name].model_copy(update={"assumptions": spread})
    return Summary(
        replications=len(runs),
        outcomes=estimates,
        survival=survival_curves(runs),
        states=table,
        top_contributors=table[:top],
        us_backstop={str(k): float(v) for k, v in dict(levels).items()},
        **about,
    )


__all__ = [
    "CONFIDENCE", "Estimate", "Interval", "LevelEstimate", "QUANTILES", "QuantityEstimate",
    "RateEstimate", "ShareEstimate", "StateRow", "Summary", "SurvivalCurve", "columns_for", "denominator",
    "estimate", "estimate_outcomes", "kaplan_meier", "mean_interval", "median_interval", "quantiles",
    "ratio_rate", "share_estimate", "summarise", "survival_curves", "wide_row", "wilson",
]
