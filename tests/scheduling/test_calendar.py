"""The staff calendar: a colour per therapist, sessions confirmed by reply, working hours to shade, and a slot
clicked or dragged on the calendar arriving in the booking form."""

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.core.when import clock_text
from apps.notifications.confirmations import appointment_confirm
from apps.scheduling import services
from apps.scheduling.colors import PALETTE, therapist_color
from apps.scheduling.models import WorkingHours
from tests.factories import ServiceTypeFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db
WEEK = {"start": at(MONDAY, 0).isoformat(), "end": at(MONDAY + dt.timedelta(days=7), 0).isoformat()}


def _contrast(color: str, other: str = "#ffffff") -> float:
    """WCAG contrast ratio of two sRGB colours."""

    def luminance(hex_color: str) -> float:
        channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted([luminance(color), luminance(other)], reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_therapist_colour_carries_white_text_at_aa_contrast():
    assert all(_contrast(color) >= 4.5 for color in PALETTE), [(c, round(_contrast(c), 2)) for c in PALETTE]
    assert len(set(PALETTE)) == len(PALETTE)


def test_a_therapist_keeps_their_colour_and_the_next_one_added_gets_another():
    assert therapist_color(7) == therapist_color(7)
    assert len({therapist_color(pk) for pk in range(40, 40 + len(PALETTE))}) == len(PALETTE)


def test_sessions_take_their_therapists_colour(clinic, login, session, others_session):
    events = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), WEEK).json()
    colours = {e["id"]: e["color"] for e in events}
    assert colours == {
        session.pk: therapist_color(clinic.therapist.pk),
        others_session.pk: therapist_color(clinic.other_therapist.pk),
    }
    assert colours[session.pk] != colours[others_session.pk]


def test_each_session_links_to_its_own_page_at_its_wall_clock_time(clinic, login, session, others_session):
    events = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), WEEK).json()
    for appointment in (session, others_session):
        event = next(e for e in events if e["id"] == appointment.pk)
        assert event["url"] == reverse("scheduling:appointment_detail", args=[appointment.pk])
        assert event["start"] == timezone.localtime(appointment.start).replace(tzinfo=None).isoformat()


def test_a_sessions_page_leads_back_to_the_calendar_on_its_week(clinic, login, session):
    client = login(clinic.front_desk)
    page = client.get(reverse("scheduling:appointment_detail", args=[session.pk])).content.decode()
    assert f'<a href="/schedule/?date={MONDAY.isoformat()}">Back to the calendar</a>' in page
    calendar = client.get("/schedule/", {"date": MONDAY.isoformat()}).content.decode()
    assert f'data-initial-date="{MONDAY.isoformat()}"' in calendar


def test_the_legend_shows_each_therapists_colour(clinic, login):
    html = login(clinic.front_desk).get(reverse("scheduling:calendar")).content.decode()
    for therapist in (clinic.therapist, clinic.other_therapist):
        assert re.search(rf'background-color: {therapist_color(therapist.pk)}"></span>{therapist.full_name}', html)


def test_a_session_confirmed_by_reply_says_so_and_others_say_only_what_differs(
    clinic, login, session, others_session, frozen_now
):
    appointment_confirm(appointment=session, source="sms")
    frozen_now.move_to(at(MONDAY, 9, 55))  # the other patient arrives
    services.appointment_check_in(appointment=others_session, actor=clinic.front_desk)
    events = {e["id"]: e for e in login(clinic.front_desk).get(reverse("scheduling:calendar_events"), WEEK).json()}
    assert events[session.pk]["extendedProps"]["state"] == "Confirmed"
    assert events[others_session.pk]["extendedProps"]["state"] == "Checked in"


def test_on_another_offices_calendar_the_confirmation_time_is_on_its_clock(clinic, login, pasadena_session):
    """The calendar filtered to the Pasadena office runs on Pacific time: when the patient confirmed is told on it."""
    from apps.core import clock

    appointment_confirm(appointment=pasadena_session, source="sms")
    office = pasadena_session.location
    week = {**WEEK, "location": office.pk}
    [event] = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), week).json()
    there = clock.in_zone(clock.now(), office.zone)
    assert (
        event["extendedProps"]["confirmed"] == f"Confirmed by text reply, {there:%b} {there.day}, {clock_text(there)}"
    )


