"""The sliding-scale arithmetic, as pure functions of plain values: no database, no clock, Decimal only.
`pricing.py` puts them together into the clinic's one pricing rule.

    percent of guideline = annual income / (first person + (household size - 1) * each additional) * 100
    class                = the first class whose upper bound (inclusive) is >= that percent
    fee                  = nominal fee                          for a nominal class
                           full fee * class percent / 100       for a graded class (rounded to the cent)
                           then never below the nominal fee and never above the full fee.

The percent is compared unrounded, so an income exactly at a bound lands in the lower class and a cent
more lands in the next one.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from apps.core.money import money

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Guideline:
    year: int
    first_person: Decimal
    each_additional_person: Decimal

    def amount(self, household_size: int) -> Decimal:
        if household_size < 1:
            raise ValueError("Household size must be at least 1.")
        return self.first_person + self.each_additional_person * (household_size - 1)


@dataclass(frozen=True)
class ScaleClass:
    code: str
    label: str
    max_percent: Decimal | None  # None: no upper bound
    basis: str  # "nominal" or "percent"
    percent_of_full: Decimal = HUNDRED


@dataclass(frozen=True)
class ClassTable:
    nominal_fee: Decimal
    classes: tuple[ScaleClass, ...]

    def __post_init__(self):
        problems = table_problems(self)
        if problems:
            raise ValueError(" ".join(problems))


def table_problems(table: ClassTable) -> list[str]:
    """What makes a class table unusable: it must cover every income once and never charge less to a richer
    household than to a poorer one."""
    problems = []
    if table.nominal_fee < 0:
        problems.append("The nominal fee cannot be negative.")
    bounded = [c for c in table.classes if c.max_percent is not None]
    if len([c for c in table.classes if c.max_percent is None]) != 1:
        problems.append("Exactly one class must have no upper bound (the full-fee class).")
    bounds = [c.max_percent for c in bounded]
    if bounds != sorted(bounds) or len(set(bounds)) != len(bounds):
        problems.append("Class bounds must be distinct and listed from lowest to highest.")
    if any(b <= 0 for b in bounds):
        problems.append("Class bounds must be above 0%.")
    if bounded and table.classes[-1].max_percent is not None:
        problems.append("The class without an upper bound must come last.")
    if any(c.basis not in ("nominal", "percent") for c in table.classes):
        problems.append("A class is either nominal or a percent of the full fee.")
    if any(not (0 <= c.percent_of_full <= HUNDRED) for c in table.classes):
        problems.append("Class percentages must be between 0 and 100.")
    shares = [Decimal(-1) if c.basis == "nominal" else c.percent_of_full for c in table.classes]
    if shares != sorted(shares):
        problems.append("Each class must pay at least as much as the class below it.")
    return problems


def percent_of_guideline(*, guideline: Guideline, household_size: int, annual_income: Decimal) -> Decimal:
    if annual_income < 0:
        raise ValueError("Income cannot be negative.")
    return annual_income * HUNDRED / guideline.amount(household_size)


def classify(*, table: ClassTable, percent: Decimal) -> ScaleClass:
    for scale_class in table.classes:
        if scale_class.max_percent is None or percent <= scale_class.max_percent:
            return scale_class
    raise AssertionError("A valid table always has an open-ended class")


def full_fee_on(*, fee_schedule: Sequence[tuple[dt.date, Decimal]], on: dt.date) -> Decimal:
    """The full fee in force on a date: the row with the latest effective date not after it."""
    in_force = [(start, fee) for start, fee in fee_schedule if start <= on]
    if not in_force:
        raise LookupError(f"No fee is set for {on.isoformat()}.")
    return max(in_force)[1]


def class_fee(*, scale_class: ScaleClass, nominal_fee: Decimal, full_fee: Decimal) -> Decimal:
    graded = nominal_fee if scale_class.basis == "nominal" else money(full_fee * scale_class.percent_of_full / HUNDRED)
    return min(full_fee, max(nominal_fee, graded))


def override_fee(*, full_fee: Decimal, fixed_fee: Decimal) -> Decimal:
    """An approved fixed per-session fee never exceeds what the service costs in full."""
    return min(full_fee, fixed_fee)
