"""Command line: ``python -m sim [run] FILE``, ``validate``, ``schema`` and friends.

One :func:`main` serves ``python -m sim`` and the ``sim`` script, and tests
call it in-process.  Bad input ends with one message per problem on stderr
and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Nothing heavy is imported here: `sim --help` and argument errors answer at once,
# before numpy, pydantic or pandas are loaded (the handlers import what they need).

COMMANDS = ("run", "validate", "schema", "sweep", "plot", "compare", "report", "sensitivity", "discover", "export",
            "dashboard", "explain")

EXIT_OK, EXIT_FAILED, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit status is 2 as well; keep its usage line
        self.print_usage(sys.stderr)
        self.exit(EXIT_INPUT, f"{self.prog}: error: {message}\n")


#: The most replications one run (or one sweep point) may have; the scenario
#: schema's ``run.replications`` has the same cap (a test checks they agree).
MAX_REPLICATIONS = 10_000_000


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, found {text!r}") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive number, found {value}")
    return value


def _replications(text: str) -> int:
    value = _positive(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_REPLICATIONS:,} replications, found {value:,}")
    return value


def _seed(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a seed >= 0, found {value}")
    return value


def _workers(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of processes >= 0, found {value}")
    return value


def _add_set(parser: argparse.ArgumentParser) -> None:
    # Kept as text: sim.scenario.overrides parses every --set at once, so all mistakes are listed.
    parser.add_argument(
        "--set", action="append", default=[], metavar="PATH=VALUE", dest="overrides",
        help="set a scenario parameter (repeatable; VALUE is YAML): united_states.honour=0.8, "
        "'states.*.resolve=0.9', 'package.monitoring.attribution={dist: uniform, low: 0.3, high: 0.6}'",
    )


def _add_spread(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spread-points", type=int, default=40, metavar="K",
                        help="draws of the uncertain parameters for the spread across the assumptions "
                        "(default 40, × 250 replications each; 0 = skip)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="sim", description="Scenario simulator for security guarantees for Ukraine.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    v = sub.add_parser("validate", help="check scenario files and print their evidence coverage")
    v.add_argument("files", nargs="+", type=Path, metavar="FILE")

    sub.add_parser("schema", help="print the JSON Schema of scenario files (strict JSON; for editors)")

    r = sub.add_parser("run", help="run a scenario and write a results folder")
    r.add_argument("file", type=Path, metavar="FILE")
    r.add_argument("--replications", type=_replications, metavar="N", help="override run.replications")
    r.add_argument("--seed", type=_seed, metavar="S", help="override run.seed")
    r.add_argument("--out", type=Path, metavar="DIR", help="results folder (default results/<id>/<run-id>/)")
    r.add_argument("--workers", type=_workers, default=1, metavar="N", help="local processes (default 1; 0 = all cores)")
    r.add_argument("--no-figures", action="store_true", help="skip the figures")
    r.add_argument("--svg", action="store_true", help="also write each figure as SVG (default: PNG only)")
    _add_spread(r)
    _add_set(r)

    s = sub.add_parser("sweep", help="run a parameter sweep (resumable; local cores or a Dask cluster)")
    s.add_argument("file", type=Path, metavar="SWEEP")
    s.add_argument("--workers", type=_workers, metavar="N", help="local processes (default: all cores)")
    s.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="run on an existing Dask cluster")
    s.add_argument("--replications", type=_replications, metavar="N", help="override replications per point")
    s.add_argument("--seed", type=_seed, metavar="S", help="override the sweep's seed")
    s.add_argument("--out", type=Path, metavar="DIR", help="results folder (default results/<sweep-id>/<run-id>/)")
    s.add_argument("--resume", action="store_true", help="continue the sweep already in --out DIR")
    s.add_argument("--no-figures", action="store_true", help="skip the figures")
    s.add_argument("--svg", action="store_true", help="also write each figure as SVG (default: PNG only)")

    pl = sub.add_parser("plot", help="redraw the figures of a results folder from its stored results (PNG and SVG)")
    pl.add_argument("folder", type=Path, metavar="RESULTS_DIR")

    c = sub.add_parser("compare", help="run scenarios with the same seed and compare them side by side")
    c.add_argument("files", nargs="+", type=Path, metavar="FILE")
    c.add_argument("--replications", type=_replications, metavar="N", help="replications for every scenario")
    c.add_argument("--seed", type=_seed, metavar="S", help="seed for every scenario (default: the first's)")
    c.add_argument("--out", type=Path, metavar="DIR", help="results folder (default results/compare/<run-id>/)")
    c.add_argument("--workers", type=_workers, default=1, metavar="N", help="local processes (default 1; 0 = all cores)")
    _add_spread(c)
    _add_set(c)

    xp = sub.add_parser("explain", help="attribute the change between two scenarios to each group of changed "
                        "parameters (a waterfall)")
    xp.add_argument("a", type=Path, metavar="A", help="the scenario the change starts from")
    xp.add_argument("b", type=Path, metavar="B", help="the scenario it ends at")
    xp.add_argument("--outcome", action="append", default=[], metavar="NAME",
                    help="a declared outcome (repeatable; default: the key outcomes)")
    xp.add_argument("--replications", type=_positive, metavar="N",
                    help="replications of each scenario run (default 2,000; every one on the same random numbers)")
    xp.add_argument("--seed", type=int, metavar="S", help="seed of every run (default: A's)")
    xp.add_argument("--out", type=Path, metavar="DIR", help="results folder (default results/explain/<A>-vs-<B>/<run-id>/)")
    xp.add_argument("--workers", type=int, default=1, metavar="N", help="local processes (default 1; 0 = all cores)")

    rp = sub.add_parser("report", help="write a self-contained HTML report of a scenario, a run's results folder "
                        "or a comparison's folder")
    rp.add_argument("source", type=Path, metavar="FILE|RESULTS_DIR")
    rp.add_argument("--replications", type=_replications, metavar="N", help="when running a scenario file")
    rp.add_argument("--seed", type=_seed, metavar="S", help="when running a scenario file")
    rp.add_argument("--out", type=Path, metavar="DIR", help="where to write (default: the results folder)")
    _add_spread(rp)
    _add_set(rp)

    se = sub.add_parser("sensitivity", help="which uncertain inputs explain each key outcome's variance (SALib)")
    se.add_argument("source", type=Path, metavar="FILE|RESULTS_DIR")
    se.add_argument("--outcome", action="append", default=[], metavar="NAME",
                    help="a declared outcome (repeatable; default: the key outcomes)")
    se.add_argument("--method", choices=("given", "sobol", "morris"), default="given",
                    help="given: the run's own replications (RBD-FAST); sobol: a Saltelli design; morris: a Morris "
                    "design (default given)")
    se.add_argument("--replications", type=_replications, metavar="N",
                    help="given: replications of the run (default 10,000); sobol/morris: per design point (default 8)")
    se.add_argument("--samples", type=_positive, metavar="N",
                    help="sobol: Saltelli base samples, a power of two (default 256); morris: trajectories (default 20)")
    se.add_argument("--top", type=_positive, metavar="K",
                    help="sobol/morris: only the K inputs that explain most on given data (default 8 for sobol, all for morris)")
    se.add_argument("--seed", type=_seed, metavar="S", help="when running a scenario file")
    se.add_argument("--workers", type=_workers, default=1, metavar="N", help="local processes (default 1; 0 = all cores)")
    se.add_argument("--out", type=Path, metavar="DIR",
                    help="where to write (default results/<id>/sensitivity/<run-id>/, or RESULTS_DIR/sensitivity/<run-id>/)")

    di = sub.add_parser("discover", help="scenario discovery: the input boxes where an outcome happens (PRIM)")
    di.add_argument("source", type=Path, metavar="FILE|RESULTS_DIR")
    di.add_argument("--outcome", required=True, metavar="NAME", help="a declared outcome (share, rate or quantity)")
    di.add_argument("--threshold", type=float, metavar="X",
                    help="rates and quantities: the cases of interest are above X (default: the median)")
    di.add_argument("--below", action="store_true", help="the cases of interest are below the threshold (or a share's False)")
    di.add_argument("--min-density", type=float, metavar="D",
                    help="the smallest density a box may have (default: halfway from the base rate to 1)")
    di.add_argument("--boxes", type=_positive, default=2, metavar="N", help="at most N boxes (default 2)")
    di.add_argument("--replications", type=_replications, metavar="N", help="when running a scenario file (default 10,000)")
    di.add_argument("--seed", type=_seed, metavar="S", help="when running a scenario file")
    di.add_argument("--workers", type=_workers, default=1, metavar="N", help="local processes (default 1; 0 = all cores)")
    di.add_argument("--out", type=Path, metavar="DIR",
                    help="where to write (default results/<id>/discovery/<run-id>/, or RESULTS_DIR/discovery/<run-id>/)")

    ex = sub.add_parser("export", help="write a results folder's tables, settings and assumptions to one workbook")
    ex.add_argument("folder", type=Path, metavar="RESULTS_DIR", help="a run's, a comparison's or a sweep's folder")
    ex.add_argument("--format", choices=("xlsx",), default="xlsx", help="xlsx: an Excel workbook (the default)")
    ex.add_argument("--out", type=Path, metavar="FILE",
                    help="the workbook (default RESULTS_DIR/<scenario>-<run-id>.xlsx); never overwritten")
    ex.add_argument("--max-rows", type=_positive, metavar="N",
                    help="rows kept per sheet, cut at a whole replication (default 100,000; at most Excel's 1,048,575)")

    d = sub.add_parser("dashboard", help="an interactive dashboard in the browser (needs the 'dashboard' extra)")
    d.add_argument("file", nargs="?", metavar="FILE", help="a scenario file or a shipped scenario's name (default paris)")
    d.add_argument("--port", type=int, default=8765, metavar="N", help="port to listen on (default 8765)")
    d.add_argument("--host", default="127.0.0.1", metavar="H",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    return p


def _cmd_dashboard(args) -> int:
    from .evidence import load_scenario
    from .scenario import shipped

    source = args.file or "paris"
    load_scenario(shipped.resolve(source))  # a bad file gets its problems here, not in the browser
    try:
        from .dashboard import serve
        import solara  # noqa: F401
    except ImportError as exc:
        print(f"the dashboard needs Solara: pip install 'sim[dashboard]' ({exc})", file=sys.stderr)
        return EXIT_FAILED
    print(f"sim dashboard: http://{args.host}:{args.port}/ (Ctrl-C stops it)", file=sys.stderr)
    serve(source, host=args.host, port=args.port)
    return EXIT_OK


def _print_problems(problems) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    n = len(problems)
    print(f"{n} problem{'s' if n != 1 else ''} found; nothing was run.", file=sys.stderr)


def _cmd_validate(args) -> int:
    from .evidence import load_scenario
    from .scenario.yamlio import InputError

    status = EXIT_OK
    for path in args.files:
        try:
            loaded = load_scenario(path)
        except InputError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            status = EXIT_INPUT
            continue
        sc = loaded.scenario
        print(f"{path}: ok — {sc.id}, {len(sc.states)} states, {loaded.coverage.line()}")
        for note in loaded.notes:
            print(f"{path}: {note}", file=sys.stderr)
    return status


def _cmd_schema(args) -> int:
    from .scenario.json_schema import dumps, scenario_schema

    # Strict JSON, one schema for complete files and for files that `extends` another.
    sys.stdout.write(dumps(scenario_schema()))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "run")  # `python -m sim FILE` is short for `python -m sim run FILE`
    args = _parser().parse_args(argv)
    from .scenario.yamlio import InputError

    handler = {"validate": _cmd_validate, "schema": _cmd_schema, "dashboard": _cmd_dashboard}.get(args.command)
    if handler is None:
        from . import commands

        handler = getattr(commands, f"cmd_{args.command}")
    try:
        return handler(args)
    except InputError as exc:
        _print_problems(exc.problems)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `python -m sim run ... | head`
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - keep Python's exit flush quiet
        return EXIT_FAILED
    except OSError as exc:  # the disk is full, a folder vanished, ...: the machine's problem, not a bug
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_FAILED
