"""The fee configuration: each service's full fee, the poverty guidelines and the sliding-scale class
table, each in force from a date on (earlier rows stay, so past charges keep their history).
"""

import contextlib
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pghistory
from django.db import transaction

from apps.core.errors import Unprocessable
from apps.core.money import money
from apps.core.transitions import actor_or_none

from .. import fees
from ..models import FeeBasis, FeeSchedule, PovertyGuideline, SlidingScaleClass, SlidingScaleSchedule
from ..rates_kept import rates_forget


def _changed_by(actor):
    """Name the actor in the row-history context the configuration history reads its "who" from. A request's
    middleware already sets it; this holds for every other caller too (commands, seeds, the shell)."""
    user = actor_or_none(actor)
    return pghistory.context(user=user.pk) if user is not None else contextlib.nullcontext()


@transaction.atomic
def fee_schedule_set(*, actor, service_type, full_fee: Decimal, effective_from: dt.date) -> FeeSchedule:
    """Set a service's full fee from a date on. Earlier rows stay, so past charges keep their history."""
    fee = money(full_fee)
    if fee < 0:
        raise Unprocessable("A fee cannot be negative.", fields={"full_fee": ["Cannot be negative."]})
    with _changed_by(actor):
        row, _ = FeeSchedule.objects.update_or_create(
            service_type=service_type, effective_from=effective_from, defaults={"full_fee": fee}
        )
    return row


@transaction.atomic
def guideline_set(
    *, actor, year: int, first_person: Decimal, each_additional_person: Decimal, region: str = "contiguous"
) -> PovertyGuideline:
    if first_person <= 0 or each_additional_person < 0:
        raise Unprocessable("Guideline amounts must be positive.")
    with _changed_by(actor):
        row, _ = PovertyGuideline.objects.update_or_create(
            year=year,
            region=region,
            defaults={"first_person": money(first_person), "each_additional_person": money(each_additional_person)},
        )
    return row


# What the table's columns hold: fees below ten million dollars, a class's bound below 10,000% of the guideline.
FEE_LIMIT = Decimal("10000000")
PERCENT_LIMIT = Decimal("10000")


def _number_check(value, *, field: str, words: str, below: Decimal, optional: bool = False) -> Decimal | None:
    """The value as its column keeps it (to the cent), refused when it is not a number or does not fit."""
    if value is None and optional:
        return None
    if value is None or not Decimal(value).is_finite():
        raise Unprocessable(f"{words} must be a number.", fields={field: ["Not a number."]})
    kept = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not 0 <= kept < below:
        raise Unprocessable(f"{words} is a number from 0 to below {below:,}.", fields={field: ["Out of range."]})
    return kept


def _scale_input_check(*, nominal_fee, late_cancel_fee, classes: list[dict]) -> None:
    """Each value fits its column before the table as a whole is judged: a class's code and name their lengths, its
    numbers finite and in range, its basis one of the two."""
    _number_check(nominal_fee, field="nominal_fee", words="The nominal fee", below=FEE_LIMIT)
    _number_check(late_cancel_fee, field="late_cancel_fee", words="The policy fee", below=FEE_LIMIT)
    codes: set[str] = set()
    bounds: set[Decimal | None] = set()
    for row in classes:
        code, label = str(row.get("code", "")), str(row.get("label", ""))
        if not 0 < len(code) <= 10 or not 0 < len(label) <= 100:
            raise Unprocessable(
                "Each class needs a code of at most 10 characters and a name of at most 100.",
                fields={"classes": ["Code or name too long or missing."]},
            )
        if row.get("basis") not in FeeBasis.values:
            raise Unprocessable(
                "A class's fee is a nominal fee or a percent of the full fee.", fields={"classes": ["Basis."]}
            )
        words = f"Class {code}'s"
        bound = _number_check(
            row.get("max_percent"), field="classes", words=f"{words} upper bound", below=PERCENT_LIMIT, optional=True
        )
        _number_check(
            row.get("percent_of_full") or 0, field="classes", words=f"{words} percent", below=Decimal("100.01")
        )
        if code in codes or (bound is not None and bound in bounds):
            raise Unprocessable(
                f"Two classes share {'the code ' + code if code in codes else f'the upper bound {bound}%'}.",
                fields={"classes": ["Each class has its own code and upper bound."]},
            )
        codes.add(code)
        bounds.add(bound)


@transaction.atomic
def scale_schedule_save(
    *,
    actor,
    effective_from: dt.date,
    nominal_fee: Decimal,
    late_cancel_fee: Decimal,
    classes: list[dict],
    name: str = "HRSA sliding fee discount",
    region: str = "contiguous",
) -> SlidingScaleSchedule:
    """Save the class table in force from a date on (replacing one saved for the same date).

    `classes` rows: code, label, max_percent (None for the top class), basis, percent_of_full. The table is
    checked as a whole before anything is written: it must cover every income once and never charge a
    richer household less than a poorer one.
    """
    _scale_input_check(nominal_fee=nominal_fee, late_cancel_fee=late_cancel_fee, classes=classes)
    ordered = sorted(classes, key=lambda c: (c.get("max_percent") is None, c.get("max_percent") or 0))
    rows = [
        {
            "code": c["code"],
            "label": c["label"],
            "max_percent": c.get("max_percent"),
            "basis": c["basis"],
            "percent_of_full": Decimal(c.get("percent_of_full") or 0),
        }
        for c in ordered
    ]
    try:
        fees.ClassTable(nominal_fee=money(nominal_fee), classes=tuple(fees.ScaleClass(**row) for row in rows))
    except ValueError as exc:
        raise Unprocessable(str(exc), fields={"classes": [str(exc)]}) from exc
    if money(late_cancel_fee) < 0:
        raise Unprocessable("The policy fee cannot be negative.", fields={"late_cancel_fee": ["Cannot be negative."]})
    with _changed_by(actor):
        schedule, _ = SlidingScaleSchedule.objects.update_or_create(
            effective_from=effective_from,
            defaults={
                "name": name,
                "region": region,
                "nominal_fee": money(nominal_fee),
                "late_cancel_fee": money(late_cancel_fee),
            },
        )
        schedule.classes.all().delete()
        SlidingScaleClass.objects.bulk_create(SlidingScaleClass(schedule=schedule, **row) for row in rows)
    rates_forget()  # a bulk insert sends no signal
    return schedule


HRSA_DEFAULT_CLASSES = [
    {"code": "A", "label": "Up to 100% of poverty guideline", "max_percent": Decimal(100), "basis": "nominal"},
    {"code": "B", "label": "101–125%", "max_percent": Decimal(125), "basis": "percent", "percent_of_full": 20},
    {"code": "C", "label": "126–150%", "max_percent": Decimal(150), "basis": "percent", "percent_of_full": 40},
    {"code": "D", "label": "151–175%", "max_percent": Decimal(175), "basis": "percent", "percent_of_full": 60},
    {"code": "E", "label": "176–200%", "max_percent": Decimal(200), "basis": "percent", "percent_of_full": 80},
    {"code": "F", "label": "Above 200% (full fee)", "max_percent": None, "basis": "percent", "percent_of_full": 100},
]
