"""Scenario against scenario: key outcomes side by side, and as a trend over the scenarios' dates.

Each scenario's numbers come from its own summary; nothing is re-simulated.
The outcomes are the key ones declared in :mod:`sim.model.outcomes`, each over
its own denominator with its 95% simulation-noise interval (a quantity shows
its mean).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Sequence

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, PercentFormatter
from .. import __version__
from ..model.outcomes import KEY_OUTCOMES, Outcome
from ..results import RunResult
from . import labels as L
from . import style as S
from .save import save_figure


#: The outcomes compared, in the order shown: the key declarations (a level has no single value).
OUTCOMES: tuple[Outcome, ...] = tuple(o for o in KEY_OUTCOMES if o.kind != "level")


def outcome_value(result: RunResult, name: str) -> tuple[float, float, float]:
    """(value, low, high) of one outcome from the run's summary: a share in [0, 1], a rate, or a
    quantity's mean, with its 95% simulation-noise interval."""
    e = result.summary[name]
    return (e.value, e.noise.low, e.noise.high)


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
    text = L.pct(v, 1 if v < 0.1 else 0) if outcome.unit == "share" else L.number(v, outcome.unit)
    if outcome.name == "ceasefire" and result is not None and result.scenario.ceasefire.assumed_month is not None:
        text += " (assumed)"
    return text


def _scale(outcome: Outcome) -> float:
    return 100.0 if outcome.unit == "share" else 1.0


def _axis_words(outcome: Outcome) -> str:
    """What a panel's values are: ``% of replications with a ceasefire``, ``troops (mean)``."""
    if outcome.unit == "share":
        return f"% of {outcome.denominator_label}"
    if outcome.kind == "quantity":
        return f"{outcome.unit} (mean over {outcome.denominator_label})"
    return f"{outcome.unit} ({outcome.denominator_label})"


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
    """Key outcomes of several scenarios side by side, each with its 95% simulation-noise interval.

    One panel per key outcome (shares in %, rates per ceasefire-year, a
    quantity's mean in its unit), each over its own denominator, which the
    panel's axis names; one row per scenario in the order given.
    """
    results = list(results)
    if not results:
        raise ValueError("comparison needs at least one result")
    with S.house_style():
        n = len(results)
        fig = S.new_figure(2.0 * len(OUTCOMES) + 1.6, 2.9 + 0.62 * max(n, 2))
        axes = fig.subplots(1, len(OUTCOMES), sharey=True)
        y = np.arange(n)[::-1]
        for ax, outcome in zip(axes, OUTCOMES):
            vals = np.array([[_nan(v) for v in outcome_value(r, outcome.name)] for r in results])
            scale = _scale(outcome)
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
            elif outcome.unit == "troops":
                top = np.nanmax(hi, initial=0)
                ax.set_xlim(0, max(top * 1.2, 1000))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _: L.troops_short(t)))
            else:
                top = np.nanmax(hi, initial=0)
                ax.set_xlim(0, top * 1.25 if top > 0 else 1)
            ax.set_xlabel("\n".join(_wrap_title(_axis_words(outcome), 24)), fontsize=8.5)
            ax.set_title("\n".join(_wrap_title(outcome.label, 24)), loc="left", fontsize=9.5)
            ax.grid(axis="x", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
            ax.tick_params(axis="y", length=0)
        axes[0].set_yticks(y, [_row_label(r) for r in results])
        axes[0].set_ylim(-0.6, n - 0.3)
        note = " ".join(x for x in (_threshold_note(results), _assumed_note(results)) if x)
        sub = (f"Dot: estimate; bar: {L.NOISE_INTERVAL}. Each outcome is over its own denominator, "
               f"named under its panel. {note}")
        S.frame(fig, "Scenarios side by side: the key outcomes", sub, comparison_footer(results))
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

        cols = math.ceil((len(OUTCOMES) + 1) / 2)
        fig = S.new_figure(3.6 * cols + 1.0, 7.9)
        axes = fig.subplots(2, cols).ravel()
        xs = np.arange(len(dates))
        for ax, outcome in zip(axes, OUTCOMES):
            scale = _scale(outcome)
            vals = np.array([[_nan(v) for v in outcome_value(r, outcome.name)] for r in line]) * scale
            ok = ~np.isnan(vals[:, 0])
            ax.errorbar(xs[ok], vals[ok, 0], yerr=[vals[ok, 0] - vals[ok, 1], vals[ok, 2] - vals[ok, 0]],
                        color=S.BLUE, marker="o", markersize=6, linewidth=1.8, capsize=3, elinewidth=1.0)
            for xi, (v, _, _), good, r in zip(xs, vals, ok, line):
                if good:
                    ax.annotate(_fmt(outcome, v / scale, r), (xi, v), xytext=(7, 0), textcoords="offset points",
                                va="center", ha="left", fontsize=8.5, path_effects=HALO)
                else:  # an empty denominator (e.g. never tested): said, not left blank
                    ax.annotate("n/a (n = 0)", (xi, 0), xytext=(0, 6), textcoords="offset points",
                                ha="center", va="bottom", fontsize=8, color=S.GREY, annotation_clip=False)
            for r, k in variants:
                v, lo, hi = (_nan(t) * scale for t in outcome_value(r, outcome.name))
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
                tops = [outcome_value(r, outcome.name)[2] * scale for r, _ in variants]
                top = max([top, *[t for t in tops if not math.isnan(_nan(t))]])
                if outcome.unit == "troops":
                    ax.set_ylim(0, max(top * 1.15, 1000))
                    ax.yaxis.set_major_formatter(FuncFormatter(lambda t, _: L.troops(t)))
                else:
                    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
            ax.set_ylabel("\n".join(_wrap_title(_axis_words(outcome), 34)), fontsize=8)
            ax.set_xticks(xs, [f"{d.day} {d:%b}\n{d:%Y}" for d in dates])
            ax.set_xlim(-0.6, len(dates) - 0.4)
            ax.set_title("\n".join(_wrap_title(outcome.label, 40)), loc="left", fontsize=10)
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
        sub = (f"Each moment is one scenario built from the reporting of its date; bars are {L.NOISE_INTERVAL}s; "
               f"each outcome is over its own denominator, named on its axis. {note}")
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
