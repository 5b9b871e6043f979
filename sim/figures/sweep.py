"""Figures of a parameter sweep: an outcome over one or two varied parameters.

They read the sweep's points table (one row per point: the varied parameters
by dotted path, ``replications``, and for each share or rate outcome declared
in :mod:`sim.model.outcomes` ``<name>``, ``<name>_low``, ``<name>_high``
(95% simulation-noise interval) and ``<name>_n``, its denominator's count) and
the sweep manifest (``parameters``, ``sweep``, ``seed``, ``replications``).
Shares are drawn as percentages of their denominator, rates in their unit.

No figure averages over a parameter silently.  If a swept parameter other
than the plotted ones varies across the rows passed in, the functions raise
``ValueError``: filter the rows to one value of each first (e.g.
``points[points["russia.acceptance.troop_weight"] == 0.9]``), or facet by it
(``sweep_heatmap(..., facet=...)``, ``sweep_line(..., by=...)``).  The values
of the swept parameters held fixed are printed on the figure.  For sampled
designs, where no two points share a value, :func:`sweep_points` shows every
point as it is.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, PercentFormatter

from .. import __version__
from ..model.outcomes import BY_NAME
from . import labels as L
from . import style as S
from .save import save_figure

#: Outcomes drawn by :func:`save_sweep_figures`, when the points table has them.
DEFAULT_OUTCOMES = ("force_ge_minimum", "violations_per_year", "activated")


# --------------------------------------------------------------------------- axes


def axis_values(values: pd.Series) -> tuple[list, bool]:
    """The distinct values of a swept parameter in display order, and whether it is categorical.

    US backstop levels follow the scale none < political < enablers <
    monitoring < direct; other text keeps its order of appearance; numbers are
    sorted.
    """
    distinct = list(pd.unique(values.dropna()))
    numeric = pd.to_numeric(pd.Series(distinct, dtype=object), errors="coerce")
    if len(distinct) and numeric.notna().all() and not any(isinstance(v, str) for v in distinct):
        return sorted(distinct, key=float), False
    names = [str(v) for v in distinct]
    if set(names) <= set(L.LEVELS):
        return [lv for lv in L.LEVELS if lv in names], True
    return names, True


def _positions(values: pd.Series, order: list, categorical: bool) -> np.ndarray:
    """x/y positions: the index in ``order`` for categories, the value itself for numbers."""
    if categorical:
        return _indices(values, order, categorical)
    return values.astype(float).to_numpy()


def _indices(values: pd.Series, order: list, categorical: bool) -> np.ndarray:
    """Each value's index in ``order`` (grid cells)."""
    if categorical:
        index = {v: i for i, v in enumerate(order)}
        return np.array([index[str(v)] for v in values], dtype=int)
    index = {float(v): i for i, v in enumerate(order)}
    return np.array([index[float(v)] for v in values], dtype=int)


def _tick(v) -> str:
    if isinstance(v, str):
        return v
    return f"{float(v):,g}"


def _check_columns(points: pd.DataFrame, names: list[str]) -> None:
    missing = [n for n in names if n not in points.columns]
    if missing:
        raise ValueError(f"the points table has no column {', '.join(map(repr, missing))}; "
                         f"it has {', '.join(map(str, points.columns))}")


def swept(manifest: dict, points: pd.DataFrame) -> list[str]:
    """The swept parameters (dotted paths, in the sweep's order) present in the table."""
    return [p for p in manifest.get("parameters", []) if p in points.columns]


def varying(points: pd.DataFrame, manifest: dict) -> list[str]:
    """Swept parameters that take more than one value in ``points``."""
    return [p for p in swept(manifest, points) if points[p].nunique(dropna=False) > 1]


