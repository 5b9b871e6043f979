"""The commands behind the CLI that run or draw things (see :mod:`sim.cli` for the parser)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

from . import api
from .evidence import LoadedScenario, load_scenario
from .experiment.executors import default_workers, local_executor
from .results import RunResult
from .results.storage import ResultsExist, default_dir, staged_dir
from .scenario.overrides import parse_sets
from .scenario.yamlio import InputError, Problem

RESULTS_ROOT = Path("results")


def _pct(p: float | None) -> str:
    return "n/a" if p is None or p != p else f"{100 * p:.1f}%"


def _outcome_line(e, width: int) -> list[str]:
    """``label: estimate [low, high] (k/n denominator words)``; a level outcome gets a line per level."""
    from .figures import labels as L

    head = f"  {e.label + ':':<{width}} "
    spread = [] if e.assumptions is None else [f"  {'':<{width}} {L.ASSUMPTION_SPREAD}: {L.spread_text(e)}"]
    if e.kind == "share":
        return [f"{head}{L.estimate_text(e)}  ({e.k:,}/{e.n:,} {e.denominator_label})", *spread]
    if e.kind == "rate":
        return [f"{head}{L.estimate_text(e)}  ({e.events:,} in {e.exposure_years:,.0f} ceasefire-years, "
                f"{e.n:,} {e.denominator_label})", *spread]
    if e.kind == "quantity":
        median = L.number(e.quantiles["q50"], e.outcome.unit)
        return [f"{head}{L.estimate_text(e)}, median {median}  ({e.n:,} {e.denominator_label})", *spread]
    lines = [f"{head}({e.n:,} {e.denominator_label})"]
    for level, s in e.levels.items():
        lines.append(f"      {level:<12}{_pct(s.p):>7} [{_pct(s.noise.low)}, {_pct(s.noise.high)}]  ({s.k:,}/{e.n:,})")
    return lines


def format_summary(result: RunResult, names: dict | None = None) -> str:
    """The summary as plain text for the terminal: the key outcomes, the force quantiles and the top
    contributors.  Labels and denominators are the outcomes' declarations."""
    from .figures import labels as L

    s = result.summary
    sc = result.scenario
    names = names or {st.id: st.name for st in sc.states}
    seconds = result.meta.get("timing", {}).get("seconds")
    lines = [
        f"{sc.title or sc.id}" + (f" (as of {sc.as_of})" if sc.as_of else ""),
        f"scenario {sc.id}: {result.replications:,} replications, seed {result.seed}, "
        f"block size {result.block_size}, horizon {sc.run.horizon_months} months"
        + (f", {seconds:.2f} s" if seconds is not None else ""),
    ]
    if "coverage" in result.meta:
        c = result.meta["coverage"]
        lines.append(
            f"evidence: {c['cited']}/{c['cited'] + c['assumed']} parameters cite facts, "
            f"{c['assumed']} assumptions, {c['defaults']} defaults"
        )
    if result.meta.get("overrides"):
        lines.append("set: " + "; ".join(o["set"] for o in result.meta["overrides"]))
    key = [e for e in s.outcomes.values() if e.outcome.key]
    width = max(len(e.label) for e in key) + 1
    lines += ["", f"Key outcomes: estimate [{L.NOISE_INTERVAL}] (count/replications it is a share of)"]
    for e in key:
        lines += _outcome_line(e, width)
    spread = next((e.assumptions for e in key if e.assumptions is not None), None)
    if spread is None:
        lines.append(f"  (intervals cover simulation noise only, not doubts about the scenario's assumptions; "
                     f"all {len(s.outcomes)} outcomes are in summary.json and the report)")
    else:
        design = result.manifest().get("spread", {})
        lines.append("  (the simulation-noise interval says how far more replications could move the estimate;"
                     f" the {L.ASSUMPTION_SPREAD} is the range the scenario's own doubts allow, the one to quote:"
                     f" the 5th–95th percentile over {design.get('points')} draws of the uncertain parameters,"
                     f" {design.get('inner')} replications each, with each draw's own noise removed)")

    th = sc.thresholds
    force = [s[name] for name in ("force_in_ukraine", "force_nearby")]
    lines += [
        "",
        f"Troops over the {force[0].n:,} {force[0].denominator_label}".ljust(54)
        + "".join(f"{q[1:].lstrip('0') + '%':>9}" for q in force[0].quantiles),
    ]
    for e in force:
        lines.append(f"  {e.label:<52}" + "".join(f"{L.troops(v):>9}" for v in e.quantiles.values()))
    lines.append(f"  (minimum effective {th.minimum_effective_force:,.0f}; target {th.target_force:,.0f})")
    lines += ["", "US backstop realised: " + ", ".join(f"{k} {_pct(v)}" for k, v in s.us_backstop.items() if v > 0)
              + " of all replications"]
    if s.top_contributors:
        lines += ["", f"Top contributors by expected troops (mean over all replications [{L.NOISE_INTERVAL}])"]
        for row in s.top_contributors:
            lines.append(
                f"  {row.state} {names.get(row.state, ''):<16} {row.expected_troops:>9,.0f}"
                f"  [{row.expected_troops_low:,.0f}, {row.expected_troops_high:,.0f}]"
                f"   deploys {_pct(row.p_deploys)}, ratifies {_pct(row.p_ratified)}, withdraws {_pct(row.p_withdrew)}"
            )
    return "\n".join(lines)


