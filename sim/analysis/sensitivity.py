"""Which assumptions drive each outcome: variance-based sensitivity from stored results.

Every number here is a share of an outcome's **variance across replications**,
over the replications of its declared denominator (:mod:`sim.model.outcomes`):
for a share outcome the 0/1 of each replication (``activated`` over the
replications whose guarantee was tested), for a rate the replication's own rate
(events per ceasefire-year), for a quantity its value.  That variance has three
parts:

* **single inputs** — the first-order index ``S1`` of an uncertain input is
  ``Var(E[Y | input]) / Var(Y)``: the share of the variance that input explains
  on its own;
* **interactions** — what the inputs do only together;
* **replication noise** — ``E[Var(Y | all inputs)] / Var(Y)``: the replications'
  own chance, which no assumption explains.  For a share outcome it is most of the
  variance (a 0/1 varies even when its probability is known).

The noise is measured directly where the results have a two-level design (outer
draws of the assumptions × inner replications with the assumptions held, as
``spread_runs.parquet`` of a run, or a Sobol/Morris design's points): it is the
pooled variance within a draw.  Each input's share **of the variance the
assumptions cause** is then ``S1 / (1 − noise)``; that is the number to quote
("attribution explains 31% of the spread of activation across the assumptions").
What neither single inputs nor noise explain is the interactions' share.

Methods (SALib):

* ``given`` — from a run's stored inputs and outcomes (one row per replication,
  inputs drawn independently), SALib's RBD-FAST on given data
  (``SALib.analyze.rbd_fast``: Plischke's EASI — the replications sorted by one
  input, the low harmonics of the reordered outcomes are the variance that input
  explains — with Tissot and Prieur's bias correction), which needs no designed
  sample.  Intervals are SALib's bootstrap (half-size resamples) at 95%.  It gives
  first-order indices only.
* ``sobol`` — a Saltelli design (``SALib.sample.sobol``) and ``SALib.analyze.sobol``:
  first-order ``S1`` and total ``ST`` indices with bootstrap intervals.
* ``morris`` — a Morris design and ``SALib.analyze.morris``: ``mu_star`` (the mean
  absolute change of the outcome as the input moves over its whole range, in the
  outcome's unit) and ``sigma`` (how much that change depends on the other inputs).
"""

from __future__ import annotations

import contextlib
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..model.outcomes import BY_NAME, KEY_OUTCOMES, Outcome
from ..results import storage
from ..results.summary import EXPOSURE, denominator
from . import inputs as words
from . import require

GIVEN, SOBOL, MORRIS = "given", "sobol", "morris"
METHODS = (GIVEN, SOBOL, MORRIS)
#: Bootstrap resamples of the given-data indices (each re-sorts every input: the cost of the method).
RESAMPLES = 30
#: RBD-FAST's harmonics (SALib's default).
HARMONICS = 10
#: An outcome needs this many replications in its denominator to be analysed.
MIN_ROWS = 100
CONFIDENCE = 0.95
#: The file names of a sensitivity folder.
INDICES, VARIANCE, ABOUT = "sensitivity.csv", "variance.csv", "sensitivity.json"

METHOD_WORDS = {
    GIVEN: "RBD-FAST on the run's own replications (SALib.analyze.rbd_fast, given data, bias-corrected)",
    SOBOL: "Saltelli design (SALib.sample.sobol) analysed with SALib.analyze.sobol",
    MORRIS: "Morris design (SALib.sample.morris) analysed with SALib.analyze.morris",
}
INDEX_WORDS = {
    "S1": "first-order index: the share of the outcome's variance across replications this input explains alone",
    "ST": "total index: the share it explains alone and with other inputs",
    "mu_star": "mean absolute change of the outcome as the input moves over its whole range (outcome's unit)",
    "sigma": "spread of that change over the other inputs' values (interactions, non-linearity)",
}


# --------------------------------------------------------------------------- outcome values


def analysable(outcome: Outcome) -> bool:
    """Every kind but ``level`` has one number per replication."""
    return outcome.kind != "level"


