"""Reads for billing: the fee configuration in force, a patient's fee, the ledger and reports."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from pghistory.models import MiddlewareEvents

from apps.accounts.roles import Role
from apps.core import clock
from apps.core.errors import Unprocessable
from apps.core.money import money

from . import fees
from .models import (
    Adjustment,
    AssessmentStatus,
    Charge,
    FeeSchedule,
    Payment,
    PaymentPlan,
    PlanStatus,
    PovertyGuideline,
    SlidingScaleAssessment,
    SlidingScaleClass,
    SlidingScaleSchedule,
    Statement,
)

ZERO = Decimal("0.00")
FULL_FEE_CLASS = ("FULL", "Full fee (no sliding-scale assessment)")
OVERRIDE_CLASS = "OVR"


# --- configuration in force -------------------------------------------------------------------------------------


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


def class_table_of(schedule: SlidingScaleSchedule) -> fees.ClassTable:
    rows = sorted(schedule.classes.all(), key=lambda c: (c.max_percent is None, c.max_percent or 0))
    return fees.ClassTable(
        nominal_fee=schedule.nominal_fee,
        classes=tuple(
            fees.ScaleClass(
                code=c.code,
                label=c.label,
                max_percent=c.max_percent,
                basis=c.basis,
                percent_of_full=c.percent_of_full,
            )
            for c in rows
        ),
    )


def guideline_on(*, on: dt.date, region: str) -> fees.Guideline:
    """The newest guideline published for the date's year or earlier (HHS publishes each January)."""
    row = PovertyGuideline.objects.filter(year__lte=on.year, region=region).order_by("-year").first()
    if row is None:
        raise Unprocessable(f"No poverty guideline is set for {on.year}.")
    return fees.Guideline(
        year=row.year, first_person=row.first_person, each_additional_person=row.each_additional_person
    )


def fee_schedules_by_service() -> dict[int, list[tuple[dt.date, Decimal]]]:
    rows = defaultdict(list)
    for service_type_id, start, fee in FeeSchedule.objects.values_list("service_type_id", "effective_from", "full_fee"):
        rows[service_type_id].append((start, fee))
    return rows


@dataclass
class FeeConfig:
    """Everything the fee function needs for one date, loaded in three queries."""

    on: dt.date
    schedule: SlidingScaleSchedule
    table: fees.ClassTable
    guideline: fees.Guideline
    fee_rows: dict[int, list[tuple[dt.date, Decimal]]] = field(default_factory=dict)

    def full_fee(self, service_type_id: int) -> Decimal:
        try:
            return fees.full_fee_on(fee_schedule=self.fee_rows.get(service_type_id, []), on=self.on)
        except LookupError as exc:
            raise Unprocessable("This service has no fee in the fee schedule.") from exc


def fee_config_on(*, on: dt.date) -> FeeConfig:
    schedule = scale_schedule_on(on=on)
    return FeeConfig(
        on=on,
        schedule=schedule,
        table=class_table_of(schedule),
        guideline=guideline_on(on=on, region=schedule.region),
        fee_rows=fee_schedules_by_service(),
    )


# --- configuration history --------------------------------------------------------------------------------------

# What each tracked configuration table is called on the history page.
CONFIG_HISTORY_MODELS = {
    FeeSchedule: "Fee",
    PovertyGuideline: "Poverty guideline",
    SlidingScaleSchedule: "Sliding-scale table",
    SlidingScaleClass: "Sliding-scale class",
}
# Bookkeeping columns that change with every save and say nothing to a reader.
_HISTORY_NOISE = {"id", "created_at", "updated_at"}
_MONEY_FIELDS = {"full_fee", "first_person", "each_additional_person", "nominal_fee", "late_cancel_fee"}
_PERCENT_FIELDS = {"max_percent", "percent_of_full"}


def _history_value(name: str, value):
    """Row history holds the row as JSON, where numbers come back as floats; show them as the columns' decimals."""
    if value is None or not isinstance(value, int | float):
        return value
    if name in _MONEY_FIELDS:
        return money(Decimal(str(value)))
    if name in _PERCENT_FIELDS:
        percent = Decimal(str(value))
        return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent.normalize()
    return value


@dataclass
class ConfigChange:
    at: dt.datetime
    who: object
    what: str
    action: str
    summary: str
    changes: list[tuple[str, object, object]]


