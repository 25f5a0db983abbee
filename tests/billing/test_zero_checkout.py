"""A checkout completed for nothing (`amount_total: 0`, e.g. a 100% discount at the provider) is acknowledged and
posts nothing, instead of failing so that the provider retries it forever."""

import logging
from decimal import Decimal

import pytest

from apps.billing.models import CheckoutSession, Payment, ProviderEvent
from apps.billing.selectors.ledger import patient_balance
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.checkout import checkout_start

from .helpers import past_appointment
from .stripe_standin import completed_event, webhook_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkout(stripe_api, personas, fee_config):
    charge_for_appointment_outcome(
        appointment=past_appointment(personas.patient, service_type=fee_config["90834"]), actor=None
    )
    return checkout_start(actor=personas.patient_user, patient=personas.patient, amount=Decimal("150.00"))


def test_a_checkout_completed_for_nothing_is_acknowledged_and_posts_nothing(checkout, client, caplog):
    event = completed_event(checkout, event_id="evt_zero_total")
    event["data"]["object"]["amount_total"] = 0
    with caplog.at_level(logging.WARNING, logger="apps.billing.services.checkout"):
        response = webhook_post(client, event)
    assert response.status_code == 200, response.content
    assert not Payment.objects.exists()
    assert patient_balance(patient=checkout.patient) == Decimal("200.00")
    assert ProviderEvent.objects.filter(event_id="evt_zero_total").exists()  # a redelivery is not applied again
    assert CheckoutSession.objects.get().status == "open"
    assert "evt_zero_total" in caplog.text
    assert webhook_post(client, event).json()["applied"] is False
