"""The commands behind the CLI that run or draw things (see :mod:`sim.cli` for the parser)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from . import api
from .evidence import LoadedScenario, load_scenario
from .experiment.executors import default_workers, local_executor
from .results import RunResult
from .results.storage import DamagedResults, OutError, ResultsExist, check_target, default_dir, staged_dir
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
    """A results folder that cannot be written (results are never overwritten; a file,
    ``/dev/null``, a folder we may not write in) is refused before any work is done."""
    try:
        check_target(out)
    except OutError as exc:
        raise InputError([Problem(str(out), None, "--out", exc.message)]) from None


def _damaged(exc: DamagedResults) -> InputError:
    return InputError([Problem(str(exc.file), exc.line, "", exc.message)])


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
    stage = staged_dir(out, unique=args.out is None)  # a default name taken meanwhile: the next one
    try:
        with stage as tmp:
            # The per-state rows and the inputs stream into the folder block by block, so memory
            # stays flat in the number of replications; the folder appears only when complete.
            with local_executor(workers) as executor:
                result = api.run(loaded, replications=args.replications, seed=seed, executor=executor,
                                 progress=True, spread_points=args.spread_points, stream_to=tmp)
            print(format_summary(result))
            result.write_into(tmp)
            if not args.no_figures:
                _write_figures(result, tmp, svg=args.svg)
    except ResultsExist as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"\nresults: {stage.final}")
    return 0


def cmd_sweep(args) -> int:
    from .experiment.design import load_sweep
    from .experiment.executors import ExecutorUnavailable, dask_executor
    from .results.sweep import SweepFolderError, format_points, run_sweep

    if args.resume and args.out is None:
        raise InputError([Problem(str(args.file), None, "--resume", "needs --out DIR: the folder of the sweep to continue")])
    plan = load_sweep(args.file, replications=args.replications, seed=args.seed)
    out = args.out or default_dir(RESULTS_ROOT, plan.sweep.id, plan.seed)
    if not (args.resume or out.is_dir()):  # a folder in use is for --resume; the sweep says so
        _refuse_existing(out)
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
    try:
        with context as executor:
            outcome = run_sweep(plan, out, executor, resume=args.resume, in_flight=in_flight,
                                unique=args.out is None)
    except ExecutorUnavailable as exc:
        raise InputError([Problem(args.scheduler, None, "--scheduler", str(exc))]) from None
    except SweepFolderError as exc:
        raise InputError([Problem(str(out), None, "--out", str(exc))]) from None
    except DamagedResults as exc:
        raise _damaged(exc) from None
    except OSError as exc:  # a full disk, ...: the units already written stay, and --resume continues
        print(f"error: cannot write the sweep's results in {out}: {exc.strerror or exc}; the finished units "
              f"are kept: fix the cause, then --resume --out {out}", file=sys.stderr)
        return 1
    out = outcome.folder
    print(f"results: {out}" + ("  (resumed)" if args.resume else ""))
    print(format_points(outcome.points, plan.parameter_paths))
    if plan.sweep.design.kind in ("morris", "sobol") and not outcome.failures:
        _sweep_indices(outcome, plan, out)
    if not args.no_figures:
        _write_sweep_figures(outcome, plan, out, svg=args.svg)
    print(f"\n{outcome.units_total} units: {outcome.units_run} run now, {outcome.units_skipped} already on disk, "
          f"{len(outcome.failures)} failed")
    if outcome.failures:
        for f in outcome.failures:
            print(f"failed: {f['unit']} {f['parameters']}: {f['error']}", file=sys.stderr)
        print(f"{len(outcome.failures)} unit(s) failed; fix the cause and continue with --resume --out {out}",
              file=sys.stderr)
        return 1
    return 0


def _sweep_indices(outcome, plan, folder: Path) -> None:
    """A Morris or Sobol sweep ends with its indices: printed, and in indices.csv next to points.parquet."""
    from .analysis import MissingExtra
    from .analysis.sensitivity import format_table, sentences, sweep_indices

    try:
        sens = sweep_indices(outcome.points, plan)
    except MissingExtra as exc:
        print(f"no indices: {exc}", file=sys.stderr)
        return
    sens.indices.to_csv(folder / ".indices.csv.tmp", index=False)
    (folder / ".indices.csv.tmp").replace(folder / "indices.csv")
    sens.variance.to_csv(folder / ".variance.csv.tmp", index=False)
    (folder / ".variance.csv.tmp").replace(folder / "variance.csv")
    print("\n" + format_table(sens))
    for line in sentences(sens):
        print(f"  {line}")


def _write_sweep_figures(outcome, plan, folder: Path, svg: bool = False) -> None:
    from .figures import save_sweep_figures
    from .results.sweep import describe

    save_sweep_figures(outcome.points, describe(plan), folder / "figures", svg=svg)


def _write_figures(result: RunResult, folder: Path, svg: bool = False) -> list[Path]:
    from .figures import save_run_figures

    return save_run_figures(result, folder / "figures", svg=svg)


def _pngs(paths: list[Path]) -> dict[str, Path]:
    return {p.stem: p for p in paths if p.suffix == ".png"}


def cmd_plot(args) -> int:
    """Redraw figures from stored results alone (no scenario file, no model run)."""
    from .figures import save_comparison_figures, save_sweep_figures
    from .results import load

    folder = args.folder
    try:
        if (folder / "points.parquet").is_file() and (folder / "sweep.json").is_file():
            from .results.storage import read_parquet
            from .results.sweep import read_description

            described = read_description(folder / "sweep.json")
            points = read_parquet(folder / "points.parquet")
            absent = [p for p in described["parameters"] if p not in points.columns]
            if absent:
                raise DamagedResults(folder / "points.parquet", f"does not match sweep.json (no column {absent[0]})")
            written = save_sweep_figures(points, described, folder / "figures", svg=True)
        elif (folder / "runs.parquet").is_file():
            written = _write_figures(load(folder), folder, svg=True)
        elif (folder / "comparison.csv").is_file():
            runs = [load(p.parent) for p in sorted(folder.glob("*/runs.parquet"))]
            if not runs:
                raise DamagedResults(folder, "a comparison without the runs it compares (no */runs.parquet)")
            try:
                order = list(pd.read_csv(folder / "comparison.csv")["scenario"])
            except (ValueError, KeyError, OSError) as exc:
                raise DamagedResults(folder / "comparison.csv", f"damaged ({exc})") from None
            runs.sort(key=lambda r: order.index(r.scenario.id) if r.scenario.id in order else len(order))
            stored = folder / "differences.csv"
            diffs = pd.read_csv(stored, keep_default_na=False, na_values=[""]) if stored.is_file() else None
            written = save_comparison_figures(runs, folder / "figures", diffs, svg=True)
        elif (folder / "explain.json").is_file():
            from .figures.explain import waterfall
            from .figures.save import save_figure
            from .results.explain import Explanation

            stored = Explanation.read(folder)
            written = save_figure(waterfall(stored.effects, stored.totals, stored.about), folder / "figures",
                                  "waterfall", svg=True)
        else:
            raise InputError([Problem(str(folder), None, "", "not a results folder of sim (no runs.parquet, "
                                      "points.parquet, comparison.csv or explain.json)")])
    except DamagedResults as exc:
        raise _damaged(exc) from None
    for path in written:
        print(path)
    return 0


def cmd_compare(args) -> int:
    """Run several scenarios with the same seed (common random numbers) and compare them."""
    from .figures import save_comparison_figures
    from .results.compare import comparison_table, differences, format_comparison, format_differences, unlike_warning

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
    stage = staged_dir(out, unique=args.out is None)
    workers = args.workers if args.workers != 0 else default_workers()
    results = []
    with local_executor(workers) as executor:
        for item in loaded:
            # Same seed, replications and block size for all: the same draws wherever parameters agree.
            results.append(api.run(item, replications=reps, seed=seed, block_size=first.block_size,
                                   executor=executor, progress=True, spread_points=args.spread_points))
    table = comparison_table(results)
    print(format_comparison(table))
    warning = unlike_warning(results)
    if warning:  # on stdout, next to the numbers it qualifies
        print(f"\n{warning}")
    # Paired by replication: every scenario ran on the same seed, replications and block size.
    diffs = differences(results)
    if not diffs.empty:
        print("\n" + format_differences(diffs))
    with stage as tmp:
        for r in results:
            sub = tmp / r.scenario.id
            sub.mkdir()
            r.write_into(sub)
        csv = tmp / "comparison.csv"
        table.to_csv(csv, index=False)
        if not diffs.empty:
            diffs.to_csv(tmp / "differences.csv", index=False)
        save_comparison_figures(results, tmp / "figures", diffs if not diffs.empty else None)
    print(f"\nresults: {stage.final}")
    return 0


#: Replications of each scenario ``explain`` runs (3k − 2 of them for k groups of changes).
EXPLAIN_REPLICATIONS = 2000


def _differenced_outcomes(names: list[str]):
    """The declared outcomes named by ``--outcome`` (default: the key ones); a level outcome has no
    single value to difference."""
    from .model.outcomes import BY_NAME, KEY_OUTCOMES

    if not names:
        return [o for o in KEY_OUTCOMES if o.kind != "level"]
    valid = ", ".join(n for n, o in BY_NAME.items() if o.kind != "level")
    problems, chosen = [], []
    for name in names:
        o = BY_NAME.get(name)
        if o is None or o.kind == "level":
            why = "a level outcome has no single value to attribute" if o is not None else "unknown outcome"
            problems.append(Problem("--outcome", None, "", f"{why} {name!r}; expected one of {valid}"))
        elif o not in chosen:
            chosen.append(o)
    if problems:
        raise InputError(problems)
    return chosen


def cmd_explain(args) -> int:
    """Attribute the change in each outcome from scenario A to B to each group of changed parameters."""
    from .experiment.explain import plan, run_plan
    from .figures.explain import waterfall
    from .figures.save import save_figure
    from .results.explain import explain, format_explanation
    from .results.storage import manifest, write_json
    from .results.summary import columns_for

    outcomes = _differenced_outcomes(args.outcome)
    problems, loaded = [], []
    for path in (args.a, args.b):
        try:
            loaded.append(load_scenario(path))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    for path, item in zip((args.a, args.b), loaded):
        for note in item.notes:
            print(f"{path}: {note}", file=sys.stderr)
    la, lb = loaded
    a, b = la.scenario, lb.scenario
    seed = a.run.seed if args.seed is None else args.seed
    reps = args.replications or EXPLAIN_REPLICATIONS
    block = a.run.block_size
    out = args.out or default_dir(RESULTS_ROOT / "explain", f"{a.id}-vs-{b.id}", seed)
    _refuse_existing(out)
    steps = plan(a, b)  # every mix of the two is validated before anything runs
    print(f"explain {a.id} → {b.id}: {len(steps.changes)} changed paths in {len(steps.units)} groups; "
          f"{len(steps.steps)} scenarios × {reps:,} replications, seed {seed}, block size {block}", file=sys.stderr)
    workers = args.workers if args.workers != 0 else default_workers()
    with local_executor(workers) as executor:
        runs = run_plan(steps, reps, seed, block, executor, columns=columns_for(outcomes), progress=True)
    result = explain(steps, runs, outcomes, seed, block, registers=(la.register, lb.register),
                     files=(str(args.a), str(args.b)))
    print(format_explanation(result))
    stage = staged_dir(out, unique=args.out is None)
    with stage as tmp:
        result.write_into(tmp)
        write_json(tmp / "manifest.json", manifest(
            command="explain", scenarios=[a.id, b.id], scenario_files=[str(args.a), str(args.b)],
            scenario_sha256=[la.file_hash, lb.file_hash], seed=seed, replications=reps, block_size=block,
            outcomes=[o.name for o in outcomes]))
        save_figure(waterfall(result.effects, result.totals, result.about), tmp / "figures", "waterfall")
    print(f"\nresults: {stage.final}")
    return 0


def _comparison_runs(folder: Path) -> list[RunResult]:
    """A comparison folder's runs, in the order of its comparison.csv."""
    from .results import load

    runs = [load(p.parent) for p in sorted(folder.glob("*/runs.parquet"))]
    order = list(pd.read_csv(folder / "comparison.csv")["scenario"])
    runs.sort(key=lambda r: order.index(r.scenario.id) if r.scenario.id in order else len(order))
    return runs


