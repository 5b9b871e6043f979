"""Set scenario parameters by dotted path: ``--set PATH=VALUE`` and sweep points.

A path names keys of the scenario file as written: ``united_states.honour``,
``package.monitoring.attribution``.  States are addressed by id
(``states.FRA.resolve``), and ``states.*.resolve`` sets every state; other lists
take a position (``united_states.elections.0.month``).  Missing blocks on the
way are created, so a path the schema does not know is reported by validation,
with a did-you-mean, like a misspelt key in a file.

A value set here carries its own evidence: where the schema expects a
parameter (a number or distribution, or a US backstop level), a bare value
becomes ``{value: ..., assumption: <why>}`` and a mapping without ``facts`` or
``assumption`` gets the assumption, so a changed number never borrows the
facts the file cited for the old one.  Elsewhere (``run.horizon_months``,
``title``) the value is set as it is.

On the command line, VALUE is YAML read with the project's safe loader
(:func:`sim.scenario.yamlio.parse_yaml`): ``0.8``, ``true``, ``political``,
``{dist: uniform, low: 0.3, high: 0.6}``.  Overrides apply in the order given,
so ``--set 'states.*.resolve=0.9' --set states.FRA.resolve=0.5`` leaves France
at 0.5.
"""

from __future__ import annotations

import copy
import difflib
import math
import re
import textwrap
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from . import params, schema
from .load import Located, _model_classes, validation_problems
from .yamlio import InputError, Path_, Problem, format_path, parse_yaml

#: The assumption a value set with ``--set`` carries (shown in reports' assumptions table).
COMMAND_LINE = "set on the command line (--set)"
#: The assumption a value given to ``sim.load_scenario(..., overrides=...)`` carries.
PYTHON_API = "set in Python (load_scenario overrides=)"

_PATH = re.compile(r"^[a-z_]+(\.([A-Za-z0-9_]+|\*))*$")
_EXAMPLES = "such as united_states.honour, states.FRA.resolve or states.*.resolve"


@dataclass(frozen=True)
class Override:
    """One parameter set by path; ``label`` names it in messages (``--set PATH=VALUE``)."""

    path: str
    value: Any
    label: str
    assumption: str = COMMAND_LINE

    @property
    def text(self) -> str:
        """``PATH=VALUE`` with VALUE as YAML (what ``--set`` takes to do the same)."""
        return f"{self.path}={to_yaml(self.value)}"

    def record(self) -> dict:
        """What the manifest keeps: path, value, and the ``--set`` text."""
        return {"path": self.path, "value": self.value, "set": self.text}


class PathError(KeyError):
    """A path that does not lead anywhere in the scenario data (the message is ``args[0]``)."""


def to_yaml(value: Any) -> str:
    """A value as one line of flow-style YAML (``{dist: uniform, low: 0.3}``, ``political``)."""
    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, sort_keys=False)
    return text.removesuffix("\n").removesuffix("\n...").strip()


# --------------------------------------------------------------------------- parsing


def parse_value(text: str, label: str) -> Any:
    """VALUE as YAML, through the project's safe loader (so its checks apply)."""
    # Indented under a key, any YAML value (scalar, flow or block) is read as that key's value.
    wrapped = "value:\n" + textwrap.indent(text, "  ", lambda line: True)
    try:
        return parse_yaml(wrapped, label).data.get("value")
    except InputError as exc:
        # Line numbers would count the wrapper's lines: leave them out.
        messages = [re.sub(r" \(first given on line \d+\)", "", p.message) for p in exc.problems]
        raise InputError([Problem(label, None, "", f"VALUE is not plain YAML: {m}") for m in messages]) from None


def parse_sets(texts: Iterable[str]) -> list[Override]:
    """``--set PATH=VALUE`` arguments; every malformed one is reported (:class:`InputError`)."""
    out: list[Override] = []
    problems: list[Problem] = []
    for text in texts:
        label = f"--set {text}"
        path, eq, value = text.partition("=")
        path = path.strip()
        if not eq:
            problems.append(Problem(label, None, "", f"expected PATH=VALUE, with a dotted path {_EXAMPLES}"))
            continue
        if not _PATH.match(path):
            problems.append(Problem(label, None, "", f"expected a dotted path {_EXAMPLES}, found {path!r}"))
            continue
        try:
            out.append(Override(path, parse_value(value, label), label, COMMAND_LINE))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return out


