"""Streaming a run's large tables to Parquet as its blocks finish.

A run of R replications and S states has a per-state table of R × S rows and an
inputs table of R × (uncertain parameters) values: at a million replications
they would take gigabytes.  A :class:`TableStream` appends each finished block
to its Parquet file (one row group per block) and keeps nothing; a
:class:`StateTally` keeps, per state, the running sums the summary's state table
needs.  Peak memory then stays within a small constant of one block's, plus
the per-replication runs table (a few hundred bytes a replication).
"""

from __future__ import annotations

import math
import os
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..model.outcomes import RESPONSE_LEVELS
from .summary import StateRow, _z, CONFIDENCE


class TableStream:
    """Appends DataFrames with one schema to one Parquet file; renamed into place on ``close``."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        self.writer: pq.ParquetWriter | None = None
        self.rows = 0

    def add(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))
        self.rows += len(frame)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with open(self.tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.tmp.unlink(missing_ok=True)


class StateTally:
    """Per state, the running sums behind :class:`~sim.results.summary.StateRow`."""

    FIELDS = ("n", "troops", "troops2", "deploys", "ratified", "mandate", "withdrew", "military")

    def __init__(self):
        self.order: list[str] = []
        self.sums: dict[str, np.ndarray] = {}

    def add(self, states: pd.DataFrame) -> None:
        if states.empty:
            return
        frame = pd.DataFrame({
            "state": states["state"].astype(str),
            "n": 1.0,
            "troops": states["troops"].to_numpy(dtype=float),
            "troops2": states["troops"].to_numpy(dtype=float) ** 2,
            "deploys": (states["troops"].to_numpy(dtype=float) > 0).astype(float),
            "ratified": states["ratified"].to_numpy(dtype=float),
            "mandate": states["mandate"].to_numpy(dtype=float),
            "withdrew": states["withdrew"].to_numpy(dtype=float),
            "military": (states["max_response"].astype(str) == RESPONSE_LEVELS[-1]).to_numpy(dtype=float),
        })
        sums = frame.groupby("state", sort=False)[list(self.FIELDS)].sum()
        for state, row in sums.iterrows():
            if state not in self.sums:
                self.order.append(state)
                self.sums[state] = np.zeros(len(self.FIELDS))
            self.sums[state] += row.to_numpy(dtype=float)

    def rows(self, confidence: float = CONFIDENCE) -> list[StateRow]:
        """The state table, as :func:`~sim.results.summary.state_table` gives it from the full table."""
        out = []
        for state in self.order:
            n, s, s2, deploys, ratified, mandate, withdrew, military = self.sums[state]
            mean = s / n
            var = (s2 - n * mean * mean) / (n - 1) if n > 1 else 0.0
            half = _z(confidence) * math.sqrt(max(var, 0.0) / n) if n > 1 else 0.0
            out.append(StateRow(
                state=state, expected_troops=mean, expected_troops_low=mean - half, expected_troops_high=mean + half,
                p_deploys=deploys / n, p_ratified=ratified / n, p_mandate=mandate / n, p_withdrew=withdrew / n,
                p_military_response=military / n,
            ))
        return sorted(out, key=lambda r: -r.expected_troops if r.expected_troops == r.expected_troops else 0.0)
