"""The dashboard's controls, generated from the scenario schema; and the export of its settings.

Nothing here is typed twice: a control's label is its field's ``description``, its
range comes from the parameter type's :class:`~sim.scenario.params.Bounds` (or the
field's ``ge``/``le``), its value and evidence from the loaded scenario (the facts'
claims from the register, or the assumption).  A control sets its parameter by the
dotted path that ``--set`` and sweeps use, so a changed value goes through the same
validation and carries the assumption "set in the dashboard".

This module needs no Solara: the tests use it directly.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import annotated_types
import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..evidence import LoadedScenario, Parameter, parameters
from ..scenario import params, schema, shipped
from ..scenario.overrides import set_path

#: The assumption a value changed in the dashboard carries (in an exported file and in its runs).
DASHBOARD = "set in the dashboard"
#: Where a type has no upper bound (or one far beyond the file's values), a slider ends at this many
#: times the largest value the file gives the parameter.
HEADROOM = 3.0


@dataclass(frozen=True)
class Fact:
    id: str
    claim: str
    source: str  # the source's outlet and date, e.g. "Le Monde, 2026-01"


@dataclass(frozen=True)
class Control:
    """One parameter the dashboard can set."""

    path: str  # dotted path as --set takes it: package.monitoring.detection, states.FRA.resolve
    label: str  # the field's description
    kind: Literal["number", "level"]
    unit: str
    value: float | str  # the scenario's value: a number's (a distribution's mean), or a level
    current: str  # the scenario's value as written: "beta(18, 2) on [0, 1]", "choice(political, ...)"
    uncertain: bool  # a distribution, drawn per replication
    explicit: bool  # set in the scenario file (else the schema's default)
    facts: tuple[Fact, ...]
    assumption: str | None
    low: float = 0.0
    high: float = 1.0
    step: float = 0.01
    whole: bool = False  # whole numbers only
    options: tuple[str, ...] = ()  # a level's choices

    @property
    def state(self) -> str | None:
        """The state's id for a per-state parameter."""
        parts = self.path.split(".")
        return parts[1] if parts[0] == "states" else None

    @property
    def group(self) -> str:
        """The block it belongs to (``package.monitoring``; a state's ``troops``), for grouping."""
        parts = self.path.split(".")
        parts = parts[2:] if parts[0] == "states" else parts
        return ".".join(parts[:-1]) or parts[0]

    def evidence(self) -> str:
        """The evidence behind the scenario's value, in one line."""
        if self.facts:
            text = "; ".join(f"{f.claim} ({f.source})" for f in self.facts)
            return text + (f" — assumption: {self.assumption}" if self.assumption else "")
        if self.assumption:
            return f"assumption: {self.assumption}"
        return "schema default (the shared calibration)"


# --------------------------------------------------------------------------- from the schema


def _field(path: tuple) -> tuple[type[BaseModel], str, FieldInfo]:
    """The model class, name and FieldInfo of the field at a parameter's path."""
    cls: type[BaseModel] = schema.Scenario
    for el in path[:-1]:
        if isinstance(el, int):
            continue
        cls = next(iter(_classes(cls.model_fields[el].annotation)))
    return cls, path[-1], cls.model_fields[path[-1]]


def _classes(annotation: Any) -> list[type[BaseModel]]:
    found, stack = [], [annotation]
    while stack:
        a = stack.pop()
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        else:
            stack.extend(typing.get_args(a))
    return found


def _metadata(info: FieldInfo) -> list:
    """The field's metadata, with that of an ``Annotated`` type inside an optional one."""
    out, stack = list(info.metadata), [info.annotation]
    while stack:
        a = stack.pop()
        if typing.get_origin(a) is typing.Annotated:
            out.extend(a.__metadata__)
            stack.append(typing.get_args(a)[0])
        elif typing.get_origin(a) is typing.Union or type(a).__name__ == "UnionType":
            stack.extend(typing.get_args(a))
    return out


def _bounds(info: FieldInfo) -> tuple[float, float, str]:
    low, high, unit = -math.inf, math.inf, ""
    for m in _metadata(info):
        if isinstance(m, params.Bounds):
            low, high, unit = max(low, m.low), min(high, m.high), m.unit or unit
        elif isinstance(m, (annotated_types.Ge, annotated_types.Gt)):
            low = max(low, float(getattr(m, "ge", getattr(m, "gt", low))))
        elif isinstance(m, (annotated_types.Le, annotated_types.Lt)):
            high = min(high, float(getattr(m, "le", getattr(m, "lt", high))))
    return low, high, unit


_UNIT_IN_TEXT = re.compile(r"\(([^()]*?\b(?:USD|troops|months|log-odds|sd)\b[^()]*)\)")


def _label(cls: type[BaseModel], name: str, info: FieldInfo) -> str:
    if info.description:
        return info.description
    # Fields without a description of their own are explained by their block's docstring.
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    return f"{name.replace('_', ' ').capitalize()}: {doc}" if doc else name.replace("_", " ").capitalize()


