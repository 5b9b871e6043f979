"""The scenario schema: every part of the model in DESIGN.md, typed, with documented defaults.

Units are in the field names or descriptions: troops, months, probabilities
(per month where it says so), billions of USD.  Every block may carry
``facts`` (ids from ``seeds/facts.yaml``) and/or an ``assumption``; a numeric
parameter without evidence of its own takes its block's.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import Discriminator, Field, Tag, model_validator

from .params import (
    Evidence,
    Weighted,
    Months,
    NonNegative,
    Probability,
    Share,
    Strict,
    Troops,
)


class Level(int, Enum):
    """The US backstop, an ordered scale."""

    none = 0
    political = 1
    enablers = 2  # intelligence, command and control, logistics, air defence
    monitoring = 3  # US-led ceasefire monitoring on top of enablers
    direct = 4  # US forces

    @classmethod
    def names(cls) -> list[str]:
        return [m.name for m in cls]


LevelName = Literal["none", "political", "enablers", "monitoring", "direct"]


class LevelChoice(Weighted):
    """A US backstop level drawn per replication: ``{dist: choice, values: [...], weights: [...]}``."""

    dist: Literal["choice"]
    values: list[LevelName] = Field(min_length=1)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        levels = np.array([Level[v].value for v in self.values], dtype=np.int8)
        return rng.choice(levels, size=n, p=self.probabilities())

    def describe(self) -> str:
        w = "" if self.weights is None else f" weights {self.weights}"
        return f"choice({', '.join(self.values)}){w}"


class FixedLevel(Evidence):
    value: LevelName


def _level_tag(value) -> str | None:
    if isinstance(value, str):
        return "level"
    if isinstance(value, FixedLevel):
        return "fixed"
    if isinstance(value, LevelChoice):
        return "choice"
    if isinstance(value, dict):
        return "choice" if value.get("dist") == "choice" else ("fixed" if "dist" not in value else None)
    return None


LevelParam = Annotated[
    Union[
        Annotated[LevelName, Tag("level")],
        Annotated[FixedLevel, Tag("fixed")],
        Annotated[LevelChoice, Tag("choice")],
    ],
    Discriminator(
        _level_tag,
        custom_error_type="level",
        custom_error_message="expected a level (none, political, enablers, monitoring, direct) "
        "or {dist: choice, values: [...]}",
    ),
]


def sample_level(param: LevelParam, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw US backstop levels as int8 codes (see :class:`Level`)."""
    if isinstance(param, LevelChoice):
        return param.sample(rng, n)
    name = param.value if isinstance(param, FixedLevel) else param
    return np.full(n, Level[name].value, dtype=np.int8)


def describe_level(param: LevelParam) -> str:
    if isinstance(param, LevelChoice):
        return param.describe()
    return param.value if isinstance(param, FixedLevel) else param


Offer = Literal[
    "air_policing", "maritime", "training", "logistics", "basing", "intelligence", "equipment"
]
StateId = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 3166-1 alpha-3 code")]


# --------------------------------------------------------------------------- run


class Run(Strict):
    """How the scenario is run."""

    horizon_months: int = Field(
        36, ge=1, le=480, description="Months simulated (one step = one month); up to 40 years for history cases."
    )
    replications: int = Field(10_000, ge=1, le=10_000_000, description="Monte Carlo replications.")
    seed: int = Field(20260106, ge=0, description="Root seed of numpy.random.SeedSequence.")
    block_size: int = Field(
        1000, ge=1, le=1_000_000,
        description="Replications per block; block k draws from child k of the seed. "
        "Changing it changes the draws, so it is recorded with every result.",
    )


class Thresholds(Evidence):
    """Force sizes against which the realised force in Ukraine is judged (troops)."""

    minimum_effective_force: float = Field(10_000, ge=0, description="Smallest force judged useful (troops).")
    target_force: float = Field(30_000, ge=0, description="The force size planned for (troops).")
    effect_below_minimum: float = Field(
        0.25, ge=0, le=1,
        description="Share of its proportional deterrent effect that a force below the minimum effective "
        "size keeps (a token force deters little).",
    )

    @model_validator(mode="after")
    def _order(self):
        if self.minimum_effective_force > self.target_force:
            raise ValueError(
                "minimum_effective_force must not exceed target_force, found "
                f"{self.minimum_effective_force:g} > {self.target_force:g}"
            )
        return self


