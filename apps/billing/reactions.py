"""Billing's reactions to other apps' transitions (registered in BillingConfig.ready())."""

from apps.scheduling.models import AppointmentTransition

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
