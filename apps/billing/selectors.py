"""Reads for billing: the fee configuration in force, a patient's fee, the ledger and reports."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, DecimalField, Exists, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from pghistory.models import MiddlewareEvents

from apps.accounts.models import ClinicSettings
from apps.accounts.roles import Role
from apps.audit.services import access_logs_write
from apps.core import clock
from apps.core.errors import Unprocessable
from apps.core.money import money, money_text

from . import pricing
from .models import (
    Adjustment,
    AssessmentStatus,
    BillingProfile,
    Charge,
    FeeSchedule,
    GoodFaithEstimate,
    Payment,
    PaymentPlan,
    PlanInstalment,
    PlanStatus,
    PovertyGuideline,
    SlidingScaleAssessment,
    SlidingScaleClass,
    SlidingScaleSchedule,
    Statement,
)

ZERO = Decimal("0.00")


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
        return f"{code}: {money_text(data['full_fee'])} from {data['effective_from']}"
    if model_label == PovertyGuideline._meta.label:
        return (
            f"{data['year']} {data['region']}: {money_text(data['first_person'])} "
            f"+ {money_text(data['each_additional_person'])} per additional person"
        )
    if model_label == SlidingScaleSchedule._meta.label:
        return (
            f"{data['name']} from {data['effective_from']}: nominal fee {money_text(data['nominal_fee'])}, "
            f"policy fee {money_text(data['late_cancel_fee'])}"
        )
    schedule = names["schedule_id"].get(data["schedule_id"])
    table = f"table from {schedule.effective_from}" if schedule else f"table #{data['schedule_id']}"
    bound = f"up to {data['max_percent']}%" if data.get("max_percent") is not None else "no upper bound"
    fee = "nominal fee" if data.get("basis") == "nominal" else f"{data['percent_of_full']}% of full fee"
    return f"{data['code']} {data['label']} ({table}): {bound}, {fee}"


# --- assessments ------------------------------------------------------------------------------------------------


def assessment_incomes_shown(*, user, assessments) -> None:
    """A household's income is read through here, on a page or through the API alike: every assessment whose
    income `user` is shown gets one `income_view` row in the access log."""
    access_logs_write(actor=user, action="income_view", subjects=[(a, a.patient_id) for a in assessments])


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


CAP_RECENT_DAYS = 60  # a patient seen within this many days still counts toward a therapist's cap


def reduced_fee_patient_ids(*, therapist, on: dt.date, exclude_series_id: int | None = None) -> set[int]:
    """The therapist's current patients whose assessment in force reduces their fee: those with an active series
    with them, or a session with them from CAP_RECENT_DAYS before `on` onwards (cancelled ones aside). Patients
    not seen for longer, with no series running, no longer count toward the cap."""
    from apps.scheduling.selectors import current_patient_ids

    try:
        rates = pricing.rates_on(on=on)
    except Unprocessable:
        return set()  # nothing is priced without a fee configuration
    patient_ids = current_patient_ids(
        therapist=therapist, since=on - dt.timedelta(days=CAP_RECENT_DAYS), exclude_series_id=exclude_series_id
    )
    in_force = SlidingScaleAssessment.objects.filter(
        patient_id__in=patient_ids, status=AssessmentStatus.APPROVED, effective_from__lte=on, expires_on__gt=on
    ).order_by("patient_id", "-effective_from", "-id")
    latest = {}
    for assessment in in_force:
        latest.setdefault(assessment.patient_id, assessment)
    return {pk for pk, assessment in latest.items() if pricing.reduces_fee(rates=rates, assessment=assessment)}


@dataclass(frozen=True)
class CapBreach:
    cap: int
    carried: int
    message: str


def reduced_fee_cap_breach(
    *, therapist, patient, on: dt.date | None = None, exclude_series_id: int | None = None
) -> CapBreach | None:
    """What taking this patient on would break: a reduced-fee patient the therapist does not carry yet, while
    they already carry their cap. None when the therapist has no cap, the patient pays the full fee or is
    already one of theirs."""
    profile = getattr(therapist, "therapist_profile", None)
    cap = getattr(profile, "reduced_fee_cap", None)
    if cap is None or patient is None:
        return None
    on = on or clock.local_now().date()
    carried = reduced_fee_patient_ids(therapist=therapist, on=on, exclude_series_id=exclude_series_id)
    if patient.pk in carried or len(carried) < cap:
        return None
    try:
        reduced = pricing.reduces_fee(
            rates=pricing.rates_on(on=on), assessment=pricing.assessment_in_force(patient=patient, on=on)
        )
    except Unprocessable:
        return None
    if not reduced:
        return None
    name = therapist.full_name or therapist.email
    return CapBreach(
        cap=cap,
        carried=len(carried),
        message=(
            f"{name} already carries {len(carried)} reduced-fee patients, their cap of {cap}; "
            "a new reduced-fee patient needs a cap override reason."
        ),
    )


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


def _ledger_subtotals(*, until_date: dt.date | None = None, patient_ref: str = "pk") -> dict[str, Coalesce]:
    """The outer row's patient's charges, payments and adjustments (up to the end of a day in the clinic's time
    zone), as correlated subqueries: one query sums them for one patient or a thousand. `patient_ref` names the
    outer row's patient id: "pk" on patients, "patient_id" on rows that belong to a patient."""
    charges = Charge.objects.filter(patient=OuterRef(patient_ref))
    payments = Payment.objects.filter(patient=OuterRef(patient_ref))
    adjustments = Adjustment.objects.filter(patient=OuterRef(patient_ref))
    if until_date is not None:
        charges = charges.filter(service_date__lte=until_date)
        end = clock.local_datetime(until_date + dt.timedelta(days=1), dt.time(0, 0))
        payments = payments.filter(received_at__lt=end)
        adjustments = adjustments.filter(posted_at__lt=end)
    return {"charged": _subtotal(charges), "paid": _subtotal(payments), "adjusted": _subtotal(adjustments)}


