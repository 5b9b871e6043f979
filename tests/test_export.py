"""`sim export --format xlsx`: one workbook per results folder, its sheets equal to the stored tables."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from openpyxl import load_workbook

import sim
from sim.cli import main
from sim.experiment.design import load_sweep
from sim.export import write_xlsx
from sim.figures import labels as L
from sim.results.storage import read_parquet
from sim.results.summary import Summary
from sim.results.sweep import run_sweep
from sim.scenario.yamlio import InputError

from .conftest import SCENARIOS

RUN_SHEETS = ["about", "summary", "state summary", "runs", "states", "timeline", "inputs", "spread", "facts"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    result = sim.run(sim.load_scenario(SCENARIOS / "paris.yaml"), replications=300, seed=3, block_size=100,
                     spread_points=3, spread_inner=40)
    return result.save(tmp_path_factory.mktemp("xl") / "paris-run")


@pytest.fixture(scope="module")
def workbook(run_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("book") / "paris.xlsx"
    assert main(["export", str(run_dir), "--format", "xlsx", "--out", str(out)]) == 0
    return load_workbook(out, read_only=True)


def rows(ws) -> list[list]:
    """The sheet's rows, each as wide as the widest (a read-only sheet drops trailing empty cells)."""
    data = [list(r) for r in ws.iter_rows(values_only=True)]
    width = max((len(r) for r in data), default=0)
    return [r + [None] * (width - len(r)) for r in data]


def sheet(wb, name: str) -> pd.DataFrame:
    data = rows(wb[name])
    return pd.DataFrame(data[1:], columns=data[0])


def expected_cells(frame: pd.DataFrame) -> list[list]:
    """A stored table as cell values: categories as text, missing values as empty cells."""
    return [[None if pd.isna(v) else v for v in row] for row in frame.astype(object).itertuples(index=False)]


def same_cells(got: list[list], expected: list[list]) -> bool:
    """Equal cell by cell; a float to Excel's precision (openpyxl writes 16 significant digits)."""
    def same(a, b):
        if isinstance(a, float) and math.isnan(a):
            a = None
        if isinstance(b, float) and not isinstance(a, bool) and a is not None:
            return math.isclose(a, b, rel_tol=1e-15, abs_tol=1e-300)
        return a == b and type(a) is type(b) if isinstance(b, (bool, str)) else a == b

    return len(got) == len(expected) and all(
        len(g) == len(e) and all(same(a, b) for a, b in zip(g, e)) for g, e in zip(got, expected))


def assert_same(wb, name: str, frame: pd.DataFrame) -> None:
    data = rows(wb[name])
    assert data[0] == [str(c) for c in frame.columns], name
    assert same_cells(data[1:], expected_cells(frame)), name


def txt(v) -> str:
    """A text cell; an empty one is ''."""
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else v


def about_text(wb) -> str:
    return "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in rows(wb["about"]))


def test_a_run_gets_every_sheet_with_the_stored_numbers(workbook, run_dir):
    assert workbook.sheetnames == RUN_SHEETS
    for name in ("runs", "states", "timeline", "inputs", "spread"):
        assert_same(workbook, name, read_parquet(run_dir / f"{name}.parquet"))
    summary = Summary.from_dict(json.loads((run_dir / "summary.json").read_text()))
    assert_same(workbook, "summary", summary.to_frame())
    frame = sheet(workbook, "summary").set_index("name")
    # the assumption spread was computed: it is in the summary sheet next to the noise interval
    assert frame.loc["activated", "spread_low"] == summary["activated"].assumptions.low
    assert sheet(workbook, "state summary")["state"].tolist() == [s.state for s in summary.states]


def test_about_states_the_run_the_intervals_and_every_assumption(workbook, run_dir):
    text = about_text(workbook)
    manifest = json.loads((run_dir / "manifest.json").read_text())
    for words in ("paris", "Paris, January 2026", "Seed | 3", "Replications | 300", "Block size | 100",
                  f"sim version | {manifest['versions']['sim']}", manifest["created"], L.NOISE_INTERVAL,
                  L.ASSUMPTION_SPREAD, "3 draws", "denominator"):
        assert words in text, words
    evidence = json.loads((run_dir / "evidence.json").read_text())
    data = rows(workbook["about"])
    start = next(i for i, r in enumerate(data) if r[0] == "parameter")
    table = pd.DataFrame(data[start + 1:], columns=data[start])
    assert len(table) == len(evidence["parameters"]) + len(evidence["states"])
    by_name = table.set_index("parameter")
    for p in evidence["parameters"]:
        row = by_name.loc[p["parameter"]]
        assert row["value or distribution"] == p["value"]
        assert txt(row["facts"]) == ", ".join(p["facts"])
        assert txt(row["assumption"]) == (p["assumption"] or "")
    facts = sheet(workbook, "facts")
    assert set(facts["fact"]) == set(evidence["facts"])


