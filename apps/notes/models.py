import pghistory
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from apps.accounts.disciplines import Discipline
from apps.core.encryption import reencrypt_only
from apps.core.models import TimeStampedModel, kept_row_trigger
from apps.outcomes.instruments import INSTRUMENT_CHOICES, INSTRUMENTS

from .content import TemplateDefinitionError, template_fields_check


class TemplateKind(models.TextChoices):
    INTAKE = "intake", "Intake"
    PROGRESS = "progress", "Progress"


class NoteTemplate(TimeStampedModel):
    """A note form defined as data (ordered field definitions, see content.py), so a clinic can
    add one without a deploy. A template in use keeps its fields; publish a new one instead."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=TemplateKind.choices)
    discipline = models.CharField(
        max_length=20,
        choices=Discipline.choices,
        default=Discipline.PSYCHOTHERAPY,
        help_text="Notes of sessions of this discipline use it.",
    )
    description = models.CharField(max_length=300, blank=True)
    fields = models.JSONField(help_text="Ordered field definitions; see the README for the format.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            template_fields_check(self.fields)
        except TemplateDefinitionError as exc:
            raise ValidationError({"fields": str(exc)}) from None
        if self.pk and self.notes.exists():
            stored = NoteTemplate.objects.filter(pk=self.pk).values_list("fields", flat=True).first()
            if stored != self.fields:
                raise ValidationError(
                    {"fields": "Notes already use this template; publish a new template instead of changing it."}
                )


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


# What the signer attests; stored word for word with each signature, so a later change of wording leaves the
# notes signed before it saying what their signers agreed to.
ATTESTATION = "I attest this note is accurate and complete."
# What the supervisor attests when co-signing, kept the same way with each co-signature.
COSIGN_ATTESTATION = "I have reviewed this note and attest it is accurate and complete."


# A signed note's content, template, appointment, author and signature never change. The only
# later writes allowed: the supervisor's co-signature (once), handing a note still awaiting it to
# another supervisor (its co-signer, never in the write that co-signs, so who co-signed is who was
# asked to), and re-encryption of the same text under a newer key (by the table owner's rotation command).
SIGNED_NOTE_LOCK = f"""
IF OLD.status = 'signed' THEN
    IF NEW.status IS DISTINCT FROM OLD.status
       OR NEW.template_id IS DISTINCT FROM OLD.template_id
       OR NEW.appointment_id IS DISTINCT FROM OLD.appointment_id
       OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
       OR NEW.author_id IS DISTINCT FROM OLD.author_id
       OR NEW.pain_now IS DISTINCT FROM OLD.pain_now
       OR NEW.pain_worst IS DISTINCT FROM OLD.pain_worst
       OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
       OR NEW.signed_by_id IS DISTINCT FROM OLD.signed_by_id
       OR NEW.attestation IS DISTINCT FROM OLD.attestation
       OR NEW.attested_at IS DISTINCT FROM OLD.attested_at
       OR NEW.cosign_required IS DISTINCT FROM OLD.cosign_required
       OR (NEW.cosigner_id IS DISTINCT FROM OLD.cosigner_id
           AND (OLD.cosigned_at IS NOT NULL OR NEW.cosigned_at IS NOT NULL))
       OR (OLD.cosigned_at IS NOT NULL AND (NEW.cosigned_at IS DISTINCT FROM OLD.cosigned_at
                                            OR NEW.cosigned_by_id IS DISTINCT FROM OLD.cosigned_by_id
                                            OR NEW.cosign_attestation IS DISTINCT FROM OLD.cosign_attestation
                                            OR NEW.cosign_attested_at IS DISTINCT FROM OLD.cosign_attested_at))
       OR {reencrypt_only("content_encrypted")} THEN
        RAISE EXCEPTION 'session note % is signed and cannot change', OLD.id USING ERRCODE = '23000';
    END IF;
END IF;
RETURN NEW;
"""

# Every signature from now on carries the signer's attestation. Notes signed before attestations existed keep
# none (a check constraint cannot tell them apart from new ones), so this is checked where a note becomes signed.
SIGNING_NEEDS_ATTESTATION = """
IF NEW.status = 'signed' AND NEW.attested_at IS NULL AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'signed') THEN
    RAISE EXCEPTION 'session note % cannot be signed without the attestation', NEW.id USING ERRCODE = '23514';
