"""A patient's reminders and notices about their sessions, queued through the outbox.

Driven by the sessions' transitions (registered in SchedulingConfig.ready()): a booking queues the reminders, a
move replaces them, a cancellation or a no-show withdraws them (and a cancellation is announced). The booked and
moved notices list several sessions in one message, so the services send them once per booking or move.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse

from apps.core import clock
from apps.core.links import absolute_url
from apps.core.models import ClinicSettings
from apps.notifications.links import appointment_link_url
from apps.notifications.models import Channel, Message, MessageStatus
from apps.notifications.outbox import (
    message_build,
    message_enqueue,
    messages_enqueue,
    messages_withdraw,
    patient_notice_build,
    patient_notice_enqueue,
)
from apps.notifications.quiet_hours import quiet_hours_zone, sms_quiet_hours_shift

from .models import Appointment, AppointmentStatus, AppointmentTransition

REMINDER_TEMPLATE = "appointment_reminder"
REMINDER_PURPOSES = ("reminder_email", "reminder_sms")
CANCELLED_TEMPLATE = "appointment_cancelled"
BOOKED_TEMPLATE = "appointment_booked"
MOVED_TEMPLATE = "appointment_moved"
CANCELLED_STATUSES = frozenset({"cancelled", "late_cancelled"})
REPLANNED = "Withdrawn when the patient's contact details or reminder choices changed."


def _reminder_key(appointment, channel: str) -> str:
    return f"appointment:{appointment.pk}:reminder_{channel}:{appointment.start.isoformat()}"


def session_place_context(appointment) -> dict:
    """Where and in which zone a session is, as a message says it: its location's zone (a telehealth session's too:
    the therapist's office it is held from), and for an in-person session the location's name and address. The
    services hand their sessions the location row they booked at, so a series costs no query per date."""
    place = {
        "time_zone": appointment.zone.key,
        "is_telehealth": appointment.is_telehealth,
        "room_name": appointment.room.name if appointment.room_id else "",
    }
    if not appointment.is_telehealth:
        location = appointment.location
        place["location_name"] = location.name
        place["location_address"] = ", ".join(location.address_lines)
    return place


def reader_zone_context(patient) -> dict:
    """The patient's own zone, when they set one: messages then add "(… your time)", and texts keep to the quiet
    hours there."""
    return {"patient_time_zone": patient.time_zone} if patient.time_zone else {}


def _appointment_context(appointment) -> dict:
    """What a patient-facing appointment message may say: when, with whom, where. No clinical detail."""
    patient = appointment.patient
    return {
        "appointment_id": appointment.pk,
        "start": appointment.start.isoformat(),
        "end": appointment.end.isoformat(),
        "patient_first_name": patient.first_name,
        "therapist_first_name": appointment.therapist.first_name,
        "telehealth_url": appointment.telehealth_url,
        **session_place_context(appointment),
        **reader_zone_context(patient),
    }


@transaction.atomic
def appointment_reminders_schedule(*, appointment) -> list[Message]:
    """Queue the reminders a patient wants for a booked appointment, at the clinic's lead times.

    Email if the patient wants email reminders and has an address; a text only if they want texts, have
    recorded consent and have not replied STOP, and never in quiet hours (moved to the morning, dropped if
    that is not before the session). Keyed by the appointment's start, so a rescheduled session (after its
    old reminders were cancelled) gets new rows and the same reminder is never queued twice.
    """
    queued = [message_enqueue(**fields) for fields in _reminder_fields(appointment, ClinicSettings.load(), clock.now())]
    return [message for message in queued if message is not None]


def _reminder_fields(appointment, clinic: ClinicSettings, now: dt.datetime) -> list[dict]:
    """What `message_enqueue` (or `message_build`) is given for each of the appointment's reminders."""
    patient = appointment.patient
    # A session that has begun (one entered after the fact) has nothing left to remind anyone of.
    if patient is None or appointment.status != "booked" or appointment.start <= now:
        return []
    plans = []
    if patient.reminder_email and patient.email:
        plans.append((Channel.EMAIL, patient.email, clinic.reminder_email_lead_hours))
    if patient.reminder_sms and patient.can_receive_sms:
        plans.append((Channel.SMS, patient.phone, clinic.reminder_sms_lead_hours))
    context = _appointment_context(appointment)
    context["confirm_url"] = appointment_link_url(appointment=appointment, action="confirm")
    context["cancel_url"] = appointment_link_url(appointment=appointment, action="cancel")
    reminders = []
    for channel, address, lead_hours in plans:
        send_at = max(appointment.start - dt.timedelta(hours=lead_hours), now)
        if channel == Channel.SMS:
            send_at = sms_quiet_hours_shift(send_at, clinic, zone=quiet_hours_zone(patient=patient, context=context))
        if send_at >= appointment.start:
            continue
        reminders.append(
            {
                "channel": channel,
                "to_address": address,
                "purpose": f"reminder_{channel}",
                "template": REMINDER_TEMPLATE,
                "subject": appointment,
                "send_at": send_at,
                "dedupe_key": _reminder_key(appointment, channel),
                "patient": patient,
                "context": context,
                "clinic": clinic,
                "expires_at": appointment.start,
            }
        )
    return reminders


