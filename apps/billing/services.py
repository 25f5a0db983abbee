"""Every write to billing: configuration, assessments, the ledger, online payments and statements.

Ledger rows are only ever inserted. Services that depend on the current state of a patient's ledger lock the
patient row first (always the patient, then the ledger row), so two cashiers cannot overspend a refund or
double-post the same outcome.
"""

import datetime as dt
import logging
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse

from apps.accounts.models import ClinicSettings, User
from apps.accounts.roles import Role
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.api_lookups import id_or_none
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.core.money import money, money_text
from apps.core.transitions import transition_write
from apps.notifications.services import message_build, message_enqueue, messages_enqueue
from apps.scheduling.selectors import service_types_by_id

from . import fees, pricing, selectors
from .models import (
    Adjustment,
    AdjustmentKind,
    AssessmentStatus,
    AssessmentTransition,
    BillingProfile,
    Charge,
    ChargeKind,
    CheckoutSession,
    CheckoutStatus,
    EstimateReason,
    FeeSchedule,
    GoodFaithEstimate,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PlanInstalment,
    PlanStatus,
    PovertyGuideline,
    ProviderEvent,
    SlidingScaleAssessment,
    SlidingScaleClass,
    SlidingScaleSchedule,
    Statement,
)
from .payments import OnlineCardPaymentsOff, from_cents, online_card_payments, payment_backend

ZERO = Decimal("0.00")
logger = logging.getLogger(__name__)

ASSESSMENT_MONTHS = 12
REATTESTATION_NOTICE_DAYS = 30


def _lock_patient(patient):
    from apps.patients.models import Patient

    return Patient.objects.select_for_update().get(pk=patient.pk)


def _positive_money(value, field: str) -> Decimal:
    try:
        amount = money(value)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise Unprocessable("Enter an amount in dollars and cents.", fields={field: ["Not an amount."]}) from exc
    if amount <= 0:
        raise Unprocessable("The amount must be more than zero.", fields={field: ["Must be more than zero."]})
    return amount


# --- configuration -----------------------------------------------------------------------------------------------


@transaction.atomic
def fee_schedule_set(*, actor, service_type, full_fee: Decimal, effective_from: dt.date) -> FeeSchedule:
    """Set a service's full fee from a date on. Earlier rows stay, so past charges keep their history."""
    fee = money(full_fee)
    if fee < 0:
        raise Unprocessable("A fee cannot be negative.", fields={"full_fee": ["Cannot be negative."]})
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
    row, _ = PovertyGuideline.objects.update_or_create(
        year=year,
        region=region,
        defaults={"first_person": money(first_person), "each_additional_person": money(each_additional_person)},
    )
    return row


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
    return schedule


HRSA_DEFAULT_CLASSES = [
    {"code": "A", "label": "Up to 100% of poverty guideline", "max_percent": Decimal(100), "basis": "nominal"},
    {"code": "B", "label": "101–125%", "max_percent": Decimal(125), "basis": "percent", "percent_of_full": 20},
    {"code": "C", "label": "126–150%", "max_percent": Decimal(150), "basis": "percent", "percent_of_full": 40},
    {"code": "D", "label": "151–175%", "max_percent": Decimal(175), "basis": "percent", "percent_of_full": 60},
    {"code": "E", "label": "176–200%", "max_percent": Decimal(200), "basis": "percent", "percent_of_full": 80},
    {"code": "F", "label": "Above 200% (full fee)", "max_percent": None, "basis": "percent", "percent_of_full": 100},
]


# --- assessments -------------------------------------------------------------------------------------------------

MAX_RECORDED_PERCENT = Decimal("1000000")  # percent_of_guideline is numeric(8, 2)


@transaction.atomic
def assessment_submit(
    *, actor, patient, household_size: int, annual_income: Decimal, proof=None
) -> SlidingScaleAssessment:
    """A patient's attestation, waiting for billing. One pending application per patient at a time."""
    if not 1 <= household_size <= 20:
        raise Unprocessable("Household size must be between 1 and 20.", fields={"household_size": ["1 to 20."]})
    income = money(annual_income)
    if income < 0:
        raise Unprocessable("Income cannot be negative.", fields={"annual_income": ["Cannot be negative."]})
    _lock_patient(patient)
    if SlidingScaleAssessment.objects.filter(patient=patient, status=AssessmentStatus.PENDING).exists():
        raise Conflict("An application is already waiting for review.")
    classified = pricing.classification_on(
        household_size=household_size, annual_income=income, on=clock.local_now().date()
    ).assessment_fields()
    if classified["percent_of_guideline"] >= MAX_RECORDED_PERCENT:
        # Far beyond the top class: the percentage would not fit the record, and the full fee needs no application.
        raise Unprocessable(
            "That income is far above the sliding scale; the full fee applies without an application.",
            fields={"annual_income": ["Too large for a sliding-scale application."]},
        )
    assessment = SlidingScaleAssessment(
        patient=patient,
        household_size=household_size,
        annual_income=income,
        submitted_by=actor,
        **classified,
    )
    if proof is not None:
        assessment.proof = proof
    assessment.save()
    _assessment_transition_write(assessment, actor=actor, was="")
    return assessment


def _assessment_transition_write(assessment, *, actor, was: str, reason: str = "") -> None:
    """Every status change of an assessment is written as a transition row in its transaction (who, from, to,
    why). Never the income: the reason is the reviewer's own words."""
    transition_write(AssessmentTransition, assessment, actor=actor, was=was, reason=reason)


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _lock_assessment(assessment) -> SlidingScaleAssessment:
    return SlidingScaleAssessment.objects.select_for_update().get(pk=assessment.pk)