def _balance_as_of(until_date: dt.date):
    subtotals = _ledger_subtotals(until_date=until_date)
    return subtotals["charged"] - subtotals["paid"] - subtotals["adjusted"]


def ledger_totals(*, patient, until_date: dt.date | None = None) -> Totals:
    """The patient's charges, payments and adjustments (up to a date), summed in one query."""
    from apps.patients.models import Patient

    row = (
        Patient.objects.filter(pk=patient.pk)
        .annotate(**_ledger_subtotals(until_date=until_date))
        .values_list("charged", "paid", "adjusted")
        .first()
    )
    charged, paid, adjusted = row or (ZERO, ZERO, ZERO)
    return Totals(charges=charged, payments=paid, adjustments=adjusted)


def statement_balances(*, patients: QuerySet, start: dt.date, end: dt.date) -> QuerySet:
    """`patients` with what a statement for start..end says about each: the opening and closing balance and whether
    the period saw a charge or a payment. One query however many patients; the single statement and the monthly
    run both read it here, so they cannot disagree."""
    begin = clock.local_datetime(start, dt.time(0, 0))
    stop = clock.local_datetime(end + dt.timedelta(days=1), dt.time(0, 0))
    return patients.annotate(
        opening_balance=_balance_as_of(start - dt.timedelta(days=1)),
        closing_balance=_balance_as_of(end),
        charged_in_period=Exists(Charge.objects.filter(patient=OuterRef("pk"), service_date__range=(start, end))),
        paid_in_period=Exists(
            Payment.objects.filter(patient=OuterRef("pk"), received_at__gte=begin, received_at__lt=stop)
        ),
    )


def patient_balance(*, patient) -> Decimal:
    return ledger_totals(patient=patient).balance


def with_patient_balance(rows: QuerySet) -> QuerySet:
    """Rows that belong to a patient (sessions, enrollments …) annotated with `patient_balance`, what the patient
    owes today (charges − payments − adjustments, as `ledger_totals` sums them), in the rows' own query."""
    subtotals = _ledger_subtotals(patient_ref="patient_id")
    return rows.annotate(patient_balance=subtotals["charged"] - subtotals["paid"] - subtotals["adjusted"])


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
            f"{'Refund' if p.is_refund else 'Payment'} ({p.get_method_display()}), receipt {p.receipt_number}"
            + (", above the balance: kept as credit on account" if p.credit_on_account else ""),
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


# Claim form conventions: places of service 02 (telehealth elsewhere than home), 10 (telehealth in the patient's
# home) and 11 (office); modifier 95 marks a synchronous telehealth service; a line points at up to four of the
# claim's diagnoses by letter.
POS_OFFICE, POS_TELEHEALTH_HOME, POS_TELEHEALTH_OTHER = "11", "10", "02"
TELEHEALTH_MODIFIER = "95"
DIAGNOSIS_POINTER_LETTERS = "ABCDEFGHIJKL"
MAX_POINTERS_PER_LINE = 4


