"""Reads of a patient's scores log from the one selector every reader shares: the chart page and its data feed
write one `clinical_chart_view` row each, the measure-responses API one `measures_view` row per read."""

import pytest
from django.urls import reverse

from apps.audit.models import AccessLog


def _rows(action: str) -> list[tuple]:
    return list(AccessLog.objects.filter(action=action).values_list("actor_id", "patient_id", "allowed"))


@pytest.mark.parametrize("page", ["notes:chart", "notes:chart_data"])
def test_the_chart_page_and_its_data_feed_each_write_one_row(personas, login, page):
    client = login(personas.therapist)
    assert client.get(reverse(page, args=[personas.patient.pk])).status_code == 200
    assert _rows("clinical_chart_view") == [(personas.therapist.pk, personas.patient.pk, True)]


def test_the_measures_api_writes_one_row_per_read(personas, login):
    client = login(personas.therapist, api=True)
    assert client.get("/api/measure-responses/", {"patient": personas.patient.pk}).status_code == 200
    assert _rows("measures_view") == [(personas.therapist.pk, personas.patient.pk, True)]
    filtered = client.get("/api/measure-responses/", {"patient": personas.patient.pk, "instrument": "phq9"})
    assert filtered.status_code == 200
    assert len(_rows("measures_view")) == 2


@pytest.mark.parametrize("persona", ["other_therapist", "front_desk", "billing", "admin"])
def test_a_refused_read_of_scores_is_a_404_logged_as_refused(personas, login, persona):
    user = getattr(personas, persona)
    response = login(user, api=True).get("/api/measure-responses/", {"patient": personas.patient.pk})
    assert response.status_code == 404
    assert _rows("measures_view") == [(user.pk, personas.patient.pk, False)]


def test_a_bad_filter_reads_nothing_and_logs_nothing(personas, login):
    response = login(personas.therapist, api=True).get(
        "/api/measure-responses/", {"patient": personas.patient.pk, "instrument": "bogus"}
    )
    assert response.status_code == 400
    assert "instrument" in response.json()["error"]["fields"]
    assert _rows("measures_view") == []
