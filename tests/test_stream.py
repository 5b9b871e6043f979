"""Memory flat in replications: a run streams its per-state rows and inputs to Parquet block by
block and tallies the state table on the way, giving the same files and summary as in memory."""

from __future__ import annotations

import gc
import tracemalloc

import pandas as pd
import pytest

import sim
from sim.results import run as run_io

from .conftest import SCENARIOS


def test_a_streamed_run_writes_the_same_tables_and_summary(tmp_path):
    sc = sim.load_scenario(SCENARIOS / "paris.yaml")
    whole = sim.run(sc, replications=2500, seed=8, block_size=1000)
    folder = tmp_path / "s"
    folder.mkdir()
    streamed = sim.run(sc, replications=2500, seed=8, block_size=1000, stream_to=folder)
    assert streamed.states is None and streamed.inputs is None
    streamed.write_into(folder)
    back = run_io.load(folder)
    pd.testing.assert_frame_equal(back.states, whole.states)
    pd.testing.assert_frame_equal(back.inputs, whole.inputs)
    # the same up to the last bits of a running sum of squares
    assert [r.state for r in streamed.summary.states] == [r.state for r in whole.summary.states]
    for a, b in zip(streamed.summary.states, whole.summary.states):
        numbers = {k: v for k, v in b.model_dump().items() if k != "state"}
        assert {k: v for k, v in a.model_dump().items() if k != "state"} == pytest.approx(numbers, rel=1e-12)
    assert streamed.summary.outcomes == whole.summary.outcomes


def _growth(tmp_path, stream: bool) -> int:
    """Peak traced memory of a 20,000-replication run minus that of a 5,000 one (bytes)."""
    sc = sim.load_scenario(SCENARIOS / "paris.yaml").scenario
    peaks = []
    for n in (5000, 20000):
        folder = tmp_path / f"{stream}-{n}"
        folder.mkdir()
        gc.collect()
        tracemalloc.start()
        try:
            result = sim.run(sc, replications=n, seed=1, block_size=1000, stream_to=folder if stream else None)
            del result
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    return peaks[1] - peaks[0]


def test_memory_grows_only_with_the_runs_table(tmp_path):
    """15,000 more replications of Paris (31 states, ~90 uncertain inputs): in memory, the
    per-state rows (~30 bytes × 31 states) and the inputs (~8 bytes × 90) add over 20 MB; streamed,
    only the runs table (a few hundred bytes a replication) and one block's tables remain."""
    in_memory = _growth(tmp_path, stream=False)
    streamed = _growth(tmp_path, stream=True)
    assert in_memory > 20_000_000, in_memory
    assert streamed < 12_000_000, streamed
