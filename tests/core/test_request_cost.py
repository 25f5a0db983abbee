"""What a signed-in request costs before any view runs: reading the session and the user (staff: the user with the
verified device, in one query). Roles and permissions come from the cache, and only when a page needs them; the
session is not written back, and the clinic settings are read at most once, by whichever page needs them (issue #19
measured seven queries here)."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.accounts.access import access_of

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_trivial")]


def _tables_read(client, path: str) -> list[str]:
    client.get(path)  # the first request after signing in fills the roles cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return [query["sql"].split(" FROM ")[1].split()[0].strip('"') for query in captured.captured_queries]


def test_a_staff_request_reads_the_session_and_the_device_with_its_user_and_nothing_more(personas, login):
    tables = _tables_read(login(personas.front_desk), "/trivial/staff/")
    assert tables == ["django_session", "otp_totp_totpdevice"]


def test_a_portal_request_reads_the_session_and_the_user_and_nothing_more(personas, login):
    tables = _tables_read(login(personas.patient_user), "/portal/trivial/")
    assert tables == ["django_session", "accounts_user"]


def test_a_staff_page_with_the_menu_adds_only_its_own_queries(personas, login):
    """The billing staff's home (the patient search): the menu's permissions come from the cache; the page reads the
    clinic settings."""
    tables = _tables_read(login(personas.billing), "/")
    assert tables == ["django_session", "otp_totp_totpdevice", "core_clinicsettings"]


@pytest.fixture
def roles_reads(monkeypatch):
    """How many times a request asked for someone's roles (each ask is a cache round trip, or queries)."""
    from apps.accounts import models

    reads = []

    def counted(user):
        reads.append(user.pk)
        return access_of(user)

    monkeypatch.setattr(models, "access_of", counted)
    return reads


@pytest.mark.parametrize("path", ["/trivial/staff/", "/api/trivial/"])
def test_a_verified_staff_request_that_shows_no_menu_asks_for_no_roles(personas, login, roles_reads, path):
    """The MFA checks (the middleware's and the API's) settle a verified session without the user's roles."""
    client = login(personas.front_desk)
    roles_reads.clear()
    assert client.get(path).status_code == 200
    assert roles_reads == []


def test_a_session_not_yet_past_the_challenge_is_still_asked_for_its_roles(personas, roles_reads):
    """Whether a session that has not passed needs to is the roles' to say: staff are sent to the challenge."""
    client = Client()
    client.force_login(personas.front_desk, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/trivial/staff/")
    assert response["Location"].startswith("/accounts/mfa/")
    assert roles_reads
