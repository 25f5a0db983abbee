"""The booking forms opened from the calendar take their date and time from the query string; a value no calendar
sends (a mistyped year, an impossible time, garbage) opens the form as if none were given, never a server error."""

import datetime as dt

import pytest
from django.urls import reverse

from .conftest import MONDAY

pytestmark = pytest.mark.django_db

NOT_A_BOOKABLE_START = [
    "0001-01-01T00:00",
    "0001-01-01T00:10:00+05:00",
    "0001-01-01T00:10:00-05:00",
    "9999-12-31T23:59",
    "9999-12-31T23:30:00-05:00",
    "9999-12-31T23:30:00+05:00",
    "2026-02-30T10:00",
    "2026-06-01T25:00",
    "2026-06-01T10:00+99:00",
    "garbage",
    "\x00",
    "2026-06-01T10:00" + "0" * 5000,
]


@pytest.mark.parametrize("page", ["scheduling:appointment_new", "scheduling:series_new"])
@pytest.mark.parametrize("start", NOT_A_BOOKABLE_START)
def test_a_start_out_of_reach_or_malformed_opens_the_form_without_a_time(clinic, login, page, start):
    response = login(clinic.front_desk).get(reverse(page), {"start": start, "therapist": clinic.therapist.pk})
    assert response.status_code == 200
    form = response.context["form"]
    date_field = "date" if "date" in form.fields else "first_date"
    assert form[date_field].value() is None


@pytest.mark.parametrize("page", ["scheduling:appointment_new", "scheduling:series_new"])
def test_a_start_within_reach_still_fills_the_form(clinic, login, page):
    start = dt.datetime.combine(MONDAY, dt.time(14, 0)).isoformat()
    form = login(clinic.front_desk).get(reverse(page), {"start": start}).context["form"]
    date_field = "date" if "date" in form.fields else "first_date"
    assert form[date_field].value() == MONDAY
