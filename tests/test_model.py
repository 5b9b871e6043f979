"""The model: invariants, closed-form cases, credibility under common random numbers,
the one-difference test, determinism and flat memory.

Tolerances for stochastic outcomes are derived from the number of replications:
``Z`` standard errors of a binomial proportion, with Z = 4.5 (a false alarm
about once in 150,000 per check, so fixed-seed tests cannot be flaky when the
model is right, while a wrong formula is off by many standard errors).
Paired comparisons under common random numbers use the standard error of the
per-replication difference.
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
from sim.model.agents import NEVER, Coalition
from sim.model.outcomes import GUARANTEE_TESTS
from sim.scenario.schema import Level, Scenario

from .conftest import SCENARIOS

Z = 4.5


def within(p_hat: float, p: float, n: int) -> bool:
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    return abs(p_hat - p) <= Z * se + 1e-12


def lower_by_pairs(high: np.ndarray, low: np.ndarray) -> bool:
    """``high`` is below ``low`` on average, by more than Z standard errors of the paired difference."""
    d = np.asarray(high, float) - np.asarray(low, float)
    se = d.std(ddof=1) / math.sqrt(len(d))
    return d.mean() < 0 and -d.mean() > Z * se


def scenario(**parts) -> Scenario:
    """A scenario from plain dicts (no evidence checks: these are model fixtures)."""
    base = {"id": "fixture", "run": {"horizon_months": 24, "replications": 4000, "block_size": 1000, "seed": 7}}
    base.update(parts)
    return Scenario.model_validate(base)


def rich(**over) -> Scenario:
    """Every mechanism switched on, with uncertainty everywhere."""
    states = []
    for i, (sid, where, need) in enumerate([
        ("FRA", "ukraine", "none"), ("GBR", "ukraine", "enablers"), ("DEU", "nearby", "political"),
        ("POL", "nearby", "none"), ("ESP", "ukraine", "monitoring"), ("TUR", "ukraine", "none"),
        ("EST", "ukraine", "none"), ("IND", "ukraine", "none"),
    ]):
        states.append({
            "id": sid, "name": sid,
            "member": sid != "IND",
            "troops": {"pledge": {"dist": "triangular", "low": 1000, "mode": 3000 + 700 * i, "high": 9000},
                       "willingness": {"dist": "beta", "a": 3, "b": 2}, "deployment": where,
                       "sustainable": {"dist": "uniform", "low": 2000, "high": 8000}},
            "offers": ["training", "logistics", "intelligence"][: i % 4],
            "parliament": {"vote_required": i % 2 == 0, "approval": 0.7,
                           "delay_months": {"dist": "uniform", "low": 1, "high": 8}, "erosion_per_month": 0.02},
            "mandate": {"vote_required": sid == "DEU", "delay_months": 2},
            "support": {"initial": {"dist": "uniform", "low": 0.4, "high": 0.8}, "flank_drain": 0.01 if sid in ("POL", "EST") else 0.0},
            "conditions": {"us_backstop_at_least": need, "ceasefire_first": sid != "POL",
                           "months_after_ceasefire": 3 if sid == "FRA" else 0,
                           "after_leads": 0.5 if sid in ("ESP", "TUR") else 0.0, "fill_gap": sid == "EST"},
            "resolve": {"dist": "uniform", "low": 0.3, "high": 0.9},
            "acceptability_to_russia": 0.9 if sid == "IND" else (0.5 if sid == "TUR" else 0.1),
        })
    parts = dict(
        run={"horizon_months": 36, "replications": 4000, "block_size": 1000, "seed": 7},
        ceasefire={"monthly_hazard": 0.15},
        ratification={"starts": "ceasefire"},
        package={"multinational_force": {"lead_nations": ["FRA", "GBR"], "posture": "forward"},
                 "monitoring": {"detection": 0.8, "attribution": 0.7},
                 "military_support": {"aid_usd_bn_per_year": 12},
                 "long_term_cooperation": {"enabled": True}},
        united_states={"backstop": {"dist": "choice", "values": ["political", "enablers", "monitoring"]},
                       "congress": {"required": True, "approval": 0.5, "delay_months": 4},
                       "elections": [{"month": 20, "change": 0.5, "backstop_after": "political"}]},
        russia={"acceptance": {"without_troops": 0.9}, "opportunity_per_month": 0.3},
        states=states,
    )
    parts.update(over)
    return scenario(**parts)


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


def test_no_troops_before_the_ceasefire_and_its_wait(rich_run):
    sc, model, _ = rich_run
    co = model.coalition
    started = co.start != NEVER
    wait_ok = co.start >= model.ceasefire_month[:, None] + co.wait
    assert (wait_ok | ~started | ~co.ceasefire_first).all()
    assert (co.peak[~started] == 0).all()
    assert started.any()


def test_no_troops_without_a_mandate_or_with_an_unmet_us_condition(rich_run):
    sc, model, res = rich_run
    co = model.coalition
    assert not (co.peak[~co.mandate] > 0).any()
    # A state that needs a US level starts only in a month when the level was met; levels can
    # fall later (an election), so check the start against a state that needs more than the
    # highest level ever offered instead: GBR needs 'enablers'.
    gbr = co.ids.index("GBR")
    never_enabled = model.united_states.level < Level.enablers.value
    never_enabled &= ~model.united_states.changed
    assert (co.start[never_enabled, gbr] == NEVER).all()


def test_force_never_exceeds_the_pledge_maxima(rich_run):
    sc, _, res = rich_run
    cap = sum(min(s.troops.pledge.high, s.troops.sustainable.high) for s in sc.states if s.troops.deployment == "ukraine")
    assert res.runs["force_in_ukraine"].max() <= cap
    assert (res.runs["force_in_ukraine"] > 0).any()


def test_outcomes_are_consistent_with_each_other(rich_run):
    _, model, res = rich_run
    r = res.runs
    assert set(r["guarantee_test"].astype(str)) == set(GUARANTEE_TESTS)
    tested = r["guarantee_test"].astype(str)
    assert ((tested == "no_test") == ~r["attributed"]).all()
    assert (r.loc[r["activated"], "attributed"]).all() and (r.loc[r["attributed"], "detected"]).all()
    assert (r["activated"] == (tested == "activated")).all()
    assert (r["violations"] == r["limited_violations"] + r["major_offensives"]).all()
    assert (r["violation"] == (r["violations"] > 0)).all()
    assert (r.loc[r["collapsed"], "major_offensives"] >= 1).all()
    assert r["collapsed"].any() and r["activated"].any() and r["failed"].any()
    # nothing happens without a ceasefire, and no one responds militarily to nothing
    quiet = ~r["ceasefire"]
    assert (r.loc[quiet, ["probes", "violations"]] == 0).all().all()
    assert (r.loc[r["max_response"] != "none", "probes"] + r.loc[r["max_response"] != "none", "violations"] > 0).all()
    # outside the coalition, nobody responds
    ind = res.states[res.states["state"] == "IND"]
    assert (ind["max_response"] == "none").all()


def test_exposure_ends_at_the_collapse_or_the_horizon(rich_run):
    sc, _, res = rich_run
    r = res.runs
    cf = r["ceasefire_month"].astype("float").to_numpy()
    end = r["collapse_month"].astype("float").fillna(sc.run.horizon_months).to_numpy()
    expected = np.where(r["ceasefire"], end - cf, 0)
    # the collapse month itself counts (Russia acted in it)
    assert (r["ceasefire_months"].to_numpy() == expected).all()


def test_windows_are_missing_where_they_do_not_fit_in_the_horizon(rich_run):
    sc, _, res = rich_run
    r = res.runs
    for w in (12, 24, 36):
        fits = r["ceasefire"] & (r["ceasefire_month"].astype("float").fillna(1e9) + w <= sc.run.horizon_months)
        assert (r[f"violation_within_{w}"].isna() == ~fits).all()
        assert (r[f"force_in_ukraine_{w}"].isna() == ~fits).all()


def test_cumulative_timeline_curves_never_decrease(rich_run):
    _, _, res = rich_run
    tl = res.timeline
    for col in ("violated", "activated", "collapsed"):
        assert (np.diff(tl[col].to_numpy()) >= 0).all(), col
    assert (tl["violated"] <= res.runs["ceasefire"].sum()).all()


# --------------------------------------------------------------------------- closed forms


def quiet_russia(**russia) -> dict:
    """No ladder cost but the army's: belief fixed at its prior, Russia acts on gain alone."""
    return {"belief": {"insight": 0, "votes": 0, "troops": 0, "us_level": 0, "answered": 0, "unanswered": 0,
                       **russia.pop("belief", {})}, **russia}