def _fixed_others(points: pd.DataFrame, manifest: dict, used: list[str], fname: str) -> str:
    """Raise if a swept parameter not in ``used`` varies; else describe the fixed ones."""
    others = [p for p in varying(points, manifest) if p not in used]
    if others:
        example = others[0]
        first = points[example].iloc[0]
        first = first.item() if hasattr(first, "item") else first
        raise ValueError(
            f"{fname}: the swept parameter(s) {', '.join(others)} also vary across these points; "
            "drawing them together would average over them. Filter the points to one value of each "
            f"(e.g. points[points[{example!r}] == {first!r}])"
            + (" or facet by one of them." if fname != "sweep_points" else ".")
        )
    fixed = [p for p in swept(manifest, points) if p not in used]
    if not fixed:
        return ""
    return "Other swept parameters held at " + "; ".join(f"{p} = {_tick(points[p].iloc[0])}" for p in fixed) + "."


def sweep_footer(manifest: dict, points: pd.DataFrame) -> str:
    """Provenance line: version, sweep id, points × replications per point, seed."""
    reps = manifest.get("replications")
    if reps is None and "replications" in points.columns and len(points):
        reps = int(points["replications"].max())
    n = len(points)
    return S.footer_text(
        __version__, f"sweep {manifest.get('sweep', '?')}",
        f"{n:,} point{'s' if n != 1 else ''} × {reps:,} replications" if reps is not None else f"{n:,} points",
        str(manifest.get("seed", "?")),
    )


def _half_width(points: pd.DataFrame, outcome: str) -> float | None:
    lo, hi = f"{outcome}_low", f"{outcome}_high"
    if lo not in points.columns or hi not in points.columns:
        return None
    h = ((points[hi] - points[lo]) / 2).max()
    return None if pd.isna(h) else float(h)


def _nice_max(v: float) -> float:
    """A round upper end (share) for a colour or y scale: at least 5%, at most 100%."""
    if not v > 0:
        return 0.05
    for m in (0.05, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.8, 1.0):
        if v <= m:
            return m
    return 1.0


def _base(outcome: str) -> str:
    """What an outcome is a share of (or a rate over): its declared denominator in words."""
    o = BY_NAME.get(outcome)
    return o.denominator_label if o is not None else "replications"


def _is_share(outcome: str) -> bool:
    o = BY_NAME.get(outcome)
    return o is None or o.kind == "share"


def _scale(outcome: str) -> float:
    """Shares are drawn in percent, rates in their own unit."""
    return 100.0 if _is_share(outcome) else 1.0


def _value_text(outcome: str, v: float) -> str:
    if _is_share(outcome):
        return f"{v:.0f}%" if v >= 10 or v == 0 else f"{v:.1f}%"
    return f"{v:.2f}"


def _formatter(outcome: str):
    return PercentFormatter(decimals=0) if _is_share(outcome) else FuncFormatter(lambda t, _: f"{t:g}")


def _top(outcome: str, v: float) -> float:
    """Upper end of a scale in drawn units (percent for shares)."""
    if _is_share(outcome):
        return 100 * _nice_max(v / 100)
    if not v > 0:
        return 1.0
    k = 10 ** math.floor(math.log10(v))
    return next(m * k for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * k >= v)


def _what(outcome: str) -> str:
    """Axis words: ``% of replications with a ceasefire`` or ``per ceasefire-year, replications with …``."""
    o = BY_NAME.get(outcome)
    if _is_share(outcome):
        return f"% of {_base(outcome)}"
    return f"{o.unit}, over {_base(outcome)}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _ylabel(outcome: str) -> str:
    """The outcome's declared label, and below it what the numbers are of."""
    return "\n".join([_sentence(L.outcome_label(outcome)), *textwrap.wrap(f"({_what(outcome)})", 60)])


# --------------------------------------------------------------------------- heatmap


