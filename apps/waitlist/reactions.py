"""The slot waitlist's reactions to the sessions' transitions (registered in WaitlistConfig.ready())."""

from apps.scheduling.models import AppointmentTransition

from .services import slot_freed, slot_offers_withdraw_when_booked


def slot_offer_when_series_ends(transition: AppointmentTransition) -> None:
    """A series' following sessions were cancelled: its weekly time is free from the first of them, offered down
    the slot waitlist (slot_freed is once per series)."""
    if not transition.ends_series:
        return
    appointment = transition.appointment
    free_from = appointment.local_start.date()
    slot_freed(series=appointment.series, free_from=free_from, actor=transition.actor)


def slot_offer_withdraw_when_time_booked(transition: AppointmentTransition) -> None:
    """A session booked or moved into a weekly time held for someone on the waitlist takes it from them."""
    slot_offers_withdraw_when_times_booked([transition])


def slot_offers_withdraw_when_times_booked(transitions: list[AppointmentTransition], *, clinic=None) -> None:
    """`slot_offer_withdraw_when_time_booked` for a dispatch's transitions at once (a series' sessions)."""
    slot_offers_withdraw_when_booked(actor=transitions[0].actor, appointments=[t.appointment for t in transitions])
