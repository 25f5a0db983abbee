"""The limits on "Forgot your password?" requests, per email address typed and per client address, so the form
cannot flood someone's inbox nor be used to send resets to many addresses from one place. Every request counts,
whether or not the address has an account, so being limited tells nothing about which addresses do.

And the limit on failed API token attempts per client address, so nobody can go on guessing tokens."""

import hashlib

from django.conf import settings

from apps.core.client_address import client_address
from apps.core.rate_limits import FixedWindowRateThrottle


class PasswordResetClientThrottle(FixedWindowRateThrottle):
    scope = "password_reset_client"

    def get_rate(self) -> str:
        # Read when asked, not at import, so a deployment (or a test) can change it.
        return settings.CLINIC_PASSWORD_RESET_RATE_PER_CLIENT

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}


class PasswordResetEmailThrottle(FixedWindowRateThrottle):
    scope = "password_reset_email"

    def __init__(self, email: str) -> None:
        self.email = email.strip().lower()
        super().__init__()

    def get_rate(self) -> str:
        return settings.CLINIC_PASSWORD_RESET_RATE_PER_EMAIL

    def get_cache_key(self, request, view) -> str:
        # The address is hashed so the cache holds no list of who asked.
        ident = hashlib.sha256(self.email.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


def password_reset_throttled(request, *, email: str) -> bool:
    """True when this client, or this email address from anywhere, has asked for a reset too often lately. Both
    counters count this request."""
    by_client = PasswordResetClientThrottle().allow_request(request, None)
    by_email = PasswordResetEmailThrottle(email).allow_request(request, None)
    return not (by_client and by_email)


class ApiTokenFailureThrottle(FixedWindowRateThrottle):
    """Failed `Authorization: Token` attempts per client address, as sign-in failures are counted. Only failures
    count, and they alone: a script using its token is never slowed, however many requests it sends at once (one
    address may be a whole office behind a proxy). Each failure is counted atomically and answered 429 once past the
    limit; once a client is over it every token it sends waits, the right one too, or the answer would tell a right
    guess from a wrong one. A burst of guesses sent together is checked before they are counted, but its answers
    past the limit are 429 all the same, and a token's 256 random bits leave nothing to find by guessing: the limit
    is against a long run of attempts, which it bounds exactly."""

    scope = "api_token_failure"

    def get_rate(self) -> str:
        return settings.CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_address(request)}
