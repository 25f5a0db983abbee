"""A session that runs past midnight on its office's clock belongs to the day it starts: My day lists it there once,
with its real end time, and not again on the next day."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.scheduling import services
from tests.factories import ServiceTypeFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db
TUESDAY = MONDAY + dt.timedelta(days=1)


@pytest.fixture
def late_session(clinic):
    """MONDAY 23:30 to Tuesday 00:20, clinic time: a 50-minute session booked outside the working hours."""
    fifty = ServiceTypeFactory(code="90837", name="Individual psychotherapy, 50 min", duration_minutes=50)
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=fifty,
        start=at(MONDAY, 23, 30),
        room=clinic.willow,
        override_reason="Patient's night shift",
    )


def _my_day(client, day: dt.date) -> str:
    response = client.get(reverse("scheduling:my_day"), {"date": day.isoformat()})
    assert response.status_code == 200
    return response.content.decode()


def test_a_session_past_midnight_is_listed_once_on_the_day_it_starts(clinic, late_session, login):
    therapist = login(clinic.therapist)
    detail = reverse("scheduling:appointment_detail", args=[late_session.pk])

    monday = _my_day(therapist, MONDAY)
    tuesday = _my_day(therapist, TUESDAY)

    assert monday.count(detail) == 1 and "11:30 PM–12:20 AM" in monday
    assert detail not in tuesday and "No sessions this day." in tuesday