def test_a_session_moved_after_its_confirmation_is_no_longer_shown_confirmed(clinic, login, session):
    appointment_confirm(appointment=session, source="sms")
    services.appointment_reschedule(appointment=session, actor=clinic.front_desk, start=at(MONDAY, 15))
    [event] = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), WEEK).json()
    assert event["extendedProps"]["state"] == ""


def test_the_calendar_carries_working_hours_in_fullcalendars_week(clinic, login):
    WorkingHours.objects.create(
        therapist=clinic.other_therapist, weekday=6, start_time=dt.time(17, 0), end_time=dt.time(22, 30)
    )
    html = login(clinic.front_desk).get(reverse("scheduling:calendar")).content.decode()
    hours = json.loads(re.search(r'id="calendar-working-hours" type="application/json">(.*?)</script>', html)[1])
    monday = {"daysOfWeek": [1], "startTime": "08:00", "endTime": "20:00"}
    assert monday in hours[str(clinic.therapist.pk)]
    assert {"daysOfWeek": [0], "startTime": "17:00", "endTime": "22:30"} in hours[str(clinic.other_therapist.pk)]
    # The grid reaches the top of the hour after the latest hours end; 07:00 stays its earliest start.
    assert 'data-grid-from="07:00:00"' in html and 'data-grid-to="23:00:00"' in html


def test_a_therapist_sees_only_their_own_working_hours(clinic, login):
    html = login(clinic.therapist).get(reverse("scheduling:calendar")).content.decode()
    hours = json.loads(re.search(r'id="calendar-working-hours" type="application/json">(.*?)</script>', html)[1])
    assert list(hours) == [str(clinic.therapist.pk)]


def test_the_browser_picks_the_view_unless_the_link_names_one(clinic, login):
    client = login(clinic.front_desk)
    assert 'data-initial-view=""' in client.get(reverse("scheduling:calendar")).content.decode()
    assert 'data-initial-view="list"' in client.get(reverse("scheduling:calendar"), {"view": "list"}).content.decode()
    assert 'data-initial-view=""' in client.get(reverse("scheduling:calendar"), {"view": "<x>"}).content.decode()


@pytest.mark.parametrize(
    ("named", "opens"),
    [("day", "day"), ("timeGridDay", "day"), ("timeGridWeek", "week"), ("listDay", "list"), ("listWeek", "list")],
)
def test_a_link_naming_the_day_by_the_calendars_own_view_name_opens_the_day(clinic, login, named, opens):
    """FullCalendar calls the day grid timeGridDay; a link carrying that name opens the day, not the week."""
    page = login(clinic.front_desk).get(reverse("scheduling:calendar"), {"view": named, "date": "2026-06-02"})
    html = page.content.decode()
    assert f'data-initial-view="{opens}"' in html and 'data-initial-date="2026-06-02"' in html


def test_a_span_dragged_on_the_calendar_picks_the_service_that_lasts_that_long(clinic, login):
    hour = ServiceTypeFactory(code="90837", name="Individual psychotherapy, 60 min", duration_minutes=60)
    client = login(clinic.front_desk)
    url = reverse("scheduling:appointment_new")
    start = {"start": "2026-06-02T14:00", "therapist": clinic.therapist.pk}
    form = client.get(url, {**start, "minutes": 60}).context["form"]
    assert (form["service_type"].value(), form["therapist"].value()) == (hour.pk, clinic.therapist.pk)
    assert (form["date"].value(), form["time"].value()) == (dt.date(2026, 6, 2), dt.time(14, 0))
    assert client.get(url, {**start, "minutes": 45}).context["form"]["service_type"].value() == clinic.individual.pk
    # No service lasts 50 minutes, and a group meeting is never picked for an individual slot.
    assert client.get(url, {**start, "minutes": 50}).context["form"]["service_type"].value() is None
    assert client.get(url, {**start, "minutes": 90}).context["form"]["service_type"].value() is None
    assert client.get(url, {**start, "minutes": "9" * 30}).status_code == 200


def test_a_slot_booked_from_the_calendar_that_clashes_gets_the_usual_answer(clinic, login, session):
    response = login(clinic.front_desk).post(
        reverse("scheduling:appointment_new"),
        {
            "therapist": clinic.therapist.pk,
            "patient": clinic.other_patient.pk,
            "service_type": clinic.individual.pk,
            "date": "2026-06-01",
            "time": "10:30",
        },
    )
    assert response.status_code == 409
    assert "The therapist already has a session on Mon Jun 1, 10:00 AM–10:45 AM." in (response.content.decode())
