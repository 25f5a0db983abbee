"""Sending what is due, at most once.

Beat runs `dispatch_due` every minute: it claims due rows (SELECT … FOR UPDATE SKIP LOCKED, leased) and hands
the ids to send tasks, a few per task; each row is locked again, delivered and recorded in its own transaction.
Retries are rows with a later `send_at`, never long countdowns on the broker. Staff may queue a failed message
again.
"""

import datetime as dt
import select

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.core.links import absolute_url
from apps.core.request_memo import memo_scope

from .channels import DeliveryError, Handover, Outgoing, deliver_email, deliver_sms, email_connection
from .models import Channel, Message, MessageStatus
from .quiet_hours import quiet_hours_zone, sms_quiet_hours_shift
from .rendering import message_render


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
                allowed_at = sms_quiet_hours_shift(
                    now, zone=quiet_hours_zone(patient=message.patient, context=message.context)
                )
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
    """Send a batch of claimed messages over one shared email connection, each in its own transaction.

    The clinic's settings, which every message's template shows, are read once for the batch."""
    outcomes: dict[str, int] = {}
    connection = email_connection()
    try:
        with memo_scope():
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
