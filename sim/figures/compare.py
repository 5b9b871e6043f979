"""Scenario against scenario: key outcomes side by side, and as a trend over the scenarios' dates.

Each scenario's numbers come from its own stored results; nothing is
re-simulated.  Probabilities carry 95% Wilson intervals; the median force
carries a distribution-free 95% interval (order statistics).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter
from scipy import stats

from .. import __version__
from ..results import RunResult
from . import labels as L
from . import style as S
from .save import save_figure


@dataclass(frozen=True)
class Outcome:
    """One key outcome of a comparison: how to read it from a result, and how to show it."""

    key: str
    title: str
    unit: str  # "share" (0–1, shown as %) or "troops"


#: The outcomes compared, in the order shown.
OUTCOMES = (
    Outcome("ceasefire", "Ceasefire reached", "share"),
    Outcome("deployed", "Any troops deployed in Ukraine", "share"),
    Outcome("force_ge_minimum", "Force in Ukraine ≥ minimum effective size", "share"),
    Outcome("activated_given_attributed", "Activated, given an attributed violation", "share"),
    Outcome("median_force", "Median force in Ukraine, given a ceasefire", "troops"),
)


def median_with_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Median of ``values`` with a distribution-free interval from binomial order statistics.

    Returns (median, low, high) in the values' unit; NaNs for an empty array.
    """
    x = np.sort(np.asarray(values, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return (math.nan, math.nan, math.nan)
    a = (1 - confidence) / 2
    lo = int(stats.binom.ppf(a, n, 0.5))  # P(X < lo) <= a, so x[lo - 1] is a lower bound
    hi = int(stats.binom.ppf(1 - a, n, 0.5))
    return (float(np.median(x)), float(x[max(lo - 1, 0)]), float(x[min(hi, n - 1)]))


def outcome_value(result: RunResult, key: str) -> tuple[float, float, float]:
    """(value, low, high) of one key outcome: a share in [0, 1] or troops."""
    s = result.summary
    if key == "median_force":
        runs = result.runs
        return median_with_interval(runs.loc[runs["ceasefire"], "force_in_ukraine"].to_numpy())
    d = s["conditional"][key] if key in s["conditional"] else s["probabilities"][key]
    return (d["p"], d["low"], d["high"])


def _nan(x) -> float:
    return math.nan if x is None else float(x)


def comparison_footer(results: Sequence[RunResult]) -> str:
    """Provenance of a comparison: version, scenario ids, replications and seeds."""
    ids = ", ".join(r.scenario.id for r in results)
    reps = sorted({r.replications for r in results})
    seeds = [r.seed for r in results]
    rep_text = f"{reps[0]:,} replications each" if len(reps) == 1 else \
        "replications " + "/".join(f"{r.replications:,}" for r in results)
    seed_text = str(seeds[0]) if len(set(seeds)) == 1 else "/".join(map(str, seeds))
    return S.footer_text(__version__, f"scenarios {ids}", rep_text, seed_text)


def _fmt(outcome: Outcome, v: float, result: RunResult | None = None) -> str:
    if math.isnan(v):
        return "n/a"
    text = L.troops(v) if outcome.unit == "troops" else L.pct(v, 1 if v < 0.1 else 0)
    if outcome.key == "ceasefire" and result is not None and result.scenario.ceasefire.assumed_month is not None:
        text += " (assumed)"
    return text


#: A white halo keeps value labels legible where they cross a line or a grid line.
HALO = [patheffects.withStroke(linewidth=3, foreground="white")]


def _threshold_note(results: Sequence[RunResult]) -> str:
    mins = {r.scenario.thresholds.minimum_effective_force for r in results}
    if len(mins) == 1:
        return f"Minimum effective size {L.troops(mins.pop())} troops in every scenario."
    return "Minimum effective size: " + ", ".join(
        f"{r.scenario.id} {L.troops(r.scenario.thresholds.minimum_effective_force)}" for r in results) + "."


def _assumed_note(results: Sequence[RunResult]) -> str:
    assumed = [r.scenario.id for r in results if r.scenario.ceasefire.assumed_month is not None]
    if not assumed:
        return ""
    if len(assumed) == len(results):
        return "Every scenario assumes a ceasefire."
    return f"{', '.join(assumed)} assume{'s' if len(assumed) == 1 else ''} a ceasefire; the others do not."


def _row_label(r: RunResult) -> str:
    sc = r.scenario
    return f"{sc.id}\n{sc.as_of:%b %Y}" if sc.as_of else sc.id


# --------------------------------------------------------------------------- side by side


def comparison(results: Sequence[RunResult]) -> Figure:
    """Key outcomes of several scenarios side by side, each with its 95% interval.

    One panel per outcome (shares in %, the median force in troops), one row
    per scenario in the order given.
    """
    results = list(results)
    if not results:
        raise ValueError("comparison needs at least one result")
    with S.house_style():
        n = len(results)
        fig = S.new_figure(14.0, 2.3 + 0.62 * max(n, 2))
        axes = fig.subplots(1, len(OUTCOMES), sharey=True)
        y = np.arange(n)[::-1]
        for ax, outcome in zip(axes, OUTCOMES):
            vals = np.array([[_nan(v) for v in outcome_value(r, outcome.key)] for r in results])
            scale = 100 if outcome.unit == "share" else 1
            v, lo, hi = (vals[:, i] * scale for i in range(3))
            ok = ~np.isnan(v)
            ax.hlines(y[ok], lo[ok], hi[ok], color=S.BLUE, linewidth=2.2, alpha=0.45)
            ax.plot(v[ok], y[ok], "o", color=S.BLUE, markersize=6.5)
            for yi, vi, raw, good, r in zip(y, v, vals[:, 0], ok, results):
                if good:
                    ax.annotate(_fmt(outcome, raw, r), (vi, yi), xytext=(0, 7), textcoords="offset points",
                                ha="right" if vi > 0.8 * ax.get_xlim()[1] and outcome.unit == "share" else "center",
                                va="bottom", fontsize=8.5, path_effects=HALO)
                else:
                    ax.text(0, yi, "  n/a", va="center", fontsize=8.5, color=S.GREY)
            if outcome.unit == "share":
                ax.set_xlim(-4, 104)
                ax.set_xticks([0, 50, 100])
                ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
                ax.set_xlabel("% of replications")
            else:
                top = np.nanmax(hi, initial=0)
                ax.set_xlim(0, max(top * 1.2, 1000))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _: L.troops_short(t)))
                ax.set_xlabel("troops")
            ax.set_title("\n".join(_wrap_title(outcome.title)), loc="left", fontsize=9.5)
            ax.grid(axis="x", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
            ax.tick_params(axis="y", length=0)
        axes[0].set_yticks(y, [_row_label(r) for r in results])
        axes[0].set_ylim(-0.6, n - 0.3)
        note = " ".join(x for x in (_threshold_note(results), _assumed_note(results)) if x)
        sub = ("Dot: value; bar: 95% interval. Shares are of all replications, except activation "
               "(of replications with an attributed violation) and the median force (of replications "
               f"with a ceasefire). {note}")
        S.frame(fig, "Scenarios side by side: ceasefire, force, deployment and activation", sub,
                comparison_footer(results))
        return fig


def _wrap_title(text: str, width: int = 26) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


# --------------------------------------------------------------------------- over time


def comparison_trend(results: Sequence[RunResult]) -> Figure | None:
    """The key outcomes as a trend over the scenarios' ``as_of`` dates; None without two dates.

    Scenarios without a date are left out.  Moments are shown in date order,
    evenly spaced (not to scale: two of them may be a week apart).  When
    several scenarios share a date, the first given carries the trend line
    and the others are drawn as open markers beside it (variants).
    Returns None when fewer than two distinct dates remain.
    """
    dated = [r for r in results if r.scenario.as_of is not None]
    dates = sorted({r.scenario.as_of for r in dated})
    if len(dates) < 2:
        return None
    with S.house_style():
        slot = {d: i for i, d in enumerate(dates)}
        main: dict = {}
        variants: list[tuple[RunResult, int]] = []
        for r in dated:
            d = r.scenario.as_of
            if d not in main:
                main[d] = r
            else:
                variants.append((r, sum(1 for v, _ in variants if v.scenario.as_of == d) + 1))
        line = [main[d] for d in dates]
        variant_markers = ("s", "D", "^", "v", "P")

        fig = S.new_figure(13.0, 7.6)
        axes = fig.subplots(2, 3).ravel()
        xs = np.arange(len(dates))
        for ax, outcome in zip(axes, OUTCOMES):
            scale = 100 if outcome.unit == "share" else 1
            vals = np.array([[_nan(v) for v in outcome_value(r, outcome.key)] for r in line]) * scale
            ok = ~np.isnan(vals[:, 0])
            ax.errorbar(xs[ok], vals[ok, 0], yerr=[vals[ok, 0] - vals[ok, 1], vals[ok, 2] - vals[ok, 0]],
                        color=S.BLUE, marker="o", markersize=6, linewidth=1.8, capsize=3, elinewidth=1.0)
            for xi, (v, _, _), good, r in zip(xs, vals, ok, line):
                if good:
                    ax.annotate(_fmt(outcome, v / scale, r), (xi, v), xytext=(7, 0), textcoords="offset points",
                                va="center", ha="left", fontsize=8.5, path_effects=HALO)
            for r, k in variants:
                v, lo, hi = (_nan(t) * scale for t in outcome_value(r, outcome.key))
                if math.isnan(v):
                    continue
                xv = slot[r.scenario.as_of] - 0.18 * k
                ax.errorbar([xv], [v], yerr=[[v - lo], [hi - v]], fmt=variant_markers[(k - 1) % 5],
                            color=S.VERMILLION, mfc="white", markersize=5.5, capsize=2, elinewidth=0.8)
            if outcome.unit == "share":
                ax.set_ylim(0, 105)
                ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
            else:
                top = np.nanmax(vals[:, 2], initial=0)
                tops = [outcome_value(r, outcome.key)[2] for r, _ in variants]
                top = max([top, *[t for t in tops if not math.isnan(_nan(t))]])
                ax.set_ylim(0, max(top * 1.15, 1000))
                ax.yaxis.set_major_formatter(FuncFormatter(lambda t, _: L.troops(t)))
                ax.set_ylabel("troops")
            ax.set_xticks(xs, [f"{d.day} {d:%b}\n{d:%Y}" for d in dates])
            ax.set_xlim(-0.6, len(dates) - 0.4)
            ax.set_title(outcome.title, loc="left", fontsize=10)
            ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)

        key = axes[-1]
        key.set_axis_off()
        lines = [f"{d.day} {d:%b %Y}: {main[d].scenario.id}" for d in dates]
        key.text(0.0, 1.0, "Moments (in date order, not to scale)\n\n" + "\n".join(lines), va="top", ha="left",
                 fontsize=8.5, transform=key.transAxes, linespacing=1.5)
        if variants:
            handles = [Line2D([], [], color=S.BLUE, marker="o", label="trend (first scenario of each date)")]
            handles += [Line2D([], [], color=S.VERMILLION, marker=variant_markers[(k - 1) % 5], mfc="white",
                               linestyle="none", label=f"variant: {r.scenario.id}") for r, k in variants]
            key.legend(handles=handles, loc="lower left", fontsize=8.5, bbox_to_anchor=(0, 0))
        first, last = line[0], line[-1]
        note = " ".join(x for x in (_threshold_note(dated), _assumed_note(dated)) if x)
        sub = (f"Each moment is one scenario built from the reporting of its date; bars are 95% intervals. {note}")
        S.frame(fig, f"How the prospects moved from {first.scenario.as_of:%B %Y} to {last.scenario.as_of:%B %Y}",
                sub, comparison_footer(dated))
        return fig


# --------------------------------------------------------------------------- saving


def save_comparison_figures(results: Sequence[RunResult], folder: str | Path) -> list[Path]:
    """Write ``comparison`` and, when the scenarios have two or more dates, ``comparison_trend``."""
    results = list(results)
    written = save_figure(comparison(results), folder, "comparison")
    trend = comparison_trend(results)
    if trend is not None:
        written += save_figure(trend, folder, "comparison_trend")
    return written
