"""A card refund sent from the account page while another on the same payment waits for the provider asks first:
the person retrying learns the first is not lost, and only confirming that very question makes a second refund (two
genuine refunds of one payment stay possible). The page keeps listing the refund that waits."""

import html
import re
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from apps.billing.models import CardRefund, CardRefundStatus
from apps.core.time_zones import zone_time
from apps.core.when import clock_text

pytestmark = pytest.mark.django_db

FORTY = {"amount": "40.00", "reason": "Overcharged"}
HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def _url(payment) -> str:
    return f"/billing/payments/{payment.pk}/refund/"


@pytest.fixture
def one_waiting(card_payment, stripe_api, personas, login):
    """Billing refunded $40 of the card payment from its account page; the provider's answer was lost."""
    client = login(personas.billing)
    stripe_api.mode = "down"
    sent = {**FORTY, "submission_key": str(uuid.uuid4()), "confirmed": "yes"}
    page = client.post(_url(card_payment), sent, follow=True).content.decode()
    assert "is waiting for it" in page
    assert stripe_api.refund_count == 1
    return client


def _question(card_refund) -> str:
    asked = timezone.localtime(card_refund.requested_at, ZoneInfo(settings.TIME_ZONE))
    clock = f"{asked:%b} {asked.day} at {clock_text(asked)} {zone_time(ZoneInfo(settings.TIME_ZONE))}"
    return (
        f"A refund of $40.00 on this payment from {clock} is still waiting for the card provider; it will be posted "
        "once the provider confirms it and will not be made twice. Refund another $40.00 as well?"
    )


def test_a_second_refund_while_one_waits_asks_first_and_the_provider_is_not_asked(
    one_waiting, card_payment, stripe_api, personas
):
    asked = one_waiting.post(_url(card_payment), {**FORTY, "submission_key": str(uuid.uuid4())})
    assert asked.status_code == 200
    page = html.unescape(asked.content.decode())
    assert _question(CardRefund.objects.get()) in page
    assert "Yes, refund another $40.00" in page and "No, wait for the first" in page
    assert stripe_api.refund_count == 1
    assert CardRefund.objects.count() == 1
    ledger = one_waiting.get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    assert "A card refund of $40.00" in ledger and "is waiting for the card provider" in ledger


def test_confirming_a_plain_refund_question_while_one_waits_is_asked_again(one_waiting, card_payment, stripe_api):
    # The plain "Refund $40.00?" was answered (in another tab, say) before the first refund was left waiting.
    sent = {**FORTY, "submission_key": str(uuid.uuid4()), "confirmed": "yes"}
    asked = one_waiting.post(_url(card_payment), sent)
    assert asked.status_code == 200
    assert "Yes, refund another $40.00" in asked.content.decode()
    assert stripe_api.refund_count == 1
    assert CardRefund.objects.count() == 1


def test_confirming_the_question_makes_exactly_one_more_refund(one_waiting, card_payment, stripe_api):
    asked = one_waiting.post(_url(card_payment), {**FORTY, "submission_key": str(uuid.uuid4())})
    confirmation = dict(HIDDEN.findall(asked.content.decode()))
    stripe_api.mode = "up"
    done = one_waiting.post(_url(card_payment), confirmation, follow=True)
    assert "Refund posted." in done.content.decode()
    assert stripe_api.refund_count == 2
    statuses = sorted(CardRefund.objects.values_list("status", flat=True))
    assert statuses == sorted([CardRefundStatus.PENDING, CardRefundStatus.REFUNDED])
    # Sent again (a second click), the confirmation answers the refund it made.
    again = one_waiting.post(_url(card_payment), confirmation, follow=True)
    assert "already recorded" in again.content.decode()
    assert stripe_api.refund_count == 2


def _asked_on(card_refund) -> str:
    asked = timezone.localtime(card_refund.requested_at, ZoneInfo(settings.TIME_ZONE))
    return f"{asked:%b} {asked.day} at {clock_text(asked)} {zone_time(ZoneInfo(settings.TIME_ZONE))}"


def test_with_two_refunds_waiting_the_question_names_the_payment_once_and_each_refund(
    one_waiting, card_payment, stripe_api
):
    asked = one_waiting.post(_url(card_payment), {**FORTY, "submission_key": str(uuid.uuid4())})
    one_waiting.post(_url(card_payment), dict(HIDDEN.findall(asked.content.decode())), follow=True)  # still down
    first, second = CardRefund.objects.order_by("pk")
    assert (first.status, second.status) == (CardRefundStatus.PENDING, CardRefundStatus.PENDING)
    again = one_waiting.post(
        _url(card_payment), {"amount": "10.00", "reason": "Parking", "submission_key": uuid.uuid4()}
    )
    page = " ".join(html.unescape(again.content.decode()).split())
    (question,) = re.findall(r"<h1>(.*?)</h1>", page)
    assert question == (
        f"Two refunds on this payment are still waiting for the card provider: $40.00 asked {_asked_on(first)} and "
        f"$40.00 asked {_asked_on(second)}. Each will be posted once the provider confirms it, and neither will be "
        "made twice. Refund another $10.00 as well?"
    )
    assert question.count("on this payment") == 1
    assert "Yes, refund another $10.00" in page and "No, wait for those two" in page
    assert stripe_api.refund_count == 2
