"""Sweep results on disk: one Parquet file per finished unit, resumable, then a points table.

Layout of a sweep folder::

    sweep.json          what is being run (fingerprint, points, seed, replications, block size)
    units/<unit>.parquet  one per finished (point, block), written atomically
    failures/<unit>.json  one per failed unit: its error and traceback
    points.parquet, points.csv   one row per point (written at the end)
    manifest.json       provenance and timing
    figures/

A killed sweep resumed with the same sweep file skips units already on disk;
a unit file exists only once it is complete (temporary name, flushed to disk,
then rename), so nothing is lost, duplicated or half-written; a unit file found
damaged on resume is run again.  The folder itself appears in one rename with
``sweep.json`` already in it, so a kill at any moment leaves either no folder
or one that ``--resume`` accepts.  The points table is built one point at a
time from the unit files, so memory stays flat in the replications.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..experiment.blocks import plan as plan_blocks, progress_bar
from ..experiment.design import SweepPlan
from ..experiment.units import Unit, UnitFailure, run_units
from ..model.outcomes import BY_NAME, OUTCOMES
from . import storage
from .summary import columns_for, estimate_outcomes, wide_row


class SweepFolderError(Exception):
    """The folder cannot hold (or resume) this sweep."""


@dataclass
class SweepOutcome:
    folder: Path
    points: pd.DataFrame
    failures: list[dict] = field(default_factory=list)
    units_total: int = 0
    units_run: int = 0  # in this session
    units_skipped: int = 0  # already on disk (resume)


def units_of(plan: SweepPlan) -> list[Unit]:
    blocks = plan_blocks(plan.replications, plan.block_size)
    return [Unit(p, b) for p in range(len(plan.points)) for b in blocks]


#: What sweep figures read from sweep.json.
DESCRIPTION_KEYS = ("sweep", "scenario", "seed", "replications", "design", "parameters", "points")


def read_description(path: Path) -> dict:
    """A stored sweep.json, checked to be a sweep's description (:class:`storage.DamagedResults` if not)."""
    held = storage.read_json(path)
    missing = [k for k in DESCRIPTION_KEYS if k not in held]
    if missing:
        raise storage.DamagedResults(path, f"not a sweep's description (no {', '.join(missing)})")
    return held


def describe(plan: SweepPlan) -> dict:
    """What a sweep is (stored as sweep.json; also what sweep figures read)."""
    return {
        "fingerprint": plan.fingerprint,
        "sweep": plan.sweep.id,
        "sweep_file": str(plan.path),
        "scenario": plan.base.scenario.id,
        "scenario_file": str(plan.base.path),
        "seed": plan.seed,
        "replications": plan.replications,
        "block_size": plan.block_size,
        "design": plan.sweep.design.model_dump(mode="json", exclude_none=True),
        "parameters": plan.parameter_paths,
        "points": plan.points,
    }


def prepare(plan: SweepPlan, folder: Path, resume: bool, unique: bool = False) -> Path:
    """Create the folder (its description in it from the start), or check that it holds
    this very sweep when resuming.  Returns the folder used (see ``staged_dir(unique=...)``)."""
    folder = Path(folder)
    marker = folder / "sweep.json"
    if resume and folder.is_dir() and any(folder.iterdir()):
        if not marker.is_file():
            raise SweepFolderError(f"{folder}: nothing to resume (no sweep.json); not a sweep's folder")
        try:
            held = storage.read_json(marker)
        except storage.DamagedResults as exc:
            raise SweepFolderError(f"{exc}; cannot tell which sweep the folder holds, so it cannot be "
                                   "resumed: start the sweep afresh in another --out") from None
        if held.get("fingerprint") != plan.fingerprint:
            raise SweepFolderError(
                f"{folder} holds a different sweep ({held.get('sweep')} from {held.get('sweep_file')}, "
                f"or other replications, block size or seed); refusing to mix results. "
                "Resume with the same sweep file and options, or choose another --out."
            )
        for sub in ("units", "failures"):
            (folder / sub).mkdir(exist_ok=True)
        for stale in folder.glob("units/.*.tmp"):
            stale.unlink()  # a write cut short by the kill; its unit runs again
        return folder
    # A fresh start; so is resuming a sweep killed before its folder was in place.
    if folder.exists() and not unique and (not folder.is_dir() or any(folder.iterdir())):
        raise SweepFolderError(f"{folder} already exists and is not empty; use --resume to continue it")
    stage = storage.staged_dir(folder, unique=unique)
    with stage as tmp:
        (tmp / "units").mkdir()
        (tmp / "failures").mkdir()
        storage.write_json(tmp / "sweep.json", describe(plan))
    return stage.final


