"""The calendar's grid grows to every session of the range it shows: the events feed names the hours its sessions
span, and a session at night or before seven is drawn instead of dropped."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.core import clock
from apps.scheduling.calendar_shading import sessions_span
from tests.factories import AppointmentFactory
from tests.places import coming_thursday

pytestmark = pytest.mark.django_db


def _session(clinic, day: dt.date, hour: int, minute: int = 0, minutes: int = 45):
    start = clock.local_datetime(day, dt.time(hour, minute))
    return AppointmentFactory(
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
    )


def _week_of(day: dt.date) -> dict:
    monday = day - dt.timedelta(days=day.weekday())
    return {"start": monday.isoformat(), "end": (monday + dt.timedelta(days=7)).isoformat()}


def test_the_week_feed_names_the_hours_from_an_early_session_to_a_late_one(clinic, login):
    thursday = coming_thursday()
    late = _session(clinic, thursday, 21, 0)
    early = _session(clinic, thursday - dt.timedelta(days=1), 6, 30)
    response = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), _week_of(thursday))
    assert {e.get("id") for e in response.json()} >= {late.pk, early.pk}
    assert response["Calendar-Hours"] == "06:00:00/22:00:00"


def test_a_week_of_daytime_sessions_names_their_hours_and_an_empty_one_none(clinic, login):
    thursday = coming_thursday()
    _session(clinic, thursday, 10, 15)
    client = login(clinic.front_desk)
    assert client.get(reverse("scheduling:calendar_events"), _week_of(thursday))["Calendar-Hours"] == (
        "10:00:00/11:00:00"
    )
    empty = client.get(reverse("scheduling:calendar_events"), _week_of(thursday + dt.timedelta(days=14)))
    assert "Calendar-Hours" not in empty


def test_the_day_feed_names_a_no_show_at_one_in_the_morning(clinic, login):
    thursday = coming_thursday()
    night = _session(clinic, thursday, 1, 0)
    night.status = "no_show"
    night.save(update_fields=["status"])
    params = {"start": thursday.isoformat(), "end": (thursday + dt.timedelta(days=1)).isoformat()}
    response = login(clinic.front_desk).get(reverse("scheduling:calendar_events"), params)
    assert [e["id"] for e in response.json() if "id" in e] == [night.pk]
    assert response["Calendar-Hours"] == "01:00:00/02:00:00"


def test_a_session_over_midnight_spans_the_whole_day():
    rows = [{"start_wall": "2026-12-10T23:30:00", "end_wall": "2026-12-11T00:30:00"}]
    assert sessions_span(rows) == ("00:00:00", "24:00:00")
    ending_at_midnight = [{"start_wall": "2026-12-10T23:15:00", "end_wall": "2026-12-11T00:00:00"}]
    assert sessions_span(ending_at_midnight) == ("23:00:00", "24:00:00")
    assert sessions_span([]) is None
