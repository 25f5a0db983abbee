"""Intake documents as data (questionnaire and consents), their published versions, the packets the clinic
sends and the patient's signatures. Versions and signatures never change once written: the database refuses it."""

import hashlib

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel, kept_row_trigger


class DocumentKind(models.TextChoices):
    QUESTIONNAIRE = "questionnaire", "Intake questionnaire"
    TREATMENT_CONSENT = "treatment_consent", "Informed consent to treatment"
    TELEHEALTH_CONSENT = "telehealth_consent", "Telehealth consent"
    CANCELLATION_POLICY = "cancellation_policy", "Cancellation and late-fee policy"
    PRIVACY_NOTICE = "privacy_notice", "Notice of privacy practices"
    RELEASE_OF_INFORMATION = "release_of_information", "Release of information"


def text_sha256(text: str) -> str:
    """The fingerprint a signature keeps of the words its signer was shown."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Written once: a version is what patients sign, so its words must still be there, unchanged, years later.
ROW_WRITTEN_ONCE = """
RAISE EXCEPTION '% rows cannot be changed or deleted', TG_TABLE_NAME USING ERRCODE = '23000';
"""


# Tracked: which answers raise a flag is part of how a patient at risk is noticed, so who changed it and when is kept.
@pghistory.track(exclude=["updated_at"])
class IntakeDocument(TimeStampedModel):
    """One form or consent the clinic asks patients to complete. Its words live in versions; `current_version`
    is the one patients are asked to sign now."""

    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    title = models.CharField(max_length=150, unique=True)
    in_standard_packet = models.BooleanField(
        default=True, help_text="Part of the packet sent to every new patient (and on booking a series, by setting)."
    )
    is_active = models.BooleanField(default=True, help_text="Retired documents are no longer asked for.")
    position = models.PositiveSmallIntegerField(default=0)
    current_version = models.OneToOneField(
        "DocumentVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    risk_answers = models.JSONField(
        default=dict,
        blank=True,
        help_text='The questionnaire\'s risk answers, by question key (e.g. {"emergency_plan": ["sometimes", '
        '"often"]}): signing with one of them raises a flag for the patient\'s psychotherapists. Kept on the '
        "document, not its versions, so that marking a risk never asks patients to sign again.",
    )

    class Meta:
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_questionnaire(self) -> bool:
        return self.kind == DocumentKind.QUESTIONNAIRE


class DocumentVersion(models.Model):
    """The exact words (and, for the questionnaire, the questions) of one published version. Never edited:
    publishing a change writes the next version."""

    document = models.ForeignKey(IntakeDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    fields = models.JSONField(
        default=list, blank=True, help_text="The questionnaire's questions (note-template format)."
    )
    body_sha256 = models.CharField(max_length=64, editable=False)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="one_intake_version_number_per_document"),
            models.CheckConstraint(condition=Q(number__gte=1), name="intake_version_number_positive"),
        ]
        triggers = [kept_row_trigger("intake_version_written_once", ROW_WRITTEN_ONCE)]

    def __str__(self) -> str:
        return f"{self.document.title}, version {self.number}"


class PacketSource(models.TextChoices):
    FRONT_DESK = "front_desk", "Sent by the front desk"
    SERIES = "series", "Sent on booking a series"


class Packet(TimeStampedModel):
    """A set of documents sent to a patient to complete in the portal."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intake_packets")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField()
    source = models.CharField(max_length=20, choices=PacketSource.choices, default=PacketSource.FRONT_DESK)
    series = models.OneToOneField(
        "scheduling.AppointmentSeries", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    documents = models.ManyToManyField(IntakeDocument, through="PacketItem", related_name="+")

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [models.Index(fields=["patient", "-sent_at"])]

    def __str__(self) -> str:
        return f"Intake packet {self.pk}"


class PacketItem(models.Model):
    packet = models.ForeignKey(Packet, on_delete=models.CASCADE, related_name="items")
    document = models.ForeignKey(IntakeDocument, on_delete=models.PROTECT, related_name="+")
    # The patient, copied from the packet, so "what was this patient asked for" is one indexed filter.
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["packet", "document"], name="one_item_per_packet_document")]
        indexes = [models.Index(fields=["patient", "document"])]

    def __str__(self) -> str:
        return f"{self.document} in packet {self.packet_id}"


class Signature(models.Model):
    """A patient's signature of one document version: what they were shown (its SHA-256), the name they typed,
    when and from where, and for the questionnaire their answers. The database refuses any change or deletion.

    A version is signed once, except a release of information, whose permission ends with the clinic's term
    (`ClinicSettings.release_valid_days`): once it has ended the patient signs the same words again, a renewal."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intake_signatures")
    version = models.ForeignKey(DocumentVersion, on_delete=models.PROTECT, related_name="signatures")
    document = models.ForeignKey(IntakeDocument, on_delete=models.PROTECT, related_name="+")
    packet = models.ForeignKey(Packet, null=True, blank=True, on_delete=models.PROTECT, related_name="signatures")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    typed_name = models.CharField(max_length=200)
    text_sha256 = models.CharField(max_length=64)
    answers = models.JSONField(default=dict, blank=True)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    renewal = models.PositiveSmallIntegerField(
        default=0, help_text="0 for the first signature of this version; 1, 2, … for each renewal of an ended release."
    )

    class Meta:
        ordering = ["-signed_at", "-id"]
        constraints = [
            # A double submit signs once, a first signature or a renewal alike.
            models.UniqueConstraint(
                fields=["patient", "version", "renewal"], name="one_signature_per_patient_version_renewal"
            ),
            models.CheckConstraint(condition=~Q(typed_name=""), name="intake_signature_has_typed_name"),
            models.CheckConstraint(
                condition=Q(text_sha256__regex=r"^[0-9a-f]{64}$"), name="intake_signature_hash_is_sha256"
            ),
        ]
        indexes = [models.Index(fields=["patient", "document"])]
        triggers = [kept_row_trigger("intake_signature_written_once", ROW_WRITTEN_ONCE)]

    def __str__(self) -> str:
        return f"Signature {self.pk}"


@pghistory.track()
class AnswerFlag(models.Model):
    """A signed questionnaire with a risk answer (`IntakeDocument.risk_answers`), waiting for review by one of the
    patient's psychotherapists. The signature never changes, so its review is kept here. Names the questions, never
    the answers."""

    signature = models.OneToOneField(Signature, on_delete=models.PROTECT, related_name="flag")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    questions = models.JSONField(help_text="The keys of the questions answered with a risk answer.")
    raised_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["patient"], condition=Q(reviewed_at__isnull=True), name="open_answer_flag_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(reviewed_at__isnull=True, reviewed_by__isnull=True)
                | Q(reviewed_at__isnull=False, reviewed_by__isnull=False),
                name="answer_flag_reviewed_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"Answer flag {self.pk}"

    @property
    def question_labels(self) -> list[str]:
        labels = {field["key"]: field["label"] for field in self.signature.version.fields}
        return [labels.get(key, key) for key in self.questions]
