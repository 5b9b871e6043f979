"""`sim plot`, `sim compare` and `sim report` through main(), on small runs."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from sim.cli import main
from sim.figures.run import RUN_FIGURES
from sim.model.outcomes import KEY_OUTCOMES

from .conftest import SCENARIOS

PARIS = SCENARIOS / "paris.yaml"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    files = [SCENARIOS / "paris.yaml", SCENARIOS / "paris-wider-coalition.yaml", SCENARIOS / "copenhagen-2025-08.yaml"]
    assert main(["compare", *map(str, files), "--replications", "600", "--spread-points", "4", "--out", str(out)]) == 0
    return out


def test_compare_writes_a_table_figures_and_each_run(compared):
    table = pd.read_csv(compared / "comparison.csv")
    assert list(table["scenario"]) == ["paris", "paris-wider-coalition", "copenhagen-2025-08"]
    assert (table["replications"] == 600).all() and table["seed"].nunique() == 1
    for name in ("ceasefire", "force_ge_minimum", "violations_per_year", "activated"):
        ok = table[name].notna()
        assert ((table.loc[ok, f"{name}_low"] <= table.loc[ok, name]) & (table.loc[ok, name] <= table.loc[ok, f"{name}_high"])).all()
    # each scenario's row is its own stored summary
    for _, row in table.iterrows():
        summary = json.loads((compared / row["scenario"] / "summary.json").read_text())["outcomes"]
        for o in KEY_OUTCOMES:
            if o.kind == "share":
                stored = summary[o.name]["p"]  # null in JSON when its denominator is empty
                assert row[o.name] == pytest.approx(float("nan") if stored is None else stored, nan_ok=True)
                assert row[f"{o.name}_n"] == summary[o.name]["n"]
    assert {p.name for p in (compared / "figures").glob("*.png")} == {"comparison.png", "comparison_trend.png"}
    for sid in table["scenario"]:
        assert (compared / sid / "runs.parquet").is_file()


def test_compare_uses_common_random_numbers(compared):
    """The two Paris variants differ only in Germany, Poland and Italy: every other
    state's treaty vote comes out the same in every replication."""
    a = pd.read_parquet(compared / "paris" / "states.parquet")
    b = pd.read_parquet(compared / "paris-wider-coalition" / "states.parquet")
    changed = {"DEU", "POL", "ITA"}
    a, b = (x[~x["state"].astype(str).isin(changed)].reset_index(drop=True) for x in (a, b))
    a["state"], b["state"] = a["state"].astype(str), b["state"].astype(str)
    pd.testing.assert_series_equal(a["ratified"], b["ratified"])


def test_compare_prints_the_key_outcomes_with_their_denominators(compared):
    from sim.results.compare import format_comparison

    text = format_comparison(pd.read_csv(compared / "comparison.csv"))
    lines = [line.strip() for line in text.splitlines()]
    for o in KEY_OUTCOMES:
        i = next(i for i, line in enumerate(lines) if line.startswith(o.label))
        assert lines[i + 1].startswith(f"of {o.denominator_label}")
    assert "95% simulation-noise intervals" in text


def test_plot_redraws_a_comparison_from_stored_results(compared):
    shutil.rmtree(compared / "figures")
    assert main(["plot", str(compared)]) == 0
    assert (compared / "figures" / "comparison.png").stat().st_size > 10_000


def test_report_of_a_scenario_file_runs_it_and_writes_everything(tmp_path):
    out = tmp_path / "rep"
    assert main(["report", str(PARIS), "--replications", "500", "--spread-points", "4", "--out", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    summary = json.loads((out / "summary.json").read_text())
    p = summary["outcomes"]["force_ge_minimum"]["p"]
    assert f"{100 * p:.0f}%" in html or f"{100 * p:.1f}%" in html
    assert "<img" in html or "<svg" in html
    # It ran the two-level design too: the spread to quote, and the fan chart.
    assert "90% spread across the assumptions" in html and "(the range to quote)" in html
    assert {f.stem for f in (out / "figures").glob("*.png")} == {*RUN_FIGURES, "timeline_fan"}


def test_report_of_a_comparison_folder_gives_each_scenario_and_the_differences(compared):
    from sim.results.compare import difference_text

    assert main(["report", str(compared)]) == 0
    html = (compared / "report.html").read_text(encoding="utf-8")
    diffs = pd.read_csv(compared / "differences.csv", keep_default_na=False, na_values=[""])
    for sid in ("paris", "paris-wider-coalition", "copenhagen-2025-08"):
        assert f"<strong>{sid}</strong>" in html
    assert "paris-wider-coalition minus paris" in html and "copenhagen-2025-08 minus paris" in html
    row = diffs[(diffs["scenario"] == "paris-wider-coalition") & (diffs["outcome"] == "force_in_ukraine")].iloc[0]
    assert difference_text(row["difference"], row["low"], row["high"], row["unit"]) in html
    assert "quote " in html and "the range to quote" in html  # the spread of each scenario (compare ran it)
    assert "python -m sim compare" in html and "--spread-points 4" in html


def test_report_and_plot_of_a_results_folder(tmp_path):
    out = tmp_path / "run"
    assert main(["run", str(PARIS), "--replications", "400", "--spread-points", "4", "--out", str(out),
                 "--no-figures"]) == 0
    assert not (out / "figures").exists()
    assert main(["plot", str(out)]) == 0
    # The run has its two-level design (spread_runs.parquet), so plot draws the fan chart too.
    assert {f.stem for f in (out / "figures").glob("*.png")} == {*RUN_FIGURES, "timeline_fan"}
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["versions"]["mesa"] in html  # versions recorded with the run, not today's


def test_plot_of_a_sweep_folder(tmp_path):
    sweep = tmp_path / "s.yaml"
    sweep.write_text(
        f"scenario: {SCENARIOS / 'paris-unconditional.yaml'}\n"
        "parameters:\n  united_states.backstop: [political, monitoring]\n"
        "  russia.acceptance.without_troops: [0.3, 0.7]\nreplications: 60\nblock_size: 30\nseed: 1\n"
    )
    out = tmp_path / "out"
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out)]) == 0
    drawn = {p.name for p in (out / "figures").glob("*.png")}
    assert drawn, "sweep writes its figures"
    shutil.rmtree(out / "figures")
    assert main(["plot", str(out)]) == 0
    assert {p.name for p in (out / "figures").glob("*.png")} == drawn


def test_plot_refuses_a_folder_that_holds_no_results(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "not a results folder" in capsys.readouterr().err


def test_compare_reports_every_bad_file(tmp_path, capsys):
    from .conftest import CASES

    bad = [CASES / "invalid" / "unknown-key.yaml", CASES / "invalid" / "negative-count.yaml"]
    assert main(["compare", *map(str, bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown-key.yaml" in err and "negative-count.yaml" in err
    assert not (tmp_path / "o").exists()