def superbill_lines(*, patient, start: dt.date, end: dt.date) -> list[dict]:
    """Session charges in the period with what has been paid on each; late-cancel and no-show fees are not
    reimbursable services and are left out."""
    charges = list(
        Charge.objects.filter(
            patient=patient,
            service_date__gte=start,
            service_date__lte=end,
            kind__in=["session", "group"],
        ).select_related("service_type", "appointment", "therapist__therapist_profile__supervisor__therapist_profile")
    )
    paid = charges_paid(patient=patient, charges=charges)
    return [{"charge": c, "paid": paid[c.pk]} for c in charges]


def _provider(user) -> dict:
    profile = getattr(user, "therapist_profile", None)
    return {
        "name": user.full_name,
        "credentials": getattr(profile, "credentials", ""),
        "license_type": getattr(profile, "license_type", ""),
        "license_number": getattr(profile, "license_number", ""),
        "npi": getattr(profile, "npi", ""),
    }


def _billing_provider(therapist) -> dict:
    """A pre-licensed therapist cannot bill in their own name: their supervising licensed provider does."""
    profile = getattr(therapist, "therapist_profile", None)
    if profile is not None and profile.is_prelicensed and profile.supervisor_id:
        return _provider(profile.supervisor)
    return _provider(therapist)


def place_of_service(*, is_telehealth: bool, patient_at_home: bool) -> str:
    if not is_telehealth:
        return POS_OFFICE
    return POS_TELEHEALTH_HOME if patient_at_home else POS_TELEHEALTH_OTHER


@dataclass(frozen=True)
class BillingDiagnosis:
    code: str
    status: str  # "confirmed" or "proposed"
    pointer: str  # the superbill's letter for a confirmed code (the first twelve), else ""

    @property
    def status_label(self) -> str:
        return DIAGNOSIS_STATUS_LABELS[self.status]


DIAGNOSIS_STATUS_LABELS = {"confirmed": "Confirmed", "proposed": "Proposed from the intake note"}


def billing_diagnoses(*, patient) -> list[BillingDiagnosis]:
    """The patient's diagnosis codes as billing holds them: the confirmed ones first (primary first), lettered as a
    superbill points at them, then those proposed from a signed intake note and waiting for billing to confirm.
    The ledger page, the superbill and the API read them here."""
    profile = BillingProfile.objects.filter(patient=patient).first()
    if profile is None:
        return []
    letters = DIAGNOSIS_POINTER_LETTERS
    confirmed = [
        BillingDiagnosis(code, "confirmed", letters[index] if index < len(letters) else "")
        for index, code in enumerate(profile.diagnosis_codes)
    ]
    return confirmed + [BillingDiagnosis(code, "proposed", "") for code in profile.proposed_diagnosis_codes]


def superbill(*, patient, start: dt.date, end: dt.date) -> dict:
    """What a superbill shows an insurer: per line the place of service, modifier, diagnosis pointers, the
    rendering provider (licence type and number) and the billing provider. Refused (422) without a confirmed
    diagnosis, because an insurer refuses a claim without one."""
    held = billing_diagnoses(patient=patient)
    diagnoses = [{"pointer": d.pointer, "code": d.code} for d in held if d.status == "confirmed" and d.pointer]
    if not diagnoses:
        waiting = any(d.status == "proposed" for d in held)
        raise Unprocessable(
            "A superbill needs at least one confirmed ICD-10 diagnosis code, and this patient has none. "
            + (
                "Confirm the diagnoses proposed from the intake note on the patient's billing page."
                if waiting
                else "Record the diagnosis codes on the patient's billing page."
            ),
            fields={"diagnosis_codes": ["No confirmed diagnosis."]},
        )
    pointers = "".join(d["pointer"] for d in diagnoses[:MAX_POINTERS_PER_LINE])
    at_home = ClinicSettings.load().telehealth_patient_at_home
    lines = []
    for row in superbill_lines(patient=patient, start=start, end=end):
        charge = row["charge"]
        telehealth = bool(charge.appointment and charge.appointment.is_telehealth)
        lines.append(
            {
                **row,
                "place_of_service": place_of_service(is_telehealth=telehealth, patient_at_home=at_home),
                "modifier": TELEHEALTH_MODIFIER if telehealth else "",
                "diagnosis_pointers": pointers,
                "rendering_provider": _provider(charge.therapist) if charge.therapist else None,
                "billing_provider": _billing_provider(charge.therapist) if charge.therapist else None,
            }
        )
    return {
        "patient": patient,
        "start": start,
        "end": end,
        "diagnoses": diagnoses,
        "lines": lines,
        "total_charged": sum((line["charge"].amount for line in lines), ZERO),
        "total_paid": sum((line["paid"] for line in lines), ZERO),
    }


