"""An earlier commit of the project, unpacked for a side-by-side benchmark.

The benchmarks compare this tree with a baseline commit (by default the last commit of
model v1) by running each in its own process on the package and scenarios of its own
tree; the baseline's are taken from the git history with ``git archive``.
"""

from __future__ import annotations

import contextlib
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The last commit of model v1 (before "Model v2: Russia chooses a rung ...").
V1_COMMIT = "8b9f714"


def label(commit: str) -> str:
    return "v1" if commit == V1_COMMIT else commit


@contextlib.contextmanager
def unpacked(commit: str) -> Iterator[Path | None]:
    """A temporary folder holding ``sim``, ``scenarios`` and ``seeds`` as of ``commit``
    (None when there is no git history to take them from)."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "sim", "scenarios", "seeds"],
                                 check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        yield None
        return
    with tempfile.TemporaryDirectory() as tmp:
        tarfile.open(fileobj=BytesIO(archive)).extractall(tmp, filter="data")
        yield Path(tmp)
