"""The Mesa model: one instance advances a block of R replications month by month.

Each step is one month and runs these phases in order (docs/ODD.md, §3):

1. ceasefire — Russia agrees (a hazard scaled by its acceptance of the package);
2. United States — Congress votes when due, elections may move the backstop;
3. votes — treaty ratification and deployment mandates, state by state;
4. deployment — leads, followers over their threshold, gap fillers; support erodes, mandates may be withdrawn;
5. Ukraine — the army grows with delivered aid;
6. Russia — updates its belief and chooses a rung of the escalation ladder;
7. monitoring — detection and attribution of what it did;
8. response — the US, the leads, then the followers decide; activation, lessons, incidents, collapse.

Python loops run over months only; every quantity is an array of shape
``(R,)`` or ``(R, S)`` for the S states.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from ..scenario import params
from ..scenario.schema import Level, LevelChoice, Scenario, sample_level
from .agents import (
    DIRECT, ECONOMIC, MILITARY, NEVER, Coalition, Russia, UnitedStates, Ukraine, expit, judged_level, recovered,
    share, whole_months,
)
from .outcomes import ACTIONS, GUARANTEE_TESTS, RESPONSE_LEVELS, WINDOWS
from .streams import Streams

US_LEVELS = tuple(Level.names())
#: Per-month series in the timeline: counts of replications (or sums, see ODD §7.9).
TIMELINE = (
    "ceasefire", "guarantee_in_force", "deployed", "violated", "activated", "collapsed",
    "probe", "limited", "major", "force_in_ukraine",
)
LIMITED, MAJOR = ACTIONS.index("limited"), ACTIONS.index("major")
NO_TEST, NO_GUARANTEE, ACTIVATED, FAILED = (GUARANTEE_TESTS.index(x) for x in GUARANTEE_TESTS)


@dataclass
class BlockResult:
    """What one block of replications produced."""

    runs: pd.DataFrame  # one row per replication
    states: pd.DataFrame  # one row per replication × state
    timeline: pd.DataFrame  # one row per month: counts (or sums) over replications (see TIMELINE)
    inputs: pd.DataFrame  # one row per replication, one column per uncertain parameter (dotted path)


@dataclass
class MonthEvents:
    """What happened in the month just stepped, per replication (kept so that one replication can
    be watched month by month; nothing in the model reads it back).

    Arrays of shape (R,) unless said: ``opportunity`` Russia saw one; ``action`` its code in
    :data:`~sim.model.outcomes.ACTIONS` (0 = comply, also with no opportunity); ``detected`` and
    ``attributed`` that action; ``us_response`` and ``responses`` (R, S) the levels, codes in
    :data:`~sim.model.outcomes.RESPONSE_LEVELS`, at which the US and each state answered it;
    ``in_force`` the binding guarantee was in force.
    """

    month: int
    opportunity: np.ndarray
    action: np.ndarray
    detected: np.ndarray
    attributed: np.ndarray
    us_response: np.ndarray
    responses: np.ndarray
    in_force: np.ndarray


class GuaranteeModel(mesa.Model):
    """Security-guarantee model over ``replications`` replications of one block.

    Args:
        scenario: a validated scenario.
        replications: R, the number of replications advanced together.
        block: the block index; with ``seed`` it fixes every random stream.
        seed: the run's root seed (``run.seed`` of the scenario when None).
        fixed: values for uncertain parameters, by dotted path, held fixed instead of drawn: a number
            (every replication) or an array of shape (R,) (one value per replication) — the inner
            level of a two-level design, where replications share an outer draw of the assumptions.
            Their streams are not drawn from, so every other draw stays as it was.
        stream_key: extra words of the block's spawn key (an outer point's own seed).
    """

    def __init__(self, scenario: Scenario, replications: int = 1, block: int = 0, seed: int | None = None,
                 fixed: dict[str, float | np.ndarray] | None = None, stream_key: tuple[int, ...] = ()):
        seed = scenario.run.seed if seed is None else int(seed)
        self.streams = Streams(seed, block, stream_key)
        self.fixed = dict(fixed or {})
        #: The drawn value of every uncertain parameter, by its dotted path (as in sweeps and --set).
        self.inputs: dict[str, np.ndarray] = {}
        # Mesa's own generators are seeded from a stream of their own; the model never uses them.
        super().__init__(rng=int(self.streams("mesa").integers(2**32)))
        self.spec = scenario  # not `scenario`: Mesa 3.5 has a Model.scenario of its own
        self.replications = n = int(replications)
        self.block = int(block)
        self.horizon = scenario.run.horizon_months
        self.month = 0

        # Scenario-wide parameters are drawn once per replication and shared by all states.
        cap = scenario.capability
        self.per_thousand_troops = self.draw("capability.per_thousand_troops", cap.per_thousand_troops)
        self.offer_capability = self.draw("capability.offers.capability", cap.offers.capability)
        self.force_ramp = whole_months(
            self.draw("package.multinational_force.ramp_months", scenario.package.multinational_force.ramp_months)
        )
        self.coalition = Coalition(self)
        self.united_states = UnitedStates(self)
        self.russia = Russia(self, self.coalition, self.united_states)
        self.ukraine = Ukraine(self, self.coalition.offer_counts)

        cf = scenario.ceasefire
        self.ceasefire_month = np.full(n, NEVER if cf.assumed_month is None else cf.assumed_month, dtype=np.int32)
        rat = scenario.ratification
        self.ratification_start = (
            np.full(n, rat.signing_month, dtype=np.int32) if rat.starts == "signing" else self.ceasefire_month
        )

        w = scenario.deterrence.weights
        self.w_force = self.draw("deterrence.weights.force", w.force)
        self.w_us = self.draw("deterrence.weights.us_backstop", w.us_backstop)
        self.w_army = self.draw("deterrence.weights.ukraine_army", w.ukraine_army)
        self.w_commitment = self.draw("deterrence.weights.commitment", w.commitment)
        posture = scenario.package.multinational_force.posture
        self.posture = self.draw(f"deterrence.posture_factor_{posture}",
                                 getattr(scenario.deterrence, f"posture_factor_{posture}"))
        th = scenario.thresholds
        self.minimum_force, self.target_force = th.minimum_effective_force, th.target_force
        self.below_minimum = th.effect_below_minimum

        mon = scenario.package.monitoring
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
        counts = self.coalition.offer_counts
        offers = cap.offers
        isr = 1.0 - (1.0 - self.draw("capability.offers.intelligence", offers.intelligence)) ** counts["intelligence"]
        naval = 1.0 - (1.0 - self.draw("capability.offers.maritime", offers.maritime)) ** counts["maritime"]
        self.offer_detection_gain = recovered(isr, naval)
        self.offer_attribution_gain = isr
        self.offer_protection = 1.0 - (1.0 - self.draw("capability.offers.air_policing", offers.air_policing)) ** counts[
            "air_policing"]
        self.offer_ramp = (1.0 - self.draw("capability.offers.logistics", offers.logistics)) ** (
            counts["logistics"] + counts["basing"])
        self.rung_detection, self.rung_attribution = np.zeros((n, 3)), np.zeros((n, 3))
        self._refresh_monitoring(slice(None))
        self.detect_draws = self.uniform("monitoring.detect", (self.horizon, n))
        self.attribute_draws = self.uniform("monitoring.attribute", (self.horizon, n))
        self.incident_draws = self.uniform("russia.incident", (self.horizon, n))

        resp = scenario.response
        self.response = resp
        self.shock_draws = self.streams("response.shock").standard_normal((self.horizon, n))
        self.shock_sd = self.draw("response.shock", resp.shock)
        self.economic_share = self.draw("response.economic_share", resp.economic_share)
        ms = resp.military_share
        self.military_share = np.stack([
            np.zeros(n),
            self.draw("response.military_share.probe", ms.probe),
            self.draw("response.military_share.limited", ms.limited),
            self.draw("response.military_share.major", ms.major),
        ], axis=1)
        self.quorum = self.draw("activation.quorum", scenario.activation.quorum)
        self.troop_month_usd = self.draw("costs.troop_month_usd", scenario.costs.troop_month_usd)

        #: Russia's read of the committed members' P(response) and the force effect it was read
        #: with (NaN: to be read again), per replication; see _act.
        self.actual, self.actual_force = np.zeros(n), np.full(n, np.nan)

        # State of the world and records.
        self.collapsed = np.zeros(n, dtype=bool)
        self.collapse_month = np.full(n, NEVER, dtype=np.int32)
        self.in_force_ever = np.zeros(n, dtype=bool)
        #: Actions taken, by rung (probe, limited, major), (R, 3).
        self.counts = np.zeros((n, len(ACTIONS) - 1), dtype=np.int16)
        self.first_violation = np.full(n, NEVER, dtype=np.int32)
        self.detected = np.zeros(n, dtype=bool)
        self.attributed = np.zeros(n, dtype=bool)
        self.test = np.full(n, NO_TEST, dtype=np.int8)  # index into GUARANTEE_TESTS
        self.max_response = np.zeros(n, dtype=np.int8)
        self.force_in_ukraine_peak = np.zeros(n)
        self.force_nearby_peak = np.zeros(n)
        self.at_window = np.full((n, len(WINDOWS)), np.nan)
        self.contributors_peak = np.zeros(n, dtype=np.int16)
        self.exposure = np.zeros(n, dtype=np.int16)
        self.timeline = np.zeros((self.horizon, len(TIMELINE)), dtype=np.float64)
        #: The month just stepped (None before the first step).
        self.events: MonthEvents | None = None

    # ----------------------------------------------------------------- randomness

    def uniform(self, name: str, shape=None) -> np.ndarray:
        """Uniform draws of the named event stream (shape ``(R,)`` by default)."""
        return self.streams.uniform(name, self.replications if shape is None else shape)

    def draw_level(self, name: str, param) -> np.ndarray:
        """Per-replication US backstop levels (int8 codes of :class:`Level`)."""
        if name in self.fixed:
            return np.broadcast_to(np.asarray(self.fixed[name]), (self.replications,)).astype(np.int8)
        if not isinstance(param, LevelChoice):
            return sample_level(param, None, self.replications).astype(np.int8)
        values = sample_level(param, self.streams(f"param:{name}"), self.replications).astype(np.int8)
        self.inputs[name] = values
        return values

    @staticmethod
    def constant(param) -> float | None:
        """The value of a parameter that is not drawn (a number or a fixed value), else None."""
        if isinstance(param, (int, float)) and not isinstance(param, bool):
            return float(param)
        if isinstance(param, params.Fixed):  # a fixed value needs no stream (and no stream is skipped)
            return float(param.value)
        return None

    def draw(self, name: str, param) -> np.ndarray:
        """Per-replication values of a parameter; a distribution gets its own named stream."""
        value = self.constant(param)
        if value is not None:
            return np.full(self.replications, value)
        if name in self.fixed:
            return np.broadcast_to(np.asarray(self.fixed[name], dtype=float), (self.replications,)).copy()
        values = params.sample(param, self.streams(f"param:{name}"), self.replications)
        self.inputs[name] = values
        return values

    # ----------------------------------------------------------------- dynamics

    def step(self) -> None:
        self.month += 1
        t = self.month
        co, us, ru = self.coalition, self.united_states, self.russia
        ru.agree_ceasefire(t, self.ceasefire_month)
        us.update(t, self.ratification_start)
        if us.moved.size:
            self._refresh_monitoring(us.moved)
        co.ratify(t, self.ratification_start)
        co.vote_mandates(t, self.ceasefire_month)
        ramp_factor = np.where(us.enabling, us.ramp_factor, 1.0) * self.offer_ramp
        co.deploy(t, self.ceasefire_month, self.collapsed, us.level, ramp_factor, self.target_force)
        self.ukraine.build_army()

        # A copy: a withdrawal below updates the coalition's tally in place.
        force_in_ukraine = co.force_in_ukraine.copy()
        self.force_now = force_in_ukraine
        np.maximum(self.force_in_ukraine_peak, force_in_ukraine, out=self.force_in_ukraine_peak)
        np.maximum(self.force_nearby_peak, co.force_nearby, out=self.force_nearby_peak)
        np.maximum(self.contributors_peak, co.contributors, out=self.contributors_peak)
        since = t - self.ceasefire_month.astype(np.int64)
        for j, w in enumerate(WINDOWS):
            self.at_window[:, j] = np.where(since == w, force_in_ukraine, self.at_window[:, j])
        # Support erodes with this month's deployment; a withdrawal takes effect from next month's tally.
        co.erode_support()

        # What Russia sees and weighs; the ratified share changes only in months with votes.
        # Its read of the committed members' resolve is kept per replication until what it is read
        # from changes: troops, ratifications (the coalition marks the rows), the US level.
        if co.touched.any():
            self.actual_force[co.touched] = np.nan
            co.touched[:] = False
        self.actual_force[us.moved] = np.nan
        in_force = co.binding & (co.ratified_share >= self.quorum) & (co.ratified_share > 0)
        in_ceasefire = (self.ceasefire_month <= t) & ~self.collapsed
        self.in_force_ever |= in_force & in_ceasefire
        eligible = in_ceasefire & (self.ceasefire_month < t)
        self.exposure += eligible
        action = np.zeros(self.replications, dtype=np.int8)
        detected = np.zeros(self.replications, dtype=bool)
        attributed = np.zeros(self.replications, dtype=bool)
        answered = military = attributed
        us_response = np.zeros(self.replications, dtype=np.int8)
        responses = np.zeros((self.replications, co.size), dtype=np.int8)
        rows = ru.opportunities(t, eligible)
        if rows.size:
            action[rows], detected[rows], attributed[rows] = self._act(t, rows, force_in_ukraine)
            if attributed.any():
                answered, military = self._respond(t, attributed, action, in_force, us_response, responses)
        opportunity = np.zeros(self.replications, dtype=bool)
        opportunity[rows] = True
        self.events = MonthEvents(t, opportunity, action, detected, attributed, us_response, responses, in_force)
        acted = action > 0
        ru.learn(acted, answered)
        took = np.flatnonzero(action)
        self.counts[took, action[took] - 1] += 1
        violating = action >= LIMITED
        self.first_violation = np.where(violating & (self.first_violation == NEVER), t, self.first_violation)
        self.attributed |= attributed & violating

        # An attack touches the troops in Ukraine with a chance set by the posture; a major one always.
        touched = (action == MAJOR) | ((action == LIMITED) & (self.incident_draws[t - 1] < self.posture))
        if touched.any():
            co.hit(touched, recovered(np.where(us.enabling, us.protection, 0.0), self.offer_protection))
        collapse = (action == MAJOR) & ~military
        self.collapse_month = np.where(collapse & ~self.collapsed, t, self.collapse_month)
        self.collapsed |= collapse

        self.timeline[t - 1] = (
            in_ceasefire.sum(), (in_force & in_ceasefire).sum(), (force_in_ukraine > 0).sum(),
            (self.first_violation <= t).sum(), (self.test == ACTIVATED).sum(),
            self.collapsed.sum(), (action == 1).sum(), (action == LIMITED).sum(), (action == MAJOR).sum(),
            force_in_ukraine.sum(),
        )

    def _act(self, t: int, rows: np.ndarray, force_in_ukraine: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Russia's choice in the replications ``rows`` that see an opportunity; monitoring of it.

        Returns the action codes and whether it was detected and attributed, each of shape (k,).
        """
        co, us, ru = self.coalition, self.united_states, self.russia
        level = us.level[rows]
        x_force = self._force_effect(force_in_ukraine[rows], rows)
        x_us = recovered(level / DIRECT, us.stake[rows])
        x_commitment = co.ratified_share[rows] if co.binding else np.zeros(rows.size)
        size = 1.0 - ((1.0 - self.w_force[rows] * x_force) * (1.0 - self.w_us[rows] * x_us)
                      * (1.0 - self.w_commitment[rows] * x_commitment))
        stale = self.actual_force[rows] != x_force  # NaN: marked stale
        if stale.any():
            sub, x = rows[stale], x_force[stale]
            us_p = np.where(level[stale] >= Level.political.value, us.honour[sub], 0.0)
            self.actual[sub] = self._actual_response(sub, co.presence(x, sub), us_p)
            self.actual_force[sub] = x
        actual = self.actual[rows]
        ru.believe(rows, actual, co.votes[rows], x_force, level)
        det, att = self.rung_detection[rows], self.rung_attribution[rows]
        action = ru.choose(t, rows, det, att, self.w_army[rows] * self.ukraine.strength[rows], size)
        k = np.arange(rows.size)
        rung = np.maximum(action.astype(np.int64) - 1, 0)
        seen = (action > 0) & (self.detect_draws[t - 1][rows] < det[k, rung])
        attributed = seen & (self.attribute_draws[t - 1][rows] < att[k, rung])
        self.detected[rows] |= seen & (action >= LIMITED)
        return action, seen, attributed

    def _force_effect(self, force: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """x_force in [0, 1]: the force against the target, weakened below the minimum, times the posture."""
        if self.target_force > 0:
            x = np.minimum(1.0, force / self.target_force)
        else:
            x = (force > 0).astype(float)
        x = np.where(force >= self.minimum_force, x, x * self.below_minimum)
        return x * self.posture[rows]

    def _refresh_monitoring(self, rows: np.ndarray | slice) -> None:
        """Each rung's P(detected) and P(attributed), (R, 3), in ``rows``: they change only with the US level."""
        self.rung_detection[rows], self.rung_attribution[rows] = self.russia.rung_monitoring(
            rows, *self._monitoring(rows))

    def _monitoring(self, rows: np.ndarray | slice) -> tuple[np.ndarray, np.ndarray]:
        """The base P(detect) and P(attribute) in ``rows``, with US ISR and the offers'."""
        us = self.united_states
        level = us.level[rows]
        detection, attribution = self.detection[rows], self.attribution[rows]
        if self.us_led:
            with_us = level >= Level.monitoring.value
            detection = np.where(with_us, detection, self.detection_without_us[rows])
            attribution = np.where(with_us, attribution, self.attribution_without_us[rows])
        enabling = level >= Level.enablers.value
        detection = recovered(detection, np.where(enabling, us.detection_gain[rows], 0.0))
        attribution = recovered(attribution, np.where(enabling, us.attribution_gain[rows], 0.0))
        return (recovered(detection, self.offer_detection_gain[rows]),
                recovered(attribution, self.offer_attribution_gain[rows]))

    def _actual_response(self, rows: np.ndarray, presence: np.ndarray, us_p: np.ndarray) -> np.ndarray:
        """The capability-weighted P(response) of the ratified members in ``rows``, as Russia could read it."""
        co, resp = self.coalition, self.response
        logodds = co.resolve_logodds[rows] + resp.own_troops * presence + resp.us_responds * us_p[:, None]
        p = expit(logodds)
        weight = co.ratified_capability[rows]
        total = co.ratified_total[rows]
        mean = np.divide((p * weight).sum(axis=1), total, out=np.zeros(rows.size), where=total > 0)
        # Nobody committed: only the US could answer.
        return np.clip(np.where(total > 0, mean, us_p), 0.01, 0.99)

    def _respond(self, t: int, attributed: np.ndarray, action: np.ndarray, in_force: np.ndarray,
                 us_response: np.ndarray, responses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The US, the leads, then the followers respond to an attributed action; activation.

        Only the k replications with an attributed action this month are computed.
        Returns, each of shape (R,): answered at an economic level or above; answered
        militarily (the US at the military level, or members holding a quorum of the
        members' capability with an effective force or a commitment in force).  The
        levels reached are written into ``us_response`` (R,) and ``responses`` (R, S).
        """
        co, us = self.coalition, self.united_states
        rows = np.flatnonzero(attributed)
        z = self.shock_draws[t - 1][rows]
        shock = z * self.shock_sd[rows]
        act = action[rows]
        judged = judged_level(z, self.economic_share[rows], self.military_share[rows, act])
        us_level = us.respond(t, rows, shock, judged, self.response.own_troops * self.posture[rows])
        # Allies take heart from the US in proportion to how far it went (words 1/3 ... military 1).
        entanglement = self._force_effect(self.force_now[rows], rows)
        levels = co.respond(t, rows, shock, co.presence(entanglement, rows), us_level / MILITARY, self.response,
                            judged)
        us_response[rows], responses[rows] = us_level, levels
        top = np.maximum(levels.max(axis=1, initial=0), us_level)
        self.max_response[rows] = np.maximum(self.max_response[rows], top)

        capability = co.capability[rows]
        quorum = self.quorum[rows]
        mil = levels == MILITARY
        # Activation: ratified members holding a quorum of the ratified capability answer militarily.
        ratified = co.ratified[rows]
        activated = ((act >= LIMITED) & in_force[rows]
                     & (share(mil & ratified, capability, co.ratified_total[rows]) >= quorum))
        first = (act >= LIMITED) & (self.test[rows] == NO_TEST)
        result = np.where(~in_force[rows], NO_GUARANTEE, np.where(activated, ACTIVATED, FAILED))
        self.test[rows] = np.where(first, result, self.test[rows])

        answered = np.zeros(self.replications, dtype=bool)
        militarily = np.zeros(self.replications, dtype=bool)
        answered[rows] = top >= ECONOMIC
        # Members can stop an offensive when a quorum of their capability answers militarily and
        # either the force on the ground is at least the minimum effective size or a ratified
        # commitment brings their forces from home; a token force alone cannot.
        effective = (self.force_now[rows] >= self.minimum_force) | in_force[rows]
        members_answer = ((share(mil & co.member, capability, co.member_total[rows]) >= quorum)
                          & co.has_capability[rows] & effective)
        militarily[rows] = (us_level >= MILITARY) | members_answer
        return answered, militarily

    def run_model(self) -> None:
        for _ in range(self.horizon):
            self.step()

    # ----------------------------------------------------------------- results

    def results(self, first_replication: int = 0, states: bool = True) -> BlockResult:
        """Tables of this block's outcomes (replication ids start at ``first_replication``).

        ``states=False`` leaves the per-state table empty (sweeps do not store it).
        """
        n = self.replications
        co = self.coalition
        rep = np.arange(first_replication, first_replication + n, dtype=np.int64)
        ceasefire = self.ceasefire_month <= self.horizon
        cf = self.ceasefire_month.astype(np.int64)
        probes, limited, major = (self.counts[:, i].astype(np.int32) for i in (0, 1, 2))
        violation = self.first_violation != NEVER
        troop_months = co.troop_months.sum(axis=1)
        cost = troop_months * self.troop_month_usd / 1e9 + self.ukraine.delivered_total
        test = pd.Categorical.from_codes(self.test, categories=GUARANTEE_TESTS)
        columns = {
            "replication": rep,
            "ceasefire": ceasefire,
            "no_ceasefire": ~ceasefire,
            "ceasefire_month": _months(self.ceasefire_month),
            "ceasefire_months": self.exposure.astype(np.int16),
            "acceptance": self.russia.acceptance,
            "us_backstop": pd.Categorical.from_codes(self.united_states.level, categories=US_LEVELS, ordered=True),
            "us_backstop_changed": self.united_states.changed,
            "guarantee_in_force": self.in_force_ever,
            "deployed": self.force_in_ukraine_peak > 0,
            "force_in_ukraine": self.force_in_ukraine_peak,
            "force_nearby": self.force_nearby_peak,
            **{f"force_in_ukraine_{w}": self.at_window[:, j] for j, w in enumerate(WINDOWS)},
            "force_ge_minimum": self.force_in_ukraine_peak >= self.minimum_force,
            "force_ge_target": self.force_in_ukraine_peak >= self.target_force,
            "troop_contributors": self.contributors_peak,
            "withdrawals": co.withdrawn.sum(axis=1).astype(np.int16),
            "probes": probes,
            "limited_violations": limited,
            "major_offensives": major,
            "violations": limited + major,
            "violation": violation,
            **{f"violation_within_{w}": _window(violation & (self.first_violation - cf <= w),
                                                ceasefire & (cf + w <= self.horizon)) for w in WINDOWS},
            "months_to_violation": _months(np.where(violation, self.first_violation - cf, NEVER).astype(np.int64)),
            "detected": self.detected,
            "attributed": self.attributed,
            "guarantee_test": test,
            "no_guarantee": self.test == 1,
            "activated": self.test == 2,
            "failed": self.test == 3,
            "max_response": pd.Categorical.from_codes(self.max_response, categories=RESPONSE_LEVELS, ordered=True),
            "collapsed": self.collapsed,
            "collapse_month": _months(self.collapse_month),
            "perceived_response": self.russia.perceived,
            "army_strength": self.ukraine.strength,
            "cost_usd_bn": cost,
        }
        runs = pd.DataFrame(columns)
        ids = co.ids if states else []
        S = len(ids)
        states_df = pd.DataFrame({
            "replication": np.repeat(rep, S) if S else np.zeros(0, np.int64),
            "state": pd.Categorical.from_codes(np.tile(np.arange(S, dtype=np.int16), n), categories=ids),
            "ratified": co.ratified.reshape(-1) if S else np.zeros(0, bool),
            "mandate": (co.mandate & co.mandate_voted).reshape(-1) if S else np.zeros(0, bool),
            "troops": co.peak.reshape(-1) if S else np.zeros(0),
            "withdrew": co.withdrawn.reshape(-1) if S else np.zeros(0, bool),
            "support": co.support.reshape(-1) if S else np.zeros(0),
            "max_response": pd.Categorical.from_codes(
                co.max_response.reshape(-1) if S else np.zeros(0, np.int8), categories=RESPONSE_LEVELS, ordered=True),
        })
        timeline = pd.DataFrame(self.timeline, columns=list(TIMELINE))
        timeline.insert(0, "month", np.arange(1, self.horizon + 1, dtype=np.int32))
        timeline["replications"] = n
        inputs = pd.DataFrame({"replication": rep, **{k: self.inputs[k] for k in sorted(self.inputs)}})
        return BlockResult(runs, states_df, timeline, inputs)

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
        for name in ("coalition", "russia", "ukraine", "united_states"):
            self.__dict__.pop(name, None)


def _months(a: np.ndarray) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(a == NEVER, 0, a).astype(np.int16), a == NEVER)


def _window(value: np.ndarray, defined: np.ndarray) -> pd.arrays.BooleanArray:
    """A boolean outcome that is missing (NA) where its window does not fit in the horizon."""
    return pd.arrays.BooleanArray(value & defined, ~defined)


def run_block(
    scenario: Scenario, replications: int, block: int, seed: int, first_replication: int, states: bool = True,
    fixed: dict[str, float | np.ndarray] | None = None, stream_key: tuple[int, ...] = (),
) -> BlockResult:
    """Run one block from start to horizon and return its tables (frees the model).

    ``fixed`` and ``stream_key``: see :class:`GuaranteeModel` (two-level designs).
    """
    model = GuaranteeModel(scenario, replications=replications, block=block, seed=seed, fixed=fixed,
                           stream_key=stream_key)
    try:
        model.run_model()
        return model.results(first_replication, states=states)
    finally:
        model.release()
