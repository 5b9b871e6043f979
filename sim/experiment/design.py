"""Sweep files and experiment designs: which scenario points a sweep runs.

A sweep file names a base scenario, the parameters to vary (by dotted path,
states addressed by id: ``states.DEU.troops.willingness``, all at once:
``states.*.resolve``; see :mod:`sim.scenario.overrides`), a design and the
replications per point::

    scenario: ../scenarios/paris.yaml
    parameters:
      united_states.backstop: [none, political, enablers, monitoring, direct]
      russia.acceptance.without_troops: {start: 0.1, stop: 0.9, step: 0.2}
      states.DEU.troops.willingness: {low: 0.0, high: 1.0, levels: 5}
    design: {kind: grid}          # or latin_hypercube (points: N), sobol (points: N, a Saltelli design
                                  # of N × (parameters + 2) points), morris (trajectories: N)
    replications: 200
    seed: 1

Grids take the product of the value lists; sampled designs come from
``scipy.stats.qmc`` (Latin hypercube) and SALib (Morris, and a Saltelli design
for Sobol indices) with a generator derived from the sweep's seed; Morris and
Sobol sweeps end with their indices (:func:`sim.analysis.sensitivity.sweep_indices`).  Every point is validated as a
scenario before anything runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import Discriminator, Field, Tag, ValidationError, model_validator

from ..evidence import LoadedScenario, load_scenario
from ..scenario import schema
from ..scenario import shipped
from ..scenario.load import Located, validation_problems
from ..scenario.overrides import PathError, set_path
from ..scenario.params import Strict
from ..scenario.yamlio import InputError, Problem, read_yaml
from ..model.streams import name_words

PATH = r"^[a-z_]+(\.([A-Za-z0-9_]+|\*))+$"  # states.*.x: every state

#: Most points a sweep may have.  Every point is expanded and validated as a whole
#: scenario before anything runs, so the limit is checked before any of that.
MAX_POINTS = 10_000
#: Most replications per point, as for a scenario's ``run.replications``.
MAX_REPLICATIONS = 10_000_000


class Range(Strict):
    """``start``, ``start + step``, … up to and including ``stop`` (within rounding)."""

    start: float
    stop: float
    step: float = Field(gt=0)

    @model_validator(mode="after")
    def _order(self):
        if self.start > self.stop:
            raise ValueError(f"start must not exceed stop, found start={self.start:g} > stop={self.stop:g}")
        if (self.stop - self.start) / self.step > 10_000:
            raise ValueError("the range has more than 10,000 values")
        return self

    def count(self) -> int:
        return int(math.floor((self.stop - self.start) / self.step + 1e-9)) + 1

    def values(self) -> list[float]:
        return [round(self.start + i * self.step, 12) for i in range(self.count())]


class Bounds(Strict):
    """A continuous interval; a grid needs ``levels`` evenly spaced values from it."""

    low: float
    high: float
    levels: int | None = Field(None, ge=2, le=1000)

    @model_validator(mode="after")
    def _order(self):
        if self.low > self.high:
            raise ValueError(f"low must not exceed high, found low={self.low:g} > high={self.high:g}")
        return self

    def values(self) -> list[float]:
        if self.levels is None:
            raise ValueError("a grid needs 'levels' for bounds")
        return [float(v) for v in np.linspace(self.low, self.high, self.levels)]


def _value_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "level"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return None


#: One value of a list axis: a number or a level name (never a bool, which YAML reads from yes/no).
AxisValue = Annotated[
    Union[Annotated[float, Tag("number")], Annotated[str, Tag("level")]],
    Discriminator(_value_tag, custom_error_type="axis", custom_error_message="expected a number or a level name"),
]


def _axis_tag(value: Any) -> str | None:
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        if "step" in value or "start" in value:
            return "range"
        return "bounds"
    return None


Axis = Annotated[
    Union[
        Annotated[list[AxisValue], Tag("list"), Field(min_length=1)],
        Annotated[Range, Tag("range")],
        Annotated[Bounds, Tag("bounds")],
    ],
    Discriminator(
        _axis_tag, custom_error_type="axis",
        custom_error_message="expected a list of values, {start, stop, step} or {low, high[, levels]}",
    ),
]


class Design(Strict):
    kind: Literal["grid", "latin_hypercube", "sobol", "morris"] = "grid"
    points: int | None = Field(None, ge=1, le=1_000_000, description=(
        "Points of a Latin hypercube design; for a Sobol design the Saltelli base samples N, a power of two "
        "(the design has N × (parameters + 2) points)."))
    trajectories: int | None = Field(None, ge=1, le=100_000, description="Morris trajectories (points = trajectories × (parameters + 1)).")
    levels: int = Field(4, ge=2, le=100, description="Morris grid levels.")

    @model_validator(mode="after")
    def _needs(self):
        if self.kind in ("latin_hypercube", "sobol") and self.points is None:
            raise ValueError(f"a {self.kind} design needs 'points'")
        if self.kind == "sobol" and self.points is not None and self.points & (self.points - 1):
            raise ValueError(f"a sobol design needs a power of two points, found {self.points}")
        if self.kind == "morris" and self.trajectories is None:
            raise ValueError("a morris design needs 'trajectories'")
        return self


class Sweep(Strict):
    """A sweep file."""

    id: str = Field("sweep", pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str = ""
    description: str = ""
    scenario: str = Field(description="Base scenario file, relative to the sweep file, or a shipped scenario's name.")
    parameters: dict[Annotated[str, Field(pattern=PATH)], Axis] = Field(min_length=1)
    design: Design = Field(default_factory=Design)
    replications: int = Field(200, ge=1, le=10_000_000, description="Replications per point.")
    block_size: int | None = Field(None, ge=1, le=1_000_000, description="Defaults to the scenario's, capped at replications.")
    seed: int | None = Field(None, ge=0, description="Defaults to the scenario's run.seed.")

    @model_validator(mode="after")
    def _grid_levels(self):
        if self.design.kind == "grid":
            missing = [n for n, a in self.parameters.items() if isinstance(a, Bounds) and a.levels is None]
            if missing:
                raise ValueError("\n".join(
                    f"parameters.{n}: a grid needs 'levels' for bounds (or use a sampled design)" for n in missing
                ))
        return self

    @model_validator(mode="after")
    def _size(self):
        n, how = self.point_count()
        if n > MAX_POINTS:
            where = "parameters" if self.design.kind == "grid" else "design"
            raise ValueError(f"{where}: a sweep may have at most {MAX_POINTS:,} points; this one has "
                             f"{n:,} ({how}); use fewer values or a sampled design with fewer points")
        return self

    def point_count(self) -> tuple[int, str]:
        """How many points the design has, and how that number comes about (computed, not expanded)."""
        kind = self.design.kind
        if kind == "grid":
            sizes = [a.count() if isinstance(a, Range) else (a.levels or 0) if isinstance(a, Bounds) else len(a)
                     for a in self.parameters.values()]
            return math.prod(sizes), " × ".join(f"{k:,}" for k in sizes)
        k = len(self.parameters)
        if kind == "morris":
            return self.design.trajectories * (k + 1), f"{self.design.trajectories:,} trajectories × ({k} parameters + 1)"
        if kind == "sobol":
            return self.design.points * (k + 2), f"{self.design.points:,} base samples × ({k} parameters + 2)"
        return self.design.points, f"{kind} points"


@dataclass
class SweepPlan:
    """A validated sweep: its points (parameter values) and their scenarios."""

    sweep: Sweep
    path: Path
    base: LoadedScenario
    points: list[dict[str, Any]]  # one {path: value} per point
    scenarios: Sequence[schema.Scenario]  # each point's scenario, built when asked for (PointScenarios)
    seed: int
    replications: int
    block_size: int
    fingerprint: str  # what makes two sweeps the same (for --resume)

    @property
    def parameter_paths(self) -> list[str]:
        return list(self.sweep.parameters)


# --------------------------------------------------------------------------- designs


def design_rng(seed: int) -> np.random.Generator:
    """The design's own generator: a stream of the sweep seed named 'design'."""
    ss = np.random.SeedSequence(entropy=seed, spawn_key=(2**31, *name_words("design")))
    return np.random.Generator(np.random.PCG64(ss))


