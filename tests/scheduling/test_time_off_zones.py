"""Whole days of time off are the therapist's local days wherever they work: a day off at an office on another
clock blocks that office's whole day, from its midnight to its next, for staff booking, the series preview, the
sessions named to move, the calendar and online booking alike."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.scheduling import selectors, services
from apps.scheduling.availability import slots_check
from apps.scheduling.models import WorkingHours
from apps.selfbooking.selectors import bookable_slots, booking_window
from tests.places import pacific_office
from tests.scheduling.conftest import MONDAY, at
from tests.selfbooking.conftest import online_booking

pytestmark = pytest.mark.django_db

LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SUNDAY, TUESDAY = MONDAY - dt.timedelta(days=1), MONDAY + dt.timedelta(days=1)


def pacific(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return clock.local_datetime(day, dt.time(hour, minute), LOS_ANGELES)


@pytest.fixture
def west(clinic):
    """The therapist works evenings at the Pasadena office only, Sunday to Tuesday 17:00-23:30 Pacific (past the
    clinic's midnight in New York), and takes MONDAY off as a whole day."""
    office = pacific_office()
    WorkingHours.objects.filter(therapist=clinic.therapist).delete()
    for weekday in (6, 0, 1):
        WorkingHours.objects.create(
            therapist=clinic.therapist,
            location=office,
            weekday=weekday,
            start_time=dt.time(17, 0),
            end_time=dt.time(23, 30),
        )
    services.time_off_save(
        actor=clinic.front_desk, therapist=clinic.therapist, start=at(MONDAY, 0), end=at(TUESDAY, 0), reason="Away"
    )
    return office


def _book(clinic, office, start, **extra):
    return services.appointment_book(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        patient=clinic.patient,
        service_type=clinic.individual,
        start=start,
        location=office,
        **extra,
    )


def _check(clinic, office, start):
    [slot] = slots_check(
        therapist=clinic.therapist,
        patient_id=None,
        room_id=None,
        spans=[(start, start + dt.timedelta(minutes=45))],
        location=office,
    )
    return slot


def test_a_whole_day_off_blocks_the_late_evening_of_that_day_at_an_office_behind_the_clinic(clinic, west):
    # 21:30 Pacific on Monday is 00:30 on Tuesday in New York.
    assert "time off" in _check(clinic, west, pacific(MONDAY, 21, 30)).unavailable
    assert "time off" in _check(clinic, west, pacific(MONDAY, 17)).unavailable
    with pytest.raises(Unprocessable):
        _book(clinic, west, pacific(MONDAY, 22))


def test_a_whole_day_off_leaves_the_evening_before_free_at_an_office_behind_the_clinic(clinic, west):
    # 22:00 Pacific on Sunday is 01:00 on Monday in New York: Sunday where the therapist works.
    assert _check(clinic, west, pacific(SUNDAY, 22)).is_free
    assert _check(clinic, west, pacific(TUESDAY, 17)).is_free
    booked = _book(clinic, west, pacific(SUNDAY, 22))
    assert booked.override_reason == ""


def test_the_sessions_to_move_are_those_on_the_day_off_where_they_are(clinic, west):
    _book(clinic, west, pacific(SUNDAY, 22))
    monday_late = _book(clinic, west, pacific(MONDAY, 22), override_reason="Agreed before the day off")
    [off] = clinic.therapist.time_off.all()
    assert [a.pk for a in selectors.sessions_in_time_off(time_off=off)] == [monday_late.pk]


def test_online_booking_offers_nothing_on_the_day_off_and_all_of_the_evening_before(clinic, west):
    online_booking(clinic.therapist)
    window = booking_window(now=pacific(SUNDAY, 0) - dt.timedelta(days=7))
    slots = bookable_slots(
        patient=clinic.other_patient,
        therapist=clinic.therapist,
        service_type=clinic.individual,
        week=SUNDAY - dt.timedelta(days=6),
        window=window,
    ) + bookable_slots(
        patient=clinic.other_patient,
        therapist=clinic.therapist,
        service_type=clinic.individual,
        week=MONDAY,
        window=window,
    )
    days = {slot.local_start.date() for slot in slots}
    assert MONDAY not in days
    assert SUNDAY in days and TUESDAY in days
    sunday = [slot.local_start.time() for slot in slots if slot.local_start.date() == SUNDAY]
    assert sunday[-1] == dt.time(22, 30)


def test_the_page_names_the_sessions_to_move_at_their_offices_time(clinic, login):
    office = pacific_office()
    WorkingHours.objects.filter(therapist=clinic.therapist).delete()
    WorkingHours.objects.create(
        therapist=clinic.therapist, location=office, weekday=0, start_time=dt.time(17), end_time=dt.time(23, 30)
    )
    _book(clinic, office, pacific(MONDAY, 22))
    response = login(clinic.front_desk).post(
        reverse("scheduling:availability_therapist", args=[clinic.therapist.pk]),
        {"kind": "time-off", "off-start_date": MONDAY.isoformat(), "off-end_date": MONDAY.isoformat()},
        follow=True,
    )
    html = response.content.decode()
    assert "move or cancel them: Mon Jun 1, 10:00 PM Los Angeles time" in html
