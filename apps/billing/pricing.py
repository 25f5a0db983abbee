"""The one pricing rule. The public quote, the portal fee card, the class label, the staff pages, the reduced-fee
cap, every charge and every session package's price ask this module; nothing else works out a fee.

    class  An approved assessment fixes the patient's class on the day it is approved: the household's percent of
           the poverty guideline in force that day, placed in the class table in force that day. The class holds
           for the assessment's twelve months, even when a new guideline is published meanwhile.
    fee    The fee for a session is the fee schedule in force on the session date at that class: the service's
           full fee on that date (or the late-cancel / no-show policy fee), reduced by that class's row in the
           class table in force on that date (the nominal fee for a nominal class, else its percent of the full
           fee), never below the nominal fee and never above the full fee.

An approved fixed fee replaces the class (never above the full fee). As it is capped at each service's full fee, one
above the highest full fee of every active service would never be charged at all: approval refuses it
(`fixed_fee_ceiling`), and one recorded before that rule is named as charged at the full fee. Without an approved
assessment in force the patient pays the full fee. If the class table in force on the session date no longer has the
fixed class's code, the percent recorded at approval is placed in that table instead.

A quote answers "what would this household pay if approved today, for a session today", so it shows the figure a
charge would post. The arithmetic (percent, class bounds, rounding) is the pure code in `fees.py`.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Subquery, TextField
from django.db.models.functions import Cast, JSONObject

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.core.money import money, money_text

from . import fees
from .models import (
    AssessmentStatus,
    FeeBasis,
    FeeSchedule,
    PovertyGuideline,
    SlidingScaleAssessment,
    SlidingScaleClass,
    SlidingScaleSchedule,
)
from .rates_kept import rates_kept

FULL_FEE_CLASS = ("FULL", "Full fee (no sliding-scale assessment)")
OVERRIDE_CLASS = "OVR"
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Classification:
    """Where a household stands against the guideline and class table of one day."""

    guideline: fees.Guideline
    household_size: int
    percent: Decimal  # unrounded: an income exactly at a bound stays in the lower class
    scale_class: fees.ScaleClass

    def assessment_fields(self) -> dict:
        """What an assessment records of its classification."""
        return {
            "guideline_year": self.guideline.year,
            "percent_of_guideline": money(self.percent),
            "class_code": self.scale_class.code,
            "class_label": self.scale_class.label,
        }


@dataclass(frozen=True)
class ServicePriced:
    """What a fee list names of a service: kept with the configuration, so a quote reads no service rows."""

    pk: int
    code: str
    name: str
    is_group: bool


@dataclass(frozen=True)
class Rates:
    """The fee configuration in force on one date: class table, guideline, policy fee, full fees and the active
    services with a fee row (in code order)."""

    on: dt.date
    table: fees.ClassTable
    guideline: fees.Guideline
    late_cancel_fee: Decimal
    fee_rows: Mapping[int, Sequence[tuple[dt.date, Decimal]]]
    services: Sequence[ServicePriced]

    def full_fee(self, service_type_id: int) -> Decimal:
        try:
            return fees.full_fee_on(fee_schedule=self.fee_rows.get(service_type_id, []), on=self.on)
        except LookupError as exc:
            raise Unprocessable("This service has no fee in the fee schedule.") from exc

    def classify(self, *, household_size: int, annual_income: Decimal) -> Classification:
        percent = fees.percent_of_guideline(
            guideline=self.guideline, household_size=household_size, annual_income=annual_income
        )
        return Classification(
            guideline=self.guideline,
            household_size=household_size,
            percent=percent,
            scale_class=fees.classify(table=self.table, percent=percent),
        )

    def highest_full_fee(self) -> tuple[ServicePriced, Decimal] | None:
        """The active service with the highest full fee in force, and that fee; None when none has one."""
        return max(_services_priced(self), key=lambda priced: priced[1], default=None)

    def fixed_class(self, *, code: str, percent: Decimal) -> fees.ScaleClass:
        """The row of this table for a class fixed at approval: by its code, else by the percent recorded then."""
        for scale_class in self.table.classes:
            if scale_class.code == code:
                return scale_class
        return fees.classify(table=self.table, percent=percent)


# The class a session covered by a package stands under on the ledger.
PACKAGE_CLASS = "PKG"


@dataclass(frozen=True)
class Price:
    class_code: str
    class_label: str
    full_fee: Decimal
    fee: Decimal
    assessment: SlidingScaleAssessment | None = None

    @property
    def discount(self) -> Decimal:
        return self.full_fee - self.fee

    @property
    def package_session(self) -> bool:
        """A session a package covers: no charge, one of the package's sessions used instead."""
        return self.class_code == PACKAGE_CLASS


