"""Sending what is due, at most once.

Beat runs `dispatch_due` every minute: it claims due rows (SELECT … FOR UPDATE SKIP LOCKED, leased) and hands
the ids to send tasks, a few per task. A task reads and renders its batch at once; each row is then locked,
recorded and delivered in its own transaction, and the batch's failures are recorded together.
Retries are rows with a later `send_at`, never long countdowns on the broker. Staff may queue a failed message
again.
"""

import datetime as dt
import time
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.core.links import absolute_url
from apps.core.mail import DeliveryError, DeliveryUnconfirmed, Handover, commit_releasing, email_connection
from apps.core.models import ClinicSettings
from apps.core.request_memo import memo_scope
from apps.patients.selectors import contact_addresses_held

from .channels import Outgoing, deliver_email, deliver_sms
from .models import Channel, Message, MessageStatus
from .quiet_hours import quiet_hours_zone, sms_quiet_hours_shift
from .rendering import message_render
from .send_guards import send_guards_blockers


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


# The provider status of a message the channel may or may not have taken (`channels.DeliveryUnconfirmed`).
UNCONFIRMED = "unconfirmed"


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


_EMAIL_CHANGED = "The patient's email changed after this was queued: not sent to an address that is no longer theirs."
_PHONE_CHANGED = "The patient's mobile number changed after this was queued: not texted to a number no longer theirs."


def _to_old_address(messages: list[Message]) -> dict[int, str]:
    """Why each of `messages` (read with their patients) addressed to an email or mobile number that was the patient's
    and is no longer must not go out, by id. People change an address because someone else reads the old one now (a
    shared inbox, an ex-partner, a recycled number), and a message queued before the change (an offer, a notice, a
    text quiet hours held to the morning) names their sessions and offers. Whether the address was theirs is read from
    the chart's history, not from when the row was queued: a booking racing the change may queue from the chart it
    read before, at any moment. A message about the patient meant for someone else (a secure message's notice to their
    therapist or to the clinic) goes to an address that was never the patient's, so it goes out. At most one query,
    for the patients whose message is not at their address as it is now."""
    elsewhere = [
        message
        for message in messages
        if message.patient is not None and _address(message.channel, message.to_address) != _chart_address(message)
    ]
    if not elsewhere:
        return {}
    held = contact_addresses_held(patient_ids={message.patient_id for message in elsewhere})
    blockers = {}
    for message in elsewhere:
        emails, phones = held.get(message.patient_id, (set(), set()))
        if message.channel == Channel.SMS and message.to_address in phones:
            blockers[message.pk] = _PHONE_CHANGED
        elif message.channel == Channel.EMAIL and _address(Channel.EMAIL, message.to_address) in emails:
            blockers[message.pk] = _EMAIL_CHANGED
    return blockers


def _address(channel: str, address: str) -> str:
    """An address as the chart keeps it: an email in any case is the same inbox; a number is stored normalised."""
    return address.lower() if channel == Channel.EMAIL else address


def _chart_address(message: Message) -> str:
    patient = message.patient
    return _address(Channel.EMAIL, patient.email) if message.channel == Channel.EMAIL else patient.phone


def _status_callback_url() -> str:
    return absolute_url(reverse("notifications:twilio_status"))


def _render(message: Message, clinic: ClinicSettings | None = None) -> Outgoing:
    context = message.context
    if message.patient is not None:
        # Read when sending, not when queueing: an invitation accepted in between counts. Words that link to the portal
        # tell someone without an account how to get one instead of sending them to a sign-in they cannot pass.
        context = {**context, "portal_ready": message.patient.signs_in_to_portal}
    try:
        rendered = message_render(template=message.template, context=context, channel=message.channel, clinic=clinic)
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        # Retrying cannot fix a missing or broken template; staff see it failed and why.
        raise DeliveryError(f"Message template problem: {exc.__class__.__name__}: {exc}"[:450], permanent=True) from exc
    return Outgoing(message_id=message.pk, to_address=message.to_address, rendered=rendered)


def provider_timeout(channel: str) -> float:
    """How long one call to the channel's provider may wait for its answer, in seconds."""
    return settings.TWILIO_TIMEOUT if channel == Channel.SMS else settings.EMAIL_TIMEOUT


