"""Words and numbers for people: shares with intervals, troop counts, parameter and outcome names.

Shared by the figures, the HTML report and the terminal so that one number
reads the same everywhere.  Outcome labels, units and denominators are the
declarations of :mod:`sim.model.outcomes`, never retyped here.
"""

from __future__ import annotations

import datetime as dt
import math

from ..model.outcomes import BY_NAME, DENOMINATORS
from ..scenario import schema
from ..scenario.paths import field_at

#: The US backstop scale in its order (sweep axes and conditions are sorted by it).
LEVELS = tuple(schema.Level.names())

#: What every interval shown today covers (the spread across assumptions will have its own words).
NOISE_INTERVAL = "95% simulation-noise interval"
#: The range of answers the scenario's own doubts allow (sim.results.spread): the range to quote.
ASSUMPTION_SPREAD = "90% spread across the assumptions"

#: Labels of the model's per-month series (the timeline), which are states of the month
#: rather than outcomes over the horizon: "ceasefire in force this month" is not the
#: outcome "ceasefire within the horizon", so they are not the outcome declarations.
TIMELINE_LABELS = {
    "ceasefire": "Ceasefire in force",
    "guarantee_in_force": "Guarantee in force, in a ceasefire",
    "deployed": "Any foreign troops in Ukraine",
    "violated": "Violated (so far)",
    "activated": "Activated (so far)",
    "collapsed": "Collapsed (so far)",
    "probe": "Grey-zone probes",
    "limited": "Limited violations",
    "major": "Major offensives",
    "force_in_ukraine": "Force in Ukraine",
}

#: Labels of the fan chart's series (:func:`sim.results.spread.fan`): what has happened by a month
#: in a draw's replications ("ceasefire" counts a ceasefire reached, even if it collapsed later).
FAN_LABELS = {
    "ceasefire": "Ceasefire reached (so far)",
    "violated": "Violated (so far)",
    "collapsed": "Collapsed (so far)",
}


def is_missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def share_decimals(low: float | None, high: float | None) -> int:
    """Decimals of a percentage: whole percent unless the interval is narrower than 2 points."""
    if is_missing(low) or is_missing(high):
        return 0
    return 0 if (high - low) * 100 >= 2 else 1


def pct(p: float | None, decimals: int = 0) -> str:
    """A share in [0, 1] as a percentage, e.g. ``34%``; ``n/a`` when missing."""
    if is_missing(p):
        return "n/a"
    return f"{100 * p:.{decimals}f}%"


def share_with_interval(p: float | None, low: float | None, high: float | None, of: str | None = None) -> str:
    """``34% (95% simulation-noise interval 32–36%)``, or with ``of``:
    ``34% of replications (95% simulation-noise interval 32–36%)``.

    Decimals follow the interval's width.
    """
    if is_missing(p):
        return "n/a" if of is None else f"none of the {of} (no data)"
    d = share_decimals(low, high)
    head = pct(p, d) if of is None else f"{pct(p, d)} of {of}"
    if is_missing(low) or is_missing(high):
        return head
    return f"{head} ({NOISE_INTERVAL} {100 * low:.{d}f}–{100 * high:.{d}f}%)"


def share_phrase(p: float | None, low: float | None, high: float | None, of: str = "replications") -> str:
    """``35% of replications (95% simulation-noise interval 34–36%)`` — for sentences."""
    return share_with_interval(p, low, high, of=of)


def number(x: float | None, unit: str) -> str:
    """A value in an outcome's declared unit, without the unit: ``34.5%``, ``12,012``, ``0.37``."""
    if is_missing(x):
        return "n/a"
    if unit == "share":
        return pct(x, 1)
    if unit == "troops":
        return troops(x)
    if unit == "billion USD":
        return f"{x:,.1f}"
    if unit in ("months", "states"):
        return f"{x:,.1f}"
    return f"{x:,.2f}"


def unit_words(unit: str) -> str:
    """The unit as it follows a number: nothing for shares and levels (they are percentages)."""
    return "" if unit in ("share", "level") else unit


def estimate_text(e) -> str:
    """An estimate with its simulation-noise interval in its unit: ``71.4% [69.4%, 73.3%]``,
    ``0.37 [0.36, 0.38] per ceasefire-year``, ``mean 12,012 [11,838, 12,186] troops``."""
    unit = e.outcome.unit
    body = f"{number(e.value, unit)} [{number(e.noise.low, unit)}, {number(e.noise.high, unit)}]"
    if e.kind == "quantity":
        body = "mean " + body
    words = unit_words(unit)
    return f"{body} {words}" if words else body


def spread_text(e) -> str:
    """The assumption spread in the outcome's unit: ``28.6%–94.7%``; says so when the design measured
    no spread beyond its own noise, or when none was computed."""
    a = e.assumptions
    if a is None or is_missing(a.low) or is_missing(a.high):
        return "not computed"
    unit = e.outcome.unit
    if a.low == a.high and not a.noise_share:
        return "none: every draw of the assumptions gives the same"
    if number(a.low, unit) == number(a.high, unit):
        return "none measurable beyond simulation noise"
    words = unit_words(unit)
    return f"{number(a.low, unit)}–{number(a.high, unit)}" + (f" {words}" if words else "")


def has_spread(e) -> bool:
    """Whether an estimate carries an assumption spread with both bounds."""
    a = getattr(e, "assumptions", None)
    return a is not None and not is_missing(a.low) and not is_missing(a.high)


def spread_phrase(e) -> str:
    """The assumption spread for sentences, saying it is the range to quote:
    ``90% spread across the assumptions 28.6%–94.7% (the range to quote)``; '' when none was computed."""
    if not has_spread(e):
        return ""
    text = spread_text(e)
    if text[:1].isdigit():
        return f"{ASSUMPTION_SPREAD} {text} (the range to quote)"
    return f"{ASSUMPTION_SPREAD}: {text}"


