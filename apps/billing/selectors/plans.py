"""Payment plans: what has been paid against a plan, its instalments' progress, and overdue instalments."""

import datetime as dt
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.core import clock
from apps.core.money import ZERO

from ..models import Payment, PaymentPlan, PlanStatus
from .ledger import amount_total, with_patient_balance


def plan_paid(*, plan: PaymentPlan) -> Decimal:
    """What has been paid against the plan: payments made against it, less refunds of those payments."""
    return amount_total(Payment.objects.filter(plan=plan))


# An instalment's state as the staff account page and the portal both word it.
INSTALMENT_STATE_WORDS = {"paid": "Paid", "due": "Due", "overdue": "Overdue"}


def plan_progress(*, plan: PaymentPlan, on: dt.date | None = None, paid: Decimal | None = None) -> list[dict]:
    """Instalments with how much of each is covered by payments made against the plan (due order; `paid` when
    already summed) and their `status` (with its words, `state`); an instalment not covered after its due date is
    overdue."""
    paid = plan_paid(plan=plan) if paid is None else paid
    today = on or clock.local_now().date()
    rows = []
    for instalment in plan.instalments.all():
        covered = min(max(paid, ZERO), instalment.amount)
        paid -= covered
        status = "paid" if covered == instalment.amount else ("overdue" if instalment.due_on < today else "due")
        rows.append(
            {"instalment": instalment, "covered": covered, "status": status, "state": INSTALMENT_STATE_WORDS[status]}
        )
    return rows


def _due(row: dict, balance: Decimal) -> Decimal:
    """What is still due on an instalment: what payments against the plan left of it, and never more than the
    patient owes (they may have paid outside the plan)."""
    return max(min(row["instalment"].amount - row["covered"], balance), ZERO)


def plan_next_instalment(*, plan: PaymentPlan, balance: Decimal, paid: Decimal | None = None) -> dict | None:
    """The first instalment (in due order) not yet covered by payments against the plan, with what is still due on
    it (`balance`, what the patient owes, caps it); None when every instalment is covered or nothing is owed. What
    the portal offers to pay next, and what a statement asks for."""
    for row in plan_progress(plan=plan, paid=paid):
        if row["covered"] < row["instalment"].amount:
            due = _due(row, balance)
            return {**row, "due": due} if due > 0 else None
    return None


def instalments_overdue_unreminded(*, on: dt.date) -> list[dict]:
    """Instalments of active plans that are overdue on `on` and whose patient has not been reminded yet, each with
    what is still due on it; none of a patient who owes nothing."""
    plans = with_patient_balance(
        PaymentPlan.objects.filter(
            status=PlanStatus.ACTIVE, instalments__due_on__lt=on, instalments__overdue_reminded_at__isnull=True
        )
        .distinct()
        .select_related("patient")
        .prefetch_related("instalments")
    )
    return [
        {"instalment": row["instalment"], "due": _due(row, plan.patient_balance)}
        for plan in plans
        for row in plan_progress(plan=plan, on=on)
        if row["status"] == "overdue"
        and row["instalment"].overdue_reminded_at is None
        and _due(row, plan.patient_balance) > 0
    ]


def next_instalments(*, balances: dict[int, Decimal]) -> dict[int, dict]:
    """For patients (ids, with what each owes), the next instalment of each one's active plan, as
    `plan_next_instalment` finds it, keyed by patient id; none for a patient without a plan or with nothing left to
    pay on it. Two queries however many patients: the statement run reads a chunk's at once."""
    plans = _with_paid(PaymentPlan.objects.filter(patient_id__in=list(balances), status=PlanStatus.ACTIVE))
    found = {}
    for plan in plans:
        instalment = plan_next_instalment(plan=plan, balance=balances[plan.patient_id], paid=plan.paid_against)
        if instalment is not None:
            found[plan.patient_id] = instalment
    return found


def _with_paid(plans: QuerySet[PaymentPlan]) -> QuerySet[PaymentPlan]:
    """Plans with `paid_against`, what has been paid against each as `plan_paid` sums it, and their instalments."""
    paid = Payment.objects.filter(plan=OuterRef("pk")).order_by().values("plan_id").annotate(total=Sum("amount"))
    return plans.annotate(
        paid_against=Coalesce(
            Subquery(paid.values("total"), output_field=DecimalField(max_digits=12, decimal_places=2)), ZERO
        )
    ).prefetch_related("instalments")


def plans_of(*, patient) -> list[PaymentPlan]:
    """Every payment plan of the patient, newest first, active, completed or cancelled, each with `paid_against`
    and its instalments (for `plan_progress(plan=..., paid=plan.paid_against)`). Two queries however many."""
    return list(_with_paid(PaymentPlan.objects.filter(patient=patient)).order_by("-starts_on", "-pk"))


def active_plan(*, patient) -> PaymentPlan | None:
    return PaymentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE).prefetch_related("instalments").first()
