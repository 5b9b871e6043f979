"""What differs between two scenarios, by dotted path and by group, and the scenarios in between.

``python -m sim explain A.yaml B.yaml`` attributes the change in each outcome
from A to B to *groups* of changed parameters.  A group is a top-level block of
the scenario (``united_states``, ``russia``, ``ceasefire``, ``run`` for the
horizon), a block of the package (``package.monitoring``), or one state
(``states.FRA``; a state present in only one of the files is its own group).
Paths are written as in ``--set`` and sweeps: dotted, with states by id.

Only what the model reads counts as a change: the evidence (``facts``,
``assumption``) travels with its value but is not a change by itself; the
scenario's id, title, date, description and sources are not parameters; and
the run's seed, replications and block size are set by ``explain`` itself (the
same for every run, so that all of them use common random numbers).

:func:`between` builds the scenario with some groups taken from B and the
others from A, validated like a file.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .schema import Package, Scenario
from .yamlio import InputError, Problem

#: Keys that carry evidence for a value; they move with it but are not changes.
EVIDENCE_KEYS = frozenset({"facts", "assumption"})
#: Top-level keys that describe the scenario, not the world it models.
NOT_MODEL = frozenset({"id", "extends", "title", "as_of", "description", "sources"})
#: Run settings ``explain`` sets for every run (common random numbers); the horizon is a change.
RUN_SETTINGS = frozenset({"seed", "replications", "block_size"})
#: Blocks whose own blocks are groups of their own (the package's pillars).
SPLIT = frozenset({"package"})


class _Missing:
    def __repr__(self) -> str:
        return "absent"


#: The value of a path in a scenario that does not have it (a state in only one file).
ABSENT = _Missing()


@dataclass(frozen=True)
class Change:
    """One path whose value differs between A and B (canonical values, evidence left out)."""

    path: str
    group: str
    a: Any
    b: Any


def _is_parameter(node: Any) -> bool:
    """A parameter written as a mapping: a distribution, or a fixed value with its evidence."""
    return isinstance(node, dict) and ("dist" in node or set(node) - EVIDENCE_KEYS == {"value"})


def canonical(node: Any) -> Any:
    """``node`` without evidence keys, a fixed parameter as its bare value (``{value: 0.5}`` is 0.5)."""
    if isinstance(node, dict):
        if _is_parameter(node) and "dist" not in node:
            return canonical(node["value"])
        return {k: canonical(v) for k, v in node.items() if k not in EVIDENCE_KEYS}
    if isinstance(node, list):
        return [canonical(v) for v in node]
    return node


def group_of(path: str) -> str:
    """The group a dotted path belongs to: ``states.FRA``, ``package.monitoring``, ``united_states``."""
    parts = path.split(".")
    if parts[0] == "states" or parts[0] in SPLIT:
        return ".".join(parts[:2])
    return parts[0]


def dump(scenario: Scenario) -> dict:
    """The scenario as plain data (every default filled in), as :func:`between` combines it."""
    return scenario.model_dump(mode="python")


def _states(data: dict) -> dict[str, dict]:
    return {s["id"]: s for s in data.get("states", [])}


def _walk(a: Any, b: Any, path: list[str], out: list[Change]) -> None:
    if isinstance(a, dict) and isinstance(b, dict) and not (_is_parameter(a) or _is_parameter(b)):
        for key in [*a, *(k for k in b if k not in a)]:
            if key in EVIDENCE_KEYS:
                continue
            _walk(a.get(key, ABSENT), b.get(key, ABSENT), [*path, key], out)
        return
    ca, cb = canonical(a), canonical(b)
    if ca != cb:
        dotted = ".".join(path)
        out.append(Change(dotted, group_of(dotted), ca, cb))


def changes(a: Scenario, b: Scenario) -> list[Change]:
    """Every path whose value differs from A to B, in the order of the schema (states in the order
    of :func:`state_order`)."""
    da, db = dump(a), dump(b)
    out: list[Change] = []
    for key in Scenario.model_fields:
        if key in NOT_MODEL or key == "states":
            continue
        va, vb = da[key], db[key]
        if key == "run":
            va = {k: v for k, v in va.items() if k not in RUN_SETTINGS}
            vb = {k: v for k, v in vb.items() if k not in RUN_SETTINGS}
        _walk(va, vb, [key], out)
    sa, sb = _states(da), _states(db)
    for sid in state_order(a, b):
        if sid not in sa or sid not in sb:
            present = sa.get(sid) or sb[sid]
            label = f"{present['name']} ({sid})"
            out.append(Change(f"states.{sid}", f"states.{sid}", label if sid in sa else ABSENT,
                              label if sid in sb else ABSENT))
            continue
        _walk({k: v for k, v in sa[sid].items() if k != "id"}, {k: v for k, v in sb[sid].items() if k != "id"},
              ["states", sid], out)
    return out


def state_order(a: Scenario, b: Scenario) -> list[str]:
    """Every state id of A and B once: B's order, with a state only in A placed after the state
    it follows in A."""
    order = [s.id for s in b.states]
    ids_b = set(order)
    previous: str | None = None
    for s in a.states:
        if s.id not in ids_b:
            at = order.index(previous) + 1 if previous is not None else 0
            order.insert(at, s.id)
        previous = s.id
    return order


def groups(found: list[Change], a: Scenario, b: Scenario) -> list[str]:
    """The groups of ``found`` in a fixed order: the schema's blocks (the package's pillars in its
    order), then the states in :func:`state_order`."""
    present = {c.group for c in found}
    order: list[str] = []
    for key in Scenario.model_fields:
        if key in NOT_MODEL or key == "states":
            continue
        if key in SPLIT:
            order += [f"{key}.{sub}" for sub in Package.model_fields if f"{key}.{sub}" in present]
        elif key in present:
            order.append(key)
    order += [f"states.{sid}" for sid in state_order(a, b) if f"states.{sid}" in present]
    return order + sorted(present - set(order))  # nothing should be left; never drop a change


def between(a: Scenario, b: Scenario, taken: frozenset[str] | set[str]) -> Scenario:
    """The scenario with the groups in ``taken`` as in B and every other as in A, validated.

    No group taken gives A itself, every group B itself (compared by what the model reads).  Raises
    :class:`InputError` when the mix is not a valid scenario (e.g. a lead nation whose state is
    not in it), naming the groups.
    """
    da, db = dump(a), dump(b)
    data = copy.deepcopy(da)
    for g in taken:
        head, _, rest = g.partition(".")
        if head == "states":
            continue
        if rest:
            data[head][rest] = copy.deepcopy(db[head][rest])
        elif head == "run":
            data["run"] = {**da["run"], **{k: v for k, v in db["run"].items() if k not in RUN_SETTINGS}}
        else:
            data[head] = copy.deepcopy(db[head])
    sa, sb = _states(da), _states(db)
    if any(g.startswith("states.") for g in taken):
        # B's order (every state taken gives B's list), states only in A where they stood in A.
        chosen = []
        for sid in state_order(a, b):
            source = sb if f"states.{sid}" in taken else sa
            if sid in source:
                chosen.append(copy.deepcopy(source[sid]))
        data["states"] = chosen
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        swapped = ", ".join(sorted(taken)) or "none"
        messages = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
                             for e in exc.errors())
        raise InputError([Problem(
            f"{a.id} → {b.id}", None, "",
            f"with these groups from {b.id} and the rest from {a.id} ({swapped}) the scenario is not valid: "
            f"{messages}. These groups depend on each other; explain cannot swap them one at a time")]) from None


__all__ = ["ABSENT", "Change", "EVIDENCE_KEYS", "NOT_MODEL", "RUN_SETTINGS", "between", "canonical", "changes",
           "dump", "group_of", "groups", "state_order"]
