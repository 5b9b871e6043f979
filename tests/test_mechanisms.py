"""Every seed mechanism works: a one-parameter change moves the outcome the way an analyst
expects, on common random numbers (same seed, same block), and where the model says it
lives (docs/ODD.md §7 lists each mechanism with its code).

Where the change acts replication by replication (a gap filler, a bandwagon threshold)
the test asserts it for every replication; where it acts through chance, by more than
Z = 4.5 standard errors of the paired difference.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import GuaranteeModel, run_block
from sim.model.agents import NEVER
from sim.scenario.schema import Scenario

Z = 4.5
N = 4000


def paired_higher(high, low) -> bool:
    d = np.asarray(high, float) - np.asarray(low, float)
    se = d.std(ddof=1) / math.sqrt(len(d))
    return d.mean() > Z * max(se, 1e-12)


def state(sid: str, pledge: float = 5000, **extra) -> dict:
    s = {"id": sid, "name": sid, "troops": {"pledge": pledge, "willingness": 1.0, "ramp_months": 0}}
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(s.get(key), dict):
            s[key] = {**s[key], **value}
        else:
            s[key] = value
    return s


def world(states: list[dict], horizon: int = 36, **parts) -> Scenario:
    base = {
        "id": "mechanism", "run": {"horizon_months": horizon, "seed": 3},
        "ceasefire": {"assumed_month": 0},
        "package": {"multinational_force": {"lead_nations": [states[0]["id"]] if states else [], "posture": "forward"}},
        "thresholds": {"minimum_effective_force": 5000, "target_force": 10000},
        "states": states,
    }
    for key, value in parts.items():
        base[key] = {**base.get(key, {}), **value} if isinstance(value, dict) else value
    return Scenario.model_validate(base)


def model(sc: Scenario, n: int = N, seed: int = 5) -> GuaranteeModel:
    m = GuaranteeModel(sc, n, 0, seed)
    m.run_model()
    return m


def runs(sc: Scenario, n: int = N, seed: int = 5):
    return run_block(sc, n, 0, seed, 0).runs


# --------------------------------------------------------------------------- allies watch each other


def test_the_baltics_fill_the_gap_and_only_the_gap():
    """A gap filler deploys when the leads leave the force below the target, never when they fill it."""
    filler = state("EST", 2000, conditions={"fill_gap": True})
    quiet = {"opportunity_per_month": 0.0}  # no incidents, so the lead never withdraws and opens a gap
    short = model(world([state("FRA", 6000), filler], russia=quiet))
    full = model(world([state("FRA", 12000), filler], russia=quiet))
    est = 1
    assert (short.coalition.start[:, est] != NEVER).all()
    assert (full.coalition.start[:, est] == NEVER).all()


def test_followers_wait_for_the_leads():
    """A follower with a bandwagon threshold starts no earlier than the lead, and never without it."""
    follower = state("DEU", 3000, conditions={"after_leads": 1.0})
    lead_waits = state("FRA", 6000, conditions={"months_after_ceasefire": 5})
    quiet = {"opportunity_per_month": 0.0}  # no collapse before the lead's month
    m = model(world([lead_waits, follower], russia=quiet))
    assert (m.coalition.start[:, 1] >= m.coalition.start[:, 0]).all()
    assert (m.coalition.start[:, 1] == 5).all()  # the month the lead starts, after it
    no_lead = model(world([state("FRA", 6000, troops={"willingness": 0.0}), follower], russia=quiet))
    assert (no_lead.coalition.start[:, 1] == NEVER).all()


def test_germany_waits_for_the_us():
    deu = state("DEU", 3000, troops={"deployment": "nearby"}, conditions={"us_backstop_at_least": "enablers"})
    for level, deploys in (("political", False), ("enablers", True)):
        r = runs(world([state("FRA"), deu], united_states={"backstop": level}))
        assert (r["force_nearby"] > 0).all() == deploys and (r["force_nearby"] > 0).any() == deploys


# --------------------------------------------------------------------------- three decisions, support


def test_the_mandate_is_voted_on_domestic_support():
    """P(mandate) = support at the vote; no mandate, no troops, whatever the treaty."""
    r = {}
    for support in (0.2, 0.8):
        m = model(world([state("FRA", mandate={"vote_required": True, "delay_months": 1},
                               support={"initial": support, "erosion_per_month": 0})]))
        r[support] = m.results().runs
        assert abs(r[support]["deployed"].mean() - support) < Z * math.sqrt(support * (1 - support) / N)
    assert (r[0.8]["deployed"].to_numpy() >= r[0.2]["deployed"].to_numpy()).all()


def test_support_erodes_with_cost_and_mandates_are_withdrawn_contagiously():
    base = dict(support={"initial": 0.6, "erosion_per_month": 0.0, "cost_per_10k_troops": 0.0, "contagion": 0.0},
                mandate={"withdraw_below": 0.4})
    states = [state("FRA", 10000, **base), state("GBR", 10000, **base)]
    calm = runs(world(states, russia={"opportunity_per_month": 0.0}))
    assert (calm["withdrawals"] == 0).all()
    costly = [state("FRA", 10000, **{**base, "support": {**base["support"], "cost_per_10k_troops": 0.02}}), states[1]]
    r = model(world(costly, russia={"opportunity_per_month": 0.0}))
    # FRA loses 0.02 a month: below 0.4 after 10 months; GBR never, unless contagion spreads it.
    assert r.coalition.withdrawn[:, 0].all() and not r.coalition.withdrawn[:, 1].any()
    spread = {**base, "support": {**base["support"], "contagion": 0.25}}
    costly2 = [state("FRA", 10000, **{**spread, "support": {**spread["support"], "cost_per_10k_troops": 0.02}}),
               state("GBR", 10000, **spread)]
    r2 = model(world(costly2, russia={"opportunity_per_month": 0.0}))
    assert r2.coalition.withdrawn.all()


def test_the_eastern_flank_drain_costs_support():
    est = lambda drain: state("EST", 2000, support={"initial": 0.6, "flank_drain": drain}, mandate={"withdraw_below": 0.3})
    quiet = {"opportunity_per_month": 0.0}
    r0 = runs(world([state("FRA"), est(0.0)], russia=quiet))
    r1 = runs(world([state("FRA"), est(0.02)], russia=quiet))
    assert r1["withdrawals"].sum() > r0["withdrawals"].sum() == 0


def test_incidents_erode_support_and_air_defence_protects_it():
    def sup(protection):
        m = model(world([state("FRA", 10000, support={"initial": 0.9, "incident": 0.1, "erosion_per_month": 0})],
                        russia={"opportunity_per_month": 0.5},
                        united_states={"backstop": "enablers", "enablers": {"protection": protection}}))
        return m.coalition.support[:, 0]
    unprotected, protected = sup(0.0), sup(0.9)
    assert (protected >= unprotected - 1e-12).all() and (protected > unprotected).any()
    assert (unprotected < 0.9).any()


# --------------------------------------------------------------------------- the US


def test_an_election_moves_the_backstop():
    sc = world([state("FRA")], united_states={"backstop": "monitoring",
                                                "elections": [{"month": 10, "change": 0.3, "backstop_after": "none"}]})
    r = runs(sc)
    share = r["us_backstop_changed"].mean()
    assert abs(share - 0.3) < Z * math.sqrt(0.21 / N)
    assert (r.loc[r["us_backstop_changed"], "us_backstop"] == "none").all()


def test_us_enablers_raise_detection_and_attribution():
    def det(gain):
        return runs(world([state("FRA")], russia={"opportunity_per_month": 0.3},
                          package={"monitoring": {"detection": 0.4, "attribution": 0.4}},
                          united_states={"backstop": "enablers",
                                         "enablers": {"detection_gain": gain, "attribution_gain": gain}}))
    lo, hi = det(0.0), det(0.8)
    assert hi.loc[hi["violation"], "attributed"].mean() > lo.loc[lo["violation"], "attributed"].mean()


def test_logistics_speed_the_ramp():
    def force12(factor):
        return runs(world([state("FRA", 10000, troops={"ramp_months": 24})],
                          united_states={"backstop": "enablers", "enablers": {"ramp_factor": factor}}))["force_in_ukraine_12"]
    assert (force12(0.5).to_numpy() > force12(1.0).to_numpy()).all()


def test_the_minerals_deal_raises_the_us_response_and_deters():
    def with_stake(stake):
        return runs(world([state("FRA")], russia={"opportunity_per_month": 0.3},
                          united_states={"backstop": "enablers", "honour": 0.2, "economic_stake": stake}))
    lo, hi = with_stake(0.0), with_stake(0.8)
    assert paired_higher(lo["violations"], hi["violations"])
    assert (hi["max_response"] >= "economic").mean() > (lo["max_response"] >= "economic").mean()


# --------------------------------------------------------------------------- offers, army, cooperation


@pytest.mark.parametrize("offer,column,higher_is_more", [
    ("intelligence", "detected", True),
    ("training", "army_strength", True),
    ("equipment", "army_strength", True),
])
def test_non_troop_offers_act_by_type(offer, column, higher_is_more):
    def with_offers(k):
        states = [state("FRA")] + [state(f"X{chr(65 + i)}A", 0, offers=[offer]) for i in range(k)]
        return runs(world(states, russia={"opportunity_per_month": 0.3},
                          package={"monitoring": {"detection": 0.3}, "military_support": {"aid_usd_bn_per_year": 10}},
                          ukraine={"army_strength": 0.3, "industry_capacity_usd_bn_per_year": 30}))
    none, many = with_offers(0), with_offers(5)
    if column == "detected":
        assert many.loc[many["violation"], column].mean() > none.loc[none["violation"], column].mean()
    else:
        assert (many[column].to_numpy() > none[column].to_numpy()).all()


def test_long_term_cooperation_grows_the_army_over_years():
    def army(enabled):
        return runs(world([state("FRA")], horizon=120,
                          package={"military_support": {"aid_usd_bn_per_year": 20},
                                   "long_term_cooperation": {"enabled": enabled, "industry_growth_per_year": 0.15}},
                          ukraine={"army_strength": 0.3, "industry_capacity_usd_bn_per_year": 8}))["army_strength"]
    assert (army(True).to_numpy() > army(False).to_numpy()).all()


def test_a_stronger_army_deters():
    def v(strength):
        return runs(world([state("FRA")], russia={"opportunity_per_month": 0.3},
                          ukraine={"army_strength": strength, "growth_per_month": 0, "erosion_per_month": 0}))
    assert paired_higher(v(0.1)["violations"], v(0.9)["violations"])


# --------------------------------------------------------------------------- force, friendly contingents


def test_a_force_below_the_minimum_deters_little():
    """Same 4,000 troops: counted in full, or at a quarter of their effect below a 5,000 minimum."""
    def v(below):
        return runs(world([state("FRA", 4000)], russia={"opportunity_per_month": 0.3},
                          thresholds={"effect_below_minimum": below}))["violations"]
    assert paired_higher(v(0.0), v(1.0))


def test_friendly_contingents_outside_the_coalition_are_more_acceptable_and_never_respond():
    ind = state("IND", 5000, member=False, acceptability_to_russia=0.9)
    fra = state("FRA", 5000, acceptability_to_russia=0.05)
    with_friend = model(world([fra, ind], ceasefire={"assumed_month": None, "monthly_hazard": 0.1},
                              russia={"opportunity_per_month": 0.3}))
    western = model(world([fra, state("GBR", 5000, acceptability_to_russia=0.05)],
                          ceasefire={"assumed_month": None, "monthly_hazard": 0.1}))
    assert (with_friend.russia.acceptance > western.russia.acceptance).all()
    states = with_friend.results().states
    assert (states.loc[states["state"] == "IND", "max_response"] == "none").all()
    assert (states.loc[states["state"] == "IND", "troops"] > 0).any()


def test_a_larger_package_is_less_acceptable():
    def acceptance(pledge):
        return model(world([state("FRA", pledge)], ceasefire={"assumed_month": None, "monthly_hazard": 0.1}),
                     n=10).russia.acceptance
    assert (acceptance(30000) < acceptance(3000)).all()


# --------------------------------------------------------------------------- lessons


def test_unanswered_probes_embolden_and_answered_ones_deter():
    """Lessons on: violations rise when nobody answers and fall when everyone does, against lessons off."""
    def v(resolve, lessons):
        belief = {"answered": lessons, "unanswered": lessons, "insight": 0.0}
        # Everything seen and attributed, every response economic or more: answered = responded.
        ladder = {"probe": {"visibility": 1.0}, "major": {"gain": 0.0}}  # a collapse would end the count early
        return runs(world([state("FRA", resolve=resolve)],
                          russia={"opportunity_per_month": 0.4, "belief": belief, "ladder": ladder},
                          package={"monitoring": {"detection": 1.0, "attribution": 1.0}},
                          response={"economic_share": 1.0},
                          united_states={"backstop": "none"}))["violations"]
    assert paired_higher(v(0.02, 1.0), v(0.02, 0.0))   # never answered: emboldened
    assert paired_higher(v(0.98, 0.0), v(0.98, 1.0))   # always answered: deterred
