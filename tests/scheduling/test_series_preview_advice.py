"""The series preview's advice follows why dates are blocked: a date taken by another session can only be skipped
(or the time changed); one outside working hours or in time off can also be booked with an override reason. The
box it names is the one the form has, and ticking it, or giving the reason, does what the advice says."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from apps.scheduling.forms import SeriesForm
from apps.scheduling.models import Appointment, TimeOff

from .conftest import MONDAY, at
from .test_pages import _series_form, _willow_taken_next_monday

pytestmark = pytest.mark.django_db

SKIP = SeriesForm.base_fields["skip_conflicts"].label


def _preview(client, clinic, **overrides) -> str:
    response = client.post(
        reverse("scheduling:series_preview"), _series_form(clinic, **overrides), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    return " ".join(re.sub(r"<[^>]+>", "", response.content.decode()).split())  # the words, as read


def _time_off_next_monday(clinic):
    second = MONDAY + dt.timedelta(weeks=1)
    TimeOff.objects.create(therapist=clinic.therapist, start=at(second, 0), end=at(second, 23), reason="Conference")


def _booked(client, clinic, **overrides) -> int:
    response = client.post(reverse("scheduling:series_new"), _series_form(clinic, **overrides))
    assert response.status_code in (200, 302)
    return Appointment.objects.filter(series__isnull=False, status="booked").count()


def test_the_skip_box_speaks_of_every_blocked_date_not_only_collisions():
    assert "collide" not in SKIP and "blocked" in SKIP


def test_a_date_in_time_off_is_told_it_can_be_skipped_or_booked_with_a_reason(clinic, login):
    _time_off_next_monday(clinic)
    client = login(clinic.front_desk)
    html = _preview(client, clinic)
    assert "3 dates, 1 of them blocked." in html
    assert "collide" not in html
    assert (
        f"1 is in time off: change the time, give an override reason to book it anyway, or tick “{SKIP}” to book "
        "the 2 free dates."
    ) in html
    assert _booked(client, clinic, skip_conflicts="on") == 2


def test_dates_all_outside_working_hours_are_not_told_to_tick_a_box_that_books_none(clinic, login):
    client = login(clinic.front_desk)
    html = _preview(client, clinic, local_start_time="19:30")  # ends 8:15 PM, past the 8:00 PM end of her day
    assert "3 dates, 3 of them blocked." in html
    assert "collide" not in html and SKIP not in html
    assert "All 3 are outside working hours: change the time, or give an override reason to book them anyway." in html
    assert _booked(client, clinic, local_start_time="19:30", override_reason="Evening is all the patient can do") == 3


def test_a_collision_is_only_skipped_never_overridden(clinic, login):
    _willow_taken_next_monday(clinic)
    html = _preview(login(clinic.front_desk), clinic)
    assert f"1 collides with another session: tick “{SKIP}” to book the 2 free dates, or change the time." in html
    assert "override" not in html


def test_a_collision_and_time_off_together_say_what_each_needs(clinic, login):
    _willow_taken_next_monday(clinic)
    third = MONDAY + dt.timedelta(weeks=2)
    TimeOff.objects.create(therapist=clinic.therapist, start=at(third, 0), end=at(third, 23))
    client = login(clinic.front_desk)
    html = _preview(client, clinic)
    assert "3 dates, 2 of them blocked." in html
    assert (
        f"1 collides with another session and 1 is in time off: tick “{SKIP}” to book the 1 free date (with an "
        "override reason too, the one in time off as well), or change the time."
    ) in html
    assert _booked(client, clinic, skip_conflicts="on", override_reason="Covering her own conference week") == 2
