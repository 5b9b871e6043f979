"""Evidence: the fact register, citation checks and evidence coverage.

Every state entry and every numeric parameter a scenario sets must either cite
fact ids from ``seeds/facts.yaml`` or carry an ``assumption`` with a reason —
its own, or its enclosing block's.  Parameters a scenario leaves at the
schema's defaults are counted apart, as documented modelling constants.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal, Mapping

from pydantic import BaseModel, Field, ValidationError, model_validator

from .scenario import overrides as overrides_, params, schema, shipped
from .scenario.load import Located, load as load_file, validation_problems
from .scenario.yamlio import InputError, Problem, format_path, read_yaml

Topic = Literal[
    "coalition", "state", "offers", "force-size", "united-states", "ceasefire", "russia",
    "ratification", "posture", "monitoring", "activation", "pillars", "ukraine-army", "aid",
    "industry", "eastern-flank", "informal-guarantees", "history",
]


class Quantity(params.Strict):
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = Field(min_length=1)

    @model_validator(mode="after")
    def _shape(self):
        point = self.value is not None
        rng = self.low is not None or self.high is not None
        if point == rng:
            raise ValueError("expected either 'value' or 'low' and 'high'")
        if rng and (self.low is None or self.high is None or self.low > self.high):
            raise ValueError("expected 'low' <= 'high', both given")
        return self

    def __str__(self) -> str:
        if self.value is not None:
            return f"{self.value:,g} {self.unit}"
        return f"{self.low:,g}–{self.high:,g} {self.unit}"


class Fact(params.Strict):
    id: params.FactId
    source: str
    claim: str = Field(min_length=10)
    quantity: Quantity | None = None
    topics: list[Topic] = Field(min_length=1)
    states: list[schema.StateId] = Field(default_factory=list)


class Source(params.Strict):
    id: params.FactId
    outlet: str
    title: str
    date: str = Field(pattern=r"^\d{4}-\d{2}(-\d{2})?$")
    date_approximate: bool = False
    moment: str
    seed_file: str
    notes: str = ""


class _RegisterFile(params.Strict):
    facts: list[Fact] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)


@dataclass
class Register:
    """The project's sources and facts, by id."""

    sources: dict[str, Source]
    facts: dict[str, Fact]
    folder: Path


def _register_above(start: Path) -> Path | None:
    for folder in [start.resolve(), *start.resolve().parents]:
        if (folder / "seeds" / "facts.yaml").is_file():
            return folder / "seeds"
    return None


def find_register(start: Path) -> Path:
    """The ``seeds/`` folder nearest above ``start`` (a scenario's folder), else the one sim ships.

    A shipped scenario finds the register shipped next to it (the repository's
    ``seeds/``, or ``sim/data/seeds`` in an installed package).
    """
    return _register_above(start) or shipped.seeds_folder()


def load_register(folder: Path) -> Register:
    """Read and check ``sources.yaml`` and ``facts.yaml`` in ``folder`` (cached while unchanged)."""
    folder = Path(folder).resolve()
    stamp = tuple(
        (p.stat().st_mtime_ns, p.stat().st_size) if p.is_file() else None
        for p in (folder / "sources.yaml", folder / "facts.yaml")
    )
    return _load_register(folder, stamp)


@functools.lru_cache(maxsize=8)
def _load_register(folder: Path, stamp: tuple) -> Register:
    problems: list[Problem] = []
    parsed: dict[str, _RegisterFile] = {}
    for name in ("sources.yaml", "facts.yaml"):
        path = folder / name
        try:
            doc = read_yaml(path)
            parsed[name] = _RegisterFile.model_validate(doc.data)
        except InputError as exc:
            problems.extend(exc.problems)
        except ValidationError as exc:
            located = Located(doc.data, {p: (doc.file, ln) for p, ln in doc.lines.items()}, [doc.file])
            problems.extend(validation_problems(exc, located, root=_RegisterFile))
    if problems:
        raise InputError(problems)
    sources = {s.id: s for s in parsed["sources.yaml"].sources}
    facts: dict[str, Fact] = {}
    file = str(folder / "facts.yaml")
    for i, fact in enumerate(parsed["facts.yaml"].facts):
        if fact.id in facts:
            problems.append(Problem(file, None, f"facts[{i}].id", f"duplicate fact id '{fact.id}'"))
        if fact.source not in sources:
            problems.append(Problem(file, None, f"facts[{i}].source", f"unknown source id '{fact.source}'"))
        facts[fact.id] = fact
    if problems:
        raise InputError(problems)
    return Register(sources, facts, folder)


# --------------------------------------------------------------------------- parameters