def configuration_history() -> QuerySet[MiddlewareEvents]:
    """Every insert and update of the fee configuration, newest first, from the row-history triggers."""
    event_models = [model.pgh_event_model for model in CONFIG_HISTORY_MODELS]
    return MiddlewareEvents.objects.across(*event_models).order_by("-pgh_created_at", "-pgh_id")


def configuration_changes(events) -> list[ConfigChange]:
    """A page of history events in words: who, which row, and each field's old and new value. Three queries."""
    from apps.scheduling.models import ServiceType

    events = list(events)

    def referenced(key):
        return {e.pgh_data.get(key) for e in events} - {None}

    names = {
        "user": get_user_model().objects.in_bulk({(e.pgh_context or {}).get("user") for e in events} - {None}),
        "service_type_id": ServiceType.objects.in_bulk(referenced("service_type_id")),
        "schedule_id": SlidingScaleSchedule.objects.in_bulk(referenced("schedule_id")),
    }
    labels = {model._meta.label: label for model, label in CONFIG_HISTORY_MODELS.items()}
    return [
        ConfigChange(
            at=event.pgh_created_at,
            who=names["user"].get((event.pgh_context or {}).get("user")),
            what=labels.get(event.pgh_obj_model, event.pgh_obj_model),
            action="added" if event.pgh_label == "insert" else "changed",
            summary=_config_summary(event.pgh_obj_model, event.pgh_data, names),
            changes=[
                (name.replace("_", " "), _history_value(name, old), _history_value(name, new))
                for name, (old, new) in sorted((event.pgh_diff or {}).items())
                if name not in _HISTORY_NOISE
            ],
        )
        for event in events
    ]


def _config_summary(model_label: str, raw: dict, names: dict) -> str:
    data = {name: _history_value(name, value) for name, value in raw.items()}
    if model_label == FeeSchedule._meta.label:
        service = names["service_type_id"].get(data["service_type_id"])
        code = service.code if service else f"service #{data['service_type_id']}"
        return f"{code}: ${data['full_fee']} from {data['effective_from']}"
    if model_label == PovertyGuideline._meta.label:
        return (
            f"{data['year']} {data['region']}: ${data['first_person']} "
            f"+ ${data['each_additional_person']} per additional person"
        )
    if model_label == SlidingScaleSchedule._meta.label:
        return (
            f"{data['name']} from {data['effective_from']}: nominal fee ${data['nominal_fee']}, "
            f"policy fee ${data['late_cancel_fee']}"
        )
    schedule = names["schedule_id"].get(data["schedule_id"])
    table = f"table from {schedule.effective_from}" if schedule else f"table #{data['schedule_id']}"
    bound = f"up to {data['max_percent']}%" if data.get("max_percent") is not None else "no upper bound"
    fee = "nominal fee" if data.get("basis") == "nominal" else f"{data['percent_of_full']}% of full fee"
    return f"{data['code']} {data['label']} ({table}): {bound}, {fee}"


# --- quotes and a patient's fee ----------------------------------------------------------------------------------


def fee_quote(*, household_size: int, annual_income: Decimal, on: dt.date | None = None) -> dict:
    """The class and per-session fee of each active service for a household. Nothing is stored."""
    from apps.scheduling.models import ServiceType

    on = on or clock.local_now().date()
    config = fee_config_on(on=on)
    services = []
    result = None
    for service in ServiceType.objects.filter(is_active=True).order_by("code"):
        if service.pk not in config.fee_rows:
            continue
        result = fees.session_fee(
            fee_schedule=config.fee_rows[service.pk],
            guideline=config.guideline,
            household_size=household_size,
            annual_income=annual_income,
            table=config.table,
            on=on,
        )
        services.append(
            {
                "code": service.code,
                "name": service.name,
                "is_group": service.is_group,
                "full_fee": result.full_fee,
                "fee": result.fee,
            }
        )
    percent = fees.percent_of_guideline(
        guideline=config.guideline, household_size=household_size, annual_income=annual_income
    )
    scale_class = fees.classify(table=config.table, percent=percent)
    return {
        "date": on,
        "guideline_year": config.guideline.year,
        "guideline_amount": config.guideline.amount(household_size),
        "percent_of_guideline": money(percent),
        "class_code": scale_class.code,
        "class_label": scale_class.label,
        "nominal_fee": config.table.nominal_fee,
        "services": services,
    }


