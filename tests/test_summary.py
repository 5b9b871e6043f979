"""The summary's estimators against closed forms and hand-worked cases, and its denominators.

Kaplan–Meier comes from scipy; these tests check that it is fed right (times,
events, censoring) and read back right, not scipy itself.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.model.outcomes import DENOMINATORS, OUTCOMES
from sim.results.summary import (
    Summary, kaplan_meier, median_interval, ratio_rate, summarise, survival_curves,
)

from .conftest import SCENARIOS

Z = 1.959963984540054


@pytest.fixture(scope="module")
def paris():
    return sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=1200, seed=21)


# --------------------------------------------------------------------------- Kaplan–Meier


def test_kaplan_meier_without_censoring_is_one_minus_the_ecdf():
    rng = np.random.default_rng(4)
    times = rng.integers(1, 30, size=300)
    curve = kaplan_meier("collapsed", times, np.ones(300, dtype=bool))
    months = np.array(curve.months)
    ecdf = np.array([(times <= m).mean() for m in months])  # by hand, not through scipy
    np.testing.assert_allclose(curve.survival, 1 - ecdf, atol=1e-12)
    assert curve.at_risk[0] == 300 and sum(curve.events) == 300 and sum(curve.censored) == 0


def test_kaplan_meier_with_censoring_matches_a_hand_worked_example():
    # Events at 1, 2, 2, 5; censored at 3 and 6 (six replications).
    # t=1: 6 at risk, 1 event -> 5/6;  t=2: 5 at risk, 2 events -> 5/6 * 3/5 = 1/2;
    # t=3: one censored (3 left);      t=5: 2 at risk, 1 event -> 1/2 * 1/2 = 1/4;  t=6: censored.
    curve = kaplan_meier("months_to_violation", [1, 2, 2, 5, 3, 6], [True, True, True, True, False, False])
    assert curve.months == [0, 1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(curve.survival, [1, 5 / 6, 1 / 2, 1 / 2, 1 / 2, 1 / 4, 1 / 4])
    assert curve.at_risk == [6, 6, 5, 3, 2, 2, 1]
    assert curve.events == [0, 1, 2, 0, 0, 1, 0] and curve.censored == [0, 0, 0, 1, 0, 0, 1]
    # Greenwood: Var(log S) at t=2 = 1/(6·5) + 2/(5·3); the log-log interval brackets S.
    assert all(lo <= s <= hi for lo, s, hi in zip(curve.low, curve.survival, curve.high))
    assert curve.low[0] == curve.high[0] == 1.0


def test_survival_curves_come_from_the_runs_as_declared(paris):
    runs = paris.runs
    curves = survival_curves(runs)
    cf = runs[runs["ceasefire"]]
    first = curves["months_to_violation"]
    assert first.n == len(cf) and first.survival[0] == 1.0
    # In paris every ceasefire starts at month 0, so nothing is censored before month 12 and
    # 1 - S(12) is exactly the share violated within 12 months.
    assert sum(first.censored[:13]) == 0
    assert 1 - first.survival[12] == pytest.approx(paris.summary["violation_within_12"].p, abs=1e-12)
    held = curves["collapsed"]
    assert sum(held.events) == int(cf["collapsed"].sum())
    assert held.events[-1] + held.censored[-1] <= held.at_risk[-1]
    assert all(np.diff(held.survival) <= 1e-15) and all(np.diff(first.survival) <= 1e-15)


def test_ceasefire_length_is_the_collapse_month_for_collapses(paris):
    """The ceasefire's survival reads `ceasefire_months` as the time to collapse: check that reading."""
    r = paris.runs[paris.runs["collapsed"]]
    lasted = r["collapse_month"].astype(float) - r["ceasefire_month"].astype(float)
    np.testing.assert_array_equal(lasted.to_numpy(), r["ceasefire_months"].to_numpy(dtype=float))


# --------------------------------------------------------------------------- rates, medians


def test_rate_is_events_per_ceasefire_year_with_a_delta_method_interval():
    events = np.array([0, 1, 3, 0, 2, 5, 1, 0])
    months = np.array([12, 24, 36, 6, 24, 60, 12, 3])
    rate, low, high = ratio_rate(events, months)
    r = events.sum() / months.sum()
    assert rate == pytest.approx(12 * r)
    d = events - r * months
    se = math.sqrt((d * d).sum() / (len(d) * (len(d) - 1))) / months.mean()
    assert low == pytest.approx(12 * (r - Z * se)) and high == pytest.approx(12 * (r + Z * se))
    # No event at all: zero, with the exact Poisson upper bound -ln(0.05)/T.
    rate, low, high = ratio_rate(np.zeros(4), np.array([12, 12, 12, 12]))
    assert (rate, low) == (0.0, 0.0) and high == pytest.approx(-math.log(0.05) / 4)
    assert all(math.isnan(v) for v in ratio_rate(np.zeros(3), np.zeros(3)))


