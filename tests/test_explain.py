"""`sim explain A B`: the change from A to B attributed to groups of changed parameters."""

from __future__ import annotations

import contextlib
import io
import json
import math
import shutil

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiment.explain import plan, run_plan
from sim.figures.explain import waterfall
from sim.model.outcomes import BY_NAME, KEY_OUTCOMES
from sim.results.explain import Explanation, explain
from sim.results.summary import columns_for
from sim.scenario.diff import between, changes
from sim.scenario.yamlio import InputError

from .conftest import SCENARIOS

PARIS = SCENARIOS / "paris.yaml"
OUTCOMES = [o for o in KEY_OUTCOMES if o.kind != "level"] + [BY_NAME["cost_usd_bn"]]
REPS, SEED, BLOCK = 2000, 17, 500


@pytest.fixture(scope="module")
def planted():
    """B differs from A in two groups: the US honours its word more often (which Russia reads, so it
    deters violations), and a troop-month costs twice as much (which only the cost reads)."""
    a = sim.load_scenario(PARIS)
    b = sim.load_scenario(PARIS, overrides={"united_states.honour": 0.9, "costs.troop_month_usd": 30_000})
    p = plan(a.scenario, b.scenario)
    runs = run_plan(p, REPS, SEED, BLOCK, columns=columns_for(OUTCOMES))
    return a, b, p, explain(p, runs, OUTCOMES, SEED, BLOCK, registers=(a.register, b.register))


def test_the_groups_are_the_two_changed_blocks_in_the_schema_order(planted):
    _, _, p, expl = planted
    assert p.names == ["united_states", "costs"]
    assert set(expl.changes["path"]) == {"united_states.honour", "costs.troop_month_usd"}
    assert len(p.steps) == 4  # A, B, and each group alone (3k − 2 with k = 2)


def test_a_group_that_cannot_move_an_outcome_has_no_effect_within_its_noise(planted):
    _, _, _, expl = planted
    effects = expl.effects.set_index(["outcome", "group"])
    for o in OUTCOMES:
        if o.name in expl.about["assumed_in_both"] or o.name == "cost_usd_bn":
            continue
        costs = effects.loc[(o.name, "costs")]
        assert costs["low"] <= 0 <= costs["high"], o.name
        assert costs["effect"] == 0 and costs["alone"] == 0, o.name  # common random numbers: exactly
    # ... while the US's honour clearly deters, and the price of troops moves the cost
    for name in ("violation", "violations_per_year", "collapsed"):
        assert effects.loc[(name, "united_states"), "high"] < 0, name
    assert effects.loc[("cost_usd_bn", "costs"), "low"] > 0


def test_the_total_is_b_minus_a_exactly_and_the_effects_add_up_to_it(planted):
    a, b, _, expl = planted
    run_a = sim.run(a, replications=REPS, seed=SEED, block_size=BLOCK)
    run_b = sim.run(b, replications=REPS, seed=SEED, block_size=BLOCK)
    totals = expl.totals.set_index("outcome")
    effects = expl.effects
    for o in OUTCOMES:
        t = totals.loc[o.name]
        want = run_b.summary[o.name].value - run_a.summary[o.name].value
        # the same numbers, up to the order of floating-point operations
        assert t["a"] == pytest.approx(run_a.summary[o.name].value, rel=1e-13)
        assert t["b"] == pytest.approx(run_b.summary[o.name].value, rel=1e-13)
        assert t["total"] == pytest.approx(want, abs=1e-12)
        mine = effects[effects["outcome"] == o.name]
        assert mine["effect"].sum() == pytest.approx(t["total"], abs=1e-12)
        assert t["interaction"] == pytest.approx(t["total"] - mine["alone"].sum(), abs=1e-12)
        # each effect is the mean of its two orders' marginal effects
        assert (mine["effect"] - (mine["forward"] + mine["reverse"]) / 2).abs().max() < 1e-12
        assert t["a_n"] == run_a.summary[o.name].n and t["b_n"] == run_b.summary[o.name].n


def test_each_change_carries_both_sides_evidence(planted):
    _, b, _, expl = planted
    row = expl.changes.set_index("path").loc["united_states.honour"]
    assert row["a_value"] == "beta(5, 5) on [0, 1]" and row["b_value"] == "0.9"
    a_facts = row["a_facts"].split("; ")
    assert a_facts and all(f in b.register.facts for f in a_facts)
    assert row["a_claims"].split(" | ")[0] == b.register.facts[a_facts[0]].claim
    assert row["b_facts"] == "" and row["b_assumption"] == "set in Python (load_scenario overrides=)"


def test_the_waterfall_is_drawn_from_the_stored_tables(planted, tmp_path):
    _, _, _, expl = planted
    expl.write_into(tmp_path)
    stored = Explanation.read(tmp_path)
    pd.testing.assert_frame_equal(stored.effects, expl.effects, check_dtype=False)
    fig = waterfall(stored.effects, stored.totals, stored.about)
    drawn = [o.name for o in OUTCOMES if o.name not in expl.about["assumed_in_both"]]
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    assert len(panels) == len(drawn)
    assert [t.get_text() for t in panels[0].get_yticklabels()] == ["paris (A)", "united_states", "costs", "paris (B)"]


