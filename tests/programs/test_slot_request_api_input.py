"""The slot-request list's status filter takes only known statuses: anything else is a 400, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("status", ["bogus", "waiting\x00"])
def test_an_unknown_status_filter_is_a_validation_error(personas, login, status):
    response = login(personas.front_desk, api=True).get("/api/slot-requests/", {"status": status})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize("status", ["", "waiting"])
def test_a_known_or_empty_status_filter_lists(personas, login, status):
    response = login(personas.front_desk, api=True).get("/api/slot-requests/", {"status": status})
    assert response.status_code == 200
