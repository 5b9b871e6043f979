"""The model: invariants, closed-form cases, monotonicity under common random numbers,
the one-difference test, determinism and flat memory.

Tolerances for stochastic outcomes are derived from the number of replications:
``Z`` standard errors of a binomial proportion, with Z = 4.5 (a false alarm
about once in 150,000 per check, so fixed-seed tests cannot be flaky when the
model is right, while a wrong formula is off by many standard errors).
"""

from __future__ import annotations

import gc
import math
import tracemalloc

import numpy as np
import pandas as pd
import pytest

import sim
from sim.model import GuaranteeModel, run_block
from sim.model.agents import NEVER
from sim.scenario.schema import Level, Scenario

from .conftest import SCENARIOS

Z = 4.5


def within(p_hat: float, p: float, n: int) -> bool:
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    return abs(p_hat - p) <= Z * se + 1e-12


def scenario(**parts) -> Scenario:
    """A scenario from plain dicts (no evidence checks: these are model fixtures)."""
    base = {"id": "fixture", "run": {"horizon_months": 24, "replications": 4000, "block_size": 1000, "seed": 7}}
    for key, value in parts.items():
        base[key] = value
    return Scenario.model_validate(base)


def one_state(willingness=0.6, approval=0.7, **extra) -> Scenario:
    state = {
        "id": "FRA", "name": "France",
        "troops": {"pledge": 5000, "willingness": willingness, "ramp_months": 0},
        "parliament": {"vote_required": True, "approval": approval, "delay_months": 2},
    }
    parts = {"ceasefire": {"assumed_month": 0}, "states": [state]}
    parts.update(extra)
    return scenario(**parts)


def rich() -> Scenario:
    """Every mechanism switched on, with uncertainty everywhere."""
    states = []
    for i, (sid, where, need) in enumerate([
        ("FRA", "ukraine", "none"), ("GBR", "ukraine", "enablers"), ("DEU", "nearby", "political"),
        ("POL", "nearby", "none"), ("ESP", "ukraine", "monitoring"), ("TUR", "ukraine", "none"),
    ]):
        states.append({
            "id": sid, "name": sid,
            "troops": {"pledge": {"dist": "triangular", "low": 1000, "mode": 3000 + 1000 * i, "high": 9000},
                       "willingness": {"dist": "beta", "a": 3, "b": 2}, "deployment": where,
                       "sustainable": {"dist": "uniform", "low": 2000, "high": 8000}},
            "offers": ["training", "logistics"][: i % 3],
            "parliament": {"vote_required": i % 2 == 0, "approval": 0.7, "delay_months": {"dist": "uniform", "low": 1, "high": 8},
                           "erosion_per_month": 0.02},
            "conditions": {"us_backstop_at_least": need, "ceasefire_first": sid != "POL",
                           "months_after_ceasefire": 3 if sid == "FRA" else 0},
            "resolve": {"dist": "uniform", "low": 0.3, "high": 0.9},
            "acceptability_to_russia": 0.5 if sid == "TUR" else 0.1,
        })
    return scenario(
        ceasefire={"monthly_hazard": 0.15},
        ratification={"starts": "ceasefire"},
        package={"multinational_force": {"lead_nations": ["FRA", "GBR"], "posture": "rear"},
                 "monitoring": {"detection": 0.8, "attribution": 0.7},
                 "military_support": {"aid_usd_bn_per_year": 12}},
        united_states={"backstop": {"dist": "choice", "values": ["political", "enablers", "monitoring"]},
                       "congress": {"required": True, "approval": 0.5, "delay_months": 4}},
        russia={"violation_hazard": 0.08, "acceptance": {"without_troops": 0.9}},
        states=states,
    )


def run_model(sc: Scenario, n: int = 4000, seed: int = 11) -> GuaranteeModel:
    model = GuaranteeModel(sc, replications=n, block=0, seed=seed)
    model.run_model()
    return model


# --------------------------------------------------------------------------- invariants


@pytest.fixture(scope="module")
def rich_run():
    sc = rich()
    model = run_model(sc)
    return sc, model, model.results()


def test_no_troops_before_the_ceasefire_where_required(rich_run):
    sc, model, _ = rich_run
    for state in model.coalition:
        started = state.start != NEVER
        if state.ceasefire_first:
            assert np.all(state.start[started] >= model.ceasefire_month[started] + state.wait[started])
        assert np.all(state.peak[~started] == 0)