def class_price(
    *, rates: Rates, scale_class: fees.ScaleClass, full_fee: Decimal, assessment=None, sessions: int = 1
) -> Price:
    """The class's price of `full_fee`, which buys `sessions` sessions (a package bundles several): the nominal
    fee, the floor of each session, counts once per session."""
    nominal = rates.table.nominal_fee * sessions
    fee = fees.class_fee(scale_class=scale_class, nominal_fee=nominal, full_fee=full_fee)
    return Price(scale_class.code, scale_class.label, full_fee=full_fee, fee=fee, assessment=assessment)


def _assessment_class(*, rates: Rates, assessment: SlidingScaleAssessment) -> fees.ScaleClass:
    return rates.fixed_class(code=assessment.class_code, percent=assessment.percent_of_guideline)


CHARGED_IN_FULL = ", charged at the full fee"


def _override_label(assessment: SlidingScaleAssessment, *, rates: Rates | None = None) -> str:
    """The fixed fee's class name. One above every service's full fee (recorded before approval refused it) is
    never charged: the name says what is, the full fee. Kept short: charges record it (100 characters)."""
    label = f"Approved fixed fee ({money_text(assessment.override_fee)})"
    highest = rates.highest_full_fee() if rates is not None else None
    if highest is not None and assessment.override_fee > highest[1]:
        return label + CHARGED_IN_FULL
    return label


def assessment_price(
    *, rates: Rates, assessment: SlidingScaleAssessment | None, full_fee: Decimal, sessions: int = 1
) -> Price:
    """The price of something whose full price is `full_fee` for `sessions` sessions (one, or a package's count)
    for a patient with this assessment in force. A fixed fee, like the nominal fee, is per session."""
    if assessment is None:
        return Price(*FULL_FEE_CLASS, full_fee=full_fee, fee=full_fee)
    if assessment.has_override:
        fee = fees.override_fee(full_fee=full_fee, fixed_fee=assessment.override_fee * sessions)
        label = _override_label(assessment, rates=rates)
        return Price(OVERRIDE_CLASS, label, full_fee=full_fee, fee=fee, assessment=assessment)
    scale_class = _assessment_class(rates=rates, assessment=assessment)
    return class_price(
        rates=rates, scale_class=scale_class, full_fee=full_fee, assessment=assessment, sessions=sessions
    )


def reduces_fee(*, rates: Rates, assessment: SlidingScaleAssessment | None) -> bool:
    """Whether the assessment puts the patient below the full fee (what a therapist's reduced-fee cap counts)."""
    if assessment is None:
        return False
    if assessment.has_override:
        return True
    scale_class = _assessment_class(rates=rates, assessment=assessment)
    return scale_class.basis == FeeBasis.NOMINAL or scale_class.percent_of_full < HUNDRED


# --- the configuration in force ------------------------------------------------------------------------------------


def scale_schedule_on(*, on: dt.date) -> SlidingScaleSchedule:
    schedule = (
        SlidingScaleSchedule.objects.filter(effective_from__lte=on)
        .prefetch_related("classes")
        .order_by("-effective_from")
        .first()
    )
    if schedule is None:
        raise Unprocessable("No sliding-scale schedule is in force on that date.")
    return schedule


def _class_table(schedule: SlidingScaleSchedule) -> fees.ClassTable:
    """The schedule's classes from `_scale_in_force`'s rows, lowest bound first (the open-ended class last)."""

    def bound(text: str | None) -> Decimal | None:
        return None if text is None else Decimal(text)

    rows = sorted(schedule.class_rows, key=lambda c: (c["max_percent"] is None, bound(c["max_percent"]) or 0))
    return fees.ClassTable(
        nominal_fee=schedule.nominal_fee,
        classes=tuple(
            fees.ScaleClass(
                code=c["code"],
                label=c["label"],
                max_percent=bound(c["max_percent"]),
                basis=c["basis"],
                percent_of_full=Decimal(c["percent_of_full"]),
            )
            for c in rows
        ),
    )


def _scale_in_force(*, on: dt.date) -> tuple[SlidingScaleSchedule, fees.Guideline]:
    """The sliding-scale schedule in force with its classes (`class_rows`) and the poverty guideline for its region
    (the newest published for the date's year or earlier: HHS publishes each January), in one query. The classes'
    numbers travel as text so they arrive as exact Decimals."""
    guideline = PovertyGuideline.objects.filter(year__lte=on.year, region=OuterRef("region")).order_by("-year")
    as_text = {field: Cast(field, TextField()) for field in ("max_percent", "percent_of_full")}
    classes = SlidingScaleClass.objects.filter(schedule=OuterRef("pk")).values(
        row=JSONObject(code="code", label="label", basis="basis", **as_text)
    )
    schedule = (
        SlidingScaleSchedule.objects.filter(effective_from__lte=on)
        .annotate(
            class_rows=ArraySubquery(classes),
            guideline_year=Subquery(guideline.values("year")[:1]),
            guideline_first_person=Subquery(guideline.values("first_person")[:1]),
            guideline_each_additional_person=Subquery(guideline.values("each_additional_person")[:1]),
            fee_rows=ArraySubquery(_fee_rows()),
        )
        .order_by("-effective_from")
        .first()
    )
    if schedule is None:
        raise Unprocessable("No sliding-scale schedule is in force on that date.")
    if schedule.guideline_year is None:
        raise Unprocessable(f"No poverty guideline is set for {on.year}.")
    return schedule, fees.Guideline(
        year=schedule.guideline_year,
        first_person=schedule.guideline_first_person,
        each_additional_person=schedule.guideline_each_additional_person,
    )


