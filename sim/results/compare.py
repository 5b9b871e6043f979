"""Scenario comparison: the key outcomes of several runs side by side, with intervals."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .run import RunResult

#: Outcomes compared: key in the summary -> where it lives there.
KEY_OUTCOMES = {
    "ceasefire": ("probabilities", "ceasefire"),
    "deployed": ("probabilities", "deployed"),
    "force_ge_minimum": ("probabilities", "force_ge_minimum"),
    "force_ge_target": ("probabilities", "force_ge_target"),
    "violation": ("probabilities", "violation"),
    "attributed": ("probabilities", "attributed"),
    "activated": ("probabilities", "activated"),
    "held_given_ceasefire": ("conditional", "held_given_ceasefire"),
    "activated_given_attributed": ("conditional", "activated_given_attributed"),
}


def comparison_table(results: Sequence[RunResult]) -> pd.DataFrame:
    """One row per scenario: each key outcome with its 95% bounds, median force, contributors."""
    rows = []
    for r in results:
        s = r.summary
        sc = r.scenario
        row = {"scenario": sc.id, "title": sc.title, "as_of": sc.as_of.isoformat() if sc.as_of else None,
               "replications": r.replications, "seed": r.seed, "block_size": r.block_size}
        for name, (group, key) in KEY_OUTCOMES.items():
            d = s[group][key]
            row[name], row[f"{name}_low"], row[f"{name}_high"] = d["p"], d["low"], d["high"]
        row["force_in_ukraine_q50"] = s["force_in_ukraine_given_ceasefire"]["q50"]
        row["troop_contributors"] = s["troop_contributors"]["mean"]
        rows.append(row)
    return pd.DataFrame(rows)


def format_comparison(table: pd.DataFrame) -> str:
    """The comparison as text: percentages with intervals, one column per scenario."""
    def cell(row, name):
        p = row[name]
        if p != p:
            return "n/a"
        return f"{100 * p:.1f}% [{100 * row[f'{name}_low']:.1f}, {100 * row[f'{name}_high']:.1f}]"

    lines = {"": [str(s) for s in table["scenario"]], "as of": [str(a or "") for a in table["as_of"]]}
    for name in KEY_OUTCOMES:
        lines[name] = [cell(row, name) for _, row in table.iterrows()]
    lines["median force in Ukraine | ceasefire"] = [
        "n/a" if v != v else f"{v:,.0f}" for v in table["force_in_ukraine_q50"]
    ]
    width = max(len(k) for k in lines) + 2
    cols = [max(len(v) for v in [*(vals[i] for vals in lines.values())]) + 2 for i in range(len(table))]
    return "\n".join(
        f"{k:<{width}}" + "".join(f"{v:>{w}}" for v, w in zip(vals, cols)) for k, vals in lines.items()
    )