def _new_bookings_reminders_schedule(appointments, clinic: ClinicSettings | None) -> None:
    """The reminders of newly booked sessions (a series' dates), built with one read of the clinic's settings (none
    when the booking hands them over) and queued with one INSERT. Their keys name sessions created in this
    transaction, so none can be in the outbox already (nor cancelled there, to be revived)."""
    clinic, now = clinic or ClinicSettings.load(), clock.now()
    messages = [message_build(**fields) for a in appointments for fields in _reminder_fields(a, clinic, now)]
    if messages:
        messages_enqueue(messages=messages)


@transaction.atomic
def appointment_reminders_cancel(*, appointment) -> int:
    """Cancel the appointment's reminders that have not gone out yet; returns how many.

    When the appointment itself was cancelled (not merely moved or marked no-show), the patient is also
    emailed a cancellation notice. Sessions cancelled together (the rest of a series) share one notice:
    a later cancellation joins the patient's notice while it has not gone out yet. A session that had
    already begun is recorded as cancelled, not announced: the patient knows, and a notice about the past
    (a history entered after the fact) would only confuse them.
    """
    cancelled = messages_withdraw(subjects=[appointment], purposes=REMINDER_PURPOSES)
    patient = appointment.patient
    announce = appointment.status in CANCELLED_STATUSES and appointment.start > clock.now()
    if announce and patient is not None and patient.email:
        _cancellation_notice_add(appointment)
    return cancelled


@transaction.atomic
def patient_reminders_replan(*, patient) -> None:
    """Plan the patient's session reminders again from their chart as it now is (a new address or number, other
    reminder choices or consent, another zone or name): every reminder of theirs not yet sent is withdrawn, and each
    booked session ahead gets the reminders the chart now calls for. One already sent is not sent again (its key is
    taken); one withdrawn before, now or at send time, comes back with the new details. Runs in the chart change's
    transaction, under its lock on the patient's row (patients.extensions.reminder_details_changed)."""
    now = clock.now()
    Message.objects.filter(
        patient=patient,
        subject_type=Appointment._meta.label_lower,
        purpose__startswith="reminder_",
        status=MessageStatus.PENDING,
    ).update(status=MessageStatus.CANCELLED, claimed_until=None, last_error=REPLANNED, updated_at=now)
    clinic = ClinicSettings.load()
    sessions = (
        Appointment.objects.filter(patient=patient, status=AppointmentStatus.BOOKED, start__gt=now)
        .select_related("therapist", "room", "location")
        .order_by("start")
    )
    for appointment in sessions:
        appointment.patient = patient  # the chart as just changed
        for fields in _reminder_fields(appointment, clinic, now):
            message_enqueue(**fields)


