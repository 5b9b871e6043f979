"""sim — a scenario simulator for post-war security guarantees for Ukraine.

Python API for notebooks::

    import sim
    loaded = sim.load_scenario("scenarios/paris.yaml")
    result = sim.run(loaded, replications=2000, seed=1)
    result.summary, result.runs, result.states, result.timeline
    result.save("results/paris/my-run")
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

from .api import run  # noqa: E402
from .evidence import load_scenario  # noqa: E402

__all__ = ["__version__", "load_scenario", "run"]
