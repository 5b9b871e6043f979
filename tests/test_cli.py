"""The command line itself: limits on its options, a light start-up, no processes left behind."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sim.cli import main

from .conftest import CASES, ROOT

MINIMAL = CASES / "valid" / "minimal.yaml"
MAX_REPLICATIONS = 10_000_000  # run.replications' cap in the schema


def run_python(code: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("command", [["run", str(MINIMAL)], ["compare", str(MINIMAL)], ["report", str(MINIMAL)],
                                     ["sweep", "s.yaml"]])
def test_replications_on_the_command_line_have_the_scenarios_cap(command, capsys, monkeypatch):
    import sim.api

    def model_must_not_run(*a, **k):
        raise AssertionError("10,000,001 replications were about to run")

    monkeypatch.setattr(sim.api, "run", model_must_not_run)
    with pytest.raises(SystemExit) as stop:
        main([*command, "--replications", str(MAX_REPLICATIONS + 1)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"--replications: expected at most {MAX_REPLICATIONS:,} replications, found 10,000,001" in err


@pytest.mark.parametrize("command", [["run", str(MINIMAL)], ["compare", str(MINIMAL)], ["report", str(MINIMAL)],
                                     ["sweep", "s.yaml"]])
def test_a_negative_seed_is_a_message(command, capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--seed", "-1", "--out", str(tmp_path / "o")])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "--seed: expected a seed >= 0, found -1" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_help_loads_nothing_heavy():
    """`sim --help` answers before numpy, pydantic or pandas are imported or the schema is built."""
    out = run_python(
        "import sys\n"
        "from sim.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('heavy:', sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'pydantic', 'pandas', 'scipy', 'mesa') or m == 'sim.scenario.schema'))\n"
    )
    assert "usage: sim" in out
    assert out.strip().splitlines()[-1] == "heavy: []"


def test_the_summary_does_not_load_scipy_stats():
    out = run_python("import sys, sim.results.summary\nprint('scipy.stats' in sys.modules)\n")
    assert out.strip() == "False"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_run_in_one_process_starts_no_helper_process(tmp_path):
    """No resource tracker (tqdm's multiprocessing lock used to start one) or pool outlives a run."""
    out = run_python(
        "import os, pathlib\n"
        "from sim.cli import main\n"
        f"assert main(['run', {str(MINIMAL)!r}, '--replications', '2000', '--out', {str(tmp_path / 'o')!r}, "
        "'--no-figures']) == 0\n"
        "me = str(os.getpid())\n"
        "kids = [p.name for p in pathlib.Path('/proc').iterdir() if p.name.isdigit() and "
        "(p / 'stat').is_file() and (p / 'stat').read_text().rsplit(')', 1)[1].split()[1] == me]\n"
        "print('children:', kids)\n"
    )
    assert out.strip().splitlines()[-1] == "children: []"


def test_svg_only_on_request(tmp_path):
    plain, both = tmp_path / "plain", tmp_path / "both"
    assert main(["run", str(MINIMAL), "--replications", "100", "--out", str(plain)]) == 0
    assert main(["run", str(MINIMAL), "--replications", "100", "--out", str(both), "--svg"]) == 0
    assert {p.suffix for p in (plain / "figures").iterdir()} == {".png"}
    assert {p.suffix for p in (both / "figures").iterdir()} == {".png", ".svg"}
    assert main(["plot", str(plain)]) == 0  # redrawing is for print: both formats
    assert {p.suffix for p in (plain / "figures").iterdir()} == {".png", ".svg"}