def from_mapping(overrides: Mapping[str, Any] | Iterable[Override]) -> list[Override]:
    """Overrides given in Python: ``{"united_states.honour": 0.8}`` (values as YAML would read them)."""
    if not isinstance(overrides, Mapping):
        return list(overrides)
    out = []
    problems = []
    for path, value in overrides.items():
        label = f"overrides[{path!r}]"
        if not isinstance(path, str) or not _PATH.match(path):
            problems.append(Problem(label, None, "", f"expected a dotted path {_EXAMPLES}"))
            continue
        out.append(Override(path, value, label, PYTHON_API))
    if problems:
        raise InputError(problems)
    return out


# --------------------------------------------------------------------------- setting


def targets(data: dict, path: str) -> list[Path_]:
    """The key paths in ``data`` that ``path`` names (several for ``states.*``).

    Raises :class:`PathError` when a state id, list position or block is not there.
    """
    parts = path.split(".")
    if "*" in parts and not (len(parts) > 2 and parts[0] == "states" and parts.index("*") == 1
                             and parts.count("*") == 1):
        raise PathError("'*' stands only for the state id, as in states.*.resolve")
    if parts[0] == "states" and len(parts) == 2:
        raise PathError(f"name a field of the state, such as states.{parts[1]}.resolve")
    found: list[Path_] = []
    starts: list[tuple[Any, Path_, int]] = [(data, (), 0)]
    if parts[0] == "states" and len(parts) > 2:
        states = data.get("states")
        if not isinstance(states, list):
            raise PathError("the scenario has no states")
        if parts[1] == "*":
            starts = [(s, ("states", i), 2) for i, s in enumerate(states) if isinstance(s, dict)]
        else:
            ids = [s.get("id") for s in states if isinstance(s, dict)]
            match = [i for i, s in enumerate(states) if isinstance(s, dict) and s.get("id") == parts[1]]
            if not match:
                close = difflib.get_close_matches(parts[1], [str(i) for i in ids], n=1, cutoff=0.6)
                hint = (f"; did you mean '{close[0]}'?" if close else
                        "; states are addressed by id (states.FRA.resolve) or all at once (states.*.resolve)")
                raise PathError(f"the scenario has no state '{parts[1]}'{hint}")
            starts = [(states[match[0]], ("states", match[0]), 2)]
    for node, key_path, i in starts:
        found.append(_walk(node, key_path, parts, i))
    return found


def _walk(node: Any, key_path: Path_, parts: list[str], i: int) -> Path_:
    """Follow ``parts[i:]`` from ``node``, creating missing blocks; the leaf's key path."""
    for part in parts[i:-1]:
        if isinstance(node, list):
            node, key = _item(node, part, key_path)
        elif isinstance(node, dict):
            if node.get(part) is None:
                node[part] = {}
            node, key = node[part], part
        else:
            raise PathError(f"'{format_path(key_path)}' is a value, not a block with '{part}' in it")
        key_path = key_path + (key,)
    leaf = parts[-1]
    if isinstance(node, list):
        _, key = _item(node, leaf, key_path)
        return key_path + (key,)
    if not isinstance(node, dict):
        raise PathError(f"'{format_path(key_path)}' is a value, not a block with '{leaf}' in it")
    return key_path + (leaf,)


def _item(items: list, part: str, key_path: Path_) -> tuple[Any, int]:
    if not part.isdigit() or int(part) >= len(items):
        raise PathError(f"'{format_path(key_path)}' is a list; expected a position from 0 to {len(items) - 1}, "
                        f"found '{part}'")
    return items[int(part)], int(part)


def _parameter_kind(key_path: Path_) -> str | None:
    """'number' or 'level' when the schema expects a parameter at ``key_path``, else None."""
    classes: set[type[BaseModel]] = {schema.Scenario}
    kind = None
    for el in key_path:
        if isinstance(el, int):
            continue
        nxt: set[type[BaseModel]] = set()
        for cls in classes:
            f = cls.model_fields.get(el) or next(
                (f for f in cls.model_fields.values() if f.alias == el), None)
            if f is not None:
                nxt |= _model_classes(f.annotation)
                nxt |= {m for meta in f.metadata for m in _model_classes(meta)}
        classes = nxt
        kind = "number" if params.Fixed in classes else "level" if schema.FixedLevel in classes else None
    return kind


