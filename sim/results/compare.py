"""Scenario comparison: every declared outcome of several runs side by side, with intervals.

The table has one row per scenario and the columns of
:func:`~sim.results.summary.wide_row` (each outcome with its simulation-noise
interval and its denominator's count); the text shows the key outcomes, with
the labels declared in :mod:`sim.model.outcomes`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..model.outcomes import KEY_OUTCOMES
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