def test_median_interval_matches_order_statistics():
    # n = 100: the 95% distribution-free interval runs from the 40th to the 61st order statistic.
    assert median_interval(np.arange(1, 101)) == (50.5, 40.0, 61.0)
    assert all(np.isnan(median_interval(np.array([]))))


# --------------------------------------------------------------------------- denominators


def _denominator_by_hand(runs: pd.DataFrame, name: str, horizon: int) -> np.ndarray:
    cf = runs["ceasefire"].to_numpy(bool)
    if name == "all":
        return np.ones(len(runs), bool)
    if name in ("ceasefire", "violation", "attributed"):
        return runs[name].to_numpy(bool)
    if name == "tested":
        return runs["guarantee_test"].astype(str).isin(["activated", "failed"]).to_numpy()
    w = int(name.removeprefix("window_"))
    return cf & (runs["ceasefire_month"].fillna(10**6).to_numpy(dtype=float) + w <= horizon)


def test_every_outcome_is_over_its_own_denominator(paris):
    runs, summary = paris.runs, paris.summary
    horizon = paris.scenario.run.horizon_months
    assert list(summary.outcomes) == [o.name for o in OUTCOMES]
    for o in OUTCOMES:
        mask = _denominator_by_hand(runs, o.denominator, horizon)
        e = summary[o.name]
        assert e.n == int(mask.sum()), o.name
        assert e.label == o.label and e.denominator_label == DENOMINATORS[o.denominator]
        if o.kind == "share":
            assert e.k == int(runs.loc[mask, o.source].astype(bool).sum()), o.name
            assert e.p == pytest.approx(e.k / e.n if e.n else math.nan, nan_ok=True)
            assert e.noise.label == "95% simulation-noise interval" and e.assumptions is None
        elif o.kind == "rate":
            assert e.events == int(runs.loc[mask, o.source].sum())
            assert e.rate == pytest.approx(12 * e.events / runs.loc[mask, "ceasefire_months"].sum())
        elif o.kind == "quantity":
            x = pd.to_numeric(runs.loc[mask, o.source]).astype(float)
            assert e.mean == pytest.approx(x.mean(), nan_ok=True)
            assert e.quantiles["q50"] == pytest.approx(x.median(), nan_ok=True)
        else:
            assert sum(s.k for s in e.levels.values()) == e.n
    # The funnel's nesting, through the counts.
    s = summary
    assert s["activated"].k + s["failed"].k == s["activated"].n
    assert s["no_guarantee"].k + s["activated"].n == s["no_guarantee"].n == s["attributed"].k
    assert s["attributed"].n == s["violation"].k


def test_to_dict_from_dict_and_frame(paris):
    s = paris.summary
    data = s.to_dict()
    back = Summary.from_dict(data)
    assert back.to_dict() == data
    frame = s.to_frame()
    levels = sum(len(e.levels) for e in s.outcomes.values() if e.kind == "level")
    assert len(frame) == len(OUTCOMES) - 1 + levels
    row = frame.set_index("name").loc["activated"]
    e = s["activated"]
    assert (row["label"], row["denominator"], row["k"], row["n"]) == (e.label, e.denominator_label, e.k, e.n)
    assert (frame["interval"] == "95% simulation-noise interval").all()
    with pytest.raises(ValueError, match="another version of sim"):
        Summary.from_dict({**data, "format": "sim.summary/1"})


def test_empty_denominators_give_nan_not_errors(paris):
    runs = paris.runs.copy()
    runs["ceasefire"] = False
    for col in ("violation", "attributed"):
        runs[col] = False
    runs["guarantee_test"] = pd.Categorical(["no_test"] * len(runs), categories=runs["guarantee_test"].cat.categories)
    s = summarise(runs, paris.states)
    assert s["activated"].n == 0 and math.isnan(s["activated"].p)
    assert math.isnan(s["violations_per_year"].rate)
    assert s.survival["collapsed"].n == 0
    assert Summary.from_dict(s.to_dict()).to_dict() == s.to_dict()


def test_wilson_bounds_agree_with_scipy(paris):
    e = paris.summary["force_ge_minimum"]
    ci = stats.binomtest(e.k, e.n).proportion_ci(confidence_level=0.95, method="wilson")
    assert e.noise.low == pytest.approx(ci.low, abs=1e-12) and e.noise.high == pytest.approx(ci.high, abs=1e-12)
