"""Figures of one run: force size, troops by state, the outcome funnel, the timeline, survival.

Each function reads a :class:`~sim.results.RunResult` (in memory or loaded
from a results folder) and returns a :class:`matplotlib.figure.Figure`; none
touches pyplot's global state, so they are safe under any backend.  Numbers
come from the run's :class:`~sim.results.summary.Summary`, outcome labels and
denominators from their declarations (:mod:`sim.model.outcomes`).  Whiskers
and bands are 95% simulation-noise intervals; where the run has its two-level
design, the 90% spread across the assumptions (the range to quote) is drawn
apart from them, wider and lighter, and the timeline gets a fan chart of it
(:func:`timeline_fan`).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .. import __version__
from ..model.outcomes import BY_NAME, DENOMINATORS
from ..results import RunResult
from ..results.summary import denominator, share_estimate
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
    """Histogram of the peak force in Ukraine (troops) over its denominator (replications with a ceasefire).

    Replications with no troops in Ukraine at all get their own hatched bar
    left of the axis, so the share at zero is shown rather than hidden in the
    first bin.  Bars at or above the scenario's minimum effective size are
    dark, the rest light; the minimum and the target are marked and labelled.
    The subtitle gives the summary's shares at or above the minimum and the
    target, with their simulation-noise intervals.
    """
    with S.house_style():
        sc = result.scenario
        runs = result.runs
        summary = result.summary
        force = BY_NAME["force_in_ukraine"]
        at_min, at_target = summary["force_ge_minimum"], summary["force_ge_target"]
        minimum = float(sc.thresholds.minimum_effective_force)
        target = float(sc.thresholds.target_force)
        given = runs.loc[denominator(runs, force.denominator), force.source].to_numpy(dtype=float)
        n = len(given)

        fig = S.new_figure(8.5, 5.4)
        ax = fig.add_subplot()
        if n == 0:
            S.no_data(ax, "No replication reached a ceasefire, so no force was deployed.")
            S.frame(fig, "Force in Ukraine: no ceasefire in any replication", None, run_footer(result))
            return fig

        p_min, lo_min, hi_min = at_min.p, at_min.noise.low, at_min.noise.high
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
        quote = L.short_spread(at_min)
        # Bars reach at most 1/1.32 of the height (1/1.5 with the spread's extra line), leaving a band
        # free for the direct label.
        top = max(heights.max(initial=0), 100 * share_zero) * (1.5 if quote else 1.32) + 0.5
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
        # Direct label for the dark bars, in the band kept free above them, beside the minimum line on
        # whichever side has room.
        frac = (minimum - (zx - w)) / (edges[-1] - (zx - w))
        ax.annotate(f"At or above the minimum:\n{L.short_interval(p_min, lo_min, hi_min)}"
                    + (f"\n{quote} across the assumptions" if quote else ""),
                    (minimum, 0.84), xycoords=("data", "axes fraction"),
                    xytext=(6 if frac < 0.6 else -6, 0), textcoords="offset points",
                    ha="left" if frac < 0.6 else "right", va="top", color=S.BLUE, fontsize=9.5,
                    fontweight="bold")

        ticks = [t for t in ax.get_xticks() if 0 <= t <= edges[-1]]
        ax.set_xticks([zx, *ticks], ["none", *[L.troops(t) for t in ticks]])
        ax.set_yticks([t for t in ax.get_yticks() if 0 <= t <= min(100, top)])
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlabel(f"{force.label} ({force.unit})")
        ax.set_ylabel(f"Share of the {n:,} {force.denominator_label}")

        sub = " ".join(
            f"{e.label}: {L.estimate_phrase(e)}" + (f"; {L.spread_phrase(e)}." if L.has_spread(e) else ".")
            for e in (at_min, at_target)
        ) + f" Median {L.troops(summary[force.name].quantiles['q50'])} troops."
        S.frame(fig, f"The force in Ukraine reaches the minimum effective size in {L.pct(p_min)} of "
                     f"{force.denominator_label}" + (f" ({quote} across the assumptions)" if quote else ""),
                sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- troops by state


def troops_by_state(result: RunResult, top: int | None = None) -> Figure:
    """Expected troops (mean over all replications) by state with 95% simulation-noise intervals.

    Shows the states with any expected troops (``top`` keeps the largest N).
    Solid bars are troops in Ukraine, hatched bars troops posted next to
    Ukraine on NATO territory.  Two columns on the right say which
    contributions depend on a US backstop (the lowest level the state
    requires) and which on a parliamentary vote.
    """
    with S.house_style():
        sc = result.scenario
        by_id = {s.id: s for s in sc.states}
        rows = [r.model_dump() for r in result.summary.states if r.expected_troops > 0]
        no_troops = [r.state for r in result.summary.states if not r.expected_troops > 0]
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
        ax.set_xlabel(f"Expected troops (mean over all replications; bar = {L.NOISE_INTERVAL})")
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
            + "A failed vote or a withdrawn mandate removes a state's troops. " + " ".join(notes)
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

def funnel_stages(result: RunResult) -> list[tuple[str, object]]:
    """The funnel's stages, each nested in the one before: (label, share estimate over the stage before).

    Ceasefire (of all replications) → violation (of those with a ceasefire) →
    attributed (of those with a violation) → guarantee in force when tested (of
    those with an attributed violation) → activated (of those tested).  The
    fourth is the complement of ``no_guarantee``; its label is the declared
    ``tested`` denominator's words, and its assumption spread is the complement
    of ``no_guarantee``'s.
    """
    s = result.summary
    no_guarantee = s["no_guarantee"]
    tested = s["activated"].n
    in_force = share_estimate("no_guarantee", tested, no_guarantee.n)  # the complement, over attributed
    a = no_guarantee.assumptions
    if a is not None:
        in_force = in_force.model_copy(update={"assumptions": a.model_copy(
            update={"low": 1.0 - a.high, "high": 1.0 - a.low})})
    words = DENOMINATORS["tested"].removeprefix("replications whose ")
    return [
        (s["ceasefire"].label, s["ceasefire"]),
        (s["violation"].label, s["violation"]),
        (s["attributed"].label, s["attributed"]),
        (words[:1].upper() + words[1:], in_force),
        (s["activated"].label, s["activated"]),
    ]


#: The assumption spread is drawn wider and lighter than the bar and its noise whisker.
SPREAD_COLOUR = S.ORANGE
SPREAD_ALPHA = 0.45
#: Text about the spread: a dark orange that reads on white and in grey.
SPREAD_INK = "#8A5A00"


def spread_key(with_spread: bool) -> str:
    """The sentence that says which interval is which, and which to quote."""
    if not with_spread:
        return (f"Whiskers: {L.NOISE_INTERVAL} (how far more replications could move the estimate); the spread "
                "across the assumptions was not computed for this run.")
    return (f"Black whisker: {L.NOISE_INTERVAL} (how far more replications could move the estimate). Wide light "
            f"band: {L.ASSUMPTION_SPREAD} (the range the scenario's own doubts allow) — the range to quote.")


def outcome_funnel(result: RunResult) -> Figure:
    """From ceasefire to activation: each stage as a share of the stage before it.

    Bars are shares (%) with their 95% simulation-noise (Wilson) intervals as
    black whiskers and, when the run has its two-level design, the 90% spread
    across the assumptions as a wider, lighter band.  A column on the right
    gives each stage's numbers: the estimate with its noise interval, the
    spread (the range to quote) and the count over its denominator in words.
    The stages are nested, so the counts shrink down the funnel.
    """
    with S.house_style():
        stages = funnel_stages(result)
        with_spread = any(L.has_spread(e) for _, e in stages)
        fig = S.new_figure(10.0, 5.8)
        ax, tab = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [2.3, 1.35]})
        y = np.arange(len(stages))[::-1]
        p = np.array([e.p for _, e in stages], dtype=float)
        lo = np.array([e.noise.low for _, e in stages], dtype=float)
        hi = np.array([e.noise.high for _, e in stages], dtype=float)
        ok = ~np.isnan(p)
        colours = [S.BLUE] * (len(stages) - 1) + [S.VERMILLION]
        ax.barh(y, np.where(ok, 100 * p, 0), height=0.56, color=colours, zorder=2)
        for yi, (_, e) in zip(y, stages):
            if L.has_spread(e):
                a = e.assumptions
                width = max(100 * (a.high - a.low), 0.6)  # a spread of zero still shows where it is
                ax.barh([yi], [width], left=[100 * a.low - (width - 100 * (a.high - a.low)) / 2], height=0.86,
                        color=SPREAD_COLOUR, alpha=SPREAD_ALPHA, edgecolor=SPREAD_COLOUR, linewidth=0.8, zorder=1)
        ax.errorbar(100 * p[ok], y[ok], xerr=[100 * (p - lo)[ok], 100 * (hi - p)[ok]], fmt="none",
                    ecolor=S.BLACK, elinewidth=1.2, capsize=3.5, zorder=4)
        ax.set_yticks(y, ["\n".join(_wrap(label, 30)) for label, _ in stages])
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 102)
        ax.set_ylim(-0.6, len(stages) - 0.4)
        ax.set_xticks(np.arange(0, 101, 20))
        ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_xlabel("Share of the stage above (%)")
        ax.grid(axis="x", color=S.LIGHT_GREY, linewidth=0.6)
        ax.set_axisbelow(True)

        # The numbers, as a small table beside the bars: estimate (noise), the range to quote, the count.
        tab.set_xlim(0, 1)
        tab.set_axis_off()
        for yi, (label, e), good in zip(y, stages, ok):
            value = L.short_interval(e.p, e.noise.low, e.noise.high) if good else "n/a"
            tab.text(0.0, yi + 0.3, value, va="center", ha="left", fontsize=9.5, color=S.INK,
                     fontweight="bold" if e.name == "activated" else "normal")
            if L.has_spread(e):
                quote = L.short_spread(e)
                tab.text(0.0, yi + 0.05, f"across the assumptions {quote}" if quote else
                         "no spread across the assumptions", va="center", ha="left", fontsize=8.5, color=SPREAD_INK)
            tab.text(0.0, yi - 0.12, "\n".join(_wrap(f"{e.k:,} of {e.n:,} {e.denominator_label}", 50)),
                     va="top", ha="left", fontsize=7.5, color=S.GREY, linespacing=1.0)
        head = len(stages) - 0.45
        tab.text(0.0, head, "Estimate (95% simulation-noise interval)" + ("\n90% spread across the assumptions"
                                                                          if with_spread else ""),
                 va="bottom", ha="left", fontsize=8, color=S.GREY)

        handles = [Line2D([], [], color=S.BLACK, marker="|", markersize=9, linewidth=1.2,
                          label=f"{L.NOISE_INTERVAL}")]
        if with_spread:
            handles.append(Patch(facecolor=SPREAD_COLOUR, alpha=SPREAD_ALPHA, edgecolor=SPREAD_COLOUR,
                                 label=f"{L.ASSUMPTION_SPREAD}: quote this"))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8.5,
                  handlelength=1.6)

        act = result.summary["activated"]
        overall = act.k / result.replications if result.replications else math.nan
        sub = (
            f"Each bar is a share of the replications that reached the stage above it; the first is of all "
            f"{result.replications:,}. Of all replications, {L.pct(overall, 1)} reach activation. "
            + spread_key(with_spread)
        )
        title = (f"When the guarantee is tested, it activates in {L.pct(act.p)} of cases"
                 if act.n else "The guarantee is never tested in this run")
        if act.n and L.has_spread(act) and L.short_spread(act) and \
                L.number(act.assumptions.low, "share") != L.number(act.assumptions.high, "share"):
            title += f" ({L.short_spread(act)} across the assumptions)"
        S.frame(fig, title, sub, run_footer(result))
        return fig


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)


# --------------------------------------------------------------------------- timeline

#: Timeline shares: column -> style; the order is the story's order.  'Activated' is vermillion
#: as in the funnel.  Labels are :data:`labels.TIMELINE_LABELS` (per-month states, not outcomes).
CURVES = (
    ("ceasefire", {"color": S.BLACK, "linestyle": "-", "marker": "o"}),
    ("guarantee_in_force", {"color": S.BLUE, "linestyle": "--", "marker": "s"}),
    ("deployed", {"color": S.GREEN, "linestyle": "-.", "marker": "^"}),
    ("violated", {"color": S.ORANGE, "linestyle": ":", "marker": "D"}),
    ("activated", {"color": S.VERMILLION, "linestyle": "-", "marker": "v"}),
    ("collapsed", {"color": S.PURPLE, "linestyle": "--", "marker": "x"}),
)
#: Russia's actions each month (the lower panel).
ACTION_CURVES = (
    ("probe", {"color": S.SKY_BLUE, "linestyle": "-"}),
    ("limited", {"color": S.ORANGE, "linestyle": "-"}),
    ("major", {"color": S.VERMILLION, "linestyle": "-"}),
)


def timeline(result: RunResult) -> Figure:
    """Month by month.  Upper panel: share of all replications (%) with a ceasefire in force, the
    guarantee in force, troops in Ukraine, and violated, activated and collapsed so far.  Lower
    panel: Russia's actions that month (probes, limited violations, major offensives) per 100
    replications in a ceasefire that month.  Months count from the start of the run."""
    with S.house_style():
        counts = result.timeline_counts
        tl = result.timeline
        months = tl["month"].to_numpy()
        fig = S.new_figure(8.8, 7.4)
        ax, bx = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.1, 1.0], "hspace": 0.12})
        curves = [c for c in CURVES if c[0] in tl.columns]
        every = max(1, len(months) // 8)
        ends = []
        for col, st in curves:
            v = 100 * tl[col].to_numpy(dtype=float)
            ax.plot(months, v, color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                    markevery=(every - 1, every), markersize=4.5, linewidth=1.8)
            ends.append(v[-1])
        ax.set_ylim(-2, 104)
        ax.set_xlim(months.min() - 0.5, months.max() + 0.5)
        pos = S.spread(ends, gap=6.5, low=0, high=103)
        for (col, st), end, yl in zip(curves, ends, pos):
            ax.annotate(f"{L.TIMELINE_LABELS[col]} {end:.0f}%", xy=(months[-1], end), xytext=(months[-1] + 1.2, yl),
                        va="center", ha="left", fontsize=9, color=st["color"], annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": st["color"], "linewidth": 0.6,
                                    "shrinkA": 0, "shrinkB": 2} if abs(yl - end) > 1.5 else None)
        ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
        ax.set_ylabel("Share of all replications")
        ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
        ax.set_axisbelow(True)

        in_cf = counts["ceasefire"].to_numpy(dtype=float) if "ceasefire" in counts else np.zeros(len(months))
        actions = [c for c in ACTION_CURVES if c[0] in counts.columns]
        b_ends = []
        for col, st in actions:
            per100 = 100 * np.divide(counts[col].to_numpy(dtype=float), in_cf, out=np.full(len(months), np.nan),
                                     where=in_cf > 0)
            bx.plot(months, per100, color=st["color"], linestyle=st["linestyle"], linewidth=1.6)
            b_ends.append(float(np.nanmean(per100)) if np.isfinite(per100).any() else 0.0)
        top = max([float(np.nanmax(100 * counts[c].to_numpy(dtype=float) / np.where(in_cf > 0, in_cf, np.nan)))
                   if (in_cf > 0).any() else 0.0 for c, _ in actions] + [1.0])
        bx.set_ylim(0, top * 1.15)
        b_pos = S.spread(b_ends, gap=top * 0.16, low=0, high=top * 1.1)
        for (col, st), yl in zip(actions, b_pos):
            bx.annotate(f"{L.TIMELINE_LABELS[col]}", xy=(months[-1] + 1.2, yl), va="center", ha="left",
                        fontsize=9, color=st["color"], annotation_clip=False)
        bx.set_ylabel("Per 100 replications\nin a ceasefire")
        bx.set_xlabel("Months from the start of the run")
        bx.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
        bx.set_axisbelow(True)

        assumed = result.scenario.ceasefire.assumed_month
        sub = (
            "Upper panel: share of all replications at the end of each month; 'so far' lines count every "
            "replication in which it has happened. Lower panel: Russia's actions that month, per 100 "
            "replications whose ceasefire holds that month."
            + (f" A ceasefire is assumed from month {assumed} in every replication." if assumed is not None else "")
        )
        last = {c: 100 * float(tl[c].iloc[-1]) for c, _ in curves}
        title = (f"By month {int(months[-1])}, the ceasefire has been violated in {last.get('violated', math.nan):.0f}% "
                 f"of replications and the guarantee activated in {last.get('activated', math.nan):.0f}%")
        S.frame(fig, title, sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- fan chart

#: The fan chart's panels: a series of :func:`sim.results.spread.fan` and its colour, in the story's order.
FAN_SERIES = (("ceasefire", S.BLACK), ("violated", S.ORANGE), ("collapsed", S.PURPLE))


def _fan_pct(v: float) -> str:
    return f"{100 * v:.1f}%" if 0 < v < 0.1 else f"{100 * v:.0f}%"


def timeline_fan(result: RunResult) -> Figure:
    """A fan chart of the timeline across the assumptions: by month from the start of the run, the
    share of a draw's replications (%) that have reached a ceasefire, seen it violated, and seen it
    collapse so far.

    The bands are quantiles over the outer draws of the run's two-level design
    (:func:`sim.results.spread.fan`, each draw's own binomial noise removed): the
    5th–95th percentile (light, the range to quote), the 25th–75th (dark) and
    the median draw (line).  A series that is the same in every draw and month
    (a ceasefire assumed from month 0) gets no panel; a run without a two-level
    design gets a figure that says so.
    """
    from ..results.spread import fan

    with S.house_style():
        horizon = result.scenario.run.horizon_months
        design = result.spread_runs
        fig = S.new_figure(11.0, 4.9)
        if design is None or design.empty:
            ax = fig.add_subplot()
            S.no_data(ax, "This run has no two-level design, so there is no spread across the assumptions "
                          "to draw (run it with --spread-points K).")
            S.frame(fig, "Timeline across the assumptions: not computed", None, run_footer(result))
            return fig
        bands = fan(design, horizon)
        points = int(design["point"].nunique())
        inner = result.spread_inner or int(round(len(design) / max(points, 1)))
        shown, flat = [], []
        for series, colour in FAN_SERIES:
            b = bands[bands["series"] == series].sort_values("month")
            if b.empty:
                continue
            if b["q05"].nunique() == 1 and b["q95"].nunique() == 1 and b["q05"].iloc[0] == b["q95"].iloc[0]:
                flat.append((series, float(b["q50"].iloc[0])))
                continue
            shown.append((series, colour, b))
        grid = fig.add_gridspec(2, max(len(shown), 1), height_ratios=[1.0, 0.07])
        axes = [fig.add_subplot(grid[0, i]) for i in range(max(len(shown), 1))]
        key = fig.add_subplot(grid[1, :])
        key.set_axis_off()
        for ax, (series, colour, b) in zip(axes, shown):
            m = b["month"].to_numpy()
            q = {k: 100 * b[k].to_numpy(dtype=float) for k in ("q05", "q25", "q50", "q75", "q95")}
            ax.fill_between(m, q["q05"], q["q95"], color=colour, alpha=0.18, linewidth=0)
            ax.fill_between(m, q["q25"], q["q75"], color=colour, alpha=0.42, linewidth=0)
            ax.plot(m, q["q50"], color=colour, linewidth=2.0)
            ax.set_title(L.FAN_LABELS[series], loc="left", fontsize=11, fontweight="bold")
            top = float(np.nanmax(q["q95"])) if np.isfinite(q["q95"]).any() else 1.0
            top = 100.0 if top > 60 else max(top * 1.3, 1.0)
            ax.set_ylim(0, top)
            ax.set_xlim(m.min(), m.max())
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=1 if top < 5 else 0))
            ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
            ax.set_xlabel("Months from the start of the run")
            last = b.iloc[-1]
            ax.annotate(f"month {int(last['month'])}: median {_fan_pct(last['q50'])}\n"
                        f"90% of draws {_fan_pct(last['q05'])}–{_fan_pct(last['q95'])}",
                        xy=(0.03, 0.97), xycoords="axes fraction", ha="left", va="top", fontsize=8.5,
                        color=S.INK, path_effects=[patheffects.withStroke(linewidth=3, foreground="white")])
        axes[0].set_ylabel("Share of a draw's replications")
        if not shown:
            S.no_data(axes[0], "Every draw of the assumptions gives the same timeline.")
        handles = [Patch(facecolor=S.GREY, alpha=0.18, label="5–95% of the draws (90% spread: the range to quote)"),
                   Patch(facecolor=S.GREY, alpha=0.42, label="25–75% of the draws"),
                   Line2D([], [], color=S.GREY, linewidth=2.0, label="median draw")]
        key.legend(handles=handles, loc="center", ncol=3, fontsize=8.5)

        notes = []
        for series, value in flat:
            assumed = result.scenario.ceasefire.assumed_month
            if series == "ceasefire" and assumed is not None:
                notes.append(f"A ceasefire is assumed from month {assumed} in every replication, so it has no panel.")
            else:
                notes.append(f"{L.FAN_LABELS[series]} is {_fan_pct(value)} in every draw and month, so it has no panel.")
        sub = (f"Bands across {points} draws of the scenario's uncertain parameters, {inner:,} replications each, with "
               "each draw's own simulation noise removed. Dark band: the middle half of the draws; light band: 90% "
               "of them, the range to quote; line: the median draw. " + " ".join(notes)
               + (" Note the different vertical scales." if len(shown) > 1 else ""))
        violated = bands[bands["series"] == "violated"].sort_values("month")
        if len(violated) and any(sv == "violated" for sv, _, _ in shown):
            v = violated.iloc[-1]
            title = (f"By month {int(v['month'])}, the ceasefire has been violated in {_fan_pct(v['q05'])}–"
                     f"{_fan_pct(v['q95'])} of replications across the assumptions (median {_fan_pct(v['q50'])})")
        else:
            title = "The timeline across the assumptions"
        S.frame(fig, title, sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- survival


def survival(result: RunResult) -> Figure:
    """Kaplan–Meier curves by month since the ceasefire, over the replications with one: the share
    whose ceasefire has not collapsed, and the share not yet violated, each with its pointwise
    95% simulation-noise (Greenwood) band.  A replication leaves the count when its ceasefire ends
    (the horizon, or a collapse) without the event: it is censored, not counted as a success."""
    with S.house_style():
        curves = result.summary.survival
        panels = [("collapsed", "The ceasefire holds", S.BLUE), ("months_to_violation", "No violation yet", S.ORANGE)]
        fig = S.new_figure(11.0, 4.9)
        axes = fig.subplots(1, 2, sharex=True)
        for ax, (name, title, colour) in zip(axes, panels):
            c = curves[name]
            months = np.asarray(c.months, dtype=float)
            surv, low, high = (100 * np.asarray(v, dtype=float) for v in (c.survival, c.low, c.high))
            ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=18)
            ax.text(0, 1.02, f"event: {c.label}", transform=ax.transAxes, fontsize=8, color=S.GREY, va="bottom")
            if c.n == 0:
                S.no_data(ax, f"No {BY_NAME[name].denominator_label}.")
                continue
            ax.fill_between(months, low, high, step="post", color=colour, alpha=0.2, linewidth=0)
            ax.step(months, surv, where="post", color=colour, linewidth=2.0)
            bottom = np.nanmin(low) if np.isfinite(low).any() else np.nanmin(surv)
            floor = max(0.0, 5 * math.floor((bottom - 3) / 5))
            ax.set_ylim(floor, 100.6)
            ax.set_yticks([t for t in ax.get_yticks() if floor <= t <= 100])
            ax.yaxis.set_major_formatter(PercentFormatter(decimals=0))
            decimals = 1 if floor >= 50 else 0
            ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
            ax.set_axisbelow(True)
            for m in (12, 24, 36, int(months[-1])):
                if m <= months[-1]:
                    i = int(np.searchsorted(months, m, side="right") - 1)
                    ax.plot([m], [surv[i]], "o", color=colour, markersize=4)
                    ax.annotate(f"{surv[i]:.{decimals}f}%", (m, surv[i]),
                                xytext=(0, 6), textcoords="offset points", ha="center", fontsize=8.5, color=S.INK)
            ax.set_xlabel("Months since the ceasefire")
            ax.set_xlim(0, months[-1] + 0.5)
        axes[0].set_ylabel(f"Share of the {curves['collapsed'].n:,} {BY_NAME['collapsed'].denominator_label}")
        held = curves["collapsed"]
        first = curves["months_to_violation"]
        end = int(held.months[-1]) if held.months else 0
        s_end = held.survival[-1] if held.survival else math.nan
        s12 = first.survival[12] if len(first.survival) > 12 else math.nan
        sub = ("Kaplan–Meier estimates over the replications with a ceasefire, with pointwise "
               f"{L.NOISE_INTERVAL}s (bands). A ceasefire that ends at the horizon without the event counts "
               "as censored, not as a success. Note the different vertical scales.")
        title = f"The ceasefire holds {end} months in {L.pct(s_end)} of replications with one"
        if s12 == s12:
            title += f"; {L.pct(1 - s12)} see a violation within 12 months"
        S.frame(fig, title, sub, run_footer(result))
        return fig


# --------------------------------------------------------------------------- saving

#: The run figures by file name, in reading order.
RUN_FIGURES = {
    "force_distribution": force_distribution,
    "troops_by_state": troops_by_state,
    "outcome_funnel": outcome_funnel,
    "timeline": timeline,
    "survival": survival,
}


#: Figures of a run's two-level design (drawn when the run has ``spread_runs``).
SPREAD_FIGURES = {
    "timeline_fan": timeline_fan,
}


def figures_for(result: RunResult) -> dict:
    """The figures a run can draw, by file name, in reading order: the run figures, and the fan chart
    when the run has its two-level design."""
    out = dict(RUN_FIGURES)
    if result.spread_runs is not None and not result.spread_runs.empty:
        out.update(SPREAD_FIGURES)
    return out


def save_run_figures(result: RunResult, folder, svg: bool = False) -> list[Path]:
    """Write the run figures as PNG (and SVG with ``svg``) into ``folder``; return the paths."""
    written: list[Path] = []
    for name, draw in figures_for(result).items():
        written += save_figure(draw(result), folder, name, svg=svg)
    return written
