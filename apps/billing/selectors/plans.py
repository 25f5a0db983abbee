"""Payment plans: what has been paid against a plan, its instalments' progress, and overdue instalments."""

import datetime as dt
from decimal import Decimal

from apps.core import clock
from apps.core.money import ZERO

from ..models import Payment, PaymentPlan, PlanInstalment, PlanStatus
from .ledger import amount_total


def plan_paid(*, plan: PaymentPlan) -> Decimal:
    """What has been paid against the plan: payments made against it, less refunds of those payments."""
    return amount_total(Payment.objects.filter(plan=plan))


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
