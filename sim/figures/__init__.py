"""Figures for policy discussion: functions from stored results to matplotlib Figures.

Run figures (:mod:`.run`), sweep figures (:mod:`.sweep`), scenario comparisons
(:mod:`.compare`), the waterfall of ``explain`` (:mod:`.explain`); house style
and provenance footer in :mod:`.style`; number formatting shared with the
report in :mod:`.labels`.  Nothing here uses
pyplot's global state, so figures can be drawn under any backend, in threads
or in worker processes.
"""

from .compare import comparison, comparison_trend, save_comparison_figures
from .explain import waterfall
from .run import (force_distribution, outcome_funnel, save_run_figures, survival, timeline, timeline_fan,
                  troops_by_state)
from .save import save_figure
from .sweep import save_sweep_figures, sweep_heatmap, sweep_line, sweep_points

__all__ = [
    "comparison", "comparison_trend", "force_distribution", "outcome_funnel", "save_comparison_figures",
    "save_figure", "save_run_figures", "save_sweep_figures", "survival", "sweep_heatmap", "sweep_line",
    "sweep_points", "timeline", "timeline_fan", "troops_by_state", "waterfall",
]
