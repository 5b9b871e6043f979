"""Paired differences in `compare` (common random numbers), and scenarios that are not alike."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D

import sim
from sim import figures
from sim.cli import main
from sim.model.outcomes import BY_NAME, KEY_OUTCOMES
from sim.results.compare import DIFFERENCED, difference_text, differences, unlike_warning
from sim.results.differences import (PAIRED_BOOTSTRAP, PAIRED_NORMAL, PairedRuns, Parts, independent_difference,
                                     parts)

from .conftest import SCENARIOS

PARIS = SCENARIOS / "paris.yaml"
REPS = 2000


@pytest.fixture(scope="module")
def resolve():
    """Paris, and Paris with every state's executive more resolved: the same seed (paired) and,
    for the unpaired comparison, another seed."""
    base = sim.run(sim.load_scenario(PARIS), replications=REPS, seed=5)
    loaded = sim.load_scenario(PARIS, overrides={"states.*.resolve": 0.9})
    return base, sim.run(loaded, replications=REPS, seed=5), sim.run(loaded, replications=REPS, seed=6)


def test_the_paired_interval_is_much_narrower_than_from_independent_seeds(resolve):
    """Same seed: replication r of both scenarios draws the same numbers, and the noise common to
    both cancels in the difference.  Independent seeds: none cancels.  Both agree on the sign."""
    base, same, other = resolve
    diffs = differences([base, same]).set_index("outcome")
    # Measured: a quarter to a third of the width for violations; collapses are rare and mostly
    # prevented outright by more resolve, so less of their noise is shared (about 0.7).
    for name, ratio in (("violation", 0.5), ("violations_per_year", 0.5), ("collapsed", 0.9)):
        o = BY_NAME[name]
        row = diffs.loc[name]
        unpaired = independent_difference(parts(o, base.runs), parts(o, other.runs))
        assert row["high"] - row["low"] < ratio * (unpaired.high - unpaired.low), name
        assert row["high"] < 0 and unpaired.high < 0, name  # more resolve: fewer violations, both say so


def test_each_difference_is_the_difference_of_the_two_estimates(resolve):
    base, same, _ = resolve
    diffs = differences([base, same])
    assert set(diffs["outcome"]) == {o.name for o in DIFFERENCED}
    for row in diffs.itertuples():
        want = same.summary[row.outcome].value - base.summary[row.outcome].value
        assert row.difference == pytest.approx(want, abs=1e-12, nan_ok=True)
        assert row.n == same.summary[row.outcome].n and row.against_n == base.summary[row.outcome].n
        if not math.isnan(row.difference):
            assert row.low <= row.difference <= row.high
    # over all replications the closed form; over a subset (its own denominator) the paired bootstrap
    methods = diffs.set_index("outcome")["method"]
    assert methods["cost_usd_bn"] == PAIRED_NORMAL and methods["activated"] == PAIRED_BOOTSTRAP


def test_a_run_against_itself_differs_by_exactly_nothing(resolve):
    base, _, _ = resolve
    for row in differences([base, base]).itertuples():
        if not math.isnan(row.difference):
            assert (row.difference, row.low, row.high) == (0.0, 0.0, 0.0)


def test_unpaired_runs_are_refused(resolve):
    base, _, other = resolve
    with pytest.raises(ValueError, match="not paired"):
        differences([base, other])


def test_the_paired_bootstrap_agrees_with_the_closed_form():
    """Over all replications the bootstrap's percentile interval is the closed-form normal one, up
    to the bootstrap's own Monte Carlo error; the resampling is seeded, so it repeats exactly."""
    rng = np.random.default_rng(0)
    n = 4000
    common = rng.normal(size=n)
    a = Parts(common + rng.normal(scale=0.3, size=n), np.ones(n))
    b = Parts(common + 0.1 + rng.normal(scale=0.3, size=n), np.ones(n))
    paired = PairedRuns(n, seed=1)
    paired.add("a", a)
    paired.add("b", b)
    closed = paired.difference({"b": 1, "a": -1})
    assert closed.method == PAIRED_NORMAL
    boot = paired._resampled()
    draws = boot["b"] - boot["a"]
    low, high = np.quantile(draws, [0.025, 0.975])
    width = closed.high - closed.low
    assert low == pytest.approx(closed.low, abs=0.06 * width) and high == pytest.approx(closed.high, abs=0.06 * width)
    again = PairedRuns(n, seed=1)
    again.add("a", a)
    again.add("b", b)
    np.testing.assert_array_equal(again._resampled()["a"], boot["a"])


def test_differences_in_plain_words():
    assert difference_text(0.041, 0.029, 0.053, "share") == "+4.1 points [2.9, 5.3]"
    assert difference_text(-0.0129, -0.02, -0.006, "per ceasefire-year") == "-0.013 [-0.020, -0.006] per ceasefire-year"
    assert difference_text(2291.2, 2133, 2449, "troops") == "+2,291 [2,133, 2,449] troops"
    assert difference_text(0.0, 0.0, 0.0, "share") == "+0.00 points [0.00, 0.00]"