def outcome_values(runs: pd.DataFrame, o: Outcome) -> tuple[np.ndarray, np.ndarray]:
    """The replications in the outcome's denominator (a mask over ``runs``) and one value each:
    the 0/1 of a share, the rate per ceasefire-year of a rate (replications with no ceasefire
    month are left out), the value of a quantity (missing values left out)."""
    mask = denominator(runs, o.denominator).copy()
    col = runs[o.source]
    if o.kind == "share":
        mask &= col.notna().to_numpy()
        return mask, col[mask].astype(bool).to_numpy(dtype=float)
    if o.kind == "rate":
        exposure = runs[EXPOSURE].to_numpy(dtype=float)
        mask &= exposure > 0
        return mask, 12.0 * col.to_numpy(dtype=float)[mask] / exposure[mask]
    if o.kind == "quantity":
        x = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
        mask &= ~np.isnan(x)
        return mask, x[mask]
    raise ValueError(f"{o.name} is a level outcome: it has no single value per replication")


def point_values(runs: pd.DataFrame, o: Outcome, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A design's per-point estimate of an outcome (NaN where no replication of the point is in its
    denominator), the count n of those replications, and each point's variance within it (ddof=1)."""
    mask, y = outcome_values(runs, o)
    point = runs["point"].to_numpy()[mask]
    n = np.bincount(point, minlength=points).astype(float)
    total = np.bincount(point, weights=y, minlength=points)
    squares = np.bincount(point, weights=y * y, minlength=points)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        within = (squares - n * mean * mean) / (n - 1)
    if o.kind == "rate":  # a point's rate is its events over its exposure, as the summary counts it
        events = np.bincount(point, weights=runs[o.source].to_numpy(dtype=float)[mask], minlength=points)
        months = np.bincount(point, weights=runs[EXPOSURE].to_numpy(dtype=float)[mask], minlength=points)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = 12.0 * events / months
    return mean, n, np.where(n > 1, np.maximum(within, 0.0), np.nan)


