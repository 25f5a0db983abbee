"""Billing's home page lists the card refunds waiting for the provider, oldest first, with their age, patient,
amount and account; one still waiting past the retry window (when the clinic stops asking again) is marked, with
what to do: check it in the provider's dashboard."""

import datetime as dt
import re

import pytest

from apps.billing.models import CardRefund, Payment
from apps.billing.payments import ProviderUnavailable
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start
from apps.billing.services.payments import payment_refund
from apps.core import clock

from .helpers import past_appointment
from .stripe_standin import completed_event, webhook_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_waiting(stripe_api, personas, fee_config, client):
    """Two refunds of a $150 card payment the provider has not answered: $40 asked 21 hours ago, $30 an hour ago."""
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    checkout = checkout_start(actor=personas.patient_user, patient=personas.patient, amount=150)
    assert webhook_post(client, completed_event(checkout)).status_code == 200
    payment = Payment.objects.get(method="card_online")
    stripe_api.mode = "down"
    for amount, hours in (("40", 21), ("30", 1)):
        with pytest.raises(ProviderUnavailable):
            payment_refund(actor=personas.billing, payment=payment, amount=amount, reason="Overcharged")
        CardRefund.objects.filter(pk=CardRefund.objects.latest("id").pk).update(
            requested_at=clock.now() - dt.timedelta(hours=hours)
        )
    return payment


def _rows(page: str) -> list[str]:
    section = page.split('id="card-refunds-h"', 1)[1].split("</section>", 1)[0]
    return re.findall(r"<tr[ >].*?</tr>", section, flags=re.S)[1:]  # without the header row


def test_billing_sees_the_refunds_waiting_for_the_provider_the_old_one_marked(two_waiting, personas, login):
    page = login(personas.billing).get("/billing/").content.decode()
    old, recent = _rows(page)
    account = f'href="/billing/patients/{personas.patient.pk}/"'
    assert "$40.00" in old and account in old and personas.patient.display_name in old
    assert "21\xa0hours ago" in old
    assert "Past the retry window" in old
    assert "$30.00" in recent and account in recent and "Past the retry window" not in recent
    assert "check it in the card provider's dashboard" in page


def test_the_account_page_lists_the_same_waiting_refunds(two_waiting, personas, login):
    page = login(personas.billing).get(f"/billing/patients/{personas.patient.pk}/").content.decode()
    assert "A card refund of $40.00" in page and "A card refund of $30.00" in page
    assert "Past the retry window" in page


def test_with_nothing_waiting_the_home_page_has_no_such_list(personas, login):
    page = login(personas.billing).get("/billing/").content.decode()
    assert 'id="card-refunds-h"' not in page
