"""Rate limits hold under a burst: requests arriving at the same moment (threads on real Redis, released together by
a barrier) never get more through than the limit, as one request after another would not. Each test sends several
bursts, each from a client or for an address of its own, and every one of them must stop at the limit."""

import pytest
from django.test import Client, RequestFactory
from rest_framework.throttling import ScopedRateThrottle

from apps.accounts.throttles import password_reset_throttled
from apps.programs.throttles import registration_throttled
from tests.locking import at_once

AT_ONCE = 20
BURSTS = 5
LIMIT = 3


def _request(address: str):
    return RequestFactory().post("/", REMOTE_ADDR=address)


def _let_through(burst) -> list[int]:
    """For each burst, how many of its calls were let through (`burst(b)` gives burst b's calls, True when let
    through)."""
    return [at_once(*burst(b)).count(True) for b in range(BURSTS)]


def test_password_reset_requests_from_one_client_at_once_get_at_most_its_limit_through(settings):
    settings.CLINIC_PASSWORD_RESET_RATE_PER_CLIENT = f"{LIMIT}/hour"
    counts = _let_through(
        lambda b: [
            lambda n=n: not password_reset_throttled(_request(f"198.51.{b}.20"), email=f"someone{b}.{n}@example.test")
            for n in range(AT_ONCE)
        ]
    )
    assert counts == [LIMIT] * BURSTS


def test_password_reset_requests_for_one_address_at_once_get_at_most_its_limit_through(settings):
    settings.CLINIC_PASSWORD_RESET_RATE_PER_EMAIL = f"{LIMIT}/hour"
    counts = _let_through(
        lambda b: [
            lambda n=n: not password_reset_throttled(_request(f"198.51.{b}.{n + 1}"), email=f"pat{b}@example.test")
            for n in range(AT_ONCE)
        ]
    )
    assert counts == [LIMIT] * BURSTS


def test_lecture_registrations_from_one_address_at_once_get_at_most_its_limit_through(settings):
    settings.CLINIC_LECTURE_REGISTRATION_RATE = f"{LIMIT}/min"
    counts = _let_through(
        lambda b: [lambda: not registration_throttled(_request(f"203.0.{b}.30")) for _ in range(AT_ONCE)]
    )
    assert counts == [LIMIT] * BURSTS


def _quote(path: str, address: str) -> bool:
    return Client(REMOTE_ADDR=address).get(path, {"household_size": 1, "annual_income": "1"}).status_code != 429


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/api/sliding-scale/quote", "/billing/what-will-i-pay/"])
def test_quotes_asked_at_once_from_one_address_get_at_most_its_limit_answered(monkeypatch, path):
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"quote": f"{LIMIT}/min"})
    counts = _let_through(lambda b: [lambda: _quote(path, f"203.0.{b}.40") for _ in range(AT_ONCE)])
    assert counts == [LIMIT] * BURSTS