_BLOCK_SKIP = {"run"}
#: Parameters on the US backstop scale (a level name is a value, not a label).
_LEVEL_PARAMETERS = {
    (schema.UnitedStates, "backstop"), (schema.UnitedStates, "executive_max"), (schema.Conditions, "us_backstop_at_least"),
}  # run settings are not claims about the world


def _is_param(value, cls: type, name: str) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, params._Dist, schema.FixedLevel, schema.LevelChoice)):
        return True
    return isinstance(value, str) and (cls, name) in _LEVEL_PARAMETERS


def _has(e: params.Evidence | None) -> bool:
    return e is not None and (bool(e.facts) or e.assumption is not None)


@dataclass(frozen=True)
class Parameter:
    """One numeric parameter of a scenario, with the evidence that covers it."""

    path: tuple
    value: object
    explicit: bool  # set in the scenario file (else a schema default)
    facts: tuple[str, ...]
    assumption: str | None

    @property
    def name(self) -> str:
        return format_path(self.path)

    def describe(self) -> str:
        if isinstance(self.value, (schema.FixedLevel, schema.LevelChoice)) or isinstance(self.value, str):
            return schema.describe_level(self.value)
        return params.describe(self.value)


def parameters(scenario: schema.Scenario) -> Iterator[Parameter]:
    """Every numeric parameter of the scenario (defaults included), depth first."""

    def walk(model: BaseModel, path: tuple, inherited: params.Evidence | None):
        own = model if isinstance(model, params.Evidence) and _has(model) else inherited
        for name in type(model).model_fields:
            if name in ("facts", "assumption") or (path == () and name in _BLOCK_SKIP):
                continue
            value = getattr(model, name)
            sub = path + (name,)
            explicit = name in model.model_fields_set
            if _is_param(value, type(model), name):
                ev = value if isinstance(value, params.Evidence) and _has(value) else own
                yield Parameter(
                    sub, value, explicit,
                    tuple(ev.facts) if ev else (), ev.assumption if ev else None,
                )
            elif isinstance(value, BaseModel):
                yield from walk(value, sub, own)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        yield from walk(item, sub + (i,), own)

    yield from walk(scenario, (), None)


