"""Analysis of stored results: which assumptions drive an outcome (:mod:`.sensitivity`) and under
which conditions it happens (:mod:`.discovery`).

Like EMA Workbench's analysis package, this room reads (inputs, outcomes) tables and never runs the
model, draws a figure or parses a command line; figures and commands import it.  SALib and EMA
Workbench come with the ``analysis`` extra and are imported only when a method needs them.
"""

from __future__ import annotations

import importlib

INSTALL = 'pip install -e ".[analysis]"'


class MissingExtra(ImportError):
    """A method needs a library of the ``analysis`` extra that is not installed."""


def require(module: str, library: str, what: str):
    """Import ``module`` of the ``analysis`` extra, or say plainly how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtra(f"{what} needs {library}, from the analysis extra: {INSTALL}") from None
