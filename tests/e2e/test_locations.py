"""A second office in another zone, in real Chromium: an admin opens it with a room, the front desk sees its week
in its own time, and a patient who lives elsewhere reads each session at the office's time and at their own."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from apps.core import clock
from apps.scheduling import services
from apps.scheduling.models import Location, Room, WorkingHours
from tests.e2e.conftest import assert_accessible, follow, next_monday, sign_in, sign_out
from tests.factories import ServiceTypeFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

LOS_ANGELES, CHICAGO = ZoneInfo("America/Los_Angeles"), ZoneInfo("America/Chicago")


def test_a_second_office_in_another_zone_from_opening_to_the_patients_sessions(page, personas):
    sign_in(page, personas.admin)
    page.goto("/schedule/locations/")
    follow(page, page.get_by_role("link", name="Add a location"))
    page.get_by_label("Name").fill("West office")
    page.get_by_label("Time zone").select_option("America/Los_Angeles")
    page.get_by_label("City").fill("Pasadena")
    follow(page, page.get_by_role("button", name="Add the location"))
    page.get_by_role("heading", name="West office").wait_for()
    assert_accessible(page)
    rooms = page.get_by_role("region", name="Rooms")
    rooms.get_by_label("Name").fill("Pacific")
    follow(page, page.get_by_role("button", name="Add the room"))
    page.get_by_role("region", name="Rooms").get_by_text("Pacific").wait_for()
    sign_out(page)

    west = Location.objects.get(name="West office")
    assert west.time_zone == "America/Los_Angeles"
    monday = next_monday()
    WorkingHours.objects.create(
        therapist=personas.therapist, location=west, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    start = clock.local_datetime(monday, dt.time(10), LOS_ANGELES)
    services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=start,
        room=Room.objects.get(name="Pacific"),
    )

    sign_in(page, personas.front_desk)
    page.goto(f"/schedule/?date={monday.isoformat()}&location={west.pk}")
    event = page.locator(".fc-event", has_text=personas.patient.display_name)
    event.wait_for()
    assert "10:00" in event.inner_text() and "Pacific" in event.inner_text()
    assert "West office" in page.locator("#calendar-zone").inner_text()
    assert_accessible(page)
    sign_out(page)

    sign_in(page, personas.patient_user)
    page.goto("/portal/settings/")
    page.get_by_label("Your time zone").select_option("America/Chicago")
    follow(page, page.get_by_role("button", name="Save contact details"))
    page.goto("/portal/sessions/")
    there, here = start.astimezone(LOS_ANGELES), start.astimezone(CHICAGO)
    expected = f"{there:%-I:%M %p} Los Angeles time ({here:%-I:%M %p} your time)"
    page.get_by_text(expected).first.wait_for()
    assert_accessible(page)