def test_ceasefire_hazard_is_scaled_by_acceptance():
    """A = without_troops × (1 − tw·h) × (1 − us_weight·level/4), h = P(1 − a)/(P + H)."""
    h, n, w, a, pledge, half = 0.1, 20_000, 0.8, 0.25, 6000, 4000
    sc = scenario(
        ceasefire={"monthly_hazard": h}, run={"horizon_months": 1},
        russia={"acceptance": {"without_troops": w, "troop_weight": 1.0, "half_size_troops": half, "us_weight": 0.4}},
        united_states={"backstop": "enablers"},
        states=[{"id": "FRA", "name": "France", "troops": {"pledge": pledge, "willingness": 1.0},
                 "acceptability_to_russia": a}],
    )
    res = run_block(sc, n, block=0, seed=9, first_replication=0)
    expected = w * (1 - pledge * (1 - a) / (pledge + half)) * (1 - 0.4 * 2 / 4)
    assert np.allclose(res.runs["acceptance"], expected)
    assert within(res.runs["ceasefire"].mean(), h * expected, n)


def test_ceasefire_times_are_geometric():
    h, n = 0.05, 20_000
    sc = scenario(ceasefire={"monthly_hazard": h}, russia={"acceptance": {"without_troops": 1.0, "us_weight": 0}},
                  run={"horizon_months": 36})
    months = run_block(sc, n, block=0, seed=5, first_replication=0).runs["ceasefire_month"].astype("float")
    for t in (1, 6, 12, 36):
        assert within((months <= t).mean(), 1 - (1 - h) ** t, n), t


