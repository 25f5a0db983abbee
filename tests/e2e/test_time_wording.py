"""Times and dates in real Chromium read as every page and message says them: the session page, the calendar, My day
and the front desk's day say "6:00 PM–6:45 PM" (never "18:00"), the time-off form fills "13:00" (never with
seconds), and the duplicate-chart warning gives a birth date in words."""

import datetime as dt
import os
import re
from pathlib import Path

import pytest

from apps.core import clock
from apps.core.when import day_text
from apps.scheduling import services
from tests.e2e.conftest import assert_accessible, follow, next_monday, session_start
from tests.factories import AppointmentFactory, RoomFactory, ServiceTypeFactory
from tests.scheduling.conftest import give_working_hours

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.e2e]

TWENTY_FOUR_HOUR = re.compile(r"\b(1[3-9]|2[0-3]):[0-5]\d\b")


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go: CLINIC_SCREENSHOT_DIR to keep and look at them, else the test's own temporary folder."""
    folder = Path(os.environ.get("CLINIC_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def evening(personas):
    """Next Monday 6:00-6:45 PM with the therapist, in Willow."""
    give_working_hours(personas.therapist)
    return services.appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=ServiceTypeFactory(),
        start=clock.local_datetime(next_monday(), dt.time(18, 0)),
        room=RoomFactory(name="Willow"),
    )


def _main_text(page) -> str:
    return page.locator("main").inner_text()


def test_the_front_desk_reads_a_sessions_time_alike_on_its_page_and_the_calendar(page, personas, evening, shots):
    session_start(page, personas.front_desk, open_home=False)
    page.goto(f"/schedule/appointments/{evening.pk}/")
    when = page.locator("dt", has_text="When").locator("xpath=following-sibling::dd[1]")
    assert when.inner_text() == f"{next_monday():%A, %B} {next_monday().day}, {next_monday().year}, 6:00 PM–6:45 PM"
    assert not TWENTY_FOUR_HOUR.search(_main_text(page))
    page.screenshot(path=shots / "session-page.png", full_page=True)

    page.goto(f"/schedule/?date={next_monday().isoformat()}&view=day")
    event = page.locator(".fc-event", has_text=personas.patient.display_name)
    event.wait_for()
    assert "6:00 PM" in event.inner_text() and not TWENTY_FOUR_HOUR.search(event.inner_text())
    labels = page.locator(".fc-timegrid-slot-label").all_inner_texts()
    assert "8:00 AM" in labels and "6:00 PM" in labels and not any(TWENTY_FOUR_HOUR.search(t) for t in labels)
    page.locator('td.fc-timegrid-slot-lane[data-time="18:00:00"]').scroll_into_view_if_needed()
    page.screenshot(path=shots / "calendar-day.png", full_page=True)
    assert_accessible(page)

    page.goto(f"/schedule/?date={next_monday().isoformat()}")
    event = page.locator(".fc-event", has_text=personas.patient.display_name)
    event.wait_for()
    assert "6:00 PM" in event.inner_text() and not TWENTY_FOUR_HOUR.search(event.inner_text())
    headers = page.locator(".fc-col-header-cell").all_inner_texts()
    assert f"Mon, {next_monday():%b} {next_monday().day}" in headers, "column days in words, never 12/7"
    page.screenshot(path=shots / "calendar-week.png", full_page=True)

    page.goto(f"/schedule/?date={next_monday().isoformat()}&view=list")
    row = page.locator(".fc-list-event", has_text=personas.patient.display_name)
    row.wait_for()
    assert "6:00 PM–6:45 PM" in row.inner_text()
    page.screenshot(path=shots / "calendar-list.png", full_page=True)


def test_the_front_desks_day_lists_arrivals_in_the_same_words_on_one_line(page, personas, shots):
    start = clock.local_datetime(clock.local_now().date(), dt.time(10, 0))
    AppointmentFactory(start=start, end=start + dt.timedelta(minutes=45))
    session_start(page, personas.front_desk)
    time = page.locator(".arrivals .time").first
    assert time.inner_text() == "10:00 AM–10:45 AM"
    line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.arrivals .time')).lineHeight)")
    assert time.bounding_box()["height"] < 1.5 * line, "the time stays on one line"
    assert time.evaluate("el => el.scrollWidth <= el.clientWidth"), "and fits its column"
    page.screenshot(path=shots / "front-desk-day.png", full_page=True)


def test_the_therapist_reads_my_day_and_changes_part_day_time_off_in_hours_and_minutes(page, personas, evening, shots):
    off = services.time_off_save(
        actor=personas.front_desk,
        therapist=personas.therapist,
        start=clock.local_datetime(next_monday() + dt.timedelta(days=1), dt.time(13, 0)),
        end=clock.local_datetime(next_monday() + dt.timedelta(days=1), dt.time(17, 30)),
    )
    session_start(page, personas.therapist, open_home=False)
    page.goto(f"/schedule/my-day/?date={next_monday().isoformat()}")
    row = page.get_by_role("row").filter(has_text=personas.patient.display_name)
    assert row.get_by_role("cell").first.inner_text() == "6:00 PM–6:45 PM"
    assert not TWENTY_FOUR_HOUR.search(_main_text(page))
    page.screenshot(path=shots / "my-day.png", full_page=True)

    page.goto(f"/schedule/availability/time-off/{off.pk}/edit/")
    assert page.get_by_label("From").input_value() == "13:00"
    assert page.get_by_label("Until").input_value() == "17:30"
    assert "1:00 PM–5:30 PM" in _main_text(page)
    page.screenshot(path=shots / "time-off-edit.png", full_page=True)
    assert_accessible(page)
    page.get_by_label("Until").fill("16:00")
    follow(page, page.get_by_role("button", name=re.compile("Save")))
    assert "1:00 PM–4:00 PM" in _main_text(page)


def test_the_duplicate_warning_gives_the_birth_date_in_words(page, personas, shots):
    session_start(page, personas.front_desk, open_home=False)
    page.goto("/patients/new/")
    page.get_by_label("Legal first name").fill(personas.patient.legal_first_name)
    page.get_by_label("Legal last name").fill(personas.patient.legal_last_name)
    page.get_by_label("Date of birth").fill(personas.patient.date_of_birth.isoformat())
    page.get_by_role("button", name="Save").click()
    warning = page.get_by_role("alert").filter(has_text="This patient may already be registered")
    warning.wait_for()
    assert f"born {day_text(personas.patient.date_of_birth)}" in warning.inner_text()
    assert not re.search(r"\d\d/\d\d/\d{4}", warning.inner_text())
    page.screenshot(path=shots / "duplicate-warning.png", full_page=True)
