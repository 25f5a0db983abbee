"""People's words for the codes an outbox row carries (its purpose and the provider's delivery status) and for a
patient's confirmation of a session.

Purposes are free strings each app picks when it queues a message (docs/notifications.md), so they are not
model choices; the ones the apps use are named here, and an unknown one still reads as words.
"""

import datetime as dt

from django.utils import timezone

from apps.core.when import clock_text

from .models import ConfirmationSource

PURPOSE_LABELS = {
    "reminder_email": "Session reminder (email)",
    "reminder_sms": "Session reminder (text)",
    "appointment_cancelled": "Cancellation notice",
    "group_reminder_email": "Group meeting reminder (email)",
    "group_reminder_sms": "Group meeting reminder (text)",
    "seat_offer": "Group seat offer",
    "seat_offer_expired": "Group seat offer expired",
    "enrollment_confirmed": "Group enrollment confirmed",
    "waitlist_closed": "Group waitlist closed",
    "lecture_registration_confirmed": "Lecture registration confirmed",
    "lecture_registration_waitlisted": "Lecture waitlist place",
    "lecture_seat_offer": "Lecture seat offer",
    "lecture_seat_offer_expired": "Lecture seat offer expired",
    "lecture_waitlist_closed": "Lecture waitlist closed",
    "lecture_meeting_reminder": "Lecture reminder",
    "group_meeting_cancelled": "Group meeting cancelled",
    "lecture_meeting_cancelled": "Lecture cancelled",
    "group_meeting_moved": "Group meeting moved",
    "lecture_meeting_moved": "Lecture moved",
    "group_meeting_link_renewed": "Group meeting's new video link",
    "lecture_meeting_link_renewed": "Lecture's new video link",
    "lecture_interest_registered": "Lecture interest list place",
    "interest_minimum_reached": "Interest list reached its minimum",
    "program_launched": "Program going ahead",
    "program_delayed": "Program decision moved",
    "program_not_launched": "Program did not launch (with the next step)",
    "slot_offer": "Weekly time offer",
    "slot_offer_expired": "Weekly time offer expired",
    "slot_offer_withdrawn": "Weekly time offer withdrawn (the time was booked or no longer offered)",
    "questionnaire_due": "Questionnaire to answer",
    "intake_packet": "Intake forms to complete",
    "release_renewal_due": "Release of information to sign again",
    "measure_flag": "Questionnaire answer to review",
    "reattestation_due": "Sliding-scale renewal due",
    "plan_instalment_overdue": "Payment plan installment overdue",
    "statement_ready": "Statement ready",
    "record_ready": "Records ready to download",
    "unsigned_notes_digest": "Unsigned notes digest",
    "secure_message": "New secure message (to the patient)",
    "secure_message_staff": "New secure message (to the clinic)",
    "secure_message_handed_over": "Secure message conversation handed to the therapist",
    "education_shared": "Reading material shared",
}

# Twilio's message statuses (https://www.twilio.com/docs/messaging/api/message-resource#message-status-values).
PROVIDER_STATUS_LABELS = {
    "accepted": "Accepted by the text provider",
    "scheduled": "Scheduled at the text provider",
    "queued": "Queued at the text provider",
    "sending": "Sending",
    "sent": "Passed to the carrier",
    "delivered": "Delivered to the phone",
    "read": "Read",
    "undelivered": "Not delivered",
    "failed": "The carrier refused it",
    # Ours: the mail server took the whole message but never confirmed it (delivery.UNCONFIRMED).
    "unconfirmed": "Not confirmed by the mail server",
}


def _words(code: str) -> str:
    return code.replace("_", " ").strip().capitalize()


def purpose_label(code: str) -> str:
    return PURPOSE_LABELS.get(code) or _words(code)


def provider_status_label(code: str) -> str:
    return PROVIDER_STATUS_LABELS.get(code) or _words(code)


def confirmation_detail(confirmed_at: dt.datetime | None, confirmed_via: str | None) -> str:
    """How and when a patient confirmed ("by text reply, Jun 1, 3:12 PM"), from the `confirmed_at` and `confirmed_via`
    that `selectors.with_confirmation` annotates; "" when they have not. On the clock of the page it is shown on (the
    clinic's, or the office's whose day the front desk reads), as the page's other times are."""
    if confirmed_at is None:
        return ""
    how = ConfirmationSource(confirmed_via).label.lower() if confirmed_via in ConfirmationSource.values else "patient"
    local = timezone.localtime(confirmed_at)
    return f"by {how}, {local:%b} {local.day}, {clock_text(local)}"


def confirmation_words(confirmed_at: dt.datetime | None, confirmed_via: str | None) -> str:
    """ "Confirmed by text reply, Jun 1, 15:12", or "" when the patient has not confirmed."""
    detail = confirmation_detail(confirmed_at, confirmed_via)
    return f"Confirmed {detail}" if detail else ""