def test_no_opportunity_no_action():
    sc = rich(russia={"opportunity_per_month": 0.0})
    r = run_block(sc, 3000, 0, 2, 0).runs
    assert (r[["probes", "violations"]] == 0).all().all()
    assert (r["guarantee_test"] == "no_test").all() and not r["collapsed"].any()


def test_without_any_cost_every_opportunity_is_a_major_offensive_that_collapses_the_ceasefire():
    """Ukraine's army at 0, no guarantor: the ceasefire collapses at the first opportunity, a geometric time."""
    o, n, horizon = 0.08, 20_000, 24
    sc = scenario(ceasefire={"assumed_month": 0}, run={"horizon_months": horizon},
                  ukraine={"army_strength": 0.0, "growth_per_month": 0.0},
                  united_states={"backstop": "none"}, russia=quiet_russia(opportunity_per_month=o))
    r = run_block(sc, n, 0, 3, 0).runs
    assert (r["probes"] == 0).all() and (r["limited_violations"] == 0).all()
    assert (r["major_offensives"] == r["collapsed"].astype(int)).all()
    for t in (1, 6, 24):
        assert within((r["collapse_month"].astype("float") <= t).mean(), 1 - (1 - o) ** t, n), t


def test_a_single_rung_is_taken_with_probability_exp_of_minus_cost_over_gain():
    """Only 'limited' can pay; its cost is severity × w_army × army: P(act | opportunity) = exp(−C/g)."""
    o, n, horizon, army, sev, gain = 0.5, 20_000, 12, 0.5, 1.5, 1.0
    sc = scenario(
        ceasefire={"assumed_month": 0}, run={"horizon_months": horizon},
        ukraine={"army_strength": army, "growth_per_month": 0.0, "erosion_per_month": 0.0},
        united_states={"backstop": "none"},
        russia=quiet_russia(opportunity_per_month=o, ladder={"probe": {"gain": 0, "severity": 1, "visibility": 1},
                                                              "limited": {"gain": gain, "severity": sev, "visibility": 1},
                                                              "major": {"gain": 0, "severity": 1, "visibility": 1}}),
    )
    r = run_block(sc, n, 0, 4, 0).runs
    cost = sev * 0.4 * army  # deterrence.weights.ukraine_army defaults to 0.4
    p = o * math.exp(-cost / gain)
    months = n * horizon
    assert within(r["limited_violations"].sum() / months, p, months)
    assert r["major_offensives"].sum() == 0 and r["probes"].sum() == 0


