"""List filters of the notes APIs: a patient or appointment that is not an id lists nothing, never a server error."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "param"),
    [("/api/notes/", "patient"), ("/api/notes/", "appointment"), ("/api/process-notes/", "patient")],
)
@pytest.mark.parametrize("value", ["²", "abc"])
def test_a_filter_that_is_not_an_id_lists_nothing(personas, login, path, param, value):
    response = login(personas.therapist, api=True).get(path, {param: value})
    assert response.status_code == 200
    assert response.json()["results"] == []
