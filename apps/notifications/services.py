"""The outbox: queueing messages in the caller's transaction, and sending them at most once.

Callers queue messages inside their own transaction, so the rows commit or roll back with the change that
caused them. Beat runs `dispatch_due` every minute: it claims due rows (SELECT … FOR UPDATE SKIP LOCKED,
leased) and hands the ids to send tasks, a few per task; each row is locked again, delivered and recorded
in its own transaction. Retries are rows with a later `send_at`, never long countdowns on the broker.
"""

import datetime as dt
import select

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import ClinicSettings
from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.core.links import absolute_url

from .channels import DeliveryError, Handover, Outgoing, deliver_email, deliver_sms, email_connection
from .links import appointment_link_url
from .models import AppointmentConfirmation, Channel, ConfirmationSource, Message, MessageStatus
from .rendering import message_render

# -------------------------------------------------------------------------------------------------------------
# Quiet hours


def sms_quiet_hours_shift(at: dt.datetime, clinic: ClinicSettings | None = None) -> dt.datetime:
    """The first moment at or after `at` outside the clinic's quiet hours (clinic time; 21:00-08:00 by default).

    A text due at night waits for the morning; quiet hours may wrap midnight or not.
    """
    clinic = clinic or ClinicSettings.load()
    start, end = clinic.quiet_hours_start, clinic.quiet_hours_end
    if start == end:
        return at
    local = timezone.localtime(at, clock.clinic_tz())
    t = local.time()
    wraps = start > end
    in_quiet = (t >= start or t < end) if wraps else (start <= t < end)
    if not in_quiet:
        return at
    day = local.date() + dt.timedelta(days=1) if wraps and t >= start else local.date()
    return clock.local_datetime(day, end)


# -------------------------------------------------------------------------------------------------------------
# Queueing


def message_build(
    *,
    channel: str,
    to_address: str,
    purpose: str,
    template: str,
    subject: models.Model,
    send_at: dt.datetime,
    dedupe_key: str,
    patient=None,
    recipient_user=None,
    context: dict | None = None,
) -> Message:
    """An unsaved outbox row, as `message_enqueue` and `messages_enqueue` write it. Texts due in quiet hours are
    moved to the morning. `context` follows the convention in `rendering.message_render`: plain JSON values, no
    clinical text."""
    if patient is None and recipient_user is None:
        raise ValueError("A message needs a patient or a recipient user.")
    if channel == Channel.SMS:
        send_at = sms_quiet_hours_shift(send_at)
    return Message(
        channel=channel,
        to_address=to_address,
        purpose=purpose,
        template=template,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        send_at=send_at,
        patient=patient,
        recipient_user=recipient_user,
        context=context or {},
        dedupe_key=dedupe_key,
    )


@transaction.atomic
def message_enqueue(**fields) -> Message | None:
    """Queue one message, given `message_build`'s keyword arguments, in the caller's transaction; None when that
    key is already queued or sent.

    The dedupe key is unique in the database, so the same message can never be queued twice, even by
    concurrent callers. A row with the key that was cancelled and never sent comes back to life with the
    new details (a session moved away and back).
    """
    message = message_build(**fields)
    try:
        with transaction.atomic():
            message.save(force_insert=True)
            return message
    except IntegrityError:
        pass  # the key exists: queued, sent, or cancelled earlier (or by a concurrent transaction just now)
    existing = Message.objects.select_for_update().get(dedupe_key=message.dedupe_key)
    if existing.status != MessageStatus.CANCELLED:
        return None
    for field in _DETAIL_FIELDS:
        setattr(existing, field, getattr(message, field))
    existing.status = MessageStatus.PENDING
    existing.attempts = 0
    existing.last_error = ""
    existing.claimed_until = None
    existing.save()
    return existing


_DETAIL_FIELDS = (
    "channel",
    "to_address",
    "purpose",
    "template",
    "subject_type",
    "subject_id",
    "send_at",
    "patient",
    "recipient_user",
    "context",
)


