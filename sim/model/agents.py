"""The model's agents: the coalition, the United States, Russia and Ukraine.

Every per-replication quantity is a numpy array: shape ``(R,)`` for one actor,
``(R, S)`` for the S coalition states, so one month's step runs no Python loop
over states or replications.  One agent object stands for its actor in all R
replications of a block.  Agents decide from what they can observe; the model
owns the random streams and the order of the phases (docs/ODD.md, section 7).
Months are whole numbers; :data:`NEVER` marks an event that has not happened.
"""

from __future__ import annotations

import mesa
import numpy as np
from scipy import special

from ..scenario.schema import Level, describe_level

NEVER = np.iinfo(np.int32).max
DIRECT = float(Level.direct.value)
#: Response levels as codes (see outcomes.RESPONSE_LEVELS).
NONE, DIPLOMATIC, ECONOMIC, MILITARY = 0, 1, 2, 3
OFFER_TYPES = ("air_policing", "maritime", "training", "logistics", "basing", "intelligence", "equipment")


def whole_months(x: np.ndarray) -> np.ndarray:
    """Round months drawn from a distribution to whole months >= 0."""
    return np.maximum(np.rint(x), 0).astype(np.int32)


def logit(p: np.ndarray) -> np.ndarray:
    """Log-odds of a probability, clipped away from 0 and 1 so that certainty stays finite."""
    return special.logit(np.clip(p, 1e-6, 1 - 1e-6))


expit = special.expit


def recovered(p: np.ndarray, gain) -> np.ndarray:
    """A probability after a share ``gain`` of its misses is recovered: 1 − (1 − p)(1 − gain)."""
    return 1.0 - (1.0 - p) * (1.0 - gain)


def judged_level(z: np.ndarray, economic: np.ndarray, military: np.ndarray) -> np.ndarray:
    """The level an action calls for, judged alike by every responder from the common shock ``z``.

    ``z`` ~ N(0, 1) is the action's severity and clarity as all allies see it; the
    clearest ``military`` share of actions call for a military answer, the clearest
    ``economic`` share for economic measures at least, the rest for words.
    """
    c = special.ndtr(z)
    level = np.where(c > 1.0 - economic, ECONOMIC, DIPLOMATIC)
    return np.where(c > 1.0 - military, MILITARY, level).astype(np.int8)


def share(mask: np.ndarray, capability: np.ndarray, total: np.ndarray) -> np.ndarray:
    """Share of the capability ``total`` (rows,) held by the states in ``mask`` (rows × S); 0 where the total is 0.

    Here and below a mask multiplies a non-negative quantity: the same numbers as
    ``np.where(mask, x, 0.0)``, several times faster.
    """
    part = (capability * mask).sum(axis=1)
    return np.divide(part, total, out=np.zeros(len(total)), where=total > 0)


