"""The education library (readings, recordings, journaling prompts), what a therapist assigned to whom, and the
journal entries a patient writes from a prompt.

An item is data, not code: the clinic adds, edits and retires items without a deploy. An assignment is part of the
patient's care (its note to the patient is encrypted); a journal entry is the patient's own words, encrypted, and
never changes once written.
"""

from pathlib import Path

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.encryption import kept_encrypted_row_sql
from apps.core.models import TimeStampedModel, kept_row_trigger
from apps.core.uploads import unguessable_upload_path


class ItemKind(models.TextChoices):
    READING = "reading", "Reading"
    RECORDING = "recording", "Recording"
    JOURNALING_PROMPT = "journaling_prompt", "Journaling prompt"


class CareLevel(models.TextChoices):
    """The rung of the care ladder an item suits. Where a patient stands on the ladder is kept elsewhere."""

    EDUCATION = "education", "Education"
    LECTURE_SERIES = "lecture_series", "Lecture series"
    GROUP = "group", "Group program"
    INDIVIDUAL = "individual", "Individual therapy"


class FileKind(models.TextChoices):
    PDF = "application/pdf", "PDF"
    MP3 = "audio/mpeg", "MP3 audio"
    M4A = "audio/mp4", "M4A audio"


def item_upload_path(instance, filename: str) -> str:
    return unguessable_upload_path("education/items", filename)


@pghistory.track(exclude=["updated_at"])
class LibraryItem(TimeStampedModel):
    """One reading, recording or journaling prompt. A reading or recording is a link or an uploaded file (one of
    the two); a prompt is its own text (title and description) and may point to either as well. Retiring keeps the
    item for the assignments that name it and stops new ones."""

    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    care_level = models.CharField("care level", max_length=20, choices=CareLevel.choices, default=CareLevel.EDUCATION)
    description = models.TextField(blank=True, max_length=2000)
    link = models.URLField(max_length=500, blank=True)
    file = models.FileField(upload_to=item_upload_path, blank=True)
    file_kind = models.CharField(max_length=30, choices=FileKind.choices, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    is_active = models.BooleanField("active", default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="library_item_has_title"),
            models.CheckConstraint(condition=Q(kind__in=ItemKind.values), name="library_item_kind_known"),
            models.CheckConstraint(condition=Q(care_level__in=CareLevel.values), name="library_item_level_known"),
            models.CheckConstraint(condition=Q(link="") | Q(file=""), name="library_item_link_or_file"),
            models.CheckConstraint(
                condition=Q(kind=ItemKind.JOURNALING_PROMPT) | ~Q(link="") | ~Q(file=""),
                name="library_item_material_has_source",
            ),
            models.CheckConstraint(
                condition=(Q(file="") & Q(file_kind="") & Q(file_size__isnull=True))
                | (~Q(file="") & ~Q(file_kind="") & Q(file_size__isnull=False)),
                name="library_item_file_described",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_prompt(self) -> bool:
        return self.kind == ItemKind.JOURNALING_PROMPT

    @property
    def download_name(self) -> str:
        return f"library-{self.pk}{Path(self.file.name).suffix}"


@pghistory.track(exclude=["content_encrypted", "updated_at"])
class Assignment(TimeStampedModel):
    """An item a therapist shared with a patient. Open until withdrawn; done (and undone) by the patient.
    `content_encrypted` is the therapist's optional note to the patient, encrypted at rest ("" for none)."""

    item = models.ForeignKey(LibraryItem, on_delete=models.PROTECT, related_name="assignments")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="education_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content_encrypted = models.TextField(blank=True, editable=False)
    done_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "-created_at"])]
        constraints = [
            # An item is on a patient's list once while it is open; after a withdrawal it may be shared again.
            models.UniqueConstraint(
                fields=["item", "patient"], condition=Q(withdrawn_at__isnull=True), name="assignment_open_once"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                | Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False),
                name="assignment_withdrawn_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Assignment {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.withdrawn_at is None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


# A journal entry is the patient's words as written: never edited, never deleted; only the owner's key rotation
# may re-encrypt the same text.
PROMPT_ENTRY_LOCK = kept_encrypted_row_sql(
    rows="journal entries", row="journal entry", columns=("assignment_id", "patient_id", "created_at")
)

# The entry's patient is the assignment's patient: kept as a column so reads scope and log by patient directly.
PROMPT_ENTRY_PATIENT_MATCHES = """
IF NOT EXISTS (
    SELECT 1 FROM education_assignment a JOIN education_libraryitem i ON i.id = a.item_id
    WHERE a.id = NEW.assignment_id AND a.patient_id = NEW.patient_id AND i.kind = 'journaling_prompt'
) THEN
    RAISE EXCEPTION 'a journal entry answers a journaling prompt assigned to its patient' USING ERRCODE = '23514';
END IF;
RETURN NEW;
"""


class PromptEntry(models.Model):
    """A journal entry the patient wrote from an assigned prompt, encrypted at rest. Read by the patient and their
    treating therapists only; each staff read is access-logged."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="entries")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    content_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "journal entry"
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["assignment", "-created_at"])]
        constraints = [models.CheckConstraint(condition=~Q(content_encrypted=""), name="prompt_entry_has_text")]
        triggers = [
            kept_row_trigger("prompt_entry_kept", PROMPT_ENTRY_LOCK),
            pgtrigger.Trigger(
                name="prompt_entry_answers_prompt",
                operation=pgtrigger.Insert,
                when=pgtrigger.Before,
                func=PROMPT_ENTRY_PATIENT_MATCHES,
            ),
        ]

    def __str__(self) -> str:
        return f"Journal entry {self.pk}"
