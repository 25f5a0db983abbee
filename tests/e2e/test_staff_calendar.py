"""The staff calendar in real Chromium: FullCalendar loads under the strict CSP, shows sessions in clinic time even
from a browser in another time zone, a click on an empty slot books there, and a phone gets the day's list."""

import datetime as dt

import pytest

from apps.core import clock
from apps.scheduling import services
from apps.scheduling.models import Appointment
from tests.e2e.conftest import PHONE, assert_accessible, calendar_slot_point, follow, next_monday, session_start
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

    session_start(page, personas.front_desk, open_home=False)
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
    page.get_by_label("Patient").select_option(label=personas.other_patient.choice_label)
    page.get_by_label("Service type").select_option(index=1)
    page.get_by_label("First date").fill(monday.isoformat())
    page.get_by_label("Time").fill("10:15")
    page.get_by_label("Number of sessions").fill("3")
    page.get_by_label("Number of sessions").blur()
    preview = page.locator("#series-preview")
    preview.get_by_text("3 dates, 1 of them blocked").wait_for()
    assert "already has a session on" in preview.inner_text()
    assert preview.get_by_role("link", name="Open").get_attribute("href") == f"/schedule/appointments/{session.pk}/"

    page.goto(f"/schedule/appointments/{session.pk}/")
    page.get_by_role("heading", name=personas.patient.display_name).wait_for()
    assert problems == []


def test_front_desk_books_a_session_in_the_slot_they_click(page, personas, tmp_path):
    give_working_hours(personas.therapist, start=dt.time(9, 0), end=dt.time(17, 0))
    give_working_hours(personas.other_therapist)
    service = ServiceTypeFactory()
    monday = next_monday()
    tuesday = monday + dt.timedelta(days=1)
    for therapist, patient in ((personas.therapist, personas.patient), (personas.other_therapist, None)):
        services.appointment_book(
            actor=personas.front_desk,
            therapist=therapist,
            patient=patient or personas.other_patient,
            service_type=service,
            start=clock.local_datetime(monday, dt.time(10, 0)),
        )

    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/schedule/?date={monday}&view=week")
    events = page.locator(".fc-timegrid-event")
    events.nth(1).wait_for()
    # Two sessions at the same time stand side by side, each in its therapist's colour.
    first, second = events.nth(0).bounding_box(), events.nth(1).bounding_box()
    assert first["x"] + first["width"] <= second["x"] + 1 or second["x"] + second["width"] <= first["x"] + 1
    colours = {events.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(2)}
    assert len(colours) == 2
    # Time outside everyone's working hours is shaded: the evening, and the whole weekend.
    assert page.locator(".fc-timegrid-col .fc-non-business").count() >= 7
    page.screenshot(path=str(tmp_path / "week.png"), full_page=True)

    # With one therapist chosen, a click on a free time books with them there.
    page.get_by_label("Therapists", exact=True).select_option(str(personas.therapist.pk))
    page.get_by_role("button", name="Filter").click()
    page.locator(".fc-timegrid-event").nth(1).wait_for(state="detached")
    page.mouse.click(*calendar_slot_point(page, tuesday, "14:00:00"))
    page.get_by_role("heading", name="Book a session").wait_for()
    assert page.get_by_label("Therapist").input_value() == str(personas.therapist.pk)
    assert page.get_by_label("Date").input_value() == str(tuesday)
    assert page.get_by_label("Time").input_value().startswith("14:00")
    page.get_by_label("Patient").select_option(label=personas.patient.choice_label)
    page.get_by_label("Service type").select_option(str(service.pk))
    follow(page, page.get_by_role("button", name="Book"))
    page.get_by_text("Session booked.").wait_for()
    booked = Appointment.objects.get(start=clock.local_datetime(tuesday, dt.time(14, 0)))
    assert (booked.therapist, booked.patient, booked.service_type) == (personas.therapist, personas.patient, service)

    # Dragging over 45 minutes picks the 45-minute service as well.
    page.goto(f"/schedule/?date={monday}&view=week&therapist={personas.therapist.pk}")
    page.locator(".fc-timegrid-event").first.wait_for()
    x, y = calendar_slot_point(page, tuesday, "15:00:00")
    _, y_end = calendar_slot_point(page, tuesday, "15:30:00")
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x, y_end, steps=8)
    page.mouse.up()
    page.get_by_role("heading", name="Book a session").wait_for()
    assert page.get_by_label("Service type").input_value() == str(service.pk)
    assert page.get_by_label("Time").input_value().startswith("15:00")


def test_on_a_phone_the_calendar_opens_on_the_days_list(new_page, personas, tmp_path):
    give_working_hours(personas.therapist)
    monday = next_monday()
    services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=clock.local_datetime(monday, dt.time(11, 0)),
        room=RoomFactory(name="Cedar"),
    )
    page = new_page(PHONE)
    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/schedule/?date={monday}")
    row = page.locator(".fc-list-event", has_text=personas.patient.display_name)
    row.wait_for()
    assert "11:00" in row.inner_text() and "Cedar" in row.inner_text()
    assert page.locator(".fc-timegrid").count() == 0
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(tmp_path / "phone-list.png"), full_page=True)
    assert_accessible(page)
    page.get_by_role("button", name="Day", exact=True).click()
    page.locator(".fc-timegrid-event", has_text=personas.patient.display_name).wait_for()
    page.screenshot(path=str(tmp_path / "phone-day.png"), full_page=True)
