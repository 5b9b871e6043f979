"""Paired differences between two runs with the same seed (common random numbers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model.outcomes import BY_NAME, OUTCOMES
from sim.results.differences import paired_difference
from sim.results.summary import mean_interval

from .conftest import SCENARIOS


@pytest.fixture(scope="module")
def pair():
    base = sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=1500, seed=3)
    changed = sim.run(sim.load_scenario(SCENARIOS / "paris.yaml", overrides={"united_states.honour": 0.9,
                                                                             "states.*.resolve": 0.8}),
                      replications=1500, seed=3)
    return changed, base


def test_a_run_against_itself_differs_by_nothing(pair):
    _, base = pair
    for o in OUTCOMES:
        if o.kind == "level":
            continue
        d = paired_difference(o, base.runs, base.runs)
        if math.isnan(d.value):
            continue
        assert (d.value, d.low, d.high) == (0.0, 0.0, 0.0)


def test_the_difference_is_the_difference_of_the_estimates(pair):
    changed, base = pair
    for o in OUTCOMES:
        if o.kind == "level":
            continue
        d = paired_difference(o, changed.runs, base.runs)
        expected = changed.summary[o.name].value - base.summary[o.name].value
        assert d.value == pytest.approx(expected, abs=1e-12, nan_ok=True)
        if not math.isnan(d.value):
            assert d.low <= d.value <= d.high


def test_pairing_narrows_the_interval(pair):
    """Under common random numbers the paired interval is narrower than two independent ones."""
    changed, base = pair
    for name in ("violation", "collapsed", "violations_per_year"):
        d = paired_difference(BY_NAME[name], changed.runs, base.runs)
        a, b = changed.summary[name].noise, base.summary[name].noise
        independent = math.hypot(a.high - a.low, b.high - b.low) / 2
        assert (d.high - d.low) / 2 < independent
        assert d.value < 0  # more resolve: fewer violations and collapses


def test_closed_form_when_the_denominator_is_every_replication():
    rng = np.random.default_rng(1)
    a = pd.DataFrame({"ceasefire": rng.random(400) < 0.6})
    b = pd.DataFrame({"ceasefire": a["ceasefire"] & (rng.random(400) < 0.9)})
    d = paired_difference(BY_NAME["ceasefire"], a, b)
    mean, low, high = mean_interval(a["ceasefire"].astype(float) - b["ceasefire"].astype(float))
    assert (d.value, d.low, d.high) == pytest.approx((mean, low, high))


def test_rate_by_hand():
    """Events per ceasefire-year, with the exposure (months) differing between the runs."""
    a = pd.DataFrame({"ceasefire": [True, True, True, False], "violations": [1, 0, 2, 0],
                      "ceasefire_months": [12, 24, 12, 0]})
    b = pd.DataFrame({"ceasefire": [True, True, False, False], "violations": [0, 0, 0, 0],
                      "ceasefire_months": [12, 12, 0, 0]})
    d = paired_difference(BY_NAME["violations_per_year"], a, b)
    assert d.value == pytest.approx(12 * 3 / 48 - 0.0)
    assert d.low <= d.value <= d.high


def test_runs_of_different_sizes_are_not_paired():
    with pytest.raises(ValueError, match="same replications"):
        paired_difference(BY_NAME["ceasefire"], pd.DataFrame({"ceasefire": [True]}),
                          pd.DataFrame({"ceasefire": [True, False]}))
