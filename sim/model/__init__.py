"""The Mesa model (agents and phases), vectorised over a block of replications."""

from .model import TIMELINE, US_LEVELS, BlockResult, GuaranteeModel, run_block
from .streams import Streams, block_seed

__all__ = [
    "TIMELINE", "US_LEVELS", "BlockResult", "GuaranteeModel", "Streams", "block_seed", "run_block",
]