END IF;
RETURN NEW;
"""

# Every co-signature from now on carries the supervisor's attestation; notes co-signed before it existed keep none.
COSIGNING_NEEDS_ATTESTATION = """
IF NEW.cosigned_at IS NOT NULL AND NEW.cosign_attested_at IS NULL
   AND (TG_OP = 'INSERT' OR OLD.cosigned_at IS NULL) THEN
    RAISE EXCEPTION 'session note % cannot be co-signed without the attestation', NEW.id USING ERRCODE = '23514';
END IF;
RETURN NEW;
"""

# A session's note is written on a template of the session's discipline: a bodywork session never carries a
# psychotherapy form, so what a note says and who may read it (by the session's service) always agree.
NOTE_TEMPLATE_MATCHES_SESSION = """
IF (SELECT discipline FROM notes_notetemplate WHERE id = NEW.template_id) IS DISTINCT FROM (
    SELECT s.discipline FROM scheduling_appointment a JOIN scheduling_servicetype s ON s.id = a.service_type_id
    WHERE a.id = NEW.appointment_id
) THEN
    RAISE EXCEPTION 'session note % uses a template of another discipline than its session', NEW.id
        USING ERRCODE = '23514', CONSTRAINT = 'note_template_matches_session';
END IF;
RETURN NEW;
"""

# A session's note is written by the therapist who holds the session, and signed only for a session that took place
# or is taking place: a session handed to a colleague, cancelled or missed never gets a note its holder did not write.
NOTE_BY_SESSION_THERAPIST = """
IF TG_OP = 'UPDATE' AND OLD.status = 'signed' THEN
    RETURN NEW;
END IF;
IF NOT EXISTS (
    SELECT 1 FROM scheduling_appointment a
    WHERE a.id = NEW.appointment_id AND a.therapist_id = NEW.author_id
      AND (NEW.status <> 'signed' OR a.status IN ('booked', 'checked_in', 'completed'))
) THEN
    RAISE EXCEPTION 'session note % is not written by the therapist of a session that took place', NEW.id
        USING ERRCODE = '23514', CONSTRAINT = 'note_by_session_therapist';
END IF;
RETURN NEW;
"""

IMMUTABLE_ROW_LOCK = """
IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION '% rows cannot be deleted', TG_TABLE_NAME USING ERRCODE = '23000';
END IF;
IF NEW.id IS DISTINCT FROM OLD.id
   OR NEW.{fk} IS DISTINCT FROM OLD.{fk}
   OR NEW.author_id IS DISTINCT FROM OLD.author_id
   OR NEW.created_at IS DISTINCT FROM OLD.created_at
   OR {reencrypt} THEN
    RAISE EXCEPTION '% rows cannot change', TG_TABLE_NAME USING ERRCODE = '23000';