# --------------------------------------------------------------------------- package


class Monitoring(Evidence):
    """Pillar: ceasefire monitoring. Detection and attribution of a violation."""

    lead: Literal["united_states", "coalition", "none"] = Field(
        "coalition", description="Who runs the monitoring system."
    )
    detection: Probability = Field(0.7, description="P(a violation is detected).")
    attribution: Probability = Field(0.7, description="P(a detected violation is attributed to Russia).")
    detection_without_us: Probability | None = Field(
        None, description="Detection when the US leads monitoring but its realised backstop is below "
        "'monitoring' (e.g. Congress failed); none = unchanged.",
    )
    attribution_without_us: Probability | None = Field(
        None, description="Attribution in the same case; none = unchanged."
    )


class MultinationalForce(Evidence):
    """Pillar: the multinational force."""

    lead_nations: list[StateId] = Field(default_factory=list, description="States leading the force.")
    posture: Literal["tripwire", "forward", "rear"] = Field(
        "rear",
        description="tripwire: on the contact line; forward: near it; rear: hubs and depots away from it.",
    )
    ramp_months: Months = Field(6, description="Months from a state's start until its troops are all in place.")


class BindingCommitment(Evidence):
    """Pillar: the legally binding, Article-5-style commitment to assist."""

    enabled: bool = True


class MilitarySupport(Evidence):
    """Pillar: military support for Ukraine's army."""

    aid_usd_bn_per_year: NonNegative = Field(0, description="Military aid pledged (billions of USD per year).")


class LongTermCooperation(Evidence):
    """Pillar: long-term defence cooperation: Europe's industry grows what it can deliver."""

    enabled: bool = False
    industry_growth_per_year: Share = Field(
        0.10, description="Yearly relative growth of the aid Europe's industry can deliver, while enabled."
    )


class Package(Evidence):
    """The guarantee package on the table: its pillars."""

    monitoring: Monitoring = Field(default_factory=Monitoring)
    multinational_force: MultinationalForce = Field(default_factory=MultinationalForce)
    binding_commitment: BindingCommitment = Field(default_factory=BindingCommitment)
    military_support: MilitarySupport = Field(default_factory=MilitarySupport)
    long_term_cooperation: LongTermCooperation = Field(default_factory=LongTermCooperation)


# --------------------------------------------------------------------------- phases


class Ceasefire(Evidence):
    """Phase 1: when a ceasefire comes."""

    monthly_hazard: Probability = Field(
        0.05, description="P(ceasefire in a month) if Russia fully accepted the package (per month)."
    )
    assumed_month: int | None = Field(
        None, ge=0, description="If set, the ceasefire holds from this month in every replication."
    )


class Ratification(Evidence):
    """Phase 2: when the votes are counted from."""

    starts: Literal["signing", "ceasefire"] = Field(
        "ceasefire", description="Votes are counted from the signing or from the ceasefire."
    )
    signing_month: int = Field(0, ge=0, description="Month the package is signed (when starts = signing).")


class Election(Evidence):
    """A US election inside the horizon that may move the backstop."""

    month: int = Field(ge=1, description="Month of the election, counted from month 0 of the run.")
    change: Probability = Field(description="P(the backstop changes after this election).")
    backstop_after: LevelParam = Field(description="The level offered from then on, if it changes.")


class Enablers(Evidence):
    """What US enablers do when the realised backstop is 'enablers' or higher."""

    detection_gain: Share = Field(
        0.3, description="ISR: share of the missed detections that US intelligence recovers."
    )
    attribution_gain: Share = Field(
        0.3, description="ISR: share of the failed attributions that US intelligence recovers."
    )
    protection: Share = Field(
        0.3, description="Air defence: share of an incident's blow to domestic support that protection averts."
    )
    ramp_factor: Share = Field(
        0.75, description="Logistics: the ramp to full deployment takes this share of its months."
    )


