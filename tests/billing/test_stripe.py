"""Card payments through Stripe Checkout: the adapter against a local stand-in of Stripe's API, and the webhook
with Stripe-signed payloads: verified, applied at most once, in any order."""

import time
from decimal import Decimal

import pytest
from django.test import Client

from apps.billing.models import CheckoutSession, Payment, ProviderEvent
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start
from apps.billing.services.payments import payment_refund
from tests.locking import at_once

from .helpers import past_appointment
from .stripe_standin import completed_event, expired_event, refunded_event, webhook_post


@pytest.fixture
def checkout(db, stripe_api, owing_patient, personas):
    return checkout_start(actor=personas.patient_user, patient=owing_patient, amount=Decimal("150.00"))


def _balance(patient):
    return patient_balance(patient=patient)


@pytest.mark.django_db
def test_paying_in_the_portal_creates_a_stripe_checkout_session_and_redirects(
    stripe_api, owing_patient, personas, login
):
    response = login(personas.patient_user).post("/portal/billing/pay/", {"amount": "150.00"})
    assert response.status_code == 302
    checkout = CheckoutSession.objects.get()
    assert response["Location"] == f"https://checkout.stripe.test/c/pay/cs_test_{checkout.pk}"
    path, form = stripe_api.requests[0]
    assert path == "/v1/checkout/sessions"
    assert form["line_items[0][price_data][unit_amount]"] == "15000"
    assert form["mode"] == "payment"
    assert form["success_url"].endswith(f"/portal/billing/pay/{checkout.pk}/return/?result=success")


@pytest.mark.django_db
def test_a_patient_cannot_pay_more_than_they_owe(stripe_api, owing_patient, personas, login):
    client = login(personas.patient_user)
    response = client.post("/portal/billing/pay/", {"amount": "200.01"}, follow=True)
    assert "more than the balance" in response.content.decode()
    assert not CheckoutSession.objects.exists()
    assert stripe_api.requests == []


@pytest.mark.django_db
def test_a_signed_completion_event_posts_the_payment(checkout, client):
    response = webhook_post(client, completed_event(checkout))
    assert response.status_code == 200, response.content
    payment = Payment.objects.get()
    assert (payment.amount, payment.method, payment.provider_reference) == (
        Decimal("150.00"),
        "card_online",
        f"pi_test_{checkout.pk}",
    )
    checkout.refresh_from_db()
    assert (checkout.status, checkout.payment_id) == ("paid", payment.pk)
    assert _balance(checkout.patient) == Decimal("50.00")


@pytest.mark.django_db
def test_replaying_one_event_ten_times_posts_one_payment(checkout, client):
    answers = [webhook_post(client, completed_event(checkout)).json()["applied"] for _ in range(10)]
    assert answers == [True] + [False] * 9
    assert Payment.objects.count() == 1
    assert ProviderEvent.objects.count() == 1


@pytest.mark.django_db
def test_the_same_payment_under_a_new_event_id_is_still_posted_once(checkout, client):
    webhook_post(client, completed_event(checkout, event_id="evt_a"))
    webhook_post(client, completed_event(checkout, event_id="evt_b"))
    assert Payment.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "how",
    ["tampered", "stale", "wrong_secret", "no_signature"],
)
def test_a_bad_signature_is_rejected_with_no_write(checkout, client, how):
    event = completed_event(checkout)
    if how == "tampered":
        response = webhook_post(client, event, tamper=True)
    elif how == "stale":
        response = webhook_post(client, event, timestamp=int(time.time()) - 3600)
    elif how == "wrong_secret":
        response = webhook_post(client, event, secret="whsec_someone_else")
    else:
        response = client.post("/api/billing/webhooks/stripe/", data=b"{}", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "signature_invalid"
    assert not Payment.objects.exists()
    assert not ProviderEvent.objects.exists()


def _completed_with(checkout, **changes) -> dict:
    event = completed_event(checkout)
    event["data"]["object"].update(changes)
    return event


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        pytest.param(lambda checkout: {"id": "evt_1", "type": "checkout.session.completed", "data": "str"}, id="data"),
        pytest.param(lambda checkout: [completed_event(checkout)], id="array"),
        pytest.param(lambda checkout: "evt_1", id="string"),
        pytest.param(lambda checkout: {**completed_event(checkout), "id": 7}, id="numeric-id"),
        pytest.param(lambda checkout: {**completed_event(checkout), "id": "e" * 300}, id="long-id"),
        pytest.param(lambda checkout: {**completed_event(checkout), "type": ["x"]}, id="type"),
        pytest.param(lambda checkout: {**completed_event(checkout), "data": {"object": []}}, id="object"),
        pytest.param(lambda checkout: _completed_with(checkout, amount_total="15000"), id="amount-text"),
        pytest.param(lambda checkout: _completed_with(checkout, amount_total=-1), id="amount-negative"),
        pytest.param(lambda checkout: _completed_with(checkout, amount_total=True), id="amount-bool"),
        pytest.param(lambda checkout: _completed_with(checkout, payment_intent={"id": "pi"}), id="intent-object"),
        pytest.param(lambda checkout: _completed_with(checkout, payment_intent=None), id="intent-missing"),
        pytest.param(lambda checkout: _completed_with(checkout, metadata="checkout"), id="metadata"),
        pytest.param(lambda checkout: _completed_with(checkout, id=["cs"]), id="session-id"),
    ],
)
def test_a_signed_but_malformed_event_is_a_400_and_writes_nothing(checkout, client, body):
    response = webhook_post(client, body(checkout))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "event_malformed"
    assert not Payment.objects.exists()
    assert not ProviderEvent.objects.exists()


