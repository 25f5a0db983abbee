"""Moving a patient between rungs: history, refusals, the audit row, and the database's own guards."""

import pytest
from django.db import IntegrityError, InternalError, transaction

from apps.audit.models import AccessLog
from apps.core.encryption import decrypt_text
from apps.core.errors import ApplicationError, InvalidTransition, PermissionDenied
from apps.ladder.models import CareLevel, CareLevelMove, PatientCareLevel
from apps.ladder.selectors import care_level_history
from apps.ladder.services import care_level_set

pytestmark = pytest.mark.django_db


def test_a_first_placement_starts_the_history_from_not_placed(personas):
    move = care_level_set(
        patient=personas.patient, level=CareLevel.EDUCATION, reason="Read the book first", actor=personas.therapist
    )

    assert (move.from_level, move.to_level, move.moved_by) == ("", CareLevel.EDUCATION, personas.therapist)
    current = PatientCareLevel.objects.get(patient=personas.patient)
    assert (current.level, current.since, current.moved_by) == (CareLevel.EDUCATION, move.moved_at, personas.therapist)


def test_moves_chain_from_one_level_to_the_next_with_their_reasons(personas):
    care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="Start", actor=personas.therapist)
    care_level_set(
        patient=personas.patient, level=CareLevel.GROUP, reason="Ready for a group", actor=personas.front_desk
    )

    history = care_level_history(user=personas.therapist, patient=personas.patient).moves

    assert [(m.from_level, m.to_level, m.moved_by) for m in history] == [
        (CareLevel.EDUCATION, CareLevel.GROUP, personas.front_desk),
        ("", CareLevel.EDUCATION, personas.therapist),
    ]
    assert [m.reason for m in history] == ["Ready for a group", "Start"]


def test_the_reason_is_encrypted_at_rest(personas):
    move = care_level_set(
        patient=personas.patient, level=CareLevel.GROUP, reason="Cannot afford weekly", actor=personas.therapist
    )
    stored = CareLevelMove.objects.values_list("content_encrypted", flat=True).get(pk=move.pk)
    assert "afford" not in stored
    assert decrypt_text(stored) == "Cannot afford weekly"


def test_moving_to_the_current_level_is_refused_and_writes_nothing(personas):
    care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Start", actor=personas.therapist)

    with pytest.raises(InvalidTransition):
        care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="Again", actor=personas.therapist)

    assert CareLevelMove.objects.filter(patient=personas.patient).count() == 1


@pytest.mark.parametrize(("level", "reason", "field"), [("group", "  ", "reason"), ("weekly", "Why", "level")])
def test_a_missing_reason_or_an_unknown_level_is_refused(personas, level, reason, field):
    with pytest.raises(ApplicationError) as refused:
        care_level_set(patient=personas.patient, level=level, reason=reason, actor=personas.therapist)
    assert field in refused.value.fields
    assert not CareLevelMove.objects.exists()


def test_each_move_writes_an_audit_row_with_from_and_to(personas):
    move = care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="x", actor=personas.therapist)

    row = AccessLog.objects.get(action="care_level_set")
    assert (row.actor, row.patient_id, row.subject_id) == (personas.therapist, personas.patient.pk, str(move.pk))
    assert row.detail == {"from": "", "to": CareLevel.EDUCATION}


@pytest.mark.parametrize("who", ["billing", "other_therapist", "patient_user"])
def test_only_the_treating_therapist_front_desk_and_admins_move_a_patient(personas, who):
    with pytest.raises(PermissionDenied):
        care_level_set(patient=personas.patient, level=CareLevel.GROUP, reason="x", actor=getattr(personas, who))
    assert not PatientCareLevel.objects.exists()


def test_the_database_keeps_moves_unchanged_and_chained(personas):
    move = care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="x", actor=personas.therapist)

    with pytest.raises(IntegrityError), transaction.atomic():
        CareLevelMove.objects.filter(pk=move.pk).update(to_level=CareLevel.GROUP)
    with pytest.raises(IntegrityError), transaction.atomic():
        CareLevelMove.objects.filter(pk=move.pk).delete()
    # A move that does not start where the last one ended is refused, whoever writes it.
    with pytest.raises((IntegrityError, InternalError)), transaction.atomic():
        CareLevelMove.objects.create(
            patient=personas.patient,
            from_level=CareLevel.LECTURE_SERIES,
            to_level=CareLevel.GROUP,
            moved_at=move.moved_at,
            content_encrypted=move.content_encrypted,
        )
