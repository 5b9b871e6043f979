"""`sim validate` and `sim schema`: valid and invalid scenario files, one by one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.evidence import find_register, load_register, load_scenario
from sim.scenario import params, schema
from sim.scenario.load import UNION_TAGS

from .conftest import CASES, ROOT, SCENARIOS

INVALID = sorted((CASES / "invalid").glob("*.yaml"))
VALID = sorted((CASES / "valid").glob("*.yaml"))
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def expectations(path: Path) -> list[str]:
    return [
        line.removeprefix("# expect:").strip()
        for line in path.read_text().splitlines()
        if line.startswith("# expect:")
    ]


@pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_file_gets_its_message_and_exit_2(path, capsys):
    expected = expectations(path)
    assert expected, f"{path.name} declares no '# expect:' line"
    status = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    for fragment in expected:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    # every message names the file
    for line in err.strip().splitlines():
        assert path.name in line


@pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
def test_valid_file_passes_with_coverage_line(path, capsys):
    assert main(["validate", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: ok")
    assert "parameters cite facts" in out


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_validates_and_cites_facts(path):
    loaded = load_scenario(path)
    sc = loaded.scenario
    assert sc.id == path.stem, "scenario id must match the file name"
    assert sc.sources and sc.as_of and sc.title and sc.description
    cov = loaded.coverage
    assert cov.cited > 0 and cov.facts_used > 0
    header = path.read_text().splitlines()[0]
    assert header.startswith("#"), "each scenario opens with a header comment"


def test_five_scenarios_ship_one_per_source():
    names = {p.stem for p in SHIPPED}
    assert {"paris", "copenhagen-2025-08", "paris-2025-09", "without-us-2025-03", "armed-neutrality"} <= names
    register = load_register(ROOT / "seeds")
    cited_sources = {s for p in SHIPPED for s in load_scenario(p).scenario.sources}
    articles = {sid for sid, source in register.sources.items() if source.seed_file}
    assert cited_sources == articles


def test_every_source_in_the_register_is_cited_by_a_scenario():
    """The five articles by the Ukraine scenarios; every other record by a history case."""
    register = load_register(ROOT / "seeds")
    every = [*SHIPPED, *sorted((ROOT / "scenarios" / "history").glob("*.yaml"))]
    cited = {s for path in every for s in load_scenario(path).scenario.sources}
    assert set(register.sources) == cited


def test_validate_many_files_reports_each(capsys):
    status = main(["validate", str(VALID[0]), str(INVALID[0])])
    captured = capsys.readouterr()
    assert status == 2
    assert VALID[0].name in captured.out and INVALID[0].name in captured.err


def test_extends_merges_states_by_id():
    sc = load_scenario(CASES / "valid" / "variant.yaml").scenario
    assert [s.id for s in sc.states] == ["FRA", "GBR", "POL"]
    gbr = sc.states[1]
    assert gbr.name == "United Kingdom"  # kept from the base
    assert gbr.troops.willingness == 0.2 and gbr.troops.pledge == 8000  # one key overridden
    assert sc.as_of.isoformat() == "2026-01-06"
    assert sc.title == "Variant of the base"


def test_extends_replaces_a_distribution_whole(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "states:\n  - id: FRA\n    name: France\n    assumption: fixture\n"
        "    troops: {willingness: {dist: beta, a: 2, b: 3, facts: [france-uk-keenest-paris-2025-09]}}\n"
    )
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\nstates:\n  - {id: FRA, troops: {willingness: {value: 0, assumption: none sent}}}\n"
    )
    state = load_scenario(tmp_path / "child.yaml").scenario.states[0]
    assert state.troops.willingness.value == 0
    assert state.troops.willingness.facts == [] and state.troops.willingness.assumption == "none sent"


def test_error_in_extended_file_points_at_that_file(tmp_path, capsys):
    (tmp_path / "base.yaml").write_text("states:\n  - {id: FRA, name: France, assumption: fixture, resolve: 3}\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\ntitle: child\n")
    assert main(["validate", str(tmp_path / "child.yaml")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'base.yaml'}:2: states[0].resolve: expected a probability" in err


def test_fact_register_has_no_dangling_ids():
    register = load_register(ROOT / "seeds")
    articles = [source for source in register.sources.values() if source.seed_file]
    assert len(articles) == 5
    assert len(register.facts) >= 60
    for fact in register.facts.values():
        assert fact.source in register.sources
    seeds = {p.name for p in (ROOT.parent / "shared" / "seeds").glob("*.txt")} or None
    for source in register.sources.values():
        if seeds is not None and source.seed_file:
            assert source.seed_file in seeds
    # every fact a shipped scenario cites exists (load_scenario checks it too)
    for path in SHIPPED:
        load_scenario(path)


def test_find_register_walks_up_from_a_scenario_folder():
    assert find_register(CASES / "invalid") == ROOT / "seeds"


def test_union_tags_are_never_field_names():
    """Tags are stripped from error paths, so no field may share a name with one."""
    models = [m for m in vars(schema).values() if isinstance(m, type) and issubclass(m, params.Strict)]
    models += [m for m in vars(params).values() if isinstance(m, type) and issubclass(m, params.Strict)]
    for model in models:
        assert not (set(model.model_fields) & UNION_TAGS), model


def test_schema_command_prints_json_schema_that_accepts_shipped_scenarios(capsys):
    jsonschema = pytest.importorskip("jsonschema")
    assert main(["schema"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["title"] == "sim scenario"
    validator = jsonschema.Draft202012Validator(doc)
    complete = [p for p in SHIPPED + VALID if "extends" not in yaml.safe_load(p.read_text())]
    assert len(complete) >= 7
    for path in complete:  # a file that extends another is partial by design
        data = yaml.safe_load(path.read_text())
        errors = list(validator.iter_errors(json.loads(json.dumps(data, default=str))))
        assert not errors, (path.name, errors[0].message)


def test_cli_through_a_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(CASES / "invalid" / "unknown-key.yaml")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert proc.returncode == 2
    assert "did you mean 'willingness'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_large_file_without_aliases_is_read(tmp_path, monkeypatch):
    """The alias limit counts only what aliases add: a big plain file is not refused for it."""
    from sim.scenario import yamlio

    monkeypatch.setattr(yamlio, "MAX_EXPANDED_NODES", 1000)  # small, so the file need not be
    path = tmp_path / "big.yaml"
    path.write_text("values:\n" + "".join(f"  - {i}\n" for i in range(3000)))
    assert len(yamlio.read_yaml(path).data["values"]) == 3000
    path.write_text("a: &a [" + ", ".join(["1"] * 100) + "]\nb: [" + ", ".join(["*a"] * 20) + "]\n")
    with pytest.raises(yamlio.InputError, match="aliases expand to more than 1,000 nodes"):
        yamlio.read_yaml(path)


def test_aliases_that_nest_deep_are_refused_with_a_line(tmp_path, capsys):
    # Each alias wraps the one before: small in nodes, but 300 levels deep once expanded.
    path = tmp_path / "chain.yaml"
    path.write_text("title: chain\n" + "".join(f"a{i}: &a{i} [{f'*a{i - 1}' if i else 1}]\n" for i in range(300)))
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:" in err and "nested more than 100 levels deep (through alias" in err
    assert "Traceback" not in err


def test_a_long_extends_chain_is_a_message_not_a_recursion_error(tmp_path, capsys):
    n = 500
    for i in range(n):
        (tmp_path / f"v{i}.yaml").write_text(f"extends: v{i + 1}.yaml\n")
    (tmp_path / f"v{n}.yaml").write_text("title: the end of the chain\n")
    assert main(["validate", str(tmp_path / "v0.yaml")]) == 2
    err = capsys.readouterr().err
    assert "v16.yaml:1: extends: more than 16 files extend one another, starting from v0.yaml" in err
    assert "Traceback" not in err


def test_an_unbounded_normal_survives_the_results_round_trip(tmp_path):
    """JSON has no infinity: an unbounded side is stored as null (scenario.json) and read back as unbounded."""
    from sim.results.storage import write_json

    normal = params.Normal(dist="normal", mean=20, sd=5, low=0)
    write_json(tmp_path / "n.json", normal.model_dump(mode="json", by_alias=True))
    again = params.Normal.model_validate(json.loads((tmp_path / "n.json").read_text()))
    assert again.support() == (0, float("inf")) and again == normal


def test_the_command_line_caps_replications_as_the_schema_does():
    from sim import cli
    from sim.experiment import design

    caps = {m.le for m in schema.Run.model_fields["replications"].metadata if hasattr(m, "le")}
    assert caps == {cli.MAX_REPLICATIONS} == {design.MAX_REPLICATIONS}
