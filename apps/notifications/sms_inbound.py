"""A patient's text replies: opt out, confirm the session last reminded, or how to cancel it."""

from django.apps import apps

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.core.time_zones import when_text, zone_or_none

from .confirmations import appointment_confirm
from .links import appointment_link_url
from .models import Channel, ConfirmationSource, Message, MessageStatus
from .opt_outs import OPT_OUT_KEYWORDS, number_opt_out

CONFIRM_KEYWORDS = frozenset({"C", "CONFIRM", "Y", "YES"})
CANCEL_KEYWORDS = frozenset({"CANCEL"})


def _keyword(body: str) -> str:
    """The keyword a text reply is: one word, any case, with surrounding spaces and a final . or ! ignored."""
    return body.strip().upper().rstrip(".!").strip()


def _texted_session(from_number: str):
    """The booked session still ahead whose reminder was most recently texted to this number, or None.

    The reminder's subject is the session; it is found through the subject's model label, as every outbox row
    names what it is about, so the outbox does not import the schedule above it."""
    reminders = Message.objects.filter(
        channel=Channel.SMS, to_address=from_number, purpose="reminder_sms", status=MessageStatus.SENT
    ).order_by("-sent_at")
    for reminder in reminders[:5]:
        sessions = apps.get_model(reminder.subject_type).objects
        appointment = (
            sessions.filter(pk=reminder.subject_id, status="booked", start__gt=clock.now())
            .select_related("patient")
            .first()
        )
        if appointment is not None:
            return appointment
    return None


def _session_words(appointment) -> str:
    """The session's time as its reminder told it: at its office's clock, and the patient's own if they set another."""
    return when_text(
        appointment.start,
        zone=appointment.zone,
        reader_zone=zone_or_none(appointment.patient.time_zone),
        day_format="D M j",
    )


def _call_us(clinic: ClinicSettings) -> str:
    return f"call us at {clinic.phone}" if clinic.phone else "call the clinic"


def sms_inbound_handle(*, from_number: str, body: str, carrier_opted_out: bool = False) -> str:
    """Act on a patient's text reply; returns the reply text to send back ("" for none).

    STOP (and the other opt-out words, or the carrier saying it opted the number out) withdraws SMS consent.
    C / CONFIRM / Y / YES confirm the session whose reminder was last texted to that number, while it is still
    booked and ahead. CANCEL cancels nothing by itself and opts out of nothing: the answer says how to cancel
    that session (its signed cancel link, which shows the cancellation policy before the patient confirms) and
    that texts stay on until they reply STOP.
    """
    word = _keyword(body)
    if carrier_opted_out or word in OPT_OUT_KEYWORDS:
        number_opt_out(from_number=from_number)
        # Twilio answers opt-outs itself; a second reply would be noise.
        return ""
    if word not in CONFIRM_KEYWORDS | CANCEL_KEYWORDS:
        return ""
    clinic = ClinicSettings.load()
    appointment = _texted_session(from_number)
    if word in CONFIRM_KEYWORDS:
        if appointment is None:
            return f"We could not find an upcoming session to confirm. Please {_call_us(clinic)}. {clinic.name}"
        appointment_confirm(appointment=appointment, source=ConfirmationSource.SMS)
        return f"Thank you, your session on {_session_words(appointment)} is confirmed. {clinic.name}"
    texts_stay_on = "Your text reminders stay on; reply STOP to end all texts."
    if appointment is None:
        return (
            f"We could not find an upcoming session to cancel. Please {_call_us(clinic)}. {texts_stay_on} {clinic.name}"
        )
    cancel_url = appointment_link_url(appointment=appointment, action="cancel")
    return (
        f"Nothing is cancelled yet. To cancel your session on {_session_words(appointment)}, open {cancel_url} "
        f"or {_call_us(clinic)}. {texts_stay_on} {clinic.name}"
    )
