"""A patient's text replies: opt out, confirm the session last reminded, or how to cancel it; when the number gets
reminders for more than one patient, which session is whose."""

import datetime as dt

from django.apps import apps

from apps.core import clock
from apps.core.models import ClinicSettings
from apps.core.time_zones import patient_when_text, zone_or_none

from .confirmations import appointment_confirm
from .links import appointment_link_url
from .models import Channel, ConfirmationSource, Message, MessageStatus
from .opt_outs import OPT_OUT_KEYWORDS, number_opt_out

CONFIRM_KEYWORDS = frozenset({"C", "CONFIRM", "Y", "YES"})
CANCEL_KEYWORDS = frozenset({"CANCEL"})


def _keyword(body: str) -> str:
    """The keyword a text reply is: one word, any case, with surrounding spaces and a final . or ! ignored."""
    return body.strip().upper().rstrip(".!").strip()


# How many of the latest reminders texted to a number are searched for sessions still open: enough for a family
# sharing one number, few enough to read at once.
RECENT_REMINDERS = 10


def _texted_sessions(from_number: str) -> list:
    """The booked sessions still ahead whose reminders were lately texted to this number, the last texted first, of
    patients whose number it still is and who still take texts. A number two charts share (a parent and a child)
    can name more than one patient's session here. Each session carries `texted_start`: the start its last reminder
    told (None for a reminder that did not record it), which a session moved since no longer has.

    A reminder's subject is its session; it is found through the subject's model label, as every outbox row names
    what it is about, so the outbox does not import the schedule above it."""
    reminders = list(
        Message.objects.filter(
            channel=Channel.SMS, to_address=from_number, purpose="reminder_sms", status=MessageStatus.SENT
        )
        .order_by("-sent_at")
        .values_list("subject_type", "subject_id", "context__start")[:RECENT_REMINDERS]
    )
    open_sessions = {}
    for subject_type in {label for label, _, _ in reminders}:
        ids = [pk for label, pk, _ in reminders if label == subject_type]
        sessions = apps.get_model(subject_type).objects.filter(pk__in=ids, status="booked", start__gt=clock.now())
        open_sessions.update(
            {
                (subject_type, str(s.pk)): s
                for s in sessions.select_related("patient")
                # A number the patient has since given up (or texts they withdrew) speaks for them no more.
                if s.patient.phone == from_number and s.patient.can_receive_sms
            }
        )
    texted = {}  # the last texted first, each session once, with the start its last reminder told
    for label, pk, start in reminders:
        texted.setdefault((label, pk), start)
    found = []
    for key, start in texted.items():
        if key in open_sessions:
            session = open_sessions[key]
            session.texted_start = dt.datetime.fromisoformat(start) if start else None
            found.append(session)
    return found


def _moved_since_texted(session) -> bool:
    return session.texted_start is not None and session.texted_start != session.start


def _session_words(appointment) -> str:
    """The session's time as its reminder told it: at its office's clock, and the patient's own if they set another."""
    return patient_when_text(
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
    booked and ahead, and the answer names whose it is. CANCEL cancels nothing by itself and opts out of nothing:
    the answer says how to cancel that session (its signed cancel link, which shows the cancellation policy before
    the patient confirms) and that texts stay on until they reply STOP. When the sessions still open that were
    texted to the number belong to more than one patient (a parent and a child sharing a phone), a reply cannot
    say whose it means: nothing is done, and the answer lists each one's first name, time and link.
    """
    word = _keyword(body)
    if carrier_opted_out or word in OPT_OUT_KEYWORDS:
        number_opt_out(from_number=from_number)
        # Twilio answers opt-outs itself; a second reply would be noise.
        return ""
    if word not in CONFIRM_KEYWORDS | CANCEL_KEYWORDS:
        return ""
    clinic = ClinicSettings.load()
    action = "confirm" if word in CONFIRM_KEYWORDS else "cancel"
    stay_on = [] if action == "confirm" else ["Your text reminders stay on; reply STOP to end all texts."]
    sessions = _texted_sessions(from_number)
    if not sessions:
        could_not = f"We could not find an upcoming session to {action}. Please {_call_us(clinic)}."
        return " ".join([could_not, *stay_on, clinic.name])
    if len({session.patient_id for session in sessions}) > 1:
        return "\n".join([_whose_session(sessions, action=action, clinic=clinic), " ".join([*stay_on, clinic.name])])
    appointment = sessions[0]
    whose = f"{appointment.patient.first_name}'s session on {_session_words(appointment)}"
    if action == "confirm":
        if _moved_since_texted(appointment):
            # "C" answered the time the reminder told; the session is no longer then, and a yes to one time is not
            # a yes to another. The new time gets its own reminder.
            moved = f"{appointment.patient.first_name}'s session has moved to {_session_words(appointment)}"
            return (
                f"{moved} since we texted you, so nothing is confirmed. Reply C to the new time's reminder, or "
                f"{_call_us(clinic)}. {clinic.name}"
            )
        appointment_confirm(appointment=appointment, source=ConfirmationSource.SMS)
        return f"Thank you. {whose} is confirmed. {clinic.name}"
    cancel_url = appointment_link_url(appointment=appointment, action="cancel")
    how = f"Nothing is cancelled yet. To cancel {whose}, open {cancel_url} or {_call_us(clinic)}."
    return " ".join([how, *stay_on, clinic.name])


def _whose_session(sessions: list, *, action: str, clinic: ClinicSettings) -> str:
    """The answer when the number gets reminders for more than one patient: a reply cannot say whose session it
    means, so nothing is done and each session is named by first name and time, with its own signed link (which
    shows the session and acts only when pressed). First names and times only: nothing clinical."""
    done = "confirmed" if action == "confirm" else "cancelled"
    # A session a line, its link ending the line: no punctuation sticks to it when the phone makes it a link.
    lines = [
        f"{s.patient.first_name}, {_session_words(s)}: {appointment_link_url(appointment=s, action=action)}"
        for s in sorted(sessions, key=lambda s: s.start)
    ]
    return "\n".join(
        [
            f"This number gets reminders for more than one person, so nothing is {done} yet. "
            f"To {action}, open the link for that session or {_call_us(clinic)}:",
            *lines,
        ]
    )
