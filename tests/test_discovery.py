"""Scenario discovery: PRIM finds a planted box, its coverage and density are the counts they claim to
be, and the command works on a scenario file and on a results folder."""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("ema_workbench")

from sim.analysis import discovery as DI  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.model.outcomes import BY_NAME  # noqa: E402

from .test_sensitivity import DRIVER, PLANTED  # noqa: E402

ATTRIBUTION, RESOLVE, BACKSTOP, PLEDGE = (
    "package.monitoring.attribution", "states.FRA.resolve", "united_states.backstop", "states.FRA.troops.pledge")


@pytest.fixture(scope="module")
def planted_box():
    """Activation happens (with 90% chance) exactly when attribution > 0.6, France's resolve < 0.5 and the
    US offers enablers or more; 5% of the other cases happen anyway.  The pledge touches nothing."""
    rng = np.random.default_rng(0)
    n = 4000
    inputs = pd.DataFrame({
        "replication": np.arange(n), ATTRIBUTION: rng.uniform(size=n), RESOLVE: rng.uniform(size=n),
        BACKSTOP: rng.integers(1, 4, n).astype(np.int8), PLEDGE: rng.uniform(1000, 5000, n),
    })
    inside = (inputs[ATTRIBUTION] > 0.6) & (inputs[RESOLVE] < 0.5) & (inputs[BACKSTOP] >= 2)
    activated = (inside & (rng.uniform(size=n) < 0.9)) | (rng.uniform(size=n) < 0.05)
    tested = rng.uniform(size=n) < 0.8  # the other replications are outside the denominator
    runs = pd.DataFrame({
        "guarantee_test": pd.Categorical(np.where(~tested, "no_test", np.where(activated, "activated", "failed"))),
        "activated": activated & tested,
    })
    return inputs, runs, DI.discover(inputs, runs, BY_NAME["activated"], state_names={"FRA": "France"}, boxes=1)


def test_prim_finds_the_planted_box(planted_box):
    _, _, found = planted_box
    limits = found.limits.set_index("input")
    assert set(limits.index) == {ATTRIBUTION, RESOLVE, BACKSTOP}  # the pledge is not restricted
    assert limits.loc[ATTRIBUTION, "low"] == pytest.approx(0.6, abs=0.05) and limits.loc[ATTRIBUTION, "low_restricted"]
    assert limits.loc[RESOLVE, "high"] == pytest.approx(0.5, abs=0.05) and not limits.loc[RESOLVE, "low_restricted"]
    assert limits.loc[BACKSTOP, "words"] == f"{BACKSTOP} is enablers or monitoring"
    assert (limits[["qp_low", "qp_high"]].min(axis=1) < 0.05).all()
    box = found.boxes.iloc[0]
    assert box["density"] > 0.8 and box["coverage"] > 0.6


def test_coverage_density_and_mass_are_the_counts_they_claim(planted_box):
    inputs, runs, found = planted_box
    tested = runs["guarantee_test"].astype(str).isin(["activated", "failed"]).to_numpy()
    x, y = inputs[tested].reset_index(drop=True), runs["activated"].to_numpy()[tested]
    inside = np.ones(len(x), dtype=bool)
    for _, r in found.limits.iterrows():
        inside &= x[r["input"]].between(r["low"], r["high"]).to_numpy()
    box = found.boxes.iloc[0]
    assert found.about["cases"] == tested.sum() and found.about["cases_of_interest"] == y.sum()
    assert found.about["base_rate"] == pytest.approx(y.mean())
    assert box["coverage"] == pytest.approx(y[inside].sum() / y.sum())
    assert box["density"] == pytest.approx(y[inside].mean())
    assert box["mass"] == pytest.approx(inside.mean())


def test_sentences_and_figure(planted_box, tmp_path):
    from sim.figures.discovery import prim_boxes

    _, _, found = planted_box
    (line,) = DI.sentences(found)
    assert line.startswith("Box 1: in ") and "'Guarantee activated when tested' happened (coverage)" in line
    assert re.search(rf"{ATTRIBUTION} at least 0\.(5[5-9]|6[0-5])", line) and "(density)" in line
    found.about.update(scenario="planted", seed=0)
    found.write(tmp_path)
    fig = prim_boxes(DI.load(tmp_path))
    assert any("Where 'Guarantee activated when tested' happened" in t.get_text() for t in fig.texts)


def test_a_quantity_needs_a_threshold_and_defaults_to_the_median():
    rng = np.random.default_rng(1)
    n = 1000
    inputs = pd.DataFrame({"replication": np.arange(n), PLEDGE: rng.uniform(1000, 5000, n)})
    runs = pd.DataFrame({"ceasefire": True, "force_in_ukraine": inputs[PLEDGE] + rng.normal(0, 100, n)})
    x, y, about = DI.cases(inputs, runs, BY_NAME["force_in_ukraine"])
    assert about["threshold"] == pytest.approx(np.median(runs["force_in_ukraine"]))
    assert y.mean() == pytest.approx(0.5, abs=0.01)
    _, y, about = DI.cases(inputs, runs, BY_NAME["force_in_ukraine"], threshold=4000, below=True)
    assert y.sum() == (runs["force_in_ukraine"] < 4000).sum() and "below 4,000 troops" in about["of_interest"]


@pytest.fixture
def planted_file(tmp_path):
    path = tmp_path / "planted.yaml"
    path.write_text(yaml.safe_dump(PLANTED, sort_keys=False), encoding="utf-8")
    return path


def test_cli_on_a_file_and_on_a_results_folder(planted_file, tmp_path, capsys):
    out = tmp_path / "disc"
    assert main(["discover", str(planted_file), "--outcome", "attributed", "--replications", "3000",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Box 1: in " in text and f"{DRIVER} at least" in text
    limits = pd.read_csv(out / "limits.csv")
    assert limits["input"].tolist() == [DRIVER]
    assert (out / "figures" / "discovery_attributed.png").is_file() and (out / "run" / "inputs.parquet").is_file()

    # Without attribution several violations still give one a chance: "not attributed" never gets very dense.
    assert main(["discover", str(out / "run"), "--outcome", "attributed", "--below", "--min-density", "0.4"]) == 0
    text = capsys.readouterr().out
    assert "did not happen" in text and f"{DRIVER} at most" in text
    (folder,) = (out / "run" / "discovery").iterdir()
    assert (folder / "boxes.csv").is_file()


def test_missing_analysis_extra_says_how_to_install(planted_file, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    assert main(["discover", str(planted_file), "--outcome", "activated"]) == 1
    assert 'pip install -e ".[analysis]"' in capsys.readouterr().err
