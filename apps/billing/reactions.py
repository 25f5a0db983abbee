"""Billing's reactions to other apps' transitions (registered in BillingConfig.ready())."""

from apps.scheduling.models import AppointmentTransition

from .services.charges import charge_for_appointment_outcome


def charge_session_outcome(transition: AppointmentTransition) -> None:
    """A completed session, a late cancellation or a no-show is charged at the patient's class, in the transaction
    that recorded it (once per appointment and outcome)."""
    charge_for_appointment_outcome(appointment=transition.appointment, actor=transition.actor)
