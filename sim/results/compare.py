"""Scenario comparison: every declared outcome of several runs side by side, with intervals.

The table has one row per scenario and the columns of
:func:`~sim.results.summary.wide_row` (each outcome with its simulation-noise
interval and its denominator's count); the text shows the key outcomes, with
the labels declared in :mod:`sim.model.outcomes`.

The scenarios of a comparison run with one seed, replications and block size, so
replication ``r`` of every scenario uses the same random numbers wherever their
parameters agree (common random numbers).  :func:`differences` uses that pairing:
each scenario against the first, every share, rate and quantity outcome, with a
paired 95% simulation-noise interval (:mod:`sim.results.differences`), much narrower
than the two scenarios' intervals side by side suggest.

A scenario that assumes a ceasefire (``ceasefire.assumed_month``) does not
estimate the ceasefire, it sets it; its outcomes over replications with a
ceasefire are conditional on one from that month in every replication, while a
scenario without the assumption reaches one only in some replications and later.
Mixing the two is allowed, with :func:`unlike_warning` saying which is which, and
their ceasefire-dependent differences are marked not comparable.
"""

from __future__ import annotations

from collections.abc import Sequence


import pandas as pd

from ..model.outcomes import KEY_OUTCOMES, OUTCOMES, Outcome
from ..scenario.schema import Scenario
from .differences import PairedRuns, parts
from .run import RunResult
from .summary import wide_row


def comparison_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """One row per scenario: every outcome with its 95% simulation-noise bounds and its ``_n``."""
    rows = []
    for r in results:
        sc = r.scenario
        row = {"scenario": sc.id, "title": sc.title, "as_of": sc.as_of.isoformat() if sc.as_of else None,
               "replications": r.replications, "seed": r.seed, "block_size": r.block_size}
        row.update(wide_row(r.summary.outcomes))
        rows.append(row)
    return pd.DataFrame(rows)


def _value(row, name: str, kind: str) -> str:
    def num(v):
        if v != v:
            return "n/a"
        return f"{100 * v:.1f}%" if kind == "share" else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}")

    key = name if kind in ("share", "rate") else f"{name}_mean"
    if row[key] != row[key]:
        return "n/a"
    return f"{num(row[key])} [{num(row[f'{key}_low'])}, {num(row[f'{key}_high'])}]"


def format_comparison(table: pd.DataFrame) -> str:
    """The key outcomes as text, one column per scenario: the estimate with its 95% simulation-noise
    interval (a quantity's mean), and below it the count of the outcome's denominator, in words."""
    rows = table.to_dict(orient="records")
    lines = [("", [str(s) for s in table["scenario"]]), ("as of", [str(a or "") for a in table["as_of"]])]
    for o in KEY_OUTCOMES:
        if o.kind == "level":
            continue
        lines.append((o.label + (", mean" if o.kind == "quantity" else ""), [_value(r, o.name, o.kind) for r in rows]))
        lines.append((f"  of {o.denominator_label}", [f"{r[f'{o.name}_n']:,}" for r in rows]))
    width = max(len(k) for k, _ in lines) + 2
    cols = [max(len(vals[i]) for _, vals in lines) + 2 for i in range(len(rows))]
    text = "\n".join(f"{k:<{width}}" + "".join(f"{v:>{w}}" for v, w in zip(vals, cols)) for k, vals in lines)
    return text + "\n\nEstimates with 95% simulation-noise intervals (not the spread across the assumptions)."


# --------------------------------------------------------------------------- unlike scenarios

#: Outcomes a scenario that assumes a ceasefire sets rather than estimates.
ASSUMED_WITH_CEASEFIRE = ("ceasefire", "no_ceasefire")


def assumes_ceasefire(scenario: Scenario) -> bool:
    """The scenario is conditional on a ceasefire (``ceasefire.assumed_month`` is set)."""
    return scenario.ceasefire.assumed_month is not None


def assumed(o: Outcome | str, scenario: Scenario) -> bool:
    """The scenario sets this outcome by assumption (the ceasefire of a conditional scenario)."""
    name = o if isinstance(o, str) else o.name
    return name in ASSUMED_WITH_CEASEFIRE and assumes_ceasefire(scenario)


