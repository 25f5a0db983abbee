"""The staff calendar in real Chromium: FullCalendar loads under the strict CSP, shows sessions in clinic time even
from a browser in another time zone, and a click on an empty slot opens the booking form at that time."""

import datetime as dt

import pytest

from apps.core import clock
from apps.scheduling import services
from tests.e2e.conftest import assert_accessible, sign_in
from tests.factories import RoomFactory, ServiceTypeFactory
from tests.scheduling.conftest import give_working_hours

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]


@pytest.fixture
def tokyo_page(browser, live_server):
    """A front-desk laptop whose clock is set to Tokyo: the calendar must still show Boston clinic time."""
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_front_desk_sees_the_week_and_books_by_clicking_an_empty_slot(tokyo_page, personas):
    page = tokyo_page
    give_working_hours(personas.therapist)
    today = clock.local_now().date()
    monday = today + dt.timedelta(days=(7 - today.weekday()) or 7)
    session = services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=clock.local_datetime(monday, dt.time(10, 0)),
        room=RoomFactory(name="Willow"),
    )
    problems = []
    # Script errors and anything the Content Security Policy blocks (a missing favicon is no concern here).
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    sign_in(page, personas.front_desk)
    page.goto(f"/schedule/?date={monday.isoformat()}")
    event = page.locator(".fc-event", has_text=personas.patient.display_name)
    event.wait_for()
    assert "10:00" in event.inner_text() and "Willow" in event.inner_text()
    assert_accessible(page)

    page.locator('td.fc-timegrid-slot-lane[data-time="14:00:00"]').scroll_into_view_if_needed()
    column = page.locator(f'td.fc-timegrid-col[data-date="{monday + dt.timedelta(days=1)}"]').bounding_box()
    lane = page.locator('td.fc-timegrid-slot-lane[data-time="14:00:00"]').bounding_box()
    page.mouse.click(column["x"] + column["width"] / 2, lane["y"] + lane["height"] / 2)
    page.get_by_role("heading", name="Book a session").wait_for()
    assert page.get_by_label("Date").input_value() == str(monday + dt.timedelta(days=1))
    assert page.get_by_label("Time").input_value().startswith("14:00")

    # The series form previews its dates as they are typed: the first Monday collides with the session above.
    page.goto("/schedule/series/new/")
    page.get_by_label("Therapist").select_option(label=personas.therapist.full_name)
    page.get_by_label("Patient").select_option(label=personas.other_patient.display_name)
    page.get_by_label("Service type").select_option(index=1)
    page.get_by_label("First date").fill(monday.isoformat())
    page.get_by_label("Time").fill("10:15")
    page.get_by_label("Number of sessions").fill("3")
    page.get_by_label("Number of sessions").blur()
    preview = page.locator("#series-preview")
    preview.get_by_text("3 dates, 1 of them blocked").wait_for()
    assert f"appointment #{session.pk}" in preview.inner_text()

    page.goto(f"/schedule/appointments/{session.pk}/")
    page.get_by_role("heading", name=personas.patient.display_name).wait_for()
    assert problems == []
