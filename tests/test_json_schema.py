"""`sim schema` for editors: strict JSON that a JavaScript validator (ajv) compiles, accepting every
shipped scenario, complete or partial (`extends`), and the copy in schema/ up to date.

ajv-cli comes from $SIM_AJV (the `ajv` executable; .ci/run installs it once into a cache) or, when
that is unset, is installed with npm into the same cache.  The ajv tests skip only without node and
npm.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from sim.cli import main
from sim.scenario import json_schema

from .conftest import ROOT, SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("history/*.yaml"))
SCHEMA_FILE = ROOT / "schema" / "scenario.schema.json"
AJV_PACKAGES = ("ajv-cli@5.0.0", "ajv-formats@3.0.1")


def _strict_loads(text: str):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _as_json(path: Path) -> dict:
    # What an editor's YAML language server hands the validator: YAML 1.2 has no dates, so strings.
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


@pytest.fixture(scope="module")
def schema_text() -> str:
    return json_schema.dumps(json_schema.scenario_schema())


def test_schema_command_prints_strict_json(capsys, schema_text):
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert out == schema_text
    doc = _strict_loads(out)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["title"] == "sim scenario"


def test_the_shipped_schema_file_is_up_to_date(schema_text):
    assert SCHEMA_FILE.is_file()
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text, (
        "schema/scenario.schema.json is out of date: run python schema/make_schema.py"
    )


def test_non_finite_defaults_are_dropped_not_written():
    class Bounds(BaseModel):
        low: float = -math.inf
        high: float = math.inf
        mid: float = 0.5

    raw = Bounds.model_json_schema()
    with pytest.raises(ValueError):
        json.dumps(raw, allow_nan=False)  # pydantic's own output is not JSON
    doc = _strict_loads(json_schema.dumps(json_schema._finite(raw)))
    assert "default" not in doc["properties"]["low"] and "default" not in doc["properties"]["high"]
    assert doc["properties"]["mid"]["default"] == 0.5
    assert json_schema._finite({"enum": [1.0, math.inf], "default": {"a": math.nan, "b": 1}}) == {
        "enum": [1.0], "default": {"b": 1}}
    with pytest.raises(ValueError):
        json_schema.dumps({"default": -math.inf})


def test_name_is_required_only_in_a_file_without_extends(schema_text):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(schema_text))
    state = {"id": "FRA", "resolve": 0.5}
    assert not list(validator.iter_errors({"extends": "paris.yaml", "states": [state]}))
    assert list(validator.iter_errors({"states": [state]}))  # a complete file names its states
    assert list(validator.iter_errors({"extends": None, "states": [state]}))
    assert list(validator.iter_errors({"extends": "paris.yaml", "states": [{"name": "France"}]}))  # ids match
    # A parameter given as a mapping replaces the inherited one whole, so it stays complete.
    assert list(validator.iter_errors({"extends": "paris.yaml", "united_states": {"honour": {"dist": "beta", "a": 2}}}))


def test_every_shipped_scenario_satisfies_the_schema_in_python(schema_text):
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json.loads(schema_text))
    assert any("extends" in _as_json(p) for p in SHIPPED) and len(SHIPPED) >= 14
    for path in SHIPPED:
        errors = list(validator.iter_errors(_as_json(path)))
        assert not errors, (path.name, errors[0].message)


# --------------------------------------------------------------------------- ajv (JavaScript)


def _ajv() -> Path:
    """The ajv executable: $SIM_AJV, else installed once with npm into the cache .ci/run uses."""
    given = os.environ.get("SIM_AJV")
    if given:
        assert Path(given).is_file(), f"SIM_AJV={given} does not exist"
        return Path(given)
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are not installed, so ajv-cli (a JavaScript JSON Schema validator) cannot run")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sim-ci" / "ajv"
    ajv = cache / "node_modules" / ".bin" / "ajv"
    if not ajv.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent",
                               *AJV_PACKAGES], capture_output=True, text=True)
        assert proc.returncode == 0 and ajv.is_file(), f"npm install {' '.join(AJV_PACKAGES)} failed:\n{proc.stderr}"
    return ajv


def _ajv_run(ajv: Path, *args: str) -> subprocess.CompletedProcess:
    # The schema declares draft 2020-12 and uses format "date" (ajv-formats); ajv runs in strict mode,
    # so an unknown keyword or format fails as well.
    return subprocess.run([str(ajv), *args, "--spec=draft2020", "-c", "ajv-formats", "--strict=true"],
                          capture_output=True, text=True)


def test_ajv_accepts_the_schema_and_every_shipped_scenario_and_rejects_an_unnamed_state(tmp_path, schema_text):
    ajv = _ajv()
    schema = tmp_path / "scenario.schema.json"
    schema.write_text(schema_text, encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir()
    for path in SHIPPED:
        name = path.relative_to(SCENARIOS).with_suffix(".json").as_posix().replace("/", "--")
        (data / name).write_text(json.dumps(_as_json(path)), encoding="utf-8")
    # One run (node starts in seconds): a complete file whose state has no name must fail.
    (data / "zz-unnamed-state.json").write_text(json.dumps({"states": [{"id": "FRA", "assumption": "test"}]}),
                                                encoding="utf-8")
    proc = _ajv_run(ajv, "validate", "-s", str(schema), "-d", str(data / "*.json"), "--errors=text")
    output = proc.stdout + proc.stderr
    verdicts = {Path(line.rsplit(" ", 1)[0]).name: line.rsplit(" ", 1)[1]
                for line in output.splitlines() if line.endswith((" valid", " invalid"))}
    assert len(verdicts) == len(SHIPPED) + 1, output
    assert verdicts.pop("zz-unnamed-state.json") == "invalid", output
    assert "must have required property 'name'" in output
    assert set(verdicts.values()) == {"valid"}, output
    assert proc.returncode != 0  # ajv's status says some file was invalid
