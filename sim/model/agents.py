"""The model's agents: coalition states, the United States, Russia and Ukraine.

Every per-replication quantity is a numpy array of shape ``(R,)``: one agent
object stands for that actor in all R replications of a block.  Agents only
behave; the model owns the random streams and the order of the phases.
Months are whole numbers; :data:`NEVER` marks an event that has not happened.
"""

from __future__ import annotations

import mesa
import numpy as np

from ..scenario.schema import Level, State, describe_level

NEVER = np.iinfo(np.int32).max


def whole_months(x: np.ndarray) -> np.ndarray:
    """Round months drawn from a distribution to whole months >= 0."""
    return np.maximum(np.rint(x), 0).astype(np.int32)


class CoalitionState(mesa.Agent):
    """A coalition member: its troops, its vote, its conditions and its resolve."""

    def __init__(self, model, spec: State):
        super().__init__(model)
        self.spec = spec
        self.state_id = spec.id
        n = model.replications
        key = f"states.{spec.id}"
        draw, uniform = model.draw, model.uniform
        troops = spec.troops

        pledge = draw(f"{key}.troops.pledge", troops.pledge)
        if troops.sustainable is not None:
            pledge = np.minimum(pledge, draw(f"{key}.troops.sustainable", troops.sustainable))
        #: Troops it would deploy (pledge capped by rotation), whole troops.
        self.target = np.rint(np.maximum(pledge, 0.0))
        self.willing = uniform(f"{key}.troops.willing") < draw(f"{key}.troops.willingness", troops.willingness)
        self.in_ukraine = troops.deployment == "ukraine"
        # A state's own ramp, else the force-wide one (drawn once by the model for all states).
        self.ramp = (
            model.force_ramp if troops.ramp_months is None
            else whole_months(draw(f"{key}.troops.ramp_months", troops.ramp_months))
        )

        parl = spec.parliament
        self.vote_required = parl.vote_required
        if parl.vote_required:
            self.vote_delay = whole_months(draw(f"{key}.parliament.delay_months", parl.delay_months))
            approval = draw(f"{key}.parliament.approval", parl.approval)
            erosion = draw(f"{key}.parliament.erosion_per_month", parl.erosion_per_month)
            p_pass = approval * (1.0 - erosion) ** self.vote_delay
            self.vote_passes = uniform(f"{key}.parliament.vote") < p_pass
            self.approved = np.zeros(n, dtype=bool)
        else:
            self.approved = np.ones(n, dtype=bool)
        self.voted = self.approved.copy()

        cond = spec.conditions
        self.required_level = model.draw_level(f"{key}.conditions.us_backstop_at_least", cond.us_backstop_at_least)
        self.ceasefire_first = cond.ceasefire_first
        self.wait = whole_months(draw(f"{key}.conditions.months_after_ceasefire", cond.months_after_ceasefire))
        self.resolve = draw(f"{key}.resolve", spec.resolve)
        self.assist_draw = uniform(f"{key}.assist")
        self.acceptability = draw(f"{key}.acceptability_to_russia", spec.acceptability_to_russia)
        #: Capability units it brings: troops (deployed or not) and non-troop offers.
        self.capability = self.target / 1000.0 * model.per_thousand_troops + len(spec.offers) * model.per_offer

        #: False when it sends no troops in any replication of the block (deploy is then a no-op).
        self.sends = bool(np.any(self.willing & (self.target > 0)))
        self.start = np.full(n, NEVER, dtype=np.int32)
        self.troops = np.zeros(n)
        self.peak = np.zeros(n)
        self.troop_months = np.zeros(n)
        self.assisted = np.zeros(n, dtype=bool)

    @property
    def planned_in_ukraine(self) -> np.ndarray:
        """Troops on the table for Ukraine (what Russia weighs): willing states' targets."""
        if not self.in_ukraine:
            return np.zeros_like(self.target)
        return np.where(self.willing, self.target, 0.0)

    def ratify(self, t: int, ratification_start: np.ndarray) -> None:
        """Phase 2: the vote is held ``vote_delay`` months after ratification starts."""
        if not self.vote_required:
            return
        due = ~self.voted & (ratification_start != NEVER)
        due &= ratification_start.astype(np.int64) + self.vote_delay <= t
        self.approved |= due & self.vote_passes
        self.voted |= due

    def deploy(self, t: int, ceasefire_month: np.ndarray, us_level: np.ndarray) -> None:
        """Phase 3: start once every condition holds; troops arrive linearly over the ramp."""
        if not self.sends:
            return
        ready = self.willing & self.approved & (us_level >= self.required_level) & (self.target > 0)
        if self.ceasefire_first:
            ready &= ceasefire_month.astype(np.int64) + self.wait <= t
        self.start = np.where(ready & (self.start == NEVER), t, self.start)
        begun = self.start <= t
        elapsed = np.where(begun, t - self.start + 1, 0)
        share = np.where(self.ramp > 0, np.minimum(1.0, elapsed / np.maximum(self.ramp, 1)), 1.0)
        self.troops = np.where(begun, self.target * share, 0.0)
        np.maximum(self.peak, self.troops, out=self.peak)
        self.troop_months += self.troops


