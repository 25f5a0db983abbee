"""Reads of the outbox for the staff message log."""

from django.db.models import QuerySet

from apps.core.errors import NotFound

from .models import AppointmentConfirmation, Message


def messages_visible_to(*, user) -> QuerySet[Message]:
    if not user.has_perm("notifications.view_messages"):
        return Message.objects.none()
    return Message.objects.select_related("patient", "recipient_user").order_by("-send_at", "-id")


def message_log(
    *, user, patient_id: int | None = None, purpose: str = "", status: str = "", channel: str = ""
) -> QuerySet[Message]:
    qs = messages_visible_to(user=user)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if purpose:
        # A NUL cannot be stored in a purpose, and Postgres refuses it in a query.
        qs = qs.filter(purpose=purpose) if "\x00" not in purpose else qs.none()
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return qs


def message_purposes() -> list[str]:
    return list(Message.objects.order_by("purpose").values_list("purpose", flat=True).distinct())


def message_get(*, user, message_id) -> Message:
    message = messages_visible_to(user=user).filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    return message


def appointments_confirmed(*, appointments) -> set[int]:
    """Ids of the given appointments the patient has confirmed for their current start (one query).

    The starts are compared here rather than in SQL: one condition per appointment made a busy week's calendar
    spend more time building the query than running it.
    """
    starts = {appointment.pk: appointment.start for appointment in appointments}
    confirmed = AppointmentConfirmation.objects.filter(appointment_id__in=list(starts))
    return {pk for pk, start in confirmed.values_list("appointment_id", "appointment_start") if starts[pk] == start}
