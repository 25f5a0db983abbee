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
