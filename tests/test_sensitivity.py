"""Sensitivity analysis: a planted driver and an input that cannot matter, ranked as they must be;
the replication noise measured apart; the designs; the command on a file and on a results folder."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("SALib")

from sim.analysis import sensitivity as SA  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.experiment import sampling  # noqa: E402
from sim.experiment.blocks import run_scenario  # noqa: E402
from sim.experiment.spread import run_spread  # noqa: E402
from sim.model.outcomes import BY_NAME  # noqa: E402
from sim.scenario.schema import Scenario  # noqa: E402

DRIVER = "package.monitoring.attribution"
IRRELEVANT = "states.FRA.parliament.delay_months"  # France needs no vote: the delay can touch nothing

#: One state that pledges nothing and needs no vote; a ceasefire from month 0; violations detected
#: almost always; attribution uncertain over nearly all of [0, 1].
PLANTED = {
    "id": "planted",
    "title": "Planted driver",
    "run": {"horizon_months": 12, "replications": 3000, "block_size": 1000, "seed": 5},
    "ceasefire": {"assumed_month": 0, "assumption": "test fixture"},
    "package": {"monitoring": {"detection": 0.95, "attribution": {"dist": "uniform", "low": 0.02, "high": 0.98},
                               "assumption": "test fixture: attribution drives 'attributed'"}},
    "russia": {"opportunity_per_month": 0.3, "assumption": "test fixture"},
    "states": [{"id": "FRA", "name": "France", "assumption": "test fixture: pledges nothing, needs no vote",
                "troops": {"pledge": 0},
                "parliament": {"vote_required": False, "delay_months": {"dist": "uniform", "low": 1, "high": 12}}}],
}


@pytest.fixture(scope="module")
def planted():
    sc = Scenario.model_validate(PLANTED)
    out = run_scenario(sc, 3000, 5, 1000)
    design = run_spread(sc, 5, 40, 50)
    sens = SA.given_data(out.inputs, out.runs, [BY_NAME["attributed"]], design_runs=design.runs,
                         state_names={"FRA": "France"}, seed=1)
    return sc, out, sens


def test_planted_driver_ranks_first_and_the_irrelevant_input_is_zero_within_its_interval(planted):
    _, _, sens = planted
    rows = sens.for_outcome("attributed").set_index("input")
    driver, irrelevant = rows.loc[DRIVER], rows.loc[IRRELEVANT]
    assert driver["rank"] == 1 and irrelevant["rank"] == 2
    assert driver["low"] > 0.05  # detectably, and substantially, above zero
    assert irrelevant["low"] <= 0 <= irrelevant["high"]
    assert driver["input_label"].startswith("P(a detected violation is attributed")
    assert irrelevant["input_label"].startswith("France: months")


def test_replication_noise_is_measured_apart_and_the_parts_add_up(planted):
    _, out, sens = planted
    v = sens.variance.set_index("outcome").loc["attributed"]
    mask, y = SA.outcome_values(out.runs, BY_NAME["attributed"])
    assert v["n"] == mask.sum() == out.runs["violation"].sum()
    assert v["variance"] == pytest.approx(y.var(ddof=1))
    # A share's 0/1 varies even at known inputs: noise is most of it, but not all (attribution matters).
    assert 0.5 < v["noise_share"] < 0.97 and v["noise_low"] <= v["noise_share"] <= v["noise_high"] < 1
    assert v["assumptions_detected"]
    assert v["interactions"] == pytest.approx(max(0.0, 1 - v["noise_share"] - v["first_order_sum"]))
    driver = sens.for_outcome("attributed").iloc[0]
    assert driver["of_assumptions"] == pytest.approx(driver["estimate"] / (1 - v["noise_share"]))
    # With the attribution fixed, attributed is Bernoulli(p(x)) at each point: the pooled within-point
    # variance is the mean of p(1 - p), which the outer spread of p makes smaller than the total.
    assert v["noise_share"] * v["variance"] < y.var()


def test_noise_variance_of_pure_noise_is_the_whole_variance():
    """Closed form: an outcome that no input touches has noise share 1 within its interval."""
    rng = np.random.default_rng(3)
    runs = pd.DataFrame({"point": np.repeat(np.arange(50), 40), "ceasefire": True,
                         "collapsed": rng.uniform(size=2000) < 0.3})
    value, low, high, points = SA.noise_variance(runs, BY_NAME["collapsed"])
    assert points == 50
    assert low <= 0.3 * 0.7 <= high
    assert value == pytest.approx(runs["collapsed"].var(), rel=0.05)


def test_sentences_name_the_driver_with_its_numbers(planted):
    _, _, sens = planted
    text = " ".join(SA.sentences(sens))
    assert f"({DRIVER}) explains about" in text and "'A violation attributed to Russia'" in text
    assert "replications' own chance" in text
    assert IRRELEVANT not in text


def test_fast_periodogram_is_scipys():
    from scipy.signal import periodogram

    x = np.random.default_rng(0).normal(size=1001)
    for n in (1000, 1001):
        f1, p1 = periodogram(x[:n])
        f2, p2 = SA.periodogram(x[:n])
        assert np.allclose(f1, f2) and np.allclose(p1, p2, rtol=1e-10, atol=1e-14)


def test_unit_values_are_the_distributions_quantiles():
    from scipy import stats

    from sim.scenario import params
    from sim.scenario.schema import LevelChoice

    u = np.array([0.0, 0.1, 0.5, 0.9, 1.0])
    assert np.allclose(sampling.from_unit(params.Uniform(dist="uniform", low=2, high=4), u), 2 + 2 * u)
    beta = params.Beta(dist="beta", a=6, b=4, low=0, high=10)
    assert np.allclose(sampling.from_unit(beta, u), 10 * stats.beta(6, 4).ppf(u))
    choice = params.Choice(dist="choice", values=[1, 2, 3], weights=[1, 1, 2])
    assert sampling.from_unit(choice, np.array([0.1, 0.3, 0.6, 0.99])).tolist() == [1, 2, 3, 3]
    levels = LevelChoice(dist="choice", values=["political", "direct"])
    assert sampling.from_unit(levels, np.array([0.2, 0.7])).tolist() == [1, 4]


def test_design_points_hold_their_values(planted):
    sc, _, _ = planted
    table = pd.DataFrame({DRIVER: [0.05, 0.95]})
    runs = sampling.run_points(sc, table, inner=300, seed=1)
    assert runs["point"].value_counts().to_dict() == {0: 300, 1: 300}
    share = runs[runs["violation"]].groupby("point")["attributed"].mean()
    assert share[1] - share[0] > 0.3  # attribution 0.05 vs 0.95 (several violations each get a chance)


def test_sobol_and_morris_designs_rank_the_planted_driver(planted):
    sc, _, _ = planted
    parameters = sampling.uncertain_parameters(sc)
    assert list(parameters) == [DRIVER, IRRELEVANT]
    names = list(parameters)
    unit = sampling.saltelli(names, 64, seed=1)
    assert len(unit) == 64 * (len(names) + 2)
    runs = sampling.run_points(sc, sampling.values_at(parameters, unit), inner=6, seed=1)
    sobol = SA.designed("sobol", unit, runs, 6, [BY_NAME["attributed"]], seed=1)
    s1 = sobol.for_outcome("attributed", "S1").set_index("input")
    st = sobol.for_outcome("attributed", "ST").set_index("input")
    assert s1.loc[DRIVER, "estimate"] > s1.loc[IRRELEVANT, "estimate"]
    assert st.loc[DRIVER, "low"] > 0 and st.loc[IRRELEVANT, "low"] <= 0.05
    unit = sampling.morris_design(names, 10, 4, seed=1)
    runs = sampling.run_points(sc, sampling.values_at(parameters, unit), inner=30, seed=1)
    morris = SA.designed("morris", unit, runs, 30, [BY_NAME["attributed"]], seed=1)
    mu = morris.for_outcome("attributed", "mu_star").set_index("input")
    assert mu.loc[DRIVER, "estimate"] > 3 * mu.loc[IRRELEVANT, "estimate"]


def test_tornado_draws_the_stored_table(planted, tmp_path):
    from sim.figures.sensitivity import tornado

    _, _, sens = planted
    sens.about.update(scenario="planted", seed=5)
    sens.write(tmp_path)
    fig = tornado(SA.load(tmp_path), "attributed")
    texts = " ".join(t.get_text() for t in fig.texts)
    assert "What drives 'A violation attributed to Russia'" in texts
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0].endswith(DRIVER) and any("Interactions" in x for x in labels)


@pytest.fixture
def planted_file(tmp_path):
    path = tmp_path / "planted.yaml"
    path.write_text(yaml.safe_dump(PLANTED, sort_keys=False), encoding="utf-8")
    return path


def test_cli_on_a_scenario_file(planted_file, tmp_path, capsys):
    out = tmp_path / "sens"
    assert main(["sensitivity", str(planted_file), "--outcome", "attributed", "--replications", "3000",
                 "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"({DRIVER}) explains about" in text and "What the numbers are" in text
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["input"]) == {DRIVER, IRRELEVANT}
    assert table.set_index("input").loc[DRIVER, "rank"] == 1
    assert (out / "figures" / "sensitivity_attributed.png").is_file()
    assert (out / "run" / "inputs.parquet").is_file() and (out / "noise_runs.parquet").is_file()
    # never overwritten
    assert main(["sensitivity", str(planted_file), "--outcome", "attributed", "--out", str(out)]) == 2


def test_cli_on_a_results_folder(planted_file, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["run", str(planted_file), "--replications", "3000", "--out", str(run), "--no-figures"]) == 0
    capsys.readouterr()
    assert main(["sensitivity", str(run), "--outcome", "attributed"]) == 0
    text = capsys.readouterr().out
    assert f"({DRIVER}) explains about" in text
    (folder,) = (run / "sensitivity").iterdir()
    assert {"sensitivity.csv", "variance.csv", "sensitivity.json", "figures"} <= {p.name for p in folder.iterdir()}


def test_cli_sobol_design(planted_file, tmp_path, capsys):
    out = tmp_path / "sobol"
    assert main(["sensitivity", str(planted_file), "--method", "sobol", "--outcome", "attributed",
                 "--samples", "32", "--replications", "6", "--out", str(out)]) == 0
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["index"]) == {"S1", "ST"}
    assert (out / "design.parquet").is_file() and (out / "design_runs.parquet").is_file()
    assert main(["sensitivity", str(planted_file), "--method", "sobol", "--samples", "30",
                 "--out", str(tmp_path / "x")]) == 2


def test_cli_bad_outcome_is_one_clear_problem(planted_file, capsys):
    assert main(["sensitivity", str(planted_file), "--outcome", "atributed"]) == 2
    err = capsys.readouterr().err
    assert "unknown outcome 'atributed'" in err and "attributed" in err


def test_missing_analysis_extra_says_how_to_install(planted_file, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "SALib", None)  # `import SALib` now raises ImportError
    assert main(["sensitivity", str(planted_file)]) == 1
    assert 'pip install -e ".[analysis]"' in capsys.readouterr().err