def send_task_budget(soft_time_limit: float) -> float:
    """The seconds a send task under `soft_time_limit` spends taking messages: a tenth is kept back to record the
    batch's outcomes and release what it did not try before the limit strikes."""
    return soft_time_limit * 0.9


class _Budget:
    """The time a batch may keep taking messages (None: no limit). A message is begun only while what is left
    covers its channel's wait on its provider; the task's soft time limit striking ends the batch at once."""

    def __init__(self, seconds: float | None):
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def left(self) -> float | None:
        return None if self._deadline is None else self._deadline - time.monotonic()

    def covers(self, channel: str) -> bool:
        left = self.left()
        return left is None or left >= provider_timeout(channel)

    def interrupted(self, exc: Exception) -> str:
        """Words for staff on a message that `exc` stopped: its class only, as an exception's words may quote what
        the message says. The task's soft time limit ends the batch."""
        if isinstance(exc, SoftTimeLimitExceeded):
            self._deadline = time.monotonic()
        return f"Sending was interrupted ({exc.__class__.__name__})."


def _hand_over(message: Message, outgoing: Outgoing, email_connection, budget: _Budget) -> Handover:
    if message.channel == Channel.SMS:
        return deliver_sms(outgoing, status_callback=_status_callback_url())
    # A server may check a whole message before it answers: its answer may take what the batch has left.
    left = budget.left()
    reply_timeout = None if left is None else max(left, settings.EMAIL_TIMEOUT)
    return deliver_email(outgoing, connection=email_connection, reply_timeout=reply_timeout)


@dataclass(frozen=True)
class _Failure:
    """A message the channel did not take. `updated_at` is the row's as this sender left it: a row changed since
    (another sender moved it on) is not this failure's to record."""

    message_id: int
    error: str
    permanent: bool
    updated_at: dt.datetime


def _failures_record(failures: list[_Failure]) -> None:
    """Record a batch's failures in one UPDATE: retried with backoff, or failed for good (permanent, or
    CLINIC_MESSAGE_MAX_ATTEMPTS reached)."""
    if not failures:
        return
    by_id = {failure.message_id: failure for failure in failures}
    now = clock.now()
    with transaction.atomic():
        changed = []
        for message in Message.objects.select_for_update().filter(pk__in=by_id):
            failure = by_id[message.pk]
            if message.updated_at != failure.updated_at:
                continue
            if message.status != MessageStatus.SENT:  # a refusal after the handover already counted its attempt
                message.attempts += 1
            message.last_error = failure.error[:500]
            message.claimed_until = None
            message.sent_at = None  # a channel may refuse after the row was recorded as sent
            if failure.permanent or message.attempts >= settings.CLINIC_MESSAGE_MAX_ATTEMPTS:
                message.status = MessageStatus.FAILED
            else:
                message.status = MessageStatus.PENDING
                message.send_at = now + retry_delay(message.attempts)
            message.updated_at = now
            changed.append(message)
        Message.objects.bulk_update(
            changed, ["attempts", "last_error", "claimed_until", "sent_at", "status", "send_at", "updated_at"]
        )


_TOO_LATE = "Not sent: by the time it was due it was no longer of use (the session had begun, or the offer closed)."
_HELD_TOO_LATE = "Not sent: quiet hours would have held this text until it was no longer of use."


def _lapsed(message: Message, at: dt.datetime) -> bool:
    """Whether the message's occasion (`expires_at`: the session it reminds of begins, the offer closes) has come
    by `at`, so that it is of no use then."""
    return message.expires_at is not None and at >= message.expires_at