def cmd_report(args) -> int:
    """An HTML brief of a scenario (run now), of a run's stored results folder, or of a comparison's
    folder (with its paired differences)."""
    from .report import write_comparison_report, write_report
    from .results import load

    source = args.source
    if source.is_dir():
        if args.overrides:
            raise InputError([Problem(f"--set {args.overrides[0]}", None, "",
                                      "applies to a scenario file, not to stored results; run the file instead")])
        if (source / "comparison.csv").is_file() and not (source / "runs.parquet").is_file():
            figures_dir = source / "figures"
            figures = _pngs(sorted(figures_dir.glob("*.png"))) if figures_dir.is_dir() else None
            stored = source / "differences.csv"
            diffs = pd.read_csv(stored, keep_default_na=False, na_values=[""]) if stored.is_file() else None
            path = write_comparison_report(_comparison_runs(source), (args.out or source) / "report.html", diffs,
                                           figures or None, folder=source)
            print(path)
            return 0
        if not (source / "runs.parquet").is_file():
            raise InputError([Problem(str(source), None, "", "not a run's results folder nor a comparison's "
                                      "(no runs.parquet or comparison.csv)")])
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
        result = api.run(loaded, replications=args.replications, seed=seed, progress=True,
                         spread_points=args.spread_points)
        stage = staged_dir(out, unique=args.out is None)
        with stage as tmp:
            result.write_into(tmp)
            figures = _pngs(_write_figures(result, tmp))
            write_report(result, tmp / "report.html", figures, manifest=result.manifest())
        path = stage.final / "report.html"
    print(path)
    return 0


