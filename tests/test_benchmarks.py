"""The benchmark scripts run (tiny sizes; no timing is asserted: speed is measured by the
scripts themselves, and their figures go into the README).  A benchmark that breaks when
the model changes would leave the README's figures unreproducible."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest

import sim

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "benchmarks"


@pytest.fixture(autouse=True)
def _benchmarks_on_path(monkeypatch):
    # As when a script runs: its own folder is first on sys.path (for benchmarks/baseline.py).
    monkeypatch.syspath_prepend(str(BENCHMARKS))


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_v1_history() -> bool:
    if shutil.which("git") is None:
        return False
    commit = _load("baseline").V1_COMMIT
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    return found.returncode == 0


def test_model_benchmark_prints_both_ratios(capsys):
    bench = _load("bench_model")
    bench.main(["--replications", "300", "--single", "2", "--repeats", "1", "--rounds", "2"])
    out = capsys.readouterr().out
    assert "ratio vectorised / one model each" in out
    if _has_v1_history():
        assert "ratio v2 / v1, round by round" in out
        assert "2 interleaved rounds" in out


def test_sweep_benchmarks_batch_run_model_runs_one_replication_per_model():
    bench = _load("bench_sweep")
    scenario = sim.load_scenario(ROOT / "scenarios" / "paris.yaml").scenario
    rate = bench.batch_run_rate(scenario, 2)
    if rate is None:
        pytest.skip("this Mesa has no batch_run")
    assert rate > 0