def sweep_heatmap(points: pd.DataFrame, x: str, y: str, outcome: str, manifest: dict,
                  *, facet: str | None = None) -> Figure:
    """An outcome (a share in %, or a rate) over two swept parameters.

    ``x`` and ``y`` are dotted parameter paths (columns of ``points``);
    ``outcome`` is a share or rate outcome's column (e.g. ``force_ge_minimum``).  When the
    points form a grid each cell shows its value; otherwise (a sampled
    design) each point is a dot coloured by its value.  ``facet`` draws one
    panel per value of a third swept parameter on a shared colour scale.
    Raises ``ValueError`` if any other swept parameter varies (see the module
    docstring) or if two points share a cell.
    """
    used = [x, y] + ([facet] if facet else [])
    _check_columns(points, used + [outcome])
    note = _fixed_others(points, manifest, used, "sweep_heatmap")
    if facet:
        f_order, _ = axis_values(points[facet])
        panels = [(f"{facet} = {_tick(v)}", _rows_at(points, facet, v)) for v in f_order]
    else:
        panels = [("", points)]
    for title, sub in panels:
        dup = sub.duplicated(subset=[x, y])
        if dup.any():
            row = sub[dup].iloc[0]
            raise ValueError(f"sweep_heatmap: several points share {x} = {row[x]!r}, {y} = {row[y]!r}"
                             + (f" ({title})" if title else "") + "; filter them to one per cell")

    with S.house_style():
        x_order, x_cat = axis_values(points[x])
        y_order, y_cat = axis_values(points[y])
        grid = len(x_order) * len(y_order) <= 4 * max(1, max(len(s) for _, s in panels))
        scale = _scale(outcome)
        vmax = _top(outcome, scale * float(points[outcome].max(skipna=True)) if points[outcome].notna().any() else 0.0)
        norm = Normalize(0, vmax)
        cols = min(len(panels), 3)
        rows = math.ceil(len(panels) / cols)
        if grid:  # cells of 0.55–1.1 by 0.32–0.7 inches
            panel_w = len(x_order) * max(0.55, min(1.1, 7.0 / len(x_order)))
            panel_h = len(y_order) * max(0.32, min(0.7, 4.6 / len(y_order)))
        else:
            panel_w, panel_h = (6.0, 4.4) if cols == 1 else (4.0, 3.2)
        width = min(15.0, max(7.5, 2.6 + cols * (panel_w + 0.5)))
        fig = S.new_figure(width, 2.3 + rows * (panel_h + 0.3))
        axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)).ravel()
        mesh = None
        for ax, (title, sub) in zip(axes, panels):
            if grid:
                px, py = _indices(sub[x], x_order, x_cat), _indices(sub[y], y_order, y_cat)
            else:
                px, py = _positions(sub[x], x_order, x_cat), _positions(sub[y], y_order, y_cat)
            values = scale * sub[outcome].to_numpy(dtype=float)
            if grid:
                z = np.full((len(y_order), len(x_order)), np.nan)
                z[py, px] = values
                ran = np.zeros_like(z, dtype=bool)
                ran[py, px] = True
                mesh = ax.pcolormesh(np.arange(len(x_order) + 1) - 0.5, np.arange(len(y_order) + 1) - 0.5,
                                     np.ma.masked_invalid(z), cmap=S.SEQUENTIAL, norm=norm,
                                     edgecolor="white", linewidth=1.0)
                size = 8.5 if len(x_order) <= 8 else 7
                for (j, i), v in np.ndenumerate(z):
                    if not ran[j, i] or np.isnan(v):  # no point there, or no data (e.g. nothing to condition on)
                        ax.add_patch(_hatched_cell(i, j))
                        ax.text(i, j, "not run" if not ran[j, i] else "n/a", ha="center", va="center",
                                fontsize=size - 1, color=S.GREY)
                        continue
                    text = _value_text(outcome, v)
                    ax.text(i, j, text, ha="center", va="center", fontsize=size,
                            color="white" if norm(v) < 0.55 else S.BLACK)
                ax.set_xlim(-0.5, len(x_order) - 0.5)
                ax.set_ylim(-0.5, len(y_order) - 0.5)
                ax.set_xticks(range(len(x_order)), [_tick(v) for v in x_order])
                ax.set_yticks(range(len(y_order)), [_tick(v) for v in y_order])
                ax.tick_params(length=0)
                for side in ("left", "bottom"):
                    ax.spines[side].set_visible(False)
            else:
                mesh = ax.scatter(px, py, c=values, cmap=S.SEQUENTIAL, norm=norm, s=36,
                                  edgecolor=S.GREY, linewidth=0.4)
                if x_cat:
                    ax.set_xticks(range(len(x_order)), [_tick(v) for v in x_order])
                if y_cat:
                    ax.set_yticks(range(len(y_order)), [_tick(v) for v in y_order])
            if title:
                ax.set_title(title, loc="left", fontsize=9.5)
        for ax in axes[len(panels):]:
            ax.set_axis_off()
        for ax in axes.reshape(rows, cols)[-1]:
            ax.set_xlabel(L.parameter_label(x))
        for ax in axes.reshape(rows, cols)[:, 0]:  # wrapped: a short panel must not push it into the title
            ax.set_ylabel("\n".join(textwrap.wrap(L.parameter_label(y), max(24, int(panel_h * 9)),
                                                   break_long_words=False)))
        cbar = fig.colorbar(mesh, ax=list(axes[:len(panels)]), shrink=0.85, pad=0.02)
        cbar.set_label("\n".join(textwrap.wrap(_what(outcome), 40)))
        cbar.ax.yaxis.set_major_formatter(_formatter(outcome))
        cbar.outline.set_visible(False)

        h = _half_width(points, outcome)
        what = "Each cell" if grid else "Each dot is one point of the design; its colour"
        shown = "share of the point's" if _is_share(outcome) else f"{_lower(L.outcome_label(outcome))} over the point's"
        spread = "" if h is None else f"±{100 * h:.1f} percentage points" if _is_share(outcome) else f"±{h:.2f}"
        sub = (f"{what} shows the {shown} {_base(outcome)}"
               + (f"; {L.NOISE_INTERVAL}s are at most {spread}." if h is not None else ".")
               + (f" {note}" if note else ""))
        S.frame(fig, f"{_sentence(L.outcome_label(outcome))}, by {x} and {y}", sub, sweep_footer(manifest, points))
        return fig


