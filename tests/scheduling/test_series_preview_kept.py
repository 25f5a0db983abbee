"""The weekly series form after a refused submission: it keeps what was typed, and its Dates panel shows the dates
for it with each one's state, as the preview did before the submission, never the prompt to fill the form in."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from apps.scheduling.models import AppointmentSeries, WorkingHours
from tests.factories import RoomFactory, ServiceTypeFactory
from tests.places import coming_thursday, pacific_office

pytestmark = pytest.mark.django_db

FILL_IN = "Fill in the therapist, patient, first date and time to see the dates."


@pytest.fixture
def form(personas):
    """Three Thursdays at 3:00 PM at the Pasadena office for a therapist who keeps Thursdays at the main office."""
    WorkingHours.objects.create(therapist=personas.therapist, weekday=3, start_time=dt.time(9), end_time=dt.time(18))
    return {
        "therapist": personas.therapist.pk,
        "patient": personas.patient.pk,
        "service_type": ServiceTypeFactory().pk,
        "location": pacific_office().pk,
        "first_date": str(coming_thursday()),
        "local_start_time": "15:00",
        "interval_weeks": "1",
        "ends": "count",
        "occurrence_count": "3",
    }


def _panel(page) -> str:
    html = page.content.decode()
    return re.search(r'<div id="series-preview"[^>]*>(.*?)</div>\s*</section>', html, re.S).group(1)


def test_a_refused_series_shows_the_dates_of_what_was_kept(personas, login, form):
    refused = login(personas.front_desk).post(reverse("scheduling:series_new"), form)
    assert refused.status_code == 422 and not AppointmentSeries.objects.exists()
    assert "Give an override reason to book anyway." in refused.content.decode()
    panel = _panel(refused)
    assert FILL_IN not in panel
    day = coming_thursday()
    assert [f"{d:%a %b} {d.day}, {d.year}" in panel for d in (day, day + dt.timedelta(weeks=2))] == [True, True]
    assert panel.count("Unavailable") == 3


def test_a_form_refused_for_its_own_errors_says_which_not_to_fill_it_in(personas, login, form):
    refused = login(personas.front_desk).post(
        reverse("scheduling:series_new"), {**form, "is_telehealth": "on", "room": RoomFactory().pk}
    )
    assert "A telehealth session has no room." in refused.content.decode()
    panel = _panel(refused)
    assert FILL_IN not in panel and "Room: A telehealth session has no room." in panel


def test_an_empty_form_asks_to_be_filled_in(personas, login):
    page = login(personas.front_desk).get(reverse("scheduling:series_new"))
    assert FILL_IN in _panel(page)
