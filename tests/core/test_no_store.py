"""Pages and API answers carry patient data: no browser or proxy may keep a copy (Cache-Control: no-store)."""

import pytest

pytestmark = pytest.mark.django_db


def _no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "") and "private" in response["Cache-Control"]


def test_staff_pages_with_patient_data_are_not_stored(personas, login):
    client = login(personas.billing)
    assert _no_store(client.get("/billing/"))
    client = login(personas.front_desk)
    for url in (
        "/patients/",
        f"/patients/{personas.patient.pk}/",
        "/messages/",
        "/schedule/",
        "/",
    ):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert _no_store(response), url


def test_portal_pages_are_not_stored(personas, login):
    client = login(personas.patient_user)
    for url in ("/portal/", "/portal/billing/", "/portal/settings/", "/portal/sessions/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert _no_store(response), url


def test_every_api_list_answer_is_not_stored(personas, login):
    client = login(personas.admin, api=True)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = [path for path, operations in schema.json()["paths"].items() if "{" not in path and "get" in operations]
    assert len(paths) > 10
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, path
        assert _no_store(response), path
    assert _no_store(login(personas.patient_user, api=True).get(f"/api/patients/{personas.patient.pk}/"))


def test_refusals_and_anonymous_answers_are_not_stored_either(client, personas, login):
    assert _no_store(client.get("/api/patients/"))
    assert _no_store(login(personas.other_patient_user, api=True).get(f"/api/patients/{personas.patient.pk}/"))
    assert _no_store(client.get("/accounts/login/"))