class Congress(Evidence):
    """US Congress approval of a binding commitment."""

    required: bool = False
    approval: Probability = Field(0.5, description="P(Congress approves).")
    delay_months: Months = Field(6, description="Months from the start of ratification to the vote.")


class UnitedStates(Evidence):
    """The United States agent."""

    backstop: LevelParam = Field(
        "political", description="Level offered: none < political < enablers < monitoring < direct."
    )
    executive_max: LevelParam = Field(
        "enablers", description="Highest level the executive can give without Congress (used when "
        "congress.required)."
    )
    congress: Congress = Field(default_factory=Congress)
    honour: Probability = Field(
        0.5, description="P(the US administration responds to an attributed violation), before the "
        "situation's shock and its economic stake."
    )
    economic_stake: Share = Field(
        0.0, description="An informal US economic stake in Ukraine (the minerals deal): the share of a "
        "non-response it turns into a response, and a matching rise in Russia's perceived cost."
    )
    elections: list[Election] = Field(default_factory=list, description="Elections that may move the backstop.")
    enablers: Enablers = Field(default_factory=Enablers)


class Acceptance(Evidence):
    """How acceptable the package is to Russia: its size, its composition and the US role."""

    without_troops: Probability = Field(
        0.6, description="Acceptance of a package with no foreign troops in Ukraine and no US backstop."
    )
    troop_weight: Share = Field(
        1.0, description="How much the troops count: acceptance = without_troops × (1 − troop_weight × h) "
        "× (1 − us_weight × US level/direct), h = Σ planned·(1 − acceptability) / (Σ planned + half_size_troops)."
    )
    half_size_troops: Troops = Field(
        10_000, description="Planned troops at which a wholly unacceptable force has half its full effect "
        "on acceptance (troops); a small force weighs less than a large one."
    )
    us_weight: Share = Field(
        0.2, description="How much a US backstop at the 'direct' level lowers acceptance (linear in the level)."
    )


class Rung(Evidence):
    """One rung of Russia's escalation ladder (defaults: a limited violation)."""

    gain: NonNegative = Field(
        1.0, description="Gain of the action: it is worth gain × E, E ~ Exp(1) the month's opportunity, against "
        "its perceived cost (ODD §7.6)."
    )
    severity: NonNegative = Field(1.5, description="Scale of the cost the action risks (multiplies the perceived cost).")
    visibility: NonNegative = Field(
        1.0, description="How visible it is: P(detected) = 1 − (1 − detection)^visibility, likewise attribution "
        "(1 = the monitoring system's base; below 1 grey-zone; large = unmistakable)."
    )


class Probe(Rung):
    """A grey-zone probe: small gain, small risk, hard to see and to attribute."""

    gain: NonNegative = 0.25
    severity: NonNegative = 0.25
    visibility: NonNegative = 0.3


class Major(Rung):
    """A major offensive: a large gain, a very large risk, unmistakable."""

    gain: NonNegative = 4.0
    severity: NonNegative = 25.0
    visibility: NonNegative = 20.0


class Ladder(Evidence):
    """Russia's escalation ladder after a ceasefire (comply is the rung below these)."""

    probe: Probe = Field(default_factory=Probe)
    limited: Rung = Field(default_factory=Rung)
    major: Major = Field(default_factory=Major)


class Belief(Evidence):
    """Russia's perceived P(an attributed violation is answered), in log-odds."""

    prior: Probability = Field(
        0.5, description="P(response) Russia expects from the guarantors' record before any signal "
        "(the Budapest lesson)."
    )
    insight: Share = Field(
        0.5, description="Weight of what Russia reads of the guarantors' actual resolve against the record."
    )
    votes: NonNegative = Field(
        1.0, description="Log-odds gained when the whole committed capability has ratified (lost if failed)."
    )
    troops: NonNegative = Field(1.0, description="Log-odds gained with the target force present (posture-weighted).")
    us_level: NonNegative = Field(1.0, description="Log-odds gained with the US backstop at 'direct' (linear).")
    answered: NonNegative = Field(0.7, description="Log-odds gained per action answered at an economic level or above.")
    unanswered: NonNegative = Field(0.7, description="Log-odds lost per action that went unanswered.")
    memory: Share = Field(0.97, description="Share of an answered or unanswered lesson kept from one month to the next.")


