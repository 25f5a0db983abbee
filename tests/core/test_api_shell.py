import pytest

pytestmark = pytest.mark.django_db


def test_openapi_schema_is_served(personas, login):
    client = login(personas.admin, api=True)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/patients/" in response.json()["paths"]


def test_api_docs_page_renders(personas, login):
    assert login(personas.admin).get("/api/docs/").status_code == 200


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_the_api_schema_and_docs_are_for_signed_in_staff_only(personas, login, client, path):
    from tests.factories import api_token_for

    anonymous = client.get(path)
    assert anonymous.status_code in (401, 403) and b"/api/patients/" not in anonymous.content
    patient = login(personas.patient_user).get(path)
    assert patient.status_code == 403 and b"/api/patients/" not in patient.content
    assert login(personas.front_desk).get(path).status_code == 200
    assert login(personas.therapist, api=True).get(path).status_code == 200
    scripted = client.get(path, HTTP_AUTHORIZATION=f"Token {api_token_for(personas.billing)}")
    assert scripted.status_code == 200  # an integration reads the schema with its token


def test_anonymous_api_requests_get_a_consistent_error_body(client):
    response = client.get("/api/patients/")
    assert response.status_code in (401, 403)
    assert set(response.json()["error"]) >= {"code", "message"}


def test_token_authentication_works_for_integrations(personas):
    from rest_framework.test import APIClient

    from tests.factories import api_token_for

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_for(personas.front_desk)}")
    assert client.get("/api/patients/").status_code == 200


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/accounts/login/")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(("persona", "expected"), [("admin", 200), ("front_desk", 403), ("therapist", 403)])
def test_only_admins_open_clinic_settings_and_users(personas, login, persona, expected):
    client = login(getattr(personas, persona))
    assert client.get("/accounts/clinic-settings/").status_code == expected
    assert client.get("/accounts/users/").status_code == expected


def test_admin_changes_the_cancellation_window_and_it_is_logged(personas, login):
    from apps.audit.models import AccessLog
    from apps.core.models import ClinicSettings

    client = login(personas.admin)
    form = client.get("/accounts/clinic-settings/").context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["cancellation_window_hours"] = 48
    assert client.post("/accounts/clinic-settings/", data).status_code == 302
    assert ClinicSettings.load().cancellation_window_hours == 48
    assert AccessLog.objects.filter(action="clinic_settings_change").exists()


def test_a_format_suffix_is_not_a_route(personas, login):
    """Writes to `/api/patients.json` once reached views that take no `format` argument: a server error."""
    client = login(personas.front_desk, api=True)
    response = client.post("/api/patients.json", {"legal_first_name": "A"}, format="json")
    assert response.status_code == 404
    assert set(response.json()["error"]) >= {"code", "message"}