def _units_on_disk(folder: Path, units: list[Unit]) -> set[str]:
    """Names of the units whose files are complete; damaged ones are removed (they run again)."""
    expected = {u.name: u.block.size for u in units}
    done = set()
    for path in (folder / "units").glob("*.parquet"):
        size = expected.get(path.stem)
        if size is None:
            continue
        try:
            complete = pq.read_metadata(path).num_rows == size
        except (OSError, pa.ArrowException):
            complete = False
        if complete:
            done.add(path.stem)
        else:
            print(f"{path}: damaged (empty or cut short); the unit runs again", file=sys.stderr)
            path.unlink()
    return done


def point_row(plan: SweepPlan, point: int, runs: pd.DataFrame, expected: int) -> dict:
    """One row of the points table: the point's parameters, then every declared outcome over its
    denominator (:func:`~sim.results.summary.wide_row`: ``<name>``, ``_low``, ``_high`` and ``_n``
    for shares and rates; ``_mean``, quantiles and ``_n`` for quantities; a share per level) and
    ``_few``, true when ``_n`` is below :data:`MIN_OBSERVATIONS`."""
    row: dict = {"point": point}
    row.update(plan.points[point])
    n = len(runs)
    row["replications"] = n
    row["complete"] = n == expected
    if n:
        wide = wide_row(estimate_outcomes(runs))
        row.update(wide)
        # Too few replications in an outcome's denominator to read its estimate at this point.
        row.update({f"{o.name}_few": wide[f"{o.name}_n"] < MIN_OBSERVATIONS for o in OUTCOMES})
    return row


#: A point whose outcome has fewer replications than this in its denominator is marked (``<name>_few``).
MIN_OBSERVATIONS = 30

#: The runs columns a point's row is computed from (reading only these halves the time).
POINT_COLUMNS = columns_for(OUTCOMES)


def build_points(plan: SweepPlan, folder: Path) -> pd.DataFrame:
    """Aggregate unit files point by point (only one point's runs in memory at a time)."""
    units = units_of(plan)
    by_point: dict[int, list[Unit]] = {}
    for u in units:
        by_point.setdefault(u.point, []).append(u)
    rows = []
    for point in range(len(plan.points)):
        files = [folder / "units" / f"{u.name}.parquet" for u in by_point[point]]
        parts = [storage.read_parquet(f, POINT_COLUMNS) for f in files if f.is_file()]
        runs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        rows.append(point_row(plan, point, runs, plan.replications))
    points = pd.DataFrame(rows)
    for name in plan.parameter_paths:  # keep a level axis as text, a numeric one as float
        if points[name].map(lambda v: isinstance(v, str)).any():
            points[name] = points[name].astype(str)
        else:
            points[name] = points[name].astype(float)
    return points


