"""A therapist's day runs in the zone of the office they work at that weekday, and every time on it is the wall
clock of the session's own office: a Pasadena Monday at 10:00 is never the clinic's 13:00, and a 22:00 Pacific
session is on Monday's list, not on Tuesday's."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.scheduling import services
from apps.scheduling.models import Location, WorkingHours

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

PACIFIC = ZoneInfo("America/Los_Angeles")


def _works_in_pasadena(therapist, weekdays=(0,)) -> None:
    """The therapist's hours on those weekdays move to the Pasadena office, 08:00-23:00 there."""
    pasadena = Location.objects.get(name="Pasadena office")
    WorkingHours.objects.filter(therapist=therapist, weekday__in=weekdays).delete()
    for weekday in weekdays:
        WorkingHours.objects.create(
            therapist=therapist, location=pasadena, weekday=weekday, start_time=dt.time(8), end_time=dt.time(23)
        )


def _my_day(client, day: dt.date | None = None) -> str:
    response = client.get(reverse("scheduling:my_day"), {"date": day.isoformat()} if day else {})
    assert response.status_code == 200
    return response.content.decode()


def _pasadena_evening(clinic, pasadena_session):
    """Monday 22:00 in Pasadena: Tuesday 01:00 in the clinic's zone."""
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.other_patient,
        service_type=clinic.individual,
        start=dt.datetime.combine(MONDAY, dt.time(22)).replace(tzinfo=PACIFIC),
        room=pasadena_session.room,
        override_reason="Evening session in Pasadena",
    )


def test_a_pasadena_day_lists_its_sessions_in_pacific_time(clinic, pasadena_session, login):
    evening = _pasadena_evening(clinic, pasadena_session)
    _works_in_pasadena(clinic.therapist)
    therapist = login(clinic.therapist)

    monday = _my_day(therapist, MONDAY)
    assert "Your hours that day are at Pasadena office: times are its local time, as in Los Angeles." in monday
    assert "10:00 AM–10:45 AM" in monday and "1:00 PM" not in monday
    assert "10:00 PM–10:45 PM" in monday and "1:00 AM" not in monday
    assert f'href="/schedule/appointments/{evening.pk}/"' in monday

    tuesday = _my_day(therapist, MONDAY + dt.timedelta(days=1))
    assert f'href="/schedule/appointments/{evening.pk}/"' not in tuesday


def test_on_a_main_office_day_a_pasadena_session_names_its_zone(clinic, pasadena_session, login):
    monday = _my_day(login(clinic.therapist), MONDAY)
    assert "Your hours that day are at" not in monday
    assert '10:00 AM–10:45 AM <span class="muted">Los Angeles time</span>' in monday and "1:00 PM" not in monday


def test_today_is_the_date_where_the_therapist_works(clinic, pasadena_session, login, frozen_now):
    evening = _pasadena_evening(clinic, pasadena_session)
    _works_in_pasadena(clinic.therapist, weekdays=range(7))
    # 22:30 in Pasadena on Monday: 01:30 on Tuesday in the clinic's zone.
    frozen_now.move_to(dt.datetime.combine(MONDAY, dt.time(22, 30)).replace(tzinfo=PACIFIC))
    today = _my_day(login(clinic.therapist))
    assert "My day: Monday, June 1" in today
    assert f'href="/schedule/appointments/{evening.pk}/"' in today


def test_a_pasadena_evening_is_still_monday_though_tuesday_is_at_the_main_office(
    clinic, pasadena_session, login, frozen_now
):
    """Monday in Pasadena, Tuesday at the main office: at 22:30 Pacific the clinic's zone is on Tuesday, but the
    therapist's day, and its evening session, are still Monday's."""
    evening = _pasadena_evening(clinic, pasadena_session)
    _works_in_pasadena(clinic.therapist, weekdays=(0,))
    frozen_now.move_to(dt.datetime.combine(MONDAY, dt.time(22, 30)).replace(tzinfo=PACIFIC))
    today = _my_day(login(clinic.therapist))
    assert "My day: Monday, June 1" in today
    assert "Your hours that day are at Pasadena office" in today
    assert f'href="/schedule/appointments/{evening.pk}/"' in today

    # Once the day is over in Pasadena too, today is Tuesday at the main office.
    frozen_now.move_to(dt.datetime.combine(MONDAY + dt.timedelta(days=1), dt.time(0, 30)).replace(tzinfo=PACIFIC))
    tuesday = _my_day(login(clinic.therapist))
    assert "My day: Tuesday, June 2" in tuesday and "Your hours that day are at" not in tuesday


