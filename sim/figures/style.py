"""House style for figures: palette, fonts, the title block and the provenance footer.

Colours are the Okabe–Ito palette (safe for the common colour-vision
deficiencies).  Series that must stay apart when printed in grey also differ
in lightness, line style, marker or hatching; no figure relies on hue alone.
Every figure carries a footer with the sim version, what was run (scenario or
sweep id), the replications and the seed.
"""

from __future__ import annotations

import textwrap
from contextlib import contextmanager

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"  # bluish green
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"  # reddish purple

#: Light counterparts for "the rest" (e.g. bars below a threshold): same hue family, much lighter.
LIGHT_BLUE = "#A6CEE8"
GREY = "#6E6E6E"
LIGHT_GREY = "#D9D9D9"
INK = "#222222"  # text

#: Series styles for up to six lines: colour, line style, marker (distinct in grey too).
SERIES = (
    {"color": BLACK, "linestyle": "-", "marker": "o"},
    {"color": BLUE, "linestyle": "--", "marker": "s"},
    {"color": GREEN, "linestyle": "-.", "marker": "^"},
    {"color": VERMILLION, "linestyle": ":", "marker": "D"},
    {"color": ORANGE, "linestyle": "-", "marker": "v"},
    {"color": PURPLE, "linestyle": "--", "marker": "P"},
)

#: Sequential colour map for heatmaps: perceptually uniform, monotonic in lightness, CVD-safe.
SEQUENTIAL = "cividis"

TITLE_SIZE = 13
SUBTITLE_SIZE = 9.5
FOOTER_SIZE = 7.5

_RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9.5,
    "axes.titlesize": 10,
    "axes.labelsize": 9.5,
    "axes.edgecolor": GREY,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "xtick.color": GREY,
    "ytick.color": GREY,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "text.color": INK,
    "legend.frameon": False,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "svg.fonttype": "none",  # text stays text in SVG (searchable, smaller)
    "hatch.linewidth": 0.8,
}


@contextmanager
def house_style():
    """Apply the house rc settings while figures are built (and drawn) inside the block."""
    with mpl.rc_context(_RC):
        yield


def new_figure(width: float, height: float) -> Figure:
    """A white figure (inches) with constrained layout; independent of pyplot's state."""
    with house_style():
        fig = Figure(figsize=(width, height), layout="constrained")
    return fig


def _wrap(text: str, width_in: float, size: float, em: float = 0.56) -> list[str]:
    # DejaVu Sans averages about 0.56 em per character, its bold about 0.64.
    chars = max(20, int(width_in * 72 / (size * em)))
    lines: list[str] = []
    for para in text.split("\n"):
        lines.extend(textwrap.wrap(para, chars) or [""])
    return lines


def frame(fig: Figure, title: str, subtitle: str | None, footer: str) -> Figure:
    """Put a left-aligned title, an optional subtitle and the provenance footer on ``fig``.

    The plotting area (managed by constrained layout) is shrunk to leave room
    for them, so nothing overlaps whatever the tick labels need.
    """
    width, height = fig.get_size_inches()
    pad = 0.12  # inches
    title_lines = _wrap(title, width - 2 * pad, TITLE_SIZE, em=0.64)
    sub_lines = _wrap(subtitle, width - 2 * pad, SUBTITLE_SIZE) if subtitle else []
    foot_lines = _wrap(footer, width - 2 * pad, FOOTER_SIZE)
    title_h = len(title_lines) * TITLE_SIZE * 1.3 / 72
    sub_h = len(sub_lines) * SUBTITLE_SIZE * 1.35 / 72
    foot_h = len(foot_lines) * FOOTER_SIZE * 1.35 / 72
    top = pad + title_h + (0.05 + sub_h if sub_lines else 0) + 0.1
    bottom = pad + foot_h + 0.08
    y = 1 - pad / height
    fig.text(pad / width, y, "\n".join(title_lines), ha="left", va="top", fontsize=TITLE_SIZE,
             fontweight="bold", color=INK, linespacing=1.2)
    if sub_lines:
        y -= (title_h + 0.05) / height
        fig.text(pad / width, y, "\n".join(sub_lines), ha="left", va="top", fontsize=SUBTITLE_SIZE,
                 color="#444444", linespacing=1.3)
    fig.text(pad / width, pad / height, "\n".join(foot_lines), ha="left", va="bottom",
             fontsize=FOOTER_SIZE, color=GREY, linespacing=1.3)
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.set(rect=(0.0, bottom / height, 1.0, 1 - (top + bottom) / height))
    return fig


def footer_text(version: str, what: str, replications: str, seed: str, extra: str = "") -> str:
    """``sim <version> · <what> · <replications> · seed <seed>`` (+ extra)."""
    parts = [f"sim {version}", what, replications, f"seed {seed}"]
    if extra:
        parts.append(extra)
    return " · ".join(parts)


def no_data(ax, message: str) -> None:
    """Say plainly that there is nothing to draw, instead of an empty frame."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=11, color=GREY,
            transform=ax.transAxes, wrap=True)


def spread(values: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions for direct labels near ``values``, at least ``gap`` apart, inside [low, high]."""
    order = np.argsort(values)
    pos = np.array(values, dtype=float)[order]
    for i in range(1, len(pos)):
        pos[i] = max(pos[i], pos[i - 1] + gap)
    if len(pos) and pos[-1] > high:
        pos[-1] = high
        for i in range(len(pos) - 2, -1, -1):
            pos[i] = min(pos[i], pos[i + 1] - gap)
    pos = np.maximum(pos, low)
    out = np.empty_like(pos)
    out[order] = pos
    return list(out)
