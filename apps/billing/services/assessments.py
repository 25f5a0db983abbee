"""Sliding-scale assessments: a patient's application, billing's approval (with an optional fixed fee), rejection,
and the request to attest again before an approved assessment ends.
"""

import copy
import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.urls import reverse

from apps.core import clock
from apps.core.dates import DateReach
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.links import absolute_url
from apps.core.money import money, money_text
from apps.core.transitions import transition_write
from apps.notifications.outbox import patient_notice_enqueue

from .. import pricing
from ..models import AssessmentStatus, AssessmentTransition, SlidingScaleAssessment
from ..selectors.assessments import assessments_expiring
from .common import add_months, patient_lock
from .estimates import gfe_reissue_for_class_change

ASSESSMENT_MONTHS = 12
# An approval may date the class back to when the patient applied, or ahead to when their current one ends: within
# a year either way, as an assessment lasts twelve months. Further is a mistyped year.
EFFECTIVE_FROM_REACH = DateReach(years_back=1, years_ahead=1)
REATTESTATION_NOTICE_DAYS = 30


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
    patient_lock(patient)
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
    patient_lock(assessment.patient)
    assessment = _lock_assessment(assessment)
    _approved(
        assessment,
        actor=actor,
        effective_from=effective_from,
        override_fee=override_fee,
        override_reason=override_reason,
    )
    assessment.save()
    _assessment_transition_write(
        assessment, actor=actor, was=AssessmentStatus.PENDING, reason=assessment.override_reason
    )
    # A new class changes what the patient will pay: their running Good Faith Estimates are re-issued at it.
    on = max(clock.local_now().date(), assessment.effective_from)
    gfe_reissue_for_class_change(actor=actor, patient=assessment.patient, on=on)
    return assessment


def assessment_approval_preview(
    *,
    actor,
    assessment: SlidingScaleAssessment,
    effective_from: dt.date | None = None,
    override_fee: Decimal | None = None,
    override_reason: str = "",
) -> SlidingScaleAssessment:
    """The assessment as `assessment_approve` would approve it now, unsaved, or what approving would refuse: what
    the review page asks the reviewer to confirm, with the fees it will give."""
    preview = copy.copy(assessment)
    _approved(
        preview, actor=actor, effective_from=effective_from, override_fee=override_fee, override_reason=override_reason
    )
    return preview


def _approved(
    assessment: SlidingScaleAssessment,
    *,
    actor,
    effective_from: dt.date | None,
    override_fee: Decimal | None,
    override_reason: str,
) -> None:
    """Set on `assessment` what approval records, refusing what approval refuses."""
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
    assessment.expires_on = add_months(start, ASSESSMENT_MONTHS)
    assessment.reviewed_by = actor
    assessment.reviewed_at = clock.now()
    if override_fee is not None:
        _apply_override(
            assessment,
            actor=actor,
            fee=override_fee,
            reason=override_reason,
            on=max(today, start),
            fee_field="override_fee",
            reason_field="override_reason",
        )


def _apply_override(assessment, *, actor, fee, reason: str, on: dt.date, fee_field: str, reason_field: str) -> None:
    """Fix the fee, refused above the highest full fee in force from `on`: a fixed fee is capped at each service's
    full fee (pricing.py), so one above all of them would be shown on every page and charged nowhere. Refusals name
    the caller's own fields."""
    fee = money(fee)
    if fee < 0:
        raise Unprocessable("A fee cannot be negative.", fields={fee_field: ["Cannot be negative."]})
    ceiling = pricing.fixed_fee_ceiling(on=on)
    if ceiling is not None and fee > ceiling[1]:
        service, highest = ceiling
        ceiling_text = f"above {money_text(highest)}, the highest full fee of any service ({service.name})"
        raise Unprocessable(
            f"The fixed fee cannot be {ceiling_text}: above it, every session would be charged its full fee.",
            fields={fee_field: [f"Cannot be {ceiling_text}."]},
        )
    if not reason.strip():
        raise Unprocessable("Give a reason for the fixed fee.", fields={reason_field: ["Required."]})
    assessment.override_fee = fee
    assessment.override_reason = reason.strip()
    assessment.override_approved_by = actor


@transaction.atomic
def assessment_override_set(*, actor, assessment, fee: Decimal, reason: str) -> SlidingScaleAssessment:
    """Fix the per-session fee on an approved assessment (e.g. hardship beyond what income shows). The fixed fee
    is the patient's class from now on, so their running Good Faith Estimates are re-issued at it."""
    patient_lock(assessment.patient)
    assessment = _lock_assessment(assessment)
    if assessment.status != AssessmentStatus.APPROVED:
        raise InvalidTransition("Only an approved assessment can carry a fixed fee.")
    _apply_override(
        assessment,
        actor=actor,
        fee=fee,
        reason=reason,
        on=max(clock.local_now().date(), assessment.effective_from),
        fee_field="fee",
        reason_field="reason",
    )
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
    for assessment in assessments_expiring(within_days=within_days, on=today).select_for_update(
        skip_locked=True, of=("self",)
    ):
        queued += len(
            patient_notice_enqueue(
                patient=assessment.patient,
                subject=assessment,
                template="reattestation_due",
                key=f"assessment:{assessment.pk}:reattestation_due",
                context={
                    "expires_on": assessment.expires_on.isoformat(),
                    "apply_url": absolute_url(reverse("portal:billing:assessment_apply")),
                },
                email_only=True,
                send_at=now,
            )
        )
        assessment.reattestation_requested_at = now
        assessment.save(update_fields=["reattestation_requested_at", "updated_at"])
    return queued
