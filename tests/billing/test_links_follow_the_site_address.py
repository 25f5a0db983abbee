"""Links the clinic sends or redirects to are on its configured public address, never a guessed host.

`make run` sets that address to the one it serves (http://127.0.0.1:$PORT), so a card payment made in the demo
returns to the demo rather than dead-ending at another port.
"""

import pytest

from apps.billing.models import CheckoutSession
from apps.scheduling.reminders import appointment_reminders_schedule
from tests.factories import AppointmentFactory

SERVED = "http://127.0.0.1:8123"
pytestmark = pytest.mark.django_db


@pytest.fixture
def owing_patient(owing_patient, settings):
    settings.SITE_URL = SERVED
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"  # what `make run` uses
    return owing_patient


def test_the_card_checkout_redirect_and_its_return_are_on_the_served_address(owing_patient, personas, login):
    response = login(personas.patient_user).post("/portal/billing/pay/", {"amount": "20.00"})
    assert response.status_code == 302
    assert response["Location"].startswith(SERVED + "/portal/billing/")
    checkout = CheckoutSession.objects.get()
    assert checkout.redirect_url.startswith(SERVED + "/")


def test_reminder_links_are_on_the_served_address(owing_patient, personas):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=owing_patient)
    [reminder] = appointment_reminders_schedule(appointment=appointment)
    assert reminder.context["confirm_url"].startswith(SERVED + "/")
    assert reminder.context["cancel_url"].startswith(SERVED + "/")
