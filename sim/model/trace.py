"""One replication, watched month by month: who deployed, what Russia did, who answered.

:class:`WatchedModel` is the model with one replication (R = 1) that keeps a row
of decisions after every step, so that Mesa's controllers (or a loop) can step it
and show what the agents decided; :func:`trace` runs one to its horizon and
returns the table.  Watching changes nothing: the rows are read from the model's
state and from :class:`~sim.model.model.MonthEvents` after each step, and the
model's own results are those of :func:`~sim.model.model.run_block` with the
same block and seed (a test checks).

Replication ``k`` here is block ``k`` of one replication: its own draws, not the
k-th replication of a run with larger blocks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..scenario.schema import Scenario
from .model import TIMELINE, US_LEVELS, GuaranteeModel
from .outcomes import ACTIONS, GUARANTEE_TESTS, RESPONSE_LEVELS

#: Columns of a trace, in order (see :func:`trace`).
COLUMNS = (
    "month", "ceasefire", "ceasefire_began", "us_backstop", "ratified", "treaty_failed", "mandate_passed",
    "mandate_failed", "deployed", "withdrew", "force_in_ukraine", "force_nearby", "guarantee_in_force",
    "opportunity", "russia", "detected", "attributed", "us_response", "responses", "guarantee_test", "collapsed",
    "perceived_response", "army_strength",
)


class WatchedModel(GuaranteeModel):
    """One replication of ``scenario`` that records each month's decisions (``rows``, :meth:`table`).

    Args:
        scenario: a validated scenario.
        replication: which replication (block ``replication`` of size 1; each has its own draws).
        seed: the run's root seed (``run.seed`` of the scenario when None).
    """

    def __init__(self, scenario: Scenario, replication: int = 0, seed: int | None = None):
        super().__init__(scenario, replications=1, block=replication, seed=seed)
        self.replication = int(replication)
        self.rows: list[dict] = []

    def step(self) -> None:
        co = self.coalition
        before = {name: getattr(co, name).copy() for name in
                  ("ratified", "treaty_failed", "mandate_voted", "withdrawn")}
        test_before = int(self.test[0])
        super().step()
        self.rows.append(self._row(before, test_before))
        self.running = self.month < self.horizon

    def _row(self, before: dict, test_before: int) -> dict:
        t, co, ev = self.month, self.coalition, self.events
        ids = np.asarray(co.ids, dtype=object)
        line = dict(zip(TIMELINE, self.timeline[t - 1]))

        def newly(now: np.ndarray, was: np.ndarray) -> tuple[str, ...]:
            return tuple(ids[(now & ~was)[0]])

        voted = co.mandate_voted & ~before["mandate_voted"]
        responders = tuple((str(s), RESPONSE_LEVELS[lvl]) for s, lvl in zip(ids, ev.responses[0]) if lvl > 0)
        test = int(self.test[0])
        return {
            "month": t,
            "ceasefire": bool(line["ceasefire"]),
            "ceasefire_began": int(self.ceasefire_month[0]) == t,
            "us_backstop": US_LEVELS[int(self.united_states.level[0])],
            "ratified": newly(co.ratified, before["ratified"]),
            "treaty_failed": newly(co.treaty_failed, before["treaty_failed"]),
            "mandate_passed": tuple(ids[(voted & co.mandate)[0]]),
            "mandate_failed": tuple(ids[(voted & ~co.mandate)[0]]),
            "deployed": tuple(ids[co.start[0] == t]),
            "withdrew": newly(co.withdrawn, before["withdrawn"]),
            "force_in_ukraine": float(line["force_in_ukraine"]),
            "force_nearby": float(co.troops[0, ~co.in_ukraine].sum()),
            "guarantee_in_force": bool(line["guarantee_in_force"]),
            "opportunity": bool(ev.opportunity[0]),
            "russia": ACTIONS[int(ev.action[0])],
            "detected": bool(ev.detected[0]),
            "attributed": bool(ev.attributed[0]),
            "us_response": RESPONSE_LEVELS[int(ev.us_response[0])],
            "responses": responders,
            # The guarantee's first test, in the month it happened (an empty string otherwise).
            "guarantee_test": GUARANTEE_TESTS[test] if test != test_before else "",
            "collapsed": int(self.collapse_month[0]) == t,
            "perceived_response": float(self.russia.perceived[0]),
            "army_strength": float(self.ukraine.strength[0]),
        }

    def table(self) -> pd.DataFrame:
        """The months stepped so far, one row each (columns :data:`COLUMNS`)."""
        return pd.DataFrame(self.rows, columns=list(COLUMNS))


def trace(scenario: Scenario, replication: int = 0, seed: int | None = None) -> pd.DataFrame:
    """Step one replication to the horizon and return its decisions, one row per month.

    Columns: ``month``; ``ceasefire`` (in force that month) and ``ceasefire_began``;
    ``us_backstop`` (the realised level); the states (ids, as tuples) that ``ratified``
    the treaty, whose ``treaty_failed``, whose deployment mandate passed or failed, that
    ``deployed`` (began to) and that ``withdrew``; ``force_in_ukraine`` and
    ``force_nearby`` (troops); ``guarantee_in_force``; ``opportunity`` (Russia saw one)
    and ``russia`` (comply, probe, limited or major); whether it was ``detected`` and
    ``attributed``; ``us_response`` and ``responses`` ((state, level) pairs of those
    that answered) at the levels of :data:`~sim.model.outcomes.RESPONSE_LEVELS`;
    ``guarantee_test`` (its first test's result, in that month); ``collapsed`` (that
    month); ``perceived_response`` (Russia's belief, a probability, at its latest
    opportunity; NaN before the first); ``army_strength`` (index 0–1).
    """
    model = WatchedModel(scenario, replication=replication, seed=seed)
    try:
        model.run_model()
        return model.table()
    finally:
        model.release()