@transaction.atomic
def assessment_approve(
    *,
    actor,
    assessment: SlidingScaleAssessment,
    effective_from: dt.date | None = None,
    override_fee: Decimal | None = None,
    override_reason: str = "",
) -> SlidingScaleAssessment:
    """Approve: the class applies from `effective_from` (default today) for twelve months. An override fixes the
    per-session fee instead and needs a reason; the approver is recorded."""
    _lock_patient(assessment.patient)
    assessment = _lock_assessment(assessment)
    if assessment.status != AssessmentStatus.PENDING:
        raise InvalidTransition("Only a pending application can be approved.")
    today = clock.local_now().date()
    start = effective_from or today
    # The class is fixed now, against the guideline and table in force on the day of approval, for the whole
    # period (pricing.py); later guidelines do not move it.
    classified = pricing.classification_on(
        household_size=assessment.household_size, annual_income=assessment.annual_income, on=today
    )
    for name, value in classified.assessment_fields().items():
        setattr(assessment, name, value)
    assessment.status = AssessmentStatus.APPROVED
    assessment.effective_from = start
    assessment.expires_on = _add_months(start, ASSESSMENT_MONTHS)
    assessment.reviewed_by = actor
    assessment.reviewed_at = clock.now()
    if override_fee is not None:
        _apply_override(assessment, actor=actor, fee=override_fee, reason=override_reason)
    assessment.save()
    _assessment_transition_write(
        assessment, actor=actor, was=AssessmentStatus.PENDING, reason=assessment.override_reason
    )
    # A new class changes what the patient will pay: their running Good Faith Estimates are re-issued at it.
    gfe_reissue_for_class_change(actor=actor, patient=assessment.patient, on=max(today, start))
    return assessment


def _apply_override(assessment, *, actor, fee, reason: str) -> None:
    fee = money(fee)
    if fee < 0:
        raise Unprocessable("A fee cannot be negative.", fields={"override_fee": ["Cannot be negative."]})
    if not reason.strip():
        raise Unprocessable("Give a reason for the fixed fee.", fields={"override_reason": ["Required."]})
    assessment.override_fee = fee
    assessment.override_reason = reason.strip()
    assessment.override_approved_by = actor


@transaction.atomic
def assessment_override_set(*, actor, assessment, fee: Decimal, reason: str) -> SlidingScaleAssessment:
    """Fix the per-session fee on an approved assessment (e.g. hardship beyond what income shows). The fixed fee
    is the patient's class from now on, so their running Good Faith Estimates are re-issued at it."""
    _lock_patient(assessment.patient)
    assessment = _lock_assessment(assessment)
    if assessment.status != AssessmentStatus.APPROVED:
        raise InvalidTransition("Only an approved assessment can carry a fixed fee.")
    _apply_override(assessment, actor=actor, fee=fee, reason=reason)
    assessment.save()
    gfe_reissue_for_class_change(
        actor=actor, patient=assessment.patient, on=max(clock.local_now().date(), assessment.effective_from)
    )
    return assessment


@transaction.atomic
def assessment_reject(*, actor, assessment: SlidingScaleAssessment, reason: str) -> SlidingScaleAssessment:
    if not reason.strip():
        raise Unprocessable("Give the patient a reason.", fields={"reason": ["Required."]})
    assessment = _lock_assessment(assessment)
    if assessment.status != AssessmentStatus.PENDING:
        raise InvalidTransition("Only a pending application can be rejected.")
    assessment.status = AssessmentStatus.REJECTED
    assessment.rejection_reason = reason.strip()
    assessment.reviewed_by = actor
    assessment.reviewed_at = clock.now()
    assessment.save()
    _assessment_transition_write(
        assessment, actor=actor, was=AssessmentStatus.PENDING, reason=assessment.rejection_reason
    )
    return assessment


@transaction.atomic
def reattestation_requests_queue(*, within_days: int = REATTESTATION_NOTICE_DAYS) -> int:
    """Ask patients whose assessment ends soon (and who have not re-applied) to attest again. Each assessment is
    asked once: it is marked, and the outbox key is per assessment."""
    today = clock.local_now().date()
    now = clock.now()
    queued = 0
    for assessment in selectors.assessments_expiring(within_days=within_days, on=today).select_for_update(
        skip_locked=True, of=("self",)
    ):
        patient = assessment.patient
        if patient.email:
            message_enqueue(
                channel="email",
                to_address=patient.email,
                purpose="reattestation_due",
                template="reattestation_due",
                subject=assessment,
                send_at=now,
                dedupe_key=f"assessment:{assessment.pk}:reattestation_due",
                patient=patient,
                context={
                    "patient_first_name": patient.first_name,
                    "expires_on": assessment.expires_on.isoformat(),
                    "apply_url": absolute_url(reverse("portal:billing:assessment_apply")),
                },
            )
            queued += 1
        assessment.reattestation_requested_at = now
        assessment.save(update_fields=["reattestation_requested_at", "updated_at"])
    return queued


@transaction.atomic
def billing_profile_set(*, actor, patient, diagnosis_codes: list[str]) -> BillingProfile:
    codes = [code.strip().upper() for code in diagnosis_codes if code.strip()]
    bad = [code for code in codes if not _looks_like_icd10(code)]
    if bad:
        raise Unprocessable(
            f"Not ICD-10 codes: {', '.join(bad)}", fields={"diagnosis_codes": ["Use codes like F45.41 or M54.50."]}
        )
    profile, _ = BillingProfile.objects.update_or_create(
        patient=patient, defaults={"diagnosis_codes": list(dict.fromkeys(codes)), "updated_by": actor}
    )
    return profile


ICD10 = r"[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"


def _looks_like_icd10(code: str) -> bool:
    return re.fullmatch(ICD10, code) is not None


@transaction.atomic
def diagnoses_propose_from_intake(*, patient, diagnosis_text: str) -> list[str]:
    """Propose the ICD-10 codes written in a signed intake note's diagnosis field for billing to confirm.

    Only the codes are kept, never the note's words; codes already confirmed or already proposed are not added
    twice. Returns the codes newly proposed."""
    found = re.findall(rf"(?<![A-Z0-9.]){ICD10}(?![A-Z0-9])", diagnosis_text or "")
    profile, _ = BillingProfile.objects.select_for_update().get_or_create(patient=patient)
    known = set(profile.diagnosis_codes) | set(profile.proposed_diagnosis_codes)
    new = [code for code in dict.fromkeys(found) if code not in known]
    if new:
        profile.proposed_diagnosis_codes = [*profile.proposed_diagnosis_codes, *new]
        profile.proposed_at = clock.now()
        profile.save(update_fields=["proposed_diagnosis_codes", "proposed_at", "updated_at"])
    return new


