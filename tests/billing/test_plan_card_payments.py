"""Paying a payment plan by card in the portal: the page offers the next instalment, and the card payment, whichever
way it settles (the sandbox page or the provider's webhook), counts toward the plan and completes it when paid."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.billing.models import CheckoutSession, Payment, PlanStatus
from apps.billing.selectors.ledger import patient_balance
from apps.billing.selectors.plans import plan_paid, plan_progress
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start
from apps.billing.services.payments import payment_record
from apps.billing.services.plans import payment_plan_cancel, payment_plan_create
from apps.core import clock

from .helpers import past_appointment
from .stripe_standin import completed_event, refunded_event, webhook_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(personas, fee_config):
    """$600 owed (three full-fee sessions), $400 of it split in two $200 instalments, the first due in ten days."""
    for days in (2, 9, 16):
        charge_for_appointment_outcome(
            appointment=past_appointment(personas.patient, service_type=fee_config["90834"], days_ago=days), actor=None
        )
    return payment_plan_create(
        actor=personas.front_desk,
        patient=personas.patient,
        instalments=2,
        first_due=clock.local_now().date() + dt.timedelta(days=10),
        total="400",
    )


@pytest.fixture
def sandbox(settings):
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"


def _pay_on_the_sandbox(client, settings, amount: str):
    started = client.post("/portal/billing/pay/instalment/", {"instalment-amount": amount})
    assert started.status_code == 302, started.content
    page = started["Location"].removeprefix(settings.SITE_URL)
    assert page.endswith("/sandbox/"), page
    client.post(page)


def test_the_billing_page_offers_the_next_instalment_prefilled(plan, personas, login, sandbox):
    body = login(personas.patient_user).get("/portal/billing/").content.decode()
    assert "Pay the next installment" in body
    assert 'name="instalment-amount"' in body
    assert 'value="200.00"' in body
    assert 'action="/portal/billing/pay/instalment/"' in body


def test_after_a_partial_payment_the_rest_of_the_instalment_is_offered(plan, personas, login, sandbox):
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="50", plan=plan)
    body = login(personas.patient_user).get("/portal/billing/").content.decode()
    assert 'value="150.00"' in body


def test_without_a_plan_no_instalment_is_offered(personas, fee_config, login, sandbox):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    client = login(personas.patient_user)
    assert "Pay the next installment" not in client.get("/portal/billing/").content.decode()
    refused = client.post("/portal/billing/pay/instalment/", {"instalment-amount": "20.00"}, follow=True)
    assert "no active payment plan" in refused.content.decode()
    assert not CheckoutSession.objects.exists()


def test_instalments_paid_on_the_sandbox_count_toward_the_plan_and_complete_it(
    plan, personas, login, sandbox, settings
):
    client = login(personas.patient_user)
    _pay_on_the_sandbox(client, settings, "200.00")
    payment = Payment.objects.get()
    assert (payment.method, payment.plan) == ("card_online", plan)
    assert [row["status"] for row in plan_progress(plan=plan)] == ["paid", "due"]
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    _pay_on_the_sandbox(client, settings, "200.00")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert patient_balance(patient=personas.patient) == Decimal("200.00")
    assert "Pay the next installment" not in client.get("/portal/billing/").content.decode()


def test_a_card_payment_that_is_not_made_against_the_plan_does_not_count_toward_it(
    plan, personas, login, sandbox, settings
):
    client = login(personas.patient_user)
    started = client.post("/portal/billing/pay/", {"amount": "200.00"})
    client.post(started["Location"].removeprefix(settings.SITE_URL))
    assert Payment.objects.get().plan is None
    assert plan_paid(plan=plan) == Decimal("0.00")


def test_more_than_is_left_of_the_plan_is_refused(plan, personas, login, sandbox):
    payment_record(actor=personas.front_desk, patient=personas.patient, method="cash", amount="300", plan=plan)
    client = login(personas.patient_user)
    refused = client.post("/portal/billing/pay/instalment/", {"instalment-amount": "150.00"}, follow=True)
    assert "more than is left to pay on your plan ($100.00)" in refused.content.decode()
    assert not CheckoutSession.objects.exists()


def test_another_patients_plan_cannot_be_paid_against(plan, personas, fee_config):
    from apps.core.errors import Unprocessable

    with pytest.raises(Unprocessable, match="not your active payment plan"):
        checkout_start(actor=personas.other_patient_user, patient=personas.other_patient, plan=plan)


def test_an_instalment_paid_through_the_providers_webhook_counts_toward_the_plan_once(
    plan, personas, login, stripe_api, client
):
    response = login(personas.patient_user).post("/portal/billing/pay/instalment/", {"instalment-amount": "200.00"})
    checkout = CheckoutSession.objects.get()
    assert response["Location"] == f"https://checkout.stripe.test/c/pay/cs_test_{checkout.pk}"
    _, form = stripe_api.requests[0]
    assert form["line_items[0][price_data][product_data][name]"] == "Payment plan installment"
    for _ in range(3):  # a replayed event changes nothing
        assert webhook_post(client, completed_event(checkout)).status_code == 200
    payment = Payment.objects.get()
    assert (payment.plan, payment.amount) == (plan, Decimal("200.00"))
    second = checkout_start(actor=personas.patient_user, patient=personas.patient, plan=plan)
    assert second.amount == Decimal("200.00")  # the next instalment, by default
    webhook_post(client, completed_event(second, event_id="evt_completed_2"))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.COMPLETED
    assert plan_paid(plan=plan) == Decimal("400.00")


def test_a_refund_arriving_before_the_completion_still_settles_the_payment_against_the_plan(
    plan, personas, stripe_api, client
):
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient, plan=plan)
    webhook_post(client, refunded_event(checkout, amount_refunded=5000, event_id="evt_r1"))
    webhook_post(client, completed_event(checkout))
    assert Payment.objects.get(refund_of=None).plan == plan
    assert plan_paid(plan=plan) == Decimal("150.00")


def test_a_plan_cancelled_while_the_card_is_charged_leaves_the_payment_on_the_balance_only(
    plan, personas, stripe_api, client
):
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient, plan=plan)
    payment_plan_cancel(actor=personas.front_desk, plan=plan)
    webhook_post(client, completed_event(checkout))
    payment = Payment.objects.get()
    assert payment.plan is None
    assert patient_balance(patient=personas.patient) == Decimal("400.00")
