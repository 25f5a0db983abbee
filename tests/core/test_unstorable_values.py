"""A value the database cannot store is bad input, answered 400 with a message on pages and in the API's error body,
never a server error."""

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_unstorable")]


def test_a_page_handed_a_value_the_database_cannot_store_answers_400_with_a_message(client):
    response = client.get("/unstorable/")
    assert response.status_code == 400
    assert "too long or out of range" in response.content.decode()


def test_an_api_view_handed_a_value_the_database_cannot_store_answers_400_in_the_apis_shape(client):
    response = client.post("/api/unstorable/")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert "too long or out of range" in response.json()["error"]["message"]


def test_a_data_error_of_the_clinics_own_sql_stays_a_server_error(client):
    """Only a value the database cannot store is the sender's to fix; a division by zero is the clinic's bug and is
    reported as one, not hidden behind a 400."""
    client.raise_request_exception = False
    assert client.get("/broken/").status_code == 500
