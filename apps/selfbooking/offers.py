"""The free slots a patient is offered, with the checks the booking itself makes: the pages and the API list
exactly what the services would accept (bar a race for the slot)."""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.scheduling.availability import Slot
from apps.scheduling.models import Appointment, ServiceType

from . import rules, selectors
from .quote import Quote, booking_quote
from .services import cap_reached_refuse, first_session_refuse, move_refusal


@dataclass(frozen=True)
class Offer:
    """A week of free slots for a first session with `therapist`, or to move `moving`."""

    patient: object
    therapist: object
    service_type: ServiceType
    week: dt.date
    slots: list[Slot]
    moving: Appointment | None = None

    def quote(self, slot: Slot) -> Quote:
        return booking_quote(
            patient=self.patient,
            service_type=self.service_type,
            day=slot.start.astimezone(slot.tz).date(),
            first_session=self.moving is None,
        )

    def slot_at(self, start: dt.datetime) -> Slot | None:
        return next((s for s in self.slots if s.start == start), None)


def _first_session_checks(*, user, therapist) -> tuple[object, ServiceType]:
    """The patient and the intake service, once the checks the booking makes pass."""
    patient = rules.patient_required(user)
    rules.patient_in_care(patient)
    rules.first_session_allowed(user, therapist)
    service_type = selectors.first_session_service()
    if service_type is None:
        raise Unprocessable("The clinic does not offer first sessions online just now.")
    # Before any time is shown: a patient who has their first session, or has had it, and a reduced-fee patient
    # past the therapist's cap could choose one but not book it.
    first_session_refuse(patient=patient)
    cap_reached_refuse(therapist=therapist, patient=patient)
    return patient, service_type


def _first_session_week(*, patient, therapist, service_type: ServiceType, week: dt.date) -> Offer:
    slots = selectors.bookable_slots(patient=patient, therapist=therapist, service_type=service_type, week=week)
    return Offer(patient, therapist, service_type, week, slots)


def first_session_offer(*, user, therapist, week: dt.date) -> Offer:
    patient, service_type = _first_session_checks(user=user, therapist=therapist)
    return _first_session_week(patient=patient, therapist=therapist, service_type=service_type, week=week)


def first_session_offer_soonest(*, user, therapist) -> Offer:
    """The first week with a free time for a first session, from the week of the earliest time the booking window
    allows up to its horizon: where a patient who has not chosen a week wants to start (on a Friday evening the
    rest of the week is inside the notice period). The earliest week's offer, empty, when no week has a time."""
    patient, service_type = _first_session_checks(user=user, therapist=therapist)
    window = selectors.booking_window()
    week = selectors.monday_of(timezone.localtime(window.earliest, clock.clinic_tz()).date())
    first = offer = _first_session_week(patient=patient, therapist=therapist, service_type=service_type, week=week)
    while not offer.slots:
        week += dt.timedelta(days=7)
        if clock.local_datetime(week, dt.time(0)) > window.latest:
            return first
        offer = _first_session_week(patient=patient, therapist=therapist, service_type=service_type, week=week)
    return offer


@dataclass(frozen=True)
class MoveOnline:
    """Whether a patient can move one of their sessions online now (`open`), or not because it is inside the
    late-cancellation window (`too_close`: the front desk can); neither when its therapist takes no moves online."""

    open: bool
    too_close: bool


def move_online(*, user, appointment: Appointment) -> MoveOnline:
    """What the sessions pages offer, by the checks `move_offer` and the move itself make."""
    if not user.has_perm("selfbooking.move_session", appointment):
        return MoveOnline(open=False, too_close=False)
    too_close = bool(move_refusal(appointment))
    return MoveOnline(open=not too_close, too_close=too_close)


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
