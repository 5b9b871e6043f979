"""The waterfall of ``explain``: from scenario A's value to B's, one bar per group of changed parameters.

Drawn from the stored tables alone (``effects.csv``, ``totals.csv``,
``explain.json``; :class:`sim.results.explain.Explanation`).  Each panel is one
outcome: A's value, then each group's effect (its marginal effect averaged over
two orders, with its paired 95% simulation-noise interval as a whisker at the
bar's end), then B's value.  The effects add up to B − A exactly, so the last
bar ends on B.  Groups are the same rows in every panel, in the fixed order
``explain`` swapped them; when there are many, the smaller ones are summed into
one row.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .. import __version__
from . import labels as L
from . import style as S

#: Groups drawn as rows of their own; the rest are summed into one row.
MAX_GROUPS = 10


def _scale(unit: str) -> float:
    return 100.0 if unit == "share" else 1.0


def _fmt(v: float, unit: str, sign: bool = False) -> str:
    """A level (``71.5%``, ``12,026``) or, with ``sign``, an effect (``+1.4 pts``, ``-866``, ``+0.024``);
    small effects keep a digit more so that they do not read as zero."""
    if v != v:
        return "n/a"
    plus = "+" if sign else ""
    if unit == "share":
        if not sign:
            return f"{100 * v:.1f}%"
        return f"{100 * v:{plus}.{2 if abs(100 * v) < 0.95 else 1}f} pts"
    if unit == "troops" or abs(v) >= 100:
        return f"{v:{plus},.0f}"
    return f"{v:{plus},.{3 if abs(v) < 0.1 else 2}f}"


def _rows(effects: pd.DataFrame, max_groups: int) -> tuple[list[str], dict[str, str]]:
    """The groups drawn as rows (in the fixed order), and which row each group falls in."""
    order = effects.drop_duplicates("group").sort_values("order")["group"].tolist()
    if len(order) <= max_groups:
        return order, {g: g for g in order}
    weight = effects.assign(w=(effects["share_of_total"].abs().clip(upper=10)).fillna(0)) \
        .groupby("group")["w"].max()
    keep = set(weight.sort_values(ascending=False).index[: max_groups - 1])
    rows = [g for g in order if g in keep]
    other = f"other groups ({len(order) - len(rows)})"
    return rows + [other], {g: (g if g in keep else other) for g in order}


def waterfall(effects: pd.DataFrame, totals: pd.DataFrame, about: dict, outcomes: list[str] | None = None,
              max_groups: int = MAX_GROUPS) -> Figure:
    """One waterfall panel per outcome (``outcomes``, default every one in ``totals`` that is not
    assumed in both scenarios): A's value, each group's effect with its 95% simulation-noise
    interval, B's value.  Shares in percent (effects in percentage points), other outcomes in their
    unit."""
    skip = set(about.get("assumed_in_both") or [])
    names = [n for n in (outcomes or totals["outcome"].tolist()) if n not in skip]
    if not names:
        raise ValueError("nothing to draw: every outcome is assumed in both scenarios")
    rows, row_of = _rows(effects, max_groups)
    a, b = about["a"], about["b"]
    labels = [f"{a} (A)", *rows, f"{b} (B)"]
    n_rows = len(labels)
    cols = min(3, len(names))
    grid_rows = math.ceil(len(names) / cols)
    with S.house_style():
        fig = S.new_figure(4.3 * cols + 1.8, grid_rows * (0.9 + 0.36 * n_rows) + 1.6)
        axes = np.atleast_1d(fig.subplots(grid_rows, cols, squeeze=False)).ravel()
        y = np.arange(n_rows)[::-1]
        for ax, name in zip(axes, names):
            t = totals[totals["outcome"] == name].iloc[0]
            unit, scale = t["unit"], _scale(t["unit"])
            if any(math.isnan(float(t[k])) for k in ("a", "b")):
                missing = " and ".join(x for x, k in ((a, "a"), (b, "b")) if math.isnan(float(t[k])))
                ax.set_title("\n".join(textwrap.wrap(t["label"], 44)), loc="left", fontsize=9.5)
                S.no_data(ax, "\n".join(textwrap.wrap(f"not defined in {missing}: no replications in its "
                                                       f"denominator ({t['denominator']})", 40)))
                continue
            mine = effects[effects["outcome"] == name].copy()
            mine["row"] = mine["group"].map(row_of)
            by_row = mine.groupby("row", sort=False)
            level = float(t["a"]) * scale
            xs = [level]
            # A and B as marks, not bars: the axis is zoomed to the change, and a bar cut at its edge
            # would misstate the level.
            ax.plot([level], [y[0]], "D", color=S.INK, markersize=6)
            ax.annotate(_fmt(t["a"], unit), (level, y[0]), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=8)
            ax.plot([level, level], [y[0], y[1] + 0.3], color=S.GREY, linewidth=0.6, linestyle=":")
            for i, row in enumerate(rows, start=1):
                if row not in by_row.groups:
                    continue
                g = by_row.get_group(row)
                if g["effect"].isna().any():  # a step with an empty denominator: nothing to draw
                    continue
                effect = float(g["effect"].sum()) * scale
                single = len(g) == 1
                up = effect >= 0
                within = single and not (g["low"].iloc[0] > 0 or g["high"].iloc[0] < 0)
                ax.barh(y[i], effect, left=level, height=0.6, color=S.BLUE if up else S.VERMILLION,
                        alpha=0.35 if within else 0.9, hatch=None if up else "///", edgecolor="white", linewidth=0)
                end = level + effect
                right = max(level, end)
                if single and not (math.isnan(g["low"].iloc[0]) or math.isnan(g["high"].iloc[0])):
                    lo, hi = level + g["low"].iloc[0] * scale, level + g["high"].iloc[0] * scale
                    ax.errorbar([end], [y[i]], xerr=[[max(end - lo, 0)], [max(hi - end, 0)]], fmt="none",
                                ecolor=S.INK, elinewidth=1.0, capsize=2.5)
                    xs += [lo, hi]
                    right = max(right, hi)
                ax.plot([end, end], [y[i] - 0.3, y[i + 1] + 0.3], color=S.GREY, linewidth=0.6, linestyle=":")
                none = effect == 0 and single and g["low"].iloc[0] == 0 and g["high"].iloc[0] == 0
                words = "none" if none else _fmt(effect / scale, unit, sign=True) + (" (noise)" if within else "")
                ax.annotate(words,
                            (right, y[i]), xytext=(4, 0), textcoords="offset points", va="center",
                            fontsize=7.5, color=S.GREY if within else S.INK)
                level = end
                xs.append(level)
            final = float(t["b"]) * scale
            ax.plot([final], [y[-1]], "D", color=S.INK, markersize=6)
            ax.annotate(_fmt(t["b"], unit), (final, y[-1]), xytext=(6, 0), textcoords="offset points",
                        va="center", fontsize=8)
            xs.append(final)
            lo_x, hi_x = min(xs), max(xs)
            pad = (hi_x - lo_x) * 0.4 or abs(hi_x) * 0.1 or 1.0
            ax.set_xlim(lo_x - pad * 0.25, hi_x + pad)
            if unit == "share":
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
            elif unit == "troops":
                ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: L.troops_short(v)))
            inter = t["interaction"]
            note = f"interaction (only the groups together): {_fmt(inter, unit, sign=True)}"
            if not (math.isnan(t["interaction_low"]) or math.isnan(t["interaction_high"])):
                note += f" [{_fmt(t['interaction_low'], unit, sign=True)}, {_fmt(t['interaction_high'], unit, sign=True)}]"
            ax.set_xlabel("\n".join(textwrap.wrap(f"{'%' if unit == 'share' else unit} of {t['denominator']}", 44)
                                    + textwrap.wrap(note, 52)), fontsize=7.5)
            ax.set_title("\n".join(textwrap.wrap(t["label"], 44)), loc="left", fontsize=9.5)
            ax.set_yticks(y, [textwrap.shorten(lbl, 34, placeholder="…") for lbl in labels], fontsize=8)
            ax.tick_params(axis="y", length=0)
            ax.grid(axis="x", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
        for ax in axes[len(names):]:
            ax.set_axis_off()
        sub = (f"From {a} (top) to {b} (bottom): each bar is one group of changed parameters, its effect "
               "averaged over two orders of swapping the groups in (a two-order approximation of a Shapley "
               f"attribution); whiskers are {L.NOISE_INTERVAL}s paired by replication (every scenario ran on the "
               "same random numbers); faded bars are within noise of zero; hatched bars lower the outcome. The "
               "bars add up to B − A exactly.")
        reps = about.get("replications")
        footer = S.footer_text(__version__, f"explain {a} → {b}",
                               f"{reps:,} replications × {about.get('scenarios_run')} scenarios", str(about.get("seed")))
        S.frame(fig, f"What moves each outcome from {a} to {b}", sub, footer)
        return fig


__all__ = ["waterfall"]
