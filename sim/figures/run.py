"""Figures of one run: force size, troops by state, the outcome funnel, the timeline.

Each function reads a :class:`~sim.results.RunResult` (in memory or loaded
from a results folder) and returns a :class:`matplotlib.figure.Figure`; none
touches pyplot's global state, so they are safe under any backend.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .. import __version__
from ..results import RunResult
from ..results.summary import wilson
from . import labels as L
from . import style as S
from .save import save_figure


def run_footer(result: RunResult) -> str:
    """Provenance line of a run's figures: version, scenario id, replications, seed, block size."""
    return S.footer_text(
        __version__, f"scenario {result.scenario.id}", f"{result.replications:,} replications",
        str(result.seed), f"block size {result.block_size}",
    )


def _nice_width(span: float, bins: int = 30) -> float:
    """A round bin width (1, 2, 2.5 or 5 × 10^k troops) giving about ``bins`` bins."""
    raw = max(span, 1.0) / bins
    k = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if m * k >= raw:
            return m * k
    return 10 * k


# --------------------------------------------------------------------------- force distribution


def force_distribution(result: RunResult) -> Figure:
    """Histogram of the peak force in Ukraine (troops) in replications with a ceasefire.

    Replications with no troops in Ukraine at all get their own hatched bar
    left of the axis, so the share at zero is shown rather than hidden in the
    first bin.  Bars at or above the scenario's minimum effective size are
    dark, the rest light; the minimum and the target are marked and labelled.
    The subtitle gives P(force ≥ minimum | ceasefire) with its 95% Wilson
    interval (and the unconditional probability when not every replication
    has a ceasefire).
    """
    with S.house_style():
        sc = result.scenario
        runs = result.runs
        minimum = float(sc.thresholds.minimum_effective_force)
        target = float(sc.thresholds.target_force)
        given = runs.loc[runs["ceasefire"], "force_in_ukraine"].to_numpy(dtype=float)
        n, total = len(given), len(runs)

        fig = S.new_figure(8.5, 5.4)
        ax = fig.add_subplot()
        if n == 0:
            S.no_data(ax, "No replication reached a ceasefire, so no force was deployed.")
            S.frame(fig, "Force in Ukraine: no ceasefire in any replication", None, run_footer(result))
            return fig

        k_min = int((given >= minimum).sum())
        p_min, lo_min, hi_min = wilson(k_min, n)
        p_tgt, lo_tgt, hi_tgt = wilson(int((given >= target).sum()), n)
        zero = given <= 0
        share_zero = zero.mean()
        positive = given[~zero]

        span = max(float(given.max()), target * 1.08, minimum * 1.2, 1.0)
        w = _nice_width(span)
        start = minimum - w * math.floor(minimum / w)  # edges fall exactly on the minimum
        edges = np.arange(start, span + w, w)
        if start > 0:
            edges = np.concatenate([[0.0], edges])
        counts, edges = np.histogram(positive, bins=edges)
        heights = 100 * counts / n
        lefts, widths = edges[:-1], np.diff(edges)
        above = lefts >= minimum
        ax.bar(lefts[~above], heights[~above], width=widths[~above], align="edge",
               color=S.LIGHT_BLUE, edgecolor="white", linewidth=0.4)
        ax.bar(lefts[above], heights[above], width=widths[above], align="edge",
               color=S.BLUE, edgecolor="white", linewidth=0.4)

        # The zero bar: its own slot left of the axis, hatched.
        zx = -1.6 * w
        ax.bar([zx], [100 * share_zero], width=1.2 * w, color="white", edgecolor=S.VERMILLION,
               hatch="////", linewidth=1.0)
        top = max(heights.max(initial=0), 100 * share_zero) * 1.32 + 0.5
        ax.set_ylim(0, top)
        ax.annotate(f"No troops\nin Ukraine\n{L.pct(share_zero, 1)}", (zx, 100 * share_zero),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom",
                    fontsize=8.5, color=S.VERMILLION)

        for value, name, ls in ((minimum, "Minimum effective", "--"), (target, "Target", ":")):
            ax.axvline(value, color=S.BLACK, linestyle=ls, linewidth=1.2)
        if target > minimum:
            ax.text(minimum, top, f" Minimum effective\n {L.troops(minimum)}", ha="left", va="top", fontsize=8.5)
            ax.text(target, top, f" Target\n {L.troops(target)}", ha="left", va="top", fontsize=8.5)
        else:
            ax.text(minimum, top, f" Minimum = target\n {L.troops(minimum)}", ha="left", va="top", fontsize=8.5)

        ax.set_xlim(zx - w, edges[-1])
        # Direct label for the dark bars, in the band kept free above them (bars reach at most
        # 1/1.32 of the height), beside the minimum line on whichever side has room.
        frac = (minimum - (zx - w)) / (edges[-1] - (zx - w))
        ax.annotate(f"At or above the minimum:\n{L.short_interval(p_min, lo_min, hi_min)}",
                    (minimum, 0.84), xycoords=("data", "axes fraction"),
                    xytext=(6 if frac < 0.6 else -6, 0), textcoords="offset points",
                    ha="left" if frac < 0.6 else "right", va="top", color=S.BLUE, fontsize=9.5,
                    fontweight="bold")

        ticks = [t for t in ax.get_xticks() if 0 <= t <= edges[-1]]
        ax.set_xticks([zx, *ticks], ["none", *[L.troops(t) for t in ticks]])
        ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= min(100, top)])
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlabel("Peak force in Ukraine (troops)")
        ax.set_ylabel(f"Share of the {n:,} replications with a ceasefire")

        cond = "" if n == total else f" of the {n:,} replications with a ceasefire ({L.pct(n / total)} of all)"
        sub = (
            f"Given a ceasefire, the force reaches the minimum effective size of {L.troops(minimum)} troops "
            f"in {L.share_with_interval(p_min, lo_min, hi_min)}{cond}, and the target of {L.troops(target)} "
            f"in {L.share_with_interval(p_tgt, lo_tgt, hi_tgt)}. Median {L.troops(float(np.median(given)))} troops."
        )
        if n != total:
            d = result.summary["probabilities"]["force_ge_minimum"]
            sub += f" Counting replications without a ceasefire: {L.share_with_interval(d['p'], d['low'], d['high'])}."
        among = "replications" if n == total else "replications with a ceasefire"
        S.frame(fig, f"The force in Ukraine reaches the minimum effective size in {L.pct(p_min)} of {among}",
                sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- troops by state


def troops_by_state(result: RunResult, top: int | None = None) -> Figure:
    """Expected troops (mean over all replications) by state with 95% intervals.

    Shows the states with any expected troops (``top`` keeps the largest N).
    Solid bars are troops in Ukraine, hatched bars troops posted next to
    Ukraine on NATO territory.  Two columns on the right say which
    contributions depend on a US backstop (the lowest level the state
    requires) and which on a parliamentary vote.
    """
    with S.house_style():
        sc = result.scenario
        by_id = {s.id: s for s in sc.states}
        rows = [r for r in result.summary["states"] if r["expected_troops"] > 0]
        no_troops = [r["state"] for r in result.summary["states"] if not r["expected_troops"] > 0]
        hidden = 0
        if top is not None and len(rows) > top:
            hidden = len(rows) - top
            rows = rows[:top]

        height = 1.9 + 0.34 * max(len(rows), 3)
        fig = S.new_figure(9.5, height)
        if not rows:
            ax = fig.add_subplot()
            S.no_data(ax, "No state sends troops in any replication.")
            S.frame(fig, "No state sends troops", None, run_footer(result))
            return fig

        ax, tab = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3.2, 1.25]})
        y = np.arange(len(rows))[::-1]
        mean = np.array([r["expected_troops"] for r in rows])
        low = np.array([r["expected_troops_low"] for r in rows])
        high = np.array([r["expected_troops_high"] for r in rows])
        nearby = np.array([by_id[r["state"]].troops.deployment == "nearby" if r["state"] in by_id else False
                           for r in rows])
        ax.barh(y[~nearby], mean[~nearby], height=0.62, color=S.BLUE, edgecolor=S.BLUE)
        ax.barh(y[nearby], mean[nearby], height=0.62, color="white", edgecolor=S.ORANGE,
                hatch="////", linewidth=1.0)
        ax.errorbar(mean, y, xerr=[mean - low, high - mean], fmt="none", ecolor=S.BLACK,
                    elinewidth=1.0, capsize=2.5)
        xmax = float(high.max()) * 1.42
        for yi, m, hi, r in zip(y, mean, high, rows):
            deploys = L.pct(r["p_deploys"], 1 if r["p_deploys"] < 0.1 else 0)
            ax.text(hi + xmax * 0.012, yi, f"{L.troops(m)}  · deploys in {deploys}",
                    va="center", ha="left", fontsize=8.5)
        ax.set_xlim(0, xmax)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: L.troops(v)))
        ax.set_yticks(y, [f"{by_id[r['state']].name} ({r['state']})" if r["state"] in by_id else r["state"]
                          for r in rows])
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Expected troops (mean over all replications; bar = 95% interval)")
        ax.set_ylim(-0.7, len(rows) - 0.3)

        # The marks, as a small table that explains itself.
        tab.set_xlim(0, 1)
        tab.set_axis_off()
        for yi, r in zip(y, rows):
            st = by_id.get(r["state"])
            cond = L.us_condition(st.conditions.us_backstop_at_least) if st else None
            vote = st.parliament.vote_required if st else False
            tab.text(0.02, yi, cond.removeprefix("US ") if cond else "—", va="center", ha="left", fontsize=8.5,
                     color=S.INK if cond else S.GREY)
            tab.text(0.66, yi, "yes" if vote else "—", va="center", ha="left", fontsize=8.5,
                     color=S.INK if vote else S.GREY)
        head_y = len(rows) - 0.45
        tab.text(0.02, head_y, "Needs US\nbackstop", va="bottom", ha="left", fontsize=8.5, color=S.GREY)
        tab.text(0.66, head_y, "Needs a\nvote", va="bottom", ha="left", fontsize=8.5, color=S.GREY)

        handles = [Patch(facecolor=S.BLUE, edgecolor=S.BLUE, label="troops in Ukraine")]
        if nearby.any():
            handles.append(Patch(facecolor="white", edgecolor=S.ORANGE, hatch="////",
                                 label="troops next to Ukraine (NATO territory)"))
        ax.legend(handles=handles, loc="lower right", fontsize=8.5)

        notes = []
        if hidden:
            notes.append(f"{hidden} smaller contributors not shown.")
        if no_troops:
            notes.append(f"{len(no_troops)} of {len(sc.states)} states send no troops (other offers only).")
        us_dep = [r["state"] for r in rows if r["state"] in by_id
                  and L.us_condition(by_id[r["state"]].conditions.us_backstop_at_least)]
        who = ("Every contributor shown" if len(us_dep) == len(rows)
               else f"{len(us_dep)} of the {len(rows)} contributors shown")
        sub = (
            (f"{who} send{'s' if who.startswith('Every') else ''} troops only with at least the US backstop "
             "named on the right. " if us_dep else "")
            + "A failed parliamentary vote removes a state's troops. " + " ".join(notes)
        )
        names = [by_id[r["state"]].name if r["state"] in by_id else r["state"] for r in rows]
        in_ukraine = float(mean[~nearby].sum())
        lead = mean[~nearby][:2].sum() if (~nearby).sum() >= 2 else 0.0
        lead_names = [n for n, nb in zip(names, nearby) if not nb][:2]
        if len(lead_names) == 2 and lead > in_ukraine / 2:
            title = (f"{lead_names[0]} and {lead_names[1]} carry most of the {L.troops(in_ukraine)} "
                     "troops expected in Ukraine")
        else:
            title = f"{L.troops(in_ukraine)} troops expected in Ukraine, from {int((~nearby).sum())} states"
        S.frame(fig, title,
                sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- outcome funnel

#: The funnel's stages: summary probability name -> label on the chart.
FUNNEL = (
    ("ceasefire", "Ceasefire reached"),
    ("deployed", "Troops deployed in Ukraine"),
    ("violation", "Ceasefire violated"),
    ("detected", "Violation detected"),
    ("attributed", "Attributed to Russia"),
    ("activated", "Guarantee activated"),
)


def outcome_funnel(result: RunResult) -> Figure:
    """From ceasefire to activation: the share of all replications reaching each stage.

    Shares (%) with 95% Wilson intervals from the run's summary.  'Activated'
    is the test outcome ``activated``: an attributed violation on which enough
    of the coalition assisted.  The stages are not strictly nested (a
    violation can come before or without any deployment).
    """
    with S.house_style():
        probs = result.summary["probabilities"]
        fig = S.new_figure(8.5, 4.6)
        ax = fig.add_subplot()
        y = np.arange(len(FUNNEL))[::-1]
        p = np.array([probs[k]["p"] for k, _ in FUNNEL], dtype=float)
        lo = np.array([probs[k]["low"] for k, _ in FUNNEL], dtype=float)
        hi = np.array([probs[k]["high"] for k, _ in FUNNEL], dtype=float)
        colours = [S.BLUE] * (len(FUNNEL) - 1) + [S.VERMILLION]
        ax.barh(y, 100 * p, height=0.62, color=colours)
        ax.errorbar(100 * p, y, xerr=[100 * (p - lo), 100 * (hi - p)], fmt="none", ecolor=S.BLACK,
                    elinewidth=1.0, capsize=3)
        for yi, (k, _) in zip(y, FUNNEL):
            d = probs[k]
            ax.text(100 * d["high"] + 1.2, yi, L.short_interval(d["p"], d["low"], d["high"]), va="center",
                    fontsize=9, fontweight="bold" if k == "activated" else "normal")
        ax.set_yticks(y, [label for _, label in FUNNEL])
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 119)
        ax.set_xticks(np.arange(0, 101, 20))
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlabel("Share of all replications (%, with 95% interval)")
        cond = result.summary["conditional"]["activated_given_attributed"]
        act = probs["activated"]
        sub = (
            f"Of all {result.replications:,} replications. Given an attributed violation "
            f"({cond['n']:,} replications), the guarantee activates in "
            f"{L.share_with_interval(cond['p'], cond['low'], cond['high'])}. "
            "Activation is a political decision: enough of the coalition must choose to assist."
        )
        act_pct = L.pct(act["p"], L.share_decimals(act["low"], act["high"]))
        S.frame(fig, f"The guarantee is put to the test and activated in {act_pct} "
                     "of replications", sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- timeline

#: Timeline curves: column -> label and style; the order is the story's order.  'Activated'
#: is vermillion as in the funnel, and the darkest-drawn line after the black one.
CURVES = (
    ("ceasefire", "Ceasefire in force", {"color": S.BLACK, "linestyle": "-", "marker": "o"}),
    ("ratified", "Commitment ratified", {"color": S.BLUE, "linestyle": "--", "marker": "s"}),
    ("deployed", "Troops in Ukraine", {"color": S.GREEN, "linestyle": "-.", "marker": "^"}),
    ("violated", "Violated (so far)", {"color": S.ORANGE, "linestyle": ":", "marker": "D"}),
    ("activated", "Activated (so far)", {"color": S.VERMILLION, "linestyle": "-", "marker": "v"}),
)


def timeline(result: RunResult) -> Figure:
    """Share of replications (%) by month: ceasefire in force, ratified, troops deployed,
    violated so far and activated so far.  Months count from the start of the run."""
    with S.house_style():
        tl = result.timeline
        months = tl["month"].to_numpy()
        fig = S.new_figure(8.5, 5.0)
        ax = fig.add_subplot()
        curves = [c for c in CURVES if c[0] in tl.columns]
        every = max(1, len(months) // 8)
        ends = []
        for col, label, st in curves:
            v = 100 * tl[col].to_numpy(dtype=float)
            ax.plot(months, v, color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                    markevery=(every - 1, every), markersize=4.5, linewidth=1.8)
            ends.append(v[-1])
        ax.set_ylim(-2, 104)
        ax.set_xlim(months.min() - 0.5, months.max() + 0.5)
        pos = S.spread(ends, gap=6.5, low=0, high=103)
        for (col, label, st), end, yl in zip(curves, ends, pos):
            ax.annotate(f"{label} {end:.0f}%", xy=(months[-1], end), xytext=(months[-1] + 1.2, yl),
                        va="center", ha="left", fontsize=9, color=st["color"], annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": st["color"], "linewidth": 0.6,
                                    "shrinkA": 0, "shrinkB": 2} if abs(yl - end) > 1.5 else None)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlabel("Months from the start of the run")
        ax.set_ylabel("Share of replications")
        ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
        ax.set_axisbelow(True)
        assumed = result.scenario.ceasefire.assumed_month
        sub = (
            "Each line: share of replications at the end of each month. 'Violated' and 'activated' count "
            "every replication in which it has happened so far."
            + (f" A ceasefire is assumed from month {assumed} in every replication." if assumed is not None else "")
        )
        last = {c: 100 * float(tl[c].iloc[-1]) for c, _, _ in curves}
        violated = last.get("violated", float("nan"))
        title = (f"By month {int(months[-1])}, the ceasefire has been violated in {violated:.0f}% "
                 f"of replications and the guarantee activated in {last.get('activated', float('nan')):.0f}%")
        S.frame(fig, title, sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- saving

#: The run figures by file name, in reading order.
RUN_FIGURES = {
    "force_distribution": force_distribution,
    "troops_by_state": troops_by_state,
    "outcome_funnel": outcome_funnel,
    "timeline": timeline,
}


def save_run_figures(result: RunResult, folder) -> list[Path]:
    """Write the four run figures as PNG and SVG into ``folder``; return the paths (PNG, SVG per figure)."""
    written: list[Path] = []
    for name, draw in RUN_FIGURES.items():
        written += save_figure(draw(result), folder, name)
    return written
