"""One replication watched month by month: the decisions table agrees with the model's own
results for that replication, and watching changes nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model import GuaranteeModel, run_block
from sim.model.outcomes import ACTIONS, RESPONSE_LEVELS
from sim.model.trace import COLUMNS, WatchedModel, trace

from .conftest import SCENARIOS

REPLICATIONS = 12  # traced replications of paris.yaml: enough for probes, violations and answers


@pytest.fixture(scope="module")
def paris():
    return sim.load_scenario(SCENARIOS / "paris.yaml").scenario


def _watch(scenario, replications: int, seed: int) -> list:
    """(trace, the model's own runs row, its states rows) for each replication (the model's results
    equal run_block's: test_watching_changes_nothing)."""
    out = []
    for k in range(replications):
        model = WatchedModel(scenario, replication=k, seed=seed)
        model.run_model()
        res = model.results()
        out.append((model.table(), res.runs.iloc[0], res.states))
        model.release()
    return out


@pytest.fixture(scope="module")
def traced(paris):
    return _watch(paris, REPLICATIONS, seed=11)


def test_watching_changes_nothing(paris):
    model = WatchedModel(paris, replication=3, seed=11)
    while model.running:  # as Mesa's controllers step it
        model.step()
    assert not model.running
    watched = model.results()
    plain = run_block(paris, 1, block=3, seed=11, first_replication=0)
    pd.testing.assert_frame_equal(watched.runs, plain.runs)
    pd.testing.assert_frame_equal(watched.states, plain.states)
    pd.testing.assert_frame_equal(watched.timeline, plain.timeline)
    table = model.table()
    assert list(table.columns) == list(COLUMNS)
    assert table["month"].tolist() == list(range(1, paris.run.horizon_months + 1))
    pd.testing.assert_frame_equal(trace(paris, replication=3, seed=11), table)


def test_russia_actions_add_up_to_the_counts(traced):
    for table, runs, _ in traced:
        acted = table[table["opportunity"]]
        assert (acted["russia"] == "probe").sum() == runs["probes"]
        assert (acted["russia"] == "limited").sum() == runs["limited_violations"]
        assert (acted["russia"] == "major").sum() == runs["major_offensives"]
        assert (table.loc[~table["opportunity"], "russia"] == "comply").all()
        assert set(table["russia"]) <= set(ACTIONS)
        # An action is attributed only if detected; nothing is seen when Russia complies.
        assert not (table["attributed"] & ~table["detected"]).any()
        assert not (table["detected"] & (table["russia"] == "comply")).any()


def test_first_violation_detection_and_attribution(traced):
    seen_any = False
    for table, runs, _ in traced:
        violating = table["russia"].isin(["limited", "major"])
        assert violating.any() == runs["violation"]
        if runs["violation"]:
            first = int(table.loc[violating, "month"].iloc[0])
            assert first - runs["ceasefire_month"] == runs["months_to_violation"]
            assert (table["detected"] & violating).any() == runs["detected"]
            assert (table["attributed"] & violating).any() == runs["attributed"]
            seen_any = True
    assert seen_any


def test_responses_match_the_highest_level_reached(traced):
    answered = 0
    for table, runs, states in traced:
        # Only an attributed action is answered.
        assert (table.loc[~table["attributed"], "us_response"] == "none").all()
        assert (table.loc[~table["attributed"], "responses"].map(len) == 0).all()
        levels = [RESPONSE_LEVELS.index(x) for x in table["us_response"]]
        for pairs in table["responses"]:
            levels += [RESPONSE_LEVELS.index(level) for _, level in pairs]
            answered += bool(pairs)
        assert RESPONSE_LEVELS[max(levels, default=0)] == runs["max_response"]
        by_state = {}
        for pairs in table["responses"]:
            for state, level in pairs:
                by_state[state] = max(by_state.get(state, 0), RESPONSE_LEVELS.index(level))
        for row in states.itertuples():
            assert RESPONSE_LEVELS[by_state.get(row.state, 0)] == row.max_response
    assert answered  # the fixture reaches a state's answer at least once


def test_deployments_votes_and_the_test(traced):
    _check_deployments(traced)


def test_withdrawals(paris):
    # Mandates withdrawn at a support level just under the start: withdrawals in most replications.
    loaded = sim.load_scenario(SCENARIOS / "paris.yaml", overrides={"states.*.mandate.withdraw_below": 0.55})
    assert _check_deployments(_watch(loaded.scenario, 3, seed=11)) > 0


def _check_deployments(traced) -> int:
    """Check deployments, votes, withdrawals, the guarantee's test; return the withdrawals seen."""
    withdrawals = 0
    for table, runs, states in traced:
        deployed = {s for ids in table["deployed"] for s in ids}
        assert deployed == set(states.loc[states["troops"] > 0, "state"].astype(str))
        withdrew = {s for ids in table["withdrew"] for s in ids}
        assert withdrew == set(states.loc[states["withdrew"], "state"].astype(str))
        withdrawals += len(withdrew)
        ratified = {s for ids in table["ratified"] for s in ids}
        assert ratified <= set(states.loc[states["ratified"], "state"].astype(str))
        mandated = {s for ids in table["mandate_passed"] for s in ids}
        assert mandated <= set(states.loc[states["mandate"], "state"].astype(str))
        assert table["force_in_ukraine"].max() == pytest.approx(runs["force_in_ukraine"])
        tests = table.loc[table["guarantee_test"] != "", "guarantee_test"].tolist()
        assert tests == ([] if runs["guarantee_test"] == "no_test" else [runs["guarantee_test"]])
        assert table["collapsed"].sum() == int(runs["collapsed"])
        assert table["guarantee_in_force"].any() == runs["guarantee_in_force"]
        perceived = table["perceived_response"].to_numpy()
        assert np.isnan(perceived[-1]) == np.isnan(runs["perceived_response"])
    return withdrawals


def test_month_events_of_a_block_add_up_to_its_counts(paris):
    """The events kept each month, over a vectorised block, give the runs table's counts."""
    model = GuaranteeModel(paris, replications=300, block=0, seed=5)
    counts = np.zeros((300, len(ACTIONS)), dtype=int)
    for _ in range(model.horizon):
        model.step()
        counts[np.arange(300), model.events.action] += 1
        assert not (model.events.action[~model.events.opportunity] > 0).any()
    runs = model.results().runs
    model.release()
    assert (counts[:, 1] == runs["probes"]).all()
    assert (counts[:, 2] == runs["limited_violations"]).all()
    assert (counts[:, 3] == runs["major_offensives"]).all()
