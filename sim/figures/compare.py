"""Scenario against scenario: key outcomes side by side, and as a trend over the scenarios' dates.

Each scenario's numbers come from its own summary; nothing is re-simulated.
The outcomes are the key ones declared in :mod:`sim.model.outcomes`, each over
its own denominator with its 95% simulation-noise interval (a quantity shows
its mean).  When the scenarios ran on the same replications (one seed,
replications and block size, as ``compare`` runs them), the side-by-side figure
adds each scenario's paired difference against the first
(:func:`sim.results.compare.differences`).  An outcome a scenario assumes (the
ceasefire, when ``ceasefire.assumed_month`` is set) is marked "assumed" and is
never joined to estimated points by a line.
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
import pandas as pd

from ..model.outcomes import KEY_OUTCOMES, Outcome
from ..results import RunResult
from ..results.compare import assumed, assumes_ceasefire, ceasefire_dependent, differences
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


def outcome_spread(result: RunResult, name: str) -> tuple[float, float]:
    """(low, high) of one outcome's 90% spread across the assumptions, in the unit of
    :func:`outcome_value`; NaNs when the run has no two-level design."""
    a = result.summary[name].assumptions
    if a is None:
        return (math.nan, math.nan)
    return (_nan(a.low), _nan(a.high))


def _nan(x) -> float:
    return math.nan if x is None else float(x)


#: The assumption spread is drawn as a wide, light band behind the noise bar (as in the run figures).
SPREAD_COLOUR, SPREAD_ALPHA, SPREAD_WIDTH = S.ORANGE, 0.4, 9.0


def _spread_words(results: Sequence[RunResult]) -> str:
    if any(not math.isnan(outcome_spread(r, o.name)[0]) for r in results for o in OUTCOMES):
        return (f"Dot: estimate; dark bar: {L.NOISE_INTERVAL}; wide light band: {L.ASSUMPTION_SPREAD}, the range "
                "to quote.")
    return f"Dot: estimate; bar: {L.NOISE_INTERVAL} (the spread across the assumptions was not computed)."


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
    if result is not None and assumed(outcome, result.scenario):
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


def paired(results: Sequence[RunResult]) -> bool:
    """The results ran on the same replications (seed, replications, block size), as ``compare`` runs
    them: their differences can use the pairing."""
    return len(results) >= 2 and len({(r.seed, r.replications, r.block_size) for r in results}) == 1


def comparison(results: Sequence[RunResult], diffs: pd.DataFrame | None = None) -> Figure:
    """Key outcomes of several scenarios side by side, each with its 95% simulation-noise interval,
    and each scenario's difference against the first.

    Top row: one panel per key outcome (shares in %, rates per ceasefire-year,
    a quantity's mean in its unit), each over its own denominator, which the
    panel's axis names; one row per scenario in the order given.  Bottom row,
    when the scenarios ran on the same replications: the difference of each
    later scenario against the first (percentage points for shares) with its
    paired 95% simulation-noise interval, from ``diffs`` (the stored
    ``differences.csv``) or computed from the runs.  A difference that is not
    like for like (one scenario assumes a ceasefire, the other does not) is
    drawn hollow and grey and says so; an assumed one is not drawn.
    """
    results = list(results)
    if not results:
        raise ValueError("comparison needs at least one result")
    if diffs is None and paired(results):
        diffs = differences(results, OUTCOMES)
    show_diffs = diffs is not None and not diffs.empty and len(results) >= 2
    with S.house_style():
        n = len(results)
        height = 2.9 + 0.62 * max(n, 2) + (1.5 + 0.55 * max(n - 1, 1) if show_diffs else 0)
        fig = S.new_figure(2.0 * len(OUTCOMES) + 1.6, height)
        if show_diffs:
            grid = fig.add_gridspec(2, len(OUTCOMES), height_ratios=[max(n, 2) + 1.2, max(n - 1, 1) + 1.6])
            axes = [fig.add_subplot(grid[0, 0])]
            axes += [fig.add_subplot(grid[0, i], sharey=axes[0]) for i in range(1, len(OUTCOMES))]
            daxes = [fig.add_subplot(grid[1, 0])]
            daxes += [fig.add_subplot(grid[1, i], sharey=daxes[0]) for i in range(1, len(OUTCOMES))]
        else:
            axes, daxes = list(fig.subplots(1, len(OUTCOMES), sharey=True)), []
        y = np.arange(n)[::-1]
        for ax, outcome in zip(axes, OUTCOMES):
            vals = np.array([[_nan(v) for v in outcome_value(r, outcome.name)] for r in results])
            scale = _scale(outcome)
            v, lo, hi = (vals[:, i] * scale for i in range(3))
            ok = ~np.isnan(v)
            spread = np.array([outcome_spread(r, outcome.name) for r in results], dtype=float) * scale
            has = ok & ~np.isnan(spread[:, 0]) & np.array([not assumed(outcome, r.scenario) for r in results])
            ax.hlines(y[has], spread[has, 0], spread[has, 1], color=SPREAD_COLOUR, linewidth=SPREAD_WIDTH,
                      alpha=SPREAD_ALPHA, zorder=1)
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
                top = np.nanmax(np.append(hi, spread[has, 1]), initial=0)
                ax.set_xlim(0, max(top * 1.2, 1000))
                ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _: L.troops_short(t)))
            else:
                top = np.nanmax(np.append(hi, spread[has, 1]), initial=0)
                ax.set_xlim(0, top * 1.25 if top > 0 else 1)
            ax.set_xlabel("\n".join(_wrap_title(_axis_words(outcome), 24)), fontsize=8.5)
            ax.set_title("\n".join(_wrap_title(outcome.label, 24)), loc="left", fontsize=9.5)
            ax.grid(axis="x", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
            ax.tick_params(axis="y", length=0)
            if ax is not axes[0]:
                ax.tick_params(axis="y", labelleft=False)
        axes[0].set_yticks(y, [_row_label(r) for r in results])
        axes[0].set_ylim(-0.6, n - 0.3)
        if show_diffs:
            _difference_panels(daxes, results, diffs)
        note = " ".join(x for x in (_threshold_note(results), _assumed_note(results)) if x)
        sub = (f"{_spread_words(results)} Each outcome is over its own denominator, "
               f"named under its panel. {note}")
        if show_diffs:
            sub += (f" Bottom row: each scenario minus {results[0].scenario.id}, paired by replication (every "
                    "scenario ran on the same random numbers), so the bar is the noise in the difference itself; "
                    "hollow grey: not like for like.")
        elif len(results) >= 2:
            sub += " No differences: the scenarios did not run on the same seed and replications."
        S.frame(fig, "Scenarios side by side: the key outcomes", sub, comparison_footer(results))
        return fig


def _difference_words(outcome: Outcome) -> str:
    if outcome.unit == "share":
        return "difference, percentage points"
    if outcome.kind == "quantity":
        return f"difference of means, {outcome.unit}"
    return f"difference, {outcome.unit}"


def _difference_panels(daxes, results: Sequence[RunResult], diffs: pd.DataFrame) -> None:
    """The bottom row of :func:`comparison`: each later scenario minus the first, per outcome."""
    others = results[1:]
    y = np.arange(len(others))[::-1]
    against = results[0].scenario.id
    for ax, outcome in zip(daxes, OUTCOMES):
        scale = _scale(outcome)
        rows = diffs[diffs["outcome"] == outcome.name].set_index("scenario")
        ax.axvline(0, color=S.GREY, linewidth=0.9)
        reach = [0.0]
        for yi, r in zip(y, others):
            sid = r.scenario.id
            if sid not in rows.index:
                continue
            row = rows.loc[sid]
            if isinstance(row, pd.DataFrame):  # two variants with one id: keep them apart by order
                row = row.iloc[list(rows.index).count(sid) - 1]
            note = str(row.get("note", "") or "")
            if note.startswith("assumed"):
                ax.text(0.5, yi, note, transform=ax.get_yaxis_transform(), ha="center", va="center",
                        fontsize=8, color=S.GREY, style="italic")
                continue
            d, lo, hi = (_nan(row[k]) * scale for k in ("difference", "low", "high"))
            if math.isnan(d):
                ax.text(0.5, yi, "n/a (n = 0)", transform=ax.get_yaxis_transform(), ha="center", va="center",
                        fontsize=8, color=S.GREY)
                continue
            like = bool(row.get("comparable", True))
            colour = S.BLUE if like else S.GREY
            if not (math.isnan(lo) or math.isnan(hi)):
                ax.hlines([yi], [lo], [hi], color=colour, linewidth=2.2, alpha=0.45 if like else 0.35)
                reach += [abs(lo), abs(hi)]
            ax.plot([d], [yi], "o", color=colour, mfc=colour if like else "white", markersize=6.5)
            reach.append(abs(d))
            words = f"{d:+.1f} pts" if outcome.unit == "share" else ("+" if d > 0 else "") + L.number(d, outcome.unit)
            ax.annotate(words, (d, yi), xytext=(0, 7),
                        textcoords="offset points", ha="center", va="bottom", fontsize=8,
                        color=S.INK if like else S.GREY, path_effects=HALO)
        top = max(reach) * 1.35
        ax.set_xlim(-top, top) if top > 0 else ax.set_xticks([])
        if outcome.unit == "troops":
            ax.xaxis.set_major_formatter(FuncFormatter(lambda t, _: L.troops_short(t)))
        ax.set_xlabel("\n".join(_wrap_title(_difference_words(outcome), 24)), fontsize=8.5)
        ax.grid(axis="x", color=S.LIGHT_GREY, linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="y", length=0)
        if ax is not daxes[0]:
            ax.tick_params(axis="y", labelleft=False)
    unlike = {r.scenario.id for r in others if assumes_ceasefire(r.scenario) != assumes_ceasefire(results[0].scenario)}
    daxes[0].set_yticks(y, [f"{r.scenario.id}\nminus {against}" + ("\n(not like for like)" if r.scenario.id in unlike
                                                                   else "") for r in others])
    daxes[0].set_ylim(-0.7, len(others) - 0.2)


def _wrap_title(text: str, width: int = 26) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


# --------------------------------------------------------------------------- over time


def _trend_segments(outcome: Outcome, line: Sequence[RunResult], estimated: np.ndarray) -> list[list[int]]:
    """Runs of consecutive moments a trend line may join: estimated (not assumed, not n/a), and for a
    ceasefire-dependent outcome, all conditional on a ceasefire or all not (a line from one kind to
    the other would draw a change that is only the assumption)."""
    segments: list[list[int]] = []
    for i, r in enumerate(line):
        if not estimated[i]:
            continue
        prev = i - 1
        joined = (segments and segments[-1][-1] == prev and (
            not ceasefire_dependent(outcome) or assumes_ceasefire(line[prev].scenario) == assumes_ceasefire(r.scenario)))
        if joined:
            segments[-1].append(i)
        else:
            segments.append([i])
    return [seg for seg in segments if len(seg) > 1]


def comparison_trend(results: Sequence[RunResult]) -> Figure | None:
    """The key outcomes as a trend over the scenarios' ``as_of`` dates; None without two dates.

    Scenarios without a date are left out.  Moments are shown in date order,
    evenly spaced (not to scale: two of them may be a week apart).  When
    several scenarios share a date, the first given carries the trend line
    and the others are drawn as open markers beside it (variants).
    An outcome a scenario assumes (the ceasefire share of one with
    ``ceasefire.assumed_month``) is an open grey marker labelled "assumed" and
    no line runs to it; a ceasefire-dependent outcome's line joins only moments
    of the same kind (all conditional on a ceasefire, or none).
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
            given = np.array([assumed(outcome, r.scenario) for r in line], dtype=bool)
            est = ok & ~given
            spread = np.array([outcome_spread(r, outcome.name) for r in line], dtype=float) * scale
            has = est & ~np.isnan(spread[:, 0])
            ax.vlines(xs[has], spread[has, 0], spread[has, 1], color=SPREAD_COLOUR, linewidth=SPREAD_WIDTH,
                      alpha=SPREAD_ALPHA, zorder=1)
            ax.errorbar(xs[est], vals[est, 0], yerr=[vals[est, 0] - vals[est, 1], vals[est, 2] - vals[est, 0]],
                        color=S.BLUE, marker="o", markersize=6, linestyle="none", capsize=3, elinewidth=1.0)
            for seg in _trend_segments(outcome, line, est):
                ax.plot(xs[seg], vals[seg, 0], "-", color=S.BLUE, linewidth=1.8, label="trend")
            for xi, (v, _, _), good, r in zip(xs, vals, ok, line):
                if good and assumed(outcome, r.scenario):  # set by the scenario, not estimated: no line
                    ax.plot([xi], [v], "o", color=S.GREY, mfc="white", markersize=6, label="assumed")
                    ax.annotate(f"{_fmt(outcome, v / scale)} assumed", (xi, v), xytext=(7, 0),
                                textcoords="offset points", va="center", ha="left", fontsize=8.5, color=S.GREY,
                                style="italic", path_effects=HALO)
                elif good:
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
                top = np.nanmax(np.append(vals[:, 2], spread[has, 1]), initial=0)
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
        sub = (f"Each moment is one scenario built from the reporting of its date. {_spread_words(dated)} "
               f"Each outcome is over its own denominator, named on its axis. {note}")
        if any(assumes_ceasefire(r.scenario) for r in line) and not all(assumes_ceasefire(r.scenario) for r in line):
            sub += (" An assumed ceasefire is marked 'assumed' and left off the line, and no line joins a moment "
                    "that assumes a ceasefire to one that does not.")
        S.frame(fig, f"How the prospects moved from {first.scenario.as_of:%B %Y} to {last.scenario.as_of:%B %Y}",
                sub, comparison_footer(dated))
        return fig


# --------------------------------------------------------------------------- saving


def save_comparison_figures(results: Sequence[RunResult], folder: str | Path,
                            diffs: pd.DataFrame | None = None, svg: bool = False) -> list[Path]:
    """Write ``comparison`` (with the differences ``diffs``, the stored ``differences.csv``, or
    computed from the runs) and, when the scenarios have two or more dates, ``comparison_trend``
    (PNG, and SVG with ``svg``)."""
    results = list(results)
    written = save_figure(comparison(results, diffs), folder, "comparison", svg=svg)
    trend = comparison_trend(results)
    if trend is not None:
        written += save_figure(trend, folder, "comparison_trend", svg=svg)
    return written