class UnitedStates(mesa.Agent):
    """The US: the backstop offered, Congress, and honouring on activation."""

    def __init__(self, model):
        super().__init__(model)
        spec = model.spec.united_states
        n = model.replications
        #: The level offered (int codes of :class:`Level`); what is realised depends on Congress.
        self.offered = model.draw_level("united_states.backstop", spec.backstop)
        self.described = describe_level(spec.backstop)
        self.executive_cap = np.minimum(self.offered, model.draw_level("united_states.executive_max", spec.executive_max))
        self.congress_required = spec.congress.required
        if self.congress_required:
            self.congress_delay = whole_months(model.draw("united_states.congress.delay_months", spec.congress.delay_months))
            p = model.draw("united_states.congress.approval", spec.congress.approval)
            self.congress_passes = model.uniform("united_states.congress.vote") < p
            self.congress_voted = np.zeros(n, dtype=bool)
            self.level = self.executive_cap.copy()
        else:
            self.level = self.offered.copy()
        self.honour = model.draw("united_states.honour", spec.honour)
        self.honour_draw = model.uniform("united_states.assist")
        self.full_capability = model.draw("united_states.capability", spec.capability)

    def ratify(self, t: int, ratification_start: np.ndarray) -> None:
        """Phase 2: a failed Congress caps the backstop at what the executive can give."""
        if not self.congress_required:
            return
        due = ~self.congress_voted & (ratification_start != NEVER)
        due &= ratification_start.astype(np.int64) + self.congress_delay <= t
        self.level = np.where(due & self.congress_passes, self.offered, self.level)
        self.congress_voted |= due

    @property
    def capability(self) -> np.ndarray:
        """Capability units behind the current level (linear in the level, 'direct' = full)."""
        return self.full_capability * self.level / Level.direct.value


class Russia(mesa.Agent):
    """Russia: accepts the package (or not), agrees a ceasefire, may violate it."""

    def __init__(self, model, planned_by_state: list[tuple[np.ndarray, np.ndarray]]):
        super().__init__(model)
        spec = model.spec.russia
        n, horizon = model.replications, model.horizon
        acc = spec.acceptance
        without = model.draw("russia.acceptance.without_troops", acc.without_troops)
        weight = model.draw("russia.acceptance.troop_weight", acc.troop_weight)
        troops = np.zeros(n)
        weighted = np.zeros(n)
        for planned, acceptability in planned_by_state:
            troops += planned
            weighted += planned * acceptability
        composition = np.divide(weighted, troops, out=np.ones(n), where=troops > 0)
        #: Acceptance of the package on the table, in [0, 1].
        self.acceptance = without * (1.0 - weight * (1.0 - composition))
        cf = model.spec.ceasefire
        self.ceasefire_hazard = model.draw("ceasefire.monthly_hazard", cf.monthly_hazard) * self.acceptance
        self.assumed_month = cf.assumed_month
        self.ceasefire_draws = model.uniform("ceasefire", (horizon, n))
        self.violation_hazard = model.draw("russia.violation_hazard", spec.violation_hazard)
        self.sensitivity = model.draw("russia.deterrence_sensitivity", spec.deterrence_sensitivity)
        self.violation_draws = model.uniform("russia.violation", (horizon, n))

    def agree_ceasefire(self, t: int, ceasefire_month: np.ndarray) -> None:
        """Phase 1: monthly hazard scaled by acceptance (or the assumed month)."""
        if self.assumed_month is not None:
            return  # set once at the start
        new = (ceasefire_month == NEVER) & (self.ceasefire_draws[t - 1] < self.ceasefire_hazard)
        ceasefire_month[new] = t

    def violate(self, t: int, eligible: np.ndarray, deterrence: np.ndarray) -> np.ndarray:
        """Phase 4: violation with hazard base × (1 − sensitivity × D)."""
        hazard = self.violation_hazard * (1.0 - self.sensitivity * deterrence)
        return eligible & (self.violation_draws[t - 1] < hazard)


class Ukraine(mesa.Agent):
    """Ukraine's own army as an index in [0, 1]: grows with delivered aid, erodes without."""

    def __init__(self, model):
        super().__init__(model)
        spec = model.spec.ukraine
        draw = model.draw
        self.strength = np.clip(draw("ukraine.army_strength", spec.army_strength), 0.0, 1.0)
        pledged = draw("package.military_support.aid_usd_bn_per_year",
                       model.spec.package.military_support.aid_usd_bn_per_year)
        capacity = draw("ukraine.industry_capacity_usd_bn_per_year", spec.industry_capacity_usd_bn_per_year)
        need = draw("ukraine.aid_need_usd_bn_per_year", spec.aid_need_usd_bn_per_year)
        #: Aid actually delivered (billions of USD per year): pledges capped by industry.
        self.delivered = np.minimum(pledged, capacity)
        self.supplied = np.divide(self.delivered, need, out=np.ones_like(need), where=need > 0).clip(0.0, 1.0)
        self.growth = draw("ukraine.growth_per_month", spec.growth_per_month)
        self.erosion = draw("ukraine.erosion_per_month", spec.erosion_per_month)

    def build_army(self) -> None:
        self.strength = np.clip(
            self.strength + self.growth * self.supplied - self.erosion * (1.0 - self.supplied), 0.0, 1.0
        )