def test_the_session_page_reads_check_in_in_the_offices_time_and_tells_the_patient_apart(
    clinic, pasadena_session, login, frozen_now
):
    frozen_now.move_to(dt.datetime.combine(MONDAY, dt.time(9, 50)).replace(tzinfo=PACIFIC))
    services.appointment_check_in(actor=clinic.front_desk, appointment=pasadena_session)
    page = _session_page(login(clinic.front_desk), pasadena_session)
    assert "<dt>Checked in</dt><dd>9:50 AM Los Angeles time</dd>" in page
    assert "10:00 AM–10:45 AM Los Angeles time</dd>" in page, (
        "the session's time is its office's, that zone named in words"
    )
    assert "America/Los_Angeles" not in page, "staff read the zone by its place, not its database name"
    assert f'{clinic.patient.display_name} <span class="muted">· {clinic.patient.chart_number}</span>' in page


def _session_page(client, appointment) -> str:
    response = client.get(reverse("scheduling:appointment_detail", args=[appointment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_late_cancellation_shows_when_in_the_offices_time_and_what_it_charged(
    priced, pasadena_session, login, frozen_now
):
    # Monday 08:15 in Pasadena (11:15 in the clinic's zone), inside the cancellation window.
    frozen_now.move_to(dt.datetime.combine(MONDAY, dt.time(8, 15)).replace(tzinfo=PACIFIC))
    services.appointment_cancel(appointment=pasadena_session, actor=priced.front_desk, reason="Unwell")
    ledger = reverse("billing:patient_ledger", args=[priced.patient.pk])

    page = _session_page(login(priced.front_desk), pasadena_session)
    assert "Jun 1, 8:15 AM Los Angeles time by" in page and "11:15" not in page
    assert "<dt>Charged</dt>" in page and "$40.00" in page and f'href="{ledger}"' in page

    billing = _session_page(login(priced.billing), pasadena_session)
    assert "$40.00" in billing and f'href="{ledger}"' in billing


def test_a_session_without_a_charge_or_seen_by_someone_without_the_account_shows_none(
    priced, pasadena_session, login, frozen_now
):
    assert "<dt>Charged</dt>" not in _session_page(login(priced.front_desk), pasadena_session)
    frozen_now.move_to(dt.datetime.combine(MONDAY, dt.time(8, 15)).replace(tzinfo=PACIFIC))
    services.appointment_cancel(appointment=pasadena_session, actor=priced.front_desk, reason="Unwell")
    # A therapist does not see patients' accounts (billing.view_ledger is the billing office's and the front desk's).
    assert "<dt>Charged</dt>" not in _session_page(login(priced.therapist), pasadena_session)


def test_choosing_the_day_reads_the_therapists_offices_once(clinic, pasadena_session, login, frozen_now):
    """Whichever day and office My day settles on, it reads the therapist's working hours once: the offices of
    every weekday together, not one read per day it considers."""
    _works_in_pasadena(clinic.therapist, weekdays=(0,))
    counts = []  # reads of the working hours per page
    # Monday morning (the clinic's date and Pasadena's agree), Monday 22:30 in Pasadena (already Tuesday in the
    # clinic's zone) and Tuesday 00:30 in Pasadena (the day at the main office).
    for day, moment in (
        (MONDAY, dt.time(9)),
        (MONDAY, dt.time(22, 30)),
        (MONDAY + dt.timedelta(days=1), dt.time(0, 30)),
    ):
        frozen_now.move_to(dt.datetime.combine(day, moment).replace(tzinfo=PACIFIC))
        client = login(clinic.therapist)
        with CaptureQueriesContext(connection) as read:
            _my_day(client)
        counts.append(sum("scheduling_workinghours" in query["sql"] for query in read.captured_queries))
    assert counts == [1, 1, 1], counts