def _nice(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^k that is at least ``x`` (> 0)."""
    k = 10.0 ** math.floor(math.log10(x))
    return next(m * k for m in (1, 2, 2.5, 5, 10) if m * k >= x * (1 - 1e-12))


def _override_path(path: tuple, scenario: schema.Scenario) -> str:
    parts = [str(p) for p in path]
    if path[0] == "states":
        parts[1] = scenario.states[path[1]].id
    return ".".join(parts)


def _facts(loaded: LoadedScenario, ids: Iterable[str]) -> tuple[Fact, ...]:
    out = []
    for fid in ids:
        fact = loaded.register.facts.get(fid)
        if fact is None:
            continue
        source = loaded.register.sources.get(fact.source)
        where = f"{source.outlet}, {source.date}" if source else fact.source
        out.append(Fact(fid, fact.claim, where))
    return tuple(out)


def control(loaded: LoadedScenario, p: Parameter) -> Control:
    """The control of one parameter of a loaded scenario."""
    cls, name, info = _field(p.path)
    label = _label(cls, name, info)
    common = dict(path=_override_path(p.path, loaded.scenario), label=label, explicit=p.explicit,
                  facts=_facts(loaded, p.facts), assumption=p.assumption, current=p.describe())
    if isinstance(p.value, (str, schema.FixedLevel, schema.LevelChoice)):
        value = p.value
        if isinstance(value, schema.LevelChoice):
            w = value.probabilities()
            level = value.values[int(w.argmax())] if w is not None else value.values[0]
        else:
            level = value.value if isinstance(value, schema.FixedLevel) else value
        return Control(kind="level", unit="US backstop level", value=level, options=tuple(schema.Level.names()),
                       uncertain=isinstance(value, schema.LevelChoice), **common)
    dist = params.as_dist(p.value)
    low, high, unit = _bounds(info)
    if not unit:
        found = _UNIT_IN_TEXT.findall(label)
        unit = found[-1] if found else ("log-odds" if label.lower().startswith("log-odds") else "")
    lo, hi = dist.support()
    whole = _is_int(info)
    low = 0.0 if not math.isfinite(low) else low
    top = max(abs(hi), abs(lo), 1.0 if not whole else 10.0)
    if not math.isfinite(high) or high > HEADROOM * top * 10:
        high = _nice(HEADROOM * top)
    step = 1.0 if whole else (0.01 if high - low <= 1 else _nice((high - low) / 200))
    value = float(dist.mean())
    return Control(kind="number", unit=unit, value=min(max(value, low), high), low=low, high=high, step=step,
                   whole=whole, uncertain=not isinstance(dist, params.Fixed), **common)


def _is_int(info: FieldInfo) -> bool:
    kinds = [a for a in (typing.get_args(info.annotation) or [info.annotation]) if a is not type(None)]
    return bool(kinds) and all(a is int for a in kinds)


def controls(loaded: LoadedScenario, state: str | None = None, defaults: bool = False) -> list[Control]:
    """The controls of a scenario: its scenario-wide parameters, or, with ``state`` (an id), that
    state's.  Only the parameters the file sets, unless ``defaults`` (then the schema's defaults
    too: the shared calibration)."""
    out = []
    for p in parameters(loaded.scenario):
        per_state = p.path[0] == "states"
        if per_state != (state is not None) or not (p.explicit or defaults):
            continue
        if per_state and loaded.scenario.states[p.path[1]].id != state:
            continue
        out.append(control(loaded, p))
    return out


# --------------------------------------------------------------------------- export


def extends_of(path: str | Path, folder: str | Path) -> str:
    """How a file saved in ``folder`` names the scenario at ``path`` in its ``extends``: a shipped
    scenario by its name (``paris``: found from any folder), any other file by its relative path."""
    source = Path(path).resolve()
    for name in shipped.names():
        if shipped.path_of(name).resolve() == source:
            return name
    return Path(os.path.relpath(source, Path(folder).resolve())).as_posix()


def export_data(loaded: LoadedScenario, changes: Mapping[str, Any], folder: str | Path,
                seed: int | None = None) -> dict:
    """A scenario file's data that ``extends`` the loaded file (see :func:`extends_of`; ``folder``
    is where the export will be saved) and sets only the ``changes`` (dotted path → value), each
    marked as the assumption "set in the dashboard"."""
    sc = loaded.scenario
    data: dict = {"extends": extends_of(loaded.path, folder)}
    data["title"] = f"{sc.title or sc.id} (changed in the dashboard)"
    described = "; ".join(f"{path} = {_plain(v)}" for path, v in changes.items())
    data["description"] = (f"{sc.id} with {len(changes)} value{'s' if len(changes) != 1 else ''} changed in the "
                           f"dashboard on {dt.date.today().isoformat()}" + (f": {described}." if changes else "."))
    if seed is not None and seed != sc.run.seed:
        data["run"] = {"seed": int(seed)}
    states = sorted({p.split(".")[1] for p in changes if p.startswith("states.")})
    if states:
        data["states"] = [{"id": sid} for sid in states]
    for path, value in changes.items():
        set_path(data, path, _plain(value), DASHBOARD)
    return data


def export_yaml(loaded: LoadedScenario, changes: Mapping[str, Any], folder: str | Path,
                seed: int | None = None) -> str:
    """:func:`export_data` as YAML text, with a header that says what it is."""
    data = export_data(loaded, changes, folder, seed)
    head = (f"# Exported from the sim dashboard ({dt.date.today().isoformat()}): {loaded.scenario.id} with the\n"
            "# values below changed; each is marked as an assumption. Everything else comes from the file\n"
            f"# it extends. Check it with: python -m sim validate <this file>\n")
    return head + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def _plain(value: Any) -> Any:
    """A control's value as YAML writes it (whole numbers without '.0')."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, float):
        return float(f"{value:.6g}")
    return value