def test_no_troops_from_a_failed_vote_or_unmet_us_condition(rich_run):
    sc, model, res = rich_run
    level = res.runs["us_backstop"].cat.codes.to_numpy()
    table = res.states
    for state in model.coalition:
        rows = table[table["state"] == state.state_id]
        assert not (rows["troops"].to_numpy()[~rows["approved"].to_numpy()] > 0).any()
        unmet = level < state.required_level
        assert not (state.peak[unmet] > 0).any()


def test_force_never_exceeds_the_contributors_pledge_maxima(rich_run):
    sc, model, res = rich_run
    cap = sum(min(s.troops.pledge.high, s.troops.sustainable.high) for s in sc.states if s.troops.deployment == "ukraine")
    assert res.runs["force_in_ukraine"].max() <= cap
    assert (res.runs["force_in_ukraine"] > 0).any(), "fixture should deploy in some replications"


def test_activation_only_after_an_attributed_violation(rich_run):
    _, _, res = rich_run
    r = res.runs
    activated = r["test_outcome"] == "activated"
    assert activated.any() and (r["test_outcome"] == "failed").any()
    assert (r.loc[activated, "attributed"]).all() and (r.loc[activated, "violation"]).all()
    assert (r.loc[r["attributed"], "detected"]).all()
    assert ((r["test_outcome"] == "held") == ~r["violation"]).all()
    assert ((r["test_outcome"] == "unattributed") == (r["violation"] & ~r["attributed"])).all()
    # violations only after the ceasefire month
    v = r["violation"]
    assert (r.loc[v, "violation_month"] > r.loc[v, "ceasefire_month"]).all()
    # nobody is recorded as assisting without an attributed violation
    s = res.states.merge(r[["replication", "attributed"]], on="replication")
    assert not (s["assisted"] & ~s["attributed"]).any()


def test_cumulative_timeline_curves_never_decrease(rich_run):
    _, _, res = rich_run
    tl = res.timeline
    for col in ("ceasefire", "ratified", "deployed", "violated", "activated"):
        assert (np.diff(tl[col].to_numpy()) >= 0).all(), col
    assert (tl["activated"] <= tl["violated"]).all()
    assert (tl["violated"] <= tl["ceasefire"]).all()


# --------------------------------------------------------------------------- closed forms


def test_single_state_deploys_with_probability_willingness_times_approval():
    p, q, n = 0.6, 0.7, 20_000
    res = run_block(one_state(p, q), n, block=0, seed=3, first_replication=0)
    share = res.runs["deployed"].mean()
    assert within(share, p * q, n), (share, p * q)
    # and it deploys its whole pledge, immediately (ramp 0)
    assert set(res.runs["force_in_ukraine"].unique()) == {0.0, 5000.0}


def test_ceasefire_hazard_gives_geometric_ceasefire_times():
    h, n = 0.05, 20_000
    sc = scenario(ceasefire={"monthly_hazard": h}, russia={"acceptance": {"without_troops": 1.0}},
                  run={"horizon_months": 36, "seed": 1})
    res = run_block(sc, n, block=0, seed=5, first_replication=0)
    tl = res.timeline.set_index("month")
    for t in (1, 6, 12, 36):
        expected = 1 - (1 - h) ** t
        assert within(tl.loc[t, "ceasefire"] / n, expected, n), (t, tl.loc[t, "ceasefire"] / n, expected)


def test_acceptance_scales_the_ceasefire_hazard():
    """With one state of acceptability a sending troops, A = w·(1 − tw·(1 − a))."""
    h, n, w, a = 0.1, 20_000, 0.8, 0.25
    sc = scenario(
        ceasefire={"monthly_hazard": h}, russia={"acceptance": {"without_troops": w, "troop_weight": 1.0}},
        states=[{"id": "FRA", "name": "France", "troops": {"pledge": 1000, "willingness": 1.0},
                 "acceptability_to_russia": a}],
        run={"horizon_months": 1},
    )
    res = run_block(sc, n, block=0, seed=9, first_replication=0)
    assert np.allclose(res.runs["acceptance"], w * a)
    assert within(res.runs["ceasefire"].mean(), h * w * a, n)


def test_zero_violation_hazard_gives_no_violations():
    sc = rich().model_copy(update={"russia": rich().russia.model_copy(update={"violation_hazard": 0.0})})
    res = run_block(sc, 5000, block=0, seed=2, first_replication=0)
    assert not res.runs["violation"].any()
    assert (res.runs["test_outcome"] == "held").all()


