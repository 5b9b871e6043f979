"""The Mesa model: one instance advances a block of R replications month by month.

Each step is one month and runs the six phases in order: ceasefire,
ratification, force generation, deterrence and violation, monitoring, and
activation.  Python loops run over agents and months only; every
per-replication quantity is an array of shape ``(R,)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from ..scenario import params
from ..scenario.schema import Level, LevelChoice, Scenario, sample_level
from .agents import NEVER, CoalitionState, Russia, UnitedStates, Ukraine, whole_months
from .streams import Streams

TEST_OUTCOMES = ("held", "unattributed", "activated", "failed")
US_LEVELS = tuple(Level.names())
#: Per-month curves recorded in the timeline (share of replications).
TIMELINE = ("ceasefire", "ratified", "deployed", "violated", "activated")


@dataclass
class BlockResult:
    """What one block of replications produced."""

    runs: pd.DataFrame  # one row per replication
    states: pd.DataFrame  # one row per replication × state
    timeline: pd.DataFrame  # one row per month: counts of replications (see TIMELINE)


class GuaranteeModel(mesa.Model):
    """Security-guarantee model over ``replications`` replications of one block.

    Args:
        scenario: a validated scenario.
        replications: R, the number of replications advanced together.
        block: the block index; with ``seed`` it fixes every random stream.
        seed: the run's root seed (``run.seed`` of the scenario when None).
    """

    def __init__(self, scenario: Scenario, replications: int = 1, block: int = 0, seed: int | None = None):
        seed = scenario.run.seed if seed is None else int(seed)
        self.streams = Streams(seed, block)
        # Mesa's own generators are seeded from a stream of their own; the model never uses them.
        super().__init__(rng=int(self.streams("mesa").integers(2**32)))
        self.spec = scenario  # not `scenario`: Mesa 3.5 has a Model.scenario of its own
        self.replications = int(replications)
        self.block = int(block)
        self.horizon = scenario.run.horizon_months
        self.month = 0
        n = self.replications

        # Scenario-wide parameters are drawn once per replication and shared by all states.
        cap = scenario.capability
        self.per_thousand_troops = self.draw("capability.per_thousand_troops", cap.per_thousand_troops)
        self.per_offer = self.draw("capability.per_offer", cap.per_offer)
        self.force_ramp = whole_months(
            self.draw("package.multinational_force.ramp_months", scenario.package.multinational_force.ramp_months)
        )
        self.coalition = [CoalitionState(self, spec) for spec in scenario.states]
        self.united_states = UnitedStates(self)
        self.russia = Russia(self, [(s.planned_in_ukraine, s.acceptability) for s in self.coalition])
        self.ukraine = Ukraine(self)

        cf = scenario.ceasefire
        self.ceasefire_month = np.full(n, NEVER if cf.assumed_month is None else cf.assumed_month, dtype=np.int32)
        rat = scenario.ratification
        self.ratification_start = (
            np.full(n, rat.signing_month, dtype=np.int32) if rat.starts == "signing" else self.ceasefire_month
        )

        det = scenario.deterrence
        w = det.weights
        self.w_force = self.draw("deterrence.weights.force", w.force)
        self.w_us = self.draw("deterrence.weights.us_backstop", w.us_backstop)
        self.w_army = self.draw("deterrence.weights.ukraine_army", w.ukraine_army)
        self.w_commitment = self.draw("deterrence.weights.commitment", w.commitment)
        posture = scenario.package.multinational_force.posture
        self.posture_factor = self.draw(f"deterrence.posture_factor_{posture}", getattr(det, f"posture_factor_{posture}"))
        th = scenario.thresholds
        self.minimum_force, self.target_force = th.minimum_effective_force, th.target_force
        self.binding = scenario.package.binding_commitment.enabled

        mon = scenario.package.monitoring
        self.detect_draw = self.uniform("monitoring.detect")
        self.attribute_draw = self.uniform("monitoring.attribute")
        self.detection = self.draw("package.monitoring.detection", mon.detection)
        self.attribution = self.draw("package.monitoring.attribution", mon.attribution)
        # US-led monitoring degrades when the realised US backstop falls below 'monitoring'.
        self.us_led = mon.lead == "united_states"
        self.detection_without_us = (
            self.detection if mon.detection_without_us is None
            else self.draw("package.monitoring.detection_without_us", mon.detection_without_us)
        )
        self.attribution_without_us = (
            self.attribution if mon.attribution_without_us is None
            else self.draw("package.monitoring.attribution_without_us", mon.attribution_without_us)
        )
        self.detected = np.zeros(n, dtype=bool)
        act = scenario.activation
        self.quorum = self.draw("activation.quorum", act.quorum)
        leads = set(scenario.package.multinational_force.lead_nations) if act.require_leads else set()
        self.leads = [s for s in self.coalition if s.state_id in leads]
        self.troop_month_usd = self.draw("costs.troop_month_usd", scenario.costs.troop_month_usd)

        self.total_capability = sum((s.capability for s in self.coalition), np.zeros(n))
        self.violation_month = np.full(n, NEVER, dtype=np.int32)
        self.attributed = np.zeros(n, dtype=bool)
        self.activated = np.zeros(n, dtype=bool)
        self.assisting_share = np.full(n, np.nan)
        self.deterrence_sum = np.zeros(n)
        self.deterrence_months = np.zeros(n, dtype=np.int32)
        self.force_in_ukraine_peak = np.zeros(n)
        self.force_nearby_peak = np.zeros(n)
        self.ratified = np.zeros(n, dtype=bool)
        self.timeline = np.zeros((self.horizon, len(TIMELINE)), dtype=np.int64)

    # ----------------------------------------------------------------- randomness

    def stream(self, name: str) -> np.random.Generator:
        return self.streams(name)

    def uniform(self, name: str, shape=None) -> np.ndarray:
        """Uniform draws of the named event stream (shape ``(R,)`` by default)."""
        return self.streams.uniform(name, self.replications if shape is None else shape)

    def draw_level(self, name: str, param) -> np.ndarray:
        """Per-replication US backstop levels (int8 codes of :class:`Level`)."""
        rng = self.streams(f"param:{name}") if isinstance(param, LevelChoice) else None
        return sample_level(param, rng, self.replications).astype(np.int8)

    def draw(self, name: str, param) -> np.ndarray:
        """Per-replication values of a parameter; a distribution gets its own named stream."""
        if isinstance(param, (int, float)) and not isinstance(param, bool):
            return np.full(self.replications, float(param))
        return params.sample(param, self.streams(f"param:{name}"), self.replications)

    # ----------------------------------------------------------------- dynamics

    def step(self) -> None:
        self.month += 1
        t = self.month
        self.russia.agree_ceasefire(t, self.ceasefire_month)
        self.united_states.ratify(t, self.ratification_start)
        for state in self.coalition:
            state.ratify(t, self.ratification_start)
        for state in self.coalition:
            state.deploy(t, self.ceasefire_month, self.united_states.level)
        self.ukraine.build_army()

        force_in_ukraine = np.zeros(self.replications)
        force_nearby = np.zeros(self.replications)
        approved_capability = np.zeros(self.replications)
        for state in self.coalition:
            if state.in_ukraine:
                force_in_ukraine += state.troops
            else:
                force_nearby += state.troops
            approved_capability += np.where(state.approved, state.capability, 0.0)
        np.maximum(self.force_in_ukraine_peak, force_in_ukraine, out=self.force_in_ukraine_peak)
        np.maximum(self.force_nearby_peak, force_nearby, out=self.force_nearby_peak)
        committed_share = np.divide(
            approved_capability, self.total_capability,
            out=np.zeros(self.replications), where=self.total_capability > 0,
        )
        self.ratified |= (self.total_capability > 0) & (committed_share >= self.quorum)

        deterrence = self._deterrence(force_in_ukraine, committed_share)
        in_ceasefire = self.ceasefire_month <= t
        self.deterrence_sum += np.where(in_ceasefire, deterrence, 0.0)
        self.deterrence_months += in_ceasefire

        eligible = in_ceasefire & (self.ceasefire_month < t) & (self.violation_month == NEVER)
        violated = self.russia.violate(t, eligible, deterrence)
        self.violation_month[violated] = t
        attributed = self._monitor(violated)
        if attributed.any():
            self._activate(attributed)

        self.timeline[t - 1] = (
            in_ceasefire.sum(), self.ratified.sum(), (force_in_ukraine > 0).sum(),
            (self.violation_month <= t).sum(), self.activated.sum(),
        )

    def _deterrence(self, force_in_ukraine: np.ndarray, committed_share: np.ndarray) -> np.ndarray:
        """Phase 4: D = 1 − Π(1 − wᵢ·xᵢ) over force, US backstop, Ukraine's army, commitment."""
        if self.target_force > 0:
            x_force = np.minimum(1.0, force_in_ukraine / self.target_force)
        else:
            x_force = (force_in_ukraine > 0).astype(float)
        x_force = x_force * self.posture_factor
        x_us = self.united_states.level / Level.direct.value
        x_army = self.ukraine.strength
        x_commitment = committed_share if self.binding else 0.0
        return 1.0 - (
            (1.0 - self.w_force * x_force)
            * (1.0 - self.w_us * x_us)
            * (1.0 - self.w_army * x_army)
            * (1.0 - self.w_commitment * x_commitment)
        )

    def _monitor(self, violated: np.ndarray) -> np.ndarray:
        """Phase 5: detection and attribution of this month's violations."""
        detection, attribution = self.detection, self.attribution
        if self.us_led:
            with_us = self.united_states.level >= Level.monitoring.value
            detection = np.where(with_us, detection, self.detection_without_us)
            attribution = np.where(with_us, attribution, self.attribution_without_us)
        detected = violated & (self.detect_draw < detection)
        self.detected |= detected
        return detected & (self.attribute_draw < attribution)

    def _activate(self, attributed: np.ndarray) -> None:
        """Phases 5–6 for replications whose violation was just attributed: a political decision."""
        self.attributed |= attributed
        us = self.united_states
        us_assists = us.honour_draw < us.honour
        committed = us.capability.astype(float)
        assisting = np.where(us_assists, committed, 0.0)
        for state in self.coalition:
            assists = attributed & state.approved & (state.assist_draw < state.resolve)
            state.assisted |= assists
            committed = committed + np.where(state.approved, state.capability, 0.0)
            assisting = assisting + np.where(assists, state.capability, 0.0)
        share = np.divide(assisting, committed, out=np.zeros(self.replications), where=committed > 0)
        activates = attributed & (committed > 0) & (share >= self.quorum)
        for lead in self.leads:
            activates &= lead.assisted
        self.assisting_share = np.where(attributed, share, self.assisting_share)
        self.activated |= activates

    def run_model(self) -> None:
        for _ in range(self.horizon):
            self.step()

    # ----------------------------------------------------------------- results

    def results(self, first_replication: int = 0, states: bool = True) -> BlockResult:
        """Tables of this block's outcomes (replication ids start at ``first_replication``).

        ``states=False`` leaves the per-state table empty (sweeps do not store it).
        """
        n = self.replications
        rep = np.arange(first_replication, first_replication + n, dtype=np.int64)
        ceasefire = self.ceasefire_month <= self.horizon
        violation = self.violation_month != NEVER
        outcome = np.select(
            [~violation, ~self.attributed, self.activated],
            [0, 1, 2], default=3,
        )
        troop_months = sum((s.troop_months for s in self.coalition), np.zeros(n))
        contributors = sum(((s.peak > 0).astype(np.int16) for s in self.coalition), np.zeros(n, np.int16))
        cost = troop_months * self.troop_month_usd / 1e9 + self.ukraine.delivered * self.horizon / 12.0
        runs = pd.DataFrame({
            "replication": rep,
            "ceasefire": ceasefire,
            "ceasefire_month": _months(self.ceasefire_month),
            "acceptance": self.russia.acceptance,
            "us_backstop": pd.Categorical.from_codes(self.united_states.level, categories=US_LEVELS, ordered=True),
            "ratified": self.ratified,
            "force_in_ukraine": self.force_in_ukraine_peak,
            "force_nearby": self.force_nearby_peak,
            "troop_contributors": contributors,
            "deployed": self.force_in_ukraine_peak > 0,
            "force_ge_minimum": self.force_in_ukraine_peak >= self.minimum_force,
            "force_ge_target": self.force_in_ukraine_peak >= self.target_force,
            "deterrence": np.divide(
                self.deterrence_sum, self.deterrence_months,
                out=np.full(n, np.nan), where=self.deterrence_months > 0,
            ),
            "army_strength": self.ukraine.strength,
            "violation": violation,
            "violation_month": _months(self.violation_month),
            "detected": self.detected,
            "attributed": self.attributed,
            "test_outcome": pd.Categorical.from_codes(outcome, categories=TEST_OUTCOMES),
            "assisting_share": self.assisting_share,
            "cost_usd_bn": cost,
        })
        ids = [s.state_id for s in self.coalition] if states else []
        states = pd.DataFrame({
            "replication": np.repeat(rep, len(ids)) if ids else np.zeros(0, np.int64),
            "state": pd.Categorical(np.tile(ids, n) if ids else [], categories=ids),
            "approved": _interleave([s.approved for s in self.coalition if ids], bool),
            "troops": _interleave([s.peak for s in self.coalition if ids], float),
            "assisted": _interleave([s.assisted for s in self.coalition if ids], bool),
        })
        timeline = pd.DataFrame(self.timeline, columns=list(TIMELINE))
        timeline.insert(0, "month", np.arange(1, self.horizon + 1, dtype=np.int32))
        timeline["replications"] = n
        return BlockResult(runs, states, timeline)

    def release(self) -> None:
        """Drop everything large and unregister from Mesa's class-level registries.

        Mesa 3.3 keeps every model alive through ``Agent._ids`` (a dict keyed by
        model); without this a process running many blocks grows without bound.
        """
        for agent in list(self.agents):
            agent.remove()
        ids = getattr(mesa.Agent, "_ids", None)
        if isinstance(ids, dict):
            ids.pop(self, None)
        self.coalition = []
        self.__dict__.pop("russia", None)
        self.__dict__.pop("ukraine", None)
        self.__dict__.pop("united_states", None)


def _months(a: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(a == NEVER, 0, a).astype(np.int16), a == NEVER)


def _interleave(arrays: list[np.ndarray], dtype) -> np.ndarray:
    """Replication-major order: rows (r, state) for r in replications, state in order."""
    if not arrays:
        return np.zeros(0, dtype=dtype)
    return np.stack(arrays, axis=1).reshape(-1).astype(dtype)


def run_block(
    scenario: Scenario, replications: int, block: int, seed: int, first_replication: int, states: bool = True
) -> BlockResult:
    """Run one block from start to horizon and return its tables (frees the model)."""
    model = GuaranteeModel(scenario, replications=replications, block=block, seed=seed)
    try:
        model.run_model()
        return model.results(first_replication, states=states)
    finally:
        model.release()
