"""Payment plans: only payments made against a plan count toward it, a fully paid plan completes (and no longer
blocks a new one), and each overdue instalment sends one reminder through the outbox."""

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.db import IntegrityError, transaction

from apps.billing import tasks
from apps.billing.models import Payment, PaymentPlan, PlanStatus
from apps.billing.selectors.plans import active_plan, plan_paid, plan_progress
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.payments import payment_record, payment_refund
from apps.billing.services.plans import payment_plan_cancel, payment_plan_create
from apps.core import clock
from apps.core.errors import Unprocessable
from apps.notifications.models import Message
from tests.locking import HeldElsewhere

from .helpers import past_appointment

pytestmark = pytest.mark.django_db

TODAY = "2026-03-10 12:00:00-04:00"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def plan(personas, fee_config):
    """$400 owed (two full-fee sessions), split in two $200 instalments due April 1 and May 1."""
    for days in (2, 9):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days), actor=None
        )
    return payment_plan_create(
        actor=personas.front_desk, patient=personas.patient, instalments=2, first_due=dt.date(2026, 4, 1)
    )


def _pay(personas, amount, **extra):
    return payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount=amount, **extra)


def test_only_payments_made_against_the_plan_count_toward_it(plan, personas):
    _pay(personas, "150")
    assert [row["covered"] for row in plan_progress(plan=plan)] == [Decimal("0.00"), Decimal("0.00")]
    _pay(personas, "250", plan=plan)
    progress = plan_progress(plan=plan)
    assert [row["status"] for row in progress] == ["paid", "due"]
    assert progress[1]["covered"] == Decimal("50.00")


def test_a_fully_paid_plan_is_completed_and_a_new_plan_can_follow(plan, personas, fee_config):
    _pay(personas, "200", plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    _pay(personas, "200", plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert active_plan(patient=personas.patient) is None
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90791"], days_ago=1), actor=None
    )
    second = payment_plan_create(
        actor=personas.front_desk, patient=personas.patient, instalments=2, first_due=dt.date(2026, 4, 1)
    )
    assert (second.status, second.total) == (PlanStatus.ACTIVE, Decimal("250.00"))
    with pytest.raises(Unprocessable, match="not this patient's active payment plan"):
        _pay(personas, "10", plan=plan)


def test_a_refunded_plan_payment_no_longer_counts(plan, personas):
    payment = _pay(personas, "200", plan=plan)
    payment_refund(actor=personas.billing, payment=payment, amount="50", reason="Paid twice by mistake")
    assert plan_paid(plan=plan) == Decimal("150.00")
    assert [row["status"] for row in plan_progress(plan=plan)] == ["due", "due"]


def test_a_payment_cannot_count_toward_another_patients_plan(plan, personas):
    with pytest.raises(Unprocessable):
        payment_record(
            actor=personas.front_desk,
            patient=personas.other_patient,
            method="cash",
            amount="5",
            plan=plan,
            credit_on_account=True,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            patient=personas.other_patient,
            method="cash",
            amount=Decimal(5),
            received_at=clock.now(),
            receipt_number="X9",
            credit_on_account=True,
            plan=plan,
        )


def test_the_staff_page_and_the_api_record_payments_against_the_plan(plan, personas, login):
    page = login(personas.front_desk)
    page.post(
        f"/billing/patients/{personas.patient.pk}/payments/", {"method": "cash", "amount": "120", "toward_plan": "on"}
    )
    api = login(personas.front_desk, api=True)
    response = api.post(
        "/api/payments/",
        {"patient": personas.patient.pk, "method": "cash", "amount": "280.00", "plan": plan.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["plan"] == plan.pk
    assert plan_paid(plan=plan) == Decimal("400.00")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED


def test_the_plan_box_needs_an_active_plan(personas, fee_config, login):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    response = login(personas.front_desk).post(
        f"/billing/patients/{personas.patient.pk}/payments/",
        {"method": "cash", "amount": "20", "toward_plan": "on"},
        follow=True,
    )
    assert "no active payment plan" in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize("first_due", ["9999-12-01", "2026-03-09", "2027-03-11"])
def test_a_plan_whose_first_instalment_is_not_due_within_a_year_is_refused_with_a_message(
    personas, fee_config, login, first_due
):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2), actor=None
    )
    response = login(personas.billing).post(
        f"/billing/patients/{personas.patient.pk}/plan/",
        {"instalments": 3, "first_due": first_due, "every_days": 30},
    )
    assert response.status_code == 422  # the form comes back as typed, the reason by the date
    page = response.content.decode()
    assert re.search(
        rf'name="first_due" value="{first_due}"[^>]*>\s*<div role="alert"><ul class="errorlist"><li>'
        r"Choose a date from today to March 10, 2027.</li>",
        page,
    )
    with pytest.raises(Unprocessable, match="Choose a date from today") as refused:
        payment_plan_create(
            actor=personas.billing,
            patient=personas.patient,
            instalments=3,
            first_due=dt.date.fromisoformat(first_due),
        )
    assert "first_due" in refused.value.fields
    assert not PaymentPlan.objects.exists()


def test_a_plan_may_start_today_or_a_year_ahead(personas, fee_config):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2), actor=None
    )
    for first_due in (dt.date(2026, 3, 10), dt.date(2027, 3, 10)):
        plan = payment_plan_create(actor=personas.billing, patient=personas.patient, instalments=2, first_due=first_due)
        assert plan.instalments.first().due_on == first_due
        payment_plan_cancel(actor=personas.billing, plan=plan)