def plan_paid(*, plan: PaymentPlan) -> Decimal:
    """What has been paid against the plan: payments made against it, less refunds of those payments."""
    return _sum(Payment.objects.filter(plan=plan))


def plan_progress(*, plan: PaymentPlan, on: dt.date | None = None) -> list[dict]:
    """Instalments with how much of each is covered by payments made against the plan (due order); an instalment
    not covered after its due date is overdue."""
    paid = plan_paid(plan=plan)
    today = on or clock.local_now().date()
    rows = []
    for instalment in plan.instalments.all():
        covered = min(max(paid, ZERO), instalment.amount)
        paid -= covered
        status = "paid" if covered == instalment.amount else ("overdue" if instalment.due_on < today else "due")
        rows.append({"instalment": instalment, "covered": covered, "status": status})
    return rows


def plan_next_instalment(*, plan: PaymentPlan) -> dict | None:
    """The first instalment (in due order) not yet covered by payments against the plan, with what is still due on
    it; None when every instalment is covered. What the portal offers to pay next."""
    for row in plan_progress(plan=plan):
        if row["covered"] < row["instalment"].amount:
            return {**row, "due": row["instalment"].amount - row["covered"]}
    return None


def instalments_overdue_unreminded(*, on: dt.date) -> list[PlanInstalment]:
    """Instalments of active plans that are overdue on `on` and whose patient has not been reminded yet."""
    plans = (
        PaymentPlan.objects.filter(
            status=PlanStatus.ACTIVE, instalments__due_on__lt=on, instalments__overdue_reminded_at__isnull=True
        )
        .distinct()
        .select_related("patient")
        .prefetch_related("instalments")
    )
    return [
        row["instalment"]
        for plan in plans
        for row in plan_progress(plan=plan, on=on)
        if row["status"] == "overdue" and row["instalment"].overdue_reminded_at is None
    ]


def active_plan(*, patient) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).prefetch_related("instalments").first()


# --- Good Faith Estimates ----------------------------------------------------------------------------------------


def estimates_visible_to(*, user) -> QuerySet[GoodFaithEstimate]:
    """The Good Faith Estimates `user` may read, newest first: every patient's for the staff who see ledgers, their
    own for a patient, none for anyone else. The staff and portal pages and the API all read them here."""
    qs = GoodFaithEstimate.objects.select_related("patient", "issued_by", "replaces", "replaced_by")
    if not user.is_authenticated:
        return qs.none()
    if user.has_perm("billing.view_estimates"):
        return qs
    if user.has_role(Role.PATIENT):
        return qs.filter(patient__user=user)
    return qs.none()


def estimates_current(*, patient, on: dt.date) -> QuerySet[GoodFaithEstimate]:
    """Estimates still running on `on` that no later estimate has replaced."""
    return GoodFaithEstimate.objects.filter(patient=patient, period_end__gte=on, replaced_by__isnull=True)


def patients_with_estimates_past_expiry(*, since: dt.date, on: dt.date) -> list[int]:
    """Ids of patients whose approved assessment ended after `since` and by `on` (its `expires_on` is the first day
    without it) and who hold an estimate still running on `on`, in key order."""
    running = estimates_current(patient=OuterRef("patient"), on=on)
    return list(
        SlidingScaleAssessment.objects.filter(
            status=AssessmentStatus.APPROVED, expires_on__gt=since, expires_on__lte=on
        )
        .filter(Exists(running))
        .order_by("patient_id")
        .values_list("patient_id", flat=True)
        .distinct()
    )


def estimate_context(estimate: GoodFaithEstimate) -> dict:
    """What the estimate page and PDF show: the issued row, its lines with Decimal amounts, the dispute threshold."""
    lines = [{**line, "fee": Decimal(line["fee"]), "amount": Decimal(line["amount"])} for line in estimate.lines]
    return {"estimate": estimate, "lines": lines, "dispute_threshold": ESTIMATE_DISPUTE_THRESHOLD}


# A bill this much above the estimate may be disputed (No Surprises Act patient-provider dispute resolution).
ESTIMATE_DISPUTE_THRESHOLD = Decimal("400.00")
