"""Numeric scenario parameters: a plain value or a distribution sampled per replication.

In YAML a parameter is either a number (``0.6``) or a mapping::

    willingness: {value: 0.6, facts: [fra-keen-2025-09]}
    willingness: {dist: beta, a: 6, b: 4, assumption: "keen, but domestic politics"}

The mapping forms carry their own evidence (``facts`` and/or ``assumption``);
a plain number takes the evidence of the block it stands in.  Distributions:

=============  ==========================================  =========================
``dist``       keys                                        meaning
=============  ==========================================  =========================
(none)         ``value``                                   fixed value
``uniform``    ``low``, ``high``                           uniform on [low, high]
``triangular`` ``low``, ``mode``, ``high``                 triangular
``beta``       ``a``, ``b`` (``low``=0, ``high``=1)        beta, rescaled to [low, high]
``normal``     ``mean``, ``sd`` (``low``, ``high``)        normal truncated to [low, high]
``choice``     ``values`` (``weights``)                    one of the values
=============  ==========================================  =========================

Sampling takes a :class:`numpy.random.Generator` and a count and returns an
array; nothing here touches global random state.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import typing
from typing import Annotated, Any, Literal, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)


def _plain_kinds(annotation: Any) -> set | None:
    """The scalar types a field takes, or None when it takes anything else too (models, lists, literals)."""
    kinds: set = set()
    stack = [annotation]
    while stack:
        a = stack.pop()
        if a in (int, float, bool, dt.date, type(None)):
            kinds.add(a)
        elif typing.get_origin(a) in (Union, Annotated) or type(a).__name__ == "UnionType":
            args = typing.get_args(a)
            stack.extend(args[:1] if typing.get_origin(a) is Annotated else args)
        else:
            return None
    return kinds


class Strict(BaseModel):
    """Base of every schema model: unknown keys are errors, models are immutable.

    Numbers must be finite (NaN and ±inf pass every comparison, so no range
    check would catch them), and pydantic's lax conversions that a YAML author
    never means are refused: ``true`` as a number, a number as a date.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_lax_scalars(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, (bool, int, float)) or info.field_name not in cls.model_fields:
            return value
        kinds = _plain_kinds(cls.model_fields[info.field_name].annotation)
        if not kinds or bool in kinds:
            return value
        if dt.date in kinds:
            raise ValueError(f"expected a date written as YYYY-MM-DD, found {value!r}")
        if isinstance(value, bool):
            whole = int in kinds and float not in kinds
            raise ValueError(f"expected {'a whole number' if whole else 'a number'}, found {str(value).lower()}")
        return value


FactId = Annotated[str, Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]


class Evidence(Strict):
    """Where a number comes from: fact ids from ``seeds/facts.yaml`` or an assumption."""

    facts: list[FactId] = Field(default_factory=list, description="Fact ids from seeds/facts.yaml.")
    assumption: str | None = Field(None, min_length=3, description="Why this number, when no fact gives it.")


def _ordered(low: float, high: float) -> None:
    if low > high:
        raise ValueError(f"low must not exceed high, found low={low:g} > high={high:g}")


class Weighted(Evidence):
    """``values`` with optional ``weights`` (relative, non-negative); subclasses type the values."""

    weights: list[float] | None = None

    @model_validator(mode="after")
    def _weights(self):
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"expected one weight per value ({len(self.values)}), found {len(self.weights)}"
                )
            if any(w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ValueError("weights must be non-negative and not all zero")
        return self

    def probabilities(self) -> np.ndarray | None:
        """The weights normalised to sum to one (None: equal chances)."""
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=float)
        return w / w.sum()


class _Dist(Evidence):
    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def support(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError


class Fixed(_Dist):
    """A fixed value written as a mapping so that it can carry evidence."""

    value: float

    def sample(self, rng, n):
        return np.full(n, float(self.value))

    def support(self):
        return (self.value, self.value)

    def mean(self):
        return float(self.value)

    def describe(self) -> str:
        return f"{self.value:g}"


class Uniform(_Dist):
    dist: Literal["uniform"]
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        _ordered(self.low, self.high)
        return self

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, n)

    def support(self):
        return (self.low, self.high)

    def mean(self):
        return (self.low + self.high) / 2

    def describe(self):
        return f"uniform({self.low:g}, {self.high:g})"


class Triangular(_Dist):
    dist: Literal["triangular"]
    low: float
    mode: float
    high: float

    @model_validator(mode="after")
    def _order(self):
        if not self.low <= self.mode <= self.high:
            raise ValueError(
                f"expected low <= mode <= high, found {self.low:g}, {self.mode:g}, {self.high:g}"
            )
        return self

    def sample(self, rng, n):
        if self.low == self.high:
            return np.full(n, float(self.low))
        return rng.triangular(self.low, self.mode, self.high, n)

    def support(self):
        return (self.low, self.high)

    def mean(self):
        return (self.low + self.mode + self.high) / 3

    def describe(self):
        return f"triangular({self.low:g}, {self.mode:g}, {self.high:g})"