def _unit_to_axis(u: np.ndarray, axis) -> list:
    if isinstance(axis, Bounds):
        return [float(axis.low + x * (axis.high - axis.low)) for x in u]
    values = axis.values() if isinstance(axis, Range) else list(axis)
    idx = np.minimum((u * len(values)).astype(int), len(values) - 1)
    return [values[i] for i in idx]


def _latin_hypercube(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    try:
        engine = qmc.LatinHypercube(d, rng=rng)
    except TypeError:  # scipy < 1.15 calls it `seed`
        engine = qmc.LatinHypercube(d, seed=rng)
    return engine.random(n)


class MissingExtra(Exception):
    """A design needs an optional dependency that is not installed."""


def _salib(kind: str):
    try:
        from SALib.sample import morris, sobol
    except ImportError:
        raise MissingExtra(f"a {kind} design needs SALib, which comes with the 'analysis' extra: "
                           'pip install -e ".[analysis]"') from None
    return morris if kind == "morris" else sobol


def _unit_problem(d: int) -> dict:
    return {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}


def _morris(axes: list, trajectories: int, levels: int, rng: np.random.Generator) -> np.ndarray:
    morris = _salib("morris")
    return morris.sample(_unit_problem(len(axes)), trajectories, num_levels=levels, seed=rng)


def _saltelli(axes: list, base: int, rng: np.random.Generator) -> np.ndarray:
    """A Saltelli design for first-order and total Sobol indices: ``base × (parameters + 2)`` points
    (SALib.sample.sobol, scrambled, seeded from the sweep's design stream)."""
    sobol = _salib("sobol")
    return sobol.sample(_unit_problem(len(axes)), base, calc_second_order=False,
                        seed=int(rng.integers(2**31)))


def design_unit(sweep: Sweep, seed: int) -> np.ndarray | None:
    """A sampled design's points in the unit cube (one column per parameter, in the order of
    ``sweep.parameters``); None for a grid.  Morris and Sobol analyses read it back."""
    axes = [sweep.parameters[n] for n in sweep.parameters]
    kind = sweep.design.kind
    if kind == "grid":
        return None
    rng = design_rng(seed)
    if kind == "morris":
        return _morris(axes, sweep.design.trajectories, sweep.design.levels, rng)
    if kind == "sobol":
        return _saltelli(axes, sweep.design.points, rng)
    return _latin_hypercube(len(axes), sweep.design.points, rng)


def design_points(sweep: Sweep, seed: int) -> list[dict[str, Any]]:
    """The parameter values of every point, in a fixed order."""
    names = list(sweep.parameters)
    axes = [sweep.parameters[n] for n in names]
    if sweep.design.kind == "grid":
        lists = [a.values() if isinstance(a, (Range, Bounds)) else list(a) for a in axes]
        return [dict(zip(names, combo)) for combo in itertools.product(*lists)]
    # SALib puts the top level exactly at 1.0; keep draws inside [0, 1) for list axes.
    unit = np.minimum(design_unit(sweep, seed), np.nextafter(1.0, 0.0))
    columns = [_unit_to_axis(unit[:, j], a) for j, a in enumerate(axes)]
    return [dict(zip(names, row)) for row in zip(*columns)]


# --------------------------------------------------------------------------- points


def _fingerprint(raw: dict, base: LoadedScenario, replications: int, block_size: int, seed: int) -> str:
    doc = {
        "sweep": raw,
        "scenario_sha256": base.file_hash,
        "replications": replications, "block_size": block_size, "seed": seed,
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def load_sweep(path: str | Path, replications: int | None = None, seed: int | None = None) -> SweepPlan:
    """Read, validate and expand a sweep file; every point's scenario is validated.

    ``replications`` (per point, 1 to :data:`MAX_REPLICATIONS`) and ``seed`` (>= 0)
    override the file's.  Raises :class:`InputError` with one problem per mistake.
    """
    path = Path(path)
    doc = read_yaml(path)
    located = Located(doc.data, {p: (doc.file, ln) for p, ln in doc.lines.items()}, [doc.file])
    doc.data.setdefault("id", re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "sweep")
    raw_sweep = json.loads(json.dumps(doc.data, sort_keys=True, default=str))
    try:
        sweep = Sweep.model_validate(doc.data)
    except ValidationError as exc:
        raise InputError(validation_problems(exc, located, root=Sweep)) from None
    scenario_path = (path.parent / sweep.scenario)
    if not scenario_path.is_file() and shipped.path_of(sweep.scenario) is not None:
        scenario_path = shipped.path_of(sweep.scenario)  # `scenario: paris`: the one that ships with sim
    if not scenario_path.is_file():
        raise InputError([located.problem(("scenario",), f"the scenario file does not exist: {sweep.scenario}")])
    base = load_scenario(scenario_path)
    if replications is not None and not 1 <= replications <= MAX_REPLICATIONS:
        raise InputError([Problem(str(path), None, "--replications",
                                  f"expected 1 to {MAX_REPLICATIONS:,} replications per point, found {replications:,}")])
    if seed is not None and seed < 0:
        raise InputError([Problem(str(path), None, "--seed", f"expected a seed >= 0, found {seed}")])
    seed = (base.scenario.run.seed if sweep.seed is None else sweep.seed) if seed is None else seed
    reps = sweep.replications if replications is None else replications
    block_size = min(sweep.block_size or base.scenario.run.block_size, reps)
    try:
        points = design_points(sweep, seed)
    except MissingExtra as exc:
        raise InputError([located.problem(("design", "kind"), str(exc))]) from None
    raw = base.located.data

    problems: list[Problem] = []
    scenarios = PointScenarios(raw, points, sweep.id)
    for values in points:
        try:
            data = scenarios.data(values)
        except PathError as exc:
            name = exc.args[1] if len(exc.args) > 1 else None
            problems.append(located.problem(("parameters", name) if name else ("parameters",), str(exc.args[0])))
            break
        try:
            # Every point is validated before anything runs, then let go: the sweep's parent keeps
            # only the points' values, so its memory stays flat in the number of points.
            schema.Scenario.model_validate(data)
        except ValidationError as exc:
            # Worded as for a scenario file, then placed on the sweep parameter's line.
            for prob in validation_problems(exc, Located(data, {}, [str(path)])):
                loc = re.sub(r"\[\d+\]", "", prob.path)
                name = next((n for n in values if loc.startswith(_schema_path(n))), None)
                problems.append(located.problem(
                    ("parameters", name) if name else ("parameters",),
                    f"point {values} is not a valid scenario: {prob.path}: {prob.message}",
                ))
            break  # one bad point says enough; the rest share the cause
    if problems:
        raise InputError(problems)
    return SweepPlan(
        sweep, path, base, points, scenarios, seed, reps, block_size,
        _fingerprint(raw_sweep, base, reps, block_size, seed),
    )


class PointScenarios(Sequence):
    """Each point's scenario, built from the base file's data and the point's values when asked for.

    Holding a validated scenario per point cost the sweep's parent about 0.2 MB a point; the
    last few built are kept, since a point's blocks are asked for one after another.
    """

    def __init__(self, raw: dict, points: list[dict[str, Any]], sweep_id: str, keep: int = 8):
        self.raw, self.points, self.sweep_id, self.keep = raw, points, sweep_id, keep
        self._cache: dict[int, schema.Scenario] = {}

    def data(self, values: dict[str, Any]) -> dict:
        data = copy.deepcopy(self.raw)
        for name, value in values.items():
            try:
                set_path(data, name, value, f"varied by sweep {self.sweep_id}")
            except PathError as exc:
                raise PathError(exc.args[0], name) from None
        return data

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, i: int) -> schema.Scenario:
        if i not in self._cache:
            if len(self._cache) >= self.keep:
                self._cache.pop(next(iter(self._cache)))
            self._cache[i] = schema.Scenario.model_validate(self.data(self.points[i]))
        return self._cache[i]


def _schema_path(name: str) -> str:
    """``states.DEU.x`` -> ``states.x`` (pydantic locs use list indices, dropped above)."""
    parts = name.split(".")
    if parts[0] == "states" and len(parts) > 2:
        return ".".join(["states", *parts[2:]])
    return name
