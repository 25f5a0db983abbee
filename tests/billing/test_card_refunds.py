"""Refunds of online card payments: recorded before the provider is asked, asked with one idempotency key, posted
once, whatever the provider answers and in whatever order its answer and its refund event arrive."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from apps.billing.models import CardRefund, CardRefundStatus, Payment
from apps.billing.payments import ProviderUnavailable, RefundRefused
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.checkout import checkout_start
from apps.billing.services.payments import card_refund_send, card_refunds_retry, payment_refund
from apps.core import clock
from apps.core.errors import Conflict, Unprocessable
from tests.locking import at_once

from .stripe_standin import completed_event, refunded_event, webhook_post


def _refunds(payment):
    return list(Payment.objects.filter(refund_of=payment).values_list("amount", flat=True))


@pytest.mark.django_db
def test_a_refund_whose_answer_is_lost_stays_pending_and_is_posted_once_when_asked_again(
    card_payment, stripe_api, personas, login
):
    stripe_api.mode = "down"  # the provider refunds, and its answer never arrives
    with pytest.raises(ProviderUnavailable) as refused:
        payment_refund(actor=personas.billing, payment=card_payment, amount="150", reason="Overcharged")
    assert "waiting" in refused.value.message
    assert stripe_api.refund_count == 1
    assert _refunds(card_payment) == []
    pending = CardRefund.objects.get()
    assert (pending.status, pending.amount) == (CardRefundStatus.PENDING, Decimal("150.00"))

    page = login(personas.billing).get(f"/billing/patients/{card_payment.patient_id}/").content.decode()
    assert "A card refund of $150.00 on receipt" in page and "is waiting for the card provider" in page
    # Asking again for the same money while the first is waiting is that refund, still waiting: not a second one.
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="150", reason="Overcharged")
    assert CardRefund.objects.count() == 1

    stripe_api.mode = "up"
    assert card_refunds_retry() == 0  # too soon: the first answer may still be on its way
    CardRefund.objects.update(requested_at=pending.requested_at - dt.timedelta(minutes=10))
    assert card_refunds_retry() == 1
    assert card_refunds_retry() == 0
    assert stripe_api.refund_count == 1
    assert _refunds(card_payment) == [Decimal("-150.00")]
    pending.refresh_from_db()
    assert (pending.status, pending.provider_reference) == (CardRefundStatus.REFUNDED, "re_test_1")
    assert patient_balance(patient=card_payment.patient) == Decimal("200.00")


@pytest.mark.django_db
def test_a_refund_event_without_its_refunds_leaves_a_pending_refund_to_be_asked_again_and_it_is_posted_once(
    card_payment, stripe_api, personas, client
):
    stripe_api.mode = "down"
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Overcharged")
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_r1")
    assert webhook_post(client, event).status_code == 200
    assert _refunds(card_payment) == []  # the event cannot say the $40 is this request's
    assert CardRefund.objects.get().status == CardRefundStatus.PENDING

    stripe_api.mode = "up"
    CardRefund.objects.update(requested_at=clock.now() - dt.timedelta(minutes=10))
    assert card_refunds_retry() == 1  # asked again with its key: the provider answers the refund it made
    refund = Payment.objects.get(refund_of=card_payment)
    assert (refund.amount, refund.note, refund.provider_reference) == (Decimal("-40.00"), "Overcharged", "re_test_1")
    assert CardRefund.objects.get().refund == refund
    assert card_refunds_retry() == 0  # nothing pending any more
    assert webhook_post(client, {**event, "id": "evt_r1_again"}).status_code == 200
    assert _refunds(card_payment) == [Decimal("-40.00")]
    assert stripe_api.refund_count == 1


@pytest.mark.django_db
def test_a_refund_the_provider_refuses_posts_nothing_and_is_answered_with_its_reason(
    card_payment, stripe_api, personas, login
):
    stripe_api.mode = "refusing"
    response = login(personas.billing).post(
        f"/billing/payments/{card_payment.pk}/refund/",
        {"amount": "50.00", "reason": "Overcharged", "confirmed": "yes"},
    )
    assert response.status_code == 409  # the provider's refusal, as every refusal of the ledger's actions
    assert "Nothing was refunded." in response.content.decode()
    assert "refused the refund" in response.content.decode()
    assert _refunds(card_payment) == []
    assert CardRefund.objects.get().status == CardRefundStatus.FAILED
    # Refused, the amount is offered again.
    stripe_api.mode = "up"
    refund = payment_refund(actor=personas.billing, payment=card_payment, amount="150", reason="Overcharged")
    assert refund.amount == Decimal("-150.00")


@pytest.mark.django_db(transaction=True)
def test_two_refunds_of_the_whole_payment_at_once_refund_the_card_once(card_payment, stripe_api, personas):
    def refund():
        return payment_refund(actor=personas.billing, payment=card_payment, amount="150", reason="Overcharged")

    results = at_once(refund, refund)
    # Sent twice without a key, it is one refund: the second sending answers the refund the first made (or, once that
    # refund is made and nothing is left, is refused as more than is left).
    (made,) = Payment.objects.filter(refund_of=card_payment)
    assert made in results
    assert all(r == made or isinstance(r, Unprocessable) for r in results), results
    assert stripe_api.refund_count == 1
    assert _refunds(card_payment) == [Decimal("-150.00")]


@pytest.mark.django_db
def test_a_refund_refused_by_the_provider_leaves_a_package_open_and_nothing_posted(
    stripe_api, personas, offering, client
):
    from apps.billing.models import PackagePurchase
    from apps.billing.services.packages import package_purchase, package_refund

    offering.slides_with_class = False
    offering.save()
    purchase = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient)
    assert webhook_post(client, completed_event(checkout)).status_code == 200
    stripe_api.mode = "refusing"
    with pytest.raises(RefundRefused):
        package_refund(actor=personas.billing, purchase=purchase, reason="Moving away")
    purchase.refresh_from_db()
    assert purchase.status == "active"
    assert not Payment.objects.filter(refund_of__isnull=False).exists()
    stripe_api.mode = "up"
    package_refund(actor=personas.billing, purchase=purchase, reason="Moving away")
    assert PackagePurchase.objects.get().status == "cancelled"
    assert patient_balance(patient=personas.patient) == Decimal("0.00")
    assert stripe_api.refund_count == 1


@pytest.mark.django_db(transaction=True)
def test_closing_a_package_twice_at_once_refunds_the_card_once(stripe_api, personas, offering, client):
    from apps.billing.services.packages import package_purchase, package_refund

    offering.slides_with_class = False
    offering.save()
    purchase = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient)
    assert webhook_post(client, completed_event(checkout)).status_code == 200

    def close():
        return package_refund(actor=personas.billing, purchase=purchase, reason="Moving away")

    results = at_once(close, close)
    assert sorted(type(r).__name__ for r in results) in (
        ["Conflict", "PackagePurchase"],
        ["InvalidTransition", "PackagePurchase"],
    )
    assert stripe_api.refund_count == 1
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


@pytest.mark.django_db
def test_two_pending_refunds_are_each_posted_once_when_the_provider_made_the_later_one_first(
    card_payment, stripe_api, personas, client
):
    stripe_api.mode = "down"
    for amount in ("40", "30"):
        with pytest.raises(ProviderUnavailable):
            payment_refund(actor=personas.billing, payment=card_payment, amount=amount, reason="Overcharged")
    # The provider made the $30 refund first; the event does not list it, so neither waiting request is taken as made.
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=3000, event_id="evt_r30")
    assert webhook_post(client, event).status_code == 200
    assert _refunds(card_payment) == []
    stripe_api.mode = "up"
    CardRefund.objects.update(requested_at=clock.now() - dt.timedelta(minutes=10))
    assert card_refunds_retry() == 2
    assert sorted(_refunds(card_payment)) == [Decimal("-40.00"), Decimal("-30.00")]
    assert stripe_api.refund_count == 2


@pytest.mark.django_db
def test_the_clinics_refund_carries_its_request_id_to_the_provider(card_payment, stripe_api, personas):
    payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Overcharged")
    path, form = stripe_api.requests[-1]
    assert path == "/v1/refunds"
    assert form["metadata[card_refund_id]"] == str(CardRefund.objects.get().pk)


@pytest.mark.django_db
def test_a_dashboard_refund_of_the_same_amount_is_not_taken_for_the_clinics_waiting_refund(
    card_payment, stripe_api, personas, client
):
    stripe_api.mode = "down"
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Overcharged")
    stripe_api.refunds_by_key.clear()  # the clinic's request never reached the provider
    stripe_api.refund_count = 0
    # Someone refunds $40 by hand in the provider's dashboard.
    stripe_api.dashboard_refund(amount=4000)
    event = refunded_event(
        card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_dash", refunds=stripe_api.refunds()
    )
    assert webhook_post(client, event).status_code == 200

    dashboard = Payment.objects.get(refund_of=card_payment)
    assert (dashboard.amount, dashboard.note, dashboard.provider_reference) == (
        Decimal("-40.00"),
        "Refunded by card",
        "re_test_1",
    )
    waiting = CardRefund.objects.get()
    assert waiting.status == CardRefundStatus.PENDING  # still the clinic's own, still to be made
    assert patient_balance(patient=card_payment.patient) == Decimal("90.00")

    # The clinic's refund is made when asked again, and its event matches it by its id.
    stripe_api.mode = "up"
    CardRefund.objects.update(requested_at=clock.now() - dt.timedelta(minutes=10))
    assert card_refunds_retry() == 1
    event = refunded_event(
        card_payment.checkout_for_test, amount_refunded=8000, event_id="evt_both", refunds=stripe_api.refunds()
    )
    assert webhook_post(client, event).status_code == 200
    assert sorted(_refunds(card_payment)) == [Decimal("-40.00"), Decimal("-40.00")]
    waiting.refresh_from_db()
    assert (waiting.status, waiting.refund.note) == (CardRefundStatus.REFUNDED, "Overcharged")


@pytest.mark.django_db
def test_a_refund_event_posts_the_waiting_refund_its_metadata_names(card_payment, stripe_api, personas, client):
    stripe_api.mode = "down"  # both refunds are made, and both answers are lost
    for reason in ("First refund", "Second refund"):  # two refunds of $40, each its own submission
        with pytest.raises(ProviderUnavailable):
            payment_refund(
                actor=personas.billing, payment=card_payment, amount="40", reason=reason, submission_key=uuid.uuid4()
            )
    first, second = CardRefund.objects.order_by("id")
    # The provider's event lists the second one only (the first is still on its way).
    (made,) = [r for r in stripe_api.refunds() if r["metadata"]["card_refund_id"] == str(second.pk)]
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_2", refunds=[made])
    assert webhook_post(client, event).status_code == 200
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (CardRefundStatus.PENDING, CardRefundStatus.REFUNDED)
    assert second.provider_reference == made["id"]
    assert second.refund.provider_reference == made["id"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "refunds",
    [
        {"object": "list", "data": "re_1"},
        {"object": "list", "data": [{"id": 7, "amount": 4000}]},
        {"object": "list", "data": [{"id": "re_1", "amount": "4000"}]},
        {"object": "list", "data": [{"id": "re_1", "amount": 4000, "metadata": "card_refund_id"}]},
    ],
)
def test_a_refund_event_with_malformed_refunds_is_a_400_and_writes_nothing(card_payment, client, refunds):
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_bad")
    event["data"]["object"]["refunds"] = refunds
    response = webhook_post(client, event)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "event_malformed"
    assert _refunds(card_payment) == []


def _provider_refunded(stripe_api) -> Decimal:
    return sum((Decimal(r["amount"]) / 100 for r in stripe_api.refunds() if r["status"] == "succeeded"), Decimal(0))


def _ledger_refunded(payment) -> Decimal:
    return -sum(_refunds(payment), Decimal(0))


def _retry_all():
    CardRefund.objects.filter(status=CardRefundStatus.PENDING).update(
        requested_at=clock.now() - dt.timedelta(minutes=10)
    )
    return card_refunds_retry()


@pytest.mark.django_db
def test_a_refund_event_without_its_refunds_takes_no_waiting_request_as_made_and_the_ledger_ends_at_the_providers(
    card_payment, stripe_api, personas, client
):
    stripe_api.mode = "down"
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="30", reason="Refund A")
    stripe_api.refunds_by_key.clear()  # A never reached the provider
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Refund B")  # made, lost
    refund_a, refund_b = CardRefund.objects.order_by("id")

    event = refunded_event(card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_r40")
    assert webhook_post(client, event).status_code == 200
    # Which request the $40 is cannot be told: nothing is posted as made, and nothing as the provider's own.
    assert _refunds(card_payment) == []
    assert set(CardRefund.objects.values_list("status", flat=True)) == {CardRefundStatus.PENDING}

    stripe_api.mode = "up"
    assert _retry_all() == 2  # each asked again with its own key: B answers the refund it made, A is made now
    refund_a.refresh_from_db()
    refund_b.refresh_from_db()
    assert (refund_a.status, refund_b.status) == (CardRefundStatus.REFUNDED, CardRefundStatus.REFUNDED)
    assert (refund_a.refund.note, refund_b.refund.note) == ("Refund A", "Refund B")
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=7000, event_id="evt_r70")
    assert webhook_post(client, event).status_code == 200
    assert _provider_refunded(stripe_api) == Decimal("70.00") == _ledger_refunded(card_payment)
    assert patient_balance(patient=card_payment.patient) == Decimal("120.00")


@pytest.mark.django_db
def test_a_dashboard_refund_while_the_clinics_waits_is_posted_as_its_own_and_the_clinics_is_still_made(
    card_payment, stripe_api, personas, client
):
    stripe_api.mode = "down"
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Overcharged")
    stripe_api.refunds_by_key.clear()  # the clinic's request never reached the provider
    stripe_api.dashboard_refund(amount=4000)
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_dash")
    assert webhook_post(client, event).status_code == 200
    waiting = CardRefund.objects.get()
    assert waiting.status == CardRefundStatus.PENDING

    stripe_api.mode = "up"
    assert _retry_all() == 1
    waiting.refresh_from_db()
    assert waiting.status == CardRefundStatus.REFUNDED
    (made,) = [r for r in stripe_api.refunds() if r["metadata"].get("card_refund_id") == str(waiting.pk)]
    assert waiting.provider_reference == made["id"]
    event = refunded_event(card_payment.checkout_for_test, amount_refunded=8000, event_id="evt_both")
    assert webhook_post(client, event).status_code == 200
    assert _provider_refunded(stripe_api) == Decimal("80.00") == _ledger_refunded(card_payment)
    assert sorted(Payment.objects.filter(refund_of=card_payment).values_list("note", flat=True)) == [
        "Overcharged",
        "Refunded by card",
    ]
    # The same events again change nothing.
    assert webhook_post(client, event).status_code == 200
    assert _ledger_refunded(card_payment) == Decimal("80.00")


@pytest.mark.django_db
@pytest.mark.parametrize("failing", ["refusing", "down"])
def test_a_package_close_that_fails_part_way_asks_for_none_of_its_other_card_refunds_later(
    stripe_api, personas, offering, client, failing
):
    from apps.billing.models import PackagePurchase
    from apps.billing.services.packages import NOT_ASKED, package_purchase, package_refund

    offering.slides_with_class = False
    offering.save()
    purchase = package_purchase(actor=personas.front_desk, patient=personas.patient, offering=offering)
    for amount in ("200", "300", "500"):  # refunded newest first: $500, then $300, then $200
        checkout = checkout_start(actor=personas.patient_user, patient=personas.patient, amount=Decimal(amount))
        assert webhook_post(client, completed_event(checkout, event_id=f"evt_{amount}")).status_code == 200
    receipts = {p.amount: p.receipt_number for p in Payment.objects.filter(refund_of=None)}
    stripe_api.next_modes = ["up", failing]
    with pytest.raises((RefundRefused, ProviderUnavailable)) as failed:
        package_refund(actor=personas.billing, purchase=purchase, reason="Moving away")
    message = failed.value.message
    assert f"Refunded: $500.00 to receipt {receipts[Decimal('500.00')]}" in message
    assert f"$200.00 on receipt {receipts[Decimal('200.00')]}, not asked" in message
    assert "The package stays open" in message
    assert PackagePurchase.objects.get().status == "active"
    not_asked = CardRefund.objects.get(amount=Decimal("200.00"))
    assert not_asked.status == CardRefundStatus.FAILED
    assert not_asked.failure == NOT_ASKED
    assert stripe_api.refund_count == (1 if failing == "refusing" else 2)

    # Nothing of the close is sent behind staff's back.
    stripe_api.mode = "up"
    _retry_all()
    assert not CardRefund.objects.filter(amount=Decimal("200.00"), status=CardRefundStatus.REFUNDED).exists()
    assert stripe_api.refund_count == (1 if failing == "refusing" else 2)

    # Closed again, it gives back only what is still missing.
    package_refund(actor=personas.billing, purchase=purchase, reason="Moving away")
    assert PackagePurchase.objects.get().status == "cancelled"
    assert stripe_api.refund_count == 3
    assert _provider_refunded(stripe_api) == Decimal("1000.00")
    assert -sum(Payment.objects.filter(refund_of__isnull=False).values_list("amount", flat=True)) == Decimal("1000")
    assert patient_balance(patient=personas.patient) == Decimal("0.00")


@pytest.mark.django_db
def test_a_refusal_for_a_refund_the_event_already_posted_is_logged_for_billing_to_check(
    card_payment, stripe_api, personas, client, caplog
):
    stripe_api.mode = "down"
    with pytest.raises(ProviderUnavailable):
        payment_refund(actor=personas.billing, payment=card_payment, amount="40", reason="Overcharged")
    event = refunded_event(
        card_payment.checkout_for_test, amount_refunded=4000, event_id="evt_r40", refunds=stripe_api.refunds()
    )
    assert webhook_post(client, event).status_code == 200
    card_refund = CardRefund.objects.get()
    assert card_refund.status == CardRefundStatus.REFUNDED

    stripe_api.mode = "refusing"
    with caplog.at_level("ERROR", logger="apps.billing.services.payments"):
        posted = card_refund_send(card_refund=card_refund)
    assert posted == card_refund.refund
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert str(card_refund.pk) in record.getMessage()
    assert "Overcharged" not in record.getMessage() and card_payment.patient.legal_last_name not in record.getMessage()
    card_refund.refresh_from_db()
    assert card_refund.status == CardRefundStatus.REFUNDED


@pytest.mark.django_db
def test_a_card_refund_form_sent_again_asks_the_provider_again_with_its_key_and_refunds_once(
    card_payment, stripe_api, personas
):
    refund = {"actor": personas.billing, "payment": card_payment, "reason": "Overcharged"}
    key = uuid.uuid4()
    stripe_api.mode = "down"  # the first sending's answer is lost: the request waits
    with pytest.raises(ProviderUnavailable):
        payment_refund(**refund, amount="150", submission_key=key)
    stripe_api.mode = "up"
    posted = payment_refund(**refund, amount="150", submission_key=key)  # sent again: the same request, asked again
    again = payment_refund(**refund, amount="150", submission_key=key)
    assert (posted.replayed, again.replayed, again.pk) == (True, True, posted.pk)
    assert stripe_api.refund_count == 1 and CardRefund.objects.count() == 1
    assert _refunds(card_payment) == [Decimal("-150.00")]
    with pytest.raises(Conflict, match=r"already recorded a card refund of \$150\.00"):
        payment_refund(**refund, amount="100", submission_key=key)
