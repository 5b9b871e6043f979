"""Property: any mutation of a valid scenario either validates or fails cleanly (exit 2)."""

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main

from .conftest import CASES, SCENARIOS

BASES = [
    yaml.safe_load((CASES / "valid" / "distributions.yaml").read_text()),
    yaml.safe_load((SCENARIOS / "paris.yaml").read_text()),
]

junk = st.one_of(
    st.none(), st.booleans(), st.integers(-10**7, 10**7), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["dist", "low", "high", "value", "a", "b", "x"]),
                    st.one_of(st.integers(-3, 3), st.text(max_size=5), st.floats(-2, 2)), max_size=3),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


def _get(node, path):
    for p in path:
        node = node[p]
    return node


@st.composite
def mutated(draw):
    data = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(data, path[:-1])
        action = draw(st.sampled_from(["replace", "delete", "add_key", "rename"]))
        key = path[-1]
        if action == "replace":
            parent[key] = draw(junk)
        elif action == "delete":
            del parent[key]
        elif action == "add_key" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(junk)
        elif action == "rename" and isinstance(parent, dict):
            parent[str(key) + draw(st.text(min_size=1, max_size=2))] = parent.pop(key)
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=mutated())
def test_mutated_scenario_validates_or_fails_with_exit_2(tmp_path, capsys, data):
    path = tmp_path / "mutant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    status = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert status in (0, 2)
    if status == 2:
        assert err.strip() and "Traceback" not in err
        assert all("mutant.yaml" in line for line in err.strip().splitlines())
    else:
        assert "ok" in out