END IF;
RETURN NEW;
"""


# The pain answers stay out of the history too: a draft's answers are its author's alone until signed.
@pghistory.track(exclude=["content_encrypted", "pain_now", "pain_worst", "updated_at"])
class SessionNote(TimeStampedModel):
    """The clinical record of one appointment: template answers, encrypted at rest.

    draft -> signed. Once signed, the database refuses changes (trigger `signed_note_locked`);
    corrections are Addendum rows. A pre-licensed author's signed note is final only after
    the supervisor named at signing co-signs it.
    """

    appointment = models.OneToOneField("scheduling.Appointment", on_delete=models.PROTECT, related_name="session_note")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="session_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_notes")
    template = models.ForeignKey(NoteTemplate, on_delete=models.PROTECT, related_name="notes")
    content_encrypted = models.TextField(editable=False, help_text="Fernet token of the JSON answers.")
    # Copied from the answers when saved so pain can be charted without decrypting every note.
    pain_now = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    pain_worst = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.TextField(blank=True, default="", help_text="The statement the signer attested to.")
    attested_at = models.DateTimeField(null=True, blank=True)
    cosign_required = models.BooleanField(default=False)
    cosigner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notes_to_cosign",
        help_text="The supervisor who must co-sign, fixed when the note is signed.",
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cosign_attestation = models.TextField(
        blank=True, default="", help_text="The statement the co-signing supervisor attested to."
    )
    cosign_attested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-appointment__start"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["author", "status"]),
            models.Index(
                fields=["cosigner"],
                condition=Q(cosign_required=True, cosigned_at__isnull=True),
                name="note_awaiting_cosign_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True)
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="note_signature_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(attestation="", attested_at__isnull=True)
                | (Q(status="signed", attested_at__isnull=False) & ~Q(attestation="")),
                name="note_attestation_belongs_to_signature",
            ),
            models.CheckConstraint(
                condition=Q(cosign_required=False, cosigner__isnull=True, cosigned_at__isnull=True)
                | Q(cosign_required=True, status="signed", cosigner__isnull=False),
                name="note_cosign_needs_signed_note_and_cosigner",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_at__isnull=True, cosigned_by__isnull=True)
                | Q(cosigned_at__isnull=False, cosigned_by__isnull=False),
                name="note_cosignature_complete",
            ),
            models.CheckConstraint(
                condition=Q(cosign_attestation="", cosign_attested_at__isnull=True)
                | (Q(cosigned_at__isnull=False, cosign_attested_at__isnull=False) & ~Q(cosign_attestation="")),
                name="note_cosign_attestation_belongs_to_cosignature",
            ),
            models.CheckConstraint(
                condition=Q(pain_now__isnull=True) | Q(pain_now__lte=10), name="note_pain_now_0_to_10"
            ),
            models.CheckConstraint(
                condition=Q(pain_worst__isnull=True) | Q(pain_worst__lte=10), name="note_pain_worst_0_to_10"
            ),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="signed_note_locked",
                operation=pgtrigger.Update,
                when=pgtrigger.Before,
                func=SIGNED_NOTE_LOCK,
            ),
            pgtrigger.Trigger(
                name="signing_needs_attestation",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=SIGNING_NEEDS_ATTESTATION,
            ),
            pgtrigger.Trigger(
                name="cosigning_needs_attestation",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=COSIGNING_NEEDS_ATTESTATION,
            ),
            pgtrigger.Trigger(
                name="signed_note_not_deleted",
                operation=pgtrigger.Delete,
                when=pgtrigger.Before,
                condition=pgtrigger.Q(old__status="signed"),
                func="RAISE EXCEPTION 'signed session note % cannot be deleted', OLD.id USING ERRCODE = '23000';",
            ),
            pgtrigger.Trigger(
                name="note_template_matches_session",
                operation=pgtrigger.Insert | pgtrigger.UpdateOf("template_id", "appointment_id"),
                when=pgtrigger.Before,
                func=NOTE_TEMPLATE_MATCHES_SESSION,
            ),
            pgtrigger.Trigger(
                name="note_by_session_therapist",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=NOTE_BY_SESSION_THERAPIST,
            ),
        ]

    def __str__(self) -> str:
        return f"Session note {self.pk} ({self.get_status_display()})"

    @property
    def is_final(self) -> bool:
        return self.status == NoteStatus.SIGNED and (not self.cosign_required or self.cosigned_at is not None)

    @property
    def awaiting_cosign(self) -> bool:
        return self.status == NoteStatus.SIGNED and self.cosign_required and self.cosigned_at is None

    @property
    def state_label(self) -> str:
        if self.status == NoteStatus.DRAFT:
            return "Draft"
        return "Awaiting co-signature" if self.awaiting_cosign else "Signed"


class Addendum(models.Model):
    """A later correction or addition to a signed note. Immutable: the database refuses updates
    and deletes (except re-encrypting the same text under a newer key)."""

    note = models.ForeignKey(SessionNote, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    content_encrypted = models.TextField(editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "addenda"
        triggers = [
            kept_row_trigger(
                "addendum_immutable",
                IMMUTABLE_ROW_LOCK.format(fk="note_id", reencrypt=reencrypt_only("content_encrypted")),
            )
        ]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to note {self.note_id}"


class PsychotherapyNote(TimeStampedModel):
    """The therapist's private process notes, kept apart from the record.

    Only the author can ever read them: not other therapists, not admins, not the patient,
    not exports, and not the Django admin (the model is not registered there).
    """

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    content_encrypted = models.TextField(editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["author", "patient"])]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "appointment"],
                condition=Q(appointment__isnull=False),
                name="one_process_note_per_author_and_appointment",
            )
        ]

    def __str__(self) -> str:
        return f"Process note {self.pk}"


class TreatmentPlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"
    SUPERSEDED = "superseded", "Superseded"


class GoalDirection(models.TextChoices):
    AT_MOST = "at_most", "At most"
    AT_LEAST = "at_least", "At least"


# A plan's own row holds no text, so nothing about a signed plan changes except, once, its replacement by the
# next signed plan (status, time and successor only).
SIGNED_PLAN_LOCK = """
IF OLD.status = 'draft' THEN
    RETURN NEW;
