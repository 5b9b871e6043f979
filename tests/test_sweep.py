"""Sweeps: determinism across workers and executors (a real Dask LocalCluster too),
resume after SIGKILL, invalid sweep files, failing units, common random numbers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiment.design import load_sweep
from sim.experiment.executors import local_executor
from sim.model.outcomes import OUTCOMES
from sim.results.sweep import format_points, run_sweep
from sim.results.summary import denominator

from .conftest import ROOT, SCENARIOS

SWEEPS = ROOT / "sweeps"


def write_sweep(folder: Path, body: str, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(f"scenario: {SCENARIOS / 'paris-unconditional.yaml'}\n" + body)
    return path


SMALL = """\
parameters:
  united_states.backstop: [political, monitoring]
  russia.acceptance.without_troops: [0.2, 0.8]
replications: 150
block_size: 50
seed: 3
"""


@pytest.fixture(scope="module")
def small_plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plan")
    return load_sweep(write_sweep(folder, SMALL))


@pytest.fixture(scope="module")
def serial_points(small_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "out"
    return run_sweep(small_plan, out, executor=None, progress=False).points


def test_points_table_has_one_row_per_point_with_intervals(serial_points):
    p = serial_points
    assert len(p) == 4 and list(p["point"]) == [0, 1, 2, 3]
    assert (p["replications"] == 150).all() and p["complete"].all()
    for o in OUTCOMES:
        if o.kind in ("share", "rate"):
            ok = p[o.name].notna()
            assert ((p.loc[ok, f"{o.name}_low"] <= p.loc[ok, o.name])
                    & (p.loc[ok, o.name] <= p.loc[ok, f"{o.name}_high"])).all(), o.name
    assert list(p["united_states.backstop"]) == ["political", "political", "monitoring", "monitoring"]


def test_each_point_is_over_its_outcomes_denominators(small_plan, tmp_path):
    """A point's `<name>_n` counts the outcome's denominator in that point's unit files."""
    out = tmp_path / "n"
    points = run_sweep(small_plan, out, executor=None, progress=False).points
    for point, row in points.iterrows():
        runs = pd.concat([pd.read_parquet(f) for f in sorted((out / "units").glob(f"p{point:06d}-*.parquet"))])
        assert len(runs) == row["replications"]
        for o in OUTCOMES:
            assert row[f"{o.name}_n"] == int(denominator(runs, o.denominator).sum()), o.name
        tested = runs["guarantee_test"].isin(["activated", "failed"])
        assert row["activated"] == pytest.approx((runs["guarantee_test"] == "activated").sum() / tested.sum(),
                                                 nan_ok=True)
    text = format_points(points, small_plan.parameter_paths)
    assert ("Guarantee activated when tested: estimate [95% simulation-noise interval] of n replications "
            "whose guarantee was in force") in text


def test_every_cell_carries_its_interval_and_count_and_thin_cells_are_marked(serial_points, small_plan):
    from sim.results.sweep import MIN_OBSERVATIONS

    p = serial_points
    for o in OUTCOMES:
        assert (p[f"{o.name}_few"] == (p[f"{o.name}_n"] < MIN_OBSERVATIONS)).all(), o.name
    text = format_points(p, small_plan.parameter_paths)
    row = p.iloc[0]
    pct = lambda v: f"{100 * v:.1f}%"  # noqa: E731
    cell = f"{pct(row['activated'])} [{pct(row['activated_low'])}, {pct(row['activated_high'])}] of {row['activated_n']:,}"
    assert cell in text
    thin = p["activated_few"] | p["force_ge_minimum_few"] | p["violations_per_year_few"]
    assert (f"* fewer than {MIN_OBSERVATIONS} replications in the denominator" in text) == bool(thin.any())
    assert text.count(" *") == int(p["activated_few"].sum() + p["force_ge_minimum_few"].sum()
                                   + p["violations_per_year_few"].sum())


def test_same_points_on_two_local_workers(small_plan, serial_points, tmp_path):
    with local_executor(2) as ex:
        two = run_sweep(small_plan, tmp_path / "two", executor=ex, in_flight=3, progress=False).points
    pd.testing.assert_frame_equal(serial_points, two)
    assert (tmp_path / "two" / "points.parquet").is_file() and (tmp_path / "two" / "points.csv").is_file()


