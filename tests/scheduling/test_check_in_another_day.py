"""Checking in a session on another day than its own is refused as checking in too early or too late is: 409, saying
when check-in opens or what to do instead, in the same words on the session page and through the API (one check).
Times come from the real clock, whatever the hour and the weekday the tests run."""

import datetime as dt
import html

import pytest
from django.urls import reverse

from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.core.when import day_text
from apps.scheduling import services
from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def _session(personas, *, days_from_today: int) -> Appointment:
    """A 45-minute session at this very wall-clock time, `days_from_today` days away in the clinic's calendar."""
    now = clock.local_now()
    start = clock.local_datetime(now.date() + dt.timedelta(days=days_from_today), now.time().replace(microsecond=0))
    return AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )


def _refused_alike(personas, login, session: Appointment) -> str:
    """The refusal as the API answers it and as the session page says it: the same status and the same words."""
    with pytest.raises(InvalidTransition) as refused:
        services.appointment_check_in(appointment=session, actor=personas.front_desk)
    message = refused.value.message

    answer = login(personas.front_desk, api=True).post(f"/api/appointments/{session.pk}/check-in/")
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == message

    page = login(personas.front_desk).post(
        reverse("scheduling:appointment_action", args=[session.pk, "check-in"]), follow=True
    )
    assert page.status_code == 200
    assert message in html.unescape(page.content.decode())

    assert Appointment.objects.get(pk=session.pk).status == AppointmentStatus.BOOKED
    return message


def _weekday_day(day: dt.date) -> str:
    return f"{day:%A}, {day_text(day)}"


def test_checking_in_tomorrows_session_is_refused_with_the_day_it_opens(personas, login):
    session = _session(personas, days_from_today=1)
    message = _refused_alike(personas, login, session)
    assert message.startswith(f"This session is on {_weekday_day(session.local_start.date())}: check-in opens that day")
    assert "check-in" not in services.outcomes_open(session)


def test_checking_in_a_session_next_week_is_refused_with_the_day_it_opens(personas, login):
    session = _session(personas, days_from_today=7)
    message = _refused_alike(personas, login, session)
    assert f"on {_weekday_day(session.local_start.date())}" in message


def test_checking_in_yesterdays_session_says_it_ended_and_what_to_record_instead(personas, login):
    session = _session(personas, days_from_today=-1)
    message = _refused_alike(personas, login, session)
    ended = session.end.astimezone(session.zone)
    assert f"ended at {ended:%-I:%M %p} on {_weekday_day(ended.date())} without a check-in" in message
    assert "record it as completed or as a no-show" in message
    assert services.outcomes_open(session) == {"complete", "no-show"}
