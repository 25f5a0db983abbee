"""Two staff members move the same patient at the same instant: the moves run one after the other, and the history
chains from → to without a gap or a fork."""

import pytest

from apps.core.errors import ApplicationError
from apps.ladder.models import CareLevel, CareLevelMove, PatientCareLevel
from apps.ladder.services import care_level_set
from tests.locking import at_once


def _race(personas, targets: list[str]) -> list[str]:
    actors = [personas.therapist, personas.front_desk]
    outcomes = at_once(
        *[
            lambda actor=actors[i % 2], level=level: care_level_set(
                patient=personas.patient, level=level, reason=f"to {level}", actor=actor
            )
            for i, level in enumerate(targets)
        ]
    )
    unexpected = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ApplicationError)]
    assert unexpected == [], unexpected
    return sorted(o.code if isinstance(o, ApplicationError) else "moved" for o in outcomes)


def _assert_chained(patient) -> list[CareLevelMove]:
    moves = list(CareLevelMove.objects.filter(patient=patient).order_by("id"))
    previous = ""
    for move in moves:
        assert move.from_level == previous
        previous = move.to_level
    assert PatientCareLevel.objects.get(patient=patient).level == previous
    return moves


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_moves_to_different_levels_both_land_in_one_chain(personas):
    care_level_set(patient=personas.patient, level=CareLevel.EDUCATION, reason="start", actor=personas.therapist)

    assert _race(personas, [CareLevel.GROUP, CareLevel.INDIVIDUAL]) == ["moved", "moved"]

    moves = _assert_chained(personas.patient)
    assert len(moves) == 3


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_first_placements_on_the_same_level_write_one_move(personas):
    assert _race(personas, [CareLevel.GROUP, CareLevel.GROUP]) == ["invalid_transition", "moved"]

    [move] = _assert_chained(personas.patient)
    assert (move.from_level, move.to_level) == ("", CareLevel.GROUP)