def rates_on(*, on: dt.date) -> Rates:
    """Everything a price needs for one date: kept between requests (`rates_kept`), else one query.
    Unprocessable when the clinic has no configuration in force that day."""
    return rates_kept(on, lambda: _rates_read(on=on))


def _fee_rows():
    """Every fee row with the service it prices, as JSON beside the schedule; the fee and its date travel as text so
    the fee arrives as an exact Decimal."""
    return FeeSchedule.objects.order_by("service_type__code", "-effective_from").values(
        row=JSONObject(
            service_type_id="service_type_id",
            effective_from=Cast("effective_from", TextField()),
            full_fee=Cast("full_fee", TextField()),
            code="service_type__code",
            name="service_type__name",
            is_group="service_type__is_group",
            is_active="service_type__is_active",
        )
    )


def _rates_read(*, on: dt.date) -> Rates:
    # The schedule, its classes, the guideline and the fee rows with their services: one query.
    schedule, guideline = _scale_in_force(on=on)
    fee_rows = defaultdict(list)
    services = {}
    for row in schedule.fee_rows:
        service_type_id = row["service_type_id"]
        fee_rows[service_type_id].append((dt.date.fromisoformat(row["effective_from"]), Decimal(row["full_fee"])))
        if row["is_active"]:
            services[service_type_id] = ServicePriced(service_type_id, row["code"], row["name"], row["is_group"])
    return Rates(
        on=on,
        table=_class_table(schedule),
        guideline=guideline,
        late_cancel_fee=schedule.late_cancel_fee,
        fee_rows=dict(fee_rows),
        services=tuple(sorted(services.values(), key=lambda service: service.code)),
    )


def assessment_in_force(*, patient, on: dt.date) -> SlidingScaleAssessment | None:
    return (
        SlidingScaleAssessment.objects.filter(
            patient=patient, status=AssessmentStatus.APPROVED, effective_from__lte=on, expires_on__gt=on
        )
        .order_by("-effective_from", "-id")
        .first()
    )


def _today() -> dt.date:
    return clock.local_now().date()


# --- the questions the rest of the clinic asks ---------------------------------------------------------------------


def classification_on(*, household_size: int, annual_income: Decimal, on: dt.date) -> Classification:
    """A household's class against the guideline and table in force on a day (an application, an approval)."""
    return rates_on(on=on).classify(household_size=household_size, annual_income=annual_income)


def _services_priced(rates: Rates):
    """Active services with a full fee in force, in code order, with that fee."""
    for service in rates.services:
        try:
            yield service, rates.full_fee(service.pk)
        except Unprocessable:
            continue


def fixed_fee_ceiling(*, on: dt.date) -> tuple[ServicePriced, Decimal] | None:
    """The highest fixed fee that is ever charged from `on`: the highest full fee of an active service in force
    that day (a fixed fee is capped at each service's full fee), with that service. None when no service has one."""
    return rates_on(on=on).highest_full_fee()


def fixed_fees_charged_in_full(*, assessments, on: dt.date | None = None) -> set[int]:
    """The ids of those `assessments` whose fixed fee is above every full fee in force on `on` (default today),
    recorded before approval refused that: each of their sessions is charged its full fee instead."""
    try:
        ceiling = fixed_fee_ceiling(on=on or _today())
    except Unprocessable:
        return set()
    if ceiling is None:
        return set()
    return {a.pk for a in assessments if a.has_override and a.override_fee > ceiling[1]}


