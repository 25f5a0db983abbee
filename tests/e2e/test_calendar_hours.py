"""The week and day grids in real Chromium draw a session at 9 PM and one at 6:30 AM, outside the working hours the
grid otherwise shows, and a 1 AM session on the day's grid."""

import datetime as dt

import pytest

from apps.core import clock
from tests.e2e.conftest import session_start
from tests.factories import AppointmentFactory, ServiceTypeFactory
from tests.places import coming_thursday
from tests.scheduling.conftest import give_working_hours

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


def _session(personas, day, hour, minute=0):
    start = clock.local_datetime(day, dt.time(hour, minute))
    return AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=start,
        end=start + dt.timedelta(minutes=45),
    )


def test_sessions_outside_working_hours_are_drawn_on_the_week_and_day_grids(page, personas):
    give_working_hours(personas.therapist)
    thursday = coming_thursday()
    _session(personas, thursday, 21)
    _session(personas, thursday - dt.timedelta(days=1), 6, 30)
    session_start(page, personas.front_desk, open_home=False)

    page.goto(f"/schedule/?view=week&date={thursday.isoformat()}")
    page.locator(".fc-timegrid-event", has_text="9:00 PM").wait_for()
    page.locator(".fc-timegrid-event", has_text="6:30 AM").wait_for()
    assert page.locator('td.fc-timegrid-slot-lane[data-time="06:00:00"]').count() == 1
    assert page.locator('td.fc-timegrid-slot-lane[data-time="21:45:00"]').count() == 1
    late = page.locator(".fc-timegrid-event", has_text="9:00 PM").bounding_box()
    nine = page.locator('td.fc-timegrid-slot-lane[data-time="21:00:00"]').bounding_box()
    assert abs(late["y"] - nine["y"]) < 4  # drawn at its hour, not squashed onto the grid's edge

    friday = thursday + dt.timedelta(days=1)
    _session(personas, friday, 1)
    page.goto(f"/schedule/?view=day&date={friday.isoformat()}")
    page.locator(".fc-timegrid-event", has_text="1:00 AM").wait_for()
    assert page.locator('td.fc-timegrid-slot-lane[data-time="01:00:00"]').count() == 1
