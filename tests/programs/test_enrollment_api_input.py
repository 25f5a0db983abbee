"""Filters of the enrollments list: bad values list nothing or answer 400, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("program", ["²", "abc"])
def test_a_program_filter_that_is_not_an_id_lists_nothing(personas, login, program):
    response = login(personas.front_desk, api=True).get("/api/enrollments/", {"program": program})
    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("status", ["bogus", "enrolled\x00"])
def test_an_unknown_status_filter_is_a_validation_error(personas, login, status):
    response = login(personas.front_desk, api=True).get("/api/enrollments/", {"status": status})
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