def test_attribution_and_activation_probabilities_match_their_closed_forms():
    """One committed state, no US capability: activation given attribution = its resolve;
    attribution given a violation = detection × attribution."""
    d, a, r, n = 0.8, 0.6, 0.35, 40_000
    sc = one_state(1.0, 1.0,
                   russia={"violation_hazard": 0.5},
                   package={"monitoring": {"detection": d, "attribution": a}},
                   united_states={"backstop": "none"},
                   activation={"quorum": 0.5, "require_leads": False})
    # No vote: the state is committed from the start (a violation before a vote would
    # find nobody committed and fail, which is a different closed form).
    state = sc.states[0]
    state = state.model_copy(update={"resolve": r, "parliament": state.parliament.model_copy(update={"vote_required": False})})
    sc = sc.model_copy(update={"states": [state]})
    res = run_block(sc, n, block=0, seed=4, first_replication=0)
    runs = res.runs
    nv = int(runs["violation"].sum())
    assert within(runs.loc[runs["violation"], "attributed"].mean(), d * a, nv)
    na = int(runs["attributed"].sum())
    assert within((runs.loc[runs["attributed"], "test_outcome"] == "activated").mean(), r, na)


def test_us_led_monitoring_falls_back_below_the_monitoring_level():
    n = 40_000
    sc = one_state(1.0, 1.0, russia={"violation_hazard": 0.5},
                   package={"monitoring": {"lead": "united_states", "detection": 0.9, "attribution": 1.0,
                                           "detection_without_us": 0.3}},
                   united_states={"backstop": {"dist": "choice", "values": ["political", "monitoring"]}})
    runs = run_block(sc, n, block=0, seed=6, first_replication=0).runs
    for level, p in (("political", 0.3), ("monitoring", 0.9)):
        v = runs[runs["violation"] & (runs["us_backstop"] == level)]
        assert within(v["detected"].mean(), p, len(v)), (level, v["detected"].mean())


# --------------------------------------------------------------------------- monotonicity (CRN)


def _with_state(sc: Scenario, sid: str, **troops) -> Scenario:
    states = [
        s.model_copy(update={"troops": s.troops.model_copy(update=troops)}) if s.id == sid else s
        for s in sc.states
    ]
    return sc.model_copy(update={"states": states})


def test_raising_a_states_willingness_never_lowers_force_in_ukraine():
    # Conditional on a ceasefire month: with an endogenous ceasefire more troops on the
    # table lower Russia's acceptance and can delay the ceasefire (a modelled effect).
    base = rich().model_copy(update={"ceasefire": rich().ceasefire.model_copy(update={"assumed_month": 2})})
    low = run_block(_with_state(base, "FRA", willingness=0.3), 4000, 0, 21, 0).runs
    high = run_block(_with_state(base, "FRA", willingness=0.8), 4000, 0, 21, 0).runs
    assert (high["force_in_ukraine"].to_numpy() >= low["force_in_ukraine"].to_numpy()).all()
    assert (high["force_in_ukraine"] > low["force_in_ukraine"]).any()


@pytest.mark.parametrize("lower,higher", [("none", "political"), ("political", "enablers"), ("enablers", "direct")])
def test_raising_the_us_backstop_never_lowers_deterrence(lower, higher):
    sc = rich()
    runs = []
    for level in (lower, higher):
        us = sc.united_states.model_copy(update={"backstop": level})
        runs.append(run_block(sc.model_copy(update={"united_states": us}), 4000, 0, 8, 0).runs)
    lo, hi = (r["deterrence"].to_numpy() for r in runs)
    both = ~np.isnan(lo)
    assert (np.isnan(lo) == np.isnan(hi)).all()  # the ceasefire does not depend on the US level
    assert (hi[both] >= lo[both] - 1e-12).all()
    assert (hi[both] > lo[both]).any()


def test_lowering_russias_acceptance_never_brings_the_ceasefire_sooner():
    sc = rich()
    months = []
    for acceptance in (0.9, 0.5, 0.2):
        ru = sc.russia.model_copy(update={"acceptance": sc.russia.acceptance.model_copy(update={"without_troops": acceptance})})
        r = run_block(sc.model_copy(update={"russia": ru}), 4000, 0, 13, 0).runs
        months.append(r["ceasefire_month"].astype("float").fillna(np.inf).to_numpy())
    assert (months[1] >= months[0]).all() and (months[2] >= months[1]).all()
    assert (months[2] > months[0]).any()


# --------------------------------------------------------------------------- one difference