@pytest.mark.django_db
def test_a_refund_event_posts_a_reversing_row_up_to_the_cumulative_total(checkout, client):
    webhook_post(client, completed_event(checkout))
    webhook_post(client, refunded_event(checkout, amount_refunded=5000, event_id="evt_r1"))
    webhook_post(client, refunded_event(checkout, amount_refunded=5000, event_id="evt_r1"))  # replay
    refunds = Payment.objects.filter(refund_of__isnull=False)
    assert [r.amount for r in refunds] == [Decimal("-50.00")]
    assert _balance(checkout.patient) == Decimal("100.00")


@pytest.mark.django_db
def test_events_out_of_order_end_in_the_right_state(checkout, client):
    # The second partial refund (cumulative $80) arrives first, then the first ($50), then the completion,
    # then a stale expiry notice.
    assert webhook_post(client, refunded_event(checkout, amount_refunded=8000, event_id="evt_r2")).status_code == 200
    assert webhook_post(client, refunded_event(checkout, amount_refunded=5000, event_id="evt_r1")).status_code == 200
    assert webhook_post(client, completed_event(checkout)).status_code == 200
    assert webhook_post(client, expired_event(checkout, event_id="evt_x")).status_code == 200
    payment = Payment.objects.get(refund_of__isnull=True)
    assert payment.amount == Decimal("150.00")
    assert sum(r.amount for r in payment.refunds.all()) == Decimal("-80.00")
    checkout.refresh_from_db()
    assert checkout.status == "paid"
    assert _balance(checkout.patient) == Decimal("130.00")


@pytest.mark.django_db
def test_an_expired_checkout_posts_nothing(checkout, client):
    webhook_post(client, expired_event(checkout, event_id="evt_x"))
    checkout.refresh_from_db()
    assert checkout.status == "expired"
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_a_refund_for_an_unknown_payment_is_retried_later_and_writes_nothing(db, stripe_api, client):
    event = {
        "id": "evt_unknown",
        "type": "charge.refunded",
        "data": {"object": {"object": "charge", "payment_intent": "pi_nobody", "amount": 100, "amount_refunded": 100}},
    }
    response = webhook_post(client, event)
    assert response.status_code == 409
    assert not ProviderEvent.objects.exists()


@pytest.mark.django_db
def test_billing_refunds_a_card_payment_through_stripe_and_the_later_event_adds_nothing(
    checkout, client, stripe_api, personas
):
    webhook_post(client, completed_event(checkout))
    payment = Payment.objects.get()
    refund = payment_refund(actor=personas.billing, payment=payment, amount="40", reason="Session cancelled")
    path, form = stripe_api.requests[-1]
    assert (path, form["payment_intent"], form["amount"]) == ("/v1/refunds", f"pi_test_{checkout.pk}", "4000")
    assert (refund.amount, refund.provider_reference) == (Decimal("-40.00"), "re_test_1")
    webhook_post(client, refunded_event(checkout, amount_refunded=4000, event_id="evt_r"))
    assert Payment.objects.filter(refund_of=payment).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_deliveries_of_one_event_post_one_payment(stripe_api, personas, fee_config):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    checkout = checkout_start(actor=None, patient=personas.patient, amount=Decimal("200.00"))
    event = completed_event(checkout)
    clients = [Client() for _ in range(10)]
    responses = at_once(*[lambda client=client: webhook_post(client, event) for client in clients])
    assert [response.status_code for response in responses] == [200] * 10
    assert Payment.objects.count() == 1
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


@pytest.mark.django_db
def test_with_no_card_payments_online_the_portal_says_how_to_pay_and_starts_no_checkout(
    owing_patient, personas, login, settings
):
    settings.CLINIC_PAYMENT_BACKEND = "offline"
    settings.CLINIC_PAYMENT_INSTRUCTIONS = "Pay at the front desk by cash, check or card."
    client = login(personas.patient_user)
    dashboard = client.get("/portal/").content.decode()
    assert "How to pay" in dashboard and "Pay now" not in dashboard
    page = client.get("/portal/billing/").content.decode()
    assert "Pay at the front desk by cash, check or card." in page
    assert "Pay by card" not in page
    response = client.post("/portal/billing/pay/", {"amount": "200.00"}, follow=True)
    assert "does not take card payments online" in response.content.decode()
    assert not CheckoutSession.objects.exists() and not Payment.objects.exists()
    assert _balance(owing_patient) == Decimal("200.00")


@pytest.mark.django_db
def test_a_patient_can_never_record_a_payment_themselves(owing_patient, personas, login, settings):
    """The old local checkout page (POST /portal/billing/pay/<id>/offline/) posted a payment for the patient."""
    settings.CLINIC_PAYMENT_BACKEND = "offline"
    checkout = CheckoutSession.objects.create(
        patient=owing_patient, amount=Decimal("200.00"), provider="offline", created_by=personas.patient_user
    )
    client = login(personas.patient_user)
    assert client.post(f"/portal/billing/pay/{checkout.pk}/offline/").status_code == 404
    assert client.get(f"/portal/billing/pay/{checkout.pk}/offline/").status_code == 404
    assert not Payment.objects.exists() and not ProviderEvent.objects.exists()
    assert _balance(owing_patient) == Decimal("200.00")
    api = login(personas.patient_user, api=True)
    recorded = api.post(
        "/api/payments/", {"patient": owing_patient.pk, "method": "cash", "amount": "200.00"}, format="json"
    )
    assert recorded.status_code in (403, 404)
    assert not Payment.objects.exists()
