"""PHQ-9, GAD-7 and pain ratings scored as published, checked against worked examples."""

import pytest

from apps.core.errors import Unprocessable
from apps.outcomes.instruments import GAD7, PAIN_NRS, PHQ9


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([2, 2, 1, 1, 1, 1, 1, 0, 0], 9, "mild"),
        ([2, 2, 2, 1, 1, 1, 1, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 1, 1, 0], 14, "moderate"),
        ([3, 2, 2, 2, 2, 2, 1, 1, 0], 15, "moderately_severe"),
        ([3, 3, 3, 2, 2, 2, 2, 2, 0], 19, "moderately_severe"),
        ([3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe"),
        ([3, 3, 3, 3, 3, 3, 3, 3, 3], 27, "severe"),
    ],
)
def test_phq9_totals_and_bands(answers, total, severity):
    score = PHQ9.score(answers)
    assert (score.total, score.severity) == (total, severity)


def test_phq9_item_9_above_zero_flags_whatever_the_total():
    score = PHQ9.score([0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert (score.total, score.severity, score.flagged) == (1, "minimal", True)
    assert PHQ9.score([3, 3, 3, 3, 3, 3, 3, 3, 0]).flagged is False


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0, 0, 0, 0, 0, 0, 0], 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
        ([2, 2, 2, 1, 1, 1, 0], 9, "mild"),
        ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2], 14, "moderate"),
        ([3, 3, 3, 2, 2, 1, 1], 15, "severe"),
        ([3, 3, 3, 3, 3, 3, 3], 21, "severe"),
    ],
)
def test_gad7_totals_and_bands(answers, total, severity):
    score = GAD7.score(answers)
    assert (score.total, score.severity, score.flagged) == (total, severity, False)


@pytest.mark.parametrize(
    ("rating", "severity"), [(0, "none"), (3, "mild"), (4, "moderate"), (6, "moderate"), (7, "severe")]
)
def test_pain_rating_bands(rating, severity):
    assert PAIN_NRS.score([rating]).severity == severity


@pytest.mark.parametrize(
    ("answers", "bad"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0], {"item_9"}),
        ([0, 0, 4, 0, 0, 0, 0, 0, 0], {"item_3"}),
        ([0, 0, 0, 0, True, 0, 0, 0, 0], {"item_5"}),
        ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], {"answers"}),
        ([None, "1", 0, 0, 0, 0, 0, 0, 0], {"item_1", "item_2"}),
    ],
)
def test_incomplete_or_out_of_range_answers_are_refused_per_item(answers, bad):
    with pytest.raises(Unprocessable) as caught:
        PHQ9.score(answers)
    assert set(caught.value.fields) == bad


def test_maximum_scores():
    assert (PHQ9.max_score, GAD7.max_score, PAIN_NRS.max_score) == (27, 21, 10)