def test_adding_a_state_changes_no_other_states_draws():
    base = rich().model_copy(update={"ceasefire": rich().ceasefire.model_copy(update={"assumed_month": 1})})
    extra = base.states[0].model_copy(update={"id": "NLD", "name": "Netherlands"})
    bigger = base.model_copy(update={"states": [*base.states[:3], extra, *base.states[3:]]})
    a, b = GuaranteeModel(base, 3000, 0, 17), GuaranteeModel(bigger, 3000, 0, 17)
    by_id = {s.state_id: s for s in b.coalition}
    for s in a.coalition:
        t = by_id[s.state_id]
        for attr in ("target", "willing", "ramp", "resolve", "assist_draw", "acceptability"):
            assert np.array_equal(getattr(s, attr), getattr(t, attr)), (s.state_id, attr)
        if s.vote_required:
            assert np.array_equal(s.vote_passes, t.vote_passes)
    a.run_model(), b.run_model()
    ra, rb = a.results().states, b.results().states
    rb = rb[rb["state"] != "NLD"].reset_index(drop=True)
    ra["state"] = ra["state"].astype(str)
    rb["state"] = rb["state"].astype(str)
    pd.testing.assert_frame_equal(ra[["replication", "state", "approved", "troops"]],
                                  rb[["replication", "state", "approved", "troops"]])


# --------------------------------------------------------------------------- determinism


def test_same_seed_same_files_other_seed_different(tmp_path):
    sc = rich()
    a = sim.run(sc, replications=2500, seed=99, block_size=1000)
    b = sim.run(sc, replications=2500, seed=99, block_size=1000)
    c = sim.run(sc, replications=2500, seed=100, block_size=1000)
    for name, result in (("a", a), ("b", b), ("c", c)):
        result.save(tmp_path / name)
    for table in ("runs", "states", "timeline"):
        assert (tmp_path / "a" / f"{table}.parquet").read_bytes() == (tmp_path / "b" / f"{table}.parquet").read_bytes()
    assert (tmp_path / "a" / "runs.parquet").read_bytes() != (tmp_path / "c" / "runs.parquet").read_bytes()


def test_results_do_not_depend_on_workers_or_executor():
    from concurrent.futures import ThreadPoolExecutor

    from sim.experiment.executors import local_executor

    sc = rich()
    serial = sim.run(sc, replications=3000, seed=5, block_size=500)
    with local_executor(2) as ex:
        procs = sim.run(sc, replications=3000, seed=5, block_size=500, executor=ex)
    with ThreadPoolExecutor(3) as ex:
        threads = sim.run(sc, replications=3000, seed=5, block_size=500, executor=ex)
    for other in (procs, threads):
        pd.testing.assert_frame_equal(serial.runs, other.runs)
        pd.testing.assert_frame_equal(serial.states, other.states)
        pd.testing.assert_frame_equal(serial.timeline_counts, other.timeline_counts)


def test_block_k_is_child_k_of_the_seed_sequence():
    """A run's block k equals a block run on its own with index k (no hidden state)."""
    sc = rich()
    whole = sim.run(sc, replications=3000, seed=42, block_size=1000).runs
    third = run_block(sc, 1000, block=2, seed=42, first_replication=2000).runs
    pd.testing.assert_frame_equal(whole.iloc[2000:].reset_index(drop=True), third)


# --------------------------------------------------------------------------- memory


def test_memory_stays_flat_over_many_blocks():
    """Mesa 3.3 keeps models alive through Agent._ids; run_block must release them."""
    sc = rich()

    def alive() -> int:
        return sum(isinstance(o, GuaranteeModel) for o in gc.get_objects())

    for _ in range(5):
        run_block(sc, 500, 0, 1, 0)
    gc.collect()
    before = alive()  # other tests' models (fixtures) may still be alive
    tracemalloc.start()
    try:
        for _ in range(10):
            run_block(sc, 500, 0, 1, 0)
        gc.collect()
        after_few, _ = tracemalloc.get_traced_memory()
        for _ in range(60):
            run_block(sc, 500, 0, 1, 0)
        gc.collect()
        after_many, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One leaked model holds ~ 2 × horizon × R × 8 bytes of draws (~190 kB here):
    # 60 leaked models would add > 10 MB.
    assert after_many - after_few < 1_000_000
    assert alive() == before


def test_single_replication_is_an_ordinary_run():
    model = GuaranteeModel(rich(), replications=1, block=0, seed=1)
    model.run_model()
    res = model.results()
    assert len(res.runs) == 1 and len(res.states) == len(rich().states)
    assert model.month == rich().run.horizon_months
    assert Level(int(model.united_states.level[0])).name in res.runs["us_backstop"].astype(str).tolist()


def test_shipped_default_scenario_runs():
    loaded = sim.load_scenario(SCENARIOS / "paris.yaml")
    res = sim.run(loaded, replications=2000)
    s = res.summary
    assert s["replications"] == 2000
    for key, d in s["probabilities"].items():
        assert d["low"] <= d["p"] <= d["high"], key
    assert sum(s["probabilities"][o]["p"] for o in ("held", "unattributed", "activated", "failed")) == pytest.approx(1)
