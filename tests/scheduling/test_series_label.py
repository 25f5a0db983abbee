"""A session of a series is labelled by its series only while it keeps the series' time: one moved on its own stays
in the series (which books on at the old time) but says where it was moved from."""

import datetime as dt

import pytest

from apps.scheduling import services

from .conftest import MONDAY, at, weekly_at_three

pytestmark = pytest.mark.django_db

MOVED = "moved from the series&#x27; Monday 3:00 PM"


def test_a_session_moved_on_its_own_says_so_instead_of_weekly(clinic, login):
    weekly = weekly_at_three(clinic)
    second = weekly.booked[1]
    services.appointment_reschedule(
        appointment=second, actor=clinic.front_desk, start=at(MONDAY + dt.timedelta(days=8), 11)
    )
    client = login(clinic.front_desk)

    chart = client.get(f"/patients/{clinic.patient.pk}/").content.decode()
    assert chart.count("(weekly)") == 3
    assert f"({MOVED})" in chart

    moved = client.get(f"/schedule/appointments/{second.pk}/").content.decode()
    assert f"Part of a repeating series ({MOVED})" in moved
    kept = client.get(f"/schedule/appointments/{weekly.booked[2].pk}/").content.decode()
    assert "Part of a repeating series (weekly)" in kept


def test_a_series_every_two_weeks_is_not_called_weekly(clinic, login):
    services.series_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        first_date=MONDAY,
        local_start_time=dt.time(15, 0),
        occurrence_count=2,
        interval_weeks=2,
        room=clinic.willow,
    )
    chart = login(clinic.front_desk).get(f"/patients/{clinic.patient.pk}/").content.decode()
    assert chart.count("(every 2 weeks)") == 2 and "(weekly)" not in chart
