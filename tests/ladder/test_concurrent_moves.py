"""Two staff members move the same patient at the same instant: the moves run one after the other, and the history
chains from → to without a gap or a fork."""

import threading

import pytest
from django.db import connection

from apps.core.errors import ApplicationError
from apps.ladder.models import CareLevel, CareLevelMove, PatientCareLevel
from apps.ladder.services import care_level_set


def _race(personas, targets: list[str]) -> list[str]:
    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []
    lock = threading.Lock()

    def move(actor, level):
        try:
            barrier.wait()
            care_level_set(patient=personas.patient, level=level, reason=f"to {level}", actor=actor)
            result = "moved"
        except ApplicationError as exc:
            result = exc.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    actors = [personas.therapist, personas.front_desk]
    threads = [threading.Thread(target=move, args=(actors[i % 2], level)) for i, level in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


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