def _hatched_cell(i: int, j: int) -> Rectangle:
    return Rectangle((i - 0.5, j - 0.5), 1, 1, facecolor="white", edgecolor=S.LIGHT_GREY, hatch="xx",
                     linewidth=0)


# --------------------------------------------------------------------------- line


def sweep_line(points: pd.DataFrame, x: str, outcome: str, manifest: dict, *, by: str | None = None) -> Figure:
    """An outcome (a share in %, or a rate) against one swept parameter, with its 95% simulation-noise band.

    ``by`` draws one line per value of a second swept parameter (at most six).
    Raises ``ValueError`` if any other swept parameter varies (see the module
    docstring) or if two points of one line share an ``x`` value.
    """
    used = [x] + ([by] if by else [])
    _check_columns(points, used + [outcome])
    note = _fixed_others(points, manifest, used, "sweep_line")
    if by:
        b_order, _ = axis_values(points[by])
        if len(b_order) > len(S.SERIES):
            raise ValueError(f"sweep_line: {by} takes {len(b_order)} values; at most {len(S.SERIES)} lines "
                             "stay readable — filter the points to fewer values")
        groups = [(f"{by} = {_tick(v)}", _rows_at(points, by, v)) for v in b_order]
    else:
        groups = [("", points)]
    for label, g in groups:
        if g[x].duplicated().any():
            v = g.loc[g[x].duplicated(), x].iloc[0]
            raise ValueError(f"sweep_line: several points share {x} = {v!r}"
                             + (f" ({label})" if label else "") + "; filter them to one per value")

    with S.house_style():
        x_order, x_cat = axis_values(points[x])
        scale = _scale(outcome)
        fig = S.new_figure(8.5, 5.0)
        ax = fig.add_subplot()
        lo_col, hi_col = f"{outcome}_low", f"{outcome}_high"
        has_band = lo_col in points.columns and hi_col in points.columns
        top = 0.0
        ends = []
        all_x = np.unique(_positions(points[x], x_order, x_cat))
        step = float(np.diff(all_x).min()) if len(all_x) > 1 else 1.0
        for k, (label, g) in enumerate(groups):
            st = S.SERIES[k % len(S.SERIES)] if by else {"color": S.BLUE, "linestyle": "-", "marker": "o"}
            pos = _positions(g[x], x_order, x_cat)
            order = np.argsort(pos)
            px = pos[order]
            py = scale * g[outcome].to_numpy(dtype=float)[order]
            if has_band:
                lo = scale * g[lo_col].to_numpy(dtype=float)[order]
                hi = scale * g[hi_col].to_numpy(dtype=float)[order]
                if by:
                    # Several lines: overlapping bands turn to mud, so each line gets interval
                    # bars, nudged sideways so they stay apart.
                    dx = (k - (len(groups) - 1) / 2) * 0.05 * step
                    ax.vlines(px + dx, lo, hi, color=st["color"], linewidth=1.1, alpha=0.8)
                else:
                    ax.fill_between(px, lo, hi, color=st["color"], alpha=0.18, linewidth=0)
                top = max(top, np.nanmax(hi, initial=0))
            ax.plot(px, py, color=st["color"], linestyle=st["linestyle"], marker=st["marker"],
                    markersize=5 if len(px) <= 25 else 0, linewidth=1.8)
            top = max(top, np.nanmax(py, initial=0))
            ends.append((px[-1], py[-1], label, st["color"], tuple(np.round(py, 9))))
        ymax = _top(outcome, top * 1.08)
        ax.set_ylim(0, ymax)
        if by:
            span = (max(e[0] for e in ends) - min(min(_positions(points[x], x_order, x_cat)), 0)) or 1
            # Lines that coincide (common random numbers make this common) share one label.
            merged: dict[tuple, list] = {}
            for ex, ey, label, colour, ys in ends:
                merged.setdefault(ys, []).append((ex, ey, label.split(" = ", 1)[1], colour))
            labels = [(g[-1][0], g[-1][1], " = ".join(m[2] for m in g), g[-1][3]) for g in merged.values()]
            placed = S.spread([e[1] for e in labels], ymax * 0.06, 0, ymax)
            for (ex, ey, text, colour), yl in zip(labels, placed):
                ax.annotate(text, xy=(ex, ey), xytext=(ex + 0.03 * span, yl),
                            va="center", ha="left", fontsize=9, color=colour, annotation_clip=False)
            ax.text(1.0, 1.02, by, transform=ax.transAxes, ha="left", va="bottom", fontsize=8.5, color=S.GREY)
        if x_cat:
            ax.set_xticks(range(len(x_order)), [_tick(v) for v in x_order])
            ax.set_xlim(-0.3, len(x_order) - 0.7)
        ax.yaxis.set_major_formatter(_formatter(outcome))
        ax.set_xlabel(L.parameter_label(x))
        ax.set_ylabel(_ylabel(outcome))
        ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
        ax.set_axisbelow(True)
        interval = f"; bars: {L.NOISE_INTERVAL}s." if by else f"; band: {L.NOISE_INTERVAL}."
        shown = "share of" if _is_share(outcome) else f"{_lower(L.outcome_label(outcome))} over"
        sub = (f"Line: {shown} each point's {_base(outcome)}" + (interval if has_band else ".")
               + (f" {note}" if note else ""))
        S.frame(fig, f"{_sentence(L.outcome_label(outcome))}, by {x}", sub, sweep_footer(manifest, points))
        return fig


