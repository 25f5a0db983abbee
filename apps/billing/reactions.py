"""Billing's reactions to other apps' transitions (registered in BillingConfig.ready())."""

from apps.core.models import ClinicSettings
from apps.scheduling.models import AppointmentTransition

from .pricing import session_date
from .services.charges import charge_for_appointment_outcome
from .services.estimates import gfe_issue_for_booking


def charge_session_outcome(transition: AppointmentTransition) -> None:
    """A completed session, a late cancellation or a no-show is charged at the patient's class, in the transaction
    that recorded it (once per appointment and outcome)."""
    charge_for_appointment_outcome(appointment=transition.appointment, actor=transition.actor)


def estimate_on_booking(transition: AppointmentTransition) -> None:
    """A new intake session or a new series gets the patient's Good Faith Estimate (a move is not a booking)."""
    if transition.from_status:
        return
    gfe_issue_for_booking(appointment=transition.appointment, actor=transition.actor)


def estimate_on_booking_many(transitions: list[AppointmentTransition], *, clinic: ClinicSettings | None) -> None:
    """`estimate_on_booking` for a dispatch's transitions at once. Only a series' earliest session can issue its
    estimate, so of the sessions of one series booked together only the earliest asks. When that one is on the
    series' first date, this dispatch is the series' own booking and holds all its sessions (an extension books
    only later dates, a move is no booking), so their starts are handed over rather than read again, with the
    settings row the booking read."""
    new_in_series: dict[int, list[AppointmentTransition]] = {}
    for transition in transitions:
        appointment = transition.appointment
        if appointment.series_id is None:
            estimate_on_booking(transition)
        elif not transition.from_status:
            new_in_series.setdefault(appointment.series_id, []).append(transition)
    for booked in new_in_series.values():
        earliest = min(booked, key=lambda t: t.appointment.start)
        appointment = earliest.appointment
        whole = session_date(appointment) == appointment.series.first_date
        gfe_issue_for_booking(
            appointment=appointment,
            actor=earliest.actor,
            series_starts=[t.appointment.start for t in booked] if whole else None,
            clinic=clinic,
        )