class Russia(Evidence):
    """The Russia agent."""

    acceptance: Acceptance = Field(default_factory=Acceptance)
    opportunity_per_month: Probability = Field(
        0.1, description="P(a month offers Russia an opportunity to act): the base propensity, shared by the "
        "history cases."
    )
    ladder: Ladder = Field(default_factory=Ladder)
    belief: Belief = Field(default_factory=Belief)


class Ukraine(Evidence):
    """The Ukraine agent: its own army as an index in [0, 1]."""

    army_strength: Share = Field(0.5, description="Initial strength index of Ukraine's army.")
    aid_need_usd_bn_per_year: NonNegative = Field(
        20, description="Aid that keeps the army growing at full pace (billions of USD per year)."
    )
    industry_capacity_usd_bn_per_year: NonNegative = Field(
        10, description="What Europe's industry can deliver (billions of USD per year); caps delivered aid."
    )
    growth_per_month: Share = Field(
        0.01, description="Share of the room left to the top of the index the army gains in a month at full "
        "delivered aid (s ← s + g·supplied·(1 − s))."
    )
    erosion_per_month: Share = Field(
        0.005, description="Share of its strength the army loses in a month with no aid (s ← s − e·(1 − supplied)·s)."
    )


class Weights(Evidence):
    """Weights of what Russia weighs: the response's size K = 1 − Π(1 − wᵢ·xᵢ) over the force, the US
    backstop and the ratified commitment, and Ukraine's army as a cost of its own (ODD §7.6)."""

    force: Share = 0.5
    us_backstop: Share = 0.5
    ukraine_army: Share = 0.4
    commitment: Share = 0.3


class Deterrence(Evidence):
    """What Russia weighs against an action: the size of the response it risks (weights of its parts)."""

    weights: Weights = Field(default_factory=Weights)
    posture_factor_tripwire: Share = Field(1.0, description="Force component multiplier, tripwire posture.")
    posture_factor_forward: Share = Field(0.8, description="Force component multiplier, forward posture.")
    posture_factor_rear: Share = Field(0.6, description="Force component multiplier, rear posture.")


class Activation(Evidence):
    """When the guarantee counts as activated."""

    quorum: Share = Field(
        0.5, description="Share of the ratified members' capability that must respond at the military level."
    )


class MilitaryShare(Evidence):
    """Share of attributed actions of each rung that the allies' common judgment holds to call for a
    military answer (the clearest and most severe; the same shock also raises each responder's odds)."""

    probe: Share = 0.05
    limited: Share = 0.4
    major: Share = 0.9


class Response(Evidence):
    """The executive's decision to respond to an attributed action (log-odds terms on top of resolve)."""

    shock: NonNegative = Field(
        1.0, description="Spread (sd, log-odds) of the severity-and-clarity shock common to every responder."
    )
    own_troops: NonNegative = Field(1.5, description="Log-odds gained when its own troops are in Ukraine (posture-weighted).")
    us_responds: NonNegative = Field(1.0, description="Log-odds gained when the US responds.")
    leads_respond: NonNegative = Field(1.0, description="Log-odds a follower gains when every lead responds.")
    economic_share: Share = Field(0.6, description="P(a response reaches economic measures or more | it responds).")
    military_share: MilitaryShare = Field(default_factory=MilitaryShare)


class OfferEffects(Evidence):
    """What one non-troop offer does, by type."""

    capability: NonNegative = Field(0.5, description="Capability units of any offer (counts in the quorum).")
    intelligence: Share = Field(0.05, description="Share of missed detections and attributions one ISR offer recovers.")
    air_policing: Share = Field(0.1, description="Share of an incident's blow to support that air policing averts.")
    maritime: Share = Field(0.05, description="Share of missed detections maritime patrols recover.")
    training: Share = Field(
        0.1, description="Share of the remaining headroom each training offer adds to the army's monthly growth "
        "(n offers: growth × (2 − (1 − x)^n), at most doubled)."
    )
    equipment: Share = Field(
        0.1, description="Likewise for the aid pledged: each equipment offer adds this share of the remaining headroom "
        "(at most doubled)."
    )
    logistics: Share = Field(0.05, description="Share of the ramp's months that logistics or basing saves.")