END IF;
IF OLD.status = 'signed' AND NEW.status = 'superseded'
   AND (to_jsonb(NEW) - '{status,superseded_at,superseded_by_id,updated_at}'::text[])
       = (to_jsonb(OLD) - '{status,superseded_at,superseded_by_id,updated_at}'::text[]) THEN
    RETURN NEW;
END IF;
IF to_jsonb(NEW) IS DISTINCT FROM to_jsonb(OLD) THEN
    RAISE EXCEPTION 'treatment plan % is signed and cannot change', OLD.id USING ERRCODE = '23000';
END IF;
RETURN NEW;
"""


def _plan_part_lock(*, plan_id_of: str) -> str:
    """SQL: the problems, goals and interventions of a signed plan are never added, changed or deleted, except
    re-encrypting the same text under a newer key (by the owner's rotation). `plan_id_of` is an SQL expression
    of the plan id with `{row}` standing for OLD or NEW."""
    # Trigger source built at import from this module's constants; no input reaches it.
    old_status = (
        f"SELECT status INTO old_plan_status FROM notes_treatmentplan WHERE id = {plan_id_of.format(row='OLD')}"  # noqa: S608
    )
    new_status = (
        f"SELECT status INTO new_plan_status FROM notes_treatmentplan WHERE id = {plan_id_of.format(row='NEW')}"  # noqa: S608
    )
    return f"""
IF TG_OP <> 'INSERT' THEN
    {old_status};
END IF;
IF TG_OP <> 'DELETE' THEN
    {new_status};
END IF;
IF coalesce(old_plan_status, 'draft') <> 'draft' OR coalesce(new_plan_status, 'draft') <> 'draft' THEN
    IF NOT (TG_OP = 'UPDATE'
            AND (to_jsonb(NEW) - 'content_encrypted') = (to_jsonb(OLD) - 'content_encrypted')
            AND NOT {reencrypt_only("content_encrypted")}) THEN
        RAISE EXCEPTION '% of a signed treatment plan cannot change', TG_TABLE_NAME USING ERRCODE = '23000';
    END IF;
END IF;
IF TG_OP = 'DELETE' THEN
    RETURN OLD;
END IF;
RETURN NEW;
"""


def _plan_part_trigger(*, name: str, plan_id_of: str) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        operation=pgtrigger.Insert | pgtrigger.Update | pgtrigger.Delete,
        when=pgtrigger.Before,
        declare=[("old_plan_status", "text"), ("new_plan_status", "text")],
        func=_plan_part_lock(plan_id_of=plan_id_of),
    )


# An intervention filed under a goal belongs to that goal's plan.
INTERVENTION_GOAL_IN_PLAN = """
IF NEW.goal_id IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM notes_goal g JOIN notes_problem p ON p.id = g.problem_id
    WHERE g.id = NEW.goal_id AND p.plan_id = NEW.plan_id
) THEN
    RAISE EXCEPTION 'intervention % names a goal of another plan', NEW.id USING ERRCODE = '23000';