def ceasefire_dependent(o: Outcome) -> bool:
    """The ceasefire itself, and every outcome over a subset of replications (all of them need a
    ceasefire): what a conditional and an unconditional scenario cannot compare like for like."""
    return o.name in ASSUMED_WITH_CEASEFIRE or o.denominator != "all"


def comparable(o: Outcome, a: Scenario, b: Scenario) -> bool:
    """Whether a difference of ``o`` between ``a`` and ``b`` is like for like: not when one assumes
    a ceasefire and the other does not (for ceasefire-dependent outcomes), nor when both assume
    the ceasefire itself (then it is equal by construction)."""
    if assumed(o, a) and assumed(o, b):
        return False
    return not (assumes_ceasefire(a) != assumes_ceasefire(b) and ceasefire_dependent(o))


def unlike_warning(results: Sequence[RunResult]) -> str | None:
    """A warning when some scenarios assume a ceasefire and others do not, naming which is which;
    None when they are alike."""
    conditional = [r.scenario for r in results if assumes_ceasefire(r.scenario)]
    unconditional = [r.scenario for r in results if not assumes_ceasefire(r.scenario)]
    if not conditional or not unconditional:
        return None
    cond = ", ".join(f"{s.id} (from month {s.ceasefire.assumed_month})" for s in conditional)
    uncond = ", ".join(s.id for s in unconditional)
    return (f"warning: these scenarios are not alike. Conditional on a ceasefire (assumed): {cond}. "
            f"Not conditional (the model decides whether one comes): {uncond}. "
            "Their ceasefire shares are an assumption on one side and a result on the other, and their "
            "outcomes over replications with a ceasefire compare a ceasefire given from the start with one "
            "reached in some replications only: those differences are marked not comparable.")


# --------------------------------------------------------------------------- paired differences

#: The outcomes differenced in the stored table: every one with a single estimate.
DIFFERENCED: tuple[Outcome, ...] = tuple(o for o in OUTCOMES if o.kind in ("share", "rate", "quantity"))


def _sorted_runs(r: RunResult) -> pd.DataFrame:
    runs = r.runs
    if "replication" in runs and not runs["replication"].is_monotonic_increasing:
        runs = runs.sort_values("replication", kind="stable")
    return runs.reset_index(drop=True)


def differences(results: Sequence[RunResult], outcomes: Sequence[Outcome] = DIFFERENCED) -> pd.DataFrame:
    """Each scenario after the first against the first: one row per (scenario, outcome).

    Columns: ``scenario``, ``against``, ``outcome``, ``label``, ``kind``, ``unit``, ``denominator``
    (words), ``estimate``/``n`` and ``against_estimate``/``against_n`` (each over its own
    denominator), ``difference`` (scenario − first: a share in [−1, 1], a rate per ceasefire-year,
    a quantity's mean in its unit), ``low``/``high`` (its 95% simulation-noise interval, paired by
    replication), ``method``, ``interval``, ``comparable`` and ``note`` (why not).

    The runs must share seed, replications and block size (``compare`` runs them so); otherwise
    they are not paired and a ``ValueError`` says so.
    """
    results = list(results)
    if len(results) < 2:
        return pd.DataFrame(columns=["scenario", "against", "outcome", "difference", "low", "high"])
    first = results[0]
    for r in results[1:]:
        if (r.seed, r.replications, r.block_size) != (first.seed, first.replications, first.block_size):
            raise ValueError(f"{r.scenario.id} and {first.scenario.id} differ in seed, replications or block "
                             "size: their replications are not paired")
    paired = PairedRuns(first.replications, first.seed, name="compare")
    for i, r in enumerate(results):  # by position: two variants of one file may share an id
        runs = _sorted_runs(r)
        for o in outcomes:
            paired.add((i, o.name), parts(o, runs))
    a = first.scenario
    rows = []
    for i, r in enumerate(results[1:], start=1):
        b = r.scenario
        for o in outcomes:
            d = paired.difference({(i, o.name): 1.0, (0, o.name): -1.0})
            ea, eb = first.summary[o.name], r.summary[o.name]
            note = ""
            if assumed(o, a) and assumed(o, b):
                note = "assumed in both"
            elif assumed(o, a) or assumed(o, b):
                note = f"assumed in {a.id if assumed(o, a) else b.id}"
            elif not comparable(o, a, b):
                cond = a if assumes_ceasefire(a) else b
                note = f"{cond.id} assumes a ceasefire, {(b if cond is a else a).id} does not"
            rows.append({
                "scenario": b.id, "against": a.id, "outcome": o.name, "label": o.label, "kind": o.kind,
                "unit": o.unit, "denominator": o.denominator_label,
                "estimate": eb.value, "n": eb.n, "against_estimate": ea.value, "against_n": ea.n,
                "difference": d.value, "low": d.low, "high": d.high, "method": d.method,
                "interval": "95% simulation-noise interval", "comparable": comparable(o, a, b), "note": note,
            })
    return pd.DataFrame(rows)


