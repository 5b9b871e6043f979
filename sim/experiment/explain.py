"""The runs behind ``explain``: A, B, and the scenarios in between, all on the same random numbers.

The changed parameters (:mod:`sim.scenario.diff`) fall into groups, swapped
from A's values to B's as units.  Two orders are run:

* forward: starting from A, add units 1, 2, …, k in the fixed order;
* reverse: starting from A, add them in the reverse order k, …, 1 (the same
  scenarios as starting from B and *removing* units 1, 2, …, k in turn; read
  literally, removing them in the reverse of the adding order would only walk
  the forward path back);

so each unit is once swapped in early and once late.  Averaging its two
marginal effects is a two-order approximation of its Shapley value (exact
for two units).  Each unit is also swapped into A alone, which measures what
only the units together do (the interaction).  That is ``3k − 2`` distinct
scenarios for ``k ≥ 2`` units.  All run with one seed, replications and block
size: replication ``r`` of every one uses the same random numbers wherever the
parameters agree, so differences between them are the parameters' effects,
and the whole change ``f(B) − f(A)`` is the telescoping sum of the marginal
effects of either order, exactly.

A unit is normally one group; a lead nation that is a state in only one of
the two files is swapped together with the multinational force that names it
(neither is a valid scenario without the other).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Executor
from dataclasses import dataclass, field

import pandas as pd

from ..scenario.diff import Change, between, changes, groups
from ..scenario.schema import Scenario
from ..scenario.yamlio import InputError, Problem
from .blocks import run_scenario

Step = frozenset  # of unit indices taken from B


@dataclass
class Plan:
    """The scenarios ``explain`` runs: every step is a set of unit indices taken from B."""

    a: Scenario
    b: Scenario
    changes: list[Change]
    #: Groups swapped together, in the fixed order (a unit is usually one group).
    units: list[tuple[str, ...]]
    forward: list[Step]  # S_0 = {} … S_k = all, adding 0, 1, …
    reverse: list[Step]  # T_0 = {} … T_k = all, adding k−1, k−2, …
    alone: list[Step]  # {j} for each unit
    scenarios: dict[Step, Scenario] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        """A unit's name: its group, or its groups joined with ' + '."""
        return [" + ".join(u) for u in self.units]

    @property
    def steps(self) -> list[Step]:
        """Every distinct step, forward order first."""
        seen: dict[Step, None] = {}
        for s in [*self.forward, *self.reverse, *self.alone]:
            seen.setdefault(s, None)
        return list(seen)

    def label(self, step: Step) -> str:
        """The groups a step takes from B, in the fixed order (``none`` for A, ``all`` for B)."""
        if not step:
            return f"none ({self.a.id})"
        if len(step) == len(self.units):
            return f"all ({self.b.id})"
        return "; ".join(self.names[i] for i in sorted(step))


def _units(found: list[Change], a: Scenario, b: Scenario) -> list[tuple[str, ...]]:
    """The groups in their fixed order, a lead nation present in only one file joined to the
    multinational force (the schema requires a lead nation to be among the states)."""
    order = groups(found, a, b)
    only_one = {s.id for s in a.states} ^ {s.id for s in b.states}
    leads = set(a.package.multinational_force.lead_nations) | set(b.package.multinational_force.lead_nations)
    tied = {f"states.{sid}" for sid in leads & only_one if f"states.{sid}" in order}
    force = "package.multinational_force"
    if not tied:
        return [(g,) for g in order]
    units: list[tuple[str, ...]] = []
    for g in order:
        if g in tied:
            continue
        units.append((g, *sorted(tied, key=order.index)) if g == force else (g,))
    if force not in order:  # the force is unchanged but names a state only one file has: the state alone
        units += [(g,) for g in order if g in tied]
    return units


def plan(a: Scenario, b: Scenario) -> Plan:
    """The steps and their validated scenarios; :class:`InputError` when A and B do not differ in
    anything the model reads, or when a mix of their groups is not a valid scenario."""
    found = changes(a, b)
    if not found:
        raise InputError([Problem(f"{a.id} → {b.id}", None, "",
                                  "the two scenarios do not differ in anything the model reads (evidence, titles, "
                                  "dates and run settings aside): there is no change to explain")])
    units = _units(found, a, b)
    k = len(units)
    forward = [Step(range(j)) for j in range(k + 1)]
    reverse = [Step(range(k - j, k)) for j in range(k + 1)]
    alone = [Step({j}) for j in range(k)]
    p = Plan(a, b, found, units, forward, reverse, alone)
    problems = []
    for step in p.steps:
        taken = {g for i in step for g in units[i]}
        try:
            p.scenarios[step] = between(a, b, taken)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    return p


def run_plan(p: Plan, replications: int, seed: int, block_size: int, executor: Executor | None = None,
             columns: Iterable[str] | None = None, progress: bool = False) -> dict[Step, pd.DataFrame]:
    """Run every step with the same seed, replications and block size; each step's runs table
    (only ``columns`` when given, sorted by replication)."""
    from .blocks import progress_bar

    cols = None if columns is None else sorted({"replication", *columns})
    out: dict[Step, pd.DataFrame] = {}
    steps = p.steps
    with progress_bar(total=len(steps), desc=f"explain {p.a.id} → {p.b.id}", unit="scenario",
                      disable=not progress, leave=False) as bar:
        for step in steps:
            runs = run_scenario(p.scenarios[step], replications, seed, block_size, executor).runs
            runs = runs.sort_values("replication", kind="stable").reset_index(drop=True)
            out[step] = runs if cols is None else runs[cols]
            bar.update()
    return out


__all__ = ["Plan", "Step", "plan", "run_plan"]
