"""Failed sign-ins through the real login page: the count is per account whatever the letter case of the email,
and one client address trying many accounts is stopped too."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from apps.accounts.roles import Role
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _sign_in(email: str, password: str = PASSWORD, *, address: str = "203.0.113.7"):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": email, "password": password})


def test_changing_the_letter_case_of_the_email_does_not_buy_more_guesses(settings):
    user = UserFactory(email="billing@clinic.test", roles=[Role.BILLING])
    spellings = ["billing@clinic.test", "Billing@clinic.test", "BILLING@CLINIC.TEST", " billing@Clinic.test "]
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(spellings[attempt % len(spellings)], "wrong password", address=f"198.51.100.{attempt}")
    response = _sign_in(user.email, address="198.51.100.200")
    assert response.status_code == 429
    assert "locked" in response.content.decode()
    assert _sign_in("Billing@Clinic.Test", address="198.51.100.201").status_code == 429


def test_one_address_trying_many_accounts_is_locked_out(settings):
    settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    target = UserFactory(roles=[Role.FRONT_DESK])
    sprayed = [UserFactory(roles=[Role.FRONT_DESK]) for _ in range(6)]
    for user in sprayed:  # two guesses each: no account reaches its own limit of five
        for _ in range(2):
            _sign_in(user.email, "Winter2026!", address="192.0.2.50")
    assert _sign_in(target.email, address="192.0.2.50").status_code == 429
    # Another address is not affected, and neither is any account itself.
    assert _sign_in(target.email, address="192.0.2.51").status_code == 302
    assert _sign_in(sprayed[0].email, address="192.0.2.51").status_code == 302


def test_signing_in_to_ones_own_account_does_not_clear_the_address_count(settings):
    settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    own = UserFactory(roles=[Role.PATIENT])
    others = [UserFactory(roles=[Role.PATIENT]) for _ in range(3)]
    for user in others:
        _sign_in(user.email, "guess one", address="192.0.2.60")
        _sign_in(user.email, "guess two", address="192.0.2.60")
    assert _sign_in(own.email, address="192.0.2.60").status_code == 429


def test_a_clinic_sharing_one_address_survives_everyday_typos(settings):
    """The default address limit is far above one person's lockout: a few typos by several staff lock no one."""
    staff = [UserFactory(roles=[Role.FRONT_DESK]) for _ in range(5)]
    for user in staff:
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            _sign_in(user.email, "typo", address="192.0.2.70")
    assert settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT > 5 * (settings.AXES_FAILURE_LIMIT - 1)
    for user in staff:
        assert _sign_in(user.email, address="192.0.2.70").status_code == 302


def test_the_address_lock_ends_after_the_cool_off(settings):
    settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = 4
    users = [UserFactory(roles=[Role.PATIENT]) for _ in range(4)]
    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for user in users:
            _sign_in(user.email, "guess", address="192.0.2.80")
        assert _sign_in(users[0].email, address="192.0.2.80").status_code == 429
        traveller.shift(dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))
        assert _sign_in(users[0].email, address="192.0.2.80").status_code == 302


def test_an_email_longer_than_any_address_is_a_failed_sign_in_not_a_server_error():
    response = _sign_in("a" * 400 + "@clinic.test", "wrong password")
    assert response.status_code == 200 and "Sign in" in response.content.decode()


def test_behind_the_proxy_each_client_is_counted_by_the_address_the_proxy_forwards(settings):
    """Every request reaches the app from the proxy's address: one client's spraying locks that client, not the
    proxy's address and with it the whole clinic; a forwarded-for header the client forges is not believed."""
    settings.CLINIC_NUM_PROXIES = 1
    settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    target = UserFactory(roles=[Role.FRONT_DESK])
    sprayed = [UserFactory(roles=[Role.FRONT_DESK]) for _ in range(3)]

    def through_proxy(email, password=PASSWORD, *, client_sent=""):
        forwarded = ", ".join(filter(None, [client_sent, "198.51.100.9"]))  # the proxy appends what it saw
        return Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).post(
            "/accounts/login/", {"username": email, "password": password}
        )

    for user in sprayed:
        for attempt in range(2):
            through_proxy(user.email, "Winter2026!", client_sent=f"192.0.2.{attempt}")  # forged, ignored
    assert through_proxy(target.email).status_code == 429  # the sprayer, whatever it claimed
    colleague = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.20")
    assert colleague.post("/accounts/login/", {"username": target.email, "password": PASSWORD}).status_code == 302
