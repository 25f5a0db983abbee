"""The patients API answers a chart id that is not a number with a 404, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("method", ["get", "put", "patch"])
@pytest.mark.parametrize("chart_id", ["null", "abc", "1e3"])
def test_a_chart_id_that_is_not_a_number_is_not_found(personas, login, method, chart_id):
    client = login(personas.front_desk, api=True)
    response = getattr(client, method)(f"/api/patients/{chart_id}/", {}, format="json")
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"code", "message"}


def test_a_search_with_a_nul_character_is_a_validation_error(personas, login):
    response = login(personas.front_desk, api=True).get("/api/patients/", {"search": "Pat\x00"})
    assert response.status_code == 400
    assert "search" in response.json()["error"]["fields"]


def test_search_still_finds_a_patient(personas, login):
    response = login(personas.front_desk, api=True).get("/api/patients/", {"search": personas.patient.chart_number})
    assert [row["id"] for row in response.json()["results"]] == [personas.patient.pk]
