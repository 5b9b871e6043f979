"""Scenario-discovery figure: PRIM's boxes (their limits on each input's range) and the trade-off between
coverage and density along the peeling trajectory, from a stored discovery (:mod:`sim.analysis.discovery`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from .. import __version__
from ..analysis.discovery import Discovery
from . import style as S
from .save import save_figure

_BOX_COLOURS = (S.BLUE, S.VERMILLION, S.GREEN, S.PURPLE, S.ORANGE)


def discovery_footer(d: Discovery) -> str:
    a = d.about
    return S.footer_text(__version__, f"scenario {a.get('scenario', '?')}", f"{a.get('cases', 0):,} cases",
                         str(a.get("seed", "?")), "PRIM (EMA Workbench)")


def prim_boxes(d: Discovery) -> Figure:
    """Left: each box's limits as a bar over its input's whole range (0 = lowest value drawn, 1 =
    highest), with the limits written; right: coverage against density at every step of each box's
    peeling trajectory, the kept box circled, the base rate as a line."""
    a = d.about
    with S.house_style():
        limits = d.limits
        n = max(len(limits), 2)
        fig = S.new_figure(10.5, 2.2 + 0.42 * n)
        title = f"Where {a.get('of_interest', 'the outcome')}"
        if d.boxes.empty:
            ax = fig.add_subplot()
            S.no_data(ax, f"No box found: {a.get('note', '')}")
            S.frame(fig, title, None, discovery_footer(d))
            return fig
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        y = np.arange(len(limits))[::-1]
        for yi, (_, r) in zip(y, limits.iterrows()):
            span = r["input_max"] - r["input_min"] or 1.0
            lo, hi = (r["low"] - r["input_min"]) / span, (r["high"] - r["input_min"]) / span
            colour = _BOX_COLOURS[(int(r["box"]) - 1) % len(_BOX_COLOURS)]
            left.plot([0, 1], [yi, yi], color=S.LIGHT_GREY, linewidth=6, solid_capstyle="butt")
            left.plot([lo, hi], [yi, yi], color=colour, linewidth=6, solid_capstyle="butt")
            left.text(1.03, yi, r["words"].split(" ", 1)[1], va="center", ha="left", fontsize=8)
        left.set_yticks(y, [f"box {int(r['box'])}: {r['input_label']}" for _, r in limits.iterrows()], fontsize=8.5)
        left.tick_params(axis="y", length=0)
        left.set_xlim(0, 1.45)
        left.set_xticks([0, 0.5, 1], ["lowest drawn", "", "highest drawn"])
        left.set_xlabel("Each input's range (grey) and the box's limits on it (colour)")
        left.set_ylim(-0.7, len(limits) - 0.3)

        for b, group in d.trajectory.groupby("box"):
            colour = _BOX_COLOURS[(int(b) - 1) % len(_BOX_COLOURS)]
            right.plot(group["coverage"], group["density"], "-o", color=colour, markersize=2.5, linewidth=1,
                       label=f"box {int(b)}")
            chosen = d.boxes[d.boxes["box"] == b].iloc[0]
            right.plot(chosen["coverage_of_remaining"], chosen["density_of_remaining"], "o", markersize=9,
                       markerfacecolor="none", markeredgecolor=S.BLACK)
        right.axhline(a["base_rate"], color=S.GREY, linewidth=0.8, linestyle="--")
        right.text(0.02, a["base_rate"], " base rate", va="bottom", fontsize=8, color=S.GREY)
        right.set_xlabel("Coverage (share of the cases of interest in the box)")
        right.set_ylabel("Density (share of the box's cases of interest)")
        right.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        right.set_xlim(0, 1.02)
        right.set_ylim(0, 1.02)
        right.legend(loc="lower left", fontsize=8)
        b = d.boxes.iloc[0]
        sub = (f"Box 1 holds {b['coverage']:.0%} of the {a['cases_of_interest']:,} cases of interest (coverage); "
               f"inside it {b['density']:.0%} are of interest (density), against {a['base_rate']:.0%} over all "
               f"{a['cases']:,} {a['denominator']}. Circles: the boxes kept on PRIM's peeling trajectory.")
        S.frame(fig, title, sub, discovery_footer(d))
        return fig


def save_discovery_figures(d: Discovery, folder: str | Path) -> list[Path]:
    return save_figure(prim_boxes(d), folder, f"discovery_{d.about.get('outcome', 'outcome')}")