def assessment_in_force(*, patient, on: dt.date) -> SlidingScaleAssessment | None:
    return (
        SlidingScaleAssessment.objects.filter(
            patient=patient, status=AssessmentStatus.APPROVED, effective_from__lte=on, expires_on__gt=on
        )
        .order_by("-effective_from", "-id")
        .first()
    )


@dataclass(frozen=True)
class PatientFee:
    class_code: str
    class_label: str
    full_fee: Decimal
    fee: Decimal
    assessment: SlidingScaleAssessment | None


def patient_fee(*, patient, full_fee: Decimal, config: FeeConfig, on: dt.date) -> PatientFee:
    """A patient's price for something whose full price is `full_fee`, by the assessment in force on `on`.

    No approved assessment in force: the full fee.
    """
    return assessment_fee(assessment=assessment_in_force(patient=patient, on=on), full_fee=full_fee, config=config)


def assessment_fee(*, assessment: SlidingScaleAssessment | None, full_fee: Decimal, config: FeeConfig) -> PatientFee:
    if assessment is None:
        return PatientFee(*FULL_FEE_CLASS, full_fee=full_fee, fee=full_fee, assessment=None)
    if assessment.has_override:
        return PatientFee(
            OVERRIDE_CLASS,
            f"Approved fixed fee (${assessment.override_fee})",
            full_fee=full_fee,
            fee=fees.override_fee(full_fee=full_fee, fixed_fee=assessment.override_fee),
            assessment=assessment,
        )
    percent = fees.percent_of_guideline(
        guideline=config.guideline, household_size=assessment.household_size, annual_income=assessment.annual_income
    )
    scale_class = fees.classify(table=config.table, percent=percent)
    fee = fees.class_fee(scale_class=scale_class, nominal_fee=config.table.nominal_fee, full_fee=full_fee)
    return PatientFee(scale_class.code, scale_class.label, full_fee=full_fee, fee=fee, assessment=assessment)


def patient_fee_summary(*, patient, on: dt.date | None = None) -> dict:
    """The patient's current per-session fee for each active service and for a late cancellation or no-show,
    shown to them before they book or cancel. Six queries."""
    from apps.scheduling.models import ServiceType

    on = on or clock.local_now().date()
    try:
        config = fee_config_on(on=on)
    except Unprocessable:
        return {"services": [], "late_cancel_fee": None, "class_label": current_class_label(patient=patient, on=on)}
    assessment = assessment_in_force(patient=patient, on=on)
    rows = []
    for service in ServiceType.objects.filter(is_active=True, pk__in=list(config.fee_rows)).order_by("code"):
        try:
            full = config.full_fee(service.pk)
        except Unprocessable:
            continue
        price = assessment_fee(assessment=assessment, full_fee=full, config=config)
        rows.append({"service": service, "full_fee": full, "fee": price.fee, "class_label": price.class_label})
    late = assessment_fee(assessment=assessment, full_fee=config.schedule.late_cancel_fee, config=config)
    class_label = rows[0]["class_label"] if rows else late.class_label
    return {"services": rows, "late_cancel_fee": late.fee, "class_label": class_label}


def patient_fees_for_services(*, patient, on: dt.date | None = None) -> list[dict]:
    return patient_fee_summary(patient=patient, on=on)["services"]


def current_class_label(*, patient, on: dt.date | None = None) -> str:
    on = on or clock.local_now().date()
    assessment = assessment_in_force(patient=patient, on=on)
    if assessment is None:
        return FULL_FEE_CLASS[1]
    if assessment.has_override:
        return "Approved fixed fee"
    return assessment.class_label


def assessments_for_review() -> QuerySet[SlidingScaleAssessment]:
    return SlidingScaleAssessment.objects.filter(status=AssessmentStatus.PENDING).select_related("patient")


def latest_assessment(*, patient) -> SlidingScaleAssessment | None:
    return SlidingScaleAssessment.objects.filter(patient=patient).order_by("-created_at", "-id").first()