# --------------------------------------------------------------------------- which assumptions drive the outcome

#: Defaults of ``sensitivity`` on a scenario file: replications of the run, and the two-level design
#: that measures the replication noise (outer draws of the assumptions × inner replications).
SENSITIVITY_REPLICATIONS = 10_000
NOISE_POINTS, NOISE_INNER = 100, 50
#: Defaults of the designed methods: replications per point, Saltelli base samples / Morris
#: trajectories, inputs kept for a Sobol design (from a given-data screen).
DESIGN_INNER = 8
DESIGN_SAMPLES = {"sobol": 256, "morris": 20}
SOBOL_TOP = 8


def _analysis_outcomes(names: list[str]):
    """The declared outcomes named on the command line (default: the key outcomes)."""
    from .analysis.sensitivity import analysable
    from .model.outcomes import BY_NAME, KEY_OUTCOMES

    if not names:
        return [o for o in KEY_OUTCOMES if analysable(o)]
    problems, chosen = [], []
    valid = ", ".join(n for n, o in BY_NAME.items() if analysable(o))
    for name in names:
        o = BY_NAME.get(name)
        if o is None or not analysable(o):
            why = "a level outcome has no single value per replication" if o is not None else "unknown outcome"
            problems.append(Problem("--outcome", None, "", f"{why} {name!r}; expected one of {valid}"))
        else:
            chosen.append(o)
    if problems:
        raise InputError(problems)
    return chosen


