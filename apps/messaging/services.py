"""Writes for secure messages: start a thread, reply, mark read, close, hand over to the patient's therapist.

Every write locks the thread first, so two replies in one thread are ordered and the unread burst is counted once.
Text and subjects are encrypted before they reach the database; notices say only that a message is waiting, never
what it says or what it is about.
"""

from django.db import transaction
from django.urls import reverse

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import encrypt_text
from apps.core.errors import ApplicationError, Conflict, InvalidTransition, NotFound, PermissionDenied, Unprocessable
from apps.core.links import absolute_url
from apps.core.models import ClinicSettings
from apps.notifications.models import Channel
from apps.notifications.outbox import message_enqueue, patient_notice_enqueue

from .models import Attachment, Message, MessageThread, ThreadStatus
from .recipients import takes_messages
from .rules import is_clinic_inbox_staff, takes_patient_messages
from .uploads import attachments_check

MESSAGE_MAX_LENGTH = 10000
SUBJECT_MAX_LENGTH = 150


def _text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ApplicationError("Write a message first.", fields={"text": ["This field is required."]})
    if len(text) > MESSAGE_MAX_LENGTH:
        raise ApplicationError(
            "That message is too long.", fields={"text": [f"Keep it under {MESSAGE_MAX_LENGTH} characters."]}
        )
    return text


def _subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise ApplicationError("Give the message a subject.", fields={"subject": ["This field is required."]})
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ApplicationError(
            "That subject is too long.", fields={"subject": [f"Keep it under {SUBJECT_MAX_LENGTH} characters."]}
        )
    return subject


def _may_start(actor, patient, therapist) -> None:
    if actor.is_patient and not actor.is_clinic_staff:
        if patient.user_id != actor.pk:
            raise NotFound("No such patient.")
        if therapist is not None and not actor.has_perm("messaging.message_therapist", therapist):
            raise PermissionDenied("Your therapist does not take messages here; write to the clinic instead.")
        return
    if therapist is None and not is_clinic_inbox_staff(actor):
        raise PermissionDenied("Only the front desk and admins write from the clinic's inbox.")
    if therapist is not None and (therapist.pk != actor.pk or not takes_patient_messages(actor)):
        raise PermissionDenied("Only a therapist who takes messages writes to their own patients.")
    if patient.user_id is None:
        raise Unprocessable("This patient has no portal account to read messages in.")


@transaction.atomic
def thread_start(*, actor, patient, subject: str, text: str, therapist=None, attachments=()) -> MessageThread:
    """Open a conversation with its first message. A patient writes to the clinic, or to a treating therapist who
    takes messages; the front desk (or that therapist) may also write first to a patient with a portal account."""
    _may_start(actor, patient, therapist)
    subject, text, files = _subject(subject), _text(text), attachments_check(attachments)
    thread = MessageThread.objects.create(
        patient=patient,
        therapist=therapist,
        subject_encrypted=encrypt_text(subject),
        started_by=actor,
        last_message_at=clock.now(),
    )
    _message_add(actor=actor, thread=thread, text=text, files=files)
    return thread


@transaction.atomic
def message_post(*, actor, thread: MessageThread, text: str, attachments=()) -> Message:
    """Reply in an open thread. Nothing is written unless the text and every attachment pass."""
    thread = _locked(actor, thread, "messaging.reply")
    if thread.status != ThreadStatus.OPEN:
        raise InvalidTransition("This conversation is closed; start a new one.")
    if thread.therapist is not None and not takes_messages(thread.therapist):
        # Nobody would read it: the therapist left or no longer takes messages, and the clinic inbox does not see it.
        raise Conflict(
            f"{thread.therapist.full_name or 'This therapist'} no longer takes messages here; write to the clinic "
            "instead."
        )
    text, files = _text(text), attachments_check(attachments)
    message = _message_add(actor=actor, thread=thread, text=text, files=files)
    thread.last_message_at = message.created_at
    thread.save(update_fields=["last_message_at", "updated_at"])
    return message


def _locked(actor, thread: MessageThread, perm: str) -> MessageThread:
    thread = (
        MessageThread.objects.select_for_update(of=("self",)).select_related("patient", "therapist").get(pk=thread.pk)
    )
    if not actor.has_perm("messaging.view_thread", thread):
        raise NotFound("No such conversation.")
    if not actor.has_perm(perm, thread):
        raise PermissionDenied("You may not do that in this conversation.")
    return thread


def _message_add(*, actor, thread: MessageThread, text: str, files) -> Message:
    from_patient = thread.patient.user_id == actor.pk
    # One notice per unread burst: only the first message the other side has not opened yet announces itself.
    burst_open = thread.messages.filter(from_patient=from_patient, read_at__isnull=True).exists()
    message = Message.objects.create(
        thread=thread, author=actor, from_patient=from_patient, content_encrypted=encrypt_text(text)
    )
    for upload, kind in files:
        Attachment.objects.create(message=message, file=upload, kind=kind, size=upload.size)
    if not burst_open:
        _notify(thread=thread, message=message)
    return message