@transaction.atomic
def diagnoses_confirm(*, actor, patient) -> BillingProfile:
    """Billing confirms the proposed codes: they join the patient's diagnoses (after those already confirmed)."""
    profile = BillingProfile.objects.select_for_update().filter(patient=patient).first()
    if profile is None or not profile.proposed_diagnosis_codes:
        raise InvalidTransition("There are no proposed diagnoses to confirm.")
    profile.diagnosis_codes = list(dict.fromkeys([*profile.diagnosis_codes, *profile.proposed_diagnosis_codes]))
    profile.proposed_diagnosis_codes = []
    profile.proposed_at = None
    profile.updated_by = actor
    profile.save()
    return profile


# --- charges -----------------------------------------------------------------------------------------------------

OUTCOME_KINDS = {
    "completed": ChargeKind.SESSION,
    "late_cancelled": ChargeKind.LATE_CANCEL,
    "no_show": ChargeKind.NO_SHOW,
}


def _post_charge(*, actor, patient, appointment, kind: str, description: str) -> Charge | None:
    """Post one charge per (appointment, patient, kind); a repeat call returns the charge already posted."""
    existing = Charge.objects.filter(appointment=appointment, patient=patient, kind=kind).first()
    if existing is not None:
        return existing
    on = pricing.session_date(appointment)
    try:
        price = pricing.session_outcome_price(
            patient=patient, appointment=appointment, policy_fee=kind in (ChargeKind.LATE_CANCEL, ChargeKind.NO_SHOW)
        )
    except Unprocessable as exc:
        # A service without a fee (or a clinic without a fee configuration) is not billable; the session itself
        # must still be recorded, so the outcome is not refused.
        logger.warning("Appointment %s not charged: %s", appointment.pk, exc.message)
        return None
    charge = Charge(
        patient=patient,
        kind=kind,
        appointment=appointment,
        service_type_id=appointment.service_type_id,
        therapist_id=appointment.therapist_id,
        service_date=on,
        description=description,
        full_fee=price.full_fee,
        amount=price.fee,
        class_code=price.class_code,
        class_label=price.class_label,
        assessment=price.assessment,
        posted_at=clock.now(),
        posted_by=actor if actor is not None and actor.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            charge.save()
    except IntegrityError:
        # Another transaction posted it between our check and insert; the constraint keeps one.
        return Charge.objects.get(appointment=appointment, patient=patient, kind=kind)
    return charge


@transaction.atomic
def charge_for_appointment_outcome(*, appointment, actor) -> Charge | None:
    """Charge a completed session, a late cancellation or a no-show at the patient's class, once per
    appointment and outcome. Other statuses, and group meetings (charged per attendee), charge nothing."""
    kind = OUTCOME_KINDS.get(appointment.status)
    if kind is None or appointment.patient_id is None:
        return None
    service = appointment.service_type
    labels = {
        ChargeKind.SESSION: f"{service.name} ({service.code})",
        ChargeKind.LATE_CANCEL: f"Late cancellation fee ({service.code} session)",
        ChargeKind.NO_SHOW: f"No-show fee ({service.code} session)",
    }
    return _post_charge(
        actor=actor, patient=appointment.patient, appointment=appointment, kind=kind, description=labels[kind]
    )


@transaction.atomic
def charge_for_group_attendance(*, patient, meeting, actor) -> Charge | None:
    """Charge a patient's attendance at a group meeting (a group appointment without a patient) at the group fee
    for their class, once per patient and meeting. None when the group service has no fee."""
    if meeting.patient_id is not None or not meeting.service_type.is_group:
        raise Unprocessable("Group attendance is charged on a group meeting.")
    description = f"{meeting.service_type.name} ({meeting.service_type.code})"
    return _post_charge(
        actor=actor, patient=patient, appointment=meeting, kind=ChargeKind.GROUP, description=description
    )


# --- payments and adjustments ------------------------------------------------------------------------------------


def _next_receipt_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('billing_receipt_number_seq')")
        (number,) = cursor.fetchone()
    return f"R{number:07d}"


def _actor_or_none(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def payment_record(
    *,
    actor,
    patient,
    method: str,
    amount,
    reference: str = "",
    note: str = "",
    received_at: dt.datetime | None = None,
    credit_on_account: bool = False,
    plan: PaymentPlan | None = None,
) -> Payment:
    """Record a payment taken at the front desk (cash, check, card present). A receipt number is issued.

    A payment above the balance is refused unless `credit_on_account` says to keep the excess as the patient's
    credit (the next charges use it up); only then is the payment marked as a credit. A payment made against the
    patient's active `plan` counts toward it, and completes the plan once the plan's total is paid.
    """
    if method not in {PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.CARD_PRESENT}:
        raise Unprocessable("Record cash, check or card-present payments here.", fields={"method": ["Not allowed."]})
    if method == PaymentMethod.CHECK and not reference.strip():
        raise Unprocessable("Enter the check number.", fields={"reference": ["Required for a check."]})
    amount = _positive_money(amount, "amount")
    _lock_patient(patient)
    balance = selectors.patient_balance(patient=patient)
    if amount > balance and not credit_on_account:
        owed = f"{money_text(balance)} is owed" if balance > 0 else "nothing is owed"
        raise Unprocessable(
            f"{money_text(amount)} is more than the balance: {owed}. Take no more than the balance, or record "
            "the excess as a credit on account.",
            fields={"amount": ["More than the balance."], "credit_on_account": ["Tick to keep the excess as credit."]},
        )
    if plan is not None and (plan.patient_id != patient.pk or plan.status != PlanStatus.ACTIVE):
        raise Unprocessable("That is not this patient's active payment plan.", fields={"plan": ["Not active."]})
    payment = Payment.objects.create(
        patient=patient,
        method=method,
        amount=amount,
        reference=reference.strip(),
        note=note.strip(),
        received_at=received_at or clock.now(),
        receipt_number=_next_receipt_number(),
        credit_on_account=amount > balance,
        plan=plan,
        recorded_by=_actor_or_none(actor),
    )
    if plan is not None:
        _plan_complete_if_paid(plan)
    return payment


def _plan_complete_if_paid(plan: PaymentPlan) -> None:
    """An active plan whose payments cover its total is completed, so it no longer blocks a new plan."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == PlanStatus.ACTIVE and selectors.plan_paid(plan=plan) >= plan.total:
        plan.status = PlanStatus.COMPLETED
        plan.save(update_fields=["status", "updated_at"])


def _refunded_so_far(payment: Payment) -> Decimal:
    return -selectors._sum(Payment.objects.filter(refund_of=payment))


def _post_refund(*, actor, payment: Payment, amount: Decimal, provider_reference: str, note: str) -> Payment:
    return Payment.objects.create(
        patient_id=payment.patient_id,
        method=payment.method,
        amount=-amount,
        received_at=clock.now(),
        provider=payment.provider,
        provider_reference=provider_reference,
        refund_of=payment,
        plan_id=payment.plan_id,  # a refund of a plan payment no longer counts toward the plan
        note=note,
        receipt_number=_next_receipt_number(),
        recorded_by=_actor_or_none(actor),
    )


@transaction.atomic
def payment_refund(*, actor, payment: Payment, amount, reason: str) -> Payment:
    """Refund part or all of a payment with a reversing row. Card payments taken online are refunded through the
    provider first; the provider's later refund event then finds nothing left to post."""
    amount = _positive_money(amount, "amount")
    if not reason.strip():
        raise Unprocessable("Give a reason for the refund.", fields={"reason": ["Required."]})
    _lock_patient(payment.patient)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.is_refund:
        raise InvalidTransition("A refund cannot itself be refunded.")
    if amount > payment.amount - _refunded_so_far(payment):
        raise Unprocessable("That is more than is left to refund on this payment.", fields={"amount": ["Too much."]})
    reference = ""
    if payment.method == PaymentMethod.CARD_ONLINE:
        refunds = payment.refunds.count()
        reference = payment_backend(payment.provider).refund(
            payment=payment, amount=amount, idempotency_key=f"refund-{payment.pk}-{refunds + 1}"
        )
    return _post_refund(actor=actor, payment=payment, amount=amount, provider_reference=reference, note=reason.strip())


@transaction.atomic
def adjustment_post(*, actor, patient, kind: str, amount, reason: str, charge: Charge | None = None) -> Adjustment:
    """Credit the patient's account: a write-off, a courtesy discount, or a correction of a wrong charge. Never
    more than the balance, nor (for one charge) more than is left of that charge."""
    if kind not in AdjustmentKind.values:
        raise Unprocessable("Unknown adjustment kind.", fields={"kind": ["Choose write-off, courtesy or correction."]})
    amount = _positive_money(amount, "amount")
    if not reason.strip():
        raise Unprocessable("Give a reason.", fields={"reason": ["Required."]})
    _lock_patient(patient)
    if charge is not None:
        if charge.patient_id != patient.pk:
            raise Unprocessable("That charge belongs to another patient.")
        left = charge.amount - selectors._sum(Adjustment.objects.filter(charge=charge))
        if amount > left:
            raise Unprocessable(
                f"That credits more than the charge: {money_text(left)} of it is left to adjust.",
                fields={"amount": ["Too much."]},
            )
    balance = selectors.patient_balance(patient=patient)
    if amount > balance:
        raise Unprocessable(
            f"An adjustment cannot be more than the balance ({money_text(max(balance, ZERO))}); to give money back, "
            "refund a payment.",
            fields={"amount": ["More than the balance."]},
        )
    return Adjustment.objects.create(
        patient=patient,
        kind=kind,
        amount=amount,
        charge=charge,
        reason=reason.strip(),
        posted_at=clock.now(),
        posted_by=_actor_or_none(actor),
    )


@transaction.atomic
def adjustment_reverse(*, actor, adjustment: Adjustment, reason: str) -> Adjustment:
    """Undo an adjustment with a reversing row (once; a reversal cannot itself be reversed)."""
    if not reason.strip():
        raise Unprocessable("Give a reason.", fields={"reason": ["Required."]})
    _lock_patient(adjustment.patient)
    if adjustment.reverses_id is not None or adjustment.amount < 0:
        raise InvalidTransition("A reversal cannot be reversed.")
    if Adjustment.objects.filter(reverses=adjustment).exists():
        raise Conflict("This adjustment has already been reversed.")
    return Adjustment.objects.create(
        patient_id=adjustment.patient_id,
        kind=AdjustmentKind.CORRECTION,
        amount=-adjustment.amount,
        charge=adjustment.charge,
        reverses=adjustment,
        reason=reason.strip(),
        posted_at=clock.now(),
        posted_by=_actor_or_none(actor),
    )


@transaction.atomic
def payment_plan_create(
    *, actor, patient, instalments: int, first_due: dt.date, every_days: int = 30, total=None
) -> PaymentPlan:
    """Split the balance (or `total`) into equal instalments, the last one taking the leftover cents."""
    if not 2 <= instalments <= 24:
        raise Unprocessable("A plan has 2 to 24 instalments.", fields={"instalments": ["2 to 24."]})
    if not 7 <= every_days <= 92:
        raise Unprocessable("Instalments are 7 to 92 days apart.", fields={"every_days": ["7 to 92."]})
    _lock_patient(patient)
    balance = selectors.patient_balance(patient=patient)
    amount = balance if total is None else _positive_money(total, "total")
    if amount <= 0 or amount > balance:
        raise Unprocessable("A plan covers some or all of a balance that is owed.", fields={"total": ["Too much."]})
    if PaymentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).exists():
        raise Conflict("This patient already has an active payment plan.")
    plan = PaymentPlan.objects.create(
        patient=patient, total=amount, starts_on=clock.local_now().date(), created_by=_actor_or_none(actor)
    )
    share = (amount / instalments).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    PlanInstalment.objects.bulk_create(
        PlanInstalment(
            plan=plan,
            due_on=first_due + dt.timedelta(days=every_days * index),
            amount=share if index < instalments - 1 else amount - share * (instalments - 1),
        )
        for index in range(instalments)
    )
    return plan


@transaction.atomic
def plan_instalment_reminders_queue() -> int:
    """Remind patients of each overdue instalment of an active plan, once per instalment: the instalment is
    marked, and the outbox key is per instalment. Returns how many reminders were queued."""
    today = clock.local_now().date()
    now = clock.now()
    queued = 0
    for overdue in selectors.instalments_overdue_unreminded(on=today):
        # Another run may be reminding the same instalment right now: skip it rather than wait.
        instalment = (
            PlanInstalment.objects.select_for_update(skip_locked=True)
            .filter(pk=overdue.pk, overdue_reminded_at__isnull=True)
            .first()
        )
        if instalment is None:
            continue
        patient = overdue.plan.patient
        if patient.email:
            message_enqueue(
                channel="email",
                to_address=patient.email,
                purpose="plan_instalment_overdue",
                template="plan_instalment_overdue",
                subject=instalment,
                send_at=now,
                dedupe_key=f"plan_instalment:{instalment.pk}:overdue",
                patient=patient,
                context={
                    "patient_first_name": patient.first_name,
                    "amount": str(instalment.amount),
                    "due_on": instalment.due_on.isoformat(),
                    "pay_url": absolute_url(reverse("portal:billing:home")),
                },
            )
            queued += 1
        instalment.overdue_reminded_at = now
        instalment.save(update_fields=["overdue_reminded_at"])
    return queued


@transaction.atomic
def payment_plan_cancel(*, actor, plan: PaymentPlan) -> PaymentPlan:
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status != PlanStatus.ACTIVE:
        raise InvalidTransition("Only an active plan can be cancelled.")
    plan.status = PlanStatus.CANCELLED
    plan.save(update_fields=["status", "updated_at"])
    return plan


# --- online card payments ----------------------------------------------------------------------------------------


@transaction.atomic
def checkout_start(*, actor, patient, amount=None, plan: PaymentPlan | None = None) -> CheckoutSession:
    """Start a card payment for some or all of the balance; the patient is sent to the provider's page.

    Made against the patient's active `plan`, it pays instalments: the amount defaults to what is due on the next
    one and may not exceed what is left of the plan; once settled it counts toward the plan like a payment taken
    at the front desk against it."""
    balance = selectors.patient_balance(patient=patient)
    if plan is not None:
        if plan.patient_id != patient.pk or plan.status != PlanStatus.ACTIVE:
            raise Unprocessable("That is not your active payment plan.", fields={"plan": ["Not active."]})
        next_due = selectors.plan_next_instalment(plan=plan)
        default = min(next_due["due"], balance) if next_due else ZERO
        left = plan.total - selectors.plan_paid(plan=plan)
    else:
        default = balance
    amount = default if amount in (None, "") else _positive_money(amount, "amount")
    if amount <= 0:
        raise Unprocessable("There is nothing to pay.")
    if amount > balance:
        raise Unprocessable("That is more than the balance.", fields={"amount": ["More than you owe."]})
    if plan is not None and amount > left:
        raise Unprocessable(
            f"That is more than is left to pay on your plan ({money_text(left)}).",
            fields={"amount": ["More than is left on the plan."]},
        )
    backend = payment_backend()
    if not online_card_payments():
        raise OnlineCardPaymentsOff("The clinic does not take card payments online.")
    checkout = CheckoutSession.objects.create(
        patient=patient, amount=amount, provider=backend.name, plan=plan, created_by=actor
    )
    done = absolute_url(reverse("portal:billing:checkout_return", args=[checkout.pk]))
    session_id, url = backend.checkout_create(
        checkout=checkout, email=patient.email, success_url=done + "?result=success", cancel_url=done + "?result=cancel"
    )
    checkout.provider_session_id = session_id
    checkout.redirect_url = url
    checkout.save(update_fields=["provider_session_id", "redirect_url", "updated_at"])
    return checkout


class RetryLater(Conflict):
    """An event refers to something not known yet; the provider retries it later."""

    code = "retry_later"


class EventMalformed(ApplicationError):
    """A correctly signed event whose body is not shaped like a provider event: refused, nothing written."""

    status = 400
    code = "event_malformed"


# The event fields the handlers read, by the type each must have when present.
EVENT_TEXT_FIELDS = ("object", "id", "payment_intent", "payment_status")
EVENT_CENT_FIELDS = ("amount_total", "amount", "amount_refunded")
EVENT_TEXT_MAX_LENGTH = 100  # provider ids are short; the payment reference column holds 100


def _event_parts(event) -> tuple[str, str, dict]:
    """The id, type and data object of an event, after checking every field a handler reads has its type."""
    if not isinstance(event, dict):
        raise EventMalformed("The event is not a JSON object.")
    event_id, event_type, data = event.get("id"), event.get("type", ""), event.get("data", {})
    if not isinstance(event_id, str) or not 0 < len(event_id) <= EVENT_TEXT_MAX_LENGTH:
        raise EventMalformed("The event has no id.")
    if not isinstance(event_type, str):
        raise EventMalformed("The event type is not text.")
    obj = data.get("object", {}) if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise EventMalformed("The event data is not an object.")
    for name in EVENT_TEXT_FIELDS:
        value = obj.get(name)
        if value is not None and (not isinstance(value, str) or len(value) > EVENT_TEXT_MAX_LENGTH):
            raise EventMalformed(f"The event field {name} is not a short text.")
    for name in EVENT_CENT_FIELDS:
        if name in obj and (isinstance(obj[name], bool) or not isinstance(obj[name], int) or obj[name] < 0):
            raise EventMalformed(f"The event field {name} is not a number of cents.")
    if not isinstance(obj.get("metadata", {}), dict):
        raise EventMalformed("The event metadata is not an object.")
    return event_id, event_type, obj


def _required(obj: dict, name: str):
    if obj.get(name) is None:
        raise EventMalformed(f"The event has no {name}.")
    return obj[name]


def _checkout_for(obj: dict, *, provider: str) -> CheckoutSession | None:
    qs = CheckoutSession.objects.select_for_update().filter(provider=provider)
    if obj.get("object") == "checkout.session" and obj.get("id"):
        found = qs.filter(provider_session_id=obj["id"]).first()
        if found is not None:
            return found
    checkout_id = id_or_none((obj.get("metadata") or {}).get("checkout_id"))
    return qs.filter(pk=checkout_id).first() if checkout_id is not None else None


def _checkout_plan(checkout: CheckoutSession) -> PaymentPlan | None:
    """The plan a settling checkout pays toward, locked: None when it was not made against one, or when the plan
    was completed or cancelled while the card was being charged (the payment then lowers the balance only)."""
    if checkout.plan_id is None:
        return None
    plan = PaymentPlan.objects.select_for_update().get(pk=checkout.plan_id)
    return plan if plan.status == PlanStatus.ACTIVE else None


def _settle_checkout(*, checkout: CheckoutSession, payment_intent: str, amount: Decimal) -> Payment:
    """Post the card payment of a checkout once, whatever order its events arrive in. A checkout made against a
    payment plan counts toward it, and completes the plan once the plan's total is paid."""
    payment = Payment.objects.filter(provider=checkout.provider, provider_reference=payment_intent).first()
    if payment is None:
        # The card was charged: if the balance fell meanwhile (another payment), the excess is kept as credit.
        balance = selectors.patient_balance(patient=checkout.patient)
        plan = _checkout_plan(checkout)
        payment = Payment.objects.create(
            credit_on_account=amount > balance,
            patient_id=checkout.patient_id,
            method=PaymentMethod.CARD_ONLINE,
            amount=amount,
            received_at=clock.now(),
            provider=checkout.provider,
            provider_reference=payment_intent,
            receipt_number=_next_receipt_number(),
            plan=plan,
        )
        if plan is not None:
            _plan_complete_if_paid(plan)
    if checkout.payment_id is None:
        checkout.payment = payment
        checkout.status = CheckoutStatus.PAID
        checkout.save(update_fields=["payment", "status", "updated_at"])
    return payment


def _on_checkout_completed(obj: dict, *, provider: str) -> None:
    if obj.get("payment_status") != "paid":
        return
    checkout = _checkout_for(obj, provider=provider)
    if checkout is None:
        raise NotFound("No checkout matches this event.")
    _lock_patient(checkout.patient)
    _settle_checkout(
        checkout=checkout,
        payment_intent=_required(obj, "payment_intent"),
        amount=from_cents(_required(obj, "amount_total")),
    )


def _on_checkout_expired(obj: dict, *, provider: str) -> None:
    checkout = _checkout_for(obj, provider=provider)
    if checkout is not None and checkout.status == CheckoutStatus.OPEN:
        checkout.status = CheckoutStatus.EXPIRED
        checkout.save(update_fields=["status", "updated_at"])


def _on_charge_refunded(obj: dict, *, provider: str) -> None:
    """Bring the refunds posted for a card payment up to the provider's cumulative refunded amount.

    Refund events carry the running total, so applying them in any order ends at the largest total; a refund
    staff already posted through payment_refund leaves nothing to add.
    """
    payment_intent = _required(obj, "payment_intent")
    payment = Payment.objects.filter(provider=provider, provider_reference=payment_intent, refund_of=None).first()
    if payment is None:
        # The refund overtook the completion event: settle the checkout from the charge itself.
        checkout = _checkout_for(obj, provider=provider)
        if checkout is None:
            raise RetryLater("The payment for this refund is not known yet.")
        _lock_patient(checkout.patient)
        payment = _settle_checkout(
            checkout=checkout, payment_intent=payment_intent, amount=from_cents(_required(obj, "amount"))
        )
    else:
        _lock_patient(payment.patient)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    target = from_cents(obj.get("amount_refunded", 0))
    missing = target - _refunded_so_far(payment)
    if missing > 0:
        _post_refund(
            actor=None,
            payment=payment,
            amount=missing,
            provider_reference=f"{payment_intent}:refunded:{obj.get('amount_refunded')}",
            note="Refunded by card",
        )


EVENT_HANDLERS = {
    "checkout.session.completed": _on_checkout_completed,
    "checkout.session.async_payment_succeeded": _on_checkout_completed,
    "checkout.session.expired": _on_checkout_expired,
    "charge.refunded": _on_charge_refunded,
}


@transaction.atomic
def provider_event_apply(*, provider: str, event: dict) -> bool:
    """Apply a verified provider event at most once. Returns False for an event already applied.

    The event id row is inserted first: a concurrent delivery of the same event waits on the unique index and then
    finds it taken, so replays (also simultaneous ones) change the ledger once.
    """
    event_id, event_type, obj = _event_parts(event)
    try:
        with transaction.atomic():
            ProviderEvent.objects.create(
                provider=provider, event_id=event_id, event_type=event_type[:100], received_at=clock.now()
            )
    except IntegrityError:
        return False
    handler = EVENT_HANDLERS.get(event_type)
    if handler is not None:
        handler(obj, provider=provider)
    logger.info("Applied %s event %s", provider, event_type)
    return True


# --- statements --------------------------------------------------------------------------------------------------


def _month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, month, 1)
    return start, _add_months(start, 1) - dt.timedelta(days=1)