def _source_result(source: Path, what: str):
    """A run's stored results (RESULTS_DIR) for an analysis, or a clear problem."""
    from .results import load

    if not (source / "runs.parquet").is_file():
        raise InputError([Problem(str(source), None, "", "not a run's results folder (no runs.parquet)")])
    try:
        result = load(source)
    except DamagedResults as exc:
        raise _damaged(exc) from None
    if result.inputs is None:
        raise InputError([Problem(str(source), None, "", f"{what} needs the uncertain inputs of each replication "
                                  "(inputs.parquet), which this folder lacks; run the scenario file instead")])
    return result


def _run_for_analysis(args, noise: bool):
    """Run a scenario file for an analysis (the default replications); with ``noise``, also the
    two-level design that measures the replication noise (outer draws of the assumptions × inner
    replications, :mod:`sim.experiment.spread`).  Returns the run and the design's replications."""
    from .experiment.spread import run_spread

    loaded = load_scenario(args.source)
    sc = loaded.scenario
    seed = sc.run.seed if args.seed is None else args.seed
    reps = args.replications or SENSITIVITY_REPLICATIONS
    workers = default_workers() if args.workers == 0 else args.workers
    with local_executor(workers) as executor:
        result = api.run(loaded, replications=reps, seed=seed, executor=executor, progress=True)
        design = run_spread(sc, seed, NOISE_POINTS, NOISE_INNER, executor) if noise else None
    return result, (design.runs if design is not None else None)


