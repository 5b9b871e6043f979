"""What the dashboard computes when a control moves: a run with the same seed, and its comparison
with the file's own values.  No Solara here (the tests use it directly), and no model logic:
it calls :func:`sim.run`, the summary and :mod:`sim.results.differences`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import api
from ..evidence import LoadedScenario, load_scenario, with_overrides
from ..figures import labels
from ..model.outcomes import KEY_OUTCOMES
from ..results import RunResult
from ..results.differences import Difference, paired_difference
from ..scenario import shipped
from ..scenario.overrides import Override
from .controls import DASHBOARD

#: Replications per run (a run of paris takes about half a second warm at 2,000).
REPLICATIONS = 2000
#: The two-level design behind the assumption spread: small, to stay interactive.
SPREAD_POINTS, SPREAD_INNER = 12, 150


def scenario_choices() -> list[str]:
    """The shipped scenarios' names (``paris``, ``history/korea-1953``, ...)."""
    return shipped.names()


def resolve(source: str | Path) -> Path:
    """A file, or a shipped scenario's name, as the file it means."""
    return shipped.resolve(source)


@dataclass(frozen=True)
class OutcomeRow:
    """One key outcome of the current settings, against the file's own values."""

    name: str
    label: str
    estimate: str  # with its 95% simulation-noise interval, in its unit
    value: float
    spread: str  # the 90% spread across the assumptions, or why there is none
    denominator: str  # "7,068 of 10,000 replications with a ceasefire" in words
    difference: str  # against the file's own values, with its paired interval
    change: Difference | None


@dataclass
class Outcome:
    """A finished run of the current settings."""

    result: RunResult
    base: RunResult
    rows: list[OutcomeRow]
    seconds: float  # the run (and its spread design), without the base run when cached
    changes: dict[str, Any] = field(default_factory=dict)


class Engine:
    """Runs a scenario with the dashboard's changes; the file's own run is kept for comparison."""

    def __init__(self, source: str | Path):
        self.path = resolve(source)
        self.loaded: LoadedScenario = load_scenario(self.path)
        self._base: dict[tuple, RunResult] = {}

    @property
    def scenario(self):
        return self.loaded.scenario

    def load(self, changes: Mapping[str, Any]) -> LoadedScenario:
        """The scenario with ``changes`` (dotted path → value), validated like a file.

        Raises :class:`~sim.scenario.yamlio.InputError` naming each bad change.
        """
        if not changes:
            return self.loaded
        return with_overrides(self.loaded, [Override(p, v, p, DASHBOARD) for p, v in changes.items()])

    def base(self, replications: int, seed: int, spread: bool) -> RunResult:
        key = (replications, seed, spread)
        if key not in self._base:
            self._base[key] = self._run(self.loaded, replications, seed, spread)
        return self._base[key]

    def run(self, changes: Mapping[str, Any], replications: int = REPLICATIONS, seed: int | None = None,
            spread: bool = True) -> Outcome:
        """Run the scenario with ``changes`` and compare it with the file's own values (same seed)."""
        seed = self.scenario.run.seed if seed is None else int(seed)
        loaded = self.load(changes)
        t0 = time.perf_counter()
        result = self._run(loaded, replications, seed, spread)
        seconds = time.perf_counter() - t0
        if not changes:  # the file's own values: this run is the base of every later comparison
            self._base[(replications, seed, spread)] = result
        base = self.base(replications, seed, spread)
        return Outcome(result, base, outcome_rows(result, base), seconds, dict(changes))

    def figures(self, outcome: Outcome, dpi: int = 72) -> list[bytes]:
        """The run's force distribution and survival curves (:mod:`sim.figures.run`) as PNG bytes."""
        import io

        import matplotlib.pyplot as plt

        from ..figures.run import force_distribution, survival

        out = []
        for draw in (force_distribution, survival):
            fig = draw(outcome.result)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=dpi)
            plt.close(fig)
            out.append(buffer.getvalue())
        return out

    @staticmethod
    def _run(loaded: LoadedScenario, replications: int, seed: int, spread: bool) -> RunResult:
        result = api.run(loaded, replications=replications, seed=seed,
                         spread_points=SPREAD_POINTS if spread else 0, spread_inner=SPREAD_INNER)
        _ = result.summary  # computed here, in the worker, not while drawing
        return result


def outcome_rows(result: RunResult, base: RunResult) -> list[OutcomeRow]:
    """The key outcomes (declared with ``key=True``) of ``result``, each against ``base``."""
    out_changed = base is not result
    rows = []
    for o in KEY_OUTCOMES:
        if o.kind == "level":
            continue
        e = result.summary[o.name]
        if o.kind == "share" and o.denominator == "all":
            denominator = f"{e.k:,} of all {e.n:,} replications"
        elif o.kind == "share":
            denominator = f"{e.k:,} of {e.n:,} {o.denominator_label}"
        elif o.kind == "rate":
            denominator = f"{e.events:,} in {e.exposure_years:,.0f} ceasefire-years, {e.n:,} {o.denominator_label}"
        else:
            denominator = f"{e.n:,} {o.denominator_label}"
        change = None if base is result else paired_difference(o, result.runs, base.runs)
        rows.append(OutcomeRow(o.name, o.label, labels.estimate_text(e), e.value, labels.spread_text(e),
                               denominator, difference_text(change if out_changed else None, o.unit), change))
    return rows


def difference_text(d: Difference | None, unit: str) -> str:
    """``+4.2 points [+1.0, +7.4]`` (shares), ``−310 [−420, −200] troops``, ``−0.012 [...] per
    ceasefire-year``; "the file's own values" when nothing was changed."""
    if d is None:
        return "the file's own values"
    if labels.is_missing(d.value):
        return "n/a"

    def signed(x: float) -> str:
        if unit == "share":
            text = f"{100 * x:+.1f}"
        elif unit == "troops":
            text = f"{x:+,.0f}"
        else:
            text = f"{x:+.3f}"
        return text.replace("-", "\u2212")

    if d.value == 0 and d.low == 0 and d.high == 0:
        return "no change in any replication"
    body = signed(d.value)
    if not labels.is_missing(d.low):
        body += f" [{signed(d.low)}, {signed(d.high)}]"
    words = " points" if unit == "share" else (f" {labels.unit_words(unit)}" if labels.unit_words(unit) else "")
    return body + words
