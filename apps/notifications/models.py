from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class MessageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class Message(TimeStampedModel):
    """The outbox: one row per message to send, written in the transaction that causes it.

    `dedupe_key` names the subject, the purpose and (for reminders) the occurrence, so the
    same message can never be queued twice. `send_at` is when it is next due (retries move it
    forward); `claimed_until` is the dispatcher's lease, so a row already handed to a worker is
    not handed out again until the lease runs out. `expires_at` is when the message stops being worth
    sending (a reminder's session begins, an offer's deadline passes): a row still unsent then, or one
    quiet hours would hold until then, is cancelled instead of going out late.
    """

    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to_address = models.CharField(max_length=254)
    purpose = models.CharField(max_length=50, db_index=True)
    template = models.CharField(max_length=100)
    context = models.JSONField(default=dict, blank=True, help_text="Ids and plain facts only; never clinical text.")
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField("Subject ID", max_length=64)
    dedupe_key = models.CharField(max_length=200, unique=True)
    send_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    provider_id = models.CharField("Provider ID", max_length=100, blank=True)
    provider_status = models.CharField(max_length=30, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-send_at"]
        indexes = [
            models.Index(fields=["send_at"], condition=Q(status="pending"), name="message_due_idx"),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["provider_id"], condition=~Q(provider_id=""), name="message_provider_id_idx"),
            models.Index(fields=["patient", "-send_at"], name="message_patient_idx"),
            models.Index(fields=["status", "-send_at"], name="message_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="sent", sent_at__isnull=False) | ~Q(status="sent"), name="sent_message_has_sent_at"
            ),
            # A member of the public (a lecture registrant) has neither a chart nor an account: their notices are
            # emails to the address they gave.
            models.CheckConstraint(
                condition=Q(patient__isnull=False)
                | Q(recipient_user__isnull=False)
                | (Q(channel="email") & ~Q(to_address="")),
                name="message_has_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} via {self.channel} ({self.status})"


class ConfirmationSource(models.TextChoices):
    LINK = "link", "Reminder link"
    SMS = "sms", "Text reply"


class AppointmentConfirmation(TimeStampedModel):
    """The patient said they will come: by the signed link in a reminder or by replying C to a text.

    Keyed by the appointment's start, so a rescheduled session needs a fresh confirmation.
    """

    appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.CASCADE, related_name="+")
    appointment_start = models.DateTimeField()
    source = models.CharField(max_length=10, choices=ConfirmationSource.choices)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "appointment_start"], name="one_confirmation_per_start")
        ]

    def __str__(self) -> str:
        return f"Appointment {self.appointment_id} confirmed by {self.source}"
