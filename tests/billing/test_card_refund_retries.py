"""A card refund sent again is the same refund: while it waits for the provider, and once the provider made it, the
request sent again (the same Idempotency-Key, or without one the same payment and amount) answers that refund (200)
and asks the provider again only with that refund's own idempotency key. A different refund for more than is left is
refused (422), and two refunds of the whole payment at once refund the card once."""

import uuid
from decimal import Decimal

import pytest

from apps.billing.models import CardRefund, Payment
from apps.billing.payments import ProviderUnavailable
from apps.billing.services.payments import payment_refund
from tests.locking import at_once

WHOLE = {"amount": "150.00", "reason": "Overcharged"}


def _refund(api, payment, body: dict, key: uuid.UUID | None = None):
    headers = {"HTTP_IDEMPOTENCY_KEY": str(key)} if key else {}
    return api.post(f"/api/payments/{payment.pk}/refund/", body, format="json", **headers)


def _refunds(payment) -> list[Decimal]:
    return list(Payment.objects.filter(refund_of=payment).values_list("amount", flat=True))


@pytest.mark.django_db
def test_a_refund_sent_again_while_it_waits_answers_the_waiting_refund_and_then_the_refund_made(
    card_payment, stripe_api, personas, login
):
    api = login(personas.billing, api=True)
    key = uuid.uuid4()
    stripe_api.mode = "down"  # the provider makes the refund; its answer is lost
    first = _refund(api, card_payment, WHOLE, key)
    assert first.status_code == 202, first.content
    assert first.json()["status"] == "waiting" and first.json()["refund"] is None

    again = _refund(api, card_payment, WHOLE, key)
    assert again.status_code == 200, again.content
    assert again.json() == first.json()  # the same refund, still waiting

    stripe_api.mode = "up"
    made = _refund(api, card_payment, WHOLE, key)
    assert made.status_code == 200, made.content
    assert made.json()["card_refund"] == first.json()["card_refund"]
    assert made.json()["status"] == "refunded"
    assert made.json()["refund"]["amount"] == "-150.00"
    assert stripe_api.refund_count == 1
    assert _refunds(card_payment) == [Decimal("-150.00")]
    # Each time the provider was asked, it was with the refund's own key.
    (card_refund,) = CardRefund.objects.all()
    assert stripe_api.refund_keys == [card_refund.idempotency_key] * 3


@pytest.mark.django_db
def test_the_same_refund_sent_again_without_a_key_answers_the_one_waiting(card_payment, stripe_api, personas, login):
    api = login(personas.billing, api=True)
    stripe_api.mode = "down"
    body = {"amount": "40.00", "reason": "Overcharged"}
    first = _refund(api, card_payment, body)
    assert first.status_code == 202, first.content
    again = _refund(api, card_payment, body)
    assert again.status_code == 200, again.content
    assert again.json()["card_refund"] == first.json()["card_refund"]
    assert CardRefund.objects.count() == 1
    assert stripe_api.refund_count == 1  # the same $40 is not given twice


@pytest.mark.django_db
def test_the_same_refund_sent_again_without_a_key_is_not_a_second_refund(card_payment, stripe_api, personas):
    stripe_api.mode = "down"
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Overcharged")
    assert CardRefund.objects.count() == 1
    assert stripe_api.refund_count == 1


@pytest.mark.django_db
def test_a_different_refund_for_more_than_is_left_is_refused_and_the_provider_not_asked(
    card_payment, stripe_api, personas, login
):
    api = login(personas.billing, api=True)
    stripe_api.mode = "down"
    assert _refund(api, card_payment, {"amount": "100.00", "reason": "Overcharged"}, uuid.uuid4()).status_code == 202
    more = _refund(api, card_payment, {"amount": "60.00", "reason": "Another"}, uuid.uuid4())
    assert more.status_code == 422, more.content
    assert more.json()["error"]["message"] == "That is more than is left to refund on this payment."
    assert stripe_api.refund_count == 1 and len(stripe_api.refund_keys) == 1


@pytest.mark.django_db
def test_the_same_key_for_another_amount_is_refused_with_a_conflict(card_payment, stripe_api, personas, login):
    api = login(personas.billing, api=True)
    key = uuid.uuid4()
    assert _refund(api, card_payment, {"amount": "40.00", "reason": "Overcharged"}, key).status_code == 201
    other = _refund(api, card_payment, {"amount": "50.00", "reason": "Overcharged"}, key)
    assert other.status_code == 409, other.content
    assert "already recorded a card refund of $40.00" in other.json()["error"]["message"]
    assert _refunds(card_payment) == [Decimal("-40.00")]


@pytest.mark.django_db
def test_only_billing_refunds_through_the_api(card_payment, stripe_api, personas, login):
    for persona in (personas.front_desk, personas.therapist):
        assert _refund(login(persona, api=True), card_payment, WHOLE).status_code == 403
    refused = _refund(login(personas.patient_user, api=True), card_payment, WHOLE)
    assert refused.status_code == 403
    assert stripe_api.refund_count == 0


@pytest.mark.django_db(transaction=True)
def test_two_different_refunds_of_the_whole_payment_at_once_refund_the_card_once(
    card_payment, stripe_api, personas, login
):
    first, second = login(personas.billing, api=True), login(personas.billing, api=True)
    answers = at_once(
        lambda: _refund(first, card_payment, WHOLE, uuid.uuid4()),
        lambda: _refund(second, card_payment, WHOLE, uuid.uuid4()),
    )
    assert sorted(answer.status_code for answer in answers) == [201, 422], answers
    assert stripe_api.refund_count == 1
    assert _refunds(card_payment) == [Decimal("-150.00")]


@pytest.mark.django_db(transaction=True)
def test_the_same_refund_sent_twice_at_once_is_made_once_and_both_answered_with_it(
    card_payment, stripe_api, personas, login
):
    first, second = login(personas.billing, api=True), login(personas.billing, api=True)
    key = uuid.uuid4()
    answers = at_once(
        lambda: _refund(first, card_payment, WHOLE, key), lambda: _refund(second, card_payment, WHOLE, key)
    )
    assert sorted(answer.status_code for answer in answers) == [200, 201], answers
    assert answers[0].json()["refund"] == answers[1].json()["refund"]
    assert stripe_api.refund_count == 1
    assert _refunds(card_payment) == [Decimal("-150.00")]