def _statement_notice(statement: Statement, patient):
    """The statement-ready email for a new statement (None without an address), as the single issue and the run
    both queue it."""
    if not patient.email:
        return None
    return message_build(
        channel="email",
        to_address=patient.email,
        purpose="statement_ready",
        template="statement_ready",
        subject=statement,
        send_at=statement.issued_at,
        dedupe_key=f"statement:{statement.pk}:ready",
        patient=patient,
        context={
            "patient_first_name": patient.first_name,
            "period": statement.period_start.strftime("%B %Y"),
            "period_start": statement.period_start.isoformat(),
            "statement_url": absolute_url(reverse("portal:billing:statement", args=[statement.pk])),
        },
    )


def _statement_for(row, *, start: dt.date, end: dt.date, issued_at: dt.datetime) -> Statement:
    """An unsaved statement from a `selectors.statement_balances` row."""
    return Statement(
        patient=row,
        period_start=start,
        period_end=end,
        opening_balance=row.opening_balance,
        closing_balance=row.closing_balance,
        issued_at=issued_at,
    )


def _ended_month(year: int, month: int) -> tuple[dt.date, dt.date]:
    start, end = _month_bounds(year, month)
    if end >= clock.local_now().date():
        raise Unprocessable("A statement is issued after the month has ended.")
    return start, end