def session_reminders_outdated(reminders: list[Message]) -> dict[int, str]:
    """The reminders among `reminders` (a session's or a group meeting's: their subject is the session) that would
    tell a time no longer kept, with why: the session is no longer booked, has begun, or moved from the time the
    reminder names, or its video link is no longer the one the reminder carries (a link is renewed so that someone
    who left cannot use it). A change to the session withdraws its reminders in its own transaction; this send guard
    catches one queued meanwhile (beat reminding a group's members as the meeting is cancelled, or as a member leaves;
    beat reminds again from the session as it is). One query."""
    sessions = {
        str(pk): (status, start, link)
        for pk, status, start, link in Appointment.objects.filter(
            pk__in={int(reminder.subject_id) for reminder in reminders}
        )
        .order_by()
        .values_list("pk", "status", "start", "telehealth_url")
    }
    now = clock.now()
    outdated = {}
    for reminder in reminders:
        status, start, link = sessions.get(reminder.subject_id, ("", None, ""))
        told = reminder.context.get("start")
        if status != AppointmentStatus.BOOKED:
            outdated[reminder.pk] = "The session is no longer booked."
        elif start <= now:
            outdated[reminder.pk] = "The session has begun."
        elif told and dt.datetime.fromisoformat(told) != start:
            outdated[reminder.pk] = "The session moved after this reminder was queued."
        elif reminder.context.get("telehealth_url", link) != link:
            outdated[reminder.pk] = "The session's video link changed after this reminder was queued."
    return outdated


def _cancellation_notice_add(appointment) -> None:
    patient = appointment.patient
    session = {
        "appointment_id": appointment.pk,
        "start": appointment.start.isoformat(),
        "time_zone": appointment.zone.key,
        "therapist_first_name": appointment.therapist.first_name,
        "late_cancelled": appointment.status == "late_cancelled",
    }
    notice = (
        Message.objects.select_for_update()
        .filter(patient=patient, purpose="appointment_cancelled", status=MessageStatus.PENDING, claimed_until=None)
        .order_by("pk")
        .first()
    )
    if notice is not None:
        sessions = [s for s in notice.context["sessions"] if s["appointment_id"] != appointment.pk] + [session]
        sessions.sort(key=lambda s: s["start"])
        notice.context = {
            **notice.context,
            "sessions": sessions,
            "late_cancelled": any(s["late_cancelled"] for s in sessions),
        }
        notice.save(update_fields=["context", "updated_at"])
        return
    patient_notice_enqueue(
        patient=patient,
        subject=appointment,
        template=CANCELLED_TEMPLATE,
        key=f"appointment:{appointment.pk}:cancelled:{appointment.start.isoformat()}",
        context={"sessions": [session], "late_cancelled": session["late_cancelled"], **reader_zone_context(patient)},
        email_only=True,
    )


def _session_line(appointment, previous_start: dt.datetime | None = None, previous_zone=None) -> dict:
    line = {
        "appointment_id": appointment.pk,
        "start": appointment.start.isoformat(),
        "therapist_first_name": appointment.therapist.first_name,
        **session_place_context(appointment),
    }
    if previous_start is not None:
        line["previous_start"] = previous_start.isoformat()
        # The old time on the clock of the office it was at (a move to another office changes the clock).
        line["previous_time_zone"] = (previous_zone or appointment.zone).key
    return line


def _sessions_notice(
    *, patient, template: str, subject, key: str, sessions: list[dict], new_subject: bool = False, clinic=None
) -> list[Message]:
    """One message per channel listing `sessions`, or none when there is nothing to tell. Texts only to patients
    who chose text reminders: these are about their sessions, like the reminders. About a `new_subject` (a session
    or series created in this transaction) the key cannot be taken, so the messages go in with one INSERT."""
    if patient is None or not sessions:
        return []
    # A text keeps to the quiet hours of the first session's zone unless the patient set their own.
    context = {"sessions": sessions, "time_zone": sessions[0]["time_zone"], **reader_zone_context(patient)}
    if patient.user_id is not None:
        context["portal_url"] = absolute_url(reverse("portal:sessions:list"))
    notice = {
        "patient": patient,
        "subject": subject,
        "template": template,
        "key": key,
        "context": context,
        "sms": patient.reminder_sms,
        "clinic": clinic,
    }
    if not new_subject:
        return patient_notice_enqueue(**notice)
    messages = patient_notice_build(**notice)
    if messages:
        messages_enqueue(messages=messages)
    return messages