def _notify(*, thread: MessageThread, message: Message) -> None:
    key = f"messagethread:{thread.pk}:message:{message.pk}:new_message"
    if not message.from_patient:
        patient_notice_enqueue(
            patient=thread.patient,
            subject=message,
            template="secure_message",
            key=key,
            context={"portal_url": absolute_url(reverse("portal:message_thread", args=[thread.pk]))},
            sms=False,
        )
        return
    # Staff are told by email only where nobody watches an inbox all day: the therapist addressed, or the clinic's
    # contact address when the clinic set one. The front desk sees the unread count in its menu.
    to_user = thread.therapist
    address = to_user.email if to_user is not None else ClinicSettings.load().email
    if not address:
        return
    _staff_email(
        thread,
        to_address=address,
        to_user=to_user,
        template="secure_message_staff",
        subject=message,
        dedupe_key=f"{key}:staff",
    )


def _staff_email(thread, *, to_address: str, to_user, template: str, subject, dedupe_key: str) -> None:
    """An email to staff that a conversation waits for them: a link to it, never its words."""
    message_enqueue(
        channel=Channel.EMAIL,
        to_address=to_address,
        purpose=template,
        template=template,
        subject=subject,
        send_at=clock.now(),
        dedupe_key=dedupe_key,
        patient=thread.patient,
        recipient_user=to_user,
        context={"thread_url": absolute_url(reverse("messaging:thread", args=[thread.pk]))},
    )


@transaction.atomic
def messages_mark_read(*, actor, thread: MessageThread) -> int:
    """Mark the other side's unopened messages as read by the actor (the read receipt), and a conversation handed to
    the actor as opened by them. Returns how many messages were marked."""
    thread = _locked(actor, thread, "messaging.view_thread")
    if thread.handed_over_at and thread.handed_over_opened_at is None and thread.therapist_id == actor.pk:
        thread.handed_over_opened_at = clock.now()
        thread.save(update_fields=["handed_over_opened_at"])
    from_patient = thread.patient.user_id != actor.pk
    return thread.messages.filter(from_patient=from_patient, read_at__isnull=True).update(
        read_at=clock.now(), read_by=actor
    )


@transaction.atomic
def thread_close(*, actor, thread: MessageThread) -> MessageThread:
    """Archive a conversation: it stays in the record and readable, but takes no more replies."""
    thread = _locked(actor, thread, "messaging.close_thread")
    if thread.status == ThreadStatus.CLOSED:
        raise InvalidTransition("This conversation is already closed.")
    thread.status, thread.closed_at, thread.closed_by = ThreadStatus.CLOSED, clock.now(), actor
    thread.save(update_fields=["status", "closed_at", "closed_by", "updated_at"])
    return thread


def thread_hand_over_refusal(*, thread: MessageThread) -> str | None:
    """Why the conversation cannot go to the patient's therapist, in words for the front desk; None when it can.
    The confirmation page says it before anything is asked, and `thread_hand_over` refuses with the same words."""
    if thread.status != ThreadStatus.OPEN:
        return "This conversation is closed, so it cannot be handed over. The patient can start a new one."
    therapist = thread.patient.primary_therapist
    if therapist is None:
        return f"{thread.patient.display_name} has no therapist on record to hand this conversation to."
    if not takes_messages(therapist):
        return (
            f"{therapist.full_name or 'Their therapist'} does not take patients' messages here, so the conversation "
            "stays with the front desk."
        )
    return None


@transaction.atomic
def thread_hand_over(*, actor, thread: MessageThread) -> MessageThread:
    """Hand a conversation with the clinic to the patient's therapist (their primary therapist), who must take
    messages. From then on it is the therapist's, as if the patient had written to them: it leaves the clinic inbox
    and enters theirs, unopened messages still unread. The therapist is emailed that it is waiting (never what it
    says), and the hand-over is in the access log. It happens once: the database keeps the therapist it was handed to.
    """
    thread = _locked(actor, thread, "messaging.hand_over_thread")
    refusal = thread_hand_over_refusal(thread=thread)
    if refusal is not None:
        raise (InvalidTransition if thread.status != ThreadStatus.OPEN else Conflict)(refusal)
    therapist = thread.patient.primary_therapist
    thread.therapist, thread.handed_over_at, thread.handed_over_by = therapist, clock.now(), actor
    thread.save(update_fields=["therapist", "handed_over_at", "handed_over_by", "updated_at"])
    access_log_write(
        actor=actor,
        action="message_thread_hand_over",
        subject=thread,
        patient_id=thread.patient_id,
        detail={"to_therapist": therapist.pk},
    )
    _staff_email(
        thread,
        to_address=therapist.email,
        to_user=therapist,
        template="secure_message_handed_over",
        subject=thread,
        dedupe_key=f"messagethread:{thread.pk}:handed_over",
    )
    return thread
