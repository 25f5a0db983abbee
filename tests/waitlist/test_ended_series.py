"""A weekly series that runs its course (its count or end date reached) frees its time for the slot waitlist, once."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.notifications.models import Message
from apps.scheduling.models import WorkingHours
from apps.scheduling.selectors import series_ended_since
from apps.scheduling.services import series_book, series_cancel_following
from apps.waitlist.models import FreedSlot, SlotOffer
from apps.waitlist.services import ENDED_SERIES_LOOKBACK, ended_series_slots_free, slot_request_create
from apps.waitlist.tasks import offer_ended_series_slots
from tests.factories import ServiceTypeFactory
from tests.locking import at_once

pytestmark = pytest.mark.django_db

MONDAY = 0


@pytest.fixture
def book(personas):
    """book(**ending) -> a weekly Monday 10:00 series for the other patient with the personas' therapist."""
    WorkingHours.objects.create(
        therapist=personas.therapist, weekday=MONDAY, start_time=dt.time(9), end_time=dt.time(18)
    )
    service = ServiceTypeFactory()
    today = clock.local_now().date()
    first = today + dt.timedelta(days=(MONDAY - today.weekday()) % 7 or 7)

    def _book(*, first_date=first, patient=None, **ending):
        return series_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=patient or personas.other_patient,
            service_type=service,
            first_date=first_date,
            local_start_time=dt.time(10, 0),
            is_telehealth=True,
            **ending,
        )

    _book.service = service
    _book.first = first
    return _book


@pytest.fixture
def waiting(book, make_patients):
    [patient] = make_patients(1)
    slot_request_create(
        actor=patient.user,
        patient=patient,
        service_type=book.service,
        weekdays=[MONDAY],
        earliest_start=dt.time(9),
        latest_start=dt.time(12),
    )
    return patient


def after(appointment, **delta):
    return time_machine.travel(appointment.end + dt.timedelta(**delta), tick=False)


@pytest.mark.parametrize("ending", ["count", "end_date"])
def test_a_series_that_ran_its_course_offers_its_time_once(book, waiting, ending):
    limit = {"occurrence_count": 3} if ending == "count" else {"end_date": book.first + dt.timedelta(weeks=2)}
    booked = book(**limit)
    last = booked.booked[-1]
    assert len(booked.booked) == 3
    with time_machine.travel(last.start, tick=False):
        assert offer_ended_series_slots() == 0  # the last session is still on
    with after(last, hours=1):
        assert offer_ended_series_slots() == 1
        assert ended_series_slots_free() == 0
    slot = FreedSlot.objects.get(series=booked.series)
    assert slot.free_from == book.first + dt.timedelta(weeks=2, days=1)
    offer = SlotOffer.objects.get(slot=slot)
    assert offer.request.patient == waiting
    assert Message.objects.filter(template="slot_offer", patient=waiting, channel="email").count() == 1
    with after(last, days=3):
        assert offer_ended_series_slots() == 0
    assert SlotOffer.objects.count() == 1


def test_a_series_cancelled_early_was_already_offered_and_is_not_offered_again(personas, book, waiting):
    booked = book(occurrence_count=4)
    with time_machine.travel(booked.booked[1].end + dt.timedelta(hours=1), tick=False):
        series_cancel_following(appointment=booked.booked[2], actor=personas.front_desk, reason="Done early")
        assert ended_series_slots_free() == 0
    assert SlotOffer.objects.filter(slot__series=booked.series).count() == 1


def test_an_open_ended_series_never_counts_as_ended(book):
    open_ended = book()
    far = clock.now() + dt.timedelta(days=800)
    assert open_ended.series not in series_ended_since(since=clock.now(), now=far)


def test_a_renewed_series_keeps_its_time_until_the_renewal_ends(personas, book, waiting):
    ending = book(occurrence_count=2)
    renewal = book(occurrence_count=2, first_date=book.first + dt.timedelta(weeks=2))
    with after(ending.booked[-1], hours=1):
        assert ended_series_slots_free() == 0
    with after(renewal.booked[-1], hours=1):
        assert ended_series_slots_free() == 1
    assert FreedSlot.objects.get().series == renewal.series


def test_a_series_that_ended_before_the_look_back_is_left_alone(book, waiting):
    booked = book(occurrence_count=1)
    with after(booked.booked[-1], days=ENDED_SERIES_LOOKBACK.days, hours=1):
        assert ended_series_slots_free() == 0
    assert not FreedSlot.objects.exists()


def test_a_series_whose_last_sessions_were_cancelled_ends_at_its_last_held_session(personas, book):
    from apps.scheduling.services import appointment_cancel

    booked = book(occurrence_count=3)
    appointment_cancel(appointment=booked.booked[-1], actor=personas.front_desk, reason="Holiday")
    with after(booked.booked[1], hours=1):
        [ended] = series_ended_since(since=clock.now() - dt.timedelta(days=1))
    assert (ended, ended.last_end) == (booked.series, booked.booked[1].end)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_offer_the_time_once(book, waiting):
    booked = book(occurrence_count=1)
    with after(booked.booked[-1], hours=1):
        outcomes = at_once(ended_series_slots_free, ended_series_slots_free)
    assert not [o for o in outcomes if isinstance(o, Exception)]
    assert FreedSlot.objects.filter(series=booked.series).count() == 1
    assert SlotOffer.objects.count() == 1
    assert Message.objects.filter(template="slot_offer", channel="email").count() == 1