def appointments_booked_notice(*, appointments, subject, clinic: ClinicSettings | None = None) -> list[Message]:
    """Confirm newly booked sessions to the patient: ONE message listing them all (a series' dates, or a single
    session), keyed by `subject` (the appointment or the series, created in the caller's transaction) so it is
    never queued twice. `clinic` is the settings row when the caller has read it already. One INSERT, in the
    caller's transaction.

    Only when, with whom and where; never anything clinical. Sessions that have begun (a history entered after the
    fact) are left out, and nothing is sent when none is left.
    """
    now = clock.now()
    ahead = sorted((a for a in appointments if a.start > now and a.patient_id is not None), key=lambda a: a.start)
    if not ahead:
        return []
    return _sessions_notice(
        patient=ahead[0].patient,
        template=BOOKED_TEMPLATE,
        subject=subject,
        key=f"{subject._meta.model_name}:{subject.pk}:booked",
        sessions=[_session_line(a) for a in ahead],
        new_subject=True,
        clinic=clinic,
    )


@transaction.atomic
def appointments_moved_notice(*, moves: list[tuple[dt.datetime, ZoneInfo, object]]) -> list[Message]:
    """Tell the patient their sessions moved: ONE message listing each session's old and new time. `moves` are
    (previous start, the zone of the office it was at, moved appointment): each old time is told on its own office's
    clock. A session moved to a time already begun is not announced."""
    now = clock.now()
    ahead = sorted(
        ((was, zone, a) for was, zone, a in moves if a.start > now and a.patient_id is not None),
        key=lambda m: m[2].start,
    )
    if not ahead:
        return []
    first = ahead[0][2]
    return _sessions_notice(
        patient=first.patient,
        template=MOVED_TEMPLATE,
        subject=first,
        key=f"appointment:{first.pk}:moved:{_moves_announced(first) + 1}",
        sessions=[_session_line(a, previous_start=was, previous_zone=zone) for was, zone, a in ahead],
    )


def _moves_announced(appointment) -> int:
    """How many moves of this session were announced before. Each move is its own news (a session moved away and
    back is announced both times), numbered in the outbox key; the caller holds the session's row lock, so two
    moves cannot take the same number."""
    keys = Message.objects.filter(
        subject_type=appointment._meta.label_lower, subject_id=str(appointment.pk), purpose=MOVED_TEMPLATE
    ).values_list("dedupe_key", flat=True)
    return len({key.rsplit(":", 1)[0] for key in keys})


# ---------------------------------------------------------------------------------------------------------------
# Reactions to the sessions' transitions (registered in SchedulingConfig.ready())


def reminders_on_booked(transition: AppointmentTransition) -> None:
    """A booking queues the reminders; a move (booked → booked) first withdraws those for the old time."""
    if transition.from_status == AppointmentStatus.BOOKED:
        appointment_reminders_cancel(appointment=transition.appointment)
    appointment_reminders_schedule(appointment=transition.appointment)


def reminders_on_booked_many(transitions: list[AppointmentTransition], *, clinic: ClinicSettings | None) -> None:
    """`reminders_on_booked` for a dispatch's transitions at once: new bookings' reminders are queued together;
    a move withdraws and requeues its session's own, as one transition does."""
    for transition in transitions:
        if transition.from_status:
            reminders_on_booked(transition)
    new = [t.appointment for t in transitions if not t.from_status]
    if new:
        _new_bookings_reminders_schedule(new, clinic)


def reminders_on_ended(transition: AppointmentTransition) -> None:
    """A cancelled session or a no-show needs no reminder any more; a cancellation ahead is announced."""
    appointment_reminders_cancel(appointment=transition.appointment)
