"""Progress toward a goal in plain words, with worked examples, and the one selector the chart, the plan page and
the API read it from."""

import datetime as dt

import pytest

from apps.core import clock
from apps.notes.models import Goal
from apps.notes.plan_progress import ProgressStatus, ScorePoint, goal_progress
from apps.notes.plan_selectors import plan_open, plan_progress
from apps.outcomes.models import QuestionnaireResponse

from .conftest import plan_content, signed_plan_for

START = dt.date(2026, 3, 2)


def _at(day: dt.date) -> dt.datetime:
    return clock.local_datetime(day, dt.time(9, 0))


def _points(*scores_by_days_from_start: tuple[int, int]) -> list[ScorePoint]:
    return [
        ScorePoint(score=score, at=_at(START + dt.timedelta(days=days))) for days, score in scores_by_days_from_start
    ]


def _status(goal: Goal, points, *, today=START + dt.timedelta(days=30)) -> ProgressStatus:
    return goal_progress(goal=goal, start_date=START, points=points, today=today).status


PHQ9_AT_MOST_9 = Goal(measure="phq9", target_score=9, direction="at_most")


@pytest.mark.parametrize(
    ("points", "expected", "label"),
    [
        # PHQ-9 14 the week before the plan, 11 three weeks in: better, not there yet.
        (((-7, 14), (21, 11)), ProgressStatus.ON_TRACK, "On track"),
        # 14 before, 8 now: at most 9 is met.
        (((-7, 14), (21, 8)), ProgressStatus.MET, "Target met"),
        # Exactly on the target counts as met ("at most 9").
        (((-7, 14), (21, 9)), ProgressStatus.MET, "Target met"),
        # 14 before, 16 now.
        (((-7, 14), (21, 16)), ProgressStatus.WORSE, "Worse than at the start"),
        # One score only: nothing to compare with yet.
        (((-7, 14),), ProgressStatus.NO_CHANGE, "No change yet"),
        # No score before the plan: the first one after it is the baseline (12, then 10).
        (((3, 12), (17, 10)), ProgressStatus.ON_TRACK, "On track"),
        # The baseline is the last score on or before the start (18 long ago, 13 on the day, 13 now).
        (((-60, 18), (0, 13), (21, 13)), ProgressStatus.NO_CHANGE, "No change yet"),
        ((), ProgressStatus.NO_SCORES, "No scores yet"),
    ],
)
def test_worked_examples_for_a_phq9_goal_of_at_most_9(points, expected, label):
    progress = goal_progress(goal=PHQ9_AT_MOST_9, start_date=START, points=_points(*points), today=START)
    assert (progress.status, progress.label) == (expected, label)


def test_at_least_goals_count_higher_as_better():
    goal = Goal(measure="gad7", target_score=5, direction="at_least")
    assert _status(goal, _points((-1, 2), (10, 4))) == ProgressStatus.ON_TRACK
    assert _status(goal, _points((-1, 2), (10, 5))) == ProgressStatus.MET
    assert _status(goal, _points((-1, 4), (10, 2))) == ProgressStatus.WORSE


def test_a_target_date_gone_by_without_the_target_says_so_but_a_met_target_stays_met():
    goal = Goal(measure="pain_nrs", target_score=3, direction="at_most", target_date=START + dt.timedelta(days=28))
    improving = _points((-1, 8), (21, 5))
    assert _status(goal, improving, today=START + dt.timedelta(days=28)) == ProgressStatus.ON_TRACK
    assert _status(goal, improving, today=START + dt.timedelta(days=29)) == ProgressStatus.PAST_DUE
    assert _status(goal, _points((-1, 8), (21, 3)), today=START + dt.timedelta(days=90)) == ProgressStatus.MET


def test_a_target_met_and_then_lost_is_no_longer_met_not_on_track():
    """Before, pain 7 at the start, 3 (met), then 5 read "On track" beside a 5/10: better than the start, but the
    target reached was lost."""
    goal = Goal(measure="pain_nrs", target_score=3, direction="at_most")
    assert _status(goal, _points((-1, 7), (14, 3))) == ProgressStatus.MET
    progress = goal_progress(goal=goal, start_date=START, points=_points((-1, 7), (14, 3), (21, 5)), today=START)
    assert (progress.status, progress.label, progress.tone) == (ProgressStatus.NO_LONGER_MET, "No longer met", "warn")
    assert _status(goal, _points((-1, 7), (14, 3), (21, 5), (28, 2))) == ProgressStatus.MET  # met again
    at_least = Goal(measure="gad7", target_score=5, direction="at_least")
    assert _status(at_least, _points((-1, 2), (10, 6), (17, 4))) == ProgressStatus.NO_LONGER_MET


def test_a_goal_without_a_score_target_is_not_measured():
    progress = goal_progress(goal=Goal(measure=""), start_date=START, points=[], today=START)
    assert progress.label == "Not measured by a score"


def test_the_progress_carries_the_latest_and_baseline_scores():
    progress = goal_progress(goal=PHQ9_AT_MOST_9, start_date=START, points=_points((-7, 14), (21, 11)), today=START)
    assert (progress.baseline.score, progress.latest.score, progress.max_score) == (14, 11, 27)
    assert progress.measure_name == "PHQ-9"


def _score(patient, instrument: str, score: int, days_ago: int) -> None:
    at = clock.local_datetime(clock.local_now().date() - dt.timedelta(days=days_ago), dt.time(8, 0))
    QuestionnaireResponse.objects.create(
        patient=patient, instrument=instrument, answers=[], score=score, severity="mild", submitted_at=at
    )


@pytest.mark.django_db
def test_the_selector_reads_the_patients_own_scores_on_each_goals_instrument(personas):
    plan = signed_plan_for(personas.therapist, personas.patient, start_offset_days=-30)
    _score(personas.patient, "phq9", 15, days_ago=35)
    _score(personas.patient, "phq9", 12, days_ago=2)
    _score(personas.patient, "gad7", 1, days_ago=2)  # not a measure of this plan
    _score(personas.other_patient, "pain_nrs", 1, days_ago=1)  # someone else's score
    rows = plan_progress(opened=plan_open(user=personas.therapist, plan_id=plan.pk))
    labels = [goal.progress.label for goal in rows[0].goals]
    assert labels == ["On track", "No scores yet"]
    assert rows[0].goals[0].opened.description == plan_content()["problems"][0]["goals"][0]["description"]
