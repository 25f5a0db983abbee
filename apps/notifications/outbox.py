"""The outbox: queueing messages in the caller's transaction, once per key.

Callers queue messages inside their own transaction, so the rows commit or roll back with the change that
caused them; `delivery` sends them. A patient's notices go through `patient_notice_enqueue`, which picks the
channels the patient agreed to; a member of the public's (no chart, no account) through `public_notice_enqueue`,
by email only.
"""

import datetime as dt

from django.db import IntegrityError, models, transaction

from apps.core import clock
from apps.core.models import ClinicSettings

from .models import Channel, Message, MessageStatus
from .quiet_hours import quiet_hours_zone, sms_quiet_hours_shift


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
    clinic: ClinicSettings | None = None,
    expires_at: dt.datetime | None = None,
) -> Message:
    """An unsaved outbox row, as `message_enqueue` and `messages_enqueue` write it. Texts due in quiet hours are
    moved to the morning in the reader's zone (`quiet_hours_zone`), by `clinic`'s quiet hours when the caller has
    the settings already (else they are read). `expires_at` is when the message stops being worth sending (a
    reminder's session starts): sending cancels it from then on (`delivery`); a caller whose `send_at` already
    lands there builds nothing.
    `context` follows the convention in `rendering.message_render`: plain JSON values, no clinical text."""
    if patient is None and recipient_user is None and not (channel == Channel.EMAIL and to_address):
        raise ValueError("A message needs a patient, a recipient user or (by email) an address.")
    if channel == Channel.SMS:
        send_at = sms_quiet_hours_shift(send_at, clinic, zone=quiet_hours_zone(patient=patient, context=context))
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
        expires_at=expires_at,
    )


@transaction.atomic
def message_enqueue(**fields) -> Message | None:
    """Queue one message, given `message_build`'s keyword arguments, in the caller's transaction; None when that
    key is already queued or sent.

    The dedupe key is unique in the database, so the same message can never be queued twice, even by
    concurrent callers. A row with the key that was cancelled and never sent comes back to life with the
    new details (a session moved away and back).
    """
    return _built_message_enqueue(message_build(**fields))


def _built_message_enqueue(message: Message) -> Message | None:
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
    "expires_at",
)


def messages_enqueue(*, messages: list[Message]) -> None:
    """Queue many built messages (`message_build`) in one INSERT in the caller's transaction. A key already in the
    outbox is left as it is, whatever its status: this is for messages about rows created in the same transaction
    (their keys are new), where reviving a cancelled row cannot arise. One statement is atomic by itself, so no
    savepoint is taken (it would cost two more round trips and protect nothing)."""
    Message.objects.bulk_create(messages, ignore_conflicts=True)


def messages_withdraw(*, subjects: list[models.Model], purposes: tuple[str, ...], **lookups) -> int:
    """Cancel the messages of `purposes` about `subjects` (rows of one model) that have not gone out, in the caller's
    transaction; `lookups` narrow them further. Returns how many. A row a sender holds at this moment is waited for,
    and left as that sender leaves it once sent."""
    if not subjects:
        return 0
    return Message.objects.filter(
        subject_type=subjects[0]._meta.label_lower,
        subject_id__in=[str(subject.pk) for subject in subjects],
        purpose__in=purposes,
        status=MessageStatus.PENDING,
        **lookups,
    ).update(status=MessageStatus.CANCELLED, claimed_until=None)


def patient_notice_build(
    *,
    patient,
    subject: models.Model,
    template: str,
    key: str,
    context: dict,
    email: bool = True,
    sms: bool = True,
    email_only: bool = False,
    send_at: dt.datetime | None = None,
    purpose: str = "",
    clinic: ClinicSettings | None = None,
    expires_at: dt.datetime | None = None,
) -> list[Message]:
    """Every notice a patient gets about their own care is built here: one unsaved outbox row per channel, by email
    when `email` and they have an address, and by text when `sms` and they agreed to texts and have not replied
    STOP. Each row is keyed `key` plus its channel, so queueing the notice again queues nothing. The context always
    carries the patient's first name; the notice goes out at `send_at` (default now). The purpose is the template's
    name unless `purpose` is given.

    A key or purpose naming `{channel}` gets the channel there instead: group meeting reminders' keys, older than
    this helper, carry it in the middle.

    An `email_only` notice (statements, estimates, billing reminders, a cancellation) is one email keyed `key`
    itself: those keys are older than texts, and a notice queued before must find its key taken.

    A notice that would go out at or after `expires_at` (a reminder whose text quiet hours push past the meeting's
    start) is not built; one built keeps it, so sending drops it once it is too late."""
    channels = [(Channel.EMAIL, patient.email)] if email and patient.email else []
    if sms and not email_only and patient.can_receive_sms:
        channels.append((Channel.SMS, patient.phone))
    messages = []
    for channel, address in channels:
        message = message_build(
            channel=channel,
            to_address=address,
            purpose=(purpose or template).replace("{channel}", channel),
            template=template,
            subject=subject,
            send_at=send_at or clock.now(),
            dedupe_key=_channel_key(key, channel, email_only=email_only),
            patient=patient,
            context={"patient_first_name": patient.first_name, **context},
            clinic=clinic,
            expires_at=expires_at,
        )
        if expires_at is not None and message.send_at >= expires_at:
            continue
        # The patient's own account, by id: a statement run builds thousands of notices without loading a user each.
        message.recipient_user_id = patient.user_id
        messages.append(message)
    return messages


def _channel_key(key: str, channel: str, *, email_only: bool) -> str:
    if "{channel}" in key:
        return key.replace("{channel}", channel)
    return key if email_only else f"{key}:{channel}"


@transaction.atomic(savepoint=False)
def patient_notice_enqueue(**notice) -> list[Message]:
    """Queue a patient's notice (`patient_notice_build`'s keyword arguments) in the caller's transaction; returns
    the rows queued, none for a notice already queued. Each row keeps its own savepoint (a taken key is no error);
    the notice as a whole needs none inside the caller's transaction."""
    queued = [_built_message_enqueue(message) for message in patient_notice_build(**notice)]
    return [message for message in queued if message is not None]


@transaction.atomic
def public_notice_enqueue(
    *,
    email: str,
    subject: models.Model,
    template: str,
    context: dict,
    key: str,
    expires_at: dt.datetime | None = None,
) -> Message | None:
    """Queue an email to a member of the public who has no chart and no account (a lecture registrant), in the
    caller's transaction, keyed `key` like `patient_notice_enqueue` so queueing it again queues nothing. Returns the
    row queued, None when the key is already queued or sent. The context holds no clinical text: the address is all
    the clinic knows of them. `expires_at` as for `message_build`."""
    return _built_message_enqueue(
        message_build(
            channel=Channel.EMAIL,
            to_address=email,
            purpose=template,
            template=template,
            subject=subject,
            send_at=clock.now(),
            dedupe_key=key,
            context=context,
            expires_at=expires_at,
        )
    )