def difference_text(value: float, low: float, high: float, unit: str) -> str:
    """A difference in plain words: ``+4.1 points [2.9, 5.3]`` (a share, in percentage points),
    ``-0.05 [-0.07, -0.03] per ceasefire-year``, ``+1,234 [1,100, 1,370] troops``."""
    if value != value:
        return "n/a (an empty denominator)"
    # One more decimal when the interval is narrower than the last digit shown would say.
    narrow = high == high and low == low and abs(high - low) < (0.005 if unit == "share" else 0.05)

    def num(x: float, sign: bool) -> str:
        if x != x:
            return "n/a"
        if unit == "share":
            x, decimals = 100 * x, 2 if narrow else 1
        elif unit == "troops" or abs(x) >= 100:
            decimals = 0
        elif unit in ("months", "states", "billion USD"):
            decimals = 2 if narrow else 1
        else:
            decimals = 3 if narrow else 2
        text = f"{x:{'+' if sign else ''},.{decimals}f}"
        zero = f"{0:.{decimals}f}"
        if text.lstrip("+-") == zero:  # no "-0.0"
            return f"+{zero}" if sign else zero
        return text

    body = f"{num(value, True)}{' points' if unit == 'share' else ''} [{num(low, False)}, {num(high, False)}]"
    return body if unit == "share" else f"{body} {unit}"


def format_differences(diffs: pd.DataFrame, key_only: bool = True) -> str:
    """The differences as text: each scenario, then one line per key outcome,
    ``label: +4.1 points [2.9, 5.3] against paris``, or why it is not comparable."""
    if diffs.empty:
        return ""
    names = {o.name for o in KEY_OUTCOMES} if key_only else set(diffs["outcome"])
    shown = diffs[diffs["outcome"].isin(names)]
    against = shown["against"].iloc[0]
    width = max(len(label) for label in shown["label"]) + 1
    lines = [f"Differences against {against}, paired by replication (common random numbers): "
             f"difference [95% simulation-noise interval]"]
    for sid, rows in shown.groupby("scenario", sort=False):
        unlike = rows.loc[~rows["comparable"] & ~rows["note"].str.startswith("assumed"), "note"]
        lines.append(f"  {sid}" + (f"  (not like for like: {unlike.iloc[0]})" if len(unlike) else ""))
        for row in rows.itertuples():
            head = f"    {row.label + ':':<{width}} "
            if row.note.startswith("assumed"):
                lines.append(f"{head}not estimated: {row.note}")
                continue
            text = f"{difference_text(row.difference, row.low, row.high, row.unit)} against {row.against}"
            if row.kind == "quantity":
                text = "mean " + text
            if not row.comparable:
                text += "  (not comparable)"
            lines.append(head + text)
    lines.append("  (paired: replication r of every scenario uses the same random numbers, so the interval is "
                 "that of the difference itself, not of two estimates apart; each estimate over its own "
                 "denominator)")
    return "\n".join(lines)
