import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.encryption import kept_encrypted_row_sql
from apps.core.models import kept_row_trigger


class CareLevel(models.TextChoices):
    """The rungs of the ladder, in ladder order (the order of declaration is the order of care)."""

    EDUCATION = "education", "Education"
    LECTURE_SERIES = "lecture_series", "Lecture series"
    GROUP = "group", "Group program"
    INDIVIDUAL = "individual", "Individual therapy"
    MAINTENANCE = "maintenance", "Maintenance or discharged"


LADDER: list[str] = list(CareLevel.values)
# The rungs below individual therapy: someone standing on one is waiting for the next rung.
CLIMBING_LEVELS: list[str] = [CareLevel.EDUCATION, CareLevel.LECTURE_SERIES, CareLevel.GROUP]


def rung(level: str) -> int:
    """The level's place on the ladder, 0 at the bottom."""
    return LADDER.index(level)


class PatientCareLevel(models.Model):
    """The rung a patient stands on now: one row per patient, written only by `care_level_set` together with the
    `CareLevelMove` that put them there. A patient without a row is not placed yet."""

    patient = models.OneToOneField("patients.Patient", on_delete=models.PROTECT, related_name="care_level")
    level = models.CharField(max_length=20, choices=CareLevel.choices)
    since = models.DateTimeField()
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["level", "since"], name="care_level_rung_since")]
        constraints = [
            models.CheckConstraint(condition=Q(level__in=LADDER), name="care_level_on_the_ladder"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} at {self.get_level_display()}"


# A move is history: it never changes and never goes away, except that the table owner's rotation command may
# re-encrypt the same reason under a newer key.
MOVE_KEPT = kept_encrypted_row_sql(
    rows="care level moves",
    row="care level move",
    columns=("patient_id", "from_level", "to_level", "moved_by_id", "moved_at"),
)

# The history is a chain: each move starts where the patient's previous move ended ("" before the first).
MOVE_CHAINS = """
IF NEW.from_level IS DISTINCT FROM coalesce(
    (SELECT to_level FROM ladder_carelevelmove WHERE patient_id = NEW.patient_id ORDER BY id DESC LIMIT 1), ''
) THEN
    RAISE EXCEPTION 'care level move for patient % does not start at their current level', NEW.patient_id
        USING ERRCODE = 'check_violation';
END IF;
RETURN NEW;
"""


class CareLevelMove(models.Model):
    """One move between rungs: from (empty for the first placement), to, who, when, and why. The reason is written
    by a clinician about a patient, so it is encrypted at rest (`content_encrypted`)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="care_level_moves")
    from_level = models.CharField(max_length=20, choices=CareLevel.choices, blank=True)
    to_level = models.CharField(max_length=20, choices=CareLevel.choices)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField()
    content_encrypted = models.TextField(editable=False)

    class Meta:
        ordering = ["moved_at", "id"]
        indexes = [
            models.Index(fields=["patient", "id"], name="care_move_patient_chain"),
            models.Index(fields=["to_level", "moved_at"], name="care_move_to_level_at"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(to_level__in=LADDER), name="care_move_to_on_the_ladder"),
            models.CheckConstraint(
                condition=Q(from_level="") | Q(from_level__in=LADDER), name="care_move_from_on_the_ladder"
            ),
            models.CheckConstraint(condition=~Q(from_level=models.F("to_level")), name="care_move_changes_level"),
            models.CheckConstraint(condition=~Q(content_encrypted=""), name="care_move_has_reason"),
        ]
        triggers = [
            kept_row_trigger("care_move_kept", MOVE_KEPT),
            pgtrigger.Trigger(
                name="care_move_chains", operation=pgtrigger.Insert, when=pgtrigger.Before, func=MOVE_CHAINS
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.from_level or 'not placed'} → {self.to_level}"