class Capability(Evidence):
    """Capability units, the common currency of force and offers."""

    per_thousand_troops: NonNegative = Field(1.0, description="Capability of 1,000 deployed troops.")
    offers: OfferEffects = Field(default_factory=OfferEffects)


class Costs(Evidence):
    troop_month_usd: NonNegative = Field(
        15_000, description="Cost of one troop deployed for one month (USD)."
    )


# --------------------------------------------------------------------------- states


class Troops_(Evidence):
    """A state's troop offer."""

    pledge: Troops = Field(0, description="Troops pledged (troops).")
    willingness: Probability = Field(0.0, description="P(the state sends troops, given its conditions hold).")
    deployment: Literal["ukraine", "nearby"] = Field(
        "ukraine", description="In Ukraine, or only on NATO territory next to Ukraine."
    )
    sustainable: Troops | None = Field(
        None, description="Most troops it can keep deployed with rotation (troops); none = no cap."
    )
    ramp_months: Months | None = Field(
        None, description="Months to full arrival; defaults to the force's ramp_months."
    )


class Parliament(Evidence):
    """Ratification of the treaty (the binding commitment) by the state's parliament."""

    vote_required: bool = False
    approval: Probability = Field(0.7, description="P(the vote passes) at the start of ratification.")
    delay_months: Months = Field(3, description="Months from the start of ratification to the vote.")
    erosion_per_month: Share = Field(
        0.0, description="Monthly relative erosion of support: P(pass) = approval × (1 − erosion)^delay."
    )


class Mandate(Evidence):
    """The deployment mandate, apart from the treaty: voted on domestic support, withdrawn when it fails."""

    vote_required: bool = Field(False, description="Troops need a mandate vote; it passes with P = support then.")
    delay_months: Months = Field(2, description="Months from the ceasefire to the mandate vote.")
    withdraw_below: Share = Field(0.25, description="Support below which a mandate is withdrawn (troops leave).")


class Support(Evidence):
    """Domestic support for the mission, a monthly series in [0, 1]."""

    initial: Share = Field(0.6, description="Support at month 0, and the level it drifts back to.")
    recovery_per_month: Share = Field(
        0.05, description="Share of the gap to the initial level that support regains each month (incidents "
        "and costs fade; with a steady loss L it settles at initial − L/recovery)."
    )
    erosion_per_month: Share = Field(0.002, description="Support lost each month with troops deployed (time).")
    cost_per_10k_troops: Share = Field(
        0.004, description="Support lost each month per 10,000 of its own troops deployed (cost)."
    )
    incident: Share = Field(0.08, description="Support lost when an attack touches its troops.")
    contagion: Share = Field(0.05, description="Support lost when another state withdraws its troops.")
    flank_drain: Share = Field(
        0.0, description="Extra support lost each month its troops are away from NATO's eastern flank."
    )


class Conditions(Evidence):
    us_backstop_at_least: LevelParam = Field(
        "none", description="Lowest realised US backstop it accepts (a level, or a choice of levels)."
    )
    ceasefire_first: bool = Field(True, description="Deploys only after a ceasefire.")
    months_after_ceasefire: Months = Field(
        0, description="Months the ceasefire must have held before it deploys (a 'lasting peace')."
    )
    after_leads: Share = Field(
        0.0, description="Share of the lead nations' planned troops that must be deploying before it "
        "deploys (bandwagon; 0 = it does not wait)."
    )
    fill_gap: bool = Field(
        False, description="Deploys only while the force the others are deploying is below the target "
        "(fills the gap; free-rides otherwise)."
    )


