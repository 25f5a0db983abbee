"""The slot waitlist's reactions to the sessions' transitions (registered in WaitlistConfig.ready())."""

from apps.scheduling.models import AppointmentTransition

from .services import slot_freed


def slot_offer_when_series_ends(transition: AppointmentTransition) -> None:
    """A series' following sessions were cancelled: its weekly time is free from the first of them, offered down
    the slot waitlist (slot_freed is once per series)."""
    if not transition.ends_series:
        return
    appointment = transition.appointment
    free_from = appointment.local_start.date()
    slot_freed(series=appointment.series, free_from=free_from, actor=transition.actor)