def quote(*, household_size: int, annual_income: Decimal, on: dt.date | None = None) -> dict:
    """The class and per-session fee of each active service for a household approved on `on` (default today) and
    seen that day: the figures a charge would post. Nothing is stored."""
    rates = rates_on(on=on or _today())
    classified = rates.classify(household_size=household_size, annual_income=annual_income)
    prices = [
        (service, class_price(rates=rates, scale_class=classified.scale_class, full_fee=full))
        for service, full in _services_priced(rates)
    ]
    return {
        "date": rates.on,
        "guideline_year": rates.guideline.year,
        "guideline_amount": rates.guideline.amount(household_size),
        "percent_of_guideline": money(classified.percent),
        "class_code": classified.scale_class.code,
        "class_label": classified.scale_class.label,
        "nominal_fee": rates.table.nominal_fee,
        "late_cancel_fee": class_price(
            rates=rates, scale_class=classified.scale_class, full_fee=rates.late_cancel_fee
        ).fee,
        "services": [
            {
                "code": service.code,
                "name": service.name,
                "is_group": service.is_group,
                "full_fee": price.full_fee,
                "fee": price.fee,
            }
            for service, price in prices
        ],
    }


def charge_price(*, patient, service_type_id: int, on: dt.date, policy_fee: bool) -> Price:
    """What a charge for a session on `on` posts: the service's fee, or the late-cancel / no-show policy fee."""
    rates = rates_on(on=on)
    full = rates.late_cancel_fee if policy_fee else rates.full_fee(service_type_id)
    return assessment_price(rates=rates, assessment=assessment_in_force(patient=patient, on=on), full_fee=full)


def package_price(*, patient, full_price: Decimal, sessions: int, on: dt.date, slides: bool = True) -> Price:
    """What a package of `sessions` sessions with bundled full price `full_price` costs `patient` bought on `on`:
    the bundle priced exactly as a session's fee is, at the patient's class that day (the full price for everyone
    when it does not slide)."""
    assessment = assessment_in_force(patient=patient, on=on) if slides else None
    return assessment_price(rates=rates_on(on=on), assessment=assessment, full_fee=full_price, sessions=sessions)


def session_date(appointment) -> dt.date:
    """The session's date where it was held (its location's zone): the day its charges are priced on and posted for,
    the date of service on a superbill. A 9 PM Pacific session is that day, not the next one in New York."""
    return appointment.start.astimezone(appointment.zone).date()


def session_outcome_price(*, patient, appointment, policy_fee: bool) -> Price:
    """What the charge for a session's outcome posts for `patient`: the session's fee, or (policy_fee) the
    late-cancel / no-show fee, at the patient's class on the session date."""
    return charge_price(
        patient=patient,
        service_type_id=appointment.service_type_id,
        on=session_date(appointment),
        policy_fee=policy_fee,
    )


def outcome_price(*, appointment, policy_fee: bool) -> Price | None:
    """What recording this session's outcome would post, before it is recorded: the same price its charge posts,
    the session's fee for a completed session or (policy_fee) the late-cancel / no-show fee. None when it would post
    nothing (a group meeting, charged per attendee, or no fee configuration in force that day)."""
    if appointment.patient_id is None:
        return None
    try:
        return session_outcome_price(patient=appointment.patient, appointment=appointment, policy_fee=policy_fee)
    except Unprocessable:
        return None


def patient_fee_card(*, patient, on: dt.date | None = None) -> dict:
    """The patient's fee per session for each active service and for a late cancellation or no-show on a day
    (default today), with their class: what the portal and staff pages show, and what a charge that day posts."""
    on = on or _today()
    return assessment_fee_card(assessment=assessment_in_force(patient=patient, on=on), on=on)


def assessment_fee_card(*, assessment: SlidingScaleAssessment | None, on: dt.date) -> dict:
    """`patient_fee_card` for a patient with `assessment` in force on `on` (None: the full fee): an application
    about to be approved is shown the fees approval will give with it."""
    try:
        rates = rates_on(on=on)
    except Unprocessable:
        return {"services": [], "late_cancel_fee": None, "class_label": _label_unpriced(assessment)}
    rows = []
    for service, full in _services_priced(rates):
        price = assessment_price(rates=rates, assessment=assessment, full_fee=full)
        rows.append({"service": service, "full_fee": full, "fee": price.fee, "class_label": price.class_label})
    late = assessment_price(rates=rates, assessment=assessment, full_fee=rates.late_cancel_fee)
    return {"services": rows, "late_cancel_fee": late.fee, "class_label": late.class_label}


def patient_class_label(*, patient, on: dt.date | None = None) -> str:
    """The patient's class on a day (default today) as the fee card names it; never their income."""
    on = on or _today()
    assessment = assessment_in_force(patient=patient, on=on)
    if assessment is None:
        return _label_unpriced(assessment)
    try:
        rates = rates_on(on=on)
    except Unprocessable:
        return _label_unpriced(assessment)
    if assessment.has_override:
        return _override_label(assessment, rates=rates)
    return _assessment_class(rates=rates, assessment=assessment).label


def _label_unpriced(assessment: SlidingScaleAssessment | None) -> str:
    """The class name when no fee configuration is in force: the class recorded at approval."""
    if assessment is None:
        return FULL_FEE_CLASS[1]
    return _override_label(assessment) if assessment.has_override else assessment.class_label
