"""Reads of secure messages. Message text is only returned by `thread_open` (which writes the access-log row for
staff); an attachment only by `attachment_get_for`, which logs a staff member's download."""

from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Prefetch, Q, QuerySet, Value

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.rules import is_therapist
from apps.audit.services import access_log_write
from apps.core.encryption import decrypt_text
from apps.core.errors import NotFound

from . import recipients
from .models import Attachment, Message, MessageThread, ThreadStatus
from .rules import is_clinic_inbox_staff, takes_patient_messages


@dataclass(frozen=True)
class MessageShown:
    message: Message
    text: str
    attachments: list[Attachment] = field(default_factory=list)


def _reads_as_patient(user) -> bool:
    return user.is_patient and not user.is_clinic_staff


def threads_visible_to(*, user, takes_messages: bool | Exists | None = None) -> QuerySet[MessageThread]:
    """The threads the user takes part in, newest activity first, each with `unread`: how many messages from the
    other side the user's side has not opened yet, and `handed_new`: handed to the user and not opened by them
    since. `takes_messages` says whether a therapist's own threads count when the caller checks that itself, or
    the rows whose existence says so, asked inside the query (the menu's count query); None asks the rule."""
    qs = MessageThread.objects.select_related("patient", "therapist")
    if not user.is_authenticated:
        return qs.none()
    if _reads_as_patient(user):
        qs, from_patient = qs.filter(patient__user=user).annotate(handed_new=Value(False)), False
    else:
        qs = qs.annotate(
            handed_new=ExpressionWrapper(
                Q(therapist=user, handed_over_at__isnull=False, handed_over_opened_at__isnull=True),
                output_field=BooleanField(),
            )
        )
        scope = Q(pk__in=[])
        if is_clinic_inbox_staff(user):
            scope |= Q(therapist__isnull=True)
        if takes_messages is None:
            takes_messages = takes_patient_messages(user)
        if isinstance(takes_messages, Exists):  # asked inside the query itself (the menu's count)
            scope |= Q(takes_messages, therapist=user)
        elif takes_messages:
            scope |= Q(therapist=user)
        qs, from_patient = qs.filter(scope), True
    unread = Q(messages__read_at__isnull=True, messages__from_patient=from_patient)
    return qs.annotate(unread=Count("messages", filter=unread)).order_by("-last_message_at", "-id")


def inbox(
    *, user, unread_only: bool = False, status: str = "", takes_messages: bool | Exists | None = None
) -> QuerySet[MessageThread]:
    qs = threads_visible_to(user=user, takes_messages=takes_messages)
    if unread_only:
        qs = qs.filter(Q(unread__gt=0) | Q(handed_new=True))
    if status in ThreadStatus.values:
        qs = qs.filter(status=status)
    return qs


def threads_of_patient(*, user, patient) -> QuerySet[MessageThread]:
    return threads_visible_to(user=user).filter(patient=patient)


def unread_threads_for(user) -> QuerySet[MessageThread]:
    """Threads with a message the user's side has not opened: the menu counts them."""
    return inbox(user=user, unread_only=True)


def _inbox_gated(user) -> bool:
    """A therapist outside the clinic inbox, whose Inbox entry the menu shows only while they take messages."""
    return is_therapist(user) and not is_clinic_inbox_staff(user)


def inbox_menu_gate(user) -> QuerySet | None:
    """The rows whose existence shows a therapist the Inbox entry (`takes_patient_messages`, asked in the menu's
    count query); None for the front desk and admins, whose role and permission decide."""
    return recipients.takes_messages_rows(user) if _inbox_gated(user) else None


def inbox_menu_unread(user) -> QuerySet[MessageThread]:
    """The Inbox entry's count: `unread_threads_for`, a gated therapist's own threads taken as theirs (the gate,
    asked in the same query, hides the count and the entry while they do not take messages). A therapist who also
    reads the clinic inbox has their own counted while they take messages, asked in the query too: the menu compiles
    its count query once for every reader with the same roles, so the query's shape depends on nothing else."""
    if _inbox_gated(user):
        takes_messages = True
    elif is_therapist(user):
        takes_messages = Exists(recipients.takes_messages_rows(user))
    else:
        takes_messages = False
    return inbox(user=user, unread_only=True, takes_messages=takes_messages)


def thread_get_for(*, user, thread_id) -> MessageThread:
    """The thread if the user takes part in it; otherwise NotFound, as if it did not exist."""
    thread = MessageThread.objects.select_related("patient", "therapist", "handed_over_by").filter(pk=thread_id).first()
    if thread is None or not user.has_perm("messaging.view_thread", thread):
        if thread is not None and user.is_authenticated and user.is_clinic_staff:
            access_log_write(
                actor=user, action="message_thread_view", subject=thread, patient_id=thread.patient_id, allowed=False
            )
        raise NotFound("No such conversation.")
    return thread


def _shown(messages) -> list[MessageShown]:
    return [MessageShown(m, decrypt_text(m.content_encrypted), list(m.attachments.all())) for m in messages]


def _messages_of(threads) -> QuerySet[Message]:
    return (
        Message.objects.filter(thread__in=threads)
        .select_related("author", "read_by")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def thread_open(*, user, thread: MessageThread) -> list[MessageShown]:
    """The thread's messages with their text. A staff member's reading is access-logged."""
    if user.is_clinic_staff:
        access_log_write(actor=user, action="message_thread_view", subject=thread, patient_id=thread.patient_id)
    return _shown(_messages_of([thread]))


def attachment_get_for(*, user, attachment_id) -> Attachment:
    attachment = Attachment.objects.select_related("message__thread__patient").filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound("No such file.")
    thread = thread_get_for(user=user, thread_id=attachment.message.thread_id)
    if user.is_clinic_staff:  # a file a patient sent is part of their record, as the messages' text is
        access_log_write(actor=user, action="message_attachment_view", subject=attachment, patient_id=thread.patient_id)
    return attachment


def therapists_taking_messages_from(*, patient) -> list[User]:
    """The therapists the patient may write to (recipients.therapists_taking_messages_from), by name."""
    return list(recipients.therapists_taking_messages_from(patient=patient).order_by("last_name", "first_name", "pk"))


def therapist_by_id(therapist_id: int) -> User | None:
    return User.objects.filter(pk=therapist_id, groups__name=Role.THERAPIST).first()