def test_never_overwrites_and_refuses_what_is_not_results(run_dir, tmp_path, capsys):
    out = tmp_path / "book.xlsx"
    out.write_bytes(b"keep me")
    assert main(["export", str(run_dir), "--out", str(out)]) == 2
    assert out.read_bytes() == b"keep me"
    assert "never overwritten" in capsys.readouterr().err
    assert main(["export", str(tmp_path)]) == 2
    assert "not a results folder" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.tmp.xlsx"))  # no temporary file left behind


def test_default_name_sits_in_the_folder(run_dir, tmp_path):
    import shutil

    copy = shutil.copytree(run_dir, tmp_path / "20260101T000000Z-seed3")
    path = write_xlsx(copy)
    assert path == copy / "paris-20260101T000000Z-seed3.xlsx" and path.is_file()
    with pytest.raises(InputError, match="never overwritten"):
        write_xlsx(copy)


def test_long_sheets_are_cut_at_a_whole_replication_and_say_so(run_dir, tmp_path):
    states = read_parquet(run_dir / "states.parquet")
    per = states["state"].nunique()
    out = write_xlsx(run_dir, tmp_path / "cut.xlsx", max_rows=10 * per + 5)
    wb = load_workbook(out, read_only=True)
    got = sheet(wb, "states")
    assert len(got) == 10 * per  # the eleventh replication did not fit whole
    assert_same(wb, "states", states.iloc[: 10 * per])
    assert len(sheet(wb, "runs")) == 300  # under the cap: whole
    text = about_text(wb)
    assert f"states: the first {10 * per:,} of {len(states):,} rows" in text and "states.parquet" in text


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    files = [SCENARIOS / "paris.yaml", SCENARIOS / "paris-no-congress.yaml"]
    assert main(["compare", *map(str, files), "--replications", "100", "--out", str(out)]) == 0
    return out


def test_a_comparison_stacks_each_scenario_after_the_comparison_table(compared, tmp_path):
    out = write_xlsx(compared, tmp_path / "cmp.xlsx")
    wb = load_workbook(out, read_only=True)
    names = wb.sheetnames
    assert names[:3] == ["about", "comparison", "differences"] and names[-1] == "facts"
    diffs = pd.read_csv(compared / "differences.csv")
    assert sheet(wb, "differences")["difference"].astype(float).tolist() == pytest.approx(
        diffs["difference"].tolist(), rel=1e-15, nan_ok=True)
    assert {"summary", "runs", "states", "timeline", "inputs"} <= set(names)
    table = pd.read_csv(compared / "comparison.csv")
    got = sheet(wb, "comparison")
    assert got["scenario"].tolist() == table["scenario"].tolist()
    pd.testing.assert_series_equal(got["activated"].astype(float), table["activated"], check_names=False)
    runs = sheet(wb, "runs")
    for sid in table["scenario"]:
        stored = read_parquet(compared / sid / "runs.parquet")
        mine = runs[runs["scenario"] == sid].drop(columns="scenario").reset_index(drop=True)
        assert same_cells(mine.values.tolist(), expected_cells(stored)), sid
    text = about_text(wb)
    assert "paris-no-congress" in text and "common random numbers" in text
    about = rows(wb["about"])
    start = next(i for i, r in enumerate(about) if r[0] == "scenario" and r[1] == "parameter")
    assert {r[0] for r in about[start + 1:]} == set(table["scenario"])


def test_a_sweep_gets_its_points(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(f"scenario: {SCENARIOS / 'paris.yaml'}\nparameters:\n  united_states.honour: [0.2, 0.8]\n"
                    "replications: 60\nseed: 4\n", encoding="utf-8")
    folder = tmp_path / "sweep"
    run_sweep(load_sweep(spec), folder, progress=False)
    wb = load_workbook(write_xlsx(folder, tmp_path / "sweep.xlsx"), read_only=True)
    assert wb.sheetnames == ["about", "points", "facts"]
    assert_same(wb, "points", read_parquet(folder / "points.parquet"))
    text = about_text(wb)
    assert "united_states.honour" in text and "Seed | 4" in text and "60 per point" in text
