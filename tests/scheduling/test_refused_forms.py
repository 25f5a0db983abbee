"""The scheduling pages' forms refuse as every form does: sent empty or with what does not parse, the page comes
back with its error summary at the top and the reason by the field, 422, and nothing is booked or saved. An empty
post is checked, not taken for the blank form asked for."""

import datetime as dt

import pytest

from apps.scheduling.models import Appointment, AppointmentSeries, Location, Room, WorkingHours
from tests.factories import RoomFactory

pytestmark = pytest.mark.django_db

SUMMARY = 'id="error-summary"'
REQUIRED = "This field is required."


def _refused(response) -> None:
    html = response.content.decode()
    assert response.status_code == 422
    assert SUMMARY in html and REQUIRED in html


def test_booking_a_session_with_nothing_filled_in_is_refused_and_books_nothing(personas, login):
    _refused(login(personas.front_desk).post("/schedule/appointments/new/", {}))
    assert not Appointment.objects.exists()


def test_booking_a_series_with_nothing_filled_in_is_refused_and_books_nothing(personas, login):
    _refused(login(personas.front_desk).post("/schedule/series/new/", {}))
    assert not AppointmentSeries.objects.exists() and not Appointment.objects.exists()


def test_a_new_location_with_nothing_filled_in_is_refused_and_adds_none(personas, login):
    locations = Location.objects.count()
    _refused(login(personas.admin).post("/schedule/locations/new/", {}))
    assert Location.objects.count() == locations


def test_a_room_emptied_is_refused_and_keeps_its_name(personas, login):
    room = RoomFactory(name="Willow")
    _refused(login(personas.admin).post(f"/schedule/rooms/{room.pk}/", {}))
    assert Room.objects.get(pk=room.pk).name == "Willow"


def test_working_hours_emptied_are_refused_and_kept(personas, login):
    hours = WorkingHours.objects.create(
        therapist=personas.therapist, weekday=0, start_time=dt.time(9), end_time=dt.time(17)
    )
    _refused(login(personas.admin).post(f"/schedule/availability/hours/{hours.pk}/edit/", {}))
    kept = WorkingHours.objects.get(pk=hours.pk)
    assert (kept.start_time, kept.end_time) == (dt.time(9), dt.time(17))


def test_new_working_hours_with_nothing_filled_in_are_refused_on_the_therapists_page(personas, login):
    url = f"/schedule/availability/{personas.therapist.pk}/"
    _refused(login(personas.admin).post(url, {"kind": "hours"}))
    assert not WorkingHours.objects.filter(therapist=personas.therapist).exists()