def _batch_read(message_ids: list[int]) -> tuple[dict[int, Message], dict[int, str]]:
    """The batch's pending rows with their patients, in one locked read (SKIP LOCKED: a row another sender holds
    is theirs). Rows that must not go out now are settled in one UPDATE in the same transaction: cancelled when the
    patient's preferences changed after queueing, when its address or number is no longer the patient's
    (`_to_old_address`), when it is too late for them (`expires_at`, also when quiet hours would hold a text until
    then) or when a send guard says what they are about has changed (`send_guards`), moved to the morning when a
    text falls in quiet hours. Returns the rows to send and the outcome of every other row read."""
    now = clock.now()
    outcomes: dict[int, str] = {}
    held = []
    with transaction.atomic():
        rows = {
            message.pk: message
            for message in Message.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient__user")
            .filter(pk__in=set(message_ids), status=MessageStatus.PENDING)
        }
        due = []
        for message in rows.values():
            if message.send_at > now:
                outcomes[message.pk] = "not_due"
            else:
                due.append(message)
        outdated = send_guards_blockers(due)
        # Asked first: a text to a number no longer theirs also lacks consent, and those words would hide the change.
        moved_away = _to_old_address(due)
        for message in due:
            blocker = moved_away.get(message.pk) or _send_blocker(message)
            blocker = blocker or (_TOO_LATE if _lapsed(message, now) else "")
            blocker = blocker or outdated.get(message.pk, "")
            allowed_at = now
            if not blocker and message.channel == Channel.SMS:
                allowed_at = sms_quiet_hours_shift(
                    now, zone=quiet_hours_zone(patient=message.patient, context=message.context)
                )
                blocker = _HELD_TOO_LATE if _lapsed(message, allowed_at) else ""
            if blocker:
                message.status = MessageStatus.CANCELLED
                message.last_error = blocker
                outcomes[message.pk] = "cancelled"
            elif allowed_at > now:
                message.send_at = allowed_at
                outcomes[message.pk] = "deferred"
            else:
                continue
            message.claimed_until = None
            message.updated_at = now
            held.append(message)
        if held:
            Message.objects.bulk_update(held, ["status", "last_error", "send_at", "claimed_until", "updated_at"])
    return {pk: message for pk, message in rows.items() if pk not in outcomes}, outcomes


# Lock and mark in one round trip. SKIP LOCKED: a concurrent sender of the same row steps aside; `updated_at` as the
# batch read it: the words rendered from that read are still the row's.
_MARK_SENT = (
    "UPDATE notifications_message SET status = %s, sent_at = %s, attempts = attempts + 1, provider_id = '', "
    "last_error = '', claimed_until = NULL, updated_at = %s WHERE id = (SELECT id FROM notifications_message "
    "WHERE id = %s AND status = %s AND updated_at = %s FOR UPDATE SKIP LOCKED) RETURNING id"
)


def _unconfirmed_record(message_id: int, stamp: dt.datetime, why: str) -> None:
    """Keep a row whose message the channel may have taken as sent, not to be sent again, and tell staff why."""
    Message.objects.filter(pk=message_id, status=MessageStatus.SENT, updated_at=stamp).update(
        provider_status=UNCONFIRMED,
        last_error=f"{why} It may have arrived, so it is not sent again."[:500],
        updated_at=clock.now(),
    )


def _send_one(message: Message, outgoing: Outgoing, email_connection, budget: _Budget) -> str | _Failure:
    """Deliver one rendered row at most once: the row is locked and recorded as sent in the transaction whose
    commit leaves together with the channel's point of no return (`commit_releasing`). A sender killed before
    that commit leaves the row pending (and the message undelivered) for the next dispatch. Past that point only
    the channel's explicit refusal puts the row back; an unclear end leaves it sent, unconfirmed. Anything
    unexpected before it is a failure worth retrying."""
    handover = None
    released = releasing = False
    stamp = message.updated_at
    try:
        with transaction.atomic():
            now = clock.now()
            with transaction.get_connection().cursor() as cursor:
                cursor.execute(
                    _MARK_SENT,
                    [MessageStatus.SENT, now, now, message.pk, MessageStatus.PENDING, message.updated_at],
                )
                if cursor.fetchone() is None:
                    return "skipped"
            handover = _hand_over(message, outgoing, email_connection, budget)
            if handover.provider_id:  # an HTTP provider's id for the message, known once it has taken it
                Message.objects.filter(pk=message.pk).update(provider_id=handover.provider_id[:100])
            stamp = now  # from here on the row is recorded as sent, whatever the channel answers
            releasing = True
            released = commit_releasing(handover.release)
        if not released:
            handover.release()
        handover.finish()
    except DeliveryUnconfirmed as exc:
        _unconfirmed_record(message.pk, stamp, str(exc))
        return "unconfirmed"
    except DeliveryError as exc:
        return _Failure(message_id=message.pk, error=str(exc), permanent=exc.permanent, updated_at=stamp)
    except Exception as exc:
        if handover is not None:
            handover.abort()
        why = budget.interrupted(exc)
        if releasing:
            _unconfirmed_record(message.pk, stamp, why)
            return "unconfirmed"
        return _Failure(message_id=message.pk, error=why, permanent=False, updated_at=stamp)
    except BaseException:
        if handover is not None:
            handover.abort()
        raise
    return "sent"