def test_an_outcome_undefined_in_one_scenario_is_said_not_drawn(planted):
    _, _, _, expl = planted
    totals = expl.totals.copy()
    effects = expl.effects.copy()
    totals.loc[totals["outcome"] == "activated", ["b", "total"]] = float("nan")
    effects.loc[effects["outcome"] == "activated", "effect"] = float("nan")
    fig = waterfall(effects, totals, expl.about)
    label = BY_NAME["activated"].label
    panel = next(ax for ax in fig.axes if ax.get_title(loc="left").replace("\n", " ") == label)
    assert any("not defined in paris" in t.get_text().replace("\n", " ") for t in panel.texts)


# --------------------------------------------------------------------------- states added and dropped


def _variant(tmp_path, body: str, name: str = "variant"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"extends: {PARIS}\nid: {name}\n{body}", encoding="utf-8")
    return path


ADD_AND_DROP = """states:
  - {id: NZL, drop: true}
  - id: MLT
    name: Malta
    assumption: a hypothetical small contributor, for the test
    troops: {pledge: 500, willingness: 0.9, deployment: ukraine}
"""


def test_a_state_in_only_one_file_is_its_own_group(tmp_path):
    a = sim.load_scenario(PARIS).scenario
    b = sim.load_scenario(_variant(tmp_path, ADD_AND_DROP)).scenario
    p = plan(a, b)
    assert p.names == ["states.NZL", "states.MLT"]
    found = {c.path: c for c in p.changes}
    assert str(found["states.NZL"].b) == "absent" and str(found["states.MLT"].a) == "absent"
    # the ends are A and B themselves; in between, each state comes or goes alone
    assert changes(between(a, b, set()), a) == [] and changes(between(a, b, {"states.NZL", "states.MLT"}), b) == []
    assert [s.id for s in between(a, b, {"states.NZL", "states.MLT"}).states] == [s.id for s in b.states]
    mid = {s.id for s in between(a, b, {"states.MLT"}).states}
    assert {"NZL", "MLT"} <= mid


def test_a_new_lead_nation_is_swapped_with_the_force_that_names_it(tmp_path):
    a = sim.load_scenario(PARIS).scenario
    body = ADD_AND_DROP + "package:\n  multinational_force:\n    lead_nations: [FRA, GBR, MLT]\n" \
        "    assumption: Malta co-leads, for the test\n"
    b = sim.load_scenario(_variant(tmp_path, body)).scenario
    p = plan(a, b)
    assert ("package.multinational_force", "states.MLT") in p.units
    assert all(len(p.scenarios[s].states) for s in p.steps)  # every step validated


def test_two_scenarios_that_do_not_differ_are_refused():
    a = sim.load_scenario(PARIS).scenario
    with pytest.raises(InputError, match="no change to explain"):
        plan(a, a.model_copy(update={"title": "another title"}))


# --------------------------------------------------------------------------- the command


def test_explain_on_the_command_line(tmp_path):
    variant = _variant(tmp_path, "united_states:\n  honour: {value: 0.9, assumption: a more reliable US (a test)}\n"
                                 "costs:\n  troop_month_usd: {value: 30000, assumption: dearer troops (a test)}\n")
    out = tmp_path / "out"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(["explain", str(PARIS), str(variant), "--replications", "300", "--seed", "3",
                     "--out", str(out)]) == 0
    text = stdout.getvalue()
    assert "two-order approximation of a Shapley attribution" in text
    assert "Largest contributors" in text and "interaction" in text
    assert "honour: beta(5, 5) on [0, 1] → 0.9" in text
    assert "assumption: a more reliable US (a test)" in text
    assert {p.name for p in out.iterdir()} >= {"explain.json", "changes.csv", "effects.csv", "totals.csv",
                                               "steps.csv", "manifest.json", "figures"}
    about = json.loads((out / "explain.json").read_text())
    assert about["groups"] == ["united_states", "costs"] and about["replications"] == 300 and about["seed"] == 3
    # never overwritten
    assert main(["explain", str(PARIS), str(variant), "--out", str(out)]) == 2
    # the figure is redrawn from the stored tables
    shutil.rmtree(out / "figures")
    assert main(["plot", str(out)]) == 0
    assert (out / "figures" / "waterfall.png").stat().st_size > 10_000


def test_explain_names_a_bad_outcome_and_a_bad_file(tmp_path, capsys):
    assert main(["explain", str(PARIS), str(PARIS), "--outcome", "max_response", "--outcome", "nope",
                 "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "a level outcome has no single value" in err and "unknown outcome 'nope'" in err
    assert main(["explain", str(PARIS), str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]) == 2
    assert not (tmp_path / "o").exists()


def test_explain_warns_when_one_scenario_assumes_a_ceasefire(tmp_path):
    a = sim.load_scenario(PARIS)
    b = sim.load_scenario(SCENARIOS / "paris-unconditional.yaml")
    p = plan(a.scenario, b.scenario)
    assert p.names == ["ceasefire"]
    runs = run_plan(p, 100, 1, 100, columns=columns_for(OUTCOMES))
    expl = explain(p, runs, OUTCOMES, 1, 100)
    assert "paris is conditional on a ceasefire" in expl.about["warning"]
    assert "paris-unconditional is not" in expl.about["warning"]
    assert not math.isnan(expl.totals.set_index("outcome").loc["ceasefire", "total"])
