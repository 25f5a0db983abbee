"""Progress toward a measured goal, in plain words, from the patient's scores on the goal's instrument.

The latest score is compared with the target (at most / at least). When the target is not met now, a target met by
an earlier score since the baseline is said to be lost; otherwise the latest score is compared with the baseline: the
last score on or before the plan's start, or else the first one after it.

    target met                              -> "Target met"
    target date passed, target not met      -> "Target date passed"
    met since the baseline, not any more    -> "No longer met" (a 5 after a 3 on "at most 3" is not "On track",
                                               though it is better than a baseline of 7)
    better than the baseline                -> "On track"
    same as the baseline (or only one score) -> "No change yet"
    worse than the baseline                 -> "Worse than at the start"
    no score on the instrument at all       -> "No scores yet"
    no measure on the goal                  -> "Not measured by a score"
"""

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from apps.core import clock
from apps.outcomes.instruments import INSTRUMENTS

from .models import Goal, GoalDirection


class ProgressStatus(models.TextChoices):
    NOT_MEASURED = "not_measured", "Not measured by a score"
    NO_SCORES = "no_scores", "No scores yet"
    MET = "met", "Target met"
    PAST_DUE = "past_due", "Target date passed"
    NO_LONGER_MET = "no_longer_met", "No longer met"
    ON_TRACK = "on_track", "On track"
    NO_CHANGE = "no_change", "No change yet"
    WORSE = "worse", "Worse than at the start"


# The badge style each status is shown with.
TONES = {
    ProgressStatus.MET: "ok",
    ProgressStatus.ON_TRACK: "ok",
    ProgressStatus.PAST_DUE: "warn",
    ProgressStatus.NO_LONGER_MET: "warn",
    ProgressStatus.WORSE: "warn",
}


@dataclass(frozen=True)
class ScorePoint:
    score: int
    at: dt.datetime


@dataclass(frozen=True)
class GoalProgress:
    status: ProgressStatus
    measure_name: str = ""
    max_score: int | None = None
    baseline: ScorePoint | None = None
    latest: ScorePoint | None = None

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def tone(self) -> str:
        return TONES.get(self.status, "")


def _meets(score: int, goal: Goal) -> bool:
    if goal.direction == GoalDirection.AT_LEAST:
        return score >= goal.target_score
    return score <= goal.target_score


def _better(score: int, than: int, goal: Goal) -> bool:
    return score > than if goal.direction == GoalDirection.AT_LEAST else score < than


def _baseline(points: list[ScorePoint], start_date: dt.date) -> ScorePoint:
    before = [p for p in points if timezone.localtime(p.at, clock.clinic_tz()).date() <= start_date]
    return before[-1] if before else points[0]


def goal_progress(*, goal: Goal, start_date: dt.date, points: list[ScorePoint], today: dt.date) -> GoalProgress:
    """`points`: the patient's scores on the goal's instrument, oldest first."""
    instrument = INSTRUMENTS.get(goal.measure)
    if instrument is None or goal.target_score is None:
        return GoalProgress(status=ProgressStatus.NOT_MEASURED)
    found = {"measure_name": instrument.name, "max_score": instrument.max_score}
    if not points:
        return GoalProgress(status=ProgressStatus.NO_SCORES, **found)
    latest, baseline = points[-1], _baseline(points, start_date)
    found |= {"latest": latest, "baseline": baseline}
    if _meets(latest.score, goal):
        status = ProgressStatus.MET
    elif goal.target_date is not None and today > goal.target_date:
        status = ProgressStatus.PAST_DUE
    elif any(_meets(point.score, goal) for point in points[points.index(baseline) : -1]):
        status = ProgressStatus.NO_LONGER_MET
    elif _better(latest.score, baseline.score, goal):
        status = ProgressStatus.ON_TRACK
    elif latest.score == baseline.score:
        status = ProgressStatus.NO_CHANGE
    else:
        status = ProgressStatus.WORSE
    return GoalProgress(status=status, **found)
