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