@transaction.atomic
def messages_enqueue(*, messages: list[Message]) -> None:
    """Queue many built messages (`message_build`) in one INSERT in the caller's transaction. A key already in the
    outbox is left as it is, whatever its status: this is for messages about rows created in the same transaction
    (their keys are new), where reviving a cancelled row cannot arise."""
    Message.objects.bulk_create(messages, ignore_conflicts=True)


# -------------------------------------------------------------------------------------------------------------
# Appointment reminders and notices


def patient_notice_enqueue(
    *, patient, subject, template: str, key: str, context: dict, sms: bool = True
) -> list[Message]:
    """Every notice a patient gets about their own care goes out through here: by email when they have an
    address, and by text when `sms` and they agreed to texts and have not replied STOP. One outbox row per
    channel, keyed `key` plus the channel, so a repeated call queues nothing. Returns the rows queued."""
    channels = [(Channel.EMAIL, patient.email)] if patient.email else []
    if sms and patient.can_receive_sms:
        channels.append((Channel.SMS, patient.phone))
    queued = []
    for channel, address in channels:
        message = message_enqueue(
            channel=channel,
            to_address=address,
            purpose=template,
            template=template,
            subject=subject,
            send_at=clock.now(),
            dedupe_key=f"{key}:{channel}",
            patient=patient,
            recipient_user=patient.user,
            context={"patient_first_name": patient.first_name, **context},
        )
        if message is not None:
            queued.append(message)
    return queued


@transaction.atomic
def appointment_confirm(*, appointment, source: str) -> AppointmentConfirmation:
    """Record that the patient will come to this session (idempotent per session start)."""
    if appointment.status != "booked":
        raise InvalidTransition("Only a booked session can be confirmed.")
    confirmation, _ = AppointmentConfirmation.objects.get_or_create(
        appointment=appointment, appointment_start=appointment.start, defaults={"source": source}
    )
    return confirmation


# -------------------------------------------------------------------------------------------------------------
# Dispatch and sending


