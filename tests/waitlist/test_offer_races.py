"""An offer and the request it is made on change together, also when they are changed at the same moment: real
threads on real Postgres."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.errors import ApplicationError, Conflict
from apps.notifications.models import Message
from apps.scheduling.services import appointment_book
from apps.waitlist.models import FreedSlot, SlotOffer, SlotRequest
from apps.waitlist.services import slot_offer_accept, slot_request_cancel
from tests.locking import HeldElsewhere, at_once

from .test_slot_waitlist import free_the_slot, wait, weekly  # noqa: F401 (weekly is a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_stopping_waiting_while_a_time_is_being_offered_gives_the_time_back(
    personas,
    weekly,  # noqa: F811
    make_patients,
):
    """The time is offered to the patient (committed a moment later) while the front desk takes them off the list:
    the cancellation sees the offer, gives it back and the time goes to the next in line."""
    _, service = weekly
    [second] = make_patients(1)
    leaving = wait(personas.patient, service)
    wait(second, service)
    offering = HeldElsewhere(lambda: free_the_slot(personas, weekly))
    offering.release_soon()
    slot_request_cancel(actor=personas.front_desk, request=leaving)
    offering.join()

    assert SlotRequest.objects.get(pk=leaving.pk).status == "cancelled"
    assert SlotOffer.objects.get(request=leaving).status == "declined"
    assert SlotOffer.objects.get(status="outstanding").request.patient == second


def test_stopping_waiting_while_the_offer_is_being_answered_asks_to_try_again(
    personas,
    weekly,  # noqa: F811
):
    """An answer in flight holds the time and then waits for the request: stopping waiting does not wait for it
    (the two would deadlock) and changes nothing."""
    request = wait(personas.patient, service=weekly[1])
    slot = free_the_slot(personas, weekly)
    answering = HeldElsewhere(lambda: FreedSlot.objects.select_for_update().get(pk=slot.pk))
    try:
        with pytest.raises(Conflict, match="being answered right now"):
            slot_request_cancel(actor=personas.front_desk, request=request)
    finally:
        answering.release()
    assert SlotRequest.objects.get(pk=request.pk).status == "offered"
    assert SlotOffer.objects.get(request=request).status == "outstanding"


def test_the_database_refuses_an_outstanding_offer_on_a_request_no_longer_offered(
    personas,
    weekly,  # noqa: F811
):
    request = wait(personas.patient, service=weekly[1])
    free_the_slot(personas, weekly)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotRequest.objects.filter(pk=request.pk).update(status="cancelled")
    with pytest.raises(IntegrityError), transaction.atomic():
        SlotOffer.objects.filter(request=request).update(status="declined")
        SlotOffer.objects.filter(request=request).update(status="outstanding")
        SlotRequest.objects.filter(pk=request.pk).update(status="waiting")
    assert SlotRequest.objects.get(pk=request.pk).status == "offered"
    assert Message.objects.filter(template="slot_offer", patient=personas.patient, channel="email").count() == 1


def test_taking_a_held_time_as_the_front_desk_books_it_for_someone_else_lets_one_through(
    personas,
    weekly,  # noqa: F811
    make_patients,
):
    """Whichever commits first has the time; the other is refused with a message, never an error, and the offer
    and its request agree."""
    _, service = weekly
    [walk_in] = make_patients(1)
    holder = wait(personas.patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(request=holder)
    first = Message.objects.get(template="slot_offer", channel="email").context["first_date"]
    outcomes = at_once(
        lambda: slot_offer_accept(actor=personas.patient_user, offer=offer),
        lambda: appointment_book(
            actor=personas.front_desk,
            therapist=personas.therapist,
            patient=walk_in,
            service_type=service,
            start=clock.local_datetime(dt.date.fromisoformat(first), dt.time(10, 0)),
            is_telehealth=True,
        ),
    )
    assert [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApplicationError)] == []
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    offer.refresh_from_db()
    agreeing = {("accepted", "booked"), ("withdrawn", "waiting"), ("outstanding", "offered")}
    assert (offer.status, SlotRequest.objects.get(pk=holder.pk).status) in agreeing
