import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
CASES = Path(__file__).resolve().parent / "scenarios"


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run in an empty folder so default results/ paths land in tmp_path."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pytest_configure(config):
    os.environ.setdefault("MPLBACKEND", "Agg")