def assessments_expiring(*, within_days: int, on: dt.date) -> QuerySet[SlidingScaleAssessment]:
    """Approved assessments ending within the window that are not yet superseded and not yet reminded."""
    newer = SlidingScaleAssessment.objects.filter(
        patient=OuterRef("patient"),
        status__in=[AssessmentStatus.PENDING, AssessmentStatus.APPROVED],
        created_at__gt=OuterRef("created_at"),
    )
    return (
        SlidingScaleAssessment.objects.filter(
            status=AssessmentStatus.APPROVED,
            expires_on__gt=on,
            expires_on__lte=on + dt.timedelta(days=within_days),
            reattestation_requested_at__isnull=True,
        )
        .exclude(Exists(newer))
        .select_related("patient")
    )


# --- reduced-fee caps --------------------------------------------------------------------------------------------


def reduced_fee_patient_ids(*, therapist, on: dt.date) -> set[int]:
    """Patients of a therapist (primary or seen) whose assessment in force reduces their fee."""
    from apps.patients.models import Patient
    from apps.scheduling.selectors import treating_patients_q

    patient_ids = Patient.objects.filter(treating_patients_q(therapist=therapist)).values("pk")
    reduced = set()
    in_force = SlidingScaleAssessment.objects.filter(
        patient_id__in=patient_ids, status=AssessmentStatus.APPROVED, effective_from__lte=on, expires_on__gt=on
    ).order_by("patient_id", "-effective_from", "-id")
    full_class = _full_class_code(on=on)
    seen = set()
    for assessment in in_force:
        if assessment.patient_id in seen:
            continue
        seen.add(assessment.patient_id)
        if assessment.has_override or assessment.class_code != full_class:
            reduced.add(assessment.patient_id)
    return reduced


def _full_class_code(*, on: dt.date) -> str | None:
    try:
        schedule = scale_schedule_on(on=on)
    except Unprocessable:
        return None
    top = schedule.classes.filter(max_percent__isnull=True).first()
    return top.code if top else None


def reduced_fee_cap_warning(*, therapist, patient, on: dt.date | None = None) -> str | None:
    """A warning for the front desk when booking this patient takes a therapist past their reduced-fee cap."""
    profile = getattr(therapist, "therapist_profile", None)
    cap = getattr(profile, "reduced_fee_cap", None)
    if cap is None or patient is None:
        return None
    on = on or clock.local_now().date()
    assessment = assessment_in_force(patient=patient, on=on)
    if assessment is None or not (assessment.has_override or assessment.class_code != _full_class_code(on=on)):
        return None
    carried = reduced_fee_patient_ids(therapist=therapist, on=on)
    if patient.pk in carried:
        return None
    if len(carried) >= cap:
        return (
            f"{therapist.full_name} already carries {len(carried)} reduced-fee clients (cap {cap}); "
            "this booking goes past the cap."
        )
    return None


# --- ledger -----------------------------------------------------------------------------------------------------


def _sum(qs, field_name="amount") -> Decimal:
    return qs.aggregate(total=Coalesce(Sum(field_name), ZERO))["total"]


@dataclass(frozen=True)
class Totals:
    charges: Decimal
    payments: Decimal
    adjustments: Decimal

    @property
    def balance(self) -> Decimal:
        return self.charges - self.payments - self.adjustments


def _subtotal(qs) -> Coalesce:
    summed = qs.order_by().values("patient_id").annotate(total=Sum("amount")).values("total")
    return Coalesce(Subquery(summed, output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO)


def ledger_totals(*, patient, before: dt.datetime | None = None, until_date: dt.date | None = None) -> Totals:
    """The patient's charges, payments and adjustments (up to a date), summed in one query: the statement run
    asks this for every patient."""
    from apps.patients.models import Patient

    charges = Charge.objects.filter(patient=patient)
    payments = Payment.objects.filter(patient=patient)
    adjustments = Adjustment.objects.filter(patient=patient)
    if until_date is not None:
        charges = charges.filter(service_date__lte=until_date)
        end = clock.local_datetime(until_date + dt.timedelta(days=1), dt.time(0, 0))
        payments = payments.filter(received_at__lt=end)
        adjustments = adjustments.filter(posted_at__lt=end)
    row = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(charged=_subtotal(charges), paid=_subtotal(payments), adjusted=_subtotal(adjustments))
        .values_list("charged", "paid", "adjusted")
        .first()
    )
    charged, paid, adjusted = row or (ZERO, ZERO, ZERO)
    return Totals(charges=charged, payments=paid, adjustments=adjusted)


def patient_balance(*, patient) -> Decimal:
    return ledger_totals(patient=patient).balance


