"""Secure messages between a patient and the clinic (the front desk's inbox, or a treating therapist who takes
messages). Messages are part of the record: the database refuses deleting them and changing their text."""

from pathlib import Path

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.encryption import decrypt_text, kept_encrypted_row_sql, reencrypt_only
from apps.core.models import TimeStampedModel, kept_row_trigger
from apps.core.uploads import UploadKind as AttachmentKind
from apps.core.uploads import unguessable_upload_path


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


# A subject is the patient's own words ("Panic attacks since Tuesday"), kept like a message's text: it never changes
# once written, except re-encrypted under a newer key by the table owner's rotation command.
SUBJECT_KEPT = f"""
IF {reencrypt_only("subject_encrypted")} THEN
    RAISE EXCEPTION 'the subject of message thread % cannot change', OLD.id USING ERRCODE = '23000';
END IF;
RETURN NEW;
"""


class MessageThread(TimeStampedModel):
    """A conversation on one subject between a patient and the clinic.

    With no `therapist` it is addressed to the clinic (front desk, admins); with one, to that treating therapist.
    Closing keeps every message; the patient may still read it and start a new thread. The subject is encrypted
    at rest, as the messages' text is: read it through `subject`.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="message_threads")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_encrypted = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=ThreadStatus.choices, default=ThreadStatus.OPEN)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_message_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A conversation the patient began with the clinic that the front desk handed to the patient's therapist: when
    # and by whom. `therapist` is then that therapist, as if the patient had written to them.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # When that therapist first opened it: until then it is new to them even if the front desk read every message
    # (their inbox and menu count it), as it usually is when it is handed over.
    handed_over_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["patient", "-last_message_at"]),
            models.Index(fields=["therapist", "-last_message_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(subject_encrypted=""), name="message_thread_has_subject"),
            models.CheckConstraint(
                condition=(Q(status="closed") & Q(closed_at__isnull=False, closed_by__isnull=False))
                | (~Q(status="closed") & Q(closed_at__isnull=True)),
                name="closed_thread_has_time_and_closer",
            ),
            models.CheckConstraint(
                condition=Q(handed_over_at__isnull=True, handed_over_by__isnull=True)
                | Q(handed_over_at__isnull=False, handed_over_by__isnull=False, therapist__isnull=False),
                name="handed_over_thread_has_time_hander_and_therapist",
            ),
        ]
        triggers = [
            pgtrigger.Protect(name="message_thread_kept", operation=pgtrigger.Delete),
            # The parties never change, but for the one hand-over of a conversation with the clinic to a therapist
            # (its therapist set where there was none), which happens once.
            pgtrigger.Protect(
                name="message_thread_parties_fixed",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__patient__df=pgtrigger.F("new__patient"))
                | pgtrigger.Q(old__started_by__df=pgtrigger.F("new__started_by"))
                | pgtrigger.Q(old__created_at__df=pgtrigger.F("new__created_at"))
                | pgtrigger.Q(old__therapist__isnull=False, old__therapist__df=pgtrigger.F("new__therapist"))
                | pgtrigger.Q(
                    old__handed_over_at__isnull=False, old__handed_over_at__df=pgtrigger.F("new__handed_over_at")
                )
                | pgtrigger.Q(
                    old__handed_over_by__isnull=False, old__handed_over_by__df=pgtrigger.F("new__handed_over_by")
                ),
            ),
            pgtrigger.Trigger(
                name="message_thread_subject_kept",
                operation=pgtrigger.Update,
                when=pgtrigger.Before,
                func=SUBJECT_KEPT,
            ),
        ]

    def __str__(self) -> str:
        return f"Message thread {self.pk}"

    @property
    def subject(self) -> str:
        """The subject as the author wrote it, for the parties' pages and the API; never for lists outside them."""
        return decrypt_text(self.subject_encrypted)

    @property
    def is_open(self) -> bool:
        return self.status == ThreadStatus.OPEN

    @property
    def with_clinic(self) -> bool:
        return self.therapist_id is None

    @property
    def handed_over(self) -> bool:
        return self.handed_over_at is not None


# A message never goes away and its words never change; the only later write is the other side opening it (once),
# or re-encrypting the same text under a newer key by the table owner's rotation command.
MESSAGE_LOCK = kept_encrypted_row_sql(
    rows="messages",
    row="message",
    columns=("thread_id", "author_id", "from_patient", "created_at"),
    # Laid out as in the installed trigger, so the migrations and the database keep the same text.
    also=(
        "(OLD.read_at IS NOT NULL AND (NEW.read_at IS DISTINCT FROM OLD.read_at\n"
        "                                    OR NEW.read_by_id IS DISTINCT FROM OLD.read_by_id))",
    ),
)


class Message(models.Model):
    """One message in a thread; its text is encrypted at rest. `read_at` is when the other side first opened it."""

    thread = models.ForeignKey(MessageThread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    from_patient = models.BooleanField()
    content_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            models.Index(fields=["thread"], condition=Q(read_at__isnull=True), name="message_unread_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(content_encrypted=""), name="message_has_text"),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True, read_by__isnull=True)
                | Q(read_at__isnull=False, read_by__isnull=False),
                name="message_read_by_someone",
            ),
        ]
        triggers = [kept_row_trigger("message_kept", MESSAGE_LOCK)]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"


def attachment_upload_path(instance, filename: str) -> str:
    return unguessable_upload_path("messaging/attachments", filename)


class Attachment(models.Model):
    """A file sent with a message. Kept with it: the database refuses changes and deletes."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(upload_to=attachment_upload_path)
    kind = models.CharField(max_length=30, choices=AttachmentKind.choices)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        triggers = [pgtrigger.Protect(name="attachment_kept", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"Attachment {self.pk} of message {self.message_id}"

    @property
    def download_name(self) -> str:
        return f"attachment-{self.pk}{Path(self.file.name).suffix}"
