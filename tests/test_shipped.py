"""Shipped scenarios by name (`sim.load_scenario("paris")`, `python -m sim run paris`), in-process.

The installed package (a wheel, not this source tree) is tested in tests/test_packaging.py.
"""

from __future__ import annotations

import shutil

import pytest

import sim
from sim.cli import main
from sim.evidence import find_register
from sim.scenario import shipped
from sim.scenario.yamlio import InputError

from .conftest import CASES, ROOT, SCENARIOS


def test_names_are_the_files_below_scenarios():
    names = shipped.names()
    assert {"paris", "armed-neutrality", "history/korea-1953", "history/base"} <= set(names)
    assert len(names) == len(list(SCENARIOS.rglob("*.yaml")))
    assert shipped.path_of("history/korea-1953") == SCENARIOS / "history" / "korea-1953.yaml"
    assert shipped.path_of("../seeds/facts") is None


def test_a_source_tree_reads_the_repositorys_own_folders():
    assert shipped.scenarios_folder() == SCENARIOS
    assert shipped.seeds_folder() == ROOT / "seeds"
    assert not (ROOT / "sim" / "data").exists()  # only a built wheel has sim/data


def test_load_scenario_by_name_from_any_folder(in_tmp):
    loaded = sim.load_scenario("paris")
    assert loaded.path == SCENARIOS / "paris.yaml" and loaded.scenario.id == "paris"
    assert loaded.register.folder == (ROOT / "seeds").resolve() and loaded.notes == []
    assert sim.load_scenario("history/korea-1953").scenario.id == "korea-1953"


def test_a_file_wins_over_a_name(in_tmp):
    shutil.copy(CASES / "valid" / "minimal.yaml", in_tmp / "paris")
    loaded = sim.load_scenario("paris")
    assert loaded.path.name == "paris" and [s.id for s in loaded.scenario.states] == ["FRA"]


def test_unknown_name_lists_the_shipped_ones(in_tmp, capsys):
    assert main(["validate", "pariss"]) == 2
    err = capsys.readouterr().err
    assert "pariss: no such file, and no scenario of that name ships with sim; did you mean 'paris'?" in err
    assert "history/korea-1953" in err and "Traceback" not in err


def test_a_missing_path_to_a_shipped_scenario_says_its_name(in_tmp):
    with pytest.raises(InputError) as exc:
        sim.load_scenario("scenarios/history/korea-1953.yaml")
    assert "ships this scenario as 'history/korea-1953'" in str(exc.value)
    with pytest.raises(InputError) as exc:
        sim.load_scenario("elsewhere.yaml")
    assert "file not found" in str(exc.value)


def test_a_users_file_outside_the_clone_extends_a_shipped_one_and_cites_its_facts(in_tmp, capsys):
    mine = in_tmp / "mine.yaml"
    mine.write_text(
        "extends: paris\n"
        "united_states:\n  honour: {value: 0.8, assumption: my guess}\n"
        "states:\n  - {id: FRA, troops: {pledge: {value: 4000, facts: [planned-force-size-wsj-2025-03]}}}\n",
        encoding="utf-8",
    )
    loaded = sim.load_scenario(mine)
    assert loaded.scenario.id == "mine" and len(loaded.scenario.states) == len(sim.load_scenario("paris").scenario.states)
    assert loaded.register.folder == (ROOT / "seeds").resolve()
    assert len(loaded.notes) == 1 and "register that ships with sim" in loaded.notes[0]
    assert main(["validate", str(mine)]) == 0
    out, err = capsys.readouterr()
    assert ": ok — mine, " in out and "register that ships with sim" in err


def test_find_register_falls_back_to_the_shipped_one(tmp_path):
    assert find_register(tmp_path) == shipped.seeds_folder()
    assert find_register(CASES / "invalid") == ROOT / "seeds"


def test_a_sweep_file_anywhere_names_a_shipped_scenario(in_tmp):
    from sim.experiment.design import load_sweep

    sweep = in_tmp / "my-sweep.yaml"
    sweep.write_text("scenario: paris\nparameters:\n  united_states.honour: [0.2, 0.8]\n"
                     "design: {kind: grid}\nreplications: 10\n", encoding="utf-8")
    plan = load_sweep(sweep)
    assert plan.base.path == SCENARIOS / "paris.yaml" and len(plan.points) == 2
