import operator
from functools import reduce

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel

from .instruments import INSTRUMENT_CHOICES, INSTRUMENTS


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for answers"
    COMPLETED = "completed", "Answered"
    EXPIRED = "expired", "Expired"


class QuestionnaireAssignment(TimeStampedModel):
    """A questionnaire sent to a patient before a session, answered in the portal.

    The session is the patient's own appointment or a group meeting (an appointment with no patient), where each
    member gets their own assignment.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="questionnaire_assignments")
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(help_text="Answers are wanted before this time (the session's start).")
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "appointment", "instrument"],
                condition=Q(appointment__isnull=False),
                name="one_questionnaire_per_patient_instrument_session",
            ),
            models.CheckConstraint(
                condition=Q(status="completed", completed_at__isnull=False) | ~Q(status="completed"),
                name="completed_assignment_has_time",
            ),
        ]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} for patient {self.patient_id} ({self.status})"


class Severity(models.TextChoices):
    NONE = "none", "No pain"
    MINIMAL = "minimal", "Minimal"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    MODERATELY_SEVERE = "moderately_severe", "Moderately severe"
    SEVERE = "severe", "Severe"
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    BELOW_CLINICAL = "below_clinical", "Below the clinical threshold"
    CLINICALLY_RELEVANT = "clinically_relevant", "Clinically relevant"


# Each instrument's total stays within its published range (one alternative per instrument).
SCORE_IN_RANGE = reduce(
    operator.or_, (Q(instrument=code, score__lte=instrument.max_score) for code, instrument in INSTRUMENTS.items())
)


# A flag is open while nobody has reviewed it: the chart's "Needs review" and the work queues' flagged patients.
OPEN_FLAG = Q(flagged=True, flag_reviewed_at__isnull=True)


@pghistory.track()
class QuestionnaireResponse(models.Model):
    """One completed questionnaire: the item answers, and the total and band scored from them."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="questionnaire_responses")
    instrument = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES)
    assignment = models.OneToOneField(
        QuestionnaireAssignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="response"
    )
    answers = models.JSONField()
    score = models.PositiveSmallIntegerField()
    severity = models.CharField(max_length=20, choices=Severity.choices)
    flagged = models.BooleanField(default=False, help_text="PHQ-9 item 9 answered above zero.")
    flag_reviewed_at = models.DateTimeField(null=True, blank=True)
    flag_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["submitted_at", "id"]
        indexes = [
            models.Index(fields=["patient", "instrument", "submitted_at"]),
            models.Index(fields=["patient"], condition=OPEN_FLAG, name="open_flag_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=SCORE_IN_RANGE, name="response_score_in_range"),
            models.CheckConstraint(condition=Q(flagged=False) | Q(instrument="phq9"), name="only_phq9_is_flagged"),
            models.CheckConstraint(
                condition=Q(flag_reviewed_at__isnull=True) | Q(flagged=True), name="only_flags_are_reviewed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_instrument_display()} {self.score} ({self.submitted_at:%Y-%m-%d})"

    @property
    def flag_open(self) -> bool:
        """OPEN_FLAG, for a response already read."""
        return self.flagged and self.flag_reviewed_at is None


@pghistory.track(exclude=["content_encrypted", "updated_at"])
class JournalEntry(TimeStampedModel):
    """The patient's own writing (TMS journaling), encrypted at rest. Private unless the patient
    shares it; a shared entry is visible to the patient's treating therapists."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="journal_entries")
    content_encrypted = models.TextField(editable=False)
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "journal entries"
        indexes = [models.Index(fields=["patient", "shared_at"])]

    def __str__(self) -> str:
        return f"Journal entry {self.pk}"

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None
