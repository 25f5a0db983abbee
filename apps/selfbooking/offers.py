"""The free slots a patient is offered, with the checks the booking itself makes: the pages and the API list
exactly what the services would accept (bar a race for the slot)."""

import datetime as dt
from dataclasses import dataclass

from apps.core.errors import Unprocessable
from apps.scheduling.availability import Slot
from apps.scheduling.models import Appointment, ServiceType

from . import rules, selectors
from .quote import Quote, booking_quote
from .services import move_refusal


@dataclass(frozen=True)
class Offer:
    """A week of free slots for a first session with `therapist`, or to move `moving`."""

    patient: object
    therapist: object
    service_type: ServiceType
    week: dt.date
    slots: list[Slot]
    moving: Appointment | None = None

    def quote(self, start: dt.datetime) -> Quote:
        return booking_quote(
            patient=self.patient, service_type=self.service_type, start=start, first_session=self.moving is None
        )

    def slot_at(self, start: dt.datetime) -> Slot | None:
        return next((s for s in self.slots if s.start == start), None)


def first_session_offer(*, user, therapist, week: dt.date) -> Offer:
    patient = rules.patient_required(user)
    rules.first_session_allowed(user, therapist)
    service_type = selectors.first_session_service()
    if service_type is None:
        raise Unprocessable("The clinic does not offer first sessions online just now.")
    slots = selectors.bookable_slots(patient=patient, therapist=therapist, service_type=service_type, week=week)
    return Offer(patient, therapist, service_type, week, slots)


def move_offer(*, user, appointment: Appointment, week: dt.date) -> Offer:
    patient = rules.patient_required(user)
    rules.move_allowed(user, appointment)
    refusal = move_refusal(appointment)
    if refusal:
        raise Unprocessable(refusal)
    slots = selectors.bookable_slots(
        patient=patient,
        therapist=appointment.therapist,
        service_type=appointment.service_type,
        week=week,
        moving=appointment,
    )
    return Offer(patient, appointment.therapist, appointment.service_type, week, slots, moving=appointment)
