"""Before the second factor, a signed-in account that can reach staff or admin pages gets nothing but signing in,
MFA set-up/verify and signing out. Walked over every route in the URLconf, for every staff role, a superuser
without a clinic role (what `createsuperuser` makes) and a Django-admin-only account."""

import itertools
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.middleware import BEFORE_MFA_VIEWS
from apps.accounts.models import User
from apps.notes.services import process_note_create
from tests.factories import PASSWORD, AppointmentFactory, UserFactory, api_token_for

pytestmark = pytest.mark.django_db

# Values tried for each path parameter, in order, until the built path resolves back to the route being walked.
WORDS = ["json", ".json", "check-in", "issue", "accept", "withdraw", "accounts", "not-a-real-token", "hours"]


def _routes(resolver=None, prefix: str = "", namespace: str = ""):
    """Every leaf route as (full regex, view name, callback), descending into includes (admin and API too)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        regex = entry.pattern.regex.pattern.removeprefix("^")
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from _routes(entry, prefix + regex, inner)
        elif isinstance(entry, URLPattern):
            name = ":".join(filter(None, [namespace, entry.name])) if entry.name else None
            yield prefix + regex, name, entry.callback


def _path_for(regex: str, callback, ids: dict[str, int]) -> str:
    """A concrete path for a route: path parameters filled with an existing object's id, or a word that fits."""
    template, params = normalize(regex)[0]
    candidates = [[str(ids[p])] if p in ids else [*WORDS, str(ids["pk"])] for p in params]
    for values in itertools.product(*candidates):
        path = "/" + template % dict(zip(params, values, strict=True))
        try:
            if resolve(path).func == callback:
                return path
        except Resolver404:
            continue
    raise AssertionError(f"no path found for {regex}")


@pytest.fixture
def clinic_objects(personas):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    process_note_create(actor=personas.therapist, patient=personas.patient, appointment=appointment, text="Private.")
    return {
        "pk": personas.patient.pk,
        "patient_id": personas.patient.pk,
        "appointment_id": appointment.pk,
        "service_type_pk": appointment.service_type_id,
        "object_id": personas.admin.pk,
    }


def _account(personas, who: str) -> User:
    if who == "superuser_without_role":
        return User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    if who == "admin_site_only":
        return UserFactory(is_staff=True)
    return getattr(personas, who)


ACCOUNTS = ["front_desk", "therapist", "billing", "admin", "superuser_without_role", "admin_site_only"]


@pytest.mark.parametrize("who", ACCOUNTS)
def test_before_mfa_only_sign_in_mfa_and_sign_out_answer(personas, clinic_objects, who):
    user = _account(personas, who)
    assert user.requires_mfa
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")  # a password only, no MFA

    answered = []
    walked = 0
    for regex, name, callback in _routes():
        if name in BEFORE_MFA_VIEWS:
            continue
        path = _path_for(regex, callback, clinic_objects)
        walked += 1
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            location = response.get("Location", "")
            held_back = response.status_code in (403, 404) or (
                response.status_code == 302 and location.startswith("/accounts/mfa/")
            )
            if not held_back:
                answered.append((method.upper(), path, response.status_code, location))
    assert walked > 200  # the whole URLconf, not a sample: pages, account management, the API and the admin
    assert answered == []


@pytest.mark.parametrize("who", ACCOUNTS)
def test_the_views_allowed_before_mfa_do_answer(personas, who):
    client = Client()
    client.force_login(_account(personas, who), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/accounts/mfa/setup/").status_code == 200
    assert client.get("/accounts/login/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302


def test_an_admin_with_a_password_only_cannot_invite_or_change_settings(personas):
    client = Client()
    assert client.post("/accounts/login/", {"username": personas.admin.email, "password": PASSWORD}).status_code == 302
    for path in ("/accounts/users/", "/accounts/clinic-settings/"):
        assert client.get(path)["Location"].startswith("/accounts/mfa/setup/")
    invite = {"email": "new.admin@example.test", "first_name": "N", "last_name": "A", "role": "admin"}
    assert client.post("/accounts/users/", invite).status_code == 302
    assert not User.objects.filter(email="new.admin@example.test").exists()


def test_a_createsuperuser_account_needs_a_device_for_the_admin_charts_and_access_log(personas):
    root = User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    client = Client()
    assert client.post("/accounts/login/", {"username": root.email, "password": PASSWORD}).status_code == 302
    for path in ("/admin/", f"/notes/patients/{personas.patient.pk}/chart/", "/audit/access-log/"):
        assert client.get(path)["Location"].startswith("/accounts/mfa/setup/"), path
    assert client.get("/api/patients/").status_code == 403

    assert client.get("/accounts/mfa/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=root, confirmed=False)  # made by the set-up page
    assert client.post("/accounts/mfa/setup/", {"token": f"{totp(device.bin_key):06d}"}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/audit/access-log/").status_code in (200, 403)  # reached the view: its own rule decides


def test_unverified_api_answers_say_why_in_the_error_body(personas):
    client = Client()
    client.force_login(personas.billing, backend="django.contrib.auth.backends.ModelBackend")
    body = client.get("/api/charges/").json()
    assert body["error"]["code"] == "permission_denied"
    assert "two-factor" in body["error"]["message"]


def test_a_token_minted_after_mfa_still_works_without_a_session(personas):
    token = api_token_for(personas.front_desk)
    assert Client().get("/api/patients/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200


def test_every_route_name_the_walk_skips_exists():
    names = {name for _regex, name, _callback in _routes()}
    assert names >= BEFORE_MFA_VIEWS
    assert not any(re.search("invite|user_list|clinic_settings|api_token", n) for n in BEFORE_MFA_VIEWS)


@pytest.mark.parametrize("who", ACCOUNTS)
def test_the_pages_before_mfa_show_no_menu_and_none_of_its_counts(personas, who):
    user = _account(personas, who)
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    for path in ("/accounts/mfa/verify/", "/accounts/mfa/setup/", "/accounts/login/"):
        page = client.get(path).content.decode()
        assert 'nav class="main"' not in page and "nav-badge" not in page, path
