"""A weekly time held for someone on the waitlist and then booked for someone else from the calendar: its holder is
not blamed. They go back in line in their place and are told, and the time is no longer offered."""

import datetime as dt

import pytest
import time_machine

from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.notifications.models import Message
from apps.scheduling.services import appointment_book, series_book
from apps.waitlist import tasks
from apps.waitlist.models import FreedSlot, SlotOffer, SlotRequest
from apps.waitlist.offers import offers_expire
from apps.waitlist.services import slot_offer_accept
from tests.factories import AppointmentFactory

from .test_slot_waitlist import free_another_time, free_the_slot, wait, weekly  # noqa: F401 (weekly is a fixture)

pytestmark = pytest.mark.django_db


def offered_first_date(patient) -> dt.date:
    """The first session date the patient's offer named."""
    message = Message.objects.get(template="slot_offer", channel="email", patient=patient)
    return dt.date.fromisoformat(message.context["first_date"])


def test_booking_someone_else_into_a_held_time_puts_its_holder_back_in_line(
    personas,
    weekly,  # noqa: F811
    make_patients,
    django_capture_on_commit_callbacks,
):
    _, service = weekly
    walk_in, later, leaving = make_patients(3)
    holder = wait(personas.patient, service)
    slot = free_the_slot(personas, weekly)
    wait(later, service)
    offer = SlotOffer.objects.get(request=holder)

    appointment_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=walk_in,
        service_type=service,
        start=clock.local_datetime(offered_first_date(personas.patient), dt.time(10, 0)),
        is_telehealth=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.expire_offers() == 0  # the minute sweep

    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    assert SlotRequest.objects.get(pk=holder.pk).status == "waiting"
    assert FreedSlot.objects.get(pk=slot.pk).status == "taken"
    assert not SlotOffer.objects.filter(status="outstanding").exists()  # not passed on to someone who cannot book it
    told = Message.objects.get(template="slot_offer_withdrawn", patient=personas.patient)
    assert told.channel == "email" and not Message.objects.filter(template="slot_offer_withdrawn", channel="sms")
    entry = AccessLog.objects.get(action="slot_offer_withdraw")
    assert (entry.actor, entry.patient_id) == (None, personas.patient.pk)
    with pytest.raises(InvalidTransition, match="booked for another session before you answered"):
        slot_offer_accept(actor=personas.patient_user, offer=offer)
    # Still first in line: the next time that suits both goes to them, not to the one who joined after.
    with django_capture_on_commit_callbacks(execute=True):
        again = free_another_time(personas, weekly, leaving, dt.time(11))
    assert SlotOffer.objects.get(slot=again).request == holder


def test_the_holders_own_booking_of_the_time_does_not_withdraw_it(
    personas,
    weekly,  # noqa: F811
):
    _, service = weekly
    holder = wait(personas.patient, service)
    free_the_slot(personas, weekly)
    accepted = slot_offer_accept(actor=personas.patient_user, offer=SlotOffer.objects.get(request=holder))
    assert accepted.status == "accepted" and accepted.series is not None
    assert SlotRequest.objects.get(pk=holder.pk).status == "booked"


def test_a_held_time_booked_elsewhere_is_withdrawn_at_its_deadline_not_expired_onto_its_holder(
    personas,
    weekly,  # noqa: F811
    make_patients,
    django_capture_on_commit_callbacks,
):
    """A booking the minute sweep has not yet met (or met while the offer was being answered): the expiry at the
    deadline finds the time taken and sends the holder back in line instead of closing their place."""
    _, service = weekly
    [walk_in] = make_patients(1)
    holder = wait(personas.patient, service)
    free_the_slot(personas, weekly)
    offer = SlotOffer.objects.get(request=holder)
    AppointmentFactory(  # written without the booking's reactions, as a booking that met the slot locked
        therapist=personas.therapist,
        patient=walk_in,
        service_type=service,
        start=clock.local_datetime(offered_first_date(personas.patient) + dt.timedelta(weeks=1), dt.time(10, 0)),
    )
    past_deadline = time_machine.travel(offer.expires_at + dt.timedelta(minutes=1), tick=False)
    with past_deadline, django_capture_on_commit_callbacks(execute=True):
        assert offers_expire(kind="slot") == 0
    assert SlotOffer.objects.get(pk=offer.pk).status == "withdrawn"
    assert SlotRequest.objects.get(pk=holder.pk).status == "waiting"
    assert not Message.objects.filter(template="slot_offer_expired").exists()
    assert Message.objects.filter(template="slot_offer_withdrawn", patient=personas.patient).count() == 1


def test_a_freed_time_booked_from_the_calendar_before_anyone_waits_is_not_offered(
    personas,
    weekly,  # noqa: F811
    make_patients,
):
    booked, service = weekly
    [regular, newcomer] = make_patients(2)
    slot = free_the_slot(personas, weekly)
    series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=regular,
        service_type=service,
        first_date=booked.booked[1].local_start.date(),
        local_start_time=dt.time(10, 0),
        is_telehealth=True,
    )
    request = wait(newcomer, service)
    assert request.status == "waiting"
    assert not SlotOffer.objects.exists()
    assert FreedSlot.objects.get(pk=slot.pk).status == "taken"
