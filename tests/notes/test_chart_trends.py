"""The clinical chart's trends: an empty state instead of an empty graph, an axis spanning the scores, bands by
name, and the pain measures charted beside pain and mood."""

import datetime as dt
import json
import re

import pytest

from apps.core import clock
from apps.outcomes.instruments import PCS, PHQ9
from apps.outcomes.models import QuestionnaireResponse

pytestmark = pytest.mark.django_db


def _record(patient, instrument, answers, *, days_ago: int):
    score = instrument.score(answers)
    return QuestionnaireResponse.objects.create(
        patient=patient,
        instrument=instrument.code,
        answers=answers,
        score=score.total,
        severity=score.severity,
        submitted_at=clock.now() - dt.timedelta(days=days_ago),
    )


def _chart(client, patient) -> tuple[str, dict]:
    page = client.get(f"/notes/patients/{patient.pk}/chart/").content.decode()
    data = json.loads(re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page).group(1))
    return page, data


def test_a_chart_without_scores_says_so_instead_of_drawing(personas, login):
    page, data = _chart(login(personas.therapist), personas.patient)
    assert page.count("No scores yet.") == 3
    assert "<canvas" not in page and "Scores as a table" not in page
    assert data["axis"] is None


def test_one_score_draws_its_graph_on_a_two_week_axis_and_names_its_band(personas, login):
    _record(personas.patient, PHQ9, [2, 2, 2, 2, 2, 2, 2, 2, 0], days_ago=3)  # 16: moderately severe
    page, data = _chart(login(personas.therapist), personas.patient)
    assert 'id="mood-chart"' in page and page.count("No scores yet.") == 2
    assert data["axis"]["max"] - data["axis"]["min"] >= 14 * 86_400_000 - 3_600_000  # a DST day is 23 hours
    assert "<td>Moderately severe</td>" in page and "moderately_severe</td>" not in page
    assert data["measures"]["phq9"]["points"][0]["severity_label"] == "Moderately severe"


def test_pain_measures_are_charted_beside_pain_and_mood_with_subscales_in_the_table(personas, login):
    _record(personas.patient, PCS, [3, 2, 3, 2, 1, 2, 1, 4, 3, 3, 4, 2, 1], days_ago=10)
    page, data = _chart(login(personas.therapist), personas.patient)
    assert [panel["title"] for panel in data["panels"]] == ["Mood", "Pain", "Body symptoms and pain thoughts"]
    assert 'id="somatic-chart"' in page
    assert "31 / 52" in page and "Rumination 14, Magnification 4, Helplessness 13" in page
    assert "<td>Clinically relevant</td>" in page
