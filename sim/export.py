"""Excel workbooks of stored results: ``python -m sim export RESULTS_DIR --format xlsx``.

One workbook per results folder, read from the folder alone (no scenario file,
no model run), written with pandas and openpyxl:

* ``about`` (first): what was run (scenario, seed, replications, block size,
  version, dates), what the intervals cover, which sheets were cut short, and
  the scenario's assumptions: every parameter with its value or distribution
  and the facts it cites or the assumption behind it (the folder's
  ``evidence.json``); ``facts``: the cited facts with their sources;
* a run's folder: ``summary`` (:meth:`~sim.results.summary.Summary.to_frame`),
  ``state summary``, ``runs``, ``states``, ``timeline`` (counts, as stored),
  ``inputs`` and ``spread`` when the folder has them;
* a comparison's folder: ``comparison`` (and any other table the comparison
  stored as CSV), then the same sheets with every scenario's rows, a
  ``scenario`` column first;
* a sweep's folder: ``points``.

Each sheet is a stored table as it is (same columns, same numbers; missing
values are empty cells).
A table longer than ``max_rows`` (default 100,000) keeps its first rows, cut
at a whole replication, and ``about`` says so: a default run's states table
(10,000 replications × 31 states) would take most of a minute to write in
full; Excel holds at most 1,048,576 rows a sheet, the header included.  The workbook is written under a temporary name
beside its target and linked into place, so it appears whole or not at all and
never replaces a file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .figures import labels as L
from .results.storage import read_parquet
from .results.summary import Summary
from .scenario.yamlio import InputError, Problem

#: Excel's row limit per sheet, the header row included.
EXCEL_ROWS = 1_048_576
#: The most rows a sheet can hold below its header.
MAX_ROWS = EXCEL_ROWS - 1
#: Rows kept per sheet unless asked for more (``--max-rows``).
DEFAULT_ROWS = 100_000


@dataclass
class Workbook:
    """What goes into one workbook: the ``about`` lines, the assumptions and the sheets in order."""

    about: list[tuple[str, str]]
    assumptions: pd.DataFrame
    facts: pd.DataFrame
    sheets: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # sheets cut short, tables left out


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _parquet(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.parquet"
    return read_parquet(path) if path.is_file() else None


def _cap(name: str, frame: pd.DataFrame, max_rows: int | None, notes: list[str], where: str) -> pd.DataFrame:
    """The first ``max_rows`` rows, cut at a whole replication; a note for ``about``.  None: all rows."""
    if max_rows is None or len(frame) <= max_rows:
        return frame
    kept = frame.iloc[:max_rows]
    if "replication" in frame.columns and max_rows < len(frame):
        last = frame["replication"].iloc[max_rows - 1]
        if frame["replication"].iloc[max_rows] == last:  # that replication goes on past the cut
            kept = kept[kept["replication"] != last]
    reps = ""
    if "replication" in kept.columns and len(kept):
        reps = (f" (replications {kept['replication'].iloc[0]:,}–{kept['replication'].iloc[-1]:,}"
                + (", every scenario's" if "scenario" in kept.columns else "") + ")")
    notes.append(f"{name}: the first {len(kept):,} of {len(frame):,} rows{reps}; the whole table is {where}")
    return kept


# --------------------------------------------------------------------------- assumptions


def _assumptions(evidence: dict | None) -> pd.DataFrame:
    """One row per parameter: value or distribution, set in the file or a default, facts, assumption;
    then one per state with the evidence for its entry."""
    columns = ["parameter", "value or distribution", "set in the scenario", "facts", "assumption"]
    if evidence is None:
        return pd.DataFrame(columns=columns)
    rows = [[p["parameter"], p["value"], "yes" if p["explicit"] else "no: schema default",
             ", ".join(p["facts"]), p.get("assumption") or ""] for p in evidence.get("parameters", [])]
    rows += [[f"states.{s['id']}", s["name"], "yes", ", ".join(s["facts"]), s.get("assumption") or ""]
             for s in evidence.get("states", [])]
    return pd.DataFrame(rows, columns=columns)


def _facts(evidence: dict | None) -> pd.DataFrame:
    columns = ["fact", "claim", "quantity", "source", "outlet", "title", "date"]
    if evidence is None:
        return pd.DataFrame(columns=columns)
    sources = evidence.get("sources", {})
    rows = []
    for fid, f in evidence.get("facts", {}).items():
        q = f.get("quantity")
        quantity = ""
        if q:
            quantity = (f"{q['value']:,g} {q['unit']}" if q.get("value") is not None
                        else f"{q['low']:,g}–{q['high']:,g} {q['unit']}")
        src = sources.get(f["source"], {})
        rows.append([fid, f["claim"], quantity, f["source"], src.get("outlet", ""), src.get("title", ""),
                     src.get("date", "")])
    return pd.DataFrame(rows, columns=columns)


def _with_scenario(frames: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    return pd.concat([f.assign(scenario=sid)[["scenario", *f.columns]] for sid, f in frames], ignore_index=True)


# --------------------------------------------------------------------------- the folders


def _intervals(spread: dict | None) -> list[tuple[str, str]]:
    noise = (f"summary 'low'/'high': the {L.NOISE_INTERVAL}. It says how far more replications of the "
             "same scenario could move the estimate, nothing about doubts over the scenario's assumptions.")
    if spread:
        assumptions = (f"summary 'spread_low'/'spread_high': the {L.ASSUMPTION_SPREAD}, the range the "
                       f"scenario's own doubts allow: the 5th–95th percentile over {spread.get('points')} draws "
                       f"of the uncertain parameters, {spread.get('inner')} replications each, with each "
                       "draw's own noise removed.")
    else:
        assumptions = ("summary 'spread_low'/'spread_high': empty; the spread across the assumptions was not "
                       "computed for this run (python -m sim run ... --spread-points 40 computes it).")
    return [("Intervals", noise), ("", assumptions),
            ("Denominators", "each outcome is a share of (or a rate or mean over) its own denominator, named "
                             "in words in the summary's 'denominator' column; 'n' is its count of replications "
                             "and 'k' the replications (or events, for a rate) counted.")]


def _run_about(folder: Path, manifest: dict, scenario: dict) -> list[tuple[str, str]]:
    meta = manifest.get("meta", {})
    title = scenario.get("title") or ""
    as_of = scenario.get("as_of")
    about = [("Scenario", f"{scenario['id']}" + (f": {title}" if title else "")
              + (f" (as of {L.date_words(as_of)})" if as_of else ""))]
    if manifest.get("scenario_file"):
        about.append(("Scenario file", f"{manifest['scenario_file']} (SHA-256 {manifest.get('scenario_sha256')})"))
    if meta.get("overrides"):
        about.append(("Set (--set)", "; ".join(o["set"] for o in meta["overrides"])))
    about += [
        ("Seed", str(manifest["seed"])),
        ("Replications", f"{manifest['replications']:,}"),
        ("Block size", f"{manifest['block_size']} (block k of the replications uses child k of "
                       "numpy's SeedSequence(seed))"),
    ]
    if manifest.get("horizon_months"):
        about.append(("Horizon", f"{manifest['horizon_months']} months"))
    if meta.get("coverage"):
        c = meta["coverage"]
        about.append(("Evidence", f"{c['cited']}/{c['cited'] + c['assumed']} parameters set in the scenario "
                                  f"cite facts, {c['assumed']} rest on an assumption, {c['defaults']} are "
                                  "schema defaults"))
    return about


def _common_about(folder: Path, manifest: dict) -> list[tuple[str, str]]:
    versions = manifest.get("versions", {})
    return [
        ("sim version", f"{versions.get('sim', 'unknown')}" + (f" (git commit {manifest['git_commit']})"
                                                               if manifest.get("git_commit") else "")),
        ("Run on", str(manifest.get("created", "unknown"))),
        ("Results folder", str(folder)),
        ("Exported", f"{dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')} by sim {__version__}"),
    ]


def _run_sheets(folder: Path, max_rows: int | None, notes: list[str], where: str) -> list[tuple[str, pd.DataFrame]]:
    summary = Summary.from_dict(_json(folder / "summary.json"))
    state_summary = pd.DataFrame([s.model_dump() for s in summary.states])
    sheets = [("summary", summary.to_frame()), ("state summary", state_summary)]
    for name in ("runs", "states", "timeline", "inputs", "spread"):
        frame = _parquet(folder, name)
        if frame is not None:
            sheets.append((name, _cap(name, frame, max_rows, notes, f"{where}{name}.parquet")))
    if (folder / "spread_runs.parquet").is_file():
        notes.append(f"spread_runs (the assumption design's inner replications) is left out: {where}"
                     "spread_runs.parquet")
    return sheets


def _load_run(folder: Path, max_rows: int) -> Workbook:
    manifest = _json(folder / "manifest.json")
    scenario = _json(folder / "scenario.json")
    evidence = _json(folder / "evidence.json") if (folder / "evidence.json").is_file() else None
    book = Workbook(about=[], assumptions=_assumptions(evidence), facts=_facts(evidence))
    book.sheets = _run_sheets(folder, max_rows, book.notes, "")
    book.about = [*_run_about(folder, manifest, scenario), *_common_about(folder, manifest),
                  *_intervals(manifest.get("spread"))]
    if evidence is None:
        book.notes.append("the folder has no evidence.json (a run of a scenario object, not a file): "
                          "no assumptions table")
    return book


def _load_comparison(folder: Path, max_rows: int) -> Workbook:
    table = pd.read_csv(folder / "comparison.csv")
    order = list(table["scenario"])
    subs = sorted((p.parent for p in folder.glob("*/runs.parquet")),
                  key=lambda p: order.index(p.name) if p.name in order else len(order))
    book = Workbook(about=[], assumptions=pd.DataFrame(), facts=pd.DataFrame())
    sheets = [("comparison", table)]
    for csv in sorted(folder.glob("*.csv")):
        if csv.name != "comparison.csv":
            sheets.append((csv.stem, pd.read_csv(csv)))
    per: dict[str, list[tuple[str, pd.DataFrame]]] = {}
    assumptions, facts, abouts = [], [], []
    manifest = {}
    for sub in subs:
        manifest = _json(sub / "manifest.json")
        scenario = _json(sub / "scenario.json")
        evidence = _json(sub / "evidence.json") if (sub / "evidence.json").is_file() else None
        assumptions.append((sub.name, _assumptions(evidence)))
        facts.append((sub.name, _facts(evidence)))
        abouts.append(_run_about(sub, manifest, scenario))
        # cut after the scenarios are stacked, so the cap holds for the sheet
        for name, frame in _run_sheets(sub, None, [], ""):
            per.setdefault(name, []).append((sub.name, frame))
    for name, frames in per.items():
        sheets.append((name, _cap(name, _with_scenario(frames), max_rows, book.notes,
                                  f"in each scenario's folder, <scenario>/{name}.parquet")))
    book.sheets = sheets
    book.assumptions = _with_scenario(assumptions) if assumptions else _assumptions(None)
    book.facts = (_with_scenario(facts).drop_duplicates(subset=["fact"]).drop(columns="scenario")
                  if facts else _facts(None))
    about = [("Comparison", f"{len(subs)} scenarios with the same seed, replications and block size (common "
                            "random numbers): " + ", ".join(s.name for s in subs))]
    for lines in abouts:
        about += [(k, v) for k, v in lines if k in ("Scenario", "Scenario file", "Set (--set)", "Evidence")]
    about += [(k, v) for k, v in abouts[0] if k in ("Seed", "Replications", "Block size", "Horizon")] if abouts else []
    book.about = [*about, *_common_about(folder, manifest), *_intervals(manifest.get("spread"))]
    return book


def _load_sweep(folder: Path, max_rows: int) -> Workbook:
    described = _json(folder / "sweep.json")
    manifest = _json(folder / "manifest.json") if (folder / "manifest.json").is_file() else described
    points = read_parquet(folder / "points.parquet")
    book = Workbook(about=[], assumptions=_assumptions(None), facts=_facts(None))
    book.sheets = [("points", _cap("points", points, max_rows, book.notes, "points.parquet"))]
    design = described.get("design", {})
    book.about = [
        ("Sweep", f"{described.get('sweep')} ({described.get('sweep_file')})"),
        ("Base scenario", f"{described.get('scenario')} ({described.get('scenario_file')})"),
        ("Varied", ", ".join(described.get("parameters", []))),
        ("Design", ", ".join(f"{k} {v}" for k, v in design.items())),
        ("Points", f"{len(points):,}"),
        ("Seed", str(described.get("seed"))),
        ("Replications", f"{described.get('replications'):,} per point"),
        ("Block size", str(described.get("block_size"))),
        *_common_about(folder, manifest),
        ("Intervals", f"points '<outcome>_low'/'_high': the {L.NOISE_INTERVAL} at each point; every point "
                      "uses the same seed, so differences between points are the parameters' effects."),
        ("Denominators", "'<outcome>_n' is the count of the outcome's denominator at that point."),
    ]
    book.notes.append("the replications of each point are in units/*.parquet; the assumptions of the base "
                      "scenario are in its file (a sweep folder stores no evidence record)")
    return book


def kind_of(folder: Path) -> str:
    """``run``, ``comparison`` or ``sweep``; one clear problem for anything else."""
    if (folder / "points.parquet").is_file() and (folder / "sweep.json").is_file():
        return "sweep"
    if (folder / "runs.parquet").is_file() and (folder / "summary.json").is_file():
        return "run"
    if (folder / "comparison.csv").is_file():
        return "comparison"
    raise InputError([Problem(str(folder), None, "", "not a results folder of sim (no runs.parquet, "
                              "points.parquet or comparison.csv)")])


def collect(folder: str | Path, max_rows: int = DEFAULT_ROWS) -> Workbook:
    """What the workbook of ``folder`` holds (a run's, a comparison's or a sweep's results)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError([Problem(str(folder), None, "", "no such results folder")])
    return {"run": _load_run, "comparison": _load_comparison, "sweep": _load_sweep}[kind_of(folder)](
        folder, max_rows)


# --------------------------------------------------------------------------- writing


def default_path(folder: Path) -> Path:
    """``<folder>/<scenario or sweep>-<run id>.xlsx``: the name says what it is when mailed around."""
    folder = Path(folder)
    kind = kind_of(folder)
    if kind == "run":
        name = _json(folder / "scenario.json")["id"]
    elif kind == "sweep":
        name = _json(folder / "sweep.json").get("sweep", "sweep")
    else:
        name = "compare"
    return folder / f"{name}-{folder.resolve().name}.xlsx"


def _about_lines(book: Workbook) -> list[tuple[str, str]]:
    lines = [("sim results workbook", ""), *book.about]
    sheets = ", ".join(name for name, _ in book.sheets)
    lines.append(("Sheets", f"about, {sheets}, facts"))
    for note in book.notes:
        lines.append(("Note", note))
    return lines


def _cells(frame: pd.DataFrame) -> list[list]:
    """A table's columns as plain Python values for openpyxl: missing values empty (None),
    categories as text, infinities as text (Excel has no infinity)."""
    columns = []
    for col in frame.columns:
        s = frame[col]
        values = s.astype(object).where(s.notna(), None).tolist()
        if pd.api.types.is_float_dtype(s.dtype) and np.isinf(s.to_numpy(dtype=float, na_value=np.nan)).any():
            values = [("inf" if v > 0 else "-inf") if isinstance(v, float) and math.isinf(v) else v for v in values]
        columns.append(values)
    return columns


def _append_table(ws, frame: pd.DataFrame, bold) -> None:
    ws.append([_header(ws, str(c), bold) for c in frame.columns])
    for row in zip(*_cells(frame)):
        ws.append(row)


def _header(ws, text: str, bold):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.font = bold
    return cell


def _write(book: Workbook, path: Path) -> None:
    """Stream the sheets with openpyxl's write-only workbook: rows go to disk as they come, so
    memory stays flat in the rows (pandas' ``to_excel`` holds every cell as an object until it
    saves, and takes about twice as long)."""
    from openpyxl import Workbook as _Book
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = _Book(write_only=True)
    ws = wb.create_sheet("about")
    for col, width in zip("ABCDEF", (28, 60, 18, 40, 80, 20)):
        ws.column_dimensions[col].width = width
    for key, value in _about_lines(book):
        ws.append([_header(ws, key, bold) if key else None, value])
    ws.append([])
    ws.append([_header(ws, "Assumptions", bold), "every parameter of the scenario with its value or distribution "
               "(drawn per replication) and the facts it cites or the assumption behind it; the facts are on the "
               "'facts' sheet"])
    _append_table(ws, book.assumptions, bold)
    for name, frame in [*book.sheets, ("facts", book.facts)]:
        ws = wb.create_sheet(name[:31])
        ws.freeze_panes = "A2"
        _append_table(ws, frame, bold)
    wb.save(path)


def write_xlsx(folder: str | Path, out: str | Path | None = None, max_rows: int = DEFAULT_ROWS) -> Path:
    """Write the workbook of a results folder; returns its path.

    ``out`` defaults to :func:`default_path`.  Refuses an existing file (results are
    never overwritten); the file appears whole, under its name, only once written.
    """
    folder = Path(folder)
    if not 1 <= max_rows <= MAX_ROWS:
        raise InputError([Problem("--max-rows", None, "", f"expected 1 to {MAX_ROWS:,} (Excel's limit), "
                                  f"found {max_rows:,}")])
    book = collect(folder, max_rows)
    out = Path(out) if out is not None else default_path(folder)
    if out.exists():
        raise InputError([Problem(str(out), None, "--out", "already exists; results are never overwritten")])
    if out.suffix.lower() != ".xlsx":
        raise InputError([Problem(str(out), None, "--out", f"expected a file name ending in .xlsx, found "
                                  f"{out.name!r}")])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{uuid.uuid4().hex}.tmp.xlsx")
    try:
        _write(book, tmp)
        try:
            os.link(tmp, out)  # fails if the name was taken meanwhile: never replaces a file
        except FileExistsError:
            raise InputError([Problem(str(out), None, "--out",
                                      "already exists; results are never overwritten")]) from None
    finally:
        tmp.unlink(missing_ok=True)
    return out