class State(Evidence):
    """A coalition state agent."""

    id: StateId
    name: str = Field(min_length=1)
    drop: bool = Field(False, description="In a file that extends another: remove the state with this id.")
    troops: Troops_ = Field(default_factory=Troops_)
    offers: list[Offer] = Field(default_factory=list)
    parliament: Parliament = Field(default_factory=Parliament)
    conditions: Conditions = Field(default_factory=Conditions)
    member: bool = Field(
        True, description="A coalition member; false = a contingent outside the coalition (e.g. a state Russia "
        "sees as friendly): present, but no commitment and no response."
    )
    mandate: Mandate = Field(default_factory=Mandate)
    support: Support = Field(default_factory=Support)
    resolve: Probability = Field(
        0.5, description="P(its executive responds to an attributed violation), before the situation's signals."
    )
    acceptability_to_russia: Probability = Field(
        0.1, description="How acceptable its troops in Ukraine are to Russia (1 = fully)."
    )


# --------------------------------------------------------------------------- scenario


class Scenario(Strict):
    """A whole scenario file (after ``extends`` has been resolved)."""

    id: str = Field(
        "scenario", pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", description="Scenario id (defaults to the file name)."
    )
    extends: str | None = Field(
        None, description="Path of a scenario this one overrides (relative to this file), or the name of one that "
        "ships with sim ('paris', 'history/base'). States merge by id."
    )
    title: str = ""
    as_of: dt.date | None = Field(None, description="The date the scenario represents.")
    description: str = ""
    sources: list[str] = Field(default_factory=list, description="Source ids from seeds/sources.yaml.")
    run: Run = Field(default_factory=Run)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    package: Package = Field(default_factory=Package)
    ceasefire: Ceasefire = Field(default_factory=Ceasefire)
    ratification: Ratification = Field(default_factory=Ratification)
    united_states: UnitedStates = Field(default_factory=UnitedStates)
    russia: Russia = Field(default_factory=Russia)
    ukraine: Ukraine = Field(default_factory=Ukraine)
    deterrence: Deterrence = Field(default_factory=Deterrence)
    response: Response = Field(default_factory=Response)
    activation: Activation = Field(default_factory=Activation)
    capability: Capability = Field(default_factory=Capability)
    costs: Costs = Field(default_factory=Costs)
    states: list[State] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self):
        problems = []
        seen: dict[str, int] = {}
        for i, state in enumerate(self.states):
            if state.id in seen:
                problems.append(f"states[{i}].id: duplicate state id '{state.id}' (also states[{seen[state.id]}])")
            seen.setdefault(state.id, i)
        for i, state in enumerate(self.states):
            if state.drop:
                problems.append(f"states[{i}].drop: there is no state '{state.id}' in an extended file to drop")
        for i, lead in enumerate(self.package.multinational_force.lead_nations):
            if lead not in seen:
                problems.append(
                    f"package.multinational_force.lead_nations[{i}]: lead nation '{lead}' "
                    "is not among the coalition's states"
                )
        for i, election in enumerate(self.united_states.elections):
            if election.month > self.run.horizon_months:
                problems.append(
                    f"united_states.elections[{i}].month: expected a month within run.horizon_months "
                    f"({self.run.horizon_months}), found {election.month}"
                )
        if self.ceasefire.assumed_month is not None and self.ceasefire.assumed_month >= self.run.horizon_months:
            problems.append(
                f"ceasefire.assumed_month: expected a month before run.horizon_months "
                f"({self.run.horizon_months}), found {self.ceasefire.assumed_month}"
            )
        if problems:
            # One ValueError carries them all; the loader splits them into messages.
            raise ValueError("\n".join(problems))
        return self

    def state_index(self) -> dict[str, int]:
        return {s.id: i for i, s in enumerate(self.states)}

    # pydantic's repr would print every field of every state.
    def __repr__(self) -> str:
        from ..notebook import scenario_repr  # presentation, imported only when shown

        return scenario_repr(self)

    def _repr_html_(self) -> str:
        """Jupyter: id, title, as-of date, sources, evidence coverage, states with pledges."""
        from ..notebook import scenario_html

        return scenario_html(self)
