"""The free slots a patient is offered: working hours minus time off minus booked sessions, inside the window."""

import datetime as dt

import pytest

from apps.core.models import ClinicSettings
from apps.scheduling import services as scheduling
from apps.scheduling.models import Location, TimeOff, WorkingHours
from apps.selfbooking.selectors import bookable_slots, week_of
from apps.selfbooking.services import self_booking_book
from tests.places import pacific_office

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _starts(slots):
    return [s.local_start.replace(tzinfo=None) for s in slots]


def _offered(b, patient=None, **kwargs):
    return bookable_slots(
        patient=patient or b.newcomer, therapist=b.therapist, service_type=b.intake, week=MONDAY, **kwargs
    )


def test_a_free_week_offers_each_half_hour_a_session_fits_inside_working_hours(booking):
    slots = _offered(booking)
    monday = [s for s in _starts(slots) if s.date() == MONDAY]
    # 60-minute sessions between 09:00 and 17:00: the last starts at 16:00.
    assert monday[0] == dt.datetime.combine(MONDAY, dt.time(9, 0))
    assert monday[-1] == dt.datetime.combine(MONDAY, dt.time(16, 0))
    assert len(monday) == 15
    assert {s.date().weekday() for s in _starts(slots)} == {0, 1, 2, 3, 4}


def test_a_booked_session_removes_every_slot_it_overlaps(booking):
    scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.individual,
        start=at(MONDAY, 10),
    )
    monday = {s.time() for s in _starts(_offered(booking)) if s.date() == MONDAY}
    # 10:00-10:45 blocks 09:30, 10:00 and 10:30 starts of an hour-long session.
    assert {dt.time(9, 30), dt.time(10, 0), dt.time(10, 30)}.isdisjoint(monday)
    assert {dt.time(9, 0), dt.time(11, 0)} <= monday


def test_time_off_removes_its_slots(booking):
    TimeOff.objects.create(therapist=booking.therapist, start=at(MONDAY, 12), end=at(MONDAY + dt.timedelta(1), 0))
    monday = [s for s in _starts(_offered(booking)) if s.date() == MONDAY]
    assert monday[-1].time() == dt.time(11, 0)


def test_the_patients_own_session_with_another_therapist_blocks_their_slots(booking):
    scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.other_therapist,
        patient=booking.newcomer,
        service_type=booking.individual,
        start=at(MONDAY, 14),
    )
    monday = {s.time() for s in _starts(_offered(booking)) if s.date() == MONDAY}
    assert dt.time(14, 0) not in monday
    assert dt.time(13, 0) in monday


def test_nothing_sooner_than_the_least_notice(booking, frozen_now):
    # Sunday 20:00 before MONDAY: with 24 hours' notice, Monday opens at 20:00, after working hours.
    frozen_now.move_to(at(MONDAY - dt.timedelta(days=1), 20))
    starts = _starts(_offered(booking))
    assert starts[0].date() == MONDAY + dt.timedelta(days=1)
    ClinicSettings.objects.update_or_create(id=1, defaults={"self_booking_min_notice_hours": 4})
    assert _starts(_offered(booking))[0] == dt.datetime.combine(MONDAY, dt.time(9, 0))


def test_nothing_beyond_the_horizon(booking):
    ClinicSettings.objects.update_or_create(id=1, defaults={"self_booking_horizon_weeks": 1})
    # The clock stands a week before MONDAY at 09:00: only MONDAY 09:00 itself is inside a one-week horizon.
    assert _starts(_offered(booking)) == [dt.datetime.combine(MONDAY, dt.time(9, 0))]


def test_moving_a_session_its_own_time_does_not_block(booking):
    session = scheduling.appointment_book(
        actor=booking.front_desk,
        therapist=booking.therapist,
        patient=booking.patient,
        service_type=booking.individual,
        start=at(MONDAY, 10),
    )
    slots = bookable_slots(
        patient=booking.patient,
        therapist=booking.therapist,
        service_type=booking.individual,
        week=MONDAY,
        moving=session,
    )
    assert dt.datetime.combine(MONDAY, dt.time(10, 30)) in _starts(slots)
    assert dt.datetime.combine(MONDAY, dt.time(10, 0)) not in _starts(slots)  # where it already is


def test_the_slots_take_a_constant_number_of_queries(booking, django_assert_max_num_queries):
    with django_assert_max_num_queries(5):
        _offered(booking)


def test_week_of_gives_the_monday_and_refuses_a_string_that_is_not_a_date():
    assert week_of("2026-06-04") == MONDAY
    with pytest.raises(Exception, match="not a date"):
        week_of("next tuesday")


def test_a_therapist_at_the_los_angeles_office_is_offered_and_booked_in_pacific_time(booking):
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles")
    WorkingHours.objects.filter(therapist=booking.therapist).update(location=west)
    slots = _offered(booking)
    monday = [s for s in slots if s.local_start.date() == MONDAY]
    # 09:00-17:00 Pacific: the first 60-minute slot at 09:00 there (noon in the clinic's zone), the last at 16:00.
    assert (monday[0].local_start.hour, monday[-1].local_start.hour) == (9, 16)
    assert monday[0].local_start.utcoffset() == dt.timedelta(hours=-7) and monday[0].zone_differs
    booked = self_booking_book(actor=booking.newcomer_user, therapist=booking.therapist, start=monday[0].start)
    assert booked.location == west and booked.local_start.hour == 9


def _fridays_at_pasadena(booking) -> Location:
    """The therapist keeps Monday to Thursday at the main office and Fridays 09:00-17:00 at the Pasadena office."""
    pasadena = pacific_office()
    WorkingHours.objects.filter(therapist=booking.therapist, weekday=4).update(location=pasadena)
    return pasadena


def test_a_therapist_at_two_offices_is_offered_each_day_at_the_office_of_that_day(booking):
    pasadena = _fridays_at_pasadena(booking)
    slots = _offered(booking)
    by_day = {s.local_start.weekday(): s for s in reversed(slots)}  # each weekday's first slot
    assert {d: s.location for d, s in by_day.items()} == {
        0: Location.main(),
        1: Location.main(),
        2: Location.main(),
        3: Location.main(),
        4: pasadena,
    }
    assert by_day[4].local_start.hour == 9 and by_day[4].local_start.utcoffset() == dt.timedelta(hours=-7)
    assert [s.start for s in slots] == sorted(s.start for s in slots)
    booked = self_booking_book(actor=booking.newcomer_user, therapist=booking.therapist, start=by_day[4].start)
    assert booked.location == pasadena and booked.local_start.hour == 9 and not booked.override_reason


def test_two_offices_cost_three_queries_more_than_one(booking, django_assert_max_num_queries):
    _fridays_at_pasadena(booking)
    with django_assert_max_num_queries(8):
        _offered(booking)
