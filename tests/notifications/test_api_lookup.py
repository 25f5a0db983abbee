"""The messages API answers a message id that is not a number with a 404, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("method", "path"), [("get", "/api/messages/{}/"), ("post", "/api/messages/{}/resend/")])
def test_a_message_id_that_is_not_a_number_is_not_found(personas, login, method, path):
    client = login(personas.admin, api=True)
    response = getattr(client, method)(path.format("true"))
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"code", "message"}
