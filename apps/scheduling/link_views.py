"""The pages behind a reminder's signed links: confirm or cancel the session without signing in.

GET shows what will happen and only POST acts, because mail scanners follow links. The token is notifications'
(it signs what goes out in its messages); confirming and cancelling are the session's own changes, so the pages
live here, above notifications, and keep their old addresses (see link_urls).
"""

from django.http import Http404
from django.shortcuts import render

from apps.core.errors import ApplicationError, NotFound
from apps.notifications.confirmations import appointment_confirm
from apps.notifications.links import appointment_link_read
from apps.notifications.models import ConfirmationSource
from apps.patients.rules import LINK_SENT_TO_OLD_CONTACT, link_sent_before_contact_change

from .models import AppointmentStatus
from .selectors import appointment_for_signed_link
from .services import appointment_cancel, cancellation_is_late


def _appointment_for_link(token: str, action: str):
    try:
        claim = appointment_link_read(token=token, action=action)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    appointment = appointment_for_signed_link(appointment_id=claim.appointment_id, start=claim.start)
    if appointment is None:
        raise Http404("This link is for a session that has since been moved.")
    patient = appointment.patient  # none for a group meeting, whose reminders carry no such links
    if patient is not None and link_sent_before_contact_change(patient=patient, signed_at=claim.signed_at):
        raise Http404(LINK_SENT_TO_OLD_CONTACT)
    return appointment


def _link_page(request, appointment, action: str, *, status: int = 200, **extra):
    context = {"appointment": appointment, "action": action, **extra}
    return render(request, "scheduling/appointment_link.html", context, status=status)


def appointment_confirm_link(request, token):
    appointment = _appointment_for_link(token, "confirm")
    if request.method == "POST":
        try:
            appointment_confirm(appointment=appointment, source=ConfirmationSource.LINK)
        except ApplicationError as exc:
            return _link_page(request, appointment, "confirm", error=exc.message, status=exc.status)
        return _link_page(request, appointment, "confirm", done=True)
    return _link_page(request, appointment, "confirm")


def appointment_cancel_link(request, token):
    appointment = _appointment_for_link(token, "cancel")
    if request.method == "POST":
        try:
            appointment = appointment_cancel(
                appointment=appointment,
                actor=appointment.patient.user if appointment.patient else None,
                reason="Cancelled by the patient from a reminder link.",
            )
        except ApplicationError as exc:
            return _link_page(request, appointment, "cancel", error=exc.message, status=exc.status)
        return _link_page(request, appointment, "cancel", done=True)
    is_late = appointment.status == AppointmentStatus.BOOKED and cancellation_is_late(appointment)
    return _link_page(request, appointment, "cancel", is_late=is_late)
