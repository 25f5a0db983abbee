"""Check-in opens two hours before a session on its day and closes when it ends: earlier, on another day or after
it, the desk is refused with when it opens (409) and the session's pages offer no Check in button."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core.errors import InvalidTransition
from apps.scheduling import services
from tests.factories import AppointmentFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db
FRIDAY = MONDAY - dt.timedelta(days=3)  # the day frozen_now stands on, at 9:00 AM


def _session(clinic, start):
    return AppointmentFactory(
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=start,
        end=start + dt.timedelta(minutes=45),
    )


def test_checking_in_hours_before_the_session_is_refused_with_when_it_opens(clinic, frozen_now, login):
    session = _session(clinic, at(FRIDAY, 16))
    with pytest.raises(InvalidTransition, match=r"Check-in opens at 2:00 PM, two hours before the session\."):
        services.appointment_check_in(appointment=session, actor=clinic.front_desk)
    assert "check-in" not in services.outcomes_open(session)
    client = login(clinic.front_desk)
    response = client.post(reverse("scheduling:appointment_action", args=[session.pk, "check-in"]))
    session.refresh_from_db()
    assert session.status == "booked"
    page = client.get(reverse("scheduling:appointment_detail", args=[session.pk])).content.decode()
    assert "Check-in opens at 2:00 PM" in response.content.decode() or "Check-in opens at 2:00 PM" in page
    assert ">Check in</button>" not in page


def test_check_in_opens_two_hours_before_the_session(clinic, frozen_now):
    session = _session(clinic, at(FRIDAY, 16))
    frozen_now.move_to(at(FRIDAY, 14))
    assert "check-in" in services.outcomes_open(session)
    services.appointment_check_in(appointment=session, actor=clinic.front_desk)
    session.refresh_from_db()
    assert session.status == "checked_in"


def test_a_session_that_has_ended_is_not_checked_in_but_completed_or_marked_a_no_show(clinic, frozen_now):
    session = _session(clinic, at(FRIDAY, 7))
    with pytest.raises(InvalidTransition, match="ended at 7:45 AM"):
        services.appointment_check_in(appointment=session, actor=clinic.front_desk)
    assert services.outcomes_open(session) == {"complete", "no-show"}