@dataclass(frozen=True)
class LedgerLine:
    date: dt.date
    kind: str
    description: str
    amount: Decimal  # positive raises the balance
    row: object


def ledger_lines(*, patient, start: dt.date | None = None, end: dt.date | None = None) -> list[LedgerLine]:
    """Charges, payments and adjustments in date order. Three queries whatever the length."""
    tz = clock.clinic_tz()
    charges = Charge.objects.filter(patient=patient).select_related("service_type")
    payments = Payment.objects.filter(patient=patient)
    adjustments = Adjustment.objects.filter(patient=patient)
    if start:
        charges = charges.filter(service_date__gte=start)
        payments = payments.filter(received_at__gte=clock.local_datetime(start, dt.time(0, 0)))
        adjustments = adjustments.filter(posted_at__gte=clock.local_datetime(start, dt.time(0, 0)))
    if end:
        stop = clock.local_datetime(end + dt.timedelta(days=1), dt.time(0, 0))
        charges = charges.filter(service_date__lte=end)
        payments = payments.filter(received_at__lt=stop)
        adjustments = adjustments.filter(posted_at__lt=stop)
    lines = [LedgerLine(c.service_date, "charge", c.description, c.amount, c) for c in charges]
    lines += [
        LedgerLine(
            p.received_at.astimezone(tz).date(),
            "refund" if p.is_refund else "payment",
            f"{'Refund' if p.is_refund else 'Payment'} ({p.get_method_display()}), receipt {p.receipt_number}",
            -p.amount,
            p,
        )
        for p in payments
    ]
    lines += [
        LedgerLine(a.posted_at.astimezone(tz).date(), "adjustment", f"{a.get_kind_display()}: {a.reason}", -a.amount, a)
        for a in adjustments
    ]
    order = {"charge": 0, "payment": 1, "refund": 1, "adjustment": 2}
    return sorted(lines, key=lambda line: (line.date, order[line.kind], line.row.pk))


def charge_outstanding(*, charges: list[Charge], credits: Decimal) -> dict[int, Decimal]:
    """What is still owed on each charge when credits (payments + adjustments) pay the oldest charges first."""
    remaining = credits
    owed = {}
    for charge in sorted(charges, key=lambda c: (c.service_date, c.pk)):
        applied = min(max(remaining, ZERO), charge.amount)
        owed[charge.pk] = charge.amount - applied
        remaining -= applied
    return owed


def charges_paid(*, patient, charges: list[Charge]) -> dict[int, Decimal]:
    """How much of each charge has been paid or credited (oldest first)."""
    totals = ledger_totals(patient=patient)
    all_charges = list(Charge.objects.filter(patient=patient))
    owed = charge_outstanding(charges=all_charges, credits=totals.payments + totals.adjustments)
    return {c.pk: c.amount - owed.get(c.pk, c.amount) for c in charges}


def ledger_visible_patients(*, user):
    from apps.patients.selectors import patients_visible_to

    if not user.has_role(Role.ADMIN, Role.BILLING, Role.FRONT_DESK):
        return patients_visible_to(user=user).none()
    return patients_visible_to(user=user)


def patients_with_balances(*, user) -> list[dict]:
    """Every patient with ledger activity, with their balance. Four queries."""
    charged = dict(Charge.objects.values("patient").annotate(t=Sum("amount")).values_list("patient", "t"))
    paid = dict(Payment.objects.values("patient").annotate(t=Sum("amount")).values_list("patient", "t"))
    adjusted = dict(Adjustment.objects.values("patient").annotate(t=Sum("amount")).values_list("patient", "t"))
    active = set(charged) | set(paid) | set(adjusted)
    rows = []
    for patient in ledger_visible_patients(user=user).filter(pk__in=active):
        pk = patient.pk
        balance = charged.get(pk, ZERO) - paid.get(pk, ZERO) - adjusted.get(pk, ZERO)
        rows.append({"patient": patient, "balance": balance})
    return sorted(rows, key=lambda r: (-r["balance"], r["patient"].legal_last_name))