def _citations(model: BaseModel, path: tuple) -> Iterator[tuple[tuple, str]]:
    """(path, fact id) for every fact cited anywhere in the scenario."""
    if isinstance(model, params.Evidence):
        for i, fid in enumerate(model.facts):
            yield path + ("facts", i), fid
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _citations(value, path + (name,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _citations(item, path + (name, i))


@dataclass(frozen=True)
class Coverage:
    """How the scenario's explicit numbers are backed."""

    cited: int  # parameters citing at least one fact
    assumed: int  # parameters backed only by an assumption
    defaults: int  # parameters left at documented schema defaults
    facts_used: int  # distinct fact ids cited

    @property
    def share_cited(self) -> float:
        total = self.cited + self.assumed
        return self.cited / total if total else 0.0

    def line(self) -> str:
        return (
            f"evidence: {self.cited}/{self.cited + self.assumed} parameters cite facts "
            f"({self.share_cited:.0%}), {self.assumed} assumptions, {self.defaults} defaults, "
            f"{self.facts_used} facts cited"
        )

    def as_dict(self) -> dict:
        return {
            "cited": self.cited, "assumed": self.assumed, "defaults": self.defaults,
            "facts_used": self.facts_used, "share_cited": self.share_cited,
        }


def coverage(scenario: schema.Scenario) -> Coverage:
    cited = assumed = defaults = 0
    for p in parameters(scenario):
        if not p.explicit:
            defaults += 1
        elif p.facts:
            cited += 1
        else:
            assumed += 1
    used = {fid for _, fid in _citations(scenario, ())}
    return Coverage(cited, assumed, defaults, len(used))


def check(scenario: schema.Scenario, located: Located, register: Register) -> list[Problem]:
    """Evidence problems: unknown fact or source ids, states and parameters without evidence."""
    problems = []
    for path, fid in _citations(scenario, ()):
        if fid not in register.facts:
            problems.append(located.problem(path, f"unknown fact id '{fid}' (not in {register.folder}/facts.yaml)"))
    for i, sid in enumerate(scenario.sources):
        if sid not in register.sources:
            problems.append(located.problem(("sources", i), f"unknown source id '{sid}'"))
    for i, state in enumerate(scenario.states):
        if not _has(state):
            problems.append(located.problem(
                ("states", i), f"state '{state.id}' has no evidence: cite facts or give an assumption"
            ))
    for p in parameters(scenario):
        if p.explicit and not p.facts and p.assumption is None:
            problems.append(located.problem(
                p.path, "no evidence: cite facts (facts: [...]) or give an assumption (assumption: ...) "
                "here or on its block",
            ))
    return problems


def evidence_record(scenario: schema.Scenario, register: Register) -> dict:
    """Everything a report needs to trace each number: parameters, cited facts, their sources."""
    rows = []
    cited: set[str] = set()
    for p in parameters(scenario):
        rows.append({
            "parameter": p.name, "value": p.describe(), "explicit": p.explicit,
            "facts": list(p.facts), "assumption": p.assumption,
        })
        cited.update(p.facts)
    states = []
    for s in scenario.states:
        states.append({"id": s.id, "name": s.name, "facts": list(s.facts), "assumption": s.assumption})
        cited.update(s.facts)
    cited.update(fid for _, fid in _citations(scenario, ()))
    facts = {
        fid: register.facts[fid].model_dump(mode="json", exclude_none=True)
        for fid in sorted(cited) if fid in register.facts
    }
    used_sources = {f["source"] for f in facts.values()} | set(scenario.sources)
    sources = {
        sid: register.sources[sid].model_dump(mode="json")
        for sid in sorted(used_sources) if sid in register.sources
    }
    return {
        "coverage": coverage(scenario).as_dict(),
        "parameters": rows, "states": states, "facts": facts, "sources": sources,
    }


# --------------------------------------------------------------------------- loading


@dataclass
class LoadedScenario:
    """A validated scenario with its provenance and evidence."""

    scenario: schema.Scenario
    path: Path
    located: Located
    register: Register
    #: Parameters set by path on top of the file (``--set``), in the order applied.
    overrides: list[overrides_.Override] = field(default_factory=list)
    #: Things the reader should know about how the scenario was found (printed by the CLI).
    notes: list[str] = field(default_factory=list)
    coverage: Coverage = field(init=False)

    def __post_init__(self):
        self.coverage = coverage(self.scenario)

    @property
    def file_hash(self) -> str:
        return self.located.text_hash

    # The dataclass's own repr would print the scenario, its located lines and the fact register.
    def __repr__(self) -> str:
        from .notebook import scenario_repr  # presentation, imported only when shown

        return scenario_repr(self.scenario, self)

    def _repr_html_(self) -> str:
        """Jupyter: id, title, as-of date, sources, evidence coverage, states with pledges."""
        from .notebook import scenario_html

        return scenario_html(self.scenario, self)


def load_scenario(
    path: str | Path,
    register: Register | None = None,
    overrides: Mapping[str, Any] | Iterable[overrides_.Override] | None = None,
) -> LoadedScenario:
    """Load, validate and evidence-check a scenario file.

    ``path`` is a file, or the name of a scenario that ships with sim
    (``"paris"``, ``"history/korea-1953"``; see :mod:`sim.scenario.shipped`)
    when no such file exists.  Facts are checked against the ``seeds/`` folder
    nearest above the file, else against the register that ships with sim
    (said in ``notes``).

    ``overrides`` sets parameters by dotted path on top of the file, as
    ``--set`` does: ``{"united_states.honour": 0.8, "states.*.resolve": 0.9,
    "package.monitoring.attribution": {"dist": "uniform", "low": 0.3, "high": 0.6}}``
    (values as YAML would read them; see :mod:`sim.scenario.overrides`).  The
    overridden scenario is validated and evidence-checked like a file.

    Raises :class:`~sim.scenario.yamlio.InputError` listing every problem.
    """
    path = shipped.resolve(path)
    scenario, located = load_file(path)
    notes = []
    if register is None:
        folder = _register_above(path.parent)
        if folder is None:
            folder = shipped.seeds_folder()
            notes.append(f"note: no seeds/facts.yaml in {path.parent.resolve()} or above it; "
                         f"facts are checked against the register that ships with sim ({folder})")
        register = load_register(folder)
    problems = check(scenario, located, register)
    if problems:
        raise InputError(problems)
    loaded = LoadedScenario(scenario, path, located, register, notes=notes)
    return with_overrides(loaded, overrides) if overrides else loaded


def with_overrides(
    loaded: LoadedScenario, overrides: Mapping[str, Any] | Iterable[overrides_.Override]
) -> LoadedScenario:
    """A loaded scenario with parameters set by dotted path (see :func:`load_scenario`), validated
    and evidence-checked like a file, without reading the file again (the dashboard does this at
    every move of a control).  ``loaded`` is the file as loaded, without overrides of its own.

    Raises :class:`~sim.scenario.yamlio.InputError` listing every problem, each naming its override.
    """
    applied = overrides_.apply(loaded.located, overrides_.from_mapping(overrides))
    problems = check(applied.scenario, applied.located, loaded.register)
    if problems:
        raise InputError(applied.blame(problems))
    return LoadedScenario(applied.scenario, loaded.path, applied.located, loaded.register, applied.overrides,
                          loaded.notes)
