"""Booking checks: apps above scheduling register refusals; every booking path asks them all before writing."""

import pytest

from apps.core.errors import Conflict
from apps.scheduling import extensions
from apps.scheduling.extensions import BookingChecks
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book
from tests.factories import ServiceTypeFactory, _next_monday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def checks(monkeypatch):
    fresh = BookingChecks()
    monkeypatch.setattr(extensions, "booking_checks", fresh)
    return fresh


def test_the_first_refusal_in_registration_order_wins_and_is_asked_with_the_booking(personas, checks):
    asked = []

    def first(**kwargs):
        asked.append(kwargs)
        return None

    checks.register(first)
    checks.register(first)  # registering twice asks once
    checks.register(lambda **kwargs: "Refused by the second check.")
    checks.register(lambda **kwargs: "Never reached.")
    service = ServiceTypeFactory()
    with pytest.raises(Conflict) as refused:
        appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=personas.patient,
            service_type=service,
            start=_next_monday_at(10),
            override_reason="Booked in a test",
        )
    assert refused.value.message == "Refused by the second check."
    assert len(asked) == 1 and asked[0]["patient"] == personas.patient and asked[0]["series"] is False
    assert asked[0]["starts"] == [_next_monday_at(10)]
    assert not Appointment.objects.exists()


def test_a_group_meeting_has_no_patient_to_refuse(checks):
    checks.register(lambda **kwargs: "Refused.")
    assert checks.refusal(patient=None, therapist=None, service_type=None, starts=[], series=False) is None
