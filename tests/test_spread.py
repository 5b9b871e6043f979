"""The spread across the assumptions (a two-level design), apart from simulation noise.

Closed form: one state whose willingness is uniform on [0, 1] and that deploys
whenever willing, so P(deployed) at an outer point *is* its drawn willingness; the
assumption spread must be the 5th–95th percentile of U(0, 1), [0.05, 0.95], to
within the sampling error of a percentile from K outer points (Z = 4.5 standard
errors: sqrt(q(1 − q)/K) / density, the density of U(0, 1) being 1).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import sim
from sim.results import run as run_io
from sim.scenario.schema import Scenario

Z = 4.5


def world(willingness, delay=None) -> Scenario:
    state = {"id": "FRA", "name": "France", "troops": {"pledge": 5000, "willingness": willingness, "ramp_months": 0}}
    if delay is not None:
        state["parliament"] = {"vote_required": False, "delay_months": delay}
    return Scenario.model_validate({
        "id": "spread", "run": {"horizon_months": 6, "seed": 4}, "ceasefire": {"assumed_month": 0},
        "russia": {"opportunity_per_month": 0.0}, "states": [state],
    })


def test_the_spread_of_an_outcome_equal_to_its_input_is_the_inputs_own_percentiles():
    K, M = 200, 400
    res = sim.run(world({"dist": "uniform", "low": 0.0, "high": 1.0}), replications=500, spread_points=K,
                  spread_inner=M)
    spread = res.summary["deployed"].assumptions
    assert spread.covers == "assumptions" and spread.level == 0.9
    tol = Z * math.sqrt(0.05 * 0.95 / K)
    assert abs(spread.low - 0.05) < tol and abs(spread.high - 0.95) < tol, (spread.low, spread.high)
    # each point's estimate is its own willingness, up to binomial noise of M replications
    table = res.spread
    se = np.sqrt(table["states.FRA.troops.willingness"] * (1 - table["states.FRA.troops.willingness"]) / M)
    assert (abs(table["deployed"] - table["states.FRA.troops.willingness"]) <= Z * se + 1e-9).all()
    # the noise interval of the main run is a different, much narrower thing
    assert res.summary["deployed"].noise.high - res.summary["deployed"].noise.low < 0.2


def test_an_input_that_touches_nothing_gives_no_spread_beyond_noise():
    """The treaty delay of a state that needs no vote moves nothing: its points differ by noise alone,
    which is removed, so the spread is far narrower than the raw points' range."""
    res = sim.run(world(0.5, delay={"dist": "uniform", "low": 1, "high": 9}), replications=500,
                  spread_points=60, spread_inner=200)
    raw = res.spread["deployed"]
    spread = res.summary["deployed"].assumptions
    assert spread.noise_share > 0.5
    assert spread.high - spread.low < 0.5 * (raw.quantile(0.95) - raw.quantile(0.05))


def test_no_uncertain_parameter_no_spread():
    res = sim.run(world(0.5), replications=200, spread_points=10)
    assert res.spread is None and all(e.assumptions is None for e in res.summary.outcomes.values())


def test_the_spread_does_not_depend_on_the_executor_and_survives_the_folder(tmp_path):
    sc = world({"dist": "beta", "a": 2, "b": 2})
    serial = sim.run(sc, replications=300, spread_points=12, spread_inner=100)
    with ThreadPoolExecutor(2) as ex:
        threaded = sim.run(sc, replications=300, spread_points=12, spread_inner=100, executor=ex)
    pd.testing.assert_frame_equal(serial.spread, threaded.spread)
    serial.save(tmp_path / "r")
    back = run_io.load(tmp_path / "r")
    pd.testing.assert_frame_equal(back.spread, serial.spread)
    assert back.summary["deployed"].assumptions == serial.summary["deployed"].assumptions


def test_the_terminal_gives_both_and_says_which_to_quote(tmp_path, capsys):
    from sim.cli import main

    path = tmp_path / "w.yaml"
    path.write_text(
        "id: w\nrun: {horizon_months: 6, replications: 400, seed: 1}\nceasefire: {assumed_month: 0, assumption: given}\n"
        "russia: {opportunity_per_month: {value: 0, assumption: quiet}}\n"
        "states:\n  - id: FRA\n    name: France\n    assumption: fixture\n"
        "    troops: {pledge: 5000, ramp_months: 0, willingness: {dist: uniform, low: 0.2, high: 0.8}}\n"
    )
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-figures", "--spread-points", "10"]) == 0
    out = capsys.readouterr().out
    assert "95% simulation-noise interval" in out and "90% spread across the assumptions" in out
    assert "the one to quote" in out
    assert (tmp_path / "out" / "spread.parquet").is_file()
    with pytest.raises(AssertionError):
        assert "95% interval" in out.replace("95% simulation-noise interval", "")