# --------------------------------------------------------------------------- every point


def sweep_points(points: pd.DataFrame, x: str, outcome: str, manifest: dict) -> Figure:
    """Every point of a (sampled) sweep: the outcome against one parameter, with simulation-noise intervals.

    Nothing is averaged: each dot is one point, and the subtitle names the
    other swept parameters that also differ between dots, so the vertical
    spread at one ``x`` is their effect plus noise.
    """
    _check_columns(points, [x, outcome])
    with S.house_style():
        x_order, x_cat = axis_values(points[x])
        fig = S.new_figure(8.5, 5.0)
        ax = fig.add_subplot()
        px = _positions(points[x], x_order, x_cat)
        scale = _scale(outcome)
        py = scale * points[outcome].to_numpy(dtype=float)
        lo_col, hi_col = f"{outcome}_low", f"{outcome}_high"
        top = np.nanmax(py, initial=0)
        if lo_col in points.columns and hi_col in points.columns:
            lo = scale * points[lo_col].to_numpy(dtype=float)
            hi = scale * points[hi_col].to_numpy(dtype=float)
            ax.vlines(px, lo, hi, color=S.LIGHT_BLUE, linewidth=1.0, zorder=1)
            top = max(top, np.nanmax(hi, initial=0))
        ax.scatter(px, py, s=14, color=S.BLUE, zorder=2, linewidth=0)
        ax.set_ylim(0, _top(outcome, top * 1.08))
        if x_cat:
            ax.set_xticks(range(len(x_order)), [_tick(v) for v in x_order])
        ax.yaxis.set_major_formatter(_formatter(outcome))
        ax.set_xlabel(L.parameter_label(x))
        ax.set_ylabel(_ylabel(outcome))
        ax.grid(axis="y", color=S.LIGHT_GREY, linewidth=0.6)
        ax.set_axisbelow(True)
        others = [p for p in varying(points, manifest) if p != x]
        sub = f"Each dot is one point of the sweep, with its {L.NOISE_INTERVAL}; nothing is averaged."
        if others:
            sub += (f" The other swept parameters ({', '.join(others)}) also differ between dots, "
                    "so the spread at one value shows their effect as well.")
        S.frame(fig, f"{_sentence(L.outcome_label(outcome))}, by {x}: every point", sub,
                sweep_footer(manifest, points))
        return fig


