"""Staff must pass TOTP; repeated failed logins lock the account; idle sessions end."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.roles import Role
from apps.core import clock
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _password_login(client: Client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": email, "password": password})


@pytest.mark.parametrize("role", [Role.ADMIN, Role.THERAPIST, Role.FRONT_DESK, Role.BILLING])
def test_staff_without_a_device_are_sent_to_enrolment(role):
    user = UserFactory(roles=[role])
    client = Client()
    assert _password_login(client, user.email).status_code == 302
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/mfa/setup/")


def test_staff_enrol_a_totp_device_and_then_reach_pages():
    user = UserFactory(roles=[Role.FRONT_DESK])
    client = Client()
    _password_login(client, user.email)
    assert client.get("/accounts/mfa/setup/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/mfa/setup/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/patients/").status_code == 200


def test_staff_with_a_device_must_pass_the_challenge():
    user = UserFactory(roles=[Role.THERAPIST])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    _password_login(client, user.email)
    assert client.get("/patients/")["Location"].startswith("/accounts/mfa/verify/")
    client.post("/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert client.get("/patients/").status_code == 200


def test_passing_the_second_factor_gives_the_session_a_new_key():
    """A session key known before the code (read over a shoulder, left on a shared machine at the challenge) does not
    become a verified session once the code is entered; enrolling likewise."""
    user = UserFactory(roles=[Role.THERAPIST])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    _password_login(client, user.email)
    before = client.cookies["sessionid"].value
    client.post("/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert client.get("/patients/").status_code == 200
    assert client.cookies["sessionid"].value != before
    stale = Client()
    stale.cookies["sessionid"] = before
    assert stale.get("/patients/").status_code == 302  # the old key is no session at all

    newcomer = UserFactory(roles=[Role.FRONT_DESK])
    enrolling = Client()
    _password_login(enrolling, newcomer.email)
    enrolling.get("/accounts/mfa/setup/")
    before = enrolling.cookies["sessionid"].value
    pending = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    enrolling.post("/accounts/mfa/setup/", {"token": f"{totp(pending.bin_key):06d}"})
    assert enrolling.get("/patients/").status_code == 200
    assert enrolling.cookies["sessionid"].value != before


def test_an_enrolment_key_shown_to_someone_else_earlier_is_not_the_one_confirmed():
    """Someone with the password alone opens the enrolment page before the staff member does and notes the key. The
    staff member then enrols: the device confirmed is on a key shown only to them, so the earlier copy passes
    nothing."""
    user = UserFactory(roles=[Role.THERAPIST])
    intruder, owner = Client(), Client()
    _password_login(intruder, user.email)
    assert intruder.get("/accounts/mfa/setup/").status_code == 200
    seen_by_intruder = TOTPDevice.objects.get(user=user, confirmed=False).bin_key

    _password_login(owner, user.email)
    assert owner.get("/accounts/mfa/setup/").status_code == 200
    shown_to_owner = TOTPDevice.objects.get(user=user, confirmed=False).bin_key
    assert owner.post("/accounts/mfa/setup/", {"token": f"{totp(shown_to_owner):06d}"}).status_code == 302

    confirmed = TOTPDevice.objects.get(user=user, confirmed=True)
    assert confirmed.bin_key != seen_by_intruder
    TOTPDevice.objects.filter(pk=confirmed.pk).update(last_t=-1)
    assert intruder.post("/accounts/mfa/verify/", {"token": f"{totp(seen_by_intruder):06d}"}).status_code == 422
    assert intruder.get("/patients/").status_code == 302


def test_a_wrong_code_is_refused_and_slows_the_next_try():
    user = UserFactory(roles=[Role.THERAPIST])
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    _password_login(client, user.email)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    assert client.post("/accounts/mfa/verify/", {"token": wrong}).status_code == 422
    assert client.get("/patients/").status_code == 302
    # django-otp throttles after a failure: even the right code is refused at once.
    client.post("/accounts/mfa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert client.get("/patients/").status_code == 302


def test_unverified_staff_get_403_from_the_api():
    user = UserFactory(roles=[Role.FRONT_DESK])
    client = Client()
    _password_login(client, user.email)
    response = client.get("/api/patients/")
    assert response.status_code == 403
    assert "two-factor" in response.json()["error"]["message"]


def test_patients_need_no_second_factor(personas):
    client = Client()
    _password_login(client, personas.patient_user.email)
    assert client.get("/portal/").status_code == 200


def test_repeated_failed_logins_lock_the_account(settings):
    user = UserFactory(roles=[Role.FRONT_DESK])
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_login(client, user.email, "wrong password")
    response = _password_login(client, user.email)
    assert response.status_code == 429
    assert "locked" in response.content.decode()


def test_lockout_is_per_account_not_per_clinic(settings):
    locked, colleague = UserFactory(roles=[Role.FRONT_DESK]), UserFactory(roles=[Role.FRONT_DESK])
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _password_login(client, locked.email, "wrong password")
    assert _password_login(Client(), colleague.email).status_code == 302


def test_idle_session_times_out(personas, login, settings):
    client = login(personas.front_desk)
    with time_machine.travel(dt.datetime.now(tz=dt.UTC), tick=False) as traveller:
        assert client.get("/patients/").status_code == 200
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get("/patients/").status_code == 200
        traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 1))
        response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def _session_writes(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return sum(query["sql"].startswith('UPDATE "django_session"') for query in captured.captured_queries)


def test_a_page_view_right_after_another_writes_nothing_to_the_session(personas, login):
    client = login(personas.front_desk)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        assert _session_writes(client, "/patients/") == 0
        traveller.shift(dt.timedelta(seconds=30))
        assert _session_writes(client, "/patients/") == 0


def test_the_idle_expiry_moves_forward_once_a_minute_has_passed(personas, login, settings):
    client = login(personas.front_desk)
    key = client.session.session_key
    with time_machine.travel(clock.now(), tick=False) as traveller:
        traveller.shift(dt.timedelta(seconds=61))
        assert _session_writes(client, "/patients/") == 1
        expiry = Session.objects.get(session_key=key).expire_date
        assert expiry == clock.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
        # Refreshed just now: the next page view writes nothing.
        assert _session_writes(client, "/patients/") == 0


def test_a_session_in_use_outlives_the_idle_timeout(personas, login, settings):
    client = login(personas.front_desk)
    with time_machine.travel(clock.now(), tick=False) as traveller:
        for _ in range(4):  # an hour of work, a page every quarter of an hour
            traveller.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE // 2))
            assert client.get("/patients/").status_code == 200


def test_passwords_are_hashed_with_argon2_in_production():
    from clinic.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("path", ["/accounts/mfa/setup/", "/accounts/mfa/setup/?next=/patients/"])
def test_a_password_alone_cannot_enrol_a_second_device_past_the_challenge(path):
    user = UserFactory(roles=[Role.THERAPIST])
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    _password_login(client, user.email)

    setup = client.get(path)

    assert setup.status_code == 302
    assert setup["Location"].startswith("/accounts/mfa/verify/")
    assert not TOTPDevice.objects.filter(user=user, confirmed=False).exists()
    assert client.post("/accounts/mfa/setup/", {"token": "123456"})["Location"].startswith("/accounts/mfa/verify/")
    assert client.get("/patients/").status_code == 302
    assert TOTPDevice.objects.filter(user=user).count() == 1