def test_same_points_on_a_dask_local_cluster(small_plan, serial_points, tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    from sim.experiment.executors import dask_executor

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        with dask_executor(cluster.scheduler_address) as ex:
            on_dask = run_sweep(small_plan, tmp_path / "dask", executor=ex, progress=False).points
    pd.testing.assert_frame_equal(serial_points, on_dask)


def test_common_random_numbers_across_points(serial_points):
    """Points differ only by their parameters (same draws at every point): a lower acceptance
    never gives more ceasefires, and neither does a larger US role, which Russia accepts less."""
    p = serial_points.set_index(["united_states.backstop", "russia.acceptance.without_troops"])
    for level in ("political", "monitoring"):
        assert p.loc[(level, 0.2), "ceasefire"] <= p.loc[(level, 0.8), "ceasefire"]
    for acceptance in (0.2, 0.8):
        assert p.loc[("monitoring", acceptance), "ceasefire"] <= p.loc[("political", acceptance), "ceasefire"]


def _boom(scenario, unit, seed):
    if unit.point == 1 and unit.block.index == 1:
        raise RuntimeError("injected failure")
    from sim.experiment.units import run_unit

    return run_unit(scenario, unit, seed)


def test_a_failing_unit_is_recorded_and_the_sweep_goes_on(small_plan, serial_points, tmp_path):
    out = tmp_path / "fail"
    with ThreadPoolExecutor(2) as ex:
        outcome = run_sweep(small_plan, out, executor=ex, progress=False, fn=_boom)
    assert [f["unit"] for f in outcome.failures] == ["p000001-b00001"]
    assert "injected failure" in outcome.failures[0]["error"]
    assert (out / "failures" / "p000001-b00001.json").is_file()
    row = outcome.points.set_index("point").loc[1]
    assert not row["complete"] and row["replications"] == 100
    assert outcome.points.set_index("point").drop(index=1)["complete"].all()
    # resuming runs only the failed unit and then matches an uninterrupted sweep
    again = run_sweep(small_plan, out, executor=None, resume=True, progress=False)
    assert again.units_run == 1 and not again.failures
    pd.testing.assert_frame_equal(again.points, serial_points)
    assert not (out / "failures" / "p000001-b00001.json").exists()


def test_cli_sweep_exit_status_lists_failed_units(tmp_path, monkeypatch, capsys):
    import sim.results.sweep as store

    path = write_sweep(tmp_path, SMALL)
    real = store.run_sweep
    monkeypatch.setattr(store, "run_sweep", lambda *a, **k: real(*a, **{**k, "fn": _boom}))
    status = main(["sweep", str(path), "--workers", "1", "--out", str(tmp_path / "o"), "--no-figures"])
    err = capsys.readouterr().err
    assert status == 1
    assert "p000001-b00001" in err and "injected failure" in err


def test_resume_refuses_another_sweep(tmp_path, capsys):
    a = write_sweep(tmp_path, SMALL, "a.yaml")
    b = write_sweep(tmp_path, SMALL.replace("replications: 150", "replications: 100"), "b.yaml")
    out = tmp_path / "out"
    assert main(["sweep", str(a), "--workers", "1", "--out", str(out), "--no-figures"]) == 0
    capsys.readouterr()
    assert main(["sweep", str(b), "--workers", "1", "--out", str(out), "--resume", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert "holds a different sweep" in err and "Traceback" not in err
    # and without --resume an existing folder is never written into
    assert main(["sweep", str(a), "--workers", "1", "--out", str(out), "--no-figures"]) == 2
    assert "use --resume" in capsys.readouterr().err


def test_sigkilled_sweep_resumes_to_the_identical_result(tmp_path):
    body = SMALL.replace("replications: 150", "replications: 600").replace("block_size: 50", "block_size: 25")
    path = write_sweep(tmp_path, body)
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "sim", "sweep", str(path), "--workers", "1", "--out", str(killed), "--no-figures"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    units = killed / "units"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if units.is_dir() and len(list(units.glob("*.parquet"))) >= 20:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list(units.glob("*.parquet")))
    assert 20 <= done_before < 96 and not (killed / "points.parquet").exists()

    assert main(["sweep", str(path), "--workers", "2", "--out", str(killed), "--resume", "--no-figures"]) == 0
    fresh = tmp_path / "fresh"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(fresh), "--no-figures"]) == 0
    assert len(list(units.glob("*.parquet"))) == 96 and not list(units.glob(".*"))
    pd.testing.assert_frame_equal(pd.read_parquet(killed / "points.parquet"), pd.read_parquet(fresh / "points.parquet"))
    manifest = (killed / "manifest.json").read_text()
    assert '"units_skipped": ' + str(done_before) in manifest


