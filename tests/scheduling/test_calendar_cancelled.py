"""Cancelled and late-cancelled sessions stay on the calendar, as no-shows do: labelled, with the late-cancel fee
for staff who see accounts, and a cancelled slot faded so it reads as free to book."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.billing.models import Charge
from apps.core import clock
from apps.core.money import money_text
from apps.scheduling import services
from tests.factories import AppointmentFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _session_at(clinic, start: dt.datetime, patient=None):
    return AppointmentFactory(
        therapist=clinic.therapist,
        patient=patient or clinic.patient,
        service_type=clinic.individual,
        start=start,
        end=start + dt.timedelta(minutes=45),
    )


def _range_around(start: dt.datetime) -> dict:
    day = clock.in_zone(start, clock.clinic_tz()).date()
    return {"start": day.isoformat(), "end": (day + dt.timedelta(days=2)).isoformat()}


def test_a_late_cancelled_session_stays_on_the_calendar_with_its_fee(priced, session, frozen_now, login):
    frozen_now.move_to(at(MONDAY, 7))  # three hours before the session: inside the 24-hour window
    services.appointment_cancel(appointment=session, actor=priced.front_desk, reason="Patient request")
    session.refresh_from_db()
    assert session.status == "late_cancelled"
    fee = Charge.objects.get(appointment=session, kind="late_cancel").amount
    events = login(priced.front_desk).get(reverse("scheduling:calendar_events"), _range_around(session.start)).json()
    [event] = [e for e in events if e.get("id") == session.pk]
    assert event["extendedProps"]["state"] == f"Late cancelled · {money_text(fee)} fee"
    assert "status-late_cancelled" in event["classNames"]
    # A therapist, who sees no accounts, sees the late cancel without the fee.
    events = login(priced.therapist).get(reverse("scheduling:calendar_events"), _range_around(session.start)).json()
    [event] = [e for e in events if e.get("id") == session.pk]
    assert event["extendedProps"]["state"] == "Late cancelled"


def test_a_cancelled_session_stays_on_the_calendar_labelled_and_freed(clinic, login):
    start = clock.now().replace(second=0, microsecond=0) + dt.timedelta(days=5)
    session = _session_at(clinic, start)
    services.appointment_cancel(appointment=session, actor=clinic.front_desk, reason="Illness")
    events = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), _range_around(start)).json()
    [event] = [e for e in events if e.get("id") == session.pk]
    assert event["extendedProps"]["state"] == "Cancelled"
    assert "status-cancelled" in event["classNames"]