def short_spread(e) -> str:
    """The assumption spread in the compact form of charts: ``29–95%``, ``8.5k–16k``; '' when none was
    computed or it is too narrow to show at that precision."""
    if not has_spread(e):
        return ""
    a, unit = e.assumptions, e.outcome.unit
    if number(a.low, unit) == number(a.high, unit):
        return ""
    if unit == "share":
        d = share_decimals(a.low, a.high)
        return f"{100 * a.low:.{d}f}–{100 * a.high:.{d}f}%"
    if unit == "troops":
        return f"{troops_short(a.low)}–{troops_short(a.high)}"
    return f"{number(a.low, unit)}–{number(a.high, unit)}"


def estimate_phrase(e, decimals: int | None = None) -> str:
    """An estimate for sentences, with its denominator in words:
    ``71% of the 2,000 replications with a ceasefire (95% simulation-noise interval 69–73%)``."""
    of = f"all {e.n:,} replications" if e.outcome.denominator == "all" else f"the {e.n:,} {e.denominator_label}"
    if e.kind == "share":
        return share_with_interval(e.p, e.noise.low, e.noise.high, of=of)
    unit = e.outcome.unit
    words = unit_words(unit)
    value = f"{number(e.value, unit)}{' ' + words if words else ''}"
    if e.kind == "quantity":
        value = f"a mean of {value}"
    return (f"{value} over {of} ({NOISE_INTERVAL} {number(e.noise.low, unit)}–"
            f"{number(e.noise.high, unit)})")


def denominator_words(name: str) -> str:
    """A declared denominator in words, e.g. ``replications with a ceasefire``."""
    return DENOMINATORS[name]


def short_interval(p: float | None, low: float | None, high: float | None) -> str:
    """``34% (32–36)`` — the compact form used on charts."""
    if is_missing(p):
        return "n/a"
    d = share_decimals(low, high)
    if is_missing(low) or is_missing(high):
        return pct(p, d)
    return f"{pct(p, d)} ({100 * low:.{d}f}–{100 * high:.{d}f})"


def troops(x: float | None) -> str:
    """A troop count with thousands separators, e.g. ``10,000``."""
    if is_missing(x):
        return "n/a"
    return f"{x:,.0f}"


def troops_short(x: float) -> str:
    """Compact troop count for axis ticks: ``12.5k``."""
    if abs(x) >= 1000:
        s = f"{x / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{s}k"
    return f"{x:.0f}"


def date_words(d: dt.date | str | None) -> str:
    """``4 January 2026`` (a date), ``March 2025`` (a ``YYYY-MM`` string) or ''."""
    if d is None:
        return ""
    if isinstance(d, str):
        try:
            if len(d) == 7:
                return dt.datetime.strptime(d, "%Y-%m").strftime("%B %Y")
            d = dt.date.fromisoformat(d)
        except ValueError:
            return d
    return f"{d.day} {d:%B %Y}"


def us_condition(param) -> str | None:
    """What US backstop a state requires, in words; None when it requires none.

    A fixed level above ``none`` reads ``US ≥ enablers``; an uncertain one (a
    choice of levels) lists them, e.g. ``US ≥ none/enablers (uncertain)``.
    """
    if isinstance(param, schema.LevelChoice):
        values = list(dict.fromkeys(param.values))
        if values == ["none"]:
            return None
        return "US ≥ " + "/".join(values) + " (uncertain)"
    name = param.value if isinstance(param, schema.FixedLevel) else param
    return None if name == "none" else f"US ≥ {name}"


# --------------------------------------------------------------------------- parameters

_UNIT_HINTS = (
    ("(troops)", "troops"),
    ("(per month)", "per month"),
    ("(billions of USD per year)", "bn USD/year"),
    ("(USD)", "USD"),
    ("Months", "months"),
    ("(capability units", "capability units"),
)


def _field(path: str):
    """The pydantic field a dotted sweep path points to (``states.DEU.x`` → ``State.x``)."""
    return field_at(path)


_KINDS = (("a probability", "probability"), ("a share", "share, 0–1"), ("months", "months"), ("troops", "troops"))


def _bound_kind(info) -> str | None:
    """The unit named by a parameter's range check (``Probability``, ``Troops``, … in the schema)."""
    for meta in info.metadata:
        func = getattr(meta, "func", None)
        for cell in getattr(func, "__closure__", None) or ():
            text = cell.cell_contents
            if isinstance(text, str):
                for key, unit in _KINDS:
                    if key in text:
                        return unit
    return None


def parameter_unit(path: str) -> str | None:
    """The unit of a scenario parameter from its schema description, if it says one."""
    info = _field(path)
    if info is None:
        return None
    if path.endswith(("backstop", "us_backstop_at_least")):
        return "US backstop level"
    kind = _bound_kind(info)
    desc = info.description or ""
    if kind:
        return f"{kind} per month" if kind == "probability" and "per month" in desc else kind
    if desc.startswith("P("):
        return "probability"
    for hint, unit in _UNIT_HINTS:
        if hint in desc:
            return unit
    if path.split(".")[-1] in ("pledge", "sustainable", "minimum_effective_force", "target_force"):
        return "troops"
    return None


def parameter_label(path: str) -> str:
    """Axis label of a swept parameter: its dotted path (the one name) and its unit."""
    unit = parameter_unit(path)
    return f"{path} ({unit})" if unit else path


def outcome_label(name: str) -> str:
    """The declared label of an outcome (:mod:`sim.model.outcomes`); other names as words."""
    o = BY_NAME.get(name)
    return o.label if o is not None else name.replace("_", " ")