def test_shipped_sweeps_are_valid_and_cover_the_asked_questions():
    a = load_sweep(SWEEPS / "us-backstop-x-acceptance.yaml")
    assert a.parameter_paths == ["united_states.backstop", "russia.acceptance.without_troops"]
    assert len(a.points) == 5 * 5
    b = load_sweep(SWEEPS / "willingness-x-congress.yaml")
    assert set(b.parameter_paths) == {"states.DEU.troops.willingness", "states.POL.troops.willingness",
                                      "states.ITA.troops.willingness", "united_states.congress.approval"}
    assert len(b.points) == 64
    for values, sc in zip(b.points, b.scenarios):
        by_id = {s.id: s for s in sc.states}
        assert by_id["POL"].troops.willingness.value == pytest.approx(values["states.POL.troops.willingness"])
        assert sc.united_states.congress.approval.value == pytest.approx(values["united_states.congress.approval"])


@pytest.mark.parametrize("kind,extra,n", [
    # Sobol: a Saltelli design of 8 × (2 parameters + 2) points; Morris: 3 trajectories × (2 + 1).
    ("latin_hypercube", "points: 16", 16), ("sobol", "points: 8", 32), ("morris", "trajectories: 3", 9),
])
def test_sampled_designs_stay_in_bounds_and_are_seeded(tmp_path, kind, extra, n):
    body = f"""\
parameters:
  russia.opportunity_per_month: {{low: 0.01, high: 0.05}}
  united_states.backstop: [none, political, enablers]
design: {{kind: {kind}, {extra}}}
replications: 10
seed: 11
"""
    plan = load_sweep(write_sweep(tmp_path, body))
    again = load_sweep(write_sweep(tmp_path, body, "again.yaml"))
    assert len(plan.points) == n
    assert plan.points == again.points
    for p in plan.points:
        assert 0.01 <= p["russia.opportunity_per_month"] <= 0.05
        assert p["united_states.backstop"] in ("none", "political", "enablers")


INVALID_SWEEPS = {
    "unknown key": ("replicatons: 10\nparameters: {russia.opportunity_per_month: [0.1]}\n", "unknown field 'replicatons'; did you mean 'replications'?"),
    "missing parameters": ("replications: 10\n", "parameters: required field is missing"),
    "bad axis": ("parameters: {russia.opportunity_per_month: 0.3}\n", "expected a list of values, {start, stop, step} or {low, high[, levels]}"),
    "reversed range": ("parameters: {russia.opportunity_per_month: {start: 0.5, stop: 0.1, step: 0.1}}\n", "start must not exceed stop"),
    "grid bounds without levels": ("parameters: {russia.opportunity_per_month: {low: 0.1, high: 0.2}}\n", "a grid needs 'levels' for bounds"),
    "unknown state": ("parameters: {states.XXX.troops.willingness: [0.5]}\n", "the scenario has no state 'XXX'"),
    "value out of range": ("parameters: {russia.opportunity_per_month: [0.1, 1.5]}\n", "expected a probability in [0, 1]"),
    "unknown parameter": ("parameters: {russia.violence: [0.1]}\n", "unknown field"),
    "sobol not power of two": ("parameters: {russia.opportunity_per_month: {low: 0, high: 1}}\ndesign: {kind: sobol, points: 10}\n", "power of two"),
    "negative replications": ("parameters: {russia.opportunity_per_month: [0.1]}\nreplications: -5\n", "replications: expected greater than or equal to 1"),
    "NaN level": ("parameters: {russia.acceptance.without_troops: [0.2, .nan]}\n",
                  "sweep.yaml:2: parameters.russia.acceptance.without_troops[1]: expected a finite number, found nan"),
    "infinite range": ("parameters: {russia.acceptance.without_troops: {start: 0, stop: .inf, step: 0.1}}\n",
                       "parameters.russia.acceptance.without_troops.stop: expected a finite number, found inf"),
    "bool level": ("parameters: {russia.acceptance.without_troops: [0.2, yes]}\n",
                   "without_troops[1]: expected a number or a level name, found True"),
    "bool replications": ("parameters: {russia.acceptance.without_troops: [0.2]}\nreplications: true\n",
                          "sweep.yaml:3: replications: expected a whole number, found true"),
}


