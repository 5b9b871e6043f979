"""A run's results in memory (``sim.run``) and in a results folder (``save``/``load``).

Folder layout::

    manifest.json     provenance: scenario file hash, seed, block size, versions, command, timing
    summary.json      every declared outcome over its denominator, with simulation-noise intervals;
                      survival curves, states, top contributors (:class:`~sim.results.summary.Summary`)
    scenario.json     the validated scenario (so figures and reports need nothing else)
    evidence.json     each parameter's value and facts or assumption; the cited facts and sources
    runs.parquet      one row per replication
    inputs.parquet    one row per replication, one column per uncertain parameter (its dotted path)
    spread.parquet    the two-level design: one row per outer draw of the uncertain parameters, with
                      each outcome's estimate there (the assumption spread comes from these rows)
    spread_runs.parquet  the design's inner replications, with their outer point (for fan charts)
    states.parquet    one row per replication × state
    timeline.parquet  one row per month: counts of replications (ceasefire, ratified, ...)
    figures/          PNG and SVG, when drawn
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..scenario.schema import Scenario
from ..scenario.yamlio import InputError, Problem
from . import storage
from .spread import intervals as spread_intervals
from .summary import Summary, summarise


@dataclass
class RunResult:
    """Tables of one run and the facts needed to reproduce it."""

    scenario: Scenario
    runs: pd.DataFrame
    #: One row per replication × state; None when the run streamed it to states.parquet (a CLI run).
    states: pd.DataFrame | None
    timeline_counts: pd.DataFrame
    seed: int
    block_size: int
    meta: dict = field(default_factory=dict)  # scenario file, hash, coverage, timing
    #: Parameters with their facts/assumptions, cited facts and sources (None for a bare Scenario).
    evidence: dict | None = None
    #: The summary read from a results folder (``load``); computed from the tables when None.
    stored_summary: Summary | None = None
    #: The drawn value of every uncertain parameter per replication, columns named by dotted path.
    inputs: pd.DataFrame | None = None
    #: The two-level design, one row per outer point: its parameter values and each outcome's estimate.
    spread: pd.DataFrame | None = None
    #: The design's inner replications ('point' and the runs columns).
    spread_runs: pd.DataFrame | None = None
    #: Inner replications per outer point.
    spread_inner: int | None = None
    #: The state table tallied while the per-state rows were streamed to disk (when ``states`` is None).
    state_rows: list | None = None

    @property
    def replications(self) -> int:
        return len(self.runs)

    # The dataclass's own repr would print every table (150 KB for a default run).
    def __repr__(self) -> str:
        from ..notebook import result_repr  # presentation, imported only when shown

        return result_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter: what was run and the key outcomes as a table (:mod:`sim.notebook`)."""
        from ..notebook import result_html

        return result_html(self)

    def figure(self, name: str):
        """One of the run figures as a :class:`matplotlib.figure.Figure` (shown inline in Jupyter):
        ``force_distribution``, ``troops_by_state``, ``outcome_funnel``, ``timeline``, ``survival``."""
        from ..figures.run import RUN_FIGURES

        if name not in RUN_FIGURES:
            raise KeyError(f"unknown figure {name!r}; expected one of {', '.join(RUN_FIGURES)}")
        return RUN_FIGURES[name](self)

    @cached_property
    def summary(self) -> Summary:
        """Every declared outcome over its denominator, survival curves, states (see :class:`Summary`)."""
        if self.stored_summary is not None:
            return self.stored_summary
        assumptions = None
        if self.spread is not None:
            assumptions = spread_intervals(self.spread, self.spread_inner or 0)
        return summarise(self.runs, self.states, assumptions=assumptions, state_rows=self.state_rows,
                         scenario=self.scenario.id,
                         seed=self.seed, block_size=self.block_size, evidence=self.meta.get("coverage"))

    @property
    def timeline(self) -> pd.DataFrame:
        """Per month, each timeline series over all replications: shares of replications for the
        counts (ceasefire, guarantee_in_force, deployed, violated, activated, collapsed, probe,
        limited, major), the mean troops for ``force_in_ukraine``."""
        shares = self.timeline_counts.copy()
        for col in shares.columns:
            if col not in ("month", "replications"):
                shares[col] = shares[col] / shares["replications"]
        return shares.drop(columns="replications")

    def manifest(self) -> dict:
        return storage.manifest(
            scenario=self.scenario.id,
            scenario_file=self.meta.get("scenario_file"),
            scenario_files=self.meta.get("scenario_files"),
            scenario_sha256=self.meta.get("scenario_sha256"),
            seed=self.seed,
            replications=self.replications,
            block_size=self.block_size,
            horizon_months=self.scenario.run.horizon_months,
            timing=self.meta.get("timing"),
            # parameters set by path on top of the scenario file (--set); scenario.json has them applied
            **({"overrides": self.meta["overrides"]} if self.meta.get("overrides") else {}),
            # the two-level design behind the assumption spread (outer draws × inner replications)
            **({"spread": {"points": len(self.spread), "inner": self.spread_inner}} if self.spread is not None else {}),
        )

    def save(self, folder: str | Path) -> Path:
        """Write the results folder atomically; refuses an existing non-empty folder."""
        folder = Path(folder)
        with storage.staged_dir(folder) as tmp:
            self.write_into(tmp)
        return folder

    def write_into(self, tmp: Path) -> None:
        storage.write_parquet(tmp / "runs.parquet", self.runs)
        if self.inputs is not None:
            storage.write_parquet(tmp / "inputs.parquet", self.inputs)
        if self.spread is not None:
            storage.write_parquet(tmp / "spread.parquet", self.spread)
            storage.write_parquet(tmp / "spread_runs.parquet", self.spread_runs)
        if self.states is not None:  # else streamed there already, block by block
            storage.write_parquet(tmp / "states.parquet", self.states)
        storage.write_parquet(tmp / "timeline.parquet", self.timeline_counts)
        storage.write_json(tmp / "summary.json", self.summary.to_dict())
        storage.write_json(tmp / "scenario.json", self.scenario.model_dump(mode="json", by_alias=True))
        storage.write_json(tmp / "manifest.json", {**self.manifest(), "meta": self.meta})
        if self.evidence is not None:
            storage.write_json(tmp / "evidence.json", self.evidence)