class Coalition(mesa.Agent):
    """The S coalition states (and contingents outside it), as arrays of shape (R, S).

    Three decisions are kept apart: the treaty vote (``parliament``), the
    deployment mandate (``mandate``, voted on domestic support and withdrawn
    when support falls) and the executive's response to an attributed action
    (``resolve`` plus what it sees).  Deployment runs leads first, then
    followers by a bandwagon threshold, then the states that fill a gap.
    """

    def __init__(self, model):
        super().__init__(model)
        spec = model.spec
        states = spec.states
        self.ids = [s.id for s in states]
        n, S = model.replications, len(states)
        self.size = S
        draw, uniform, constant = model.draw, model.uniform, model.constant

        def per_state(name: str, get, kind: str = "draw") -> np.ndarray:
            if kind != "draw":
                cols = [model.draw_level(f"states.{s.id}.{name}", get(s)) for s in states]
                return np.stack(cols, axis=1) if cols else np.zeros((n, 0))
            params = [get(s) for s in states]
            values = [constant(p) for p in params]
            out = np.empty((n, S))
            out[:] = [0.0 if v is None else v for v in values]  # the constants, all columns at once
            for j in (j for j, v in enumerate(values) if v is None):
                out[:, j] = draw(f"states.{self.ids[j]}.{name}", params[j])
            return out

        def uniforms(name: str, needed: np.ndarray) -> np.ndarray:
            """Each state's uniform draws of the event ``name``, (R, S); a state whose draw cannot
            change anything (``needed`` False) gets 0.5 and its stream is not drawn (no other
            stream moves: streams are named, not ordered)."""
            u = np.full((n, S), 0.5)
            for j in np.flatnonzero(needed):
                u[:, j] = uniform(f"states.{self.ids[j]}.{name}")
            return u

        def flags(get) -> np.ndarray:
            return np.array([bool(get(s)) for s in states], dtype=bool)

        self.member = flags(lambda s: s.member)
        self.in_ukraine = flags(lambda s: s.troops.deployment == "ukraine")
        leads = set(spec.package.multinational_force.lead_nations)
        self.lead = flags(lambda s: s.id in leads)
        self.lead_columns = np.flatnonzero(self.lead)

        pledge = per_state("troops.pledge", lambda s: s.troops.pledge)
        sustainable = np.stack(
            [np.full(n, np.inf) if s.troops.sustainable is None
             else draw(f"states.{s.id}.troops.sustainable", s.troops.sustainable) for s in states], axis=1,
        ) if S else np.zeros((n, 0))
        #: Troops it would deploy (pledge capped by rotation), whole troops.
        self.target = np.rint(np.maximum(np.minimum(pledge, sustainable), 0.0))
        willingness = per_state("troops.willingness", lambda s: s.troops.willingness)
        # A willingness of exactly 0 or 1 decides without a draw (u ~ U[0, 1) is below 1, never below 0).
        certain = ((willingness == 0) | (willingness == 1)).all(axis=0)
        self.willing = uniforms("troops.willing", ~certain) < willingness
        self.ramp = np.stack(
            [model.force_ramp if s.troops.ramp_months is None
             else whole_months(draw(f"states.{s.id}.troops.ramp_months", s.troops.ramp_months)) for s in states],
            axis=1,
        ) if S else np.zeros((n, 0), np.int32)

        # Treaty ratification (the binding commitment), by parliament.
        self.binding = spec.package.binding_commitment.enabled
        self.treaty_vote = flags(lambda s: s.parliament.vote_required)
        self.treaty_delay = whole_months(per_state("parliament.delay_months", lambda s: s.parliament.delay_months))
        approval = per_state("parliament.approval", lambda s: s.parliament.approval)
        erosion = per_state("parliament.erosion_per_month", lambda s: s.parliament.erosion_per_month)
        p_pass = approval * (1.0 - erosion) ** self.treaty_delay
        can_ratify = self.member & self.binding
        self.treaty_passes = uniforms("parliament.vote", self.treaty_vote & can_ratify) < p_pass
        self.ratified = np.broadcast_to(can_ratify & ~self.treaty_vote, (n, S)).copy()
        self.treaty_failed = np.zeros((n, S), dtype=bool)
        self.treaty_voted = np.broadcast_to(~self.treaty_vote | ~can_ratify, (n, S)).copy()

        # The deployment mandate, on domestic support.
        self.mandate_vote = flags(lambda s: s.mandate.vote_required)
        self.mandate_delay = whole_months(per_state("mandate.delay_months", lambda s: s.mandate.delay_months))
        self.withdraw_below = per_state("mandate.withdraw_below", lambda s: s.mandate.withdraw_below)
        self.mandate_draw = uniforms("mandate.vote", self.mandate_vote)
        self.mandate = np.broadcast_to(~self.mandate_vote, (n, S)).copy()
        self.mandate_voted = self.mandate.copy()
        self.withdrawn = np.zeros((n, S), dtype=bool)
        self.treaty_done = bool(self.treaty_voted.all())
        self.mandates_done = bool(self.mandate_voted.all())

        self.support_initial = per_state("support.initial", lambda s: s.support.initial)
        self.support = self.support_initial.copy()
        self.support_recovery = per_state("support.recovery_per_month", lambda s: s.support.recovery_per_month)
        self.support_erosion = per_state("support.erosion_per_month", lambda s: s.support.erosion_per_month)
        self.support_cost = per_state("support.cost_per_10k_troops", lambda s: s.support.cost_per_10k_troops)
        self.support_incident = per_state("support.incident", lambda s: s.support.incident)
        self.support_contagion = per_state("support.contagion", lambda s: s.support.contagion)
        self.flank_drain = per_state("support.flank_drain", lambda s: s.support.flank_drain)

        self.required_level = per_state(
            "conditions.us_backstop_at_least", lambda s: s.conditions.us_backstop_at_least, "level")
        self.ceasefire_first = flags(lambda s: s.conditions.ceasefire_first)
        self.wait = whole_months(per_state("conditions.months_after_ceasefire",
                                           lambda s: s.conditions.months_after_ceasefire))
        self.after_leads = per_state("conditions.after_leads", lambda s: s.conditions.after_leads)
        self.fill_gap = flags(lambda s: s.conditions.fill_gap)

        self.resolve = per_state("resolve", lambda s: s.resolve)
        self.resolve_logodds = logit(self.resolve)
        self.acceptability = per_state("acceptability_to_russia", lambda s: s.acceptability_to_russia)
        n_offers = np.array([len(s.offers) for s in states], dtype=float)
        #: Capability units each state brings to a response: its troops (deployed or not) and its offers.
        self.capability = (self.target / 1000.0 * model.per_thousand_troops[:, None]
                           + n_offers * model.offer_capability[:, None])
        self.capability = np.where(self.member, self.capability, 0.0)
        count = {t: sum(s.offers.count(t) for s in states if s.member) for t in OFFER_TYPES}
        self.offer_counts = count
        #: The members' capability, (R,), and whether anyone brings any.
        self.member_total = np.where(self.member, self.capability, 0.0).sum(axis=1)
        #: Replications whose troops or ratifications changed since the model last looked, (R,).
        self.touched = np.zeros(n, dtype=bool)
        self.has_capability = self.capability.sum(axis=1) > 0
        self.ratified_capability, self.committed = np.zeros((n, S)), np.zeros((n, S), dtype=bool)
        self.ratified_total, self.ratified_share, self.votes = np.zeros(n), np.zeros(n), np.zeros(n)
        self._tally()

        self.start = np.full((n, S), NEVER, dtype=np.int32)
        #: Willing states with troops on offer that have not started (nor withdrawn).
        self.pending = self.willing & (self.target > 0)
        #: Contingents still arriving (their troops change this month).
        self.ramping = np.zeros((n, S), dtype=bool)
        self.planned_leads = np.where(self.lead & self.willing, self.target, 0.0).sum(axis=1)
        #: The replications with a state waiting to start (None when that has changed), and those in
        #: which who can start must be worked out again this month (see ``_mark_changes``).
        self._pending_rows, self._dirty = None, np.ones(n, dtype=bool)
        #: The US level and ceasefire months when last looked at (None before the first month), and
        #: by month, the replications in which some state's wait after the ceasefire ends.
        self._seen_level = self._seen_ceasefire = None
        self._wait_ends: dict[int, list[np.ndarray]] = {}
        self.ramp_now = self.ramp.astype(float)
        self.peak = np.zeros((n, S))
        self.troops = np.zeros((n, S))
        self.deployed = np.zeros((n, S), dtype=bool)
        self.force_in_ukraine, self.force_nearby = np.zeros(n), np.zeros(n)
        self.contributors = np.zeros(n, dtype=np.int16)
        self.deployed_loss = np.zeros((n, S))
        self.any_deployed = False
        self.troop_months = np.zeros((n, S))
        self.max_response = np.zeros((n, S), dtype=np.int8)
        # One uniform per member and month for its response decision (float32: S × horizon × R);
        # a state outside the coalition does not respond.
        self.response_draws = np.full((S, model.horizon, n), 0.5, np.float32)
        for j in np.flatnonzero(self.member):
            self.response_draws[j] = model.uniform(f"states.{self.ids[j]}.respond", (model.horizon, n))

    # ------------------------------------------------------------------ votes

    def ratify(self, t: int, start: np.ndarray) -> bool:
        """Treaty votes due this month; returns whether any vote was held."""
        if self.treaty_done:
            return False
        # Months since the start, (R, 1); hugely negative where it has not come (NEVER).
        due = ~self.treaty_voted & (self.treaty_delay <= t - start[:, None].astype(np.int64))
        self.ratified |= due & self.treaty_passes
        self.treaty_failed |= due & ~self.treaty_passes
        self.treaty_voted |= due
        self.treaty_done = bool(self.treaty_voted.all())
        rows = np.flatnonzero(due.any(axis=1))
        if not rows.size:
            return False
        self._tally(rows)
        return True

    def _tally(self, rows: np.ndarray | slice = slice(None)) -> None:
        """What the treaty votes so far add up to, in the replications ``rows`` that held a vote."""
        self.touched[rows] = True
        ratified, capability, total = self.ratified[rows], self.capability[rows], self.member_total[rows]
        #: The ratified members' capability, (R, S), and its total, (R,).
        self.ratified_capability[rows] = capability * ratified
        self.ratified_total[rows] = self.ratified_capability[rows].sum(axis=1)
        #: Ratified members with forces to commit, (R, S).
        self.committed[rows] = ratified & (capability > 0)
        #: The members' capability share that has ratified, and that minus the share that voted it down, (R,).
        self.ratified_share[rows] = share(ratified & self.member, capability, total)
        self.votes[rows] = self.ratified_share[rows] - share(self.treaty_failed[rows] & self.member, capability, total)

    def vote_mandates(self, t: int, ceasefire_month: np.ndarray) -> None:
        """Mandate votes due this month pass with P = domestic support now."""
        if self.mandates_done:
            return
        due = ~self.mandate_voted & (self.mandate_delay <= t - ceasefire_month[:, None].astype(np.int64))
        self.mandate |= due & (self.mandate_draw < self.support)
        self.mandate_voted |= due
        self.mandates_done = bool(self.mandate_voted.all())
        self._dirty |= due.any(axis=1)  # who is ready to deploy may have changed there

    # ------------------------------------------------------------------ deployment

    def deploy(self, t: int, ceasefire_month: np.ndarray, collapsed: np.ndarray, us_level: np.ndarray,
               ramp_factor: np.ndarray, target_force: float) -> None:
        """Leads, then followers over their bandwagon threshold, then gap fillers; troops ramp in.

        Only the replications with a state waiting to start, or a contingent still arriving, are computed.
        """
        self._mark_changes(t, ceasefire_month, us_level)
        if self._pending_rows is None:
            self._pending_rows = np.flatnonzero(self.pending.any(axis=1))
        # In a replication where nothing that decides who can start has changed since it was last
        # worked out, working it out again would give what it gave then (nobody new): it is skipped.
        rows = self._pending_rows[self._dirty[self._pending_rows]]
        self._dirty[:] = False
        if rows.size:
            ready = (self.pending[rows] & self.mandate[rows] & (us_level[rows, None] >= self.required_level[rows])
                     & ~collapsed[rows, None])
            if self.ceasefire_first.any():
                waited = self.wait[rows] <= t - ceasefire_month[rows, None].astype(np.int64)
                ready &= waited | ~self.ceasefire_first
            if ready.any():
                self._start(t, rows, ready, ramp_factor[rows], target_force)
        if self.ramping.any():
            # Only the replications with a contingent still arriving change.
            rows = np.flatnonzero(self.ramping.any(axis=1))
            start = self.start[rows]
            begun = start <= t
            elapsed = np.where(begun, t - start + 1, 0)
            share = np.minimum(1.0, elapsed / np.maximum(self.ramp_now[rows], 1e-9))
            there = begun & ~self.withdrawn[rows]
            troops = self.target[rows] * share * there
            self.ramping[rows] = there & (share < 1.0)
            self._set_troops(troops, rows)
            self.peak[rows] = np.maximum(self.peak[rows], troops)
        self.troop_months += self.troops

    def _mark_changes(self, t: int, ceasefire_month: np.ndarray, us_level: np.ndarray) -> None:
        """Mark the replications where who can start may have changed: a new US level, or a state's
        wait after the ceasefire ending this month (a new ceasefire counts there, from its month
        plus the wait); withdrawals and mandate votes mark their own.  Not marked, because they
        cannot let anyone start: a collapse (it only takes states out of readiness) and a start
        (leads, followers and gap fillers are all weighed in the one pass that starts them)."""
        if self._seen_level is None:
            self._dirty[:] = True
            self._seen_ceasefire = np.full_like(ceasefire_month, NEVER)
        else:
            self._dirty |= us_level != self._seen_level
        self._seen_level = us_level.copy()
        new = np.flatnonzero(ceasefire_month != self._seen_ceasefire)
        if new.size:
            self._note_wait_ends(new, ceasefire_month)
            self._seen_ceasefire[new] = ceasefire_month[new]
        ending = self._wait_ends.pop(t, None)
        if ending is not None:
            self._dirty[np.concatenate(ending)] = True

    def _note_wait_ends(self, new: np.ndarray, ceasefire_month: np.ndarray) -> None:
        """Note, by month, the replications ``new`` (their ceasefire just began) in which some state's
        wait after the ceasefire ends."""
        ends = ceasefire_month[new, None].astype(np.int64) + self.wait[new][:, self.ceasefire_first]
        for month in np.unique(ends).tolist():
            self._wait_ends.setdefault(month, []).append(new[(ends == month).any(axis=1)])

    def _set_troops(self, troops: np.ndarray, rows: np.ndarray) -> None:
        """New troops (k, S) in the replications ``rows``, and what follows from them until they change
        again (most months they do not: a month's step then reuses these instead of recomputing them)."""
        self.troops[rows] = troops
        self.touched[rows] = True
        #: States with troops deployed, (R, S).
        deployed = troops > 0
        self.deployed[rows] = deployed
        self.any_deployed = bool(self.deployed.any())
        #: Troops in Ukraine and next to it, and the number of contributing states, (R,).
        self.force_in_ukraine[rows] = troops[:, self.in_ukraine].sum(axis=1)
        self.force_nearby[rows] = troops[:, ~self.in_ukraine].sum(axis=1)
        self.contributors[rows] = deployed.sum(axis=1)
        #: Support lost each month by the deployed states: time, cost and the eastern-flank drain.
        loss = self.support_erosion[rows] + self.support_cost[rows] * troops / 10_000.0 + self.flank_drain[rows]
        self.deployed_loss[rows] = loss * deployed

    def _start(self, t: int, rows: np.ndarray, new: np.ndarray, ramp_factor: np.ndarray, target_force: float) -> None:
        """Start the states ``new`` (k, S) of the replications ``rows`` that may go now."""
        withdrawn, target = self.withdrawn[rows], self.target[rows]
        lead_new = new & self.lead
        going = ((self.start[rows] != NEVER) & ~withdrawn) | lead_new
        lead_going = (target * (self.lead & going)).sum(axis=1)
        # Leads that plan no troops give a follower nothing to follow (share 0).
        planned = self.planned_leads[rows]
        share = np.divide(lead_going, planned, out=np.zeros_like(lead_going), where=planned > 0)
        waits = share[:, None] >= self.after_leads[rows]
        follower_new = new & ~self.lead & ~self.fill_gap & waits
        going |= follower_new
        others = (target * (going & self.in_ukraine & ~withdrawn)).sum(axis=1)
        gap_new = new & self.fill_gap & waits & (others[:, None] < target_force)
        now = lead_new | follower_new | gap_new
        if not now.any():
            return
        self.start[rows] = np.where(now, t, self.start[rows])
        self.ramp_now[rows] = np.where(now, self.ramp[rows] * ramp_factor[:, None], self.ramp_now[rows])
        self.pending[rows] &= ~now
        self.ramping[rows] |= now
        self._pending_rows = None

    def erode_support(self) -> np.ndarray:
        """Support recovers toward its starting level and erodes with time, cost and the flank
        drain while deployed; below its floor a mandate is withdrawn, and withdrawals spread.

        Returns the states that withdrew this month, shape (R, S).
        """
        # Support drifts back toward its starting level: incidents and costs are deviations from it.
        self.support += self.support_recovery * (self.support_initial - self.support)
        if not self.any_deployed:
            return self.deployed
        self.support -= self.deployed_loss
        np.clip(self.support, 0.0, 1.0, out=self.support)
        out = self.deployed & (self.support < self.withdraw_below)
        if out.any():
            self.withdraw(out)
        return out

    def withdraw(self, out: np.ndarray) -> None:
        """The states ``out`` (R, S) withdraw their troops."""
        rows = np.flatnonzero(out.any(axis=1))
        self._pending_rows = None
        self._dirty[rows] = True  # a gap may open that a gap filler fills
        self.withdrawn |= out
        self.pending &= ~out
        self.ramping &= ~out
        self._set_troops(np.where(out[rows], 0.0, self.troops[rows]), rows)
        # Each withdrawal costs every other state's support (contagion).
        others = out.sum(axis=1, keepdims=True) - out
        self.support = np.clip(self.support - self.support_contagion * others, 0.0, 1.0)

    def hit(self, touched: np.ndarray, protection: np.ndarray) -> None:
        """An attack touched the troops in Ukraine of the replications in ``touched`` (R,)."""
        rows = np.flatnonzero(touched)
        there = self.deployed[rows] & self.in_ukraine
        support = self.support[rows] - self.support_incident[rows] * (1.0 - protection[rows, None]) * there
        self.support[rows] = np.clip(support, 0.0, 1.0)

    # ------------------------------------------------------------------ response

    def presence(self, entanglement: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """How far each state's own troops in Ukraine entangle it, (k, S) in [0, 1], in ``rows``.

        ``entanglement`` (k,) is the force's effect (its size against the target, weakened
        below the minimum effective force, times the posture): a token force far from
        the contact line entangles its government little.
        """
        return entanglement[:, None] * (self.in_ukraine & self.deployed[rows])

    def respond(self, t: int, rows: np.ndarray, shock: np.ndarray, presence: np.ndarray, us_responds: np.ndarray,
                response, judged: np.ndarray) -> np.ndarray:
        """Response levels (k, S) of the replications ``rows`` (k of them) to an attributed action.

        Each executive decides whether to respond from its resolve, the shock common
        to all, its own troops in Ukraine and how far the US responded (log-odds);
        the leads decide first, then the followers, who also see the share of leads
        that responded.  A responder answers at the ``judged`` level (k,).
        """
        base_logodds = (self.resolve_logodds[rows] + shock[:, None] + response.own_troops * presence
                        + response.us_responds * us_responds[:, None])
        u = self.response_draws[:, t - 1, rows].T
        leads = self.lead_columns
        led = u[:, leads] < expit(base_logodds[:, leads])
        share = led.sum(axis=1) / leads.size if leads.size else np.zeros(len(u))
        responds = u < expit(base_logodds + response.leads_respond * share[:, None])  # the followers
        responds[:, leads] = led
        responds &= self.member
        # Only a state with troops deployed, or a ratified commitment and forces to commit, can
        # answer militarily; the others are capped at economic measures (as the US below 'enablers').
        can_fight = self.deployed[rows] | self.committed[rows]
        level = np.where(can_fight, judged[:, None], np.minimum(judged[:, None], ECONOMIC))
        levels = np.where(responds, level, NONE).astype(np.int8)
        self.max_response[rows] = np.maximum(self.max_response[rows], levels)
        return levels


class UnitedStates(mesa.Agent):
    """The US: an administration (the backstop offered, honour, elections) and a Congress."""

    def __init__(self, model):
        super().__init__(model)
        spec = model.spec.united_states
        n = model.replications
        #: The level offered (int codes of :class:`Level`); what is realised depends on Congress.
        self.offered = model.draw_level("united_states.backstop", spec.backstop)
        self.described = describe_level(spec.backstop)
        self.executive_max = model.draw_level("united_states.executive_max", spec.executive_max)
        self.congress_required = spec.congress.required
        if self.congress_required:
            self.congress_delay = whole_months(model.draw("united_states.congress.delay_months", spec.congress.delay_months))
            p = model.draw("united_states.congress.approval", spec.congress.approval)
            self.congress_passes = model.uniform("united_states.congress.vote") < p
            self.congress_voted = np.zeros(n, dtype=bool)
        self.congress_approved = np.zeros(n, dtype=bool) if self.congress_required else np.ones(n, dtype=bool)
        self.level = self._realised().astype(np.int8)
        self.moved = np.zeros(0, dtype=np.int64)
        self.changed = np.zeros(n, dtype=bool)
        self.elections = [
            (e.month,
             model.uniform(f"united_states.elections.{i}.swing") < model.draw(f"united_states.elections.{i}.change", e.change),
             model.draw_level(f"united_states.elections.{i}.backstop_after", e.backstop_after))
            for i, e in enumerate(spec.elections)
        ]
        honour = model.draw("united_states.honour", spec.honour)
        self.stake = model.draw("united_states.economic_stake", spec.economic_stake)
        #: P(the administration responds), its honour with the economic stake's share of misses recovered.
        self.honour = recovered(honour, self.stake)
        self.honour_logodds = logit(self.honour)
        en = spec.enablers
        self.detection_gain = model.draw("united_states.enablers.detection_gain", en.detection_gain)
        self.attribution_gain = model.draw("united_states.enablers.attribution_gain", en.attribution_gain)
        self.protection = model.draw("united_states.enablers.protection", en.protection)
        self.ramp_factor = model.draw("united_states.enablers.ramp_factor", en.ramp_factor)
        self.respond_draws = model.uniform("united_states.respond", (model.horizon, n))
        self.max_response = np.zeros(n, dtype=np.int8)

    def _realised(self) -> np.ndarray:
        return np.where(self.congress_approved, self.offered, np.minimum(self.offered, self.executive_max))

    def update(self, t: int, ratification_start: np.ndarray) -> None:
        """Congress votes when due; an election at month t may change the level offered."""
        if self.congress_required:
            due = ~self.congress_voted & (ratification_start != NEVER)
            due &= ratification_start.astype(np.int64) + self.congress_delay <= t
            self.congress_approved |= due & self.congress_passes
            self.congress_voted |= due
        for month, change, after in self.elections:
            if month == t:
                moved = change & (after != self.offered)
                self.offered = np.where(change, after, self.offered).astype(np.int8)
                self.changed |= moved
        level = self._realised().astype(np.int8)
        #: The replications whose realised level changed this month (what depends on it is refreshed there).
        self.moved = np.flatnonzero(level != self.level)
        self.level = level

    @property
    def enabling(self) -> np.ndarray:
        """The realised level brings enablers (ISR, air defence, logistics)."""
        return self.level >= Level.enablers.value

    def respond(self, t: int, rows: np.ndarray, shock: np.ndarray, judged: np.ndarray, entangled: np.ndarray) -> np.ndarray:
        """The administration's response level (codes) in replications ``rows``, capped by its backstop level.

        It weighs its honour (with the economic stake), the common shock and, at the
        'direct' level, its own forces in Ukraine (``entangled``, log-odds).  Below
        'political' it does not respond; below 'enablers' it cannot answer militarily.
        """
        level_now = self.level[rows]
        p = expit(self.honour_logodds[rows] + shock + np.where(level_now >= Level.direct.value, entangled, 0.0))
        responds = (self.respond_draws[t - 1][rows] < p) & (level_now >= Level.political.value)
        cap = np.where(level_now >= Level.enablers.value, MILITARY, ECONOMIC)
        level = np.where(responds, np.minimum(judged, cap), NONE).astype(np.int8)
        self.max_response[rows] = np.maximum(self.max_response[rows], level)
        return level


class Russia(mesa.Agent):
    """Russia: accepts the package (or not), agrees a ceasefire, then climbs or not the escalation ladder.

    Each month after a ceasefire it may see an opportunity; it then takes the
    rung whose gain exceeds its perceived cost by most (or complies).  The
    perceived cost of a rung is its severity × (Ukraine's army + P(detected) ×
    P(attributed) × perceived P(response) × the response's size).  The
    perceived P(response) is a belief in log-odds, updated from what Russia
    observes (ODD §7.6).
    """

    RUNGS = ("probe", "limited", "major")

    def __init__(self, model, coalition: Coalition, us: UnitedStates):
        super().__init__(model)
        spec = model.spec.russia
        n, horizon = model.replications, model.horizon
        acc = spec.acceptance
        without = model.draw("russia.acceptance.without_troops", acc.without_troops)
        weight = model.draw("russia.acceptance.troop_weight", acc.troop_weight)
        half = model.draw("russia.acceptance.half_size_troops", acc.half_size_troops)
        us_weight = model.draw("russia.acceptance.us_weight", acc.us_weight)
        planned = np.where(coalition.willing & coalition.in_ukraine, coalition.target, 0.0)
        total = planned.sum(axis=1)
        hostile = (planned * (1.0 - coalition.acceptability)).sum(axis=1)
        h = np.divide(hostile, total + half, out=np.zeros(n), where=(total + half) > 0)
        #: Acceptance of the package on the table, in [0, 1]: its size, composition and the US role.
        self.acceptance = without * (1.0 - weight * h) * (1.0 - us_weight * us.offered / DIRECT)
        cf = model.spec.ceasefire
        self.ceasefire_hazard = model.draw("ceasefire.monthly_hazard", cf.monthly_hazard) * self.acceptance
        self.assumed_month = cf.assumed_month
        self.ceasefire_draws = model.uniform("ceasefire", (horizon, n))

        self.opportunity = model.draw("russia.opportunity_per_month", spec.opportunity_per_month)
        self.opportunity_draws = model.uniform("russia.opportunity", (horizon, n))
        self.gain_draws = model.streams("russia.gain").standard_exponential((horizon, n))
        lad = spec.ladder
        self.gain = np.stack([model.draw(f"russia.ladder.{r}.gain", getattr(lad, r).gain) for r in self.RUNGS], 1)
        self.severity = np.stack(
            [model.draw(f"russia.ladder.{r}.severity", getattr(lad, r).severity) for r in self.RUNGS], 1)
        self.visibility = np.stack(
            [model.draw(f"russia.ladder.{r}.visibility", getattr(lad, r).visibility) for r in self.RUNGS], 1)

        b = spec.belief
        self.prior = logit(model.draw("russia.belief.prior", b.prior))
        self.insight = model.draw("russia.belief.insight", b.insight)
        self.w_votes = model.draw("russia.belief.votes", b.votes)
        self.w_troops = model.draw("russia.belief.troops", b.troops)
        self.w_us = model.draw("russia.belief.us_level", b.us_level)
        self.w_answered = model.draw("russia.belief.answered", b.answered)
        self.w_unanswered = model.draw("russia.belief.unanswered", b.unanswered)
        self.memory = model.draw("russia.belief.memory", b.memory)
        #: Lessons from answered (+) and unanswered (−) actions, in log-odds.
        self.lessons = np.zeros(n)
        #: Perceived P(response) at the last opportunity (NaN before the first).
        self.perceived = np.full(n, np.nan)

    def agree_ceasefire(self, t: int, ceasefire_month: np.ndarray) -> None:
        """A monthly hazard scaled by acceptance (or the assumed month)."""
        if self.assumed_month is not None:
            return  # set once at the start
        new = (ceasefire_month == NEVER) & (self.ceasefire_draws[t - 1] < self.ceasefire_hazard)
        ceasefire_month[new] = t

    def opportunities(self, t: int, eligible: np.ndarray) -> np.ndarray:
        """The replications (indices) in which this month offers Russia an opportunity to act."""
        return np.flatnonzero(eligible & (self.opportunity_draws[t - 1] < self.opportunity))

    def believe(self, rows: np.ndarray, actual: np.ndarray, votes: np.ndarray, presence: np.ndarray,
                us_level: np.ndarray) -> None:
        """Perceived P(an attributed violation is answered) in ``rows``: the record, signals and lessons.

        Log-odds: (1 − insight)·logit(prior) + insight·logit(actual) + votes + troops present
        + US level + lessons.
        """
        i = self.insight[rows]
        theta = ((1.0 - i) * self.prior[rows] + i * logit(actual)
                 + self.w_votes[rows] * votes + self.w_troops[rows] * presence
                 + self.w_us[rows] * us_level / DIRECT + self.lessons[rows])
        self.perceived[rows] = expit(theta)

    def rung_monitoring(self, rows, detection: np.ndarray, attribution: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each rung's P(detected) and P(attributed), (k, 3), from the base rates: visibility v
        turns p into 1 − (1 − p)^v (a probe is harder to see than an offensive)."""
        vis = self.visibility[rows]
        return 1.0 - (1.0 - detection[:, None]) ** vis, 1.0 - (1.0 - attribution[:, None]) ** vis

    def choose(self, t: int, rows: np.ndarray, det: np.ndarray, att: np.ndarray, army: np.ndarray,
               size: np.ndarray) -> np.ndarray:
        """The action in ``rows`` (0 comply, 1 probe, 2 limited, 3 major), given each rung's P(det), P(attr).

        The gain of rung a is gain_a × E (E ~ Exp(1), the opportunity's size, one per month);
        its perceived cost is severity_a × (army + P(det_a)·P(attr_a)·perceived·size).  Russia
        takes the rung with the largest positive net gain, or complies.
        """
        cost = self.severity[rows] * (army[:, None] + det * att * (self.perceived[rows] * size)[:, None])
        net = self.gain[rows] * self.gain_draws[t - 1][rows, None] - cost
        best = np.argmax(net, axis=1)
        return np.where(net.max(axis=1) > 0, best + 1, 0).astype(np.int8)

    def learn(self, acted: np.ndarray, answered: np.ndarray) -> None:
        """Answered actions deter, unanswered ones embolden; old lessons fade."""
        self.lessons = self.memory * self.lessons + self.w_answered * answered - self.w_unanswered * (acted & ~answered)


class Ukraine(mesa.Agent):
    """Ukraine's own army as an index in [0, 1]: grows with delivered aid, erodes without."""

    def __init__(self, model, offer_counts: dict[str, int]):
        super().__init__(model)
        spec = model.spec.ukraine
        pkg = model.spec.package
        draw = model.draw
        offers = model.spec.capability.offers
        self.strength = np.clip(draw("ukraine.army_strength", spec.army_strength), 0.0, 1.0)
        pledged = draw("package.military_support.aid_usd_bn_per_year", pkg.military_support.aid_usd_bn_per_year)
        equipment = draw("capability.offers.equipment", offers.equipment)
        #: Aid pledged (billions of USD per year), raised by equipment offers (at most doubled).
        self.pledged = pledged * (2.0 - (1.0 - equipment) ** offer_counts["equipment"])
        self.capacity = draw("ukraine.industry_capacity_usd_bn_per_year", spec.industry_capacity_usd_bn_per_year)
        growth = (
            draw("package.long_term_cooperation.industry_growth_per_year",
                 pkg.long_term_cooperation.industry_growth_per_year)
            if pkg.long_term_cooperation.enabled else np.zeros(model.replications)
        )
        #: Monthly factor by which long-term cooperation grows Europe's deliverable capacity.
        self.capacity_growth = (1.0 + growth) ** (1.0 / 12.0)
        self.need = draw("ukraine.aid_need_usd_bn_per_year", spec.aid_need_usd_bn_per_year)
        training = draw("capability.offers.training", offers.training)
        # Training raises the growth rate, at most doubling it however many states offer it.
        self.growth = draw("ukraine.growth_per_month", spec.growth_per_month) * (
            2.0 - (1.0 - training) ** offer_counts["training"])
        self.erosion = draw("ukraine.erosion_per_month", spec.erosion_per_month)
        self.delivered_total = np.zeros(model.replications)  # billions of USD over the run

    def build_army(self) -> None:
        delivered = np.minimum(self.pledged, self.capacity)
        self.delivered_total += delivered / 12.0
        supplied = np.divide(delivered, self.need, out=np.ones_like(self.need), where=self.need > 0).clip(0.0, 1.0)
        # Growth slows as the army nears the top of the index (an army cannot grow without bound),
        # erosion as it nears the bottom: each acts on the room left.
        s = self.strength
        self.strength = np.clip(s + self.growth * supplied * (1.0 - s) - self.erosion * (1.0 - supplied) * s, 0.0, 1.0)
        self.capacity = self.capacity * self.capacity_growth
