"""Payment plans: a balance split into instalments, reminders of overdue instalments, cancelling a plan and
completing it once paid.
"""

import datetime as dt
from decimal import ROUND_DOWN, Decimal

from django.db import transaction
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.dates import DateReach
from apps.core.errors import Conflict, InvalidTransition, Unprocessable
from apps.core.links import absolute_url
from apps.core.money import money_text
from apps.core.transitions import actor_or_none
from apps.notifications.outbox import patient_notice_enqueue

from ..models import PaymentPlan, PlanInstalment, PlanStatus
from ..selectors.ledger import patient_balance
from ..selectors.plans import instalments_overdue_unreminded, plan_paid
from .common import patient_lock, positive_money

CENT = Decimal("0.01")
# A plan starts now: its first instalment falls due from today to a year ahead.
FIRST_DUE_REACH = DateReach(years_back=0, years_ahead=1)


def plan_complete_if_paid(*, patient) -> None:
    """The patient's active plan is completed once the payments against it cover its total, or once the patient
    owes nothing, however that came about (paid in full outside the plan, written off): it then no longer blocks a
    new plan nor sends overdue notices. Called after every payment and credit, under the patient's lock."""
    plan = PaymentPlan.objects.select_for_update().filter(patient=patient, status=PlanStatus.ACTIVE).first()
    if plan is None:
        return
    if plan_paid(plan=plan) >= plan.total or patient_balance(patient=patient) <= 0:
        plan.status = PlanStatus.COMPLETED
        plan.completed_at = clock.now()
        plan.save(update_fields=["status", "completed_at", "updated_at"])


def plan_reopen_if_owed(*, patient, undone_posted_at: dt.datetime) -> None:
    """Undoing money that was already on the account when the patient's plan completed (refunding a payment,
    reversing a write-off) may take away what completed it: the plan is active again when payments against it no
    longer cover its total and the patient owes again, so the portal offers its next instalment and overdue
    instalments are reminded. Never while another plan is active (one at a time). Under the patient's lock."""
    if PaymentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).exists():
        return
    plan = (
        PaymentPlan.objects.select_for_update()
        .filter(patient=patient, status=PlanStatus.COMPLETED, completed_at__gte=undone_posted_at)
        .order_by("-completed_at")
        .first()
    )
    if plan is not None and plan_paid(plan=plan) < plan.total and patient_balance(patient=patient) > 0:
        plan.status = PlanStatus.ACTIVE
        plan.completed_at = None
        plan.save(update_fields=["status", "completed_at", "updated_at"])


@transaction.atomic
def payment_plan_create(
    *, actor, patient, instalments: int, first_due: dt.date, every_days: int = 30, total=None
) -> PaymentPlan:
    """Split the balance (or `total`) into equal instalments, the last one taking the leftover cents, the first due
    within FIRST_DUE_REACH."""
    if not 2 <= instalments <= 24:
        raise Unprocessable("A plan has 2 to 24 installments.", fields={"instalments": ["2 to 24."]})
    if not 7 <= every_days <= 92:
        raise Unprocessable("Installments are 7 to 92 days apart.", fields={"every_days": ["7 to 92."]})
    FIRST_DUE_REACH.require(first_due, field="first_due")
    patient_lock(patient)
    balance = patient_balance(patient=patient)
    amount = balance if total is None else positive_money(total, "total")
    if amount <= 0 or amount > balance:
        raise Unprocessable("A plan covers some or all of a balance that is owed.", fields={"total": ["Too much."]})
    if amount < CENT * instalments:
        raise Unprocessable(
            f"{money_text(amount)} cannot be split into {instalments} installments of at least a cent each.",
            fields={"instalments": ["Fewer installments."]},
        )
    if PaymentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).exists():
        raise Conflict("This patient already has an active payment plan.")
    plan = PaymentPlan.objects.create(
        patient=patient, total=amount, starts_on=clock.local_now().date(), created_by=actor_or_none(actor)
    )
    share = (amount / instalments).quantize(CENT, rounding=ROUND_DOWN)
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
    for overdue in instalments_overdue_unreminded(on=today):
        # Another run may be reminding the same instalment right now: skip it rather than wait.
        instalment = (
            PlanInstalment.objects.select_for_update(skip_locked=True)
            .filter(pk=overdue["instalment"].pk, overdue_reminded_at__isnull=True)
            .first()
        )
        if instalment is None:
            continue
        queued += len(
            patient_notice_enqueue(
                patient=overdue["instalment"].plan.patient,
                subject=instalment,
                template="plan_instalment_overdue",
                key=f"plan_instalment:{instalment.pk}:overdue",
                context={
                    "amount": str(overdue["due"]),
                    "due_on": instalment.due_on.isoformat(),
                    "pay_url": absolute_url(reverse("portal:billing:home")),
                },
                email_only=True,
                send_at=now,
            )
        )
        instalment.overdue_reminded_at = now
        instalment.save(update_fields=["overdue_reminded_at"])
    return queued


def plan_cancel_refusal_raise(*, plan: PaymentPlan) -> None:
    """Refuse to cancel a plan that is no longer active. What cancelling checks under the plan's lock, and what the
    account page asks before it shows the cancellation's confirmation."""
    if plan.status != PlanStatus.ACTIVE:
        raise InvalidTransition("Only an active plan can be cancelled.")


@transaction.atomic
def payment_plan_cancel(*, actor, plan: PaymentPlan) -> PaymentPlan:
    """End an active plan: payments made against it stay on the ledger; its instalments are no longer due."""
    plan = PaymentPlan.objects.select_for_update().get(pk=plan.pk)
    plan_cancel_refusal_raise(plan=plan)
    plan.status = PlanStatus.CANCELLED
    plan.save(update_fields=["status", "updated_at"])
    access_log_write(actor=actor, action="payment_plan_cancel", subject=plan, patient_id=plan.patient_id)
    return plan