END IF;
RETURN NEW;
"""


def _target_within_range() -> Q:
    """A goal's target score lies within its instrument's range (each instrument scores from 0)."""
    within = Q(target_score__isnull=True)
    for code, instrument in INSTRUMENTS.items():
        within |= Q(measure=code, target_score__lte=instrument.max_score)
    return within


@pghistory.track(exclude=["updated_at"])
class TreatmentPlan(TimeStampedModel):
    """A patient's treatment plan: problems, goals (optionally measured by an outcome score) and interventions,
    with a date to review it.

    draft -> signed -> superseded. Signing locks the plan and its parts in the database (triggers
    `signed_plan_locked` and the part locks) and supersedes the patient's previous signed plan, so a patient has at
    most one active (signed) plan. The text of problems, goals and interventions is encrypted like note text.
    """

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="treatment_plans")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_plans")
    status = models.CharField(max_length=12, choices=TreatmentPlanStatus.choices, default=TreatmentPlanStatus.DRAFT)
    start_date = models.DateField()
    review_date = models.DateField(help_text="When the plan is due for review; after its start.")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attestation = models.CharField(max_length=500, blank=True, help_text="The statement the signer attested to.")
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )

    class Meta:
        ordering = ["-start_date", "-id"]
        indexes = [
            models.Index(fields=["patient", "status"]),
            models.Index(fields=["author", "review_date"], condition=Q(status="signed"), name="plan_review_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="signed"), name="one_active_treatment_plan_per_patient"
            ),
            models.UniqueConstraint(
                fields=["patient", "author"], condition=Q(status="draft"), name="one_draft_plan_per_author_and_patient"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True, signed_by__isnull=True, attestation="")
                | (
                    Q(status__in=["signed", "superseded"], signed_at__isnull=False, signed_by__isnull=False)
                    & ~Q(attestation="")
                ),
                name="plan_signature_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(status="superseded", superseded_at__isnull=False, superseded_by__isnull=False)
                | (~Q(status="superseded") & Q(superseded_at__isnull=True, superseded_by__isnull=True)),
                name="plan_supersession_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(superseded_by__isnull=True) | ~Q(superseded_by=models.F("id")),
                name="plan_not_superseded_by_itself",
            ),
            models.CheckConstraint(condition=Q(review_date__gt=models.F("start_date")), name="plan_review_after_start"),
        ]
        triggers = [
            pgtrigger.Trigger(
                name="signed_plan_locked", operation=pgtrigger.Update, when=pgtrigger.Before, func=SIGNED_PLAN_LOCK
            ),
            pgtrigger.Trigger(
                name="signed_plan_not_deleted",
                operation=pgtrigger.Delete,
                when=pgtrigger.Before,
                condition=pgtrigger.Q(old__status__in=["signed", "superseded"]),
                func="RAISE EXCEPTION 'signed treatment plan % cannot be deleted', OLD.id USING ERRCODE = '23000';",
            ),
        ]

    def __str__(self) -> str:
        return f"Treatment plan {self.pk} ({self.get_status_display()})"


class Problem(models.Model):
    """A problem the plan addresses, in the therapist's words (encrypted)."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="problems")
    position = models.PositiveSmallIntegerField()
    content_encrypted = models.TextField(editable=False)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="problem_position_unique")]
        triggers = [_plan_part_trigger(name="plan_problem_locked", plan_id_of="{row}.plan_id")]

    def __str__(self) -> str:
        return f"Problem {self.position + 1} of plan {self.plan_id}"


class Goal(models.Model):
    """A goal under a problem (encrypted description), optionally measured: a target score on an outcome
    instrument that the latest score should be at most (or at least), by a target date."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="goals")
    position = models.PositiveSmallIntegerField()
    content_encrypted = models.TextField(editable=False)
    measure = models.CharField(max_length=20, choices=INSTRUMENT_CHOICES, blank=True)
    target_score = models.PositiveSmallIntegerField(null=True, blank=True)
    direction = models.CharField(max_length=10, choices=GoalDirection.choices, blank=True)
    target_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["problem", "position"]
        constraints = [
            models.UniqueConstraint(fields=["problem", "position"], name="goal_position_unique"),
            models.CheckConstraint(
                condition=Q(target_score__isnull=True) | (~Q(measure="") & ~Q(direction="")),
                name="goal_target_has_measure_and_direction",
            ),
            models.CheckConstraint(condition=_target_within_range(), name="goal_target_within_instrument_range"),
        ]
        triggers = [
            _plan_part_trigger(
                name="plan_goal_locked", plan_id_of="(SELECT plan_id FROM notes_problem WHERE id = {row}.problem_id)"
            )
        ]

    def __str__(self) -> str:
        return f"Goal {self.position + 1} of problem {self.problem_id}"


class Intervention(models.Model):
    """What the therapist will do (encrypted), e.g. "Pain reprocessing therapy, weekly": for one goal, or for
    the plan as a whole when `goal` is empty."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="interventions")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.CASCADE, related_name="interventions")
    position = models.PositiveSmallIntegerField()
    content_encrypted = models.TextField(editable=False)

    class Meta:
        ordering = ["plan", "position"]
        constraints = [models.UniqueConstraint(fields=["plan", "position"], name="intervention_position_unique")]
        triggers = [
            _plan_part_trigger(name="plan_intervention_locked", plan_id_of="{row}.plan_id"),
            pgtrigger.Trigger(
                name="intervention_goal_in_plan",
                operation=pgtrigger.Insert | pgtrigger.Update,
                when=pgtrigger.Before,
                func=INTERVENTION_GOAL_IN_PLAN,
            ),
        ]

    def __str__(self) -> str:
        return f"Intervention {self.position + 1} of plan {self.plan_id}"
