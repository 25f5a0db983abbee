"""Intake's reactions to the sessions' transitions (registered in IntakeConfig.ready())."""

from apps.core.models import ClinicSettings
from apps.scheduling.models import AppointmentTransition

from .services import packet_send_for_new_series


def packet_on_new_series(transition: AppointmentTransition, *, clinic: ClinicSettings | None = None) -> None:
    """A new series' first session was booked: send the standard packet when the clinic's setting says so.

    Only the booking of the series' first date asks (its other sessions, an extension or a move never do), so a
    12-week series costs one look at the setting (none when the booking hands over the settings row it read), not
    twelve; the service itself sends at most once per series."""
    appointment = transition.appointment
    if transition.from_status or appointment.series_id is None:
        return
    series = appointment.series
    if appointment.local_start.date() != series.first_date:  # both in the series' location zone
        return
    # Asked here, before the service's transaction: with the setting off (the default) no savepoint is taken.
    clinic = clinic or ClinicSettings.load()
    if clinic.intake_packet_on_series:
        packet_send_for_new_series(series=series, actor=transition.actor, clinic=clinic)


def packet_on_new_series_many(transitions: list[AppointmentTransition], *, clinic: ClinicSettings | None) -> None:
    """`packet_on_new_series` for a dispatch's transitions, with the settings row the booking read."""
    for transition in transitions:
        packet_on_new_series(transition, clinic=clinic)
