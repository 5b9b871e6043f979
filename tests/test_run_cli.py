"""`python -m sim run` and the Python API: the results folder, never overwriting, summaries."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.commands import format_summary
from sim.model.outcomes import KEY_OUTCOMES, OUTCOMES
from sim.results import load, wilson
from sim.results.summary import Summary, columns_for, summarise

from .conftest import CASES, SCENARIOS

PARIS = SCENARIOS / "paris.yaml"


@pytest.fixture(scope="module")
def paris_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "paris"
    status = main(["run", str(PARIS), "--replications", "1500", "--seed", "5", "--out", str(out), "--no-figures"])
    assert status == 0
    return out


def test_run_writes_the_results_folder(paris_run):
    names = {p.name for p in paris_run.iterdir()}
    assert {"manifest.json", "summary.json", "runs.parquet", "states.parquet", "timeline.parquet",
            "scenario.json", "evidence.json"} <= names
    assert not [n for n in names if n.startswith(".")], "no temporary files are left behind"
    manifest = json.loads((paris_run / "manifest.json").read_text())
    assert manifest["seed"] == 5 and manifest["replications"] == 1500
    assert manifest["block_size"] == 1000 and len(manifest["scenario_sha256"]) == 64
    for dep in ("sim", "mesa", "numpy", "pandas", "pyarrow", "pydantic"):
        assert manifest["versions"][dep]
    assert manifest["timing"]["seconds"] >= 0
    runs = pd.read_parquet(paris_run / "runs.parquet")
    assert len(runs) == 1500 and runs["replication"].tolist() == list(range(1500))
    # every declared outcome's column, and every column its denominator and exposure need
    assert set(columns_for(OUTCOMES)) <= set(runs.columns)
    states = pd.read_parquet(paris_run / "states.parquet")
    assert len(states) == 1500 * len(sim.load_scenario(PARIS).scenario.states)


def test_summary_matches_the_stored_runs(paris_run):
    """The stored summary is the one recomputed from runs.parquet and states.parquet alone."""
    stored = json.loads((paris_run / "summary.json").read_text())
    runs = pd.read_parquet(paris_run / "runs.parquet")
    states = pd.read_parquet(paris_run / "states.parquet")
    again = summarise(runs, states, scenario=stored["scenario"], seed=stored["seed"],
                      block_size=stored["block_size"], evidence=stored["evidence"]).to_dict()
    # The assumption spread comes from the two-level design's own table, not from runs.parquet:
    # everything else must be exactly what the runs give.
    for name, e in stored["outcomes"].items():
        spread = e.pop("assumptions")
        assert spread is None or spread["covers"] == "assumptions", name
        again["outcomes"][name].pop("assumptions")
    assert again == stored
    # Spot checks by hand, so the test does not only compare the summary with itself.
    cf = runs[runs["ceasefire"]]
    d = stored["outcomes"]["force_ge_minimum"]
    p, low, _ = wilson(int(cf["force_ge_minimum"].sum()), len(cf))
    assert (d["k"], d["n"]) == (int(cf["force_ge_minimum"].sum()), len(cf))
    assert d["p"] == pytest.approx(p) and d["noise"]["low"] == pytest.approx(low)
    act = stored["outcomes"]["activated"]
    assert act["n"] == int(runs["guarantee_test"].isin(["activated", "failed"]).sum())
    assert act["k"] == int((runs["guarantee_test"] == "activated").sum())
    assert stored["outcomes"]["force_in_ukraine"]["quantiles"]["q50"] == pytest.approx(cf["force_in_ukraine"].median())
    top = stored["top_contributors"][0]
    assert top["expected_troops"] == pytest.approx(states.groupby("state", observed=True)["troops"].mean().max())


@pytest.mark.parametrize("k,n", [(0, 1), (0, 10), (1, 10), (7, 10), (10, 10), (123, 4567), (4500, 4567)])
def test_wilson_interval_agrees_with_scipy(k, n):
    from scipy import stats

    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    p, low, high = wilson(k, n)
    assert p == k / n
    assert low == pytest.approx(ci.low, abs=1e-12) and high == pytest.approx(ci.high, abs=1e-12)


def test_wilson_interval_matches_the_closed_form():
    # k = 0: upper bound z²/(n + z²); symmetric case k = n/2 centred on 1/2
    z = 1.959963984540054
    p, low, high = wilson(0, 10)
    assert (p, low) == (0.0, 0.0) and high == pytest.approx(z**2 / (10 + z**2), rel=1e-9)
    p, low, high = wilson(50, 100)
    half = z * math.sqrt(0.25 / 100 + z**2 / (4 * 100**2)) / (1 + z**2 / 100)
    assert low == pytest.approx(0.5 - half, rel=1e-9) and high == pytest.approx(0.5 + half, rel=1e-9)


def test_existing_folder_is_never_overwritten(paris_run, capsys):
    before = (paris_run / "runs.parquet").read_bytes()
    status = main(["run", str(PARIS), "--replications", "100", "--out", str(paris_run), "--no-figures"])
    assert status == 2
    assert "never overwritten" in capsys.readouterr().err
    assert (paris_run / "runs.parquet").read_bytes() == before


def test_default_folder_is_new_each_time_and_file_is_short_for_run(in_tmp, capsys):
    for _ in range(2):
        assert main([str(CASES / "valid" / "minimal.yaml"), "--replications", "50", "--no-figures"]) == 0
    folders = sorted((in_tmp / "results" / "minimal").iterdir())
    assert len(folders) == 2 and all((f / "runs.parquet").is_file() for f in folders)
    out = capsys.readouterr().out
    assert "Key outcomes" in out and "95% simulation-noise interval" in out and "results: results/minimal/" in out


def test_bad_scenario_writes_nothing(in_tmp, capsys):
    status = main(["run", str(CASES / "invalid" / "unknown-key.yaml")])
    assert status == 2
    assert "did you mean 'willingness'" in capsys.readouterr().err
    assert not (in_tmp / "results").exists()


def test_api_run_writes_nothing_and_round_trips(in_tmp, tmp_path):
    result = sim.run(sim.load_scenario(PARIS), replications=300, seed=2)
    assert list(in_tmp.iterdir()) == []
    folder = result.save(tmp_path / "saved")
    back = load(folder)
    pd.testing.assert_frame_equal(result.runs, back.runs)
    pd.testing.assert_frame_equal(result.timeline, back.timeline)
    assert back.evidence["coverage"] == result.evidence["coverage"]
    assert isinstance(back.summary, Summary)
    assert back.summary.to_dict() == result.summary.to_dict()


def test_run_on_two_workers_gives_the_same_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    common = [str(PARIS), "--replications", "2500", "--seed", "9", "--no-figures"]
    assert main(["run", *common, "--out", str(a)]) == 0
    assert main(["run", *common, "--out", str(b), "--workers", "2"]) == 0
    for name in ("runs.parquet", "states.parquet", "timeline.parquet"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_terminal_summary_uses_the_declarations(paris_run):
    """Each key outcome's line is `label: estimate [low, high] (k/n denominator words)`, in declaration order."""
    result = load(paris_run)
    text = format_summary(result)
    lines = [line.strip() for line in text.splitlines()]
    found = []
    for o in KEY_OUTCOMES:
        line = next(line for line in lines if line.startswith(o.label + ":"))
        found.append(lines.index(line))
        e = result.summary[o.name]
        assert line.endswith(f"{e.denominator_label})"), line
        if o.kind == "share":
            assert f"{100 * e.p:.1f}% [{100 * e.noise.low:.1f}%, {100 * e.noise.high:.1f}%]" in line
            assert f"({e.k:,}/{e.n:,} {e.denominator_label})" in line
    assert found == sorted(found)
    assert "held" not in text and "95% simulation-noise interval" in text
    assert "Peak force in Ukraine" in text and "Top contributors" in text


def test_results_of_another_version_get_one_clear_message(paris_run, tmp_path, capsys):
    import shutil

    old = tmp_path / "old"
    shutil.copytree(paris_run, old)
    data = json.loads((old / "summary.json").read_text())
    (old / "summary.json").write_text(json.dumps({"probabilities": {}, "replications": data["replications"]}))
    assert main(["report", str(old)]) == 2
    err = capsys.readouterr().err
    assert "summary.json" in err and "another version of sim" in err and "Traceback" not in err
