"""Results folders under faults: runs started in the same second, a bad --out, a full disk,
and `plot`/`report` on folders that are empty, damaged or written by another version."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from sim.cli import main
from sim.results import storage

from .conftest import CASES, ROOT

MINIMAL = CASES / "valid" / "minimal.yaml"


def leftovers(folder):
    """Hidden staging folders or temporary files left behind."""
    return [p.name for p in folder.iterdir() if p.name.startswith(".")] if folder.is_dir() else []


# --------------------------------------------------------------------------- unique names

SAME_SECOND = """\
import pathlib, sys, time
import sim.results.storage as storage
storage.run_id = lambda seed: "20260101T000000Z-seed1"  # every run starts in the same second
from sim.cli import main
pathlib.Path(sys.argv[1]).touch()
while not pathlib.Path("go").exists():
    time.sleep(0.01)
sys.exit(main(["run", sys.argv[2], "--replications", "200", "--no-figures"]))
"""


def test_runs_started_in_the_same_second_get_a_folder_each(tmp_path):
    n = 3
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", SAME_SECOND, f"ready-{i}", str(MINIMAL)], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for i in range(n)]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    (tmp_path / "go").touch()  # all start at once: each picks the same default name
    outs = [p.communicate(timeout=300) for p in procs]
    for proc, (out, err) in zip(procs, outs):
        assert proc.returncode == 0, err
        assert "Traceback" not in err
    said = sorted(line.split("results: ", 1)[1] for out, _ in outs for line in out.splitlines()
                  if line.startswith("results: "))
    folders = sorted(p for p in (tmp_path / "results" / "minimal").iterdir() if not p.name.startswith("."))
    assert len(set(said)) == n and len(folders) == n
    assert said == [str(f.relative_to(tmp_path)) for f in folders]
    for folder in folders:
        assert (folder / "runs.parquet").is_file() and (folder / "manifest.json").is_file()
    assert not leftovers(tmp_path / "results" / "minimal")


def test_staged_folders_with_one_name_are_placed_side_by_side(tmp_path):
    final = tmp_path / "run"
    a, b = storage.staged_dir(final, unique=True), storage.staged_dir(final, unique=True)
    with a as ta, b as tb:  # both staged before either is placed
        (ta / "a.txt").write_text("a")
        (tb / "b.txt").write_text("b")
    assert {a.final.name, b.final.name} == {"run", "run-2"}
    assert (a.final / "a.txt").is_file() and (b.final / "b.txt").is_file()
    assert not leftovers(tmp_path)


# --------------------------------------------------------------------------- bad --out


def _unwritable(tmp_path):
    if os.geteuid() == 0:  # root writes through permissions; /sys refuses everyone
        return "/sys/sim-results"
    folder = tmp_path / "locked"
    folder.mkdir(mode=0o500)
    return str(folder / "out")


@pytest.mark.parametrize("kind,fragment", [
    ("a file", "exists and is not a folder"),
    ("/dev/null", "exists and is not a folder"),
    ("under a file", "is not a folder"),
    ("unwritable", "is not writable"),
])
def test_a_bad_out_is_refused_before_the_model_runs(tmp_path, monkeypatch, capsys, kind, fragment):
    import sim.api

    def model_must_not_run(*a, **k):
        raise AssertionError("the model ran before --out was checked")

    monkeypatch.setattr(sim.api, "run", model_must_not_run)
    (tmp_path / "file").write_text("not a folder")
    out = {"a file": str(tmp_path / "file"), "/dev/null": os.devnull,
           "under a file": str(tmp_path / "file" / "run"), "unwritable": _unwritable(tmp_path)}[kind]
    for command in (["run", str(MINIMAL)], ["compare", str(MINIMAL)], ["report", str(MINIMAL)]):
        assert main([*command, "--out", out, "--replications", "20"]) == 2, command
        err = capsys.readouterr().err
        assert f"{out}: --out: " in err and fragment in err and "Traceback" not in err


# --------------------------------------------------------------------------- a full disk


def test_a_full_disk_gives_one_message_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    real = storage.write_json

    def full(path, data):
        if path.name == "summary.json":  # after the Parquet files: a half-written folder
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    monkeypatch.setattr(storage, "write_json", full)
    out = tmp_path / "results" / "run"
    assert main(["run", str(MINIMAL), "--replications", "50", "--out", str(out), "--no-figures"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0] == (f"error: cannot write the results folder {out}: No space left on device; "
                      "nothing of it was kept")
    assert not out.exists() and not leftovers(out.parent)


# --------------------------------------------------------------------------- plot and report


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    out = tmp_path_factory.mktemp("stored") / "run"
    assert main(["run", str(MINIMAL), "--replications", "60", "--seed", "3", "--out", str(out), "--no-figures"]) == 0
    return out


def damaged(stored, tmp_path, how):
    folder = tmp_path / "damaged"
    shutil.copytree(stored, folder)
    if how == "empty":
        shutil.rmtree(folder)
        folder.mkdir()
    elif how == "truncated runs.parquet":
        data = (folder / "runs.parquet").read_bytes()
        (folder / "runs.parquet").write_bytes(data[: len(data) // 2])
    elif how == "scenario.json of {}":
        (folder / "scenario.json").write_text("{}")
    elif how == "another version's manifest":
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest["versions"]["sim"] = "9.4.0"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    elif how == "no manifest":
        (folder / "manifest.json").unlink()
    elif how == "damaged manifest":
        (folder / "manifest.json").write_text('{\n  "seed": 3,\n  "replications": \n}\n')
    return folder


DAMAGE = {
    "empty": ("", "not a"),
    "truncated runs.parquet": ("runs.parquet", "damaged or not a Parquet file"),
    "scenario.json of {}": ("scenario.json", "not the full scenario a run writes"),
    "another version's manifest": ("manifest.json", "written by sim 9.4.0"),
    "no manifest": ("manifest.json", "missing"),
    "damaged manifest": ("manifest.json:4", "damaged JSON: Expecting value"),
}


@pytest.mark.parametrize("command", ["plot", "report"])
@pytest.mark.parametrize("how", list(DAMAGE))
def test_plot_and_report_refuse_an_empty_damaged_or_foreign_folder(stored, tmp_path, capsys, command, how):
    folder = damaged(stored, tmp_path, how)
    assert main([command, str(folder)]) == 2
    err = capsys.readouterr().err
    where, fragment = DAMAGE[how]
    assert f"{folder / where if where else folder}" in err and fragment in err, err
    assert "Traceback" not in err
    assert not (folder / "figures").exists() and not (folder / "report.html").exists()


def test_plot_refuses_a_damaged_sweep_description(tmp_path, capsys):
    (tmp_path / "points.parquet").write_bytes(b"PAR1")
    (tmp_path / "sweep.json").write_text("{}")
    assert main(["plot", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'sweep.json'}: not a sweep's description" in err and "Traceback" not in err