# --------------------------------------------------------------------------- saving


def _rows_at(points: pd.DataFrame, p: str, value) -> pd.DataFrame:
    """Rows where parameter ``p`` equals ``value`` (levels compare as text)."""
    return points[points[p].astype(str) == value] if isinstance(value, str) else points[points[p] == value]


def _hold(points: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Rows where each parameter in ``params`` is at its middle value (a grid slice)."""
    sub = points
    for p in params:
        order, _ = axis_values(points[p])
        sub = _rows_at(sub, p, order[(len(order) - 1) // 2])
    return sub


def save_sweep_figures(points: pd.DataFrame, manifest: dict, folder: str | Path,
                       outcomes: tuple[str, ...] = DEFAULT_OUTCOMES, svg: bool = False) -> list[Path]:
    """Write the standard sweep figures (PNG, and SVG with ``svg``) into ``folder``; return the paths.

    For each outcome present in the table (default ``force_ge_minimum``,
    ``violations_per_year`` and ``activated``): a heatmap over the first two varied parameters and a line
    over the first.  Further varied parameters are held at their middle value
    (grid designs; the figure says so).  With exactly two varied parameters
    the line gets one line per value of the second (up to six).  When holding
    leaves too few points (sampled designs), every point is drawn instead
    (:func:`sweep_points`).
    """
    vary = varying(points, manifest)
    if not vary:
        vary = swept(manifest, points)[:1]
    wanted = [o for o in outcomes if o in points.columns and points[o].notna().any()]
    written: list[Path] = []
    if not vary:
        return written
    x = vary[0]
    for outcome in wanted:
        if len(vary) >= 2:
            y = vary[1]
            sub = _hold(points, vary[2:])
            if len(sub) >= 2 and not sub.duplicated(subset=[x, y]).any():
                written += save_figure(sweep_heatmap(sub, x, y, outcome, manifest), folder, f"sweep_heatmap_{outcome}",
                                       svg=svg)
        if len(vary) == 2 and points[vary[1]].nunique() <= len(S.SERIES) and \
                not points.duplicated(subset=[x, vary[1]]).any():
            fig = sweep_line(points, x, outcome, manifest, by=vary[1])
        else:
            sub = _hold(points, vary[1:])
            if len(sub) >= 2 and sub[x].nunique() >= 2 and not sub[x].duplicated().any():
                fig = sweep_line(sub, x, outcome, manifest)
            else:
                fig = sweep_points(points, x, outcome, manifest)
                written += save_figure(fig, folder, f"sweep_points_{outcome}", svg=svg)
                continue
        written += save_figure(fig, folder, f"sweep_line_{outcome}", svg=svg)
    return written