AGING_BUCKETS = [("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None)]


def ar_aging(*, as_of: dt.date) -> dict:
    """Outstanding charges by age (days since the service date), per patient and in total. Oldest charges are
    paid first. Four queries whatever the number of patients."""
    from apps.patients.models import Patient

    charges = defaultdict(list)
    for charge in Charge.objects.filter(service_date__lte=as_of).only("id", "patient_id", "service_date", "amount"):
        charges[charge.patient_id].append(charge)
    end = clock.local_datetime(as_of + dt.timedelta(days=1), dt.time(0, 0))
    credits = defaultdict(lambda: ZERO)
    for model, stamp in ((Payment, "received_at"), (Adjustment, "posted_at")):
        for pk, total in (
            model.objects.filter(**{f"{stamp}__lt": end})
            .values("patient")
            .annotate(t=Sum("amount"))
            .values_list("patient", "t")
        ):
            credits[pk] += total
    names = Patient.objects.in_bulk(list(charges))
    rows = []
    totals = dict.fromkeys([b[0] for b in AGING_BUCKETS], ZERO)
    for patient_id, patient_charges in charges.items():
        owed = charge_outstanding(charges=patient_charges, credits=credits[patient_id])
        buckets = dict.fromkeys(totals, ZERO)
        for charge in patient_charges:
            age = (as_of - charge.service_date).days
            for name, low, high in AGING_BUCKETS:
                if age >= low and (high is None or age <= high):
                    buckets[name] += owed[charge.pk]
        total = sum(buckets.values(), ZERO)
        if total:
            rows.append({"patient": names[patient_id], "buckets": buckets, "total": total})
            for name in totals:
                totals[name] += buckets[name]
    rows.sort(key=lambda r: (-r["total"], r["patient"].legal_last_name))
    return {"as_of": as_of, "rows": rows, "totals": totals, "total": sum(totals.values(), ZERO)}


def sliding_scale_report(*, start: dt.date, end: dt.date) -> dict:
    """Patients, charges and total discount per class, and per therapist and class, for charges in a period."""
    charges = Charge.objects.filter(service_date__gte=start, service_date__lte=end)
    aggregates = {
        "patients": Count("patient", distinct=True),
        "charges": Count("id"),
        "full": Sum("full_fee"),
        "charged": Sum("amount"),
    }
    by_class = list(charges.values("class_code", "class_label").annotate(**aggregates).order_by("class_code"))
    by_therapist = list(
        charges.values("therapist", "therapist__first_name", "therapist__last_name", "class_code", "class_label")
        .annotate(**aggregates)
        .order_by("therapist__last_name", "therapist", "class_code")
    )
    for row in by_class + by_therapist:
        row["discount"] = row["full"] - row["charged"]
    return {
        "start": start,
        "end": end,
        "by_class": by_class,
        "by_therapist": by_therapist,
        "total_discount": sum((r["discount"] for r in by_class), ZERO),
    }


# --- statements, superbills, plans -------------------------------------------------------------------------------


def statement_lines(*, statement: Statement) -> list[LedgerLine]:
    return ledger_lines(patient=statement.patient, start=statement.period_start, end=statement.period_end)


def statements_of(*, patient) -> QuerySet[Statement]:
    return Statement.objects.filter(patient=patient)


def superbill_lines(*, patient, start: dt.date, end: dt.date) -> list[dict]:
    """Session charges in the period with what has been paid on each; late-cancel and no-show fees are not
    reimbursable services and are left out."""
    charges = list(
        Charge.objects.filter(
            patient=patient,
            service_date__gte=start,
            service_date__lte=end,
            kind__in=["session", "group"],
        ).select_related("service_type", "therapist__therapist_profile")
    )
    paid = charges_paid(patient=patient, charges=charges)
    return [{"charge": c, "paid": paid[c.pk]} for c in charges]


def plan_progress(*, plan: PaymentPlan) -> list[dict]:
    """Instalments with how much of each is covered by payments made since the plan started (due order)."""
    start = clock.local_datetime(plan.starts_on, dt.time(0, 0))
    paid = _sum(Payment.objects.filter(patient=plan.patient, received_at__gte=start))
    today = clock.local_now().date()
    rows = []
    for instalment in plan.instalments.all():
        covered = min(max(paid, ZERO), instalment.amount)
        paid -= covered
        status = "paid" if covered == instalment.amount else ("overdue" if instalment.due_on < today else "due")
        rows.append({"instalment": instalment, "covered": covered, "status": status})
    return rows


def active_plan(*, patient) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).prefetch_related("instalments").first()
