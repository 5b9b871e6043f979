"""docs/tutorial.ipynb runs top to bottom in a real Jupyter kernel, from an empty folder."""

from __future__ import annotations

import json
import shutil
import sys
import time

import pytest

from .conftest import ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

TUTORIAL = ROOT / "docs" / "tutorial.ipynb"


def test_tutorial_is_stored_without_outputs():
    nb = nbformat.read(TUTORIAL, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


def test_tutorial_runs_and_shows_tables_and_figures(tmp_path, monkeypatch):
    # The kernel runs this interpreter (the one with sim installed), whatever other "python3"
    # kernels the machine has: JUPYTER_PATH comes first when Jupyter looks for kernels.
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    copy = shutil.copy(TUTORIAL, tmp_path / "tutorial.ipynb")
    nb = nbformat.read(copy, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError, with the cell and its traceback, on any error
    seconds = time.perf_counter() - started
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    shown = [o.get("data", {}) for o in outputs if o.output_type in ("execute_result", "display_data")]
    # the scenario and the run display as HTML tables, and figures as pictures without %matplotlib
    assert sum('class="sim-scenario"' in d.get("text/html", "") for d in shown) == 1
    assert sum('class="sim-result"' in d.get("text/html", "") for d in shown) == 1
    assert sum("image/png" in d for d in shown) >= 4
    print(f"tutorial executed in {seconds:.1f} s")