def cmd_sensitivity(args) -> int:
    """How much of each key outcome's variance each uncertain input explains (SALib)."""
    import time

    from .analysis import MissingExtra, require
    from .analysis import sensitivity as SA
    from .figures.sensitivity import save_sensitivity_figures

    started = time.perf_counter()
    try:
        require("SALib", "SALib", "sensitivity analysis")
        outcomes = _analysis_outcomes(args.outcome)
        source = args.source
        if source.is_dir():
            result = _source_result(source, "sensitivity analysis")
            out = args.out or default_dir(source, "sensitivity", result.seed)
        else:
            result = None
            loaded_id = load_scenario(source).scenario
            out = args.out or default_dir(RESULTS_ROOT / loaded_id.id, "sensitivity", loaded_id.run.seed
                                          if args.seed is None else args.seed)
        _refuse_existing(out)
        extra: dict[str, pd.DataFrame] = {}
        if args.method == SA.GIVEN:
            noise_runs = None
            if result is None:
                result, noise_runs = _run_for_analysis(args, noise=True)
                extra["noise_runs"] = noise_runs
            else:
                noise_runs = result.spread_runs
            ran = time.perf_counter()
            names = {s.id: s.name for s in result.scenario.states}
            sens = SA.given_data(result.inputs, result.runs, outcomes, design_runs=noise_runs,
                                 state_names=names, seed=result.seed)
            sens.about.update(replications=result.replications, run_seconds=round(ran - started, 1),
                              analysis_seconds=round(time.perf_counter() - ran, 1))
            if noise_runs is not None:
                sens.about["noise_design"] = {"points": int(noise_runs["point"].nunique()),
                                              "inner": int(len(noise_runs) // noise_runs["point"].nunique())}
        else:
            sens, extra, result = _designed_sensitivity(args, result, outcomes)
        sens.about.update(scenario=result.scenario.id, seed=result.seed, source=str(source),
                          seconds=round(time.perf_counter() - started, 1))
    except MissingExtra as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(SA.format_table(sens))
    print("\nTop drivers:")
    for line in SA.sentences(sens):
        print(f"  {line}")
    stage = staged_dir(out, unique=args.out is None)
    with stage as tmp:
        sens.write(tmp)
        for name, frame in extra.items():
            from .results.storage import write_parquet

            write_parquet(tmp / f"{name}.parquet", frame)
        if not source.is_dir() and args.method == SA.GIVEN:
            (tmp / "run").mkdir()
            result.write_into(tmp / "run")
        save_sensitivity_figures(sens, tmp / "figures")
    print(f"\n{time.perf_counter() - started:.0f} s; results: {stage.final}")
    return 0


def _designed_sensitivity(args, result, outcomes):
    """A Saltelli (Sobol) or Morris design over the uncertain inputs, run and analysed."""
    from .analysis import sensitivity as SA
    from .experiment import sampling

    if result is None:
        loaded = load_scenario(args.source)
        scenario, seed = loaded.scenario, (loaded.scenario.run.seed if args.seed is None else args.seed)
    else:
        scenario, seed = result.scenario, result.seed if args.seed is None else args.seed
    parameters = sampling.uncertain_parameters(scenario)
    if not parameters:
        raise InputError([Problem(str(args.source), None, "", "the scenario declares no uncertain parameter")])
    names = list(parameters)
    top = args.top if args.top is not None else (SOBOL_TOP if args.method == SA.SOBOL else None)
    state_names = {s.id: s.name for s in scenario.states}
    if top is not None and top < len(names):
        # Keep the inputs that explain most of any chosen outcome on the run's own replications.
        screen = result if result is not None and result.inputs is not None else api.run(
            scenario, replications=4000, seed=seed)
        ranked = SA.given_data(screen.inputs, screen.runs, outcomes, resamples=2, seed=seed).indices
        best = ranked.groupby("input")["estimate"].max().sort_values(ascending=False)
        names = list(best.index[:top])
    samples = args.samples or DESIGN_SAMPLES[args.method]
    if args.method == SA.SOBOL:
        if samples & (samples - 1):
            raise InputError([Problem("--samples", None, "", f"a Saltelli design needs a power of two, found {samples}")])
        unit = sampling.saltelli(names, samples, seed)
    else:
        unit = sampling.morris_design(names, samples, 4, seed)
    values = sampling.values_at(parameters, unit)
    inner = args.replications or DESIGN_INNER
    workers = default_workers() if args.workers == 0 else args.workers
    print(f"{args.method} design: {len(unit):,} points × {inner} replications over {len(names)} inputs",
          file=sys.stderr)
    with local_executor(workers) as executor:
        runs = sampling.run_points(scenario, values, inner, seed, executor)
    sens = SA.designed(args.method, unit, runs, inner, outcomes, state_names, levels=4, seed=seed)
    if result is None:
        from types import SimpleNamespace

        result = SimpleNamespace(scenario=scenario, seed=seed)
    design = values.copy()
    design.insert(0, "point", range(len(design)))
    return sens, {"design": design, "design_unit": unit, "design_runs": runs}, result


def cmd_export(args) -> int:
    """One Excel workbook of a results folder: its tables as stored, and an 'about' sheet with the
    settings, what the intervals cover and the scenario's assumptions (:mod:`sim.export`)."""
    from .export import DEFAULT_ROWS, write_xlsx

    print(write_xlsx(args.folder, args.out, max_rows=args.max_rows or DEFAULT_ROWS))
    return 0


def cmd_discover(args) -> int:
    """Scenario discovery: PRIM's boxes of input space in which an outcome happens (EMA Workbench)."""
    import time

    from .analysis import MissingExtra, require
    from .analysis import discovery as DI
    from .figures.discovery import save_discovery_figures

    started = time.perf_counter()
    try:
        require("ema_workbench", "EMA Workbench", "scenario discovery")
        (o,) = _analysis_outcomes([args.outcome])
        source = args.source
        if source.is_dir():
            result = _source_result(source, "scenario discovery")
            out = args.out or default_dir(source, "discovery", result.seed)
            _refuse_existing(out)
        else:
            sc = load_scenario(source).scenario
            out = args.out or default_dir(RESULTS_ROOT / sc.id, "discovery", sc.run.seed if args.seed is None
                                          else args.seed)
            _refuse_existing(out)
            result, _ = _run_for_analysis(args, noise=False)
        if args.min_density is not None and not 0 < args.min_density <= 1:
            raise InputError([Problem("--min-density", None, "", f"expected a share in (0, 1], found {args.min_density}")])
        found = DI.discover(result.inputs, result.runs, o, threshold=args.threshold, below=args.below,
                            min_density=args.min_density, boxes=args.boxes,
                            state_names={s.id: s.name for s in result.scenario.states})
        found.about.update(scenario=result.scenario.id, seed=result.seed, source=str(source),
                           replications=result.replications, seconds=round(time.perf_counter() - started, 1))
    except MissingExtra as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(DI.format_table(found))
    print()
    for line in DI.sentences(found):
        print(line)
    stage = staged_dir(out, unique=args.out is None)
    with stage as tmp:
        found.write(tmp)
        if not source.is_dir():
            (tmp / "run").mkdir()
            result.write_into(tmp / "run")
        save_discovery_figures(found, tmp / "figures")
    print(f"\n{time.perf_counter() - started:.0f} s; results: {stage.final}")
    return 0
