"""A patient's confirmation that they will come to a session (a reminder's link or a text reply)."""

from django.db import transaction

from apps.core.errors import InvalidTransition

from .models import AppointmentConfirmation


@transaction.atomic
def appointment_confirm(*, appointment, source: str) -> AppointmentConfirmation:
    """Record that the patient will come to this session (idempotent per session start)."""
    if appointment.status != "booked":
        raise InvalidTransition("Only a booked session can be confirmed.")
    confirmation, _ = AppointmentConfirmation.objects.get_or_create(
        appointment=appointment, appointment_start=appointment.start, defaults={"source": source}
    )
    return confirmation
