"""sim — a scenario simulator for post-war security guarantees for Ukraine.

Python API for notebooks::

    import sim
    loaded = sim.load_scenario("scenarios/paris.yaml")  # or a shipped scenario by name: "paris"
    # or with parameters set by path, as `--set` does:
    # sim.load_scenario("scenarios/paris.yaml", overrides={"united_states.honour": 0.8})
    result = sim.run(loaded, replications=2000, seed=1)
    result.summary, result.runs, result.states, result.timeline
    result.save("results/paris/my-run")
"""

import sys
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sim")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.0.0+unknown"

if "IPython" in sys.modules:
    # In Jupyter the figures sim returns show as pictures without %matplotlib inline.
    from .notebook import show_figures_inline

    show_figures_inline()

__all__ = ["__version__", "load_scenario", "run"]


def __getattr__(name):
    # Imported on first use: `sim --help` must not load pydantic and build the schema,
    # and `sim validate` should not pay for Mesa and pandas (`sim.run`).
    if name == "load_scenario":
        from .evidence import load_scenario

        return load_scenario
    if name == "run":
        from .api import run

        return run
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
