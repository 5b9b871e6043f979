"""``--set PATH=VALUE`` on run, compare and report, and ``load_scenario(..., overrides=)``."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.scenario.overrides import COMMAND_LINE, parse_sets, set_path
from sim.scenario.yamlio import InputError

from .conftest import SCENARIOS

PARIS = SCENARIOS / "paris.yaml"
RUN = ["--replications", "200", "--seed", "7", "--no-figures"]
SETS = [
    "--set", "united_states.honour=0.8",
    "--set", "states.*.resolve=0.9",
    "--set", "states.FRA.resolve=0.55",  # later overrides win
    "--set", "package.monitoring.attribution={dist: uniform, low: 0.3, high: 0.6}",
    "--set", "united_states.backstop=political",
]


@pytest.fixture(scope="module")
def overridden(tmp_path_factory):
    out = tmp_path_factory.mktemp("set") / "run"
    assert main(["run", str(PARIS), *RUN, "--out", str(out), *SETS]) == 0
    return out


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _by_id(scenario: dict) -> dict:
    return {s["id"]: s for s in scenario["states"]}


def test_a_number_is_set_with_its_assumption(overridden):
    honour = _json(overridden / "scenario.json")["united_states"]["honour"]
    assert honour["value"] == 0.8 and honour["assumption"] == COMMAND_LINE
    assert honour["facts"] == [], "the file's facts backed the old number, not this one"


def test_a_wildcard_sets_every_state_and_a_later_set_wins(overridden):
    states = _by_id(_json(overridden / "scenario.json"))
    assert len(states) > 2
    for sid, state in states.items():
        assert state["resolve"]["value"] == (0.55 if sid == "FRA" else 0.9), sid
        assert state["resolve"]["assumption"] == COMMAND_LINE


def test_a_distribution_mapping(overridden):
    attribution = _json(overridden / "scenario.json")["package"]["monitoring"]["attribution"]
    assert (attribution["dist"], attribution["low"], attribution["high"]) == ("uniform", 0.3, 0.6)
    assert attribution["assumption"] == COMMAND_LINE


def test_a_level(overridden):
    backstop = _json(overridden / "scenario.json")["united_states"]["backstop"]
    assert backstop["value"] == "political" and backstop["assumption"] == COMMAND_LINE


def test_the_evidence_says_where_the_numbers_came_from(overridden):
    rows = {r["parameter"]: r for r in _json(overridden / "evidence.json")["parameters"]}
    for name in ("united_states.honour", "package.monitoring.attribution", "united_states.backstop"):
        assert rows[name]["assumption"] == COMMAND_LINE and rows[name]["facts"] == [], name
    assert rows["united_states.honour"]["value"] == "0.8"


def test_the_manifest_records_the_overrides(overridden):
    manifest = _json(overridden / "manifest.json")
    assert manifest["overrides"] == [
        {"path": "united_states.honour", "value": 0.8, "set": "united_states.honour=0.8"},
        {"path": "states.*.resolve", "value": 0.9, "set": "states.*.resolve=0.9"},
        {"path": "states.FRA.resolve", "value": 0.55, "set": "states.FRA.resolve=0.55"},
        {"path": "package.monitoring.attribution", "value": {"dist": "uniform", "low": 0.3, "high": 0.6},
         "set": "package.monitoring.attribution={dist: uniform, low: 0.3, high: 0.6}"},
        {"path": "united_states.backstop", "value": "political", "set": "united_states.backstop=political"},
    ]
    assert len(manifest["scenario_sha256"]) == 64  # still the file's hash; the overrides sit beside it


def test_an_overridden_run_equals_a_run_of_the_file_with_the_value_written_in(tmp_path):
    edited = tmp_path / "paris.yaml"  # same name, so the same scenario id
    edited.write_text(
        f"extends: {PARIS}\n"
        "united_states:\n"
        "  honour: {value: 0.8, assumption: written into the file}\n",
        encoding="utf-8",
    )
    a, b = tmp_path / "set", tmp_path / "file"
    assert main(["run", str(PARIS), *RUN, "--out", str(a), "--set", "united_states.honour=0.8"]) == 0
    assert main(["run", str(edited), *RUN, "--out", str(b)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(a / "runs.parquet"), pd.read_parquet(b / "runs.parquet"))
    pd.testing.assert_frame_equal(pd.read_parquet(a / "states.parquet"), pd.read_parquet(b / "states.parquet"))


BAD = {
    "value out of range": (
        ["united_states.honour=2"],
        "--set united_states.honour=2: expected a probability in [0, 1], found 2",
    ),
    "unknown field": (
        ["united_states.honor=0.8"],
        "--set united_states.honor=0.8: unknown field 'honor'; did you mean 'honour'?",
    ),
    "unknown block": (
        ["united_state.honour=0.8"],
        "--set united_state.honour=0.8: united_state: unknown field 'united_state'; did you mean 'united_states'?",
    ),
    "unknown state": (
        ["states.FRX.resolve=0.5"],
        "--set states.FRX.resolve=0.5: the scenario has no state 'FRX'; did you mean 'FRA'?",
    ),
    "wildcard, unknown field": (
        ["states.*.resolv=0.5"],
        "--set states.*.resolv=0.5: unknown field 'resolv'; did you mean 'resolve'?",
    ),
    "no '='": (
        ["united_states.honour"],
        "--set united_states.honour: expected PATH=VALUE",
    ),
    "not YAML": (
        ["package.monitoring.attribution={dist: uniform"],
        "--set package.monitoring.attribution={dist: uniform: VALUE is not plain YAML: YAML syntax error",
    ),
    "a Python tag": (
        ["united_states.honour=!!python/object/apply:os.system [ls]"],
        "VALUE is not plain YAML",
    ),
    "reversed distribution": (
        ["package.monitoring.attribution={dist: uniform, low: 0.6, high: 0.3}"],
        "--set package.monitoring.attribution={dist: uniform, low: 0.6, high: 0.3}: low must not exceed high",
    ),
    "not a level": (
        ["united_states.backstop=everything"],
        "--set united_states.backstop=everything: expected 'none', 'political', 'enablers', 'monitoring' or 'direct', "
        "found 'everything'",
    ),
    "a number where a level goes": (
        ["united_states.backstop=3"],
        "--set united_states.backstop=3: expected a level",
    ),
    "unknown fact": (
        ["united_states.honour={value: 0.3, facts: [no-such-fact]}"],
        "--set united_states.honour={value: 0.3, facts: [no-such-fact]}: facts[0]: unknown fact id 'no-such-fact'",
    ),
    "list position": (
        ["united_states.elections.99.month=3"],
        "--set united_states.elections.99.month=3: 'united_states.elections' is a list; expected a position",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_set_is_one_line_exit_2_and_nothing_written(in_tmp, capsys, name):
    sets, line = BAD[name]
    args = [a for s in sets for a in ("--set", s)]
    assert main(["run", str(PARIS), *RUN, *args]) == 2
    err = capsys.readouterr().err
    assert line in err and "Traceback" not in err
    assert len([ln for ln in err.splitlines() if ln.startswith("--set")]) == 1, err
    assert not (in_tmp / "results").exists(), "nothing may be written"


def test_every_bad_set_is_reported_at_once(in_tmp, capsys):
    assert main(["run", str(PARIS), *RUN, "--set", "united_states.honour=-1", "--set", "states.*.resolve=1.5"]) == 2
    err = capsys.readouterr().err
    assert "--set united_states.honour=-1: expected a probability in [0, 1], found -1" in err
    # one line for the wildcard, not one per state
    assert err.count("--set states.*.resolve=1.5: expected a probability in [0, 1], found 1.5") == 1
    assert "2 problems found" in err
    assert not (in_tmp / "results").exists()


def test_a_cross_field_check_names_the_set_and_the_field_it_broke(in_tmp, capsys):
    months = [e.month for e in sim.load_scenario(PARIS).scenario.united_states.elections]
    if not months:
        pytest.skip("paris.yaml has no US elections to fall outside a shorter horizon")
    short = min(months) - 1
    assert main(["run", str(PARIS), *RUN, "--set", f"run.horizon_months={short}"]) == 2
    err = capsys.readouterr().err
    assert f"--set run.horizon_months={short}: united_states.elections[" in err
    assert f"expected a month within run.horizon_months ({short})" in err
    assert not (in_tmp / "results").exists()


def test_compare_applies_the_same_sets_to_every_scenario(tmp_path):
    other = SCENARIOS / "paris-2025-09.yaml"
    out = tmp_path / "cmp"
    assert main(["compare", str(PARIS), str(other), "--replications", "200", "--seed", "7", "--out", str(out),
                 "--set", "united_states.honour=0.8", "--set", "states.*.resolve=0.9"]) == 0
    folders = [p for p in out.iterdir() if (p / "scenario.json").is_file()]
    assert len(folders) == 2
    for folder in folders:
        sc = _json(folder / "scenario.json")
        assert sc["united_states"]["honour"]["value"] == 0.8
        assert {s["resolve"]["value"] for s in sc["states"]} == {0.9}
        assert _json(folder / "manifest.json")["overrides"][0]["path"] == "united_states.honour"


def test_compare_names_the_scenario_a_set_does_not_fit(tmp_path, capsys):
    sc = sim.load_scenario(PARIS).scenario
    sid = next(s.id for s in reversed(sc.states) if s.id not in sc.package.multinational_force.lead_nations)
    other = tmp_path / "without.yaml"
    other.write_text(f"extends: {PARIS}\nstates:\n  - {{id: {sid}, drop: true}}\n", encoding="utf-8")
    assert main(["compare", str(PARIS), str(other), "--out", str(tmp_path / "cmp"),
                 "--set", f"states.{sid}.resolve=0.9"]) == 2
    err = capsys.readouterr().err
    assert f"{other}: --set states.{sid}.resolve=0.9: the scenario has no state '{sid}'" in err
    assert str(PARIS) not in err, "the set fits paris.yaml"
    assert not (tmp_path / "cmp").exists()


def test_report_runs_the_overridden_scenario_and_says_how_to_repeat_it(tmp_path):
    out = tmp_path / "rep"
    assert main(["report", str(PARIS), "--replications", "200", "--seed", "7", "--out", str(out),
                 "--set", "united_states.honour=0.8"]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "--set united_states.honour=0.8" in html  # the reproduce command
    assert COMMAND_LINE in html  # the assumptions table
    assert _json(out / "scenario.json")["united_states"]["honour"]["value"] == 0.8


def test_report_of_stored_results_refuses_set(overridden, capsys):
    assert main(["report", str(overridden), "--set", "united_states.honour=0.8"]) == 2
    assert "applies to a scenario file" in capsys.readouterr().err
    assert not (overridden / "report.html").exists()


# --------------------------------------------------------------------------- Python API and pieces


def test_load_scenario_takes_overrides_in_python():
    loaded = sim.load_scenario(PARIS, overrides={"united_states.honour": 0.8, "states.*.resolve": 0.9})
    assert loaded.scenario.united_states.honour.value == 0.8
    assert {s.resolve.value for s in loaded.scenario.states} == {0.9}
    assert [o.path for o in loaded.overrides] == ["united_states.honour", "states.*.resolve"]
    with pytest.raises(InputError) as exc:
        sim.load_scenario(PARIS, overrides={"united_states.honour": 2})
    assert str(exc.value) == "overrides['united_states.honour']: expected a probability in [0, 1], found 2"


def test_parse_sets_reads_values_as_yaml():
    values = {o.path: o.value for o in parse_sets([
        "a.number=0.8", "a.whole=3", "a.flag=true", "a.level=political", "a.text='0.8'",
        "a.mapping={dist: uniform, low: 0.3, high: 0.6}", "a.list=[1, 2]", "a.padded = 0.5 ",
    ])}
    assert values == {
        "a.number": 0.8, "a.whole": 3, "a.flag": True, "a.level": "political", "a.text": "0.8",
        "a.mapping": {"dist": "uniform", "low": 0.3, "high": 0.6}, "a.list": [1, 2], "a.padded": 0.5,
    }
    with pytest.raises(InputError) as exc:
        parse_sets(["nothing", "Bad.path=1", "a.b={x: 1, x: 2}"])
    assert [p.file for p in exc.value.problems] == ["--set nothing", "--set Bad.path=1", "--set a.b={x: 1, x: 2}"]
    assert "duplicate key 'x'" in exc.value.problems[2].message


def test_set_path_gives_parameters_evidence_and_leaves_other_fields_alone():
    data = {
        "run": {"horizon_months": 36},
        "united_states": {"honour": {"dist": "beta", "a": 5, "b": 5, "facts": ["some-fact"]}},
        "states": [{"id": "FRA", "resolve": 0.7}, {"id": "GBR"}],
    }
    set_path(data, "run.horizon_months", 48, "why")
    assert data["run"]["horizon_months"] == 48  # a run setting, not a claim about the world
    set_path(data, "united_states.honour.a", 7, "why")  # inside a distribution: no longer the cited one
    assert data["united_states"]["honour"] == {"dist": "beta", "a": 7, "b": 5, "assumption": "why"}
    assert set_path(data, "states.*.troops.pledge", 1000, "why") == [
        ("states", 0, "troops", "pledge"), ("states", 1, "troops", "pledge")]
    assert data["states"][1]["troops"]["pledge"] == {"value": 1000, "assumption": "why"}
    set_path(data, "united_states.backstop", {"dist": "choice", "values": ["none", "political"]}, "why")
    assert data["united_states"]["backstop"]["assumption"] == "why"