def messages_claim_due(*, limit: int | None = None) -> list[int]:
    """Claim up to `limit` due, pending, unleased messages and lease them; returns their ids, oldest first.

    FOR UPDATE SKIP LOCKED lets dispatchers running at once split the due rows instead of waiting on or
    repeating each other. The lease (CLINIC_MESSAGE_CLAIM_SECONDS) keeps a claimed row from being handed
    out again while its send task waits in the queue; when a worker died holding it, the row is still
    pending after the lease and the next dispatch hands it out again.
    """
    limit = limit or settings.CLINIC_DISPATCH_BATCH_SIZE
    now = clock.now()
    with transaction.atomic():
        ids = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=MessageStatus.PENDING, send_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
            .order_by("send_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            lease = now + dt.timedelta(seconds=settings.CLINIC_MESSAGE_CLAIM_SECONDS)
            Message.objects.filter(id__in=ids).update(claimed_until=lease)
    return ids


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff: base, 2×base, 4×base … after the 1st, 2nd, 3rd failed attempt."""
    return dt.timedelta(seconds=settings.CLINIC_MESSAGE_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def _send_blocker(message: Message) -> str:
    """Why this message must not go out now that it is due (preferences can change after queueing)."""
    patient = message.patient
    if patient is None:
        return ""
    if message.channel == Channel.SMS and not (patient.can_receive_sms and patient.phone == message.to_address):
        return "The patient has no SMS consent for this number, or replied STOP."
    if message.purpose == "reminder_email" and not patient.reminder_email:
        return "The patient turned email reminders off."
    if message.purpose == "reminder_sms" and not patient.reminder_sms:
        return "The patient turned text reminders off."
    return ""


def _status_callback_url() -> str:
    return absolute_url(reverse("notifications:twilio_status"))


def _hand_over(message: Message, email_connection) -> Handover:
    try:
        rendered = message_render(template=message.template, context=message.context, channel=message.channel)
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        # Retrying cannot fix a missing or broken template; staff see it failed and why.
        raise DeliveryError(f"Message template problem: {exc.__class__.__name__}: {exc}"[:450], permanent=True) from exc
    outgoing = Outgoing(message_id=message.pk, to_address=message.to_address, rendered=rendered)
    if message.channel == Channel.SMS:
        return deliver_sms(outgoing, status_callback=_status_callback_url())
    return deliver_email(outgoing, connection=email_connection)


def _record_failure(*, message_id: int, error: str, permanent: bool) -> None:
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        if message.status != MessageStatus.SENT:  # a refusal after the handover already counted its attempt
            message.attempts += 1
        message.last_error = error[:500]
        message.claimed_until = None
        message.sent_at = None  # a channel may refuse after the row was recorded as sent
        if permanent or message.attempts >= settings.CLINIC_MESSAGE_MAX_ATTEMPTS:
            message.status = MessageStatus.FAILED
        else:
            message.status = MessageStatus.PENDING
            message.send_at = clock.now() + retry_delay(message.attempts)
        message.save(
            update_fields=["attempts", "last_error", "claimed_until", "sent_at", "status", "send_at", "updated_at"]
        )


def _commit_releasing(release) -> bool:
    """Commit the outermost transaction with `release` run between sending COMMIT and awaiting its answer.

    The commit request and the channel's point of no return (the SMTP end-of-data mark) leave the process
    back to back, before it waits on either: a sender killed at any moment has sent both (the database
    commits what it received, the kernel delivers what was written) or neither, short of the gap between
    two system calls. Returns False, doing nothing, inside a caller's transaction, which then decides.
    """
    connection = transaction.get_connection()
    if len(connection.atomic_blocks) != 1 or connection.vendor != "postgresql":
        return False
    pgconn = connection.connection.pgconn
    pgconn.send_query(b"COMMIT")
    while pgconn.flush():
        select.select([], [pgconn.socket], [])
    try:
        release()
    finally:
        while True:
            pgconn.consume_input()
            if not pgconn.is_busy():
                break
            select.select([pgconn.socket], [], [])
        outcome = None
        while (result := pgconn.get_result()) is not None:
            outcome = result.command_status
    if outcome != b"COMMIT":
        raise DatabaseError("The message's transaction did not commit.")
    return True


def message_send(*, message_id: int, email_connection=None) -> str:
    """Deliver one due message at most once; returns what happened ("sent", "failed", "retry", "skipped", …).

    The row is locked (SKIP LOCKED: a concurrent sender of the same row steps aside) and stays locked while
    the channel hands the message over; the row becomes sent in that same transaction, whose commit leaves
    together with the channel's point of no return (`_commit_releasing`). A second send task for the same
    row finds it sent and does nothing; a sender killed before the commit leaves the row pending (and the
    message undelivered) for the next dispatch. Failures are retried with backoff through `send_at` and end
    as failed after CLINIC_MESSAGE_MAX_ATTEMPTS. `email_connection` lets a batch share one mail connection.
    """
    handover = None
    released = False
    try:
        with transaction.atomic():
            message = (
                Message.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("patient")
                .filter(pk=message_id, status=MessageStatus.PENDING)
                .first()
            )
            if message is None:
                return "skipped"
            now = clock.now()
            if message.send_at > now:
                return "not_due"
            blocker = _send_blocker(message)
            if blocker:
                message.status = MessageStatus.CANCELLED
                message.last_error = blocker
                message.claimed_until = None
                message.save(update_fields=["status", "last_error", "claimed_until", "updated_at"])
                return "cancelled"
            if message.channel == Channel.SMS:
                allowed_at = sms_quiet_hours_shift(now)
                if allowed_at > now:
                    message.send_at = allowed_at
                    message.claimed_until = None
                    message.save(update_fields=["send_at", "claimed_until", "updated_at"])
                    return "deferred"
            handover = _hand_over(message, email_connection)
            message.status = MessageStatus.SENT
            message.sent_at = now
            message.attempts += 1
            message.provider_id = handover.provider_id[:100]
            message.last_error = ""
            message.claimed_until = None
            message.save(
                update_fields=[
                    "status",
                    "sent_at",
                    "attempts",
                    "provider_id",
                    "last_error",
                    "claimed_until",
                    "updated_at",
                ]
            )
            released = _commit_releasing(handover.release)
        if not released:
            handover.release()
        handover.finish()
    except DeliveryError as exc:
        _record_failure(message_id=message_id, error=str(exc), permanent=exc.permanent)
        return "failed" if exc.permanent else "retry"
    except BaseException:
        if handover is not None:
            handover.abort()
        raise
    return "sent"


def messages_send(*, message_ids: list[int]) -> dict[str, int]:
    """Send a batch of claimed messages over one shared email connection, each in its own transaction."""
    outcomes: dict[str, int] = {}
    connection = email_connection()
    try:
        for message_id in message_ids:
            outcome = message_send(message_id=message_id, email_connection=connection)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    finally:
        connection.close()
    return outcomes


@transaction.atomic
def message_resend(*, actor, message: Message) -> Message:
    """Queue a failed message again, now, with a fresh attempt count; the staff member is recorded."""
    message = Message.objects.select_for_update().get(pk=message.pk)
    if message.status != MessageStatus.FAILED:
        raise InvalidTransition("Only a failed message can be sent again.")
    previous_error = message.last_error
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.send_at = clock.now()
    message.claimed_until = None
    message.last_error = ""
    message.provider_status = ""
    message.save()
    access_log_write(
        actor=actor,
        action="message_resend",
        subject=message,
        patient_id=message.patient_id,
        detail={"purpose": message.purpose, "previous_error": previous_error},
    )
    return message


# -------------------------------------------------------------------------------------------------------------
# Provider callbacks


# Twilio's message statuses that mean the text did not reach the phone.
TWILIO_FAILED_STATUSES = frozenset({"failed", "undelivered"})
# Reports can arrive out of order; a later stage is never replaced by an earlier one.
TWILIO_STATUS_STAGE = {"accepted": 0, "scheduled": 0, "queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}


def _stage(status: str) -> int:
    return 3 if status in TWILIO_FAILED_STATUSES else TWILIO_STATUS_STAGE.get(status, 0)


@transaction.atomic
def sms_status_record(*, provider_id: str, provider_status: str, error_code: str = "") -> Message | None:
    """Apply a provider's delivery report to the message it names; None for an unknown id."""
    message = Message.objects.select_for_update().filter(channel=Channel.SMS, provider_id=provider_id).first()
    if message is None:
        return None
    if message.provider_status and _stage(provider_status) < _stage(message.provider_status):
        return message
    message.provider_status = provider_status[:30]
    if provider_status in TWILIO_FAILED_STATUSES and message.status == MessageStatus.SENT:
        message.status = MessageStatus.FAILED
        message.last_error = f"The carrier reported the text {provider_status} (error {error_code or 'unknown'})."
    message.save(update_fields=["provider_status", "status", "last_error", "updated_at"])
    return message


# Replies that withdraw consent to every text: STOP and the other words carriers and Twilio treat as an opt-out,
# except CANCEL. A patient answering a session reminder with CANCEL means the session, not every text we send,
# so CANCEL is answered below instead. Twilio blocks a number that texts CANCEL unless the messaging service's
# opt-out keywords leave it out (docs/notifications.md); when Twilio reports that it opted a number out
# (`carrier_opted_out`), the charts record it too, so that our records and the carrier's never disagree.
OPT_OUT_KEYWORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "OPTOUT", "REVOKE"})
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
    when = timezone.localtime(appointment.start, clock.clinic_tz())
    return f"{when:%a %b} {when.day} at {when.strftime('%I:%M %p').lstrip('0')}"


def _call_us(clinic: ClinicSettings) -> str:
    return f"call us at {clinic.phone}" if clinic.phone else "call the clinic"


@transaction.atomic
def _number_opt_out(from_number: str) -> None:
    """No more texts to this number: SMS consent is withdrawn on every chart with it and its pending texts cancelled."""
    from apps.patients.models import Patient
    from apps.patients.services import patient_sms_opt_out

    for patient in Patient.objects.filter(phone=from_number).order_by("pk"):
        patient_sms_opt_out(patient=patient)
    Message.objects.filter(channel=Channel.SMS, to_address=from_number, status=MessageStatus.PENDING).update(
        status=MessageStatus.CANCELLED, last_error="The patient opted out of texts (STOP).", claimed_until=None
    )


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
        _number_opt_out(from_number)
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