# --- overdue reminders ---------------------------------------------------------------------------------------------


def test_an_overdue_instalment_sends_one_reminder_through_the_outbox(plan, personas):
    with time_machine.travel("2026-04-01 12:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 0  # due today: not overdue yet
    with time_machine.travel("2026-04-02 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 1
        assert tasks.plan_instalment_reminders_queue() == 0  # once per instalment
    (message,) = Message.objects.filter(purpose="plan_instalment_overdue")
    first = plan.instalments.order_by("due_on").first()
    assert message.dedupe_key == f"plan_instalment:{first.pk}:overdue"
    assert (message.to_address, message.template) == (personas.patient.email, "plan_instalment_overdue")
    assert message.context["amount"] == "200.00" and message.context["due_on"] == "2026-04-01"
    first.refresh_from_db()
    assert first.overdue_reminded_at is not None


def test_a_paid_instalment_is_not_reminded_and_the_next_overdue_one_is(plan, personas):
    _pay(personas, "200", plan=plan)
    with time_machine.travel("2026-04-20 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 0
    with time_machine.travel("2026-05-02 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 1
    second = plan.instalments.order_by("due_on").last()
    assert Message.objects.get(purpose="plan_instalment_overdue").dedupe_key == f"plan_instalment:{second.pk}:overdue"


def test_a_cancelled_plan_sends_no_reminders(plan, personas):
    payment_plan_cancel(actor=personas.billing, plan=plan)
    with time_machine.travel("2026-06-01 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 0
    assert not Message.objects.filter(purpose="plan_instalment_overdue").exists()


def test_a_plan_paid_off_outside_it_completes_and_sends_no_reminder(plan, personas):
    _pay(personas, "400")  # the portal's plain "Pay", not against the plan

    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    with time_machine.travel("2026-04-02 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 0


def test_a_plan_written_off_completes(plan, personas):
    from apps.billing.services.payments import adjustment_post

    adjustment_post(actor=personas.billing, patient=personas.patient, kind="write_off", amount="400", reason="Hardship")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED


def test_reversing_the_write_off_that_completed_a_plan_reopens_it(plan, personas):
    from apps.billing.services.payments import adjustment_post, adjustment_reverse

    write_off = adjustment_post(
        actor=personas.billing, patient=personas.patient, kind="write_off", amount="400", reason="Hardship"
    )
    adjustment_reverse(actor=personas.billing, adjustment=write_off, reason="Posted to the wrong patient")

    plan.refresh_from_db()
    assert (plan.status, plan.completed_at) == (PlanStatus.ACTIVE, None)
    with time_machine.travel("2026-04-02 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 1


def test_refunding_a_payment_that_completed_a_plan_reopens_it(plan, personas):
    paid_outside = _pay(personas, "400")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED and plan.completed_at is not None

    payment_refund(actor=personas.billing, payment=paid_outside, amount="100", reason="Check bounced in part")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert active_plan(patient=personas.patient) == plan


def test_refunding_a_plan_payment_of_a_completed_plan_reopens_it(plan, personas):
    _pay(personas, "200", plan=plan)
    last = _pay(personas, "200", plan=plan)
    payment_refund(actor=personas.billing, payment=last, amount="200", reason="Card charged twice")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert [row["status"] for row in plan_progress(plan=plan)] == ["paid", "due"]


def test_undoing_money_posted_after_a_plan_completed_leaves_it_completed(plan, personas, fee_config):
    _pay(personas, "400", plan=plan)
    with time_machine.travel("2026-03-11 12:00:00-04:00", tick=False):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=1), actor=None
        )
        later = _pay(personas, "200")
        payment_refund(actor=personas.billing, payment=later, amount="200", reason="Paid by the insurer instead")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED


def test_a_completed_plan_is_not_reopened_beside_a_newer_active_plan(plan, personas, fee_config):
    paid_outside = _pay(personas, "400")
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90791"], days_ago=1), actor=None
    )
    second = payment_plan_create(
        actor=personas.front_desk, patient=personas.patient, instalments=2, first_due=dt.date(2026, 4, 1)
    )
    payment_refund(actor=personas.billing, payment=paid_outside, amount="100", reason="Check bounced in part")

    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert active_plan(patient=personas.patient) == second


def test_a_plan_completed_before_its_completion_time_was_kept_is_reopened_too(plan, personas):
    from importlib import import_module

    from django.apps import apps as django_apps

    paid_outside = _pay(personas, "400")
    PaymentPlan.objects.filter(pk=plan.pk).update(completed_at=None)  # as the rows completed before the column
    import_module("apps.billing.migrations.0017_plan_completed_at_backfill").completed_at_backfill(django_apps, None)

    payment_refund(actor=personas.billing, payment=paid_outside, amount="100", reason="Check bounced in part")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_the_overdue_notice_asks_for_what_is_left_of_the_instalment_as_the_portal_does(plan, personas, login):
    _pay(personas, "150", plan=plan)
    with time_machine.travel("2026-04-02 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 1
        portal = login(personas.patient_user).get("/portal/billing/")
    assert Message.objects.get(purpose="plan_instalment_overdue").context["amount"] == "50.00"
    assert portal.context["next_instalment"]["due"] == Decimal("50.00")


def test_what_is_due_on_an_instalment_is_never_more_than_is_owed(plan, personas):
    from apps.billing.selectors.plans import plan_next_instalment

    _pay(personas, "300")  # outside the plan: $100 is left to pay
    with time_machine.travel("2026-04-02 09:00:00-04:00", tick=False):
        assert tasks.plan_instalment_reminders_queue() == 1
    assert Message.objects.get(purpose="plan_instalment_overdue").context["amount"] == "100.00"
    assert plan_next_instalment(plan=plan, balance=Decimal("100.00"))["due"] == Decimal("100.00")


def test_a_balance_too_small_for_the_instalments_is_refused_with_a_message(personas, fee_config):
    from apps.billing.services.payments import adjustment_post

    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=2), actor=None
    )
    adjustment_post(actor=personas.billing, patient=personas.patient, kind="courtesy", amount="199.95", reason="Kind")
    with pytest.raises(Unprocessable, match="cannot be split into 12 installments"):
        payment_plan_create(
            actor=personas.front_desk, patient=personas.patient, instalments=12, first_due=dt.date(2026, 4, 1)
        )
    assert not PaymentPlan.objects.exists()


def test_the_reminders_run_daily_from_beat():
    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "apps.billing.tasks.plan_instalment_reminders_queue" in entries


def test_the_reminder_renders_for_email(plan, personas):
    from apps.notifications.rendering import message_render

    with time_machine.travel("2026-04-02 09:00:00-04:00", tick=False):
        tasks.plan_instalment_reminders_queue()
    message = Message.objects.get(purpose="plan_instalment_overdue")
    rendered = message_render(template=message.template, context=message.context, channel="email")
    assert "April 1" in rendered.subject
    assert "$200.00" in rendered.text and "April 1, 2026" in rendered.html
    assert PaymentPlan.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_payment_against_a_plan_cancelled_at_the_same_moment_is_refused(plan, personas):
    read_before = PaymentPlan.objects.get(pk=plan.pk)  # the payment form read the plan while active
    cancelling = HeldElsewhere(lambda: payment_plan_cancel(actor=personas.billing, plan=plan))
    cancelling.release_soon()
    with pytest.raises(Unprocessable, match="not this patient's active payment plan"):
        _pay(personas, Decimal("200.00"), plan=read_before)
    assert not Payment.objects.filter(plan=plan).exists()