@pytest.mark.parametrize("name", list(INVALID_SWEEPS))
def test_invalid_sweep_file_gets_a_clear_message(tmp_path, capsys, name):
    body, fragment = INVALID_SWEEPS[name]
    path = write_sweep(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert str(path) in err
    assert not out.exists(), "nothing may be written for a bad sweep file"


def test_missing_scenario_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("scenario: nowhere.yaml\nparameters: {russia.opportunity_per_month: [0.1]}\n")
    assert main(["sweep", str(path)]) == 2
    assert "s.yaml:1: scenario: the scenario file does not exist: nowhere.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("kind,extra", [("sobol", "points: 16"), ("morris", "trajectories: 6")])
def test_morris_and_sobol_sweeps_end_with_their_indices(tmp_path, capsys, kind, extra):
    pytest.importorskip("SALib")
    body = f"""\
parameters:
  united_states.backstop: [none, political, direct]
  package.monitoring.attribution: {{low: 0.2, high: 0.95}}
design: {{kind: {kind}, {extra}}}
replications: 100
seed: 5
"""
    out = tmp_path / "out"
    assert main(["sweep", str(write_sweep(tmp_path, body)), "--workers", "1", "--out", str(out), "--no-figures"]) == 0
    text = capsys.readouterr().out
    indices = pd.read_csv(out / "indices.csv")
    assert (out / "points.parquet").is_file() and (out / "variance.csv").is_file()
    assert set(indices["input"]) == {"united_states.backstop", "package.monitoring.attribution"}
    assert set(indices["index"]) == ({"S1", "ST"} if kind == "sobol" else {"mu_star", "sigma"})
    assert (indices["low"] <= indices["estimate"]).all() or kind == "morris"
    assert "What the numbers are" in text
    # The US level (no backstop up to US forces) moves the ceasefire far more than attribution does.
    key = "S1" if kind == "sobol" else "mu_star"
    ceasefire = indices[(indices["outcome"] == "ceasefire") & (indices["index"] == key)].set_index("input")
    assert ceasefire.loc["united_states.backstop", "estimate"] > ceasefire.loc["package.monitoring.attribution",
                                                                               "estimate"]


# --------------------------------------------------------------------------- limits and faults


def test_a_sweeps_points_are_capped_before_any_is_made():
    """Counted from the axes, not expanded: a 10,001 × 1,001 grid is refused at once."""
    from pydantic import ValidationError

    from sim.experiment.design import MAX_POINTS, Sweep

    grid = {"scenario": "x.yaml", "parameters": {
        "russia.acceptance.without_troops": {"start": 0, "stop": 1, "step": 0.0001},
        "states.DEU.troops.willingness": {"low": 0, "high": 1, "levels": 1000}}}
    with pytest.raises(ValidationError, match=f"at most {MAX_POINTS:,} points; this one has 10,001,000"):
        Sweep.model_validate(grid)
    morris = {"scenario": "x.yaml", "design": {"kind": "morris", "trajectories": 5000}, "parameters": {
        "russia.acceptance.without_troops": {"low": 0, "high": 1}, "united_states.backstop": ["none", "direct"]}}
    with pytest.raises(ValidationError, match="5,000 trajectories × \\(2 parameters \\+ 1\\)"):
        Sweep.model_validate(morris)


def test_too_many_points_is_a_message_on_the_parameters_line(tmp_path, capsys, monkeypatch):
    from sim.experiment import design

    monkeypatch.setattr(design, "MAX_POINTS", 10)
    path = write_sweep(tmp_path, "parameters:\n  russia.acceptance.without_troops: [0.1, 0.2, 0.3, 0.4]\n"
                                 "  united_states.backstop: [none, political, enablers, direct]\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: parameters: a sweep may have at most 10 points; this one has 16 (4 × 4)" in err
    assert not (tmp_path / "o").exists()


def test_a_morris_design_without_salib_names_the_extra_and_the_line(tmp_path, capsys, monkeypatch):
    for name in ("SALib", "SALib.sample", "SALib.sample.morris"):
        monkeypatch.setitem(sys.modules, name, None)  # as if the analysis extra were not installed
    path = write_sweep(tmp_path, "parameters:\n  russia.acceptance.without_troops: {low: 0, high: 1}\n"
                                 "design: {kind: morris, trajectories: 2}\n")
    assert main(["sweep", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert f"{path}:4: design.kind: a morris design needs SALib, which comes with the 'analysis' extra: " \
           'pip install -e ".[analysis]"' in err


def test_a_kill_before_the_description_is_written_leaves_a_folder_that_starts_again(small_plan, serial_points,
                                                                                     tmp_path, monkeypatch):
    from sim.results import storage

    real = storage.write_json

    def killed(path, data):
        if path.name == "sweep.json":
            raise KeyboardInterrupt  # the process dies between creating the folder and describing it
        real(path, data)

    out = tmp_path / "out"
    monkeypatch.setattr(storage, "write_json", killed)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(small_plan, out, executor=None, progress=False)
    monkeypatch.setattr(storage, "write_json", real)
    assert not out.exists() or not any(out.iterdir())
    points = run_sweep(small_plan, out, executor=None, resume=True, progress=False).points
    pd.testing.assert_frame_equal(points, serial_points)


def test_a_damaged_description_is_a_message(small_plan, tmp_path, capsys):
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--no-figures"]) == 0
    (out / "sweep.json").write_text('{"fingerprint": "')  # cut short
    capsys.readouterr()
    assert main(["sweep", str(path), "--workers", "1", "--out", str(out), "--resume", "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert f"{out / 'sweep.json'}:1: damaged JSON" in err and "cannot be resumed" in err and "Traceback" not in err


def test_an_empty_unit_file_runs_again_on_resume(small_plan, serial_points, tmp_path, capsys):
    out = tmp_path / "out"
    run_sweep(small_plan, out, executor=None, progress=False)
    unit = out / "units" / "p000002-b00001.parquet"
    unit.write_bytes(b"")  # e.g. a crash of the machine before the data reached the disk
    (out / "points.parquet").unlink()
    again = run_sweep(small_plan, out, executor=None, resume=True, progress=False)
    assert again.units_run == 1
    assert f"{unit}: damaged (empty or cut short); the unit runs again" in capsys.readouterr().err
    pd.testing.assert_frame_equal(again.points, serial_points)


POOL_OWNER = """\
import sys, time
from sim.experiment.executors import local_executor
with local_executor(2) as pool:
    for f in [pool.submit(time.sleep, 0.5) for _ in range(2)]:
        f.result()
    print(*pool._processes, flush=True)
    time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"  # a zombie has exited
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_exit_when_the_parent_is_killed():
    proc = subprocess.Popen([sys.executable, "-c", POOL_OWNER], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    workers = [int(p) for p in proc.stdout.readline().split()]
    assert len(workers) == 2 and not any(_gone(p) for p in workers)
    proc.kill()  # SIGKILL: no clean-up runs in the parent
    proc.wait()
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline and not all(_gone(p) for p in workers):
            time.sleep(0.1)
        assert all(_gone(p) for p in workers), "pool workers outlived their parent"
    finally:
        for pid in workers:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("address,fragment", [
    ("tcp://127.0.0.1:1", "cannot reach a Dask scheduler at 'tcp://127.0.0.1:1'"),
    ("no-such-scheme://host:1", "unknown address scheme"),
    ("tcp://localhost:notaport", "cannot reach a Dask scheduler"),
])
def test_an_unreachable_or_malformed_scheduler_is_a_message(tmp_path, capsys, monkeypatch, address, fragment):
    pytest.importorskip("dask.distributed")
    from sim.experiment import executors

    monkeypatch.setattr(executors, "CONNECT_TIMEOUT", 1, raising=False)
    path = write_sweep(tmp_path, SMALL)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--scheduler", address, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{address}: --scheduler: " in err and fragment in err and "Traceback" not in err
    assert not out.exists()


def test_the_plan_keeps_only_the_points_values_so_the_parent_stays_flat(tmp_path):
    """Every point is validated up front, but a plan holds the points' values, not a scenario per
    point (that cost about 0.2 MB a point of paris): 400 more points add well under 10 kB each,
    while their scenarios, were they kept, would take tens of MB."""
    import tracemalloc

    def plan_memory(levels: int) -> tuple[int, object]:
        body = ("id: flat\nparameters:\n"
                f"  united_states.honour: {{low: 0.1, high: 0.9, levels: {levels}}}\n"
                "design: {kind: grid}\nreplications: 10\n")
        path = write_sweep(tmp_path, body, f"flat-{levels}.yaml")
        tracemalloc.start()
        try:
            plan = load_sweep(path)
            size = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        return size, plan

    small, _ = plan_memory(10)
    large, plan = plan_memory(410)
    assert len(plan.points) == 410
    assert (large - small) / 400 < 10_000
    # and a point's scenario is still there when a unit asks for it, with the point's value
    assert plan.scenarios[123].united_states.honour.value == pytest.approx(plan.points[123]["united_states.honour"])
