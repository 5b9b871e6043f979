"""Sensitivity figures: a tornado of the inputs that drive an outcome, from a stored sensitivity table
(:mod:`sim.analysis.sensitivity`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .. import __version__
from ..analysis.sensitivity import MORRIS, Sensitivity, primary_index
from ..model.outcomes import BY_NAME
from . import style as S
from .save import save_figure


def sensitivity_footer(sens: Sensitivity) -> str:
    a = sens.about
    size = (f"{a['points']:,} design points × {a['inner']} replications" if "points" in a
            else f"{a.get('replications', 0):,} replications")
    return S.footer_text(__version__, f"scenario {a.get('scenario', '?')}", size, str(a.get("seed", "?")),
                         a.get("method_words", a.get("method", "")))


def tornado(sens: Sensitivity, outcome: str, top: int = 10) -> Figure:
    """The ``top`` inputs that explain most of an outcome's variance, largest first, each with its 95%
    interval; the replications' own chance and the interactions as bars of their own when measured.

    Bars are shares of the variance the assumptions cause (``S1 / (1 − noise)``) when the noise was
    measured and that part is told from zero; otherwise shares of the variance across replications.
    A Morris table draws ``mu*`` in the outcome's unit.
    """
    with S.house_style():
        v = sens.variance.set_index("outcome").loc[outcome]
        label = v["outcome_label"]
        index = primary_index(sens.method)
        rows = sens.for_outcome(outcome, index).head(top)
        fig = S.new_figure(9.5, 1.9 + 0.36 * max(len(rows) + 2, 4))
        ax = fig.add_subplot()
        note = v.get("note")
        if isinstance(note, str) and note or rows.empty:
            S.no_data(ax, f"Not analysed: {note}." if isinstance(note, str) and note else "No inputs to show.")
            S.frame(fig, f"What drives '{label}'", None, sensitivity_footer(sens))
            return fig
        scaled = index == "S1" and bool(v.get("assumptions_detected")) and rows["of_assumptions"].notna().all()
        key = "of_assumptions" if scaled else "estimate"
        est = rows[key].to_numpy(dtype=float)
        low = rows[f"{key}_low" if scaled else "low"].to_numpy(dtype=float)
        high = rows[f"{key}_high" if scaled else "high"].to_numpy(dtype=float)
        names = [f"{r['input_label']}\n{r['input']}" for _, r in rows.iterrows()]
        floor0 = v.get("noise_floor", float("nan")) if index == "mu_star" else float("nan")
        colours = [S.BLUE if lo > (floor0 if np.isfinite(floor0) else 0) else S.LIGHT_BLUE for lo in low]
        if index == "S1" and np.isfinite(v["noise_share"]) and not scaled:
            est = np.append(est, v["noise_share"])
            low = np.append(low, v["noise_low"] if np.isfinite(v["noise_low"]) else v["noise_share"])
            high = np.append(high, v["noise_high"] if np.isfinite(v["noise_high"]) else v["noise_share"])
            names.append("Replications' own chance\n(no assumption explains it)")
            colours.append(S.LIGHT_GREY)
        elif scaled and np.isfinite(v["interactions"]):
            share = v["interactions"] / (1 - v["noise_share"])
            est, low, high = np.append(est, share), np.append(low, share), np.append(high, share)
            names.append("Interactions between inputs\n(what no input explains alone)")
            colours.append(S.LIGHT_GREY)
        y = np.arange(len(est))[::-1]
        ax.barh(y, np.maximum(est, 0), height=0.62, color=colours, edgecolor=colours)
        ax.errorbar(est, y, xerr=[np.maximum(est - low, 0), np.maximum(high - est, 0)], fmt="none",
                    ecolor=S.BLACK, elinewidth=1.0, capsize=2.5)
        o = BY_NAME.get(outcome)
        if index == "mu_star":
            unit = "percentage points" if o is not None and o.kind == "share" else (o.unit if o else "")
            ax.set_xlabel(f"Morris mu*: mean absolute change of the outcome over the input's range ({unit})\n"
                          "(line: 95% bootstrap interval)")
            fmt = (lambda x: f"{100 * x:.1f} pts") if o is not None and o.kind == "share" else (lambda x: f"{x:,.3g}")
        else:
            what = ("share of the variance the assumptions cause" if scaled
                    else "share of the variance across replications")
            ax.set_xlabel(f"{'First-order index S1' if index == 'S1' else index}: {what}\n"
                          "(line: 95% bootstrap interval)")
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            fmt = lambda x: f"{100 * x:.0f}%" if abs(x) >= 0.095 else f"{100 * x:.1f}%"  # noqa: E731
        xmax = max(float(np.nanmax(high)), 1e-9) * 1.25
        for yi, e, hi in zip(y, est, high):
            ax.text(max(hi, e, 0) + xmax * 0.01, yi, fmt(e), va="center", ha="left", fontsize=8.5)
        ax.set_xlim(min(0.0, float(np.nanmin(low)) * 1.1), xmax)
        ax.axvline(0, color=S.GREY, linewidth=0.8)
        floor = v.get("noise_floor", float("nan")) if index == "mu_star" else float("nan")
        if np.isfinite(floor):
            ax.axvline(floor, color=S.VERMILLION, linewidth=1, linestyle="--")
            ax.text(floor, len(est) - 0.45, " the points' own noise", color=S.VERMILLION, fontsize=8, va="bottom")
        ax.set_yticks(y, names, fontsize=8.5)
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(-0.7, len(est) - 0.3)
        if index == "mu_star":
            sub = f"Over the {v['n']:,} {v['denominator']} ({sens.about.get('points', 0):,} design points)."
        elif scaled:
            sub = (f"Of the variance of this outcome across the {v['n']:,} {v['denominator']}, "
                   f"{100 * v['noise_share']:.0f}% is the replications' own chance; the bars share out the other "
                   f"{100 * (1 - v['noise_share']):.0f}%, which the scenario's assumptions cause. "
                   "Pale bars: interval includes zero.")
        else:
            sub = (f"Over the {v['n']:,} {v['denominator']}. "
                   + ("The replications' own chance is most of the variance, and the assumptions' part is too "
                      "imprecise to share out, so bars are shares of the whole variance. " if np.isfinite(v["noise_share"])
                      else "Replication noise not measured separately. ")
                   + "Pale bars: interval includes zero.")
        S.frame(fig, f"What drives '{label}'", sub, sensitivity_footer(sens))
        return fig


def save_sensitivity_figures(sens: Sensitivity, folder: str | Path, top: int = 10) -> list[Path]:
    """A tornado per analysed outcome: ``sensitivity_<outcome>.png`` and ``.svg`` (an outcome that was
    not analysed, e.g. one that does not vary, has its reason in the table instead)."""
    written: list[Path] = []
    for _, v in sens.variance.iterrows():
        if isinstance(v.get("note"), str) and v["note"]:
            continue
        written += save_figure(tornado(sens, v["outcome"], top), folder, f"sensitivity_{v['outcome']}")
    return written


__all__ = ["MORRIS", "save_sensitivity_figures", "sensitivity_footer", "tornado"]