def test_detection_attribution_and_visibility_match_their_closed_forms():
    """P(detected) = 1 − (1 − d)^visibility, likewise attribution given detection."""
    d, a, v, n = 0.8, 0.6, 0.5, 20_000
    sc = scenario(
        ceasefire={"assumed_month": 0}, run={"horizon_months": 1},
        ukraine={"army_strength": 0.0},
        package={"monitoring": {"detection": d, "attribution": a}},
        united_states={"backstop": "none"},
        russia=quiet_russia(opportunity_per_month=1.0, ladder={
            "probe": {"gain": 0, "severity": 1, "visibility": 1},
            "limited": {"gain": 1, "severity": 0, "visibility": v},
            "major": {"gain": 0, "severity": 1, "visibility": 1}}),
    )
    model = GuaranteeModel(sc, n, 0, 1)
    model.run_model()
    r = model.results().runs
    assert (r["limited_violations"] == 1).all()
    pd_, pa = 1 - (1 - d) ** v, 1 - (1 - a) ** v
    assert within(r["detected"].mean(), pd_, n)
    assert within(r.loc[r["detected"], "attributed"].mean(), pa, int(r["detected"].sum()))


def test_activation_with_one_committed_state_is_its_resolve_times_the_military_share():
    """No US, no troops, no shock: one ratified state responds with P = resolve and answers
    militarily when the action is judged to call for it (P = military_share)."""
    r_, m, n = 0.35, 0.4, 20_000
    sc = scenario(
        ceasefire={"assumed_month": 0}, run={"horizon_months": 1},
        ukraine={"army_strength": 0.0},
        package={"monitoring": {"detection": 1.0, "attribution": 1.0}},
        united_states={"backstop": "none"},
        response={"shock": 0.0, "military_share": {"limited": m}},
        russia=quiet_russia(opportunity_per_month=1.0, ladder={
            "probe": {"gain": 0, "severity": 1, "visibility": 1},
            "limited": {"gain": 1, "severity": 0, "visibility": 1},
            "major": {"gain": 0, "severity": 1, "visibility": 1}}),
        states=[{"id": "FRA", "name": "France", "offers": ["training"], "resolve": r_}],
    )
    r = run_block(sc, n, 0, 6, 0).runs
    assert r["attributed"].all() and (r["guarantee_test"] != "no_guarantee").all()
    assert within(r["activated"].mean(), r_ * m, n)


def test_no_binding_commitment_means_no_guarantee_in_force():
    sc = rich(package={"binding_commitment": {"enabled": False},
                       "multinational_force": {"lead_nations": ["FRA", "GBR"]}})
    r = run_block(sc, 3000, 0, 5, 0).runs
    assert not r["guarantee_in_force"].any() and not r["activated"].any() and not r["failed"].any()
    assert (r.loc[r["attributed"], "guarantee_test"] == "no_guarantee").all()
    assert r["attributed"].any()


# --------------------------------------------------------------------------- credibility deters (CRN)


@pytest.fixture(scope="module")
def paris():
    return sim.load_scenario(SCENARIOS / "paris.yaml").scenario


def _set_states(sc: Scenario, **fields) -> Scenario:
    return sc.model_copy(update={"states": [s.model_copy(update=fields) for s in sc.states]})


def _violations(sc: Scenario, n: int = 4000) -> pd.DataFrame:
    return sim.run(sc, replications=n, seed=2026, block_size=1000).runs


def _update(sc: Scenario, block: str, **fields) -> Scenario:
    return sc.model_copy(update={block: getattr(sc, block).model_copy(update=fields)})


CREDIBILITY = {
    # name: (weaker scenario, stronger scenario) as functions of the base
    "resolve": (lambda s: _set_states(s, resolve=0.2), lambda s: _set_states(s, resolve=0.95)),
    "honour": (lambda s: _update(s, "united_states", honour=0.05), lambda s: _update(s, "united_states", honour=0.95)),
    "attribution": (
        lambda s: _update(s, "package", monitoring=s.package.monitoring.model_copy(update={"attribution": 0.3})),
        lambda s: _update(s, "package", monitoring=s.package.monitoring.model_copy(update={"attribution": 0.95}))),
    "troops present": (
        lambda s: _set_states(s, troops=None) if False else s.model_copy(update={"states": [
            x.model_copy(update={"troops": x.troops.model_copy(update={"willingness": 0.0})}) for x in s.states]}),
        lambda s: s.model_copy(update={"states": [
            x.model_copy(update={"troops": x.troops.model_copy(update={"willingness": 1.0})}) for x in s.states]})),
    "guarantors' record": (
        lambda s: _update(s, "russia", belief=s.russia.belief.model_copy(update={"prior": 0.05})),
        lambda s: _update(s, "russia", belief=s.russia.belief.model_copy(update={"prior": 0.95}))),
}


