"""Experiments: blocks, seeds, executors (and, in :mod:`.sweep`, parameter sweeps)."""

from .blocks import Block, Output, combine_timelines, iter_blocks, plan, run_scenario

__all__ = ["Block", "Output", "combine_timelines", "iter_blocks", "plan", "run_scenario"]
