"""Results: summary statistics, storage, and run results in memory and on disk."""

from .run import RunResult, load
from .summary import Summary, summarise, wilson

__all__ = ["RunResult", "Summary", "load", "summarise", "wilson"]
