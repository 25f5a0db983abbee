"""Reads of the outbox for the staff message log and the front desk, and of patients' confirmations."""

from dataclasses import dataclass

from django.db.models import Case, DateTimeField, F, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from apps.core.errors import NotFound
from apps.core.paging import page_read

from .models import AppointmentConfirmation, Message, MessageStatus


def messages_visible_to(*, user) -> QuerySet[Message]:
    if not user.has_perm("notifications.view_messages"):
        return Message.objects.none()
    return Message.objects.select_related("patient", "recipient_user")


def message_log(
    *, user, patient_id: int | None = None, purpose: str = "", status: str = "", channel: str = ""
) -> QuerySet[Message]:
    """The log's rows, filtered, in the order the page and the API list them: what has happened (sent, failed or
    cancelled) newest first, then what is still to go out, soonest first (`message_history`,
    `messages_scheduled`)."""
    qs = messages_visible_to(user=user)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if purpose:
        # A NUL cannot be stored in a purpose, and Postgres refuses it in a query.
        qs = qs.filter(purpose=purpose) if "\x00" not in purpose else qs.none()
    if status:
        qs = qs.filter(status=status)
    if channel:
        qs = qs.filter(channel=channel)
    return _with_happened_at(qs).order_by(F("happened_at").desc(nulls_last=True), "send_at", "id")


def _with_happened_at(qs: QuerySet[Message]) -> QuerySet[Message]:
    """`happened_at`: when the message went out, or failed, or was cancelled (its last change); None while it is
    still to be sent (a retry waiting for its turn included)."""
    return qs.annotate(
        happened_at=Case(
            When(status=MessageStatus.PENDING, then=Value(None)),
            default=Coalesce("sent_at", "updated_at"),
            output_field=DateTimeField(),
        )
    )


def message_history(**filters) -> QuerySet[Message]:
    """Messages that went out, failed or were cancelled, newest first (`message_log`'s filters)."""
    return message_log(**filters).exclude(status=MessageStatus.PENDING)


def messages_scheduled(**filters) -> QuerySet[Message]:
    """Messages still to go out, the next due first (`message_log`'s filters)."""
    return message_log(**filters).filter(status=MessageStatus.PENDING)


def message_purposes() -> list[str]:
    return list(Message.objects.order_by("purpose").values_list("purpose", flat=True).distinct())


def message_get(*, user, message_id) -> Message:
    message = messages_visible_to(user=user).filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such message.")
    return message


@dataclass(frozen=True)
class FailedMessages:
    rows: list[Message]
    total: int


def messages_failed_latest(*, user, limit: int) -> FailedMessages:
    """The newest failed messages and how many have failed in all, in one query (the total rides on each row)."""
    page = page_read(message_history(user=user, status=MessageStatus.FAILED), per_page=limit, number=1)
    return FailedMessages(rows=list(page), total=page.paginator.count)


def with_confirmation(appointments: QuerySet) -> QuerySet:
    """Sessions annotated with the patient's confirmation of their current start, in the same query:
    `confirmed_at` (when) and `confirmed_via` (a ConfirmationSource value: how), both None when unconfirmed.

    A confirmation is keyed by the start it was given for, so a session moved since reads as unconfirmed.
    """
    confirmation = AppointmentConfirmation.objects.filter(
        appointment_id=OuterRef("pk"), appointment_start=OuterRef("start")
    )
    return appointments.annotate(
        confirmed_at=Subquery(confirmation.values("created_at")[:1]),
        confirmed_via=Subquery(confirmation.values("source")[:1]),
    )


def unconfirmed(appointments: QuerySet) -> QuerySet:
    """The sessions among `appointments` the patient has not confirmed for their current start."""
    return with_confirmation(appointments).filter(confirmed_at__isnull=True)


def notices_about_since(*, subject_type: str, since) -> QuerySet[Message]:
    """Messages about rows of one model (its `app_label.model` label) queued since a moment and not cancelled:
    what people were told about a thing, whether or not it has gone out yet."""
    return Message.objects.filter(subject_type=subject_type, created_at__gte=since).exclude(
        status=MessageStatus.CANCELLED
    )


def recipients_told(*, subjects: list, purpose: str) -> set[tuple[str, int]]:
    """(subject id, recipient user id) for each message of `purpose` about `subjects` (rows of one model) queued for a
    user, whatever its status or key: who was told of what already, in one query, for a caller telling many at once
    that would tell nobody twice (a key an earlier release wrote counts as well)."""
    if not subjects:
        return set()
    return set(
        Message.objects.filter(
            subject_type=subjects[0]._meta.label_lower,
            subject_id__in=[str(subject.pk) for subject in subjects],
            purpose=purpose,
            recipient_user__isnull=False,
        ).values_list("subject_id", "recipient_user_id")
    )
