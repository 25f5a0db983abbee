"""The minute sweep reads every held weekly time at once: its queries do not grow with the number of offers out,
while a time booked for someone else since is still withdrawn from its holder."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.scheduling.services import appointment_book
from apps.waitlist import tasks
from apps.waitlist.models import SlotOffer

from .test_held_time_booked import offered_first_date
from .test_slot_waitlist import free_another_time, free_the_slot, wait, weekly  # noqa: F401 (weekly is a fixture)

pytestmark = pytest.mark.django_db


def sweep_queries() -> int:
    with CaptureQueriesContext(connection) as queries:
        assert tasks.expire_offers() == 0
    return len(queries)


def book_other_hour(personas, service, patient, at: dt.time, day: dt.date) -> None:
    """Another patient's session with the holders' therapist, at an hour none of the held times take."""
    appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=patient,
        service_type=service,
        start=clock.local_datetime(day, at),
        is_telehealth=True,
    )


def test_the_minute_sweep_reads_held_times_in_queries_that_do_not_grow_with_the_offers(
    personas,
    weekly,  # noqa: F811
    make_patients,
):
    _, service = weekly
    first, second, third, leaving, leaving_too, busy = make_patients(6)
    wait(first, service)
    free_the_slot(personas, weekly)
    day = offered_first_date(first)
    # The therapist is busy that Monday at other hours: the sweep must tell those apart from the held times.
    book_other_hour(personas, service, busy, dt.time(15), day)
    one_offer = sweep_queries()

    wait(second, service)
    free_another_time(personas, weekly, leaving, dt.time(11))
    wait(third, service)
    free_another_time(personas, weekly, leaving_too, dt.time(12))
    assert SlotOffer.objects.filter(status="outstanding").count() == 3
    assert sweep_queries() == one_offer
    assert SlotOffer.objects.filter(status="outstanding").count() == 3


def test_the_minute_sweep_still_withdraws_the_one_held_time_booked_since(
    personas,
    weekly,  # noqa: F811
    make_patients,
):
    _, service = weekly
    first, second, leaving, walk_in = make_patients(4)
    wait(first, service)
    free_the_slot(personas, weekly)
    wait(second, service)
    free_another_time(personas, weekly, leaving, dt.time(11))
    # A later week of the 11:00 time, booked from the calendar for someone else.
    book_other_hour(personas, service, walk_in, dt.time(11, 15), offered_first_date(second) + dt.timedelta(weeks=3))
    assert tasks.expire_offers() == 0
    assert SlotOffer.objects.get(request__patient=second).status == "withdrawn"
    assert SlotOffer.objects.get(request__patient=first).status == "outstanding"