def run_sweep(
    plan: SweepPlan,
    folder: Path,
    executor: Executor | None = None,
    resume: bool = False,
    in_flight: int = 8,
    progress: bool = True,
    fn=None,
    unique: bool = False,
) -> SweepOutcome:
    """Run every unit not yet on disk, write each as it finishes, then the points table.

    ``unique=True``: ``folder`` is a default name that may be taken; the sweep then
    goes to ``folder-2``, ... (``SweepOutcome.folder`` says where).
    """
    folder = prepare(plan, Path(folder), resume, unique)
    started = time.time()
    units = units_of(plan)
    done = _units_on_disk(folder, units)
    todo = [u for u in units if u.name not in done]
    bar = progress_bar(total=len(units), initial=len(units) - len(todo), unit="unit", desc=plan.sweep.id,
                       disable=not progress, smoothing=0.1)
    failures: list[dict] = []
    work = ((plan.scenarios[u.point], u) for u in todo)
    kwargs = {} if fn is None else {"fn": fn}
    try:
        for unit, result in run_units(work, plan.seed, executor, in_flight, **kwargs):
            if isinstance(result, UnitFailure):
                record = {"unit": unit.name, "point": unit.point, "block": unit.block.index,
                          "parameters": plan.points[unit.point], "error": result.error}
                storage.write_json(folder / "failures" / f"{unit.name}.json", {**record, "traceback": result.detail})
                failures.append(record)
            else:
                storage.write_bytes(folder / "units" / f"{unit.name}.parquet", result)
                stale = folder / "failures" / f"{unit.name}.json"
                stale.unlink(missing_ok=True)  # it failed before and has now run
            bar.update(1)
    finally:
        bar.close()
    points = build_points(plan, folder)
    storage.write_parquet(folder / "points.parquet", points)
    storage.write_bytes(folder / "points.csv", points.to_csv(index=False).encode("utf-8"))
    outcome = SweepOutcome(folder, points, failures, len(units), len(todo), len(units) - len(todo))
    storage.write_json(folder / "manifest.json", storage.manifest(
        **describe(plan),
        scenario_sha256=plan.base.file_hash,
        units_total=len(units), units_run=len(todo), units_skipped=len(units) - len(todo),
        failed_units=failures,
        timing={"started_unix": started, "seconds": round(time.time() - started, 3)},
    ))
    return outcome


#: Outcomes shown in the terminal after a sweep (all are in points.csv).
SHOWN = ("force_ge_minimum", "violations_per_year", "activated")


def format_points(points: pd.DataFrame, parameters: list[str], limit: int = 20) -> str:
    """A short text table of the points for the terminal: the parameters, then a few outcomes, each
    as its estimate, simulation-noise interval and denominator's count (n); a cell with fewer than
    :data:`MIN_OBSERVATIONS` replications in its denominator is marked; the labels are listed under
    the table."""
    shown = [name for name in SHOWN if name in points.columns]
    table = points[[c for c in [*parameters, "replications"] if c in points.columns]].head(limit).copy()
    few_any = False
    for i, name in enumerate(shown, 1):
        kind = BY_NAME[name].kind
        head = points.head(limit)
        fmt = (lambda v: f"{100 * v:.1f}%") if kind == "share" else (lambda v: f"{v:.2f}")
        cells = []
        for v, lo, hi, k in zip(head[name], head[f"{name}_low"], head[f"{name}_high"], head[f"{name}_n"]):
            few = not k >= MIN_OBSERVATIONS
            few_any |= few
            text = "n/a" if v != v else f"{fmt(v)} [{fmt(lo)}, {fmt(hi)}]"
            cells.append(f"{text} of {k:,.0f}{' *' if few else ''}")
        table[f"({i})"] = cells
    text = table.to_string(index=False)
    if len(points) > limit:
        text += f"\n... {len(points) - limit} more points in points.csv"
    for i, name in enumerate(shown, 1):
        o = BY_NAME[name]
        text += f"\n({i}) {o.label}: estimate [95% simulation-noise interval] of n {o.denominator_label}"
    if few_any:
        text += (f"\n* fewer than {MIN_OBSERVATIONS} replications in the denominator: too few to read "
                 "(the column <outcome>_few in points.csv marks them)")
    return text
