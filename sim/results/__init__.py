"""Results: summary statistics, storage, and run results in memory and on disk."""

from .run import RunResult, load
from .summary import PROBABILITIES, summarise, wilson

__all__ = ["PROBABILITIES", "RunResult", "load", "summarise", "wilson"]
