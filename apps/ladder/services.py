"""Moving a patient between rungs of the care ladder."""

from django.db import transaction

from apps.audit.services import access_log_write
from apps.core import clock
from apps.core.encryption import encrypt_text
from apps.core.errors import ApplicationError, InvalidTransition, PermissionDenied
from apps.patients.models import Patient

from .models import LADDER, CareLevel, CareLevelMove, PatientCareLevel

REASON_MAX_LENGTH = 1000
DISCHARGE_REASON = "Discharged from care."


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why the patient moves.", fields={"reason": ["This field is required."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            "That reason is too long.", fields={"reason": [f"Keep it under {REASON_MAX_LENGTH} characters."]}
        )
    return reason


def _level(level: str) -> str:
    if level not in LADDER:
        raise ApplicationError("Choose a level on the ladder.", fields={"level": [f"“{level}” is not a level."]})
    return level


def _current_locked(patient: Patient) -> PatientCareLevel | None:
    # Always after the patient's row: the one lock order for every move.
    return PatientCareLevel.objects.select_for_update().filter(patient=patient).first()


@transaction.atomic
def care_level_set(*, patient: Patient, level: str, reason: str, actor) -> CareLevelMove:
    """Put the patient on `level`, recording who moved them, when and why.

    The patient row is locked first (it exists before any level does, so a first placement is serialised too), then
    the current level: two moves of the same patient run one after the other, and each move's `from` is the level
    the previous one left (the database refuses a move that does not start there). Moving to the level the patient
    already stands on is refused, so the history holds only real moves; so is moving a discharged patient (409):
    their discharge moved them off their rung, and they climb again once reactivated."""
    level, reason = _level(level), _reason(reason)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if not actor.has_perm("ladder.move_care_level", patient):
        raise PermissionDenied("You may not change this patient's care level.")
    if not patient.is_in_care:
        raise InvalidTransition(
            f"{patient.display_name} has been discharged: reactivate them before changing their care level."
        )
    current = _current_locked(patient)
    was = current.level if current else ""
    if was == level:
        raise InvalidTransition(
            f"The patient is already at {CareLevel(level).label}.", fields={"level": ["Choose a different level."]}
        )
    return _move(patient=patient, was=was, level=level, reason=reason, actor=actor)


@transaction.atomic
def care_level_leave_on_discharge(*, actor, patient: Patient) -> CareLevelMove | None:
    """A discharge takes the patient off their rung: they move to maintenance or discharged, recorded like any
    move, by whoever discharged them, so the ladder report counts them as having left. Called in the discharge's
    transaction, under its lock on the patient's row; a patient not placed, or at maintenance already, stays."""
    current = _current_locked(patient)
    if current is None or current.level == CareLevel.MAINTENANCE:
        return None
    return _move(patient=patient, was=current.level, level=CareLevel.MAINTENANCE, reason=DISCHARGE_REASON, actor=actor)


def _move(*, patient: Patient, was: str, level: str, reason: str, actor) -> CareLevelMove:
    """Write one move of a patient whose row and level are locked: the history row, the rung, the audit row."""
    now = clock.now()
    move = CareLevelMove.objects.create(
        patient=patient,
        from_level=was,
        to_level=level,
        moved_by=actor,
        moved_at=now,
        content_encrypted=encrypt_text(reason),
    )
    PatientCareLevel.objects.update_or_create(
        patient=patient, defaults={"level": level, "since": now, "moved_by": actor}
    )
    access_log_write(
        actor=actor,
        action="care_level_set",
        subject=move,
        patient_id=patient.pk,
        detail={"from": was, "to": level},
    )
    return move