@pytest.mark.parametrize("lever", list(CREDIBILITY))
def test_more_credibility_means_fewer_violations(paris, lever):
    """Each lever alone, everything else on the same random numbers: the stronger side sees
    fewer violations per replication and a lower P(violation), by more than Z paired
    standard errors (the number of violations carries more of the signal than the yes/no)."""
    weak, strong = (f(paris) for f in CREDIBILITY[lever])
    lo, hi = _violations(weak), _violations(strong)
    assert lower_by_pairs(hi["violations"], lo["violations"]), lever
    assert hi["violation"].mean() < lo["violation"].mean(), lever


def test_more_us_never_means_less_activation():
    """Russia's choice made blind to the US level (and the enablers' side effects switched
    off), so the same violations are tested on every side: a higher backstop never lowers
    activation, replication by replication — the US raises the allies' response."""
    sc = rich(ceasefire={"assumed_month": 0}, deterrence={"weights": {"us_backstop": 0}},
              russia={"opportunity_per_month": 0.3,
                      "belief": {"us_level": 0, "insight": 0, "answered": 0, "unanswered": 0}})
    runs = {}
    for level in ("political", "enablers", "direct"):
        raw = sc.model_dump()
        for state in raw["states"]:  # deployment must not depend on the US either
            state["conditions"]["us_backstop_at_least"] = "none"
        raw["russia"]["ladder"]["major"]["gain"] = 0  # no collapse, which would end the test early
        raw["united_states"].update(backstop=level, congress={"required": False}, elections=[],
                                    enablers={"detection_gain": 0, "attribution_gain": 0, "protection": 0,
                                              "ramp_factor": 1})
        runs[level] = run_block(Scenario.model_validate(raw), 4000, 0, 8, 0).runs
    base = runs["political"]
    for level in ("enablers", "direct"):
        assert (runs[level]["attributed"] == base["attributed"]).all()
        assert (runs[level]["activated"].to_numpy() >= base["activated"].to_numpy()).all(), level
    assert runs["direct"]["activated"].sum() > base["activated"].sum()


# --------------------------------------------------------------------------- one difference


def test_adding_a_state_changes_no_other_states_draws():
    base = rich(ceasefire={"assumed_month": 1})
    extra = base.states[0].model_copy(update={"id": "NLD", "name": "Netherlands"})
    bigger = base.model_copy(update={"states": [*base.states[:3], extra, *base.states[3:]]})
    a, b = GuaranteeModel(base, 3000, 0, 17), GuaranteeModel(bigger, 3000, 0, 17)
    keep = [b.coalition.ids.index(i) for i in a.coalition.ids]
    for attr in ("target", "willing", "ramp", "resolve", "acceptability", "treaty_passes", "mandate_draw", "support"):
        assert np.array_equal(getattr(a.coalition, attr), getattr(b.coalition, attr)[:, keep]), attr
    assert np.array_equal(a.coalition.response_draws, b.coalition.response_draws[keep])
    # and nothing else: Russia's and the US's draws are the same
    assert np.array_equal(a.russia.gain_draws, b.russia.gain_draws)
    assert np.array_equal(a.united_states.respond_draws, b.united_states.respond_draws)


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


#: An election that can take the US below 'political' (Russia's read of the US changes), waits
#: after the ceasefire and a late mandate vote (readiness changes in months when nothing else does).
SHAKEN = {"united_states.elections.0.backstop_after": {"dist": "choice", "values": ["none", "monitoring"]},
          "united_states.elections.0.change": 0.6, "states.BEL.conditions.months_after_ceasefire": 7,
          "states.DNK.conditions.months_after_ceasefire": 20, "states.NLD.mandate.vote_required": True,
          "states.NLD.mandate.delay_months": 15}


