"""The interactive dashboard: ``python -m sim dashboard [FILE] [--port N] [--host H]``.

Rooms: :mod:`.controls` (controls generated from the scenario schema, and the export of
the settings as a scenario file), :mod:`.engine` (runs with common random numbers against
the file's own values), :mod:`.app` (the Solara page, Mesa's ``ModelController`` for the
step view).  Only :mod:`.app` and :func:`serve` need the ``dashboard`` extra (Solara).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The environment variable that tells the page which scenario to open first.
SOURCE_ENV = "SIM_DASHBOARD_FILE"
APP = "sim.dashboard.app"


def serve(source: str | Path | None = None, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the dashboard on ``host``:``port`` until interrupted (Solara's server, production mode,
    no browser opened, no telemetry and no version check: nothing leaves this machine)."""
    if source is not None:
        os.environ[SOURCE_ENV] = str(Path(source).resolve()) if Path(source).is_file() else str(source)
    os.environ["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    os.environ.setdefault("MPLBACKEND", "Agg")
    from solara.__main__ import run

    run.main(args=[APP, "--host", host, "--port", str(port), "--production", "--no-open", "--no-check-version",
                   "--log-level-uvicorn", "warning"], standalone_mode=False)