@transaction.atomic
def statement_issue(*, actor, patient, year: int, month: int) -> Statement:
    """Issue the month's statement (once per patient and month) and email the patient a link to it."""
    from apps.patients.models import Patient

    start, end = _ended_month(year, month)
    _lock_patient(patient)
    existing = Statement.objects.filter(patient=patient, period_start=start).first()
    if existing is not None:
        return existing
    row = selectors.statement_balances(patients=Patient.objects.filter(pk=patient.pk), start=start, end=end).get()
    statement = _statement_for(row, start=start, end=end, issued_at=clock.now())
    statement.save(force_insert=True)
    notice = _statement_notice(statement, row)
    if notice is not None:
        messages_enqueue(messages=[notice])
    return statement


# Patients locked, summed and written per transaction: each chunk repeats the scans that find who is due, so
# larger is faster, while a payment for a patient in the chunk waits for it to commit (well under a second).
STATEMENT_CHUNK = 2500


def statements_issue_for_month(*, actor, year: int, month: int, chunk: int = STATEMENT_CHUNK) -> int:
    """Issue statements for every patient with activity in the month or a balance at its end; returns how many.

    Set-based, a chunk of patients per transaction in primary-key order: lock the chunk (in key order, as every
    other run does, so two runs queue behind each other instead of deadlocking), read every balance in one query,
    skip patients already issued this month (checked after the lock, so a concurrent run's statements are seen),
    then insert the statements and their emails in one INSERT each. The query count depends on the number of
    chunks, not of patients; a re-run issues nothing twice.
    """
    from apps.patients.models import Patient

    start, end = _ended_month(year, month)
    # Patients with nothing on their ledger read as a zero balance with no activity, and are passed over below.
    unissued = (
        Patient.objects.exclude(Exists(Statement.objects.filter(patient=OuterRef("pk"), period_start=start)))
        .only("email", "preferred_name", "legal_first_name")  # what the email needs
        .order_by("pk")
    )
    issued = 0
    after = 0
    while True:
        with transaction.atomic():
            ids = list(
                Patient.objects.filter(pk__gt=after)
                .order_by("pk")
                .select_for_update()
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                return issued
            after = ids[-1]
            rows = selectors.statement_balances(patients=unissued.filter(pk__in=ids), start=start, end=end)
            issued_at = clock.now()
            statements = [
                _statement_for(row, start=start, end=end, issued_at=issued_at)
                for row in rows
                if row.closing_balance != 0 or row.charged_in_period or row.paid_in_period
            ]
            Statement.objects.bulk_create(statements)
            notices = [_statement_notice(statement, statement.patient) for statement in statements]
            messages_enqueue(messages=[notice for notice in notices if notice is not None])
            issued += len(statements)
        if len(ids) < chunk:
            return issued


# --- reduced-fee caps --------------------------------------------------------------------------------------------

CAP_OVERRIDE_ROLES = (Role.ADMIN, Role.FRONT_DESK, Role.BILLING)


def reduced_fee_cap_enforce(
    *, actor, therapist, patient, override_reason: str = "", exclude_series_id: int | None = None
) -> str:
    """Every path that gives a therapist a new patient asks this first: a reduced-fee patient past the
    therapist's cap is refused (Conflict naming the therapist and the cap) unless clinic staff give a reason,
    which is written to the access log with the therapist, the cap and how many they carried. Returns the
    reason when an override was used, else ""."""
    breach = selectors.reduced_fee_cap_breach(therapist=therapist, patient=patient, exclude_series_id=exclude_series_id)
    if breach is None:
        return ""
    if not override_reason.strip():
        raise Conflict(
            breach.message,
            fields={"cap_override_reason": ["Required to take on a reduced-fee patient past the cap."]},
            extra={"therapist": therapist.pk, "reduced_fee_cap": breach.cap, "reduced_fee_patients": breach.carried},
        )
    if actor is None or not actor.has_role(*CAP_OVERRIDE_ROLES):
        raise PermissionDenied("Only the front desk, billing or an administrator may override a reduced-fee cap.")
    access_log_write(
        actor=actor,
        action="reduced_fee_cap_override",
        subject=patient,
        patient_id=patient.pk,
        detail={
            "therapist_id": therapist.pk,
            "cap": breach.cap,
            "carried": breach.carried,
            "reason": override_reason.strip(),
        },
    )
    return override_reason.strip()


# --- Good Faith Estimates ----------------------------------------------------------------------------------------


def _estimate_notice(estimate: GoodFaithEstimate) -> dict | None:
    """The email telling the patient an estimate was issued (or re-issued), with a link to it in the portal: what
    `message_enqueue` takes, or None without an address. Keyed per estimate, so it is queued once."""
    patient = estimate.patient
    if not patient.email:
        return None
    return {
        "channel": "email",
        "to_address": patient.email,
        "purpose": "good_faith_estimate",
        "template": "good_faith_estimate",
        "subject": estimate,
        "send_at": estimate.issued_at,
        "dedupe_key": f"good_faith_estimate:{estimate.pk}:issued",
        "patient": patient,
        "context": {
            "patient_first_name": patient.first_name,
            "reissued": estimate.replaces_id is not None,
            "period_start": estimate.period_start.isoformat(),
            "period_end": estimate.period_end.isoformat(),
            "total": str(estimate.total),
            "estimate_url": absolute_url(reverse("portal:billing:estimate", args=[estimate.pk])),
        },
    }


def gfe_notice_queue(*, estimate: GoodFaithEstimate) -> bool:
    """Queue the patient's notice of an issued estimate through the outbox, once per estimate (a second call finds
    the key taken). Returns whether a message was queued."""
    fields = _estimate_notice(estimate)
    return fields is not None and message_enqueue(**fields) is not None


@dataclass(frozen=True)
class EstimatedService:
    """One expected service of an estimate: what, with whom, how many times."""

    service_type_id: int
    therapist_id: int | None
    expected_count: int


def _estimate_line(*, patient, service: EstimatedService, on: dt.date, service_types, therapists) -> tuple:
    price = pricing.charge_price(patient=patient, service_type_id=service.service_type_id, on=on, policy_fee=False)
    service_type = service_types[service.service_type_id]
    therapist = therapists.get(service.therapist_id)
    profile = getattr(therapist, "therapist_profile", None)
    line = {
        "service_type_id": service_type.pk,
        "cpt": service_type.code,
        "description": service_type.name,
        "fee": str(price.fee),
        "expected_count": service.expected_count,
        "amount": str(price.fee * service.expected_count),
        "therapist_id": therapist.pk if therapist else None,
        "provider_name": therapist.full_name if therapist else "",
        "provider_npi": getattr(profile, "npi", ""),
        "provider_license": " ".join(
            filter(None, [getattr(profile, "license_type", ""), getattr(profile, "license_number", "")])
        ),
    }
    return line, price.class_label, price.class_code


@transaction.atomic
def gfe_issue(
    *,
    actor,
    patient,
    services: list[EstimatedService],
    period_start: dt.date,
    period_end: dt.date,
    reason: str,
    on: dt.date | None = None,
    replaces: GoodFaithEstimate | None = None,
) -> GoodFaithEstimate | None:
    """Issue a Good Faith Estimate: each expected service at the patient's fee on `on` (default today) times the
    expected count, with the provider's and the clinic's identifiers, and queue the patient's notice of it. Nothing
    is issued (None) while the clinic has no fee for the service: an estimate without a price would mislead."""
    on = on or clock.local_now().date()
    service_types = service_types_by_id(ids=[s.service_type_id for s in services])
    therapists = User.objects.select_related("therapist_profile").in_bulk([s.therapist_id for s in services])
    try:
        priced = [
            _estimate_line(patient=patient, service=s, on=on, service_types=service_types, therapists=therapists)
            for s in services
            if s.expected_count > 0
        ]
    except Unprocessable:
        logger.warning("No Good Faith Estimate for patient %s: no fee configured", patient.pk)
        return None
    if not priced:
        return None
    clinic = ClinicSettings.load()
    _, class_label, class_code = priced[0]
    estimate = GoodFaithEstimate.objects.create(
        patient=patient,
        reason=reason,
        replaces=replaces,
        class_code=class_code,
        class_label=class_label,
        period_start=period_start,
        period_end=period_end,
        lines=[line for line, _, _ in priced],
        total=sum((Decimal(line["amount"]) for line, _, _ in priced), ZERO),
        clinic={"name": clinic.name, "address": clinic.address, "tax_id": clinic.tax_id, "npi": clinic.npi},
        issued_at=clock.now(),
        issued_by=_actor_or_none(actor),
    )
    gfe_notice_queue(estimate=estimate)
    return estimate


def _sessions_left(*, count: int, start: dt.date, end: dt.date, on: dt.date) -> int:
    """How many of an estimate's `count` sessions, spread evenly from `start` to `end` (a series' dates are), fall
    on or after `on`."""
    if on <= start:
        return count
    if count <= 1 or end == start:
        return count if on <= end else 0
    span, elapsed = (end - start).days, (on - start).days
    return sum(1 for index in range(count) if index * span // (count - 1) >= elapsed)


def gfe_reissue_for_class_change(*, actor, patient, on: dt.date) -> list[GoodFaithEstimate]:
    """Re-issue each estimate still running on `on` whose class differs from the patient's class that day, for the
    sessions still to come from `on`. The caller holds the patient's row lock, so two re-issues of one estimate
    queue behind each other and the second finds it replaced."""
    reissued = []
    for estimate in selectors.estimates_current(patient=patient, on=on):
        services = [
            EstimatedService(
                line["service_type_id"],
                line["therapist_id"],
                _sessions_left(
                    count=line["expected_count"], start=estimate.period_start, end=estimate.period_end, on=on
                ),
            )
            for line in estimate.lines
        ]
        try:
            now_priced = pricing.charge_price(
                patient=patient, service_type_id=services[0].service_type_id, on=on, policy_fee=False
            )
        except Unprocessable:
            continue
        if (now_priced.class_code, now_priced.class_label) == (estimate.class_code, estimate.class_label):
            continue
        new = gfe_issue(
            actor=actor,
            patient=patient,
            services=services,
            period_start=max(estimate.period_start, on),
            period_end=estimate.period_end,
            reason=EstimateReason.FEE_CLASS_CHANGED,
            on=on,
            replaces=estimate,
        )
        if new is not None:
            reissued.append(new)
    return reissued


# How far back the daily re-issue looks for assessments that ended: a week covers any pause of the job.
ESTIMATE_EXPIRY_LOOKBACK = dt.timedelta(days=7)


def gfe_reissue_after_assessment_expiry(*, on: dt.date | None = None) -> int:
    """Daily: a patient whose approved assessment has ended pays the full fee (or the class of a newer assessment)
    from its end, so their running Good Faith Estimates are re-issued at the class in force on `on` (default
    today). Assessments ended within ESTIMATE_EXPIRY_LOOKBACK are looked at, one transaction per patient;
    running again re-issues nothing, since an estimate already at the patient's class is left alone. Returns how
    many estimates were re-issued."""
    on = on or clock.local_now().date()
    patient_ids = selectors.patients_with_estimates_past_expiry(since=on - ESTIMATE_EXPIRY_LOOKBACK, on=on)
    return sum(_gfe_reissue_for_patient(patient_id=pk, on=on) for pk in patient_ids)


@transaction.atomic
def _gfe_reissue_for_patient(*, patient_id: int, on: dt.date) -> int:
    from apps.patients.models import Patient

    patient = Patient.objects.select_for_update().get(pk=patient_id)
    return len(gfe_reissue_for_class_change(actor=None, patient=patient, on=on))