def noise_variance(runs: pd.DataFrame, o: Outcome, seed: int = 0, resamples: int = 200) -> tuple[float, float, float, int]:
    """The replications' own variance, pooled within the points of a two-level design
    (``runs`` has a ``point`` column), with a 95% bootstrap interval from resampling the points.
    Returns (variance, low, high, points used)."""
    points = int(runs["point"].max()) + 1
    _, n, within = point_values(runs, o, points)
    ok = n > 1
    if not ok.any():
        return (math.nan, math.nan, math.nan, 0)
    dof, ss = n[ok] - 1, np.nan_to_num(within[ok]) * (n[ok] - 1)
    value = float(ss.sum() / dof.sum())
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(dof), size=(resamples, len(dof)))
    boot = ss[pick].sum(axis=1) / dof[pick].sum(axis=1)
    low, high = np.quantile(boot, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
    return value, float(low), float(high), int(ok.sum())


# --------------------------------------------------------------------------- results


@dataclass
class Sensitivity:
    """Indices (one row per outcome × input × index) and the variance split (one row per outcome)."""

    indices: pd.DataFrame
    variance: pd.DataFrame
    about: dict = field(default_factory=dict)

    @property
    def method(self) -> str:
        return self.about.get("method", GIVEN)

    def for_outcome(self, name: str, index: str | None = None) -> pd.DataFrame:
        rows = self.indices[self.indices["outcome"] == name]
        index = index or primary_index(self.method)
        return rows[rows["index"] == index].sort_values("estimate", ascending=False)

    def write(self, folder: Path) -> None:
        folder = Path(folder)
        _csv(folder / INDICES, self.indices)
        _csv(folder / VARIANCE, self.variance)
        storage.write_json(folder / ABOUT, {**self.about, "sentences": sentences(self)})


def _csv(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def load(folder: str | Path) -> Sensitivity:
    """Read a sensitivity folder written by :meth:`Sensitivity.write`."""
    import json

    folder = Path(folder)
    about = json.loads((folder / ABOUT).read_text(encoding="utf-8"))
    about.pop("sentences", None)
    return Sensitivity(pd.read_csv(folder / INDICES), pd.read_csv(folder / VARIANCE), about)


def primary_index(method: str) -> str:
    return "mu_star" if method == MORRIS else "S1"


def _variance_row(o: Outcome, n: int, y: np.ndarray, noise: tuple[float, float, float, int] | None,
                  first_order: float, **extra) -> dict:
    var = float(np.var(y, ddof=1)) if len(y) > 1 else math.nan
    row = {
        "outcome": o.name, "outcome_label": o.label, "kind": o.kind, "unit": o.unit,
        "denominator": o.denominator_label, "n": n, "mean": float(np.mean(y)) if len(y) else math.nan,
        "variance": var, "noise_share": math.nan, "noise_low": math.nan, "noise_high": math.nan,
        "noise_points": 0, "assumptions_detected": False, "first_order_sum": first_order, "interactions": math.nan,
        "unexplained": 1.0 - first_order if np.isfinite(first_order) else math.nan, **extra,
    }
    if noise is not None and np.isfinite(noise[0]) and var > 0:
        share, low, high = (min(1.0, max(0.0, v / var)) if np.isfinite(v) else math.nan for v in noise[:3])
        row.update(noise_share=share, noise_low=low, noise_high=high, noise_points=noise[3],
                   # Shares of the assumptions' part are quoted only when that part is told from zero.
                   assumptions_detected=bool(high < 1.0) if np.isfinite(high) else bool(share < 1.0),
                   interactions=max(0.0, 1.0 - share - first_order))
    return row


def _index_rows(o: Outcome, method: str, index: str, names: list[str], est, conf, state_names: dict,
                noise_share: float) -> list[dict]:
    rows = []
    assumptions = 1.0 - noise_share if np.isfinite(noise_share) and noise_share < 1 else math.nan
    order = np.argsort(-np.nan_to_num(np.asarray(est, dtype=float), nan=-np.inf))
    rank = np.empty(len(names), dtype=int)
    rank[order] = np.arange(1, len(names) + 1)
    for j, path in enumerate(names):
        e, c = float(est[j]), float(conf[j]) if conf is not None else math.nan
        row = {
            "outcome": o.name, "outcome_label": o.label, "method": method, "index": index,
            "input": path, "input_label": words.label(path, state_names), "description": words.description(path),
            "estimate": e, "low": e - c, "high": e + c, "rank": int(rank[j]),
        }
        if index in ("S1", "ST"):
            scale = 1.0 / assumptions if np.isfinite(assumptions) and assumptions > 0 else math.nan
            row.update(of_assumptions=e * scale, of_assumptions_low=(e - c) * scale,
                       of_assumptions_high=(e + c) * scale)
        rows.append(row)
    return rows


@contextlib.contextmanager
def _fast_periodogram(rbd_fast):
    """RBD-FAST calls scipy.signal.periodogram once per input and resample; scipy's generic
    spectral machinery spends ~1.5 ms a call on set-up for a 10,000-point series.  The same
    one-sided density periodogram (constant detrend, boxcar window) from one real FFT is
    identical (a test checks it) and ~20× cheaper, which keeps ``sensitivity`` under a minute."""
    original = rbd_fast.periodogram
    rbd_fast.periodogram = periodogram
    try:
        yield
    finally:
        rbd_fast.periodogram = original


def periodogram(x: np.ndarray, fs: float = 1.0):
    """scipy.signal.periodogram(x) with its defaults, for a 1-d real series."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    spectrum = np.abs(np.fft.rfft(x - x.mean())) ** 2 / (fs * n)
    if n % 2:
        spectrum[1:] *= 2
    else:
        spectrum[1:-1] *= 2
    return np.fft.rfftfreq(n, 1 / fs), spectrum


def given_data(
    inputs: pd.DataFrame, runs: pd.DataFrame, outcomes: list[Outcome] | None = None,
    design_runs: pd.DataFrame | None = None, state_names: dict | None = None,
    resamples: int = RESAMPLES, seed: int = 0, threads: int = 2,
) -> Sensitivity:
    """First-order indices of every uncertain input for each outcome, from a run's replications.

    ``inputs`` and ``runs`` are the stored tables (one row per replication, in the same order);
    ``design_runs`` the run's two-level design (``spread_runs.parquet``) to measure the replication
    noise from, when there is one.
    """
    rbd_fast = require("SALib.analyze.rbd_fast", "SALib", "sensitivity analysis")
    outcomes = [o for o in (outcomes or list(KEY_OUTCOMES)) if analysable(o)]
    x_all = inputs.drop(columns=["replication"], errors="ignore")
    names = list(x_all.columns)
    if not names:
        raise ValueError("the scenario declares no uncertain parameter: there is nothing to attribute the variance to")
    X = x_all.to_numpy(dtype=float)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}

    def one(i: int, o: Outcome):
        mask, y = outcome_values(runs, o)
        n = int(mask.sum())
        noise = noise_variance(design_runs, o, seed) if design_runs is not None and n else None
        if n < MIN_ROWS or np.ptp(y) == 0:
            note = (f"only {n} replications in its denominator (at least {MIN_ROWS} needed)" if n < MIN_ROWS
                    else "it does not vary in this scenario: nothing to explain")
            return _variance_row(o, n, y, None, math.nan, note=note), []
        si = rbd_fast.analyze(problem, X[mask], y, M=HARMONICS, num_resamples=resamples,
                              conf_level=CONFIDENCE, seed=seed + i)
        s1 = np.asarray(si["S1"], dtype=float)
        row = _variance_row(o, n, y, noise, float(s1.sum()), note="")
        return row, _index_rows(o, GIVEN, "S1", names, s1, np.asarray(si["S1_conf"], dtype=float),
                                state_names or {}, row["noise_share"] if row["assumptions_detected"] else math.nan)

    # Sorting and FFTs release the GIL: two threads take two outcomes at a time.
    with _fast_periodogram(rbd_fast), ThreadPoolExecutor(max(1, threads)) as pool:
        done = list(pool.map(lambda args: one(*args), enumerate(outcomes)))
    variance = [row for row, _ in done]
    rows = [r for _, part in done for r in part]
    about = {
        "method": GIVEN, "method_words": METHOD_WORDS[GIVEN], "replications": len(runs),
        "inputs": len(names), "resamples": resamples, "harmonics": HARMONICS, "seed": seed,
        "confidence": CONFIDENCE,
        "noise_from": ("the run's two-level design: replications within each outer draw of the assumptions"
                       if design_runs is not None else None),
        "numbers": {
            "estimate": INDEX_WORDS["S1"],
            "low, high": "95% bootstrap interval of the estimate (SALib, half-size resamples)",
            "of_assumptions": "the same as a share of the variance the assumptions cause: S1 / (1 − noise share)",
            "noise_share": "share of the variance that is the replications' own chance (pooled within draws)",
            "interactions": "share explained by inputs only together: 1 − noise share − sum of S1",
            "unexplained": "1 − sum of S1: noise and interactions together",
        },
    }
    return Sensitivity(pd.DataFrame(rows), pd.DataFrame(variance), about)


def _analyse_points(method: str, analyse, problem: dict, X: np.ndarray, mean: np.ndarray, noise: np.ndarray,
                    n_total: int, o: Outcome, state_names: dict, levels: int, resamples: int, seed: int):
    """Sobol or Morris indices of one outcome from a design's per-point estimates (``mean``, NaN where
    a point has no replication in the outcome's denominator) and each estimate's noise variance."""
    names = problem["names"]
    empty = int(np.isnan(mean).sum())
    y = np.where(np.isnan(mean), np.nanmean(mean) if empty < len(mean) else 0.0, mean)
    var = float(np.var(y, ddof=1)) if len(y) > 1 else 0.0
    noise_var = float(np.nanmean(noise)) if np.isfinite(noise).any() else math.nan
    if var <= 0 or empty == len(y):
        return _variance_row(o, n_total, y, None, math.nan, points=len(y), empty_points=empty,
                             note="it does not vary over the design: nothing to explain"), []
    rows = []
    if method == SOBOL:
        si = analyse.analyze(problem, y, calc_second_order=False, num_resamples=resamples,
                             conf_level=CONFIDENCE, seed=seed)
        s1 = np.asarray(si["S1"], dtype=float)
        row = _variance_row(o, n_total, y, (noise_var, math.nan, math.nan, len(y)), float(s1.sum()),
                            points=len(y), empty_points=empty, note="")
        scale = row["noise_share"] if row["assumptions_detected"] else math.nan
        rows += _index_rows(o, SOBOL, "S1", names, s1, np.asarray(si["S1_conf"]), state_names, scale)
        # A point's own replication noise differs between any two points, so the total-index
        # estimator counts it as an interaction of every input: remove it (its share of the variance).
        st = np.asarray(si["ST"], dtype=float) - (row["noise_share"] if np.isfinite(row["noise_share"]) else 0.0)
        rows += _index_rows(o, SOBOL, "ST", names, st, np.asarray(si["ST_conf"]), state_names, scale)
    else:
        si = analyse.analyze(problem, X, y, num_resamples=resamples, conf_level=CONFIDENCE,
                             num_levels=levels, seed=seed)
        # The mu* an input that does nothing would get from the points' own noise: its elementary effect
        # is (e1 - e2) / delta, so E|EE| = 2 sqrt(noise / pi) / delta (delta = levels / (2 (levels - 1))).
        delta = levels / (2 * (levels - 1))
        floor = 2 * math.sqrt(noise_var / math.pi) / delta if np.isfinite(noise_var) else math.nan
        row = _variance_row(o, n_total, y, (noise_var, math.nan, math.nan, len(y)), math.nan,
                            points=len(y), empty_points=empty, note="", noise_floor=floor)
        rows += _index_rows(o, MORRIS, "mu_star", names, np.asarray(si["mu_star"], dtype=float),
                            np.asarray(si["mu_star_conf"], dtype=float), state_names, math.nan)
        rows += _index_rows(o, MORRIS, "sigma", names, np.asarray(si["sigma"], dtype=float), None,
                            state_names, math.nan)
    return row, rows


def _design_about(method: str, points: int, inner, inputs: int, resamples: int, seed: int, levels: int) -> dict:
    return {
        "method": method, "method_words": METHOD_WORDS[method], "points": points, "inner": inner,
        "inputs": inputs, "resamples": resamples, "seed": seed, "confidence": CONFIDENCE,
        **({"levels": levels} if method == MORRIS else {}),
        "numbers": {
            **{k: INDEX_WORDS[k] for k in (("S1", "ST") if method == SOBOL else ("mu_star", "sigma"))},
            "low, high": "95% bootstrap interval of the estimate (SALib)",
            "noise_share": "share of the variance of the points' estimates that is their own replication noise",
            **({"ST (noise)": "ST has the noise share removed: noise differs between any two points, so the "
                              "estimator would count it as an interaction of every input"} if method == SOBOL else {}),
            **({"noise_floor": "the mu* an input with no effect would get from the points' own noise alone "
                               "(normal approximation; rough when a point has few replications in the outcome's "
                               "denominator); only inputs whose interval lies above it are named"}
               if method == MORRIS else {}),
        },
    }


def sweep_indices(points: pd.DataFrame, plan, outcomes: list[Outcome] | None = None,
                  resamples: int = 100) -> Sensitivity | None:
    """A Morris or Sobol sweep's indices, from its points table (one estimate of each outcome per
    point, with its simulation-noise interval); None for other designs."""
    from ..experiment.design import design_unit
    from ..results.summary import _z

    method = plan.sweep.design.kind
    if method not in (SOBOL, MORRIS):
        return None
    analyse = require(f"SALib.analyze.{method}", "SALib", f"a {method} analysis")
    X = np.asarray(design_unit(plan.sweep, plan.seed), dtype=float)
    names = list(plan.parameter_paths)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    outcomes = [o for o in (outcomes or list(KEY_OUTCOMES)) if analysable(o)]
    z = _z(CONFIDENCE)
    rows, variance = [], []
    for i, o in enumerate(outcomes):
        col = f"{o.name}_mean" if o.kind == "quantity" else o.name
        if col not in points:
            continue
        mean = points[col].to_numpy(dtype=float)
        se = (points[f"{col}_high"].to_numpy(dtype=float) - points[f"{col}_low"].to_numpy(dtype=float)) / (2 * z)
        row, part = _analyse_points(method, analyse, problem, X, mean, se ** 2, int(points[f"{o.name}_n"].sum()),
                                    o, {}, plan.sweep.design.levels, resamples, plan.seed + i)
        variance.append(row)
        rows += part
    about = _design_about(method, len(points), plan.replications, len(names), resamples, plan.seed,
                          plan.sweep.design.levels)
    about.update(scenario=plan.base.scenario.id, sweep=plan.sweep.id)
    return Sensitivity(pd.DataFrame(rows), pd.DataFrame(variance), about)


def designed(
    method: str, unit: pd.DataFrame, runs: pd.DataFrame, inner: int, outcomes: list[Outcome] | None = None,
    state_names: dict | None = None, levels: int = 4, resamples: int = 100, seed: int = 0,
) -> Sensitivity:
    """Sobol (``S1``, ``ST``) or Morris (``mu_star``, ``sigma``) indices from a design's points.

    ``unit`` holds the design in the unit cube (one column per input, one row per point, in SALib's
    order); ``runs`` its replications with a ``point`` column (``inner`` per point).  Each point's
    outcome is its estimate over its inner replications in the outcome's denominator; a point with
    none there takes the mean of the others (counted in ``empty_points``).
    """
    outcomes = [o for o in (outcomes or list(KEY_OUTCOMES)) if analysable(o)]
    names = list(unit.columns)
    X = unit.to_numpy(dtype=float)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if method == SOBOL:
        analyse = require("SALib.analyze.sobol", "SALib", "a Sobol analysis")
    elif method == MORRIS:
        analyse = require("SALib.analyze.morris", "SALib", "a Morris analysis")
    else:
        raise ValueError(f"unknown design method {method!r}")
    rows, variance = [], []
    for i, o in enumerate(outcomes):
        mean, n, within = point_values(runs, o, len(unit))
        # The noise left in a point's estimate: the replications' variance (pooled over the points, so
        # a point with one replication in the denominator counts too) over the point's count.
        dof = np.where(n > 1, n - 1, 0)
        pooled = float(np.nansum(within * dof) / dof.sum()) if dof.sum() > 0 else math.nan
        noise = np.where(n > 0, pooled / np.maximum(n, 1), np.nan)
        row, part = _analyse_points(method, analyse, problem, X, mean, noise, int(n.sum()), o, state_names or {},
                                    levels, resamples, seed + i)
        variance.append(row)
        rows += part
    about = _design_about(method, len(unit), inner, len(names), resamples, seed, levels)
    about["noise_from"] = "the replications within each design point (the inputs outside the design keep being drawn)"
    return Sensitivity(pd.DataFrame(rows), pd.DataFrame(variance), about)


# --------------------------------------------------------------------------- words


NOISE_WORDS = {
    GIVEN: "the replications' own chance",
    SOBOL: "noise within a design point (the replications' chance and any uncertain input not in the design)",
    MORRIS: "noise within a design point (the replications' chance and any uncertain input not in the design)",
}


def _noise_text(v) -> str:
    interval = (f" [{_pct(v['noise_low'])}, {_pct(v['noise_high'])}]" if np.isfinite(v["noise_low"]) else "")
    return f"{_pct(v['noise_share'])}{interval}"


def _pct(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    text = f"{100 * x:.0f}%" if abs(x) >= 0.095 else f"{100 * x:.1f}%"
    return "0.0%" if text in ("-0.0%", "-0%") else text


def _over(v) -> str:
    """'the 6,435 replications whose guarantee ...', 'all 10,000 replications'."""
    words = v["denominator"]
    return f"all {v['n']:,} {words[4:]}" if words.startswith("all ") else f"the {v['n']:,} {words}"


def _value(x: float, o: Outcome | None) -> str:
    if not np.isfinite(x):
        return "n/a"
    if o is not None and o.kind == "share":
        return f"{100 * x:.1f} points"
    unit = "" if o is None else f" {o.unit}"
    return f"{x:,.0f}{unit}" if abs(x) >= 100 else f"{x:.3g}{unit}"


def sentences(sens: Sensitivity, top: int = 3) -> list[str]:
    """The top drivers of each outcome in plain sentences, with their numbers and what they are a
    share of; an outcome that no single input explains detectably says so."""
    out = []
    index = primary_index(sens.method)
    for _, v in sens.variance.iterrows():
        o = BY_NAME.get(v["outcome"])
        label = v["outcome_label"]
        if isinstance(v.get("note"), str) and v["note"]:
            out.append(f"'{label}': not analysed — {v['note']}.")
            continue
        rows = sens.for_outcome(v["outcome"], index)
        noise = v["noise_share"]
        if index == "mu_star":
            floor = v.get("noise_floor", math.nan)
            above = rows[rows["low"] > floor] if np.isfinite(floor) else rows
            if above.empty:
                out.append(f"No input moves '{label}' by more than the design points' own noise would "
                           f"({_value(floor, o)} mu*) with these replications per point.")
            for _, r in above.head(top).iterrows():
                out.append(f"{r['input_label']} ({r['input']}) moves '{label}' by {_value(r['estimate'], o)} "
                           f"[{_value(r['low'], o)}, {_value(r['high'], o)}] on average over its whole range "
                           f"(Morris mu*; sigma {_value(sens.for_outcome(v['outcome'], 'sigma').set_index('input').loc[r['input'], 'estimate'], o)}).")
            continue
        known = np.isfinite(noise)
        scaled = known and bool(v["assumptions_detected"])
        detected = rows[rows["low"] > 0].head(top)
        if known:
            out.append(
                f"Of the variance of '{label}' across {_over(v)}, {_noise_text(v)} "
                f"is {NOISE_WORDS[sens.method]}; "
                + (f"the assumptions cause the other {_pct(1 - noise)}." if scaled else
                   f"the assumptions cause at most {_pct(1 - v['noise_low'])}, a part measured too imprecisely to "
                   "share out among them." if np.isfinite(v["noise_low"]) else
                   "the assumptions cause the rest, a part measured too imprecisely to share out among them.")
            )
        for _, r in detected.iterrows():
            if scaled:
                out.append(f"{r['input_label']} ({r['input']}) explains about {_pct(r['of_assumptions'])} "
                           f"[{_pct(r['of_assumptions_low'])}, {_pct(r['of_assumptions_high'])}] of the variance of "
                           f"'{label}' that the assumptions cause ({_pct(r['estimate'])} of its variance across "
                           f"replications).")
            else:
                out.append(f"{r['input_label']} ({r['input']}) explains about {_pct(r['estimate'])} "
                           f"[{_pct(r['low'])}, {_pct(r['high'])}] of the variance of '{label}' across "
                           f"{_over(v)}.")
        if detected.empty:
            out.append(f"No single input explains a share of the variance of '{label}' distinguishable from "
                       f"zero" + (f" (largest: {rows.iloc[0]['input']}, {_pct(rows.iloc[0]['estimate'])} "
                                  f"[{_pct(rows.iloc[0]['low'])}, {_pct(rows.iloc[0]['high'])}])" if len(rows) else "")
                       + ".")
        if scaled and np.isfinite(v["interactions"]):
            out.append(f"Single inputs together explain {_pct(max(0.0, v['first_order_sum']))} of the variance of '{label}'; "
                       f"interactions between inputs the remaining {_pct(v['interactions'])}.")
        elif known and np.isfinite(v["unexplained"]):
            out.append(f"Single inputs together explain {_pct(max(0.0, v['first_order_sum']))} of the variance of '{label}'; "
                       f"the other {_pct(v['unexplained'])} is {NOISE_WORDS[sens.method]} and interactions.")
        elif np.isfinite(v["unexplained"]):
            out.append(f"Single inputs together explain {_pct(max(0.0, v['first_order_sum']))} of the variance of '{label}'; "
                       f"the other {_pct(v['unexplained'])} is replication noise and interactions together "
                       f"(not told apart: these results have no two-level design).")
    return out


def format_table(sens: Sensitivity, top: int = 8) -> str:
    """The indices as plain text for the terminal: per outcome, what its variance splits into, then
    the top inputs with their estimate and interval, and what each number is."""
    index = primary_index(sens.method)
    lines = [f"Method: {sens.about.get('method_words', sens.method)}"]
    for _, v in sens.variance.iterrows():
        lines += ["", f"{v['outcome_label']} — over {_over(v)}"]
        if isinstance(v.get("note"), str) and v["note"]:
            lines.append(f"  not analysed: {v['note']}")
            continue
        if index == "mu_star":
            floor = v.get("noise_floor", math.nan)
            lines.append(f"  points' own noise: {_pct(v['noise_share'])} of the variance of the points' estimates; "
                         f"an input with no effect would get mu* about {_value(floor, BY_NAME.get(v['outcome']))}")
        elif np.isfinite(v["noise_share"]) and not v["assumptions_detected"]:
            lines.append(f"  variance: replication noise {_noise_text(v)}; the assumptions' part is too imprecise "
                         f"to share out (single inputs {_pct(max(0.0, v['first_order_sum']))} of the whole)")
        elif np.isfinite(v["noise_share"]):
            lines.append(f"  variance: replication noise {_noise_text(v)}, assumptions {_pct(1 - v['noise_share'])}"
                         + (f" (single inputs {_pct(v['first_order_sum'])}, interactions {_pct(v['interactions'])})"
                            if np.isfinite(v["interactions"]) else ""))
        elif np.isfinite(v["unexplained"]):
            lines.append(f"  variance: single inputs {_pct(max(0.0, v['first_order_sum']))}; noise and interactions "
                         f"(not told apart) {_pct(v['unexplained'])}")
        rows = sens.for_outcome(v["outcome"], index).head(top)
        if index == "mu_star":
            floor = v.get("noise_floor", math.nan)
            o = BY_NAME.get(v["outcome"])
            scale, unit = (100.0, "points") if o is not None and o.kind == "share" else (1.0, v["unit"])
            lines.append(f"  mu* ({unit}) and its [95% bootstrap interval]")
            for _, r in rows.iterrows():
                mark = "above noise" if np.isfinite(floor) and r["low"] > floor else ""
                lines.append(f"  {scale * r['estimate']:>10.4g} [{scale * r['low']:>9.4g}, {scale * r['high']:>9.4g}]"
                             f"  {mark:11}  {r['input_label']}  ({r['input']})")
            continue
        scaled = "of_assumptions" in rows and rows["of_assumptions"].notna().any()
        head = f"  {'S1':>6} {'[95% bootstrap]':>17}"
        lines.append(head + (f"  {'of assumptions':>14}" if scaled else "") + "  input")
        for _, r in rows.iterrows():
            text = f"  {_pct(r['estimate']):>6} [{_pct(r['low']):>6}, {_pct(r['high']):>6}]"
            if scaled:
                text += f"  {_pct(r['of_assumptions']):>14}"
            lines.append(f"{text}  {r['input_label']}  ({r['input']})")
    lines += ["", "What the numbers are:"]
    for key, text in sens.about.get("numbers", {}).items():
        lines.append(f"  {key}: {text}")
    return "\n".join(lines)