class Beta(_Dist):
    dist: Literal["beta"]
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    low: float = 0.0
    high: float = 1.0

    @model_validator(mode="after")
    def _order(self):
        _ordered(self.low, self.high)
        return self

    def sample(self, rng, n):
        return self.low + (self.high - self.low) * rng.beta(self.a, self.b, n)

    def support(self):
        return (self.low, self.high)

    def mean(self):
        return self.low + (self.high - self.low) * self.a / (self.a + self.b)

    def describe(self):
        return f"beta({self.a:g}, {self.b:g}) on [{self.low:g}, {self.high:g}]"


class Normal(_Dist):
    """Normal distribution truncated to [low, high] (unbounded sides allowed)."""

    dist: Literal["normal"]
    mean_: float = Field(alias="mean")
    sd: float = Field(gt=0)
    # None: unbounded on that side (written so, because JSON has no infinity).
    low: float | None = None
    high: float | None = None

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _order(self):
        lo, hi = self.support()
        if lo >= hi:
            raise ValueError(f"low must be below high, found low={lo:g}, high={hi:g}")
        return self

    def _frozen(self):
        from scipy import stats  # imported here: scipy.stats costs a second at start-up

        lo, hi = self.support()
        a = (lo - self.mean_) / self.sd
        b = (hi - self.mean_) / self.sd
        return stats.truncnorm(a, b, loc=self.mean_, scale=self.sd)

    def sample(self, rng, n):
        return self._frozen().rvs(size=n, random_state=rng)

    def support(self):
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)

    def mean(self):
        return float(self._frozen().mean())

    def describe(self):
        lo, hi = self.support()
        bounds = "" if self.low is None and self.high is None else f" on [{lo:g}, {hi:g}]"
        return f"normal({self.mean_:g}, sd {self.sd:g}){bounds}"


class Choice(Weighted, _Dist):
    dist: Literal["choice"]
    values: list[float] = Field(min_length=1)

    def sample(self, rng, n):
        return rng.choice(np.asarray(self.values, dtype=float), size=n, p=self.probabilities())

    def support(self):
        return (min(self.values), max(self.values))

    def mean(self):
        p = self.probabilities()
        return float(np.mean(self.values) if p is None else np.dot(p, self.values))

    def describe(self):
        vals = ", ".join(f"{v:g}" for v in self.values)
        return f"choice({vals})" + ("" if self.weights is None else f" weights {self.weights}")


#: Names of the union members; pydantic puts them in error locations, and
#: :mod:`sim.scenario.load` strips them again before printing a path.
PARAM_TAGS = ("number", "fixed", "uniform", "triangular", "beta", "normal", "choice")
DIST_NAMES = PARAM_TAGS[2:]


def _param_tag(value: Any) -> str | None:
    if isinstance(value, bool):
        return None  # a bool is not a number here; let validation say so
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, dict):
        if "dist" not in value:
            return "fixed"
        return value["dist"] if value["dist"] in DIST_NAMES else None
    if isinstance(value, (Fixed, Uniform, Triangular, Beta, Normal, Choice)):
        return "fixed" if isinstance(value, Fixed) else value.dist
    return None


RawParam = Annotated[
    Union[
        Annotated[float, Tag("number")],
        Annotated[Fixed, Tag("fixed")],
        Annotated[Uniform, Tag("uniform")],
        Annotated[Triangular, Tag("triangular")],
        Annotated[Beta, Tag("beta")],
        Annotated[Normal, Tag("normal")],
        Annotated[Choice, Tag("choice")],
    ],
    Discriminator(
        _param_tag,
        custom_error_type="param",
        custom_error_message=(
            "expected a number or a mapping with 'value' or 'dist' "
            f"(one of {', '.join(DIST_NAMES)})"
        ),
    ),
]


def as_dist(param: float | _Dist) -> _Dist:
    """A plain number becomes a :class:`Fixed` (without evidence of its own)."""
    return param if isinstance(param, _Dist) else Fixed(value=float(param))


def describe(param: float | _Dist) -> str:
    return as_dist(param).describe()


def sample(param: float | _Dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """Draw ``n`` values of a parameter (shape ``(n,)``, float64)."""
    return as_dist(param).sample(rng, n)


def mean(param: float | _Dist) -> float:
    return as_dist(param).mean()


@dataclasses.dataclass(frozen=True)
class Bounds:
    """The range a parameter type allows, and its unit ("" where the field's description gives it).

    Kept in the type's metadata next to its check, so that a tool (the dashboard's
    controls) reads the range from the schema instead of retyping it.
    """

    low: float
    high: float
    unit: str = ""


def _bounded(low: float, high: float, what: str, unit: str = ""):
    """The metadata of a bounded parameter type: its check, and its :class:`Bounds`."""

    def check(param):
        lo, hi = as_dist(param).support()
        if lo < low or hi > high:
            found = describe(param)
            raise ValueError(f"expected {what}, found {found}")
        return param

    return AfterValidator(check), Bounds(low, high, unit)


Probability = Annotated[RawParam, *_bounded(0.0, 1.0, "a probability in [0, 1]", "probability")]
Share = Annotated[RawParam, *_bounded(0.0, 1.0, "a share in [0, 1]", "share")]
NonNegative = Annotated[RawParam, *_bounded(0.0, math.inf, "a number >= 0")]
Months = Annotated[RawParam, *_bounded(0.0, 600.0, "a number of months in [0, 600]", "months")]
Troops = Annotated[RawParam, *_bounded(0.0, 1_000_000.0, "a number of troops in [0, 1,000,000]", "troops")]
