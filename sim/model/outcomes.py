"""Every outcome the model reports, declared once: name, label, unit and denominator.

The model writes one column per replication under each outcome's ``column``;
the summary, tables, figures, report and dashboard read these declarations and
never retype a label.  A denominator is the set of replications an outcome is
a share of (or a rate per), named so that two scenarios compare fairly:
"violated within 12 months" is a share of the replications whose ceasefire had
lasted, or could have lasted, 12 months inside the horizon, not of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The outcome of the guarantee's first test (the first attributed violation).
GUARANTEE_TESTS = ("no_test", "no_guarantee", "activated", "failed")
#: The highest level of response any guarantor reached.
RESPONSE_LEVELS = ("none", "diplomatic", "economic", "military")
#: Russia's escalation ladder (after a ceasefire, one action a month).
ACTIONS = ("comply", "probe", "limited", "major")
#: Fixed windows after the ceasefire (months).
WINDOWS = (12, 24, 36)

#: Denominators: name -> (plain words, the runs-table expression that selects them).
DENOMINATORS: dict[str, str] = {
    "all": "all replications",
    "ceasefire": "replications with a ceasefire",
    "violation": "replications with a violation",
    "attributed": "replications with an attributed violation",
    "tested": "replications whose guarantee was in force when a violation was attributed",
    **{f"window_{w}": f"replications whose ceasefire began at least {w} months before the horizon" for w in WINDOWS},
}


@dataclass(frozen=True)
class Outcome:
    """One reported outcome.

    ``kind``: ``share`` (a proportion of the denominator, from a boolean column),
    ``rate`` (events per ceasefire-year: ``column`` counts events, exposure is
    ``ceasefire_months``), ``quantity`` (a number per replication, summarised
    by quantiles and a mean), ``level`` (a categorical column, shares per level).
    """

    name: str
    label: str
    kind: Literal["share", "rate", "quantity", "level"]
    unit: str
    denominator: str = "all"
    column: str | None = None  # defaults to ``name``
    key: bool = False  # a headline outcome (terminal, report, figures, sensitivity)

    @property
    def source(self) -> str:
        return self.column or self.name

    @property
    def denominator_label(self) -> str:
        return DENOMINATORS[self.denominator]


OUTCOMES: tuple[Outcome, ...] = (
    Outcome("ceasefire", "Ceasefire within the horizon", "share", "share", key=True),
    Outcome("no_ceasefire", "No ceasefire within the horizon", "share", "share"),
    Outcome("guarantee_in_force", "Binding guarantee in force (ratified by a quorum)", "share", "share", "ceasefire"),
    Outcome("deployed", "Any foreign troops in Ukraine", "share", "share", "ceasefire"),
    Outcome("force_ge_minimum", "Force in Ukraine at least the minimum effective size", "share", "share",
            "ceasefire", key=True),
    Outcome("force_ge_target", "Force in Ukraine at least the target size", "share", "share", "ceasefire"),
    Outcome("force_in_ukraine", "Peak force in Ukraine", "quantity", "troops", "ceasefire", key=True),
    Outcome("force_nearby", "Peak force next to Ukraine (NATO territory)", "quantity", "troops", "ceasefire"),
    *(Outcome(f"force_in_ukraine_{w}", f"Force in Ukraine {w} months after the ceasefire", "quantity", "troops",
              f"window_{w}") for w in WINDOWS),
    Outcome("troop_contributors", "States with troops deployed (peak)", "quantity", "states", "ceasefire"),
    Outcome("withdrawals", "Mandates withdrawn", "quantity", "states", "ceasefire"),
    Outcome("violation", "Ceasefire violated (limited violation or major offensive)", "share", "share",
            "ceasefire", key=True),
    *(Outcome(f"violation_within_{w}", f"Violated within {w} months of the ceasefire", "share", "share",
              f"window_{w}") for w in WINDOWS),
    Outcome("probes_per_year", "Grey-zone probes per ceasefire-year", "rate", "per ceasefire-year",
            "ceasefire", column="probes"),
    Outcome("violations_per_year", "Violations per ceasefire-year", "rate", "per ceasefire-year",
            "ceasefire", column="violations", key=True),
    Outcome("months_to_violation", "Months from the ceasefire to the first violation", "quantity", "months",
            "violation"),
    Outcome("detected", "A violation detected", "share", "share", "violation"),
    Outcome("attributed", "A violation attributed to Russia", "share", "share", "violation"),
    Outcome("no_guarantee", "No guarantee in force when a violation was attributed", "share", "share",
            "attributed"),
    Outcome("activated", "Guarantee activated when tested", "share", "share", "tested", key=True),
    Outcome("failed", "Guarantee in force but not activated when tested", "share", "share", "tested"),
    Outcome("max_response", "Highest response to an attributed action", "level", "level", "ceasefire"),
    Outcome("collapsed", "Ceasefire collapsed (a major offensive went unanswered)", "share", "share",
            "ceasefire", key=True),
    Outcome("army_strength", "Ukraine's army at the horizon (index 0–1)", "quantity", "index", "all"),
    Outcome("cost_usd_bn", "Cost of troops and aid over the horizon", "quantity", "billion USD", "all"),
)

BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}
KEY_OUTCOMES: tuple[Outcome, ...] = tuple(o for o in OUTCOMES if o.key)


def outcome(name: str) -> Outcome:
    """The declaration of ``name``; a clear error lists the valid names."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown outcome {name!r}; expected one of {', '.join(BY_NAME)}") from None