def _with_evidence(value: Any, kind: str | None, assumption: str) -> Any:
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"value": value, "assumption": assumption}
    if kind == "level" and value in schema.Level.names():  # anything else: validation says what a level is
        return {"value": value, "assumption": assumption}
    if kind and isinstance(value, dict) and not value.get("facts") and value.get("assumption") is None:
        return {**value, "assumption": assumption}
    return value


def set_path(data: dict, path: str, value: Any, assumption: str) -> list[Path_]:
    """Set ``path`` in raw scenario ``data`` (in place) to ``value`` with ``assumption`` as evidence.

    Returns the key paths set (one per state for ``states.*``).  Raises
    :class:`PathError` when the path does not lead anywhere.
    """
    found = targets(data, path)
    for key_path in found:
        parent: Any = data
        for key in key_path[:-1]:
            parent = parent[key]
        parent[key_path[-1]] = _with_evidence(copy.deepcopy(value), _parameter_kind(key_path), assumption)
        # Inside a parameter's mapping (``attribution.a``): the number is no longer the cited one.
        for cut in range(len(key_path) - 1, 0, -1):
            if _parameter_kind(key_path[:cut]):
                holder: Any = data
                for key in key_path[:cut]:
                    holder = holder[key]
                if isinstance(holder, dict) and ("value" in holder or "dist" in holder):
                    holder.pop("facts", None)
                    holder["assumption"] = assumption
                break
    return found


# --------------------------------------------------------------------------- applying


@dataclass
class Applied:
    """A scenario with overrides applied, and which key paths each override set."""

    scenario: schema.Scenario
    located: Located
    overrides: list[Override]
    paths: list[list[Path_]]  # per override

    def blame(self, problems: Iterable[Problem]) -> list[Problem]:
        """Re-word problems of the overridden scenario to name the ``--set`` that caused them."""
        return blame(problems, self.overrides, self.paths)


def blame(problems: Iterable[Problem], overrides: list[Override], paths: list[list[Path_]]) -> list[Problem]:
    """One line per problem naming the override: ``--set PATH=VALUE: [sub.path: ]message``.

    A problem at or below a path an override set is that override's (the last
    one, as the last one wins); one above it (a block the path created) too.
    Any other problem of the overridden scenario is named with every override.
    """
    out: list[Problem] = []
    for prob in problems:
        where = None
        for ov, keys in reversed(list(zip(overrides, paths))):
            for key_path in keys:
                target = format_path(key_path)
                if prob.path == target:
                    where = (ov.label, "")
                elif prob.path.startswith(target + ".") or prob.path.startswith(target + "["):
                    where = (ov.label, prob.path[len(target):].lstrip("."))
                elif prob.path and (target.startswith(prob.path + ".") or target.startswith(prob.path + "[")):
                    where = (ov.label, prob.path)
                if where:
                    break
            if where:
                break
        if where is None:
            where = (", ".join(ov.label for ov in overrides), prob.path)
        new = Problem(where[0], None, where[1], prob.message)
        if new not in out:  # states.* repeats the same problem once per state
            out.append(new)
    return out


def apply(located: Located, overrides: Iterable[Override]) -> Applied:
    """Apply ``overrides`` to a copy of a loaded file's data and validate it like a file.

    Raises :class:`InputError` with one problem per mistake, each naming its override.
    """
    overrides = list(overrides)
    data = copy.deepcopy(located.data)
    problems: list[Problem] = []
    paths: list[list[Path_]] = []
    for ov in overrides:
        try:
            paths.append(set_path(data, ov.path, ov.value, ov.assumption))
        except PathError as exc:
            problems.append(Problem(ov.label, None, "", str(exc.args[0])))
            paths.append([])
    if problems:
        raise InputError(problems)
    result = Located(data, located.origin, located.files, located.text_hash)
    try:
        scenario = schema.Scenario.model_validate(data)
    except ValidationError as exc:
        raise InputError(blame(validation_problems(exc, result), overrides, paths)) from None
    return Applied(scenario, result, overrides, paths)
