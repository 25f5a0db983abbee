"""The framework floor's empty requests go through everything a real request of their kind does (sign-in, the
staff MFA check, the API's permissions, the layouts and the menu) and nothing more, so a page's time above them is
the page's own work."""

import pytest

from bench.framework import PATHS
from tests.conftest import verify_mfa

pytestmark = [pytest.mark.django_db, pytest.mark.urls("bench.framework")]


def test_the_empty_staff_page_is_the_staff_layout_with_its_menu(personas, login):
    response = login(personas.front_desk).get(PATHS["staff_page"])
    assert response.status_code == 200
    assert b"Sign out" in response.content or b"sign out" in response.content.lower()
    assert b"/patients/" in response.content  # the menu


def test_a_staff_member_who_has_not_passed_the_mfa_check_is_sent_to_it(personas, client):
    client.force_login(personas.front_desk, backend="django.contrib.auth.backends.ModelBackend")
    for kind in ("staff_page", "staff_json", "api"):
        response = client.get(PATHS[kind])
        assert response.status_code in (302, 403), kind
    verify_mfa(client, personas.front_desk)
    assert client.get(PATHS["staff_json"]).json() == {"events": []}


@pytest.mark.parametrize("kind", ["staff_page", "staff_json", "portal_page", "api"])
def test_empty_requests_that_need_a_sign_in_refuse_an_anonymous_one(client, kind):
    assert client.get(PATHS[kind]).status_code in (302, 403)


def test_the_empty_portal_page_is_the_portal_layout(personas, login):
    response = login(personas.patient_user).get(PATHS["portal_page"])
    assert response.status_code == 200
    assert b"My care" in response.content


def test_the_empty_api_answers_a_session_post_only_with_its_csrf_token(personas, login):
    client = login(personas.therapist)
    client.handler.enforce_csrf_checks = True
    assert client.post(PATHS["api"], "{}", content_type="application/json").status_code == 403
    token = str(client.get(PATHS["staff_page"]).context["csrf_token"])
    response = client.post(PATHS["api"], "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def test_the_public_api_needs_no_sign_in(client):
    assert client.get(PATHS["public_api"]).json() == {}


def test_the_clinic_s_own_routes_are_served_behind_the_empty_ones(client):
    assert client.get("/accounts/login/").status_code == 200
