"""A patient books a first session or moves one of their own, online.

Both go through the scheduling services staff use (appointment_book, appointment_reschedule), so the same checks,
the same exclusion constraints, reminders and booked / moved notices apply; a slot taken between the page and the
confirmation comes back as their Conflict. These functions only add the online rules: the clinic's and the
therapist's switches, the booking window, working hours without any override, and the late-cancellation window.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.billing.models import EstimateReason
from apps.billing.selectors.estimates import estimate_covering
from apps.billing.selectors.reduced_fee_cap import reduced_fee_cap_breach
from apps.billing.services.estimates import EstimatedService, gfe_issue
from apps.core.errors import Conflict, Unprocessable
from apps.core.models import ClinicSettings
from apps.core.when import clock_text
from apps.patients.services import patient_in_care_hold
from apps.scheduling.availability import slots_check
from apps.scheduling.models import Appointment
from apps.scheduling.services import appointment_book, appointment_reschedule, cancellation_is_late

from . import rules, selectors

INTAKE_ON_RECORD = (
    "You have already had your first session (the intake assessment), so you do not need another. To book more "
    "sessions, ask your therapist, send the clinic a message or call the front desk."
)
CAP_REACHED = "{name} cannot take on more clients at a reduced fee just now. Please call the front desk to find a time."


def _slot_require(*, therapist, service_type, start: dt.datetime, location) -> None:
    """The start is inside the booking window and the therapist's working hours, outside their time off.
    Collisions are left to the booking service, which holds the database's answer."""
    if timezone.is_naive(start):
        raise Unprocessable("Times need a time zone.", fields={"start": ["Give a time zone offset."]})
    refusal = selectors.booking_window().refusal(start)
    if refusal:
        raise Unprocessable(refusal, fields={"start": [refusal]})
    length = dt.timedelta(minutes=service_type.duration_minutes)
    [slot] = slots_check(
        therapist=therapist, patient_id=None, room_id=None, spans=[(start, start + length)], location=location
    )
    if slot.unavailable:
        message = f"{slot.unavailable} Choose one of the free times shown."
        raise Unprocessable(message, fields={"start": [slot.unavailable]})


@transaction.atomic
def self_booking_book(*, actor, therapist, start: dt.datetime) -> Appointment:
    """Book the patient's first session (the intake assessment) with a therapist who takes new patients online,
    at the office they work at at that time (timed in its zone).
    Once: not while one is coming, nor once the patient's intake is on record (first_session_refuse); a reduced-fee
    patient past the therapist's cap is sent to the front desk, since only staff may override it. The intake's Good
    Faith Estimate is issued by the booking itself."""
    patient = rules.patient_required(actor)
    # The patient's row is held until this booking commits: a second booking of theirs (another tab) waits and
    # then finds this first session, and a discharge in flight is waited for.
    if not patient_in_care_hold(patient.pk):
        raise Unprocessable(rules.DISCHARGED)
    rules.first_session_allowed(actor, therapist)
    service_type = selectors.first_session_service()
    if service_type is None:
        raise Unprocessable("The clinic does not offer first sessions online just now.")
    first_session_refuse(patient=patient)
    location = selectors.booking_location(therapist=therapist, start=start)
    _slot_require(therapist=therapist, service_type=service_type, start=start, location=location)
    cap_reached_refuse(therapist=therapist, patient=patient)
    return appointment_book(
        actor=actor,
        therapist=therapist,
        patient=patient,
        service_type=service_type,
        start=start,
        location=location,
    )


def first_session_refuse(*, patient) -> None:
    """A first session is booked once: a coming one is moved instead, and a patient whose intake is on record (held,
    or written up in a signed intake note) books their next sessions with their therapist or the clinic. The
    pages, the API and the booking all ask here."""
    booked = selectors.upcoming_first_session(patient=patient)
    if booked is not None:
        when = booked.local_start
        raise Conflict(
            f"You already have a first session on {when:%A, %B} {when.day} at {clock_text(when)}. Move it instead.",
            extra={"appointment": booked.pk},
        )
    if selectors.intake_on_record(patient=patient):
        raise Conflict(INTAKE_ON_RECORD)


def cap_reached_refuse(*, therapist, patient) -> None:
    """A reduced-fee patient new to a therapist past their cap is sent to the front desk: only staff may override
    the cap."""
    if reduced_fee_cap_breach(therapist=therapist, patient=patient) is not None:
        raise Conflict(CAP_REACHED.format(name=therapist.full_name))


def move_refusal(appointment: Appointment) -> str:
    """Why a session cannot be moved online any more: inside the late-cancellation window. "" when it can."""
    if not cancellation_is_late(appointment):
        return ""
    hours = ClinicSettings.load().cancellation_window_hours
    return (
        f"Sessions can be moved online up to {hours} hours before they start. This one is closer than that: "
        "call the front desk. Cancelling it now is a late cancellation, charged the policy fee at your "
        "sliding-scale rate."
    )


@transaction.atomic
def self_booking_move(*, actor, appointment: Appointment, start: dt.datetime) -> Appointment:
    """Move one of the patient's own sessions (this occurrence only) to another free slot of the same therapist.
    Refused inside the late-cancellation window, with the policy stated. When none of the patient's Good Faith
    Estimates covers the moved session (its service on its new date), one is issued for it."""
    patient = rules.patient_required(actor)
    rules.move_allowed(actor, appointment)
    refusal = move_refusal(appointment)
    if refusal:
        raise Unprocessable(refusal)
    _slot_require(
        therapist=appointment.therapist,
        service_type=appointment.service_type,
        start=start,
        location=selectors.booking_location(therapist=appointment.therapist, start=start, moving=appointment),
    )
    [moved] = appointment_reschedule(appointment=appointment, actor=actor, start=start, scope="this")
    day = moved.local_start.date()
    if estimate_covering(patient=patient, service_type_id=moved.service_type_id, day=day) is None:
        gfe_issue(
            actor=actor,
            patient=patient,
            services=[EstimatedService(moved.service_type_id, moved.therapist_id, 1)],
            period_start=day,
            period_end=day,
            reason=EstimateReason.SESSION_MOVED,
            on=day,  # the fee its charge will post
        )
    return moved
