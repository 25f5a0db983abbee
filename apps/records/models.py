"""A record PDF asked for and made in the background: who asked, for which patient, where it stands, and the file
while it is kept."""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q

from .moments import local


def private_storage():
    """Files no URL serves: each download goes through a view that checks who asks (not the public media)."""
    return storages["private"]


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Being prepared"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Could not be prepared"
    EXPIRED = "expired", "No longer kept"


class ExportAudience(models.TextChoices):
    # The patient's own copy holds their private journal; a records request only what they shared (docs/records.md).
    PATIENT = "patient", "The patient's own copy"
    RECORDS_REQUEST = "records_request", "Records request"


class ExportFormat(models.TextChoices):
    PDF = "pdf", "PDF"


class RecordExport(models.Model):
    """One request for a patient's record as a file. At most one per patient, audience and format is being
    prepared at a time (the database refuses a second); a ready one keeps its file until `expires_at`."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="record_exports")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(max_length=20, choices=ExportAudience.choices)
    format = models.CharField(max_length=10, choices=ExportFormat.choices, default=ExportFormat.PDF)
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the prepared file is deleted.")
    file = models.FileField(storage=private_storage, blank=True, max_length=200)
    size = models.PositiveIntegerField(null=True, blank=True)
    session_notes = models.PositiveIntegerField(default=0, help_text="How many session notes the file holds.")
    failure = models.CharField(max_length=300, blank=True, help_text="Why it could not be prepared, in plain words.")

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["patient", "audience", "-requested_at"], name="record_export_latest_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "audience", "format"],
                condition=Q(status="queued"),
                name="one_record_export_being_prepared",
            ),
            models.CheckConstraint(
                condition=~Q(status="ready") | (~Q(file="") & Q(expires_at__isnull=False)),
                name="record_export_ready_has_file",
            ),
            models.CheckConstraint(condition=Q(status="ready") | Q(file=""), name="record_export_file_only_ready"),
        ]

    def __str__(self) -> str:
        return f"Record export {self.pk} ({self.get_status_display()})"

    @property
    def download_name(self) -> str:
        # The day it was made on the clinic's calendar, as the download made in the request named it.
        return f"record-{self.patient.chart_number}-{local(self.finished_at):%Y-%m-%d}.{self.format}"