@pytest.mark.parametrize("name, overrides", [
    ("paris.yaml", {}), ("paris.yaml", SHAKEN), ("paris-unconditional.yaml", SHAKEN),
    ("paris-wider-coalition.yaml", {}),
    # ceasefires now and then, with quiet months between (the readiness skip engages)
    ("paris-unconditional.yaml", {"ceasefire.monthly_hazard": 0.002}),
    # support erodes fast: withdrawals open a gap the Baltics (gap fillers) then fill
    ("paris.yaml", {"thresholds.target_force": 12000, "states.*.support.erosion_per_month": 0.02}),
])
def test_the_month_steps_shortcuts_change_no_result(name, overrides, monkeypatch):
    """What the step keeps between months instead of recomputing (Russia's read of the committed
    members, each rung's monitoring, who waits to deploy and whether that can have changed) is exact:
    recomputing all of it every month gives the same tables, bit for bit.  The cases cover a
    ceasefire hazard, elections, waits, a late mandate vote, withdrawals and collapses; removing
    any one trigger of the shortcuts makes at least one case fail."""
    sc = sim.load_scenario(SCENARIOS / name, overrides=overrides).scenario
    kept = run_block(sc, 600, block=2, seed=11, first_replication=0)
    step = GuaranteeModel.step

    def step_recomputing_everything(model):
        model.actual_force[:] = np.nan
        model._refresh_monitoring(slice(None))
        model.coalition._pending_rows = None
        step(model)

    monkeypatch.setattr(GuaranteeModel, "step", step_recomputing_everything)
    monkeypatch.setattr(Coalition, "_mark_changes", lambda self, *args: self._dirty.fill(True))
    fresh = run_block(sc, 600, block=2, seed=11, first_replication=0)
    for table in ("runs", "states", "timeline", "inputs"):
        pd.testing.assert_frame_equal(getattr(kept, table), getattr(fresh, table), check_exact=True)


# --------------------------------------------------------------------------- memory and size


def test_memory_stays_flat_over_many_blocks():
    """Mesa 3.3 keeps models alive through Agent._ids; run_block must release them."""
    sc = rich()

    def alive() -> int:
        return sum(isinstance(o, GuaranteeModel) for o in gc.get_objects())

    for _ in range(5):
        run_block(sc, 500, 0, 1, 0)
    gc.collect()
    before = alive()
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
    # One leaked model holds its pre-drawn month-by-month draws (~2 MB here): 60 would add > 100 MB.
    assert after_many - after_few < 1_000_000
    assert alive() == before


def test_single_replication_is_an_ordinary_run():
    sc = rich()
    model = GuaranteeModel(sc, replications=1, block=0, seed=1)
    model.run_model()
    res = model.results()
    assert len(res.runs) == 1 and len(res.states) == len(sc.states)
    assert model.month == sc.run.horizon_months


def test_twenty_year_horizons_run():
    sc = rich(run={"horizon_months": 240, "replications": 500, "block_size": 500, "seed": 3})
    r = run_block(sc, 500, 0, 3, 0).runs
    assert r["ceasefire_months"].max() <= 240 and r["ceasefire_months"].max() > 200


# --------------------------------------------------------------------------- inputs kept


def test_inputs_keep_every_uncertain_parameter_by_its_dotted_path(paris):
    """One column per parameter drawn from a distribution (named as in sweeps and --set), each
    value inside its distribution's support; fixed values are not inputs."""
    from sim.evidence import parameters
    from sim.scenario import params as p
    from sim.scenario.schema import LevelChoice

    res = sim.run(paris, replications=1500, seed=3)
    uncertain = {}
    for par in parameters(paris):
        if isinstance(par.value, (p.Uniform, p.Triangular, p.Beta, p.Normal, p.Choice, LevelChoice)):
            path = ".".join(str(paris.states[k].id) if i > 0 and par.path[i - 1] == "states" else str(k)
                            for i, k in enumerate(par.path))
            uncertain[path] = par.value
    inputs = res.inputs
    assert len(inputs) == 1500 and (inputs["replication"] == res.runs["replication"]).all()
    assert set(inputs.columns) - {"replication"} == set(uncertain)
    for path, dist in uncertain.items():
        if isinstance(dist, LevelChoice):
            assert set(inputs[path].unique()) <= {Level[v].value for v in dist.values}, path
        else:
            lo, hi = dist.support()
            assert inputs[path].between(lo, hi).all(), path


def test_fixed_inputs_hold_a_parameter_and_leave_every_other_draw_alone(paris):
    """The inner level of a two-level design: a parameter held at one value in every
    replication, and nothing else changes (common random numbers)."""
    free = GuaranteeModel(paris, 500, 0, 9)
    held = GuaranteeModel(paris, 500, 0, 9, fixed={"united_states.honour": 0.7, "united_states.backstop": 3})
    assert (held.united_states.offered == 3).all()
    assert "united_states.honour" not in held.inputs and "united_states.backstop" not in held.inputs
    for name, values in free.inputs.items():
        if name not in ("united_states.honour", "united_states.backstop"):
            assert np.array_equal(values, held.inputs[name]), name
    other = GuaranteeModel(paris, 500, 0, 9, stream_key=(1,))
    assert not np.array_equal(other.inputs["package.monitoring.detection"], free.inputs["package.monitoring.detection"])