# --------------------------------------------------------------------------- compare on the command line


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Two scenarios conditional on a ceasefire (paris, paris-wider-coalition) and one that is not."""
    out = tmp_path_factory.mktemp("mixed") / "out"
    files = [PARIS, SCENARIOS / "paris-wider-coalition.yaml", SCENARIOS / "paris-unconditional.yaml"]
    import contextlib
    import io

    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        assert main(["compare", *map(str, files), "--replications", "500", "--out", str(out)]) == 0
    return out, stdout.getvalue()


def test_compare_prints_and_stores_the_differences_against_the_first(mixed):
    out, text = mixed
    diffs = pd.read_csv(out / "differences.csv", keep_default_na=False, na_values=[""])
    assert set(diffs["scenario"]) == {"paris-wider-coalition", "paris-unconditional"}
    assert set(diffs["against"]) == {"paris"}
    row = diffs[(diffs["scenario"] == "paris-wider-coalition") & (diffs["outcome"] == "force_ge_minimum")].iloc[0]
    assert row["low"] <= row["difference"] <= row["high"] and row["comparable"]
    # the terminal says it in points, against the first scenario
    label = BY_NAME["force_ge_minimum"].label
    line = next(line for line in text.splitlines() if line.strip().startswith(label) and "against paris" in line)
    assert difference_text(row["difference"], row["low"], row["high"], "share") in line
    assert "points [" in line
    assert {p.name for p in (out / "figures").glob("*.png")} == {"comparison.png"}  # one date: no trend


def test_compare_warns_when_some_scenarios_assume_a_ceasefire_and_others_do_not(mixed):
    out, text = mixed
    warning = next(line for line in text.splitlines() if line.startswith("warning:"))
    assert "paris (from month 0)" in warning and "paris-wider-coalition (from month 0)" in warning
    assert "Not conditional" in warning and "paris-unconditional" in warning.split("Not conditional")[1]
    assert "not comparable" in warning
    diffs = pd.read_csv(out / "differences.csv", keep_default_na=False, na_values=[""]).set_index(["scenario", "outcome"])
    # conditional against unconditional: the ceasefire is assumed on one side, the rest not like for like
    assert diffs.loc[("paris-unconditional", "ceasefire"), "note"] == "assumed in paris"
    assert not diffs.loc[("paris-unconditional", "violation"), "comparable"]
    assert diffs.loc[("paris-unconditional", "cost_usd_bn"), "comparable"]  # over all replications
    # two conditional scenarios: alike, but the ceasefire is assumed in both
    assert diffs.loc[("paris-wider-coalition", "ceasefire"), "note"] == "assumed in both"
    assert diffs.loc[("paris-wider-coalition", "violation"), "comparable"]
    ceasefire_line = next(line for line in text.splitlines()
                          if line.strip().startswith(BY_NAME["ceasefire"].label) and "assumed in paris" in line)
    assert "not estimated" in ceasefire_line


def test_alike_scenarios_get_no_warning():
    a = sim.run(sim.load_scenario(PARIS), replications=50, seed=1)
    b = sim.run(sim.load_scenario(SCENARIOS / "paris-wider-coalition.yaml"), replications=50, seed=1)
    assert unlike_warning([a, b]) is None


# --------------------------------------------------------------------------- figures


def _scenario_ticks(ax) -> list[str]:
    return [t.get_text() for t in ax.get_xticklabels()]


def test_the_trend_never_draws_a_line_through_an_assumed_ceasefire(tmp_path):
    """copenhagen (Aug 2025) and paris-2025-09 estimate the ceasefire; paris (Jan 2026) assumes it:
    that point is marked 'assumed' and no line reaches it, nor joins any ceasefire-dependent
    outcome across the two kinds."""
    runs = [sim.run(sim.load_scenario(SCENARIOS / f"{name}.yaml"), replications=200, seed=2)
            for name in ("copenhagen-2025-08", "paris-2025-09", "paris")]
    fig = figures.comparison_trend(runs)
    titles = [ax.get_title(loc="left").replace("\n", " ") for ax in fig.axes]
    slot_paris = 2  # dates in order: Aug 2025, Sep 2025, Jan 2026
    for o in KEY_OUTCOMES:
        if o.kind == "level":
            continue
        ax = fig.axes[titles.index(o.label)]
        drawn = [line for line in ax.get_lines() if line.get_linestyle() not in ("None", "none", "")
                 and len(line.get_xdata()) > 1 and line.get_label() == "trend"]
        if not any(math.isnan(r.summary[o.name].value) for r in runs[:2]):
            assert drawn, o.name  # the two unconditional moments are still joined
        for line in drawn:
            assert slot_paris not in list(line.get_xdata()), o.name
    ceasefire = fig.axes[titles.index(BY_NAME["ceasefire"].label)]
    assumed = [line for line in ceasefire.get_lines() if line.get_label() == "assumed"]
    assert [list(line.get_xdata()) for line in assumed] == [[slot_paris]]
    assert any("assumed" in t.get_text() for t in ceasefire.texts)
    assert figures.save_figure(fig, tmp_path, "trend")[0].stat().st_size > 10_000


def test_the_comparison_figure_shows_the_differences_with_their_intervals(resolve, tmp_path):
    base, same, _ = resolve
    diffs = differences([base, same])
    fig = figures.comparison([base, same], diffs)
    panels = len([o for o in KEY_OUTCOMES if o.kind != "level"])
    assert len(fig.axes) == 2 * panels  # the levels, and below them the differences
    bottom = fig.axes[panels:]
    violation = bottom[[o.name for o in KEY_OUTCOMES if o.kind != "level"].index("violation")]
    row = diffs.set_index("outcome").loc["violation"]
    dots = [line for line in violation.get_lines() if line.get_marker() == "o"]
    assert [pytest.approx(100 * row["difference"])] == list(dots[0].get_xdata())
    bars = violation.collections[0].get_segments()[0]
    np.testing.assert_allclose([bars[0][0], bars[1][0]], [100 * row["low"], 100 * row["high"]])
    assert figures.save_figure(fig, tmp_path, "comparison")[0].stat().st_size > 10_000
