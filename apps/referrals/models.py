"""Referrals in and out of the clinic.

Inbound: an outside provider (typically the TMS physician) refers a patient, with the medical clearance that rules
out structural causes of the pain. Outbound: a therapist refers a patient out, under a signed release of
information. Reasons are clinical, so they are encrypted at rest; clearance documents and exceptions are kept rows.
"""

from pathlib import Path

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.encryption import kept_encrypted_row_sql
from apps.core.models import TimeStampedModel, kept_row_trigger
from apps.core.uploads import UploadKind as ClearanceKind
from apps.core.uploads import unguessable_upload_path


class InboundStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    IN_REVIEW = "in_review", "In review"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


WAITING_STATUSES = (InboundStatus.RECEIVED, InboundStatus.IN_REVIEW)


class InboundReferral(TimeStampedModel):
    """A referral into the clinic. Until accepted it may name a prospective patient only (no chart yet); accepting
    links it to a chart, which the front desk picks or creates first, so a referral never makes a duplicate."""

    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="inbound_referrals"
    )
    prospect_name = models.CharField("Prospective patient's name", max_length=200, blank=True)
    prospect_phone = models.CharField("Prospective patient's phone", max_length=30, blank=True)
    prospect_email = models.EmailField("Prospective patient's email", blank=True)
    provider_name = models.CharField("Referring provider", max_length=200)
    provider_practice = models.CharField("Practice", max_length=200, blank=True)
    provider_phone = models.CharField("Phone", max_length=30, blank=True)
    provider_fax = models.CharField("Fax", max_length=30, blank=True)
    provider_email = models.EmailField("Email", blank=True)
    reason_encrypted = models.TextField(editable=False)
    received_on = models.DateField("Date received")
    status = models.CharField(max_length=20, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    decline_reason_encrypted = models.TextField(editable=False, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["received_on", "id"]
        indexes = [models.Index(fields=["status", "received_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(patient__isnull=False) | ~Q(prospect_name=""),
                name="inbound_referral_names_someone",
                violation_error_message="Choose the patient, or give the prospective patient's name.",
            ),
            models.CheckConstraint(
                condition=~Q(status=InboundStatus.ACCEPTED) | Q(patient__isnull=False, decided_at__isnull=False),
                name="accepted_referral_has_patient",
            ),
            models.CheckConstraint(
                condition=~Q(status=InboundStatus.DECLINED)
                | (~Q(decline_reason_encrypted="") & Q(decided_at__isnull=False)),
                name="declined_referral_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"Inbound referral {self.pk}"

    @property
    def is_waiting(self) -> bool:
        return self.status in WAITING_STATUSES

    @property
    def person_label(self) -> str:
        return self.patient.display_name if self.patient_id else f"{self.prospect_name} (no chart yet)"


# What the front desk writes down from a referral: who is referred and who sent them (the page's form and the API).
INBOUND_ENTRY_FIELDS = (
    "patient",
    "prospect_name",
    "prospect_phone",
    "prospect_email",
    "provider_name",
    "provider_practice",
    "provider_phone",
    "provider_fax",
    "provider_email",
    "received_on",
)


def clearance_upload_path(instance, filename: str) -> str:
    return unguessable_upload_path("referrals/clearances", filename)


class ClearanceDocument(models.Model):
    """A medical clearance on file: attached to an inbound referral (it counts for the patient once the referral
    is accepted) or recorded straight on a chart. Kept: the database refuses changes and deletes."""

    referral = models.ForeignKey(
        InboundReferral, null=True, blank=True, on_delete=models.PROTECT, related_name="clearances"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="clearances"
    )
    file = models.FileField(upload_to=clearance_upload_path)
    kind = models.CharField(max_length=30, choices=ClearanceKind.choices)
    size = models.PositiveIntegerField()
    cleared_by = models.CharField("Clearing physician", max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-recorded_at", "-id"]
        constraints = [
            # One home each: the referral it came with, or the chart it was recorded on.
            models.CheckConstraint(
                condition=Q(referral__isnull=True, patient__isnull=False)
                | Q(referral__isnull=False, patient__isnull=True),
                name="clearance_on_referral_or_chart",
            )
        ]
        triggers = [pgtrigger.Protect(name="clearance_kept", operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self) -> str:
        return f"Clearance {self.pk}"

    @property
    def download_name(self) -> str:
        return f"clearance-{self.pk}{Path(self.file.name).suffix}"


CLEARANCE_EXCEPTION_KEPT = kept_encrypted_row_sql(
    rows="clearance exceptions",
    row="clearance exception",
    columns=("patient_id", "granted_by_id", "granted_at"),
    encrypted="reason_encrypted",
)


class ClearanceException(models.Model):
    """A documented decision to start psychotherapy without a clearance on file. Kept, like the audit row."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="clearance_exceptions")
    reason_encrypted = models.TextField(editable=False)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField()

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [models.CheckConstraint(condition=~Q(reason_encrypted=""), name="clearance_exception_reason")]
        # Kept like the audit row; only a key rotation may re-encrypt its reason.
        triggers = [kept_row_trigger("clearance_exception_kept", CLEARANCE_EXCEPTION_KEPT)]

    def __str__(self) -> str:
        return f"Clearance exception {self.pk}"


class RecipientKind(models.TextChoices):
    PHYSICIAN = "physician", "Physician"
    PSYCHIATRIST = "psychiatrist", "Psychiatrist"
    THERAPIST = "therapist", "Therapist"
    OTHER = "other", "Other provider"


class OutboundStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    CLOSED = "closed", "Closed"


class OutboundReferral(TimeStampedModel):
    """A therapist's referral of a patient to an outside provider. It is sent only under the patient's signed
    release of information, which it names; the letter carries the reason, never session-note content."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="outbound_referrals")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient_kind = models.CharField("Refer to", max_length=20, choices=RecipientKind.choices)
    recipient_name = models.CharField("Provider's name", max_length=200)
    recipient_practice = models.CharField("Practice", max_length=200, blank=True)
    recipient_phone = models.CharField("Phone", max_length=30, blank=True)
    recipient_fax = models.CharField("Fax", max_length=30, blank=True)
    recipient_email = models.EmailField("Email", blank=True)
    reason_encrypted = models.TextField(editable=False)
    status = models.CharField(max_length=20, choices=OutboundStatus.choices, default=OutboundStatus.DRAFT)
    release = models.ForeignKey("intake.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # Nothing leaves the clinic without the patient's signed release.
            models.CheckConstraint(
                condition=Q(status=OutboundStatus.DRAFT)
                | Q(status=OutboundStatus.CLOSED, sent_at__isnull=True)
                | Q(release__isnull=False, sent_at__isnull=False),
                name="sent_referral_has_release",
            ),
        ]

    def __str__(self) -> str:
        return f"Outbound referral {self.pk}"


# Who an outbound referral goes to (the page's form, the API and the service that records them).
OUTBOUND_RECIPIENT_FIELDS = (
    "recipient_kind",
    "recipient_name",
    "recipient_practice",
    "recipient_phone",
    "recipient_fax",
    "recipient_email",
)
