"""Sign-in, API token and second-factor limits hold under a burst: attempts arriving at the same moment (threads on
real Postgres and Redis, released together by a barrier) never get more guesses checked than the limit allows."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from apps.accounts.roles import Role
from tests.factories import PASSWORD, UserFactory, api_token_for
from tests.locking import at_once

pytestmark = pytest.mark.django_db(transaction=True)

AT_ONCE = 16


@pytest.fixture
def passwords_checked(monkeypatch):
    """Every sign-in whose password is compared, from any thread (a locked-out attempt is refused before that)."""
    checked = []
    compare = ModelBackend.authenticate

    def counting(backend, request, username=None, password=None, **kwargs):
        checked.append(username)
        return compare(backend, request, username=username, password=password, **kwargs)

    monkeypatch.setattr(ModelBackend, "authenticate", counting)
    return checked


def _sign_in(email: str, password: str, address: str) -> int:
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": email, "password": password}).status_code


def test_guesses_at_one_account_sent_at_once_are_checked_at_most_up_to_its_limit(settings, passwords_checked):
    user = UserFactory(email="billing@clinic.test", roles=[Role.BILLING])
    statuses = at_once(*[lambda n=n: _sign_in(user.email, f"guess {n}", f"198.51.100.{n + 1}") for n in range(AT_ONCE)])
    assert set(statuses) <= {200, 429}, statuses
    # An attempt still in flight counts as a failure for those behind it, so a burst may stop short of the limit.
    assert 1 <= len(passwords_checked) <= settings.AXES_FAILURE_LIMIT
    assert _sign_in(user.email, PASSWORD, "198.51.100.200") == 429


def test_guesses_at_many_accounts_from_one_address_sent_at_once_are_checked_at_most_up_to_its_limit(
    settings, passwords_checked
):
    settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = 6
    users = [UserFactory(roles=[Role.PATIENT]) for _ in range(AT_ONCE)]
    statuses = at_once(*[lambda user=user: _sign_in(user.email, "Winter2026!", "192.0.2.90") for user in users])
    assert set(statuses) <= {200, 429}, statuses
    assert 1 <= len(passwords_checked) <= 6


def test_wrong_api_tokens_sent_at_once_are_checked_at_most_up_to_the_limit(settings):
    settings.CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT = "3/hour"

    def guess(n: int) -> int:
        client = APIClient(REMOTE_ADDR="10.0.4.1")
        client.credentials(HTTP_AUTHORIZATION=f"Token 0123456789ab.guess-{n}")
        return client.get("/api/patients/").status_code

    statuses = at_once(*[lambda n=n: guess(n) for n in range(AT_ONCE)])
    assert sorted(statuses) == [403] * 3 + [429] * (AT_ONCE - 3), statuses


def test_a_script_using_its_token_at_once_many_times_over_the_failure_limit_is_never_slowed(settings, personas):
    settings.CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT = "3/hour"
    token = api_token_for(personas.front_desk)

    def call() -> int:
        client = APIClient(REMOTE_ADDR="10.0.4.2")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client.get("/api/patients/").status_code

    assert at_once(*[call] * AT_ONCE) == [200] * AT_ONCE


def test_a_second_factor_code_sent_from_several_sessions_at_once_works_once(personas):
    """A code seen over someone's shoulder and raced against its owner: one session passes with it, the others are
    refused, as when they come one after another."""
    user = personas.front_desk
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    clients = []
    for _ in range(AT_ONCE):
        client = Client()
        assert client.post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 302
        clients.append(client)
    code = f"{totp(device.bin_key):06d}"
    statuses = at_once(
        *[lambda client=client: client.post("/accounts/mfa/verify/", {"token": code}).status_code for client in clients]
    )
    assert statuses.count(302) == 1, statuses