def _refuse_existing(out: Path) -> None:
    """Results are never overwritten: say so before any work is done."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError([Problem(str(out), None, "--out", "already exists and is not empty; results are never overwritten")])


def _load(path: Path, args) -> LoadedScenario:
    """A scenario file (or a shipped scenario's name) with the command's ``--set`` overrides applied and
    validated."""
    loaded = load_scenario(path, overrides=parse_sets(args.overrides))
    for note in loaded.notes:
        print(f"{path}: {note}", file=sys.stderr)
    return loaded


def cmd_run(args) -> int:
    loaded = _load(args.file, args)
    sc = loaded.scenario
    seed = sc.run.seed if args.seed is None else args.seed
    out = args.out or default_dir(RESULTS_ROOT, sc.id, seed)
    _refuse_existing(out)
    workers = args.workers if args.workers != 0 else default_workers()
    with local_executor(workers) as executor:
        result = api.run(loaded, replications=args.replications, seed=seed, executor=executor,
                         progress=True, spread_points=args.spread_points)
    print(format_summary(result))
    try:
        with staged_dir(out) as tmp:
            result.write_into(tmp)
            if not args.no_figures:
                _write_figures(result, tmp)
    except ResultsExist as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"\nresults: {out}")
    return 0


def cmd_sweep(args) -> int:
    from .experiment.design import load_sweep
    from .experiment.executors import dask_executor
    from .results.sweep import SweepFolderError, format_points, run_sweep

    if args.resume and args.out is None:
        raise InputError([Problem(str(args.file), None, "--resume", "needs --out DIR: the folder of the sweep to continue")])
    plan = load_sweep(args.file, replications=args.replications)
    out = args.out or default_dir(RESULTS_ROOT, plan.sweep.id, plan.seed)
    units = len(plan.points) * -(-plan.replications // plan.block_size)
    if args.scheduler:
        where = f"Dask cluster {args.scheduler}"
        context = dask_executor(args.scheduler)
        in_flight = 64
    else:
        workers = args.workers or default_workers()
        where = f"{workers} local process{'es' if workers > 1 else ''}"
        context = local_executor(workers)
        in_flight = 4 * workers
    print(f"sweep {plan.sweep.id}: {len(plan.points)} points × {plan.replications} replications "
          f"({units} units of ≤{plan.block_size}), seed {plan.seed}, on {where}")
    print(f"results: {out}" + ("  (resuming)" if args.resume else ""))
    try:
        with context as executor:
            outcome = run_sweep(plan, out, executor, resume=args.resume, in_flight=in_flight)
    except SweepFolderError as exc:
        raise InputError([Problem(str(out), None, "--out", str(exc))]) from None
    print(format_points(outcome.points, plan.parameter_paths))
    if not args.no_figures:
        _write_sweep_figures(outcome, plan, out)
    print(f"\n{outcome.units_total} units: {outcome.units_run} run now, {outcome.units_skipped} already on disk, "
          f"{len(outcome.failures)} failed")
    if outcome.failures:
        for f in outcome.failures:
            print(f"failed: {f['unit']} {f['parameters']}: {f['error']}", file=sys.stderr)
        print(f"{len(outcome.failures)} unit(s) failed; fix the cause and continue with --resume --out {out}",
              file=sys.stderr)
        return 1
    return 0


def _write_sweep_figures(outcome, plan, folder: Path) -> None:
    from .figures import save_sweep_figures
    from .results.sweep import describe

    save_sweep_figures(outcome.points, describe(plan), folder / "figures")


def _write_figures(result: RunResult, folder: Path) -> list[Path]:
    from .figures import save_run_figures

    return save_run_figures(result, folder / "figures")


def _pngs(paths: list[Path]) -> dict[str, Path]:
    return {p.stem: p for p in paths if p.suffix == ".png"}


def cmd_plot(args) -> int:
    """Redraw figures from stored results alone (no scenario file, no model run)."""
    from .figures import save_comparison_figures, save_sweep_figures
    from .results import load

    folder = args.folder
    if (folder / "points.parquet").is_file() and (folder / "sweep.json").is_file():
        from .results.storage import read_parquet

        described = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
        written = save_sweep_figures(read_parquet(folder / "points.parquet"), described, folder / "figures")
    elif (folder / "runs.parquet").is_file():
        written = _write_figures(load(folder), folder)
    elif (folder / "comparison.csv").is_file():
        runs = [load(p.parent) for p in sorted(folder.glob("*/runs.parquet"))]
        order = list(pd.read_csv(folder / "comparison.csv")["scenario"])
        runs.sort(key=lambda r: order.index(r.scenario.id) if r.scenario.id in order else len(order))
        written = save_comparison_figures(runs, folder / "figures")
    else:
        raise InputError([Problem(str(folder), None, "", "not a results folder of sim (no runs.parquet, "
                                  "points.parquet or comparison.csv)")])
    for path in written:
        print(path)
    return 0


def cmd_compare(args) -> int:
    """Run several scenarios with the same seed (common random numbers) and compare them."""
    from .figures import save_comparison_figures
    from .results.compare import comparison_table, format_comparison

    problems, loaded = [], []
    overrides = parse_sets(args.overrides)  # the same for every scenario
    for path in args.files:
        try:
            loaded.append(load_scenario(path, overrides=overrides))
        except InputError as exc:
            for p in exc.problems:  # say which scenario a --set does not fit
                p = Problem(f"{path}: {p.file}", p.line, p.path, p.message) if p.file.startswith("--set") else p
                problems.append(p)
    if problems:
        raise InputError(problems)
    ids = [l.scenario.id for l in loaded]
    if len(set(ids)) != len(ids):
        raise InputError([Problem(str(args.files[0]), None, "", f"scenario ids repeat: {', '.join(ids)}")])
    first = loaded[0].scenario.run
    seed = first.seed if args.seed is None else args.seed
    reps = first.replications if args.replications is None else args.replications
    out = args.out or default_dir(RESULTS_ROOT, "compare", seed)
    _refuse_existing(out)
    workers = args.workers if args.workers != 0 else default_workers()
    results = []
    with local_executor(workers) as executor:
        for item in loaded:
            # Same seed, replications and block size for all: the same draws wherever parameters agree.
            results.append(api.run(item, replications=reps, seed=seed, block_size=first.block_size,
                                   executor=executor, progress=True))
    table = comparison_table(results)
    print(format_comparison(table))
    with staged_dir(out) as tmp:
        for r in results:
            sub = tmp / r.scenario.id
            sub.mkdir()
            r.write_into(sub)
        csv = tmp / "comparison.csv"
        table.to_csv(csv, index=False)
        save_comparison_figures(results, tmp / "figures")
    print(f"\nresults: {out}")
    return 0


def cmd_report(args) -> int:
    """An HTML brief of a scenario (run now) or of a stored results folder."""
    from .report import write_report
    from .results import load

    source = args.source
    if source.is_dir():
        if args.overrides:
            raise InputError([Problem(f"--set {args.overrides[0]}", None, "",
                                      "applies to a scenario file, not to stored results; run the file instead")])
        if not (source / "runs.parquet").is_file():
            raise InputError([Problem(str(source), None, "", "not a run's results folder (no runs.parquet)")])
        result = load(source)
        figures_dir = source / "figures"
        figures = _pngs(sorted(figures_dir.glob("*.png"))) if figures_dir.is_dir() else None
        target = (args.out or source) / "report.html"
        path = write_report(result, target, figures or None)
    else:
        loaded = _load(source, args)
        sc = loaded.scenario
        seed = sc.run.seed if args.seed is None else args.seed
        out = args.out or default_dir(RESULTS_ROOT, sc.id, seed)
        _refuse_existing(out)
        result = api.run(loaded, replications=args.replications, seed=seed, progress=True)
        with staged_dir(out) as tmp:
            result.write_into(tmp)
            figures = _pngs(_write_figures(result, tmp))
            write_report(result, tmp / "report.html", figures, manifest=result.manifest())
        path = out / "report.html"
    print(path)
    return 0