def _same_release(a: str, b: str) -> bool:
    """Versions that read each other's results: the same major.minor (unknown versions pass)."""
    if "unknown" in a or "unknown" in b:
        return True
    return a.split(".")[:2] == b.split(".")[:2]


def load(folder: str | Path) -> RunResult:
    """Read a results folder written by :meth:`RunResult.save`.

    Raises :class:`~sim.results.storage.DamagedResults` naming the file when the
    folder is not a run's, is damaged (a file missing or cut short), or was
    written by another version of sim: never a default scenario in place of the run's.
    """
    from pydantic import ValidationError

    from .. import __version__

    folder = Path(folder)
    if not folder.is_dir():
        raise storage.DamagedResults(folder, "not a folder")
    where = folder / "manifest.json"
    manifest = storage.read_json(where)
    written_by = (manifest.get("versions") or {}).get("sim") if isinstance(manifest.get("versions"), dict) else None
    missing = [k for k in ("seed", "block_size", "replications") if not isinstance(manifest.get(k), int)]
    if written_by is None or missing:
        raise storage.DamagedResults(where, "not the manifest of a sim run (no "
                                     + ", ".join(missing or ["versions.sim"]) + ")")
    if not _same_release(str(written_by), __version__):
        raise storage.DamagedResults(where, f"written by sim {written_by}; this is sim {__version__}, which may "
                                     "read it differently: use that version, or run the scenario again")
    where = folder / "scenario.json"
    data = storage.read_json(where)
    absent = [f.alias or name for name, f in Scenario.model_fields.items() if (f.alias or name) not in data]
    if absent:  # `{}` would validate as the default scenario, and be drawn as if it were the run's
        raise storage.DamagedResults(where, "not the full scenario a run writes (no " + ", ".join(absent[:4])
                                     + (", ..." if len(absent) > 4 else "") + ")")
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"])
        raise storage.DamagedResults(where, f"not a scenario this version of sim reads ({path}: {err['msg']})") from None
    runs = storage.read_parquet(folder / "runs.parquet")
    if len(runs) != manifest["replications"] or "replication" not in runs.columns:
        raise storage.DamagedResults(folder / "runs.parquet", f"holds {len(runs):,} replications; the manifest "
                                     f"says {manifest['replications']:,}")
    return RunResult(
        scenario=scenario,
        runs=runs,
        states=storage.read_parquet(folder / "states.parquet"),
        timeline_counts=storage.read_parquet(folder / "timeline.parquet"),
        seed=manifest["seed"],
        block_size=manifest["block_size"],
        # the stored manifest travels with the result (versions, git commit, command, date)
        meta={**(manifest.get("meta") or {}), "manifest": {k: v for k, v in manifest.items() if k != "meta"}},
        evidence=storage.read_json(folder / "evidence.json") if (folder / "evidence.json").is_file() else None,
        stored_summary=_stored_summary(folder / "summary.json"),
        inputs=storage.read_parquet(folder / "inputs.parquet") if (folder / "inputs.parquet").is_file() else None,
        spread=storage.read_parquet(folder / "spread.parquet") if (folder / "spread.parquet").is_file() else None,
        spread_runs=(storage.read_parquet(folder / "spread_runs.parquet")
                     if (folder / "spread_runs.parquet").is_file() else None),
        spread_inner=(manifest.get("spread") or {}).get("inner"),
    )


def _stored_summary(path: Path) -> Summary:
    """A folder's summary.json; one clear problem if another version of sim wrote it."""
    data = storage.read_json(path)
    try:
        return Summary.from_dict(data)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError too
        reason = str(exc) if "another version" in str(exc) else "not the summary this version of sim writes"
        raise InputError([Problem(str(path), None, "", reason.splitlines()[0])]) from None