def _claims_release(message_ids) -> None:
    """Hand rows back to the next dispatch without an attempt: the batch ran out of time before trying them."""
    Message.objects.filter(pk__in=message_ids, status=MessageStatus.PENDING).update(claimed_until=None)


def _batch_send(message_ids: list[int], *, time_budget: float | None = None) -> list[str]:
    """What happened to each of `message_ids` ("sent", "failed", "retry", "skipped", "released", …), in order; an id
    named twice is skipped the second time.

    Each failure is recorded even when the batch is cut short, and a message that fails in an unexpected way is
    retried like any other failure. With a `time_budget` (seconds), no message is begun once what is left would
    not cover its channel's timeout: the rest are released for the next dispatch, untried."""
    budget = _Budget(time_budget)
    outcomes: dict[int, str] = {}
    failures: list[_Failure] = []
    ready: dict[int, Outgoing] = {}
    connection = email_connection()
    try:
        with memo_scope():
            rows, outcomes = _batch_read(message_ids)
            clinic = ClinicSettings.load() if rows else None  # every template shows it: read once for the batch
            for message_id, message in rows.items():
                try:
                    ready[message_id] = _render(message, clinic=clinic)
                except DeliveryError as exc:
                    failures.append(_Failure(message_id, str(exc), exc.permanent, message.updated_at))
                except Exception as exc:
                    failures.append(_Failure(message_id, budget.interrupted(exc), False, message.updated_at))
            for message_id in message_ids:
                if message_id not in ready:
                    continue
                if not budget.covers(rows[message_id].channel):
                    break
                result = _send_one(rows[message_id], ready.pop(message_id), connection, budget)
                if isinstance(result, _Failure):
                    failures.append(result)
                else:
                    outcomes[message_id] = result
    finally:
        try:
            _failures_record(failures)
            _claims_release(list(ready))
        finally:
            connection.close()
    for message_id in ready:
        outcomes[message_id] = "released"
    for failure in failures:
        outcomes[failure.message_id] = "failed" if failure.permanent else "retry"
    seen: set[int] = set()
    ordered = []
    for message_id in message_ids:
        ordered.append("skipped" if message_id in seen else outcomes.get(message_id, "skipped"))
        seen.add(message_id)
    return ordered


def message_send(*, message_id: int) -> str:
    """Deliver one due message at most once (a batch of one); returns what happened ("sent", "failed", "retry",
    "skipped", "not_due", "cancelled", "deferred", "unconfirmed"). Failures are retried with backoff through
    `send_at` and end as failed after CLINIC_MESSAGE_MAX_ATTEMPTS."""
    [outcome] = _batch_send([message_id])
    return outcome


def messages_send(*, message_ids: list[int], time_budget: float | None = None) -> dict[str, int]:
    """Send a batch of claimed messages over one shared email connection; how many of each outcome.

    The batch is read in one query and rendered before the first is sent (the clinic's settings, which every
    template shows, read once); each message is then locked and marked sent in one statement, in its own
    transaction, whose commit goes with its end-of-data mark; failures are recorded together at the end, also
    when the batch stops early. Within `time_budget` seconds (a send task's, `send_task_budget`): what is left
    when it runs out is released, untried, for the next dispatch."""
    outcomes: dict[str, int] = {}
    for outcome in _batch_send(message_ids, time_budget=time_budget):
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
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
