"""`pip install .` (not editable) ships the scenarios and the fact register: an installed sim runs
`python -m sim run paris` from an empty folder, far from any clone.

The wheel is built from a copy of the source tree (the build writes build/ and *.egg-info next to
the sources, and others share this one), installed with --no-deps into a fresh virtual
environment, and run there.  The environment finds the dependencies on this interpreter's path
through a .pth file (not --system-site-packages: under CI the test runs inside a venv, whose
packages the base interpreter does not have); a .pth line adds a folder to sys.path without
running that folder's own .pth files, so an editable sim installed here stays out of sight.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

from .conftest import ROOT

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "sim", "scenarios", "seeds")


def _can_build_offline() -> bool:
    """setuptools builds wheels itself from 70.1; before that it needs the `wheel` package.
    A Python 3.12 venv has no setuptools at all: then pip's build isolation fetches it."""
    try:
        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except PackageNotFoundError:
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def _run(args, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(python of a fresh venv with the built wheel installed, an empty folder to run in)."""
    tmp = tmp_path_factory.mktemp("packaging")
    src = tmp / "src"
    src.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "data")
    for name in SOURCES:
        item = ROOT / name
        if item.is_dir():
            shutil.copytree(item, src / name, ignore=ignore)
        else:
            shutil.copy2(item, src / name)
    wheels = tmp / "wheels"
    isolation = ["--no-build-isolation"] if _can_build_offline() else []  # else pip fetches setuptools
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", str(wheels), str(src)])
    (wheel,) = wheels.glob("sim-*.whl")

    venv = tmp / "venv"
    # pip ≥ 22.3 installs into another interpreter (--python): 0.5 s for a venv without pip, not 12.
    outer_pip = tuple(int(x) for x in version("pip").split(".")[:2]) >= (22, 3)
    _run([sys.executable, "-m", "venv", *(["--without-pip"] if outer_pip else []), str(venv)])
    python = venv / "bin" / "python"
    purelib = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                        env=_clean_env()).stdout.strip())
    # Every folder on this interpreter's path (a venv's, its base's with --system-site-packages, the user's)
    # except any holding a sim package: the source tree must not stand in for the wheel.
    outer = [p for p in sys.path if p and Path(p).is_dir() and not (Path(p) / "sim").exists()]
    (purelib / "sim-test-dependencies.pth").write_text("\n".join(dict.fromkeys(outer)) + "\n", encoding="utf-8")
    pip = [sys.executable, "-m", "pip", "--python", str(python)] if outer_pip else [python, "-m", "pip"]
    _run([*pip, "install", "--no-deps", "--no-index", "-q", str(wheel)])
    empty = tmp / "empty"
    empty.mkdir()
    return python, empty


def _clean_env() -> dict:
    """This environment without what would put another sim (a source tree) on the venv's path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSAFEPATH")}
    env["MPLBACKEND"] = "Agg"
    return env


def _sim(installed, *args, check=True) -> subprocess.CompletedProcess:
    python, cwd = installed
    args = [str(python), "-m", "sim", *args]
    env = _clean_env()
    return _run(args, cwd=cwd, env=env) if check else subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)


def test_the_wheel_is_the_sim_that_runs_and_it_reads_its_own_data(installed):
    python, empty = installed
    proc = _run([python, "-c", "import sim, sim.scenario.shipped as s; print(sim.__file__); print(s.data_folder())"],
                cwd=empty, env=_clean_env())
    module, data = proc.stdout.split()
    venv = python.parent.parent
    assert Path(module).is_relative_to(venv), module
    assert Path(data) == Path(module).parent / "data"
    assert (Path(data) / "seeds" / "facts.yaml").is_file()
    shipped = {p.relative_to(ROOT / "scenarios") for p in (ROOT / "scenarios").rglob("*.yaml")}
    assert {p.relative_to(Path(data) / "scenarios") for p in (Path(data) / "scenarios").rglob("*.yaml")} == shipped
    assert any(p.parts[0] == "history" for p in shipped)


def test_run_paris_by_name_from_an_empty_folder(installed):
    _, empty = installed
    proc = _sim(installed, "run", "paris", "--replications", "200", "--no-figures", "--spread-points", "0")
    assert "scenario paris: 200 replications" in proc.stdout
    (summary,) = (empty / "results" / "paris").glob("*/summary.json")
    assert json.loads(summary.read_text())["outcomes"]
    for table in ("runs.parquet", "states.parquet", "manifest.json"):
        assert (summary.parent / table).is_file(), table
    assert sorted(p.name for p in empty.iterdir()) == ["results"]  # nothing else written


def test_validate_shipped_names_and_a_users_file_that_extends_one(installed):
    _, empty = installed
    proc = _sim(installed, "validate", "paris", "history/korea-1953")
    assert proc.stdout.startswith("paris: ok — paris, ")
    assert "history/korea-1953: ok — korea-1953, " in proc.stdout
    assert proc.stderr == ""  # shipped scenarios find the register shipped next to them

    mine = empty.parent / "mine.yaml"  # a user's file, with no seeds/ folder above it
    mine.write_text("extends: paris\nunited_states:\n  honour: {value: 0.8, assumption: my guess}\n"
                    "states:\n  - {id: FRA, troops: {pledge: {value: 4000, facts: [planned-force-size-wsj-2025-03]}}}\n")
    proc = _sim(installed, "validate", str(mine))
    assert ": ok — mine, " in proc.stdout
    assert "register that ships with sim" in proc.stderr


def test_an_unknown_name_lists_the_shipped_ones(installed):
    proc = _sim(installed, "run", "pariss", check=False)
    assert proc.returncode == 2
    assert "did you mean 'paris'?" in proc.stderr
    assert "history/korea-1953" in proc.stderr
    assert "Traceback" not in proc.stderr
